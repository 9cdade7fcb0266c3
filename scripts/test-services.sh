#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 and Redis on loopback for the test run, and stops them again.
#   eval "$(scripts/test-services.sh start DIR)"   -> exports STOREFLEET_TEST_POSTGRES / STOREFLEET_TEST_REDIS
#   scripts/test-services.sh stop DIR
# Nothing global is touched: data lives in DIR, ports are picked free, and only the PIDs we started are stopped.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

free_port() {
  local port=$1
  while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}

case "$cmd" in
start)
  mkdir -p "$dir"
  [ -n "$pgbin" ] || { echo "PostgreSQL binaries not found (apt-get install postgresql-15)" >&2; exit 1; }
  pg_port=$(free_port 55432)
  runas=()
  if [ "$(id -u)" -eq 0 ]; then runas=(runuser -u postgres --); chown postgres "$dir"; fi
  "${runas[@]}" "$pgbin/initdb" -D "$dir/pg" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1
  "${runas[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
  redis_port=$(free_port 56379)
  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  echo "export STOREFLEET_TEST_POSTGRES='Host=127.0.0.1;Port=$pg_port;Username=postgres;Password=unused;Include Error Detail=true'"
  echo "export STOREFLEET_TEST_REDIS='127.0.0.1:$redis_port'"
  ;;
stop)
  if [ -f "$dir/pg/postmaster.pid" ]; then
    runas=(); [ "$(id -u)" -eq 0 ] && runas=(runuser -u postgres --)
    "${runas[@]}" "$pgbin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  ;;
esac
