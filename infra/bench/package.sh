#!/usr/bin/env bash
# Packager benchmark. The packager runs as packaged, with a real Kafka broker (KRaft) and the S3 server of the local
# stack; PackageBench.java plays the recorder's part (stores slices, announces them) and times the catalog entries.
#
# (a) Throughput: a recording of SECONDS (default 180) with four renditions (720p, 480p, 360p, 240p; H.264 + AAC, 2 s
#     GOP, cut into 10 s FLV slices as the recorder cuts them), announced at once, packaged until READY; against the
#     peer `ffmpeg -i <slice> -c copy -f hls -hls_time 6 -hls_playlist_type vod` run over the same slices, as many at
#     once as the packager has workers (4). The packager is a long-running service, so it is measured warm: it first
#     packages WARMUP (default 3) recordings of the same slices, unmeasured but for the first (a packager just
#     started, whose JIT compiler has not yet compiled its hot code, nor that of the JVM running Kafka and the S3
#     server; against a peer run just before it: throughput_ratio_cold). Then two measured rounds, alternating which
#     side goes first; throughput is media seconds packaged per wall-clock second, summed over both rounds. Target:
#     throughput_ratio >= 0.8. Also the CPU time each side used in the measured rounds (the packager's process; the
#     peer's ffmpeg processes; and, for what it is worth, the JVM that runs Kafka and the S3 server while the
#     packager works): packager_cpu_ratio is peer CPU / packager CPU.
# (b) Cost of one slice at slice 5 and at slice 2,000 of a long rendition (a manifest prepared with that many slices
#     already packaged; the slice before is packaged first so the state is loaded), median of RUNS; target
#     slice_cost_ratio <= 1.5.
# (c) Time from the last slice's SliceStored to READY, p95 of RUNS, for a 2-minute (12 slices) and a 2-hour (720
#     slices, prepared) recording; target <= 5 s for both.
#
# Usage (from the repository root): infra/bench/package.sh [seconds]
#   RUNS (default 10), WARMUP (default 3, at least 1), PACKAGER_JVM (default "-Xmx512m"), KEEP_WORK=1 (keep the logs and files)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-180}
runs=${RUNS:-10}
warmup=${WARMUP:-3}
[ "$warmup" -ge 1 ] || { echo "WARMUP must be at least 1" >&2; exit 2; }
packager_jvm=${PACKAGER_JVM:--Xmx512m}

# shellcheck source=lib.sh
. infra/bench/lib.sh
command -v ffmpeg >/dev/null || install_debian ffmpeg

echo "building the packager and the stack's class path …"
./mvnw -q -B -DskipTests install -pl packager,infra/stack -am
bench_workdir
now_ms() { date +%s%3N; }

echo "encoding ${seconds} s in four renditions and cutting 10 s slices …"
for r in source:1280x720:2500k 480p:854x480:1200k 360p:640x360:700k 240p:426x240:400k; do
  IFS=: read -r name size rate <<<"$r"
  mkdir -p "$work/slices/$name"
  ffmpeg -hide_banner -v error -f lavfi -i "testsrc2=size=$size:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
    -t "$seconds" -c:v libx264 -preset ultrafast -g 60 -keyint_min 60 -sc_threshold 0 -b:v "$rate" -pix_fmt yuv420p \
    -c:a aac -b:a 96k -f flv "$work/$name.flv"
  ffmpeg -hide_banner -v error -i "$work/$name.flv" -c copy -f segment -segment_time 10 -segment_format flv \
    -reset_timestamps 0 "$work/slices/$name/%06d.flv"
done
slices=$(find "$work/slices" -name '*.flv' | wc -l)

start_kafka_s3_helper PackageBench.java
helper_pid=${pids[-1]}
field() { sed -E "s/.*[ ]$1=([0-9.]+).*/\1/" <<<"$2"; }
ask slices "$work/slices" >/dev/null

port=$(free_port)
echo "starting the packager …"
# shellcheck disable=SC2086 # the options are words
KAFKA_BOOTSTRAP_SERVERS="$bootstrap" TAPEDECK_STORAGE_ENDPOINT="$s3" TAPEDECK_STORAGE_ACCESS_KEY=tapedeck \
  TAPEDECK_STORAGE_SECRET_KEY=tapedeck-local-secret TAPEDECK_STORAGE_BUCKET=tapedeck TAPEDECK_PACKAGER_WORK_DIR="$work/packager" \
  QUARKUS_HTTP_PORT="$port" QUARKUS_LOG_CATEGORY__DEV_TAPEDECK_PACKAGER_SERVICE__LEVEL="${PACKAGER_LOG_LEVEL:-INFO}" java $packager_jvm -jar packager/target/quarkus-app/quarkus-run.jar >"$work/packager.log" 2>&1 &
pids+=($!)
packager_pid=$!
for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$port/q/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$port/q/health/ready" >/dev/null || { echo "the packager did not become ready:" >&2; tail -30 "$work/packager.log" >&2; exit 1; }

run_peer() { # prints wall ms
  rm -rf "$work/peer" && mkdir -p "$work/peer"
  local t0
  t0=$(now_ms)
  find "$work/slices" -name '*.flv' | sort | xargs -P 4 -I{} sh -c '
    out="$0/$(basename "$(dirname "$1")")-$(basename "$1" .flv)"; mkdir -p "$out"
    ffmpeg -hide_banner -v error -nostdin -i "$1" -c copy -f hls -hls_time 6 -hls_playlist_type vod \
      -hls_segment_filename "$out/%06d.ts" "$out/index.m3u8" || { echo "peer failed on $1" >&2; exit 255; }' "$work/peer" {}
  local made ms
  ms=$(($(now_ms) - t0))
  made=$(find "$work/peer" -name index.m3u8 | wc -l)
  [ "$made" = "$slices" ] || { echo "the peer made $made playlists of $slices" >&2; exit 1; }
  # CPU time of the ffmpeg processes (this subshell's children), in ms.
  times >"$work/peer.times" # a builtin with a redirect: no subshell, so its children are the ffmpeg processes
  echo "$ms $(tail -1 "$work/peer.times" | python3 -c "import re,sys; print(round(sum(int(m)*60000+float(s)*1000 for m,s in re.findall(r'(\d+)m([\d.]+)s', sys.stdin.read()))))")"
}
# CPU time of a process so far, in ms.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14+$15)*1000/hz)}' "/proc/$1/stat"; }
echo "warm-up: $warmup recordings, the first one timed against the peer (cold) …"
read -r cold_peer_ms _ < <(run_peer)
for w in $(seq 1 "$warmup"); do
  answer=$(ask throughput)
  [ "$w" = 1 ] && cold_ms=$(field ms "$answer")
  echo "  warm-up $w packager: $(field ms "$answer") ms"
done
echo "  cold: peer $cold_peer_ms ms, packager $cold_ms ms"
peer_cpu_ms=0
packager_cpu_ms=0
helper_cpu_ms=0
media_s=0
ours_ms=0
peer_ms=0
for round in 1 2; do
  if [ $round = 1 ]; then order="peer ours"; else order="ours peer"; fi
  for side in $order; do
    if [ $side = peer ]; then
      read -r ms cpu < <(run_peer)
      peer_ms=$((peer_ms + ms))
      peer_cpu_ms=$((peer_cpu_ms + cpu))
      echo "  round $round peer: $ms ms (CPU $cpu ms)"
    else
      p0=$(cpu_ms "$packager_pid")
      h0=$(cpu_ms "$helper_pid")
      answer=$(ask throughput)
      packager_cpu_ms=$((packager_cpu_ms + $(cpu_ms "$packager_pid") - p0))
      helper_cpu_ms=$((helper_cpu_ms + $(cpu_ms "$helper_pid") - h0))
      ms=$(field ms "$answer")
      media_s=$(field media_s "$answer")
      ours_ms=$((ours_ms + ms))
      echo "  round $round packager: $ms ms ($answer)"
    fi
  done
done
throughput_ratio=$(python3 -c "print(round($peer_ms/$ours_ms, 2))")
echo "CPU over both rounds: packager $packager_cpu_ms ms, Kafka and S3 server (one JVM) $helper_cpu_ms ms, peer $peer_cpu_ms ms"
echo "throughput: packager $(python3 -c "print(round(2*$media_s/($ours_ms/1000),1))") media s/s, peer $(python3 -c "print(round(2*$media_s/($peer_ms/1000),1))") media s/s (ratio $throughput_ratio)"

echo "cost of one slice at slice 5 and at slice 2000 …"
at5=$(ask slicecost 5 "$runs")
at2000=$(ask slicecost 2000 "$runs")
slice_cost_ratio=$(python3 -c "print(round($(field median_ms "$at2000")/max(1,$(field median_ms "$at5")), 2))")
echo "  at 5: $at5"
echo "  at 2000: $at2000 (ratio $slice_cost_ratio)"

echo "time from the last SliceStored to READY …"
short=$(ask ready 12 "$runs")
long=$(ask ready 720 "$runs")
echo "  2 min: $short"
echo "  2 h:   $long"
echo "RESULT throughput_ratio=$throughput_ratio throughput_ratio_cold=$(python3 -c "print(round($cold_peer_ms/$cold_ms, 2))") slice_cost_ratio=$slice_cost_ratio time_to_ready_p95_s=$(python3 -c "print($(field p95_ms "$short")/1000)") time_to_ready_long_p95_s=$(python3 -c "print($(field p95_ms "$long")/1000)") slice_ms_at_5=$(field median_ms "$at5") slice_ms_at_2000=$(field median_ms "$at2000") packager_cpu_ratio=$(python3 -c "print(round($peer_cpu_ms/max(1,$packager_cpu_ms), 2))")"
