<?php
/**
 * Verifies the store the way a shopper's browser uses it: anonymously, through the WooCommerce Store
 * API on the WordPress Service (WORDPRESS_SERVICE_URL), not through PHP calls that would bypass the web
 * server, the permalinks, the session cookies and the nonces. Run by setup.sh with `wp eval-file`, so
 * that it can also look at the order from the inside and remove it.
 *
 * 1. every sample product is listed, priced and in stock; Cash on Delivery is offered;
 * 2. a real order: cart/add-item then checkout with payment_method=cod, with the session cookie and the
 *    latest Nonce header as a browser would send them; the order must come out "processing" and the
 *    product's stock must go down by one;
 * 3. the order is deleted and the stock and sales count restored, so the merchant never sees it.
 *
 * Guarantee: a rerun does the same and leaves nothing behind; the verification order's emails are not
 * sent (the must-use plugin recognises the one-off address stored in option storefleet_verification_email).
 * Fails (WP_CLI::error) with one line saying what is wrong.
 */

$base = rtrim((string) getenv('WORDPRESS_SERVICE_URL'), '/');
$expected = json_decode((string) file_get_contents((string) getenv('STORE_PRODUCTS_FILE')), true) ?: [];

/** A browser-like client: keeps cookies and the latest Store API nonce. */
final class StorefleetShopper
{
    private array $cookies = [];
    private string $nonce = '';

    public function __construct(private string $base)
    {
    }

    public function call(string $method, string $route, ?array $body = null): array
    {
        $headers = ['Accept: application/json'];
        if ($this->cookies) {
            $headers[] = 'Cookie: ' . implode('; ', array_map(fn ($k, $v) => "$k=$v", array_keys($this->cookies), $this->cookies));
        }
        if ($this->nonce !== '') {
            $headers[] = 'Nonce: ' . $this->nonce;
        }
        if ($body !== null) {
            $headers[] = 'Content-Type: application/json';
        }
        $ctx = stream_context_create(['http' => [
            'method' => $method, 'header' => implode("\r\n", $headers), 'timeout' => 30, 'ignore_errors' => true,
            'follow_location' => 0, 'content' => $body === null ? '' : json_encode($body),
        ]]);
        // /wp-json/ URLs: on WooCommerce 10.3 ?rest_route= with a Cart-Token starts a new, empty cart.
        $raw = @file_get_contents($this->base . '/wp-json/wc/store/v1' . $route, false, $ctx);
        $status = 0;
        foreach ($http_response_header ?? [] as $line) {
            if (preg_match('{^HTTP/\S+ (\d{3})}', $line, $m)) {
                $status = (int) $m[1];
            } elseif (preg_match('{^Set-Cookie:\s*([^=;\s]+)=([^;]*)}i', $line, $m)) {
                $this->cookies[$m[1]] = $m[2];
            } elseif (preg_match('{^Nonce:\s*(\S+)}i', $line, $m)) {
                $this->nonce = $m[1];
            }
        }
        $json = is_string($raw) ? json_decode($raw, true) : null;
        if ($status < 200 || $status >= 300 || !is_array($json)) {
            $why = is_array($json) && isset($json['message']) ? wp_strip_all_tags($json['message']) : substr((string) $raw, 0, 200);
            WP_CLI::error(sprintf('Store API %s %s answered %s: %s', $method, $route, $status ?: 'nothing', $why ?: '(no body)'));
        }
        return $json;
    }
}

$shopper = new StorefleetShopper($base);

// 1. Catalogue and payment methods.
$listed = [];
foreach ($shopper->call('GET', '/products?per_page=100') as $product) {
    $listed[$product['sku'] ?? ''] = $product;
}
$problems = [];
foreach ($expected as $want) {
    $got = $listed[$want['sku']] ?? null;
    if ($got === null) {
        $problems[] = "product {$want['sku']} ({$want['name']}) is not listed by /wc/store/v1/products";
    } elseif (($got['prices']['price'] ?? '') === '' || (int) $got['prices']['price'] <= 0) {
        $problems[] = "product {$want['sku']} is listed without a price";
    } elseif (empty($got['is_in_stock'])) {
        $problems[] = "product {$want['sku']} is listed as out of stock";
    }
}
$methods = $shopper->call('GET', '/cart')['payment_methods'] ?? [];
if (!in_array('cod', $methods, true)) {
    $problems[] = 'Cash on Delivery (cod) is not an available payment method; available: [' . implode(', ', $methods) . ']';
}
if ($problems) {
    WP_CLI::error('the Store API shows: ' . implode('; ', $problems));
}
WP_CLI::log(sprintf('verified: %d sample products listed with prices and stock; Cash on Delivery is available', count($expected)));

// 2. A real order, as an anonymous shopper.
$candidate = null;
foreach ($expected as $want) {
    $p = $listed[$want['sku']] ?? null;
    if ($p && !empty($p['is_purchasable']) && !empty($p['is_in_stock'])) {
        $candidate = $p;
        break;
    }
}
if ($candidate === null) {
    WP_CLI::error('no sample product can be bought (none is purchasable and in stock), so no test order can be placed');
}
$stock = static function (int $id): ?int {
    wp_cache_flush();
    $product = wc_get_product($id);
    return $product && $product->managing_stock() ? (int) $product->get_stock_quantity() : null;
};
$stock_before = $stock((int) $candidate['id']);
// What the order touches besides itself, to put back: the product's modification time, and the Action
// Scheduler jobs WooCommerce queues for a new order (analytics import), found by id and argument.
$modified_before = get_post_field('post_modified', (int) $candidate['id'], 'raw');
$modified_gmt_before = get_post_field('post_modified_gmt', (int) $candidate['id'], 'raw');
global $wpdb;
$last_action_before = (int) $wpdb->get_var("SELECT MAX(action_id) FROM {$wpdb->prefix}actionscheduler_actions");
$email = 'verify-' . wp_generate_password(12, false) . '@storefleet.invalid';
update_option('storefleet_verification_email', $email, false);
$order_id = 0;
try {
    $shopper->call('POST', '/cart/add-item', ['id' => (int) $candidate['id'], 'quantity' => 1]);
    $address = [
        'first_name' => 'Storefleet', 'last_name' => 'Verification', 'address_1' => '1 Test Street', 'city' => 'Testville',
        'postcode' => (string) (getenv('STORE_POSTCODE') ?: '94105'), 'country' => WC()->countries->get_base_country(),
        'state' => WC()->countries->get_base_state(), 'email' => $email, 'phone' => '',
    ];
    $shipping = $address;
    unset($shipping['email']);
    $result = $shopper->call('POST', '/checkout', [
        'billing_address' => $address, 'shipping_address' => $shipping, 'payment_method' => 'cod',
        'customer_note' => 'Storefleet setup verification: removed automatically.',
    ]);
    $order_id = (int) ($result['order_id'] ?? 0);
    wp_cache_flush();
    $order = $order_id ? wc_get_order($order_id) : false;
    if (!$order) {
        WP_CLI::error('checkout with Cash on Delivery returned no order: ' . substr(wp_json_encode($result), 0, 200));
    }
    if ($order->get_status() !== 'processing') {
        WP_CLI::error(sprintf('the Cash on Delivery test order #%d is "%s", not "processing"', $order_id, $order->get_status()));
    }
    $stock_after = $stock((int) $candidate['id']);
    if ($stock_before !== null && $stock_after !== $stock_before - 1) {
        WP_CLI::error(sprintf('the test order did not take %s out of stock (%d before, %d after)', $candidate['sku'], $stock_before, (int) $stock_after));
    }
    WP_CLI::log(sprintf('verified: Cash on Delivery order #%d for %s is processing; stock %s -> %s', $order_id, $candidate['sku'],
        $stock_before ?? 'n/a', $stock_after ?? 'n/a'));
} finally {
    // 3. Leave nothing behind, even when a check above failed. Deleting the order takes its sales back out of
    // total_sales (WooCommerce does that itself on woocommerce_before_delete_order); the stock it does not.
    if ($order_id && ($order = wc_get_order($order_id))) {
        foreach ($order->get_items() as $item) {
            $product = $item->get_product();
            if (!$product) {
                continue;
            }
            $qty = (int) $item->get_quantity();
            if ($product->managing_stock() && $order->get_data_store()->get_stock_reduced($order_id)) {
                wc_update_product_stock($product, $qty, 'increase');
            }
            $wpdb->update($wpdb->posts, ['post_modified' => $modified_before, 'post_modified_gmt' => $modified_gmt_before], ['ID' => $product->get_id()]);
            clean_post_cache($product->get_id());
        }
        $order->delete(true);
        $queued = $wpdb->get_col($wpdb->prepare(
            "SELECT action_id FROM {$wpdb->prefix}actionscheduler_actions WHERE action_id > %d AND status = 'pending'", $last_action_before));
        foreach ($queued as $action_id) {
            $args = ActionScheduler::store()->fetch_action((int) $action_id)->get_args();
            if (in_array($order_id, $args, true) || (int) ($args['order_id'] ?? 0) === $order_id) {
                ActionScheduler::store()->delete_action((int) $action_id);
            }
        }
    }
    $wpdb->delete("{$wpdb->prefix}wc_customer_lookup", ['email' => $email]);
    delete_option('storefleet_verification_email');
}
WP_CLI::success($order_id ? "test order #$order_id placed with Cash on Delivery and removed; stock restored" : 'no test order placed');
