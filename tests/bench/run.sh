#!/usr/bin/env bash
# The serving-performance load benchmark (issue 3), in one go:
#
#   tests/bench/run.sh
#
# Measures, with the server pinned to one core and wrk (the load generator, installed from apt when
# missing) to another:
#   - raw InferenceSession.Run, the compute floor: demo (tiny), compute-bound (batch 1 and 64), PaddleOCR;
#   - a no-op Kestrel endpoint, the HTTP floor, at 1, 8 and 64 connections;
#   - the host (edge-runtime) with batching off and on: demo JSON and binary and PaddleOCR binary at
#     1, 8 and 64 connections, the compute-bound model binary at 64;
# then prints the README's table and the issue's targets (PASS/MISS) into artifacts/bench/report.md.
#
#   SCENARIO=telemetry tests/bench/run.sh
#
# instead measures what telemetry costs: the same host with EdgeRuntime:Telemetry:Enabled on and off
# (see the telemetry section below); it writes artifacts/bench/telemetry.md.
#
#   SCENARIO=batch tests/bench/run.sh
#
# measures batch jobs: their throughput against raw batched InferenceSession.Run, and the online p99 latency
# with and without a job running (see the batch section below); it writes artifacts/bench/batch.md.
#
# Each server is first warmed up for SERVER_WARMUP seconds at 64 connections with every request it will
# get: on one core under full load the JIT needs 30-40 s to finish tiering up (throughput triples), and the
# figures are for the steady state.
#
# Settings (environment): DURATION (8 s measured per point), WARMUP (2 s before each), SERVER_WARMUP (60 s
# per server start), CONNECTIONS ("1 8 64"), SERVER_CPU (0), CLIENT_CPU (1), OCR_SIDE (160: PaddleOCR input [1,3,side,side]),
# QUEUE_DELAY_US (500: the compute-bound model's max_queue_delay_microseconds; the others use 0), BENCH_OUT (artifacts/bench).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${BENCH_OUT:-$root/artifacts/bench}"
duration="${DURATION:-8}"
warmup="${WARMUP:-2}"
server_warmup="${SERVER_WARMUP:-60}"
connections="${CONNECTIONS:-1 8 64}"
server_cpu="${SERVER_CPU:-0}"
client_cpu="${CLIENT_CPU:-1}"
ocr_side="${OCR_SIDE:-160}"
queue_delay="${QUEUE_DELAY_US:-500}"
scenario="${SCENARIO:-serving}"
lua="$root/tests/bench/infer.lua"
logging=(--Logging:LogLevel:Default Warning --Logging:LogLevel:Microsoft.Hosting.Lifetime Information)

pids=()
stop() {
  if kill -0 "$1" 2>/dev/null; then
    kill "$1"
    wait "$1" 2>/dev/null || true
  fi
}
cleanup() {
  for pid in "${pids[@]}"; do
    stop "$pid"
  done
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*" >&2; }

# --- tools ------------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "run.sh: wrk is not installed; run: sudo apt-get install -y wrk" >&2
    exit 2
  fi
  say "installing wrk"
  DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null 2>&1 \
    || { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
fi
for tool in taskset curl dotnet; do
  command -v "$tool" >/dev/null 2>&1 || { echo "run.sh: $tool is not installed" >&2; exit 2; }
done
if [ "$(nproc)" -lt 2 ]; then
  echo "run.sh: warning: $(nproc) core; the server and wrk share it" >&2
fi

# --- build, models, request bodies --------------------------------------------------------------------
say "building (Release)"
dotnet build -c Release "$root/tests/EdgeRuntime.Benchmarks" -nologo -v quiet -clp:ErrorsOnly >&2
rid="$(dotnet --info | awk '/^ *RID:/ { print $2; exit }')"
bin="$root/tests/EdgeRuntime.Benchmarks/bin/Release/net10.0/$rid"
bench=(dotnet "$bin/EdgeRuntime.Benchmarks.dll")

mkdir -p "$out/logs"
work="$out/work"
rm -rf "$work"
paddle=""
if ! paddle="$("$root/tests/scripts/fetch-models.sh")"; then
  echo "run.sh: the PaddleOCR model is not available; its points are left out" >&2
  paddle=""
fi
# ONNX Runtime's "every core" default (intraOpThreads 0) pins its own worker threads to every core, out of
# the server's: the host and the raw runs both get the default profile with one intra-op thread per server core.
threads="$(taskset -c "$server_cpu" nproc)"
"${bench[@]}" prepare --out "$work" ${paddle:+--paddle "$paddle"} --ocr-side "$ocr_side" --queue-delay-us "$queue_delay" \
  --intra-op-threads "$threads" >&2
bodies="$work/bodies"
results="$out/results.txt"
: >"$results"
: >"$out/warmup.txt"

# record KEYS COMMAND...: runs COMMAND, which prints one "RESULT k=v ..." line, and appends KEYS + that line.
record() {
  local keys="$1" line
  shift
  line="$("$@" | grep '^RESULT ' | tail -n 1)"
  [ -n "$line" ] || { echo "run.sh: no result from: $*" >&2; exit 1; }
  echo "$keys ${line#RESULT }" | tee -a "$results" >&2
}

# --- servers ---------------------------------------------------------------------------------------------
# start_server NAME COMMAND...: starts COMMAND on the server's core; sets url and server_pid.
start_server() {
  local name="$1" log="$out/logs/$1.log"
  shift
  (cd "$work" && exec taskset -c "$server_cpu" "$@") >"$log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  url=""
  for _ in $(seq 600); do
    url="$(grep -aoE 'listening on: http://127\.0\.0\.1:[0-9]+' "$log" | head -n 1 | sed 's/^listening on: //')" || true
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; echo "run.sh: $name exited" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$url" ] || { echo "run.sh: $name did not start listening within 60 s (see $log)" >&2; exit 1; }
}

wait_ready() {
  for _ in $(seq 1200); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$url/v2/health/ready")" = 200 ] && return 0
    sleep 0.1
  done
  echo "run.sh: the host is not ready after 120 s" >&2
  exit 1
}

# check PATH BODY CONTENT_TYPE [HEADER_LENGTH]: one request by curl must answer 200.
check() {
  local status
  status="$(curl -s -o "$out/logs/check.out" -w '%{http_code}' -X POST "$url$1" -H "Content-Type: $3" \
    ${4:+-H "Inference-Header-Content-Length: $4"} --data-binary "@$2")"
  [ "$status" = 200 ] || { echo "run.sh: POST $1 with $2 answered $status: $(head -c 500 "$out/logs/check.out")" >&2; exit 1; }
}

# warm_server SERVER REQUEST...: each REQUEST is "PATH BODY CONTENT_TYPE HEADER_LENGTH"; 5-s rounds of each at 64
# connections, in turn, until SERVER_WARMUP seconds have passed. The rounds' figures go to warmup.txt.
warm_server() {
  local server="$1" start=$SECONDS request path body type hlen
  shift
  while [ $((SECONDS - start)) -lt "$server_warmup" ]; do
    for request in "$@"; do
      [ $((SECONDS - start)) -lt "$server_warmup" ] || break
      read -r path body type hlen <<<"$request"
      check "$path" "$body" "$type" "$hlen"
      echo "warm-up server=$server $path $(basename "$body") $(env BODY_FILE="$body" CONTENT_TYPE="$type" HEADER_LENGTH="$hlen" \
        taskset -c "$client_cpu" wrk -t1 -c64 --timeout 30s -d5s -s "$lua" "$url$path" | grep '^RESULT ')" >>"$out/warmup.txt"
    done
  done
}

# load KEYS PATH BODY CONTENT_TYPE HEADER_LENGTH CONNECTIONS: warm up, then one measured point.
load() {
  local keys="$1" path="$2" conns="$6"
  local wrk_cmd=(env BODY_FILE="$3" CONTENT_TYPE="$4" HEADER_LENGTH="$5" taskset -c "$client_cpu"
    wrk -t1 -c"$conns" --timeout 30s -s "$lua")
  check "$path" "$3" "$4" "$5"
  if [ "$warmup" != 0 ]; then
    "${wrk_cmd[@]}" -d"${warmup}s" "$url$path" >/dev/null
  fi
  record "$keys conns=$conns" "${wrk_cmd[@]}" -d"${duration}s" "$url$path"
}

demo_hlen="$(cat "$bodies/demo.bin.hlen")"

# --- telemetry cost (SCENARIO=telemetry) ------------------------------------------------------------------
# Two hosts on the same core, one with telemetry on (metrics, events, 1-s metric snapshots into SQLite, alert
# rules every second, drift detection on a demo model with a baseline) and one with EdgeRuntime:Telemetry:Enabled
# false; both warmed up, then measured in alternating rounds (ROUNDS, default 7) so drift in the machine's state
# hits both alike; the medians over the rounds go into artifacts/bench/telemetry.md.
if [ "$scenario" = telemetry ]; then
  rounds="${ROUNDS:-7}"
  for mode in on off; do
    rm -rf "$work/telemetry-$mode"
    mkdir -p "$work/telemetry-$mode"
    cp -r "$work/host-off/models" "$work/telemetry-$mode/models"
  done
  # The demo model gets a drift baseline computed by the baseline verb from 5000 rows like the benchmark's.
  awk 'BEGIN { srand(7); print "a,b,c,d"; for (i = 0; i < 5000; i++) printf "%.3f,%.3f,%.3f,%.3f\n", rand()*4-2, rand()*4-2, rand()*4-2, rand()*4-2 }' >"$work/demo-rows.csv"
  dotnet "$bin/edge-runtime.dll" baseline --input "$work/demo-rows.csv" --model "$work/telemetry-on/models/demo/1" --write-manifest >&2
  declare -A urls server_pids
  # cpu_ticks PID: user + system CPU time of the process so far, in clock ticks (/proc/PID/stat fields 14, 15).
  cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
  ticks_per_second="$(getconf CLK_TCK)"
  # point MODE KEYS PATH BODY CONTENT_TYPE HEADER_LENGTH CONNECTIONS: one load point that also records the server's
  # CPU time per request. On a shared VM, time stolen by the hypervisor moves req/s by tens of per cent between
  # rounds but is not charged to the process, so CPU per request is the steadier measure of what telemetry costs.
  point() {
    local mode="$1" keys="$2" path="$3" body="$4" type="$5" hlen="$6" conns="$7" before after line
    local wrk_cmd=(env BODY_FILE="$body" CONTENT_TYPE="$type" HEADER_LENGTH="$hlen" taskset -c "$client_cpu"
      wrk -t1 -c"$conns" --timeout 30s -s "$lua")
    url="${urls[$mode]}"
    check "$path" "$body" "$type" "$hlen"
    "${wrk_cmd[@]}" -d"${warmup}s" "$url$path" >/dev/null
    before="$(cpu_ticks "${server_pids[$mode]}")"
    line="$("${wrk_cmd[@]}" -d"${duration}s" "$url$path" | grep '^RESULT ' | tail -n 1)"
    after="$(cpu_ticks "${server_pids[$mode]}")"
    [ -n "$line" ] || { echo "run.sh: no result from wrk" >&2; exit 1; }
    line="${line#RESULT }"
    local requests="${line#requests=}"
    requests="${requests%% *}"
    echo "$keys conns=$conns $line cpu_us_per_req=$(awk -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$requests" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')" \
      | tee -a "$results" >&2
  }
  for mode in on off; do
    enabled=true
    [ "$mode" = off ] && enabled=false
    start_server "telemetry-$mode" dotnet "$bin/edge-runtime.dll" --urls http://127.0.0.1:0 --data "$work/telemetry-$mode" \
      --profile "$work/profile.json" --EdgeRuntime:RepositoryPollSeconds 0 --EdgeRuntime:InstallDemoModel false \
      --EdgeRuntime:Telemetry:Enabled "$enabled" --EdgeRuntime:Telemetry:SnapshotIntervalSeconds 1 \
      --EdgeRuntime:Telemetry:Alerts:EvaluationIntervalSeconds 1 "${logging[@]}"
    wait_ready
    urls[$mode]="$url"
    server_pids[$mode]="$server_pid"
  done
  requests=("/v2/models/demo/infer $bodies/demo.bin application/octet-stream $demo_hlen"
    "/v2/models/demo/infer $bodies/demo.json application/json")
  if [ -n "$paddle" ]; then
    requests+=("/v2/models/ocr/infer $bodies/ocr.bin application/octet-stream $(cat "$bodies/ocr.bin.hlen")")
  fi
  for mode in on off; do
    url="${urls[$mode]}"
    say "warming up telemetry-$mode (${server_warmup} s)"
    warm_server "telemetry-$mode" "${requests[@]}"
  done
  for round in $(seq "$rounds"); do
    # Odd rounds measure "on" first, even rounds "off" first, so neither always follows the other's load.
    order="on off"
    [ $((round % 2)) = 0 ] && order="off on"
    for mode in $order; do
      say "round $round, telemetry $mode"
      keys="kind=telemetry telemetry=$mode round=$round batching=off batch=1"
      point "$mode" "$keys model=demo format=binary" /v2/models/demo/infer "$bodies/demo.bin" application/octet-stream "$demo_hlen" 64
      point "$mode" "$keys model=demo format=json" /v2/models/demo/infer "$bodies/demo.json" application/json "" 64
      point "$mode" "$keys model=demo format=binary" /v2/models/demo/infer "$bodies/demo.bin" application/octet-stream "$demo_hlen" 1
      if [ -n "$paddle" ]; then
        point "$mode" "$keys model=ocr format=binary" /v2/models/ocr/infer "$bodies/ocr.bin" application/octet-stream "$(cat "$bodies/ocr.bin.hlen")" 64
      fi
    done
  done
  records="$(curl -s "${urls[on]}/v2/edge/telemetry")"
  drift="$(curl -s "${urls[on]}/v2/edge/drift" | head -c 300)"
  # Per point, the median over the rounds of requests per second and of p99 (medians: one disturbed round
  # on a shared machine moves a mean by several per cent), and what telemetry costs in server CPU per request.
  awk -v records="$records" -v drift="$drift" '
    function median(list,    v, m, i, j, t) {
      m = split(list, v, " ")
      for (i = 2; i <= m; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
      return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
    }
    /kind=telemetry/ {
      split("", f); for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
      point = f["model"] " " f["format"] " " f["conns"]
      rps[point, f["telemetry"]] = rps[point, f["telemetry"]] " " f["rps"]; p99[point, f["telemetry"]] = p99[point, f["telemetry"]] " " f["p99_us"]
      cpu[point, f["telemetry"]] = cpu[point, f["telemetry"]] " " f["cpu_us_per_req"]
      if (!(point in seen)) { seen[point] = 1; order[++points] = point }
    }
    END {
      print "| model | format | connections | server CPU per request, off (µs) | on (µs) | cost in CPU | req/s off | req/s on | p99 off (µs) | p99 on (µs) |"
      print "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
      for (i = 1; i <= points; i++) {
        p = order[i]; split(p, k, " ")
        off = median(rps[p, "off"]); on = median(rps[p, "on"])
        cpuoff = median(cpu[p, "off"]); cpuon = median(cpu[p, "on"])
        printf "| %s | %s | %s | %.2f | %.2f | %.2f %% | %.0f | %.0f | %.0f | %.0f |\n", k[1], k[2], k[3], cpuoff, cpuon, 100 * (cpuon - cpuoff) / cpuoff, off, on, median(p99[p, "off"]), median(p99[p, "on"])
      }
      print ""
      print "Telemetry store of the \"on\" host afterwards: " records
      print ""
      print "Its drift report (demo, baseline from the baseline verb): " drift
    }' "$results" | tee "$out/telemetry.md"
  exit 0
fi

# --- batch jobs (SCENARIO=batch) -------------------------------------------------------------------------
# 1. Throughput: raw batched InferenceSession.Run against `edge-runtime batch` on the same model (the scorer:
#    FP32 [64 features] -> [8 scores], 2.2 MFLOP a row), the same batch size (64) and the same threads (1 and 2,
#    one intra-op thread each, as the job's workers run). The job reads BATCH_ROWS rows from an .npy file and
#    writes every result into its SQLite results database with its checkpoint; ROUNDS (3) runs each, median.
#    The job runs twice per round: from the build output under the JIT (`dotnet edge-runtime.dll`), and as the
#    Native AOT binary the linux-x64-aot profile publishes (what a device runs; no JIT warm-up in the job's time).
# 2. Online latency: the host serving the demo model (JSON, 1 and 8 connections) alone, then while an
#    in-host batch job scores the scorer's rows with the default settings (half the cores, nice 10, SCHED_IDLE),
#    with nice 10 only (IdleScheduling false), and with an inconsiderate job (every core, nice 0) for contrast. The server and wrk are not pinned: the job
#    competes for both cores, as it would on a device. BATCH_ONLINE_MODES picks the job modes (empty: throughput only).
# Writes artifacts/bench/batch.md.
if [ "$scenario" = batch ]; then
  rounds="${ROUNDS:-3}"
  batch_rows="${BATCH_ROWS:-500000}"
  bwork="$work/batch"
  "${bench[@]}" batch-data --out "$bwork" --rows "$batch_rows" >&2
  edge=(dotnet "$bin/edge-runtime.dll")
  modes="${BATCH_ONLINE_MODES-considerate nice-only inconsiderate}"
  say "publishing the Native AOT binary (linux-x64-aot)"
  dotnet publish "$root/src/EdgeRuntime.Host" -p:PublishProfileFullPath="$root/publish-profiles/linux-x64-aot.pubxml" \
    -o "$bwork/aot" -nologo -v quiet -clp:ErrorsOnly >&2
  median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
  table="$out/batch.md"
  {
    echo "| threads | raw batched Run (rows/s) | batch job, JIT (rows/s) | job / raw | batch job, Native AOT (rows/s) | job / raw |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
  } >"$table.throughput"
  run_job() { # threads label command...: one job over the scorer's rows; prints its rows per second
    local t="$1" label="$2"
    shift 2
    rm -rf "$bwork/out-$t.db" "$bwork/out-$t.db-wal" "$bwork/out-$t.db-shm"
    # Called inside $(...), where set -e does not hold: a failed job must fail the function itself.
    "$@" batch --data "$bwork/data" --models "$bwork/models" --model scorer --input "$bwork/scorer.npy" \
      --output "$bwork/out-$t.db" --batch-size 64 --parallelism "$t" --json >"$bwork/status-$t.json" || return 1
    local rate
    rate="$(grep -o '"rows_per_second":[0-9.eE+]*' "$bwork/status-$t.json" | cut -d: -f2)"
    [ -n "$rate" ] || { echo "run.sh: the $label batch job printed no rate: $(cat "$bwork/status-$t.json")" >&2; return 1; }
    echo "kind=batch-job build=$label threads=$t round=$round rows_per_second=$rate $(cat "$bwork/status-$t.json")" | tee -a "$results" >&2
    echo "$rate"
  }
  for t in 1 2; do
    say "raw batched Run, scorer, batch 64, $t thread(s)"
    raw_rows=""
    job_rows=""
    aot_rows=""
    for round in $(seq "$rounds"); do
      line="$("${bench[@]}" raw-run --model "$bwork/models/scorer/1/model.onnx" --shape 64,64 --threads "$t" \
        --profile "$bwork/profile-1.json" --seconds "$duration" --warmup "$warmup" | grep '^RESULT ')"
      echo "kind=batch-raw threads=$t round=$round ${line#RESULT }" | tee -a "$results" >&2
      raw_rows+="$(echo "$line" | grep -o 'rps=[0-9.]*' | cut -d= -f2 | awk '{ print $1 * 64 }') "
      rate="$(run_job "$t" jit "${edge[@]}")"
      job_rows+="$rate "
      rate="$(run_job "$t" aot "$bwork/aot/edge-runtime")"
      aot_rows+="$rate "
    done
    raw_median="$(echo "$raw_rows" | tr ' ' '\n' | grep . | median)"
    job_median="$(echo "$job_rows" | tr ' ' '\n' | grep . | median)"
    aot_median="$(echo "$aot_rows" | tr ' ' '\n' | grep . | median)"
    awk -v t="$t" -v r="$raw_median" -v j="$job_median" -v a="$aot_median" \
      'BEGIN { printf "| %d | %.0f | %.0f | %.1f %% | %.0f | %.1f %% |\n", t, r, j, 100 * j / r, a, 100 * a / r }' >>"$table.throughput"
  done

  {
    echo "| batch job | connections | req/s | p50 (µs) | p99 (µs) | job rows/s meanwhile |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  } >"$table.online"
  for mode in $modes; do
    data="$work/batch-host-$mode"
    rm -rf "$data"
    mkdir -p "$data/batch"
    cp -r "$bwork/models" "$data/models"
    ln "$bwork/scorer.npy" "$data/batch/scorer.npy" 2>/dev/null || cp "$bwork/scorer.npy" "$data/batch/scorer.npy"
    settings=()
    [ "$mode" = nice-only ] && settings=(--EdgeRuntime:Batch:IdleScheduling false)
    [ "$mode" = inconsiderate ] && settings=(--EdgeRuntime:Batch:CoreShare 1 --EdgeRuntime:Batch:Nice 0 --EdgeRuntime:Batch:IdleScheduling false)
    start_server "batch-host-$mode" "${edge[@]}" --urls http://127.0.0.1:0 --data "$data" --EdgeRuntime:RepositoryPollSeconds 0 \
      --EdgeRuntime:InstallDemoModel false "${settings[@]}" "${logging[@]}"
    wait_ready
    say "warming up batch-host-$mode (${server_warmup} s)"
    warm_server "batch-host-$mode" "/v2/models/demo/infer $bodies/demo.json application/json"
    for c in 1 8; do
      wrk_cmd=(env BODY_FILE="$bodies/demo.json" CONTENT_TYPE=application/json HEADER_LENGTH= wrk -t1 -c"$c" --timeout 30s -s "$lua")
      if [ "$mode" = considerate ]; then
        line="$("${wrk_cmd[@]}" -d"${duration}s" "$url/v2/models/demo/infer" | grep '^RESULT ')"
        echo "kind=batch-online job=none conns=$c ${line#RESULT }" | tee -a "$results" >&2
        echo "$line" | awk -v c="$c" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } printf "| none | %d | %.0f | %d | %d | - |\n", c, f["rps"], f["p50_us"], f["p99_us"] }' >>"$table.online"
      fi
      job="online-$mode-$c"
      curl -s -o "$out/logs/batch-submit.json" -X POST "$url/v2/edge/batch/jobs" -H 'Content-Type: application/json' \
        -d "{\"id\":\"$job\",\"model\":\"scorer\",\"input\":{\"path\":\"scorer.npy\"},\"output\":\"$job.db\",\"batch_size\":64}"
      grep -q "\"id\":\"$job\"" "$out/logs/batch-submit.json" || { echo "run.sh: the batch job was not accepted: $(cat "$out/logs/batch-submit.json")" >&2; exit 1; }
      sleep "$warmup"
      before="$(curl -s "$url/v2/edge/batch/jobs/$job" | grep -o '"rows_succeeded":[0-9]*' | cut -d: -f2)"
      line="$("${wrk_cmd[@]}" -d"${duration}s" "$url/v2/models/demo/infer" | grep '^RESULT ')"
      status="$(curl -s "$url/v2/edge/batch/jobs/$job")"
      after="$(echo "$status" | grep -o '"rows_succeeded":[0-9]*' | cut -d: -f2)"
      echo "$status" | grep -q '"state":"running"' || echo "run.sh: warning: the batch job was not running to the end of the point: $status" >&2
      curl -s -o /dev/null -X POST "$url/v2/edge/batch/jobs/$job/cancel"
      echo "kind=batch-online job=$mode conns=$c ${line#RESULT } job_rows=$((after - before))" | tee -a "$results" >&2
      echo "$line" | awk -v c="$c" -v m="$mode" -v rows=$((after - before)) -v d="$duration" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } printf "| %s | %d | %.0f | %d | %d | %.0f |\n", m, c, f["rps"], f["p50_us"], f["p99_us"], rows / d }' >>"$table.online"
      sleep 1
    done
    stop "$server_pid"
  done
  { cat "$table.throughput"; if [ -n "$modes" ]; then echo; cat "$table.online"; fi; } >"$table"
  rm -f "$table.throughput" "$table.online"
  cat "$table" >&2
  exit 0
fi

# --- compute floor: raw InferenceSession.Run on the server's core ----------------------------------------
raw() { # model shape batch: the model on the tensor of its binary request body
  record "kind=raw model=$1 format=- batching=- batch=$3 conns=-" \
    taskset -c "$server_cpu" "${bench[@]}" raw-run --model "$work/host-off/models/$1/1/model.onnx" --shape "$2" \
    --body "$bodies/$1.bin" --header-length "$(cat "$bodies/$1.bin.hlen")" --profile "$work/profile.json" \
    --seconds "$duration" --warmup "$warmup"
}
say "raw InferenceSession.Run (core $server_cpu, $threads intra-op thread(s))"
raw demo 1,4 1
raw compute 1,1024 1
raw compute 64,1024 64
if [ -n "$paddle" ]; then
  raw ocr "1,3,$ocr_side,$ocr_side" 1
fi

say "no-op HTTP endpoint (server on core $server_cpu, wrk on core $client_cpu; ${server_warmup} s warm-up)"
start_server noop "${bench[@]}" noop-server --urls http://127.0.0.1:0 "${logging[@]}"
warm_server noop "/v2/models/demo/infer $bodies/demo.bin application/octet-stream $demo_hlen"
for c in $connections; do
  load "kind=noop model=- format=binary batching=- batch=1" /v2/models/demo/infer "$bodies/demo.bin" application/octet-stream "$demo_hlen" "$c"
done
stop "$server_pid"

for batching in off on; do
  say "host, batching $batching"
  start_server "host-$batching" dotnet "$bin/edge-runtime.dll" --urls http://127.0.0.1:0 --data "$work/host-$batching" \
    --profile "$work/profile.json" --EdgeRuntime:RepositoryPollSeconds 0 --EdgeRuntime:InstallDemoModel false "${logging[@]}"
  wait_ready
  # The tiny model's requests twice per round: they exercise the request path most, so most of the JIT's work.
  requests=("/v2/models/demo/infer $bodies/demo.bin application/octet-stream $demo_hlen"
    "/v2/models/demo/infer $bodies/demo.json application/json"
    "/v2/models/demo/infer $bodies/demo.bin application/octet-stream $demo_hlen"
    "/v2/models/demo/infer $bodies/demo.json application/json"
    "/v2/models/compute/infer $bodies/compute.bin application/octet-stream $(cat "$bodies/compute.bin.hlen")")
  if [ -n "$paddle" ]; then
    requests+=("/v2/models/ocr/infer $bodies/ocr.bin application/octet-stream $(cat "$bodies/ocr.bin.hlen")")
  fi
  say "warming up host-$batching (${server_warmup} s)"
  warm_server "host-$batching" "${requests[@]}"
  keys="kind=host batching=$batching batch=1"
  for c in $connections; do
    load "$keys model=demo format=json" /v2/models/demo/infer "$bodies/demo.json" application/json "" "$c"
  done
  for c in $connections; do
    load "$keys model=demo format=binary" /v2/models/demo/infer "$bodies/demo.bin" application/octet-stream "$demo_hlen" "$c"
  done
  if [ -n "$paddle" ]; then
    for c in $connections; do
      load "$keys model=ocr format=binary" /v2/models/ocr/infer "$bodies/ocr.bin" application/octet-stream "$(cat "$bodies/ocr.bin.hlen")" "$c"
    done
  fi
  load "$keys model=compute format=binary" /v2/models/compute/infer "$bodies/compute.bin" application/octet-stream "$(cat "$bodies/compute.bin.hlen")" 64
  stop "$server_pid"
done

# --- report ------------------------------------------------------------------------------------------------
say "report ($out/report.md)"
"${bench[@]}" report --results "$results" --markdown "$out/report.md" --queue-delay-us "$queue_delay" --ocr-side "$ocr_side" \
  --wrk-version "$(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }')"
