#!/usr/bin/env bash
# A local Storefleet on k3d: cluster, images, platform. See --help.
set -euo pipefail

usage() {
  cat <<'HELP'
Usage: scripts/k3d-up.sh [up|down|--help]

  up (default)  Create a k3d cluster "storefleet" (k3s with Traefik as the ingress controller, ports
                80/443 of this machine mapped to it), build the platform and dashboard images, import
                them into the cluster, and install charts/storefleet with values-local.yaml into the
                namespace "storefleet". Idempotent: run it again to rebuild and upgrade.
  down          Delete the cluster and everything in it.

Needs Docker (a running engine), k3d 5.x, kubectl and helm 4 on PATH, and an internet connection
(base images, the helm release tarball, npm packages for the dashboard build).
It cannot run on this project's CI or development machines: they have no container engine. There,
the platform chart is checked with `helm lint`/`helm template` by `make test` instead.

Environment:
  CLUSTER       k3d cluster name                 (default: storefleet)
  NAMESPACE     namespace of the platform        (default: storefleet)
  HELM_VERSION  helm put into the platform image (default: 4.1.4)
  HELM_SHA256   its tarball's sha256             (default: fetched from get.helm.sh next to the tarball)

Then open http://storefleet.127.0.0.1.nip.io/ (dashboard) and http://api.storefleet.127.0.0.1.nip.io/
(API); stores appear at http://<slug>.127.0.0.1.nip.io/. docs/operations.md has the details.
HELP
}

cmd=${1:-up}
case "$cmd" in
  -h | --help | help) usage; exit 0 ;;
  up | down) ;;
  *) usage >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cluster=${CLUSTER:-storefleet}
namespace=${NAMESPACE:-storefleet}
# The tags values-local.yaml expects (image.tag, dashboard.image.tag): never "latest".
platform_image=storefleet/platform:0.1.0-local
dashboard_image=storefleet/dashboard:0.1.0-local

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "k3d-up: $1 is required (see --help)" >&2; exit 1; }
}

if [ "$cmd" = down ]; then
  need k3d
  k3d cluster delete "$cluster"
  exit 0
fi

for tool in docker k3d kubectl helm; do need "$tool"; done
docker info >/dev/null 2>&1 || { echo "k3d-up: Docker is installed but its engine does not answer (is it running?)" >&2; exit 1; }
helm version --short | grep -q '^v4\.' || { echo "k3d-up: helm 4 is required (found $(helm version --short))" >&2; exit 1; }

echo "== cluster $cluster"
if ! k3d cluster list "$cluster" >/dev/null 2>&1; then
  # k3s ships Traefik (the ingress controller values-local.yaml expects), CoreDNS, the local-path
  # storage class and a NetworkPolicy controller; the load balancer publishes 80/443 on this machine.
  k3d cluster create "$cluster" --agents 1 \
    --port "80:80@loadbalancer" --port "443:443@loadbalancer" --wait
fi
kubectl config use-context "k3d-$cluster" >/dev/null
echo "waiting for Traefik"
kubectl -n kube-system rollout status deployment/traefik --timeout=300s 2>/dev/null \
  || { sleep 20; kubectl -n kube-system rollout status deployment/traefik --timeout=300s; }

echo "== images"
case "$(docker info --format '{{.Architecture}}')" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "k3d-up: unsupported architecture" >&2; exit 1 ;;
esac
helm_version=${HELM_VERSION:-4.1.4}
helm_sha256=${HELM_SHA256:-}
if [ -z "$helm_sha256" ]; then
  # For a local cluster, the checksum published next to the tarball; production builds pin it (images/platform/README.md).
  helm_sha256=$(curl -fsSL "https://get.helm.sh/helm-v${helm_version}-linux-${arch}.tar.gz.sha256sum" | awk '{print $1}')
fi
docker build -f "$root/images/platform/Dockerfile" \
  --build-arg "HELM_VERSION=$helm_version" --build-arg "HELM_SHA256=$helm_sha256" \
  -t "$platform_image" "$root"
images=("$platform_image")
dashboard_enabled=true
if [ -f "$root/dashboard/package.json" ]; then
  docker build -f "$root/images/dashboard/Dockerfile" -t "$dashboard_image" "$root"
  images+=("$dashboard_image")
else
  echo "k3d-up: no dashboard/package.json in this checkout: installing without the dashboard" >&2
  dashboard_enabled=false
fi
k3d image import --cluster "$cluster" "${images[@]}"

echo "== platform in namespace $namespace"
kubectl create namespace "$namespace" --dry-run=client -o yaml | kubectl apply -f -
# Every platform pod meets the restricted Pod Security profile: enforce it.
kubectl label namespace "$namespace" --overwrite pod-security.kubernetes.io/enforce=restricted >/dev/null
helm upgrade --install storefleet "$root/charts/storefleet" --namespace "$namespace" \
  --values "$root/charts/storefleet/values-local.yaml" \
  --set "dashboard.enabled=$dashboard_enabled" \
  --wait --timeout 10m

password=$(kubectl -n "$namespace" get secret storefleet-generated -o jsonpath='{.data.admin-password}' | base64 -d)
cat <<DONE

Storefleet is up.
  Dashboard: http://storefleet.127.0.0.1.nip.io/   (sign in: admin@storefleet.local / $password)
  API:       http://api.storefleet.127.0.0.1.nip.io/openapi/v1.json
  Stores:    http://<slug>.127.0.0.1.nip.io/
Tear down with: scripts/k3d-up.sh down
DONE
