//! Adding one container's part to the configuration: names already taken by something
//! different refuse the container; hosts and lease entrypoints held by another owner skip
//! just those routes.

use std::collections::BTreeMap;

use super::{DropReason, Part, Problem};
use crate::routes::config::DynamicConfig;

/// Who owns a host name or an entrypoint: (network, service).
pub(super) type Owner = (u32, String);

/// The configuration so far, who owns what in it, and what was left out.
#[derive(Default)]
pub(super) struct Acc {
    pub(super) config: DynamicConfig,
    hosts: BTreeMap<String, Owner>,
    lease_entrypoints: BTreeMap<String, Owner>,
    pub(super) problems: Vec<Problem>,
    pub(super) routed: usize,
}

impl Acc {
    /// Add `part` unless one of its names is already taken by something different (then the
    /// whole container is refused). Hosts and lease entrypoints held by another owner skip
    /// just those routes; their reasons come back.
    pub(super) fn merge(
        &mut self,
        mut part: Part,
        owner: &Owner,
    ) -> Result<Vec<String>, DropReason> {
        let mut skipped = self.skip_taken_hosts(&mut part, owner);
        skipped.extend(self.skip_taken_entrypoints(&mut part, owner));
        self.check_conflicts(&part.config)?;
        self.claim(&part.config, owner);
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

    /// Drops the part's host routers whose host another owner holds.
    fn skip_taken_hosts(&self, part: &mut Part, owner: &Owner) -> Vec<String> {
        let mut skipped = Vec::new();
        for (router, host) in std::mem::take(&mut part.host_routers) {
            match self.hosts.get(&host) {
                Some(o) if o != owner => {
                    if let Some(r) = part.config.http.routers.remove(&router)
                        && !part
                            .config
                            .http
                            .routers
                            .values()
                            .any(|x| x.service == r.service)
                    {
                        // Its service would only be clutter now.
                        part.config.http.services.remove(&r.service);
                    }
                    skipped.push(format!(
                        "host {host} is already routed to service {} of network {}",
                        o.1, o.0
                    ));
                }
                _ => {}
            }
        }
        skipped
    }

    /// Drops the part's lease routers whose entrypoint another owner holds.
    fn skip_taken_entrypoints(&self, part: &mut Part, owner: &Owner) -> Vec<String> {
        let mut skipped = Vec::new();
        for (router, ep, udp) in std::mem::take(&mut part.lease_routers) {
            match self.lease_entrypoints.get(&ep) {
                Some(o) if o != owner => {
                    if udp {
                        part.config.udp.routers.remove(&router);
                        part.config.udp.services.remove(&router);
                    } else {
                        part.config.tcp.routers.remove(&router);
                        part.config.tcp.services.remove(&router);
                    }
                    skipped.push(format!(
                        "entrypoint {ep} is already leased to service {} of network {}",
                        o.1, o.0
                    ));
                }
                _ => {}
            }
        }
        skipped
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

    /// Records the hosts and lease entrypoints the part now holds.
    fn claim(&mut self, c: &DynamicConfig, owner: &Owner) {
        for r in c.http.routers.values() {
            if let Some(host) = single_host(&r.rule) {
                self.hosts.insert(host, owner.clone());
            }
        }
        for r in c.tcp.routers.values() {
            for ep in &r.entry_points {
                if ep.starts_with("tcp-") && r.rule == "HostSNI(`*`)" {
                    self.lease_entrypoints.insert(ep.clone(), owner.clone());
                }
            }
        }
        for r in c.udp.routers.values() {
            for ep in &r.entry_points {
                self.lease_entrypoints.insert(ep.clone(), owner.clone());
            }
        }
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

/// The host of a rule renet wrote itself (`` Host(`h`) ``).
fn single_host(rule: &str) -> Option<String> {
    let h = rule.strip_prefix("Host(`")?.strip_suffix("`)")?;
    (!h.contains('`')).then(|| h.to_owned())
}
