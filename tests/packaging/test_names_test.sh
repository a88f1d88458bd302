#!/bin/bash
# CTest takes the list of Catch2 test names apart at ';' (catch_discover_tests): a test whose
# name holds one is registered under a shorter name that matches no test, and "passes" without
# running. Every TEST_CASE name must be free of ';'.
# Run by CTest with bash; WARDCAST_SOURCE_DIR set. Exit 0 pass, anything else fail (says what).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="${WARDCAST_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"

found="$(grep -rn --include='*.cpp' -E 'TEST_CASE\("[^"]*;' "$src/tests" || true)"
if [[ -n "$found" ]]; then
    echo "FAIL: test names with ';' (CTest would not run them):" >&2
    echo "$found" >&2
    exit 1
fi
echo "ok: $(grep -rn --include='*.cpp' -c 'TEST_CASE(' "$src/tests" | awk -F: '{n += $2} END {print n}') test cases, no ';' in their names"
