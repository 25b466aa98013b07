#!/usr/bin/env bash
# The whole loop on one machine, one command: edge-hub on its embedded broker, one edge-runtime device linked to it,
# and a model version pushed through the fleet API. Both keep running until Ctrl-C; state goes to ./demo-fleet/.
#   hub API  http://127.0.0.1:8090  (token in demo-fleet/hub/api-token)     MQTT  127.0.0.1:1883
#   device   http://127.0.0.1:8080  (serves "demo": v1 bundled, then v2 from the hub)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
state="$PWD/demo-fleet"
mkdir -p "$state"
dotnet build "$root/cloud-sync/EdgeRuntime.Hub" -c Release -v q -nologo >/dev/null
dotnet build "$root/src/EdgeRuntime.Host" -c Release -v q -nologo >/dev/null
hub_dll=$(ls "$root"/cloud-sync/EdgeRuntime.Hub/bin/Release/net10.0/*/edge-hub.dll | head -1)
device_dll=$(ls "$root"/src/EdgeRuntime.Host/bin/Release/net10.0/*/edge-runtime.dll | head -1)
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait' EXIT INT TERM

(cd "$state" && exec dotnet "$hub_dll" --data hub) & pids+=($!)
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:8090/healthz >/dev/null && break; sleep 0.2; done
token=$(cat "$state/hub/api-token")
api() { curl -sf -H "Authorization: Bearer $token" "$@"; }

# Register the device once; its password is issued only at registration, so keep it.
if [ ! -f "$state/device-password" ]; then
  api -X POST http://127.0.0.1:8090/api/devices -H 'Content-Type: application/json' -d '{"id":"demo-device","tags":["demo"]}' \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["password"])' > "$state/device-password"
fi

# The hub signs every package it distributes; the device trusts its public key (written at the hub's first start).
(cd "$state" && exec dotnet "$device_dll" --data device --device-id demo-device \
   --EdgeRuntime:Sync:Enabled=true --EdgeRuntime:Sync:Password="$(cat "$state/device-password")" \
   --EdgeRuntime:Packages:TrustedKeys:0="$state/hub/signing-key.pub.pem") & pids+=($!)
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:8080/v2/health/ready >/dev/null && break; sleep 0.2; done

# Version 2 of "demo" is the bundled model itself, uploaded and assigned through the fleet API.
api -X PUT http://127.0.0.1:8090/api/models/demo/versions/2 -H 'Content-Type: application/octet-stream' \
  --data-binary @"$state/device/models/demo/1/model.onnx" >/dev/null
api -X POST http://127.0.0.1:8090/api/assignments -H 'Content-Type: application/json' -d '{"model":"demo","version":"2","tag":"demo"}' >/dev/null
for _ in $(seq 1 150); do
  curl -sf http://127.0.0.1:8080/v2/models/demo/versions/2/ready >/dev/null && break; sleep 0.2
done
echo
echo "device serves:  $(curl -s http://127.0.0.1:8080/v2/models/demo | head -c 200)"
echo "hub sees:       $(api http://127.0.0.1:8090/api/devices/demo-device | head -c 300)"
echo
echo "hub API token: $token   (try: curl -H \"Authorization: Bearer $token\" localhost:8090/api/events?device_id=demo-device)"
echo "Ctrl-C stops both."
wait
