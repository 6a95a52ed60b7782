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

# One line per suite and per test case: kind, module, time, name. Attributes are read by name, in any order. Where a
# module's classes ran side by side (infra/stack), its reports file methods under the wrong suite: its classes' times
# come from class-times.tsv (written by the module's ClassTimes listener) and its methods by their own class name.
rows=$(for f in $reports; do
  dir=$(dirname "$f")
  module=$(dirname "$(dirname "$dir")")
  module=${module#./}
  suites=1
  [ -f "$dir/class-times.tsv" ] && suites=0
  awk -v module="$module" -v suites="$suites" '
    function attr(s, a,   m) {
      if (match(s, " " a "=\"[^\"]*\"")) { m = substr(s, RSTART, RLENGTH); sub("^ " a "=\"", "", m); sub("\"$", "", m); return m }
      return ""
    }
    suites && /<testsuite[ >]/ { printf "suite\t%s\t%s\t%s\n", module, attr($0, "time"), attr($0, "name") }
    /<testcase[ >]/ {
      c = attr($0, "classname"); sub(".*\\.", "", c)
      printf "case\t%s\t%s\t%s#%s\n", module, attr($0, "time"), c, attr($0, "name")
    }' "$f"
done
for t in $(find . -path ./node_modules -prune -o -path '*/target/failsafe-reports/class-times.tsv' -print | sort); do
  module=$(dirname "$(dirname "$(dirname "$t")")")
  module=${module#./}
  awk -F'\t' -v module="$module" '{ printf "suite\t%s\t%s\t%s\n", module, $2, $1 }' "$t"
done)

echo "== the $n slowest test classes (s, module, class)"
echo "$rows" | awk -F'\t' '$1 == "suite" { printf "%9.1f  %-16s %s\n", $3, $2, $4 }' | sort -rn | head -n "$n"
echo
echo "== the $n slowest test methods (s, module, class#method)"
echo "$rows" | awk -F'\t' '$1 == "case" { printf "%9.1f  %-16s %s\n", $3, $2, $4 }' | sort -rn | head -n "$n"
echo
echo "== test time per module (s, summed over its classes; infra/stack runs two classes at a time, see its wall time)"
echo "$rows" | awk -F'\t' '$1 == "suite" { t[$2] += $3; k[$2]++ } END { for (m in t) printf "%9.1f  %-16s %d classes\n", t[m], m, k[m] }' | sort -rn
echo "$rows" | awk -F'\t' '$1 == "suite" { s += $3 } END { printf "%9.1f  all\n", s }'
echo
echo "== test methods run (a parameterized method counts once per case)"
echo "$rows" | awk -F'\t' '$1 == "case" { k[$2]++; n++ } END { for (m in k) printf "%9d  %s\n", k[m], m; printf "%9d  all\n", n }' | sort -rn
if [ -n "$log" ]; then
  echo
  echo "== wall time per module (Maven's reactor summary in $log)"
  sed -n '/Reactor Summary/,/BUILD/p' "$log" | tr -d '\r' | grep -a -E '(SUCCESS|FAILURE|SKIPPED) \[' | sed -E 's/^\[INFO\] //'
  grep -a -E 'Total time:' "$log" | sed -E 's/^\[INFO\] //' | tail -1
fi
