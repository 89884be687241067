#!/usr/bin/env bash
# Starts a local Kubernetes control plane with KWOK-simulated nodes, all on free
# 127.0.0.1 ports, using the tools from scripts/tools/build.sh:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok.
#
# Usage: scripts/cluster/up.sh [--nodes N] [--real-node]     (default 3 nodes)
#   --real-node  also ready the apiserver for a real kubelet (scripts/node/up.sh): it
#                reaches kubelets by InternalIP, with the admin client certificate
# State, logs, pids and the kubeconfig (context spark-local) live in
# $SPARK_LOCAL_CLUSTER_DIR (default .local/cluster); scripts/cluster/down.sh removes them.
# If a healthy cluster already runs there, it says so and exits 0.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../lib.sh"

NODES=3
REAL_NODE=0
while (($#)); do
  case "$1" in
    --nodes) NODES="${2:-}"; shift 2 || die "--nodes needs a number" ;;
    --nodes=*) NODES="${1#*=}"; shift ;;
    --real-node) REAL_NODE=1; shift ;;
    -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (usage: up.sh [--nodes N] [--real-node])" ;;
  esac
done
[[ "$NODES" =~ ^[0-9]+$ ]] || die "--nodes must be a whole number, got '$NODES'"

for cmd in openssl curl python3; do
  command -v "$cmd" >/dev/null || die "$cmd is required"
done
for bin in "${CLUSTER_COMPONENTS[@]}" kubectl; do
  [[ -x "$TOOLS_BIN/$bin" ]] || die "$TOOLS_BIN/$bin missing; run scripts/tools/build.sh"
done

PKI="$CLUSTER_DIR/pki"
LOGS="$CLUSTER_DIR/logs"

# curl for our own loopback endpoints: never through a proxy from the environment.
lcurl() {
  curl -fsS --noproxy '*' --max-time 2 "$@"
}

apiserver_ready() {
  lcurl --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "$(<"$CLUSTER_DIR/server")/readyz" >/dev/null
}

cluster_healthy() {
  local name
  [[ -f "$KUBECONFIG_FILE" && -f "$CLUSTER_DIR/server" ]] || return 1
  for name in "${CLUSTER_COMPONENTS[@]}" "${CLUSTER_HELPERS[@]}"; do
    pid_of "$name" >/dev/null || return 1
  done
  apiserver_ready
}

if cluster_healthy; then
  log "cluster already up in $CLUSTER_DIR ($(kubectl get nodes --no-headers 2>/dev/null | wc -l) nodes)"
  echo "KUBECONFIG=$KUBECONFIG_FILE"
  exit 0
fi
if [[ -e "$CLUSTER_DIR" ]]; then
  # Left over from a crash or a reboot: nothing in it is worth keeping.
  log "stale cluster state in $CLUSTER_DIR; cleaning it up"
  stop_cluster
  remove_cluster_dir
fi

start="$(now_ms)"
# The log to show if startup fails: the component being started or waited for.
CURRENT_LOG=""
on_exit() {
  local rc=$?
  ((rc == 0)) && return
  log "startup failed (exit $rc); stopping what was started"
  show_failed_log "$rc"
  stop_cluster
  # Keep the logs for a post-mortem, drop everything else (a next up.sh starts clean).
  if [[ -d "$LOGS" ]]; then
    local keep
    keep="$(mktemp -d)"
    mv "$LOGS" "$keep/logs"
    remove_cluster_dir
    mkdir -p "$CLUSTER_DIR"
    touch "$CLUSTER_DIR/.spark-local-cluster"
    mv "$keep/logs" "$LOGS"
    rmdir "$keep"
    log "logs kept in $LOGS"
  fi
}
trap on_exit EXIT
# Turn signals into exits so the EXIT trap also runs for them.
trap 'exit 130' INT
trap 'exit 143' TERM

# Private keys and etcd data inside: owner only (etcd warns otherwise).
mkdir -p "$(dirname "$CLUSTER_DIR")"
mkdir -m 700 "$CLUSTER_DIR" "$CLUSTER_DIR/etcd"
mkdir -p "$PKI" "$LOGS" "$CLUSTER_DIR/pids"
touch "$CLUSTER_DIR/.spark-local-cluster"

# --- Certificates: one CA signs the apiserver's serving cert and the admin client cert.
openssl_quiet() {
  openssl "$@" 2>>"$LOGS/openssl.log"
}
# ECDSA P-256 keys: generated in milliseconds, where RSA takes seconds on a busy machine.
EC=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1)
CURRENT_LOG="$LOGS/openssl.log"
openssl_quiet req -x509 "${EC[@]}" -nodes -days 365 -subj "/CN=spark-local-ca" \
  -keyout "$PKI/ca.key" -out "$PKI/ca.crt"
# sign NAME SUBJECT EXTENSIONS: a key and a CA-signed certificate in $PKI/NAME.{key,crt}.
sign() {
  openssl_quiet req -new "${EC[@]}" -nodes -subj "$2" \
    -keyout "$PKI/$1.key" -out "$PKI/$1.csr"
  openssl_quiet x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -CAcreateserial -days 365 -extfile <(printf '%s\n' "$3") -out "$PKI/$1.crt"
  rm -f "$PKI/$1.csr"
}
# In-cluster names and the first service IP too, so pods could reach it by those names.
sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
# O=system:masters: full rights without any RBAC setup.
sign admin "/O=system:masters/CN=spark-local-admin" "basicConstraints=CA:FALSE
keyUsage=digitalSignature
extendedKeyUsage=clientAuth"
# The aggregation layer's client: the apiserver calling an extension API server (KEDA's
# external metrics server on the real nodes) with the user in X-Remote-* headers, which that
# server believes only from a certificate of this name (--requestheader-allowed-names).
sign front-proxy-client "/CN=front-proxy-client" "basicConstraints=CA:FALSE
keyUsage=digitalSignature
extendedKeyUsage=clientAuth"
# Service-account tokens are signed with this pair.
openssl_quiet genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$PKI/sa.key"
openssl_quiet pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"
chmod 600 "$PKI"/*.key

# --- Ports: all distinct, all on loopback.
ports="$(free_ports 6)"
mapfile -t PORTS <<<"$ports"
ETCD_PORT="${PORTS[0]}" ETCD_PEER_PORT="${PORTS[1]}" API_PORT="${PORTS[2]}"
KCM_PORT="${PORTS[3]}" SCHED_PORT="${PORTS[4]}" KWOK_PORT="${PORTS[5]}"
SERVER="https://127.0.0.1:$API_PORT"
echo "$SERVER" >"$CLUSTER_DIR/server"

b64() { base64 -w0 <"$1"; }
cat >"$KUBECONFIG_FILE" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: spark-local
  cluster:
    server: $SERVER
    certificate-authority-data: $(b64 "$PKI/ca.crt")
users:
- name: spark-local-admin
  user:
    client-certificate-data: $(b64 "$PKI/admin.crt")
    client-key-data: $(b64 "$PKI/admin.key")
contexts:
- name: spark-local
  context:
    cluster: spark-local
    user: spark-local-admin
current-context: spark-local
EOF
chmod 600 "$KUBECONFIG_FILE"

# launch NAME ARGS...: starts a control-plane component from .tools/bin (lib.sh's launch_in).
launch() {
  launch_in "$CLUSTER_DIR" "$1" "$TOOLS_BIN/$1" "${@:2}"
}

# wait_component NAME TIMEOUT CHECK...: waits for CHECK while the component stays up.
wait_component() {
  wait_up "$CLUSTER_DIR" "$@"
}

healthz() {
  lcurl --cacert "$PKI/ca.crt" "https://127.0.0.1:$1/healthz"
}

launch etcd \
  --name spark-local \
  --data-dir "$CLUSTER_DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "spark-local=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync \
  --log-level warn
# --unsafe-no-fsync: throwaway test data; fsync per write makes the API slow on CI disks.
wait_component etcd 30 lcurl "http://127.0.0.1:$ETCD_PORT/health"

# --requestheader-*: published for the controller-manager and scheduler (which otherwise
# log errors about a missing front-proxy CA every few seconds) and for extension API servers;
# --proxy-client-*: the certificate the aggregation layer presents to them.
# --endpoint-reconciler-type=none: endpoints may not hold loopback addresses, so the
# apiserver would fail forever to publish itself in the `kubernetes` Service.
# A real kubelet (logs, exec, port-forward) is reached at its InternalIP (its hostname
# resolves nowhere) and admits clients signed by this CA.
kubelet_args=()
if ((REAL_NODE)); then
  kubelet_args=(--kubelet-preferred-address-types InternalIP
    --kubelet-client-certificate "$PKI/admin.crt" --kubelet-client-key "$PKI/admin.key")
fi
launch kube-apiserver \
  --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
  --bind-address 127.0.0.1 \
  --advertise-address 127.0.0.1 \
  --secure-port "$API_PORT" \
  --tls-cert-file "$PKI/apiserver.crt" \
  --tls-private-key-file "$PKI/apiserver.key" \
  --client-ca-file "$PKI/ca.crt" \
  --requestheader-client-ca-file "$PKI/ca.crt" \
  --requestheader-username-headers X-Remote-User \
  --requestheader-group-headers X-Remote-Group \
  --requestheader-extra-headers-prefix X-Remote-Extra- \
  --requestheader-allowed-names front-proxy-client \
  --proxy-client-cert-file "$PKI/front-proxy-client.crt" \
  --proxy-client-key-file "$PKI/front-proxy-client.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$PKI/sa.pub" \
  --service-account-signing-key-file "$PKI/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 \
  --authorization-mode RBAC \
  --allow-privileged=true \
  --endpoint-reconciler-type none \
  "${kubelet_args[@]}" \
  --profiling=false
wait_component kube-apiserver 60 apiserver_ready

# Both use the admin kubeconfig: a local test cluster needs no per-component identities.
# They serve /healthz with the apiserver's loopback certificate (none written elsewhere).
# A higher client rate limit for the controller-manager: its default (20 qps) spaces the
# start of its ~40 controllers out, so the "default" ServiceAccount came 4 s later.
# Single instances, so no leader election (which would also delay a restart by a lease).
# The in-tree hostPath provisioner backs the default StorageClass created below, as
# minikube's does: claims bind (to directories under /tmp/hostpath_pv on this machine).
launch kube-controller-manager \
  --kubeconfig "$KUBECONFIG_FILE" \
  --authentication-kubeconfig "$KUBECONFIG_FILE" \
  --authorization-kubeconfig "$KUBECONFIG_FILE" \
  --bind-address 127.0.0.1 \
  --secure-port "$KCM_PORT" \
  --tls-cert-file "$PKI/apiserver.crt" \
  --tls-private-key-file "$PKI/apiserver.key" \
  --service-account-private-key-file "$PKI/sa.key" \
  --root-ca-file "$PKI/ca.crt" \
  --cluster-signing-cert-file "$PKI/ca.crt" \
  --cluster-signing-key-file "$PKI/ca.key" \
  --use-service-account-credentials=true \
  --kube-api-qps 200 \
  --kube-api-burst 400 \
  --enable-hostpath-provisioner=true \
  --leader-elect=false \
  --profiling=false
# The in-tree provisioner makes each claim's directory root's, mode 0750 (pkg/volume/hostpath),
# and Spark runs as UID 185: a master on its recovery claim could not write it. minikube's
# provisioner makes them 0777; this loop does the same to each new directory, within half a
# second (a pod starting before that fails its check once and is restarted by the kubelet).
# The directory is the provisioner's own, shared by every local cluster on this machine.
HOSTPATH_PV_ROOT=/tmp/hostpath_pv
# shellcheck disable=SC2016 # expanded by the inner bash
launch_in "$CLUSTER_DIR" hostpath-perms /bin/bash -c \
  'mkdir -p "$1"; while :; do find "$1" -mindepth 1 -maxdepth 1 -type d ! -perm 0777 -exec chmod 0777 {} + 2>/dev/null; sleep 0.5; done' \
  hostpath-perms "$HOSTPATH_PV_ROOT" "$CLUSTER_DIR"
launch kube-scheduler \
  --kubeconfig "$KUBECONFIG_FILE" \
  --authentication-kubeconfig "$KUBECONFIG_FILE" \
  --authorization-kubeconfig "$KUBECONFIG_FILE" \
  --bind-address 127.0.0.1 \
  --secure-port "$SCHED_PORT" \
  --tls-cert-file "$PKI/apiserver.crt" \
  --tls-private-key-file "$PKI/apiserver.key" \
  --leader-elect=false \
  --profiling=false
wait_component kube-controller-manager 60 healthz "$KCM_PORT"
wait_component kube-scheduler 60 healthz "$SCHED_PORT"

# kwok only manages nodes annotated as fake, so a real kubelet could join later. Its
# stages (from build.sh) make nodes Ready with lease heartbeats and pods Running quickly.
stage_args=()
for f in "$TOOLS_DIR/kwok-stages"/*.yaml; do
  [[ -f "$f" ]] && stage_args+=(--config "$f")
done
((${#stage_args[@]})) || die "no kwok stages in $TOOLS_DIR/kwok-stages; run scripts/tools/build.sh kwok"
launch kwok \
  --kubeconfig "$KUBECONFIG_FILE" \
  --manage-all-nodes=false \
  --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds 40 \
  --cidr 10.244.0.0/16 \
  --server-address "127.0.0.1:$KWOK_PORT" \
  "${stage_args[@]}"
wait_component kwok 30 lcurl "http://127.0.0.1:$KWOK_PORT/healthz"

# --- Nodes, spread over zones zone-a, zone-b, ... round robin.
CURRENT_LOG="$LOGS/nodes.log"
zones=(zone-a zone-b zone-c)
{
  for ((i = 0; i < NODES; i++)); do
    name="kwok-node-$i"
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    topology.kubernetes.io/zone: ${zones[i % ${#zones[@]}]}
    type: kwok
spec: {}
status:
  # ephemeral-storage too: pods that request it never schedule on a node without it.
  capacity: &resources
    cpu: "4"
    memory: 16Gi
    pods: "110"
    ephemeral-storage: 100Gi
  allocatable: *resources
EOF
  done
} >"$CLUSTER_DIR/nodes.yaml"
if ((NODES > 0)); then
  kubectl create -f "$CLUSTER_DIR/nodes.yaml" >>"$CURRENT_LOG" 2>&1
  CURRENT_LOG="$LOGS/kwok.log"
  kubectl wait --for=condition=Ready node -l type=kwok --timeout=60s >>"$LOGS/nodes.log" 2>&1
  log "$NODES nodes ready (+$(since "$start"))"
fi

# Pods cannot be created in a namespace until its "default" ServiceAccount exists.
CURRENT_LOG="$LOGS/kube-controller-manager.log"
wait_for 60 'ServiceAccount default/default' kubectl -n default get serviceaccount default

# A default StorageClass, so PersistentVolumeClaims bind as on minikube (the History
# Server's event-log claim). Dev only: the directories are root's, on this one machine.
kubectl apply -f - >>"$CURRENT_LOG" 2>&1 <<'EOF'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/host-path
reclaimPolicy: Delete
volumeBindingMode: Immediate
EOF

log "cluster up in $(since "$start"): $NODES nodes, API $SERVER"
echo "KUBECONFIG=$KUBECONFIG_FILE"
