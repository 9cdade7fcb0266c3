#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The dashboard's tests, as CI runs them: unit and component tests (Vitest), the production build, the
# end-to-end tests in Debian's Chromium against the real API (SQLite, simulated cluster), and the
# 500-store list bench. Screenshots and results go to test-artifacts/ (git-ignored).
#
#   STOREFLEET_API_DLL=/path/to/Storefleet.dll dashboard/scripts/test.sh
#
# Without STOREFLEET_API_DLL the API is built from ../src/Storefleet. The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
dash=$(pwd)
# shellcheck source=deps.sh
. scripts/deps.sh
export NEXT_TELEMETRY_DISABLED=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
started=$(date +%s)
art="$dash/test-artifacts"
rm -rf "$art" && mkdir -p "$art"
work=$(mktemp -d /tmp/storefleet-dashboard-test.XXXXXX)
passed=0
failed=0
api_pid=""
next_pid=""
fail_api_pid=""
fail_next_pid=""

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  # Only the two processes this script started, by PID.
  [ -n "$next_pid" ] && kill "$next_pid" 2>/dev/null
  [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null
  [ -n "$fail_next_pid" ] && kill "$fail_next_pid" 2>/dev/null
  [ -n "$fail_api_pid" ] && kill "$fail_api_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

finish() {
  echo "dashboard tests took $(($(date +%s) - started)) s; logs of the API and Next are in test-artifacts/"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit $?
}

free_port() {
  local port=$1
  while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}

wait_http() { # url, seconds, pid
  for _ in $(seq $(($2 * 5))); do
    curl -fs -o /dev/null "$1" && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

count_json() { # file -> "passed failed" from Vitest's or our e2e JSON
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const p = r.numPassedTests ?? r.passed ?? 0, f = (r.numFailedTests ?? r.failed ?? 0);
    console.log(p, f);' "$1" 2>/dev/null || echo "0 1"
}

echo "== dashboard: dependencies"
ensure_deps || { failed=$((failed + 1)); finish; }
if ! command -v chromium >/dev/null 2>&1; then
  echo "dashboard: installing chromium (apt)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
    { echo "dashboard: could not install chromium" >&2; failed=$((failed + 1)); finish; }
fi

echo "== dashboard: unit and component tests"
npx vitest run --reporter=default --reporter=json --outputFile="$art/unit-results.json"
read -r p f < <(count_json "$art/unit-results.json")
passed=$((passed + p)); failed=$((failed + f))

echo "== dashboard: production build"
if ! npm run build >"$art/next-build.log" 2>&1; then
  tail -n 40 "$art/next-build.log"
  echo "dashboard: next build failed"
  failed=$((failed + 1))
  finish
fi

echo "== dashboard: end-to-end against the real API"
api_dll=${STOREFLEET_API_DLL:-}
if [ -z "$api_dll" ]; then
  echo "dashboard: STOREFLEET_API_DLL not set; building the API"
  dotnet build ../src/Storefleet -c Release -o "$work/api" -v quiet -nologo >"$art/api-build.log" 2>&1 ||
    { tail -n 20 "$art/api-build.log"; failed=$((failed + 1)); finish; }
  api_dll="$work/api/Storefleet.dll"
fi
api_port=$(free_port 18080)
mkdir -p "$work/data"
# Every browser request reaches the API from the Next server's one address, so the per-IP sign-in and
# sign-up limits would count the whole test run as one client: raise them for this run (they have tests
# of their own).
ASPNETCORE_ENVIRONMENT=Development \
  Storage__DataDirectory="$work/data" \
  Cluster__Mode=simulated \
  Cluster__Simulated__StepDelay=00:00:01 \
  RateLimits__AuthPerIp__Capacity=1000 RateLimits__AuthPerIp__PerMinute=1000 \
  RateLimits__LoginPerAccount__Capacity=100 RateLimits__LoginPerAccount__PerMinute=100 \
  RateLimits__SignupsPerIp__Capacity=1000 RateLimits__SignupsPerIp__PerMinute=1000 \
  dotnet "$api_dll" --urls "http://127.0.0.1:$api_port" --contentRoot "$(dirname "$api_dll")" >"$art/api.log" 2>&1 &
api_pid=$!
next_port=$(free_port 13000)
STOREFLEET_API_URL="http://127.0.0.1:$api_port" node node_modules/next/dist/bin/next start -p "$next_port" -H 127.0.0.1 >"$art/next.log" 2>&1 &
next_pid=$!

# A second, failing stack: every simulated cluster call faults and provisioning gives up after 4 s,
# so the Error → Retry path can be tested too.
fail_api_port=$(free_port $((api_port + 1)))
mkdir -p "$work/data-failing"
ASPNETCORE_ENVIRONMENT=Development \
  Storage__DataDirectory="$work/data-failing" \
  Cluster__Mode=simulated \
  Cluster__Simulated__StepDelay=00:00:00.2 Cluster__Simulated__FaultRate=1 \
  Provisioning__Policy__ProvisioningTimeout=00:00:04 Provisioning__Policy__BackoffBase=00:00:01 Provisioning__Policy__BackoffCap=00:00:02 \
  RateLimits__SignupsPerIp__Capacity=1000 RateLimits__SignupsPerIp__PerMinute=1000 \
  dotnet "$api_dll" --urls "http://127.0.0.1:$fail_api_port" --contentRoot "$(dirname "$api_dll")" >"$art/api-failing.log" 2>&1 &
fail_api_pid=$!
fail_next_port=$(free_port $((next_port + 1)))
STOREFLEET_API_URL="http://127.0.0.1:$fail_api_port" node node_modules/next/dist/bin/next start -p "$fail_next_port" -H 127.0.0.1 >"$art/next-failing.log" 2>&1 &
fail_next_pid=$!

if ! wait_http "http://127.0.0.1:$api_port/healthz" 60 "$api_pid"; then
  tail -n 30 "$art/api.log"; echo "dashboard: the API did not start"; failed=$((failed + 1)); finish
fi
if ! wait_http "http://127.0.0.1:$next_port/signin" 30 "$next_pid"; then
  tail -n 30 "$art/next.log"; echo "dashboard: Next did not start"; failed=$((failed + 1)); finish
fi

failing_url=""
if wait_http "http://127.0.0.1:$fail_api_port/healthz" 60 "$fail_api_pid" && wait_http "http://127.0.0.1:$fail_next_port/signin" 30 "$fail_next_pid"; then
  failing_url="http://127.0.0.1:$fail_next_port"
else
  echo "dashboard: the failing stack did not start"; failed=$((failed + 1))
fi

# NEXT_PID: the e2e reads the Next server's memory while it sends it hostile 256 MB bodies.
DASHBOARD_URL="http://127.0.0.1:$next_port" API_URL="http://127.0.0.1:$api_port" FAILING_DASHBOARD_URL="$failing_url" ARTIFACTS_DIR="$art" NEXT_PID="$next_pid" \
  timeout 180 node e2e/run.mjs
read -r p f < <(count_json "$art/e2e-results.json")
passed=$((passed + p)); failed=$((failed + f))

kill "$next_pid" "$fail_next_pid" "$fail_api_pid" 2>/dev/null; next_pid=""; fail_next_pid=""; fail_api_pid=""

echo "== dashboard: 500-store list bench"
if ARTIFACTS_DIR="$art" timeout 120 node scripts/bench-list.mjs; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

finish
