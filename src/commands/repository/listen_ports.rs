//! The ports a service will listen on, as `repository up`'s readiness check waits for them:
//! `rediacc.service_port`, `rediacc.tcp_ports`/`udp_ports` (from the container's labels, which
//! compose interpolated), and the container ports of `ports:` and `expose:` (from the
//! repository's compose files: the rewrite drops `ports:`, host networking publishes nothing).
//! Pure, but for the file reads of [`model_ports`] and [`udp_bound_now`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use serde_json::Value;

use crate::leases::Proto;
use crate::leases::range::{label_for, parse_ports};

/// A port and its protocol.
pub(super) type Port = (Proto, u16);

/// A range longer than this (`8000-9000`) is not waited for port by port.
const MAX_RANGE: u32 = 64;

/// The ports the labels ask for; a value that does not parse is the leasing's error to report
/// (at `compose up`), not the wait's: it is left out.
pub(super) fn from_labels(service: &str, labels: &HashMap<String, String>) -> BTreeSet<Port> {
    let mut out = BTreeSet::new();
    if let Some(p) = labels
        .get("rediacc.service_port")
        .and_then(|v| v.trim().parse::<u16>().ok())
        .filter(|p| *p != 0)
    {
        out.insert((Proto::Tcp, p));
    }
    for proto in Proto::ALL {
        let name = label_for(proto);
        if let Some(v) = labels.get(name)
            && let Ok(ports) = parse_ports(service, name, v)
        {
            out.extend(ports.into_iter().map(|p| (proto, p)));
        }
    }
    out
}

/// The container ports of one service's `ports:` and `expose:` (a compose model's service),
/// as the preflight reads them. Values compose still has to interpolate (`${PORT}`) are left
/// out, and so is a range of more than [`MAX_RANGE`] ports.
pub(super) fn from_model(svc: &Value) -> BTreeSet<Port> {
    crate::doctor::ports::of_model(svc, MAX_RANGE)
}

/// `ports:`/`expose:` ports of every service of the repository's compose projects (the root
/// and each first-level folder with a Rediaccfile, as slots are synced). A project that does
/// not load gives nothing: `up` already ran it, and the labels still count.
pub(super) fn model_ports(repo: &Path) -> BTreeMap<String, BTreeSet<Port>> {
    let mut out: BTreeMap<String, BTreeSet<Port>> = BTreeMap::new();
    let Ok(projects) = crate::compose::files::repo_projects(repo) else {
        return out;
    };
    for files in projects {
        let dir = files.first().and_then(|f| f.parent()).unwrap_or(repo);
        let Ok(project) = crate::compose::load_in(&files, dir, Some(repo)) else {
            continue;
        };
        for (name, svc) in crate::compose::services(&project.model) {
            out.entry(name.clone()).or_default().extend(from_model(svc));
        }
    }
    out
}

/// Whether a UDP socket is bound to `port` on `ip` or on every address, in the text of
/// `/proc/net/udp` (`udp6`: `v6`, where only the wildcard `::` counts). UDP has no connection to
/// try: a bound socket is all "listening" means.
pub(super) fn udp_bound(proc_text: &str, v6: bool, ip: Ipv4Addr, port: u16) -> bool {
    let table = if v6 { "udp6" } else { "udp" };
    crate::host::listeners::parse(table, proc_text)
        .iter()
        .any(|s| s.port == port && (s.is_wildcard() || (!v6 && s.addr == IpAddr::V4(ip))))
}

/// [`udp_bound`] on this network namespace's sockets (host networking: the containers' too).
pub(super) fn udp_bound_now(ip: Ipv4Addr, port: u16) -> bool {
    [("/proc/net/udp", false), ("/proc/net/udp6", true)]
        .iter()
        .any(|(file, v6)| {
            std::fs::read_to_string(file).is_ok_and(|text| udp_bound(&text, *v6, ip, port))
        })
}

/// `tcp 127.0.11.2:8080`.
pub(super) fn describe(ip: Ipv4Addr, (proto, port): Port) -> String {
    format!("{proto} {ip}:{port}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_give_the_service_port_and_the_leased_ports() {
        let labels: HashMap<String, String> = [
            ("rediacc.service_port", "8080"),
            ("rediacc.tcp_ports", "5432, 6379"),
            ("rediacc.udp_ports", "53"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let got: Vec<Port> = from_labels("db", &labels).into_iter().collect();
        assert_eq!(
            got,
            [
                (Proto::Tcp, 5432),
                (Proto::Tcp, 6379),
                (Proto::Tcp, 8080),
                (Proto::Udp, 53)
            ]
        );
        let bad: HashMap<String, String> = [("rediacc.service_port", "http")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert!(from_labels("db", &bad).is_empty());
    }

    #[test]
    fn model_ports_are_the_container_side() {
        let svc = json!({
            "ports": [
                "8080:80", "127.0.0.1:9000:9001/udp", "[::1]:4443:443", 3000,
                {"target": 5432, "published": "15432", "protocol": "tcp"},
                "${WEB_PORT:-8081}:${INNER}", "7000-7002:7000-7002"
            ],
            "expose": ["6000", "53/udp", 1234, "1-10000"]
        });
        let got: Vec<Port> = from_model(&svc).into_iter().collect();
        assert_eq!(
            got,
            [
                (Proto::Tcp, 80),
                (Proto::Tcp, 443),
                (Proto::Tcp, 1234),
                (Proto::Tcp, 3000),
                (Proto::Tcp, 5432),
                (Proto::Tcp, 6000),
                (Proto::Tcp, 7000),
                (Proto::Tcp, 7001),
                (Proto::Tcp, 7002),
                (Proto::Udp, 53),
                (Proto::Udp, 9001),
            ]
        );
        assert!(from_model(&json!({"image": "x"})).is_empty());
    }

    /// Lines as a Linux 6.1 kernel prints them: a socket on 127.0.11.4:53, one on 0.0.0.0:5353,
    /// and in udp6 one on [::]:123.
    #[test]
    fn udp_sockets_from_proc() {
        let v4 = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
                  \x20 12: 040B007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 31337 2 0000000000000000 0\n\
                  \x20 40: 00000000:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000   104        0 1234 2 0000000000000000 0\n";
        let ip = Ipv4Addr::new(127, 0, 11, 4);
        if cfg!(target_endian = "little") {
            assert!(udp_bound(v4, false, ip, 53));
            assert!(!udp_bound(v4, false, Ipv4Addr::new(127, 0, 11, 5), 53));
        }
        assert!(udp_bound(v4, false, Ipv4Addr::new(127, 0, 11, 5), 5353));
        assert!(!udp_bound(v4, false, ip, 54));
        let v6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
                  \x20 3: 00000000000000000000000000000000:007B 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 999 2 0000000000000000 0\n\
                  \x20 4: 0000000000000000FFFF0000040B007F:0050 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 998 2 0000000000000000 0\n";
        assert!(udp_bound(v6, true, ip, 123));
        assert!(!udp_bound(v6, true, ip, 80));
        assert!(!udp_bound("", false, ip, 53));
    }
}
