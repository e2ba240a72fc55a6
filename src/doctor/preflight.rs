//! The preflight of `renet compose -- up` (SPEC section 8): before compose starts anything,
//! every port each service will listen on is checked on its own address and on every
//! address. A listener there that is not this repository's own container for that service
//! (re-running `up` on a running stack is fine) stops the run, naming the holder the way
//! Docker Desktop's vpnkit does, with the fix. Without it the service would start, exit at
//! once on "address already in use", and be restarted for ever.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};

use super::holder;
use crate::docker::{DockerApi, paths};
use crate::host::daemons::{self, Probe};
use crate::host::listeners::{Owner, Socket};
use crate::host::{Host, HostError};
use crate::leases::Proto;
use crate::network::{NetworkId, Slot};

/// How long one daemon may take to say whose a container is, when a port is taken.
const DAEMON_TIMEOUT: Duration = Duration::from_secs(2);

/// A port a service will listen on, on its own address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Wanted {
    pub(crate) service: String,
    pub(crate) addr: Ipv4Addr,
    pub(crate) proto: Proto,
    pub(crate) port: u16,
}

/// One port taken by someone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Taken {
    pub(crate) wanted: Wanted,
    pub(crate) holder: String,
    pub(crate) fix: String,
}

impl std::fmt::Display for Taken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let w = &self.wanted;
        write!(
            f,
            "service {} listens on {}:{} ({}), but {}; fix: {}",
            w.service,
            w.addr,
            w.port,
            w.proto.as_str(),
            self.holder,
            self.fix
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PreflightError {
    #[error(
        "refusing to start: ports the services will listen on are taken (nothing was started; \
         pass --no-preflight to start anyway):\n  {}",
        taken.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
    )]
    Taken { taken: Vec<Taken> },
}

impl PreflightError {
    /// Each taken port as one line, for `--json`'s `findings`.
    pub(crate) fn findings(&self) -> Vec<String> {
        match self {
            PreflightError::Taken { taken } => taken.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The services `up` will start: those named after `up` and what they depend on, else every
/// service whose profiles (if any) are active.
fn starting<'a>(
    model: &'a Map<String, Value>,
    up_args: &[String],
    profiles: &BTreeSet<String>,
) -> BTreeMap<&'a str, &'a Value> {
    let all: BTreeMap<&str, &Value> = crate::compose::services(model)
        .map(|(n, s)| (n.as_str(), s))
        .collect();
    let named: Vec<&'a str> = up_args
        .iter()
        .filter_map(|a| all.get_key_value(a.as_str()).map(|(k, _)| *k))
        .collect();
    if named.is_empty() {
        return all
            .into_iter()
            .filter(|(_, s)| {
                s["profiles"].as_array().is_none_or(|p| {
                    p.is_empty()
                        || p.iter().any(|x| {
                            x.as_str()
                                .is_some_and(|x| profiles.contains(x) || profiles.contains("*"))
                        })
                })
            })
            .collect();
    }
    let mut out = BTreeMap::new();
    let mut todo = named;
    while let Some(name) = todo.pop() {
        let Some(svc) = all.get(name) else { continue };
        if out.insert(name, *svc).is_none() {
            match &svc["depends_on"] {
                Value::Array(list) => todo.extend(list.iter().filter_map(Value::as_str)),
                Value::Object(map) => todo.extend(map.keys().map(String::as_str)),
                _ => {}
            }
        }
    }
    out
}

/// Every port every starting service will listen on, on its own address. Pure.
pub(crate) fn wanted(
    model: &Map<String, Value>,
    slots: &BTreeMap<String, Slot>,
    network: NetworkId,
    up_args: &[String],
    profiles: &BTreeSet<String>,
) -> Vec<Wanted> {
    let mut out = Vec::new();
    for (name, svc) in starting(model, up_args, profiles) {
        let Some(slot) = slots.get(name) else {
            continue;
        };
        let addr = network.slot_addr(*slot);
        out.extend(
            super::ports::of_service(svc)
                .into_iter()
                .map(|(proto, port)| Wanted {
                    service: name.to_owned(),
                    addr,
                    proto,
                    port,
                }),
        );
    }
    out
}

/// The listeners that block `wanted`, each with the socket in the way. Pure.
pub(crate) fn in_the_way(wanted: &[Wanted], sockets: &[Socket]) -> Vec<(Wanted, Socket)> {
    wanted
        .iter()
        .flat_map(|w| {
            sockets
                .iter()
                .filter(|s| s.blocks(w.proto, IpAddr::V4(w.addr), w.port))
                .map(move |s| (w.clone(), *s))
        })
        .collect()
}

/// Keep what is really taken: drop the sockets held by this repository's own container for
/// the same service. Pure.
pub(crate) fn taken(
    blocked: Vec<(Wanted, Socket)>,
    owners: &BTreeMap<u64, Owner>,
    probes: &[Probe],
    network: NetworkId,
) -> Vec<Taken> {
    let mut out: Vec<Taken> = blocked
        .into_iter()
        .filter_map(|(w, s)| {
            let owner = owners.get(&s.inode);
            let own = owner
                .and_then(|o| holder::repo_container(o, probes))
                .is_some_and(|c| c.network == network.get() && c.service == w.service);
            (!own).then(|| Taken {
                holder: holder::describe(&s, owner, probes),
                fix: holder::fix(&s, owner, probes),
                wanted: w,
            })
        })
        .collect();
    out.dedup();
    out
}

/// What the preflight needs from `renet compose`.
pub(crate) struct Request<'a> {
    pub(crate) model: &'a Map<String, Value>,
    pub(crate) slots: &'a BTreeMap<String, Slot>,
    pub(crate) network: NetworkId,
    pub(crate) run_dir: &'a Path,
    /// The arguments after `up` (service names among them).
    pub(crate) up_args: &'a [String],
    pub(crate) profiles: BTreeSet<String>,
}

/// Check the ports; Ok when none is taken. The listening sockets are read once; owners and
/// daemons are asked only when something is in the way. Sockets that cannot be read make no
/// finding: the error is returned for a warning, and the run goes on.
pub(crate) fn check(
    host: &dyn Host,
    api: &impl DockerApi,
    r: &Request<'_>,
) -> Result<Result<(), PreflightError>, HostError> {
    let wanted = wanted(r.model, r.slots, r.network, r.up_args, &r.profiles);
    if wanted.is_empty() {
        return Ok(Ok(()));
    }
    let blocked = in_the_way(&wanted, &host.sockets()?);
    if blocked.is_empty() {
        return Ok(Ok(()));
    }
    let owners = host.owners(&blocked.iter().map(|(_, s)| s.inode).collect());
    let listed = paths::sockets(r.run_dir).unwrap_or_default();
    let probes = daemons::probe_all(api, &listed, DAEMON_TIMEOUT);
    let taken = taken(blocked, &owners, &probes, r.network);
    Ok(if taken.is_empty() {
        Ok(())
    } else {
        Err(PreflightError::Taken { taken })
    })
}

/// The active profiles: `--profile X` among compose's global flags, and `COMPOSE_PROFILES`.
pub(crate) fn profiles(globals: &[std::ffi::OsString], env: Option<&str>) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = env
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    let words: Vec<String> = globals
        .iter()
        .map(|g| g.to_string_lossy().into_owned())
        .collect();
    for (i, w) in words.iter().enumerate() {
        if let Some(p) = w.strip_prefix("--profile=") {
            out.insert(p.to_owned());
        } else if w == "--profile" {
            out.extend(words.get(i + 1).cloned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::{Container, Engine};
    use crate::host::daemons::Answer;

    const ID64: &str = "4b5e1c7c2f0f5d6d2b0e0e8a1c9b3f6e7a5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b";

    fn net() -> NetworkId {
        NetworkId::new(4096).unwrap()
    }

    fn model() -> Map<String, Value> {
        serde_json::from_value(serde_json::json!({"services": {
            "web": {"ports": ["8080:80"], "labels": {"rediacc.service_port": "80"}, "depends_on": ["db"]},
            "db": {"expose": ["5432"]},
            "debug": {"profiles": ["debug"], "expose": ["9229"]},
            "worker": {"image": "x"}
        }}))
        .unwrap()
    }

    fn slots() -> BTreeMap<String, Slot> {
        ["db", "debug", "web", "worker"]
            .iter()
            .enumerate()
            .map(|(i, n)| ((*n).to_owned(), Slot::new(i as u64).unwrap()))
            .collect()
    }

    #[test]
    fn wanted_ports_of_the_starting_services() {
        let w = wanted(&model(), &slots(), net(), &[], &BTreeSet::new());
        let got: Vec<String> = w
            .iter()
            .map(|w| format!("{} {}:{}", w.service, w.addr, w.port))
            .collect();
        assert_eq!(
            got,
            ["db 127.0.16.2:5432", "web 127.0.16.4:80"],
            "debug's profile is not active"
        );
        let w = wanted(
            &model(),
            &slots(),
            net(),
            &[],
            &BTreeSet::from(["debug".to_owned()]),
        );
        assert_eq!(w.len(), 3);
        let w = wanted(
            &model(),
            &slots(),
            net(),
            &["-d".into(), "web".into()],
            &BTreeSet::new(),
        );
        assert_eq!(w.len(), 2, "web and the db it depends on");
        assert_eq!(
            profiles(
                &["--profile".into(), "a".into(), "--profile=b".into()],
                Some("c, d")
            ),
            BTreeSet::from(["a", "b", "c", "d"].map(str::to_owned))
        );
    }

    fn sock(addr: &str, port: u16, inode: u64) -> Socket {
        Socket {
            proto: Proto::Tcp,
            addr: addr.parse().unwrap(),
            port,
            inode,
        }
    }

    fn probe(service: &str) -> Probe {
        let labels = [
            ("rediacc.service_name", service),
            ("rediacc.repo_name", "shop"),
            ("rediacc.service_ip", "127.0.16.4"),
        ];
        Probe {
            network: net(),
            socket: "/run/rediacc/docker-4096.sock".into(),
            answer: Ok(Answer {
                engine: Engine::default(),
                containers: vec![Container {
                    id: ID64.into(),
                    name: format!("shop-{service}-1"),
                    labels: labels
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                    ..Container::default()
                }],
            }),
        }
    }

    #[test]
    fn a_wildcard_or_own_address_holder_is_refused_and_the_own_container_is_not() {
        let w = wanted(&model(), &slots(), net(), &[], &BTreeSet::new());
        let sockets = [
            sock("0.0.0.0", 5432, 1),
            sock("127.0.16.4", 80, 2),
            sock("127.0.16.9", 80, 3),
            sock("127.0.0.1", 5432, 4),
        ];
        let blocked = in_the_way(&w, &sockets);
        assert_eq!(
            blocked.iter().map(|(_, s)| s.inode).collect::<Vec<_>>(),
            [1, 2],
            "another address, or loopback, is no conflict"
        );
        let owners = BTreeMap::from([
            (
                1,
                Owner {
                    pid: 4321,
                    command: "python3 -m http.server 5432".into(),
                    container_id: None,
                    unit: None,
                },
            ),
            (
                2,
                Owner {
                    pid: 999,
                    command: "busybox httpd -f -p 127.0.16.4:80".into(),
                    container_id: Some(ID64.into()),
                    unit: None,
                },
            ),
        ]);
        let t = taken(blocked.clone(), &owners, &[probe("web")], net());
        assert_eq!(
            t.len(),
            1,
            "web's own running container holds 127.0.16.4:80: `up` again is fine"
        );
        let line = t[0].to_string();
        assert!(line.starts_with("service db listens on 127.0.16.2:5432 (tcp), but 0.0.0.0:5432 (tcp) is held by pid 4321 (python3 -m http.server 5432); fix: kill 4321, or make it listen on one address"), "{line}");
        // The same container as another service's holder is refused, named with its repository.
        let t = taken(blocked, &owners, &[probe("api")], net());
        assert_eq!(t.len(), 2);
        assert!(
            t[1].holder
                .contains("container shop-api-1 of repository shop (network 4096, service api)"),
            "{}",
            t[1].holder
        );
        let e = PreflightError::Taken { taken: t };
        assert!(e.to_string().contains("pass --no-preflight"));
        assert_eq!(e.findings().len(), 2);
    }
}
