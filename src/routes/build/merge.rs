//! Adding one container's part to the configuration: names already taken by something
//! different refuse the container; lease entrypoints held by another owner skip just those
//! routes (host names and tier-2 entrypoints were settled before, in `tenancy`).

use std::collections::BTreeMap;

use super::{DropReason, Part, Problem};
use crate::routes::config::DynamicConfig;

/// Who owns a host name or an entrypoint: (network, service).
pub(super) type Owner = (u32, String);

/// The configuration so far, who owns what in it, and what was left out.
#[derive(Default)]
pub(super) struct Acc {
    pub(super) config: DynamicConfig,
    lease_entrypoints: BTreeMap<String, Owner>,
    pub(super) problems: Vec<Problem>,
    pub(super) routed: usize,
    /// Where each merged tier-2 router and middleware came from.
    pub(super) origins: super::refs::Origins,
}

impl Acc {
    /// Add `part` unless one of its names is already taken by something different (then the
    /// whole container is refused). Lease entrypoints held by another owner skip just those
    /// routes; their (label, reason) come back.
    pub(super) fn merge(
        &mut self,
        mut part: Part,
        owner: &Owner,
    ) -> Result<Vec<(String, String)>, DropReason> {
        let leased = std::mem::take(&mut part.lease_routers);
        let (skipped, kept) = self.skip_taken_entrypoints(&mut part, leased, owner);
        self.check_conflicts(&part.config)?;
        for ep in kept {
            self.lease_entrypoints.insert(ep, owner.clone());
        }
        if !part.config.is_empty() {
            self.routed += 1;
        }
        let DynamicConfig { http, tcp, udp } = part.config;
        self.config.http.routers.extend(http.routers);
        self.config.http.services.extend(http.services);
        self.config.http.middlewares.extend(http.middlewares);
        self.config.tcp.routers.extend(tcp.routers);
        self.config.tcp.services.extend(tcp.services);
        self.config.udp.routers.extend(udp.routers);
        self.config.udp.services.extend(udp.services);
        Ok(skipped)
    }

    /// Drops the part's lease routers whose entrypoint another owner holds; returns the
    /// (label, reason) of each and the entrypoints the part keeps.
    fn skip_taken_entrypoints(
        &self,
        part: &mut Part,
        leased: Vec<(String, String, bool)>,
        owner: &Owner,
    ) -> (Vec<(String, String)>, Vec<String>) {
        let mut skipped = Vec::new();
        let mut kept = Vec::new();
        for (router, ep, udp) in leased {
            match self.lease_entrypoints.get(&ep) {
                Some(o) if o != owner => {
                    if udp {
                        part.config.udp.routers.remove(&router);
                        part.config.udp.services.remove(&router);
                    } else {
                        part.config.tcp.routers.remove(&router);
                        part.config.tcp.services.remove(&router);
                    }
                    let key = if udp {
                        "rediacc.udp_ports"
                    } else {
                        "rediacc.tcp_ports"
                    };
                    skipped.push((
                        key.to_owned(),
                        format!(
                            "entrypoint {ep} is already leased to service {} of network {}",
                            o.1, o.0
                        ),
                    ));
                }
                _ => kept.push(ep),
            }
        }
        (skipped, kept)
    }

    /// The first name the part defines differently from what is already there.
    fn check_conflicts(&self, c: &DynamicConfig) -> Result<(), DropReason> {
        let have = &self.config;
        conflicts(&have.http.routers, &c.http.routers, "HTTP router")?;
        conflicts(&have.http.services, &c.http.services, "HTTP service")?;
        conflicts(&have.http.middlewares, &c.http.middlewares, "middleware")?;
        conflicts(&have.tcp.routers, &c.tcp.routers, "TCP router")?;
        conflicts(&have.tcp.services, &c.tcp.services, "TCP service")?;
        conflicts(&have.udp.routers, &c.udp.routers, "UDP router")?;
        conflicts(&have.udp.services, &c.udp.services, "UDP service")
    }
}

fn conflicts<V: PartialEq>(
    have: &BTreeMap<String, V>,
    new: &BTreeMap<String, V>,
    what: &'static str,
) -> Result<(), DropReason> {
    for (name, v) in new {
        if let Some(existing) = have.get(name)
            && existing != v
        {
            return Err(DropReason::Conflict {
                what,
                name: name.clone(),
            });
        }
    }
    Ok(())
}
