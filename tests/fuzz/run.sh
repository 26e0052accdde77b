#!/bin/sh
# Builds the libFuzzer harnesses with clang (AddressSanitizer and
# UndefinedBehaviorSanitizer) in their own build folder, then runs each on
# its seed corpus (tests/fuzz/corpus/NAME) for a bounded time. New inputs go
# to a temporary folder, not into the tree; a crash leaves its input as
# BUILD_DIR/fuzz-NAME-crash-* and fails the script.
#   tests/fuzz/run.sh [SECONDS_EACH [BUILD_DIR]]      (default: 20 s, build-fuzz)
set -eu
cd "$(dirname "$0")/../.."
seconds="${1:-20}"
builddir="${2:-build-fuzz}"

if ! command -v clang >/dev/null 2>&1; then
  echo "fuzz: clang is not installed (tools/install-deps.sh installs it)" >&2
  exit 1
fi
if [ ! -f "$builddir/build.ninja" ]; then
  CC=clang meson setup "$builddir" -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized -Dui_tests=false >/dev/null
fi
harnesses="csv-reader criteria value"
targets=""
for name in $harnesses; do
  targets="$targets tests/fuzz/fuzz-$name"
done
# shellcheck disable=SC2086
ninja -C "$builddir" $targets

# Memory errors and undefined behaviour stop the run. Leaks are left to the
# test suite under ASan: libFuzzer's leak check between inputs reported,
# now and then, a few objects allocated inside GLib that no single input
# leaks when replayed (issue 9 report), which would make CI fail at random.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export G_SLICE=always-malloc G_DEBUG=gc-friendly LC_ALL=C.UTF-8

status=0
for name in $harnesses; do
  work=$(mktemp -d "${TMPDIR:-/tmp}/cohort-fuzz-$name-XXXXXX")
  echo "== fuzz-$name: $seconds s"
  if ! "$builddir/tests/fuzz/fuzz-$name" -max_total_time="$seconds" -max_len=65538 \
         -timeout=20 -rss_limit_mb=2560 -detect_leaks=0 -print_final_stats=1 \
         -artifact_prefix="$builddir/fuzz-$name-" "$work" "tests/fuzz/corpus/$name"; then
    echo "fuzz-$name FAILED: see the input saved under $builddir/fuzz-$name-*" >&2
    status=1
  fi
  rm -rf "$work"
done
exit $status
