#!/usr/bin/env bash
# Coverage-guided fuzzing of the system's untrusted inputs (SharpFuzz + afl++, docs/security.md).
#   ./fuzz.sh                          lists the targets
#   ./fuzz.sh TARGET [--seconds N]     fuzzes TARGET for N seconds (default 60) from its committed seed
#                                      corpus; prints one JSON line (executions, crashes, hangs) and
#                                      exits non-zero when afl++ saved a crash or a hang
# Findings go to out/fuzz/TARGET/findings (crashes/ and hangs/ hold the inputs to turn into
# regression tests: tools/tests/Stratos.Island.Fuzz.Tests/regressions/TARGET/).
set -euo pipefail
cd "$(dirname "$0")"

project=tools/src/Stratos.Island.Fuzz
corpus=$project/corpus

# The assemblies each target instruments: the code under test, not the harness or the runtime.
declare -A instrument=(
  [envelope]="Stratos.Island.Codec.dll"
  [serial]="Stratos.Island.Link.dll"
  [board]="Stratos.Island.Boards.dll YamlDotNet.dll"
  [island-config]="Stratos.Island.Boards.dll YamlDotNet.dll"
  [grpc]="Stratos.Island.Grpc.dll Stratos.Island.Agent.dll"
  [vring]="Stratos.Island.Link.dll"
)

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; }

build() { # -> out/fuzz/build
  dotnet build "$project" -c Release -nologo -v quiet -clp:ErrorsOnly -o out/fuzz/build > out/fuzz/build.log 2>&1 \
    || { cat out/fuzz/build.log >&2; echo "fuzz.sh: build of $project failed" >&2; exit 1; }
}

if [ $# -eq 0 ]; then
  mkdir -p out/fuzz; build
  dotnet out/fuzz/build/stratos-fuzz.dll
  exit 0
fi

target=$1; shift
seconds=60
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || { echo "fuzz.sh: --seconds needs a positive whole number" >&2; exit 2; }
               seconds=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "fuzz.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
if [ -z "${instrument[$target]:-}" ]; then
  echo "fuzz.sh: unknown target '$target' (targets: $(printf '%s ' "${!instrument[@]}" | tr ' ' '\n' | sort | tr '\n' ' '))" >&2
  exit 2
fi
command -v afl-fuzz > /dev/null || { echo "fuzz.sh: afl-fuzz is not installed: run scripts/install-deps.sh" >&2; exit 1; }

mkdir -p out/fuzz; build
work=out/fuzz/$target
rm -rf "$work"; mkdir -p "$work"
cp -r out/fuzz/build "$work/bin"
dotnet tool restore > "$work/tool-restore.log" 2>&1 || { cat "$work/tool-restore.log" >&2; exit 1; }
for dll in ${instrument[$target]}; do
  dotnet sharpfuzz "$work/bin/$dll" > "$work/instrument.log" 2>&1 || { cat "$work/instrument.log" >&2; echo "fuzz.sh: instrumenting $dll failed" >&2; exit 1; }
done

# dotnet is not an afl-instrumented binary (SharpFuzz reports coverage itself); no CPU pinning on a
# shared machine; no core dumps needed (a crash is an exit status).
AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
AFL_NO_UI=1 AFL_QUIET=1 AFL_SKIP_CRASHES=0 STRATOS_FUZZ_SCRATCH="$PWD/$work/scratch" \
  afl-fuzz -i "$corpus/$target" -o "$work/findings" -V "$seconds" -t 5000 -m none \
  -- dotnet "$work/bin/stratos-fuzz.dll" "$target" > "$work/afl.log" 2>&1 \
  || { tail -30 "$work/afl.log" >&2; echo "fuzz.sh: afl-fuzz failed (log: $work/afl.log)" >&2; exit 1; }

stats=$work/findings/default/fuzzer_stats
[ -f "$stats" ] || { tail -30 "$work/afl.log" >&2; echo "fuzz.sh: afl-fuzz wrote no statistics" >&2; exit 1; }
field() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
execs=$(field execs_done); crashes=$(field saved_crashes); hangs=$(field saved_hangs)
paths=$(field corpus_count); rate=$(field execs_per_sec); runtime=$(field run_time)
echo "{\"target\":\"$target\",\"seconds\":$runtime,\"executions\":$execs,\"execs_per_sec\":$rate,\"corpus\":$paths,\"crashes\":$crashes,\"hangs\":$hangs}"
if [ "$crashes" != 0 ] || [ "$hangs" != 0 ]; then
  echo "fuzz.sh: $target: $crashes crash(es), $hangs hang(s) in $work/findings/default/{crashes,hangs}" >&2
  exit 1
fi
