#!/usr/bin/env bash
# Builds the local test cluster's toolchain from pinned upstream releases (cluster/versions.env) into a cache outside the
# clone, and installs the Debian packages it runs on. Each part is rebuilt only when its pin (or wrapper go.mod/go.sum)
# changes; every binary's version, sha256 and build time is recorded in <cache>/TOOLCHAIN.txt.
#   bash cluster/build.sh            # build what is missing (a no-op when every pin is built)
#   bash cluster/build.sh --print    # print <cache>/TOOLCHAIN.txt (versions, sha256, build seconds)
#   bash cluster/build.sh --env      # print the shell variables cluster/up.sh reads (paths of the built binaries)
# Built from Go modules (the Go module proxy): Kubernetes kube-apiserver, kube-controller-manager, kube-scheduler,
#   kubelet, kube-proxy and kubectl (wrapper module cluster/toolchain/kubernetes: k8s.io/kubernetes replaces its staging
#   modules with local paths); KEDA's operator, metrics API server and admission webhooks, plus its CRDs (wrapper module
#   cluster/toolchain/keda, KEDA's replace directives copied); etcd (wrapper module cluster/toolchain/etcd: Kubernetes
#   1.34 wants etcd 3.5+, Debian has 3.4); CoreDNS; the pod sandbox ("pause") from cluster/pause.
# From Debian: containerd, runc, containernetworking-plugins, conntrack, socat (apt, services not started).
# Environment: QFN_CLUSTER_CACHE (default /var/cache/qfn-cluster), GOMAXPROCS (default 2), BUILD_NICE (default 15).
# A first build takes long (Kubernetes and KEDA are large; ~25–40 min on 2 cores); later runs take seconds.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${QFN_CLUSTER_CACHE:-/var/cache/qfn-cluster}"

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
mode=build
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    --print) mode=print ;;
    --env) mode=env ;;
    *) echo "build.sh: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

log() { echo "-- cluster build: $*" >&2; }
hash_of() { cat "$@" | sha256sum | cut -c1-12; }

# Where each part lives: a directory named by its pin and a hash of what else decides the binary (wrapper module, flags).
k8s_ldflags() {
  local flags="-s -w" pkg minor="${K8S_VERSION#v1.}"
  minor="${minor%%.*}"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitCommit=$K8S_GIT_COMMIT"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$flags"
}
keda_ldflags() { echo "-s -w -X github.com/kedacore/keda/v2/version.Version=${KEDA_VERSION#v} -X github.com/kedacore/keda/v2/version.GitCommit=release"; }
k8s_dir="$cache/bin/kubernetes-$K8S_VERSION-$(k8s_ldflags | hash_of "$here/toolchain/kubernetes/go.mod" "$here/toolchain/kubernetes/go.sum" -)"
keda_dir="$cache/bin/keda-$KEDA_VERSION-$(keda_ldflags | hash_of "$here/toolchain/keda/go.mod" "$here/toolchain/keda/go.sum" -)"
etcd_dir="$cache/bin/etcd-$ETCD_VERSION-$(echo "-s -w" | hash_of "$here/toolchain/etcd/go.mod" "$here/toolchain/etcd/go.sum" -)"
coredns_dir="$cache/bin/coredns-$COREDNS_VERSION"
pause_dir="$cache/bin/pause-$(hash_of "$here/pause/main.go" "$here/pause/go.mod" "$here/pause/Dockerfile")"

print_env() {
  cat <<EOF
QFN_CLUSTER_CACHE=$cache
K8S_VERSION=$K8S_VERSION
KEDA_VERSION=$KEDA_VERSION
COREDNS_VERSION=$COREDNS_VERSION
K8S_BIN=$k8s_dir
KEDA_BIN=$keda_dir
KEDA_CRDS=$keda_dir/crd
ETCD_BIN=$etcd_dir
COREDNS_BIN=$coredns_dir
PAUSE_BIN=$pause_dir
PAUSE_IMAGE=qfn.local/pause:$(basename "$pause_dir" | cut -d- -f2)
EOF
}
case "$mode" in
  print) cat "$cache/TOOLCHAIN.txt"; exit 0 ;;
  env) print_env; exit 0 ;;
esac

# --- Debian packages: installed without starting their services (a policy-rc.d that denies every start) -------------
apt_packages=(containerd runc containernetworking-plugins conntrack socat iptables openssl)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  policy=/usr/sbin/policy-rc.d
  [[ -e "$policy" ]] && { echo "build.sh: $policy exists; install ${missing[*]} yourself" >&2; exit 1; }
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2; }
  rm -f "$policy"
fi

# --- Go builds ------------------------------------------------------------------------------------------------------
export GOMAXPROCS="${GOMAXPROCS:-2}" CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false -mod=readonly"
nice_level="${BUILD_NICE:-15}"

# build_part DIR MODULE_DIR LDFLAGS NAME=PACKAGE...: builds each binary into DIR, timing each, then writes DIR/MANIFEST.
build_part() {
  local dir="$1" module="$2" ldflags="$3" version="$4"
  shift 4
  [[ -s "$dir/MANIFEST" ]] && { log "$(basename "$dir") is built"; return 0; }
  rm -rf "$dir.partial" && mkdir -p "$dir.partial"
  local spec name pkg start seconds
  for spec in "$@"; do
    name="${spec%%=*}" pkg="${spec#*=}"
    log "building $name ($pkg $version)"
    start=$SECONDS
    (cd "$module" && nice -n "$nice_level" go build -p 2 -ldflags="$ldflags" -o "$dir.partial/$name" "$pkg")
    seconds=$((SECONDS - start))
    echo "$name $version $(sha256sum "$dir.partial/$name" | cut -d' ' -f1) ${seconds}s $pkg" >>"$dir.partial/MANIFEST.partial"
  done
  mv "$dir.partial/MANIFEST.partial" "$dir.partial/MANIFEST"
  rm -rf "$dir" && mv "$dir.partial" "$dir"
}

build_part "$k8s_dir" "$here/toolchain/kubernetes" "$(k8s_ldflags)" "$K8S_VERSION" \
  kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver \
  kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager \
  kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler \
  kubelet=k8s.io/kubernetes/cmd/kubelet \
  kube-proxy=k8s.io/kubernetes/cmd/kube-proxy \
  kubectl=k8s.io/kubernetes/cmd/kubectl

if [[ ! -s "$keda_dir/MANIFEST" ]]; then
  build_part "$keda_dir" "$here/toolchain/keda" "$(keda_ldflags)" "$KEDA_VERSION" \
    keda-operator=github.com/kedacore/keda/v2/cmd/operator \
    keda-adapter=github.com/kedacore/keda/v2/cmd/adapter \
    keda-webhooks=github.com/kedacore/keda/v2/cmd/webhooks
  # KEDA's CRDs, from the same module version.
  keda_src="$(cd "$here/toolchain/keda" && go list -m -f '{{.Dir}}' github.com/kedacore/keda/v2)"
  mkdir -p "$keda_dir/crd" && cp "$keda_src"/config/crd/bases/*.yaml "$keda_dir/crd/"
fi

build_part "$etcd_dir" "$here/toolchain/etcd" "-s -w" "$ETCD_VERSION" etcd=go.etcd.io/etcd/server/v3

if [[ ! -s "$coredns_dir/MANIFEST" ]]; then
  # No replace directives upstream: go install takes the module as published (checked against the checksum database).
  rm -rf "$coredns_dir" && mkdir -p "$coredns_dir"
  log "building coredns $COREDNS_VERSION"
  start=$SECONDS
  GOFLAGS="-trimpath -buildvcs=false" GOBIN="$coredns_dir" nice -n "$nice_level" go install -p 2 -ldflags="-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
  echo "coredns $COREDNS_VERSION $(sha256sum "$coredns_dir/coredns" | cut -d' ' -f1) $((SECONDS - start))s github.com/coredns/coredns" >"$coredns_dir/MANIFEST"
fi

if [[ ! -s "$pause_dir/MANIFEST" ]]; then
  rm -rf "$pause_dir" && mkdir -p "$pause_dir"
  start=$SECONDS
  (cd "$here/pause" && go build -ldflags="-s -w" -o "$pause_dir/pause" .)
  cp "$here/pause/Dockerfile" "$pause_dir/Dockerfile"
  echo "pause local $(sha256sum "$pause_dir/pause" | cut -d' ' -f1) $((SECONDS - start))s cluster/pause" >"$pause_dir/MANIFEST"
fi

# --- Record what is in use ------------------------------------------------------------------------------------------
{
  echo "# qfn local cluster toolchain: name version sha256 build-time source (Go $(go env GOVERSION))"
  cat "$k8s_dir/MANIFEST" "$keda_dir/MANIFEST" "$etcd_dir/MANIFEST" "$coredns_dir/MANIFEST" "$pause_dir/MANIFEST"
  for p in containerd runc containernetworking-plugins; do
    echo "$p $(dpkg-query -W -f '${Version}' "$p") debian -"
  done
} >"$cache/TOOLCHAIN.txt"
print_env >"$cache/toolchain.env"
log "toolchain ready: $cache/TOOLCHAIN.txt"
