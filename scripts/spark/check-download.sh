#!/usr/bin/env bash
# Usage: scripts/spark/check-download.sh BASE_IMAGE
# Proves the Dockerfile's SPARK_DIST=download path (fetch, GPG check against KEYS, unpack)
# without the Apache archive: a throwaway signing key signs a tiny stand-in
# spark-X-bin-hadoop3.tgz, a local HTTP server plays mirror and KEYS URL, and only the
# builder stage is built (--target spark-dist). Four builds: a good signature passes, the
# same with the right SPARK_GPG_KEY passes, a tampered tarball fails, a signature by a key
# other than SPARK_GPG_KEY fails. Needs docker (DOCKER_HOST honoured), gpg and python3; the
# builder stage installs curl and gnupg with apt, so the build runs with --network host
# and --no-cache (the RUN step's cache key does not cover what it downloads).
set -euo pipefail

# shellcheck source=scripts/spark/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

base="${1:?usage: check-download.sh BASE_IMAGE}"
docker="${DOCKER:-docker}"
version=0.0.1
work="$(mktemp -d)"
server_pid=""
cleanup() {
  [[ -z "$server_pid" ]] || kill "$server_pid" 2>/dev/null || true
  gpgconf --homedir "$work/gnupg" --kill all 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A stand-in distribution: the builder only needs the layout.
dist="$work/spark-$version-bin-hadoop3"
mkdir -p "$dist/bin" "$dist/jars" "$work/mirror/spark-$version"
printf '#!/usr/bin/env bash\necho stand-in\n' >"$dist/bin/spark-class"
chmod +x "$dist/bin/spark-class"
echo stand-in >"$dist/jars/README"
echo "Spark $version (stand-in)" >"$dist/RELEASE"
tgz="$work/mirror/spark-$version/spark-$version-bin-hadoop3.tgz"
tar -C "$work" -czf "$tgz" "spark-$version-bin-hadoop3"

# Throwaway release key; KEYS holds its public half, as Spark's KEYS file holds theirs.
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-generate-key "Stand-in Release Manager <rm@example.invalid>" rsa3072 sign never
fingerprint="$(gpg --batch --with-colons --list-keys | awk -F: '/^fpr:/ {print $10; exit}')"
gpg --batch --armor --export >"$work/mirror/KEYS"
gpg --batch --quiet --armor --detach-sign -o "$tgz.asc" "$tgz"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/mirror" >"$work/http.log" 2>&1 &
server_pid=$!
sleep 1

build() {
  "$docker" build --network host --target spark-dist --no-cache -q \
    --build-arg "BASE_IMAGE=$base" --build-arg SPARK_DIST=download \
    --build-arg "SPARK_VERSION=$version" \
    --build-arg "SPARK_MIRROR=http://127.0.0.1:$port" \
    --build-arg "SPARK_KEYS_URL=http://127.0.0.1:$port/KEYS" \
    "$@" "$SPARK_SCRIPTS_ROOT/images/spark" >"$work/build.log" 2>&1
}

expect() {
  local want="$1" what="$2"
  shift 2
  if build "$@"; then got=pass; else got=fail; fi
  if [[ "$got" == "$want" ]]; then
    spark_log "ok: $what ($got)"
  else
    tail -n 20 "$work/build.log" >&2
    spark_die "$what: expected $want, got $got"
  fi
}

expect pass "valid signature, any key in KEYS"
expect pass "valid signature by SPARK_GPG_KEY" --build-arg "SPARK_GPG_KEY=$fingerprint"
expect fail "signature by another key than SPARK_GPG_KEY" \
  --build-arg "SPARK_GPG_KEY=0000000000000000000000000000000000000000"
grep -q "is signed by $fingerprint" "$work/build.log" || spark_die "no 'is signed by' message"
echo tampered >>"$tgz"
expect fail "tampered tarball"
grep -q "no valid signature" "$work/build.log" || spark_die "no 'no valid signature' message"
spark_log "download path: all checks passed"
