#!/usr/bin/env bash
# Stops the real nodes of scripts/node/up.sh and removes everything they made: kubelets,
# kube-proxy (and its iptables rules), CoreDNS, the API server's forwarder, the NetworkPolicy controller (its nftables
# table and steering chain), every container and pod network namespace,
# the containerds, mounts under the node dir, pod cgroups, the guard chain, the bridge and
# its route. Safe to
# run when nothing is running, and after a partial start. The control plane is left alone
# (scripts/cluster/down.sh stops it). Needs root.
# SPARK_NODE_KEEP_LOGS=1 keeps $CLUSTER_DIR/node/logs for a post-mortem.
set -euo pipefail
# shellcheck source=scripts/node/common.sh
source "$(dirname "$0")/common.sh"
require_root

# Each step is best effort: a failure in one must not leave the rest behind.
step() {
  "$@" 2>/dev/null || true
}

stop_component() {
  local pid
  if pid="$(node_pid "$1")"; then
    stop_pid "$pid" "${2:-15}"
  fi
}

# Whether nodes of this kind ran here: their dir, or the network they left when their dir went
# (a machine with a kube-proxy or kubelet of its own keeps its rules otherwise).
ran=""
if [[ -d "$NODE_DIR" ]] || node_network_left; then
  ran=1
fi

# Nodes: every directory up.sh made for one (also when it failed before recording it).
mapfile -t nodes < <(find "$NODE_DIR" -mindepth 1 -maxdepth 1 -type d -name "$NODE_PREFIX-*" -printf '%f\n' 2>/dev/null)

# Kubelets first, so they do not restart what is being removed.
for n in "${nodes[@]}"; do
  stop_component "kubelet-$n"
done
stop_component coredns

# Containers: kill every task a node's containerd runs for Kubernetes, then stop it.
for n in "${nodes[@]}"; do
  if node_pid "containerd-$n" >/dev/null; then
    for task in $(ctr_k8s "$n" tasks ls -q 2>/dev/null); do
      step ctr_k8s "$n" tasks kill -s SIGKILL "$task"
    done
    deadline=$((SECONDS + 10))
    while [[ -n "$(ctr_k8s "$n" tasks ls -q 2>/dev/null | head -n1)" ]] && ((SECONDS < deadline)); do
      for task in $(ctr_k8s "$n" tasks ls -q 2>/dev/null); do
        step ctr_k8s "$n" tasks delete -f "$task"
      done
      sleep 0.2
    done
  fi
  stop_component "containerd-$n" 20
  # Shims outlive containerd; ours name our containerd's socket in their command line.
  sock="$(containerd_sock "$n")"
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $sock" 2>/dev/null || true); do
    stop_pid "$pid" 5
  done
done
# The sandboxes' network namespaces: ours are those with an address in POD_CIDR.
for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
  if ip -n "$ns" -4 -o addr show 2>/dev/null | grep -qF " ${POD_CIDR%.*}."; then
    step ip netns delete "$ns"
  fi
done

# The NetworkPolicy controller removes its nftables table when it stops; --cleanup does it for
# one that was killed. Its steering chain goes with the network below.
stop_component kube-network-policies
if [[ -x "$TOOLS_BIN/kube-network-policies" && -n "$ran" ]]; then
  step "$TOOLS_BIN/kube-network-policies" --cleanup --nftables-table "$NETPOL_TABLE"
fi

# kube-proxy's rules go with its own cleanup mode (it only touches KUBE-* chains).
stop_component apiserver-proxy
stop_component kube-proxy
if [[ -x "$TOOLS_BIN/kube-proxy" ]] && iptables -t nat -S KUBE-SERVICES >/dev/null 2>&1 && [[ -n "$ran" ]]; then
  step "$TOOLS_BIN/kube-proxy" --cleanup --v=0 >/dev/null
fi

# The kubelets' own chains (canaries, and the localnet firewall), in both families; only
# when our nodes ran.
for ipt in iptables ip6tables; do
  if [[ -z "$ran" ]] || ! command -v "$ipt" >/dev/null; then
    continue
  fi
  for chain in INPUT OUTPUT; do
    while "$ipt" -D "$chain" -j KUBE-FIREWALL 2>/dev/null; do :; done
  done
  for table in filter nat mangle; do
    for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
      if "$ipt" -t "$table" -S "$chain" >/dev/null 2>&1; then
        step "$ipt" -t "$table" -F "$chain"
        step "$ipt" -t "$table" -X "$chain"
      fi
    done
  done
done

# Mounts under the node dir.
if [[ -d "$NODE_DIR" ]]; then
  unmount_under "$NODE_DIR"
fi

# The kubelet's pod cgroups (cgroupfs driver: a kubepods tree in each hierarchy), now empty.
for n in "${nodes[@]}"; do
  for tree in /sys/fs/cgroup/*/"$n" "/sys/fs/cgroup/$n"; do
    [[ -d "$tree" ]] && step find "$tree" -depth -type d -exec rmdir {} \;
  done
done

# Network: the guard last, so nothing could leave while pods were still up.
step ip route del "$SERVICE_CIDR" dev "$BRIDGE"
step ip link del "$BRIDGE"
while iptables -t mangle -D POSTROUTING -j "$NETPOL_CHAIN" 2>/dev/null; do :; done
step iptables -t mangle -F "$NETPOL_CHAIN"
step iptables -t mangle -X "$NETPOL_CHAIN"
while iptables -t mangle -D FORWARD -j "$GUARD_CHAIN" 2>/dev/null; do :; done
step iptables -t mangle -F "$GUARD_CHAIN"
step iptables -t mangle -X "$GUARD_CHAIN"
if [[ -f "$NODE_DIR/send_redirects.orig" ]]; then
  step cp "$NODE_DIR/send_redirects.orig" /proc/sys/net/ipv4/conf/all/send_redirects
fi
if [[ -f "$NODE_DIR/bridge-nf-call-iptables.orig" ]]; then
  step cp "$NODE_DIR/bridge-nf-call-iptables.orig" /proc/sys/net/bridge/bridge-nf-call-iptables
fi
# The node's registration, if the control plane still runs (a new node starts clean).
if [[ -f "$CLUSTER_DIR/kubeconfig" ]]; then
  for n in "${nodes[@]}"; do
    step "$TOOLS_BIN/kubectl" --kubeconfig "$CLUSTER_DIR/kubeconfig" --request-timeout 5s delete node "$n" --wait=false >/dev/null
  done
fi

if [[ -d "$NODE_DIR" ]]; then
  if [[ -n "${SPARK_NODE_KEEP_LOGS:-}" && -d "$NODE_DIR/logs" ]]; then
    find "$NODE_DIR" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf {} + 2>/dev/null || true
    log "node stopped; logs kept in $NODE_DIR/logs"
  else
    rm -rf "$NODE_DIR"
    log "node(s) ${nodes[*]} stopped and removed"
  fi
fi
