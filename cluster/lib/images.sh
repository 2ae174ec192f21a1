# Images in the cluster's containerd (namespace k8s.io, where the kubelet's CRI looks). No registry is reachable here:
# images are built with the machine's Docker Engine and imported (docker save | ctr import), and the chart is installed
# with imagePullPolicy Never or IfNotPresent.

ctr_k8s() { ctr --address "$containerd_socket" --namespace k8s.io "$@"; }

# import_image NAME: copies Docker's image NAME into the cluster's containerd unless that image id was imported already
# (a marker per name in $state/images; containerd's content survives cluster:down, only --purge removes it).
import_image() {
  local name="$1" id marker
  id="$(docker image inspect -f '{{.Id}}' "$name")" || die "no Docker image $name"
  marker="$state/images/$(echo "$name" | tr '/:' '__')"
  [[ -s "$marker" && "$(cat "$marker")" == "$id" ]] && ctr_k8s images ls -q | grep -xF -e "docker.io/$name" -e "$name" >/dev/null && return 0
  docker save "$name" | ctr_k8s images import - >/dev/null
  mkdir -p "$state/images" && echo "$id" >"$marker"
}

load_pause_image() {
  docker image inspect "$PAUSE_IMAGE" >/dev/null 2>&1 ||
    docker build -q --network none -t "$PAUSE_IMAGE" "$PAUSE_BIN" >/dev/null
  import_image "$PAUSE_IMAGE"
}
