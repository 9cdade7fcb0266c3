#!/bin/sh
# Store setup, run by the <release>-setup-r<revision> Job (wp-cli image) on every install and upgrade.
#
# Guarantee: idempotent. Every step looks before it changes anything, so a second run changes nothing
# and says so. A failure exits non-zero with a message that names what is missing; the Job retries
# (backoffLimit) and the engine reports the last pod's message.
#
# Steps: wait for MySQL and WordPress -> wp core install (if not installed) -> WooCommerce at the pinned
# version, active, database updated -> store basics, Cash on Delivery, sample products
# (configure-store.php) -> verify through the Store API as a shopper would (verify-store.php).
#
# Passwords arrive as environment variables from the store's Secret and are never printed.
set -eu

log() { printf '%s setup: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
fail() {
  printf 'setup FAILED: %s\n' "$*" >&2
  exit 1
}

require_env() {
  for name in "$@"; do
    eval "value=\${$name:-}"
    # shellcheck disable=SC2154 # assigned by the eval above
    [ -n "$value" ] || fail "environment variable $name is empty (the chart's Job sets it; is the Secret missing a key?)"
  done
}

# wp-cli with enough memory for WooCommerce's installer (the CLI default is 128M).
wpcli() { php -d memory_limit=512M /usr/local/bin/wp --path=/var/www/html "$@"; }

# Exits 0 when MySQL accepts the WordPress user's credentials.
# shellcheck disable=SC2016 # PHP code: its $variables are PHP's, not the shell's
db_ready() {
  php -r '
    mysqli_report(MYSQLI_REPORT_OFF);
    [$host, $port] = array_pad(explode(":", getenv("WORDPRESS_DB_HOST"), 2), 2, "3306");
    $db = @mysqli_connect($host, getenv("WORDPRESS_DB_USER"), getenv("WORDPRESS_DB_PASSWORD"),
                          getenv("WORDPRESS_DB_NAME"), (int) $port);
    exit($db ? 0 : 1);'
}

# Exits 0 when the URL answers with a status below 400 (redirects are not followed: before
# installation wp-login.php redirects to the installer, which proves PHP and the database work).
# shellcheck disable=SC2016 # PHP code: its $variables are PHP's, not the shell's
http_ok() {
  php -r '
    $ctx = stream_context_create(["http" => ["timeout" => 5, "follow_location" => 0, "ignore_errors" => true]]);
    if (@file_get_contents($argv[1], false, $ctx) === false) { exit(1); }
    preg_match("{^HTTP/\S+ (\d{3})}", $http_response_header[0] ?? "", $m);
    exit(((int) ($m[1] ?? 0)) > 0 && ((int) $m[1]) < 400 ? 0 : 1);' "$1"
}

# wait_for <what> <seconds> <command...>
wait_for() {
  what=$1 limit=$2
  shift 2
  start=$(date +%s)
  until "$@"; do
    waited=$(($(date +%s) - start))
    [ "$waited" -lt "$limit" ] || fail "$what did not become reachable within ${limit}s"
    sleep 2
  done
  log "$what is reachable (waited $(($(date +%s) - start))s)"
}

require_env WORDPRESS_DB_HOST WORDPRESS_DB_NAME WORDPRESS_DB_USER WORDPRESS_DB_PASSWORD ADMIN_PASSWORD \
  WORDPRESS_SERVICE_URL STORE_URL STORE_TITLE STORE_ADMIN_USER STORE_ADMIN_EMAIL \
  WOOCOMMERCE_VERSION WOOCOMMERCE_SOURCE STORE_PRODUCTS_FILE
cd /var/www/html
[ -f wp-config.php ] || fail "/var/www/html/wp-config.php is missing: the wordpress-files init container did not prepare WordPress core"

wait_for "MySQL at $WORDPRESS_DB_HOST" 600 db_ready
# WordPress itself must be up before we touch wp-content: its entrypoint copies files there at first start.
wait_for "WordPress at $WORDPRESS_SERVICE_URL" 600 http_ok "$WORDPRESS_SERVICE_URL/wp-login.php"

if wpcli core is-installed 2>/dev/null; then
  log "WordPress is installed"
else
  log "installing WordPress for $STORE_URL"
  # The password is an argument of a process inside this container only; it is not logged.
  wpcli core install --url="$STORE_URL" --title="$STORE_TITLE" --admin_user="$STORE_ADMIN_USER" \
    --admin_email="$STORE_ADMIN_EMAIL" --admin_password="$ADMIN_PASSWORD" --skip-email
fi

installed=$(wpcli plugin get woocommerce --field=version 2>/dev/null || true)
if [ "$installed" = "$WOOCOMMERCE_VERSION" ]; then
  log "WooCommerce $installed is in wp-content"
elif [ "$WOOCOMMERCE_SOURCE" = bundled ]; then
  fail "WooCommerce $WOOCOMMERCE_VERSION should come with the WordPress image (setup.woocommerceSource=bundled) but wp-content has '${installed:-none}': build images/woocommerce with WOOCOMMERCE_VERSION=$WOOCOMMERCE_VERSION, or set setup.woocommerceSource=download"
else
  log "downloading WooCommerce $WOOCOMMERCE_VERSION (wp-content has '${installed:-none}')"
  wpcli plugin install woocommerce --version="$WOOCOMMERCE_VERSION" --force ||
    fail "could not download WooCommerce $WOOCOMMERCE_VERSION from wordpress.org: is networkPolicy.internetEgress.enabled on and does the cluster reach the internet on 443?"
fi

if wpcli plugin is-active woocommerce; then
  log "WooCommerce is active"
else
  log "activating WooCommerce"
  wpcli plugin activate woocommerce
fi
# Database migrations after a plugin upgrade; prints "No updates required" otherwise.
wpcli wc update

log "applying store settings, Cash on Delivery and sample products"
wpcli eval-file /scripts/configure-store.php

log "verifying through the Store API"
php /scripts/verify-store.php || fail "the store is not usable by shoppers yet (see above)"
log "done: $STORE_URL is ready"
