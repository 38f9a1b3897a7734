#!/usr/bin/env bash
# Builds the Xen machine of the virtual board (docs/vmm.md "Xen"): the hypervisor, the dom0 kernel
# and a dom0 initramfs, all from Debian packages. Same method as the Linux test guest
# (hil-tests/guest/linux/build.sh): `apt-get download` + `dpkg-deb -x`, nothing installed on the
# host, nothing compiled. dom0's userspace is the host's own root, shared read-only over virtio-9p
# with a tmpfs overlay on top (dom0/init), so the agent's build and the .NET runtime are used in
# place; the initramfs carries busybox, the modules dom0 needs and Xen's userspace (xl, xenstored,
# xenconsoled and their libraries), which becomes the overlay's top read-only layer.
#
#   hil-tests/guest/xen/build.sh  -> hil-tests/guest/build/xen/{xen,vmlinuz,dom0-initramfs.cpio.gz}
#
# Cached like the guest build: build/xen/inputs.txt records the package versions and the hash of
# every input file. STRATOS_GUEST_KERNEL_SERIES (default 6.1) picks the kernel series.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../build/xen"
debs="$here/../build/debs"
series="${STRATOS_GUEST_KERNEL_SERIES:-6.1}"
xen_series="4.17"

# dom0's modules (leaves; dependencies are added from each module's .modinfo): 9p root, the
# overlay, Xen's device files for the toolstack, the backends a PV domU's console needs none of;
# virtio_net for machine.sh --forward-tcp.
modules=(virtio_pci 9pnet_virtio 9p overlay xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs virtio_net)
xen_packages=(xen-hypervisor-$xen_series-amd64 xen-utils-$xen_series xen-utils-common xenstore-utils
  libxentoolcore1 libxentoollog1 libxencall1 libxendevicemodel1 libxenevtchn1 libxenforeignmemory1
  libxengnttab1 libxenhypfs1 libxenstore4 libxenmisc$xen_series)

die() { echo "xen build: $*" >&2; exit 1; }
command -v apt-get >/dev/null || die "needs apt-get (a Debian system)"
# kernel_for, candidate, fetch, module_order, initramfs_base, pack_initramfs
. "$here/../debian-build.sh"

kernel_for "$series"
declare -A version_of=()
for p in busybox-static "${xen_packages[@]}"; do
  version_of[$p]="$(candidate "$p")"
done

inputs="$(
  echo "kernel $kernel_pkg $kernel_version"
  for p in busybox-static "${xen_packages[@]}"; do echo "$p ${version_of[$p]}"; done
  echo "modules ${modules[*]}"
  (cd "$here" && find build.sh dom0 ../debian-build.sh -type f | LC_ALL=C sort | xargs sha256sum)
)"
if [ -f "$out/inputs.txt" ] && [ -f "$out/xen" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/dom0-initramfs.cpio.gz" ] \
   && [ "$(cat "$out/inputs.txt")" = "$inputs" ]; then
  exit 0
fi

echo "xen build: xen $xen_series ${version_of[xen-hypervisor-$xen_series-amd64]}, dom0 $kernel_pkg $kernel_version" >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$(fetch "$kernel_pkg" "$kernel_version")" "$work/kernel"
dpkg-deb -x "$(fetch busybox-static "${version_of[busybox-static]}")" "$work/busybox"
for p in "${xen_packages[@]}"; do
  dpkg-deb -x "$(fetch "$p" "${version_of[$p]}")" "$work/xen"
done
kver="$(ls "$work/kernel/lib/modules")"
module_order "$work/kernel/lib/modules/$kver" "${modules[@]}"

root="$work/root"
initramfs_base "$root" "$work/busybox"
mkdir -p "$root"/{host,state,rw,newroot}
ln -s bin "$root/sbin"   # the kernel's poweroff helper is /sbin/poweroff
# Xen's userspace, without the hypervisor images and docs: the overlay's top layer in dom0.
mkdir -p "$root/xen"
cp -a "$work/xen/usr" "$work/xen/etc" "$root/xen/"
[ -d "$work/xen/var" ] && cp -a "$work/xen/var" "$root/xen/"
rm -rf "$root/xen/usr/share/doc" "$root/xen/usr/share/man"
cp -r "$here/dom0/." "$root/"
chmod 0755 "$root/init"

mkdir -p "$out"
pack_initramfs "$root" "$work/initramfs.cpio.gz"
cp "$work/kernel/boot/vmlinuz-$kver" "$out/vmlinuz"
# QEMU loads a multiboot kernel as it is: the hypervisor image is ungzipped.
gunzip -c "$work/xen/boot/xen-$xen_series-amd64.gz" > "$out/xen"
mv "$work/initramfs.cpio.gz" "$out/dom0-initramfs.cpio.gz"
echo "$inputs" > "$out/inputs.txt"
echo "xen build: $out/xen, $out/vmlinuz ($kver), $out/dom0-initramfs.cpio.gz ($(du -k "$out/dom0-initramfs.cpio.gz" | cut -f1) KiB)" >&2
