#!/bin/sh
# Run by the <release>-cron CronJob every few minutes. WP-Cron is disabled in the pods
# (DISABLE_WP_CRON): WordPress' own trigger is a loopback request to the public URL, which the store's
# NetworkPolicies block. This requests wp-cron.php from the WordPress Service instead; WordPress then
# runs every due event, including WooCommerce's Action Scheduler queue (hook action_scheduler_run_queue).
#
# Guarantee: exits non-zero, with the reason on its last line, when WordPress does not answer 200; the
# CronJob's concurrencyPolicy Forbid means two runs never overlap.
set -eu

url="${WORDPRESS_SERVICE_URL%/}/wp-cron.php"
start=$(date +%s)
# shellcheck disable=SC2016 # PHP code: its $variables are PHP's, not the shell's
status=$(php -r '
  $ctx = stream_context_create(["http" => ["timeout" => 240, "follow_location" => 0, "ignore_errors" => true]]);
  @file_get_contents($argv[1], false, $ctx);
  preg_match("{^HTTP/\S+ (\d{3})}", $http_response_header[0] ?? "", $m);
  echo $m[1] ?? "no answer";' "$url")
if [ "$status" != 200 ]; then
  printf 'cron FAILED: %s answered %s\n' "$url" "$status" >&2
  exit 1
fi
printf 'cron: due WP-Cron events and the Action Scheduler queue ran (%s answered 200 after %ss)\n' "$url" "$(($(date +%s) - start))"
