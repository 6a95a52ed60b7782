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
