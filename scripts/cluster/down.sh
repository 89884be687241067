#!/usr/bin/env bash
# Stops the local cluster started by up.sh (every process recorded in its state dir,
# SIGKILL for those that ignore SIGTERM) and removes the state dir. Safe to run when
# nothing is running.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../lib.sh"

# Nothing is started here, so there is nothing of ours to clean up on exit; an interrupted
# run is simply repeated.
if [[ ! -e "$CLUSTER_DIR" ]]; then
  log "no cluster in $CLUSTER_DIR"
  exit 0
fi
stop_cluster
remove_cluster_dir
log "cluster in $CLUSTER_DIR stopped and removed"
