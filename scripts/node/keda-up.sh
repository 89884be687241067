#!/usr/bin/env bash
# Installs KEDA on the real nodes (scripts/node/up.sh) the way a user installs its release:
# upstream's own manifests at KEDA_VERSION (its config/default, rendered by kubectl's kustomize
# from .tools/keda-config), in its namespace `keda` with its service account, RBAC, the
# operator's certificate rotation and the external metrics API registered through API
# aggregation (APIService v1beta1.external.metrics.k8s.io). Only what a registry-less machine
# needs is changed, by a kustomize overlay:
#   - the images: spark-on-k8s/keda:<version>-local (build-images.sh --keda), IfNotPresent;
#   - no CPU requests (upstream: 100m each): the node tier's 4 CPUs are exactly the Spark
#     cluster's (master and two workers of 1 CPU), and a worker added by KEDA needs a whole one;
#   - no admission webhooks: their Deployment needs a third binary, and nothing here relies on
#     their validation (the e2e tier checks ScaledObjects against KEDA's CRD schema).
# Waits until the operator and the metrics server are Available and the API server serves
# external.metrics.k8s.io. Idempotent. Needs root (like the nodes). Usage: scripts/node/keda-up.sh
set -euo pipefail
# shellcheck source=scripts/node/common.sh
source "$(dirname "$0")/common.sh"
require_root

CONFIG_DIR="$TOOLS_DIR/keda-config"
[[ -f "$CONFIG_DIR/default/kustomization.yaml" ]] || die "$CONFIG_DIR missing; run scripts/tools/build.sh keda-crds"
[[ -n "$(node_names)" ]] || die "no real node in $NODE_DIR; run scripts/node/up.sh"
start="$(now_ms)"

overlay="$NODE_DIR/keda"
mkdir -p "$overlay"
# kustomize takes a base outside the overlay's root by relative path only.
base="$(realpath --relative-to="$overlay" "$CONFIG_DIR/default")"
patch='  patch: |-
    - {op: replace, path: /spec/template/spec/containers/0/imagePullPolicy, value: IfNotPresent}
    - {op: replace, path: /spec/template/spec/containers/0/resources/requests/cpu, value: "0"}'
cat >"$overlay/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [$base]
images:
- {name: ghcr.io/kedacore/keda, newName: ${KEDA_IMAGE%:*}, newTag: ${KEDA_IMAGE##*:}}
- {name: ghcr.io/kedacore/keda-metrics-apiserver, newName: ${KEDA_IMAGE%:*}, newTag: ${KEDA_IMAGE##*:}}
patches:
- target: {kind: Deployment, name: keda-operator}
$patch
- target: {kind: Deployment, name: keda-metrics-apiserver}
$patch
YAML
rendered="$overlay/keda.yaml"
LOGS="$NODE_DIR/logs"
CURRENT_LOG="$LOGS/keda.log"
mkdir -p "$LOGS"
kubectl kustomize "$overlay" >"$rendered" 2>>"$CURRENT_LOG" || { show_failed_log 1; die "kustomize of KEDA's config failed"; }
# Drop the admission webhooks (their Deployment, Service and webhook configuration) whole: a
# JSON patch cannot delete an object, so the rendered stream is filtered by kind and name.
python3 - "$rendered" <<'PY'
import re, sys
path = sys.argv[1]
docs = re.split(r"^---\n", open(path).read(), flags=re.M)
def admission(doc):
    kind = re.search(r"^kind: (\S+)", doc, re.M)
    name = re.search(r"^  name: (\S+)", doc, re.M)
    return (kind and kind.group(1) == "ValidatingWebhookConfiguration") or (
        name and name.group(1) in ("keda-admission", "keda-admission-webhooks"))
open(path, "w").write("---\n".join(d for d in docs if d.strip() and not admission(d)))
PY
grep -q "image: $KEDA_IMAGE" "$rendered" || die "the rendered KEDA manifests do not use $KEDA_IMAGE (upstream renamed its images?)"
kubectl apply --server-side --force-conflicts -f "$rendered" >>"$CURRENT_LOG" 2>&1 || { show_failed_log 1; die "applying KEDA's manifests failed"; }

kubectl -n keda rollout status deployment/keda-operator --timeout=180s >>"$CURRENT_LOG" 2>&1 ||
  { kubectl -n keda get pods -o wide >>"$CURRENT_LOG" 2>&1; show_failed_log 1; die "KEDA's operator did not become Available"; }
kubectl -n keda rollout status deployment/keda-metrics-apiserver --timeout=180s >>"$CURRENT_LOG" 2>&1 ||
  { kubectl -n keda get pods -o wide >>"$CURRENT_LOG" 2>&1; show_failed_log 1; die "KEDA's metrics server did not become Available"; }
external_metrics_served() {
  [[ "$(kubectl get apiservice v1beta1.external.metrics.k8s.io -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null)" == True ]] &&
    kubectl get --raw /apis/external.metrics.k8s.io/v1beta1 >/dev/null 2>&1
}
wait_for 120 "the external metrics API through aggregation" external_metrics_served ||
  { kubectl get apiservice v1beta1.external.metrics.k8s.io -o yaml >>"$CURRENT_LOG" 2>&1; show_failed_log 1; die "the API server does not serve external.metrics.k8s.io"; }
log "KEDA $KEDA_VERSION up in namespace keda, external metrics served through aggregation ($(since "$start"))"
