#!/usr/bin/env bash
# Builds the node tier's images in the private Docker engine (docker-up.sh), no registry:
#   base   spark-on-k8s/base:<suite>-jre17: Debian (NODE_BASE_SUITE) minbase with Java 17,
#          tini, procps, bash and python3, debootstrapped into .cache/node/base-root from
#          the Debian mirror apt uses here, then `docker import`ed
#   pause  spark-on-k8s/pause:local: a static pause binary (containerd's sandbox image)
#   spark  spark-on-k8s/spark:<version>-local for each VERSION (default: the pinned default
#          and previous Spark), built from images/spark/Dockerfile by
#          scripts/spark/build-image.sh --local --base <base>
# An image whose inputs (Dockerfile context, version, base) are unchanged is not rebuilt:
# its `spark-on-k8s.inputs` label records them. Needs root (debootstrap, docker).
#   keda   spark-on-k8s/keda:<KEDA_VERSION>-local with --keda (--only-keda: no Spark image): KEDA's operator and metrics server
#          (scripts/tools/build.sh keda-operator keda-adapter), static binaries FROM scratch,
#          named as upstream's images name them (/keda, /keda-adapter)
# Usage: scripts/node/build-images.sh [--keda] [VERSION...] | --only-keda
set -euo pipefail
# shellcheck source=scripts/node/common.sh
source "$(dirname "$0")/common.sh"
require_root
docker_cli version >/dev/null 2>&1 || die "no docker engine on $DOCKER_SOCK; run scripts/node/docker-up.sh"

keda=0
spark=1
case "${1:-}" in
  --keda) keda=1 && shift ;;
  --only-keda)
    (($# == 1)) || die "--only-keda takes no versions (got: $*)"
    keda=1 spark=0 && shift ;;
esac
versions=("$@")
((${#versions[@]} || !spark)) || versions=("$SPARK_VERSION_DEFAULT" "$SPARK_VERSION_PREVIOUS")

label_of() {
  docker_cli image inspect -f '{{ index .Config.Labels "spark-on-k8s.inputs" }}' "$1" 2>/dev/null || true
}

# --- base
ROOTFS="$NODE_CACHE/base-root"
PACKAGES=openjdk-17-jre-headless,tini,procps,bash,python3
base_inputs="suite=$NODE_BASE_SUITE packages=$PACKAGES"
rootfs_valid() {
  [[ "$(cat "$1/.spark-on-k8s-base" 2>/dev/null)" == "$base_inputs" ]] || return 1
  local f
  for f in usr/bin/java usr/bin/tini usr/bin/ps usr/bin/python3 bin/bash; do
    [[ -e "$1/$f" ]] || return 1
  done
}
# The Debian mirror apt uses on this machine (deb822 sources or a classic sources.list).
debian_mirror() {
  local m
  m="$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1)"
  [[ -n "$m" ]] || m="$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep -v security | head -n1)"
  echo "${m:-http://deb.debian.org/debian}"
}
if [[ "$(label_of "$BASE_IMAGE")" != "$base_inputs" ]]; then
  if ! rootfs_valid "$ROOTFS"; then
    start="$(now_ms)"
    tmp="$ROOTFS.tmp"
    rm -rf "$tmp"
    mkdir -p "$NODE_CACHE"
    mirror="$(debian_mirror)"
    log "debootstrap $NODE_BASE_SUITE from $mirror into $ROOTFS (about a minute)"
    debootstrap --variant=minbase --include="$PACKAGES" "$NODE_BASE_SUITE" "$tmp" "$mirror" >"$NODE_CACHE/debootstrap.log" 2>&1 ||
      { tail -n 20 "$NODE_CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $NODE_CACHE/debootstrap.log)"; }
    # Nothing in a container image needs the package caches.
    rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/*
    echo "$base_inputs" >"$tmp/.spark-on-k8s-base"
    rm -rf "$ROOTFS"
    mv "$tmp" "$ROOTFS"
    log "base root ready in $(since "$start")"
  fi
  start="$(now_ms)"
  # --exclude: the marker and the mount points' contents (debootstrap leaves them empty).
  tar -C "$ROOTFS" --exclude=./.spark-on-k8s-base --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' -c . |
    docker_cli import --change "LABEL spark-on-k8s.inputs=\"$base_inputs\"" --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  log "imported $BASE_IMAGE in $(since "$start")"
else
  log "$BASE_IMAGE up to date"
fi

# --- pause: blocks until SIGINT/SIGTERM, reaps children; static, so FROM scratch works.
pause_src='#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void stop(int s) { (void)s; exit(0); }
static void reap(int s) { (void)s; while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
  signal(SIGINT, stop); signal(SIGTERM, stop); signal(SIGCHLD, reap);
  for (;;) pause();
}'
pause_inputs="pause $(printf '%s' "$pause_src" | sha256sum | cut -c1-16)"
if [[ "$(label_of "$PAUSE_IMAGE")" != "$pause_inputs" ]]; then
  command -v gcc >/dev/null || die "gcc missing; run scripts/node/install.sh"
  ctx="$(mktemp -d)"
  trap 'rm -rf "$ctx"' EXIT
  printf '%s\n' "$pause_src" >"$ctx/pause.c"
  gcc -Os -static -o "$ctx/pause" "$ctx/pause.c"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$ctx/Dockerfile"
  docker_cli build -q --label "spark-on-k8s.inputs=$pause_inputs" -t "$PAUSE_IMAGE" "$ctx" >/dev/null
  rm -rf "$ctx"
  trap - EXIT
  log "built $PAUSE_IMAGE"
else
  log "$PAUSE_IMAGE up to date"
fi

# --- keda: the binaries as built, their build stamps (what they were built from) the inputs.
if ((keda)); then
  for bin in keda-operator keda-adapter; do
    [[ -x "$TOOLS_BIN/$bin" ]] || die "$TOOLS_BIN/$bin missing; run scripts/tools/build.sh keda-operator keda-adapter"
  done
  keda_inputs="keda $(cat "$TOOLS_BIN/.stamp-keda-operator" "$TOOLS_BIN/.stamp-keda-adapter" | sha256sum | cut -c1-16)"
  if [[ "$(label_of "$KEDA_IMAGE")" != "$keda_inputs" ]]; then
    start="$(now_ms)"
    ctx="$(mktemp -d -p "$NODE_CACHE")"
    trap 'rm -rf "$ctx"' EXIT
    ln "$TOOLS_BIN/keda-operator" "$ctx/keda" 2>/dev/null || cp "$TOOLS_BIN/keda-operator" "$ctx/keda"
    ln "$TOOLS_BIN/keda-adapter" "$ctx/keda-adapter" 2>/dev/null || cp "$TOOLS_BIN/keda-adapter" "$ctx/keda-adapter"
    # Upstream's manifests run both as non-root (runAsNonRoot): a numeric user, as in its images.
    printf 'FROM scratch\nCOPY keda keda-adapter /\nUSER 1000:1000\n' >"$ctx/Dockerfile"
    docker_cli build -q --label "spark-on-k8s.inputs=$keda_inputs" -t "$KEDA_IMAGE" "$ctx" >/dev/null
    rm -rf "$ctx"
    trap - EXIT
    log "built $KEDA_IMAGE in $(since "$start")"
  else
    log "$KEDA_IMAGE up to date"
  fi
fi

# --- spark: the project's own Dockerfile, Spark staged from pyspark (no Apache download).
context_digest() {
  (cd "$REPO_ROOT/images/spark" && find . -path ./dist -prune -o -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}
base_id="$(docker_cli image inspect -f '{{.Id}}' "$BASE_IMAGE")"
# A build that runs out of disk fails deep in Docker's output; say what it needs first.
# Each build needs about 1 GB on overlay2, and 6 GB on vfs (a full copy per step).
driver="$(docker_cli info -f '{{.Driver}}')"
need_gb=1
[[ "$driver" == overlay2 ]] || need_gb=6
for version in "${versions[@]}"; do
  tag="$(spark_image "$version")"
  # No spaces: it travels through DOCKER_BUILD_FLAGS, which is split on whitespace.
  inputs="spark=$version,context=$(context_digest),base=${base_id:7:16}"
  if [[ "$(label_of "$tag")" == "$inputs" ]]; then
    log "$tag up to date"
    continue
  fi
  free_gb="$(($(df --output=avail "$DOCKER_DIR" | tail -n1) / 1024 / 1024))"
  ((free_gb >= need_gb)) || die "building $tag needs about $need_gb GB free on $DOCKER_DIR (storage driver $driver); it has $free_gb GB"
  start="$(now_ms)"
  DOCKER_HOST="unix://$DOCKER_SOCK" DOCKER_BUILDKIT=0 \
    DOCKER_BUILD_FLAGS="--network host --label spark-on-k8s.inputs=$inputs" \
    "$REPO_ROOT/scripts/spark/build-image.sh" --local --base "$BASE_IMAGE" --tag "$tag" "$version" >"$NODE_CACHE/build-$version.log" 2>&1 ||
    { tail -n 30 "$NODE_CACHE/build-$version.log" >&2; die "image build for Spark $version failed (log: $NODE_CACHE/build-$version.log)"; }
  log "built $tag in $(since "$start")"
done
# The staging stage's images and any replaced build are dangling now; the labels above, not
# Docker's layer cache, decide what is rebuilt. About 1 GB.
docker_cli image prune -f >/dev/null
