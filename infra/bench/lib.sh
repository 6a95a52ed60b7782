# Shared by the benchmarks; sourced from the repository root.

# Installs the Debian packages given (the ones a benchmark found missing) when run as root; otherwise names them and
# exits.
install_debian() {
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" = 0 ]; then
    echo "installing $* (Debian packages) …"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "missing: $* (sudo apt-get install $*)" >&2
    exit 1
  fi
}

# A scratch directory, $work, and background processes, $pids (and publishers, $pub_pids), all gone at exit;
# KEEP_WORK=1 keeps the directory (logs, files) and prints where it is.
bench_workdir() {
  work=$(mktemp -d)
  pids=()
  pub_pids=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for p in "${pub_pids[@]}" "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts a benchmark's helper (infra/bench/<helper>.java on the stack's class path): it starts a Kafka broker and the
# S3 server, prints "<bootstrap> <s3 endpoint> [more]", then answers commands on its standard input. Sets $bootstrap,
# $s3 and $helper_more (the rest of the line: what else the helper started).
start_kafka_s3_helper() { # helper.java
  echo "starting Kafka and the S3 server …"
  mkfifo "$work/bench.in"
  java -Xmx1g -cp "infra/stack/target/classes:$(cat infra/stack/target/classpath.txt)" "infra/bench/$1" "$work" \
    <"$work/bench.in" >"$work/bench.out" 2>"$work/bench.log" &
  pids+=($!)
  exec 3>"$work/bench.in"
  for _ in $(seq 1 600); do [ -s "$work/bench.out" ] && break; sleep 0.1; done
  read -r bootstrap s3 helper_more < <(head -1 "$work/bench.out")
  [ -n "${s3:-}" ] || { echo "Kafka or S3 did not start:" >&2; tail -20 "$work/bench.log" >&2; exit 1; }
}

# Sends a command to the helper and prints its answer (waiting up to 10 min, or $ASK_TENTHS tenths of a second); fails
# when it answers ERROR or nothing.
ask() {
  local before answer
  before=$(wc -l <"$work/bench.out")
  echo "$*" >&3
  for _ in $(seq 1 "${ASK_TENTHS:-6000}"); do [ "$(wc -l <"$work/bench.out")" -gt "$before" ] && break; sleep 0.1; done
  answer=$(tail -1 "$work/bench.out")
  if [[ -z $answer || $answer == ERROR* ]]; then echo "$*: ${answer:-no answer}" >&2; tail -20 "$work/bench.log" >&2; return 1; fi
  echo "$answer"
}
