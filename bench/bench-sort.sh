#!/bin/sh
# bench-sort.sh: how fast are 1,000,000 customers ordered by an attribute?
#
#   bench/bench-sort.sh BENCH_COUNT BENCH_SORT [N] [WORKDIR]
#   (or: meson compile -C BUILD bench-sort)
#
# Uses (and makes when missing, as bench-count.sh does) the generated CSV,
# its flat sqlite3 table and a workspace holding it; runs bench-sort over a
# copy of the workspace, which compares the order Cohort computes from its
# column index with sqlite3 ordering the flat table, in the same process.
set -eu

COUNT_TOOL=$(realpath "$1")
TOOL=$(realpath "$2")
N=${3:-1000000}
WORK=${4:-${TMPDIR:-/tmp}/cohort-bench-count}
export LC_ALL=C.UTF-8

mkdir -p "$WORK"
CSV="$WORK/customers-$N.csv"
DB="$WORK/flat-$N.db"
WS="$WORK/workspace-$N.cohort"

if [ ! -s "$CSV" ]; then
  echo "Generating $N customers..."
  "$COUNT_TOOL" generate "$N" "$CSV"
fi
if [ ! -s "$DB" ]; then
  sqlite3 "$DB" '.mode csv' ".import '$CSV' t"
fi
if [ ! -s "$WS" ]; then
  "$COUNT_TOOL" load "$WS" "$CSV"
fi

COPY=$(mktemp -d "${TMPDIR:-/tmp}/cohort-bench-sort-XXXXXX")
trap 'rm -rf "$COPY"' EXIT
cp "$WS" "$COPY/workspace.cohort"
if [ -s "$WS.index" ]; then
  cp "$WS.index" "$COPY/workspace.cohort.index"
fi
"$TOOL" "$COPY/workspace.cohort" "$DB"
