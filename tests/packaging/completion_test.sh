#!/usr/bin/env bash
# The bash completion of wardcastctl (completion/wardcastctl.bash), driven the way bash
# drives it: COMP_WORDS and COMP_CWORD set, _wardcastctl called, COMPREPLY read. The
# commands and each command's options are compared with the built wardcastctl's --help,
# so a new command or option without completion fails here. Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail

src=${WARDCAST_SOURCE_DIR:?set WARDCAST_SOURCE_DIR}
build=${WARDCAST_BUILD_DIR:?set WARDCAST_BUILD_DIR}
ctl=$build/wardcastctl
completion=$src/completion/wardcastctl.bash

[[ -x $ctl ]] || { echo "SKIP: build wardcastctl first"; exit 77; }
[[ -f $completion ]] || { echo "FAIL: $completion is missing"; exit 1; }

tmp=$(mktemp -d /tmp/wardcast-completion-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

# complete WORD... : the candidates for the last word, one a line, sorted. Runs in a
# fresh non-interactive bash in $tmp/files, as `bash -c` with only the completion sourced.
complete_words() {
    (cd "$tmp/files" && bash -c '
        source "$1" || exit 1
        shift
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        _wardcastctl wardcastctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "%s\n" "${COMPREPLY[@]}"' bash "$completion" "$@" | sed '/^$/d' | sort -u)
}
# expect "WHAT" "EXPECTED (space-separated)" WORD...: the candidates are exactly these.
expect() {
    local what=$1 want got
    want=$(tr ' ' '\n' <<<"$2" | sed '/^$/d' | sort -u)
    shift 2
    got=$(complete_words "$@")
    if [[ $got == "$want" ]]; then ok "$what"; else
        fail "$what: [$*] gave [$(echo $got)], expected [$(echo $want)]"
    fi
}
# expect_includes "WHAT" "EXPECTED" WORD...: at least these candidates.
expect_includes() {
    local what=$1 want=$2 got w missing=""
    shift 2
    got=$(complete_words "$@")
    for w in $want; do grep -qxF -- "$w" <<<"$got" || missing+=" $w"; done
    if [[ -z $missing ]]; then ok "$what"; else fail "$what: [$*] lacks$missing (gave: $(echo $got))"; fi
}

mkdir -p "$tmp/files/sub"
touch "$tmp/files/ward.yaml" "$tmp/files/old.yml" "$tmp/files/notes.txt" "$tmp/files/tin.mp3"

# Commands: exactly those of `wardcastctl --help`.
commands=$("$ctl" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[[ -n $commands ]] || { echo "FAIL: no commands parsed from wardcastctl --help"; exit 1; }
expect "wardcastctl <TAB> offers every command ($(echo $commands | wc -w))" \
    "$commands --help --version" wardcastctl ""
expect "wardcastctl st<TAB>" "status stop" wardcastctl st

# Each command's options: every one in its --help.
for command in $commands; do
    options=$("$ctl" "$command" --help | grep -oE '(^|[ ,])--[a-z][a-z-]*' | sed 's/^[ ,]//' |
              grep -vx -- '--version' | sort -u)
    expect_includes "wardcastctl $command --<TAB>" "$options" wardcastctl "$command" --
done

# Values.
priorities=$("$ctl" announce --help | sed -n 's/.*--priority TEXT:{\([^}]*\)}.*/\1/p' | tr ',' ' ')
[[ -n $priorities ]] || fail "no priorities parsed from wardcastctl announce --help"
expect "announce --priority <TAB>" "$priorities" wardcastctl announce --priority ""
expect "announce --priority=e<TAB>" "emergency" wardcastctl announce --priority = e
expect "announce --tts x --priority h<TAB>" "high" wardcastctl announce --tts "mất điện" --priority h
# The statuses as `log --help` lists them (from common/names.hpp's table).
statuses=$("$ctl" log --help | sed -n 's/.*only this status: //p' | tr -d ',')
[[ -n $statuses ]] || fail "no statuses parsed from wardcastctl log --help"
expect "log --status <TAB> ($(echo $statuses | wc -w))" "$statuses" wardcastctl log --status ""

# Files where a schedule is expected: *.yaml, *.yml and folders, nothing else.
expect "validate <TAB> offers schedule files" "ward.yaml old.yml sub" wardcastctl validate ""
expect "simulate --from DATE <TAB>" "ward.yaml old.yml sub" wardcastctl simulate --from 2026-12-01 ""
expect "simulate FILE <TAB> offers no second file" "" wardcastctl simulate ward.yaml ""
expect "announce <TAB> offers audio files" "tin.mp3 sub" wardcastctl announce ""

# Announcement and zone ids from the schedule (with its includes); the daemon, not
# running here, is skipped silently.
example=$src/schedules/examples/phuong-bo-de/schedule.yaml
export WARDCAST_SCHEDULE=$example WARDCAST_SOCKET=$tmp/no-daemon.sock
expect "play <TAB> offers the example's announcement ids" \
    "cchc-dvc-truc-tuyen cchc-mot-cua quy-tac-ung-xu-cong-chuc quy-tac-noi-cong-cong huong-dan-tai-sanh ket-qua-cchc-thang" \
    wardcastctl play ""
expect "play --zone <TAB> offers the zones" "to-dan-pho-1 to-dan-pho-2 bo-phan-mot-cua" \
    wardcastctl play cchc-mot-cua --zone ""
expect "announce --zone t<TAB>" "to-dan-pho-1 to-dan-pho-2" wardcastctl announce --zone t
expect "log --announcement cchc-<TAB>" "cchc-dvc-truc-tuyen cchc-mot-cua" \
    wardcastctl log --announcement cchc-
export WARDCAST_SCHEDULE=$tmp/missing.yaml
expect "play <TAB> without a readable schedule offers nothing, silently" "" wardcastctl play ""

# The starter schedule the package installs.
export WARDCAST_SCHEDULE=$src/packaging/schedule.yaml
expect "play <TAB> on the starter schedule" \
    "cchc-dvc-truc-tuyen cchc-mot-cua quy-tac-noi-cong-cong" wardcastctl play ""

# Loaded after bash-completion, as in an interactive shell, it still completes files.
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
    got=$(cd "$tmp/files" && bash -c 'source /usr/share/bash-completion/bash_completion; source "$1"
        COMP_WORDS=(wardcastctl validate w); COMP_CWORD=2; COMPREPLY=()
        _wardcastctl wardcastctl w validate; printf "%s\n" "${COMPREPLY[@]}"' bash "$completion" 2>&1)
    [[ $got == ward.yaml ]] && ok "with bash-completion loaded" || fail "with bash-completion loaded: $got"
    # `complete -p` shows it is registered for wardcastctl.
    bash -c 'source "$1"; complete -p wardcastctl' bash "$completion" | grep -q '_wardcastctl' ||
        fail "complete -F _wardcastctl wardcastctl is not registered"
fi

if ((failures)); then echo "$failures failures"; exit 1; fi
echo "all completion checks passed"
