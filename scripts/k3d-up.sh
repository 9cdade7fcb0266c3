#!/usr/bin/env bash
# A local Storefleet on k3d: cluster, images, platform. See --help.
set -euo pipefail

usage() {
  cat <<'HELP'
Usage: scripts/k3d-up.sh [up|down] [--dry-run]
       scripts/k3d-up.sh --print-tag | --help

  up (default)  Create the k3d cluster "storefleet" (k3s with Traefik as the ingress controller, ports
                80/443 of this machine mapped to it) unless it exists, build the platform and dashboard
                images tagged from this checkout's commit, import them into the cluster, and install
                or upgrade charts/storefleet with values-local.yaml in the namespace "storefleet".
                Safe to run again: an existing cluster is reused, and new code gets a new tag, so the
                pods roll; an unchanged checkout changes nothing.
  down          Delete the cluster and everything in it (scripts/k3d-down.sh).
  --dry-run     Print every command (docker, k3d, kubectl, helm, curl) instead of running it; needs
                none of those tools.
  --print-tag   Print the image tag for this checkout and exit: <appVersion>-<12-char commit>, plus
                -dirty-<8 hex of the uncommitted changes> when the work tree differs from the commit.

Needs Docker (a running engine with BuildKit), k3d 5.x, kubectl and helm 4 on PATH, and an internet
connection (base images, the k3s image, the helm release tarball, npm packages for the dashboard).
It cannot run on this project's CI or development machines: they have no container engine. There,
make test checks the charts with helm, runs the images' build steps without Docker, and runs this
script with --dry-run.

Environment:
  CLUSTER       k3d cluster name                          (default: storefleet)
  NAMESPACE     namespace of the platform                 (default: storefleet)
  K3S_IMAGE     k3s node image, Kubernetes >= 1.30        (default: rancher/k3s:v1.31.5-k3s1)
  IMAGE_TAG     tag of the images built here              (default: from the commit, see --print-tag)
  WAIT_SECONDS  how long each component may take          (default: 300)
  HELM_VERSION  helm put into the platform image          (default: 4.1.4)
  HELM_SHA256   its tarball's sha256                      (default: fetched from get.helm.sh next to the tarball)

Then open http://storefleet.127.0.0.1.nip.io/ (dashboard) and http://api.storefleet.127.0.0.1.nip.io/
(API); stores appear at http://<slug>.127.0.0.1.nip.io/. docs/operations.md has the details.
HELP
}

root=$(cd "$(dirname "$0")/.." && pwd)
cluster=${CLUSTER:-storefleet}
namespace=${NAMESPACE:-storefleet}
# Pinned: the k3s a k3d release defaults to may be older than the chart's minimum (1.30).
k3s_image=${K3S_IMAGE:-rancher/k3s:v1.31.5-k3s1}
wait_seconds=${WAIT_SECONDS:-300}
context="k3d-$cluster"

cmd=up
dry_run=false
for arg in "$@"; do
  case "$arg" in
    -h | --help | help) usage; exit 0 ;;
    --dry-run) dry_run=true ;;
    --print-tag) cmd=print-tag ;;
    up | down) cmd=$arg ;;
    *) echo "k3d-up: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

# The image tag: the chart's appVersion and the commit, so that every commit deploys new pods
# (nodes cache images by tag). Uncommitted changes add a hash of themselves: the same changes give
# the same tag (nothing rolls), different ones a new tag.
image_tag() {
  if [ -n "${IMAGE_TAG:-}" ]; then echo "$IMAGE_TAG"; return; fi
  git -C "$root" rev-parse --verify -q HEAD >/dev/null ||
    { echo "k3d-up: $root is not a git checkout with a commit: set IMAGE_TAG" >&2; exit 1; }
  local version sha changes
  version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$root/charts/storefleet/Chart.yaml")
  sha=$(git -C "$root" rev-parse --short=12 HEAD)
  if [ -z "$(git -C "$root" status --porcelain --untracked-files=all)" ]; then
    echo "$version-$sha"
    return
  fi
  # Tracked changes (staged or not) and the names and contents of untracked, not ignored files.
  changes=$(
    cd "$root"
    git diff HEAD --binary
    git ls-files -z --others --exclude-standard | xargs -0 -r sha256sum --
  )
  echo "$version-$sha-dirty-$(printf '%s' "$changes" | sha256sum | cut -c1-8)"
}

if [ "$cmd" = print-tag ]; then
  image_tag
  exit 0
fi
if [ "$cmd" = down ]; then
  if $dry_run; then exec "$root/scripts/k3d-down.sh" --dry-run; fi
  exec "$root/scripts/k3d-down.sh"
fi

# Runs a command, or only prints it with --dry-run.
run() {
  if $dry_run; then
    printf '+'; printf ' %q' "$@"; printf '\n'
  else
    "$@"
  fi
}

# Prints what a command answers; with --dry-run prints the command and answers the placeholder $1.
query() {
  local placeholder=$1
  shift
  if $dry_run; then
    { printf '+'; printf ' %q' "$@"; printf '\n'; } >&2
    printf '%s\n' "$placeholder"
  else
    "$@"
  fi
}

# Does the command succeed (quietly)? With --dry-run: prints it and answers no.
exists() {
  if $dry_run; then
    printf '+'; printf ' %q' "$@"; printf '\n'
    return 1
  fi
  "$@" >/dev/null 2>&1
}

# wait_for <what> <hint> <command...>: runs the command every 5 s until it succeeds, showing progress,
# for at most WAIT_SECONDS; then stops with a message that says where to look.
wait_for() {
  local what=$1 hint=$2
  shift 2
  if $dry_run; then run "$@"; return 0; fi
  local start now
  start=$(date +%s)
  printf 'waiting for %s ' "$what"
  until "$@" >/dev/null 2>&1; do
    now=$(date +%s)
    if [ $((now - start)) -ge "$wait_seconds" ]; then
      printf '\n' >&2
      echo "k3d-up: $what was not ready after ${wait_seconds}s (WAIT_SECONDS). Look at: $hint" >&2
      exit 1
    fi
    printf '.'
    sleep 5
  done
  printf ' ready (%ss)\n' "$(($(date +%s) - start))"
}

need() {
  $dry_run || command -v "$1" >/dev/null 2>&1 || { echo "k3d-up: $1 is required (see --help)" >&2; exit 1; }
}

for tool in git docker k3d kubectl helm curl; do need "$tool"; done
if ! $dry_run; then
  docker info >/dev/null 2>&1 || { echo "k3d-up: Docker is installed but its engine does not answer (is it running?)" >&2; exit 1; }
  helm version --short | grep -q '^v4\.' || { echo "k3d-up: helm 4 is required (found $(helm version --short))" >&2; exit 1; }
fi
tag=$(image_tag)
platform_image="storefleet/platform:$tag"
dashboard_image="storefleet/dashboard:$tag"
kc=(kubectl --context "$context")

echo "== cluster $cluster ($k3s_image)"
if exists k3d cluster get "$cluster"; then
  # Reused as it is (a second run). Started if it was stopped; refused if its k3s is too old.
  run k3d cluster start "$cluster" --wait --timeout "${wait_seconds}s"
  run k3d kubeconfig merge "$cluster" --kubeconfig-merge-default >/dev/null
  minor=$("${kc[@]}" get nodes -o 'jsonpath={.items[0].status.nodeInfo.kubeletVersion}' 2>/dev/null | sed -n 's/^v1\.\([0-9]*\)\..*/\1/p' || true)
  if [ -n "$minor" ] && [ "$minor" -lt 30 ]; then
    echo "k3d-up: cluster $cluster runs Kubernetes 1.$minor; the platform needs 1.30 or newer. Delete it (scripts/k3d-down.sh) and run this again." >&2
    exit 1
  fi
else
  # k3s ships Traefik (the ingress controller values-local.yaml expects), CoreDNS, the local-path
  # storage class and a NetworkPolicy controller; the load balancer publishes 80/443 on this machine.
  run k3d cluster create "$cluster" --image "$k3s_image" --agents 1 \
    --port "80:80@loadbalancer" --port "443:443@loadbalancer" --wait --timeout "${wait_seconds}s"
fi
wait_for "the nodes" "${kc[*]} get nodes; docker ps --filter name=k3d-$cluster" \
  "${kc[@]}" wait --for=condition=Ready nodes --all --timeout=5s
wait_for "CoreDNS" "${kc[*]} -n kube-system get pods -l k8s-app=kube-dns" \
  "${kc[@]}" -n kube-system rollout status deployment/coredns --timeout=5s
# k3s installs Traefik with a helm-install Job a little after the node is up: the Deployment may not exist yet.
wait_for "Traefik" "${kc[*]} -n kube-system get jobs,pods | grep -i traefik" \
  "${kc[@]}" -n kube-system rollout status deployment/traefik --timeout=5s

echo "== images $tag"
case "$(query x86_64 docker info --format '{{.Architecture}}')" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "k3d-up: unsupported architecture (amd64 or arm64)" >&2; exit 1 ;;
esac
helm_version=${HELM_VERSION:-4.1.4}
helm_sha256=${HELM_SHA256:-}
if [ -z "$helm_sha256" ]; then
  # For a local cluster, the checksum published next to the tarball; production builds pin it (images/platform/README.md).
  helm_sha256=$(query "<helm-sha256>" \
    curl -fsSL "https://get.helm.sh/helm-v${helm_version}-linux-${arch}.tar.gz.sha256sum" | awk '{print $1}')
fi
# BuildKit sets TARGETARCH to the engine's architecture, the k3d nodes' too (the Dockerfiles refuse
# to build without it); .dockerignore keeps this checkout's build output out of the context.
run env DOCKER_BUILDKIT=1 docker build -f "$root/images/platform/Dockerfile" \
  --build-arg "HELM_VERSION=$helm_version" --build-arg "HELM_SHA256=$helm_sha256" \
  -t "$platform_image" "$root"
images=("$platform_image")
dashboard_enabled=true
if [ -f "$root/dashboard/package.json" ]; then
  run env DOCKER_BUILDKIT=1 docker build -f "$root/images/dashboard/Dockerfile" -t "$dashboard_image" "$root"
  images+=("$dashboard_image")
else
  echo "k3d-up: no dashboard/package.json in this checkout: installing without the dashboard" >&2
  dashboard_enabled=false
fi
run k3d image import --cluster "$cluster" "${images[@]}"

echo "== platform in namespace $namespace"
if ! exists "${kc[@]}" get namespace "$namespace"; then
  run "${kc[@]}" create namespace "$namespace"
fi
# Every platform pod meets the restricted Pod Security profile: enforce it.
run "${kc[@]}" label namespace "$namespace" --overwrite pod-security.kubernetes.io/enforce=restricted
# No --wait: each component is waited for below, with progress and its own message.
run helm --kube-context "$context" upgrade --install storefleet "$root/charts/storefleet" --namespace "$namespace" \
  --values "$root/charts/storefleet/values-local.yaml" \
  --set "image.tag=$tag" --set "dashboard.image.tag=$tag" --set "dashboard.enabled=$dashboard_enabled" \
  --timeout 10m
components=(statefulset/storefleet-postgresql deployment/storefleet-redis deployment/storefleet-api deployment/storefleet-worker)
if [ "$dashboard_enabled" = true ]; then components+=(deployment/storefleet-dashboard); fi
for workload in "${components[@]}"; do
  name=${workload#*/storefleet-}
  wait_for "$name" "${kc[*]} -n $namespace describe $workload; ${kc[*]} -n $namespace logs $workload --all-containers --tail=50" \
    "${kc[@]}" -n "$namespace" rollout status "$workload" --timeout=5s
done

password=$(query "<admin password>" "${kc[@]}" -n "$namespace" get secret storefleet-generated -o 'jsonpath={.data.admin-password}' | { if $dry_run; then cat; else base64 -d; fi })
cat <<DONE

Storefleet $tag is up.
  Dashboard: http://storefleet.127.0.0.1.nip.io/   (sign in: admin@storefleet.local / $password)
  API:       http://api.storefleet.127.0.0.1.nip.io/openapi/v1.json
  Stores:    http://<slug>.127.0.0.1.nip.io/
Tear down with: scripts/k3d-down.sh
DONE
if $dry_run; then echo "(dry run: the commands above were printed, none was run)"; fi
