#!/usr/bin/env bash
# npm run try: see the stack deploy without a cluster of your own. Builds the pinned tools if
# missing, starts the local control plane (KWOK-simulated nodes: objects are scheduled and
# report Ready, but no container runs), runs the real `pulumi up -s local`, and shows what it
# made. `npm run try:down` tears it all down.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/local-stack.sh
source "$REPO_ROOT/scripts/local-stack.sh"
# --real: real nodes on this machine, real Spark in the pods (scripts/node, needs root).
[[ "${1:-}" == --real ]] && exec bash "$REPO_ROOT/scripts/node/try-real.sh"

bash "$REPO_ROOT/scripts/tools/build.sh"
bash "$REPO_ROOT/scripts/cluster/up.sh"
[[ -d "$REPO_ROOT/node_modules" ]] || (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error)

select_local_stack
pulumi up --yes --skip-preview --stack local

echo
echo "=== stack outputs (pulumi stack output -s local)"
pulumi stack output --stack local
echo
echo "=== what it made (kubectl get all,quota,limits,pdb -n spark-local)"
"$TOOLS_BIN/kubectl" --kubeconfig "$CLUSTER_DIR/kubeconfig" -n spark-local get all,resourcequota,limitrange,poddisruptionbudget
cat <<MSG

The nodes are simulated (KWOK): the API server, scheduler and controllers are real, and the
pods are scheduled and reported Ready, but no Spark process runs in them.
Try a change, in this shell:
  export PATH="$TOOLS_BIN:\$PATH" PULUMI_BACKEND_URL=$LOCAL_BACKEND PULUMI_CONFIG_PASSPHRASE=$LOCAL_PASSPHRASE
  pulumi config set workerReplicas 4 -s local && pulumi up -s local
Inspect:       $TOOLS_BIN/kubectl --kubeconfig $CLUSTER_DIR/kubeconfig -n spark-local get pods -o wide
Tear down:     npm run try:down
MSG
