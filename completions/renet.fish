# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_renet_global_optspecs
    string join \n h/help V/version
end

function __fish_renet_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_renet_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_renet_using_subcommand
    set -l cmd (__fish_renet_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c renet -n "__fish_renet_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_needs_command" -s V -l version -d 'Print version'
complete -c renet -n "__fish_renet_needs_command" -f -a "ip" -d 'Print a repository\'s address block, or one slot\'s address'
complete -c renet -n "__fish_renet_needs_command" -f -a "slots" -d 'Show and maintain the slot map (.rediacc.json): which service gets which address'
complete -c renet -n "__fish_renet_needs_command" -f -a "compose" -d 'Run Docker Compose for a repository on its own daemon, after rewriting the model'
complete -c renet -n "__fish_renet_needs_command" -f -a "daemon" -d 'Manage per-repository Docker daemons (one dockerd per network ID)'
complete -c renet -n "__fish_renet_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c renet -n "__fish_renet_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand ip" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand ip" -l slot -d 'Slot 0..=60 (service address = block + slot + 2)' -r
complete -c renet -n "__fish_renet_using_subcommand ip" -l json -d 'Print a JSON document instead of plain text'
complete -c renet -n "__fish_renet_using_subcommand ip" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -l repo -d 'Repository folder (see `renet compose --help`)' -r -F
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -l network-id -d 'Network ID, to show addresses [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -l json -d 'Print a JSON document instead of a table'
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -f -a "list" -d 'List every service with its slot, address, variable and saved restart policy (default)'
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -f -a "sync" -d 'Give every service named by the repository\'s compose files a slot'
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -f -a "prune" -d 'Free the slots of services that no compose file names any more'
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from list" -l repo -d 'Repository folder (see `renet compose --help`)' -r -F
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from list" -l network-id -d 'Network ID, to show addresses [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from list" -l json -d 'Print a JSON document instead of a table'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from sync" -s f -l file -d 'Compose file to read instead of discovering them (repeatable)' -r -F
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from sync" -l repo -d 'Repository folder (see `renet compose --help`)' -r -F
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from sync" -l network-id -d 'Network ID, to show addresses [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from sync" -l json -d 'Print a JSON document instead of a table'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from sync" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from prune" -l repo -d 'Repository folder (see `renet compose --help`)' -r -F
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from prune" -l network-id -d 'Network ID, to show addresses [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from prune" -l dry-run -d 'Show what would be freed, change nothing'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from prune" -l json -d 'Print a JSON document instead of a table'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from help" -f -a "list" -d 'List every service with its slot, address, variable and saved restart policy (default)'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from help" -f -a "sync" -d 'Give every service named by the repository\'s compose files a slot'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Free the slots of services that no compose file names any more'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand compose" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand compose" -l repo -d 'Repository folder [default: $REDIACC_WORKING_DIR, $REPOSITORY_PATH, the nearest folder upwards holding .rediacc.json or a Rediaccfile, else the current folder]' -r -F
complete -c renet -n "__fish_renet_using_subcommand compose" -l name -d 'Repository name for the rediacc.repo_name label [default: "name" in .rediacc.json, else the folder\'s name]' -r
complete -c renet -n "__fish_renet_using_subcommand compose" -l unsafe -d 'Allow dangerous settings (privileged, host pid/ipc/userns, SYS_ADMIN, system bind mounts)'
complete -c renet -n "__fish_renet_using_subcommand compose" -l dry-run -d 'Print the rewritten model (stdout), the variables and the compose command (stderr); run and write nothing'
complete -c renet -n "__fish_renet_using_subcommand compose" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand daemon; and not __fish_seen_subcommand_from start stop status list unit help" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand daemon; and not __fish_seen_subcommand_from start stop status list unit help" -f -a "start" -d 'Start the repository\'s dockerd (no-op when it already runs); returns once its API answers'
complete -c renet -n "__fish_renet_using_subcommand daemon; and not __fish_seen_subcommand_from start stop status list unit help" -f -a "stop" -d 'Stop the daemon: containers are stopped, then dockerd; the socket is removed'
complete -c renet -n "__fish_renet_using_subcommand daemon; and not __fish_seen_subcommand_from start stop status list unit help" -f -a "status" -d 'Show whether the daemon runs (exit 0) or not (exit 5)'
complete -c renet -n "__fish_renet_using_subcommand daemon; and not __fish_seen_subcommand_from start stop status list unit help" -f -a "list" -d 'List every daemon socket in $RENET_RUN_DIR with its state'
complete -c renet -n "__fish_renet_using_subcommand daemon; and not __fish_seen_subcommand_from start stop status list unit help" -f -a "unit" -d 'Print a systemd unit that runs this daemon'
complete -c renet -n "__fish_renet_using_subcommand daemon; and not __fish_seen_subcommand_from start stop status list unit help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from start" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from start" -l repo -d 'Repository folder: the daemon keeps its data in <DIR>/.rediacc/docker/data [default: $RENET_STATE_DIR/docker-<N>/data when no repository is known]' -r -F
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from start" -l timeout -d 'Seconds to wait for the API before giving up (the log tail is shown)' -r
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from start" -l json -d 'Print a JSON document'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from start" -l foreground -d 'Run dockerd in the foreground, replacing this process (for systemd units)'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l repo -d 'Repository folder: the daemon keeps its data in <DIR>/.rediacc/docker/data [default: $RENET_STATE_DIR/docker-<N>/data when no repository is known]' -r -F
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l timeout -d 'Seconds to wait for dockerd to exit before killing it' -r
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l json -d 'Print a JSON document'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from status" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from status" -l repo -d 'Repository folder: the daemon keeps its data in <DIR>/.rediacc/docker/data [default: $RENET_STATE_DIR/docker-<N>/data when no repository is known]' -r -F
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from status" -l json -d 'Print a JSON document'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from list" -l json -d 'Print a JSON document'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from unit" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from unit" -l repo -d 'Repository folder: the daemon keeps its data in <DIR>/.rediacc/docker/data [default: $RENET_STATE_DIR/docker-<N>/data when no repository is known]' -r -F
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from unit" -l json -d 'Print a JSON document'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from unit" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "start" -d 'Start the repository\'s dockerd (no-op when it already runs); returns once its API answers'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "stop" -d 'Stop the daemon: containers are stopped, then dockerd; the socket is removed'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show whether the daemon runs (exit 0) or not (exit 5)'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "list" -d 'List every daemon socket in $RENET_RUN_DIR with its state'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "unit" -d 'Print a systemd unit that runs this daemon'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand completions" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose daemon completions help" -f -a "ip" -d 'Print a repository\'s address block, or one slot\'s address'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose daemon completions help" -f -a "slots" -d 'Show and maintain the slot map (.rediacc.json): which service gets which address'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose daemon completions help" -f -a "compose" -d 'Run Docker Compose for a repository on its own daemon, after rewriting the model'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose daemon completions help" -f -a "daemon" -d 'Manage per-repository Docker daemons (one dockerd per network ID)'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose daemon completions help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose daemon completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from slots" -f -a "list" -d 'List every service with its slot, address, variable and saved restart policy (default)'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from slots" -f -a "sync" -d 'Give every service named by the repository\'s compose files a slot'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from slots" -f -a "prune" -d 'Free the slots of services that no compose file names any more'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "start" -d 'Start the repository\'s dockerd (no-op when it already runs); returns once its API answers'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "stop" -d 'Stop the daemon: containers are stopped, then dockerd; the socket is removed'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "status" -d 'Show whether the daemon runs (exit 0) or not (exit 5)'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "list" -d 'List every daemon socket in $RENET_RUN_DIR with its state'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "unit" -d 'Print a systemd unit that runs this daemon'
