# shellcheck shell=bash
# Shared helpers for scripts/tools and scripts/cluster. Source it; it does not run anything
# by itself except loading the pinned versions.

# The repository root, from this file's location (works from any working directory).
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Built tools live here (git-ignored). Overridable so several clones can share one build.
# Absolute, so it means the same after a `cd`.
TOOLS_DIR="$(realpath -m "${SPARK_TOOLS_DIR:-$REPO_ROOT/.tools}")"
# shellcheck disable=SC2034 # used by the scripts that source this file
TOOLS_BIN="$TOOLS_DIR/bin"

# shellcheck source=scripts/versions.env
source "$REPO_ROOT/scripts/versions.env"
# Staging modules (k8s.io/api, client-go, ...) are versioned v0.<minor>.<patch>.
KUBERNETES_STAGING_VERSION="v0.${KUBERNETES_VERSION#v1.}"

log() {
  printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

die() {
  log "error: $*"
  exit 1
}

# Milliseconds since the epoch, and the seconds elapsed since such a stamp ("4.2s").
# show_failed_log RC: after a failed start (not an interruption, 130/143), the last lines of
# $CURRENT_LOG, the log of the component being started or waited for.
show_failed_log() {
  local rc="$1"
  if ((rc != 130 && rc != 143)) && [[ -n "${CURRENT_LOG:-}" && -f "$CURRENT_LOG" ]]; then
    log "last lines of $CURRENT_LOG:"
    tail -n 30 "$CURRENT_LOG" >&2
  fi
}

now_ms() {
  local t="${EPOCHREALTIME/[.,]/}"
  echo $((t / 1000))
}
since() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
}

# Prints N distinct free TCP ports on 127.0.0.1, one per line. They are picked below the
# kernel's ephemeral range: a port from that range, free now, can be taken a moment later
# as the source port of some outgoing connection (say, apiserver to etcd) before the
# server meant for it binds it.
free_ports() {
  python3 - "${1:-1}" <<'PY'
import random, socket, sys
with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    ephemeral_low = int(f.read().split()[0])
low, high = 10000, ephemeral_low
if high - low < 1000:  # an unusual ephemeral range: take any unprivileged port
    low, high = 1024, 65536
chosen = []
for _ in range(10000):
    if len(chosen) == int(sys.argv[1]):
        break
    port = random.randrange(low, high)
    if port in chosen:
        continue
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
    chosen.append(port)
else:
    sys.exit("no free ports found")
print("\n".join(map(str, chosen)))
PY
}

# wait_for TIMEOUT_SECONDS DESCRIPTION COMMAND...: runs COMMAND every 0.2 s until it
# succeeds; returns 1 (after logging) if it never does within the timeout.
wait_for() {
  local timeout="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.2
  done
}

# Makes sure `go` is callable (it lives outside PATH on some machines).
require_go() {
  if ! command -v go >/dev/null 2>&1; then
    if [[ -x /usr/local/go/bin/go ]]; then
      PATH="/usr/local/go/bin:$PATH"
    else
      die "go not found; install Go 1.26 or later"
    fi
  fi
}

# --- Wrapper Go modules for the pinned tools (used by tools/build.sh and tools/pin.sh) ---

# Commands built from k8s.io/kubernetes/cmd/<name>. kubelet and kube-proxy run the real
# node of the `node` tier (scripts/node).
KUBERNETES_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy)

# The wrapper modules, in build order (biggest builds run one after another anyway).
# shellcheck disable=SC2034 # used by tools/pin.sh
WRAPPER_TOOLS=(etcd kubernetes pulumi pulumi-language-nodejs pulumi-resource-kubernetes kube-network-policies coredns prometheus keda)

# module_dir MODULE@VERSION: the module's directory in the Go module cache (downloads it).
module_dir() {
  go mod download -json "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error","no Dir")))'
}

# upstream_replaces MODULE@VERSION: `go mod edit` flags repeating the module's own
# replace directives that point at other module versions (those at local paths are
# skipped). A dependency's replaces do not apply to the module that requires it, so a
# wrapper building upstream's command must copy them to build what upstream builds.
upstream_replaces() {
  awk '
    /^replace \($/ { block = 1; next }
    block && /^\)/ { block = 0; next }
    (block || /^replace /) && /=>/ {
      sub(/^replace /, ""); sub(/\/\/.*/, "")
      split($0, side, "=>"); n = split(side[1], l, " "); m = split(side[2], r, " ")
      if (m == 2) printf "-replace=%s=%s@%s\n", (n == 2 ? l[1] "@" l[2] : l[1]), r[1], r[2]
    }' "$(module_dir "$1")/go.mod"
}

# write_wrapper_gomod TOOL DIR: writes DIR/go.mod for TOOL from versions.env alone (module,
# requirements, replaces, tool directives). `go mod tidy` then completes it; since minimal
# version selection is deterministic, the result is a function of versions.env.
write_wrapper_gomod() {
  local tool="$1" dir="$2" m
  local -a edits=()
  case "$tool" in
    pulumi)
      edits=(-require="github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION"
        -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION"
        -tool="github.com/pulumi/pulumi/pkg/v3/cmd/pulumi")
      # Upstream builds the CLI with pkg as the main module, so pkg's replaces applied.
      mapfile -t -O "${#edits[@]}" edits < <(upstream_replaces "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION")
      ;;
    pulumi-language-nodejs)
      # sdk's own replace (golang.org/x/text => v0.3.6) is deliberately not copied: the
      # host builds and works with what minimal version selection picks.
      edits=(-require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_LANGUAGE_NODEJS_SDK_VERSION"
        -tool="github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs")
      ;;
    pulumi-resource-kubernetes)
      edits=(-require="github.com/pulumi/pulumi-kubernetes/provider/v4@$PULUMI_KUBERNETES_PROVIDER_MODULE")
      ;;
    kubernetes)
      edits=(-require="k8s.io/kubernetes@$KUBERNETES_VERSION")
      # k8s.io/kubernetes replaces its staging modules with ./staging paths, which a
      # dependent module cannot use: point each at its published v0.x release instead.
      local gomod
      gomod="$(module_dir "k8s.io/kubernetes@$KUBERNETES_VERSION")/go.mod"
      while read -r m; do
        edits+=(-replace="$m=$m@$KUBERNETES_STAGING_VERSION")
      done < <(awk '$2 == "=>" && $3 ~ /^\.\/staging\// {print $1}' "$gomod")
      for m in "${KUBERNETES_COMMANDS[@]}"; do
        edits+=(-tool="k8s.io/kubernetes/cmd/$m")
      done
      ;;
    etcd)
      edits=(-require="go.etcd.io/etcd/server/v3@$ETCD_VERSION")
      ;;
    kube-network-policies)
      edits=(-require="sigs.k8s.io/kube-network-policies@$KUBE_NETWORK_POLICIES_VERSION")
      ;;
    coredns)
      edits=(-require="github.com/coredns/coredns@$COREDNS_VERSION")
      ;;
    prometheus)
      edits=(-require="github.com/prometheus/prometheus@$PROMETHEUS_VERSION"
        -tool="github.com/prometheus/prometheus/cmd/prometheus")
      ;;
    keda)
      # The operator and the metrics API server (adapter), as upstream's Makefile builds
      # them: with KEDA as the main module, so its replaces (k8s.io pinned to its own
      # line) apply.
      edits=(-require="github.com/kedacore/keda/v2@$KEDA_VERSION"
        -tool="github.com/kedacore/keda/v2/cmd/operator"
        -tool="github.com/kedacore/keda/v2/cmd/adapter")
      mapfile -t -O "${#edits[@]}" edits < <(upstream_replaces "github.com/kedacore/keda/v2@$KEDA_VERSION")
      ;;
    *) die "unknown wrapper tool: $tool" ;;
  esac
  printf 'module spark-on-k8s/tools/%s\n\ngo 1.26.0\n' "$tool" >"$dir/go.mod"
  (cd "$dir" && go mod edit "${edits[@]}")
}

# prepare_wrapper TOOL DIR: lays out a buildable copy of scripts/tools/go/TOOL in DIR: its
# committed sources and go.sum, a go.mod written from versions.env, generated files, and a
# `go mod tidy` (which downloads and checks modules against go.sum and the checksum DB).
prepare_wrapper() {
  local tool="$1" dir="$2" src="$REPO_ROOT/scripts/tools/go/$1"
  [[ -d "$src" ]] || die "no wrapper module at $src"
  rm -rf "$dir"
  mkdir -p "$dir"
  find "$src" -maxdepth 1 -type f \( -name '*.go' -o -name go.sum \) -exec cp {} "$dir/" \;
  write_wrapper_gomod "$tool" "$dir"
  if [[ "$tool" == pulumi-resource-kubernetes ]]; then
    # main.go embeds these; tidy and build both need them present.
    local provider_dir
    provider_dir="$(cd "$dir" && module_dir "github.com/pulumi/pulumi-kubernetes/provider/v4@$PULUMI_KUBERNETES_PROVIDER_MODULE")"
    (cd "$dir" && VERSION="$PULUMI_KUBERNETES_VERSION" go run generate.go "$provider_dir")
  fi
  (cd "$dir" && go mod tidy)
}

# alive PID: the process exists and is not a zombie (an unreaped child of the caller
# counts as gone).
alive() {
  local state
  # The state follows the command name, which is in parentheses and may hold spaces.
  state="$(sed -E 's/.*\) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  [[ -n "$state" && "$state" != Z ]]
}

# --- Processes the scripts start (the control plane's and the real node's) ---
# Each is owned by a state dir DIR: its pid in DIR/pids/NAME.pid, its output in
# DIR/logs/NAME.log, and DIR in its command line, which guards against a reused pid.

# owned_pid DIR NAME: the recorded pid of NAME, if that process is still DIR's.
owned_pid() {
  local dir="$1" file="$1/pids/$2.pid" pid cmdline
  [[ -f "$file" ]] || return 1
  pid="$(<"$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$dir"* ]] || return 1
  echo "$pid"
}

# launch_in DIR NAME BINARY ARGS...: starts BINARY in the background, detached from this
# shell's session (so it outlives the script and a terminal's Ctrl-C), output to its log.
# Sets CURRENT_LOG (what show_failed_log prints) to that log.
launch_in() {
  local dir="$1" name="$2" bin="$3"
  shift 3
  CURRENT_LOG="$dir/logs/$name.log"
  setsid "$bin" "$@" </dev/null >"$CURRENT_LOG" 2>&1 &
  local pid=$! exe deadline=$((SECONDS + 10))
  echo "$pid" >"$dir/pids/$name.pid"
  # Until the fork has exec'd the binary, the pid is still a copy of this shell, which
  # owned_pid would not recognise; wait for the exec so later checks are not fooled.
  exe="$(realpath "$bin")"
  until [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$exe" ]]; do
    alive "$pid" || die "$name exited at once"
    ((SECONDS < deadline)) || die "$name did not start"
    sleep 0.05
  done
}

# wait_up DIR NAME TIMEOUT CHECK...: waits for CHECK to succeed while NAME stays up (fails
# at once if it exits), then logs the time since the caller's $start (now_ms).
wait_up() {
  local dir="$1" name="$2" timeout="$3"
  shift 3
  local deadline=$((SECONDS + timeout))
  CURRENT_LOG="$dir/logs/$name.log"
  until "$@" >/dev/null 2>&1; do
    owned_pid "$dir" "$name" >/dev/null || die "$name exited"
    ((SECONDS < deadline)) || die "$name not ready after ${timeout}s"
    sleep 0.2
  done
  # shellcheck disable=SC2154 # $start: when the calling script began its startup
  log "$name ready (+$(since "$start"))"
}

# stop_pids GRACE_SECONDS PID...: SIGTERM to all at once, SIGKILL to those still running
# after the grace period; returns when all have exited.
stop_pids() {
  local grace="$1" pid
  shift
  local deadline=$((SECONDS + grace))
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if alive "$pid"; then
      log "pid $pid did not exit after SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for pid in "$@"; do
    while alive "$pid"; do sleep 0.1; done
  done
}

# stop_pid PID [GRACE_SECONDS]: one process, 15 s grace by default.
stop_pid() {
  stop_pids "${2:-15}" "$1"
}

# --- Local cluster (scripts/cluster) ---

# Everything a local cluster owns lives here: certificates, etcd data, logs, pids, kubeconfig.
# Absolute: processes are recognised by this path in their command lines.
CLUSTER_DIR="$(realpath -m "${SPARK_LOCAL_CLUSTER_DIR:-$REPO_ROOT/.local/cluster}")"
KUBECONFIG_FILE="$CLUSTER_DIR/kubeconfig"
# Components in start order; stop_cluster stops them in reverse.
CLUSTER_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
# Helpers of the control plane that are scripts, not built tools (scripts/cluster/up.sh).
CLUSTER_HELPERS=(hostpath-perms)

# kubectl against the local cluster (scripts/cluster, scripts/node), never the ambient one.
kubectl() {
  "$TOOLS_BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"
}

# pid_of NAME: the recorded pid of a control-plane component, if still ours.
pid_of() {
  owned_pid "$CLUSTER_DIR" "$1"
}

# stop_cluster: SIGTERM to every recorded component (last started first), up to 15 s for
# them to exit, then SIGKILL for stragglers. Leaves the state dir in place.
stop_cluster() {
  local i pid
  local -a pids=()
  local -a all=("${CLUSTER_COMPONENTS[@]}" "${CLUSTER_HELPERS[@]}")
  for ((i = ${#all[@]} - 1; i >= 0; i--)); do
    pid="$(pid_of "${all[i]}")" && pids+=("$pid")
  done
  ((${#pids[@]})) || return 0
  stop_pids 15 "${pids[@]}"
  # Exited processes linger as zombies until their parent (often init) reaps them; give
  # it a moment so a `pgrep` right after this sees nothing, but never hang on it.
  local deadline=$((SECONDS + 5))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  done
}

# remove_cluster_dir: deletes the state dir, but only one that up.sh made (it holds a
# marker file), so a mistyped SPARK_LOCAL_CLUSTER_DIR cannot wipe an unrelated folder.
remove_cluster_dir() {
  [[ -e "$CLUSTER_DIR" ]] || return 0
  if [[ -f "$CLUSTER_DIR/.spark-local-cluster" ]] || ! find "$CLUSTER_DIR" -mindepth 1 -print -quit | grep -q .; then
    rm -rf "$CLUSTER_DIR"
  else
    die "$CLUSTER_DIR was not made by scripts/cluster/up.sh; not removing it"
  fi
}
