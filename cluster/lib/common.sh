# Shared settings and helpers of cluster/up.sh and cluster/down.sh (sourced, not run).
# Addresses: the control plane listens on loopback, but for the API server; the pod network is a bridge of this machine's
# own, whose gateway address (the host's side of the bridge) is where pods reach the node, the API server (the kubernetes
# Service's endpoint), the machine's Postgres/RabbitMQ, the SQS emulator and cluster DNS. Nothing is routed beyond the
# pod network (a FORWARD rule drops it).

cluster_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo_dir="$(cd "$cluster_dir/.." && pwd)"
cache="${QFN_CLUSTER_CACHE:-/var/cache/qfn-cluster}"
state="${QFN_CLUSTER_STATE:-/var/lib/qfn-cluster}"
run_dir=/run/qfn-cluster

node_name=qfn-node
bridge=qfn0
pod_cidr=10.244.0.0/24
gateway=10.244.0.1
service_cidr=10.96.0.0/24
cluster_domain=cluster.local

etcd_client_port=12379
etcd_peer_port=12380
apiserver_port=6443
# The API server listens on the gateway address only: this host and its pods reach it there (the kubernetes Service,
# 10.96.0.1:443, leads to it), nothing outside the machine does (the address exists on the bridge alone).
apiserver_url="https://$gateway:$apiserver_port"
keda_grpc_port=9666
keda_adapter_port=6444
fauxqs_port=14566
rabbitmq_user=qfn-cluster
rabbitmq_vhost=qfn-cluster
postgres_user=qfn_cluster
postgres_db=qfn_cluster

pki="$state/pki"
logs="$state/logs"
pids="$state/pids"
containerd_socket="$run_dir/containerd/containerd.sock"
admin_kubeconfig="$state/admin.kubeconfig"
forward_chain=QFN-CLUSTER-FORWARD
postgres_chain=QFN-CLUSTER-POSTGRES

# Debian's docker CLI has BuildKit built in; a newer CLI elsewhere on PATH may lack the buildx plugin.
if [[ -n "${DOCKER:-}" ]]; then docker_cli="$DOCKER"; elif [[ -x /usr/bin/docker ]]; then docker_cli=/usr/bin/docker; else docker_cli=docker; fi
docker() { DOCKER_BUILDKIT=1 "$docker_cli" "$@"; }

log() { echo "-- cluster: $*" >&2; }
die() { echo "cluster: $*" >&2; exit 1; }

# wait_for WHAT SECONDS COMMAND...: polls COMMAND every 0.5 s, at most SECONDS.
wait_for() {
  local what="$1" seconds="$2" i
  shift 2
  for ((i = 0; i < seconds * 2; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  die "$what not ready after ${seconds}s (logs: $logs)"
}

# start_process NAME COMMAND...: runs COMMAND in its own session, output to $logs/NAME.log, pid in $pids/NAME.pid.
start_process() {
  local name="$1"
  shift
  if [[ -s "$pids/$name.pid" ]] && kill -0 "$(cat "$pids/$name.pid")" 2>/dev/null; then
    log "$name already running (pid $(cat "$pids/$name.pid"))"
    return 0
  fi
  mkdir -p "$logs" "$pids"
  setsid "$@" >>"$logs/$name.log" 2>&1 </dev/null &
  echo $! >"$pids/$name.pid"
}

# stop_process NAME: SIGTERM, up to 15 s, then SIGKILL; only the pid this cluster recorded.
stop_process() {
  local name="$1" pid i
  [[ -s "$pids/$name.pid" ]] || return 0
  pid="$(cat "$pids/$name.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && { log "$name did not stop in 15 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; }
  fi
  rm -f "$pids/$name.pid"
}

kubectl_admin() { "$K8S_BIN/kubectl" --kubeconfig "$admin_kubeconfig" "$@"; }

load_toolchain() {
  [[ -s "$cache/toolchain.env" ]] || die "no toolchain in $cache: run 'bash cluster/build.sh' first"
  # shellcheck disable=SC1091
  source "$cache/toolchain.env"
  # The toolchain must be the one the current pins name (a changed pin means: build again).
  diff -q <(bash "$cluster_dir/build.sh" --env) "$cache/toolchain.env" >/dev/null ||
    die "the toolchain in $cache is not the one cluster/versions.env pins: run 'bash cluster/build.sh'"
}
