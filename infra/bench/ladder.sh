#!/usr/bin/env bash
# Ladder benchmark: the transcoder worker against one ffmpeg CLI process producing the same three rungs.
#
# Input: 60 s of 1080p30 H.264 + AAC, generated here (keyframe every second). Both sides decode it once
# and produce 720p/2800k, 480p/1400k and 360p/800k with x264 veryfast, no B-frames, keyframes exactly
# at the source's keyframes, bicubic scaling, AAC copied. The peer is the ffmpeg executable of the same
# FFmpeg build the worker links (JavaCV ships it), so the encoders are identical. The worker runs as the
# launchers start it (same JVM options) and its time includes the JVM's start.
#
# Shared machines drift by 20 % and more within minutes, so one run of each proves little. The script
# runs both sides in several rounds, alternating which goes first, takes each round's ratios, and
# reports the median round. Targets: speed_ratio >= 0.95, cpu_ratio <= 1.05.
#
# Usage (from the repository root): infra/bench/ladder.sh [seconds] [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
rounds=${2:-5}

echo "building the transcoder …"
./mvnw -q -B -DskipTests install -pl transcoder -am
cp="transcoder/target/quarkus-app/lib/boot/*:transcoder/target/quarkus-app/lib/main/*:transcoder/target/quarkus-app/app/*"
{ read -r ffmpeg; read -r jvm_options; } < <(java -cp "$cp" infra/bench/BenchSetup.java)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "generating ${seconds} s of 1080p30 H.264 + AAC …"
"$ffmpeg" -hide_banner -v error -f lavfi -i "testsrc2=size=1920x1080:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
  -t "$seconds" -c:v libx264 -preset veryfast -g 30 -keyint_min 30 -sc_threshold 0 -b:v 6000k -pix_fmt yuv420p \
  -c:a aac -b:a 128k -f flv "$work/source.flv"

TIMEFORMAT='%R %U %S'

# Each prints "wall_s cpu_s".
run_worker() {
  rm -rf "$work/worker" && mkdir -p "$work/worker"
  local request
  request=$(printf '{"sessionId":"bench","recordingId":"bench","streamKey":"__defaultVhost__/bench/source","sourceUrl":"%s","publishUrl":"%s","stream":"out","ladder":"720p:2800k,480p:1400k,360p:800k"}' \
    "$work/source.flv" "$work/worker")
  # shellcheck disable=SC2086 # the options are words
  { time TAPEDECK_WORK_REQUEST="$request" java -Xmx256m $jvm_options -cp "$cp" dev.tapedeck.transcoder.worker.WorkerMain \
      >"$work/worker.log" 2>&1 ; } 2>"$work/worker.time" || { echo "the worker failed:" >&2; cat "$work/worker.log" >&2; exit 1; }
  for r in 720p 480p 360p; do
    [ -s "$work/worker/out_$r" ] || { echo "the worker produced no $r rung:" >&2; cat "$work/worker.log" >&2; exit 1; }
  done
  awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$work/worker.time"
}

run_peer() {
  local x264=(-c:v libx264 -preset veryfast -bf 0 -g 100000 -x264-params scenecut=0 -forced-idr 1 -force_key_frames source -c:a copy)
  { time "$ffmpeg" -y -hide_banner -v error -i "$work/source.flv" \
      -filter_complex "[0:v]split=3[a][b][c];[a]scale=1280:720:flags=bicubic[v720];[b]scale=854:480:flags=bicubic[v480];[c]scale=640:360:flags=bicubic[v360]" \
      -map "[v720]" -map 0:a "${x264[@]}" -b:v 2800k -maxrate 4200k -bufsize 5600k -f flv "$work/peer_720p.flv" \
      -map "[v480]" -map 0:a "${x264[@]}" -b:v 1400k -maxrate 2100k -bufsize 2800k -f flv "$work/peer_480p.flv" \
      -map "[v360]" -map 0:a "${x264[@]}" -b:v 800k -maxrate 1200k -bufsize 1600k -f flv "$work/peer_360p.flv" ; } 2>"$work/peer.time"
  awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$work/peer.time"
}

echo "worker JVM options: -Xmx256m $jvm_options"
: > "$work/rounds"
for ((i = 1; i <= rounds; i++)); do
  if ((i % 2)); then
    w=$(run_worker); p=$(run_peer)
  else
    p=$(run_peer); w=$(run_worker)
  fi
  echo "$w $p" >> "$work/rounds"
  read -r ww wc pw pc <<< "$w $p"
  awk -v i="$i" -v s="$seconds" -v ww="$ww" -v wc="$wc" -v pw="$pw" -v pc="$pc" 'BEGIN {
    printf "round %d: worker %.1f s wall %.2fx %.1f CPU s | peer %.1f s wall %.2fx %.1f CPU s | speed_ratio %.3f cpu_ratio %.3f\n",
      i, ww, s / ww, wc, pw, s / pw, pc, pw / ww, wc / pc }'
done

sort_median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
speed_ratio=$(awk '{ print $3 / $1 }' "$work/rounds" | sort_median)
cpu_ratio=$(awk '{ print $2 / $4 }' "$work/rounds" | sort_median)
ww=$(awk '{ print $1 }' "$work/rounds" | sort_median)
wc=$(awk '{ print $2 }' "$work/rounds" | sort_median)
pw=$(awk '{ print $3 }' "$work/rounds" | sort_median)
pc=$(awk '{ print $4 }' "$work/rounds" | sort_median)
awk -v s="$seconds" -v n="$rounds" -v sr="$speed_ratio" -v cr="$cpu_ratio" -v ww="$ww" -v wc="$wc" -v pw="$pw" -v pc="$pc" 'BEGIN {
  printf "median of %d rounds: worker %.1f s wall, %.2fx realtime, %.1f CPU s; peer %.1f s wall, %.2fx realtime, %.1f CPU s\n",
    n, ww, s / ww, wc, pw, s / pw, pc;
  printf "RESULT speed_ratio=%.3f cpu_ratio=%.3f speed_x=%.2f peer_speed_x=%.2f wall_s=%.1f peer_wall_s=%.1f cpu_s=%.1f peer_cpu_s=%.1f rounds=%d\n",
    sr, cr, s / ww, s / pw, ww, pw, wc, pc, n;
}'
