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
# reports the median round: the round whose speed ratio is the median (the lower of the two middle
# rounds for an even count), all its figures from that one round. Either side failing, or missing or
# producing an undecodable rung, stops the benchmark: no ratio is printed for a failed run.
#
# Equal speed means little at unequal quality: the PSNR of each rung against the source (scaled to the
# rung's size with the same bicubic scaler) is measured for both sides' outputs of the median round, the
# round every other figure comes from (each round's outputs are kept until then). Targets: speed_ratio >= 0.95, cpu_ratio <= 1.05, each rung's psnr within 0.2 dB of the peer's.
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
  rm -f "$work"/peer_*.flv
  # The peer's own output goes to peer.log; peer.time holds only the shell's timing line.
  { time "$ffmpeg" -y -hide_banner -v error -i "$work/source.flv" \
      -filter_complex "[0:v]split=3[a][b][c];[a]scale=1280:720:flags=bicubic[v720];[b]scale=854:480:flags=bicubic[v480];[c]scale=640:360:flags=bicubic[v360]" \
      -map "[v720]" -map 0:a "${x264[@]}" -b:v 2800k -maxrate 4200k -bufsize 5600k -f flv "$work/peer_720p.flv" \
      -map "[v480]" -map 0:a "${x264[@]}" -b:v 1400k -maxrate 2100k -bufsize 2800k -f flv "$work/peer_480p.flv" \
      -map "[v360]" -map 0:a "${x264[@]}" -b:v 800k -maxrate 1200k -bufsize 1600k -f flv "$work/peer_360p.flv" \
      >"$work/peer.log" 2>&1 ; } 2>"$work/peer.time" || { echo "the peer failed:" >&2; cat "$work/peer.log" >&2; exit 1; }
  for r in 720p 480p 360p; do
    [ -s "$work/peer_$r.flv" ] || { echo "the peer produced no $r rung:" >&2; cat "$work/peer.log" >&2; exit 1; }
  done
  awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$work/peer.time"
}

# Decodes a rung whole; stops the benchmark when it does not decode cleanly or is not as long as the source.
check_rung() {
  local side=$1 file=$2 errors duration
  errors=$("$ffmpeg" -hide_banner -v error -nostdin -i "$file" -f null - 2>&1) || errors="exit $?: $errors"
  [ -z "$errors" ] || { echo "the $side's $(basename "$file") does not decode: $errors" >&2; exit 1; }
  duration=$("$ffmpeg" -hide_banner -nostdin -i "$file" -map 0:v -c copy -f null - 2>&1 | sed -n 's/.*time=\([0-9:.]*\).*/\1/p' | tail -1 \
    | awk -F: '{ print $1 * 3600 + $2 * 60 + $3 }')
  awk -v d="$duration" -v s="$seconds" 'BEGIN { exit !(d > s - 1.5) }' \
    || { echo "the $side's $(basename "$file") is $duration s long, the source $seconds s" >&2; exit 1; }
}

# PSNR (average over frames, all planes) of a rung against the source scaled to the rung's size. Frames are
# paired in order: both sides encode every frame of the source, but their timestamps start differently (the
# worker keeps the source's, the ffmpeg CLI shifts its outputs to start at 0), so pairing by timestamp would
# compare neighbouring frames. Both sides must have as many frames as the source.
psnr() {
  local file=$1 size=$2 frames
  frames=$("$ffmpeg" -hide_banner -nostdin -i "$file" -map 0:v -c copy -f null - 2>&1 | sed -n 's/.*frame= *\([0-9]*\).*/\1/p' | tail -1)
  [ "$frames" = "$source_frames" ] || { echo "$(basename "$file") has $frames frames, the source $source_frames" >&2; return 1; }
  "$ffmpeg" -hide_banner -nostdin -i "$file" -i "$work/source.flv" \
    -lavfi "[0:v]setpts=N[rung];[1:v]setpts=N,scale=${size}:flags=bicubic[ref];[rung][ref]psnr" -an -f null - 2>&1 \
    | sed -n 's/.*PSNR .* average:\([0-9.inf]*\).*/\1/p' | tail -1
}

echo "worker JVM options: -Xmx256m $jvm_options"
: > "$work/rounds"
for ((i = 1; i <= rounds; i++)); do
  if ((i % 2)); then
    w=$(run_worker); p=$(run_peer)
  else
    p=$(run_peer); w=$(run_worker)
  fi
  for r in 720p 480p 360p; do
    check_rung worker "$work/worker/out_$r"
    check_rung peer "$work/peer_$r.flv"
  done
  echo "$w $p" >> "$work/rounds"
  mkdir -p "$work/round$i" && mv "$work/worker" "$work/round$i/worker" && mv "$work"/peer_*.flv "$work/round$i/"
  read -r ww wc pw pc <<< "$w $p"
  awk -v i="$i" -v s="$seconds" -v ww="$ww" -v wc="$wc" -v pw="$pw" -v pc="$pc" 'BEGIN {
    printf "round %d: worker %.1f s wall %.2fx %.1f CPU s | peer %.1f s wall %.2fx %.1f CPU s | speed_ratio %.3f cpu_ratio %.3f\n",
      i, ww, s / ww, wc, pw, s / pw, pc, pw / ww, wc / pc }'
done

# The median round: rounds sorted by speed ratio, the middle one (the lower middle for an even count).
median=$(awk '{ printf "%.6f %d\n", $3 / $1, NR }' "$work/rounds" | sort -g | awk '{ r[NR] = $2 } END { print r[int((NR + 1) / 2)] }')
read -r ww wc pw pc < <(sed -n "${median}p" "$work/rounds")

echo "PSNR of each rung against the source (the median round's outputs, round $median) …"
source_frames=$("$ffmpeg" -hide_banner -nostdin -i "$work/source.flv" -map 0:v -c copy -f null - 2>&1 \
  | sed -n 's/.*frame= *\([0-9]*\).*/\1/p' | tail -1)
psnr_fields=""
psnr_gap=0
for spec in 720p:1280x720 480p:854x480 360p:640x360; do
  r=${spec%%:*}
  size=${spec#*:}
  wp=$(psnr "$work/round$median/worker/out_$r" "${size/x/:}") || exit 1
  pp=$(psnr "$work/round$median/peer_$r.flv" "${size/x/:}") || exit 1
  [ -n "$wp" ] && [ -n "$pp" ] || { echo "no PSNR for $r (worker '$wp', peer '$pp')" >&2; exit 1; }
  echo "$r: worker ${wp} dB, peer ${pp} dB"
  psnr_fields="$psnr_fields psnr_${r}=${wp} peer_psnr_${r}=${pp}"
  psnr_gap=$(awk -v g="$psnr_gap" -v w="$wp" -v p="$pp" 'BEGIN { d = p - w; print (d > g) ? d : g }')
done

awk -v s="$seconds" -v n="$rounds" -v m="$median" -v ww="$ww" -v wc="$wc" -v pw="$pw" -v pc="$pc" -v psnr="$psnr_fields" -v gap="$psnr_gap" 'BEGIN {
  printf "median round (%d of %d, by speed ratio): worker %.1f s wall, %.2fx realtime, %.1f CPU s; peer %.1f s wall, %.2fx realtime, %.1f CPU s\n",
    m, n, ww, s / ww, wc, pw, s / pw, pc;
  printf "RESULT speed_ratio=%.3f cpu_ratio=%.3f speed_x=%.2f peer_speed_x=%.2f wall_s=%.1f peer_wall_s=%.1f cpu_s=%.1f peer_cpu_s=%.1f rounds=%d median_round=%d psnr_deficit_db=%.2f%s\n",
    pw / ww, wc / pc, s / ww, s / pw, ww, pw, wc, pc, n, m, gap, psnr;
}'
