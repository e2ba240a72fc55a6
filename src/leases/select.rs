//! Pure port selection: which external port a key gets, given the leases already held.

use super::range::PortRange;
use super::{Lease, LeaseKey};

/// The outcome of [`pick`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// The key already holds this port (even when it lies outside the current range).
    Existing(u16),
    /// The lowest free port of the range; `skipped` are free ports the probe found in use.
    New { port: u16, skipped: Vec<u16> },
    /// Every port of the range is leased for this protocol or in use.
    Exhausted { skipped: Vec<u16> },
}

/// The port for `key`: its existing lease if it has one, else the lowest port of `range` that
/// no lease of the same protocol holds and that `bindable` accepts. `bindable` is only asked
/// about ports that are free in `held`, in ascending order, until one is accepted.
pub fn pick(
    key: &LeaseKey,
    held: &[Lease],
    range: PortRange,
    mut bindable: impl FnMut(u16) -> bool,
) -> Pick {
    if let Some(l) = held.iter().find(|l| l.key == *key) {
        return Pick::Existing(l.external_port);
    }
    let taken: std::collections::BTreeSet<u16> = held
        .iter()
        .filter(|l| l.key.proto == key.proto)
        .map(|l| l.external_port)
        .collect();
    let mut skipped = Vec::new();
    for port in range.ports().filter(|p| !taken.contains(p)) {
        if bindable(port) {
            return Pick::New { port, skipped };
        }
        skipped.push(port);
    }
    Pick::Exhausted { skipped }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leases::Proto;
    use proptest::prelude::*;

    fn key(network_id: u32, service: &str, proto: Proto, port: u16) -> LeaseKey {
        LeaseKey::new(network_id, service, proto, port)
    }

    fn lease(k: LeaseKey, external_port: u16) -> Lease {
        Lease {
            key: k,
            external_port,
        }
    }

    fn range(a: u16, b: u16) -> PortRange {
        PortRange::new(a, b).unwrap()
    }

    #[test]
    fn existing_key_keeps_its_port_even_outside_the_range() {
        let held = [lease(key(2816, "db", Proto::Tcp, 5432), 9000)];
        let got = pick(&held[0].key, &held, range(10000, 10001), |_| false);
        assert_eq!(got, Pick::Existing(9000));
    }

    #[test]
    fn lowest_free_port_per_protocol() {
        let held = [
            lease(key(2816, "db", Proto::Tcp, 5432), 10000),
            lease(key(2816, "dns", Proto::Udp, 53), 10001),
        ];
        let r = range(10000, 10003);
        let tcp = pick(&key(2880, "db", Proto::Tcp, 5432), &held, r, |_| true);
        assert_eq!(
            tcp,
            Pick::New {
                port: 10001,
                skipped: vec![]
            }
        );
        // UDP 10000 is free: the protocols are separate pools.
        let udp = pick(&key(2880, "dns", Proto::Udp, 53), &held, r, |_| true);
        assert_eq!(
            udp,
            Pick::New {
                port: 10000,
                skipped: vec![]
            }
        );
    }

    #[test]
    fn ports_in_use_are_skipped_and_reported() {
        let r = range(10000, 10003);
        let got = pick(&key(2816, "db", Proto::Tcp, 5432), &[], r, |p| p > 10001);
        assert_eq!(
            got,
            Pick::New {
                port: 10002,
                skipped: vec![10000, 10001]
            }
        );
        let none = pick(&key(2816, "db", Proto::Tcp, 5432), &[], r, |_| false);
        assert_eq!(
            none,
            Pick::Exhausted {
                skipped: vec![10000, 10001, 10002, 10003]
            }
        );
    }

    #[test]
    fn a_full_range_is_exhausted() {
        let held = [
            lease(key(2816, "a", Proto::Tcp, 1), 10000),
            lease(key(2816, "b", Proto::Tcp, 1), 10001),
        ];
        let got = pick(
            &key(2816, "c", Proto::Tcp, 1),
            &held,
            range(10000, 10001),
            |_| true,
        );
        assert_eq!(got, Pick::Exhausted { skipped: vec![] });
    }

    fn arb_key() -> impl Strategy<Value = LeaseKey> {
        (
            prop::sample::select(vec![2816u32, 2880, 2944]),
            prop::sample::select(vec!["db", "web", "cache"]),
            prop::bool::ANY,
            prop::sample::select(vec![53u16, 80, 5432]),
        )
            .prop_map(|(n, s, udp, p)| key(n, s, if udp { Proto::Udp } else { Proto::Tcp }, p))
    }

    proptest! {
        /// Allocating a random sequence of keys (with repeats) never hands one port out twice
        /// per protocol, keeps every key's first port, stays in range, and is exhausted only
        /// when the protocol's whole range is held.
        #[test]
        fn no_port_twice_and_keys_keep_their_port(
            keys in prop::collection::vec(arb_key(), 0..80),
            size in 1u16..12,
        ) {
            let r = range(20000, 20000 + size - 1);
            let mut held: Vec<Lease> = Vec::new();
            let mut first: std::collections::BTreeMap<LeaseKey, u16> = Default::default();
            for k in keys {
                match pick(&k, &held, r, |_| true) {
                    Pick::Existing(p) => prop_assert_eq!(first.get(&k), Some(&p)),
                    Pick::New { port, skipped } => {
                        prop_assert!(skipped.is_empty());
                        prop_assert!(r.contains(port));
                        prop_assert!(!first.contains_key(&k));
                        prop_assert!(!held.iter().any(|l| l.key.proto == k.proto && l.external_port == port));
                        first.insert(k.clone(), port);
                        held.push(lease(k, port));
                    }
                    Pick::Exhausted { .. } => {
                        let same = held.iter().filter(|l| l.key.proto == k.proto).count();
                        prop_assert_eq!(same, r.len());
                    }
                }
            }
        }
    }
}
