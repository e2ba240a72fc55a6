#compdef renet

autoload -U is-at-least

_renet() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_renet_commands" \
"*::: :->renet" \
&& ret=0
    case $state in
    (renet)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-command-$line[1]:"
        case $line[1] in
            (ip)
_arguments "${_arguments_options[@]}" : \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--slot=[Slot 0..=60 (service address = block + slot + 2)]:S:_default' \
'--json[Print a JSON document instead of plain text]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(slots)
_arguments "${_arguments_options[@]}" : \
'--repo=[Repository folder (see \`renet compose --help\`)]:DIR:_files' \
'--network-id=[Network ID, to show addresses \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--json[Print a JSON document instead of a table]' \
'-h[Print help]' \
'--help[Print help]' \
":: :_renet__subcmd__slots_commands" \
"*::: :->slots" \
&& ret=0

    case $state in
    (slots)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-slots-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
'--repo=[Repository folder (see \`renet compose --help\`)]:DIR:_files' \
'--network-id=[Network ID, to show addresses \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--json[Print a JSON document instead of a table]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(sync)
_arguments "${_arguments_options[@]}" : \
'*-f+[Compose file to read instead of discovering them (repeatable)]:FILE:_files' \
'*--file=[Compose file to read instead of discovering them (repeatable)]:FILE:_files' \
'--repo=[Repository folder (see \`renet compose --help\`)]:DIR:_files' \
'--network-id=[Network ID, to show addresses \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--json[Print a JSON document instead of a table]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(prune)
_arguments "${_arguments_options[@]}" : \
'--repo=[Repository folder (see \`renet compose --help\`)]:DIR:_files' \
'--network-id=[Network ID, to show addresses \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--dry-run[Show what would be freed, change nothing]' \
'--json[Print a JSON document instead of a table]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_renet__subcmd__slots__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-slots-help-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(sync)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(prune)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(compose)
_arguments "${_arguments_options[@]}" : \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--repo=[Repository folder \[default\: \$REDIACC_WORKING_DIR, \$REPOSITORY_PATH, the nearest folder upwards holding .rediacc.json or a Rediaccfile, else the current folder\]]:DIR:_files' \
'--name=[Repository name for the rediacc.repo_name label \[default\: "name" in .rediacc.json, else the folder'\''s name\]]:NAME:_default' \
'--unsafe[Allow dangerous settings (privileged, host pid/ipc/userns, SYS_ADMIN, system bind mounts)]' \
'--dry-run[Print the rewritten model (stdout), the variables and the compose command (stderr); run and write nothing]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::args -- Arguments for docker compose, after `--`:_default' \
&& ret=0
;;
(daemon)
_arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
":: :_renet__subcmd__daemon_commands" \
"*::: :->daemon" \
&& ret=0

    case $state in
    (daemon)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-daemon-command-$line[1]:"
        case $line[1] in
            (start)
_arguments "${_arguments_options[@]}" : \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--repo=[Repository folder\: the daemon keeps its data in <DIR>/.rediacc/docker/data \[default\: \$RENET_STATE_DIR/docker-<N>/data when no repository is known\]]:DIR:_files' \
'--timeout=[Seconds to wait for the API before giving up (the log tail is shown)]:SECS:_default' \
'--json[Print a JSON document]' \
'--foreground[Run dockerd in the foreground, replacing this process (for systemd units)]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(stop)
_arguments "${_arguments_options[@]}" : \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--repo=[Repository folder\: the daemon keeps its data in <DIR>/.rediacc/docker/data \[default\: \$RENET_STATE_DIR/docker-<N>/data when no repository is known\]]:DIR:_files' \
'--timeout=[Seconds to wait for dockerd to exit before killing it]:SECS:_default' \
'--json[Print a JSON document]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--repo=[Repository folder\: the daemon keeps its data in <DIR>/.rediacc/docker/data \[default\: \$RENET_STATE_DIR/docker-<N>/data when no repository is known\]]:DIR:_files' \
'--json[Print a JSON document]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'--json[Print a JSON document]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(unit)
_arguments "${_arguments_options[@]}" : \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--repo=[Repository folder\: the daemon keeps its data in <DIR>/.rediacc/docker/data \[default\: \$RENET_STATE_DIR/docker-<N>/data when no repository is known\]]:DIR:_files' \
'--json[Print a JSON document]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_renet__subcmd__daemon__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-daemon-help-command-$line[1]:"
        case $line[1] in
            (start)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(stop)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(unit)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
':shell:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_renet__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-help-command-$line[1]:"
        case $line[1] in
            (ip)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(slots)
_arguments "${_arguments_options[@]}" : \
":: :_renet__subcmd__help__subcmd__slots_commands" \
"*::: :->slots" \
&& ret=0

    case $state in
    (slots)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-help-slots-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(sync)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(prune)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(compose)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(daemon)
_arguments "${_arguments_options[@]}" : \
":: :_renet__subcmd__help__subcmd__daemon_commands" \
"*::: :->daemon" \
&& ret=0

    case $state in
    (daemon)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-help-daemon-command-$line[1]:"
        case $line[1] in
            (start)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(stop)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(unit)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_renet_commands] )) ||
_renet_commands() {
    local commands; commands=(
'ip:Print a repository'\''s address block, or one slot'\''s address' \
'slots:Show and maintain the slot map (.rediacc.json)\: which service gets which address' \
'compose:Run Docker Compose for a repository on its own daemon, after rewriting the model' \
'daemon:Manage per-repository Docker daemons (one dockerd per network ID)' \
'completions:Print a shell completion script (bash, zsh, fish, elvish, powershell)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'renet commands' commands "$@"
}
(( $+functions[_renet__subcmd__completions_commands] )) ||
_renet__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'renet completions commands' commands "$@"
}
(( $+functions[_renet__subcmd__compose_commands] )) ||
_renet__subcmd__compose_commands() {
    local commands; commands=()
    _describe -t commands 'renet compose commands' commands "$@"
}
(( $+functions[_renet__subcmd__daemon_commands] )) ||
_renet__subcmd__daemon_commands() {
    local commands; commands=(
'start:Start the repository'\''s dockerd (no-op when it already runs); returns once its API answers' \
'stop:Stop the daemon\: containers are stopped, then dockerd; the socket is removed' \
'status:Show whether the daemon runs (exit 0) or not (exit 5)' \
'list:List every daemon socket in \$RENET_RUN_DIR with its state' \
'unit:Print a systemd unit that runs this daemon' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'renet daemon commands' commands "$@"
}
(( $+functions[_renet__subcmd__daemon__subcmd__help_commands] )) ||
_renet__subcmd__daemon__subcmd__help_commands() {
    local commands; commands=(
'start:Start the repository'\''s dockerd (no-op when it already runs); returns once its API answers' \
'stop:Stop the daemon\: containers are stopped, then dockerd; the socket is removed' \
'status:Show whether the daemon runs (exit 0) or not (exit 5)' \
'list:List every daemon socket in \$RENET_RUN_DIR with its state' \
'unit:Print a systemd unit that runs this daemon' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'renet daemon help commands' commands "$@"
}
(( $+functions[_renet__subcmd__daemon__subcmd__help__subcmd__help_commands] )) ||
_renet__subcmd__daemon__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'renet daemon help help commands' commands "$@"
}
(( $+functions[_renet__subcmd__daemon__subcmd__help__subcmd__list_commands] )) ||
_renet__subcmd__daemon__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'renet daemon help list commands' commands "$@"
}
(( $+functions[_renet__subcmd__daemon__subcmd__help__subcmd__start_commands] )) ||
_renet__subcmd__daemon__subcmd__help__subcmd__start_commands() {
    local commands; commands=()
    _describe -t commands 'renet daemon help start commands' commands "$@"
}
(( $+functions[_renet__subcmd__daemon__subcmd__help__subcmd__status_commands] )) ||
_renet__subcmd__daemon__subcmd__help__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'renet daemon help status commands' commands "$@"
}
(( $+functions[_renet__subcmd__daemon__subcmd__help__subcmd__stop_commands] )) ||
_renet__subcmd__daemon__subcmd__help__subcmd__stop_commands() {
    local commands; commands=()
    _describe -t commands 'renet daemon help stop commands' commands "$@"
}
(( $+functions[_renet__subcmd__daemon__subcmd__help__subcmd__unit_commands] )) ||
_renet__subcmd__daemon__subcmd__help__subcmd__unit_commands() {
    local commands; commands=()
    _describe -t commands 'renet daemon help unit commands' commands "$@"
}
(( $+functions[_renet__subcmd__daemon__subcmd__list_commands] )) ||
_renet__subcmd__daemon__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'renet daemon list commands' commands "$@"
}
(( $+functions[_renet__subcmd__daemon__subcmd__start_commands] )) ||
_renet__subcmd__daemon__subcmd__start_commands() {
    local commands; commands=()
    _describe -t commands 'renet daemon start commands' commands "$@"
}
(( $+functions[_renet__subcmd__daemon__subcmd__status_commands] )) ||
_renet__subcmd__daemon__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'renet daemon status commands' commands "$@"
}
(( $+functions[_renet__subcmd__daemon__subcmd__stop_commands] )) ||
_renet__subcmd__daemon__subcmd__stop_commands() {
    local commands; commands=()
    _describe -t commands 'renet daemon stop commands' commands "$@"
}
(( $+functions[_renet__subcmd__daemon__subcmd__unit_commands] )) ||
_renet__subcmd__daemon__subcmd__unit_commands() {
    local commands; commands=()
    _describe -t commands 'renet daemon unit commands' commands "$@"
}
(( $+functions[_renet__subcmd__help_commands] )) ||
_renet__subcmd__help_commands() {
    local commands; commands=(
'ip:Print a repository'\''s address block, or one slot'\''s address' \
'slots:Show and maintain the slot map (.rediacc.json)\: which service gets which address' \
'compose:Run Docker Compose for a repository on its own daemon, after rewriting the model' \
'daemon:Manage per-repository Docker daemons (one dockerd per network ID)' \
'completions:Print a shell completion script (bash, zsh, fish, elvish, powershell)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'renet help commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__completions_commands] )) ||
_renet__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'renet help completions commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__compose_commands] )) ||
_renet__subcmd__help__subcmd__compose_commands() {
    local commands; commands=()
    _describe -t commands 'renet help compose commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__daemon_commands] )) ||
_renet__subcmd__help__subcmd__daemon_commands() {
    local commands; commands=(
'start:Start the repository'\''s dockerd (no-op when it already runs); returns once its API answers' \
'stop:Stop the daemon\: containers are stopped, then dockerd; the socket is removed' \
'status:Show whether the daemon runs (exit 0) or not (exit 5)' \
'list:List every daemon socket in \$RENET_RUN_DIR with its state' \
'unit:Print a systemd unit that runs this daemon' \
    )
    _describe -t commands 'renet help daemon commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__daemon__subcmd__list_commands] )) ||
_renet__subcmd__help__subcmd__daemon__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'renet help daemon list commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__daemon__subcmd__start_commands] )) ||
_renet__subcmd__help__subcmd__daemon__subcmd__start_commands() {
    local commands; commands=()
    _describe -t commands 'renet help daemon start commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__daemon__subcmd__status_commands] )) ||
_renet__subcmd__help__subcmd__daemon__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'renet help daemon status commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__daemon__subcmd__stop_commands] )) ||
_renet__subcmd__help__subcmd__daemon__subcmd__stop_commands() {
    local commands; commands=()
    _describe -t commands 'renet help daemon stop commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__daemon__subcmd__unit_commands] )) ||
_renet__subcmd__help__subcmd__daemon__subcmd__unit_commands() {
    local commands; commands=()
    _describe -t commands 'renet help daemon unit commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__help_commands] )) ||
_renet__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'renet help help commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__ip_commands] )) ||
_renet__subcmd__help__subcmd__ip_commands() {
    local commands; commands=()
    _describe -t commands 'renet help ip commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__slots_commands] )) ||
_renet__subcmd__help__subcmd__slots_commands() {
    local commands; commands=(
'list:List every service with its slot, address, variable and saved restart policy (default)' \
'sync:Give every service named by the repository'\''s compose files a slot' \
'prune:Free the slots of services that no compose file names any more' \
    )
    _describe -t commands 'renet help slots commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__slots__subcmd__list_commands] )) ||
_renet__subcmd__help__subcmd__slots__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'renet help slots list commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__slots__subcmd__prune_commands] )) ||
_renet__subcmd__help__subcmd__slots__subcmd__prune_commands() {
    local commands; commands=()
    _describe -t commands 'renet help slots prune commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__slots__subcmd__sync_commands] )) ||
_renet__subcmd__help__subcmd__slots__subcmd__sync_commands() {
    local commands; commands=()
    _describe -t commands 'renet help slots sync commands' commands "$@"
}
(( $+functions[_renet__subcmd__ip_commands] )) ||
_renet__subcmd__ip_commands() {
    local commands; commands=()
    _describe -t commands 'renet ip commands' commands "$@"
}
(( $+functions[_renet__subcmd__slots_commands] )) ||
_renet__subcmd__slots_commands() {
    local commands; commands=(
'list:List every service with its slot, address, variable and saved restart policy (default)' \
'sync:Give every service named by the repository'\''s compose files a slot' \
'prune:Free the slots of services that no compose file names any more' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'renet slots commands' commands "$@"
}
(( $+functions[_renet__subcmd__slots__subcmd__help_commands] )) ||
_renet__subcmd__slots__subcmd__help_commands() {
    local commands; commands=(
'list:List every service with its slot, address, variable and saved restart policy (default)' \
'sync:Give every service named by the repository'\''s compose files a slot' \
'prune:Free the slots of services that no compose file names any more' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'renet slots help commands' commands "$@"
}
(( $+functions[_renet__subcmd__slots__subcmd__help__subcmd__help_commands] )) ||
_renet__subcmd__slots__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'renet slots help help commands' commands "$@"
}
(( $+functions[_renet__subcmd__slots__subcmd__help__subcmd__list_commands] )) ||
_renet__subcmd__slots__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'renet slots help list commands' commands "$@"
}
(( $+functions[_renet__subcmd__slots__subcmd__help__subcmd__prune_commands] )) ||
_renet__subcmd__slots__subcmd__help__subcmd__prune_commands() {
    local commands; commands=()
    _describe -t commands 'renet slots help prune commands' commands "$@"
}
(( $+functions[_renet__subcmd__slots__subcmd__help__subcmd__sync_commands] )) ||
_renet__subcmd__slots__subcmd__help__subcmd__sync_commands() {
    local commands; commands=()
    _describe -t commands 'renet slots help sync commands' commands "$@"
}
(( $+functions[_renet__subcmd__slots__subcmd__list_commands] )) ||
_renet__subcmd__slots__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'renet slots list commands' commands "$@"
}
(( $+functions[_renet__subcmd__slots__subcmd__prune_commands] )) ||
_renet__subcmd__slots__subcmd__prune_commands() {
    local commands; commands=()
    _describe -t commands 'renet slots prune commands' commands "$@"
}
(( $+functions[_renet__subcmd__slots__subcmd__sync_commands] )) ||
_renet__subcmd__slots__subcmd__sync_commands() {
    local commands; commands=()
    _describe -t commands 'renet slots sync commands' commands "$@"
}

if [ "$funcstack[1]" = "_renet" ]; then
    _renet "$@"
else
    compdef _renet renet
fi
