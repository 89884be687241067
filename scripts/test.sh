#!/usr/bin/env bash
# The README's test command (`npm test`; .ci/run calls it). It installs what the tiers need
# from the package registries (npm packages, Python tools, Spark, the Go-built tools) and
# runs every tier, each one to the end, then prints one summary line.
#   SPARK_TEST_TIERS="unit spark"  runs only those tiers (names below).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

# The real-node tier needs root and Linux; where it cannot run it says why and is skipped
# (tests/node/harness.ts). Its first run builds the base and Spark images (~10-15 min).
ALL_TIERS=(static unit image validate spark e2e node)
read -r -a TIERS <<<"${SPARK_TEST_TIERS:-${ALL_TIERS[*]}}"

# npm packages, exactly as locked; skipped while node_modules is newer than the lockfile.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

passed=0
failed=0
failed_names=()
skipped=()

# The longest a tier may take, in seconds (SPARK_TIER_TIMEOUT overrides them all): a hung
# tier then fails with its own report instead of eating CI's whole time limit. The cold
# figures (2 cores, nothing cached, 2026-12-03): e2e 44 min with the Go tools build (37),
# node 30 min with the image builds (specs 1-12), spark 16 min; on a faster day e2e 29, node 21
# (specs 1-13), spark 11.
tier_budget() {
  case "$1" in
    e2e) echo "${SPARK_TIER_TIMEOUT:-3300}" ;;
    node) echo "${SPARK_TIER_TIMEOUT:-3000}" ;;
    spark) echo "${SPARK_TIER_TIMEOUT:-1800}" ;;
    *) echo "${SPARK_TIER_TIMEOUT:-900}" ;;
  esac
}

# Each tier's output is also kept in .local/tier-logs/, for the failure summary at the end.
TIER_LOGS="$REPO_ROOT/.local/tier-logs"
rm -rf "$TIER_LOGS"
mkdir -p "$TIER_LOGS"

# What a failed tier said, printed again at the very end: CI shows only the tail of a run, and
# a later tier's output would otherwise bury it. Mocha's failure list when there is one, else
# the tier's last lines.
failure_summary() {
  local name="$1" file="$TIER_LOGS/$1.log"
  [[ -f "$file" ]] || return 0
  log "--- what tier $name said about its failure ($file):"
  if grep -qE '^ +[0-9]+ failing' "$file"; then
    sed -n '/^ *[0-9]* failing/,$p' "$file" | head -n 200
  else
    tail -n 60 "$file"
  fi
}

# The Go tools (scripts/tools/build.sh) take about half an hour to build with nothing cached, and
# the first tiers leave a CPU idle for much of their quarter of an hour: so they build in the
# background from the start, in build.sh's order (what the e2e tier needs first), on idle CPU
# only. The e2e and node tiers' own build.sh calls wait for the tools they name (one lock) and
# skip what is done. The build runs in a session of its own whose autogroup gets nice 19: with
# the kernel's autogroups (sched_autogroup_enabled), nice and SCHED_IDLE act only inside one
# autogroup, and a build in its own at the default weight took half the CPU (it once slowed the
# spark tier from 12 to 23 min); at nice 19 the spark tier ran in 626 s beside it, against
# 647-687 s alone, while the build got through 4 of the provider's 8 minutes.
BACKGROUND_BUILD=""
start_background_build() {
  [[ " ${TIERS[*]} " == *" e2e "* || " ${TIERS[*]} " == *" node "* ]] || return 0
  [[ "${SPARK_BACKGROUND_BUILD:-1}" == 1 ]] || return 0
  command -v go >/dev/null 2>&1 || return 0
  log "building the Go tools in the background on idle CPU (log: $TIER_LOGS/tools-build.log)"
  # setsid does not fork here (a background job is no process group leader), so $! leads the
  # build's process group.
  setsid bash -c 'echo 19 >/proc/self/autogroup 2>/dev/null || true
    exec chrt --idle 0 ionice -c3 bash scripts/tools/build.sh' >"$TIER_LOGS/tools-build.log" 2>&1 </dev/null &
  BACKGROUND_BUILD=$!
}
stop_background_build() {
  [[ -n "$BACKGROUND_BUILD" ]] || return 0
  if kill -0 "$BACKGROUND_BUILD" 2>/dev/null; then
    kill -TERM -- "-$BACKGROUND_BUILD" 2>/dev/null || true
  fi
  wait "$BACKGROUND_BUILD" 2>/dev/null || true
  BACKGROUND_BUILD=""
}
trap stop_background_build EXIT

# A tier that cannot run on this machine writes why to $SPARK_TIER_SKIP_FILE and exits 0.
# `timeout` signals the tier's whole process group (TERM, then KILL 120 s later), so the node
# tier's SIGTERM handler still takes its nodes down.
free_disk() {
  df -h --output=avail "$REPO_ROOT" 2>/dev/null | tail -n1 | tr -d ' '
}

run_tier() {
  local name="$1"
  shift
  local budget rc=0
  budget="$(tier_budget "$name")"
  # Free disk before each tier: a CI machine once ran out during the node tier's image build.
  log "=== tier $name (at most ${budget}s, $(free_disk) free on disk): $*"
  local start=$SECONDS skip_file
  skip_file="$(mktemp)"
  SPARK_TIER_SKIP_FILE="$skip_file" timeout --kill-after=120 "$budget" "$@" 2>&1 | tee "$TIER_LOGS/$name.log" ||
    rc=${PIPESTATUS[0]}
  if ((rc == 124 || rc == 137)); then
    log "=== tier $name TIMED OUT after $((SECONDS - start))s (budget ${budget}s, SPARK_TIER_TIMEOUT)"
  fi
  if ((rc == 0)); then
    if [[ -s "$skip_file" ]]; then
      skipped+=("$name ($(<"$skip_file"))")
      log "=== tier $name SKIPPED: $(<"$skip_file")"
    else
      passed=$((passed + 1))
      log "=== tier $name passed in $((SECONDS - start))s"
    fi
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    log "=== tier $name FAILED after $((SECONDS - start))s ($(free_disk) free on disk)"
  fi
  rm -f "$skip_file"
}

# tini is the image's PID 1; the spark tier runs the entrypoint under it when it is installed
# (Debian's package), so signal forwarding is tested as in the container.
ensure_tini() {
  command -v tini >/dev/null 2>&1 && return 0
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing tini with apt-get"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tini; } >&2 ||
      log "could not install tini; the spark tier runs the entrypoint without it and says so"
  fi
  return 0
}
export -f ensure_tini log

start_background_build
for tier in "${TIERS[@]}"; do
  case "$tier" in
    # 1. Types, lint, formatting.
    static) run_tier static bash -c 'npx tsc --noEmit && npx eslint . && npx prettier --check . >/dev/null' ;;
    # 2. The program on Pulumi mocks: every target, config path, output and property.
    unit) run_tier unit env TS_NODE_TRANSPILE_ONLY=1 npx mocha --config .mocharc.unit.json ;;
    # 3. The Dockerfile and every shell script through hadolint and shellcheck.
    image) run_tier image bash scripts/spark/lint.sh ;;
    # 4. Every stack's rendered objects through kubernetes-validate and checkov, the workflows
    #    through actionlint (tools pinned, installed into .cache/ and .tools/ on first use).
    validate) run_tier validate bash -c 'bash scripts/validate/rendered.sh && bash scripts/validate/workflows.sh && bash scripts/validate/monitoring.sh' ;;
    # 5. The image's entrypoint against a real Spark (pyspark from PyPI, Java from the machine).
    spark) run_tier spark bash -c 'ensure_tini && bash scripts/spark/install.sh >/dev/null && bash scripts/spark/install-client.sh >/dev/null && npx mocha --config .mocharc.spark.json' ;;
    # 6. The real Pulumi engine and Kubernetes provider against a local control plane.
    e2e) run_tier e2e bash -c 'bash scripts/tools/build.sh --for e2e && TS_NODE_TRANSPILE_ONLY=1 npx mocha --config .mocharc.e2e.json' ;;
    # 7. Spark really running: real nodes on this machine, the image built by Docker (root). The
    #    harness builds what the nodes need; Prometheus and KEDA when their specs come.
    node) run_tier node bash -c 'TS_NODE_TRANSPILE_ONLY=1 npx mocha --config .mocharc.node.json' ;;
    *) die "unknown tier '$tier' (known: ${ALL_TIERS[*]})" ;;
  esac
done

if [[ -n "$BACKGROUND_BUILD" ]] && ! kill -0 "$BACKGROUND_BUILD" 2>/dev/null; then
  rc=0
  wait "$BACKGROUND_BUILD" || rc=$?
  BACKGROUND_BUILD=""
  log "the background build of the Go tools ended (rc $rc): $(tail -n 1 "$TIER_LOGS/tools-build.log")"
fi
stop_background_build
if ((failed > 0)); then
  for name in "${failed_names[@]}"; do failure_summary "$name"; done
  log "failed tiers: ${failed_names[*]}"
fi
if ((${#skipped[@]} > 0)); then
  log "skipped tiers: ${skipped[*]}"
fi
echo "tiers: $passed passed, $failed failed, ${#skipped[@]} skipped"
((failed == 0))
