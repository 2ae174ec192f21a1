# Certificates and kubeconfigs of the local cluster, made with openssl once per state directory (sourced by up.sh).
#   ca            signs every serving and client certificate of the cluster
#   front-proxy   the aggregation layer: the API server's client certificate towards KEDA's metrics API server,
#                 trusted through --requestheader-client-ca-file
#   sa            the service-account token signing key pair
#   keda          KEDA's operator ⇄ metrics API server gRPC (mutual TLS) and the metrics API server's serving certificate

# new_ca NAME CN
new_ca() {
  [[ -s "$pki/$1.crt" ]] && return 0
  openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 3650 -subj "/CN=$2" \
    -keyout "$pki/$1.key" -out "$pki/$1.crt" 2>/dev/null
}

# new_cert NAME CA SUBJECT USAGE [SAN]: USAGE is client, server or both; SAN like "DNS:localhost,IP:127.0.0.1".
new_cert() {
  local name="$1" ca="$2" subject="$3" usage="$4" san="${5:-}" ext="$pki/$1.ext"
  [[ -s "$pki/$name.crt" ]] && return 0
  case "$usage" in
    client) echo "extendedKeyUsage=clientAuth" >"$ext" ;;
    server) echo "extendedKeyUsage=serverAuth" >"$ext" ;;
    both) echo "extendedKeyUsage=serverAuth,clientAuth" >"$ext" ;;
  esac
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"; } >>"$ext"
  [[ -n "$san" ]] && echo "subjectAltName=$san" >>"$ext"
  openssl req -new -nodes -newkey rsa:2048 -subj "$subject" -keyout "$pki/$name.key" -out "$pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/$ca.crt" -CAkey "$pki/$ca.key" -CAcreateserial -days 3650 -sha256 \
    -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$ext"
}

# new_kubeconfig FILE CERT_NAME
new_kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: qfn-local
  cluster:
    server: $apiserver_url
    certificate-authority: $pki/ca.crt
users:
- name: $2
  user:
    client-certificate: $pki/$2.crt
    client-key: $pki/$2.key
contexts:
- name: qfn-local
  context: { cluster: qfn-local, user: $2 }
current-context: qfn-local
EOF
}

make_pki() {
  mkdir -p "$pki" && chmod 700 "$pki"
  new_ca ca qfn-local-ca
  new_ca front-proxy-ca qfn-local-front-proxy-ca
  [[ -s "$pki/sa.key" ]] || {
    openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  }
  local svc="DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$cluster_domain"
  new_cert apiserver ca "/CN=kube-apiserver" server "$svc,DNS:localhost,IP:127.0.0.1,IP:$gateway,IP:${service_cidr%.0/*}.1"
  new_cert apiserver-kubelet-client ca "/O=system:masters/CN=kube-apiserver-kubelet-client" client
  new_cert front-proxy-client front-proxy-ca "/CN=front-proxy-client" client
  new_cert admin ca "/O=system:masters/CN=qfn-admin" client
  new_cert controller-manager ca "/CN=system:kube-controller-manager" client
  new_cert scheduler ca "/CN=system:kube-scheduler" client
  new_cert kubelet-client ca "/O=system:nodes/CN=system:node:$node_name" client
  new_cert kubelet-serving ca "/O=system:nodes/CN=system:node:$node_name" server "DNS:$node_name,DNS:localhost,IP:$gateway,IP:127.0.0.1"
  new_cert kube-proxy ca "/O=system:node-proxier/CN=system:kube-proxy" client
  # Host processes outside Kubernetes' own bootstrap RBAC: KEDA and CoreDNS get cluster-admin (see manifests/keda.yaml).
  new_cert keda-operator ca "/CN=keda-operator" client
  new_cert coredns ca "/CN=qfn-coredns" client
  local keda_names="DNS:keda-operator,DNS:keda-operator.keda,DNS:keda-operator.keda.svc,DNS:keda-operator.keda.svc.$cluster_domain"
  keda_names+=",DNS:keda-metrics-apiserver,DNS:keda-metrics-apiserver.keda,DNS:keda-metrics-apiserver.keda.svc"
  keda_names+=",DNS:keda-metrics-apiserver.keda.svc.$cluster_domain,DNS:localhost,IP:127.0.0.1,IP:$gateway"
  new_cert keda-tls ca "/CN=keda-operator" both "$keda_names"
  # KEDA reads ca.crt, tls.crt and tls.key from one directory (--cert-dir).
  mkdir -p "$state/keda-certs"
  cp "$pki/ca.crt" "$state/keda-certs/ca.crt"
  cp "$pki/keda-tls.crt" "$state/keda-certs/tls.crt"
  cp "$pki/keda-tls.key" "$state/keda-certs/tls.key"

  new_kubeconfig "$admin_kubeconfig" admin
  new_kubeconfig "$state/controller-manager.kubeconfig" controller-manager
  new_kubeconfig "$state/scheduler.kubeconfig" scheduler
  new_kubeconfig "$state/kubelet.kubeconfig" kubelet-client
  new_kubeconfig "$state/kube-proxy.kubeconfig" kube-proxy
  new_kubeconfig "$state/keda.kubeconfig" keda-operator
  new_kubeconfig "$state/coredns.kubeconfig" coredns
}
