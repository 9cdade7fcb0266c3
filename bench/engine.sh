#!/usr/bin/env bash
# Provisioning engine benchmarks on the simulated twin, one worker process on PostgreSQL:
#  1. zero latency: create -> Ready -> delete for N stores (default 2000): stores/s and worker CPU per lifecycle
#  2. simulated time-to-ready of 60 s: M stores (default 1000) created at once: time until all Ready, peak RSS
# Usage: bench/engine.sh [N] [M]
# Only a worker runs here (stores are written straight into the database), so no API rate limit applies.
source "$(dirname "$0")/common.sh"
n=${1:-2000}; m=${2:-1000}

start_worker() {
  env DOTNET_PerfMapEnabled="${PERF:+1}" Roles=worker Urls=http://127.0.0.1:0 Database__MigrateOnStartup=false Cluster__Mode=simulated "$@" \
    dotnet "$work/app/Storefleet.dll" --contentRoot "$work/app" >"$work/worker.log" 2>&1 &
  worker=$!; pids+=("$worker")
  sleep 3
  kill -0 "$worker" 2>/dev/null || { echo "the worker did not start:" >&2; cat "$work/worker.log" >&2; exit 1; }
}

echo "== 1. zero-latency lifecycle: $n stores, one worker"
start_worker Cluster__Simulated__StepDelay=00:00:00 Cluster__Simulated__TimeToReady=00:00:00 Cluster__Simulated__NamespaceTerminationDelay=00:00:00
# PERF=1: sample the worker's CPU with perf (JIT frames named through DOTNET_PerfMapEnabled) and print the hottest frames.
if [ -n "${PERF:-}" ]; then
  perf record -F 499 -g -p "$worker" -o "$work/perf.data" >/dev/null 2>&1 & profiler=$!
fi
echo "warm-up (JIT, pools), not measured:"; tool engine "$PG" "$worker" 200 | sed 's/^/  /'
echo "measured:"
tool engine "$PG" "$worker" "$n"
if [ -n "${PERF:-}" ]; then
  kill -TERM "$profiler"; wait "$profiler" || true
  perf report -i "$work/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -40
  perf report -i "$work/perf.data" --children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | grep -i -E 'storefleet|EntityFramework|Npgsql|Prometheus|Logging|Json' | head -40
fi
kill "$worker"; wait "$worker" 2>/dev/null || true

if [ -n "${PG_LOG:-}" ]; then
  grep -oE 'statement: [A-Za-z]+( [^ ]+){0,3}' "$work/services/pg.log" | sed -E 's/\$[0-9]+/$/g' | sort | uniq -c | sort -rn | head -25
fi

echo "== 2. simulated time-to-ready 60 s: $m stores at once, one worker"
start_worker Cluster__Simulated__StepDelay=00:00:00 Cluster__Simulated__TimeToReady=00:01:00
tool ttr "$PG" "$worker" "$m" 66
