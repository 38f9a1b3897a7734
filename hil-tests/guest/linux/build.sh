#!/usr/bin/env bash
# Builds the Linux test guest from Debian packages: the packaged kernel (bookworm's 6.1 series) and
# an initramfs packed here from busybox-static, the kernel modules the guest contract needs and the
# files under rootfs/ (init, the heartbeat helper). No compiler, no download outside the Debian
# archive: `apt-get download` fetches the .debs, `dpkg-deb -x` unpacks them without installing.
#
#   hil-tests/guest/linux/build.sh        -> hil-tests/guest/build/linux/{vmlinuz,vmlinux,initramfs.cpio.gz}
#
# vmlinux is the same kernel uncompressed: the ELF image inside the packaged bzImage (vmlinuz),
# unpacked here with xz. QEMU's microvm boots it straight at its PVH entry point, without the
# bzImage's self-decompression, which costs about 4 s of emulated CPU under TCG (docs/guests.md
# "Kernel image"). vmlinuz stays for loaders that want the bzImage (Xen PV domains).
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
# kernel_for, candidate, fetch, module_order, initramfs_base, pack_initramfs
. "$here/../debian-build.sh"

kernel_for "$series"
busybox_version="$(candidate busybox-static)"

inputs="$(
  echo "kernel $kernel_pkg $kernel_version"
  echo "busybox-static $busybox_version"
  echo "modules ${modules[*]}"
  (cd "$here" && find build.sh rootfs ../debian-build.sh -type f | LC_ALL=C sort | xargs sha256sum)
)"
if [ -f "$out/inputs.txt" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/vmlinux" ] && [ -f "$out/initramfs.cpio.gz" ] \
   && [ "$(cat "$out/inputs.txt")" = "$inputs" ]; then
  exit 0
fi

echo "guest build: $kernel_pkg $kernel_version + busybox-static $busybox_version" >&2
kernel_deb="$(fetch "$kernel_pkg" "$kernel_version")"
busybox_deb="$(fetch busybox-static "$busybox_version")"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$kernel_deb" "$work/kernel"
dpkg-deb -x "$busybox_deb" "$work/busybox"
kver="$(ls "$work/kernel/lib/modules")"
module_order "$work/kernel/lib/modules/$kver" "${modules[@]}"

root="$work/root"
initramfs_base "$root" "$work/busybox"
cp -r "$here/rootfs/." "$root/"
chmod 0755 "$root/init" "$root/bin/stratos-heartbeat"

mkdir -p "$out"
pack_initramfs "$root" "$work/initramfs.cpio.gz"
unpack_bzimage "$work/kernel/boot/vmlinuz-$kver" "$work/vmlinux"
cp "$work/kernel/boot/vmlinuz-$kver" "$out/vmlinuz"
mv "$work/vmlinux" "$out/vmlinux"
mv "$work/initramfs.cpio.gz" "$out/initramfs.cpio.gz"
echo "$inputs" > "$out/inputs.txt"
echo "guest build: $out/vmlinuz and $out/vmlinux ($kver), $out/initramfs.cpio.gz ($(du -k "$out/initramfs.cpio.gz" | cut -f1) KiB)" >&2
