#!/usr/bin/env bash
# Tears down what try-real.sh started: the example job stack and the local stack (pulumi
# destroy), the real nodes, the control plane and the private Docker engine (its images
# stay cached in .local/docker). Needs root.
set -euo pipefail
# shellcheck source=scripts/node/common.sh
source "$(dirname "$0")/common.sh"
# shellcheck source=scripts/local-stack.sh
source "$REPO_ROOT/scripts/local-stack.sh"
require_root

if [[ -x "$TOOLS_BIN/pulumi" && -f "$CLUSTER_DIR/kubeconfig" && -d "$LOCAL_STATE" ]]; then
  if pulumi --cwd "$REPO_ROOT/examples/spark-job" stack select local >/dev/null 2>&1; then
    pulumi --cwd "$REPO_ROOT/examples/spark-job" destroy --yes --skip-preview --stack local || log "example destroy failed; going on"
  fi
  select_local_stack
  pulumi destroy --yes --skip-preview --stack local || log "destroy failed; stopping the cluster anyway"
fi
bash "$REPO_ROOT/scripts/node/down.sh"
bash "$REPO_ROOT/scripts/cluster/down.sh"
bash "$REPO_ROOT/scripts/node/docker-down.sh"
rm -rf "$LOCAL_STATE"
log "real Spark cluster, nodes and control plane removed"
