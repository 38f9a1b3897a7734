#!/usr/bin/env bash
# Runs the HIL scenario suites on a bench and writes out/hil/<run>/ (summary.json, junit.xml,
# results.trx, report.html). docs/hil.md.
#   ./hil.sh                                   quick suite on the virtual bench
#   ./hil.sh --suite full                      every scenario (tens of minutes)
#   ./hil.sh --bench board --bench-file F      a real board described by bench file F
#   ./hil.sh --soak N [--seed S]               N random faults across the 8-VM soak config
#   ./hil.sh --out DIR                         reports into DIR instead of out/hil/<run>
#   ./hil.sh --vmm xen [--suite full]          the scenarios marked for Xen on the Xen board (docs/hil.md)
#   ./hil.sh --only NAME[,NAME...]             only these scenarios of the suite (e.g. a long Xen suite in parts)
# Exit status: 0 when every scenario passed, 1 when one failed, 3 when none failed but some were
# skipped (the bench cannot inject their faults: the run is incomplete, not passed), 2 on bad usage.
set -uo pipefail
cd "$(dirname "$0")"

suite=quick; bench=virtual; bench_file=""; soak=0; seed=""; out=""; vmm=qemu; only=""
usage() { sed -n '2,11p' "$0"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) suite="${2:-}"; shift 2 ;;
    --bench) bench="${2:-}"; shift 2 ;;
    --bench-file) bench_file="${2:-}"; shift 2 ;;
    --soak) soak="${2:-}"; shift 2 ;;
    --seed) seed="${2:-}"; shift 2 ;;
    --out) out="${2:-}"; shift 2 ;;
    --vmm) vmm="${2:-}"; shift 2 ;;
    --only) only="${2:-}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "hil.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
case "$suite" in quick|full) ;; *) echo "hil.sh: --suite '$suite' is not quick or full" >&2; exit 2 ;; esac
case "$bench" in
  virtual) ;;
  board) [ -n "$bench_file" ] || { echo "hil.sh: --bench board needs --bench-file FILE" >&2; exit 2; }
         [ -f "$bench_file" ] || { echo "hil.sh: bench file '$bench_file' not found" >&2; exit 2; }
         bench_file="$(cd "$(dirname "$bench_file")" && pwd)/$(basename "$bench_file")" ;;
  *) echo "hil.sh: --bench '$bench' is not virtual or board" >&2; exit 2 ;;
esac
[[ "$soak" =~ ^[0-9]+$ ]] || { echo "hil.sh: --soak '$soak' is not a number of faults" >&2; exit 2; }
case "$vmm" in qemu|xen) ;; *) echo "hil.sh: --vmm '$vmm' is not qemu or xen" >&2; exit 2 ;; esac
[[ "$only" =~ ^([A-Za-z0-9_]+(,[A-Za-z0-9_]+)*)?$ ]] || { echo "hil.sh: --only '$only' is not a comma-separated list of scenario names" >&2; exit 2; }

run_id="$(date -u +%Y%m%d-%H%M%S)"
run_dir="${out:-out/hil/$run_id}"
mkdir -p "$run_dir"; run_dir="$(cd "$run_dir" && pwd)"

project=hil-tests/tests/Stratos.Island.Hil.Tests
filter=""
if [ "$vmm" = xen ]; then
  # The virtual bench on the Xen board (island-sim + the agent in a Xen machine's dom0, PV Linux
  # domUs), booted once for the run: the scenarios marked xen (quick: xen-quick).
  [ "$bench" = virtual ] && [ "$soak" -eq 0 ] || { echo "hil.sh: --vmm xen runs on the virtual bench, without --soak" >&2; exit 2; }
  if [ "$suite" = full ]; then filter="TestCategory=xen"; else filter="TestCategory=xen-quick"; fi
fi
dotnet build "$project" -c Release -nologo -v quiet -clp:ErrorsOnly >&2 || exit 1
# island-sim and island-agent are started by the virtual bench from their build output.
if [ "$bench" = virtual ]; then
  for p in island-firmware/src/Stratos.Island.Sim host-agent/src/Stratos.Island.Agent.Host; do
    [ -d "$p" ] && { dotnet build "$p" -c Release -nologo -v quiet -clp:ErrorsOnly >&2 || exit 1; }
  done
  make -s -C hil-tests/guest >&2 || exit 1
  hil-tests/guest/linux/build.sh || exit 1
fi

if [ -n "$filter" ]; then :
elif [ "$soak" -gt 0 ]; then filter="TestCategory=soak"
elif [ "$suite" = full ]; then filter="TestCategory=hil"
else filter="TestCategory=hil&TestCategory=quick"; fi
[ -n "$only" ] && filter="($filter)&(Name=${only//,/|Name=})"

# The suites SIGKILL agents, island-sims and CLIs on purpose; a .NET process killed that way leaves
# its diagnostics IPC files (clr-debug-pipe-*, dotnet-diagnostic-*) in /tmp. No debugger or
# diagnostics client attaches during a run, so the runtime makes none.
export DOTNET_EnableDiagnostics=0
export HIL_BENCH="$bench" HIL_BENCH_FILE="$bench_file" HIL_SUITE="$suite" HIL_RUN_DIR="$run_dir" HIL_SOAK="$soak" HIL_SEED="$seed" HIL_VMM="$vmm"
# Interrupted (Ctrl-C, SIGTERM, a time-out, the terminal gone): the test run's processes are
# stopped, then the Xen machine the bench booted (its state dir in xen/state-dir) is taken down,
# before this script exits, so nothing of the run outlives it (the machine's lifeline would take it
# down too once the test host is gone; here it is waited for). docs/hil.md "Interrupting a run".
descendants() { local c; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do descendants "$c"; echo "$c"; done; }
interrupted() {
  trap '' INT TERM HUP
  echo "hil.sh: interrupted: stopping the run" >&2
  local pids; pids="$(descendants "$test_pid") $test_pid"
  kill -TERM $pids 2>/dev/null
  any_left() { local p; for p in $pids; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
  for _ in $(seq 50); do any_left || break; sleep 0.1; done
  kill -KILL $pids 2>/dev/null
  if [ -f "$run_dir/xen/state-dir" ]; then
    ISLAND_STATE_DIR="$(cat "$run_dir/xen/state-dir")" hil-tests/guest/xen/island-xen.sh down >&2
  fi
  exit 130
}
dotnet test "$project" -c Release --no-build -nologo --filter "$filter" \
  --logger "console;verbosity=normal" > "$run_dir/dotnet-test.log" 2>&1 &
test_pid=$!
trap interrupted INT TERM HUP
wait "$test_pid"
status=$?
trap - INT TERM HUP
grep -E '^\s*(Passed|Failed|Skipped|Total|Error Message)' "$run_dir/dotnet-test.log" | tail -40
if [ ! -f "$run_dir/summary.json" ]; then
  tail -30 "$run_dir/dotnet-test.log" >&2
  echo "hil.sh: no summary.json was written (see $run_dir/dotnet-test.log)" >&2
  exit 1
fi
skipped=$(python3 - "$run_dir/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(s["totals"]["skipped"])
PY
)
python3 - "$run_dir/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t = s["totals"]
print(f'{t["passed"]} passed, {t["failed"]} failed, {t["skipped"]} skipped; '
      f'detection coverage {t["detection_coverage"]*100:.1f}% of {t["faults"]} faults')
for sc in s["scenarios"]:
    if sc["result"] != "passed":
        print(f'  {sc["result"]:8} {sc["group"]}/{sc["name"]}: {sc["message"]}')
PY
echo "report: $run_dir/report.html"
[ $status -eq 0 ] || exit 1
if [ "$skipped" != 0 ]; then
  echo "hil.sh: $skipped scenario(s) skipped: the run is incomplete (exit status 3)" >&2
  exit 3
fi
exit 0
