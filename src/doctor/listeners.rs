//! `listeners`: processes listening on every address (`0.0.0.0`, `[::]`) on a port a
//! repository service uses, or on one of the fixed service ports. Linux refuses
//! `127.0.11.2:5432` while `0.0.0.0:5432` listens, so one such process takes the port from
//! every repository. Pure over the sockets, their owners and the daemons' answers.

use std::collections::{BTreeMap, BTreeSet};

use super::holder;
use super::report::Check;
use crate::host::daemons::Probe;
use crate::host::listeners::{Owner, Socket};
use crate::leases::Proto;

pub(crate) const ID: &str = "listeners";

/// The proxy's web ports and the fixed service ports it routes (`renet proxy config`), which
/// repositories' services listen on natively.
pub(crate) const FIXED_TCP: [u16; 9] = [80, 443, 3306, 5432, 6379, 27017, 11211, 5672, 9092];
pub(crate) const FIXED_UDP: [u16; 1] = [53];

/// Ports repository services use, each with who uses it (`repository/service`).
pub(crate) type Used = BTreeMap<(Proto, u16), BTreeSet<String>>;

fn is_fixed(proto: Proto, port: u16) -> bool {
    match proto {
        Proto::Tcp => FIXED_TCP.contains(&port),
        Proto::Udp => FIXED_UDP.contains(&port),
    }
}

/// The wildcard listeners worth naming: on a used or fixed port.
pub(crate) fn suspects(sockets: &[Socket], used: &Used) -> Vec<Socket> {
    sockets
        .iter()
        .filter(|s| {
            s.is_wildcard() && (used.contains_key(&(s.proto, s.port)) || is_fixed(s.proto, s.port))
        })
        .copied()
        .collect()
}

pub(crate) fn check(
    suspects: &[Socket],
    owners: &BTreeMap<u64, Owner>,
    probes: &[Probe],
    used: &Used,
) -> Check {
    if suspects.is_empty() {
        return Check::ok(
            ID,
            format!(
                "no process listens on every address on a repository's port ({} in use by services) or a fixed service port",
                used.len()
            ),
        );
    }
    let mut details = Vec::new();
    let mut fixes = Vec::new();
    let mut clash = false;
    for s in suspects {
        let owner = owners.get(&s.inode);
        let mut d = holder::describe(s, owner, probes);
        match used.get(&(s.proto, s.port)) {
            Some(who) => {
                clash = true;
                d.push_str(&format!(
                    "; it takes the port from {}",
                    who.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
            None => d.push_str("; it takes the port from every repository"),
        }
        details.push(d);
        fixes.push(holder::fix(s, owner, probes));
    }
    fixes.dedup();
    let ports: BTreeSet<String> = suspects
        .iter()
        .map(|s| format!("{} {}", s.proto.as_str(), s.port))
        .collect();
    let summary = format!(
        "listening on every address takes {} from every repository's own address",
        ports.into_iter().collect::<Vec<_>>().join(", ")
    );
    let fix = fixes.join("\n");
    let c = if clash {
        Check::error(ID, summary, fix)
    } else {
        Check::warning(ID, summary, fix)
    };
    c.details(details)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::{Container, Engine};
    use crate::doctor::report::Status;
    use crate::host::daemons::Answer;
    use crate::network::NetworkId;

    const ID64: &str = "4b5e1c7c2f0f5d6d2b0e0e8a1c9b3f6e7a5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b";

    fn sock(addr: &str, port: u16, inode: u64) -> Socket {
        Socket {
            proto: Proto::Tcp,
            addr: addr.parse().unwrap(),
            port,
            inode,
        }
    }

    fn probe_with_db() -> Probe {
        let labels = [
            ("rediacc.service_name", "db"),
            ("rediacc.repo_name", "shop"),
            ("rediacc.service_ip", "127.0.11.3"),
        ];
        Probe {
            network: NetworkId::new(2816).unwrap(),
            socket: "/run/rediacc/docker-2816.sock".into(),
            answer: Ok(Answer {
                engine: Engine::default(),
                containers: vec![Container {
                    id: ID64.to_owned(),
                    name: "shop-db-1".to_owned(),
                    state: "running".to_owned(),
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
    fn a_host_postgres_on_every_address_is_named_with_its_unit() {
        let sockets = [
            sock("0.0.0.0", 5432, 7),
            sock("127.0.11.2", 8080, 8),
            sock("0.0.0.0", 22, 9),
        ];
        let used: Used =
            BTreeMap::from([((Proto::Tcp, 5432), BTreeSet::from(["shop/db".to_owned()]))]);
        let found = suspects(&sockets, &used);
        assert_eq!(
            found,
            [sockets[0]],
            "sshd on 22 and a service on its own address are fine"
        );
        let owners = BTreeMap::from([(
            7,
            Owner {
                pid: 812,
                command: "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main"
                    .into(),
                container_id: None,
                unit: Some("postgresql@15-main.service".into()),
            },
        )]);
        let c = check(&found, &owners, &[], &used);
        assert_eq!(c.status, Status::Error);
        assert_eq!(
            c.details,
            [
                "0.0.0.0:5432 (tcp) is held by pid 812 (/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main), systemd unit postgresql@15-main.service; it takes the port from shop/db"
            ]
        );
        assert!(c.fix.starts_with("systemctl disable --now postgresql@15-main.service, or make it listen on one address (127.0.0.1:5432"), "{}", c.fix);
    }

    #[test]
    fn a_repository_container_on_every_address_names_the_repository() {
        let sockets = [sock("::", 6379, 3)];
        let owners = BTreeMap::from([(
            3,
            Owner {
                pid: 4242,
                command: "redis-server *:6379".into(),
                container_id: Some(ID64.into()),
                unit: None,
            },
        )]);
        let c = check(
            &suspects(&sockets, &Used::new()),
            &owners,
            &[probe_with_db()],
            &Used::new(),
        );
        assert_eq!(
            c.status,
            Status::Warning,
            "a fixed port no service uses yet"
        );
        assert!(c.details[0].starts_with("[::]:6379 (tcp) is held by pid 4242 (redis-server *:6379), container shop-db-1 of repository shop (network 2816, service db)"), "{:?}", c.details);
        assert!(
            c.fix
                .contains("renet docker --network-id 2816 -- stop shop-db-1"),
            "{}",
            c.fix
        );
        assert_eq!(check(&[], &owners, &[], &Used::new()).status, Status::Ok);
    }
}
