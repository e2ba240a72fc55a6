//! Traefik's static configuration and the systemd units for Traefik and the route server.
//! Pure generation: the command writes the result (atomically) or prints it.
//!
//! Listening addresses: without `--bind`, entrypoints listen on `:<port>`, which Go opens as
//! one dual-stack socket (IPv4 and IPv6); a separate `websecure-v6` would collide with it
//! (`address already in use`) and is not written. With `--bind ADDR` every entrypoint listens
//! on ADDR only, and `--bind-v6 ADDR6` (a specific IPv6 address; `::` would collide with the
//! IPv4 listener) adds `websecure-v6` on `[ADDR6]:<websecure port>`.

use std::net::{IpAddr, Ipv6Addr};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::validate::InvalidValue;
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

fn address(bind: Option<IpAddr>, port: u16, udp: bool) -> String {
    let host = match bind {
        None => String::new(),
        Some(IpAddr::V4(a)) => a.to_string(),
        Some(IpAddr::V6(a)) => format!("[{a}]"),
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

/// Why `renet proxy config` refused its settings (exit code 2: they are usage errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum StaticConfigError {
    #[error(
        "--bind-v6 needs --bind: without --bind every entrypoint already listens on IPv4 and IPv6"
    )]
    BindV6WithoutBind,
    #[error(
        "--bind-v6 :: would collide with the IPv4 listener (Go opens [::] dual-stack); give a \
         specific IPv6 address, or leave out --bind and --bind-v6 to listen on every address"
    )]
    BindV6Unspecified,
    #[error("--web-port and --websecure-port must differ")]
    SamePorts,
    #[error("TCP port {port} (fixed ports or the lease range) is also {flag}")]
    TcpPortTaken { port: u16, flag: &'static str },
}

/// Traefik's static configuration as a JSON value (serialised as YAML by the caller).
pub(crate) fn static_config(s: &StaticSettings) -> Result<Value, StaticConfigError> {
    check_listeners(s)?;
    let mut root = Map::new();
    root.insert(
        "global".into(),
        json!({"checkNewVersion": false, "sendAnonymousUsage": false}),
    );
    root.insert("log".into(), json!({"level": s.log_level}));
    root.insert("entryPoints".into(), Value::Object(entry_points(s)?));
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

/// The listening addresses Traefik could not open together.
fn check_listeners(s: &StaticSettings) -> Result<(), StaticConfigError> {
    if let Some(v6) = s.bind_v6 {
        if s.bind.is_none() {
            return Err(StaticConfigError::BindV6WithoutBind);
        }
        if v6.is_unspecified() {
            return Err(StaticConfigError::BindV6Unspecified);
        }
    }
    if s.web_port == s.websecure_port {
        return Err(StaticConfigError::SamePorts);
    }
    Ok(())
}

/// `web` (redirecting to `websecure`), `websecure` (and `websecure-v6`), then `tcp-<port>` and
/// `udp-<port>` for the fixed ports and the lease range.
fn entry_points(s: &StaticSettings) -> Result<Map<String, Value>, StaticConfigError> {
    let mut entry = Map::new();
    let tls = match &s.cert_email {
        Some(_) => json!({"certResolver": s.cert_resolver}),
        None => json!({}),
    };
    entry.insert(
        "web".into(),
        json!({
            "address": address(s.bind, s.web_port, false),
            "http": {"redirections": {"entryPoint": {
                "to": "websecure", "scheme": "https", "permanent": true
            }}}
        }),
    );
    entry.insert(
        "websecure".into(),
        json!({"address": address(s.bind, s.websecure_port, false), "http": {"tls": tls}}),
    );
    if let Some(v6) = s.bind_v6 {
        entry.insert(
            "websecure-v6".into(),
            json!({"address": address(Some(IpAddr::V6(v6)), s.websecure_port, false), "http": {"tls": tls}}),
        );
    }
    let mut tcp_taken = vec![
        (s.web_port, "--web-port"),
        (s.websecure_port, "--websecure-port"),
    ];
    for p in with_lease_range(&s.tcp_ports, s) {
        if let Some((_, flag)) = tcp_taken.iter().find(|(q, _)| *q == p) {
            return Err(StaticConfigError::TcpPortTaken { port: p, flag });
        }
        tcp_taken.push((p, "a TCP port"));
        entry.insert(
            format!("tcp-{p}"),
            json!({"address": address(s.bind, p, false)}),
        );
    }
    for p in with_lease_range(&s.udp_ports, s) {
        entry.insert(
            format!("udp-{p}"),
            json!({"address": address(s.bind, p, true)}),
        );
    }
    Ok(entry)
}

/// `fixed` and every port of the lease range, sorted and distinct.
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
         # websecure; tcp-<port>/udp-<port> for the fixed ports and the lease range.\n",
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

    fn settings() -> StaticSettings {
        StaticSettings {
            bind: None,
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
        assert_eq!(ep["web"]["address"], ":80");
        assert_eq!(
            ep["web"]["http"]["redirections"]["entryPoint"]["to"],
            "websecure"
        );
        assert_eq!(ep["websecure"]["address"], ":443");
        assert_eq!(ep["websecure"]["http"]["tls"], json!({}));
        assert!(ep.get("websecure-v6").is_none());
        for p in [
            3306, 5432, 6379, 27017, 11211, 5672, 9092, 10000, 10005, 10010,
        ] {
            assert_eq!(ep[format!("tcp-{p}")]["address"], format!(":{p}"), "{p}");
        }
        assert_eq!(ep["udp-53"]["address"], ":53/udp");
        assert_eq!(ep["udp-10003"]["address"], ":10003/udp");
        assert!(ep.get("tcp-10011").is_none());
        assert_eq!(
            v["providers"]["http"]["endpoint"],
            "http://127.0.0.1:7111/config"
        );
        assert_eq!(v["providers"]["http"]["pollInterval"], "5s");
        assert_eq!(v["global"]["checkNewVersion"], false);
        assert!(v.get("certificatesResolvers").is_none());
        assert_eq!(http_entrypoints(&settings()), vec!["websecure"]);
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
        s.bind_v6 = Some("2001:db8::1".parse().unwrap());
        assert!(
            static_config(&s)
                .unwrap_err()
                .to_string()
                .contains("--bind")
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
            "--bind-v6 :: would collide with the IPv4 listener (Go opens [::] dual-stack); give a \
             specific IPv6 address, or leave out --bind and --bind-v6 to listen on every address"
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
