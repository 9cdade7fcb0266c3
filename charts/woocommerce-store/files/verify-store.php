<?php
/**
 * Verifies the store the way a shopper's browser sees it: anonymously, through the WooCommerce
 * Store API on the WordPress Service. Every sample product must be listed, priced and in stock, and
 * Cash on Delivery must be among the cart's available payment methods.
 * Exits 1 with one line per problem; reads nothing but public endpoints.
 */

$base = rtrim((string) getenv('WORDPRESS_SERVICE_URL'), '/');

function store_api(string $base, string $route): array
{
    // ?rest_route= works with or without pretty permalinks.
    $url = $base . '/?rest_route=' . $route;
    $ctx = stream_context_create(['http' => ['timeout' => 20, 'ignore_errors' => true]]);
    $body = @file_get_contents($url, false, $ctx);
    $status = $http_response_header[0] ?? 'no response';
    if ($body === false || !preg_match('{^HTTP/\S+ 200}', $status)) {
        fwrite(STDERR, "Store API $route answered '$status'" . ($body ? ': ' . substr($body, 0, 300) : '') . "\n");
        exit(1);
    }
    $json = json_decode($body, true);
    if (!is_array($json)) {
        fwrite(STDERR, "Store API $route did not return JSON: " . substr($body, 0, 300) . "\n");
        exit(1);
    }
    return $json;
}

$expected = json_decode((string) file_get_contents((string) getenv('STORE_PRODUCTS_FILE')), true) ?: [];
$problems = [];

$listed = [];
foreach (store_api($base, '/wc/store/v1/products&per_page=100') as $product) {
    $listed[$product['sku'] ?? ''] = $product;
}
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

$cart = store_api($base, '/wc/store/v1/cart');
$methods = $cart['payment_methods'] ?? [];
if (!in_array('cod', $methods, true)) {
    $problems[] = 'Cash on Delivery (cod) is not an available payment method; available: ['
        . implode(', ', $methods) . ']';
}

if ($problems) {
    fwrite(STDERR, "Store API verification failed:\n - " . implode("\n - ", $problems) . "\n");
    exit(1);
}
printf("verified: %d sample products listed with prices and stock; Cash on Delivery is available\n", count($expected));
