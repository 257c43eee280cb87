#!/usr/bin/env bash
# Runs a fuzz target once on every file of the given folders (seed corpus, regression inputs); fails on any crash,
# sanitizer report or broken invariant. A missing folder is fine (a target with no regressions yet); no input at all
# is not. Usage: replay.sh FUZZ_BINARY DIR...
set -euo pipefail
BIN=$1
shift
files=()
for dir in "$@"; do
  [ -d "$dir" ] || continue
  while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$dir" -type f ! -name 'README*' -print0 | sort -z)
done
if [ ${#files[@]} -eq 0 ]; then
  echo "replay: no inputs in $*" >&2
  exit 1
fi
echo "replay: $(basename "$BIN") on ${#files[@]} inputs"
# -runs=1 per file; libFuzzer exits non-zero on the first failing input and names it.
exec "$BIN" -rss_limit_mb=4096 -timeout=60 "${files[@]}"
