#!/usr/bin/env bash
# Starts a private Docker engine for the node tier's image builds: its own socket, data
# root and exec root under $SPARK_NODE_DOCKER_DIR (default .local/docker), the overlay2
# storage driver where overlayfs mounts there (else vfs), and no networking of its own (no
# bridge, no iptables rules): builds use `--network host` and need no network at all with
# the base image of build-images.sh.
# Images stay in the data root across runs, so a rebuild of an unchanged image is skipped.
# Needs root. Prints DOCKER_HOST=... ; if the engine already runs, says so and exits 0.
set -euo pipefail
# shellcheck source=scripts/node/common.sh
source "$(dirname "$0")/common.sh"
require_root
command -v dockerd >/dev/null || die "dockerd missing; run scripts/node/install.sh"

pidfile="$DOCKER_DIR/dockerd.pid"
if [[ -S "$DOCKER_SOCK" ]] && docker_cli version >/dev/null 2>&1; then
  log "docker engine already up ($DOCKER_SOCK)"
  echo "DOCKER_HOST=unix://$DOCKER_SOCK"
  exit 0
fi
mkdir -p "$DOCKER_DIR/data" "$DOCKER_DIR/exec"
# overlay2 stores each layer once: both Spark images and the base take about 1.5 GB. vfs
# copies the whole tree into every layer and every build step: about 11 GB, which ran a CI
# machine out of disk. Images of the driver not chosen are of no use to this engine.
driver=vfs
overlay_works "$DOCKER_DIR" && driver=overlay2
for other in vfs overlay2; do
  if [[ "$other" != "$driver" && -d "$DOCKER_DIR/data/$other" ]]; then
    log "removing the $other images of an earlier engine ($(du -sh "$DOCKER_DIR/data/$other" | cut -f1)); this one uses $driver"
    rm -rf "${DOCKER_DIR:?}/data/$other" "$DOCKER_DIR/data/image/$other"
  fi
done
start="$(now_ms)"
trap 'rc=$?; if ((rc != 0)); then tail -n 20 "$DOCKER_DIR/dockerd.log" >&2; [[ -f $pidfile ]] && kill "$(<"$pidfile")" 2>/dev/null; fi' EXIT
# Runs in its own session so it outlives this script; stopped by docker-down.sh.
setsid dockerd \
  -H "unix://$DOCKER_SOCK" \
  --data-root "$DOCKER_DIR/data" \
  --exec-root "$DOCKER_DIR/exec" \
  --pidfile "$pidfile" \
  --storage-driver "$driver" \
  --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
  </dev/null >"$DOCKER_DIR/dockerd.log" 2>&1 &
wait_for 60 "dockerd on $DOCKER_SOCK" docker_cli version || die "dockerd did not start"
log "docker engine up in $(since "$start") ($DOCKER_SOCK, storage driver $driver)"
echo "DOCKER_HOST=unix://$DOCKER_SOCK"
