#!/usr/bin/env bash
# Installs a pinned Node.js release from its npm package (node-linux-<arch>@<version>: the official binary) into a cache
# folder outside the clone, and prints the folder holding `node`, `npm` and `npx`, for PATH:
#   PATH="$(bash scripts/machine/node.sh 24)${PATH:+:$PATH}" npm test      # the whole suite on Node 24
# The images run Node 24; CI runs `npm test` on the machine's Node 20 and on this one.
# Idempotent: a binary already there at the pinned version is kept. Cache: $QFN_NODE_CACHE (default ~/.cache/qfn-node).
set -euo pipefail

usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; }
# major → the exact release CI tests (bump it here, nowhere else)
declare -A pinned=([24]=24.22.3)

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") usage >&2; exit 2 ;;
esac
major="$1"
version="${pinned[$major]:-}"
if [[ -z "$version" ]]; then echo "node.sh: no pinned release for Node $major (pinned: ${!pinned[*]})" >&2; exit 2; fi

case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) echo "node.sh: unsupported machine $(uname -m)" >&2; exit 1 ;; esac
cache="${QFN_NODE_CACHE:-$HOME/.cache/qfn-node}"
prefix="$cache/node-$version-linux-$arch"
bin="$prefix/bin"

if [[ "$("$bin/node" --version 2>/dev/null || true)" != "v$version" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-$arch@$version" >/dev/null && npm pack --silent npm@11 >/dev/null)
  rm -rf "$prefix" && mkdir -p "$prefix/lib/node_modules/npm"
  tar -xzf "$work"/node-linux-"$arch"-*.tgz -C "$prefix" --strip-components=1 package/bin
  tar -xzf "$work"/npm-*.tgz -C "$prefix/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$bin/npx"
  chmod +x "$bin/node" "$prefix/lib/node_modules/npm/bin/"*-cli.js
  "$bin/node" --version >/dev/null
fi
echo "$bin"
