# Configuration files of the node's processes (sourced by up.sh; rewritten on every start, so a changed setting applies).

# write_file FILE < content: replaces FILE only when the content differs (kube-proxy exits when its file changes).
write_file() {
  local tmp="$1.new"
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else mv "$tmp" "$1"; fi
}

write_configs() {
  mkdir -p "$state/cni/net.d" "$state/cni/ipam" "$state/containerd" "$run_dir/containerd" "$state/kubelet"

  # A containerd of the cluster's own (root, state, socket): Docker's containerd is left alone.
  write_file "$state/containerd.toml" <<EOF
version = 2
root = "$state/containerd"
state = "$run_dir/containerd/state"
[grpc]
  address = "$containerd_socket"
[ttrpc]
  address = "$containerd_socket.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$state/containerd-opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  enable_selinux = false
  # This VM gives root every capability but CAP_SYS_RESOURCE, so no process may lower its oom_score_adj: the kubelet's
  # -998 for pod sandboxes fails in runc ("failed to update /proc/self/oom_score_adj: Permission denied"). Clamp
  # instead to containerd's own score (0), as rootless containerd does.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    discard_unpacked_layers = false
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
    max_conf_num = 1
EOF

  # One bridge, host-local addresses, no masquerading: pods talk to each other and to the gateway (this host), nothing else.
  write_file "$state/cni/net.d/10-qfn.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "qfn",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$pod_cidr", "gateway": "$gateway" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$state/cni/ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF

  # Pods resolve through CoreDNS on the gateway; names outside the cluster do not resolve (nothing is forwarded).
  echo "nameserver $gateway" | write_file "$state/resolv.conf"

  write_file "$state/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $gateway
port: 10250
healthzBindAddress: 127.0.0.1
healthzPort: 10248
readOnlyPort: 0
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $pki/ca.crt }
authorization:
  mode: Webhook
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
containerRuntimeEndpoint: unix://$containerd_socket
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDomain: $cluster_domain
clusterDNS: [$gateway]
resolvConf: $state/resolv.conf
podCIDR: $pod_cidr
maxPods: 60
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: "200Mi", nodefs.available: "2%", imagefs.available: "2%" }
shutdownGracePeriod: 0s
protectKernelDefaults: false
makeIPTablesUtilChains: false
localStorageCapacityIsolation: true
EOF

  write_file "$state/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: { kubeconfig: $state/kube-proxy.kubeconfig }
hostnameOverride: $node_name
clusterCIDR: $pod_cidr
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
conntrack: { maxPerCore: 0 }
iptables: { localhostNodePorts: false }
nodePortAddresses: [$gateway/32]
EOF

  write_file "$state/Corefile" <<EOF
$cluster_domain:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $gateway
    errors
    kubernetes $cluster_domain in-addr.arpa ip6.arpa {
        kubeconfig $state/coredns.kubeconfig qfn-local
        pods insecure
    }
    cache 5
}
.:53 {
    bind $gateway
    template ANY ANY {
        rcode NXDOMAIN
    }
}
EOF
}
