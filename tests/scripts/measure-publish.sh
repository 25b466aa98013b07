#!/usr/bin/env bash
# Publishes the linux-x64 (trimmed, single-file) and linux-x64-aot (Native AOT) profiles and prints, for each:
#   size         - the publish folder, `du -sb` (everything a device needs: executable, ONNX Runtime, profiles);
#   start-ready  - from launching the executable until GET /v2/health/ready answers 200, median of N runs,
#                  with an empty data directory (installs and optimises the demo model) and again warm
#                  (same directory: model present, optimised-model cache hit);
#   idle RSS     - VmRSS from /proc/<pid>/status after the warm start is ready and has been idle 5 s, median.
# The host runs as shipped (default settings, demo model), bound to a free loopback port.
# Usage: tests/scripts/measure-publish.sh [runs=5] [--no-publish]
# Needs: the .NET SDK, clang (Native AOT; apt-get install clang), bash 5. Linux only (reads /proc).
set -euo pipefail
cd "$(dirname "$0")/../.."

runs="${1:-5}"
publish=true
[ "${2:-}" = "--no-publish" ] && publish=false
profiles=(linux-x64 linux-x64-aot)
work="$(mktemp -d)"
pid=''
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if $publish; then
  for profile in "${profiles[@]}"; do
    echo "publishing $profile ..." >&2
    dotnet publish src/EdgeRuntime.Host -p:PublishProfileFullPath="$PWD/publish-profiles/$profile.pubxml" -nologo -v:q >"$work/publish.log" 2>&1 \
      || { cat "$work/publish.log" >&2; exit 1; }
  done
fi

# 200 from /v2/health/ready on 127.0.0.1:$1? Pure bash (/dev/tcp), so polling costs no process start.
ready() {
  local line=''
  { printf 'GET /v2/health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3; IFS= read -r -t 2 line <&3; } \
    2>/dev/null 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  [[ "$line" == 'HTTP/1.1 200'* ]]
}

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 30000))
    if ! : 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$port"; then echo "$port"; return; fi
  done
}

# Starts $1 on data directory $2, waits for readiness; sets $pid and prints milliseconds to ready.
start_until_ready() {
  local executable="$1" data="$2" port start
  port="$(free_port)"
  start=$EPOCHREALTIME
  "$executable" --urls "http://127.0.0.1:$port" --data "$data" >>"$data.log" 2>&1 &
  pid=$!
  until ready "$port"; do
    kill -0 "$pid" 2>/dev/null || { cat "$data.log" >&2; echo "edge-runtime exited before it was ready" >&2; exit 1; }
    sleep 0.002
  done
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }'
}

stop() {
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  pid=''
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"), $(uname -m), .NET SDK $(dotnet --version)"
echo "runs: $runs (median); start-ready = process start until /v2/health/ready is 200; RSS after 5 s idle"
printf '%-15s %12s %18s %18s %14s\n' profile 'size (MB)' 'start-ready cold' 'start-ready warm' 'idle RSS (MB)'
for profile in "${profiles[@]}"; do
  folder="artifacts/publish/$profile"
  executable="$folder/edge-runtime"
  [ -x "$executable" ] || { echo "$executable is missing (run without --no-publish)" >&2; exit 1; }
  size=$(du -sb "$folder" | awk '{ printf "%.1f", $1 / 1000000 }')
  : >"$work/cold"; : >"$work/warm"; : >"$work/rss"
  for i in $(seq "$runs"); do
    data="$work/$profile-$i"
    mkdir -p "$data"
    start_until_ready "$executable" "$data" >>"$work/cold"; echo >>"$work/cold"
    stop
    start_until_ready "$executable" "$data" >>"$work/warm"; echo >>"$work/warm"
    sleep 5
    awk '/VmRSS/ { printf "%.1f\n", $2 / 1024 }' "/proc/$pid/status" >>"$work/rss"
    stop
  done
  printf '%-15s %12s %15s ms %15s ms %14s\n' "$profile" "$size" "$(median <"$work/cold")" "$(median <"$work/warm")" "$(median <"$work/rss")"
done
