#!/usr/bin/env bash
# The whole platform on localhost with embedded defaults: the API (and its provisioning worker) on :8080
# with SQLite in .data/, the dashboard on :3000. Stores run on the simulated cluster unless a kubeconfig
# points at a reachable cluster. Ctrl+C stops both (only the processes started here, by PID).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 NEXT_TELEMETRY_DISABLED=1
export PATH="$root/.tools/bin:$PATH"
scripts/tools.sh helm

echo "== building the API" >&2
dotnet build src/Storefleet -c Release -o .run/api -v quiet -nologo

api_pid=""; dash_pid=""
stop() {
  [ -n "$dash_pid" ] && kill "$dash_pid" 2>/dev/null
  [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null
  wait 2>/dev/null
}
trap stop EXIT INT TERM

dotnet .run/api/Storefleet.dll --contentRoot "$root/.run/api" --Urls http://127.0.0.1:8080 &
api_pid=$!
for _ in $(seq 150); do curl -fs -o /dev/null http://127.0.0.1:8080/healthz && break; sleep 0.2; done

echo "== building and starting the dashboard (first run installs its npm packages)" >&2
STOREFLEET_API_URL=http://127.0.0.1:8080 dashboard/scripts/run.sh &
dash_pid=$!
for _ in $(seq 600); do curl -fs -o /dev/null http://127.0.0.1:3000/ && break; kill -0 "$dash_pid" 2>/dev/null || break; sleep 0.5; done

cat <<MSG

  Storefleet is running:
    dashboard  http://127.0.0.1:3000
    API        http://127.0.0.1:8080   (OpenAPI: /openapi/v1.json, metrics: /metrics)
    admin      admin@storefleet.local / storefleet-admin-1 (Development only)
    cluster    $(curl -fs http://127.0.0.1:8080/platform | sed -E 's/.*"cluster":"([a-z]+)".*/\1/')

  Ctrl+C stops both.
MSG
wait -n "$api_pid" "$dash_pid"
