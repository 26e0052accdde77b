#!/bin/sh
# bench-count.sh: how fast is `segments count` on 1,000,000 customers?
#
#   bench/bench-count.sh COHORT_BINARY BENCH_COUNT_BINARY [N] [WORKDIR]
#   (or: meson compile -C BUILD bench-count)
#
# One run measures, over the same generated CSV:
#   - sqlite3 (CLI process) running hand-written SQL over the CSV loaded with .import
#   - Cohort's in-process count (median), index build time and memory
#   - `cohort segments count` as a whole process (cold: index built; warm: sidecar mapped)
set -eu

COHORT=$(realpath "$1")
TOOL=$(realpath "$2")
N=${3:-1000000}
WORK=${4:-${TMPDIR:-/tmp}/cohort-bench-count}
NOW=1735689600
export COHORT_NOW=$NOW
export LC_ALL=C.UTF-8

mkdir -p "$WORK"
CSV="$WORK/customers-$N.csv"
DB="$WORK/flat-$N.db"
WS="$WORK/workspace-$N.cohort"

ms () { echo "$1 $2" | awk '{ printf "%.1f", ($2 - $1) / 1000000 }'; }
now_ns () { date +%s%N; }

if [ ! -s "$CSV" ]; then
  echo "Generating $N customers..."
  "$TOOL" generate "$N" "$CSV"
fi
if [ ! -s "$DB" ]; then
  t0=$(now_ns)
  sqlite3 "$DB" '.mode csv' ".import '$CSV' t"
  echo "sqlite3 .import: $(ms "$t0" "$(now_ns)") ms"
fi
if [ ! -s "$WS" ]; then
  "$TOOL" load "$WS" "$CSV"
fi

CRITERIA='{"and":[
  {"attribute":{"field":"plan","operator":"in","value":["pro","enterprise"]}},
  {"attribute":{"field":"age","operator":"between","value":[25,45]}},
  {"attribute":{"field":"last_seen","operator":"within_last","value":{"amount":30,"unit":"days"}}},
  {"or":[
    {"attribute":{"field":"country","operator":"eq","value":"DE"}},
    {"attribute":{"field":"email","operator":"ends_with","value":"@gmail.com"}},
    {"attribute":{"field":"lifetime_value","operator":"gt","value":1000}}]}]}'
SQL="SELECT count(*) FROM t WHERE plan IN ('pro', 'enterprise')
  AND CAST(age AS REAL) BETWEEN 25 AND 45
  AND CAST(last_seen AS INTEGER) BETWEEN $NOW - 30 * 86400 AND $NOW
  AND (country = 'DE' OR email LIKE '%@gmail.com' OR CAST(lifetime_value AS REAL) > 1000);"

"$COHORT" --workspace "$WS" segments show Bench >/dev/null 2>&1 ||
  "$COHORT" --workspace "$WS" segments create Bench --criteria "$CRITERIA" >/dev/null
"$COHORT" --workspace "$WS" segments set-criteria Bench "$CRITERIA"

echo
echo "== Criteria: 6 conditions (in, between, within_last, or(eq, ends_with, gt)) over $N customers"
echo
echo "== Cohort in-process ($TOOL run)"
"$TOOL" run "$WS" "$CRITERIA" 31 | tee "$WORK/inprocess.txt"
INPROC=$(sed -n 's/^MEDIAN_MS=//p' "$WORK/inprocess.txt")

RUNS=11
echo
echo "== sqlite3 process, hand-written SQL over the flat table (median of $RUNS, warm cache)"
sqlite3 "$DB" "$SQL" >/dev/null
set -- $("$TOOL" time $RUNS sqlite3 "$DB" "$SQL")
SQLITE_MS=$1; SQLITE_COUNT=$2
echo "sqlite3: median $SQLITE_MS ms, count $SQLITE_COUNT, peak RSS $3 MB"

echo
echo "== cohort segments count, whole process"
rm -f "$WS.index"
set -- $("$TOOL" time 1 "$COHORT" --workspace "$WS" segments count Bench)
COLD_MS=$1; COLD_COUNT=$2
echo "first run (no index file: built from SQLite and written): $COLD_MS ms, count $COLD_COUNT, peak RSS $3 MB"
set -- $("$TOOL" time $RUNS "$COHORT" --workspace "$WS" segments count Bench)
CLI_MS=$1; CLI_COUNT=$2
echo "with the index file: median $CLI_MS ms, count $CLI_COUNT, peak RSS $3 MB"
set -- $("$TOOL" time $RUNS "$COHORT" --version)
echo "(for scale: \`cohort --version\` alone, process start: median $1 ms)"
ls -l "$WS.index" | awk '{ printf "index file: %.1f MB\n", $5 / 1048576 }'

echo
echo "== Summary"
awk -v s="$SQLITE_MS" -v p="$INPROC" -v c="$CLI_MS" 'BEGIN {
  printf "sqlite3 process:            %8.1f ms\n", s
  printf "cohort in-process median:   %8.2f ms  ratio %.3f (target <= 0.25, and < 50 ms)\n", p, p / s
  printf "cohort segments count:      %8.1f ms  ratio %.3f (target <= 0.5)\n", c, c / s
}'
if [ "$SQLITE_COUNT" != "$CLI_COUNT" ] || [ "$COLD_COUNT" != "$CLI_COUNT" ]; then
  echo "MISMATCH: sqlite3 counted $SQLITE_COUNT, cohort $CLI_COUNT (cold $COLD_COUNT)" >&2
  exit 1
fi
echo "counts agree: $CLI_COUNT"
