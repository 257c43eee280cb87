#!/usr/bin/env bash
# format_check: every C++ file of the repository matches .clang-format (issue 9: "so it stays applied").
# Usage: tests/format_check.sh SOURCE_DIR. Fix a failure with: clang-format -i FILE...
set -euo pipefail
cd "$1"
command -v clang-format >/dev/null || { echo "format_check: clang-format is missing (installers/setup-debian.sh)" >&2; exit 1; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- '*.cpp' '*.h')
else
  mapfile -t files < <(find server app tests -name '*.cpp' -o -name '*.h')
fi
bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "format_check: ${#bad[@]} of ${#files[@]} files do not match .clang-format ($(clang-format --version)):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "run: clang-format -i ${bad[*]}" >&2
  exit 1
fi
echo "format_check: ${#files[@]} files match .clang-format"
