//! `route-server` and `proxy`: whether the route server answers and is ok, whether a proxy
//! polls it (the route server records the last `/config` request in `/health` as
//! `last_config_request`), and whether the proxy's entrypoints (the `traefik.yml` that `renet
//! proxy config` wrote) cover the lease range without listening on every address. Pure.

use std::path::Path;

use serde_json::Value;

use super::firewall::ProxyPorts;
use super::report::{Check, Status};
use crate::host::HostError;
use crate::leases::{PortRange, Proto};

pub(crate) const ROUTE_SERVER_ID: &str = "route-server";
pub(crate) const PROXY_ID: &str = "proxy";

/// A proxy that has not asked for `/config` for this long has stopped polling (Traefik polls
/// every 5 s by default; `renet proxy config --poll-interval`).
const STALE_SECS: u64 = 60;

/// Why `/health` could not be read (the client's own message, which names the URL).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{reason}")]
pub(crate) struct HealthError {
    pub(crate) reason: String,
}

/// The route server's `/health` document, or why there is none.
pub(crate) type Health = Result<Value, HealthError>;

const START_ROUTE_SERVER: &str = "start it: renet route-server (on a machine set up with `renet machine units`: systemctl start rediacc-router)";

pub(crate) fn route_server(url: &str, health: &Health) -> Check {
    let h = match health {
        Ok(h) => h,
        Err(e) => {
            return Check::error(
                ROUTE_SERVER_ID,
                // The client's message names the URL and ends with how to start the server,
                // which is the fix here.
                e.reason
                    .split("; start it")
                    .next()
                    .unwrap_or(&e.reason)
                    .to_owned(),
                START_ROUTE_SERVER,
            );
        }
    };
    let n = |k: &str| h[k].as_u64().unwrap_or(0);
    let summary = format!(
        "route server {url}: {}, {} daemons seen ({} failed), {} routers",
        h["status"].as_str().unwrap_or("unknown"),
        n("daemons_seen"),
        n("daemons_failed"),
        n("routers")
    );
    if h["status"] == "ok" {
        return Check::ok(ROUTE_SERVER_ID, summary);
    }
    let mut details: Vec<String> = h["daemons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| {
            Some(format!(
                "network {}: {}",
                d["network_id"],
                d["error"].as_str()?
            ))
        })
        .collect();
    details.extend(h["problems"].as_array().into_iter().flatten().map(|p| {
        let t = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
        format!(
            "network {} container {} service {}: {} ({})",
            p["network_id"],
            t("container"),
            t("service"),
            t("effect"),
            t("reason")
        )
    }));
    if let Some(e) = h["leases"]["error"].as_str() {
        details.push(format!("port leases: {e}"));
    }
    Check::warning(ROUTE_SERVER_ID, summary, "fix what each line names (`renet proxy status` shows the same); the other routes keep being served")
        .details(details)
}

/// One entrypoint of `traefik.yml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entrypoint {
    pub(crate) name: String,
    /// The host part of its address; empty for `:443`.
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) proto: Proto,
}

impl Entrypoint {
    fn is_wildcard(&self) -> bool {
        matches!(self.host.trim_matches(['[', ']']), "" | "0.0.0.0" | "::")
    }
}

/// The entrypoints of a Traefik static configuration (YAML).
pub(crate) fn entrypoints(text: &str) -> Result<Vec<Entrypoint>, yaml_serde::Error> {
    let doc: Value = yaml_serde::from_str(text)?;
    let mut out = Vec::new();
    for (name, ep) in doc["entryPoints"].as_object().into_iter().flatten() {
        let Some(address) = ep["address"].as_str() else {
            continue;
        };
        let (address, proto) = match address.strip_suffix("/udp") {
            Some(a) => (a, Proto::Udp),
            None => (address.strip_suffix("/tcp").unwrap_or(address), Proto::Tcp),
        };
        let Some((host, port)) = address.rsplit_once(':') else {
            continue;
        };
        let Ok(port) = port.parse() else { continue };
        out.push(Entrypoint {
            name: name.clone(),
            host: host.to_owned(),
            port,
            proto,
        });
    }
    Ok(out)
}

/// The ports the proxy serves, for `firewall.input`: its entrypoints, or (no readable
/// `traefik.yml`) what `renet proxy config` writes by default for `range`.
pub(crate) fn served_ports(entrypoints: Option<&[Entrypoint]>, range: PortRange) -> ProxyPorts {
    let (mut tcp, mut udp): (Vec<u16>, Vec<u16>) = match entrypoints {
        Some(eps) => (
            eps.iter()
                .filter(|e| e.proto == Proto::Tcp)
                .map(|e| e.port)
                .collect(),
            eps.iter()
                .filter(|e| e.proto == Proto::Udp)
                .map(|e| e.port)
                .collect(),
        ),
        None => {
            let mut tcp = super::listeners::FIXED_TCP.to_vec();
            tcp.extend(range.ports());
            let mut udp = super::listeners::FIXED_UDP.to_vec();
            udp.extend(range.ports());
            (tcp, udp)
        }
    };
    for v in [&mut tcp, &mut udp] {
        v.sort_unstable();
        v.dedup();
    }
    ProxyPorts { tcp, udp }
}

/// One part of the `proxy` check; the check is the worst of its parts.
struct Part {
    status: Status,
    summary: String,
    details: Vec<String>,
    fix: Option<String>,
}

fn polling(health: &Value, now_unix: u64) -> Part {
    let part = |status, summary: String, fix: Option<&str>| Part {
        status,
        summary,
        details: Vec::new(),
        fix: fix.map(str::to_owned),
    };
    let Some(last) = health.get("last_config_request") else {
        return part(
            Status::Warning,
            "the route server does not record /config requests (it is older than this renet): whether a proxy polls it is unknown".to_owned(),
            Some("restart the route server with this renet (systemctl restart rediacc-router)"),
        );
    };
    let start_proxy = "start Traefik with the configuration `renet proxy config` writes: systemctl start rediacc-proxy \
                       (units from `renet machine units`), and check its HTTP provider endpoint is the route server's /config";
    if last.is_null() {
        return part(
            Status::Error,
            "no proxy has asked the route server for /config since it started: no route is served"
                .to_owned(),
            Some(start_proxy),
        );
    }
    let when = last["unix"].as_u64().unwrap_or(0);
    let age = now_unix.saturating_sub(when);
    let who = format!(
        "{} ({})",
        last["client"].as_str().unwrap_or("unknown client"),
        last["user_agent"].as_str().unwrap_or("no user agent")
    );
    if age > STALE_SECS {
        part(
            Status::Warning,
            format!("the proxy last asked for /config {age} s ago ({who}): it stopped polling"),
            Some(start_proxy),
        )
    } else {
        part(
            Status::Ok,
            format!("a proxy polls the route server: {who}, {age} s ago"),
            None,
        )
    }
}

fn coverage(path: &Path, eps: &[Entrypoint], range: PortRange) -> Part {
    let mut details = Vec::new();
    let mut status = Status::Ok;
    let mut fixes = Vec::new();
    let wild: Vec<&Entrypoint> = eps.iter().filter(|e| e.is_wildcard()).collect();
    if !wild.is_empty() {
        status = Status::Error;
        let names: Vec<String> = wild
            .iter()
            .map(|e| format!("{} ({}:{})", e.name, e.host, e.port))
            .collect();
        details.push(format!(
            "entrypoints on every address, which takes their ports from every repository: {}",
            names.join(", ")
        ));
        fixes.push(format!("renet proxy config --out {} --bind <the machine's public address>, then restart Traefik", dir(path)));
    }
    for proto in [Proto::Tcp, Proto::Udp] {
        let missing: Vec<u16> = range
            .ports()
            .filter(|p| !eps.iter().any(|e| e.proto == proto && e.port == *p))
            .collect();
        if !missing.is_empty() {
            status = status.max(Status::Warning);
            details.push(format!(
                "no {} entrypoint for leased ports {}: leases there are not reachable",
                proto.as_str(),
                super::firewall::port_text(&missing)
            ));
        }
    }
    if details.len() > wild.len().min(1) {
        fixes.push(format!("renet proxy config --out {} --lease-range {range} (the same as RENET_PORT_RANGE), then restart Traefik", dir(path)));
    }
    let summary = if status == Status::Ok {
        format!(
            "{} entrypoints in {} cover the lease range {range}",
            eps.len(),
            path.display()
        )
    } else {
        format!(
            "the entrypoints in {} do not match the lease range {range} on the public address",
            path.display()
        )
    };
    Part {
        status,
        summary,
        details,
        fix: (!fixes.is_empty()).then(|| fixes.join("\n")),
    }
}

fn dir(path: &Path) -> String {
    path.parent()
        .map_or_else(|| ".".to_owned(), |d| d.display().to_string())
}

/// The `proxy` check: polling (when the route server answered) and the entrypoints.
pub(crate) fn proxy(
    health: Option<&Value>,
    now_unix: u64,
    traefik: (&Path, &Result<String, HostError>),
    range: PortRange,
) -> Check {
    let mut parts = Vec::new();
    match health {
        Some(h) => parts.push(polling(h, now_unix)),
        None => parts.push(Part {
            status: Status::Skipped,
            summary: "the route server does not answer: whether a proxy polls it is unknown"
                .to_owned(),
            details: Vec::new(),
            fix: Some(START_ROUTE_SERVER.to_owned()),
        }),
    }
    let (path, text) = traefik;
    let read = match text {
        Ok(t) => entrypoints(t).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) => Err(e.to_string()),
    };
    parts.push(match read {
        Ok(eps) => coverage(path, &eps, range),
        Err(e) => Part {
            status: Status::Warning,
            summary: format!("no readable proxy configuration at {}: its entrypoints cannot be compared with the lease range", path.display()),
            details: vec![e],
            fix: Some("renet proxy config --out <folder> --bind <public address> writes it; name its folder with `renet doctor --proxy-config DIR` or the machine setting proxy_config_dir".to_owned()),
        },
    });
    let status = parts.iter().map(|p| p.status).max().unwrap_or(Status::Ok);
    let summary = parts
        .iter()
        .map(|p| p.summary.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    let fix = parts
        .iter()
        .filter(|p| p.status > Status::Ok)
        .filter_map(|p| p.fix.clone())
        .collect::<Vec<_>>()
        .join("\n");
    let details: Vec<String> = parts.into_iter().flat_map(|p| p.details).collect();
    let c = match status {
        Status::Error => Check::error(PROXY_ID, summary, fix),
        Status::Warning => Check::warning(PROXY_ID, summary, fix),
        Status::Skipped => Check::skipped(PROXY_ID, summary, fix),
        Status::Ok => Check::ok(PROXY_ID, summary),
    };
    c.details(details)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leases::parse_range;

    const TRAEFIK: &str = "# written by renet proxy config\nentryPoints:\n  web:\n    address: 203.0.113.7:80\n  websecure:\n    address: 203.0.113.7:443\n  tcp-5432:\n    address: 203.0.113.7:5432\n  tcp-10000:\n    address: 203.0.113.7:10000\n  tcp-10001:\n    address: 203.0.113.7:10001\n  udp-10000:\n    address: 203.0.113.7:10000/udp\n  udp-10001:\n    address: 203.0.113.7:10001/udp\n";

    fn health(last: Option<Value>) -> Value {
        let mut h = serde_json::json!({"status": "ok", "daemons_seen": 2, "daemons_failed": 0, "routers": 3});
        if let Some(l) = last {
            h["last_config_request"] = l;
        }
        h
    }

    #[test]
    fn route_server_answers_or_not() {
        assert_eq!(
            route_server("http://127.0.0.1:7111", &Ok(health(None))).status,
            Status::Ok
        );
        let degraded = serde_json::json!({"status": "degraded", "daemons": [{"network_id": 2880, "error": "timeout"}], "problems": [{"network_id": 2816, "container": "c", "service": "s", "effect": "dropped", "reason": "bad label"}]});
        let c = route_server("http://127.0.0.1:7111", &Ok(degraded));
        assert_eq!(c.status, Status::Warning);
        assert_eq!(
            c.details,
            [
                "network 2880: timeout",
                "network 2816 container c service s: dropped (bad label)"
            ]
        );
        let c = route_server(
            "http://127.0.0.1:7111",
            &Err(HealthError {
                reason: "connection refused".into(),
            }),
        );
        assert_eq!(c.status, Status::Error);
        assert!(c.fix.contains("renet route-server"));
    }

    #[test]
    fn polled_recently_and_entrypoints_cover_the_range() {
        let range = parse_range("10000-10001").unwrap();
        let last = serde_json::json!({"unix": 1000, "client": "127.0.0.1:51234", "user_agent": "Traefik/3.5.0"});
        let yml = Path::new("/etc/rediacc/proxy/traefik.yml");
        let c = proxy(
            Some(&health(Some(last))),
            1003,
            (yml, &Ok(TRAEFIK.to_owned())),
            range,
        );
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(
            c.summary
                .contains("127.0.0.1:51234 (Traefik/3.5.0), 3 s ago"),
            "{}",
            c.summary
        );
        let ports = served_ports(Some(&entrypoints(TRAEFIK).unwrap()), range);
        assert_eq!(
            ports,
            ProxyPorts {
                tcp: vec![80, 443, 5432, 10000, 10001],
                udp: vec![10000, 10001]
            }
        );
    }

    #[test]
    fn never_polled_stale_too_old_and_a_narrow_proxy() {
        let range = parse_range("10000-10003").unwrap();
        let yml = Path::new("/etc/rediacc/proxy/traefik.yml");
        let ok = Ok(TRAEFIK.to_owned());
        let c = proxy(Some(&health(Some(Value::Null))), 1000, (yml, &ok), range);
        assert_eq!(c.status, Status::Error);
        assert!(c.summary.contains("no proxy has asked"), "{}", c.summary);
        assert!(
            c.details.contains(
                &"no tcp entrypoint for leased ports 10002-10003: leases there are not reachable"
                    .to_owned()
            ),
            "{:?}",
            c.details
        );
        assert!(c.fix.contains("--lease-range 10000-10003"), "{}", c.fix);
        let stale = serde_json::json!({"unix": 100, "client": "127.0.0.1:1", "user_agent": "Traefik/3.5.0"});
        let c = proxy(
            Some(&health(Some(stale))),
            1000,
            (yml, &ok),
            parse_range("10000-10001").unwrap(),
        );
        assert_eq!(c.status, Status::Warning);
        assert!(c.summary.contains("900 s ago"));
        let c = proxy(
            Some(&health(None)),
            1000,
            (yml, &ok),
            parse_range("10000-10001").unwrap(),
        );
        assert_eq!(c.status, Status::Warning);
        assert!(c.summary.contains("older than this renet"), "{}", c.summary);
        let wild = TRAEFIK.replace("203.0.113.7:5432", ":5432");
        let c = proxy(
            Some(&health(Some(Value::Null))),
            0,
            (yml, &Ok(wild)),
            parse_range("10000-10001").unwrap(),
        );
        assert!(c.details[0].contains("tcp-5432 (:5432)"), "{:?}", c.details);
        let missing = Err(HostError::Read {
            path: yml.into(),
            reason: "No such file".into(),
        });
        assert_eq!(
            proxy(None, 0, (yml, &missing), range).status,
            Status::Warning
        );
    }
}
