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
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
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
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(slots)
_arguments "${_arguments_options[@]}" : \
'--repo=[Repository folder (see \`renet compose --help\`)]:DIR:_files' \
'--network-id=[Network ID, to show addresses \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
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
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
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
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(prune)
_arguments "${_arguments_options[@]}" : \
'--repo=[Repository folder (see \`renet compose --help\`)]:DIR:_files' \
'--network-id=[Network ID, to show addresses \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--dry-run[Show what would be freed, change nothing]' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
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
'--rename[Accept a --name other than the one .rediacc.json keeps, and keep the new one]' \
'--unsafe[Allow dangerous settings (privileged, host namespaces, powerful capabilities, devices, unconfined profiles, providers, mounts of system or renet folders)]' \
'--dry-run[Print the rewritten model (stdout), the variables and the compose command (stderr); run and write nothing]' \
'--no-preflight[Do not check, before \`up\`, that the ports the services will listen on are free]' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::args -- Arguments for docker compose, after `--`:_default' \
&& ret=0
;;
(docker)
_arguments "${_arguments_options[@]}" : \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--repo=[Repository folder \[default\: \$REDIACC_WORKING_DIR, \$REPOSITORY_PATH, the nearest folder upwards holding .rediacc.json or a Rediaccfile, else the current folder\]]:DIR:_files' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::args -- Arguments for docker, after `--`:_default' \
&& ret=0
;;
(daemon)
_arguments "${_arguments_options[@]}" : \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
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
'--foreground[Run dockerd in the foreground, replacing this process (for systemd units)]' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(stop)
_arguments "${_arguments_options[@]}" : \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--repo=[Repository folder\: the daemon keeps its data in <DIR>/.rediacc/docker/data \[default\: \$RENET_STATE_DIR/docker-<N>/data when no repository is known\]]:DIR:_files' \
'--timeout=[Seconds to wait for dockerd to exit before killing it]:SECS:_default' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--repo=[Repository folder\: the daemon keeps its data in <DIR>/.rediacc/docker/data \[default\: \$RENET_STATE_DIR/docker-<N>/data when no repository is known\]]:DIR:_files' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(unit)
_arguments "${_arguments_options[@]}" : \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--repo=[Repository folder\: the daemon keeps its data in <DIR>/.rediacc/docker/data \[default\: \$RENET_STATE_DIR/docker-<N>/data when no repository is known\]]:DIR:_files' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
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
(ports)
_arguments "${_arguments_options[@]}" : \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
":: :_renet__subcmd__ports_commands" \
"*::: :->ports" \
&& ret=0

    case $state in
    (ports)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-ports-command-$line[1]:"
        case $line[1] in
            (lease)
_arguments "${_arguments_options[@]}" : \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--service=[Service name, as in the compose file]:NAME:_default' \
'--port=[The port the service listens on (1-65535)]:PORT:_default' \
'--proto=[Protocol\: tcp and udp are separate pools]:PROTO:(tcp udp)' \
'--probe[Skip free ports that another program already listens on (0.0.0.0), and report them. Off by default\: the proxy itself listens on the whole lease range]' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(release)
_arguments "${_arguments_options[@]}" : \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--service=[Only this service'\''s leases]:NAME:_default' \
'--port=[Only leases for this container port]:PORT:_default' \
'--proto=[Only this protocol'\''s leases]:PROTO:(tcp udp)' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
'--network-id=[Only this network'\''s leases (the environment is not consulted\: the list is machine-wide by default)]:N:_default' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(gc)
_arguments "${_arguments_options[@]}" : \
'--dry-run[Show what would be freed, change nothing]' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_renet__subcmd__ports__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-ports-help-command-$line[1]:"
        case $line[1] in
            (lease)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(release)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(gc)
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
(repository)
_arguments "${_arguments_options[@]}" : \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
":: :_renet__subcmd__repository_commands" \
"*::: :->repository" \
&& ret=0

    case $state in
    (repository)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-repository-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(up)
_arguments "${_arguments_options[@]}" : \
'--path=[Repository folder (holds compose files, Rediaccfiles, .rediacc.json)]:DIR:_files' \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--name=[Repository name \[default\: "name" in .rediacc.json, else the folder'\''s name\]]:NAME:_default' \
'--timeout=[Kill a Rediaccfile function (and everything it started) after this many seconds]:SECS:_default' \
'--wait=[Wait up to SECS for every service'\''s ports to listen on its address, then name the services that exited or never listened, with their last log lines (exit 1); 0\: do not wait]:SECS:_default' \
'--rename[Accept a --name other than the one .rediacc.json keeps, and keep the new one]' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(down)
_arguments "${_arguments_options[@]}" : \
'--path=[Repository folder (holds compose files, Rediaccfiles, .rediacc.json)]:DIR:_files' \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--name=[Repository name \[default\: "name" in .rediacc.json, else the folder'\''s name\]]:NAME:_default' \
'--timeout=[Kill a Rediaccfile function (and everything it started) after this many seconds]:SECS:_default' \
'--stop-daemon[Stop the repository'\''s daemon afterwards]' \
'--forget[Also remove the repository from the registry (\$RENET_STATE_DIR/repositories.json)]' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
'--path=[Repository folder (holds compose files, Rediaccfiles, .rediacc.json)]:DIR:_files' \
'--network-id=[Network ID\: 2816 + 64*n, up to 16711680 \[env\: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID\]]:N:_default' \
'--name=[Repository name \[default\: "name" in .rediacc.json, else the folder'\''s name\]]:NAME:_default' \
'--timeout=[Kill an info function after this many seconds]:SECS:_default' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_renet__subcmd__repository__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-repository-help-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(up)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(down)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
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
(route-server)
_arguments "${_arguments_options[@]}" : \
'--listen=[Address to serve on; Traefik on this machine polls http\://ADDR/config]:ADDR:_default' \
'--base-domain=[Base domain of every auto-route host \[default\: \`renet machine\` base_domain, else localhost\]]:DOMAIN:_default' \
'--machine-name=[Machine name\: auto-routes become {service}.{repo}.{machine}.{base-domain} (without it\: {service}-{network-id}.{base-domain}) \[default\: \`renet machine\` machine_name\]]:NAME:_default' \
'--cert-resolver=[Certificate resolver for HTTP routes (e.g. letsencrypt, as \`renet proxy config --cert-email\` defines it); without it Traefik serves its default certificate \[default\: \`renet machine\` cert_resolver\]]:NAME:_default' \
'*--entrypoints=[Entrypoints of HTTP routes (add websecure-v6 when \`proxy config --bind-v6\` is used)]:NAMES:_default' \
'--poll=[Re-list every daemon this often, the safety net\: container events and daemon sockets made or removed in the run folder refresh at once; the watchdog also looks at every daemon then]:DURATION:_default' \
'--watchdog-grace=[How long a container that exited cleanly (code 0, maybe an operator'\''s stop) stays stopped before the watchdog restarts it; a crash (non-zero exit) is restarted at once, backing off 1 s, 2 s, 4 s ... 5 min while it keeps crashing]:DURATION:_default' \
'--daemon-timeout=[How long one daemon may take to answer before it is reported and skipped]:DURATION:_default' \
'--no-watchdog[Do not restart anything (routes only)]' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(proxy)
_arguments "${_arguments_options[@]}" : \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
":: :_renet__subcmd__proxy_commands" \
"*::: :->proxy" \
&& ret=0

    case $state in
    (proxy)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-proxy-command-$line[1]:"
        case $line[1] in
            (config)
_arguments "${_arguments_options[@]}" : \
'--out=[Folder for traefik.yml (and acme.json, which Traefik writes) \[default\: \`renet machine\` proxy_config_dir, else /etc/rediacc/proxy\]]:DIR:_files' \
'--bind=[The machine'\''s public address, the only one every entrypoint listens on (required\: listening on every address would take the proxy'\''s ports from every repository'\''s own addresses) \[default\: \`renet machine\` public_address\]]:ADDR:_default' \
'--bind-v6=[Also serve HTTPS on this IPv6 address (entrypoint websecure-v6); needs --bind]:ADDR6:_default' \
'--web-port=[Port of the web entrypoint (redirects to HTTPS)]:PORT:_default' \
'--websecure-port=[Port of the websecure entrypoints]:PORT:_default' \
'--tcp-ports=[Fixed TCP entrypoints (tcp-<port>), comma-separated; "" for none]:PORTS:_default' \
'--udp-ports=[Fixed UDP entrypoints (udp-<port>), comma-separated; "" for none]:PORTS:_default' \
'--lease-range=[Range of leased ports\: tcp-<port> and udp-<port> for each \[default\: 10000-10010\]]:FIRST-LAST:_default' \
'--cert-email=[E-mail for Let'\''s Encrypt; enables the certificate resolver \[default\: \`renet machine\` cert_email\]]:EMAIL:_default' \
'--cert-resolver=[Name of the certificate resolver \[default\: \`renet machine\` cert_resolver, else letsencrypt\]]:NAME:_default' \
'--cf-dns-token-file=[File holding the Cloudflare API token (noted in traefik.yml; \`proxy unit\` passes it)]:FILE:_files' \
'--route-server=[The route server\: its base URL (http\://127.0.0.1\:7111) or its /config URL \[default\: \`renet machine\` route_server, else http\://127.0.0.1\:7111/config\]]:URL:_default' \
'--poll-interval=[How often Traefik polls the route server]:DURATION:_default' \
'--log-level=[Traefik'\''s log level]:LEVEL:_default' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(unit)
_arguments "${_arguments_options[@]}" : \
'--config-dir=[Folder holding traefik.yml (as given to \`proxy config --out\`) \[default\: \`renet machine\` proxy_config_dir, else /etc/rediacc/proxy\]]:DIR:_files' \
'--traefik=[The Traefik binary]:PATH:_files' \
'--cf-dns-token-file=[File holding the Cloudflare API token (CF_DNS_API_TOKEN_FILE for Traefik)]:FILE:_files' \
'--listen=[Address of the route server]:ADDR:_default' \
'--base-domain=[Base domain of every auto-route host \[default\: \`renet machine\` base_domain, else localhost\]]:DOMAIN:_default' \
'--machine-name=[Machine name\: auto-routes become {service}.{repo}.{machine}.{base-domain} (without it\: {service}-{network-id}.{base-domain}) \[default\: \`renet machine\` machine_name\]]:NAME:_default' \
'--cert-resolver=[Certificate resolver for HTTP routes (e.g. letsencrypt, as \`renet proxy config --cert-email\` defines it); without it Traefik serves its default certificate \[default\: \`renet machine\` cert_resolver\]]:NAME:_default' \
'*--entrypoints=[Entrypoints of HTTP routes (add websecure-v6 when \`proxy config --bind-v6\` is used)]:NAMES:_default' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
'--route-server=[The route server\: its base URL (or any of its URLs)]:URL:_default' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(routes)
_arguments "${_arguments_options[@]}" : \
'--route-server=[The route server\: its base URL (or any of its URLs)]:URL:_default' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_renet__subcmd__proxy__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-proxy-help-command-$line[1]:"
        case $line[1] in
            (config)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(unit)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(routes)
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
(machine)
_arguments "${_arguments_options[@]}" : \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
":: :_renet__subcmd__machine_commands" \
"*::: :->machine" \
&& ret=0

    case $state in
    (machine)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-machine-command-$line[1]:"
        case $line[1] in
            (set)
_arguments "${_arguments_options[@]}" : \
'--base-domain=[Base domain of every auto-route host]:DOMAIN:_default' \
'--machine-name=[Machine name (one DNS label)\: auto-routes become {service}.{repo}.{machine}.{domain}]:NAME:_default' \
'--public-address=[The machine'\''s public address\: where the proxy listens (\`proxy config --bind\`)]:IP:_default' \
'--cert-email=[E-mail for Let'\''s Encrypt (\`proxy config --cert-email\`)]:EMAIL:_default' \
'--cert-resolver=[Certificate resolver name (\`proxy config\`/\`route-server --cert-resolver\`)]:NAME:_default' \
'--route-server=[The route server'\''s URL as Traefik polls it (\`proxy config --route-server\`)]:URL:_default' \
'--proxy-config-dir=[Folder of the proxy'\''s traefik.yml (\`proxy config --out\`, \`proxy unit\`/\`machine units --config-dir\`, \`doctor --proxy-config\`)]:DIR:_default' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(units)
_arguments "${_arguments_options[@]}" : \
'--root=[Root folder\: units go to DIR/etc/systemd/system/]:DIR:_files' \
'--config-dir=[Folder holding traefik.yml (as given to \`proxy config --out\`) \[default\: \`renet machine\` proxy_config_dir, else /etc/rediacc/proxy\]]:DIR:_files' \
'--traefik=[The Traefik binary]:PATH:_files' \
'--cf-dns-token-file=[File holding the Cloudflare API token (CF_DNS_API_TOKEN_FILE for Traefik)]:FILE:_files' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_renet__subcmd__machine__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-machine-help-command-$line[1]:"
        case $line[1] in
            (set)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(units)
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
(doctor)
_arguments "${_arguments_options[@]}" : \
'--route-server=[The route server\: its base URL (or any of its URLs) \[default\: \`renet machine\` route_server, else http\://127.0.0.1\:7111\]]:URL:_default' \
'--proxy-config=[Folder holding the proxy'\''s traefik.yml (as given to \`proxy config --out\`) \[default\: \`renet machine\` proxy_config_dir, else /etc/rediacc/proxy\]]:DIR:_files' \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'--json[Print one JSON document on stdout (an error too); progress stays on stderr]' \
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
(docker)
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
(ports)
_arguments "${_arguments_options[@]}" : \
":: :_renet__subcmd__help__subcmd__ports_commands" \
"*::: :->ports" \
&& ret=0

    case $state in
    (ports)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-help-ports-command-$line[1]:"
        case $line[1] in
            (lease)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(release)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(gc)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(repository)
_arguments "${_arguments_options[@]}" : \
":: :_renet__subcmd__help__subcmd__repository_commands" \
"*::: :->repository" \
&& ret=0

    case $state in
    (repository)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-help-repository-command-$line[1]:"
        case $line[1] in
            (list)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(up)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(down)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(route-server)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(proxy)
_arguments "${_arguments_options[@]}" : \
":: :_renet__subcmd__help__subcmd__proxy_commands" \
"*::: :->proxy" \
&& ret=0

    case $state in
    (proxy)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-help-proxy-command-$line[1]:"
        case $line[1] in
            (config)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(unit)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(status)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(routes)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(machine)
_arguments "${_arguments_options[@]}" : \
":: :_renet__subcmd__help__subcmd__machine_commands" \
"*::: :->machine" \
&& ret=0

    case $state in
    (machine)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:renet-help-machine-command-$line[1]:"
        case $line[1] in
            (set)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(show)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(units)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
(doctor)
_arguments "${_arguments_options[@]}" : \
&& ret=0
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
'docker:Run the docker CLI against the repository'\''s own daemon' \
'daemon:Manage per-repository Docker daemons (one dockerd per network ID)' \
'ports:Lease, list and free the machine-wide external ports of rediacc.tcp_ports/udp_ports.' \
'repository:Bring a whole repository up or down\: its daemon, its slots and its Rediaccfile hooks' \
'route-server:Serve Traefik'\''s dynamic configuration built from every repository daemon'\''s containers' \
'proxy:Traefik for the whole machine\: its static configuration and systemd units' \
'machine:This machine'\''s settings (\$RENET_STATE_DIR/machine.json) and its systemd units' \
'doctor:Check this machine for what breaks repositories, and say what to do' \
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
(( $+functions[_renet__subcmd__docker_commands] )) ||
_renet__subcmd__docker_commands() {
    local commands; commands=()
    _describe -t commands 'renet docker commands' commands "$@"
}
(( $+functions[_renet__subcmd__doctor_commands] )) ||
_renet__subcmd__doctor_commands() {
    local commands; commands=()
    _describe -t commands 'renet doctor commands' commands "$@"
}
(( $+functions[_renet__subcmd__help_commands] )) ||
_renet__subcmd__help_commands() {
    local commands; commands=(
'ip:Print a repository'\''s address block, or one slot'\''s address' \
'slots:Show and maintain the slot map (.rediacc.json)\: which service gets which address' \
'compose:Run Docker Compose for a repository on its own daemon, after rewriting the model' \
'docker:Run the docker CLI against the repository'\''s own daemon' \
'daemon:Manage per-repository Docker daemons (one dockerd per network ID)' \
'ports:Lease, list and free the machine-wide external ports of rediacc.tcp_ports/udp_ports.' \
'repository:Bring a whole repository up or down\: its daemon, its slots and its Rediaccfile hooks' \
'route-server:Serve Traefik'\''s dynamic configuration built from every repository daemon'\''s containers' \
'proxy:Traefik for the whole machine\: its static configuration and systemd units' \
'machine:This machine'\''s settings (\$RENET_STATE_DIR/machine.json) and its systemd units' \
'doctor:Check this machine for what breaks repositories, and say what to do' \
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
(( $+functions[_renet__subcmd__help__subcmd__docker_commands] )) ||
_renet__subcmd__help__subcmd__docker_commands() {
    local commands; commands=()
    _describe -t commands 'renet help docker commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__doctor_commands] )) ||
_renet__subcmd__help__subcmd__doctor_commands() {
    local commands; commands=()
    _describe -t commands 'renet help doctor commands' commands "$@"
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
(( $+functions[_renet__subcmd__help__subcmd__machine_commands] )) ||
_renet__subcmd__help__subcmd__machine_commands() {
    local commands; commands=(
'set:Change settings\: flags not given keep their value, an empty value clears the key' \
'show:Print the settings as \`key\: value\` lines (or JSON with --json)' \
'units:Write systemd units for the router, the proxy, every registered repository'\''s daemon and rediacc-repositories.service (runs \`renet repository up\` for each at boot)' \
    )
    _describe -t commands 'renet help machine commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__machine__subcmd__set_commands] )) ||
_renet__subcmd__help__subcmd__machine__subcmd__set_commands() {
    local commands; commands=()
    _describe -t commands 'renet help machine set commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__machine__subcmd__show_commands] )) ||
_renet__subcmd__help__subcmd__machine__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'renet help machine show commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__machine__subcmd__units_commands] )) ||
_renet__subcmd__help__subcmd__machine__subcmd__units_commands() {
    local commands; commands=()
    _describe -t commands 'renet help machine units commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__ports_commands] )) ||
_renet__subcmd__help__subcmd__ports_commands() {
    local commands; commands=(
'lease:Lease an external port for one service port and print it (stdout)' \
'release:Free leases of a network\: all of them, or those of one service, protocol or port' \
'list:List every lease on this machine (or one network'\''s), sorted by protocol and port' \
'gc:Free leases whose daemon or service is gone' \
    )
    _describe -t commands 'renet help ports commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__ports__subcmd__gc_commands] )) ||
_renet__subcmd__help__subcmd__ports__subcmd__gc_commands() {
    local commands; commands=()
    _describe -t commands 'renet help ports gc commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__ports__subcmd__lease_commands] )) ||
_renet__subcmd__help__subcmd__ports__subcmd__lease_commands() {
    local commands; commands=()
    _describe -t commands 'renet help ports lease commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__ports__subcmd__list_commands] )) ||
_renet__subcmd__help__subcmd__ports__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'renet help ports list commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__ports__subcmd__release_commands] )) ||
_renet__subcmd__help__subcmd__ports__subcmd__release_commands() {
    local commands; commands=()
    _describe -t commands 'renet help ports release commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__proxy_commands] )) ||
_renet__subcmd__help__subcmd__proxy_commands() {
    local commands; commands=(
'config:Write Traefik'\''s static configuration to DIR/traefik.yml (atomically)' \
'unit:Print systemd units for the route server (rediacc-router) and Traefik (rediacc-proxy)' \
'status:Ask the route server how it stands (/health)\: status, daemons, routers, problems' \
'routes:List the routes the route server serves (/routes.json) as \`host -> backend\`' \
    )
    _describe -t commands 'renet help proxy commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__proxy__subcmd__config_commands] )) ||
_renet__subcmd__help__subcmd__proxy__subcmd__config_commands() {
    local commands; commands=()
    _describe -t commands 'renet help proxy config commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__proxy__subcmd__routes_commands] )) ||
_renet__subcmd__help__subcmd__proxy__subcmd__routes_commands() {
    local commands; commands=()
    _describe -t commands 'renet help proxy routes commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__proxy__subcmd__status_commands] )) ||
_renet__subcmd__help__subcmd__proxy__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'renet help proxy status commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__proxy__subcmd__unit_commands] )) ||
_renet__subcmd__help__subcmd__proxy__subcmd__unit_commands() {
    local commands; commands=()
    _describe -t commands 'renet help proxy unit commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__repository_commands] )) ||
_renet__subcmd__help__subcmd__repository_commands() {
    local commands; commands=(
'list:List the repositories \`repository up\` registered on this machine (\$RENET_STATE_DIR/repositories.json)\: up or down, their daemon, services running/total, URLs and leases' \
'up:Start the daemon if needed, sync slots, run prep and up in every Rediaccfile, then wait for the services'\'' ports (--wait); shows each service'\''s URLs and leases' \
'down:Run down in every Rediaccfile (subfolders Z to A, then the root); all are attempted. The registry keeps the repository, marked down (boot does not bring it up)' \
'status:Daemon state, services with addresses and container states, each Rediaccfile'\''s info' \
    )
    _describe -t commands 'renet help repository commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__repository__subcmd__down_commands] )) ||
_renet__subcmd__help__subcmd__repository__subcmd__down_commands() {
    local commands; commands=()
    _describe -t commands 'renet help repository down commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__repository__subcmd__list_commands] )) ||
_renet__subcmd__help__subcmd__repository__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'renet help repository list commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__repository__subcmd__status_commands] )) ||
_renet__subcmd__help__subcmd__repository__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'renet help repository status commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__repository__subcmd__up_commands] )) ||
_renet__subcmd__help__subcmd__repository__subcmd__up_commands() {
    local commands; commands=()
    _describe -t commands 'renet help repository up commands' commands "$@"
}
(( $+functions[_renet__subcmd__help__subcmd__route-server_commands] )) ||
_renet__subcmd__help__subcmd__route-server_commands() {
    local commands; commands=()
    _describe -t commands 'renet help route-server commands' commands "$@"
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
(( $+functions[_renet__subcmd__machine_commands] )) ||
_renet__subcmd__machine_commands() {
    local commands; commands=(
'set:Change settings\: flags not given keep their value, an empty value clears the key' \
'show:Print the settings as \`key\: value\` lines (or JSON with --json)' \
'units:Write systemd units for the router, the proxy, every registered repository'\''s daemon and rediacc-repositories.service (runs \`renet repository up\` for each at boot)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'renet machine commands' commands "$@"
}
(( $+functions[_renet__subcmd__machine__subcmd__help_commands] )) ||
_renet__subcmd__machine__subcmd__help_commands() {
    local commands; commands=(
'set:Change settings\: flags not given keep their value, an empty value clears the key' \
'show:Print the settings as \`key\: value\` lines (or JSON with --json)' \
'units:Write systemd units for the router, the proxy, every registered repository'\''s daemon and rediacc-repositories.service (runs \`renet repository up\` for each at boot)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'renet machine help commands' commands "$@"
}
(( $+functions[_renet__subcmd__machine__subcmd__help__subcmd__help_commands] )) ||
_renet__subcmd__machine__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'renet machine help help commands' commands "$@"
}
(( $+functions[_renet__subcmd__machine__subcmd__help__subcmd__set_commands] )) ||
_renet__subcmd__machine__subcmd__help__subcmd__set_commands() {
    local commands; commands=()
    _describe -t commands 'renet machine help set commands' commands "$@"
}
(( $+functions[_renet__subcmd__machine__subcmd__help__subcmd__show_commands] )) ||
_renet__subcmd__machine__subcmd__help__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'renet machine help show commands' commands "$@"
}
(( $+functions[_renet__subcmd__machine__subcmd__help__subcmd__units_commands] )) ||
_renet__subcmd__machine__subcmd__help__subcmd__units_commands() {
    local commands; commands=()
    _describe -t commands 'renet machine help units commands' commands "$@"
}
(( $+functions[_renet__subcmd__machine__subcmd__set_commands] )) ||
_renet__subcmd__machine__subcmd__set_commands() {
    local commands; commands=()
    _describe -t commands 'renet machine set commands' commands "$@"
}
(( $+functions[_renet__subcmd__machine__subcmd__show_commands] )) ||
_renet__subcmd__machine__subcmd__show_commands() {
    local commands; commands=()
    _describe -t commands 'renet machine show commands' commands "$@"
}
(( $+functions[_renet__subcmd__machine__subcmd__units_commands] )) ||
_renet__subcmd__machine__subcmd__units_commands() {
    local commands; commands=()
    _describe -t commands 'renet machine units commands' commands "$@"
}
(( $+functions[_renet__subcmd__ports_commands] )) ||
_renet__subcmd__ports_commands() {
    local commands; commands=(
'lease:Lease an external port for one service port and print it (stdout)' \
'release:Free leases of a network\: all of them, or those of one service, protocol or port' \
'list:List every lease on this machine (or one network'\''s), sorted by protocol and port' \
'gc:Free leases whose daemon or service is gone' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'renet ports commands' commands "$@"
}
(( $+functions[_renet__subcmd__ports__subcmd__gc_commands] )) ||
_renet__subcmd__ports__subcmd__gc_commands() {
    local commands; commands=()
    _describe -t commands 'renet ports gc commands' commands "$@"
}
(( $+functions[_renet__subcmd__ports__subcmd__help_commands] )) ||
_renet__subcmd__ports__subcmd__help_commands() {
    local commands; commands=(
'lease:Lease an external port for one service port and print it (stdout)' \
'release:Free leases of a network\: all of them, or those of one service, protocol or port' \
'list:List every lease on this machine (or one network'\''s), sorted by protocol and port' \
'gc:Free leases whose daemon or service is gone' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'renet ports help commands' commands "$@"
}
(( $+functions[_renet__subcmd__ports__subcmd__help__subcmd__gc_commands] )) ||
_renet__subcmd__ports__subcmd__help__subcmd__gc_commands() {
    local commands; commands=()
    _describe -t commands 'renet ports help gc commands' commands "$@"
}
(( $+functions[_renet__subcmd__ports__subcmd__help__subcmd__help_commands] )) ||
_renet__subcmd__ports__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'renet ports help help commands' commands "$@"
}
(( $+functions[_renet__subcmd__ports__subcmd__help__subcmd__lease_commands] )) ||
_renet__subcmd__ports__subcmd__help__subcmd__lease_commands() {
    local commands; commands=()
    _describe -t commands 'renet ports help lease commands' commands "$@"
}
(( $+functions[_renet__subcmd__ports__subcmd__help__subcmd__list_commands] )) ||
_renet__subcmd__ports__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'renet ports help list commands' commands "$@"
}
(( $+functions[_renet__subcmd__ports__subcmd__help__subcmd__release_commands] )) ||
_renet__subcmd__ports__subcmd__help__subcmd__release_commands() {
    local commands; commands=()
    _describe -t commands 'renet ports help release commands' commands "$@"
}
(( $+functions[_renet__subcmd__ports__subcmd__lease_commands] )) ||
_renet__subcmd__ports__subcmd__lease_commands() {
    local commands; commands=()
    _describe -t commands 'renet ports lease commands' commands "$@"
}
(( $+functions[_renet__subcmd__ports__subcmd__list_commands] )) ||
_renet__subcmd__ports__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'renet ports list commands' commands "$@"
}
(( $+functions[_renet__subcmd__ports__subcmd__release_commands] )) ||
_renet__subcmd__ports__subcmd__release_commands() {
    local commands; commands=()
    _describe -t commands 'renet ports release commands' commands "$@"
}
(( $+functions[_renet__subcmd__proxy_commands] )) ||
_renet__subcmd__proxy_commands() {
    local commands; commands=(
'config:Write Traefik'\''s static configuration to DIR/traefik.yml (atomically)' \
'unit:Print systemd units for the route server (rediacc-router) and Traefik (rediacc-proxy)' \
'status:Ask the route server how it stands (/health)\: status, daemons, routers, problems' \
'routes:List the routes the route server serves (/routes.json) as \`host -> backend\`' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'renet proxy commands' commands "$@"
}
(( $+functions[_renet__subcmd__proxy__subcmd__config_commands] )) ||
_renet__subcmd__proxy__subcmd__config_commands() {
    local commands; commands=()
    _describe -t commands 'renet proxy config commands' commands "$@"
}
(( $+functions[_renet__subcmd__proxy__subcmd__help_commands] )) ||
_renet__subcmd__proxy__subcmd__help_commands() {
    local commands; commands=(
'config:Write Traefik'\''s static configuration to DIR/traefik.yml (atomically)' \
'unit:Print systemd units for the route server (rediacc-router) and Traefik (rediacc-proxy)' \
'status:Ask the route server how it stands (/health)\: status, daemons, routers, problems' \
'routes:List the routes the route server serves (/routes.json) as \`host -> backend\`' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'renet proxy help commands' commands "$@"
}
(( $+functions[_renet__subcmd__proxy__subcmd__help__subcmd__config_commands] )) ||
_renet__subcmd__proxy__subcmd__help__subcmd__config_commands() {
    local commands; commands=()
    _describe -t commands 'renet proxy help config commands' commands "$@"
}
(( $+functions[_renet__subcmd__proxy__subcmd__help__subcmd__help_commands] )) ||
_renet__subcmd__proxy__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'renet proxy help help commands' commands "$@"
}
(( $+functions[_renet__subcmd__proxy__subcmd__help__subcmd__routes_commands] )) ||
_renet__subcmd__proxy__subcmd__help__subcmd__routes_commands() {
    local commands; commands=()
    _describe -t commands 'renet proxy help routes commands' commands "$@"
}
(( $+functions[_renet__subcmd__proxy__subcmd__help__subcmd__status_commands] )) ||
_renet__subcmd__proxy__subcmd__help__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'renet proxy help status commands' commands "$@"
}
(( $+functions[_renet__subcmd__proxy__subcmd__help__subcmd__unit_commands] )) ||
_renet__subcmd__proxy__subcmd__help__subcmd__unit_commands() {
    local commands; commands=()
    _describe -t commands 'renet proxy help unit commands' commands "$@"
}
(( $+functions[_renet__subcmd__proxy__subcmd__routes_commands] )) ||
_renet__subcmd__proxy__subcmd__routes_commands() {
    local commands; commands=()
    _describe -t commands 'renet proxy routes commands' commands "$@"
}
(( $+functions[_renet__subcmd__proxy__subcmd__status_commands] )) ||
_renet__subcmd__proxy__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'renet proxy status commands' commands "$@"
}
(( $+functions[_renet__subcmd__proxy__subcmd__unit_commands] )) ||
_renet__subcmd__proxy__subcmd__unit_commands() {
    local commands; commands=()
    _describe -t commands 'renet proxy unit commands' commands "$@"
}
(( $+functions[_renet__subcmd__repository_commands] )) ||
_renet__subcmd__repository_commands() {
    local commands; commands=(
'list:List the repositories \`repository up\` registered on this machine (\$RENET_STATE_DIR/repositories.json)\: up or down, their daemon, services running/total, URLs and leases' \
'up:Start the daemon if needed, sync slots, run prep and up in every Rediaccfile, then wait for the services'\'' ports (--wait); shows each service'\''s URLs and leases' \
'down:Run down in every Rediaccfile (subfolders Z to A, then the root); all are attempted. The registry keeps the repository, marked down (boot does not bring it up)' \
'status:Daemon state, services with addresses and container states, each Rediaccfile'\''s info' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'renet repository commands' commands "$@"
}
(( $+functions[_renet__subcmd__repository__subcmd__down_commands] )) ||
_renet__subcmd__repository__subcmd__down_commands() {
    local commands; commands=()
    _describe -t commands 'renet repository down commands' commands "$@"
}
(( $+functions[_renet__subcmd__repository__subcmd__help_commands] )) ||
_renet__subcmd__repository__subcmd__help_commands() {
    local commands; commands=(
'list:List the repositories \`repository up\` registered on this machine (\$RENET_STATE_DIR/repositories.json)\: up or down, their daemon, services running/total, URLs and leases' \
'up:Start the daemon if needed, sync slots, run prep and up in every Rediaccfile, then wait for the services'\'' ports (--wait); shows each service'\''s URLs and leases' \
'down:Run down in every Rediaccfile (subfolders Z to A, then the root); all are attempted. The registry keeps the repository, marked down (boot does not bring it up)' \
'status:Daemon state, services with addresses and container states, each Rediaccfile'\''s info' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'renet repository help commands' commands "$@"
}
(( $+functions[_renet__subcmd__repository__subcmd__help__subcmd__down_commands] )) ||
_renet__subcmd__repository__subcmd__help__subcmd__down_commands() {
    local commands; commands=()
    _describe -t commands 'renet repository help down commands' commands "$@"
}
(( $+functions[_renet__subcmd__repository__subcmd__help__subcmd__help_commands] )) ||
_renet__subcmd__repository__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'renet repository help help commands' commands "$@"
}
(( $+functions[_renet__subcmd__repository__subcmd__help__subcmd__list_commands] )) ||
_renet__subcmd__repository__subcmd__help__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'renet repository help list commands' commands "$@"
}
(( $+functions[_renet__subcmd__repository__subcmd__help__subcmd__status_commands] )) ||
_renet__subcmd__repository__subcmd__help__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'renet repository help status commands' commands "$@"
}
(( $+functions[_renet__subcmd__repository__subcmd__help__subcmd__up_commands] )) ||
_renet__subcmd__repository__subcmd__help__subcmd__up_commands() {
    local commands; commands=()
    _describe -t commands 'renet repository help up commands' commands "$@"
}
(( $+functions[_renet__subcmd__repository__subcmd__list_commands] )) ||
_renet__subcmd__repository__subcmd__list_commands() {
    local commands; commands=()
    _describe -t commands 'renet repository list commands' commands "$@"
}
(( $+functions[_renet__subcmd__repository__subcmd__status_commands] )) ||
_renet__subcmd__repository__subcmd__status_commands() {
    local commands; commands=()
    _describe -t commands 'renet repository status commands' commands "$@"
}
(( $+functions[_renet__subcmd__repository__subcmd__up_commands] )) ||
_renet__subcmd__repository__subcmd__up_commands() {
    local commands; commands=()
    _describe -t commands 'renet repository up commands' commands "$@"
}
(( $+functions[_renet__subcmd__route-server_commands] )) ||
_renet__subcmd__route-server_commands() {
    local commands; commands=()
    _describe -t commands 'renet route-server commands' commands "$@"
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
