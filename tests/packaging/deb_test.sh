#!/usr/bin/env bash
# The Debian package: cpack builds it from the build tree; its contents, control fields
# and conffiles are checked; it is installed into a scratch root with
# `dpkg --root --force-script-chrootless` (so its maintainer scripts run against that
# root through $DPKG_ROOT), then removed and purged. Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

src=${WARDCAST_SOURCE_DIR:?set WARDCAST_SOURCE_DIR}
build=${WARDCAST_BUILD_DIR:?set WARDCAST_BUILD_DIR}

skip() { echo "SKIP: $*"; exit 77; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

for tool in cpack dpkg-deb dpkg dpkg-shlibdeps; do
    command -v "$tool" >/dev/null || skip "$tool is not installed (apt install cmake dpkg-dev)"
done
[[ -f $build/CPackConfig.cmake ]] || skip "$build/CPackConfig.cmake is missing (configure first)"
[[ -x $build/wardcastctl && -x $build/wardcastd ]] || skip "build wardcastctl and wardcastd first"

tmp=$(mktemp -d /tmp/wardcast-deb-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# --- Build the package (in a folder of its own: ctest may run other tests alongside).
if ! cpack --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1; then
    cat "$tmp/cpack.log"
    echo "FAIL: cpack could not build the package"
    exit 1
fi
debs=("$tmp"/out/wardcast_*.deb)
[[ ${#debs[@]} == 1 && -f ${debs[0]} ]] || { ls "$tmp/out"; echo "FAIL: no single wardcast_*.deb"; exit 1; }
deb=${debs[0]}
version=$(dpkg-deb -f "$deb" Version)
arch=$(dpkg --print-architecture)
[[ $(basename "$deb") == "wardcast_${version}_${arch}.deb" ]] &&
    ok "file name $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)" ||
    fail "file name $(basename "$deb"), expected wardcast_${version}_${arch}.deb"
[[ $version == "$(sed -n 's/^project(wardcast VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")" ]] &&
    ok "version $version" || fail "version $version differs from project()"

# --- Contents.
expected=(
    /usr/sbin/wardcastd
    /usr/bin/wardcastctl
    /usr/bin/wardcast-make-audio
    /usr/bin/wardcast-district
    /usr/bin/wardcast-sync
    /lib/systemd/system/wardcastd.service
    /lib/systemd/system/wardcastd.socket
    /lib/systemd/system/wardcast-sync.service
    /etc/wardcast/district.conf
    /usr/lib/sysusers.d/wardcast.conf
    /usr/lib/tmpfiles.d/wardcast.conf
    /etc/wardcast/schedule.yaml
    /usr/share/man/man1/wardcastctl.1.gz
    /usr/share/man/man1/wardcast-make-audio.1.gz
    /usr/share/man/man1/wardcast-district.1.gz
    /usr/share/man/man5/wardcast.yaml.5.gz
    /usr/share/man/man8/wardcastd.8.gz
    /usr/share/bash-completion/completions/wardcastctl
    /usr/share/doc/wardcast/copyright
    /usr/share/doc/wardcast/changelog.gz
    /usr/share/doc/wardcast/README.md
    /usr/share/doc/wardcast/install.md
    /usr/share/doc/wardcast/schedule-format.md
    /usr/share/doc/wardcast/wardcastctl.md
    /usr/share/doc/wardcast/wardcastd.md
    /usr/share/doc/wardcast/district.md
    /usr/share/doc/wardcast/examples/README.md
    /usr/share/doc/wardcast/examples/make-example-audio.sh
    /usr/share/doc/wardcast/examples/phuong-bo-de/schedule.yaml
    /usr/share/doc/wardcast/examples/phuong-bo-de/campaigns/cai-cach-hanh-chinh.yaml
)
dpkg-deb -c "$deb" >"$tmp/contents" || fail "dpkg-deb -c"
missing=0
for f in "${expected[@]}"; do
    grep -q " \.$f\$" "$tmp/contents" || { fail "the package lacks $f"; missing=1; }
done
((missing)) || ok "the package holds all ${#expected[@]} expected files"
# Every doc of docs/ is shipped, whoever adds one.
for f in "$src"/docs/*.md; do
    grep -q " \./usr/share/doc/wardcast/$(basename "$f")\$" "$tmp/contents" ||
        fail "docs/$(basename "$f") is not in /usr/share/doc/wardcast"
done
# Owned by root, no group- or world-writable file, executables 0755, the rest 0644.
awk '$2 != "root/root" { print "FAIL: not root/root: " $0; bad = 1 }
     $1 ~ /^.....w|^........w/ { print "FAIL: writable by group or others: " $0; bad = 1 }
     END { exit bad }' "$tmp/contents" && ok "owners and modes" || failures=$((failures + 1))
grep -q '^-rwxr-xr-x .* \./usr/sbin/wardcastd$' "$tmp/contents" || fail "/usr/sbin/wardcastd is not 0755"
grep -q '^-rw-r--r-- .* \./etc/wardcast/schedule.yaml$' "$tmp/contents" || fail "schedule.yaml is not 0644"
grep -q 'audio/' "$tmp/contents" && fail "the example's generated audio is shipped (it is made by its script)"
# Stripped binaries (CPACK_STRIP_FILES).
dpkg-deb -x "$deb" "$tmp/x"
if command -v file >/dev/null; then
    file "$tmp/x/usr/sbin/wardcastd" | grep -q 'not stripped' && fail "wardcastd is not stripped"
fi
size=$(stat -c %s "$tmp/x/usr/sbin/wardcastd")
((size < 20000000)) && ok "wardcastd is $((size / 1024)) KiB" || fail "wardcastd is $size bytes: not stripped?"

# --- Control fields and files.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for dep in libgstreamer1.0-0 libgstreamer-plugins-base1.0-0 libsqlite3-0 libyaml-cpp0.7 libsystemd0 \
           libstdc++6 libc6 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-espeak \
           gstreamer1.0-alsa systemd tzdata; do
    [[ ", $depends," == *", $dep"[\ ,]* ]] || fail "Depends lacks $dep"
done
for field in Package Version Architecture Maintainer Description Section Priority Installed-Size; do
    [[ -n $(dpkg-deb -f "$deb" "$field") ]] || fail "control field $field is empty"
done
dpkg-deb -e "$deb" "$tmp/control"
[[ $(cat "$tmp/control/conffiles") == $'/etc/wardcast/schedule.yaml\n/etc/wardcast/district.conf' ]] &&
    ok "conffiles: /etc/wardcast/schedule.yaml, /etc/wardcast/district.conf" ||
    fail "conffiles: $(cat "$tmp/control/conffiles" | tr '\n' ' ')"
for script in postinst prerm postrm; do
    [[ -x $tmp/control/$script ]] || fail "$script is missing or not executable"
    sh -n "$tmp/control/$script" || fail "$script has a syntax error"
done
[[ -s $tmp/control/md5sums ]] || fail "no md5sums"
(cd "$tmp/x" && md5sum --quiet -c "$tmp/control/md5sums") || fail "md5sums do not match"

# --- The man pages render without warnings.
for page in "$tmp"/x/usr/share/man/man*/*.gz; do
    out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l --warnings "$page" 2>&1 >/dev/null)
    [[ -z $out ]] && ok "man -l $(basename "$page")" || fail "man -l $(basename "$page"): $out"
    LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q '^SEE ALSO' ||
        fail "$(basename "$page") has no SEE ALSO"
done

if ((failures)); then echo "$failures failures before installing"; exit 1; fi

# --- Install into a scratch root.
((EUID == 0)) || skip "installing with dpkg --root needs root (the package itself passed every check)"
for tool in systemd-sysusers systemd-tmpfiles; do
    command -v "$tool" >/dev/null || skip "$tool is missing (apt install systemd)"
done
root=$tmp/root
mkdir -p "$root"/var/lib/dpkg/{info,updates,triggers} "$root"/var/log "$root"/etc "$root"/usr/bin \
    "$root"/var/cache "$root"/run
touch "$root"/var/lib/dpkg/{status,available}
dpkg_root() {
    dpkg --root="$root" --log="$root/var/log/dpkg.log" --force-script-chrootless --force-depends \
        --force-not-root --path-include="*" "$@"  # undo a slim image's path-exclude of docs and man pages
}
if ! dpkg_root -i "$deb" >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"
    echo "FAIL: dpkg -i into the scratch root"
    exit 1
fi
ok "dpkg -i into $root"
[[ $(dpkg-query --root="$root" -W -f='${Status}' wardcast) == "install ok installed" ]] ||
    fail "wardcast is not 'install ok installed'"
for f in "${expected[@]}"; do [[ -e $root$f ]] || fail "$f is not installed"; done
grep -q '^wardcast:' "$root/etc/passwd" && ok "user wardcast" || fail "no user wardcast in /etc/passwd"
grep -q '^wardcast:' "$root/etc/group" && ok "group wardcast" || fail "no group wardcast"
grep -q '^wardcast-audit:' "$root/etc/group" && ok "group wardcast-audit" || fail "no group wardcast-audit"
grep '^wardcast:' "$root/etc/passwd" | grep -q ':/usr/sbin/nologin$' || fail "wardcast may log in"
link=$root/etc/systemd/system/multi-user.target.wants/wardcastd.service
[[ -L $link && $(readlink "$link") == */wardcastd.service ]] && ok "wardcastd.service enabled" ||
    fail "wardcastd.service is not enabled ($link)"
link=$root/etc/systemd/system/sockets.target.wants/wardcastd.socket
[[ -L $link ]] && ok "wardcastd.socket enabled" || fail "wardcastd.socket is not enabled ($link)"
if [[ -d $root/var/lib/wardcast ]]; then
    # Owners by the scratch root's own ids (the host's names may differ).
    uid=$(awk -F: '$1 == "wardcast" { print $3 }' "$root/etc/passwd")
    gid=$(awk -F: '$1 == "wardcast-audit" { print $3 }' "$root/etc/group")
    got=$(stat -c '%u:%g %a' "$root/var/lib/wardcast")
    [[ $got == "$uid:$gid 750" ]] && ok "/var/lib/wardcast is wardcast:wardcast-audit 0750" ||
        fail "/var/lib/wardcast is $got, expected $uid:$gid 750 (wardcast:wardcast-audit)"
else
    fail "/var/lib/wardcast was not created (systemd-tmpfiles)"
fi
# wardcast-sync: its user, its folder, the district's connection string readable by it alone
# (and root), and the service not enabled until that is filled in.
grep -q '^wardcast-sync:' "$root/etc/passwd" && ok "user wardcast-sync" || fail "no user wardcast-sync"
sync_gid=$(awk -F: '$1 == "wardcast-sync" { print $3 }' "$root/etc/group")
got=$(stat -c '%u:%g %a' "$root/etc/wardcast/district.conf" 2>/dev/null || echo missing)
[[ $got == "0:$sync_gid 640" ]] && ok "/etc/wardcast/district.conf is root:wardcast-sync 0640" ||
    fail "/etc/wardcast/district.conf is $got, expected 0:$sync_gid 640 (root:wardcast-sync)"
[[ -d $root/var/lib/wardcast-sync ]] && ok "/var/lib/wardcast-sync exists" ||
    fail "/var/lib/wardcast-sync was not created (systemd-tmpfiles)"
[[ ! -e $root/etc/systemd/system/multi-user.target.wants/wardcast-sync.service ]] &&
    ok "wardcast-sync.service is not enabled (until configured)" ||
    fail "wardcast-sync.service was enabled before district.conf was filled in"
grep -i 'warning' "$tmp/install.log" && fail "dpkg -i printed warnings"

# The starter schedule validates as installed, without any audio file.
if WARDCAST_CACHE=$tmp/cache "$build/wardcastctl" validate "$root/etc/wardcast/schedule.yaml" \
        >"$tmp/validate.log" 2>&1; then
    ok "$(cat "$tmp/validate.log")"
else
    cat "$tmp/validate.log"
    fail "the installed /etc/wardcast/schedule.yaml does not validate"
fi

# --- Remove, then purge: the broadcast log is an audit record and stays.
echo "audit record" >"$root/var/lib/wardcast/broadcasts.db"
echo "# edited by the operator" >>"$root/etc/wardcast/schedule.yaml"
dpkg_root -r wardcast >"$tmp/remove.log" 2>&1 || { cat "$tmp/remove.log"; fail "dpkg -r"; }
[[ ! -e $root/usr/sbin/wardcastd ]] || fail "wardcastd is still there after removal"
[[ -f $root/etc/wardcast/schedule.yaml ]] || fail "removal deleted the conffile (only purge may)"
[[ -f $root/var/lib/wardcast/broadcasts.db ]] && ok "removal kept the broadcast log" ||
    fail "removal deleted /var/lib/wardcast/broadcasts.db"
dpkg_root --purge wardcast >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; fail "dpkg --purge"; }
[[ ! -e $root/etc/wardcast/schedule.yaml ]] || fail "purge kept /etc/wardcast/schedule.yaml"
[[ $(cat "$root/var/lib/wardcast/broadcasts.db" 2>/dev/null) == "audit record" ]] &&
    ok "purge kept the broadcast log" || fail "purge deleted /var/lib/wardcast/broadcasts.db"
[[ ! -e $root/etc/systemd/system/multi-user.target.wants/wardcastd.service ]] ||
    fail "purge left wardcastd.service enabled"

if ((failures)); then echo "$failures failures"; exit 1; fi
echo "all package checks passed"
