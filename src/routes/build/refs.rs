//! After the merge: tier-2 references that name nothing. References are namespaced to the
//! container's repository, so one naming another repository's object (`errors.service=web-2816`
//! from network 2880 is `web-2816-2880`) names an object of its own that does not exist:
//! Traefik would refuse the router at every reload without saying why in `/health`; here the
//! router or middleware is left out and reported.

use std::collections::BTreeMap;

use super::{Problem, SKIPPED};
use crate::routes::config::{DynamicConfig, Tree};

/// Where a tier-2 object came from: (network, container, service).
pub(super) type Origin = (u32, String, String);

/// Tier-2 objects by (kind, namespaced name): `router`, `tcp router`, `udp router`,
/// `middleware`.
pub(super) type Origins = BTreeMap<(&'static str, String), Origin>;

/// Removes every tier-2 router and middleware whose references name nothing, reporting each.
pub(super) fn dangling(config: &mut DynamicConfig, origins: &Origins, problems: &mut Vec<Problem>) {
    let mut r = Reporter { origins, problems };
    middlewares(config, &mut r);
    let http = &mut config.http;
    http.routers.retain(|name, router| {
        if !http.services.contains_key(&router.service) {
            r.report("router", name, "service", "service", &router.service);
            return false;
        }
        match router
            .middlewares
            .iter()
            .find(|m| !http.middlewares.contains_key(*m))
        {
            Some(m) => {
                r.report("router", name, "middlewares", "middleware", m);
                false
            }
            None => true,
        }
    });
    let tcp = &mut config.tcp;
    tcp.routers.retain(|name, router| {
        let ok = tcp.services.contains_key(&router.service);
        if !ok {
            r.report("tcp router", name, "service", "service", &router.service);
        }
        ok
    });
    let udp = &mut config.udp;
    udp.routers.retain(|name, router| {
        let ok = udp.services.contains_key(&router.service);
        if !ok {
            r.report("udp router", name, "service", "service", &router.service);
        }
        ok
    });
}

/// Middlewares whose `errors.service` or `chain.middlewares` names nothing, until none goes
/// (a chain can name a middleware that went).
fn middlewares(config: &mut DynamicConfig, r: &mut Reporter<'_>) {
    let http = &mut config.http;
    loop {
        let mut gone = Vec::new();
        for (name, m) in &http.middlewares {
            if !r.origins.contains_key(&("middleware", name.clone())) {
                continue;
            }
            if let Some(s) = leaf(m, &["errors", "service"])
                && !http.services.contains_key(s)
            {
                r.report("middleware", name, "errors.service", "service", s);
                gone.push(name.clone());
            } else if let Some(list) = leaf(m, &["chain", "middlewares"])
                && let Some(missing) = list.split(',').find(|x| !http.middlewares.contains_key(*x))
            {
                r.report(
                    "middleware",
                    name,
                    "chain.middlewares",
                    "middleware",
                    missing,
                );
                gone.push(name.clone());
            }
        }
        if gone.is_empty() {
            return;
        }
        for g in gone {
            http.middlewares.remove(&g);
        }
    }
}

struct Reporter<'a> {
    origins: &'a Origins,
    problems: &'a mut Vec<Problem>,
}

impl Reporter<'_> {
    /// Object `name` of `kind` names `target`, a `what` that does not exist, in property
    /// `prop`; reported as the labels spell the names.
    fn report(&mut self, kind: &'static str, name: &str, prop: &str, what: &str, target: &str) {
        let Some((net, container, service)) = self.origins.get(&(kind, name.to_owned())) else {
            return;
        };
        let suffix = format!("-{net}");
        let plain = |n: &str| n.strip_suffix(&suffix).unwrap_or(n).to_owned();
        let section = match kind {
            "tcp router" => "tcp.routers",
            "udp router" => "udp.routers",
            "middleware" => "http.middlewares",
            _ => "http.routers",
        };
        self.problems.push(Problem {
            network_id: *net,
            container: container.clone(),
            service: service.clone(),
            effect: SKIPPED,
            reason: format!(
                "{what} {} is not defined by this repository (references name only its own objects)",
                plain(target)
            ),
            label: Some(format!("traefik.{section}.{}.{prop}", plain(name))),
        });
    }
}

/// The value at `path` of a middleware, the path matched case-insensitively (as Traefik does).
fn leaf<'t>(t: &'t Tree, path: &[&str]) -> Option<&'t str> {
    let mut t = t;
    for p in path {
        let Tree::Node(map) = t else { return None };
        t = map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(p))
            .map(|(_, v)| v)?;
    }
    match t {
        Tree::Leaf(s) => Some(s),
        Tree::Node(_) => None,
    }
}
