#!/usr/bin/env bash
# Rewrites the committed go.mod/go.sum of every wrapper module under scripts/tools/go/ from
# scripts/versions.env. Run it after changing a version there, then commit the result.
# (build.sh applies versions.env by itself; this keeps the committed snapshot in step.)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/../lib.sh"
require_go

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

tools=("$@")
((${#tools[@]})) || tools=("${WRAPPER_TOOLS[@]}")
for tool in "${tools[@]}"; do
  log "$tool: resolving pins"
  prepare_wrapper "$tool" "$work/$tool"
  cp "$work/$tool/go.mod" "$work/$tool/go.sum" "$REPO_ROOT/scripts/tools/go/$tool/"
done
log "updated: ${tools[*]}"
