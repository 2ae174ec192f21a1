#!/usr/bin/env bash
# Stops the local cluster cluster/up.sh started and removes what it left on the machine: every pod (containers, network
# namespaces, mounts), kube-proxy's and the cluster's iptables rules, the bridge, the cluster's RabbitMQ user and vhost,
# its Postgres role, database, pg_hba line and DNAT rule, and the cluster's data (etcd, kubelet, CNI addresses).
# Kept for the next start: certificates and the images in the cluster's containerd (--purge removes them too).
#   npm run cluster:down              # (= bash cluster/down.sh)
#   bash cluster/down.sh --purge      # also certificates, credentials and containerd's images
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$cluster_dir/lib/host-services.sh"
source "$repo_dir/scripts/lib/switches.sh"

parse_switches down.sh 7 purge=--purge -- "$@"
[[ $EUID -eq 0 ]] || die "needs root"
[[ -s "$cache/toolchain.env" ]] && source "$cache/toolchain.env"

for name in keda-webhooks keda-adapter keda-operator coredns kube-proxy kubelet; do stop_process "$name"; done

# Pods: kill every container the kubelet left, then the sandboxes' network namespaces and the mounts.
if [[ -S "$containerd_socket" ]]; then
  for task in $(ctr --address "$containerd_socket" -n k8s.io tasks ls -q 2>/dev/null); do
    ctr --address "$containerd_socket" -n k8s.io tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true
  done
  sleep 1
  for task in $(ctr --address "$containerd_socket" -n k8s.io tasks ls -q 2>/dev/null); do
    ctr --address "$containerd_socket" -n k8s.io tasks delete -f "$task" >/dev/null 2>&1 || true
  done
  for container in $(ctr --address "$containerd_socket" -n k8s.io containers ls -q 2>/dev/null); do
    ctr --address "$containerd_socket" -n k8s.io containers delete "$container" >/dev/null 2>&1 || true
  done
fi
stop_process containerd
for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
  # Only the sandboxes' namespaces (containerd names them cni-<uuid>) holding an address of the pod network.
  [[ "$ns" == cni-* ]] && ip netns exec "$ns" ip -4 -o addr show 2>/dev/null | grep -F " ${gateway%.*}." >/dev/null && ip netns delete "$ns" || true
done
for mount_root in "$state/kubelet" "$run_dir"; do
  { grep -E " $mount_root(/| )" /proc/mounts || true; } | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
done

stop_process kube-scheduler
stop_process kube-controller-manager
stop_process kube-apiserver
stop_process etcd
stop_process fauxqs

# Network state: kube-proxy's rules (its own cleanup), the cluster's FORWARD chain, the bridge.
[[ -n "${K8S_BIN:-}" && -x "$K8S_BIN/kube-proxy" ]] && "$K8S_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
if iptables -L "$forward_chain" -n >/dev/null 2>&1; then
  iptables -D FORWARD -j "$forward_chain" 2>/dev/null || true
  iptables -F "$forward_chain" && iptables -X "$forward_chain"
fi
# The kubelet's own chain (kube-proxy --cleanup leaves it).
for ipt in iptables ip6tables; do
  if "$ipt" -S KUBE-FIREWALL >/dev/null 2>&1; then
    "$ipt" -D INPUT -j KUBE-FIREWALL 2>/dev/null || true
    "$ipt" -D OUTPUT -j KUBE-FIREWALL 2>/dev/null || true
    "$ipt" -F KUBE-FIREWALL && "$ipt" -X KUBE-FIREWALL
  fi
done
if ip link show "$bridge" >/dev/null 2>&1; then ip link delete "$bridge"; fi

teardown_rabbitmq
teardown_postgres

rm -rf "$state/etcd" "$state/kubelet" "$state/cni/ipam" "$run_dir" "$state/pods"
# Cgroups the kubelet made (empty once every container is gone).
for controller in /sys/fs/cgroup/*/; do
  [[ -d "$controller/kubepods" ]] && find "$controller/kubepods" -depth -type d -exec rmdir {} + 2>/dev/null || true
done
if [[ -n "$purge" ]]; then
  rm -rf "$state"
fi
log "down"
