#!/usr/bin/env bash
# Real fuzzing with libFuzzer, AddressSanitizer and UBSan (issue 7).
#
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#   e.g. tests/fuzz/run.sh 300            # every target, 5 minutes each
#        tests/fuzz/run.sh 60 filter patch
#
# Installs clang and the libFuzzer runtime from Debian if missing (packages
# clang and libclang-rt-14-dev), builds the targets with clang in their own
# folder (FUZZ_BUILD, default ./build-fuzz; -DDIRSYNC_FUZZ=ON
# -DDIRSYNC_SANITIZE=ON), then runs each target for SECONDS, niced, starting
# from its seed corpus tests/fuzz/corpus/<target>/ (read only: new inputs go
# to $FUZZ_BUILD/fuzz-work/<target>/corpus, crash reproducers to
# .../artifacts/). A reproducer worth keeping belongs in the seed corpus,
# where the normal build's fuzz_replay_<target> CTest test replays it.
# Exits 1 if any target found a crash, leak, timeout or failed property.
set -euo pipefail

SECONDS_PER=${1:-60}
shift || true
ALL=(filter patch resource config query http_request)
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("${ALL[@]}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${FUZZ_BUILD:-$ROOT/build-fuzz}

# clang and libFuzzer's runtime, from Debian.
need=()
command -v clang++ >/dev/null || need+=(clang)
compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null || need+=(libclang-rt-14-dev)
if [[ ${#need[@]} -gt 0 ]]; then
  SUDO=
  [[ $(id -u) == 0 ]] || SUDO=sudo
  echo "installing ${need[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DDIRSYNC_FUZZ=ON -DDIRSYNC_SANITIZE=ON -DDIRSYNC_BENCH=OFF >/dev/null
nice -n 15 cmake --build "$BUILD" -j"${JOBS:-2}" --target "${TARGETS[@]/#/fuzz_}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
FAILED=()
SUMMARY=()
for t in "${TARGETS[@]}"; do
  work=$BUILD/fuzz-work/$t
  mkdir -p "$work/corpus" "$work/artifacts"
  dict=()
  [[ -f $ROOT/tests/fuzz/$t.dict ]] && dict=(-dict="$ROOT/tests/fuzz/$t.dict")
  echo "== fuzz_$t for ${SECONDS_PER}s"
  rc=0
  nice -n 15 "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECONDS_PER" -timeout=10 -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${dict[@]}" \
    "$work/corpus" "$ROOT/tests/fuzz/corpus/$t" >"$work/log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n1) || true
  cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -n1) || true
  SUMMARY+=("fuzz_$t: ${runs:-?} runs in ${SECONDS_PER}s, ${cov:-cov: ?}, corpus $(ls "$work/corpus" | wc -l) new, exit $rc")
  if [[ $rc != 0 ]]; then
    FAILED+=("$t")
    grep -m1 -E "ERROR|FUZZ_CHECK|runtime error|deadly signal" "$work/log" || true
    ls "$work/artifacts"
  fi
done
echo "== summary"
printf '%s\n' "${SUMMARY[@]}"
if [[ ${#FAILED[@]} -gt 0 ]]; then
  echo "FOUND problems in: ${FAILED[*]} (logs and reproducers under $BUILD/fuzz-work/)"
  exit 1
fi
echo "no crash found"
