# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this file
# Shared settings of scripts/node (the real node of the `node` tier). Source it.
# The node lives next to a control plane started by scripts/cluster/up.sh --real-node, in
# that control plane's state dir ($SPARK_LOCAL_CLUSTER_DIR): $CLUSTER_DIR/node.
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

NODE_DIR="$CLUSTER_DIR/node"
# Nodes are named spark-node-0, spark-node-1, ...: each its own containerd and kubelet,
# all on one machine (like kind's nodes), sharing the bridge, kube-proxy and CoreDNS.
NODE_PREFIX=spark-node
# The private Docker engine (image builds) keeps its images across runs: the build cache.
DOCKER_DIR="$(realpath -m "${SPARK_NODE_DOCKER_DIR:-$REPO_ROOT/.local/docker}")"
DOCKER_SOCK="$DOCKER_DIR/docker.sock"
# Debootstrapped base root and other downloads kept across runs.
NODE_CACHE="$(realpath -m "${SPARK_NODE_CACHE_DIR:-$REPO_ROOT/.cache/node}")"

# Network: every address below stays on the bridge this node creates. The service range
# is the apiserver's --service-cluster-ip-range (scripts/cluster/up.sh).
BRIDGE=spark-br0
POD_CIDR=10.244.0.0/24
BRIDGE_IP=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
# The iptables chain (filter table) that keeps pod and service traffic on this machine.
GUARD_CHAIN=SPARK-NODE-GUARD
# NetworkPolicy enforcement (scripts/tools/go/kube-network-policies): the mangle-table chain that
# hands the first packet of every pod connection to the controller's NFQUEUE, the queue, the
# controller's own nftables table, and the file where up.sh records whether policy is enforced
# ("enforced", or "not enforced: <reason>"; the node tier reads it).
NETPOL_CHAIN=SPARK-NODE-NETPOL
NETPOL_QUEUE=100
NETPOL_TABLE=spark-node-netpol
NETPOL_STATE_FILE="$NODE_DIR/network-policy"

# The node's images: the base the Spark image builds on and the sandbox (pause) image.
BASE_IMAGE=spark-on-k8s/base:${NODE_BASE_SUITE}-jre17
PAUSE_IMAGE=spark-on-k8s/pause:local
# KEDA's operator and metrics server (build-images.sh --keda; scripts/node/keda-up.sh runs them).
KEDA_IMAGE=spark-on-k8s/keda:${KEDA_VERSION}-local
# spark_image VERSION: the tag the node tier builds and deploys for a Spark version.
spark_image() {
  echo "spark-on-k8s/spark:$1-local"
}

CNI_BIN_DIR=/usr/lib/cni

# node_names: the nodes up.sh started (recorded in the node dir).
node_names() {
  cat "$NODE_DIR/nodes" 2>/dev/null || true
}
containerd_sock() {
  echo "$NODE_DIR/$1/containerd/containerd.sock"
}

require_root() {
  ((EUID == 0)) || die "$(basename "$0") needs root (it runs containerd, the kubelet, iptables); run it with sudo"
}

# overlay_works DIR: whether this kernel mounts overlayfs with its layers on DIR's
# filesystem (not every filesystem can be an upper layer, and not every sandbox may mount).
# Docker (overlay2) and containerd (overlayfs) then store each layer once; without it each
# layer is a full copy of the image's tree (vfs, native).
overlay_works() {
  local probe rc=1
  mkdir -p "$1"
  probe="$(mktemp -d -p "$1" overlay-probe.XXXXXX)"
  mkdir -p "$probe"/{l,u,w,m}
  if mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
    umount "$probe/m"
    rc=0
  fi
  rm -rf "$probe"
  return "$rc"
}

docker_cli() {
  DOCKER_HOST="unix://$DOCKER_SOCK" DOCKER_BUILDKIT=0 docker "$@"
}

# ctr_k8s NODE ARGS...: ctr against a node's containerd, in the Kubernetes namespace.
ctr_k8s() {
  local sock
  sock="$(containerd_sock "$1")"
  shift
  ctr --address "$sock" --namespace k8s.io "$@"
}

# node_dirs_running: the node dir of every running process that real nodes start, this
# checkout's and any other's on the machine, read from their command lines: each names a file
# under its node dir (the Corefile, kube-proxy.yaml, the policy controller's kubeconfig, or a
# node's own directory: kubelet, containerd, the shims' socket).
NODE_FILES_RE="/(Corefile|kube-proxy\\.yaml|network-policy\\.kubeconfig|$NODE_PREFIX-[0-9]+/)"
node_dirs_running() {
  local pid
  for pid in $(pgrep -f -- "/node$NODE_FILES_RE" || true); do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
      grep -oE "/[^ ]*/node$NODE_FILES_RE" | sed -E "s#$NODE_FILES_RE\$##" || true
  done | sort -u
}

# unmount_under DIR: every mount below DIR (secrets' tmpfs, container rootfs, snapshots),
# deepest first, lazily where a plain unmount is refused (still busy).
unmount_under() {
  local m mounts
  for _ in 1 2 3; do
    mapfile -t mounts < <(awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r)
    ((${#mounts[@]})) || return 0
    for m in "${mounts[@]}"; do
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
  done
}

# node_network_left: whether the machine-wide part of a node network exists (the bridge or
# one of the chains), which only up.sh makes and only down.sh removes.
node_network_left() {
  ip link show "$BRIDGE" >/dev/null 2>&1 ||
    iptables -t mangle -S "$GUARD_CHAIN" >/dev/null 2>&1 ||
    iptables -t mangle -S "$NETPOL_CHAIN" >/dev/null 2>&1
}

# node_pid NAME: the recorded pid of one of the node's processes, if still ours.
node_pid() {
  owned_pid "$NODE_DIR" "$1"
}
