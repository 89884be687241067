#!/usr/bin/env bash
# Validates the Kubernetes objects every stack file (and the example consumer stack) would apply,
# rendered on Pulumi mocks into a temporary directory:
#   kubernetes-validate --strict  against the Kubernetes version each stack targets (unknown
#                                 fields and wrong types fail);
#   checkov --framework kubernetes  every failed check fails, except those the objects accept
#                                 inline with a reason (checkov.io/skip<N> annotations, see
#                                 components/scanner.ts), which are listed.
# The tools come from PyPI, pinned (scripts/validate/pytools.sh).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$REPO_ROOT"

bin="$(bash scripts/validate/pytools.sh)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="$work/rendered"

# The local control plane's MAJOR.MINOR: what stacks without a pinned version are checked against.
local_version="${KUBERNETES_VERSION#v}"
local_version="${local_version%.*}"

start="$(now_ms)"
TS_NODE_TRANSPILE_ONLY=1 npx ts-node scripts/validate/render-all.ts "$out" "$local_version" >"$work/targets.tsv" ||
  die "rendering the stacks on mocks failed"
mapfile -t targets <"$work/targets.tsv"
((${#targets[@]})) || die "nothing was rendered"
log "rendered ${#targets[@]} stacks ($(since "$start"))"

# Schema versions the installed kubernetes-validate carries, MAJOR.MINOR.PATCH, one a line.
mapfile -t schemas < <("$bin/python" -c 'from kubernetes_validate.utils import all_versions; print("\n".join(all_versions()))')

# nearest_schema MAJOR.MINOR: that version's schema, else the nearest minor it has (said so).
nearest_schema() {
  local want="${1#*.}" best="" best_distance=999 v minor distance
  for v in "${schemas[@]}"; do
    [[ "$v" == 1.* ]] || continue
    minor="${v#1.}"
    minor="${minor%%.*}"
    distance=$((minor > want ? minor - want : want - minor))
    if ((distance < best_distance)); then
      best="$v"
      best_distance=$distance
    fi
  done
  [[ -n "$best" ]] || die "kubernetes-validate $KUBERNETES_VALIDATE_VERSION has no Kubernetes 1.x schemas"
  if ((best_distance > 0)); then
    log "note: kubernetes-validate $KUBERNETES_VALIDATE_VERSION has no schema for $1; using the nearest, $best"
  fi
  echo "$best"
}

status=0
for line in "${targets[@]}"; do
  dir="${line%%$'\t'*}"
  version="${line##*$'\t'}"
  schema="$(nearest_schema "$version")"
  files=("$dir"/*.yaml)
  if "$bin/kubernetes-validate" --strict --quiet -k "$schema" "${files[@]}"; then
    log "kubernetes-validate --strict $schema: $(basename "$dir"): ${#files[@]} objects valid"
  else
    log "kubernetes-validate --strict $schema: $(basename "$dir"): INVALID"
    status=1
  fi
done

# One checkov run over every stack. No network: no platform mappings, nothing downloaded.
report="$work/checkov.txt"
if BC_SKIP_MAPPING=TRUE "$bin/checkov" --directory "$out" --framework kubernetes --compact --skip-download \
  --output cli >"$report" 2>&1; then
  checkov_ok=1
else
  checkov_ok=0
fi
summary="$(grep -m1 -E '^Passed checks: [0-9]+' "$report" || true)"
if [[ -z "$summary" ]]; then
  cat "$report" >&2
  die "checkov printed no summary"
fi
log "checkov $CHECKOV_VERSION: $summary"
# Accepted findings with their reasons, so they stay visible: check, objects, reason.
awk '/^Check: /{check=$2; sub(/:$/, "", check)} /Suppress comment:/{sub(/^[ \t]*Suppress comment: /, ""); n[check "\t" $0]++}
  END {for (k in n) {split(k, p, "\t"); printf "  accepted %s on %d objects: %s\n", p[1], n[k], p[2]}}' "$report" | sort >&2
if ((checkov_ok == 0)) || ! [[ "$summary" =~ Failed\ checks:\ 0, ]]; then
  # The failures, without the long list of passed checks.
  awk '/^Check: /{block=$0; next} /FAILED for resource:/{print block; print; getline; print}' "$report" >&2
  status=1
fi
if ! [[ "$summary" =~ ^Passed\ checks:\ ([1-9][0-9]*) ]]; then
  log "checkov passed no check at all"
  status=1
fi
exit "$status"
