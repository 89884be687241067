#!/usr/bin/env bash
# Usage: scripts/spark/install-client.sh [VERSION]
# Installs pyspark-client==VERSION (Spark Connect's thin Python client, no JVM) from PyPI
# into its own venv at .cache/pyspark-client/VERSION/ (once; it ships a `pyspark` package
# too, so it cannot share pyspark's directory) and prints that venv's python.
set -euo pipefail

# shellcheck source=scripts/spark/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

version="${1:-$PYSPARK_CLIENT_VERSION}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || spark_die "VERSION must look like 4.2.0, got '$version'"

target="$SPARK_CACHE_DIR/pyspark-client/$version"
marker="$target/.installed"

if [[ ! -f "$marker" ]]; then
  spark_log "installing pyspark-client==$version into $target"
  tmp="$target.tmp.$$"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$(dirname "$target")"
  python3 -m venv "$tmp"
  "$tmp/bin/python" -m pip install --quiet --disable-pip-version-check "pyspark-client==$version" >&2
  rm -rf "$target"
  mv "$tmp" "$target"
  trap - EXIT
  # A venv's scripts carry its absolute path: re-point them after the move.
  python3 -m venv --upgrade "$target" >/dev/null
  date -u +%FT%TZ >"$marker"
  spark_log "installed pyspark-client==$version"
fi

got="$("$target/bin/python" -c 'import importlib.metadata as m, grpc; print(m.version("pyspark-client"))')" ||
  spark_die "$target has no working pyspark-client"
[[ "$got" == "$version" ]] || spark_die "$target holds pyspark-client $got, not $version"
printf '%s\n' "$target/bin/python"
