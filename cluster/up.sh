#!/usr/bin/env bash
# Starts a real single-node Kubernetes with real KEDA on this machine, from the toolchain cluster/build.sh built:
# etcd, kube-controller-manager, kube-scheduler (loopback), kube-apiserver (the gateway address, for pods too), a containerd of its own + CNI bridge,
# kubelet and kube-proxy (real pods), CoreDNS on the pod network's gateway, KEDA's operator and metrics API server
# (behind the aggregation layer as v1beta1.external.metrics.k8s.io) and admission webhooks, KEDA's CRDs; the machine's
# Postgres and RabbitMQ are opened to pods at the gateway with credentials of their own, and an SQS emulator runs there.
#   npm run cluster:up                  # (= bash cluster/up.sh) builds the toolchain first when a pin is not built
#   bash cluster/up.sh --print-env      # KUBECONFIG and the cluster's Secret values, for a shell or a test
# Then: export KUBECONFIG=/var/lib/qfn-cluster/admin.kubeconfig; kubectl at $(bash cluster/build.sh --env | grep K8S_BIN).
# Stop and clean up with npm run cluster:down. Logs: /var/lib/qfn-cluster/logs/<process>.log.
# Environment: QFN_CLUSTER_CACHE (toolchain, default /var/cache/qfn-cluster), QFN_CLUSTER_STATE (default /var/lib/qfn-cluster).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$cluster_dir/lib/pki.sh"
source "$cluster_dir/lib/config.sh"
source "$cluster_dir/lib/host-services.sh"
source "$cluster_dir/lib/images.sh"
source "$repo_dir/scripts/lib/switches.sh"

parse_switches up.sh 11 print_env=--print-env -- "$@"
[[ $EUID -eq 0 ]] || die "needs root (a kubelet, a containerd and network namespaces)"

if [[ -n "$print_env" ]]; then
  load_toolchain
  echo "KUBECONFIG=$admin_kubeconfig"
  echo "KUBECTL=$K8S_BIN/kubectl"
  echo "KUBE_API=$apiserver_url"
  echo "KUBE_CA=$pki/ca.crt"
  echo "KUBE_CLIENT_CERT=$pki/admin.crt"
  echo "KUBE_CLIENT_KEY=$pki/admin.key"
  print_cluster_credentials
  exit 0
fi

started=$SECONDS
bash "$cluster_dir/build.sh"
load_toolchain
mkdir -p "$state" "$logs" "$pids" "$run_dir"

# --- Pod network: the bridge exists before anything binds its gateway address ------------------------------------------
if ! ip link show "$bridge" >/dev/null 2>&1; then
  ip link add "$bridge" type bridge
fi
ip addr show dev "$bridge" | grep -F "inet $gateway/" >/dev/null || ip addr add "$gateway/${pod_cidr#*/}" dev "$bridge"
ip link set "$bridge" up
# This host reaches Services (kube-proxy's DNAT) from the gateway address, never through eth0.
ip route replace "$service_cidr" dev "$bridge" src "$gateway"
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
# Pod traffic goes to other pods and to this host, nowhere else.
iptables -N "$forward_chain" 2>/dev/null || iptables -F "$forward_chain"
iptables -A "$forward_chain" -s "$pod_cidr" -d "$pod_cidr" -j RETURN
iptables -A "$forward_chain" -s "$pod_cidr" -j DROP
iptables -C FORWARD -j "$forward_chain" 2>/dev/null || iptables -I FORWARD 1 -j "$forward_chain"

make_pki
write_configs
make_credentials
setup_postgres
setup_rabbitmq
start_fauxqs

# --- Control plane ------------------------------------------------------------------------------------------------------
start_process etcd "$ETCD_BIN/etcd" --name qfn --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_client_port" --advertise-client-urls "http://127.0.0.1:$etcd_client_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "qfn=http://127.0.0.1:$etcd_peer_port" --log-level warn
wait_for etcd 30 curl -fsS "http://127.0.0.1:$etcd_client_port/health"

start_process kube-apiserver "$K8S_BIN/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_client_port" \
  --bind-address "$gateway" --secure-port "$apiserver_port" --advertise-address "$gateway" \
  --endpoint-reconciler-type lease \
  --service-cluster-ip-range "$service_cidr" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --kubelet-client-certificate "$pki/apiserver-kubelet-client.crt" --kubelet-client-key "$pki/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority "$pki/ca.crt" --kubelet-preferred-address-types InternalIP \
  --service-account-issuer "https://kubernetes.default.svc.$cluster_domain" \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --authorization-mode Node,RBAC \
  --requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
  --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
  --requestheader-extra-headers-prefix X-Remote-Extra- \
  --proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
  --enable-aggregator-routing=true \
  --profiling=false
wait_for kube-apiserver 90 kubectl_admin get --raw /readyz

start_process kube-controller-manager "$K8S_BIN/kube-controller-manager" \
  --kubeconfig "$state/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$state/controller-manager.kubeconfig" --authorization-kubeconfig "$state/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --leader-elect=false \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" --use-service-account-credentials \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --service-cluster-ip-range "$service_cidr" --profiling=false
start_process kube-scheduler "$K8S_BIN/kube-scheduler" \
  --kubeconfig "$state/scheduler.kubeconfig" \
  --authentication-kubeconfig "$state/scheduler.kubeconfig" --authorization-kubeconfig "$state/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --leader-elect=false --profiling=false

# --- Node -----------------------------------------------------------------------------------------------------------------
start_process containerd containerd --config "$state/containerd.toml"
wait_for containerd 30 ctr --address "$containerd_socket" version
load_pause_image

start_process kubelet "$K8S_BIN/kubelet" --config "$state/kubelet.yaml" --kubeconfig "$state/kubelet.kubeconfig" \
  --root-dir "$state/kubelet" --hostname-override "$node_name" --node-ip "$gateway"
start_process kube-proxy "$K8S_BIN/kube-proxy" --config "$state/kube-proxy.yaml"
start_process coredns "$COREDNS_BIN/coredns" -conf "$state/Corefile"
wait_for "node $node_name Ready" 120 bash -c "'$K8S_BIN/kubectl' --kubeconfig '$admin_kubeconfig' get node $node_name -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"

# --- KEDA -----------------------------------------------------------------------------------------------------------------
kubectl_admin apply --server-side -f "$KEDA_CRDS" >/dev/null
kubectl_admin wait --for condition=established --timeout 60s -f "$KEDA_CRDS" >/dev/null
sed -e "s/@GATEWAY@/$gateway/g" -e "s/@ADAPTER_PORT@/$keda_adapter_port/g" -e "s#@CA_BUNDLE@#$(base64 -w0 "$pki/ca.crt")#g" \
  "$cluster_dir/manifests/keda.yaml" | kubectl_admin apply --server-side -f - >/dev/null
# KEDA's operator resolves Service names (an external-push trigger's scalerAddress, <svc>.<ns>.svc.cluster.local) through
# cluster DNS: it runs in a mount namespace of its own whose /etc/resolv.conf names CoreDNS on the gateway.
echo "nameserver $gateway" | write_file "$state/keda-resolv.conf"
keda_dns=(unshare --mount --propagation private sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' "$state/keda-resolv.conf")
keda_env=(env WATCH_NAMESPACE= POD_NAMESPACE=keda KEDA_CLUSTER_OBJECT_NAMESPACE=keda KUBECONFIG="$state/keda.kubeconfig")
start_process keda-operator "${keda_dns[@]}" "${keda_env[@]}" "$KEDA_BIN/keda-operator" --leader-elect=false --zap-log-level=info \
  --metrics-bind-address 127.0.0.1:18080 --health-probe-bind-address 127.0.0.1:18081 \
  --metrics-service-bind-address "127.0.0.1:$keda_grpc_port" --cert-dir "$state/keda-certs" --enable-cert-rotation=false \
  --enable-webhook-patching=false --ca-dir "$state/keda-certs"
start_process keda-adapter "${keda_env[@]}" "$KEDA_BIN/keda-adapter" \
  --secure-port "$keda_adapter_port" --bind-address "$gateway" --port 18082 \
  --cert-dir "$state/keda-certs" --tls-cert-file "$state/keda-certs/tls.crt" --tls-private-key-file "$state/keda-certs/tls.key" \
  --client-ca-file "$pki/ca.crt" --kubeconfig "$state/keda.kubeconfig" --lister-kubeconfig "$state/keda.kubeconfig" \
  --authentication-kubeconfig "$state/keda.kubeconfig" --authorization-kubeconfig "$state/keda.kubeconfig" \
  --metrics-service-address "127.0.0.1:$keda_grpc_port" --metrics-service-grpc-authority keda-operator.keda.svc \
  --zap-log-level=info
start_process keda-webhooks "${keda_env[@]}" "$KEDA_BIN/keda-webhooks" --zap-log-level=info \
  --metrics-bind-address 127.0.0.1:18083 --health-probe-bind-address 127.0.0.1:18084 \
  --cert-dir "$state/keda-certs" --port 9443
wait_for "KEDA external metrics API" 120 kubectl_admin get --raw /apis/external.metrics.k8s.io/v1beta1

log "up in $((SECONDS - started)) s: export KUBECONFIG=$admin_kubeconfig; kubectl: $K8S_BIN/kubectl"
