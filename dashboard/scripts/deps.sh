# shellcheck shell=bash
# Sourced by run.sh and test.sh: installs node_modules with `npm ci`, but only when they are missing or
# the lockfile changed since the last install (a second run costs nothing).
ensure_deps() {
  local hash
  hash=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -d node_modules ] && [ "$(cat node_modules/.storefleet-lock-hash 2>/dev/null)" = "$hash" ]; then return 0; fi
  echo "dashboard: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2 || return 1
  echo "$hash" >node_modules/.storefleet-lock-hash
}

# True when the production build is missing or older than any source file.
needs_build() {
  [ -f .next/BUILD_ID ] || return 0
  [ -n "$(find app components lib public next.config.ts package-lock.json tsconfig.json -newer .next/BUILD_ID -print -quit 2>/dev/null)" ]
}
