#!/bin/sh
# Store setup, run by the <release>-setup-r<revision> Job (wp-cli image) on every install and upgrade.
#
# Guarantee: idempotent. Every step looks before it changes anything, so a second run changes nothing
# and says so. A failure exits non-zero and its LAST line is
#   setup FAILED: <what> — <why>
# with the reason a person can act on (not WP-CLI's closing summary); the engine shows that line.
#
# Steps: wait for MySQL and WordPress -> wp core install (if not installed) -> the admin login of the
# Secret exists -> WooCommerce at the pinned version, active, database updated -> store basics, Cash on
# Delivery, sample products (configure-store.php) -> verify as a shopper, including a real Cash on
# Delivery order that is then removed (verify-store.php).
#
# Passwords arrive as environment variables from the store's Secret and are never printed.
set -eu

log() { printf '%s setup: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# fail <what> <why>: the last line of the Job's log.
fail() {
  printf 'setup FAILED: %s — %s\n' "$1" "$2" >&2
  exit 1
}

require_env() {
  for name in "$@"; do
    eval "value=\${$name:-}"
    # shellcheck disable=SC2154 # assigned by the eval above
    [ -n "$value" ] || fail "configuration" "environment variable $name is empty (the chart's Job sets it; is the Secret missing a key?)"
  done
}

out=$(mktemp)
trap 'rm -f "$out"' EXIT

# wp-cli with enough memory for WooCommerce's installer (the CLI default is 128M).
wpcli() { php -d memory_limit=512M /usr/local/bin/wp --path=/var/www/html "$@"; }

# The useful reason in a failed step's output: WP-CLI ends with a summary ("Error: No plugins
# activated.") after the line that says why ("Warning: … requires WordPress 6.9 …"). Prefer the
# specific Error/Warning/PHP lines; fall back to the last line.
reason() {
  specific=$(grep -E '^(Error|Warning|PHP Fatal error|Fatal error|PHP Warning):|^ - ' "$out" |
    grep -vE '^(Error: No plugins activated\.|Warning: Some plugins failed to activate|Error: Only activated [0-9]+ of [0-9]+ plugins)' |
    sed -e 's/^PHP //' -e 's/^Error: //' -e 's/^Warning: //' -e 's/^ - //' | awk '!seen[$0]++' | head -n 2 | tr '\n' ' ' | sed 's/ *$//')
  if [ -n "$specific" ]; then printf '%s' "$specific"; else grep -v '^[[:space:]]*$' "$out" | tail -n 1; fi
}

# step <what> <command...>: runs a step, shows its output, and on failure ends with the reason.
step() {
  what=$1
  shift
  if "$@" >"$out" 2>&1; then
    cat "$out"
  else
    cat "$out"
    fail "$what" "$(reason)"
  fi
}

# Exits 0 when MySQL accepts the WordPress user's credentials, 1 while it cannot be reached yet, and 2
# (printing MySQL's message) when it answers but refuses us: waiting would not help.
# shellcheck disable=SC2016 # PHP code: its $variables are PHP's, not the shell's
db_ready() {
  php -r '
    mysqli_report(MYSQLI_REPORT_OFF);
    [$host, $port] = array_pad(explode(":", getenv("WORDPRESS_DB_HOST"), 2), 2, "3306");
    $db = @mysqli_connect($host, getenv("WORDPRESS_DB_USER"), getenv("WORDPRESS_DB_PASSWORD"),
                          getenv("WORDPRESS_DB_NAME"), (int) $port);
    if ($db) { exit(0); }
    // 1044/1045: access denied, 1049: unknown database, 1698: no password login for this user.
    if (in_array(mysqli_connect_errno(), [1044, 1045, 1049, 1698], true)) { fwrite(STDOUT, mysqli_connect_error()); exit(2); }
    exit(1);' >"$out" 2>&1
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
  while :; do
    rc=0
    "$@" || rc=$?
    [ "$rc" -ne 0 ] || break
    [ "$rc" -ne 2 ] || fail "$what" "$(cat "$out"): check the db-password key of Secret store-credentials against the password MySQL was initialized with"
    waited=$(($(date +%s) - start))
    [ "$waited" -lt "$limit" ] || fail "$what" "not reachable within ${limit}s"
    sleep 2
  done
  log "$what is reachable (waited $(($(date +%s) - start))s)"
}

require_env WORDPRESS_DB_HOST WORDPRESS_DB_NAME WORDPRESS_DB_USER WORDPRESS_DB_PASSWORD ADMIN_PASSWORD \
  WORDPRESS_SERVICE_URL STORE_URL STORE_TITLE STORE_ADMIN_USER STORE_ADMIN_EMAIL \
  WOOCOMMERCE_VERSION WOOCOMMERCE_SOURCE STORE_PRODUCTS_FILE
cd /var/www/html
[ -f wp-config.php ] || fail "WordPress files" "/var/www/html/wp-config.php is missing: the wordpress-files init container did not prepare WordPress core"

wait_for "MySQL at $WORDPRESS_DB_HOST" 600 db_ready
# WordPress itself must be up before we touch wp-content: its entrypoint copies files there at first start.
wait_for "WordPress at $WORDPRESS_SERVICE_URL" 600 http_ok "$WORDPRESS_SERVICE_URL/wp-login.php"

if wpcli core is-installed 2>/dev/null; then
  log "WordPress is installed"
else
  log "installing WordPress for $STORE_URL"
  # The password is an argument of a process inside this container only; it is not logged.
  step "WordPress install" wpcli core install --url="$STORE_URL" --title="$STORE_TITLE" --admin_user="$STORE_ADMIN_USER" \
    --admin_email="$STORE_ADMIN_EMAIL" --admin_password="$ADMIN_PASSWORD" --skip-email
fi

# One WordPress start answers three questions (each wp-cli start loads WordPress and WooCommerce):
# does the Secret's login exist, which WooCommerce is in wp-content, is it active.
# shellcheck disable=SC2016 # PHP code: its $variables are PHP's, not the shell's
step "WordPress" wpcli eval '
  require_once ABSPATH . "wp-admin/includes/plugin.php";
  $version = get_plugins()["woocommerce/woocommerce.php"]["Version"] ?? "none";
  printf("%s %s %s\n", username_exists(getenv("STORE_ADMIN_USER")) ? "user" : "no-user", $version,
         is_plugin_active("woocommerce/woocommerce.php") ? "active" : "inactive");' >/dev/null
# The answer is the last line (a PHP notice may come before it).
read -r user_state installed active_state <<EOF
$(tail -n 1 "$out")
EOF

# The Secret's admin-user is the login the platform hands the tenant. A store whose WordPress lacks it
# gets it, with the Secret's password. An existing user's password is never touched (the merchant may
# have changed it).
if [ "$user_state" = user ]; then
  log "admin login $STORE_ADMIN_USER exists"
else
  log "creating admin login $STORE_ADMIN_USER (from Secret key admin-user)"
  step "admin login" wpcli user create "$STORE_ADMIN_USER" "$STORE_ADMIN_EMAIL" --role=administrator --user_pass="$ADMIN_PASSWORD"
fi

if [ "$installed" = "$WOOCOMMERCE_VERSION" ]; then
  log "WooCommerce $installed is in wp-content"
elif [ "$WOOCOMMERCE_SOURCE" = bundled ]; then
  fail "WooCommerce $WOOCOMMERCE_VERSION" "it should come with the WordPress image (setup.woocommerceSource=bundled) but wp-content has '$installed': build images/woocommerce with WOOCOMMERCE_VERSION=$WOOCOMMERCE_VERSION, or set setup.woocommerceSource=download"
else
  log "downloading WooCommerce $WOOCOMMERCE_VERSION (wp-content has '$installed')"
  wpcli plugin install woocommerce --version="$WOOCOMMERCE_VERSION" --force >"$out" 2>&1 ||
    { cat "$out"; fail "WooCommerce download" "$(reason) (is networkPolicy.internetEgress.enabled on and does the cluster reach wordpress.org on 443?)"; }
  cat "$out"
fi

if [ "$active_state" = active ]; then
  log "WooCommerce is active"
else
  log "activating WooCommerce"
  step "WooCommerce activation" wpcli plugin activate woocommerce
fi
# Database migrations after a plugin upgrade; prints "No updates required" otherwise.
step "WooCommerce database update" wpcli wc update

log "applying store settings, Cash on Delivery and sample products"
step "store settings" wpcli eval-file /scripts/configure-store.php

log "verifying as a shopper: products, Cash on Delivery, a test order"
step "shopper verification" wpcli eval-file /scripts/verify-store.php
log "done: $STORE_URL is ready"
