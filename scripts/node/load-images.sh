#!/usr/bin/env bash
# Copies images from the private Docker engine (docker-up.sh) into each node's containerd
# (k8s.io namespace), where pods with pull policy IfNotPresent find them: there is no
# registry. An image a node already holds with the same id is skipped.
# Needs root. Usage: scripts/node/load-images.sh [--node NAME] IMAGE...  (default: all nodes)
set -euo pipefail
# shellcheck source=scripts/node/common.sh
source "$(dirname "$0")/common.sh"
require_root
nodes=()
if [[ "${1:-}" == --node ]]; then
  nodes=("${2:?--node needs a name}")
  shift 2
else
  mapfile -t nodes < <(node_names)
fi
(($#)) || die "usage: load-images.sh [--node NAME] IMAGE..."
((${#nodes[@]})) || die "no node in $NODE_DIR; run scripts/node/up.sh"
snapshotter="$(cat "$NODE_DIR/snapshotter" 2>/dev/null || echo native)"
for node in "${nodes[@]}"; do
  [[ -S "$(containerd_sock "$node")" ]] || die "no containerd for node $node; run scripts/node/up.sh"
done
for image in "$@"; do
  id="$(docker_cli image inspect -f '{{.Id}}' "$image" 2>/dev/null)" || die "$image not in the docker engine; run scripts/node/build-images.sh"
  # containerd names images fully qualified; its config digest is docker's image id.
  ref="docker.io/$image"
  [[ "$image" == */*/* ]] && ref="$image"
  archive=""
  for node in "${nodes[@]}"; do
    stamp="$NODE_DIR/$node/images/${image//[\/:]/_}.id"
    if [[ "$(cat "$stamp" 2>/dev/null)" == "$id" && "$(ctr_k8s "$node" images ls -q "name==$ref" 2>/dev/null)" == "$ref" ]]; then
      continue
    fi
    start="$(now_ms)"
    if [[ -z "$archive" ]]; then
      archive="$(mktemp -p "$NODE_DIR" image.XXXXXX.tar)"
      trap 'rm -f "$archive"' EXIT
      docker_cli save -o "$archive" "$image"
    fi
    ctr_k8s "$node" images import --snapshotter "$snapshotter" "$archive" >/dev/null
    mkdir -p "$(dirname "$stamp")"
    echo "$id" >"$stamp"
    log "imported $image into $node in $(since "$start")"
  done
  [[ -z "$archive" ]] || rm -f "$archive"
done
