//! Pure garbage-collection plan: which leases belong to a daemon or service that is gone.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::Lease;

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

#[cfg(test)]
mod tests {
    use super::*;
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
}
