#!/usr/bin/env bash
# Boots the virtual board's Xen machine (docs/vmm.md "Xen"): Xen 4.17 with a PV dom0 under QEMU,
# TCG by default (-cpu qemu64,+svm: under TCG a PV dom0 crashes with -cpu max). --accel kvm uses
# -cpu host; on the development machines (KVM without nested virtualisation) that hung before the
# first line of output, so it is opt-in; auto means kvm when /dev/kvm opens, else tcg.
# dom0's root is the host's, read-only over virtio-9p, with a tmpfs overlay (dom0/init); the state
# directory is shared read-write and dom0 runs its dom0.sh once the toolstack is up.
#
#   hil-tests/guest/xen/machine.sh --state DIR [--accel auto|kvm|tcg] [--memory-mib N]
#                                  [--link-socket PATH] [--forward-tcp PORT:DOM0_PORT] [--timeout-s N]
#                                  (--accel default tcg)
#
#   --state DIR        shared with dom0 at /state; must hold dom0.sh (what dom0 runs). The Xen and
#                      dom0 console (Xen's COM1) is written to DIR/console.log.
#   --link-socket PATH the machine's COM2 (dom0's /dev/ttyS1) as a listening AF_UNIX socket on the
#                      host: the island's serial link end (docs/link.md "Serial frame format").
#   --forward-tcp PORT:DOM0_PORT  a virtio NIC on QEMU's user network (dom0 10.0.2.15/24, no
#                      route out: restrict=on) whose DOM0_PORT is forwarded from the host's
#                      127.0.0.1:PORT (the HIL bench reaches the agent's API socket through it);
#                      may be given more than once.
#   --timeout-s N      QEMU is killed after N seconds (default 600); exit status 124 then.
# Exits with QEMU's status once dom0 powered the machine off (dom0.sh returned).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="" accel=tcg memory_mib=2048 link_socket="" timeout_s=600
forwards=""
die() { echo "xen machine: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --state) state="${2:?}"; shift 2 ;;
    --accel) accel="${2:?}"; shift 2 ;;
    --memory-mib) memory_mib="${2:?}"; shift 2 ;;
    --link-socket) link_socket="${2:?}"; shift 2 ;;
    --forward-tcp)
      [[ "${2:-}" =~ ^[0-9]+:[0-9]+$ ]] || die "--forward-tcp '${2:-}' is not PORT:DOM0_PORT"
      forwards="$forwards,hostfwd=tcp:127.0.0.1:${2%%:*}-:${2##*:}"; shift 2 ;;
    --timeout-s) timeout_s="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
done
[ -n "$state" ] || die "--state DIR is required"
[ -f "$state/dom0.sh" ] || die "$state/dom0.sh does not exist: it is what dom0 runs"
case "$memory_mib" in ''|*[!0-9]*) die "--memory-mib '$memory_mib' is not a number" ;; esac
[ "$memory_mib" -ge 1024 ] || die "--memory-mib $memory_mib: dom0 needs at least 1024 (the .NET runtime runs there)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed (scripts/install-deps.sh)"
state="$(cd "$state" && pwd)"
case "$state" in *,*) die "--state '$state' contains ',', which QEMU's -virtfs syntax cannot carry" ;; esac

"$here/build.sh"
build="$here/../build/xen"

if [ "$accel" = auto ]; then
  if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then accel=kvm; else accel=tcg; fi
fi
case "$accel" in
  kvm) cpu=host ;;
  tcg) cpu=qemu64,+svm ;;
  *) die "--accel '$accel' is not auto, kvm or tcg" ;;
esac

dom0_mib=$(( memory_mib - 512 ))
serial2=(-serial null)
if [ -n "$link_socket" ]; then
  rm -f "$link_socket"
  serial2=(-chardev "socket,id=link,path=$link_socket,server=on,wait=off" -serial chardev:link)
fi
nic=()
[ -z "$forwards" ] || nic=(-netdev "user,id=net0,restrict=on$forwards" -device virtio-net-pci,netdev=net0)

# QEMU runs at nice 0: island-sim raises itself to nice -10 (docs/island-sim.md "Scheduling"), and
# the agent inside this machine needs the machine's CPU time (its alive indications reach the
# island through it); at nice 10 on a loaded host the agent in dom0 missed its supervision.
exec timeout "$timeout_s" qemu-system-x86_64 -machine q35 -accel "$accel" -cpu "$cpu" -m "$memory_mib" -smp 2 \
  -display none -no-reboot -monitor none \
  -kernel "$build/xen" \
  -append "console=com1 com1=115200,8n1 dom0_mem=${dom0_mib}M,max:${dom0_mib}M loglvl=warning guest_loglvl=warning noreboot" \
  -initrd "$build/vmlinuz console=hvc0 earlyprintk=xen quiet,$build/dom0-initramfs.cpio.gz" \
  -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
  -virtfs "local,path=$state,mount_tag=state,security_model=none,multidevs=remap" \
  -serial "file:$state/console.log" "${serial2[@]}" "${nic[@]}"
