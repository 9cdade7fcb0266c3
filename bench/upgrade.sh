#!/usr/bin/env bash
# Fleet upgrade benchmark (issue 12): N stores (default 1000) upgraded in 4 waves (1/10/50/100 %) on the simulated
# twin, through the API and one worker process on PostgreSQL. Compares the rollout's time to complete with the sum of
# one store's upgrade time-to-ready per wave (target <= 1.3x) and reports the worker's CPU per upgraded store.
# Usage: bench/upgrade.sh [stores] [time-to-ready of a first install; an upgrade re-runs only the setup Job: 30 % of it]
source "$(dirname "$0")/common.sh"
n=${1:-1000}; ttr=${2:-00:01:00}

twin=(Cluster__Mode=simulated Cluster__Simulated__StepDelay=00:00:00 Cluster__Simulated__TimeToReady="$ttr")
env Roles=worker Urls=http://127.0.0.1:0 Database__MigrateOnStartup=false "${twin[@]}" \
  dotnet "$work/app/Storefleet.dll" --contentRoot "$work/app" >"$work/worker.log" 2>&1 &
worker=$!; pids+=("$worker")
env Roles=api Urls=http://127.0.0.1:18081 Database__MigrateOnStartup=false "${twin[@]}" \
  dotnet "$work/app/Storefleet.dll" --contentRoot "$work/app" >"$work/api.log" 2>&1 &
api=$!; pids+=("$api")
for _ in $(seq 100); do curl -fs -o /dev/null http://127.0.0.1:18081/healthz && break; sleep 0.2; done
kill -0 "$worker" 2>/dev/null || { echo "the worker did not start:" >&2; cat "$work/worker.log" >&2; exit 1; }
kill -0 "$api" 2>/dev/null || { echo "the API did not start:" >&2; cat "$work/api.log" >&2; exit 1; }

echo "== fleet upgrade: $n stores, waves 1/10/50/100 %, twin time-to-ready $ttr (first install), one worker"
tool upgrade "$PG" "$worker" http://127.0.0.1:18081 "$n" 1,10,50,100 || { rc=$?; echo "the API log ends with:" >&2; tail -30 "$work/api.log" >&2; exit "$rc"; }
