#!/usr/bin/env bash
# Deletes the local Storefleet cluster that scripts/k3d-up.sh made. See --help.
set -euo pipefail

usage() {
  cat <<'HELP'
Usage: scripts/k3d-down.sh [--dry-run]

Deletes the k3d cluster "storefleet" (CLUSTER) and everything in it: the platform, every store, their
volumes and the images imported into it. Safe to run again: without the cluster there is nothing to do.
The images stay in Docker on this machine (docker image ls 'storefleet/*').

  --dry-run   Print the commands instead of running them.

Needs k3d 5.x and Docker; it cannot run on this project's CI or development machines (no container
engine).
HELP
}

dry_run=false
for arg in "$@"; do
  case "$arg" in
    -h | --help | help) usage; exit 0 ;;
    --dry-run) dry_run=true ;;
    *) echo "k3d-down: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done
cluster=${CLUSTER:-storefleet}

if $dry_run; then
  printf '+ k3d cluster get %q\n' "$cluster"
  printf '+ k3d cluster delete %q\n' "$cluster"
  exit 0
fi
command -v k3d >/dev/null 2>&1 || { echo "k3d-down: k3d is required (see --help)" >&2; exit 1; }
if ! k3d cluster get "$cluster" >/dev/null 2>&1; then
  echo "k3d-down: there is no cluster $cluster: nothing to delete"
  exit 0
fi
k3d cluster delete "$cluster"
