#!/usr/bin/env bash
# Installs the validate tier's Python tools into a venv under .cache/ (git-ignored) and prints
# the venv's bin directory. The tools are pinned in scripts/versions.env, their dependencies in
# scripts/validate/constraints.txt; a venv whose stamp matches both is reused as is.
#   scripts/validate/pytools.sh          install if needed; print the bin directory
#   scripts/validate/pytools.sh --lock   reinstall from the pins alone and rewrite constraints.txt
#                                        (after a version bump in versions.env)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

[[ -n "${KUBERNETES_VALIDATE_VERSION:-}" && -n "${CHECKOV_VERSION:-}" ]] ||
  die "KUBERNETES_VALIDATE_VERSION and CHECKOV_VERSION must be pinned in scripts/versions.env"

VENV="$REPO_ROOT/.cache/validate-venv"
CONSTRAINTS="$REPO_ROOT/scripts/validate/constraints.txt"
PACKAGES=("kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "checkov==$CHECKOV_VERSION")

lock=0
case "${1:-}" in
  --lock) lock=1 ;;
  "") ;;
  *) die "usage: $0 [--lock]" ;;
esac

stamp() {
  printf '%s %s constraints %s\n' "${PACKAGES[*]}" "$(python3 -V 2>&1)" "$(sha256sum <"$CONSTRAINTS" | cut -c1-16)"
}

if ((lock == 0)) && [[ -f "$VENV/.stamp" && "$(cat "$VENV/.stamp")" == "$(stamp)" ]]; then
  echo "$VENV/bin"
  exit 0
fi

start="$(now_ms)"
# A venv cannot be moved, so it is built in place; the stamp, written last, marks it complete.
rm -rf "$VENV"
python3 -m venv "$VENV"
pip=("$VENV/bin/pip" install --quiet --disable-pip-version-check --no-input)
if ((lock)); then
  "${pip[@]}" "${PACKAGES[@]}" >&2
  {
    echo "# Dependencies of the validate tier's Python tools, as resolved by"
    echo "# scripts/validate/pytools.sh --lock (the tools themselves are pinned in scripts/versions.env)."
    "$VENV/bin/pip" freeze --disable-pip-version-check | grep -viE '^(kubernetes-validate|checkov)=='
  } >"$CONSTRAINTS"
else
  "${pip[@]}" --constraint "$CONSTRAINTS" "${PACKAGES[@]}" >&2
fi
stamp >"$VENV/.stamp"
log "validate tools: ${PACKAGES[*]} in $VENV ($(since "$start"))"
echo "$VENV/bin"
