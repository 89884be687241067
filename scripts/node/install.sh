#!/usr/bin/env bash
# Installs what the node tier needs from the distribution's packages (Debian/Ubuntu, apt):
# docker.io (dockerd, containerd 1.6, runc), containernetworking-plugins (/usr/lib/cni),
# debootstrap (the image's base), iptables, iproute2, gcc (a static pause binary), openssl,
# chromium (the real browser of spec 14).
# Only missing packages are installed. Needs root and apt-get.
set -euo pipefail
# shellcheck source=scripts/node/common.sh
source "$(dirname "$0")/common.sh"
require_root
command -v apt-get >/dev/null || die "apt-get not found: install docker.io, containernetworking-plugins, debootstrap, iptables, iproute2, gcc, openssl and chromium with this system's package manager"

declare -A PROVIDES=(
  [docker.io]=/usr/sbin/dockerd
  [containerd]=/usr/bin/containerd
  [runc]=/usr/sbin/runc
  [containernetworking-plugins]=/usr/lib/cni/bridge
  [debootstrap]=/usr/sbin/debootstrap
  [iptables]=/usr/sbin/iptables
  [iproute2]=/usr/sbin/ip
  [gcc]=/usr/bin/gcc
  [libc6-dev]=/usr/include/stdio.h
  [openssl]=/usr/bin/openssl
  [chromium]=/usr/bin/chromium
)
missing=()
for pkg in "${!PROVIDES[@]}"; do
  [[ -e "${PROVIDES[$pkg]}" ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
  log "node packages present"
  exit 0
fi
log "installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
log "installed ${missing[*]}"
