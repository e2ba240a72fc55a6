//! Command-line definitions only: no logic lives here (see `commands/`). Values with a type
//! of their own (network IDs, slots, port lists) are parsed here by clap; what the command line
//! leaves implicit is resolved in `settings`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::network::{NetworkId, Slot};
use crate::settings::{DEFAULT_ROUTE_SERVER, DEFAULT_RUN_DIR, DEFAULT_STATE_DIR};

/// The default lease range as `FIRST-LAST`, for help texts.
fn default_range() -> String {
    let r = crate::leases::DEFAULT_RANGE;
    format!("{}-{}", r.start(), r.end())
}

fn after_long_help() -> String {
    format!(
        "\
Environment:
  REDIACC_NETWORK_ID     network ID when --network-id is not given (legacy: REPOSITORY_NETWORK_ID)
  REDIACC_WORKING_DIR    repository folder when --repo is not given (legacy: REPOSITORY_PATH)
  RENET_RUN_DIR          daemon sockets and runtime files [default: {DEFAULT_RUN_DIR}]
  RENET_STATE_DIR        machine state [default: {DEFAULT_STATE_DIR}]
  RENET_PORT_RANGE       lease range for rediacc.tcp_ports/udp_ports [default: {range}]

Exit status:
  0  success
  1  the operation failed (daemon did not start, I/O error, no compose binary); `repository
     status`: a service is not running; `repository up`: a service exited or never listened
  2  bad command line (flags, network ID, slot, RENET_PORT_RANGE)
  3  bad input file (compose YAML, .rediacc.json, too many services, clashing names)
  4  refused: dangerous compose settings without --unsafe; another network ID or name than
     .rediacc.json keeps; a daemon started for another repository
  5  the repository's Docker daemon is not running
  6  no free port in the lease range (RENET_PORT_RANGE); the error lists who holds every port
  7  `renet compose -- up` refused: a port a service will listen on is taken (preflight)
  `renet compose` exits with compose's own status once compose has run.
  With --json, an error is also printed on stdout as {{\"error\": {{\"kind\", \"message\", \"exit_code\"}}}}.",
        range = default_range()
    )
}

/// renet: many application stacks on one Linux host, each with its own Docker daemon and its
/// own block of 64 loopback addresses, so every service listens on its native port.
#[derive(Debug, Parser)]
#[command(name = "renet", version, about, long_about = None, after_long_help = after_long_help())]
pub struct Cli {
    /// Print one JSON document on stdout (an error too); progress stays on stderr
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a repository's address block, or one slot's address.
    ///
    /// `renet ip --network-id 2816` prints 127.0.11.0/26;
    /// `renet ip --network-id 2816 --slot 0` prints 127.0.11.2.
    Ip(IpArgs),
    /// Show and maintain the slot map (.rediacc.json): which service gets which address.
    Slots(SlotsArgs),
    /// Run Docker Compose for a repository on its own daemon, after rewriting the model.
    ///
    /// Everything after `--` goes to compose untouched, except `-f/--file`, `-p/--project-name`
    /// and `--project-directory`, which renet reads itself to load the model (see README).
    /// Every service gets host networking and its own loopback address (`$SERVICE_IP`), `ports:`
    /// are dropped, `restart:` becomes "no" (the policy is saved in .rediacc.json), and
    /// `rediacc.*` labels are set.
    ///
    /// Example: renet compose --network-id 2816 -- up -d
    Compose(ComposeArgs),
    /// Run the docker CLI against the repository's own daemon.
    ///
    /// Sets DOCKER_HOST to the daemon's socket ($RENET_RUN_DIR/docker-N.sock) and removes
    /// DOCKER_CONTEXT; everything after `--` goes to docker untouched, except `-H/--host` and
    /// `-c/--context`, which are refused. Exits with docker's status.
    ///
    /// Example: renet docker --network-id 2816 -- ps
    Docker(DockerArgs),
    /// Manage per-repository Docker daemons (one dockerd per network ID).
    Daemon(DaemonArgs),
    /// Lease, list and free the machine-wide external ports of rediacc.tcp_ports/udp_ports.
    #[command(verbatim_doc_comment, long_about = ports_long_about())]
    Ports(PortsArgs),
    /// Bring a whole repository up or down: its daemon, its slots and its Rediaccfile hooks.
    ///
    /// This is what the workstation tool runs over SSH. `up` starts the daemon if needed, syncs
    /// slots, then runs every Rediaccfile's `prep` (root, then subfolders A to Z; any failure
    /// stops), `up` in the root (a failure stops everything) and `up` in each subfolder A to Z (a
    /// failure is reported and the rest go on). `down` runs `down` in subfolders Z to A, then the
    /// root, attempting every file. See rediaccfile/README.md.
    #[command(alias = "repo")]
    Repository(RepositoryArgs),
    /// Serve Traefik's dynamic configuration built from every repository daemon's containers.
    ///
    /// Finds $RENET_RUN_DIR/docker-*.sock on every refresh, lists running containers with
    /// rediacc.* labels, follows their events, and serves /config (YAML, polled by Traefik),
    /// /routes.json, /health and /ports. Its watchdog restarts stopped containers whose saved
    /// restart policy (.rediacc.json) asks for it. Logs go to stderr.
    RouteServer(RouteServerArgs),
    /// Traefik for the whole machine: its static configuration and systemd units.
    Proxy(ProxyArgs),
    /// This machine's settings ($RENET_STATE_DIR/machine.json) and its systemd units.
    ///
    /// The settings are the defaults of `route-server` (base domain, machine name, certificate
    /// resolver) and `proxy config` (public address as --bind, certificate e-mail and resolver,
    /// route server URL); flags given on those commands win.
    Machine(MachineArgs),
    /// Check this machine for what breaks repositories, and say what to do.
    ///
    /// Checks: docker, compose, daemons, firewall.input, firewall.forward, dns.resolver,
    /// listeners, route-server, proxy. Everything is read from the machine (its network
    /// namespace, its /etc/resolv.conf). The report goes to stdout: one line per check, its
    /// details and fix indented (--json: one document). Exit 0 when every check is ok, 1 when
    /// some warn, 2 when some fail.
    Doctor(DoctorArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
}

fn ports_long_about() -> String {
    format!(
        "\
Lease, list and free the machine-wide external ports of rediacc.tcp_ports/udp_ports.

A service labelled `rediacc.tcp_ports=5432,6379` (or `rediacc.udp_ports=53`) gets one
external port per entry from the lease range (RENET_PORT_RANGE, default {}),
which the proxy forwards to the service. A lease is keyed by (network ID, service,
protocol, container port): the same key always gets the same port back while it is
leased, even after the range is narrowed. TCP and UDP are separate pools. New keys get
the lowest free port. `renet compose -- up` (and `start`) leases, `down` releases; these
commands inspect and clean up by hand. Leases live in $RENET_STATE_DIR/router/ports.db
(SQLite); concurrent renet processes never get the same port.

Examples:
  renet ports lease --network-id 2816 --service db --port 5432     # prints e.g. 10000
  renet ports list
  renet ports release --network-id 2816 --service db
  renet ports gc --dry-run",
        default_range()
    )
}

#[derive(Debug, Args)]
pub struct NetworkArg {
    /// Network ID: 2816 + 64*n, up to 16711680 [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]
    #[arg(long, value_name = "N", value_parser = NetworkId::parse)]
    pub network_id: Option<NetworkId>,
}

#[derive(Debug, Args)]
pub struct RepoArg {
    /// Repository folder [default: $REDIACC_WORKING_DIR, $REPOSITORY_PATH, the nearest folder
    /// upwards holding .rediacc.json or a Rediaccfile, else the current folder]
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct IpArgs {
    #[command(flatten)]
    pub network: NetworkArg,
    /// Slot 0..=60 (service address = block + slot + 2)
    #[arg(long, value_name = "S", value_parser = Slot::parse)]
    pub slot: Option<Slot>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = false)]
pub struct SlotsArgs {
    #[command(subcommand)]
    pub command: Option<SlotsCommand>,
    #[command(flatten)]
    pub common: SlotsCommon,
}

#[derive(Debug, Args, Clone)]
pub struct SlotsCommon {
    /// Repository folder (see `renet compose --help`)
    #[arg(long, value_name = "DIR", global = true)]
    pub repo: Option<PathBuf>,
    /// Network ID, to show addresses [env: REDIACC_NETWORK_ID, REPOSITORY_NETWORK_ID]
    #[arg(long, value_name = "N", global = true, value_parser = NetworkId::parse)]
    pub network_id: Option<NetworkId>,
}

#[derive(Debug, Subcommand)]
pub enum SlotsCommand {
    /// List every service with its slot, address, variable and saved restart policy (default).
    List,
    /// Give every service named by the repository's compose files a slot.
    ///
    /// Reads the default compose files (compose.yaml, docker-compose.yml, ... and their
    /// .override file) in the repository root and in every first-level folder that holds a
    /// Rediaccfile, or only the files given with -f.
    Sync {
        /// Compose file to read instead of discovering them (repeatable)
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Free the slots of services that no compose file names any more.
    Prune {
        /// Show what would be freed, change nothing
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
pub struct ComposeArgs {
    #[command(flatten)]
    pub network: NetworkArg,
    #[command(flatten)]
    pub repo: RepoArg,
    /// Repository name for the rediacc.repo_name label [default: "name" in .rediacc.json, else
    /// the folder's name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Accept a --name other than the one .rediacc.json keeps, and keep the new one
    #[arg(long)]
    pub rename: bool,
    /// Allow dangerous settings (privileged, host namespaces, powerful capabilities, devices,
    /// unconfined profiles, providers, mounts of system or renet folders)
    #[arg(long = "unsafe")]
    pub allow_unsafe: bool,
    /// Print the rewritten model (stdout), the variables and the compose command (stderr); run
    /// and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not check, before `up`, that the ports the services will listen on are free
    #[arg(long)]
    pub no_preflight: bool,
    /// Arguments for docker compose, after `--`
    #[arg(last = true, value_name = "COMPOSE ARGS")]
    pub args: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct DockerArgs {
    #[command(flatten)]
    pub network: NetworkArg,
    #[command(flatten)]
    pub repo: RepoArg,
    /// Arguments for docker, after `--`
    #[arg(last = true, value_name = "DOCKER ARGS")]
    pub args: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct RepositoryArgs {
    #[command(subcommand)]
    pub command: RepositoryCommand,
}

#[derive(Debug, Args)]
pub struct RepositoryTarget {
    /// Repository folder (holds compose files, Rediaccfiles, .rediacc.json)
    #[arg(long, value_name = "DIR")]
    pub path: PathBuf,
    #[command(flatten)]
    pub network: NetworkArg,
    /// Repository name [default: "name" in .rediacc.json, else the folder's name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RepositoryCommand {
    /// List the repositories `repository up` registered on this machine
    /// ($RENET_STATE_DIR/repositories.json): up or down, their daemon, services running/total,
    /// URLs and leases.
    List,
    /// Start the daemon if needed, sync slots, run prep and up in every Rediaccfile, then wait
    /// for the services' ports (--wait); shows each service's URLs and leases.
    Up {
        #[command(flatten)]
        target: RepositoryTarget,
        /// Accept a --name other than the one .rediacc.json keeps, and keep the new one
        #[arg(long)]
        rename: bool,
        /// Kill a Rediaccfile function (and everything it started) after this many seconds
        #[arg(long, value_name = "SECS")]
        timeout: Option<u64>,
        /// Wait up to SECS for every service's ports to listen on its address, then name the
        /// services that exited or never listened, with their last log lines (exit 1); 0: do
        /// not wait
        #[arg(long, value_name = "SECS", default_value_t = 15)]
        wait: u64,
    },
    /// Run down in every Rediaccfile (subfolders Z to A, then the root); all are attempted.
    /// The registry keeps the repository, marked down (boot does not bring it up).
    Down {
        #[command(flatten)]
        target: RepositoryTarget,
        /// Stop the repository's daemon afterwards
        #[arg(long)]
        stop_daemon: bool,
        /// Also remove the repository from the registry ($RENET_STATE_DIR/repositories.json)
        #[arg(long)]
        forget: bool,
        /// Kill a Rediaccfile function (and everything it started) after this many seconds
        #[arg(long, value_name = "SECS")]
        timeout: Option<u64>,
    },
    /// Daemon state, services with addresses and container states, each Rediaccfile's info.
    Status {
        #[command(flatten)]
        target: RepositoryTarget,
        /// Kill an info function after this many seconds
        #[arg(long, value_name = "SECS", default_value_t = 30)]
        timeout: u64,
    },
}

#[derive(Debug, Args)]
pub struct DaemonArgs {
    #[command(subcommand)]
    pub command: DaemonCommand,
}

#[derive(Debug, Args)]
pub struct DaemonTarget {
    #[command(flatten)]
    pub network: NetworkArg,
    /// Repository folder: the daemon keeps its data in <DIR>/.rediacc/docker/data
    /// [default: $RENET_STATE_DIR/docker-<N>/data when no repository is known]
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum DaemonCommand {
    /// Start the repository's dockerd (no-op when it already runs); returns once its API answers.
    Start {
        #[command(flatten)]
        target: DaemonTarget,
        /// Seconds to wait for the API before giving up (the log tail is shown)
        #[arg(long, default_value_t = 60, value_name = "SECS")]
        timeout: u64,
        /// Run dockerd in the foreground, replacing this process (for systemd units)
        #[arg(long)]
        foreground: bool,
    },
    /// Stop the daemon: containers are stopped, then dockerd; the socket is removed.
    Stop {
        #[command(flatten)]
        target: DaemonTarget,
        /// Seconds to wait for dockerd to exit before killing it
        #[arg(long, default_value_t = 60, value_name = "SECS")]
        timeout: u64,
    },
    /// Show whether the daemon runs (exit 0) or not (exit 5).
    Status {
        #[command(flatten)]
        target: DaemonTarget,
    },
    /// List every daemon socket in $RENET_RUN_DIR with its state.
    List,
    /// Print a systemd unit that runs this daemon.
    Unit {
        #[command(flatten)]
        target: DaemonTarget,
    },
}

#[derive(Debug, Args)]
pub struct PortsArgs {
    #[command(subcommand)]
    pub command: PortsCommand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProtoArg {
    Tcp,
    Udp,
}

#[derive(Debug, Subcommand)]
pub enum PortsCommand {
    /// Lease an external port for one service port and print it (stdout).
    ///
    /// Idempotent: a key that already holds a lease gets the same port back. With the range
    /// exhausted, exits 6 and lists every holder.
    Lease {
        #[command(flatten)]
        network: NetworkArg,
        /// Service name, as in the compose file
        #[arg(long, value_name = "NAME")]
        service: String,
        /// The port the service listens on (1-65535)
        #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
        port: u16,
        /// Protocol: tcp and udp are separate pools
        #[arg(long, value_enum, default_value_t = ProtoArg::Tcp)]
        proto: ProtoArg,
        /// Skip free ports that another program already listens on (0.0.0.0), and report them.
        /// Off by default: the proxy itself listens on the whole lease range
        #[arg(long)]
        probe: bool,
    },
    /// Free leases of a network: all of them, or those of one service, protocol or port.
    ///
    /// The released leases are printed on stdout. A freed port goes to the next new key.
    Release {
        #[command(flatten)]
        network: NetworkArg,
        /// Only this service's leases
        #[arg(long, value_name = "NAME")]
        service: Option<String>,
        /// Only leases for this container port
        #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
        port: Option<u16>,
        /// Only this protocol's leases
        #[arg(long, value_enum)]
        proto: Option<ProtoArg>,
    },
    /// List every lease on this machine (or one network's), sorted by protocol and port.
    List {
        /// Only this network's leases (the environment is not consulted: the list is
        /// machine-wide by default)
        #[arg(long, value_name = "N", value_parser = NetworkId::parse)]
        network_id: Option<NetworkId>,
    },
    /// Free leases whose daemon or service is gone.
    ///
    /// A lease is freed when $RENET_RUN_DIR/docker-<N>.sock is missing or does not answer, or
    /// when that daemon has no container (running or stopped) labelled
    /// rediacc.service_name=<service> among those labelled rediacc.network_id=<N>.
    Gc {
        /// Show what would be freed, change nothing
        #[arg(long)]
        dry_run: bool,
    },
}

/// How HTTP routes are named and where they listen (shared by `route-server` and `proxy unit`).
#[derive(Debug, Args, Clone)]
pub struct RouteOptions {
    /// Base domain of every auto-route host [default: `renet machine` base_domain, else
    /// localhost]
    #[arg(
        long,
        env = "RENET_BASE_DOMAIN",
        hide_env_values = true,
        value_name = "DOMAIN"
    )]
    pub base_domain: Option<String>,
    /// Machine name: auto-routes become {service}.{repo}.{machine}.{base-domain} (without it:
    /// {service}-{network-id}.{base-domain}) [default: `renet machine` machine_name]
    #[arg(
        long,
        env = "RENET_MACHINE_NAME",
        hide_env_values = true,
        value_name = "NAME"
    )]
    pub machine_name: Option<String>,
    /// Certificate resolver for HTTP routes (e.g. letsencrypt, as `renet proxy config
    /// --cert-email` defines it); without it Traefik serves its default certificate [default:
    /// `renet machine` cert_resolver]
    #[arg(long, value_name = "NAME")]
    pub cert_resolver: Option<String>,
    /// Entrypoints of HTTP routes (add websecure-v6 when `proxy config --bind-v6` is used)
    #[arg(
        long,
        default_value = "websecure",
        value_delimiter = ',',
        value_name = "NAMES"
    )]
    pub entrypoints: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RouteServerArgs {
    /// Address to serve on; Traefik on this machine polls http://ADDR/config
    #[arg(long, default_value = DEFAULT_ROUTE_SERVER, value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    #[command(flatten)]
    pub routes: RouteOptions,
    /// Re-list every daemon this often, the safety net: container events and daemon sockets
    /// made or removed in the run folder refresh at once; the watchdog also looks at every
    /// daemon then
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = crate::routes::parse_duration)]
    pub poll: std::time::Duration,
    /// How long a container that exited cleanly (code 0, maybe an operator's stop) stays
    /// stopped before the watchdog restarts it; a crash (non-zero exit) is restarted at once,
    /// backing off 1 s, 2 s, 4 s ... 5 min while it keeps crashing
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = crate::routes::parse_duration)]
    pub watchdog_grace: std::time::Duration,
    /// Do not restart anything (routes only)
    #[arg(long)]
    pub no_watchdog: bool,
    /// How long one daemon may take to answer before it is reported and skipped
    #[arg(long, default_value = "2s", value_name = "DURATION", value_parser = crate::routes::parse_duration)]
    pub daemon_timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    #[command(subcommand)]
    pub command: ProxyCommand,
}

#[derive(Debug, Subcommand)]
pub enum ProxyCommand {
    /// Write Traefik's static configuration to DIR/traefik.yml (atomically).
    ///
    /// Entrypoints: web (redirects to HTTPS), websecure, websecure-v6 (with --bind-v6),
    /// tcp-<port> for the fixed TCP ports and every port of the lease range, udp-<port> for the
    /// UDP ports and the lease range, all on the --bind address only (never on every address,
    /// which would take these ports from every repository's own addresses: without --bind
    /// nothing is written, exit 2). Routes come from the route server through Traefik's HTTP
    /// provider. With --cert-email, a Let's Encrypt resolver using Cloudflare's DNS-01
    /// challenge (Traefik reads the token from CF_DNS_API_TOKEN_FILE).
    Config(ProxyConfigArgs),
    /// Print systemd units for the route server (rediacc-router) and Traefik (rediacc-proxy).
    Unit(ProxyUnitArgs),
    /// Ask the route server how it stands (/health): status, daemons, routers, problems.
    ///
    /// With --json, the /health document as the route server serves it.
    Status(ProxyStatusArgs),
    /// List the routes the route server serves (/routes.json) as `host -> backend`.
    ///
    /// With --json, Traefik's dynamic configuration as the route server serves it.
    Routes(ProxyStatusArgs),
}

#[derive(Debug, Args)]
pub struct ProxyStatusArgs {
    /// The route server: its base URL (or any of its URLs)
    #[arg(long, default_value_t = format!("http://{DEFAULT_ROUTE_SERVER}"), value_name = "URL")]
    pub route_server: String,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The route server: its base URL (or any of its URLs) [default: `renet machine`
    /// route_server, else http://127.0.0.1:7111]
    #[arg(long, value_name = "URL")]
    pub route_server: Option<String>,
    /// Folder holding the proxy's traefik.yml (as given to `proxy config --out`) [default:
    /// `renet machine` proxy_config_dir, else /etc/rediacc/proxy]
    #[arg(long, value_name = "DIR")]
    pub proxy_config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ProxyConfigArgs {
    /// Folder for traefik.yml (and acme.json, which Traefik writes) [default: `renet machine`
    /// proxy_config_dir, else /etc/rediacc/proxy]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The machine's public address, the only one every entrypoint listens on (required:
    /// listening on every address would take the proxy's ports from every repository's own
    /// addresses) [default: `renet machine` public_address]
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<std::net::IpAddr>,
    /// Also serve HTTPS on this IPv6 address (entrypoint websecure-v6); needs --bind
    #[arg(long, value_name = "ADDR6")]
    pub bind_v6: Option<std::net::Ipv6Addr>,
    /// Port of the web entrypoint (redirects to HTTPS)
    #[arg(long, default_value_t = 80, value_name = "PORT")]
    pub web_port: u16,
    /// Port of the websecure entrypoints
    #[arg(long, default_value_t = 443, value_name = "PORT")]
    pub websecure_port: u16,
    /// Fixed TCP entrypoints (tcp-<port>), comma-separated; "" for none
    #[arg(
        long,
        default_value = "3306,5432,6379,27017,11211,5672,9092",
        value_name = "PORTS",
        value_parser = crate::settings::port_list
    )]
    pub tcp_ports: PortList,
    /// Fixed UDP entrypoints (udp-<port>), comma-separated; "" for none
    #[arg(long, default_value = "53", value_name = "PORTS", value_parser = crate::settings::port_list)]
    pub udp_ports: PortList,
    #[arg(
        help = format!("Range of leased ports: tcp-<port> and udp-<port> for each [default: {}]", default_range()),
        long,
        env = "RENET_PORT_RANGE",
        hide_env_values = true,
        value_name = "FIRST-LAST"
    )]
    pub lease_range: Option<String>,
    /// E-mail for Let's Encrypt; enables the certificate resolver [default: `renet machine`
    /// cert_email]
    #[arg(long, value_name = "EMAIL")]
    pub cert_email: Option<String>,
    /// Name of the certificate resolver [default: `renet machine` cert_resolver, else
    /// letsencrypt]
    #[arg(long, value_name = "NAME")]
    pub cert_resolver: Option<String>,
    /// File holding the Cloudflare API token (noted in traefik.yml; `proxy unit` passes it)
    #[arg(long, value_name = "FILE")]
    pub cf_dns_token_file: Option<PathBuf>,
    #[arg(
        help = format!(
            "The route server: its base URL (http://127.0.0.1:7111) or its /config URL [default: \
             `renet machine` route_server, else {}]",
            crate::settings::default_route_server_url()
        ),
        long,
        value_name = "URL"
    )]
    pub route_server: Option<String>,
    /// How often Traefik polls the route server
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = crate::routes::parse_duration)]
    pub poll_interval: std::time::Duration,
    /// Traefik's log level
    #[arg(long, default_value = "INFO", value_name = "LEVEL")]
    pub log_level: String,
}

#[derive(Debug, Args)]
pub struct ProxyUnitArgs {
    /// Folder holding traefik.yml (as given to `proxy config --out`) [default: `renet machine`
    /// proxy_config_dir, else /etc/rediacc/proxy]
    #[arg(long, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// The Traefik binary
    #[arg(long, default_value = "/usr/local/bin/traefik", value_name = "PATH")]
    pub traefik: PathBuf,
    /// File holding the Cloudflare API token (CF_DNS_API_TOKEN_FILE for Traefik)
    #[arg(long, value_name = "FILE")]
    pub cf_dns_token_file: Option<PathBuf>,
    /// Address of the route server
    #[arg(long, default_value = DEFAULT_ROUTE_SERVER, value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    #[command(flatten)]
    pub routes: RouteOptions,
}

/// A comma-separated port list, sorted, without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortList(pub Vec<u16>);

#[derive(Debug, Args)]
pub struct MachineArgs {
    #[command(subcommand)]
    pub command: MachineCommand,
}

#[derive(Debug, Subcommand)]
pub enum MachineCommand {
    /// Change settings: flags not given keep their value, an empty value clears the key.
    Set(MachineSetArgs),
    /// Print the settings as `key: value` lines (or JSON with --json).
    Show,
    /// Write systemd units for the router, the proxy, every registered repository's daemon and
    /// rediacc-repositories.service (runs `renet repository up` for each at boot).
    ///
    /// Repositories come from $RENET_STATE_DIR/repositories.json when it exists. The units are
    /// written under DIR/etc/systemd/system/ (atomically); run `systemctl daemon-reload` and
    /// `systemctl enable` them afterwards.
    Units(MachineUnitsArgs),
}

#[derive(Debug, Args)]
pub struct MachineSetArgs {
    /// Base domain of every auto-route host
    #[arg(long, value_name = "DOMAIN")]
    pub base_domain: Option<String>,
    /// Machine name (one DNS label): auto-routes become {service}.{repo}.{machine}.{domain}
    #[arg(long, value_name = "NAME")]
    pub machine_name: Option<String>,
    /// The machine's public address: where the proxy listens (`proxy config --bind`)
    #[arg(long, value_name = "IP")]
    pub public_address: Option<String>,
    /// E-mail for Let's Encrypt (`proxy config --cert-email`)
    #[arg(long, value_name = "EMAIL")]
    pub cert_email: Option<String>,
    /// Certificate resolver name (`proxy config`/`route-server --cert-resolver`)
    #[arg(long, value_name = "NAME")]
    pub cert_resolver: Option<String>,
    /// The route server's URL as Traefik polls it (`proxy config --route-server`)
    #[arg(long, value_name = "URL")]
    pub route_server: Option<String>,
    /// Folder of the proxy's traefik.yml (`proxy config --out`, `proxy unit`/`machine units
    /// --config-dir`, `doctor --proxy-config`)
    #[arg(long, value_name = "DIR")]
    pub proxy_config_dir: Option<String>,
}

#[derive(Debug, Args)]
pub struct MachineUnitsArgs {
    /// Root folder: units go to DIR/etc/systemd/system/
    #[arg(long, default_value = "/", value_name = "DIR")]
    pub root: PathBuf,
    /// Folder holding traefik.yml (as given to `proxy config --out`) [default: `renet machine`
    /// proxy_config_dir, else /etc/rediacc/proxy]
    #[arg(long, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// The Traefik binary
    #[arg(long, default_value = "/usr/local/bin/traefik", value_name = "PATH")]
    pub traefik: PathBuf,
    /// File holding the Cloudflare API token (CF_DNS_API_TOKEN_FILE for Traefik)
    #[arg(long, value_name = "FILE")]
    pub cf_dns_token_file: Option<PathBuf>,
}
