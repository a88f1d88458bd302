# bash completion for wardcastctl(1)                         -*- shell-script -*-
#
# shellcheck disable=SC2207  # COMPREPLY=($(compgen ...)) is the completion idiom
# Commands and their options; schedule files (*.yaml) where a schedule is
# expected; announcement ids for `play` and zone ids for `--zone`, taken from
# the schedule file ($WARDCAST_SCHEDULE, else /etc/wardcast/schedule.yaml, with
# its includes) and from the running daemon (`wardcastctl next --json`);
# priorities, statuses and levels where they are fixed. Anything that cannot be
# read is left out silently.

_wardcastctl_schedule_ids() {  # $1: announcements | zones
    local main=${WARDCAST_SCHEDULE:-/etc/wardcast/schedule.yaml}
    [[ -r $main ]] || return 0
    local dir=${main%/*} files=("$main") inc f
    [[ $main == */* ]] || dir=.
    if [[ $1 == announcements ]]; then
        # include: [a/*.yaml, b.yaml] or a block list under include:
        while IFS= read -r inc; do
            for f in $dir/$inc; do [[ -r $f && $f != "$main" ]] && files+=("$f"); done
        done < <(awk '
            /^include:/ { s = $0; sub(/^include:[ \t]*/, "", s)
                          if (s ~ /^\[/) { gsub(/[][" \047]/, "", s); n = split(s, a, ",")
                                           for (i = 1; i <= n; i++) if (a[i] != "") print a[i]; next }
                          if (s != "" && s !~ /^#/) { gsub(/["\047]/, "", s); print s; next }
                          blk = 1; next }
            blk && /^[ \t]*-/ { s = $0; sub(/^[ \t]*-[ \t]*/, "", s); sub(/[ \t]+#.*/, "", s)
                                gsub(/["\047]/, "", s); print s; next }
            blk && /^[^ \t#]/ { blk = 0 }' "$main" 2>/dev/null)
    fi
    # `- id: X` items under the top-level key $1 (an included file holds only announcements).
    awk -v want="$1" '
        FNR == 1 { sect = (FILENAME == main) ? "" : "announcements" }
        /^[A-Za-z_]+:/ { sect = $1; sub(/:.*/, "", sect) }
        sect == want && /^[ \t]*-?[ \t]*id:/ { s = $0; sub(/^[ \t]*-?[ \t]*id:[ \t]*/, "", s)
                                               sub(/[ \t]+#.*/, "", s); gsub(/["\047 \t]/, "", s)
                                               if (s != "") print s }' main="$main" "${files[@]}" 2>/dev/null
}

_wardcastctl_daemon_ids() {  # ids of the next firings, if the daemon answers at once
    local ctl=$1
    command -v timeout >/dev/null || return 0
    timeout 1 "$ctl" next 1000 --json 2>/dev/null |
        grep -o '"announcement":"[^"]*"' | sed 's/.*:"//; s/"$//'
}

_wardcastctl_files() {  # $1: glob pattern such as '*.yaml'; also folders to walk into
    local IFS=$'\n' cur=$2 extglob
    extglob=$(shopt -p extglob)
    shopt -s extglob
    compopt -o filenames 2>/dev/null
    COMPREPLY+=($(compgen -d -- "$cur"))
    COMPREPLY+=($(compgen -f -X "!$1" -- "$cur"))
    eval "$extglob"
}

_wardcastctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=""
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    # `--priority=em` arrives as `--priority` `=` `em`.
    if [[ $cur == = ]]; then
        cur="" prev=${COMP_WORDS[COMP_CWORD - 1]}
    elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
        prev=${COMP_WORDS[COMP_CWORD - 2]}
    fi
    COMPREPLY=()

    local commands="validate simulate log verify report status next play announce live pause resume stop reload volume watch"
    local command="" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -*) ;;
            *) command=${COMP_WORDS[i]}; break ;;
        esac
    done

    if [[ -z $command ]]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return 0
    fi

    local online="--socket --json --help"
    local opts
    case $command in
        validate) opts="--json --help" ;;
        simulate) opts="--from --to --json --help" ;;
        log) opts="--db --from --to --announcement --status --all --csv --json --help" ;;
        verify) opts="--db --json --help" ;;
        report) opts="--db --month --from --to --csv --json --help" ;;
        play) opts="--zone $online" ;;
        announce) opts="--tts --voice --priority --zone $online" ;;
        live) opts="--source --priority --zone --max $online" ;;
        pause) opts="--until --for $online" ;;
        status | next | resume | stop | reload | volume | watch) opts=$online ;;
        *) return 0 ;;
    esac

    # The value of an option.
    case $prev in
        --priority) COMPREPLY=($(compgen -W "low normal high emergency" -- "$cur")); return 0 ;;
        --status) COMPREPLY=($(compgen -W "played failed skipped missed preempted cancelled interrupted" -- "$cur")); return 0 ;;
        --voice) COMPREPLY=($(compgen -W "vi en" -- "$cur")); return 0 ;;
        --zone) COMPREPLY=($(compgen -W "$(_wardcastctl_schedule_ids zones)" -- "$cur")); return 0 ;;
        --announcement) COMPREPLY=($(compgen -W "$(_wardcastctl_schedule_ids announcements)" -- "$cur")); return 0 ;;
        --db) _wardcastctl_files '*.db' "$cur"; return 0 ;;
        --socket) _wardcastctl_files '*.sock' "$cur"; return 0 ;;
        --from | --to | --until) COMPREPLY=($(compgen -W "$(date +%F 2>/dev/null) $(date -d tomorrow +%F 2>/dev/null)" -- "$cur")); return 0 ;;
        --month) COMPREPLY=($(compgen -W "$(date +%Y-%m 2>/dev/null) $(date -d 'last month' +%Y-%m 2>/dev/null)" -- "$cur")); return 0 ;;
        --for | --max) COMPREPLY=($(compgen -W "30m 1h 2h 1h30m" -- "$cur")); return 0 ;;
        --source) COMPREPLY=($(compgen -W "alsa:default alsa:hw:1,0 pulse: rtp://@:5004 http:// https://" -- "$cur")); return 0 ;;
        --tts) return 0 ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return 0
    fi

    # Positional arguments: how many came before this word (option values excluded).
    local npos=0 w
    for ((i = i + 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
            --json | --all | --csv | --help | =) ;;
            -*) [[ ${COMP_WORDS[i + 1]} == = ]] && ((i++)); ((i++)) ;;
            *) ((npos++)) ;;
        esac
    done

    case $command in
        validate | simulate) ((npos == 0)) && _wardcastctl_files '*.@(yaml|yml)' "$cur" ;;
        announce) ((npos == 0)) && _wardcastctl_files '*.@(wav|mp3|ogg|oga|flac|opus)' "$cur" ;;
        play)
            if ((npos == 0)); then
                local ids
                ids=$({ _wardcastctl_schedule_ids announcements; _wardcastctl_daemon_ids "${COMP_WORDS[0]}"; } | sort -u)
                COMPREPLY=($(compgen -W "$ids" -- "$cur"))
            fi
            ;;
        volume)
            if ((npos == 0)); then
                COMPREPLY=($(compgen -W "$(_wardcastctl_schedule_ids zones) 0.5 0.8 1.0" -- "$cur"))
            elif ((npos == 1)); then
                COMPREPLY=($(compgen -W "0.5 0.8 1.0" -- "$cur"))
            fi
            ;;
        next) ((npos == 0)) && COMPREPLY=($(compgen -W "5 10 20 50" -- "$cur")) ;;
    esac
    return 0
}
complete -F _wardcastctl wardcastctl
