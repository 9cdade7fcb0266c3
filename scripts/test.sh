#!/usr/bin/env bash
# Everything CI runs. Ends with one plain line: "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 NEXT_TELEMETRY_DISABLED=1
export PATH="$root/.tools/bin:$PATH"

scripts/tools.sh helm services lint store s3 || exit 1

services=$(mktemp -d /tmp/storefleet-test.XXXXXX)
cleanup() { scripts/test-services.sh stop "$services"; rm -rf "$services"; }
trap cleanup EXIT
eval "$(scripts/test-services.sh start "$services")" || { echo "could not start PostgreSQL/Redis; see $services" >&2; exit 1; }
# In this script the services are there: a test that cannot reach them fails instead of skipping.
export STOREFLEET_TEST_REQUIRE_SERVICES=1

rm -rf TestResults
echo "== .NET tests (API, provisioning engine, drivers, charts)"
dotnet test Storefleet.slnx --logger "trx" --logger "console;verbosity=minimal" --results-directory TestResults; rc=$?

sum() { grep -ho " $1=\"[0-9]*\"" TestResults/*.trx 2>/dev/null | awk -F'"' '{s+=$2} END{print s+0}'; }
passed=$(sum passed); failed=$(( $(sum failed) + $(sum error) )); skipped=$(( $(sum total) - $(sum executed) ))
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi   # a build failure runs no test: count it
echo ".NET: $passed passed, $failed failed, $skipped skipped"
# Named again at the very end, where an excerpt of the log's tail can see them.
dotnet_failures=$(grep -ho '<UnitTestResult [^>]*>' TestResults/*.trx 2>/dev/null | grep 'outcome="Failed"' \
  | sed -E 's/.*testName="([^"]*)".*/failed (.NET): \1/')
# The real-store suite (tests/Storefleet.Tests/RealStore) writes what it adapted and how long each part took.
[ -f TestResults/real-store.txt ] && cat TestResults/real-store.txt
[ -n "${KUBECONFIG:-}" ] || echo "note: the real-cluster suite was skipped (KUBECONFIG is not set; see docs/operations.md to run it against k3d)"

echo "== dashboard tests (Vitest, next build, end-to-end in Chromium against the real API)"
api_dll="$root/src/Storefleet/bin/Debug/net10.0/Storefleet.dll"
[ -f "$api_dll" ] || dotnet build src/Storefleet -v quiet -nologo >/dev/null
dash_log=$(mktemp)
STOREFLEET_API_DLL="$api_dll" dashboard/scripts/test.sh 2>&1 | tee "$dash_log"; dash_rc=${PIPESTATUS[0]}
read -r dash_passed dash_failed < <(tail -n 1 "$dash_log" | awk '/passed,.*failed/ {print $1, $3}')
rm -f "$dash_log"
dash_passed=${dash_passed:-0}; dash_failed=${dash_failed:-0}
if [ "$dash_rc" -ne 0 ] && [ "$dash_failed" -eq 0 ]; then dash_failed=1; fi

passed=$((passed + dash_passed)); failed=$((failed + dash_failed))
[ -n "$dotnet_failures" ] && echo "$dotnet_failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$rc" -eq 0 ] && [ "$dash_rc" -eq 0 ] && [ "$failed" -eq 0 ]
