#!/usr/bin/env bash
# Runs the libFuzzer targets of a SMARTBOT_FUZZ=ON build for a while each (long runs by hand, short ones from
# tests/sanitize/run.sh). The repository is never written to: each target's seed corpus is copied to a temporary
# work folder, which is deleted when every target passes and kept (path printed) when one fails.
# Per target: first its seed and regression inputs once each (replay.sh), then SECONDS of fuzzing; it prints
# executions, exec/s and coverage at start and end. Exits non-zero on any crash, sanitizer report, timeout (-timeout
# seconds for one input), out-of-memory or broken invariant, and prints the reproducer's path; store reproducers in
# tests/fuzz/regressions/<target>/ so that they are replayed from then on.
# Usage: tests/fuzz/run_fuzzers.sh BUILD_DIR SECONDS [target...]     (targets: names without "fuzz_"; default all)
# Environment: FUZZ_TIMEOUT (seconds per input, 25), FUZZ_RSS_MB (4096), FUZZ_ARGS (extra libFuzzer flags),
#              FUZZ_WORK (work folder; default a new one under $TMPDIR).
set -uo pipefail
if [ $# -lt 2 ]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
BUILD=$(cd "$1" && pwd) || exit 2
SECONDS_EACH=$2
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
BIN_DIR=$BUILD/fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for bin in "$BIN_DIR"/fuzz_*; do
    [ -x "$bin" ] && targets+=("$(basename "$bin" | sed 's/^fuzz_//')")
  done
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "run_fuzzers: no fuzz targets in $BIN_DIR (configure with CXX=clang++ -DSMARTBOT_FUZZ=ON and build)" >&2
  exit 2
fi
WORK=${FUZZ_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/smartbot-fuzz.XXXXXX")}
mkdir -p "$WORK"
# Leaks are reported per input by libFuzzer (LeakSanitizer): our code must not leak while parsing. Any UB is fatal.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
printf '%-15s %10s %8s %17s %17s %s\n' target execs exec/s "cov start->end" "corpus start->end" "new units"
for t in "${targets[@]}"; do
  bin=$BIN_DIR/fuzz_$t
  w=$WORK/$t
  mkdir -p "$w/corpus" "$w/artifacts"
  if [ ! -x "$bin" ]; then
    echo "$t: $bin is missing" >&2
    failed+=("$t")
    continue
  fi
  if ! "$HERE/replay.sh" "$bin" "$HERE/corpus/$t" "$HERE/regressions/$t" >"$w/replay.log" 2>&1; then
    echo "$t: FAILED replaying its seed/regression inputs ($w/replay.log):" >&2
    grep -E "Running:|ERROR|FUZZ_CHECK|runtime error|SUMMARY" "$w/replay.log" | tail -20 >&2
    failed+=("$t")
    continue
  fi
  cp -r "$HERE/corpus/$t/." "$w/corpus/"
  dict=()
  [ -f "$HERE/dict/$t.dict" ] && dict=(-dict="$HERE/dict/$t.dict")
  # shellcheck disable=SC2086
  "$bin" -max_total_time="$SECONDS_EACH" -timeout="${FUZZ_TIMEOUT:-25}" -rss_limit_mb="${FUZZ_RSS_MB:-4096}" \
    -print_final_stats=1 -artifact_prefix="$w/artifacts/" "${dict[@]}" ${FUZZ_ARGS:-} "$w/corpus" \
    >"$w/fuzz.log" 2>&1
  rc=$?
  inited=$(grep -m1 -E '^#[0-9]+[[:space:]]+INITED' "$w/fuzz.log")
  last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|NEW|REDUCE|pulse|INITED)' "$w/fuzz.log" | tail -1)
  field() { sed -n "s/.* $1: *\([^ ]*\).*/\1/p" <<<"$2"; }
  stat() { sed -n "s/^stat::$1: *//p" "$w/fuzz.log" | tail -1; }
  printf '%-15s %10s %8s %17s %17s %s\n' "$t" "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" \
    "$(field cov "$inited")->$(field cov "$last")" "$(field corp "$inited" | cut -d/ -f1)->$(field corp "$last" | cut -d/ -f1)" \
    "$(stat new_units_added)"
  artifacts=$(find "$w/artifacts" -type f | sort)
  if [ $rc -ne 0 ] || [ -n "$artifacts" ]; then
    echo "$t: FAILED (exit $rc); log $w/fuzz.log" >&2
    grep -E -A25 "==ERROR|FUZZ_CHECK|runtime error|deadly signal|ALARM|out-of-memory|SUMMARY" "$w/fuzz.log" | head -60 >&2
    for a in $artifacts; do
      echo "$t: reproducer $a  (replay: $bin $a; keep: cp $a $HERE/regressions/$t/)" >&2
    done
    failed+=("$t")
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "run_fuzzers: FAILED: ${failed[*]} (work folder kept: $WORK)" >&2
  exit 1
fi
[ -z "${FUZZ_WORK:-}" ] && rm -rf "$WORK"
echo "run_fuzzers: ${#targets[@]} targets, ${SECONDS_EACH}s each, no findings"
