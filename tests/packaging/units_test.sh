#!/bin/bash
# Checks the systemd units, the sysusers.d and the tmpfiles.d snippets in systemd/:
#   1. the agreed design (paths, flags, ownership; no RuntimeDirectory= trap);
#   2. `systemd-analyze verify` says nothing about the units (it exits 0 on warnings);
#   3. `systemd-analyze security --offline=true` rates wardcastd.service 2.5 or lower;
#   4. systemd-sysusers creates the user wardcast and the groups wardcast, wardcast-audit;
#   5. systemd-tmpfiles creates the folders with the owners and modes the service expects.
# Run by CTest with bash; WARDCAST_SOURCE_DIR and WARDCAST_BUILD_DIR set.
# Exit 0 pass, 77 skip (says why), anything else fail (says what).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="${WARDCAST_SOURCE_DIR:-$(cd "$here/../.." && pwd)}"
build="${WARDCAST_BUILD_DIR:-$src/build}"
units="$src/systemd"
max_exposure=2.5

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
skip() { echo "SKIP: $*"; exit 77; }

for f in wardcastd.service wardcastd.socket wardcast-sync.service wardcast.sysusers wardcast.tmpfiles; do
    [[ -f "$units/$f" ]] || { echo "FAIL: $units/$f is missing" >&2; exit 1; }
done
command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
for b in wardcastd wardcastctl wardcast-sync; do
    [[ -x "$build/$b" ]] || skip "$build/$b is not built (systemd-analyze verify needs the ExecStart= binaries)"
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/wardcast-units.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

service="$units/wardcastd.service"
socket="$units/wardcastd.socket"
sync_service="$units/wardcast-sync.service"

# The value(s) of KEY= in a unit file, one a line (comments and blank values ignored).
values() { sed -n "s/^$2=//p" "$1"; }
# Exactly one KEY=VALUE line in FILE.
expect() {
    local file="$1" key="$2" want="$3" got
    got="$(values "$file" "$key" | tr '\n' '|' | sed 's/|$//')"
    if [[ "$got" == "$want" ]]; then ok "$(basename "$file"): $key=$want"
    else fail "$(basename "$file"): $key= is '${got}', expected '$want'"; fi
}

echo "== 1. agreed design"
sock_path=/run/wardcast/control.sock
expect "$service" Type notify
expect "$service" WatchdogSec 30s
expect "$service" User wardcast
expect "$service" Group wardcast-audit
expect "$service" SupplementaryGroups "wardcast audio"
expect "$service" UMask 0027
expect "$service" StateDirectory wardcast
expect "$service" StateDirectoryMode 0750
expect "$service" ConfigurationDirectory wardcast
expect "$service" CacheDirectory wardcast
expect "$service" Restart on-failure
expect "$service" ExecStart "/usr/sbin/wardcastd --schedule /etc/wardcast/schedule.yaml --db /var/lib/wardcast/broadcasts.db --socket $sock_path"
expect "$service" ExecReload "/usr/bin/wardcastctl reload --socket $sock_path"
expect "$socket" ListenStream "$sock_path"
expect "$socket" SocketGroup wardcast
expect "$socket" SocketMode 0660
# systemd chowns an existing RuntimeDirectory= recursively to User:Group at each start: the
# socket unit's socket in /run/wardcast would become wardcast:wardcast-audit (auditors in,
# operators out). /run/wardcast belongs to the socket unit and tmpfiles.d instead.
if grep -Eq '^RuntimeDirectory=' "$service"; then
    fail "wardcastd.service sets RuntimeDirectory=: it would re-own the socket in /run/wardcast"
else ok "wardcastd.service has no RuntimeDirectory="; fi
grep -q '^PrivateDevices=yes' "$service" && fail "PrivateDevices=yes hides /dev/snd"
grep -q '^DeviceAllow=char-alsa rw$' "$service" || fail "wardcastd.service lacks DeviceAllow=char-alsa rw"
# wardcast-sync: its own user, reading the log as an auditor, the daemon's socket for status.
expect "$sync_service" User wardcast-sync
expect "$sync_service" SupplementaryGroups "wardcast-audit wardcast"
expect "$sync_service" StateDirectory wardcast-sync
expect "$sync_service" StateDirectoryMode 0711
expect "$sync_service" CacheDirectory wardcast-sync
expect "$sync_service" Restart on-failure
expect "$sync_service" ExecStart "/usr/bin/wardcast-sync --district-file /etc/wardcast/district.conf --db /var/lib/wardcast/broadcasts.db --socket $sock_path --campaigns /var/lib/wardcast-sync/campaigns"
if grep -Eq '^(Requires|BindsTo)=.*wardcastd' "$sync_service"; then
    fail "wardcast-sync.service requires wardcastd: shipping must not tie the daemon's fate"
else ok "wardcast-sync.service only orders itself after wardcastd"; fi

echo "== 2. systemd-analyze verify"
# Copies whose ExecStart=/ExecReload= name the build tree's binaries (verify needs them).
mkdir "$tmp/units"
sed -e "s#/usr/sbin/wardcastd #$build/wardcastd #" -e "s#/usr/bin/wardcastctl #$build/wardcastctl #" \
    "$service" > "$tmp/units/wardcastd.service"
cp "$socket" "$tmp/units/wardcastd.socket"
sed -e "s#/usr/bin/wardcast-sync #$build/wardcast-sync #" "$sync_service" > "$tmp/units/wardcast-sync.service"
grep -q "^ExecStart=$build/wardcastd " "$tmp/units/wardcastd.service" ||
    fail "could not point ExecStart= at $build/wardcastd"
run_verify() {  # DIR: everything systemd-analyze verify says about the units in DIR
    local files=(wardcastd.service wardcastd.socket)
    [[ -f "$1/wardcast-sync.service" ]] && files+=(wardcast-sync.service)
    (cd "$1" && systemd-analyze verify --man=no "${files[@]}" 2>&1) || true
}
# Lines about our units name their files or our binaries; others (a broken unrelated unit
# on this machine, a container without cgroups) are shown but not held against us.
ours() { grep -E "wardcast|$1" || true; }
out="$(run_verify "$tmp/units")"
mine="$(printf '%s\n' "$out" | ours "$tmp/units")"
if [[ -n "$mine" ]]; then
    fail "systemd-analyze verify complains about the units:"; printf '%s\n' "$mine" >&2
else ok "systemd-analyze verify: nothing to say about the units"; fi
others="$(printf '%s\n' "$out" | grep -Ev "wardcast|$tmp/units" | grep -v '^$' || true)"
[[ -z "$others" ]] || { echo "note: verify also said (not about our units):"; printf '%s\n' "$others"; }
# Self-check: verify must really read the files (else silence proves nothing).
mkdir "$tmp/bad"
cp "$tmp/units/wardcastd.socket" "$tmp/bad/"
sed 's/^\[Service\]$/[Service]\nNoSuchSetting=1/' "$tmp/units/wardcastd.service" > "$tmp/bad/wardcastd.service"
if run_verify "$tmp/bad" | ours "$tmp/bad" | grep -q NoSuchSetting; then
    ok "systemd-analyze verify does report a broken copy"
else fail "systemd-analyze verify did not report an unknown setting in a broken copy: the check above proves nothing"; fi

echo "== 3. systemd-analyze security"
# --threshold= is the exposure level times ten; the printed level is parsed too.
threshold="$(awk -v m="$max_exposure" 'BEGIN { printf "%d", m * 10 }')"
# check_exposure UNIT_FILE: its overall exposure level is at most $max_exposure.
check_exposure() {
    local file="$1" name report rc level
    name="$(basename "$file")"
    set +e
    report="$(systemd-analyze security --offline=true --threshold="$threshold" "$file" 2>&1)"
    rc=$?
    set -e
    level="$(printf '%s\n' "$report" | sed -n "s/.*Overall exposure level for ${name//./\\.}: \([0-9.]*\).*/\1/p")"
    if [[ -z "$level" ]]; then
        fail "systemd-analyze security gave no exposure level for $name:"; printf '%s\n' "$report" >&2
    elif [[ $rc -ne 0 ]] || awk -v l="$level" -v m="$max_exposure" 'BEGIN { exit !(l > m) }'; then
        fail "$name: exposure level $level is above $max_exposure (systemd-analyze exit $rc); the weak points:"
        printf '%s\n' "$report" | grep '✗' >&2 || true
    else ok "$name: exposure level $level (at most $max_exposure)"; fi
}
check_exposure "$service"
check_exposure "$sync_service"

echo "== 4-5. systemd-sysusers and systemd-tmpfiles in a scratch root"
have_tools=true
for t in systemd-sysusers systemd-tmpfiles; do command -v "$t" >/dev/null || have_tools=false; done
if ! $have_tools; then
    echo "not checked: systemd-sysusers or systemd-tmpfiles is not installed"
    skipped="systemd-sysusers/systemd-tmpfiles not installed"
elif [[ $EUID -ne 0 ]]; then
    echo "not checked: systemd-tmpfiles must chown to wardcast (run as root to check 4-5)"
    skipped="sysusers/tmpfiles checks need root"
else
    skipped=""
    root="$tmp/root"
    # Installed where the packaging puts them; with --root the tools read the root's files.
    install -D -m 0644 "$units/wardcast.sysusers" "$root/usr/lib/sysusers.d/wardcast.conf"
    install -D -m 0644 "$units/wardcast.tmpfiles" "$root/usr/lib/tmpfiles.d/wardcast.conf"
    mkdir -p "$root/etc"
    if ! systemd-sysusers --root="$root" >"$tmp/sysusers.out" 2>&1; then
        fail "systemd-sysusers failed:"; cat "$tmp/sysusers.out" >&2
    fi
    touch "$root/etc/passwd" "$root/etc/group"
    entry() { awk -F: -v n="$2" '$1 == n' "$root/etc/$1"; }
    user="$(entry passwd wardcast)"
    uid="$(cut -d: -f3 <<<"$user")"; gid="$(cut -d: -f4 <<<"$user")"
    op_gid="$(entry group wardcast | cut -d: -f3)"
    audit_gid="$(entry group wardcast-audit | cut -d: -f3)"
    if [[ -z "$user" ]]; then fail "sysusers created no user wardcast"
    else
        [[ "$(cut -d: -f6 <<<"$user")" == /var/lib/wardcast ]] || fail "wardcast's home is not /var/lib/wardcast: $user"
        [[ "$(cut -d: -f7 <<<"$user")" == */nologin ]] || fail "wardcast can log in: $user"
        (( uid > 0 && uid < 1000 )) || fail "wardcast is not a system user: $user"
        ok "user wardcast: $user"
    fi
    if [[ -z "$op_gid" ]]; then fail "sysusers created no group wardcast"
    else
        [[ "$gid" == "$op_gid" ]] || fail "wardcast's primary group is not wardcast"
        ok "group wardcast: $(entry group wardcast)"
    fi
    if [[ -z "$audit_gid" ]]; then fail "sysusers created no group wardcast-audit"
    else ok "group wardcast-audit: $(entry group wardcast-audit)"; fi
    sync_user="$(entry passwd wardcast-sync)"
    sync_uid="$(cut -d: -f3 <<<"$sync_user")"; sync_gid="$(cut -d: -f4 <<<"$sync_user")"
    if [[ -z "$sync_user" ]]; then fail "sysusers created no user wardcast-sync"
    else
        [[ "$(cut -d: -f7 <<<"$sync_user")" == */nologin ]] || fail "wardcast-sync can log in: $sync_user"
        ok "user wardcast-sync: $sync_user"
    fi
    for g in wardcast-audit wardcast; do
        if [[ ",$(entry group "$g" | cut -d: -f4)," == *,wardcast-sync,* ]]; then
            ok "wardcast-sync is in group $g"
        else fail "wardcast-sync is not in group $g: $(entry group "$g")"; fi
    done

    if ! systemd-tmpfiles --root="$root" --create >"$tmp/tmpfiles.out" 2>&1; then
        fail "systemd-tmpfiles --create failed:"; cat "$tmp/tmpfiles.out" >&2
    fi
    check_dir() {  # PATH MODE UID GID NAME
        local got
        got="$(stat -c '%a %u %g' "$root$1" 2>/dev/null || echo missing)"
        if [[ "$got" == "$2 $3 $4" ]]; then ok "$1: $2 $5"
        else fail "$1 is '$got' (mode uid gid), expected '$2 $3 $4' ($5)"; fi
    }
    check_dir /etc/wardcast 755 0 0 root:root
    # What StateDirectory=/StateDirectoryMode=/User=/Group= make of it at each start:
    # tmpfiles.d and the service must agree, or each would undo the other.
    state_mode="$(values "$service" StateDirectoryMode | sed 's/^0*//')"
    [[ "$(values "$service" User)" == wardcast && "$(values "$service" Group)" == wardcast-audit ]] ||
        fail "the service's User=/Group= are not wardcast/wardcast-audit (tmpfiles.d would fight StateDirectory=)"
    check_dir /var/lib/wardcast "$state_mode" "${uid:-?}" "${audit_gid:-?}" wardcast:wardcast-audit
    check_dir /var/lib/wardcast-sync 711 "${sync_uid:-?}" "${sync_gid:-?}" wardcast-sync:wardcast-sync
    # The campaigns wardcast-sync installs: wardcastd (group wardcast) reads them, nobody else.
    wardcast_gid="$(entry group wardcast | cut -d: -f3)"
    check_dir /var/lib/wardcast-sync/campaigns 2750 "${sync_uid:-?}" "${wardcast_gid:-?}" wardcast-sync:wardcast
    check_dir /run/wardcast 755 0 0 "root:root (DirectoryMode=$(values "$socket" DirectoryMode) in the socket unit)"
    # A second run (every boot) changes nothing.
    before="$(stat -c '%n %a %u %g %Y' "$root/etc/wardcast" "$root/var/lib/wardcast" "$root/run/wardcast" 2>&1 || true)"
    systemd-tmpfiles --root="$root" --create >/dev/null 2>&1 || fail "a second systemd-tmpfiles --create failed"
    after="$(stat -c '%n %a %u %g %Y' "$root/etc/wardcast" "$root/var/lib/wardcast" "$root/run/wardcast" 2>&1 || true)"
    if [[ "$before" == "$after" ]]; then ok "a second tmpfiles run changes nothing"
    else fail "a second tmpfiles run changed the folders: $before -> $after"; fi
fi

if (( failures > 0 )); then
    echo "$failures check(s) failed" >&2
    exit 1
fi
if [[ -n "$skipped" ]]; then
    echo "SKIP: every check run passed, but not all ran: $skipped"
    exit 77
fi
echo "all checks passed"
