#!/usr/bin/env bash
# The virtual board's Xen variant (boards/virtual-xen, docs/vmm.md "Xen"), what `./island up --vmm
# xen` and `./island down --vmm xen` run: island-sim on the host, and the Xen machine (machine.sh:
# Xen + a PV dom0 under QEMU) whose dom0 runs the agent; the two are linked over dom0's COM2, a
# socket on the host that island-sim connects to (--link serial-socket). The island then starts,
# supervises and restarts the board's PV domUs through the agent. Nothing is copied into an image:
# dom0 runs the agent's Release build from the host's tree (read-only over 9p).
#
#   island-xen.sh up [--no-wait] [--timeout-s N] [--owner-pid PID]
#                                                   start; wait (default 600 s) until every autostart
#                                                   VM was reported RUNNING by the agent and its API listens.
#                                                   --owner-pid: the board lives only as long as process
#                                                   PID (the HIL bench's test host): when PID ends, however
#                                                   it ends (exit, SIGTERM, SIGKILL), a detached lifeline
#                                                   runs `down`
#   island-xen.sh down                               stop the machine (its domains go with it) and island-sim
#   island-xen.sh reset-a-cluster                    island-sim's A-cluster reset hook: the machine is
#                                                    powered off and booted again (agent and domains anew)
#
# State dir: $ISLAND_STATE_DIR, else $XDG_RUNTIME_DIR/island/virtual-xen (/run/island/virtual-xen as
# root). dom0 sees it as /state: island-agent.log (the agent's log), console.log (Xen and dom0's
# console), dom0.sh (what dom0 runs); island-sim.log, machine.log and island/ (island-sim's state,
# with the link key both ends use) stay host-side. An optional STATE/dom0-before-agent.sh runs in
# dom0 before the agent starts (the baselines of ./bench.sh xen-start), an optional
# STATE/dom0-scenario.sh next to the agent (the HIL tests' fault injection); their output goes to
# dom0-scenario.log. dom0 powers off when STATE/poweroff appears. STATE/dom0-agent.sh starts the
# agent in dom0 (dom0.sh runs it once; the HIL bench again after killing the agent).
# ISLAND_XEN_BOARDS_DIR (default: the repository's boards/) is the boards folder island-sim and the
# agent read (the HIL bench's own virtual-xen folder); ISLAND_XEN_FORWARD_TCP=PORT:DOM0_PORT gives
# the machine a NIC with that port forwarded from the host (machine.sh --forward-tcp).
#
# The host's `island` CLI reaches the agent in dom0 over TLS: the agent also listens on dom0's
# 10.0.2.15:7443 (--tcp-listen, a certificate made here in STATE/api/, 0600), QEMU forwards a free
# port of the host's 127.0.0.1 to it (machine.sh --forward-tcp), and `up` prints the two variables
# the CLI needs (ISLAND_ENDPOINT, ISLAND_TLS_CA; also in STATE/api/cli.env). TCP callers have the
# reader role (docs/security.md): vm list/show, status, events, log, supervision status.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
if [ -n "${ISLAND_STATE_DIR:-}" ]; then
  state="$ISLAND_STATE_DIR"
elif [ "$(id -u)" = 0 ]; then
  state=/run/island/virtual-xen
else
  state="${XDG_RUNTIME_DIR:-/tmp/island-$(id -u)}/island/virtual-xen"
fi
sim="$repo/island-firmware/src/Stratos.Island.Sim/bin/Release/net10.0/island-sim"
agent_dll="$repo/host-agent/src/Stratos.Island.Agent.Host/bin/Release/net10.0/island-agent.dll"
boards="${ISLAND_XEN_BOARDS_DIR:-$repo/boards}"

dom0_api_port=7443
die() { echo "island-xen: $*" >&2; exit 1; }
live() { # pidfile -> pid if alive (a killed process not yet reaped, a zombie, is not)
  local pid
  [ -f "$1" ] && pid="$(cat "$1")" && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
    && [ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1)" != Z ] && echo "$pid"
}
stop_pid() { # pidfile: TERM, then KILL after 10 s
  local pid n=0
  pid="$(live "$1")" || { rm -f "$1"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$1"
}

start_machine() {
  rm -f "$state/poweroff"
  # machine.sh execs `timeout`, which runs QEMU and passes a TERM on to it. At nice 0 whoever
  # starts it: island-sim's reset hook runs at its nice -10, and a machine at -10 starved island-sim
  # (its watchdog fired) after every A-cluster reset.
  (umask 077; setsid nice -n "$(( -$(nice) ))" "$here/machine.sh" --state "$state" --link-socket "$state/link.sock" --timeout-s 604800 \
     --forward-tcp "$(cat "$state/api/port"):$dom0_api_port" \
     ${ISLAND_XEN_FORWARD_TCP:+--forward-tcp "$ISLAND_XEN_FORWARD_TCP"} \
     >>"$state/machine.log" 2>&1 </dev/null & echo $! >"$state/machine.pid")
}

write_dom0_script() {
  cat >"$state/dom0-agent.sh" <<EOF
#!/bin/sh
# Written by island-xen.sh: starts the agent in dom0, its pid in /run/island/agent.pid.
echo "dom0: starting island-agent at \$(date -u +%H:%M:%S.%3N) (dom0 up \$(cut -d' ' -f1 /proc/uptime) s)" >> /state/island-agent.log
dotnet '$agent_dll' --board virtual-xen --boards-dir '$boards' --guest-kernel-dir '$repo' \\
  --socket /run/island/agent.sock --runtime-dir /run/island/vms --link-key /state/island/link.key \\
  --tcp-listen 0.0.0.0:$dom0_api_port --tls-cert /state/api/cert.pem --tls-key /state/api/key.pem \\
  >> /state/island-agent.log 2>&1 </dev/null &
echo \$! > /run/island/agent.pid
EOF
  cat >"$state/dom0.sh" <<EOF
#!/bin/sh
# Written by island-xen.sh: dom0's part of the virtual-xen board. Runs in dom0 (the host's tree at
# the same paths, this state dir at /state).
mkdir -p /run/island
# The API's TLS listener, reached from the host's 127.0.0.1 through QEMU's forward (island-xen.sh).
ip link set eth0 up && ip addr replace 10.0.2.15/24 dev eth0 \
  || echo "dom0: no eth0: the agent's API is not reachable from the host" >> /state/island-agent.log
[ -f /state/dom0-before-agent.sh ] && sh /state/dom0-before-agent.sh >> /state/dom0-scenario.log 2>&1 </dev/null
sh /state/dom0-agent.sh
[ -f /state/dom0-scenario.sh ] && sh /state/dom0-scenario.sh >> /state/dom0-scenario.log 2>&1 </dev/null &
while [ ! -f /state/poweroff ]; do sleep 1; done
kill -TERM "\$(cat /run/island/agent.pid)" 2>/dev/null
for d in \$(xl list 2>/dev/null | awk 'NR > 2 { print \$1 }'); do xl destroy "\$d"; done
EOF
}

up() {
  local wait=1 timeout_s=600 owner=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --no-wait) wait=0; shift ;;
      --timeout-s) timeout_s="${2:?}"; shift 2 ;;
      --owner-pid) owner="${2:?}"; shift 2
        [[ "$owner" =~ ^[0-9]+$ ]] && kill -0 "$owner" 2>/dev/null || die "up: --owner-pid '$owner' is not a running process" ;;
      *) die "up: unknown option '$1'" ;;
    esac
  done
  [ -x "$sim" ] || die "$sim is not built: run ./island up --vmm xen from the repository (it builds what is missing)"
  [ -f "$agent_dll" ] || die "$agent_dll is not built: run ./island up --vmm xen from the repository"
  if live "$state/island-sim.pid" >/dev/null && live "$state/machine.pid" >/dev/null; then
    echo "the Xen board is already up (state $state); 'island down --vmm xen' stops it"
    return 0
  fi
  "$repo/hil-tests/guest/linux/build.sh"
  "$here/build.sh"
  mkdir -p "$state/island"
  chmod 0700 "$state" "$state/island"
  api_certificate
  write_dom0_script
  if ! live "$state/island-sim.pid" >/dev/null; then
    # island-sim creates the link key (0600) in its state dir; the agent in dom0 reads the same file.
    (umask 077; setsid "$sim" --board virtual-xen --boards-dir "$boards" --state-dir "$state/island" \
       --link "serial-socket:$state/link.sock" --a-cluster-reset-hook "$here/island-xen.sh reset-a-cluster" \
       >>"$state/island-sim.log" 2>&1 </dev/null & echo $! >"$state/island-sim.pid")
  fi
  local n=0
  while [ ! -f "$state/island/link.key" ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
  [ -f "$state/island/link.key" ] || die "island-sim did not create its link key; see $state/island-sim.log"
  live "$state/machine.pid" >/dev/null || start_machine
  if [ -n "$owner" ] && ! live "$state/lifeline.pid" >/dev/null; then
    # Detached (its own session): a signal to the owner's process group does not reach it.
    (setsid "$here/island-xen.sh" lifeline "$owner" >>"$state/machine.log" 2>&1 </dev/null & echo $! >"$state/lifeline.pid")
  fi
  echo "island-sim    pid $(cat "$state/island-sim.pid")  log $state/island-sim.log"
  echo "Xen machine   pid $(cat "$state/machine.pid")  console $state/console.log"
  echo "island-agent  in dom0  log $state/island-agent.log"
  echo "the agent's API from this host (reader role), for the island CLI:"
  sed 's/^/  export /' "$state/api/cli.env"
  [ "$wait" = 1 ] || return 0
  local autostart deadline=$((SECONDS + timeout_s)) missing
  autostart="$(awk '/^  - name:/ { name = $3 } /^    autostart: true/ { print name }' "$boards/virtual-xen/vms.yaml")"
  while :; do
    missing=""
    for vm in $autostart; do
      # The agent logs each report; VM ids are 1-based in vms.yaml order.
      id="$(awk -v want="$vm" '/^  - name:/ { n++; if ($3 == want) print n }' "$boards/virtual-xen/vms.yaml")"
      grep -q "VM $id: reported Running" "$state/island-agent.log" 2>/dev/null || missing="$missing $vm"
    done
    # The CLI's way in: the agent's API (Kestrel's first start in a TCG dom0 took 2.5 min once).
    grep -q "API listening on" "$state/island-agent.log" 2>/dev/null || missing="$missing (the agent's API)"
    [ -z "$missing" ] && break
    live "$state/machine.pid" >/dev/null || die "the Xen machine stopped; see $state/machine.log and $state/console.log"
    live "$state/island-sim.pid" >/dev/null || die "island-sim stopped; see $state/island-sim.log"
    [ $SECONDS -lt $deadline ] || die "not every autostart VM ran within $timeout_s s (waiting for:$missing); see $state/island-agent.log"
    sleep 2
  done
  echo "autostart VMs running:" $autostart
  echo "stop with 'island down --vmm xen'"
}

down() {
  [ -d "$state" ] || { echo "the Xen board is not up (no $state)"; return 0; }
  touch "$state/poweroff"
  # dom0 stops the agent and destroys the domains, then powers the machine off; after 20 s it is cut.
  local n=0
  while live "$state/machine.pid" >/dev/null && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
  stop_pid "$state/machine.pid"
  stop_pid "$state/island-sim.pid"
  rm -f "$state/link.sock" "$state/poweroff"
  # The lifeline's work is done (unless this is the lifeline).
  if [ "$(cat "$state/lifeline.pid" 2>/dev/null)" != "$$" ]; then stop_pid "$state/lifeline.pid"; fi
  rm -f "$state/lifeline.pid"
  echo "the Xen board is down (logs kept in $state)"
}

# up --owner-pid: waits for the owner to end, then takes the board down.
lifeline() {
  local owner="${1:?}"
  echo $$ >"$state/lifeline.pid"
  while kill -0 "$owner" 2>/dev/null; do sleep 1; done
  echo "island-xen: owner $owner ended: the board goes down"
  down
}

# The TLS listener's certificate (self-signed, for 127.0.0.1, 0600 key) and a free host port for
# QEMU's forward, made once per state dir; cli.env holds what the CLI needs.
api_certificate() {
  mkdir -p "$state/api"
  chmod 0700 "$state/api"
  if [ ! -f "$state/api/cert.pem" ]; then
    (umask 077; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
       -subj "/CN=island-agent virtual-xen" -addext "subjectAltName=IP:127.0.0.1" \
       -keyout "$state/api/key.pem" -out "$state/api/cert.pem" 2>/dev/null) \
      || die "openssl could not make the API's TLS certificate in $state/api"
  fi
  # A port of its own for each machine start from `up` (a reset-a-cluster reboot keeps it).
  if [ ! -f "$state/api/port" ] || ! live "$state/machine.pid" >/dev/null; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' >"$state/api/port" \
      || die "no free TCP port on 127.0.0.1 for the agent's API"
  fi
  printf 'ISLAND_ENDPOINT=127.0.0.1:%s\nISLAND_TLS_CA=%s\n' "$(cat "$state/api/port")" "$state/api/cert.pem" >"$state/api/cli.env"
}

reset_a_cluster() {
  echo "island-xen: A-cluster reset: the Xen machine is cut and booted again" >>"$state/machine.log"
  stop_pid "$state/machine.pid"
  start_machine
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  reset-a-cluster) reset_a_cluster ;;
  lifeline) lifeline "${2:-}" ;;
  -h|--help) sed -n '2,35p' "$0" ;;
  *) die "usage: island-xen.sh up [--no-wait] [--timeout-s N] [--owner-pid PID] | down | reset-a-cluster (try --help)" ;;
esac
