#!/usr/bin/env bash
# npm run try:down: destroys the local stack and stops the local control plane.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/local-stack.sh
source "$REPO_ROOT/scripts/local-stack.sh"
# --real: real nodes on this machine, real Spark in the pods (scripts/node, needs root).
[[ "${1:-}" == --real ]] && exec bash "$REPO_ROOT/scripts/node/try-real-down.sh"

if [[ -x "$TOOLS_BIN/pulumi" && -f "$CLUSTER_DIR/kubeconfig" ]]; then
  select_local_stack
  pulumi destroy --yes --skip-preview --stack local || log "destroy failed; stopping the cluster anyway"
fi
bash "$REPO_ROOT/scripts/cluster/down.sh"
rm -rf "$LOCAL_STATE"
log "local stack and control plane removed"
