# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_renet_global_optspecs
    string join \n json h/help V/version
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

complete -c renet -n "__fish_renet_needs_command" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_needs_command" -s V -l version -d 'Print version'
complete -c renet -n "__fish_renet_needs_command" -f -a "ip" -d 'Print a repository\'s address block, or one slot\'s address'
complete -c renet -n "__fish_renet_needs_command" -f -a "slots" -d 'Show and maintain the slot map (.rediacc.json): which service gets which address'
complete -c renet -n "__fish_renet_needs_command" -f -a "compose" -d 'Run Docker Compose for a repository on its own daemon, after rewriting the model'
complete -c renet -n "__fish_renet_needs_command" -f -a "docker" -d 'Run the docker CLI against the repository\'s own daemon'
complete -c renet -n "__fish_renet_needs_command" -f -a "daemon" -d 'Manage per-repository Docker daemons (one dockerd per network ID)'
complete -c renet -n "__fish_renet_needs_command" -f -a "ports" -d 'Lease, list and free the machine-wide external ports of rediacc.tcp_ports/udp_ports.'
complete -c renet -n "__fish_renet_needs_command" -f -a "repository" -d 'Bring a whole repository up or down: its daemon, its slots and its Rediaccfile hooks'
complete -c renet -n "__fish_renet_needs_command" -f -a "route-server" -d 'Serve Traefik\'s dynamic configuration built from every repository daemon\'s containers'
complete -c renet -n "__fish_renet_needs_command" -f -a "proxy" -d 'Traefik for the whole machine: its static configuration and systemd units'
complete -c renet -n "__fish_renet_needs_command" -f -a "machine" -d 'This machine\'s settings ($RENET_STATE_DIR/machine.json) and its systemd units'
complete -c renet -n "__fish_renet_needs_command" -f -a "doctor" -d 'Check this machine for what breaks repositories, and say what to do'
complete -c renet -n "__fish_renet_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c renet -n "__fish_renet_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand ip" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand ip" -l slot -d 'Slot 0..=60 (service address = block + slot + 2)' -r
complete -c renet -n "__fish_renet_using_subcommand ip" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand ip" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -l repo -d 'Repository folder (see `renet compose --help`)' -r -F
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -l network-id -d 'Network ID, to show addresses [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -f -a "list" -d 'List every service with its slot, address, variable and saved restart policy (default)'
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -f -a "sync" -d 'Give every service named by the repository\'s compose files a slot'
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -f -a "prune" -d 'Free the slots of services that no compose file names any more'
complete -c renet -n "__fish_renet_using_subcommand slots; and not __fish_seen_subcommand_from list sync prune help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from list" -l repo -d 'Repository folder (see `renet compose --help`)' -r -F
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from list" -l network-id -d 'Network ID, to show addresses [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from sync" -s f -l file -d 'Compose file to read instead of discovering them (repeatable)' -r -F
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from sync" -l repo -d 'Repository folder (see `renet compose --help`)' -r -F
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from sync" -l network-id -d 'Network ID, to show addresses [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from sync" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from sync" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from prune" -l repo -d 'Repository folder (see `renet compose --help`)' -r -F
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from prune" -l network-id -d 'Network ID, to show addresses [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from prune" -l dry-run -d 'Show what would be freed, change nothing'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from prune" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from help" -f -a "list" -d 'List every service with its slot, address, variable and saved restart policy (default)'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from help" -f -a "sync" -d 'Give every service named by the repository\'s compose files a slot'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Free the slots of services that no compose file names any more'
complete -c renet -n "__fish_renet_using_subcommand slots; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand compose" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand compose" -l repo -d 'Repository folder [default: $REDIACC_WORKING_DIR, $REPOSITORY_PATH, the nearest folder upwards holding .rediacc.json or a Rediaccfile, else the current folder]' -r -F
complete -c renet -n "__fish_renet_using_subcommand compose" -l name -d 'Repository name for the rediacc.repo_name label [default: "name" in .rediacc.json, else the folder\'s name]' -r
complete -c renet -n "__fish_renet_using_subcommand compose" -l rename -d 'Accept a --name other than the one .rediacc.json keeps, and keep the new one'
complete -c renet -n "__fish_renet_using_subcommand compose" -l unsafe -d 'Allow dangerous settings (privileged, host namespaces, powerful capabilities, devices, unconfined profiles, providers, mounts of system or renet folders)'
complete -c renet -n "__fish_renet_using_subcommand compose" -l dry-run -d 'Print the rewritten model (stdout), the variables and the compose command (stderr); run and write nothing'
complete -c renet -n "__fish_renet_using_subcommand compose" -l no-preflight -d 'Do not check, before `up`, that the ports the services will listen on are free'
complete -c renet -n "__fish_renet_using_subcommand compose" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand compose" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand docker" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand docker" -l repo -d 'Repository folder [default: $REDIACC_WORKING_DIR, $REPOSITORY_PATH, the nearest folder upwards holding .rediacc.json or a Rediaccfile, else the current folder]' -r -F
complete -c renet -n "__fish_renet_using_subcommand docker" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand docker" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand daemon; and not __fish_seen_subcommand_from start stop status list unit help" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
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
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from start" -l foreground -d 'Run dockerd in the foreground, replacing this process (for systemd units)'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from start" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l repo -d 'Repository folder: the daemon keeps its data in <DIR>/.rediacc/docker/data [default: $RENET_STATE_DIR/docker-<N>/data when no repository is known]' -r -F
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l timeout -d 'Seconds to wait for dockerd to exit before killing it' -r
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from stop" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from status" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from status" -l repo -d 'Repository folder: the daemon keeps its data in <DIR>/.rediacc/docker/data [default: $RENET_STATE_DIR/docker-<N>/data when no repository is known]' -r -F
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from status" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from unit" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from unit" -l repo -d 'Repository folder: the daemon keeps its data in <DIR>/.rediacc/docker/data [default: $RENET_STATE_DIR/docker-<N>/data when no repository is known]' -r -F
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from unit" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from unit" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "start" -d 'Start the repository\'s dockerd (no-op when it already runs); returns once its API answers'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "stop" -d 'Stop the daemon: containers are stopped, then dockerd; the socket is removed'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show whether the daemon runs (exit 0) or not (exit 5)'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "list" -d 'List every daemon socket in $RENET_RUN_DIR with its state'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "unit" -d 'Print a systemd unit that runs this daemon'
complete -c renet -n "__fish_renet_using_subcommand daemon; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand ports; and not __fish_seen_subcommand_from lease release list gc help" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand ports; and not __fish_seen_subcommand_from lease release list gc help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand ports; and not __fish_seen_subcommand_from lease release list gc help" -f -a "lease" -d 'Lease an external port for one service port and print it (stdout)'
complete -c renet -n "__fish_renet_using_subcommand ports; and not __fish_seen_subcommand_from lease release list gc help" -f -a "release" -d 'Free leases of a network: all of them, or those of one service, protocol or port'
complete -c renet -n "__fish_renet_using_subcommand ports; and not __fish_seen_subcommand_from lease release list gc help" -f -a "list" -d 'List every lease on this machine (or one network\'s), sorted by protocol and port'
complete -c renet -n "__fish_renet_using_subcommand ports; and not __fish_seen_subcommand_from lease release list gc help" -f -a "gc" -d 'Free leases whose daemon or service is gone'
complete -c renet -n "__fish_renet_using_subcommand ports; and not __fish_seen_subcommand_from lease release list gc help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from lease" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from lease" -l service -d 'Service name, as in the compose file' -r
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from lease" -l port -d 'The port the service listens on (1-65535)' -r
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from lease" -l proto -d 'Protocol: tcp and udp are separate pools' -r -f -a "tcp\t''
udp\t''"
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from lease" -l probe -d 'Skip free ports that another program already listens on (0.0.0.0), and report them. Off by default: the proxy itself listens on the whole lease range'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from lease" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from lease" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from release" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from release" -l service -d 'Only this service\'s leases' -r
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from release" -l port -d 'Only leases for this container port' -r
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from release" -l proto -d 'Only this protocol\'s leases' -r -f -a "tcp\t''
udp\t''"
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from release" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from release" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from list" -l network-id -d 'Only this network\'s leases (the environment is not consulted: the list is machine-wide by default)' -r
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from gc" -l dry-run -d 'Show what would be freed, change nothing'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from gc" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from gc" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from help" -f -a "lease" -d 'Lease an external port for one service port and print it (stdout)'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from help" -f -a "release" -d 'Free leases of a network: all of them, or those of one service, protocol or port'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from help" -f -a "list" -d 'List every lease on this machine (or one network\'s), sorted by protocol and port'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from help" -f -a "gc" -d 'Free leases whose daemon or service is gone'
complete -c renet -n "__fish_renet_using_subcommand ports; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand repository; and not __fish_seen_subcommand_from list up down status help" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand repository; and not __fish_seen_subcommand_from list up down status help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand repository; and not __fish_seen_subcommand_from list up down status help" -f -a "list" -d 'List the repositories `repository up` registered on this machine ($RENET_STATE_DIR/repositories.json): up or down, their daemon, services running/total, URLs and leases'
complete -c renet -n "__fish_renet_using_subcommand repository; and not __fish_seen_subcommand_from list up down status help" -f -a "up" -d 'Start the daemon if needed, sync slots, run prep and up in every Rediaccfile, then wait for the services\' ports (--wait); shows each service\'s URLs and leases'
complete -c renet -n "__fish_renet_using_subcommand repository; and not __fish_seen_subcommand_from list up down status help" -f -a "down" -d 'Run down in every Rediaccfile (subfolders Z to A, then the root); all are attempted. The registry keeps the repository, marked down (boot does not bring it up)'
complete -c renet -n "__fish_renet_using_subcommand repository; and not __fish_seen_subcommand_from list up down status help" -f -a "status" -d 'Daemon state, services with addresses and container states, each Rediaccfile\'s info'
complete -c renet -n "__fish_renet_using_subcommand repository; and not __fish_seen_subcommand_from list up down status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from up" -l path -d 'Repository folder (holds compose files, Rediaccfiles, .rediacc.json)' -r -F
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from up" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from up" -l name -d 'Repository name [default: "name" in .rediacc.json, else the folder\'s name]' -r
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from up" -l timeout -d 'Kill a Rediaccfile function (and everything it started) after this many seconds' -r
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from up" -l wait -d 'Wait up to SECS for every service\'s ports to listen on its address, then name the services that exited or never listened, with their last log lines (exit 1); 0: do not wait' -r
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from up" -l rename -d 'Accept a --name other than the one .rediacc.json keeps, and keep the new one'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from up" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from up" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from down" -l path -d 'Repository folder (holds compose files, Rediaccfiles, .rediacc.json)' -r -F
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from down" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from down" -l name -d 'Repository name [default: "name" in .rediacc.json, else the folder\'s name]' -r
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from down" -l timeout -d 'Kill a Rediaccfile function (and everything it started) after this many seconds' -r
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from down" -l stop-daemon -d 'Stop the repository\'s daemon afterwards'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from down" -l forget -d 'Also remove the repository from the registry ($RENET_STATE_DIR/repositories.json)'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from down" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from down" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from status" -l path -d 'Repository folder (holds compose files, Rediaccfiles, .rediacc.json)' -r -F
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from status" -l network-id -d 'Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]' -r
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from status" -l name -d 'Repository name [default: "name" in .rediacc.json, else the folder\'s name]' -r
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from status" -l timeout -d 'Kill an info function after this many seconds' -r
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from status" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the repositories `repository up` registered on this machine ($RENET_STATE_DIR/repositories.json): up or down, their daemon, services running/total, URLs and leases'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from help" -f -a "up" -d 'Start the daemon if needed, sync slots, run prep and up in every Rediaccfile, then wait for the services\' ports (--wait); shows each service\'s URLs and leases'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from help" -f -a "down" -d 'Run down in every Rediaccfile (subfolders Z to A, then the root); all are attempted. The registry keeps the repository, marked down (boot does not bring it up)'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from help" -f -a "status" -d 'Daemon state, services with addresses and container states, each Rediaccfile\'s info'
complete -c renet -n "__fish_renet_using_subcommand repository; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand route-server" -l listen -d 'Address to serve on; Traefik on this machine polls http://ADDR/config' -r
complete -c renet -n "__fish_renet_using_subcommand route-server" -l base-domain -d 'Base domain of every auto-route host [default: `renet machine` base_domain, else localhost]' -r
complete -c renet -n "__fish_renet_using_subcommand route-server" -l machine-name -d 'Machine name: auto-routes become {service}.{repo}.{machine}.{base-domain} (without it: {service}-{network-id}.{base-domain}) [default: `renet machine` machine_name]' -r
complete -c renet -n "__fish_renet_using_subcommand route-server" -l cert-resolver -d 'Certificate resolver for HTTP routes (e.g. letsencrypt, as `renet proxy config --cert-email` defines it); without it Traefik serves its default certificate [default: `renet machine` cert_resolver]' -r
complete -c renet -n "__fish_renet_using_subcommand route-server" -l entrypoints -d 'Entrypoints of HTTP routes (add websecure-v6 when `proxy config --bind-v6` is used)' -r
complete -c renet -n "__fish_renet_using_subcommand route-server" -l poll -d 'Re-list every daemon this often, the safety net: container events and daemon sockets made or removed in the run folder refresh at once; the watchdog also looks at every daemon then' -r
complete -c renet -n "__fish_renet_using_subcommand route-server" -l watchdog-grace -d 'How long a container that exited cleanly (code 0, maybe an operator\'s stop) stays stopped before the watchdog restarts it; a crash (non-zero exit) is restarted at once, backing off 1 s, 2 s, 4 s ... 5 min while it keeps crashing' -r
complete -c renet -n "__fish_renet_using_subcommand route-server" -l daemon-timeout -d 'How long one daemon may take to answer before it is reported and skipped' -r
complete -c renet -n "__fish_renet_using_subcommand route-server" -l no-watchdog -d 'Do not restart anything (routes only)'
complete -c renet -n "__fish_renet_using_subcommand route-server" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand route-server" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand proxy; and not __fish_seen_subcommand_from config unit status routes help" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand proxy; and not __fish_seen_subcommand_from config unit status routes help" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand proxy; and not __fish_seen_subcommand_from config unit status routes help" -f -a "config" -d 'Write Traefik\'s static configuration to DIR/traefik.yml (atomically)'
complete -c renet -n "__fish_renet_using_subcommand proxy; and not __fish_seen_subcommand_from config unit status routes help" -f -a "unit" -d 'Print systemd units for the route server (rediacc-router) and Traefik (rediacc-proxy)'
complete -c renet -n "__fish_renet_using_subcommand proxy; and not __fish_seen_subcommand_from config unit status routes help" -f -a "status" -d 'Ask the route server how it stands (/health): status, daemons, routers, problems'
complete -c renet -n "__fish_renet_using_subcommand proxy; and not __fish_seen_subcommand_from config unit status routes help" -f -a "routes" -d 'List the routes the route server serves (/routes.json) as `host -> backend`'
complete -c renet -n "__fish_renet_using_subcommand proxy; and not __fish_seen_subcommand_from config unit status routes help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l out -d 'Folder for traefik.yml (and acme.json, which Traefik writes) [default: `renet machine` proxy_config_dir, else /etc/rediacc/proxy]' -r -F
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l bind -d 'The machine\'s public address, the only one every entrypoint listens on (required: listening on every address would take the proxy\'s ports from every repository\'s own addresses) [default: `renet machine` public_address]' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l bind-v6 -d 'Also serve HTTPS on this IPv6 address (entrypoint websecure-v6); needs --bind' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l web-port -d 'Port of the web entrypoint (redirects to HTTPS)' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l websecure-port -d 'Port of the websecure entrypoints' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l tcp-ports -d 'Fixed TCP entrypoints (tcp-<port>), comma-separated; "" for none' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l udp-ports -d 'Fixed UDP entrypoints (udp-<port>), comma-separated; "" for none' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l lease-range -d 'Range of leased ports: tcp-<port> and udp-<port> for each [default: 10000-10010]' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l cert-email -d 'E-mail for Let\'s Encrypt; enables the certificate resolver [default: `renet machine` cert_email]' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l cert-resolver -d 'Name of the certificate resolver [default: `renet machine` cert_resolver, else letsencrypt]' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l cf-dns-token-file -d 'File holding the Cloudflare API token (noted in traefik.yml; `proxy unit` passes it)' -r -F
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l route-server -d 'The route server: its base URL (http://127.0.0.1:7111) or its /config URL [default: `renet machine` route_server, else http://127.0.0.1:7111/config]' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l poll-interval -d 'How often Traefik polls the route server' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l log-level -d 'Traefik\'s log level' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from config" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from unit" -l config-dir -d 'Folder holding traefik.yml (as given to `proxy config --out`) [default: `renet machine` proxy_config_dir, else /etc/rediacc/proxy]' -r -F
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from unit" -l traefik -d 'The Traefik binary' -r -F
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from unit" -l cf-dns-token-file -d 'File holding the Cloudflare API token (CF_DNS_API_TOKEN_FILE for Traefik)' -r -F
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from unit" -l listen -d 'Address of the route server' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from unit" -l base-domain -d 'Base domain of every auto-route host [default: `renet machine` base_domain, else localhost]' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from unit" -l machine-name -d 'Machine name: auto-routes become {service}.{repo}.{machine}.{base-domain} (without it: {service}-{network-id}.{base-domain}) [default: `renet machine` machine_name]' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from unit" -l cert-resolver -d 'Certificate resolver for HTTP routes (e.g. letsencrypt, as `renet proxy config --cert-email` defines it); without it Traefik serves its default certificate [default: `renet machine` cert_resolver]' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from unit" -l entrypoints -d 'Entrypoints of HTTP routes (add websecure-v6 when `proxy config --bind-v6` is used)' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from unit" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from unit" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from status" -l route-server -d 'The route server: its base URL (or any of its URLs)' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from status" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from routes" -l route-server -d 'The route server: its base URL (or any of its URLs)' -r
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from routes" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from routes" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from help" -f -a "config" -d 'Write Traefik\'s static configuration to DIR/traefik.yml (atomically)'
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from help" -f -a "unit" -d 'Print systemd units for the route server (rediacc-router) and Traefik (rediacc-proxy)'
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from help" -f -a "status" -d 'Ask the route server how it stands (/health): status, daemons, routers, problems'
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from help" -f -a "routes" -d 'List the routes the route server serves (/routes.json) as `host -> backend`'
complete -c renet -n "__fish_renet_using_subcommand proxy; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand machine; and not __fish_seen_subcommand_from set show units help" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand machine; and not __fish_seen_subcommand_from set show units help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand machine; and not __fish_seen_subcommand_from set show units help" -f -a "set" -d 'Change settings: flags not given keep their value, an empty value clears the key'
complete -c renet -n "__fish_renet_using_subcommand machine; and not __fish_seen_subcommand_from set show units help" -f -a "show" -d 'Print the settings as `key: value` lines (or JSON with --json)'
complete -c renet -n "__fish_renet_using_subcommand machine; and not __fish_seen_subcommand_from set show units help" -f -a "units" -d 'Write systemd units for the router, the proxy, every registered repository\'s daemon and rediacc-repositories.service (runs `renet repository up` for each at boot)'
complete -c renet -n "__fish_renet_using_subcommand machine; and not __fish_seen_subcommand_from set show units help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from set" -l base-domain -d 'Base domain of every auto-route host' -r
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from set" -l machine-name -d 'Machine name (one DNS label): auto-routes become {service}.{repo}.{machine}.{domain}' -r
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from set" -l public-address -d 'The machine\'s public address: where the proxy listens (`proxy config --bind`)' -r
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from set" -l cert-email -d 'E-mail for Let\'s Encrypt (`proxy config --cert-email`)' -r
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from set" -l cert-resolver -d 'Certificate resolver name (`proxy config`/`route-server --cert-resolver`)' -r
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from set" -l route-server -d 'The route server\'s URL as Traefik polls it (`proxy config --route-server`)' -r
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from set" -l proxy-config-dir -d 'Folder of the proxy\'s traefik.yml (`proxy config --out`, `proxy unit`/`machine units --config-dir`, `doctor --proxy-config`)' -r
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from set" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from units" -l root -d 'Root folder: units go to DIR/etc/systemd/system/' -r -F
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from units" -l config-dir -d 'Folder holding traefik.yml (as given to `proxy config --out`) [default: `renet machine` proxy_config_dir, else /etc/rediacc/proxy]' -r -F
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from units" -l traefik -d 'The Traefik binary' -r -F
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from units" -l cf-dns-token-file -d 'File holding the Cloudflare API token (CF_DNS_API_TOKEN_FILE for Traefik)' -r -F
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from units" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from units" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from help" -f -a "set" -d 'Change settings: flags not given keep their value, an empty value clears the key'
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the settings as `key: value` lines (or JSON with --json)'
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from help" -f -a "units" -d 'Write systemd units for the router, the proxy, every registered repository\'s daemon and rediacc-repositories.service (runs `renet repository up` for each at boot)'
complete -c renet -n "__fish_renet_using_subcommand machine; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand doctor" -l route-server -d 'The route server: its base URL (or any of its URLs) [default: `renet machine` route_server, else http://127.0.0.1:7111]' -r
complete -c renet -n "__fish_renet_using_subcommand doctor" -l proxy-config -d 'Folder holding the proxy\'s traefik.yml (as given to `proxy config --out`) [default: `renet machine` proxy_config_dir, else /etc/rediacc/proxy]' -r -F
complete -c renet -n "__fish_renet_using_subcommand doctor" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c renet -n "__fish_renet_using_subcommand completions" -l json -d 'Print one JSON document on stdout (an error too); progress stays on stderr'
complete -c renet -n "__fish_renet_using_subcommand completions" -s h -l help -d 'Print help'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose docker daemon ports repository route-server proxy machine doctor completions help" -f -a "ip" -d 'Print a repository\'s address block, or one slot\'s address'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose docker daemon ports repository route-server proxy machine doctor completions help" -f -a "slots" -d 'Show and maintain the slot map (.rediacc.json): which service gets which address'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose docker daemon ports repository route-server proxy machine doctor completions help" -f -a "compose" -d 'Run Docker Compose for a repository on its own daemon, after rewriting the model'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose docker daemon ports repository route-server proxy machine doctor completions help" -f -a "docker" -d 'Run the docker CLI against the repository\'s own daemon'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose docker daemon ports repository route-server proxy machine doctor completions help" -f -a "daemon" -d 'Manage per-repository Docker daemons (one dockerd per network ID)'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose docker daemon ports repository route-server proxy machine doctor completions help" -f -a "ports" -d 'Lease, list and free the machine-wide external ports of rediacc.tcp_ports/udp_ports.'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose docker daemon ports repository route-server proxy machine doctor completions help" -f -a "repository" -d 'Bring a whole repository up or down: its daemon, its slots and its Rediaccfile hooks'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose docker daemon ports repository route-server proxy machine doctor completions help" -f -a "route-server" -d 'Serve Traefik\'s dynamic configuration built from every repository daemon\'s containers'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose docker daemon ports repository route-server proxy machine doctor completions help" -f -a "proxy" -d 'Traefik for the whole machine: its static configuration and systemd units'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose docker daemon ports repository route-server proxy machine doctor completions help" -f -a "machine" -d 'This machine\'s settings ($RENET_STATE_DIR/machine.json) and its systemd units'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose docker daemon ports repository route-server proxy machine doctor completions help" -f -a "doctor" -d 'Check this machine for what breaks repositories, and say what to do'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose docker daemon ports repository route-server proxy machine doctor completions help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c renet -n "__fish_renet_using_subcommand help; and not __fish_seen_subcommand_from ip slots compose docker daemon ports repository route-server proxy machine doctor completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from slots" -f -a "list" -d 'List every service with its slot, address, variable and saved restart policy (default)'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from slots" -f -a "sync" -d 'Give every service named by the repository\'s compose files a slot'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from slots" -f -a "prune" -d 'Free the slots of services that no compose file names any more'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "start" -d 'Start the repository\'s dockerd (no-op when it already runs); returns once its API answers'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "stop" -d 'Stop the daemon: containers are stopped, then dockerd; the socket is removed'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "status" -d 'Show whether the daemon runs (exit 0) or not (exit 5)'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "list" -d 'List every daemon socket in $RENET_RUN_DIR with its state'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from daemon" -f -a "unit" -d 'Print a systemd unit that runs this daemon'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from ports" -f -a "lease" -d 'Lease an external port for one service port and print it (stdout)'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from ports" -f -a "release" -d 'Free leases of a network: all of them, or those of one service, protocol or port'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from ports" -f -a "list" -d 'List every lease on this machine (or one network\'s), sorted by protocol and port'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from ports" -f -a "gc" -d 'Free leases whose daemon or service is gone'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from repository" -f -a "list" -d 'List the repositories `repository up` registered on this machine ($RENET_STATE_DIR/repositories.json): up or down, their daemon, services running/total, URLs and leases'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from repository" -f -a "up" -d 'Start the daemon if needed, sync slots, run prep and up in every Rediaccfile, then wait for the services\' ports (--wait); shows each service\'s URLs and leases'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from repository" -f -a "down" -d 'Run down in every Rediaccfile (subfolders Z to A, then the root); all are attempted. The registry keeps the repository, marked down (boot does not bring it up)'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from repository" -f -a "status" -d 'Daemon state, services with addresses and container states, each Rediaccfile\'s info'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from proxy" -f -a "config" -d 'Write Traefik\'s static configuration to DIR/traefik.yml (atomically)'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from proxy" -f -a "unit" -d 'Print systemd units for the route server (rediacc-router) and Traefik (rediacc-proxy)'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from proxy" -f -a "status" -d 'Ask the route server how it stands (/health): status, daemons, routers, problems'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from proxy" -f -a "routes" -d 'List the routes the route server serves (/routes.json) as `host -> backend`'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from machine" -f -a "set" -d 'Change settings: flags not given keep their value, an empty value clears the key'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from machine" -f -a "show" -d 'Print the settings as `key: value` lines (or JSON with --json)'
complete -c renet -n "__fish_renet_using_subcommand help; and __fish_seen_subcommand_from machine" -f -a "units" -d 'Write systemd units for the router, the proxy, every registered repository\'s daemon and rediacc-repositories.service (runs `renet repository up` for each at boot)'
