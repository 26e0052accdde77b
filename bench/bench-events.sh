#!/bin/sh
# bench-events.sh: event import and event counts on 1,000,000 customers with 10,000,000 events
#
#   bench/bench-events.sh COHORT BENCH_COUNT BENCH_EVENTS [N_CUSTOMERS] [N_EVENTS] [WORKDIR]
#   (or: meson compile -C BUILD bench-events)
#
# One run measures, over the same generated CSV files:
#   - event import: `sqlite3 .import` of the events CSV into a new table vs
#     `cohort import events` into a workspace holding the customers (rows/s, ratio)
#   - a count combining one event condition (within + where) and two attribute
#     conditions: the sqlite3 process running hand-written SQL over the flat tables,
#     Cohort in-process (median), and `cohort segments count` as a whole process
set -eu

COHORT=$(realpath "$1")
COUNT_TOOL=$(realpath "$2")
TOOL=$(realpath "$3")
N=${4:-1000000}
E=${5:-10000000}
WORK=${6:-${TMPDIR:-/tmp}/cohort-bench-events}
NOW=1735689600
export COHORT_NOW=$NOW
export LC_ALL=C.UTF-8

mkdir -p "$WORK"
CUSTOMERS="$WORK/customers-$N.csv"
EVENTS="$WORK/events-$N-$E.csv"
DB="$WORK/flat-$N-$E.db"
WS="$WORK/workspace-$N-$E.cohort"

ms () { echo "$1 $2" | awk '{ printf "%.1f", ($2 - $1) / 1000000 }'; }
now_ns () { date +%s%N; }

[ -s "$CUSTOMERS" ] || { echo "Generating $N customers..."; "$COUNT_TOOL" generate "$N" "$CUSTOMERS"; }
[ -s "$EVENTS" ] || { echo "Generating $E events..."; "$TOOL" generate "$N" "$E" "$EVENTS"; }
ls -l "$EVENTS" | awk '{ printf "events file: %.0f MB\n", $5 / 1048576 }'

echo
echo "== Event import"
rm -f "$DB" "$WS" "$WS"-* "$WS".*
sqlite3 "$DB" '.mode csv' ".import '$CUSTOMERS' t"
t0=$(now_ns)
sqlite3 "$DB" '.mode csv' ".import '$EVENTS' e"
SQLITE_IMPORT=$(ms "$t0" "$(now_ns)")
echo "sqlite3 .import events: $SQLITE_IMPORT ms"
"$COUNT_TOOL" load "$WS" "$CUSTOMERS" >/dev/null
t0=$(now_ns)
"$COHORT" --workspace "$WS" import events "$EVENTS" > "$WORK/import.txt"
COHORT_IMPORT=$(ms "$t0" "$(now_ns)")
cat "$WORK/import.txt"
echo "cohort import events: $COHORT_IMPORT ms"

CRITERIA='{"and":[
  {"event":{"name":"purchase","within":{"amount":30,"unit":"days"},
            "where":[{"field":"amount","operator":"gt","value":50}]}},
  {"attribute":{"field":"plan","operator":"in","value":["pro","enterprise"]}},
  {"attribute":{"field":"age","operator":"between","value":[25,45]}}]}'
SQL="SELECT count(*) FROM t WHERE plan IN ('pro', 'enterprise')
  AND CAST(age AS REAL) BETWEEN 25 AND 45
  AND id IN (SELECT customer_id FROM e WHERE name = 'purchase'
             AND CAST(timestamp AS INTEGER) BETWEEN $NOW - 30 * 86400 AND $NOW
             AND amount != '' AND CAST(amount AS REAL) > 50);"

"$COHORT" --workspace "$WS" segments create Bench --criteria "$CRITERIA" >/dev/null

echo
echo "== Criteria: purchase within 30 days with amount > 50, plan in (pro, enterprise), age between 25 and 45"
echo
echo "== Cohort in-process"
rm -f "$WS.events-index"
"$TOOL" run "$WS" "$CRITERIA" 31 | tee "$WORK/inprocess.txt"
INPROC=$(sed -n 's/^MEDIAN_MS=//p' "$WORK/inprocess.txt")
INPROC_COUNT=$(sed -n 's/^COUNT=//p' "$WORK/inprocess.txt")

RUNS=5
echo
echo "== sqlite3 process, hand-written SQL over the flat tables (median of $RUNS, warm cache)"
set -- $("$COUNT_TOOL" time $RUNS sqlite3 "$DB" "$SQL")
SQLITE_MS=$1; SQLITE_COUNT=$2
echo "sqlite3: median $SQLITE_MS ms, count $SQLITE_COUNT"

echo
echo "== cohort segments count, whole process (index files present)"
set -- $("$COUNT_TOOL" time 11 "$COHORT" --workspace "$WS" segments count Bench)
CLI_MS=$1; CLI_COUNT=$2
echo "cohort segments count: median $CLI_MS ms, count $CLI_COUNT"
ls -l "$WS.events-index" | awk '{ printf "event index file: %.1f MB\n", $5 / 1048576 }'

echo
echo "== Summary"
awk -v si="$SQLITE_IMPORT" -v ci="$COHORT_IMPORT" -v e="$E" -v s="$SQLITE_MS" -v p="$INPROC" -v c="$CLI_MS" 'BEGIN {
  printf "event import:   sqlite3 .import %.1f s, cohort %.1f s (%.0f rows/s)  ratio %.2f (target <= 2.0)\n", si / 1000, ci / 1000, e / (ci / 1000), ci / si
  printf "event count:    sqlite3 process %.1f ms\n", s
  printf "                cohort in-process median %.2f ms  ratio %.3f (target <= 0.5, and < 200 ms)\n", p, p / s
  printf "                cohort segments count process %.1f ms  ratio %.3f\n", c, c / s
}'
if [ "$SQLITE_COUNT" != "$CLI_COUNT" ] || [ "$INPROC_COUNT" != "$CLI_COUNT" ]; then
  echo "MISMATCH: sqlite3 counted $SQLITE_COUNT, cohort $CLI_COUNT (in-process $INPROC_COUNT)" >&2
  exit 1
fi
echo "counts agree: $CLI_COUNT"
