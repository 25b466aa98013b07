#!/usr/bin/env bash
# Hub benchmarks, one command: for the embedded broker and for mosquitto, start a fresh edge-hub, then
#   1. backlog drain: a device with RECORDS records in its real SQLite store connects; time until the hub stores all
#      of them (ROUNDS rounds);
#   2. fleet: DEVICES virtual devices (the real sync link and uplink) each send one batch of 10 records per second for
#      DURATION seconds; the hub's own ingest delay (stored minus created) and the devices' acknowledgement delay.
# Everything listens on 127.0.0.1; every process started here is killed by its pid at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
DEVICES=${DEVICES:-5000}
DURATION=${DURATION:-60}
RECORDS=${RECORDS:-1000000}
ROUNDS=${ROUNDS:-3}
BROKERS=${BROKERS:-"embedded mosquitto"}
TOKEN=bench-token-$RANDOM-$RANDOM

dotnet build cloud-sync/EdgeRuntime.Hub -c Release -v q -nologo >/dev/null
dotnet build devices/fleet-simulator -c Release -v q -nologo >/dev/null
hub_dll=$(ls cloud-sync/EdgeRuntime.Hub/bin/Release/net10.0/*/edge-hub.dll | head -1)
sim_dll=$(ls devices/fleet-simulator/bin/Release/net10.0/*/fleet-sim.dll | head -1)
work=$(mktemp -d /tmp/edge-hub-bench.XXXXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_for() { for _ in $(seq 1 300); do grep -q "$2" "$1" && return 0; sleep 0.1; done; echo "timed out waiting for '$2' in $1"; cat "$1"; exit 1; }
ulimit -n 65536 2>/dev/null || true

for broker in $BROKERS; do
  dir="$work/$broker"; mkdir -p "$dir"
  mqtt=$(free_port); http=$(free_port)
  args=(--urls "http://127.0.0.1:$http" --Hub:DataDirectory "$dir/hub" --Hub:ApiToken "$TOKEN" --Logging:LogLevel:Default=Warning --Logging:LogLevel:Microsoft.Hosting.Lifetime=Information --Logging:LogLevel:EdgeRuntime.Hub.Broker=Information)
  if [ "$broker" = mosquitto ]; then
    touch "$dir/passwd" "$dir/acl"
    cat > "$dir/mosquitto.conf" <<CONF
user root
listener $mqtt 127.0.0.1
allow_anonymous false
password_file $dir/passwd
acl_file $dir/acl
persistence true
persistence_location $dir/
max_queued_messages 1000000
max_inflight_messages 100
log_dest stdout
log_type error
CONF
    /usr/sbin/mosquitto -c "$dir/mosquitto.conf" > "$dir/mosquitto.log" 2>&1 & pids+=($!); echo $! > "$dir/mosquitto.pid"
    args+=(--Hub:Broker:Mode External --Hub:Broker:Port "$mqtt" --Hub:Broker:Username edge-hub --Hub:Broker:Password "hub-$TOKEN"
           --Hub:Mosquitto:PasswordFile "$dir/passwd" --Hub:Mosquitto:AclFile "$dir/acl" --Hub:Mosquitto:PidFile "$dir/mosquitto.pid")
  else
    args+=(--Hub:Broker:Mode Embedded --Hub:Broker:Port "$mqtt")
  fi
  DOTNET_gcServer=0 dotnet "$hub_dll" "${args[@]}" > "$dir/hub.log" 2>&1 & hub_pid=$!; pids+=($hub_pid)
  wait_for "$dir/hub.log" "Now listening on"
  [ "$broker" = mosquitto ] && wait_for "$dir/hub.log" "Connected to MQTT broker"
  sim=(dotnet "$sim_dll" --hub "http://127.0.0.1:$http" --token "$TOKEN" --broker "127.0.0.1:$mqtt")
  echo "== $broker broker: backlog drain of $RECORDS records, $ROUNDS rounds"
  for round in $(seq 1 "$ROUNDS"); do
    "${sim[@]:0:2}" drain "${sim[@]:2}" --records "$RECORDS" --device "drain-$broker-$round" | grep drained
  done
  echo "== $broker broker: $DEVICES devices, one 10-record batch per second each, $DURATION s"
  cpu0=$(awk '{print $14+$15}' /proc/$hub_pid/stat)
  "${sim[@]:0:2}" fleet "${sim[@]:2}" --devices "$DEVICES" --duration "$DURATION" --prefix "fleet-$broker" | grep -v NormalDisconnection || true
  cpu1=$(awk '{print $14+$15}' /proc/$hub_pid/stat)
  echo "hub process CPU during the fleet run: $(( (cpu1 - cpu0) / 100 )) s"
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; pids=()
done
