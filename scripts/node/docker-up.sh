#!/usr/bin/env bash
# Starts a private Docker engine for the node tier's image builds: its own socket, data
# root and exec root under $SPARK_NODE_DOCKER_DIR (default .local/docker), the vfs storage
# driver, and no networking of its own (no bridge, no iptables rules): builds use
# `--network host` and need no network at all with the base image of build-base.sh.
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
start="$(now_ms)"
trap 'rc=$?; if ((rc != 0)); then tail -n 20 "$DOCKER_DIR/dockerd.log" >&2; [[ -f $pidfile ]] && kill "$(<"$pidfile")" 2>/dev/null; fi' EXIT
# Runs in its own session so it outlives this script; stopped by docker-down.sh.
setsid dockerd \
  -H "unix://$DOCKER_SOCK" \
  --data-root "$DOCKER_DIR/data" \
  --exec-root "$DOCKER_DIR/exec" \
  --pidfile "$pidfile" \
  --storage-driver vfs \
  --iptables=false --ip6tables=false --ip-masq=false --bridge=none \
  </dev/null >"$DOCKER_DIR/dockerd.log" 2>&1 &
wait_for 60 "dockerd on $DOCKER_SOCK" docker_cli version || die "dockerd did not start"
log "docker engine up in $(since "$start") ($DOCKER_SOCK)"
echo "DOCKER_HOST=unix://$DOCKER_SOCK"
