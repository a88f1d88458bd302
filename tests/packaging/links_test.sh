#!/bin/bash
# What each program carries (issue 13): wardcastctl reads the broadcast log through the log
# library and must not contain the daemon (scheduler, player, control server); wardcast-sync
# and wardcast-district hold neither the daemon nor the players (they check campaigns as
# wardcastctl validate does, issue 14: audio lengths and speech only); the log library itself
# needs neither GStreamer nor the daemon.
# Run by CTest with bash; WARDCAST_SOURCE_DIR and WARDCAST_BUILD_DIR set.
# Exit 0 pass, 77 skip (says why), anything else fail (says what).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="${WARDCAST_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"
build="${WARDCAST_BUILD_DIR:-$src/build}"
command -v nm >/dev/null || { echo "SKIP: nm is not installed (binutils)"; exit 77; }
[[ -x "$build/wardcastctl" ]] || { echo "SKIP: $build/wardcastctl is not built"; exit 77; }

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

ctl_symbols="$(nm -C "$build/wardcastctl")"
for part in 'wardcast::daemon::' 'wardcast::audio::GstPlayer' 'wardcast::audio::Relay'; do
    if grep -q -- "$part" <<<"$ctl_symbols"; then
        fail "wardcastctl contains $part ($(grep -c -- "$part" <<<"$ctl_symbols") symbols)"
    else
        ok "wardcastctl has no $part"
    fi
done
grep -q 'wardcast::log::LogReader' <<<"$ctl_symbols" && ok "wardcastctl reads the log with wardcast::log::LogReader" ||
    fail "wardcastctl has no wardcast::log::LogReader: the check above proves nothing"

for program in wardcast-sync wardcast-district; do
    if [[ -x "$build/$program" ]]; then
        symbols="$(nm -C "$build/$program")"
        for part in 'wardcast::daemon::' 'wardcast::audio::GstPlayer' 'wardcast::audio::Relay'; do
            if grep -q -- "$part" <<<"$symbols"; then
                fail "$program contains $part"
            else
                ok "$program has no $part"
            fi
        done
        grep -q 'wardcast::audio::AudioLibrary' <<<"$symbols" &&
            ok "$program checks campaigns with wardcast::audio::AudioLibrary" ||
            fail "$program has no wardcast::audio::AudioLibrary: the check above proves nothing"
    else
        fail "$build/$program is not built"
    fi
done

log_lib="$build/libwardcast_log.a"
if [[ -f "$log_lib" ]]; then
    undefined="$(nm -C --undefined-only "$log_lib")"
    for part in 'gst_' 'wardcast::daemon::' 'wardcast::audio::'; do
        if grep -q -- "$part" <<<"$undefined"; then
            fail "the log library needs $part"
        else
            ok "the log library needs no $part"
        fi
    done
else
    fail "$log_lib is missing"
fi
exit $((failures > 0))
