#!/bin/sh
# Store backup, run by a Job the engine creates from the <release>-backup CronJob's template (or by an
# operator: kubectl create job --from=cronjob/<release>-backup, with BACKUP_UPLOAD_URL added).
#
# One object per backup, an uncompressed tar of exactly three members:
#   manifest.json      format, store id and URL, backup id, time, and the sha256 and size of the two others
#   database.sql.gz    mysqldump --single-transaction: one consistent snapshot of InnoDB, no table locks
#   wp-content.tar.gz  uploads, plugins, themes; without the platform's mu-plugin (a ConfigMap) and caches
# The platform's secrets are never in it: wp-config.php and the salts live outside wp-content (the
# image's entrypoint writes them from the store-credentials Secret), and the Secret is not read here.
#
# The object is uploaded to BACKUP_UPLOAD_URL, a presigned PUT for that one key: this pod holds no
# object-store credentials and can write nothing else. The last line of a success is
#   backup done: {"sizeBytes":N,"sha256":"<hex>"}
# (also the container's termination message, which the engine reads); a failure's last line is
#   backup FAILED: <what> — <why>
set -eu

log() { printf '%s backup: %s\n' "$(date -u +%H:%M:%S)" "$*"; }
fail() {
  printf 'backup FAILED: %s — %s\n' "$1" "$2" >&2
  exit 1
}
for name in WORDPRESS_DB_HOST WORDPRESS_DB_NAME WORDPRESS_DB_USER WORDPRESS_DB_PASSWORD BACKUP_ID BACKUP_UPLOAD_URL STORE_ID STORE_URL; do
  eval "value=\${$name:-}"
  # shellcheck disable=SC2154 # assigned by the eval above
  [ -n "$value" ] || fail "configuration" "environment variable $name is empty (the engine sets it on the Job it creates)"
done
content=/var/www/html/wp-content
[ -d "$content" ] || fail "wp-content" "$content is not mounted"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
host=${WORDPRESS_DB_HOST%%:*}
port=3306
case "$WORDPRESS_DB_HOST" in *:*) port=${WORDPRESS_DB_HOST#*:} ;; esac
# The password reaches the client through its environment, never its command line.
export MYSQL_PWD="$WORDPRESS_DB_PASSWORD"

log "dumping database $WORDPRESS_DB_NAME from $host:$port (one consistent transaction)"
# --single-transaction: a consistent snapshot of InnoDB without locking the shop; --no-tablespaces:
# the store's user has no PROCESS privilege and needs none.
if ! mysqldump --host="$host" --port="$port" --user="$WORDPRESS_DB_USER" --single-transaction --quick \
  --skip-lock-tables --no-tablespaces --routines --triggers --default-character-set=utf8mb4 \
  --result-file="$work/database.sql" "$WORDPRESS_DB_NAME" 2>"$work/dump.err"; then
  fail "database dump" "$(tail -n 1 "$work/dump.err")"
fi
gzip -6 "$work/database.sql"

log "archiving wp-content"
# GNU tar (the wp-cli image has it); --exclude patterns are relative to the archive's paths.
if ! tar -C /var/www/html -czf "$work/wp-content.tar.gz" \
  --exclude=wp-content/mu-plugins/storefleet.php --exclude=wp-content/cache --exclude=wp-content/upgrade \
  --exclude='wp-content/.restore-*' wp-content 2>"$work/tar.err"; then
  fail "wp-content archive" "$(tail -n 1 "$work/tar.err")"
fi

sum() { sha256sum "$1" | cut -d ' ' -f 1; }
size() { wc -c <"$1" | tr -d ' '; }
cat >"$work/manifest.json" <<EOF
{"format":1,"backupId":"$BACKUP_ID","storeId":"$STORE_ID","storeUrl":"$STORE_URL","createdAt":"$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "database":{"file":"database.sql.gz","sha256":"$(sum "$work/database.sql.gz")","sizeBytes":$(size "$work/database.sql.gz")},
 "wpContent":{"file":"wp-content.tar.gz","sha256":"$(sum "$work/wp-content.tar.gz")","sizeBytes":$(size "$work/wp-content.tar.gz")}}
EOF
tar -C "$work" -cf "$work/backup.tar" manifest.json database.sql.gz wp-content.tar.gz
checksum=$(sum "$work/backup.tar")
bytes=$(size "$work/backup.tar")

log "uploading $bytes bytes (sha256 $checksum)"
# The URL is a bearer credential for one object: curl's messages never print it. No x-amz-* header:
# S3 refuses headers a presigned URL did not sign.
if ! curl -sS --fail-with-body --retry 3 --retry-all-errors --connect-timeout 10 -X PUT \
  -H 'content-type: application/x-tar' \
  -T "$work/backup.tar" -o "$work/upload.out" "$BACKUP_UPLOAD_URL" 2>"$work/upload.err"; then
  fail "upload" "$(tail -n 1 "$work/upload.err") $(head -c 300 "$work/upload.out" 2>/dev/null | tr '\n' ' ')"
fi

result="{\"sizeBytes\":$bytes,\"sha256\":\"$checksum\"}"
if [ -w /dev/termination-log ]; then printf '%s' "$result" >/dev/termination-log; fi
printf 'backup done: %s\n' "$result"
