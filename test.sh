#!/usr/bin/env bash
# Sets up dirsync (Debian packages, build) and runs the whole test suite;
# then again in an AddressSanitizer + UBSan build (skip that part with
# DIRSYNC_SKIP_SANITIZERS=1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# dirsyncd refuses unknown DIRSYNC_* variables (a typo must not pass
# silently), so this script's own switch is taken out of the environment
# before the daemon under test can see it.
skip_sanitizers=${DIRSYNC_SKIP_SANITIZERS:-0}
unset DIRSYNC_SKIP_SANITIZERS
start=$(date +%s)
"$here/scripts/setup.sh" "$here/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDIRSYNC_TESTS=ON
(cd "$here/build" && ctest --output-on-failure --timeout 600)
echo "test.sh: release build and tests took $(( $(date +%s) - start ))s"
if [ "$skip_sanitizers" != 1 ]; then
  start=$(date +%s)
  "$here/scripts/setup.sh" "$here/build-asan" -DCMAKE_BUILD_TYPE=Debug -DDIRSYNC_SANITIZE=ON -DDIRSYNC_BENCH=OFF
  (cd "$here/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure --timeout 900)
  echo "test.sh: sanitizer build and tests took $(( $(date +%s) - start ))s"
fi
