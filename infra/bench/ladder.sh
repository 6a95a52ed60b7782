#!/usr/bin/env bash
# Ladder benchmark: the transcoder worker against one ffmpeg CLI process producing the same three rungs.
#
# Input: 60 s of 1080p30 H.264 + AAC, generated here (keyframe every second). Both sides decode it once
# and produce 720p/2800k, 480p/1400k and 360p/800k with x264 veryfast, no B-frames, keyframes exactly
# at the source's keyframes, bicubic scaling, AAC copied. The peer is the ffmpeg executable of the same
# FFmpeg build the worker links (JavaCV ships it), so the encoders are identical. The worker's time
# includes its JVM start. Targets: speed_ratio >= 0.95, cpu_ratio <= 1.05.
#
# Usage (from the repository root): infra/bench/ladder.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}

if [ ! -f transcoder/target/quarkus-app/quarkus-run.jar ]; then
  ./mvnw -q -B -DskipTests install -pl transcoder -am
fi
cp="transcoder/target/quarkus-app/lib/boot/*:transcoder/target/quarkus-app/lib/main/*:transcoder/target/quarkus-app/app/*"
ffmpeg=$(java -cp "$cp" infra/bench/FfmpegPath.java)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "generating ${seconds} s of 1080p30 H.264 + AAC …"
"$ffmpeg" -hide_banner -v error -f lavfi -i "testsrc2=size=1920x1080:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
  -t "$seconds" -c:v libx264 -preset veryfast -g 30 -keyint_min 30 -sc_threshold 0 -b:v 6000k -pix_fmt yuv420p \
  -c:a aac -b:a 128k -f flv "$work/source.flv"

TIMEFORMAT='%R %U %S'

echo "worker: ladder 720p,480p,360p …"
mkdir -p "$work/worker"
request=$(printf '{"sessionId":"bench","recordingId":"bench","streamKey":"__defaultVhost__/bench/source","sourceUrl":"%s","publishUrl":"%s","stream":"out","ladder":"720p:2800k,480p:1400k,360p:800k"}' \
  "$work/source.flv" "$work/worker")
{ time TAPEDECK_WORK_REQUEST="$request" java -cp "$cp" dev.tapedeck.transcoder.worker.WorkerMain >"$work/worker.log" 2>&1 ; } 2>"$work/worker.time" \
  || { echo "the worker failed:"; cat "$work/worker.log"; exit 1; }

echo "peer: one ffmpeg process, split + scale …"
x264=(-c:v libx264 -preset veryfast -bf 0 -g 100000 -x264-params scenecut=0 -forced-idr 1 -force_key_frames source -c:a copy)
{ time "$ffmpeg" -hide_banner -v error -i "$work/source.flv" \
    -filter_complex "[0:v]split=3[a][b][c];[a]scale=1280:720:flags=bicubic[v720];[b]scale=854:480:flags=bicubic[v480];[c]scale=640:360:flags=bicubic[v360]" \
    -map "[v720]" -map 0:a "${x264[@]}" -b:v 2800k -maxrate 4200k -bufsize 5600k -f flv "$work/peer_720p.flv" \
    -map "[v480]" -map 0:a "${x264[@]}" -b:v 1400k -maxrate 2100k -bufsize 2800k -f flv "$work/peer_480p.flv" \
    -map "[v360]" -map 0:a "${x264[@]}" -b:v 800k -maxrate 1200k -bufsize 1600k -f flv "$work/peer_360p.flv" ; } 2>"$work/peer.time"

for r in 720p 480p 360p; do
  [ -s "$work/worker/out_$r" ] || { echo "worker produced no $r rung:"; cat "$work/worker.log"; exit 1; }
done

read -r w_wall w_user w_sys < "$work/worker.time"
read -r p_wall p_user p_sys < "$work/peer.time"
awk -v s="$seconds" -v ww="$w_wall" -v wu="$w_user" -v ws="$w_sys" -v pw="$p_wall" -v pu="$p_user" -v ps="$p_sys" 'BEGIN {
  wc = wu + ws; pc = pu + ps; wx = s / ww; px = s / pw;
  printf "worker: %.1f s wall, %.2fx realtime, %.1f CPU s\n", ww, wx, wc;
  printf "peer:   %.1f s wall, %.2fx realtime, %.1f CPU s\n", pw, px, pc;
  printf "RESULT speed_ratio=%.3f cpu_ratio=%.3f speed_x=%.2f peer_speed_x=%.2f wall_s=%.1f peer_wall_s=%.1f cpu_s=%.1f peer_cpu_s=%.1f\n",
    wx / px, wc / pc, wx, px, ww, pw, wc, pc;
}'
