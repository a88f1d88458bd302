#!/usr/bin/env bash
# Runs the whole suite, normally and under ASan+UBSan, N times in a row while another build
# loads the machine, and says which tests ever failed and how often. A test that fails here
# and passes alone waits on a fixed time instead of an event, or has a real race: fix it at
# its cause.
#
#   scripts/flaky-hunt.sh [RUNS]         (default 5; the builds `make build build-asan` made)
#
# Environment: BUILD, ASAN_BUILD (default build, build-asan), LOAD=0 to run without the load,
# JOBS (ctest -j, default nproc). Results go to flaky-hunt/ (one log per run, summary.txt).
set -u
cd "$(dirname "$0")/.."
runs=${1:-5}
build=${BUILD:-build}
asan_build=${ASAN_BUILD:-build-asan}
jobs=${JOBS:-$(nproc)}
out=flaky-hunt
mkdir -p "$out"
: >"$out/failures.txt"

for dir in "$build" "$asan_build"; do
    if [ ! -f "$dir/CTestTestfile.cmake" ]; then
        echo "flaky-hunt: $dir is not built; run make build build-asan first" >&2
        exit 2
    fi
done

load_pid=
if [ "${LOAD:-1}" != 0 ]; then
    # Another build, one compiler at a time, over and over: what CI's neighbours do.
    load_dir=$(mktemp -d /tmp/wardcast-load-XXXXXX)
    setsid bash -c "cmake -S . -B '$load_dir' -DCMAKE_BUILD_TYPE=Debug &&
        while :; do cmake --build '$load_dir' --clean-first -j 1; done" >/dev/null 2>&1 &
    load_pid=$!
    trap 'kill -- -"$load_pid" 2>/dev/null; rm -rf "$load_dir"' EXIT
fi

asan_env=(ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0
    "LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)

total_failed=0
for run in $(seq 1 "$runs"); do
    for kind in normal asan; do
        dir=$build
        envs=()
        if [ "$kind" = asan ]; then
            dir=$asan_build
            envs=("${asan_env[@]}")
        fi
        log="$PWD/$out/run-$run-$kind.log"
        start=$(date +%s)
        (cd "$dir" && env "${envs[@]}" ctest --output-on-failure -j "$jobs" >"$log" 2>&1)
        rc=$?
        took=$(($(date +%s) - start))
        failed=$(sed -n '/The following tests FAILED:/,$p' "$log" | grep -E '^\s+[0-9]+ - ' |
            sed -E 's/^\s+[0-9]+ - //')
        n=0
        [ -n "$failed" ] && n=$(printf '%s\n' "$failed" | wc -l)
        total_failed=$((total_failed + n))
        echo "run $run $kind: exit $rc, $n failed, ${took}s"
        [ -n "$failed" ] && printf '%s\n' "$failed" | sed "s/^/  /" &&
            printf '%s\n' "$failed" | sed "s/^/$kind: /" >>"$out/failures.txt"
    done
done

{
    echo "flaky-hunt: $runs runs of the normal and the ASan suite, load ${LOAD:-1}"
    if [ "$total_failed" = 0 ]; then
        echo "no test failed"
    else
        echo "failures (count, build: test):"
        sort "$out/failures.txt" | uniq -c | sort -rn
    fi
} | tee "$out/summary.txt"
[ "$total_failed" = 0 ]
