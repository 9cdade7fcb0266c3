#!/usr/bin/env bash
# Shared by the bench scripts: a throwaway PostgreSQL, Release builds, and cleanup of what we started (by PID).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
scripts/tools.sh services load >/dev/null
work=$(mktemp -d /tmp/storefleet-bench.XXXXXX)
chmod 755 "$work"  # the postgres user must reach its data directory inside
pids=()
cleanup() {
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  scripts/test-services.sh stop "$work/services"
  rm -rf "$work"
}
trap cleanup EXIT
eval "$(scripts/test-services.sh start "$work/services")"
pg_port=$(sed -E 's/.*Port=([0-9]+).*/\1/' <<<"$STOREFLEET_TEST_POSTGRES")
psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE DATABASE bench" >/dev/null
PG="Host=127.0.0.1;Port=$pg_port;Username=postgres;Password=unused;Database=bench;Maximum Pool Size=200"
echo "bench: building (Release)" >&2
dotnet build src/Storefleet -c Release -o "$work/app" -v quiet -nologo >/dev/null
dotnet build bench/Storefleet.Bench -c Release -o "$work/tool" -v quiet -nologo >/dev/null
app() { dotnet "$work/app/Storefleet.dll" --contentRoot "$work/app" "$@"; }
tool() { dotnet "$work/tool/Storefleet.Bench.dll" "$@"; }
export ConnectionStrings__Storefleet="$PG" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning \
  Auth__SigningKey="bench-signing-key-bench-signing-key-0123456789" Secrets__EncryptionKey="$(head -c 32 /dev/urandom | base64)"
app migrate
# PG_LOG=1: log every statement, to see what the platform sends (services/pg.log in the work folder).
if [ -n "${PG_LOG:-}" ]; then psql -h 127.0.0.1 -p "$pg_port" -U postgres -qc "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null; fi
