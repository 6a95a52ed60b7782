#!/usr/bin/env bash
# Recorder capacity benchmark: N concurrent live streams recorded by one recorder replica, against the peer —
# one `ffmpeg -i rtmp://… -c copy -f segment -segment_time 180 -segment_format flv` process per stream — on
# the same machine, in the same run.
#
# Streams: a 20 s 1280x720 30 fps H.264 + AAC clip at about 2.5 Mbit/s, published in a loop with
# `ffmpeg -re -c copy` to nginx-rtmp (Debian's nginx + libnginx-mod-rtmp). The recorder runs as packaged, with a
# real Kafka broker (KRaft) and the S3 server of the local stack; this script plays ingest-hook's part (the
# streams' lifecycle events). Each phase publishes N fresh streams, lets the recorders settle (WARMUP; the recorder
# then until its JIT compilers have settled too, see settle()), then measures CPU seconds over the next window and
# the peak resident memory over the whole phase (summed over the peer's processes). Two rounds, alternating which
# side goes first; the ratios are over both rounds' sums.
# Targets: cpu_ratio <= 1.0, rss_ratio <= 0.5, lost=0.
#
# Then the recorder alone with N + step, N + 2 step … streams until it falls behind: a slice announced later than its
# length plus 5 s after its last packet (taken as the publisher's start plus the slice's last DTS; publishers start a
# little after that, so the lag printed is an upper bound), a lost slice, or a recording that did not close.
# max_streams is the last count it kept up with.
#
# Lost slices: numbers missing in a recording's sequence, and recordings that never closed.
#
# Usage (from the repository root): infra/bench/record.sh [streams] [seconds] [step] [steps]
#   RECORDER_JVM (default "-Xmx512m -XX:+UseSerialGC"), SLICE (recorder slice length in s, default 10),
#   WARMUP (s before the measured window, default 120), then, for the recorder in the two rounds, 30 s at a time
#   until its JIT compiler threads used less than SETTLE_PCT (default 3) % of its CPU in the last 30 s, or WARMUP_MAX
#   (default 600) s have passed: a recorder runs for days, and code that runs once per slice is still being compiled
#   minutes in. Each recorder line says from when it was measured and how much of the window its compilers used
#   (recorder_warmup_s, recorder_jit_s in RESULT). KEEP_WORK=1 (keep the logs and files), ONLY=recorder|peer (one
#   side, one round, no steps: for looking at one side; ONLY=pool: only what a standby costs, below)
#
# What a standby costs (recorder.redundancy): a pool of two replicas records POOL_STREAMS (default: streams) streams
# with redundancy 1 (each pulled by its owner), then with redundancy 2 (and by a standby on the other replica), both
# measured over equal windows after the fixed warm-up; CPU (cores) and peak memory (MiB) per stream for each, and their
# ratios (redundancy_cpu_ratio, redundancy_rss_ratio), in RESULT.
set -euo pipefail
cd "$(dirname "$0")/../.."
streams=${1:-50}
seconds=${2:-40}
step=${3:-50}
steps=${4:-4}
slice=${SLICE:-10}
warmup=${WARMUP:-120}
warmup_max=${WARMUP_MAX:-600}
settle_pct=${SETTLE_PCT:-3}
only=${ONLY:-}
recorder_jvm=${RECORDER_JVM:--Xmx512m -XX:+UseSerialGC}

# shellcheck source=lib.sh
. infra/bench/lib.sh
missing=()
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v nginx >/dev/null || missing+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] || missing+=(libnginx-mod-rtmp)
install_debian "${missing[@]}"

echo "building the recorder and the stack's class path …"
./mvnw -q -B -DskipTests install -pl recorder,infra/stack -am
bench_workdir
stat() { python3 infra/bench/procstat.py "$@"; }

start_kafka_s3_helper RecordBench.java

rtmp=$(free_port)
echo "starting nginx-rtmp on :$rtmp …"
mkdir -p "$work/nginx"
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"
cat >"$work/nginx/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
$user_line
daemon off;
master_process on;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
rtmp {
    server {
        listen 127.0.0.1:$rtmp;
        chunk_size 4096;
        # Players hear NetStream.Play.Stop when the publisher leaves: the peer's ffmpeg then ends its output.
        application rec { live on; record off; play_restart on; }
        application peer { live on; record off; play_restart on; }
    }
}
EOF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" >"$work/nginx.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do (exec 9<>"/dev/tcp/127.0.0.1/$rtmp") 2>/dev/null && break; sleep 0.1; done

echo "encoding the 2.5 Mbit/s 720p30 clip …"
ffmpeg -hide_banner -v error -f lavfi -i "testsrc2=size=1280x720:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
  -t 20 -c:v libx264 -preset veryfast -g 60 -keyint_min 60 -sc_threshold 0 -b:v 2300k -maxrate 2300k -bufsize 4600k \
  -pix_fmt yuv420p -c:a aac -b:a 128k -f flv "$work/clip.flv"

start_publishers() { # app prefix n
  pub_pids=()
  for i in $(seq 0 $(($3 - 1))); do
    ffmpeg -hide_banner -loglevel error -nostdin -re -stream_loop -1 -i "$work/clip.flv" -c copy -f flv \
      "rtmp://127.0.0.1:$rtmp/$1/$2$i" >>"$work/publishers.log" 2>&1 &
    pub_pids+=($!)
  done
}
await_exit() { # tenths-of-a-second pid...
  local tries=$1
  shift
  for _ in $(seq 1 "$tries"); do
    local alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return
    sleep 0.1
  done
}
stop_publishers() {
  kill -INT "${pub_pids[@]}" 2>/dev/null || true
  await_exit 50 "${pub_pids[@]}"
  kill -KILL "${pub_pids[@]}" 2>/dev/null || true
  for p in "${pub_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pub_pids=()
}

# CPU seconds the JVM's JIT compiler threads have used so far (their user + system time in /proc).
jit_s() {
  python3 - "$1" <<'PY'
import glob, os, sys
tick = os.sysconf("SC_CLK_TCK")
total = 0
for stat in glob.glob(f"/proc/{sys.argv[1]}/task/*/stat"):
    try:
        text = open(stat).read()
    except OSError:
        continue
    name = text[text.index("(") + 1:text.rindex(")")]
    if "CompilerThre" in name:
        fields = text[text.rindex(")") + 2:].split()
        total += int(fields[11]) + int(fields[12])
print(round(total / tick, 2))
PY
}

# Waits, after the fixed warm-up, until the recorder's JIT compilers took less than SETTLE_PCT % of its CPU over 30 s
# (at most WARMUP_MAX s since the start): code that runs once per slice (upload, events) is called a few times a
# second and is still being compiled minutes in, a cost a recorder that runs for days no longer pays. Prints the
# seconds waited beyond the fixed warm-up.
settle() { # pid
  local waited=0 c0 c1 j0 j1
  while [ $((warmup + waited)) -lt "$warmup_max" ]; do
    c0=$(stat cpu "$1"); j0=$(jit_s "$1")
    sleep 30
    waited=$((waited + 30))
    c1=$(stat cpu "$1"); j1=$(jit_s "$1")
    python3 -c "import sys; sys.exit(0 if ($j1-$j0) < $settle_pct/100*max($c1-$c0,0.01) else 1)" && break
  done
  echo "$waited"
}

# Starts a recorder replica and waits until it is ready; sets rec_pid and rec_port. Extra settings as NAME=value words.
start_recorder() { # prefix n [NAME=value …]
  local prefix=$1 n=$2
  shift 2
  rec_port=$(free_port)
  # shellcheck disable=SC2086 # the options are words
  env KAFKA_BOOTSTRAP_SERVERS="$bootstrap" TAPEDECK_STORAGE_ENDPOINT="$s3" TAPEDECK_STORAGE_ACCESS_KEY=tapedeck \
    TAPEDECK_STORAGE_SECRET_KEY=tapedeck-local-secret TAPEDECK_STORAGE_BUCKET=tapedeck \
    TAPEDECK_RECORDER_MEDIA_SERVER_URL="rtmp://127.0.0.1:$rtmp" TAPEDECK_RECORDER_SLICE_LENGTH="${slice}s" \
    TAPEDECK_RECORDER_MAX_RECORDINGS=$((n + 8)) TAPEDECK_RECORDER_SPOOL_DIR="$work/spool-$prefix" QUARKUS_HTTP_PORT="$rec_port" "$@" \
    java $recorder_jvm -jar recorder/target/quarkus-app/quarkus-run.jar >"$work/recorder-$prefix.log" 2>&1 &
  rec_pid=$!
  pids+=("$rec_pid")
  for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$rec_port/q/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fs "http://127.0.0.1:$rec_port/q/health/ready" >/dev/null || { echo "the recorder did not become ready:" >&2; tail -30 "$work/recorder-$prefix.log" >&2; exit 1; }
}

# Prints "cpu_s rss_mb lost max_lag_ms recorded_s published_s jit_s warmup_s".
run_recorder() { # n prefix [settle]
  local n=$1 prefix=$2 rpid t0 c0 c1 t1 j0 j1 report
  start_recorder "$prefix" "$n"
  rpid=$rec_pid
  start_publishers rec "$prefix" "$n"
  t0=$(date +%s%3N)
  [ "$(ask publish rec "$prefix" "$n")" = OK ] || { echo "publish events failed" >&2; tail "$work/bench.log" >&2; exit 1; }
  stat watch "$work/rss-$prefix" "$rpid" &
  sleep "$warmup"
  if [ "${3:-}" = settle ]; then settle "$rpid" >"$work/warmup-$prefix"; else echo 0 >"$work/warmup-$prefix"; fi
  c0=$(stat cpu "$rpid"); j0=$(jit_s "$rpid")
  sleep "$seconds"
  c1=$(stat cpu "$rpid"); j1=$(jit_s "$rpid")
  t1=$(date +%s%3N)
  stop_publishers
  ask end rec "$prefix" "$n" >/dev/null
  report=$(ask report rec "$prefix" "$n" "$t0" "$(python3 -c "print(($t1-$t0)/1000)")")
  touch "$work/rss-$prefix.stop"
  sleep 1.2
  kill "$rpid"; wait "$rpid" 2>/dev/null || true
  [[ $report == REPORT* ]] || { echo "no report: $report" >&2; exit 1; }
  field() { sed -E "s/.* $1=([0-9.-]+).*/\1/" <<<"$report"; }
  echo "$(python3 -c "print(round($c1-$c0,2))") $(cat "$work/rss-$prefix") $(field lost) $(field max_lag_ms) $(field recorded_s) $(field published_s) $(python3 -c "print(round(${j1:-0}-${j0:-0},2))") $((warmup + $(cat "$work/warmup-$prefix")))"
}

# A pool of two replicas in a group of their own recording n streams, with redundancy 1 (each stream pulled by its
# owner) or 2 (and by a standby on the other replica). Both replicas are measured over the same window after the same
# fixed warm-up. Prints "cpu_s rss_mb lost standbys".
run_pool() { # n prefix redundancy
  local n=$1 prefix=$2 a b ports=() t0 c0 c1 t1 report standbys
  for side in a b; do
    start_recorder "$prefix$side" "$n" TAPEDECK_RECORDER_GROUP_ID="bench-$prefix" TAPEDECK_RECORDER_REDUNDANCY="$3"
    [ $side = a ] && a=$rec_pid || b=$rec_pid
    ports+=("$rec_port")
  done
  start_publishers rec "$prefix" "$n"
  t0=$(date +%s%3N)
  [ "$(ask publish rec "$prefix" "$n")" = OK ] || { echo "publish events failed" >&2; tail "$work/bench.log" >&2; exit 1; }
  stat watch "$work/rss-$prefix" "$a" "$b" &
  sleep "$warmup"
  c0=$(stat cpu "$a" "$b")
  sleep "$seconds"
  c1=$(stat cpu "$a" "$b")
  t1=$(date +%s%3N)
  standbys=0
  for port in "${ports[@]}"; do
    standbys=$((standbys + $(curl -fs "http://127.0.0.1:$port/v1/recordings" | python3 -c "import json,sys; print(len(json.load(sys.stdin)['standbys']))")))
  done
  stop_publishers
  ask end rec "$prefix" "$n" >/dev/null
  report=$(ask report rec "$prefix" "$n" "$t0" "$(python3 -c "print(($t1-$t0)/1000)")")
  touch "$work/rss-$prefix.stop"
  sleep 1.2
  kill "$a" "$b"; wait "$a" "$b" 2>/dev/null || true
  [[ $report == REPORT* ]] || { echo "no report: $report" >&2; exit 1; }
  echo "$(python3 -c "print(round($c1-$c0,2))") $(cat "$work/rss-$prefix") $(sed -E "s/.* lost=([0-9]+).*/\1/" <<<"$report") $standbys"
}

# Prints "cpu_s rss_mb lost".
run_peer() { # n prefix
  local n=$1 prefix=$2 peers=() c0 c1 lost=0
  mkdir -p "$work/peer-$prefix"
  start_publishers peer "$prefix" "$n"
  for i in $(seq 0 $((n - 1))); do
    ffmpeg -hide_banner -loglevel error -nostdin -i "rtmp://127.0.0.1:$rtmp/peer/$prefix$i" -c copy -f segment -segment_time 180 \
      -segment_format flv "$work/peer-$prefix/$i-%03d.flv" >>"$work/peers.log" 2>&1 &
    peers+=($!)
  done
  stat watch "$work/rss-$prefix" "${peers[@]}" &
  sleep "$warmup"
  c0=$(stat cpu "${peers[@]}")
  sleep "$seconds"
  c1=$(stat cpu "${peers[@]}")
  stop_publishers
  await_exit 150 "${peers[@]}"
  kill -TERM "${peers[@]}" 2>/dev/null || true
  sleep 2
  kill -KILL "${peers[@]}" 2>/dev/null || true
  for p in "${peers[@]}"; do wait "$p" 2>/dev/null || true; done
  touch "$work/rss-$prefix.stop"
  sleep 1.2
  for i in $(seq 0 $((n - 1))); do [ -s "$work/peer-$prefix/$i-000.flv" ] || lost=$((lost + 1)); done
  echo "$(python3 -c "print(round($c1-$c0,2))") $(cat "$work/rss-$prefix") $lost"
}

# What a standby costs: the pool of two with redundancy 1 and 2, the same streams, equal windows. Sets pool_result.
measure_redundancy() {
  for red in 1 2; do
    echo "pool of two replicas, redundancy $red, $pool_streams streams …"
    read -r c r l sb < <(run_pool "$pool_streams" "pool${red}s" "$red")
    echo "  pool: cpu ${c} s over ${seconds} s from ${warmup} s on, peak rss ${r} MiB (both replicas), lost ${l}, standbys ${sb}"
    lost=$((lost + l))
    eval "r${red}_cpu=$c r${red}_rss=$r r${red}_standbys=$sb"
  done
  # Per stream: cores (CPU seconds per second) and MiB.
  pool_result=$(python3 -c "
n, s = $pool_streams, $seconds
c1, c2, m1, m2 = $r1_cpu, $r2_cpu, $r1_rss, $r2_rss
print(f'pool_streams={n} r1_core_per_stream={c1/s/n:.4f} r2_core_per_stream={c2/s/n:.4f} redundancy_cpu_ratio={c2/max(c1,0.01):.2f}'
      f' r1_mib_per_stream={m1/n:.1f} r2_mib_per_stream={m2/n:.1f} redundancy_rss_ratio={m2/max(m1,0.01):.2f} r2_standbys=$r2_standbys')")
}
pool_streams=${POOL_STREAMS:-$streams}
if [ "$only" = pool ]; then
  lost=0
  measure_redundancy
  echo "RESULT $pool_result lost=$lost"
  exit 0
fi

echo "recorder JVM: $recorder_jvm; recorder slices ${slice} s; peer segments 180 s; ${seconds} s measured after ${warmup} s per phase (the recorder's rounds: once its JIT compilers settled, at most ${warmup_max} s)"
rec_cpu=0; rec_jit=0; rec_warmup=0; rec_rss=0; peer_cpu=0; peer_rss=0; lost=0; lag=0
rounds="1 2"
[ -n "$only" ] && rounds=1 && steps=0
for round in $rounds; do
  for side in $( [ -n "$only" ] && echo "$only" || { [ $round = 1 ] && echo "recorder peer" || echo "peer recorder"; } ); do
    echo "round $round: $side, $streams streams …"
    if [ "$side" = recorder ]; then
      read -r c r l g rec_s pub_s jit w < <(run_recorder "$streams" "r${round}s" settle)
      echo "  recorder: cpu ${c} s (JIT compilers ${jit} s of it) over ${seconds} s from ${w} s on, peak rss ${r} MiB, lost ${l}, max lag ${g} ms, recorded ${rec_s} s of ${pub_s} s"
      rec_warmup=$(python3 -c "print(max($rec_warmup,$w))")
      rec_cpu=$(python3 -c "print($rec_cpu+$c)"); rec_jit=$(python3 -c "print(round($rec_jit+$jit,2))"); rec_rss=$(python3 -c "print(max($rec_rss,$r))")
      lost=$((lost + l)); lag=$(python3 -c "print(max($lag,$g))")
    else
      read -r c r l < <(run_peer "$streams" "p${round}s")
      echo "  peer: cpu ${c} s, peak rss ${r} MiB (sum over $streams processes), streams without output ${l}"
      peer_cpu=$(python3 -c "print($peer_cpu+$c)"); peer_rss=$(python3 -c "print(max($peer_rss,$r))")
    fi
  done
done
cpu_ratio=$(python3 -c "print(round($rec_cpu/max($peer_cpu,0.01),2))")
rss_ratio=$(python3 -c "print(round($rec_rss/max($peer_rss,0.01),2))")
echo "at $streams streams: recorder cpu ${rec_cpu} s vs peer ${peer_cpu} s (ratio $cpu_ratio); peak rss ${rec_rss} vs ${peer_rss} MiB (ratio $rss_ratio); lost $lost"

max_streams=$streams
behind_at=none
if [ "$lost" != 0 ] || python3 -c "import sys; sys.exit(0 if $lag > $slice * 1000 + 5000 else 1)"; then
  max_streams=0
  behind_at=$streams
else
  for k in $(seq 1 "$steps"); do
    n=$((streams + k * step))
    echo "step: the recorder alone with $n streams …"
    read -r c r l g rec_s pub_s jit w < <(run_recorder "$n" "s${n}s")
    echo "  recorder: cpu ${c} s (JIT compilers ${jit} s of it), peak rss ${r} MiB, lost ${l}, max lag ${g} ms, recorded ${rec_s} s of ${pub_s} s"
    if [ "$l" != 0 ] || python3 -c "import sys; sys.exit(0 if $g > $slice * 1000 + 5000 else 1)"; then
      behind_at=$n
      break
    fi
    max_streams=$n
  done
fi
measure_redundancy
echo "RESULT streams=$streams cpu_ratio=$cpu_ratio rss_ratio=$rss_ratio lost=$lost max_streams=$max_streams behind_at=$behind_at recorder_cpu_s=$rec_cpu recorder_jit_s=$rec_jit recorder_warmup_s=$rec_warmup peer_cpu_s=$peer_cpu recorder_rss_mb=$rec_rss peer_rss_mb=$peer_rss max_lag_ms=$lag $pool_result"
