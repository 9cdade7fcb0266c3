#!/usr/bin/env bash
# API read benchmark: wrk on loopback against the API on PostgreSQL holding 10,000 stores of 100 users, every
# request authenticated as the store's owner. Targets (issue 14), in every one of three runs:
#   GET /stores/{id}       >= 5,500 req/s, p99 <= 25 ms
#   GET /stores?limit=50   >= 2,500 req/s, p99 <= 50 ms
# What is measured is the steady state of a long-running API: each endpoint is warmed up under the same load until
# two 5 s rounds in a row agree within 5 % (at least 30 s, at most 60 s). With both cores saturated, tiered JIT compilation takes
# tens of seconds to reach optimized code; a fixed 5 s warm-up measured mostly unoptimized code (3x the CPU).
# Usage: bench/api.sh [seconds per run, default 20] [connections, default 64]
source "$(dirname "$0")/common.sh"
duration=${1:-20}; connections=${2:-64}

tool seed-api "$PG" "$work"
# A long-running database has been vacuumed and analyzed by autovacuum; a freshly seeded one has not, and autovacuum
# would wake up in the middle of a measured run (its CPU counts as PostgreSQL's per request).
psql -h 127.0.0.1 -p "$pg_port" -U postgres -d bench -qc "VACUUM ANALYZE"
# Something else on the port would be measured instead of this build (its API would fail to bind and exit).
if curl -s -o /dev/null http://127.0.0.1:18080/; then echo "bench: 127.0.0.1:18080 is already in use; stop what listens there first" >&2; exit 1; fi
# The per-user read limit (600 a minute by default) would turn this into a benchmark of 429s: each of the
# 100 users sends thousands of reads a second here. Lift it, so that what is measured is throughput.
env Roles=api Urls=http://127.0.0.1:18080 Database__MigrateOnStartup=false Cluster__Mode=simulated \
  RateLimits__Reads__Capacity=1000000000 RateLimits__Reads__PerMinute=1000000000 \
  Auth__SigningKey="bench-signing-key-bench-signing-key-0123456789" \
  dotnet "$work/app/Storefleet.dll" --contentRoot "$work/app" >"$work/api.log" 2>&1 &
api=$!; pids+=("$api")
for _ in $(seq 100); do curl -fs -o /dev/null http://127.0.0.1:18080/healthz && break; sleep 0.2; done
kill -0 "$api" || { cat "$work/api.log"; exit 1; }

# CPU seconds (utime+stime) of a process, and of all PostgreSQL backends together: where the time goes.
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
pg_cpu() { local t=0; for p in $(pgrep -u postgres postgres); do t=$(awk -v t="$t" '{print t + ($14 + $15) / 100}' "/proc/$p/stat" 2>/dev/null || echo "$t"); done; echo "$t"; }

run() { # mode, label
  echo "== $2 (warm-up until steady, then ${duration} s, $connections connections, 2 threads)"
  local previous=0 rate rounds=() round
  for round in $(seq 12); do
    rate=$(REQUESTS="$work/requests.txt" MODE=$1 wrk -t2 -c"$connections" -d5s -s bench/wrk-stores.lua http://127.0.0.1:18080 | awk '/Requests\/sec/ {printf "%.0f", $2}')
    rounds+=("$rate")
    # at least 30 s: under this load the JIT compiles ~1,500 methods per 5 s for the first 25-30 s, and two of
    # those rounds can agree while it is still at work
    [ "$round" -ge 6 ] && awk -v a="$rate" -v b="$previous" 'BEGIN { exit !((a - b) / b < 0.05 && (b - a) / b < 0.05) }' && break
    previous=$rate
  done
  echo "  warm-up rounds (req/s): ${rounds[*]}"
  local api0 pg0 out
  api0=$(cpu "$api"); pg0=$(pg_cpu)
  out=$(REQUESTS="$work/requests.txt" MODE=$1 wrk -t2 -c"$connections" -d"${duration}s" --latency -s bench/wrk-stores.lua http://127.0.0.1:18080)
  grep -E "Requests/sec|Latency|50%|90%|99%|Non-2xx|requests in|errors" <<<"$out"
  local requests; requests=$(grep -oE '^ +[0-9]+ requests' <<<"$out" | tr -dc 0-9)
  awk -v a="$(cpu "$api")" -v a0="$api0" -v p="$(pg_cpu)" -v p0="$pg0" -v n="$requests" -v d="$duration" \
    'BEGIN { printf "  CPU per request: API %.0f us, PostgreSQL %.0f us (machine: 2 cores = %.0f us per request at this rate)\n", (a-a0)*1e6/n, (p-p0)*1e6/n, 2*d*1e6/n }'
}
# TRACE=path/to/dotnet-trace: profile the API for 10 s under GET /stores/{id} load (after 30 s of warm-up) and print the hottest methods.
if [ -n "${TRACE:-}" ]; then
  REQUESTS="$work/requests.txt" MODE=get wrk -t2 -c"$connections" -d30s -s bench/wrk-stores.lua http://127.0.0.1:18080 >/dev/null
  REQUESTS="$work/requests.txt" MODE=get wrk -t2 -c"$connections" -d14s -s bench/wrk-stores.lua http://127.0.0.1:18080 >/dev/null &
  load=$!
  "$TRACE" collect -p "$api" --profile dotnet-sampled-thread-time --duration 00:00:00:10 -o "$work/api.nettrace" >/dev/null 2>&1
  wait "$load" # not a bare wait: the API runs in the background too, and never ends by itself
  "$TRACE" report "$work/api.nettrace" topN -n 60 --inclusive 2>/dev/null | grep -vE "Wait|Semaphore|Thread\.|Threads|Activities|Socket|Monitor|Timer|Start\(|Callback|MoveNext\(\)|Blocking" | head -60
  exit 0
fi
run get "GET /stores/{id}"
run list "GET /stores?limit=50"
