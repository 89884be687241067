#!/usr/bin/env bash
# Starts real Kubernetes nodes next to a running local control plane (scripts/cluster/up.sh
# --real-node, state in $SPARK_LOCAL_CLUSTER_DIR): a CNI bridge, kube-proxy (iptables) and
# CoreDNS for the machine, and per node its own containerd and kubelet (node i: kubelet
# port 10250+i, cgroup root /spark-node-i, its slice of the pod range). Several nodes on one
# machine, as kind does, give the scheduler room beyond the machine's CPU count: each node
# reports every CPU of the machine, so N nodes offer N times that (CPU limits still apply
# per container; the containers share the real CPUs). Everything it owns lives in
# $CLUSTER_DIR/node; scripts/node/down.sh removes it again (this script does when it fails).
#
# Network: pods get addresses in POD_CIDR on the bridge spark-br0 (gateway BRIDGE_IP) with
# routes to the pod and service ranges only, no default route; the host routes the service
# range to the bridge; a mangle-table chain drops anything forwarded from those ranges out
# of any other interface; CoreDNS, bound to the bridge address, answers cluster.local and
# nothing else (no forwarders). Nothing reaches beyond this machine.
# Needs root. Usage: scripts/node/up.sh [--nodes N]   (default 1; prints KUBECONFIG=...)
set -euo pipefail
# shellcheck source=scripts/node/common.sh
source "$(dirname "$0")/common.sh"
require_root

NODES=1
while (($#)); do
  case "$1" in
    --nodes) NODES="${2:-}"; shift 2 || die "--nodes needs a number" ;;
    --nodes=*) NODES="${1#*=}"; shift ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown argument: $1 (usage: up.sh [--nodes N])" ;;
  esac
done
[[ "$NODES" =~ ^[1-9]$ ]] || die "--nodes must be 1 to 9, got '$NODES'"

PKI="$CLUSTER_DIR/pki"
[[ -f "$KUBECONFIG_FILE" && -f "$PKI/ca.key" ]] || die "no control plane in $CLUSTER_DIR; run scripts/cluster/up.sh --nodes 0 --real-node"
for bin in kubelet kube-proxy coredns kubectl; do
  [[ -x "$TOOLS_BIN/$bin" ]] || die "$TOOLS_BIN/$bin missing; run scripts/tools/build.sh kubelet kube-proxy coredns kube-network-policies"
done
for cmd in containerd containerd-shim-runc-v2 runc ctr iptables ip openssl; do
  command -v "$cmd" >/dev/null || die "$cmd missing; run scripts/node/install.sh"
done
[[ -x "$CNI_BIN_DIR/bridge" && -x "$CNI_BIN_DIR/host-local" && -x "$CNI_BIN_DIR/loopback" ]] ||
  die "CNI plugins missing in $CNI_BIN_DIR; run scripts/node/install.sh"

node_ready() {
  [[ "$(kubectl get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}
nodes_up() {
  local n
  [[ "$(node_names | wc -l)" == "$NODES" ]] || return 1
  node_pid kube-proxy >/dev/null && node_pid coredns >/dev/null || return 1
  for n in $(node_names); do
    node_pid "kubelet-$n" >/dev/null && node_pid "containerd-$n" >/dev/null && node_ready "$n" || return 1
  done
}

if [[ -d "$NODE_DIR" ]]; then
  if nodes_up; then
    log "$NODES node(s) already up in $NODE_DIR"
    echo "KUBECONFIG=$KUBECONFIG_FILE"
    exit 0
  fi
  log "stale node state in $NODE_DIR; cleaning it up"
  "$(dirname "$0")/down.sh"
fi

# The bridge, the routes, the chains and the kubelet ports belong to the machine, not to this
# checkout: a run killed before its teardown (SIGKILL, a lost CI job), or whose clone was
# deleted under it, leaves them behind, and this start would fail on them ("RTNETLINK
# answers: File exists"). Processes of a node dir that is gone are stopped and the network
# they left removed; nodes of another checkout that still exists are left alone, and said.
for dir in $(node_dirs_running); do
  [[ "$dir" == "$NODE_DIR" ]] && continue
  [[ -d "$dir" ]] && die "real nodes of another checkout run on this machine (state in $dir) and hold $BRIDGE, $POD_CIDR, $SERVICE_CIDR and the kubelet ports; stop them first with that checkout's scripts/node/down.sh (SPARK_LOCAL_CLUSTER_DIR=${dir%/node})"
  log "processes of real nodes whose state dir is gone ($dir): stopping them"
  mapfile -t orphans < <(pgrep -f -- "$dir/" || true)
  ((${#orphans[@]} == 0)) || stop_pids 10 "${orphans[@]}"
  unmount_under "$dir"
done
if node_network_left; then
  log "$BRIDGE or its chains are left from a run that did not tear down; removing them"
  "$(dirname "$0")/down.sh"
fi
for cidr in "$POD_CIDR" "$SERVICE_CIDR"; do
  route="$(ip -4 route show root "$cidr" 2>/dev/null | head -n1)"
  [[ -z "$route" ]] || die "this machine already routes into $cidr ($route); the real node needs $POD_CIDR and $SERVICE_CIDR for itself (scripts/node/common.sh)"
done

start="$(now_ms)"
CURRENT_LOG=""
on_exit() {
  local rc=$?
  ((rc == 0)) && return
  log "node startup failed (exit $rc)${failed:+ at up.sh $failed}; removing what was started"
  show_failed_log "$rc"
  SPARK_NODE_KEEP_LOGS=1 "$(dirname "$0")/down.sh" || true
}
trap on_exit EXIT
# The command that failed, for the message above (a bare "RTNETLINK answers: File exists"
# does not say which of the network commands it was).
failed=""
set -o errtrace
trap 'failed="line $LINENO: $BASH_COMMAND"' ERR
trap 'exit 130' INT
trap 'exit 143' TERM

LOGS="$NODE_DIR/logs"
mkdir -p "$NODE_DIR/pids" "$LOGS"
chmod 700 "$NODE_DIR"

# launch NAME BINARY ARGS...: starts one of the node's processes (lib.sh's launch_in).
launch() {
  launch_in "$NODE_DIR" "$@"
}
wait_node_component() {
  wait_up "$NODE_DIR" "$@"
}

# --- Network: the bridge, its routes and the guard, before anything can use them.
CURRENT_LOG="$LOGS/network.log"
ip link add "$BRIDGE" type bridge
ip addr add "$BRIDGE_IP/${POD_CIDR#*/}" dev "$BRIDGE"
ip link set "$BRIDGE" up
# Host traffic to a service IP that kube-proxy does not (yet) know stays on the bridge
# instead of following the default route out of the machine.
ip route add "$SERVICE_CIDR" dev "$BRIDGE"
iptables -t mangle -N "$GUARD_CHAIN"
for src in "$POD_CIDR" "$SERVICE_CIDR"; do
  iptables -t mangle -A "$GUARD_CHAIN" -s "$src" ! -o "$BRIDGE" -j DROP
  iptables -t mangle -A "$GUARD_CHAIN" -d "$src" ! -o "$BRIDGE" -j DROP
done
iptables -t mangle -I FORWARD 1 -j "$GUARD_CHAIN"
# Pods reach each other through the host (their routes go via the bridge address), so the
# host forwards pod traffic out of the interface it came in on, and Linux answers that with
# ICMP redirects ("go direct"). A pod that follows one sends the replies of a Service
# connection straight across the bridge, and those were seen lost: a Spark worker never got
# the FIN of the master pod it reached through the master Service, and kept heartbeating into
# the dead connection for ~15 min instead of registering with the new master (1 master
# restart in 4 here). No redirects: every pod packet takes the one path through the host.
cat /proc/sys/net/ipv4/conf/all/send_redirects >"$NODE_DIR/send_redirects.orig"
echo 0 >/proc/sys/net/ipv4/conf/all/send_redirects
echo 0 >"/proc/sys/net/ipv4/conf/$BRIDGE/send_redirects"
# Pod-to-service-to-pod on one bridge needs bridged packets to pass iptables (kube-proxy's
# DNAT and its reverse); remember the setting to restore it.
if [[ -f /proc/sys/net/bridge/bridge-nf-call-iptables ]]; then
  cat /proc/sys/net/bridge/bridge-nf-call-iptables >"$NODE_DIR/bridge-nf-call-iptables.orig"
  echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables
else
  log "warning: br_netfilter not loaded; a pod reaching a Service backed by a pod on the same bridge may fail"
fi

# --- Shared by the nodes: the snapshotter, the RBAC binding for node identities.
snapshotter=native
overlay_works "$NODE_DIR" && snapshotter=overlayfs
echo "$snapshotter" >"$NODE_DIR/snapshotter"
# The apiserver authorises with RBAC only (no Node authorizer), where system:nodes is not
# bound to the system:node role by default.
CURRENT_LOG="$LOGS/rbac.log"
kubectl apply -f - >>"$CURRENT_LOG" 2>&1 <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: spark-local-nodes}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:node}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:nodes}
YAML
# Pods that ask for the node's resolver (dnsPolicy Default) get none: nothing outside.
: >"$NODE_DIR/resolv.conf"
server="$(<"$CLUSTER_DIR/server")"
# Each node's pods take their addresses from their own slice of POD_CIDR.
PODS_PER_NODE=24

# start_node I: containerd and the kubelet of node I.
start_node() {
  local i="$1" name="$NODE_PREFIX-$1" dir="$NODE_DIR/$NODE_PREFIX-$1"
  local sock first=$((10 + $1 * PODS_PER_NODE)) healthz
  sock="$(containerd_sock "$name")"
  mkdir -p "$dir"/{containerd,kubelet,pki,cni/net.d,cni/ipam,pod-logs}
  cat >"$dir/cni/net.d/10-spark.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "spark-node",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$dir/cni/ipam",
        "ranges": [[{
          "subnet": "$POD_CIDR", "gateway": "$BRIDGE_IP",
          "rangeStart": "${POD_CIDR%.*}.$first", "rangeEnd": "${POD_CIDR%.*}.$((first + PODS_PER_NODE - 1))"
        }]],
        "routes": [{ "dst": "$POD_CIDR" }, { "dst": "$SERVICE_CIDR" }]
      }
    }
  ]
}
JSON
  cat >"$dir/containerd/config.toml" <<TOML
version = 2
root = "$dir/containerd/root"
state = "$dir/containerd/state"
[grpc]
  address = "$sock"
[ttrpc]
  address = "$sock.ttrpc"
[debug]
  level = "warn"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/$PAUSE_IMAGE"
  # This machine's root may lack CAP_SYS_RESOURCE: lowering oom_score_adj below the
  # parent's then fails, and every sandbox with it ("can't get final child's PID from pipe").
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "$snapshotter"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$dir/cni/net.d"
    max_conf_num = 1
TOML
  launch "containerd-$name" "$(command -v containerd)" --config "$dir/containerd/config.toml"
  wait_node_component "containerd-$name" 30 ctr --address "$sock" version
  echo "$name" >>"$NODE_DIR/nodes"
  # The sandbox image must be there before the first pod.
  "$(dirname "$0")/load-images.sh" --node "$name" "$PAUSE_IMAGE"

  # A node identity signed by the control plane's CA.
  CURRENT_LOG="$LOGS/pki.log"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/O=system:nodes/CN=system:node:$name" \
    -keyout "$dir/pki/kubelet-client.key" -out "$dir/pki/kubelet-client.csr" 2>>"$CURRENT_LOG"
  openssl x509 -req -in "$dir/pki/kubelet-client.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -CAcreateserial -days 365 -out "$dir/pki/kubelet-client.crt" \
    -extfile <(printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n') 2>>"$CURRENT_LOG"
  rm -f "$dir/pki/kubelet-client.csr"
  chmod 600 "$dir/pki"/*.key
  cat >"$dir/kubelet.kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "$server", certificate-authority: "$PKI/ca.crt"}
users:
- name: node
  user: {client-certificate: "$dir/pki/kubelet-client.crt", client-key: "$dir/pki/kubelet-client.key"}
contexts:
- name: node
  context: {cluster: local, user: node}
current-context: node
YAML
  healthz="$(free_ports 1)"
  # Its own cgroup root: kubelets remove pod cgroups they do not know, so two must not share
  # one kubepods tree.
  local h
  for h in /sys/fs/cgroup/*/; do
    [[ -w "$h" && ! -e "$h/cgroup.controllers" ]] || continue
    mkdir -p "$h$name"
    # A new cpuset cgroup starts with no CPUs and no memory nodes: inherit the root's.
    if [[ -f "${h}cpuset.cpus" ]]; then
      cat "${h}cpuset.cpus" >"$h$name/cpuset.cpus"
      cat "${h}cpuset.mems" >"$h$name/cpuset.mems"
    fi
  done
  [[ -e /sys/fs/cgroup/cgroup.controllers ]] && mkdir -p "/sys/fs/cgroup/$name"
  cat >"$dir/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# The kubelet API listens on the bridge only and admits only clients signed by the CA
# (the apiserver, started with --real-node).
address: $BRIDGE_IP
port: $((10250 + i))
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $healthz
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: "$PKI/ca.crt"}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$sock
cgroupDriver: cgroupfs
cgroupRoot: /$name
failSwapOn: false
failCgroupV1: false
clusterDNS: [$BRIDGE_IP]
clusterDomain: cluster.local
resolvConf: "$NODE_DIR/resolv.conf"
podLogsDir: "$dir/pod-logs"
maxPods: $PODS_PER_NODE
# Images are imported, never pulled: never garbage-collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%}
# How often emptyDir usage is measured (default 1m): a worker past its scratch sizeLimit is
# evicted within about 20 s instead of 70 (the eviction manager itself looks every 10 s).
volumeStatsAggPeriod: 10s
nodeStatusUpdateFrequency: 4s
syncFrequency: 10s
YAML
  launch "kubelet-$name" "$TOOLS_BIN/kubelet" \
    --config "$dir/kubelet.yaml" \
    --kubeconfig "$dir/kubelet.kubeconfig" \
    --root-dir "$dir/kubelet" \
    --cert-dir "$dir/pki" \
    --hostname-override "$name" \
    --node-ip "$BRIDGE_IP" \
    --node-labels "spark-on-k8s/node=real,topology.kubernetes.io/zone=zone-$i"
  wait_node_component "kubelet-$name" 60 curl -fsS --noproxy '*' --max-time 2 "http://127.0.0.1:$healthz/healthz"
}

: >"$NODE_DIR/nodes"
for ((i = 0; i < NODES; i++)); do
  start_node "$i"
done

ports="$(free_ports 3)"
mapfile -t PORTS <<<"$ports"
PROXY_HEALTHZ="${PORTS[0]}" PROXY_METRICS="${PORTS[1]}" DNS_READY="${PORTS[2]}"

# --- kube-proxy: iptables mode; NodePorts only on the bridge address.
cat >"$NODE_DIR/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "$KUBECONFIG_FILE"}
hostnameOverride: $NODE_PREFIX-0
mode: iptables
clusterCIDR: $POD_CIDR
nodePortAddresses: ["$BRIDGE_IP/32"]
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ
metricsBindAddress: 127.0.0.1:$PROXY_METRICS
# Leave the host's conntrack table settings alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
YAML
launch kube-proxy "$TOOLS_BIN/kube-proxy" --config "$NODE_DIR/kube-proxy.yaml"
wait_node_component kube-proxy 60 curl -fsS --noproxy '*' --max-time 2 "http://127.0.0.1:$PROXY_HEALTHZ/healthz"

# --- CoreDNS: cluster.local from the API, on the bridge address; no forwarders.
cat >"$NODE_DIR/Corefile" <<COREFILE
.:53 {
    bind $BRIDGE_IP
    errors
    ready 127.0.0.1:$DNS_READY
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $KUBECONFIG_FILE spark-local
        pods insecure
    }
}
COREFILE
launch coredns "$TOOLS_BIN/coredns" -conf "$NODE_DIR/Corefile"
wait_node_component coredns 30 curl -fsS --noproxy '*' --max-time 2 "http://127.0.0.1:$DNS_READY/ready"

# --- The API server for pods. It listens on loopback only (scripts/cluster/up.sh); pods that
# talk to the API (KEDA's operator and metrics server) reach it as in any cluster, through the
# `kubernetes` Service (10.96.0.1:443, their in-cluster config), whose one endpoint is a TCP
# forwarder on the bridge address at the API server's own port (the Service's targetPort).
# TLS passes through unchanged: the API server's certificate names 10.96.0.1.
api_port="${server##*:}"
# The interpreter itself, not a launcher (pyenv's shims exec it): launch checks what runs.
python="$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')"
launch apiserver-proxy "$python" "$REPO_ROOT/scripts/node/tcp-forward.py" \
  "$BRIDGE_IP:$api_port" "127.0.0.1:$api_port" --state-dir "$NODE_DIR"
wait_node_component apiserver-proxy 10 bash -c "exec 3<>/dev/tcp/$BRIDGE_IP/$api_port"
CURRENT_LOG="$LOGS/rbac.log"
kubectl apply -f - >>"$CURRENT_LOG" 2>&1 <<YAML
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes
  namespace: default
  labels: {kubernetes.io/service-name: kubernetes}
addressType: IPv4
endpoints: [{addresses: ["$BRIDGE_IP"], conditions: {ready: true}}]
ports: [{name: https, port: $api_port, protocol: TCP}]
YAML

# --- NetworkPolicy enforcement: kube-network-policies judges the first packet of every
# connection that a pod opens or receives, on NFQUEUE $NETPOL_QUEUE; established flows, DNS and
# the host's root processes (kubelet probes, the tests' reads through the apiserver) pass
# without asking, as upstream's own rules let them. One controller serves every node: they share
# this network namespace, and its verdicts look up both ends by pod IP, whatever their node.
# The steering is an iptables rule (the NFQUEUE target) in mangle POSTROUTING, after kube-proxy's
# DNAT, so a Service connection is judged by its backend pod. No --queue-bypass: while the
# controller is down, pod connections fail instead of passing unjudged.
# SPARK_NODE_NETWORK_POLICY=off starts the nodes without it.
netpol_missing() {
  [[ "${SPARK_NODE_NETWORK_POLICY:-on}" == off ]] && { echo "SPARK_NODE_NETWORK_POLICY=off"; return; }
  [[ -e /proc/net/netfilter/nfnetlink_queue ]] ||
    { echo "this kernel has no NFQUEUE (CONFIG_NETFILTER_NETLINK_QUEUE)"; return; }
  iptables -t mangle -N "$NETPOL_CHAIN" 2>/dev/null || true
  if ! iptables -t mangle -A "$NETPOL_CHAIN" -s 192.0.2.1/32 -j NFQUEUE --queue-num "$NETPOL_QUEUE" 2>/dev/null; then
    echo "iptables refuses the NFQUEUE target (CONFIG_NETFILTER_XT_TARGET_NFQUEUE)"
    return
  fi
  iptables -t mangle -F "$NETPOL_CHAIN"
  [[ -x "$TOOLS_BIN/kube-network-policies" ]] ||
    { echo "$TOOLS_BIN/kube-network-policies missing (scripts/tools/build.sh kube-network-policies)"; return; }
}
queue_bound() {
  awk -v q="$NETPOL_QUEUE" '$1 == q { found = 1 } END { exit !found }' /proc/net/netfilter/nfnetlink_queue
}
CURRENT_LOG="$LOGS/network.log"
why_not="$(netpol_missing)"
if [[ -n "$why_not" ]]; then
  echo "not enforced: $why_not" >"$NETPOL_STATE_FILE"
  log "NetworkPolicy NOT enforced: $why_not"
else
  # Its own copy of the kubeconfig: a path under the node dir is what marks the process as ours.
  install -m 600 "$KUBECONFIG_FILE" "$NODE_DIR/network-policy.kubeconfig"
  launch kube-network-policies "$TOOLS_BIN/kube-network-policies" \
    --kubeconfig "$NODE_DIR/network-policy.kubeconfig" --nfqueue-id "$NETPOL_QUEUE" --nftables-table "$NETPOL_TABLE" \
    --node-name "$NODE_PREFIX-steered-by-iptables" --v=1
  wait_node_component kube-network-policies 60 queue_bound
  CURRENT_LOG="$LOGS/network.log"
  iptables -t mangle -A "$NETPOL_CHAIN" -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
  iptables -t mangle -A "$NETPOL_CHAIN" -p udp --dport 53 -j RETURN
  iptables -t mangle -A "$NETPOL_CHAIN" -m owner --uid-owner 0 -j RETURN
  iptables -t mangle -A "$NETPOL_CHAIN" -s "$POD_CIDR" -j NFQUEUE --queue-num "$NETPOL_QUEUE"
  iptables -t mangle -A "$NETPOL_CHAIN" -d "$POD_CIDR" -j NFQUEUE --queue-num "$NETPOL_QUEUE"
  iptables -t mangle -I POSTROUTING 1 -j "$NETPOL_CHAIN"
  echo enforced >"$NETPOL_STATE_FILE"
  log "NetworkPolicy enforced by kube-network-policies $KUBE_NETWORK_POLICIES_VERSION (NFQUEUE $NETPOL_QUEUE)"
fi

for name in $(node_names); do
  CURRENT_LOG="$LOGS/kubelet-$name.log"
  wait_for 60 "node $name Ready" node_ready "$name" || die "node $name not Ready"
  log "node $name Ready (+$(since "$start")): $(kubectl get node "$name" -o jsonpath='{.status.allocatable.cpu} CPUs, {.status.allocatable.memory}')"
done
log "$NODES node(s) up in $(since "$start")"
echo "KUBECONFIG=$KUBECONFIG_FILE"
