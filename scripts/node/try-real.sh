#!/usr/bin/env bash
# `npm run try -- --real`: a real Spark cluster on this Linux machine, no minikube. Builds the
# pinned tools, installs what is missing (apt), builds the Spark image with Docker from
# images/spark (Spark from pyspark, no Apache download), starts the local control plane
# with 2 real nodes on this machine (scripts/node/up.sh), runs `pulumi up -s local` of the
# project's own local stack (Pulumi.local.yaml, which names that image), waits until every
# worker is ALIVE in the master, and prints how to open the UI and submit a job.
# Nothing leaves the machine: pods and Services live on a bridge with no way out.
# Needs root. Tear down: scripts/node/try-real-down.sh (npm run try:down -- --real).
set -euo pipefail
# shellcheck source=scripts/node/common.sh
source "$(dirname "$0")/common.sh"
# shellcheck source=scripts/local-stack.sh
source "$REPO_ROOT/scripts/local-stack.sh"
require_root

NODES="${SPARK_NODE_COUNT:-2}"
IMAGE="$(spark_image "$SPARK_VERSION_DEFAULT")"

# A control plane from `npm run try` (simulated nodes, apiserver without the kubelet
# settings) cannot take real nodes: say so instead of mixing them.
if [[ -f "$KUBECONFIG_FILE" ]] && kubectl get nodes -l type=kwok -o name 2>/dev/null | grep -q .; then
  die "the control plane in $CLUSTER_DIR runs simulated nodes (npm run try); run npm run try:down first"
fi

start="$(now_ms)"
bash "$REPO_ROOT/scripts/node/install.sh"
bash "$REPO_ROOT/scripts/tools/build.sh"
bash "$REPO_ROOT/scripts/node/docker-up.sh" >/dev/null
bash "$REPO_ROOT/scripts/node/build-images.sh" "$SPARK_VERSION_DEFAULT"
bash "$REPO_ROOT/scripts/cluster/up.sh" --nodes 0 --real-node >/dev/null
bash "$REPO_ROOT/scripts/node/up.sh" --nodes "$NODES" >/dev/null
bash "$REPO_ROOT/scripts/node/load-images.sh" "$IMAGE"
[[ -d "$REPO_ROOT/node_modules" ]] || (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error)

select_local_stack
pulumi config get image --stack local | grep -qx "$IMAGE" ||
  die "Pulumi.local.yaml's image is not $IMAGE: set it (pulumi config set image $IMAGE -s local)"
pulumi up --yes --skip-preview --stack local

ns="$(pulumi stack output namespace --stack local)"
replicas="$(pulumi stack output workerReplicas --stack local)"
master_json() {
  kubectl get --raw "/api/v1/namespaces/$ns/services/spark-master:8080/proxy/json/"
}
alive_workers() {
  master_json 2>/dev/null | python3 -c 'import json,sys; print(sum(w["state"] == "ALIVE" for w in json.load(sys.stdin)["workers"]))'
}
all_alive() {
  [[ "$(alive_workers)" == "$replicas" ]]
}
wait_for 300 "$replicas workers ALIVE in the master" all_alive || die "workers did not register; see kubectl -n $ns logs deploy/spark-worker"
log "real Spark cluster up in $(since "$start"): $replicas workers ALIVE"

echo
kubectl -n "$ns" get pods -o wide
master_json | python3 -c '
import json, sys
m = json.load(sys.stdin)
print("\nmaster %s: %s" % (m["url"], m["status"]))
for w in m["workers"]:
    print("  worker %s:%s %s %s cores %s MB" % (w["host"], w["port"], w["state"], w["cores"], w["memory"]))'
cat <<MSG

Spark is running in real pods on this machine (nodes: $(kubectl get nodes -o name | tr '\n' ' ')).

Master web UI:   $TOOLS_BIN/kubectl --kubeconfig $KUBECONFIG_FILE -n $ns port-forward svc/spark-master 8080:8080
                 then open http://127.0.0.1:8080 (port-forward listens on loopback only)
Submit a job:    the consumer stack examples/spark-job (a spark-submit Job in the cluster):
                   cd examples/spark-job
                   PATH="$TOOLS_BIN:\$PATH" PULUMI_BACKEND_URL=$LOCAL_BACKEND PULUMI_CONFIG_PASSPHRASE=$LOCAL_PASSPHRASE \\
                     sh -c 'pulumi stack select local 2>/dev/null || pulumi stack init local; pulumi up --yes'
                   $TOOLS_BIN/kubectl --kubeconfig $KUBECONFIG_FILE -n $ns logs -l app.kubernetes.io/name=spark-pi | grep PI=
Scale:           pulumi config set workerReplicas 1 -s local && pulumi up -s local   (same environment as above;
                 $NODES nodes of $(nproc) CPUs fit the master, 2 workers of 1 CPU and a job's driver)
Tear down:       sudo scripts/node/try-real-down.sh
MSG
