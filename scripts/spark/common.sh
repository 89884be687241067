# shellcheck shell=bash
# Helpers shared by scripts/spark/*.sh. Source it; it only defines things and loads the
# pinned versions. Kept apart from scripts/lib.sh so the Spark scripts need nothing but
# bash, python3 and pip.

SPARK_SCRIPTS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Caches live under the repository (git-ignored) unless a shared place is given.
SPARK_CACHE_DIR="${SPARK_CACHE_DIR:-$SPARK_SCRIPTS_ROOT/.cache}"

# shellcheck source=scripts/versions.env
source "$SPARK_SCRIPTS_ROOT/scripts/versions.env"

spark_log() {
  printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

spark_die() {
  spark_log "error: $*"
  exit 1
}
