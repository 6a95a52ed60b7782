#!/usr/bin/env bash
# Hook benchmark: ingest-hook's latency under load, answering nginx-rtmp publish/publish_done pairs
# (each answered only after Kafka acknowledged its events), against the same service's health endpoint
# in the same run.
#
# A real Kafka broker (KRaft, the embedded one of the tests and the local stack) and the packaged
# ingest-hook run locally. wrk drives both endpoints with 8 connections, each pausing between requests so
# the total is about 500 requests/s, for 60 s (hook) and 20 s (health). Target: hook p99 <= 20 ms.
#
# Usage (from the repository root): infra/bench/hook.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
health_seconds=$(( seconds < 20 ? seconds : 20 ))

# shellcheck source=lib.sh
. infra/bench/lib.sh
command -v wrk >/dev/null || install_debian wrk

echo "building ingest-hook and the stack's class path …"
./mvnw -q -B -DskipTests install -pl ingest-hook,infra/stack -am
bench_workdir

echo "starting Kafka …"
mkfifo "$work/broker.in"
java -Xmx256m -cp "infra/stack/target/classes:$(cat infra/stack/target/classpath.txt)" infra/bench/HookBenchBroker.java "$work/kafka" \
  <"$work/broker.in" >"$work/broker.out" 2>"$work/broker.log" &
pids+=($!)
exec 3>"$work/broker.in"
for _ in $(seq 1 300); do [ -s "$work/broker.out" ] && break; sleep 0.1; done
bootstrap=$(head -1 "$work/broker.out")
[ -n "$bootstrap" ] || { echo "Kafka did not start:" >&2; tail -20 "$work/broker.log" >&2; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo "starting ingest-hook on :$port (broker $bootstrap) …"
KAFKA_BOOTSTRAP_SERVERS="$bootstrap" QUARKUS_HTTP_PORT="$port" TAPEDECK_HOOK_ATTACH_WAIT=0s \
  java -Xmx384m ${HOOK_JAVA_OPTS:-} -jar ingest-hook/target/quarkus-app/quarkus-run.jar >"$work/hook.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/q/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$port/q/health/ready" >/dev/null || { echo "ingest-hook did not become ready:" >&2; tail -20 "$work/hook.log" >&2; exit 1; }

# 8 connections pausing 12 ms between requests: about 500 requests/s while an answer takes ~3 ms.
pause=12
echo "warming up (10 s) …"
wrk -t2 -c8 -d10s -s infra/bench/hook.lua "http://127.0.0.1:$port" -- "$pause" >/dev/null
echo "health endpoint, ${health_seconds} s …"
health=$(wrk -t2 -c8 -d${health_seconds}s -s infra/bench/hook.lua "http://127.0.0.1:$port/q/health/live" -- "$pause" health | grep '^LAT')
echo "  $health"
echo "publish/publish_done pairs, ${seconds} s …"
hook=$(wrk -t2 -c8 -d"${seconds}s" -s infra/bench/hook.lua "http://127.0.0.1:$port" -- "$pause" | grep '^LAT')
echo "  $hook"

field() { sed -E "s/.* $1=([0-9.]+).*/\1/" <<<"$2"; }
errors=$(field errors "$hook")
[ "$errors" = 0 ] || { echo "the hook answered $errors requests with an error:" >&2; tail -20 "$work/hook.log" >&2; exit 1; }
echo "RESULT p50_ms=$(field p50 "$hook") p99_ms=$(field p99 "$hook") max_ms=$(field max "$hook") rate_per_s=$(field rate "$hook") health_p50_ms=$(field p50 "$health") health_p99_ms=$(field p99 "$health") p99_ratio_to_health=$(python3 -c "print(round($(field p99 "$hook")/max($(field p99 "$health"),0.001),2))")"
