#!/bin/sh
# Store restore, run by a Job the engine creates from the <release>-restore CronJob's template: puts a
# backup made by backup.sh back into this store (in place), or into another store (a clone).
#
# Guarantee: nothing of the store is touched until the whole object has been downloaded and checked:
# its sha256 against RESTORE_SHA256 (what the backup Job reported), its three members against the
# manifest, both gzip streams end to end. A corrupted or truncated backup is refused and the store is
# left exactly as it was; the last line then says so:
#   restore FAILED: <what> — <why>
# After the checks: the database is replaced by the dump, wp-content by the archive (the platform's
# mu-plugin stays), the site URL is rewritten when the backup comes from another address (a clone), and
# a clone's admin login gets this store's password from its own Secret. The engine then re-applies the
# release, so the setup Job verifies the restored store exactly like a new one.
set -eu

log() { printf '%s restore: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
fail() {
  printf 'restore FAILED: %s — %s\n' "$1" "$2" >&2
  exit 1
}
for name in WORDPRESS_DB_HOST WORDPRESS_DB_NAME WORDPRESS_DB_USER WORDPRESS_DB_PASSWORD RESTORE_BACKUP_ID \
  RESTORE_DOWNLOAD_URL RESTORE_SHA256 STORE_ID STORE_URL STORE_ADMIN_USER STORE_ADMIN_EMAIL ADMIN_PASSWORD; do
  eval "value=\${$name:-}"
  # shellcheck disable=SC2154 # assigned by the eval above
  [ -n "$value" ] || fail "configuration" "environment variable $name is empty (the engine sets it on the Job it creates)"
done
content=/var/www/html/wp-content
[ -d "$content" ] || fail "wp-content" "$content is not mounted"
[ -f /var/www/html/wp-config.php ] || fail "WordPress files" "/var/www/html/wp-config.php is missing: the wordpress-files init container did not prepare WordPress core"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
refuse() { fail "backup $RESTORE_BACKUP_ID" "$1; the store was not changed"; }

log "downloading backup $RESTORE_BACKUP_ID"
if ! curl -sS --fail-with-body --retry 3 --retry-all-errors --connect-timeout 10 \
  -o "$work/backup.tar" "$RESTORE_DOWNLOAD_URL" 2>"$work/download.err"; then
  refuse "it could not be downloaded: $(tail -n 1 "$work/download.err") $(head -c 300 "$work/backup.tar" 2>/dev/null | tr '\n' ' ')"
fi
bytes=$(wc -c <"$work/backup.tar" | tr -d ' ')
actual=$(sha256sum "$work/backup.tar" | cut -d ' ' -f 1)
[ "$actual" = "$RESTORE_SHA256" ] ||
  refuse "it is corrupted or truncated: its sha256 is $actual ($bytes bytes) but the backup was recorded as $RESTORE_SHA256"

mkdir "$work/x"
tar -C "$work/x" -xf "$work/backup.tar" manifest.json database.sql.gz wp-content.tar.gz 2>"$work/tar.err" ||
  refuse "it is not a complete Storefleet backup: $(tail -n 1 "$work/tar.err")"
rm -f "$work/backup.tar"
# shellcheck disable=SC2016 # PHP code: its $variables are PHP's, not the shell's
fields=$(php -r '
  $m = json_decode((string) file_get_contents($argv[1]), true);
  if (!is_array($m) || ($m["format"] ?? 0) !== 1) { exit(1); }
  echo implode(" ", [$m["storeId"], $m["storeUrl"], $m["database"]["sha256"], $m["wpContent"]["sha256"]]);' "$work/x/manifest.json") ||
  refuse "its manifest.json is not a format-1 Storefleet manifest"
read -r source_id source_url database_sum content_sum <<EOF
$fields
EOF
[ "$(sha256sum "$work/x/database.sql.gz" | cut -d ' ' -f 1)" = "$database_sum" ] || refuse "database.sql.gz does not match its checksum in the manifest"
[ "$(sha256sum "$work/x/wp-content.tar.gz" | cut -d ' ' -f 1)" = "$content_sum" ] || refuse "wp-content.tar.gz does not match its checksum in the manifest"
gzip -t "$work/x/database.sql.gz" 2>/dev/null || refuse "database.sql.gz is not a complete gzip stream"
tar -tzf "$work/x/wp-content.tar.gz" >/dev/null 2>&1 || refuse "wp-content.tar.gz is not a complete archive"
log "backup $RESTORE_BACKUP_ID verified ($bytes bytes; made for $source_url)"

# --- from here on the store changes ---
host=${WORDPRESS_DB_HOST%%:*}
port=3306
case "$WORDPRESS_DB_HOST" in *:*) port=${WORDPRESS_DB_HOST#*:} ;; esac
export MYSQL_PWD="$WORDPRESS_DB_PASSWORD"
sql() { mysql --host="$host" --port="$port" --user="$WORDPRESS_DB_USER" --default-character-set=utf8mb4 "$@" "$WORDPRESS_DB_NAME"; }

log "replacing the database"
gunzip "$work/x/database.sql.gz"
# Tables the backup does not have (a plugin installed after it) would otherwise survive the restore.
tables=$(sql -N -B -e "SELECT CONCAT('\`', table_name, '\`') FROM information_schema.tables WHERE table_schema = DATABASE()" | paste -sd, -)
if [ -n "$tables" ]; then
  sql -e "SET FOREIGN_KEY_CHECKS=0; DROP TABLE $tables;" 2>"$work/sql.err" || fail "database" "$(tail -n 1 "$work/sql.err")"
fi
sql <"$work/x/database.sql" 2>"$work/sql.err" || fail "database" "$(tail -n 1 "$work/sql.err")"
rm -f "$work/x/database.sql"

log "replacing wp-content"
# Unpacked next to the live files on the same volume first, so the swap is a series of renames.
staging="$content/.restore-$RESTORE_BACKUP_ID"
rm -rf "$staging"
mkdir "$staging"
tar -C "$staging" -xzf "$work/x/wp-content.tar.gz" || fail "wp-content" "unpacking the archive failed"
rm -f "$work/x/wp-content.tar.gz"
# Everything but the staging folder and the platform's mu-plugin (mounted from a ConfigMap into the
# WordPress pod at mu-plugins/storefleet.php) goes; then the backup's entries move in.
for entry in "$content"/* "$content"/.[!.]*; do
  [ -e "$entry" ] || continue
  case "$entry" in "$staging" | "$content/mu-plugins") continue ;; esac
  rm -rf "$entry"
done
if [ -d "$content/mu-plugins" ]; then
  find "$content/mu-plugins" -mindepth 1 -maxdepth 1 ! -name storefleet.php -exec rm -rf {} +
fi
for entry in "$staging/wp-content"/* "$staging/wp-content"/.[!.]*; do
  [ -e "$entry" ] || continue
  name=$(basename "$entry")
  if [ "$name" = mu-plugins ] && [ -d "$content/mu-plugins" ]; then
    find "$entry" -mindepth 1 -maxdepth 1 ! -name storefleet.php -exec mv {} "$content/mu-plugins/" \;
  else
    mv "$entry" "$content/$name"
  fi
done
rm -rf "$staging"

wpcli() { php -d memory_limit=512M /usr/local/bin/wp --path=/var/www/html --skip-themes "$@"; }
if [ "$source_url" != "$STORE_URL" ]; then
  log "rewriting the site URL $source_url -> $STORE_URL"
  # wp search-replace understands PHP-serialized values (options, product meta); GUIDs stay, as WordPress asks.
  wpcli search-replace "$source_url" "$STORE_URL" --all-tables-with-prefix --skip-columns=guid --skip-plugins --report-changed-only >"$work/replace.out" 2>&1 ||
    fail "site URL" "$(tail -n 1 "$work/replace.out")"
  old_host=$(printf '%s' "$source_url" | sed -E 's#^[a-z]+://##; s#/.*$##')
  new_host=$(printf '%s' "$STORE_URL" | sed -E 's#^[a-z]+://##; s#/.*$##')
  wpcli search-replace "//$old_host" "//$new_host" --all-tables-with-prefix --skip-columns=guid --skip-plugins --report-changed-only >"$work/replace.out" 2>&1 ||
    fail "site URL" "$(tail -n 1 "$work/replace.out")"
fi
if [ "$source_id" != "$STORE_ID" ]; then
  # A clone: the platform hands out this store's login (its own Secret), not the source store's.
  log "giving admin login $STORE_ADMIN_USER this store's password (a clone of store $source_id)"
  if wpcli user get "$STORE_ADMIN_USER" --field=ID --skip-plugins >/dev/null 2>&1; then
    wpcli user update "$STORE_ADMIN_USER" --user_pass="$ADMIN_PASSWORD" --skip-email --skip-plugins >"$work/user.out" 2>&1 || fail "admin login" "$(tail -n 1 "$work/user.out")"
  else
    wpcli user create "$STORE_ADMIN_USER" "$STORE_ADMIN_EMAIL" --role=administrator --user_pass="$ADMIN_PASSWORD" --skip-plugins >"$work/user.out" 2>&1 || fail "admin login" "$(tail -n 1 "$work/user.out")"
  fi
fi
# Cached values computed for the old database or address.
wpcli transient delete --all --skip-plugins >/dev/null 2>&1 || true
log "restore done: backup $RESTORE_BACKUP_ID is in $STORE_URL"
