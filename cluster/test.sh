#!/usr/bin/env bash
# npm run test:cluster: builds the toolchain when a pin is not built, starts the local cluster, builds and imports the
# project's images, runs the cluster suite (test/cluster/*.cluster.ts, cluster/vitest.config.ts), then stops the cluster.
#   npm run test:cluster                       # the whole path, from nothing to cluster:down
#   QFN_CLUSTER_KEEP=1 npm run test:cluster    # leave the cluster running afterwards (for kubectl, logs, reruns)
#   npm run test:cluster -- rabbitmq           # only the files matching (vitest filters)
# Needs root, Docker (images; stand-in base images: bash scripts/images/standins.sh), Postgres and RabbitMQ as for npm test.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
case "${1:-}" in -h | --help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

started=$SECONDS
bash "$here/up.sh"
[[ -n "${QFN_CLUSTER_KEEP:-}" ]] || trap 'bash "$here/down.sh"' EXIT
up_seconds=$((SECONDS - started))
[[ -x "$here/../.tools/helm4/helm" ]] || bash "$here/../scripts/helm/install.sh"
bash "$here/images.sh"
echo "-- cluster: up (toolchain included) in ${up_seconds} s, images in $((SECONDS - started - up_seconds)) s"
cd "$here/.."
npx vitest run --config cluster/vitest.config.ts "$@"
