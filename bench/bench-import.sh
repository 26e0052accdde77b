#!/bin/sh
# bench-import.sh: cohort import customers against sqlite3 .import, same file, same run
#
# Usage: bench-import.sh COHORT_BINARY [ROWS]   (ROWS defaults to 1000000)
# Generates a deterministic CSV (bench/gen-customers.py), then times
#   sqlite3 DB '.mode csv' '.import FILE t'    into a new database
#   cohort import customers FILE               into a new workspace
#   cohort import customers FILE               again (every row an update)
# and prints wall times, ratios and cohort's peak RSS. A smaller file is
# (half the rows) is imported too: peak RSS should be about the same, since
# the reader streams and SQLite's page cache is capped during import.
# Targets: first import <= 2.0x sqlite3, re-import <= 3.0x.
#
# Copyright 2026 The Cohort developers
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

cohort=$(realpath "$1")
rows=${2:-1000000}
here=$(dirname "$(realpath "$0")")
out=${BENCH_OUT:-${MESON_BUILD_ROOT:-$here}/bench-out}
mkdir -p "$out"
csv="$out/customers-$rows.csv"
small="$out/customers-small.csv"

command -v sqlite3 >/dev/null || { echo "bench-import: sqlite3 is needed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench-import: /usr/bin/time is needed" >&2; exit 1; }

if [ ! -s "$csv" ]; then
  echo "Generating $rows customers into $csv…"
  python3 "$here/gen-customers.py" "$rows" > "$csv.tmp" && mv "$csv.tmp" "$csv"
fi
small_rows=$((rows / 2))
if [ ! -s "$small" ] || [ "$(wc -l < "$small")" -lt "$small_rows" ]; then
  python3 "$here/gen-customers.py" "$small_rows" > "$small"
fi
size=$(stat -c %s "$csv")

# Prints "SECONDS KB" for the command given.
measure () {
  /usr/bin/time -f '%e %M' -o "$out/time.txt" "$@" > "$out/cmd.out" 2> "$out/cmd.err" || {
    echo "bench-import: failed: $*" >&2; cat "$out/cmd.err" >&2; exit 1; }
  cat "$out/time.txt"
}

rm -f "$out/sqlite.db" "$out/ws.cohort" "$out/ws.cohort-wal" "$out/ws.cohort-shm" \
      "$out/small.cohort" "$out/small.cohort-wal" "$out/small.cohort-shm"
sync

set -- $(measure sqlite3 "$out/sqlite.db" '.mode csv' ".import $csv t")
sqlite_s=$1
set -- $(measure "$cohort" --workspace "$out/ws.cohort" import customers "$csv" --json)
cohort_s=$1; cohort_kb=$2
grep -q "\"created\" : $rows" "$out/cmd.out" || { echo "bench-import: unexpected report:" >&2; cat "$out/cmd.out" >&2; exit 1; }
set -- $(measure "$cohort" --workspace "$out/ws.cohort" import customers "$csv" --json)
again_s=$1; again_kb=$2
grep -q "\"updated\" : $rows" "$out/cmd.out" || { echo "bench-import: unexpected report:" >&2; cat "$out/cmd.out" >&2; exit 1; }
set -- $(measure "$cohort" --workspace "$out/small.cohort" import customers "$small" --json)
small_s=$1; small_kb=$2

awk -v rows="$rows" -v size="$size" -v sq="$sqlite_s" -v co="$cohort_s" -v ckb="$cohort_kb" \
    -v ag="$again_s" -v akb="$again_kb" -v srows="$small_rows" -v skb="$small_kb" 'BEGIN {
  r1 = co / sq; r2 = ag / sq;
  printf "file: %d customers, %.1f MB\n", rows, size / 1e6;
  printf "sqlite3 .import:          %7.2f s\n", sq;
  printf "cohort import (new):      %7.2f s  ratio %.2fx (target <= 2.0x)  peak RSS %.1f MB\n", co, r1, ckb / 1024;
  printf "cohort import (re-import):%7.2f s  ratio %.2fx (target <= 3.0x)  peak RSS %.1f MB\n", ag, r2, akb / 1024;
  printf "peak RSS, %d customers:   %.1f MB (vs %.1f MB for %d: flat when close)\n", srows, skb / 1024, ckb / 1024, rows;
  ok = (r1 <= 2.0 && r2 <= 3.0);
  print ok ? "PASS" : "FAIL";
  exit ok ? 0 : 1;
}'
