//! Who owns which host name and entrypoint across repositories (SPEC section 7 "Tenancy"), and
//! the routers of a part that claim something another repository owns.
//!
//! - A repository's auto-route host names, and the names under them, are its own, by their
//!   shape: without a machine name `{label}-{N}.{base}` belongs to network `N`; with one,
//!   `{label}.{repo}.{machine}.{base}` belongs to the network holding the repository name
//!   `repo` (its oldest container carrying that `rediacc.repo_name`), so a second repository
//!   of the same name gets none of them.
//! - Any other host name, and any fixed entrypoint (not a lease's) a tier-2 TCP or UDP router
//!   names, belongs to the repository of the oldest container claiming it.
//! - A `tcp-<p>`/`udp-<p>` entrypoint with a lease belongs to the lease's network.
//!
//! Every lookup is a hash lookup: the cost is linear in the number of claims.

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use super::rule::ANY_SNI;
use super::{NetworkId, Options, Part};
use crate::leases::{Lease, Proto};

/// The protocol of a router a claim is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Http,
    Tcp,
    Udp,
}

/// What one router of a part claims.
#[derive(Debug, Clone)]
pub(super) struct Claim {
    /// The router's (namespaced) name in the part.
    pub(super) router: String,
    pub(super) kind: Kind,
    /// Host names (lower case); [`ANY_SNI`] for a TCP router catching every connection.
    pub(super) hosts: Vec<String>,
    pub(super) entrypoints: Vec<String>,
    /// The labels reported when the host / an entrypoint is refused.
    pub(super) host_key: Cow<'static, str>,
    pub(super) ep_key: Cow<'static, str>,
    /// Written by renet (auto-route, `rediacc.domain`): within one repository, the first
    /// service to claim a host keeps it. Its service goes when the router goes.
    pub(super) auto: bool,
}

/// The first (oldest) claimant.
#[derive(Debug, Clone)]
struct Holder {
    net: u32,
    service: Rc<str>,
}

/// Whose namespace an auto-route host name is in.
enum Reserved<'h> {
    Network(u32),
    Repo(&'h str),
}

pub(super) struct Owners<'a> {
    opts: &'a Options,
    /// `.{machine}.{base}` with a machine name, else `.{base}`.
    suffix: String,
    repos: HashMap<&'a str, u32>,
    /// Owned keys: the claims they come from are not kept (each part is built again for the
    /// merge), which is what keeps the builder's peak memory down at 20,000 containers.
    hosts: HashMap<Box<str>, Holder>,
    fixed: HashMap<Box<str>, Holder>,
    leased: HashMap<String, u32>,
}

/// Why a claim is refused: the `reason` of a `route skipped` problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum Refusal {
    #[error("host {host} is already routed to service {service} of network {net}")]
    Host {
        host: String,
        service: String,
        net: u32,
    },
    #[error("host {0} is an auto-route host of network {1}, which only that repository routes")]
    NetworkHost(String, u32),
    #[error(
        "host {host} is an auto-route host of repository {repo}, whose name network {net} holds"
    )]
    RepoHost {
        host: String,
        repo: String,
        net: u32,
    },
    #[error(
        "host {0} has the shape of an auto-route host of repository {1}, which only a repository of that name routes"
    )]
    FreeRepoHost(String, String),
    #[error("entrypoint {0} is leased to network {1}")]
    Leased(String, u32),
    #[error("entrypoint {ep} is already used by service {service} of network {net}")]
    Entrypoint {
        ep: String,
        service: String,
        net: u32,
    },
}

impl<'a> Owners<'a> {
    /// Ownership, before any claim: `repos` are the (repository name, network) of every
    /// running container, oldest first. Claims are then [`Owners::register`]ed in that order.
    pub(super) fn new(
        opts: &'a Options,
        leases: &[Lease],
        repos: &'a [(Cow<'_, str>, u32)],
    ) -> Self {
        let suffix = match &opts.machine_name {
            Some(m) => format!(".{m}.{}", opts.base_domain),
            None => format!(".{}", opts.base_domain),
        };
        let mut o = Self {
            opts,
            suffix,
            repos: HashMap::new(),
            hosts: HashMap::new(),
            fixed: HashMap::new(),
            leased: HashMap::new(),
        };
        let mut sorted: Vec<&Lease> = leases.iter().collect();
        sorted.sort();
        for l in sorted {
            let ep = match l.key.proto {
                Proto::Tcp => format!("tcp-{}", l.external_port),
                Proto::Udp => format!("udp-{}", l.external_port),
            };
            o.leased.entry(ep).or_insert(l.key.network_id);
        }
        if o.opts.machine_name.is_some() {
            for (name, net) in repos {
                o.repos.entry(name).or_insert(*net);
            }
        }
        o
    }

    /// One container's claims, in the order of [`Owners::new`]'s `repos` (oldest first): the
    /// first claimant of a host or fixed entrypoint holds it.
    pub(super) fn register(&mut self, net: u32, service: &str, claims: &[Claim]) {
        let holder = Holder {
            net,
            service: Rc::from(service),
        };
        for claim in claims {
            for h in &claim.hosts {
                // Hosts of a namespace are held only by its owner (its services among
                // themselves: first come).
                let mine = match self.reserved(h) {
                    None => true,
                    Some(r) => self.reserved_owner(&r) == Some(net),
                };
                if h != ANY_SNI && mine && !self.hosts.contains_key(h.as_str()) {
                    self.hosts.insert(h.as_str().into(), holder.clone());
                }
            }
            if claim.kind != Kind::Http {
                for ep in &claim.entrypoints {
                    if !self.leased.contains_key(ep) && !self.fixed.contains_key(ep.as_str()) {
                        self.fixed.insert(ep.as_str().into(), holder.clone());
                    }
                }
            }
        }
    }

    /// The namespace `host` is in: an auto-route host or a name under one.
    fn reserved<'h>(&self, host: &'h str) -> Option<Reserved<'h>> {
        let rest = host.strip_suffix(self.suffix.as_str())?;
        if self.opts.machine_name.is_some() {
            // `{label}.{repo}` (and deeper); a lone `{name}` is a short `rediacc.domain`.
            let (_, repo) = rest.rsplit_once('.')?;
            Some(Reserved::Repo(repo))
        } else {
            let top = rest.rsplit_once('.').map_or(rest, |(_, t)| t);
            let (_, n) = top.rsplit_once('-')?;
            let n = NetworkId::new(n.parse().ok()?).ok()?;
            Some(Reserved::Network(n.get()))
        }
    }

    fn reserved_owner(&self, r: &Reserved<'_>) -> Option<u32> {
        match r {
            Reserved::Network(n) => Some(*n),
            Reserved::Repo(name) => self.repos.get(*name).copied(),
        }
    }

    /// Removes from `part` every router claiming what another repository owns; returns the
    /// (label, reason) of each.
    pub(super) fn refuse(
        &self,
        net: u32,
        service: &str,
        claims: &[Claim],
        part: &mut Part,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for claim in claims {
            let Err((key, why)) = self.check(net, service, claim) else {
                continue;
            };
            remove_router(part, claim);
            out.push((key.to_owned(), why.to_string()));
        }
        out
    }

    fn check<'c>(
        &self,
        net: u32,
        service: &str,
        claim: &'c Claim,
    ) -> Result<(), (&'c str, Refusal)> {
        for h in claim.hosts.iter().filter(|h| *h != ANY_SNI) {
            self.check_host(net, service, h, claim.auto)
                .map_err(|r| (&*claim.host_key, r))?;
        }
        for ep in &claim.entrypoints {
            self.check_entrypoint(net, ep)
                .map_err(|r| (&*claim.ep_key, r))?;
        }
        Ok(())
    }

    fn check_host(&self, net: u32, service: &str, h: &str, auto: bool) -> Result<(), Refusal> {
        if let Some(r) = self.reserved(h) {
            match (self.reserved_owner(&r), r) {
                (Some(o), _) if o == net => {}
                (_, Reserved::Network(n)) => return Err(Refusal::NetworkHost(h.to_owned(), n)),
                (Some(o), Reserved::Repo(repo)) => {
                    return Err(Refusal::RepoHost {
                        host: h.to_owned(),
                        repo: repo.to_owned(),
                        net: o,
                    });
                }
                (None, Reserved::Repo(repo)) => {
                    return Err(Refusal::FreeRepoHost(h.to_owned(), repo.to_owned()));
                }
            }
        }
        match self.hosts.get(h) {
            Some(o) if o.net != net || (auto && &*o.service != service) => Err(Refusal::Host {
                host: h.to_owned(),
                service: o.service.to_string(),
                net: o.net,
            }),
            _ => Ok(()),
        }
    }

    fn check_entrypoint(&self, net: u32, ep: &str) -> Result<(), Refusal> {
        if let Some(o) = self.leased.get(ep) {
            return if *o == net {
                Ok(())
            } else {
                Err(Refusal::Leased(ep.to_owned(), *o))
            };
        }
        match self.fixed.get(ep) {
            // An HTTP router on an entrypoint no TCP/UDP router holds is bounded by its hosts.
            None => Ok(()),
            Some(o) if o.net == net => Ok(()),
            Some(o) => Err(Refusal::Entrypoint {
                ep: ep.to_owned(),
                service: o.service.to_string(),
                net: o.net,
            }),
        }
    }
}

/// Takes a refused router out of the part; for a renet-written route its service too, unless
/// another router still uses it.
fn remove_router(part: &mut Part, claim: &Claim) {
    let c = &mut part.config;
    match claim.kind {
        Kind::Http => {
            if let Some(r) = c.http.routers.remove(&claim.router)
                && claim.auto
                && !c.http.routers.values().any(|x| x.service == r.service)
            {
                c.http.services.remove(&r.service);
            }
        }
        Kind::Tcp => {
            c.tcp.routers.remove(&claim.router);
        }
        Kind::Udp => {
            c.udp.routers.remove(&claim.router);
        }
    }
}

#[cfg(test)]
mod tests;
