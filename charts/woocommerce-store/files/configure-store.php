<?php
/**
 * Store basics, Cash on Delivery, shipping and sample products. Run by setup.sh with
 * `wp eval-file` (WordPress and WooCommerce loaded), once per setup run: one PHP process instead of
 * one wp-cli start per setting keeps the setup fast.
 *
 * Guarantee: idempotent. A setting is written only when it differs from the desired value; a sample
 * product is created only when no product has its SKU (a merchant's edits are never overwritten).
 * Every write is logged as "changed: ...", so a second run logs "0 changes".
 */

if (!function_exists('WC')) {
    WP_CLI::error('WooCommerce is not active.');
}

function storefleet_env(string $name, bool $required = true): string
{
    $value = getenv($name);
    if ($required && ($value === false || $value === '')) {
        WP_CLI::error("Environment variable $name is not set.");
    }
    return $value === false ? '' : $value;
}

$changes = 0;
$set = static function (string $option, $desired) use (&$changes): void {
    // Compare with what WordPress would store: it escapes some options (blogname keeps "&#039;" for "'"),
    // so comparing with the raw value would rewrite them on every run.
    if (get_option($option) === sanitize_option($option, $desired)) {
        return;
    }
    update_option($option, $desired);
    WP_CLI::log("changed: $option");
    $changes++;
};

// Site identity and URL: follow the values (a new host in ingress.host moves the store).
$url = storefleet_env('STORE_URL');
$set('home', $url);
$set('siteurl', $url);
$set('blogname', storefleet_env('STORE_TITLE'));

// Store basics.
$set('woocommerce_currency', storefleet_env('STORE_CURRENCY'));
$set('woocommerce_default_country', storefleet_env('STORE_COUNTRY'));
$set('woocommerce_store_address', storefleet_env('STORE_STREET', false));
$set('woocommerce_store_city', storefleet_env('STORE_CITY', false));
$set('woocommerce_store_postcode', storefleet_env('STORE_POSTCODE', false));
// Open for business: no "coming soon" page, no onboarding wizard redirect for the merchant.
$set('woocommerce_coming_soon', 'no');
$set('woocommerce_task_list_hidden', 'yes');
// WooCommerce's activation leaves a 30-second transient that sends the next admin page view to its
// wizard (wc-admin): a tenant who signs in right after Ready would land there instead of wp-admin.
if (get_transient('_wc_activation_redirect') !== false) {
    delete_transient('_wc_activation_redirect');
    WP_CLI::log('changed: _wc_activation_redirect');
    $changes++;
}
$profile = get_option('woocommerce_onboarding_profile', []);
if (!is_array($profile) || empty($profile['skipped'])) {
    $set('woocommerce_onboarding_profile', array_merge(is_array($profile) ? $profile : [], ['skipped' => true]));
}

// Pretty permalinks (the image ships the matching .htaccess rules).
if (get_option('permalink_structure') !== '/%postname%/') {
    global $wp_rewrite;
    $wp_rewrite->set_permalink_structure('/%postname%/');
    flush_rewrite_rules(false);
    WP_CLI::log('changed: permalink_structure');
    $changes++;
}

// Cash on Delivery, offered for any shipping method and for virtual orders.
$gateways = WC()->payment_gateways()->payment_gateways();
if (!isset($gateways['cod'])) {
    WP_CLI::error('The Cash on Delivery gateway (cod) is not registered by this WooCommerce.');
}
$cod = $gateways['cod'];
foreach (['enabled' => 'yes', 'enable_for_virtual' => 'yes'] as $key => $desired) {
    if ($cod->get_option($key) !== $desired) {
        $cod->update_option($key, $desired);
        WP_CLI::log("changed: cod.$key");
        $changes++;
    }
}

// Checkout needs a shipping method for physical products: free shipping everywhere unless the
// "rest of the world" zone already has a method.
$rest_of_world = new WC_Shipping_Zone(0);
if (count($rest_of_world->get_shipping_methods()) === 0) {
    $rest_of_world->add_shipping_method('free_shipping');
    WP_CLI::log('changed: shipping zone 0 gets free_shipping');
    $changes++;
}

// Sample products.
$products = json_decode((string) file_get_contents(storefleet_env('STORE_PRODUCTS_FILE')), true);
if (!is_array($products)) {
    WP_CLI::error('STORE_PRODUCTS_FILE does not hold a JSON list of products.');
}
$created = 0;
foreach ($products as $p) {
    if (wc_get_product_id_by_sku($p['sku'])) {
        continue;
    }
    $product = new WC_Product_Simple();
    $product->set_name($p['name']);
    $product->set_sku($p['sku']);
    $product->set_regular_price((string) $p['price']);
    $product->set_description($p['description'] ?? '');
    $product->set_manage_stock(true);
    $product->set_stock_quantity((int) $p['stock']);
    $product->set_stock_status('instock');
    $product->set_catalog_visibility('visible');
    $product->set_status('publish');
    $product->save();
    WP_CLI::log("changed: created product {$p['sku']}");
    $created++;
}

WP_CLI::success(sprintf('%d changes, %d products created, %d sample products expected.', $changes, $created, count($products)));
