//! Garbage collection of leases: which leases belong to a daemon or service that is gone.
//!
//! [`inspect_daemons`] asks each network's daemon (through [`DockerApi`]) which services still
//! have containers; [`stale`] is the pure plan over what it found.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::Lease;
use crate::docker::{ApiError, DockerApi, Query, Target, block_on, paths};
use crate::network::NetworkId;

/// What renet found on one network's daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonState {
    /// No socket, or the API did not answer: the reason, for the report.
    Unreachable(String),
    /// The `rediacc.service_name` labels of every container (running or not) that carries
    /// `rediacc.network_id=<N>`.
    Services(BTreeSet<String>),
}

/// A lease to free, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stale {
    #[serde(flatten)]
    pub lease: Lease,
    pub reason: String,
}

/// The leases whose daemon does not answer, or whose service has no container on its daemon.
/// A network missing from `daemons` is not judged: its leases are kept.
pub fn stale(leases: &[Lease], daemons: &BTreeMap<u32, DaemonState>) -> Vec<Stale> {
    leases
        .iter()
        .filter_map(|l| {
            let reason = match daemons.get(&l.key.network_id)? {
                DaemonState::Unreachable(why) => why.clone(),
                DaemonState::Services(names) if !names.contains(&l.key.service) => format!(
                    "no container labelled rediacc.service_name={} on network {}'s daemon",
                    l.key.service, l.key.network_id
                ),
                DaemonState::Services(_) => return None,
            };
            Some(Stale {
                lease: l.clone(),
                reason,
            })
        })
        .collect()
}

/// What each network's daemon says about `networks`: the services it has containers for, or
/// why it cannot tell (no socket, no answer).
pub fn inspect_daemons(
    api: &impl DockerApi,
    run_dir: &Path,
    networks: &BTreeSet<u32>,
) -> BTreeMap<u32, DaemonState> {
    networks
        .iter()
        .map(|&n| (n, inspect_daemon(api, run_dir, n)))
        .collect()
}

fn inspect_daemon(api: &impl DockerApi, run_dir: &Path, n: u32) -> DaemonState {
    let id = match NetworkId::new(u64::from(n)) {
        Ok(id) => id,
        // No renet daemon can serve it (leases are only taken for valid IDs).
        Err(e) => return DaemonState::Unreachable(format!("network {n}: {e}")),
    };
    let socket = paths::socket(run_dir, id);
    if !socket.exists() {
        return DaemonState::Unreachable(format!(
            "the daemon for network {n} is gone (no socket at {})",
            socket.display()
        ));
    }
    match block_on(services_on(api, &socket, n)) {
        Ok(names) => DaemonState::Services(names),
        Err(e) => DaemonState::Unreachable(format!(
            "the daemon for network {n} does not answer on {}: {e}",
            socket.display()
        )),
    }
}

/// The `rediacc.service_name` of every container, running or not, labelled
/// `rediacc.network_id=<network>` on the daemon behind `socket`.
async fn services_on(
    api: &impl DockerApi,
    socket: &Path,
    network: u32,
) -> Result<BTreeSet<String>, ApiError> {
    let timeout = Duration::from_secs(10);
    let version = api.negotiate(socket, timeout).await?;
    let at = Target {
        socket,
        version,
        timeout,
    };
    let label = format!("rediacc.network_id={network}");
    let query = Query {
        all: true,
        label: &label,
        status: None,
    };
    let containers = api.containers(at, query).await?;
    Ok(containers
        .into_iter()
        .filter_map(|mut c| c.labels.remove("rediacc.service_name"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::fake::{Behaviour, FakeContainer, FakeDaemon, FakeDocker};
    use crate::leases::{LeaseKey, Proto};

    fn lease(network_id: u32, service: &str, external_port: u16) -> Lease {
        Lease {
            key: LeaseKey {
                network_id,
                service: service.to_owned(),
                proto: Proto::Tcp,
                container_port: 5432,
            },
            external_port,
        }
    }

    #[test]
    fn frees_gone_daemons_and_services_only() {
        let leases = [
            lease(2816, "db", 10000),
            lease(2816, "old", 10001),
            lease(2880, "db", 10002),
            lease(2944, "db", 10003),
        ];
        let daemons = BTreeMap::from([
            (
                2816,
                DaemonState::Services(BTreeSet::from(["db".to_owned()])),
            ),
            (2880, DaemonState::Unreachable("no socket".to_owned())),
        ]);
        let got = stale(&leases, &daemons);
        let freed: Vec<u16> = got.iter().map(|s| s.lease.external_port).collect();
        assert_eq!(freed, [10001, 10002]);
        assert!(
            got[0].reason.contains("rediacc.service_name=old"),
            "{}",
            got[0].reason
        );
        assert_eq!(got[1].reason, "no socket");
    }

    /// `ports gc` against scripted daemons: a lease is stale when its daemon's socket is gone,
    /// when the daemon does not answer, or when no container (running or not) of that network
    /// carries its service; a daemon's containers of another network do not count.
    #[test]
    fn stale_leases_found_on_scripted_daemons() {
        let dir = tempfile::tempdir().unwrap();
        let socket = |n: u32| paths::socket(dir.path(), NetworkId::new(n.into()).unwrap());
        let fake = FakeDocker::default();
        for n in [2816, 2880] {
            std::fs::write(socket(n), "").unwrap();
        }
        let net = |n: &'static str, svc: &'static str| {
            [("rediacc.network_id", n), ("rediacc.service_name", svc)]
        };
        fake.set(
            socket(2816),
            FakeDaemon::with(vec![
                FakeContainer::new("1", "running", &net("2816", "db")),
                FakeContainer::new("2", "exited", &net("2816", "web")).exited(0, "x"),
                FakeContainer::new("3", "running", &net("2944", "cache")),
            ]),
        );
        fake.set(socket(2880), FakeDaemon::behaving(Behaviour::Vanished));
        let leases = [
            lease(2816, "db", 10000),
            lease(2816, "web", 10001),
            lease(2816, "cache", 10002),
            lease(2880, "db", 10003),
            lease(2944, "cache", 10004),
        ];
        let networks: BTreeSet<u32> = leases.iter().map(|l| l.key.network_id).collect();
        let daemons = inspect_daemons(&fake, dir.path(), &networks);
        let got = stale(&leases, &daemons);
        let freed: Vec<u16> = got.iter().map(|s| s.lease.external_port).collect();
        assert_eq!(freed, [10002, 10003, 10004]);
        assert!(
            got[0]
                .reason
                .contains("rediacc.service_name=cache on network 2816")
        );
        assert!(
            got[1].reason.starts_with(&format!(
                "the daemon for network 2880 does not answer on {}: ",
                socket(2880).display()
            )),
            "{}",
            got[1].reason
        );
        assert_eq!(
            got[2].reason,
            format!(
                "the daemon for network 2944 is gone (no socket at {})",
                socket(2944).display()
            )
        );
    }
}
