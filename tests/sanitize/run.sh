#!/usr/bin/env bash
# The sanitizer job (ctest's sanitized_suite): builds the project with clang under ASan + UBSan, with the fuzz targets,
# runs its whole test suite, then every fuzz target for a short while. Fails on a build error, a failing test, any
# sanitizer report (also from the smartbotd processes the integration tests start) or any fuzzer finding.
# Usage: tests/sanitize/run.sh SOURCE_DIR BUILD_DIR [FUZZ_SECONDS]
# Environment: SMARTBOT_FUZZ_SECONDS (default 15 per target; 0 skips the timed fuzzing, the replays still run),
#              CMAKE_BUILD_PARALLEL_LEVEL (build jobs), SMARTBOT_SANITIZE_CTEST_ARGS (ctest arguments; default -LE bench:
#              benchmark figures under ASan mean nothing and bench_decode alone took 220 s),
#              SMARTBOT_SANITIZE_ASAN_OPTIONS (added to ASAN_OPTIONS for the test suite, e.g. detect_leaks=0).
set -euo pipefail
SRC=$(cd "$1" && pwd)
mkdir -p "$2"
BUILD=$(cd "$2" && pwd) # absolute: the tests run in folders of their own
FUZZ_SECONDS=${3:-${SMARTBOT_FUZZ_SECONDS:-15}}
for tool in clang clang++; do
  if ! command -v $tool >/dev/null; then
    echo "sanitized_suite: $tool is missing; run installers/setup-debian.sh (clang, libclang-rt-14-dev)" >&2
    exit 1
  fi
done
now() { date +%s; }
t0=$(now)

# 1. Configure (once; later builds re-run CMake themselves when a CMakeLists changes) and build.
# Debug (assertions on) at -O1: ASan's usual level, quicker to compile than -O2; the hot decode files keep their -O3.
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" \
    -DSMARTBOT_SANITIZE=ON -DSMARTBOT_FUZZ=ON >"$BUILD.configure.log" 2>&1 ||
    { cat "$BUILD.configure.log"; exit 1; }
fi
cmake --build "$BUILD"
t1=$(now)

# 2. The test suite. Every sanitizer report goes to a file of its own under $LOGS (whichever process it came from:
# a test, or a smartbotd a test started, whose stderr the test may never show), and is printed below.
# LeakSanitizer stays on (ASan's default): the suite exits leak-free, Qt and libtorch included. Where it cannot run
# (a container that forbids ptrace) set SMARTBOT_SANITIZE_ASAN_OPTIONS=detect_leaks=0.
LOGS=$BUILD/sanitizer-logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
export ASAN_OPTIONS="log_path=$LOGS/asan:detect_stack_use_after_return=1:check_initialization_order=1${SMARTBOT_SANITIZE_ASAN_OPTIONS:+:$SMARTBOT_SANITIZE_ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$LOGS/ubsan"
status=0
# shellcheck disable=SC2086
ctest --test-dir "$BUILD" --output-on-failure ${SMARTBOT_SANITIZE_CTEST_ARGS--LE bench} || status=1
t2=$(now)
reports=$(find "$LOGS" -type f | sort)
if [ -n "$reports" ]; then
  status=1
  for r in $reports; do
    echo "===== sanitizer report $r" >&2
    head -80 "$r" >&2
  done
fi

# 3. A short run of each fuzz target (after replaying its seeds and regression inputs), with leak checking on.
if [ "$FUZZ_SECONDS" != 0 ]; then
  env -u ASAN_OPTIONS -u UBSAN_OPTIONS "$SRC/tests/fuzz/run_fuzzers.sh" "$BUILD" "$FUZZ_SECONDS" || status=1
fi
t3=$(now)

echo "sanitized_suite: build $((t1 - t0)) s, tests $((t2 - t1)) s, fuzzing $((t3 - t2)) s;" \
  "$(echo "$reports" | grep -c . || true) sanitizer report(s); $([ $status = 0 ] && echo PASSED || echo FAILED)"
exit $status
