#!/usr/bin/env bash
# Where the test time goes, after a run (./mvnw -B verify): the slowest test classes and methods from the Surefire and
# Failsafe reports of every module, and the test time per module (a class's time includes its @BeforeAll: the stack it
# starts). With a Maven log as argument (./mvnw -B verify | tee build.log), the reactor's wall time per module as well.
#
#   infra/ci/durations.sh [build.log] [N]      N: how many classes and methods to list (20)
set -eu  # no pipefail: head ends the sorted lists early on purpose
cd "$(dirname "$0")/../.."
log="${1:-}"
n="${2:-20}"
if [[ "$log" =~ ^[0-9]+$ ]]; then
  n="$log"
  log=""
fi

reports=$(find . -path ./node_modules -prune -o \( -path '*/target/surefire-reports/TEST-*.xml' -o -path '*/target/failsafe-reports/TEST-*.xml' \) -print | sort)
if [ -z "$reports" ]; then
  echo "no test reports under */target: run the tests first" >&2
  exit 1
fi

# One line per suite and per test case: kind, module, time, name. Attributes are read by name, in any order.
rows=$(for f in $reports; do
  module=$(dirname "$(dirname "$(dirname "$f")")")
  module=${module#./}
  awk -v module="$module" '
    function attr(s, a,   m) {
      if (match(s, " " a "=\"[^\"]*\"")) { m = substr(s, RSTART, RLENGTH); sub("^ " a "=\"", "", m); sub("\"$", "", m); return m }
      return ""
    }
    /<testsuite[ >]/ { printf "suite\t%s\t%s\t%s\n", module, attr($0, "time"), attr($0, "name") }
    /<testcase[ >]/ {
      c = attr($0, "classname"); sub(".*\\.", "", c)
      printf "case\t%s\t%s\t%s#%s\n", module, attr($0, "time"), c, attr($0, "name")
    }' "$f"
done)

echo "== the $n slowest test classes (s, module, class)"
echo "$rows" | awk -F'\t' '$1 == "suite" { printf "%9.1f  %-16s %s\n", $3, $2, $4 }' | sort -rn | head -n "$n"
echo
echo "== the $n slowest test methods (s, module, class#method)"
echo "$rows" | awk -F'\t' '$1 == "case" { printf "%9.1f  %-16s %s\n", $3, $2, $4 }' | sort -rn | head -n "$n"
echo
echo "== test time per module (s, summed over its classes; the modules' tests run one after another)"
echo "$rows" | awk -F'\t' '$1 == "suite" { t[$2] += $3; k[$2]++ } END { for (m in t) printf "%9.1f  %-16s %d classes\n", t[m], m, k[m] }' | sort -rn
echo "$rows" | awk -F'\t' '$1 == "suite" { s += $3 } END { printf "%9.1f  all\n", s }'
if [ -n "$log" ]; then
  echo
  echo "== wall time per module (Maven's reactor summary in $log)"
  sed -n '/Reactor Summary/,/BUILD/p' "$log" | tr -d '\r' | grep -a -E '(SUCCESS|FAILURE|SKIPPED) \[' | sed -E 's/^\[INFO\] //'
  grep -a -E 'Total time:' "$log" | sed -E 's/^\[INFO\] //' | tail -1
fi
