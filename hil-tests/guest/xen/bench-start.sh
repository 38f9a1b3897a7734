#!/usr/bin/env bash
# ./bench.sh xen-start [--runs N]: a PV domain's create-to-first-heartbeat on the virtual board's
# Xen variant, through the island against plain `xl create` of the same domain, in the same run and
# the same machine (docs/benchmarks.md, docs/vmm.md "Xen").
#   island  the agent's START directive -> its RUNNING report, sent at the guest's first heartbeat
#           on the console (xl create -p, console, unpause, the kernel's boot, HB 1), from the
#           agent's log; N starts: the first (boot order) and N-1 restarts after `xl destroy`
#   plain   in dom0 before the agent starts, `xl create` of the configuration the agent writes for
#           the board's `linux` VM (checked against the agent's file afterwards), then the first HB
#           read on its console pty; N times. Either way one domU at a time.
# Prints a table, then one JSON line. Boots the Xen machine under TCG: minutes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
runs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="${2:?}"; shift 2 ;;
    *) echo "bench xen-start: unknown option '$1' (--runs N)" >&2; exit 2 ;;
  esac
done
case "$runs" in ''|*[!0-9]*|0) echo "bench xen-start: --runs '$runs' is not a positive number" >&2; exit 2 ;; esac

repo="$(cd "$here/../../.." && pwd)"
for p in host-agent/src/Stratos.Island.Agent.Host island-firmware/src/Stratos.Island.Sim; do
  dotnet build "$repo/$p" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
done
state="$(mktemp -d /tmp/xen-bench-XXXXXX)"
cleanup() { ISLAND_STATE_DIR="$state" "$here/island-xen.sh" down >/dev/null 2>&1 || true; rm -rf "$state"; }
trap cleanup EXIT
field() { sed -n "s/^      $1: *\([^#]*[^ #]\) *\(#.*\)\?$/\1/p" "$repo/boards/virtual-xen/vms.yaml" | head -1; }
# The baseline runs in dom0 before the agent starts, with no other domU: the configuration the
# agent writes (XlConfig) for vms.yaml's `linux`, under another name.
cat >"$state/dom0-before-agent.sh" <<EOF
set -u
ms() { echo \$(( \$(date +%s%N) / 1000000 )); }
cat > /tmp/plain.cfg <<'CFG'
# written by the Stratos Island agent; xl create -f this file
name = "plain"
type = "pv"
kernel = "$repo/$(field kernel)"
ramdisk = "$repo/$(field initrd)"
extra = "$(field cmdline)"
memory = $(field memory_mib)
vcpus = $(field vcpus)
on_poweroff = "destroy"
on_reboot = "destroy"
on_crash = "preserve"
CFG
i=1
while [ \$i -le $runs ]; do
  t0=\$(ms)
  xl create -f /tmp/plain.cfg || { echo "plain xl create failed" > /state/bench-failed; exit 1; }
  t1=\$(ms)
  tty=\$(xenstore-read /local/domain/\$(xl domid plain)/console/tty)
  stty -F "\$tty" raw -echo
  exec 3<"\$tty"
  while read -r line <&3; do case "\$line" in HB*) break ;; esac; done
  t2=\$(ms)
  exec 3<&-
  xl destroy plain
  echo "\$((t1 - t0)) \$((t2 - t0))" >> /state/bench-plain
  i=\$((i + 1))
done
EOF
# Then the island: its first start (boot order) and N-1 restarts after `xl destroy`, one domU at a time.
cat >"$state/dom0-scenario.sh" <<EOF
set -u
agentlog=/state/island-agent.log
runs() { [ "\$(grep -c 'VM 1: reported Running' \$agentlog)" -ge "\$1" ]; }
wait_for() { t=\$1; shift; n=0; while ! "\$@"; do n=\$((n + 1)); [ \$n -ge \$((t * 2)) ] && return 1; sleep 0.5; done; }
i=1
while [ \$i -le $runs ]; do
  wait_for 600 runs \$i || { echo "no RUNNING number \$i" > /state/bench-failed; exit 1; }
  [ \$i -lt $runs ] && { sleep 2; xl destroy linux; }
  i=\$((i + 1))
done
grep -v '^name' /run/island/vms/linux/domain.cfg > /tmp/agent.cfg
grep -v '^name' /tmp/plain.cfg | diff /tmp/agent.cfg - > /dev/null || { echo "the baseline's xl config differs from the agent's" > /state/bench-failed; exit 1; }
touch /state/bench-done
EOF
ISLAND_STATE_DIR="$state" "$here/island-xen.sh" up --timeout-s 600 >&2
n=0
while [ ! -f "$state/bench-done" ] && [ ! -f "$state/bench-failed" ] && [ $n -lt 1800 ]; do sleep 1; n=$((n + 1)); done
if [ ! -f "$state/bench-done" ]; then
  echo "bench xen-start: $(cat "$state/bench-failed" 2>/dev/null || echo "did not finish in 30 min")" >&2
  tail -20 "$state/island-agent.log" >&2
  exit 1
fi
python3 - "$state/island-agent.log" "$state/bench-plain" "$runs" <<'PY'
import json, re, statistics, sys, datetime
log, plain_path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
def at(line):
    t = datetime.datetime.strptime(re.search(r"\d\d:\d\d:\d\d\.\d\d\d", line).group(0), "%H:%M:%S.%f")
    return t.hour * 3600000 + t.minute * 60000 + t.second * 1000 + t.microsecond / 1000
starts, island = {}, []
for line in open(log):
    m = re.search(r"directive (\d+): Start VM 'linux'", line)
    if m:
        starts[m.group(1)] = at(line)
    m = re.search(r"VM 1: reported Running \(directive (\d+)\): guest alive", line)
    if m and m.group(1) in starts:
        island.append(at(line) - starts[m.group(1)])
plain = [tuple(map(int, l.split())) for l in open(plain_path) if l.strip()]
create = [p[0] for p in plain]; to_hb = [p[1] for p in plain]
print(f"{'':28}{'median ms':>10}  runs")
print(f"{'island START -> RUNNING@HB1':28}{statistics.median(island):10.0f}  " + ", ".join(f"{v:.0f}" for v in island))
print(f"{'plain xl create':28}{statistics.median(create):10.0f}  " + ", ".join(map(str, create)))
print(f"{'plain create -> first HB':28}{statistics.median(to_hb):10.0f}  " + ", ".join(map(str, to_hb)))
print(json.dumps({"benchmark": "xen-start", "runs": runs,
                  "island_start_to_first_heartbeat_ms": round(statistics.median(island)),
                  "plain_xl_create_ms": round(statistics.median(create)),
                  "plain_create_to_first_heartbeat_ms": round(statistics.median(to_hb)),
                  "island_overhead_ms": round(statistics.median(island) - statistics.median(to_hb))}))
PY
