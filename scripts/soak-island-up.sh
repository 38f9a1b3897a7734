#!/usr/bin/env bash
# ./bench.sh soak [--minutes N | --seconds N] [--hogs N]
# The virtual board under CPU pressure: starts N CPU-bound processes (default 2, `sha256sum
# /dev/zero`), runs `./island up` (island-sim, island-agent, the demo VMs base, web and linux),
# lets it run N minutes (default 10), then reads the island's whole event log and counts every
# supervision failure nothing injected (this script injects nothing): an entity's supervision FAILED
# or EXPIRED, an escalation, a quarantine, a safe state, an island boot after the first (its hardware
# watchdog), a link down and a VM leaving RUNNING. `island down` and the hogs are stopped on exit,
# whatever happens. Runs in its own state dir (ISLAND_STATE_DIR, ISLAND_SOCKET), so it never
# touches another `island up`. The heartbeat trace is on (ISLAND_TRACE_HEARTBEATS=1): the summary
# gives each VM's interval between heartbeats at the island and the agent's hops (read -> link send,
# link send -> island receive). Prints a summary and, last, a JSON line; exit 1 when anything failed.
# Results: docs/benchmarks.md "soak".
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
seconds=600 hogs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) seconds=$(( ${2:-x} * 60 )) || exit 2; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --hogs) hogs="$2"; shift 2 ;;
    *) echo "soak: unknown option '$1' (usage: ./bench.sh soak [--minutes N | --seconds N] [--hogs N])" >&2; exit 2 ;;
  esac
done
case "$seconds$hogs" in *[!0-9]*) echo "soak: --minutes, --seconds and --hogs take whole numbers" >&2; exit 2 ;; esac

work="$(mktemp -d /tmp/stratos-soak.XXXXXX)"
export ISLAND_STATE_DIR="$work/state" ISLAND_SOCKET="$work/state/agent.sock"
# The heartbeat trace on (docs/guests.md "Timing each hop"): where any lateness comes from.
export ISLAND_TRACE_HEARTBEATS=1
island="$repo/island"
hog_pids=()
cleanup() {
  "$island" down >"$work/down.log" 2>&1 || cat "$work/down.log" >&2
  for pid in "${hog_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

echo "soak: state in $ISLAND_STATE_DIR, $hogs CPU hogs, $seconds s" >&2
for _ in $(seq 1 "$hogs"); do
  sha256sum /dev/zero >/dev/null 2>&1 &
  hog_pids+=("$!")
done
"$island" up >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; echo "soak: island up failed" >&2; exit 1; }
cat "$work/up.log" >&2
start=$(date +%s)
end=$((start + seconds))
while [ "$(date +%s)" -lt "$end" ]; do
  sleep 30
  echo "soak: $(( $(date +%s) - start )) s  load $(cut -d' ' -f1-3 /proc/loadavg)  $("$island" vm list -q 2>/dev/null | tr '\n' ' ')" >&2
done
"$island" vm list >&2 || true
"$island" supervision status >&2 || true
"$island" log --since 1 --max 100000 -o json >"$work/log.json"
load="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$work/log.json" "$((seconds / 60))" "$hogs" "$load" "$ISLAND_STATE_DIR" <<'EOF'
import json, sys
path, minutes, hogs, load, state = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]

def rows(name, width):
    try:
        return [list(map(int, l.split())) for l in open(f"{state}/{name}") if not l.startswith("#") and len(l.split()) == width]
    except FileNotFoundError:
        return []
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p * (len(v) - 1))))] if v else float("nan")
agent, island = rows("agent-heartbeats.trace", 5), rows("island-heartbeats.trace", 2)
trace = {}
print("soak: heartbeat trace (ms)                  p50      p99      max   >300ms", file=sys.stderr)
for vm, label in ((0, "agent"), (1, "base"), (2, "web"), (3, "linux")):
    recv = [t for e, t in island if e == vm]
    iv = [(b - a) / 1e6 for a, b in zip(recv, recv[1:])]
    late = sum(1 for x in iv if x > 300)
    # Indications per 1 s window (the demo's alive reference window), windows from the first one on.
    counts = {}
    for t in recv[1:-1]:
        counts[(t - recv[0]) // 1_000_000_000] = counts.get((t - recv[0]) // 1_000_000_000, 0) + 1
    per_window = [counts.get(w, 0) for w in range(1, max(counts, default=0))]
    print(f"  {label + ' interval at the island':40} {pct(iv, .5):8.1f} {pct(iv, .99):8.1f} {max(iv, default=float('nan')):8.1f} {late:7d}"
          f"   per 1 s window {min(per_window, default=0)}..{max(per_window, default=0)}", file=sys.stderr)
    trace[label] = {"island_interval_ms_p50": round(pct(iv, .5), 1), "island_interval_ms_p99": round(pct(iv, .99), 1),
                    "island_interval_ms_max": round(max(iv, default=0), 1), "intervals_over_300ms": late,
                    "per_second_min": min(per_window, default=0), "per_second_max": max(per_window, default=0)}
    sent = sorted(r[4] for r in agent if r[0] == vm)
    if sent:
        hop = [(r[4] - r[2]) / 1e6 for r in agent if r[0] == vm]
        j, link = 0, []
        for s in sent:                          # k-th send of an entity is its k-th receive
            while j < len(recv) and recv[j] < s - 50_000_000: j += 1
            if j < len(recv): link.append((recv[j] - s) / 1e6); j += 1
        print(f"  {label + ' agent read -> link send':40} {pct(hop, .5):8.2f} {pct(hop, .99):8.2f} {max(hop):8.2f}", file=sys.stderr)
        print(f"  {label + ' link send -> island receive':40} {pct(link, .5):8.2f} {pct(link, .99):8.2f} {max(link, default=float('nan')):8.2f}", file=sys.stderr)
        trace[label].update({"read_to_send_ms_max": round(max(hop), 2), "send_to_island_ms_p99": round(pct(link, .99), 2), "send_to_island_ms_max": round(max(link, default=0), 2)})
doc = json.load(open(path))
events = doc.get("events", [])
TYPES = {1: "ISLAND_BOOT", 3: "LINK_DOWN", 4: "VM_STATE", 6: "SUPERVISION_STATUS", 7: "GLOBAL_STATUS",
         8: "ESCALATION", 11: "SAFE_STATE", 13: "QUARANTINE"}
def kind(e):
    t = e.get("type", 0)
    return TYPES.get(t, str(t)) if isinstance(t, int) else t.replace("EVENT_TYPE_", "")
def name(e): return e.get("subject") or str(e.get("subject_id", 0))
failures, boots, running = [], 0, {}
for e in events:
    t, v = kind(e), int(e.get("value", 0))
    if t == "ISLAND_BOOT":
        boots += 1
        bad = boots > 1                                   # the hardware watchdog, a crash
    elif t == "VM_STATE":
        if v == 3:
            running[name(e)] = running.get(name(e), 0) + 1
        bad = v in (8, 9) or (v == 3 and running[name(e)] > 1)   # FAILED, QUARANTINED, a restart
    else:
        bad = (t in ("SUPERVISION_STATUS", "GLOBAL_STATUS") and v in (2, 3)) \
            or t in ("ESCALATION", "QUARANTINE", "SAFE_STATE", "LINK_DOWN")   # FAILED, EXPIRED
    if bad:
        failures.append(e)
        print(f"  failure: seq {e.get('sequence')} t={int(e.get('timestamp_us', 0)) / 1e6:.3f} s {t} {name(e)} value {v} {e.get('detail', '')}", file=sys.stderr)
print(f"soak: {len(events)} events, {len(failures)} supervision failures, VMs running {running}, island boots {boots}, load {load}", file=sys.stderr)
print(json.dumps({"bench": "soak", "minutes": float(minutes), "cpu_hogs": int(hogs), "events": len(events),
                  "supervision_failures": len(failures), "vms_running": len(running), "island_boots": boots,
                  "load_avg": load, "trace": trace}))
sys.exit(1 if failures or len(running) < 3 else 0)
EOF
