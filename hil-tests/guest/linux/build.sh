#!/usr/bin/env bash
# Builds the Linux test guest from Debian packages: the packaged kernel (bookworm's 6.1 series) and
# an initramfs packed here from busybox-static, the kernel modules the guest contract needs and the
# files under rootfs/ (init, the heartbeat helper). No compiler, no download outside the Debian
# archive: `apt-get download` fetches the .debs, `dpkg-deb -x` unpacks them without installing.
#
#   hil-tests/guest/linux/build.sh        -> hil-tests/guest/build/linux/{vmlinuz,initramfs.cpio.gz}
#
# The result is cached: build/linux/inputs.txt records the package versions and the hash of every
# input file; the script rebuilds only when one of them changed (a new kernel in the archive, an
# edited init script). Set STRATOS_GUEST_KERNEL_SERIES (default 6.1) to pick another kernel series.
# Layout of the guest and its contract with the host agent: docs/guests.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../build/linux"
debs="$here/../build/debs"
series="${STRATOS_GUEST_KERNEL_SERIES:-6.1}"

# Modules the guest loads, in dependency order is not needed here: the order is computed below from
# each module's own `depends=` (its .modinfo section), so listing the leaves is enough.
modules=(virtio_pci virtio_console i6300esb pvpanic-pci)

die() { echo "guest build: $*" >&2; exit 1; }
command -v apt-get >/dev/null || die "needs apt-get (a Debian system)"

# The versioned kernel package behind linux-image-amd64 of the wanted series: the archive may hold
# several suites (e.g. backports), so pick the newest linux-image-amd64 whose version starts with
# the series and read its Depends.
meta_version="$(apt-cache madison linux-image-amd64 | awk -v s="$series." '$3 ~ "^"s {print $3}' | sort -V | tail -1)"
[ -n "$meta_version" ] || die "no linux-image-amd64 $series.* in the package lists (run apt-get update)"
kernel_pkg="$(apt-cache show "linux-image-amd64=$meta_version" | sed -n 's/^Depends: *\(linux-image-[^ ,]*\).*/\1/p' | head -1)"
[ -n "$kernel_pkg" ] || die "linux-image-amd64=$meta_version names no kernel package"
kernel_version="$(apt-cache show "linux-image-amd64=$meta_version" | sed -n "s/^Depends: .*$kernel_pkg (= \([^)]*\)).*/\1/p" | head -1)"
busybox_version="$(apt-cache policy busybox-static | sed -n 's/^ *Candidate: *//p')"
[ -n "$busybox_version" ] && [ "$busybox_version" != "(none)" ] || die "busybox-static is not in the package lists"

inputs="$(
  echo "kernel $kernel_pkg $kernel_version"
  echo "busybox-static $busybox_version"
  echo "modules ${modules[*]}"
  (cd "$here" && find build.sh rootfs -type f | LC_ALL=C sort | xargs sha256sum)
)"
if [ -f "$out/inputs.txt" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initramfs.cpio.gz" ] \
   && [ "$(cat "$out/inputs.txt")" = "$inputs" ]; then
  exit 0
fi

echo "guest build: $kernel_pkg $kernel_version + busybox-static $busybox_version" >&2
mkdir -p "$debs"
fetch() { # package version -> path of the .deb
  local pattern="$debs/${1}_*${2#*:}_amd64.deb"
  # shellcheck disable=SC2086
  if ! ls $pattern >/dev/null 2>&1; then
    rm -f "$debs/${1}_"*.deb
    (cd "$debs" && apt-get download -qq "$1=$2" 2>/dev/null) || die "apt-get download $1=$2 failed"
  fi
  # shellcheck disable=SC2086
  ls $pattern | head -1
}
kernel_deb="$(fetch "$kernel_pkg" "$kernel_version")"
busybox_deb="$(fetch busybox-static "$busybox_version")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$kernel_deb" "$work/kernel"
dpkg-deb -x "$busybox_deb" "$work/busybox"
kver="$(ls "$work/kernel/lib/modules")"
moddir="$work/kernel/lib/modules/$kver"

# Module dependency order from each module's .modinfo `depends=` (the package ships no modules.dep).
declare -A path_of=() loaded=()
while IFS= read -r ko; do
  name="$(basename "$ko" .ko)"
  path_of[$name]="$ko"
  path_of[${name//-/_}]="$ko"
done < <(find "$moddir/kernel" -name '*.ko')
order=()
add_module() { # name
  local name="${1//-/_}" ko deps dep
  [ -n "${loaded[$name]:-}" ] && return
  ko="${path_of[$name]:-}"
  [ -n "$ko" ] || die "module $1 is not in $kernel_pkg"
  loaded[$name]=1
  deps="$(tr '\0' '\n' < "$ko" | sed -n 's/^depends=//p' | head -1)"
  for dep in ${deps//,/ }; do add_module "$dep"; done
  order+=("$ko")
}
for m in "${modules[@]}"; do add_module "$m"; done

root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,run,tmp,etc/stratos,lib/modules}
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
: > "$root/etc/stratos/modules"
for ko in "${order[@]}"; do
  cp "$ko" "$root/lib/modules/"
  echo "/lib/modules/$(basename "$ko")" >> "$root/etc/stratos/modules"
done
cp -r "$here/rootfs/." "$root/"
chmod 0755 "$root/init" "$root/bin/stratos-heartbeat"

mkdir -p "$out"
(cd "$root" && find . | LC_ALL=C sort | "$root/bin/busybox" cpio -o -H newc -R 0:0 2>/dev/null) | gzip -6 > "$work/initramfs.cpio.gz"
cp "$work/kernel/boot/vmlinuz-$kver" "$out/vmlinuz"
mv "$work/initramfs.cpio.gz" "$out/initramfs.cpio.gz"
echo "$inputs" > "$out/inputs.txt"
echo "guest build: $out/vmlinuz ($kver), $out/initramfs.cpio.gz ($(du -k "$out/initramfs.cpio.gz" | cut -f1) KiB)" >&2
