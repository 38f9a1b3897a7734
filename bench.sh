#!/usr/bin/env bash
# Runs one benchmark and prints its result; the last line is JSON for scripts.
#   ./bench.sh codec        island codec vs Google.Protobuf (encode+decode)
#   ./bench.sh link         shared-memory rpmsg link round trips vs a raw ping-pong floor
#   ./bench.sh supervision  one supervision cycle with 64 VMs x 8 checkpoints
#   ./bench.sh e2e          vm start to first heartbeat, CLI start-up vs references
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
  api)         project=host-agent/bench/Stratos.Island.Api.Bench ;;
  ""|-h|--help) sed -n '2,8p' "$0"; exit 0 ;;
  *) echo "bench.sh: unknown benchmark '$name' (known: codec, link, supervision, e2e, api)" >&2; exit 2 ;;
esac
if [ ! -d "$project" ]; then
  echo "bench.sh: benchmark '$name' is not built yet ($project does not exist)" >&2; exit 2
fi
dotnet build "$project" -c Release -nologo -v quiet -clp:ErrorsOnly >&2
exec dotnet "$project/bin/Release/net10.0/$(basename "$project").dll" "$@"
