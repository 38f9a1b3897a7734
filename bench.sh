#!/usr/bin/env bash
# Runs one benchmark and prints its result; the last line is JSON for scripts.
#   ./bench.sh codec        island codec vs Google.Protobuf (encode+decode)
#   ./bench.sh link         shared-memory rpmsg link round trips vs a raw ping-pong floor
#   ./bench.sh supervision  one supervision cycle with 64 VMs x 8 checkpoints
#   ./bench.sh e2e          vm start to first heartbeat, CLI start-up vs references
#   ./bench.sh linux-boot   Linux guest boot to its first heartbeat at the island vs bare QEMU
#   ./bench.sh hb-jitter    relayed heartbeat intervals at the island vs in the guest, per hop
#   ./bench.sh soak         ./island up for 10 min next to 2 CPU hogs, supervision failures counted
#   ./bench.sh xen-start    Xen PV domain: island start to first heartbeat vs plain xl create (minutes)
#   ./bench.sh api          agent start-up to a served call, ListVms latency (CLI and warm), optional before build
# Results and their history: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")"
name="${1:-}"; shift || true
case "$name" in
  codec)       project=protocol/bench/Stratos.Island.Protocol.Bench ;;
  link)        project=protocol/bench/Stratos.Island.Link.Bench ;;
  supervision) project=island-firmware/bench/Stratos.Island.Firmware.Bench ;;
  e2e)         project=host-agent/bench/Stratos.Island.Agent.Bench ;;
  linux-boot|hb-jitter) project=host-agent/bench/Stratos.Island.Agent.Bench; set -- "$name" "$@" ;;
  soak)        exec scripts/soak-island-up.sh "$@" ;;
  xen-start)   exec hil-tests/guest/xen/bench-start.sh "$@" ;;
  api)         project=host-agent/bench/Stratos.Island.Api.Bench ;;
  ""|-h|--help) sed -n '2,12p' "$0"; exit 0 ;;
  *) echo "bench.sh: unknown benchmark '$name' (known: codec, link, supervision, e2e, linux-boot, hb-jitter, soak, xen-start, api)" >&2; exit 2 ;;
esac
if [ ! -d "$project" ]; then
  echo "bench.sh: benchmark '$name' is not built yet ($project does not exist)" >&2; exit 2
fi
dotnet build "$project" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
exec dotnet "$project/bin/Release/net10.0/$(basename "$project").dll" "$@"
