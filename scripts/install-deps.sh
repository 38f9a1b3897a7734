#!/usr/bin/env bash
# Installs what a fresh Debian 12 + .NET 10 SDK machine lacks for Stratos Island: Debian packages
# (QEMU, socat, dtc, openocd, grpc peers for interop tests) and the npm tools (buf, grpc-js).
# As root it installs; otherwise it prints the exact command and exits 1 when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  qemu-system-x86 qemu-system-arm qemu-utils socat
  python3-grpcio python3-protobuf protobuf-compiler
  device-tree-compiler openocd dfu-util libvirt-clients gcc make
  python3-sphinx
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Stratos Island needs these Debian packages: ${missing[*]}" >&2
    echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x node_modules/.bin/buf ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm tools (buf, grpc-js)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
