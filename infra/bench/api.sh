#!/usr/bin/env bash
# API benchmark: vod-api's listing at a million recordings, written through the real path (catalog entries on
# tapedeck.vods, indexed into PostgreSQL by vod-api's indexer), against the same service's /q/health/live in the
# same run.
#
# A real Kafka broker (KRaft), the S3 server and a PostgreSQL server (the machine's own binaries, as the local stack
# runs them) start in a helper JVM (ApiBench.java); the packaged vod-api runs beside them. Steps:
#   1. N entries (default 1,000,000) on the topic; the time until the index holds them all: index_rows_per_s;
#   2. POST /api/v1/admin/reindex: the index rebuilt from the topic: reindex_s;
#   3. listing at a fixed arrival rate of 500 requests/s for 60 s, open loop (latency from each request's intended
#      send time): the first page, deep cursors, stream= filters and one-day time ranges, a quarter each: p50/p99/max;
#      the health endpoint the same way: health_p99_ms;
#   4. both again at rising rates (10 s a step) until each misses its rate (answers in the step < 95 % of the rate,
#      or an error): ratio = the listing's last rate met over the health endpoint's.
# Targets: p99 <= 20 ms, ratio >= 0.5, reindex of a million <= 5 min.
#
# Usage (from the repository root): infra/bench/api.sh [recordings] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
recordings=${1:-1000000}
seconds=${2:-60}

# shellcheck source=lib.sh
. infra/bench/lib.sh
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || install_debian postgresql-15

echo "building vod-api and the stack's class path …"
./mvnw -q -B -DskipTests install -pl vod-api,infra/stack -am
bench_workdir

start_kafka_s3_helper ApiBench.java
jdbc=$helper_more
[ -n "$jdbc" ] || { echo "PostgreSQL did not start:" >&2; tail -20 "$work/bench.log" >&2; exit 1; }
# A million entries take minutes to write: the helper's answers are waited for up to 20 min.
ASK_TENTHS=12000

port=$(free_port)
echo "starting vod-api on :$port …"
KAFKA_BOOTSTRAP_SERVERS="$bootstrap" QUARKUS_HTTP_PORT="$port" QUARKUS_DATASOURCE_JDBC_URL="$jdbc" \
  TAPEDECK_STORAGE_ENDPOINT="$s3" TAPEDECK_STORAGE_ACCESS_KEY=tapedeck TAPEDECK_STORAGE_SECRET_KEY=tapedeck-local-secret \
  QUARKUS_LOG_LEVEL=WARN java -Xmx512m ${API_JAVA_OPTS:-} -jar vod-api/target/quarkus-app/quarkus-run.jar >"$work/api.log" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$port"
for _ in $(seq 1 600); do curl -fs "$base/q/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$base/q/health/ready" >/dev/null || { echo "vod-api did not become ready:" >&2; tail -20 "$work/api.log" >&2; exit 1; }

echo "writing $recordings catalog entries to tapedeck.vods …"
began=$(date +%s.%N)
written=$(ask write "$recordings")
echo "  $written ms"
echo "waiting for the index to hold them …"
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgport=$(sed -E 's#.*:([0-9]+)/.*#\1#' <<<"$jdbc")
count() { "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U tapedeck -d tapedeck -tAc "select count(*) from recording"; }
while :; do
  n=$(count)
  [ "$n" -ge "$recordings" ] && break
  sleep 1
done
indexed=$(python3 -c "print(round($(date +%s.%N) - $began, 1))")
index_rate=$(python3 -c "print(int($recordings / $indexed))")
echo "  indexed in ${indexed} s: $index_rate rows/s"

echo "rebuilding the index from the topic …"
reindex=$(curl -fsS -X POST "$base/api/v1/admin/reindex")
reindex_s=$(python3 -c "import json,sys; print(round(json.loads(sys.argv[1])['millis']/1000, 1))" "$reindex")
echo "  $reindex"

field() { sed -E "s/.* ?$1=([0-9.]+).*/\1/" <<<"$2"; }
echo "warming up (10 s of listing, 10 s of health) …"
ask load "$base" list 500 10 >/dev/null
ask load "$base" health 500 10 >/dev/null
echo "listing at 500/s for ${seconds} s …"
list=$(ask load "$base" list 500 "$seconds")
echo "  $list"
echo "health at 500/s for ${seconds} s …"
health=$(ask load "$base" health 500 "$seconds")
echo "  $health"
[ "$(field errors "$list")" = 0 ] || echo "  the listing answered $(field errors "$list") requests with an error (503: the pool waited 3 s)"

# The highest rate each keeps: answers within the step >= 95 % of the rate, no error.
top() {
  local kind=$1 met=0 out
  for rate in 500 1000 1500 2000 3000 4000 6000 8000; do
    out=$(ask load "$base" "$kind" "$rate" 10)
    echo "  $kind at $rate/s: $out" >&2
    if [ "$(field errors "$out")" = 0 ] && python3 -c "import sys; sys.exit(0 if $(field rate "$out") >= 0.95 * $rate else 1)"; then
      met=$rate
    else
      break
    fi
  done
  echo "$met"
}
echo "rising rates until each misses …"
list_top=$(top list)
health_top=$(top health)
ratio=$(python3 -c "print(round($list_top / max($health_top, 1), 2))")
echo "  listing keeps $list_top/s, health $health_top/s"
echo "RESULT p50_ms=$(field p50 "$list") p99_ms=$(field p99 "$list") max_ms=$(field max "$list") ratio=$ratio health_p99_ms=$(field p99 "$health") index_rows_per_s=$index_rate reindex_s=$reindex_s recordings=$recordings list_errors=$(field errors "$list") list_max_rate=$list_top health_max_rate=$health_top"
