#!/usr/bin/env bash
# Checks the GitHub Actions workflows with actionlint (pinned in scripts/versions.env, built by
# scripts/tools/build.sh): syntax, expressions, permissions, the inputs of well-known actions
# (pulumi/actions, aws-actions/configure-aws-credentials, azure/login, ...), and the `run:`
# scripts through shellcheck, which the image tier installs.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$REPO_ROOT"

bash scripts/tools/build.sh actionlint
mapfile -t workflows < <(find .github/workflows -maxdepth 1 -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
((${#workflows[@]})) || die "no workflow in .github/workflows"
command -v shellcheck >/dev/null 2>&1 || log "note: shellcheck not found; actionlint checks run: scripts without it"
"$TOOLS_BIN/actionlint" "${workflows[@]}"
log "actionlint $ACTIONLINT_VERSION: ${workflows[*]} clean"
