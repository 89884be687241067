#!/usr/bin/env bash
# Usage: scripts/spark/install.sh [VERSION]
# Installs pyspark==VERSION from PyPI into .cache/spark/VERSION/ (once) and prints the
# SPARK_HOME to use: the pyspark package directory, which carries bin/ and jars/ like a
# Spark distribution (sbin/ only in part; nothing here needs it). The Apache archive is
# not reachable from every machine, PyPI is; that is why tests use this.
set -euo pipefail

# shellcheck source=scripts/spark/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

version="${1:-$SPARK_VERSION_DEFAULT}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || spark_die "VERSION must look like 4.3.0, got '$version'"

target="$SPARK_CACHE_DIR/spark/$version"
spark_home="$target/pyspark"
marker="$target/.installed"

check() {
  [[ -x "$spark_home/bin/spark-class" ]] || spark_die "$spark_home/bin/spark-class missing"
  [[ -x "$spark_home/bin/spark-submit" ]] || spark_die "$spark_home/bin/spark-submit missing"
  compgen -G "$spark_home/jars/spark-core_*.jar" >/dev/null ||
    spark_die "$spark_home/jars/ has no spark-core jar"
}

if [[ ! -f "$marker" ]]; then
  spark_log "installing pyspark==$version into $target"
  # Install beside the target and move it in place at the end, so an interrupted install
  # never looks complete to the next run.
  tmp="$target.tmp.$$"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$(dirname "$target")"
  python3 -m pip install --quiet --disable-pip-version-check --no-warn-script-location --root-user-action=ignore \
    --target "$tmp" "pyspark==$version" >&2
  rm -rf "$target"
  mv "$tmp" "$target"
  trap - EXIT
  # pip drops the executable bit of some launcher scripts on some versions.
  chmod +x "$spark_home"/bin/* 2>/dev/null || true
  check
  date -u +%FT%TZ >"$marker"
  spark_log "installed pyspark==$version"
fi

check
printf '%s\n' "$spark_home"
