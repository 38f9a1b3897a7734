#!/usr/bin/env bash
# Installs what a fresh Debian 12 + .NET 10 SDK machine lacks for Stratos Island: Debian packages
# (QEMU, socat, dtc, openocd, grpc peers for interop tests, procps (ps: the HIL runner and the
# virtual board's lifeline walk process trees), the pinned kernel sources the board
# validation builds upstream devicetrees from) and the npm tools (buf, grpc-js).
# As root it installs; otherwise it prints the exact command and exits 1 when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  qemu-system-x86 qemu-system-arm qemu-utils socat
  python3-grpcio python3-protobuf protobuf-compiler
  device-tree-compiler openocd dfu-util libvirt-clients gcc make
  cpp xz-utils
  python3-sphinx
  afl++
  procps
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

# Kernel sources the board validation builds upstream base devicetrees from (docs/boards.md,
# "Validation against upstream"; keep in step with boards/src/Stratos.Island.Boards/KernelSources.cs).
# linux-source-6.12 comes from bookworm-security (already a source of Debian 12); linux-source-7.3
# from trixie-backports, added here on the mirror the machine's Debian sources already use, pinned
# to priority 1 so apt never takes anything else from it.
KERNEL_SOURCES=("linux-source-6.12=6.12.118-1~deb12u1" "linux-source-7.3=7.3.4-1~bpo13+1")
kernel_missing=()
for pinned in "${KERNEL_SOURCES[@]}"; do
  [ "$(dpkg-query -W -f='${Status} ${Version}' "${pinned%%=*}" 2>/dev/null)" = "install ok installed ${pinned#*=}" ] || kernel_missing+=("$pinned")
done
if [ ${#kernel_missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Stratos Island needs the kernel source packages ${kernel_missing[*]} (trixie-backports for 7.3): run this script as root" >&2
    exit 1
  fi
  backports=/etc/apt/sources.list.d/stratos-island-backports.sources
  if [ ! -f "$backports" ]; then
    mirror=$(awk '/^URIs:/ { uri = $2 } /^Suites:/ && / bookworm( |$)/ { print uri; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
    if [ -z "$mirror" ]; then
      echo "install-deps: no Debian bookworm source found in /etc/apt/sources.list*, so trixie-backports cannot be added" >&2
      exit 1
    fi
    printf 'Types: deb\nURIs: %s\nSuites: trixie-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" > "$backports"
    printf 'Package: *\nPin: release n=trixie-backports\nPin-Priority: 1\n' > /etc/apt/preferences.d/stratos-island-backports
  fi
  echo "installing kernel sources: ${kernel_missing[*]}"
  apt-get update -qq
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${kernel_missing[@]}" >/dev/null; then
    # The archive moved past the pinned patch release: take the series' current one (validation
    # prints the exact version it checked against).
    echo "install-deps: pinned kernel sources unavailable, installing the series' current packages" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${kernel_missing[@]%%=*}" >/dev/null
  fi
fi

if [ ! -x node_modules/.bin/buf ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm tools (buf, grpc-js)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

# The SharpFuzz instrumentation tool (./fuzz.sh), pinned in dotnet-tools.json.
dotnet tool restore >/dev/null
