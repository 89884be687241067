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
# import_into NODE IMAGE ID ARCHIVE: one node's import, and its stamp once it is complete.
import_into() {
  local node="$1" image="$2" id="$3" archive="$4" start stamp
  start="$(now_ms)"
  stamp="$NODE_DIR/$node/images/${image//[\/:]/_}.id"
  ctr_k8s "$node" images import --snapshotter "$snapshotter" "$archive" >/dev/null
  mkdir -p "$(dirname "$stamp")"
  echo "$id" >"$stamp"
  log "imported $image into $node in $(since "$start")"
}
archive=""
trap 'rm -f "$archive"' EXIT
for image in "$@"; do
  id="$(docker_cli image inspect -f '{{.Id}}' "$image" 2>/dev/null)" || die "$image not in the docker engine; run scripts/node/build-images.sh"
  # containerd names images fully qualified; its config digest is docker's image id.
  ref="docker.io/$image"
  [[ "$image" == */*/* ]] && ref="$image"
  todo=()
  for node in "${nodes[@]}"; do
    stamp="$NODE_DIR/$node/images/${image//[\/:]/_}.id"
    if [[ "$(cat "$stamp" 2>/dev/null)" != "$id" || "$(ctr_k8s "$node" images ls -q "name==$ref" 2>/dev/null)" != "$ref" ]]; then
      todo+=("$node")
    fi
  done
  ((${#todo[@]})) || continue
  archive="$(mktemp -p "$NODE_DIR" image.XXXXXX.tar)"
  docker_cli save -o "$archive" "$image"
  # Every node's containerd at once, from the one archive: unpacking is mostly disk, and the
  # nodes' stores are separate.
  pids=()
  for node in "${todo[@]}"; do
    import_into "$node" "$image" "$id" "$archive" &
    pids+=($!)
  done
  failed=0
  for pid in "${pids[@]}"; do
    wait "$pid" || failed=1
  done
  ((failed == 0)) || die "importing $image into ${todo[*]} failed"
  rm -f "$archive"
  archive=""
done
