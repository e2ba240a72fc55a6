//! Traefik's static configuration and the systemd units for Traefik and the route server.
//! Pure generation: the command writes the result (atomically) or prints it.
//!
//! Listening addresses: every entrypoint listens on `--bind ADDR` (the machine's public
//! address) only, and `--bind-v6 ADDR6` (a specific IPv6 address) adds `websecure-v6` on
//! `[ADDR6]:<websecure port>`. Never on every address: Linux refuses to bind
//! `127.0.11.2:5432` while anything listens on `0.0.0.0:5432` (or `[::]:5432`), so a Traefik
//! on every address would take the fixed TCP ports, the lease range and 80/443 from every
//! repository's own addresses, or exit when a repository got there first. That holds for
//! `web` and `websecure` too (a repository's own nginx on `127.0.11.2:80`), so they are not
//! an exception: without `--bind` nothing is written.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::validate::InvalidValue;
use crate::network::{self, NetworkId};
use crate::quote;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StaticSettings {
    pub(crate) bind: Option<IpAddr>,
    pub bind_v6: Option<Ipv6Addr>,
    pub(crate) web_port: u16,
    pub(crate) websecure_port: u16,
    pub(crate) tcp_ports: Vec<u16>,
    pub(crate) udp_ports: Vec<u16>,
    pub(crate) lease_range: RangeInclusive<u16>,
    pub(crate) cert_email: Option<String>,
    pub(crate) cert_resolver: String,
    pub(crate) acme_storage: PathBuf,
    pub(crate) cf_dns_token_file: Option<PathBuf>,
    /// The route server's `/config` URL.
    pub(crate) route_server: String,
    pub(crate) poll_interval: Duration,
    pub(crate) log_level: String,
}

/// `3306,5432` (blanks allowed, empty = none) as sorted, distinct ports.
pub(crate) fn parse_ports(raw: &str) -> Result<Vec<u16>, InvalidValue> {
    let mut out = Vec::new();
    for item in raw.split(',') {
        let t = item.trim();
        if t.is_empty() {
            continue;
        }
        out.push(super::validate::port(t)?);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Why a duration on the command line was refused (clap shows the text after the value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("{0:?} is not a duration (5s, 500ms, 2m)")]
    Syntax(String),
    #[error("{0:?} is out of range")]
    Range(String),
}

/// Longest duration accepted: a year, so that adding one to an `Instant` cannot overflow.
const MAX_DURATION: Duration = Duration::from_secs(86_400 * 365);

/// `5s`, `500ms`, `2m`, `1.5s`, `1h 30m` (humantime's syntax), or a plain number of seconds
/// (`3`, `1.5`).
pub fn parse_duration(raw: &str) -> Result<Duration, DurationError> {
    let t = raw.trim();
    // humantime wants a unit after every number; renet has always read a bare one as seconds.
    let bare = !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let with_unit = if bare { format!("{t}s") } else { t.to_owned() };
    let d = humantime::parse_duration(&with_unit).map_err(|e| match e {
        humantime::DurationError::NumberOverflow => DurationError::Range(raw.to_owned()),
        _ => DurationError::Syntax(raw.to_owned()),
    })?;
    if d > MAX_DURATION {
        return Err(DurationError::Range(raw.to_owned()));
    }
    Ok(d)
}

/// A duration as Traefik reads it: `5s`, or `1500ms`.
pub(crate) fn traefik_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

fn address(host: IpAddr, port: u16, udp: bool) -> String {
    let host = match host {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    };
    let suffix = if udp { "/udp" } else { "" };
    format!("{host}:{port}{suffix}")
}

/// The entrypoint names HTTP routes should use for these settings.
pub(crate) fn http_entrypoints(s: &StaticSettings) -> Vec<String> {
    let mut v = vec!["websecure".to_owned()];
    if s.bind_v6.is_some() {
        v.push("websecure-v6".to_owned());
    }
    v
}

/// Traefik's log levels (its `log.level`, read case-insensitively).
const LOG_LEVELS: [&str; 7] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "PANIC"];

/// Why `renet proxy config` refused its settings (exit code 2: they are usage errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StaticConfigError {
    #[error(
        "renet proxy config needs --bind ADDR, the machine's public address: Traefik listening \
         on every address would take {ports} from every repository's own addresses (a \
         repository's postgres could no longer listen on its own 5432)"
    )]
    BindRequired { ports: String },
    #[error(
        "--bind {0} means every address, which would take the proxy's ports from every \
         repository's own addresses: give the machine's public address"
    )]
    BindEveryAddress(IpAddr),
    #[error(
        "--bind {addr} is inside the block {block} of repository network {network}: give the \
         machine's public address"
    )]
    BindInRepositoryBlock {
        addr: Ipv4Addr,
        network: u32,
        block: String,
    },
    #[error("--bind-v6 needs --bind (the public IPv4 address every entrypoint listens on)")]
    BindV6WithoutBind,
    #[error(
        "--bind-v6 :: would collide with the IPv4 listener (Go opens [::] dual-stack) and take \
         the port on every address; give a specific IPv6 address"
    )]
    BindV6Unspecified,
    #[error("{0} 0 is not a port Traefik can listen on")]
    PortZero(&'static str),
    #[error("--web-port and --websecure-port must differ")]
    SamePorts,
    #[error("TCP port {port} (fixed ports or the lease range) is also {flag}")]
    TcpPortTaken { port: u16, flag: &'static str },
    #[error(
        "{flag} {port} is inside the lease range {range} (--lease-range, RENET_PORT_RANGE): \
         every leased port needs its entrypoint to itself"
    )]
    InLeaseRange {
        flag: &'static str,
        port: u16,
        range: String,
    },
    #[error("--poll-interval must be above zero")]
    PollZero,
    #[error(
        "--log-level {0:?} is not one of Traefik's levels (TRACE, DEBUG, INFO, WARN, ERROR, FATAL, PANIC)"
    )]
    LogLevel(String),
    #[error("--route-server {raw:?} {reason}")]
    RouteServer { raw: String, reason: &'static str },
}

/// What the route server's URL may be given as: its base URL (`http://127.0.0.1:7111`, what
/// `route-server --listen` prints) or one of the two paths serving the configuration.
const ROUTE_SERVER_PATHS: [&str; 2] = ["/config", "/routes.json"];

/// The configuration URL Traefik polls, from `--route-server`: a base URL gets `/config`
/// (without it Traefik would poll `/` and get 404 for ever); `/config` and `/routes.json` stay.
pub(crate) fn route_server_endpoint(raw: &str) -> Result<String, StaticConfigError> {
    let refuse = |reason| StaticConfigError::RouteServer {
        raw: raw.to_owned(),
        reason,
    };
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(refuse("is not an http:// URL"));
    }
    let uri: axum::http::Uri = raw.parse().map_err(|_| refuse("is not an http:// URL"))?;
    let scheme = uri.scheme_str().unwrap_or_default();
    if scheme != "http" && scheme != "https" {
        return Err(refuse("is not an http:// URL"));
    }
    let Some(authority) = uri.authority().filter(|a| !a.host().is_empty()) else {
        return Err(refuse("names no host"));
    };
    let path = uri.path().trim_end_matches('/');
    let path = match path {
        "" => "/config",
        p if ROUTE_SERVER_PATHS.contains(&p) => p,
        _ => {
            return Err(refuse(
                "is not the route server's configuration: give its base URL \
                 (http://127.0.0.1:7111) or its /config URL",
            ));
        }
    };
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    Ok(format!("{scheme}://{authority}{path}{query}"))
}

/// Traefik's static configuration as a JSON value (serialised as YAML by the caller).
pub(crate) fn static_config(s: &StaticSettings) -> Result<Value, StaticConfigError> {
    let bind = check_bind(s)?;
    check_ports(s)?;
    if s.poll_interval.is_zero() {
        return Err(StaticConfigError::PollZero);
    }
    if !LOG_LEVELS.contains(&s.log_level.to_ascii_uppercase().as_str()) {
        return Err(StaticConfigError::LogLevel(s.log_level.clone()));
    }
    let mut root = Map::new();
    root.insert(
        "global".into(),
        json!({"checkNewVersion": false, "sendAnonymousUsage": false}),
    );
    root.insert("log".into(), json!({"level": s.log_level}));
    root.insert("entryPoints".into(), Value::Object(entry_points(s, bind)));
    root.insert(
        "providers".into(),
        json!({"http": {
            "endpoint": s.route_server,
            "pollInterval": traefik_duration(s.poll_interval),
            "pollTimeout": "5s",
        }}),
    );
    if let Some(email) = &s.cert_email {
        let mut resolvers = Map::new();
        resolvers.insert(
            s.cert_resolver.clone(),
            json!({"acme": {
                "email": email,
                "storage": s.acme_storage.display().to_string(),
                "dnsChallenge": {"provider": "cloudflare"},
            }}),
        );
        root.insert("certificatesResolvers".into(), Value::Object(resolvers));
    }
    Ok(Value::Object(root))
}

/// The repository network whose block holds `addr`, if any (SPEC section 1: the blocks of
/// network IDs 2816..=16711680 tile 127.0.11.0 to 127.255.0.63).
fn repository_network(addr: Ipv4Addr) -> Option<NetworkId> {
    let offset = u32::from(addr).checked_sub(u32::from(Ipv4Addr::new(127, 0, 0, 0)))?;
    if offset >= 1 << 24 {
        return None;
    }
    let first = offset.checked_sub(network::MIN_NETWORK_ID)?;
    let base = network::MIN_NETWORK_ID + first / network::BLOCK_SIZE * network::BLOCK_SIZE;
    NetworkId::new(base.into()).ok()
}

/// The one address every entrypoint listens on; refused when missing, when it means every
/// address, or when it belongs to a repository.
fn check_bind(s: &StaticSettings) -> Result<IpAddr, StaticConfigError> {
    let Some(bind) = s.bind else {
        if s.bind_v6.is_some() {
            return Err(StaticConfigError::BindV6WithoutBind);
        }
        return Err(StaticConfigError::BindRequired {
            ports: ports_summary(s),
        });
    };
    if bind.is_unspecified() {
        return Err(StaticConfigError::BindEveryAddress(bind));
    }
    if let IpAddr::V4(v4) = bind
        && let Some(net) = repository_network(v4)
    {
        return Err(StaticConfigError::BindInRepositoryBlock {
            addr: v4,
            network: net.get(),
            block: net.block().to_string(),
        });
    }
    if s.bind_v6.is_some_and(|v6| v6.is_unspecified()) {
        return Err(StaticConfigError::BindV6Unspecified);
    }
    Ok(bind)
}

/// The ports a Traefik on every address would take, for the refusal.
fn ports_summary(s: &StaticSettings) -> String {
    let mut tcp = vec![s.web_port, s.websecure_port];
    tcp.extend(&s.tcp_ports);
    tcp.sort_unstable();
    tcp.dedup();
    let list = |ports: &[u16]| {
        ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let udp = if s.udp_ports.is_empty() {
        String::new()
    } else {
        format!(", UDP {}", list(&s.udp_ports))
    };
    format!(
        "TCP {}{udp} and the lease range {}-{}",
        list(&tcp),
        s.lease_range.start(),
        s.lease_range.end()
    )
}

/// Ports Traefik could not listen on together: 0, one port twice, a fixed port inside the
/// lease range (its entrypoint would be both a fixed one and a leased one).
fn check_ports(s: &StaticSettings) -> Result<(), StaticConfigError> {
    let range = format!("{}-{}", s.lease_range.start(), s.lease_range.end());
    for (port, flag) in [
        (s.web_port, "--web-port"),
        (s.websecure_port, "--websecure-port"),
    ] {
        if port == 0 {
            return Err(StaticConfigError::PortZero(flag));
        }
        if s.lease_range.contains(&port) {
            return Err(StaticConfigError::InLeaseRange {
                flag,
                port,
                range: range.clone(),
            });
        }
        if s.tcp_ports.contains(&port) {
            return Err(StaticConfigError::TcpPortTaken { port, flag });
        }
    }
    if s.web_port == s.websecure_port {
        return Err(StaticConfigError::SamePorts);
    }
    let fixed = [(&s.tcp_ports, "--tcp-ports"), (&s.udp_ports, "--udp-ports")];
    for (ports, flag) in fixed {
        if let Some(&port) = ports.iter().find(|p| s.lease_range.contains(p)) {
            return Err(StaticConfigError::InLeaseRange { flag, port, range });
        }
    }
    Ok(())
}

/// `web` (redirecting to `websecure`), `websecure` (and `websecure-v6`), then `tcp-<port>` and
/// `udp-<port>` for the fixed ports and the lease range, all on `bind` (checked).
fn entry_points(s: &StaticSettings, bind: IpAddr) -> Map<String, Value> {
    let mut entry = Map::new();
    let tls = match &s.cert_email {
        Some(_) => json!({"certResolver": s.cert_resolver}),
        None => json!({}),
    };
    entry.insert(
        "web".into(),
        json!({
            "address": address(bind, s.web_port, false),
            "http": {"redirections": {"entryPoint": {
                "to": "websecure", "scheme": "https", "permanent": true
            }}}
        }),
    );
    entry.insert(
        "websecure".into(),
        json!({"address": address(bind, s.websecure_port, false), "http": {"tls": tls}}),
    );
    if let Some(v6) = s.bind_v6 {
        entry.insert(
            "websecure-v6".into(),
            json!({"address": address(IpAddr::V6(v6), s.websecure_port, false), "http": {"tls": tls}}),
        );
    }
    for p in with_lease_range(&s.tcp_ports, s) {
        entry.insert(
            format!("tcp-{p}"),
            json!({"address": address(bind, p, false)}),
        );
    }
    for p in with_lease_range(&s.udp_ports, s) {
        entry.insert(
            format!("udp-{p}"),
            json!({"address": address(bind, p, true)}),
        );
    }
    entry
}

/// `fixed` and every port of the lease range, sorted (checked distinct).
fn with_lease_range(fixed: &[u16], s: &StaticSettings) -> Vec<u16> {
    let mut ports = fixed.to_vec();
    ports.extend(s.lease_range.clone());
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// `traefik.yml`: a header saying where it came from, then the configuration.
pub(crate) fn traefik_yml(s: &StaticSettings) -> Result<String, StaticConfigError> {
    let value = static_config(s)?;
    let mut out = String::from(
        "# Traefik static configuration written by `renet proxy config`; regenerate rather than edit.\n\
         # Routes come from the renet route server (providers.http). Entrypoints: web redirects to\n\
         # websecure; tcp-<port>/udp-<port> for the fixed ports and the lease range. All listen on\n\
         # the machine's public address only: on every address they would take these ports from\n\
         # every repository's own loopback addresses.\n",
    );
    if s.cert_email.is_some() {
        let token = s.cf_dns_token_file.as_ref().map_or_else(
            || "<file holding the token>".to_owned(),
            |f| f.display().to_string(),
        );
        out.push_str(&format!(
            "# ACME DNS-01 with Cloudflare: Traefik needs CF_DNS_API_TOKEN_FILE={token} in its environment\n\
             # (renet proxy unit --cf-dns-token-file ... sets it).\n"
        ));
    }
    out.push_str(&super::yaml::to_yaml(&value));
    Ok(out)
}

/// What `renet proxy unit` needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnitSettings {
    pub(crate) renet: PathBuf,
    pub(crate) traefik: PathBuf,
    pub(crate) config_dir: PathBuf,
    pub(crate) run_dir: PathBuf,
    pub(crate) state_dir: PathBuf,
    pub(crate) cf_dns_token_file: Option<PathBuf>,
    /// Arguments of `renet route-server`, already validated.
    pub(crate) route_server_args: Vec<String>,
}

fn path_word(p: &Path) -> String {
    quote::systemd_arg(&p.display().to_string())
}

/// Two systemd units: `rediacc-router.service` (the route server) and
/// `rediacc-proxy.service` (Traefik on the generated static configuration).
pub(crate) fn units(u: &UnitSettings) -> String {
    let args: Vec<String> = u
        .route_server_args
        .iter()
        .map(|a| quote::systemd_arg(a))
        .collect();
    let token = u.cf_dns_token_file.as_ref().map_or_else(String::new, |f| {
        format!(
            "Environment={}\n",
            quote::systemd_env("CF_DNS_API_TOKEN_FILE", &f.display().to_string())
        )
    });
    format!(
        "# --- /etc/systemd/system/rediacc-router.service ---\n\
         [Unit]\n\
         Description=renet route server: Traefik routes from every repository daemon\n\
         After=network-online.target\n\
         Wants=network-online.target\n\
         \n\
         [Service]\n\
         Environment={run}\n\
         Environment={state}\n\
         ExecStart={renet} route-server {args}\n\
         Restart=always\n\
         RestartSec=1\n\
         LimitNOFILE=65536\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n\
         \n\
         # --- /etc/systemd/system/rediacc-proxy.service ---\n\
         [Unit]\n\
         Description=Traefik for rediacc repositories\n\
         After=network-online.target rediacc-router.service\n\
         Wants=network-online.target rediacc-router.service\n\
         \n\
         [Service]\n\
         {token}\
         ExecStart={traefik} --configFile={config}\n\
         Restart=always\n\
         RestartSec=2\n\
         AmbientCapabilities=CAP_NET_BIND_SERVICE\n\
         LimitNOFILE=65536\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        run = quote::systemd_env("RENET_RUN_DIR", &u.run_dir.display().to_string()),
        state = quote::systemd_env("RENET_STATE_DIR", &u.state_dir.display().to_string()),
        renet = path_word(&u.renet),
        args = args.join(" "),
        traefik = path_word(&u.traefik),
        config = path_word(&u.config_dir.join("traefik.yml")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed TCP entrypoints of `renet proxy config`'s defaults (MySQL, PostgreSQL, Redis,
    /// MongoDB, Memcached, RabbitMQ, Kafka; src/cli.rs).
    const DEFAULT_TCP_PORTS: &[u16] = &[3306, 5432, 6379, 27017, 11211, 5672, 9092];
    const DEFAULT_UDP_PORTS: &[u16] = &[53];

    /// The machine's public address in the tests (TEST-NET-3).
    const PUBLIC: &str = "203.0.113.7";

    fn settings() -> StaticSettings {
        StaticSettings {
            bind: Some(PUBLIC.parse().unwrap()),
            bind_v6: None,
            web_port: 80,
            websecure_port: 443,
            tcp_ports: DEFAULT_TCP_PORTS.to_vec(),
            udp_ports: DEFAULT_UDP_PORTS.to_vec(),
            lease_range: 10000..=10010,
            cert_email: None,
            cert_resolver: "letsencrypt".to_owned(),
            acme_storage: PathBuf::from("/etc/rediacc/proxy/acme.json"),
            cf_dns_token_file: None,
            route_server: "http://127.0.0.1:7111/config".to_owned(),
            poll_interval: Duration::from_secs(5),
            log_level: "INFO".to_owned(),
        }
    }

    #[test]
    fn default_static_config() {
        let v = static_config(&settings()).unwrap();
        let ep = &v["entryPoints"];
        assert_eq!(ep["web"]["address"], format!("{PUBLIC}:80"));
        assert_eq!(
            ep["web"]["http"]["redirections"]["entryPoint"]["to"],
            "websecure"
        );
        assert_eq!(ep["websecure"]["address"], format!("{PUBLIC}:443"));
        assert_eq!(ep["websecure"]["http"]["tls"], json!({}));
        assert!(ep.get("websecure-v6").is_none());
        for p in [
            3306, 5432, 6379, 27017, 11211, 5672, 9092, 10000, 10005, 10010,
        ] {
            assert_eq!(
                ep[format!("tcp-{p}")]["address"],
                format!("{PUBLIC}:{p}"),
                "{p}"
            );
        }
        assert_eq!(ep["udp-53"]["address"], format!("{PUBLIC}:53/udp"));
        assert_eq!(ep["udp-10003"]["address"], format!("{PUBLIC}:10003/udp"));
        assert!(ep.get("tcp-10011").is_none());
        // No entrypoint listens on every address.
        let every = ep
            .as_object()
            .unwrap()
            .values()
            .filter(|e| !e["address"].as_str().unwrap().starts_with(PUBLIC))
            .count();
        assert_eq!(every, 0, "{ep:#}");
        assert_eq!(
            v["providers"]["http"]["endpoint"],
            "http://127.0.0.1:7111/config"
        );
        assert_eq!(v["providers"]["http"]["pollInterval"], "5s");
        assert_eq!(v["global"]["checkNewVersion"], false);
        assert!(v.get("certificatesResolvers").is_none());
        assert_eq!(http_entrypoints(&settings()), vec!["websecure"]);
    }

    /// Without --bind nothing is produced, and the refusal names --bind and what every
    /// address would take; addresses meaning every address or a repository's are refused too.
    #[test]
    fn every_address_is_refused() {
        let mut s = settings();
        s.bind = None;
        let e = static_config(&s).unwrap_err();
        assert_eq!(
            e.to_string(),
            "renet proxy config needs --bind ADDR, the machine's public address: Traefik \
             listening on every address would take TCP 80, 443, 3306, 5432, 5672, 6379, 9092, \
             11211, 27017, UDP 53 and the lease range 10000-10010 from every repository's own \
             addresses (a repository's postgres could no longer listen on its own 5432)"
        );
        assert!(traefik_yml(&s).is_err());
        for every in ["0.0.0.0", "::"] {
            s.bind = Some(every.parse().unwrap());
            assert_eq!(
                static_config(&s).unwrap_err(),
                StaticConfigError::BindEveryAddress(every.parse().unwrap()),
                "{every}"
            );
        }
        for (addr, network, block) in [
            ("127.0.11.0", 2816, "127.0.11.0/26"),
            ("127.0.11.66", 2880, "127.0.11.64/26"),
            ("127.255.0.63", 16_711_680, "127.255.0.0/26"),
        ] {
            s.bind = Some(addr.parse().unwrap());
            let e = static_config(&s).unwrap_err();
            assert_eq!(
                e,
                StaticConfigError::BindInRepositoryBlock {
                    addr: addr.parse().unwrap(),
                    network,
                    block: block.into()
                }
            );
        }
        assert_eq!(
            StaticConfigError::BindInRepositoryBlock {
                addr: "127.0.11.66".parse().unwrap(),
                network: 2880,
                block: "127.0.11.64/26".into()
            }
            .to_string(),
            "--bind 127.0.11.66 is inside the block 127.0.11.64/26 of repository network 2880: \
             give the machine's public address"
        );
        // Loopback outside every block (below 127.0.11.0, above 127.255.0.63), IPv6 and
        // private addresses are the operator's to choose.
        for ok in [
            "127.0.0.1",
            "127.0.10.255",
            "127.255.0.64",
            "10.0.0.5",
            "2001:db8::1",
        ] {
            s.bind = Some(ok.parse().unwrap());
            assert!(static_config(&s).is_ok(), "{ok}");
        }
    }

    /// Port 0, one port twice, a fixed port or web/websecure inside the lease range, a zero
    /// poll interval, a log level Traefik does not know: each refused naming its flag.
    #[test]
    fn impossible_values_name_their_flag() {
        let refused = |f: &dyn Fn(&mut StaticSettings)| {
            let mut s = settings();
            f(&mut s);
            static_config(&s).unwrap_err().to_string()
        };
        assert_eq!(
            refused(&|s| s.web_port = 0),
            "--web-port 0 is not a port Traefik can listen on"
        );
        assert_eq!(
            refused(&|s| s.websecure_port = 0),
            "--websecure-port 0 is not a port Traefik can listen on"
        );
        assert_eq!(
            refused(&|s| s.websecure_port = 10004),
            "--websecure-port 10004 is inside the lease range 10000-10010 (--lease-range, \
             RENET_PORT_RANGE): every leased port needs its entrypoint to itself"
        );
        assert!(refused(&|s| s.web_port = 10000).starts_with("--web-port 10000 is inside"));
        assert!(
            refused(&|s| s.tcp_ports = vec![5432, 10010])
                .starts_with("--tcp-ports 10010 is inside the lease range 10000-10010")
        );
        assert!(
            refused(&|s| s.udp_ports = vec![10001])
                .starts_with("--udp-ports 10001 is inside the lease range")
        );
        assert_eq!(
            refused(&|s| s.tcp_ports = vec![80]),
            "TCP port 80 (fixed ports or the lease range) is also --web-port"
        );
        assert_eq!(
            refused(&|s| s.web_port = 443),
            "--web-port and --websecure-port must differ"
        );
        assert_eq!(
            refused(&|s| s.poll_interval = Duration::ZERO),
            "--poll-interval must be above zero"
        );
        assert!(refused(&|s| s.log_level = "LOUD".into()).starts_with("--log-level \"LOUD\""));
        let mut s = settings();
        s.log_level = "debug".into();
        assert!(static_config(&s).is_ok());
        // UDP and TCP are separate: udp-443 beside websecure is fine.
        s.udp_ports = vec![443];
        assert!(static_config(&s).is_ok());
    }

    /// --route-server: the base URL gets /config; /config and /routes.json stay; anything
    /// else is refused, naming the flag.
    #[test]
    fn route_server_urls() {
        for (raw, want) in [
            ("http://127.0.0.1:7111", "http://127.0.0.1:7111/config"),
            ("http://127.0.0.1:7111/", "http://127.0.0.1:7111/config"),
            (
                "http://127.0.0.1:7111/config",
                "http://127.0.0.1:7111/config",
            ),
            (
                "http://127.0.0.1:7111/config/",
                "http://127.0.0.1:7111/config",
            ),
            (
                "http://127.0.0.1:7111/config?format=json",
                "http://127.0.0.1:7111/config?format=json",
            ),
            (
                "https://router.internal:8443/routes.json",
                "https://router.internal:8443/routes.json",
            ),
            ("http://[::1]:7111", "http://[::1]:7111/config"),
        ] {
            assert_eq!(route_server_endpoint(raw).unwrap(), want, "{raw}");
        }
        for (raw, reason) in [
            ("127.0.0.1:7111", "is not an http:// URL"),
            ("ftp://127.0.0.1:7111/config", "is not an http:// URL"),
            ("http://127.0.0.1:7111/con fig", "is not an http:// URL"),
            (
                "http://127.0.0.1:7111/health",
                "is not the route server's configuration",
            ),
            (
                "http://127.0.0.1:7111/ports",
                "is not the route server's configuration",
            ),
            ("http:///config", ""),
        ] {
            let e = route_server_endpoint(raw).unwrap_err().to_string();
            assert!(e.starts_with(&format!("--route-server {raw:?}")), "{e}");
            assert!(e.contains(reason), "{raw}: {e}");
        }
    }

    #[test]
    fn bind_acme_and_extra_ports() {
        let mut s = settings();
        s.bind = Some("127.0.0.1".parse().unwrap());
        s.bind_v6 = Some("2001:db8::1".parse().unwrap());
        s.web_port = 18080;
        s.websecure_port = 18443;
        s.tcp_ports = parse_ports("25, 143,25").unwrap();
        s.udp_ports = Vec::new();
        s.lease_range = 18500..=18501;
        s.cert_email = Some("ops@example.com".to_owned());
        s.poll_interval = Duration::from_millis(1500);
        let v = static_config(&s).unwrap();
        let ep = &v["entryPoints"];
        assert_eq!(ep["web"]["address"], "127.0.0.1:18080");
        assert_eq!(ep["websecure"]["address"], "127.0.0.1:18443");
        assert_eq!(ep["websecure-v6"]["address"], "[2001:db8::1]:18443");
        assert_eq!(
            ep["websecure"]["http"]["tls"]["certResolver"],
            "letsencrypt"
        );
        assert_eq!(ep["tcp-25"]["address"], "127.0.0.1:25");
        assert_eq!(ep["tcp-143"]["address"], "127.0.0.1:143");
        assert!(ep.get("tcp-3306").is_none());
        assert!(ep.get("udp-53").is_none());
        assert_eq!(ep["udp-18501"]["address"], "127.0.0.1:18501/udp");
        assert_eq!(v["providers"]["http"]["pollInterval"], "1500ms");
        let acme = &v["certificatesResolvers"]["letsencrypt"]["acme"];
        assert_eq!(acme["email"], "ops@example.com");
        assert_eq!(acme["dnsChallenge"]["provider"], "cloudflare");
        assert_eq!(http_entrypoints(&s), vec!["websecure", "websecure-v6"]);
        let y = traefik_yml(&s).unwrap();
        assert!(y.starts_with("# Traefik static configuration"));
        assert!(y.contains("CF_DNS_API_TOKEN_FILE"));
        let back: Value = yaml_serde::from_str(&y).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn refused_combinations() {
        let mut s = settings();
        s.bind = None;
        s.bind_v6 = Some("2001:db8::1".parse().unwrap());
        assert_eq!(
            static_config(&s).unwrap_err(),
            StaticConfigError::BindV6WithoutBind
        );
        s.bind = Some("127.0.0.1".parse().unwrap());
        s.bind_v6 = Some(Ipv6Addr::UNSPECIFIED);
        assert!(
            static_config(&s)
                .unwrap_err()
                .to_string()
                .contains("collide")
        );
        let mut s = settings();
        s.tcp_ports = vec![443];
        assert!(
            static_config(&s)
                .unwrap_err()
                .to_string()
                .contains("--websecure-port")
        );
        let mut s = settings();
        s.web_port = 443;
        assert!(static_config(&s).is_err());
        assert_eq!(
            StaticConfigError::BindV6Unspecified.to_string(),
            "--bind-v6 :: would collide with the IPv4 listener (Go opens [::] dual-stack) and take \
             the port on every address; give a specific IPv6 address"
        );
        assert_eq!(
            StaticConfigError::TcpPortTaken {
                port: 443,
                flag: "--websecure-port"
            }
            .to_string(),
            "TCP port 443 (fixed ports or the lease range) is also --websecure-port"
        );
    }

    #[test]
    fn parsers() {
        assert_eq!(parse_ports("").unwrap(), Vec::<u16>::new());
        assert_eq!(parse_ports("5432,3306, 3306").unwrap(), vec![3306, 5432]);
        assert!(parse_ports("5432,x").is_err());
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        for bad in ["", "s", "5x", "-1s", "1e400s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_duration(" 1.5 ").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(
            parse_duration("5x").unwrap_err().to_string(),
            "\"5x\" is not a duration (5s, 500ms, 2m)"
        );
        assert_eq!(
            parse_duration("366d").unwrap_err().to_string(),
            "\"366d\" is out of range"
        );
        assert!(parse_duration("99999999999999999999s").is_err());
        assert_eq!(traefik_duration(Duration::from_secs(5)), "5s");
        assert_eq!(traefik_duration(Duration::from_millis(250)), "250ms");
    }

    #[test]
    fn unit_text() {
        let u = UnitSettings {
            renet: PathBuf::from("/usr/local/bin/renet"),
            traefik: PathBuf::from("/usr/local/bin/traefik"),
            config_dir: PathBuf::from("/etc/rediacc/proxy"),
            run_dir: PathBuf::from("/var/run/rediacc"),
            state_dir: PathBuf::from("/var/lib/rediacc"),
            cf_dns_token_file: Some(PathBuf::from("/etc/rediacc/cf token")),
            route_server_args: vec![
                "--listen".into(),
                "127.0.0.1:7111".into(),
                "--base-domain".into(),
                "example.com".into(),
            ],
        };
        let t = units(&u);
        assert!(t.contains(
            "ExecStart=/usr/local/bin/renet route-server --listen 127.0.0.1:7111 --base-domain example.com\n"
        ));
        assert!(t.contains(
            "ExecStart=/usr/local/bin/traefik --configFile=/etc/rediacc/proxy/traefik.yml\n"
        ));
        assert!(t.contains("Environment=\"CF_DNS_API_TOKEN_FILE=/etc/rediacc/cf token\"\n"));
        assert!(t.contains("# --- /etc/systemd/system/rediacc-router.service ---"));
        assert!(t.contains("# --- /etc/systemd/system/rediacc-proxy.service ---"));
    }
}
