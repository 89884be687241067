#!/usr/bin/env bash
# Usage: scripts/spark/build-image.sh [--local] [--base IMAGE] [--tag TAG] [VERSION]
# Builds images/spark with Docker for Spark VERSION (default: the pinned default).
#   --local       SPARK_DIST=local: stage the pyspark package (scripts/spark/install.sh) as
#                 images/spark/dist/spark/ instead of downloading from the Apache archive
#   --base IMAGE  BASE_IMAGE build arg (a Java 17 runtime with bash)
#   --tag TAG     image tag (default spark:VERSION)
# DOCKER (default docker) and DOCKER_BUILDKIT are honoured; extra `docker build` flags can
# be given in DOCKER_BUILD_FLAGS.
set -euo pipefail

# shellcheck source=scripts/spark/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

local_dist=0
base=""
tag=""
version="$SPARK_VERSION_DEFAULT"
while (($# > 0)); do
  case "$1" in
    --local) local_dist=1 ;;
    --base) base="${2:?--base needs an image}"; shift ;;
    --tag) tag="${2:?--tag needs a tag}"; shift ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) spark_die "unknown option $1" ;;
    *) version="$1" ;;
  esac
  shift
done
tag="${tag:-spark:$version}"
context="$SPARK_SCRIPTS_ROOT/images/spark"
staged="$context/dist/spark"

args=(--build-arg "SPARK_VERSION=$version" -t "$tag")
[[ -z "$base" ]] || args+=(--build-arg "BASE_IMAGE=$base")
if ((local_dist)); then
  spark_home="$("$SPARK_SCRIPTS_ROOT/scripts/spark/install.sh" "$version")"
  # A real copy: the build context does not follow symlinks. Removed again on exit so a
  # later download build does not send half a gigabyte of context.
  rm -rf "$staged"
  trap 'rm -rf "$staged"' EXIT
  spark_log "staging $spark_home as $staged"
  cp -a "$spark_home" "$staged"
  args+=(--build-arg SPARK_DIST=local)
fi

read -r -a extra <<<"${DOCKER_BUILD_FLAGS:-}"
start=$SECONDS
spark_log "docker build ${args[*]} ${extra[*]} $context"
"${DOCKER:-docker}" build "${args[@]}" "${extra[@]}" "$context"
spark_log "built $tag in $((SECONDS - start))s"
