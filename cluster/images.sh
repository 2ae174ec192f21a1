#!/usr/bin/env bash
# Builds the project's images (docker/Dockerfile per function, docker/migrate.Dockerfile) with the machine's Docker
# Engine and imports them into the local cluster's containerd, as qfn.local/qfn-<name>:<tag>. No registry is involved:
# install the chart with --set global.imageRegistry=qfn.local --set global.imageTag=<tag>.
# The build context is the committed tree (git archive HEAD), as a clean clone has it: work in progress in the checkout
# never reaches an image. --worktree builds from the checkout as it is instead.
#   bash cluster/images.sh [--tag cluster] [--worktree]  # build (Docker's cache makes a rebuild quick) and import
#   bash cluster/images.sh --retag cluster:cluster-b     # give an imported image set a second tag (a "new" release)
# Needs a running cluster (npm run cluster:up) and the base images (stand-ins: bash scripts/images/standins.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$cluster_dir/lib/images.sh"

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
tag=cluster retag="" only="" worktree=""
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --tag) tag="$2"; shift ;;
    --retag) retag="$2"; shift ;;
    --only) only="$2"; shift ;;
    --worktree) worktree=1 ;;
    *) echo "images.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ -S "$containerd_socket" ]] || die "the cluster is not running (npm run cluster:up)"

context="$repo_dir"
if [[ -z "$worktree" && -z "$retag" ]]; then
  context="$cache/images-context"
  rm -rf "$context" && mkdir -p "$context"
  git -C "$repo_dir" archive --format=tar HEAD | tar -x -C "$context"
fi
# Every function of the tree (functions/<name>/package.json), then the migration image.
names=()
for dir in "$context"/functions/*/; do [[ -f "$dir/package.json" ]] && names+=("$(basename "$dir")"); done
names+=(migrate)
[[ -n "$only" ]] && names=("$only")

if [[ -n "$retag" ]]; then
  from="${retag%%:*}" to="${retag#*:}"
  for name in "${names[@]}"; do
    docker tag "qfn.local/qfn-$name:$from" "qfn.local/qfn-$name:$to"
    import_image "qfn.local/qfn-$name:$to"
  done
  exit 0
fi

started=$SECONDS
for name in "${names[@]}"; do
  image="qfn.local/qfn-$name:$tag"
  if [[ "$name" == migrate ]]; then
    docker build -q --network host -f "$context/docker/migrate.Dockerfile" -t "$image" "$context" >/dev/null
  else
    docker build -q --network host -f "$context/docker/Dockerfile" --build-arg "FUNCTION=$name" -t "$image" "$context" >/dev/null
  fi
  import_image "$image"
  log "image $image in the cluster"
done
log "images built and imported in $((SECONDS - started)) s"
