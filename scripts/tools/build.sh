#!/usr/bin/env bash
# Builds the pinned tools (scripts/versions.env) from the Go module proxy into .tools/bin:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok (+ its
# stages in .tools/kwok-stages), pulumi, pulumi-language-nodejs, pulumi-resource-kubernetes,
# actionlint (the validate tier's workflow linter), kubelet, kube-proxy, coredns,
# kube-network-policies and prometheus (the node tier's real node, its NetworkPolicy enforcement
# and the Prometheus that scrapes it). `keda-crds` builds nothing: it copies KEDA's ScaledObject CRD from
# the pinned KEDA module into .tools/keda-crds (the e2e tier applies it) and KEDA's manifests (its
# config/ tree) into .tools/keda-config; keda-operator and keda-adapter are KEDA itself, run by the
# node tier (scripts/node/keda-up.sh); `prom-crds` copies the
# Prometheus Operator's PodMonitor and PrometheusRule CRDs into .tools/prom-crds the same way.
#
# Each binary has a stamp file (.tools/bin/.stamp-<name>) recording what it was built
# from; a binary whose stamp matches is skipped, so a second run takes seconds and a
# version bump rebuilds only what changed. Go's module and build caches stay in their
# default places (GOMODCACHE, GOCACHE), so fresh clones on the same machine reuse them.
#
# Several runs may overlap (`npm run try` beside the tests, or the validate tier's actionlint
# beside a build started by hand): one build at a time holds .tools/.build.lock, and a run
# that waited for it checks the stamp again, so nothing is built twice. scripts/test.sh runs one
# in the background on idle CPU from its start; a tier's own build.sh then waits only for the
# tools it names.
#
# Usage: scripts/tools/build.sh [NAME... | --for e2e]   (default: every tool)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../lib.sh"
require_go

SRC_DIR="$TOOLS_DIR/src"         # wrapper modules laid out for building
STAGES_DIR="$TOOLS_DIR/kwok-stages"
KEDA_CRDS_DIR="$TOOLS_DIR/keda-crds"
# KEDA's own kustomize tree (config/), the manifests a user installs (scripts/node/keda-up.sh).
KEDA_CONFIG_DIR="$TOOLS_DIR/keda-config"
# The CRDs taken from the KEDA module's config/crd/bases (our program renders only ScaledObjects).
KEDA_CRDS=(keda.sh_scaledobjects.yaml)
PROM_CRDS_DIR="$TOOLS_DIR/prom-crds"
# The CRDs taken from the Prometheus Operator module's example/prometheus-operator-crd (what
# components/monitoring/ renders).
PROM_CRDS=(monitoring.coreos.com_podmonitors.yaml monitoring.coreos.com_prometheusrules.yaml)
mkdir -p "$TOOLS_BIN" "$SRC_DIR"

# Binaries are written to a temporary name and renamed when complete; an interrupted
# build leaves neither a half-written binary nor a stamp behind. Only the lock's holder
# writes temporaries, so it may remove any it finds (left by a run that was killed); on exit a
# run removes only its own.
TMP=".tmp-$$"
cleanup() {
  rm -rf "$TOOLS_BIN/$TMP"-* "$TOOLS_DIR/$TMP"-*
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Sources a wrapper module contributes to its stamp besides the pins: editing main.go
# rebuilds too.
wrapper_digest() {
  find "$REPO_ROOT/scripts/tools/go/$1" -maxdepth 1 -name '*.go' -type f -print0 |
    sort -z | xargs -0 -r cat | sha256sum | cut -c1-16
}

k8s_ldflags() {
  local minor="${KUBERNETES_VERSION#v1.}" pkg flags=""
  minor="${minor%%.*}"
  # Without these the binaries report v0.0.0-master, which breaks version checks
  # in clients and the apiserver's own compatibility version.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean"
  done
  echo "$flags"
}

# tool_of NAME: the wrapper module (or "kwok") that NAME comes from.
tool_of() {
  local name="$1" c
  for c in "${KUBERNETES_COMMANDS[@]}"; do
    [[ "$name" == "$c" ]] && { echo kubernetes; return; }
  done
  case "$name" in
    etcd | pulumi | pulumi-language-nodejs | pulumi-resource-kubernetes | kube-network-policies | prometheus | kwok | actionlint | coredns | keda-crds | prom-crds) echo "$name" ;;
    keda-operator | keda-adapter) echo keda ;;
    *) die "unknown tool: $name" ;;
  esac
}

# ldflags_of NAME: version stamps, without which several tools misreport themselves.
ldflags_of() {
  local flags="-s -w"
  case "$1" in
    pulumi) flags+=" -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" ;;
    pulumi-language-nodejs)
      flags+=" -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGUAGE_NODEJS_SDK_VERSION" ;;
    # Must equal the @pulumi/kubernetes npm version, or the engine hunts for that plugin.
    pulumi-resource-kubernetes)
      flags+=" -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" ;;
    prometheus) flags+=" -X github.com/prometheus/common/version.Version=$(prometheus_release)" ;;
    # What the operator and adapter log at start and report in their metrics.
    keda-operator | keda-adapter) flags+=" -X github.com/kedacore/keda/v2/version.Version=${KEDA_VERSION#v}" ;;
    etcd | kwok | actionlint | coredns | kube-network-policies) ;;
    *) flags+="$(k8s_ldflags)" ;;
  esac
  echo "$flags"
}

# prometheus_release: the release a Prometheus module version stands for (v0.316.0 -> 3.16.0),
# what `prometheus --version` reports.
prometheus_release() {
  local v="${PROMETHEUS_VERSION#v0.}"
  local first="${v%%.*}"
  echo "${first:0:1}.$((10#${first:1})).${v#*.}"
}

# tags_of NAME: build tags. Prometheus keeps Kubernetes as its only service discovery: the
# others (clouds' SDKs) are most of its build and the node tier needs none of them.
tags_of() {
  case "$1" in
    prometheus) echo remove_all_sd,enable_kubernetes_sd ;;
  esac
}

# package_of NAME: the package to build inside its wrapper module.
package_of() {
  case "$1" in
    etcd | pulumi-resource-kubernetes | kube-network-policies | coredns) echo . ;;
    pulumi) echo github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ;;
    pulumi-language-nodejs) echo github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs ;;
    prometheus) echo github.com/prometheus/prometheus/cmd/prometheus ;;
    keda-operator) echo github.com/kedacore/keda/v2/cmd/operator ;;
    keda-adapter) echo github.com/kedacore/keda/v2/cmd/adapter ;;
    *) echo "k8s.io/kubernetes/cmd/$1" ;;
  esac
}

# stamp_for NAME: one line naming everything NAME is built from.
stamp_for() {
  local name="$1" tool
  tool="$(tool_of "$name")"
  if [[ "$tool" == keda-crds ]]; then
    printf 'keda %s: %s config/\n' "$KEDA_VERSION" "${KEDA_CRDS[*]}"
    return
  fi
  if [[ "$tool" == prom-crds ]]; then
    printf 'prometheus-operator %s: %s\n' "$PROMETHEUS_OPERATOR_VERSION" "${PROM_CRDS[*]}"
    return
  fi
  case "$tool" in
    pulumi) printf 'pulumi %s' "$PULUMI_VERSION" ;;
    pulumi-language-nodejs) printf 'sdk %s' "$PULUMI_LANGUAGE_NODEJS_SDK_VERSION" ;;
    pulumi-resource-kubernetes) printf 'provider %s as %s' "$PULUMI_KUBERNETES_PROVIDER_MODULE" "$PULUMI_KUBERNETES_VERSION" ;;
    kubernetes) printf 'kubernetes %s' "$KUBERNETES_VERSION" ;;
    etcd) printf 'etcd %s' "$ETCD_VERSION" ;;
    kwok) printf 'kwok %s' "$KWOK_VERSION" ;;
    actionlint) printf 'actionlint %s' "$ACTIONLINT_VERSION" ;;
    coredns) printf 'coredns %s' "$COREDNS_VERSION" ;;
    kube-network-policies) printf 'kube-network-policies %s' "$KUBE_NETWORK_POLICIES_VERSION" ;;
    prometheus) printf 'prometheus %s' "$PROMETHEUS_VERSION" ;;
    keda) printf 'keda %s static' "$KEDA_VERSION" ;;
  esac
  [[ "$tool" == kwok || "$tool" == actionlint ]] || printf ' wrapper %s' "$(wrapper_digest "$tool")"
  printf ' ldflags %s tags %s flags %s\n' "$(ldflags_of "$name" | sha256sum | cut -c1-16)" "$(tags_of "$name")" \
    "$(printf '%s ' "${GO_FLAGS[@]}" | sha256sum | cut -c1-16)"
}

up_to_date() {
  local name="$1" stamp="$TOOLS_BIN/.stamp-$1" f
  [[ -f "$stamp" && "$(cat "$stamp")" == "$(stamp_for "$name")" ]] || return 1
  if [[ "$name" == keda-crds ]]; then
    for f in "${KEDA_CRDS[@]}"; do
      [[ -f "$KEDA_CRDS_DIR/$f" ]] || return 1
    done
    [[ -f "$KEDA_CONFIG_DIR/default/kustomization.yaml" ]] || return 1
    return 0
  fi
  if [[ "$name" == prom-crds ]]; then
    for f in "${PROM_CRDS[@]}"; do
      [[ -f "$PROM_CRDS_DIR/$f" ]] || return 1
    done
    return 0
  fi
  [[ -x "$TOOLS_BIN/$name" ]] || return 1
  if [[ "$name" == kwok ]]; then
    [[ -f "$STAGES_DIR/node-initialize.yaml" && -f "$STAGES_DIR/pod-ready.yaml" ]] || return 1
  fi
}

# Flags of every build. The binaries are stripped (-s -w), so the compiler's DWARF would only be
# thrown away at link time: not making it builds a cold cache about 11% faster (CoreDNS: 66 s
# instead of 74 s, measured on 2 cores).
GO_FLAGS=(-trimpath -buildvcs=false -gcflags=all=-dwarf=false)

# Wrapper modules already laid out in this run (several binaries share one).
declare -A PREPARED=()

build_one() {
  local name="$1" tool start verb=built
  tool="$(tool_of "$name")"
  start="$(now_ms)"
  if [[ "$tool" == keda-crds ]]; then
    copy_keda_crds
    verb=copied
  elif [[ "$tool" == prom-crds ]]; then
    copy_crds "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" \
      example/prometheus-operator-crd "$PROM_CRDS_DIR" "${PROM_CRDS[@]}"
    verb=copied
  elif [[ "$tool" == kwok ]]; then
    build_kwok
  elif [[ "$tool" == actionlint ]]; then
    build_actionlint
  else
    if [[ -z "${PREPARED[$tool]:-}" ]]; then
      prepare_wrapper "$tool" "$SRC_DIR/$tool"
      warn_on_drift "$tool"
      PREPARED[$tool]=1
    fi
    # KEDA's binaries run FROM scratch (scripts/node/build-images.sh): static, as upstream builds them.
    local cgo
    cgo="$(go env CGO_ENABLED)"
    [[ "$tool" == keda ]] && cgo=0
    (cd "$SRC_DIR/$tool" &&
      CGO_ENABLED="$cgo" go build "${GO_FLAGS[@]}" -tags "$(tags_of "$name")" -ldflags "$(ldflags_of "$name")" \
        -o "$TOOLS_BIN/$TMP-$name" "$(package_of "$name")")
    mv -f "$TOOLS_BIN/$TMP-$name" "$TOOLS_BIN/$name"
  fi
  stamp_for "$name" >"$TOOLS_BIN/.stamp-$name"
  log "$name: $verb in $(since "$start")"
}

# The committed go.mod/go.sum are a snapshot of versions.env; say so when they lag.
warn_on_drift() {
  local f
  for f in go.mod go.sum; do
    if ! cmp -s "$SRC_DIR/$1/$f" "$REPO_ROOT/scripts/tools/go/$1/$f"; then
      log "note: scripts/tools/go/$1/$f differs from versions.env; run scripts/tools/pin.sh $1 and commit"
    fi
  done
}

build_kwok() {
  local gobin="$TOOLS_DIR/$TMP-kwok" dir s f
  GOBIN="$gobin" go install "${GO_FLAGS[@]}" -ldflags "$(ldflags_of kwok)" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  # kwok starts with no stages; these are the module's own "fast" node and pod
  # lifecycles plus lease heartbeats. Copied, not committed, so they follow the version.
  dir="$(module_dir "sigs.k8s.io/kwok@$KWOK_VERSION")/kustomize/stage"
  for s in node/fast node/heartbeat-with-lease pod/fast; do
    # The YAML files each stage's kustomization.yaml lists, in its order.
    while read -r f; do
      install -m 644 "$dir/$s/$f" "$gobin/$f"
    done < <(awk '/^resources:/ { on = 1; next } on && /^- / { print $2 }' "$dir/$s/kustomization.yaml")
  done
  rm -rf "$STAGES_DIR"
  mkdir -p "$STAGES_DIR"
  mv -f "$gobin"/*.yaml "$STAGES_DIR/"
  mv -f "$gobin/kwok" "$TOOLS_BIN/kwok"
}

# actionlint: a plain `go install` of the pinned module (it reports that version itself).
build_actionlint() {
  local gobin="$TOOLS_DIR/$TMP-actionlint"
  GOBIN="$gobin" go install "${GO_FLAGS[@]}" -ldflags "$(ldflags_of actionlint)" \
    "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  mv -f "$gobin/actionlint" "$TOOLS_BIN/actionlint"
}

# copy_crds MODULE@VERSION SUBDIR DEST FILE...: CRDs straight from a pinned module (the Go
# module proxy serves it, with its checksum checked like any other module), so they follow
# the pin in versions.env. Not committed.
copy_crds() {
  local module="$1" subdir="$2" dest="$3" tmp dir f
  shift 3
  tmp="$TOOLS_DIR/$TMP-$(basename "$dest")"
  dir="$(module_dir "$module")/$subdir"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  for f in "$@"; do
    [[ -f "$dir/$f" ]] || die "$module has no $subdir/$f"
    install -m 644 "$dir/$f" "$tmp/$f"
  done
  rm -rf "$dest"
  mv -f "$tmp" "$dest"
  log "$(basename "$dest"): $* of $module copied to $dest"
}

# keda-crds: KEDA's CRDs and its whole config/ tree, following KEDA_VERSION.
copy_keda_crds() {
  local module="github.com/kedacore/keda/v2@$KEDA_VERSION" tmp="$TOOLS_DIR/$TMP-keda-config"
  copy_crds "$module" config/crd/bases "$KEDA_CRDS_DIR" "${KEDA_CRDS[@]}"
  rm -rf "$tmp"
  cp -r "$(module_dir "$module")/config" "$tmp"
  chmod -R u+w "$tmp"
  rm -rf "$KEDA_CONFIG_DIR"
  mv -f "$tmp" "$KEDA_CONFIG_DIR"
}

# What the e2e tier needs (the control plane, KWOK, Pulumi and the provider, the CRDs it checks
# objects against); `--for e2e` builds only these.
e2e_names() {
  echo etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok pulumi pulumi-language-nodejs \
    pulumi-resource-kubernetes keda-crds prom-crds | tr ' ' '\n'
}

# Every tool, in the order the tiers need them (scripts/test.sh builds them in the background in
# this order): the validate tier's actionlint, the e2e tier's, then the real node's, KEDA last
# (the node tier needs it only at its autoscaling specs).
all_names() {
  echo actionlint
  e2e_names
  echo kubelet kube-proxy coredns kube-network-policies prometheus keda-operator keda-adapter | tr ' ' '\n'
}

names=("$@")
if [[ "${1:-}" == --for ]]; then
  [[ "${2:-}" == e2e && $# -eq 2 ]] || die "usage: build.sh --for e2e (got: $*)"
  mapfile -t names < <(e2e_names)
fi
((${#names[@]})) || mapfile -t names < <(all_names)

total_start="$(now_ms)"
# One at a time on purpose, across runs too (the lock): parallel Go builds on 2 cores are not
# faster and the big links (pulumi, the provider) need a lot of memory.
exec {lock_fd}>"$TOOLS_DIR/.build.lock"
for name in "${names[@]}"; do
  if up_to_date "$name"; then
    log "$name: up to date"
    continue
  fi
  if ! flock -n "$lock_fd"; then
    log "$name: waiting for another build of the tools (.tools/.build.lock)"
    flock "$lock_fd"
  fi
  if up_to_date "$name"; then
    log "$name: up to date (built by the other run)"
  else
    rm -rf "$TOOLS_BIN"/.tmp-* "$TOOLS_DIR"/.tmp-*
    build_one "$name"
  fi
  flock -u "$lock_fd"
done
log "tools ready in $TOOLS_BIN ($(since "$total_start"))"
