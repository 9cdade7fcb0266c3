#!/usr/bin/env bash
# Provisioning engine benchmarks on the simulated twin, one worker process on PostgreSQL:
#  1. zero latency: create -> Ready -> delete for N stores (default 2000): stores/s and worker CPU per lifecycle
#  2. simulated time-to-ready of 60 s: M stores (default 1000) created at once: time until all Ready, peak RSS
# Usage: bench/engine.sh [N] [M]
source "$(dirname "$0")/common.sh"
n=${1:-2000}; m=${2:-1000}

start_worker() {
  env Roles=worker Urls=http://127.0.0.1:0 Database__MigrateOnStartup=false Cluster__Mode=simulated "$@" \
    dotnet "$work/app/Storefleet.dll" --contentRoot "$work/app" >"$work/worker.log" 2>&1 &
  worker=$!; pids+=("$worker")
  sleep 3
  kill -0 "$worker" 2>/dev/null || { echo "the worker did not start:" >&2; cat "$work/worker.log" >&2; exit 1; }
}

echo "== 1. zero-latency lifecycle: $n stores, one worker"
start_worker Cluster__Simulated__StepDelay=00:00:00 Cluster__Simulated__TimeToReady=00:00:00 Cluster__Simulated__NamespaceTerminationDelay=00:00:00
# TRACE=path/to/dotnet-trace: profile the worker during the run and print its hottest methods.
if [ -n "${TRACE:-}" ]; then
  "$TRACE" collect -p "$worker" --profile dotnet-sampled-thread-time,dotnet-common -o "$work/worker.nettrace" >/dev/null 2>&1 & tracer=$!; sleep 2
fi
tool engine "$PG" "$worker" "$n"
if [ -n "${TRACE:-}" ]; then
  kill -INT "$tracer"; wait "$tracer" || true
  "$TRACE" report "$work/worker.nettrace" topN -n 40 --inclusive 2>/dev/null | head -60 || true
  "$TRACE" report "$work/worker.nettrace" topN -n 30 2>/dev/null | head -45 || true
fi
kill "$worker"; wait "$worker" 2>/dev/null || true

echo "== 2. simulated time-to-ready 60 s: $m stores at once, one worker"
start_worker Cluster__Simulated__StepDelay=00:00:00 Cluster__Simulated__TimeToReady=00:01:00
tool ttr "$PG" "$worker" "$m" 66
