# bash completion for lockctl(1). Installed as share/bash-completion/completions/lockctl,
# where bash-completion loads it the first time `lockctl` is completed. Self-contained (only
# bash's own compgen), so that it also works sourced without the bash-completion package.

_lockctl_files() { # [-d]: directories only
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen "${1:--f}" -- "$cur"))
}

_lockctl_commands() {
    COMPREPLY=($(compgen -c -- "$cur" | sort -u))
}

_lockctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    COMPREPLY=()

    # The command and, for `redis`, its subcommand: the first words that are not options
    # (or values of the options that take one).
    local i command="" subcommand="" operands=0 after_dashes=""
    for ((i = 1; i < cword; i++)); do
        case "${words[i]}" in
            --) after_dashes=1; break ;;
            --url | --host | --ssh | --cacert | --cacertdir | --cert | --key | --sni | \
                --sentinel | --wait-replicas | --lock | --protocol) ((i++)); continue ;;
            -*) continue ;;
        esac
        if [[ -z $command ]]; then
            command=${words[i]}
        elif [[ $command == redis && -z $subcommand ]]; then
            subcommand=${words[i]}
        else
            ((operands++))
        fi
    done

    # After "--" (or, for hold and semaphore, after the operands) comes COMMAND: its name,
    # then files.
    if [[ -n $after_dashes ]]; then
        if ((cword == i + 1)); then _lockctl_commands; else _lockctl_files; fi
        return
    fi

    case "$prev" in
        --timeout | -w | --watch | --lease | --count | --max-value-bytes | --token | \
            --token-base64 | --match | --sni | --sentinel | --wait-replicas | --protocol | \
            --stuck-after)
            return ;;
        --watch-file | --watch-glob)
            _lockctl_files
            return ;;
        --watch-dir | --watch-semaphore)
            _lockctl_files -d
            return ;;
        --host | --ssh)
            COMPREPLY=($(compgen -A hostname -- "$cur"))
            return ;;
        --cacert | --cert | --key | --lock)
            _lockctl_files
            return ;;
        --cacertdir)
            _lockctl_files -d
            return ;;
        --backend)
            COMPREPLY=($(compgen -W 'flock posix ofd' -- "$cur"))
            return ;;
        --url)
            COMPREPLY=($(compgen -W 'redis:// unix://' -- "$cur"))
            compopt -o nospace
            return ;;
        --audit-log)
            _lockctl_files
            return ;;
        --pattern)
            return ;;
    esac

    local options
    case "$command" in
        "")
            COMPREPLY=($(compgen -W 'hold semaphore list who signal redis --host --help --version' -- "$cur"))
            return ;;
        hold)
            options='--shared --timeout --backend --help --'
            if [[ $cur != -* ]]; then
                if ((operands == 0)); then _lockctl_files; else _lockctl_commands; fi
                return
            fi ;;
        semaphore)
            options='--timeout --backend --help --'
            if [[ $cur != -* ]]; then
                case $operands in
                    0) _lockctl_files -d ;;
                    1 | 2) ;;
                    *) _lockctl_commands ;;
                esac
                return
            fi ;;
        list) options='--json --watch --protocol --watch-file --watch-dir --watch-glob --watch-semaphore --pattern --stuck-after --help' ;;
        signal) options='--lock --term --kill --cont --json --help' ;;
        who)
            options='--json --semaphore --pattern --help'
            if [[ $cur != -* ]]; then
                ((operands == 0)) && _lockctl_files
                return
            fi ;;
        redis)
            case "$subcommand" in
                "") options='hold list release --url --tls --cacert --cacertdir --cert --key --sni --insecure --sentinel --cluster --readonly --ssh --wait-replicas --help' ;;
                hold) options='--lease --channel --shared --timeout --help --' ;;
                list) options='--match --json --count --no-ping --no-channels --max-value-bytes --help' ;;
                release) options='--token --token-base64 --channel --yes --audit-log --help' ;;
                *) return ;;
            esac ;;
        *) return ;;
    esac
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
}
complete -F _lockctl lockctl
