#!/usr/bin/env bash
# The whole platform on localhost with embedded defaults: SQLite in .data/, the API on :8080.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export ASPNETCORE_ENVIRONMENT=${ASPNETCORE_ENVIRONMENT:-Development}
export PATH="$root/.tools/bin:$PATH"
scripts/tools.sh helm
dotnet build src/Storefleet -c Release -o .run/api -v quiet -nologo
echo "Storefleet API on http://127.0.0.1:8080 (OpenAPI: /openapi/v1.json). Ctrl+C stops it."
exec dotnet .run/api/Storefleet.dll --contentRoot "$root/.run/api"
