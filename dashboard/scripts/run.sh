#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Serves the dashboard on http://127.0.0.1:3000 (PORT to change), talking to the API at STOREFLEET_API_URL.
# Installs dependencies and builds first when needed; then this process *is* the Next server (exec), so
# whoever started it can stop it by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=deps.sh
. scripts/deps.sh
export NEXT_TELEMETRY_DISABLED=1
export STOREFLEET_API_URL=${STOREFLEET_API_URL:-http://127.0.0.1:8080}
ensure_deps
if needs_build; then npm run build >&2; fi
echo "Storefleet dashboard on http://127.0.0.1:${PORT:-3000} (API: $STOREFLEET_API_URL)" >&2
exec node node_modules/next/dist/bin/next start -p "${PORT:-3000}" -H 127.0.0.1
