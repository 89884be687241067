#!/usr/bin/env bash
# Stops the private Docker engine of docker-up.sh. Its images stay in the data root (the
# build cache); `--purge` removes that too. Safe to run when nothing is running.
set -euo pipefail
# shellcheck source=scripts/node/common.sh
source "$(dirname "$0")/common.sh"
require_root
pidfile="$DOCKER_DIR/dockerd.pid"
if [[ -f "$pidfile" ]]; then
  pid="$(<"$pidfile")"
  if [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" && [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == *"$DOCKER_DIR"* ]]; then
    stop_pid "$pid" 20
    log "docker engine stopped"
  fi
fi
# Anything still mounted under the exec root (a killed engine) would block its removal.
grep -F " $DOCKER_DIR/" /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
if [[ "${1:-}" == --purge ]]; then
  rm -rf "$DOCKER_DIR"
  log "removed $DOCKER_DIR"
fi
