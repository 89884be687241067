#!/usr/bin/env bash
# promtool (Debian package `prometheus`) checks the alert and recording rules that
# components/monitoring/rules.ts builds and runs their unit tests
# (scripts/validate/monitoring-rules.test.yml: each alert fires and does not fire).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$REPO_ROOT"

if ! command -v promtool >/dev/null; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    log "installing promtool (Debian package prometheus)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null ||
      { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus >/dev/null; } ||
      die "apt-get install prometheus failed"
  else
    die "promtool missing: install the Debian package prometheus (needs root)"
  fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
start="$(now_ms)"
TS_NODE_TRANSPILE_ONLY=1 npx ts-node scripts/validate/monitoring-rules.ts "$work/rules.json" "$work/dashboard.json" ||
  die "rendering the monitoring rules failed"
cp scripts/validate/monitoring-rules.test.yml "$work/"
promtool check rules "$work/rules.json" || die "promtool check rules failed"
promtool check rules "$work/dashboard.json" || die "promtool could not parse a dashboard query"
(cd "$work" && promtool test rules monitoring-rules.test.yml) || die "promtool test rules failed"
log "monitoring rules checked and tested by $(promtool --version 2>&1 | head -n 1) ($(since "$start"))"
