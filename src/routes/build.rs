//! The pure route builder: discovered daemons, their running containers and the port leases
//! in; Traefik's dynamic configuration and the list of what was dropped and why out.
//!
//! Rules (SPEC section 7, decisions in docs/decisions.md):
//! - a container with `traefik.enable=true` contributes its own `traefik.*` labels (tier 2),
//!   the backend always being `rediacc.service_ip`;
//! - otherwise a container with `rediacc.service_port` gets the auto-route host and one more
//!   per `rediacc.domain` value, on the HTTPS entrypoints;
//! - every lease of a running container becomes a TCP (`` HostSNI(`*`) ``) or UDP router on
//!   entrypoint `tcp-<port>` / `udp-<port>`.
//!
//! A container whose labels fail validation contributes nothing and is reported; the others
//! are not affected. Tenancy (`tenancy`): no router of one repository takes a host name or an
//! entrypoint another owns; such routers are skipped and reported. Every name ends in
//! `-{network_id}` (`web-2816`, `web-domain1-2816`, `db-tcp-5432-2816`), so no name of one
//! repository can equal another's, and the output depends only on the set of inputs, never
//! on their order.

mod auto;
mod error;
mod leases;
mod merge;
mod refs;
mod rule;
mod tenancy;
mod tier2;

use std::collections::BTreeMap;

use serde::Serialize;

pub(crate) use self::error::DropReason;
use self::merge::Acc;
use self::tenancy::{Claim, Owners};
use super::config::DynamicConfig;
use super::labels::Labels;
use super::validate;
use crate::leases::Lease;
use crate::network::NetworkId;

/// One daemon found in `$RENET_RUN_DIR`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DaemonInput {
    pub(crate) network_id: NetworkId,
    pub(crate) socket: String,
    /// Why the daemon could not be listed; None when it answered.
    pub(crate) error: Option<String>,
    pub(crate) containers: Vec<ContainerInput>,
}

/// One container as the daemon listed it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ContainerInput {
    pub(crate) id: String,
    /// Name without docker's leading `/`.
    pub(crate) name: String,
    /// Docker's state: `running`, `exited`, ...
    pub(crate) state: String,
    /// Docker's `Created` (unix seconds): the oldest container's repository owns a host name.
    pub(crate) created: i64,
    pub(crate) labels: Labels,
}

/// Machine-wide settings of the route server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Validated host name.
    pub(crate) base_domain: String,
    /// Validated DNS label.
    pub(crate) machine_name: Option<String>,
    /// Entrypoints of HTTP routes (default `websecure`).
    pub(crate) entrypoints: Vec<String>,
    /// Certificate resolver for HTTP routes (`letsencrypt`); None: Traefik's default cert.
    pub(crate) cert_resolver: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            base_domain: "localhost".to_owned(),
            machine_name: None,
            entrypoints: vec!["websecure".to_owned()],
            cert_resolver: None,
        }
    }
}

/// Something the builder left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    pub(crate) network_id: u32,
    pub(crate) container: String,
    pub(crate) service: String,
    /// `container dropped`, `route skipped` or `label ignored`.
    pub(crate) effect: &'static str,
    pub(crate) reason: String,
    /// The label at fault, when one is.
    pub(crate) label: Option<String>,
}

pub(crate) const DROPPED: &str = "container dropped";
pub(crate) const SKIPPED: &str = "route skipped";
pub(crate) const IGNORED: &str = "label ignored";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Built {
    pub(crate) config: DynamicConfig,
    /// Sorted.
    pub(crate) problems: Vec<Problem>,
    /// Containers that contributed at least one route.
    pub(crate) routed_containers: usize,
}

/// Build the dynamic configuration. Pure: the same inputs in any order give the same output.
///
/// Two passes over the running containers, oldest first: each container's part on its own
/// (label checks), whose claims register who owns which host name and entrypoint (SPEC
/// section 7 "Tenancy": the oldest container's repository); then each part built again and
/// merged with what it may not claim left out. Nothing of a part is kept between the passes:
/// held at once, 20,000 parts (each with its own maps) raised the route server's peak memory
/// from 58 to 119 MiB, and their claims alone cost some 6 MiB more (`benches/routes.py`,
/// heaptrack); building a part twice is cheaper.
pub(crate) fn build(daemons: &[DaemonInput], leases: &[Lease], opts: &Options) -> Built {
    let lease_index = index_leases(leases);
    let mut acc = Acc::default();
    let running = running(daemons);
    // Repository names first: who holds a name decides which auto-route hosts are whose.
    let repos: Vec<_> = running
        .iter()
        .filter(|_| opts.machine_name.is_some())
        .filter_map(|(net, c)| {
            let r = label(c, "rediacc.repo_name").and_then(repo_key)?;
            Some((r, net.get()))
        })
        .collect();
    let mut owners = Owners::new(opts, leases, &repos);
    let mut routed = Vec::new();
    for &(net, c) in &running {
        let service = service_name(c);
        match container_routes(
            net,
            c,
            &service,
            lease_slice(&lease_index, net, &service),
            opts,
        ) {
            Ok(None) => {}
            Ok(Some(part)) => {
                owners.register(net.get(), &service, &part.claims);
                routed.push((net, c, service));
            }
            Err(reason) => {
                let label = reason.label().map(str::to_owned);
                acc.problems.push(problem(
                    net,
                    c,
                    &service,
                    DROPPED,
                    label,
                    reason.to_string(),
                ));
            }
        }
    }
    for (net, c, service) in &routed {
        // Pure: the same container gives the same part as in the first pass.
        if let Ok(Some(mut part)) = container_routes(
            *net,
            c,
            service,
            lease_slice(&lease_index, *net, service),
            opts,
        ) {
            let claims = std::mem::take(&mut part.claims);
            add_part(&mut acc, &owners, *net, c, service, &claims, part);
        }
    }
    refs::dangling(&mut acc.config, &acc.origins, &mut acc.problems);
    acc.problems.sort();
    acc.problems.dedup();
    Built {
        config: acc.config,
        problems: acc.problems,
        routed_containers: acc.routed,
    }
}

/// Running containers of the daemons that answered, the oldest repository first (its age is
/// its oldest running container's: recreating one service does not hand its host names to
/// another repository), then by network, and within one by age, name and id: a total order,
/// so the input order never matters. A network listed twice counts once (its first socket).
fn running(daemons: &[DaemonInput]) -> Vec<(NetworkId, &ContainerInput)> {
    let mut ds: Vec<&DaemonInput> = daemons.iter().collect();
    ds.sort_by(|a, b| (a.network_id, &a.socket).cmp(&(b.network_id, &b.socket)));
    ds.dedup_by(|a, b| a.network_id == b.network_id);
    let mut cs: Vec<(NetworkId, &ContainerInput)> = ds
        .into_iter()
        .filter(|d| d.error.is_none())
        .flat_map(|d| d.containers.iter().map(move |c| (d.network_id, c)))
        .filter(|(_, c)| c.state == "running")
        .collect();
    let mut age: BTreeMap<NetworkId, i64> = BTreeMap::new();
    for (n, c) in &cs {
        let a = age.entry(*n).or_insert(c.created);
        *a = (*a).min(c.created);
    }
    cs.sort_by_cached_key(|&(n, c)| {
        let repo_age = age.get(&n).copied().unwrap_or(0);
        (repo_age, n, c.created, c.name.as_str(), c.id.as_str())
    });
    cs
}

/// A repository name as it appears in auto-route hosts; borrowed when it already is one (the
/// usual case: no allocation per container).
fn repo_key(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
    if validate::is_dns_label(raw) {
        Some(std::borrow::Cow::Borrowed(raw))
    } else {
        validate::host_part(raw).ok().map(std::borrow::Cow::Owned)
    }
}

/// The leases of one service, from [`index_leases`].
fn lease_slice<'l>(
    index: &'l BTreeMap<(u32, &str), Vec<&'l Lease>>,
    net: NetworkId,
    service: &'l str,
) -> &'l [&'l Lease] {
    index
        .get(&(net.get(), service))
        .map_or(&[][..], Vec::as_slice)
}

/// Leases by (network, service), each list sorted and without duplicates.
fn index_leases(leases: &[Lease]) -> BTreeMap<(u32, &str), Vec<&Lease>> {
    let mut sorted: Vec<&Lease> = leases.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut index: BTreeMap<(u32, &str), Vec<&Lease>> = BTreeMap::new();
    for l in sorted {
        index
            .entry((l.key.network_id, l.key.service.as_str()))
            .or_default()
            .push(l);
    }
    index
}

fn problem(
    net: NetworkId,
    c: &ContainerInput,
    service: &str,
    effect: &'static str,
    label: Option<String>,
    reason: String,
) -> Problem {
    Problem {
        network_id: net.get(),
        container: c.name.clone(),
        service: service.to_owned(),
        effect,
        reason,
        label,
    }
}

/// The tier-2 routers and middlewares of `part`, by (kind, name): their references are
/// checked once everything is merged.
fn tier2_names(part: &Part) -> Vec<(&'static str, String)> {
    if !part.tier2 {
        return Vec::new();
    }
    let cfg = &part.config;
    (cfg.http.routers.keys().map(|n| ("router", n)))
        .chain(cfg.tcp.routers.keys().map(|n| ("tcp router", n)))
        .chain(cfg.udp.routers.keys().map(|n| ("udp router", n)))
        .chain(cfg.http.middlewares.keys().map(|n| ("middleware", n)))
        .map(|(kind, n)| (kind, n.clone()))
        .collect()
}

/// One container's part into `acc`, less what it may not claim; the reasons it (or some of
/// its routes) stayed out.
fn add_part(
    acc: &mut Acc,
    owners: &Owners<'_>,
    net: NetworkId,
    c: &ContainerInput,
    service: &str,
    claims: &[Claim],
    mut part: Part,
) {
    for (effect, reason) in std::mem::take(&mut part.notes) {
        acc.problems
            .push(problem(net, c, service, effect, None, reason));
    }
    for (key, reason) in owners.refuse(net.get(), service, claims, &mut part) {
        acc.problems
            .push(problem(net, c, service, SKIPPED, Some(key), reason));
    }
    let owner = (net.get(), service.to_owned());
    let names = tier2_names(&part);
    match acc.merge(part, &owner) {
        Ok(skipped) => {
            for name in names {
                // The first container of identical copies.
                acc.origins
                    .entry(name)
                    .or_insert_with(|| (net.get(), c.name.clone(), service.to_owned()));
            }
            for (key, reason) in skipped {
                acc.problems
                    .push(problem(net, c, service, SKIPPED, Some(key), reason));
            }
        }
        Err(reason) => {
            let label = reason.label().map(str::to_owned);
            acc.problems
                .push(problem(net, c, service, DROPPED, label, reason.to_string()));
        }
    }
}

/// `rediacc.service_name`, else compose's service label, else the container name.
pub(crate) fn service_name(c: &ContainerInput) -> String {
    c.labels
        .get("rediacc.service_name")
        .or_else(|| c.labels.get("com.docker.compose.service"))
        .map_or_else(|| c.name.trim_start_matches('/').to_owned(), str::to_owned)
}

/// The HTTPS host names the builder gives `c`'s auto route and `rediacc.domain` values (none
/// for a tier-2 container or one without `rediacc.service_port`): what `repository up|status`
/// show as the service's URLs. The host names only: claims against other repositories are the
/// route server's to settle.
pub(crate) fn auto_hosts(
    net: NetworkId,
    c: &ContainerInput,
    opts: &Options,
) -> Result<Vec<String>, DropReason> {
    let tier2 = match label(c, "traefik.enable") {
        Some(v) => validate::boolean("traefik.enable", v)?,
        None => false,
    };
    let Some(port) = label(c, "rediacc.service_port").filter(|_| !tier2) else {
        return Ok(Vec::new());
    };
    let (_, svc) = checked(net, c, &service_name(c))?;
    validate::port(port).map_err(DropReason::ServicePort)?;
    Ok(auto::hosts(net, c, &svc, opts)?
        .into_iter()
        .map(|(host, _)| host)
        .collect())
}

/// What one container contributes, before it is checked against the others.
#[derive(Default)]
struct Part {
    config: DynamicConfig,
    /// What each router claims: host names, entrypoints.
    claims: Vec<Claim>,
    /// From tier-2 labels (its references are checked after the merge).
    tier2: bool,
    /// Lease routers (tcp or udp) that claim an entrypoint: (router, entrypoint, udp?).
    lease_routers: Vec<(String, String, bool)>,
    notes: Vec<(&'static str, String)>,
}

fn label<'a>(c: &'a ContainerInput, key: &str) -> Option<&'a str> {
    c.labels.get(key)
}

/// What every routed container passes first: plain label values, an address in its own
/// block, a service name fit for a host name. Its address and that name.
fn checked(
    net: NetworkId,
    c: &ContainerInput,
    service: &str,
) -> Result<(std::net::Ipv4Addr, String), DropReason> {
    for (k, v) in c.labels.iter() {
        if k.starts_with("rediacc.") || k.starts_with("traefik.") {
            validate::plain_value(k, v)?;
        }
    }
    let ip_raw = label(c, "rediacc.service_ip").ok_or(DropReason::NoServiceIp)?;
    let ip = validate::service_ip(ip_raw, net)?;
    let svc = validate::host_part(service).map_err(DropReason::ServiceName)?;
    Ok((ip, svc))
}

/// Everything one container contributes; Ok(None) when it asks for nothing; Err drops it.
fn container_routes(
    net: NetworkId,
    c: &ContainerInput,
    service: &str,
    leases: &[&Lease],
    opts: &Options,
) -> Result<Option<Part>, DropReason> {
    let tier2 = match label(c, "traefik.enable") {
        Some(v) => validate::boolean("traefik.enable", v)?,
        None => false,
    };
    let auto = !tier2
        && (c.labels.contains_key("rediacc.service_port")
            || c.labels.contains_key("rediacc.domain"));
    if !tier2 && !auto && leases.is_empty() {
        return Ok(None);
    }
    let (ip, svc) = checked(net, c, service)?;
    let base = format!("{svc}-{net}");
    let mut part = Part::default();
    if tier2 {
        part.tier2 = true;
        tier2::routes(net, c, ip, &base, opts, &mut part)?;
    } else if auto {
        auto::routes(net, c, ip, &svc, opts, &mut part)?;
    }
    leases::routes(ip, &svc, net, leases, &mut part);
    Ok(Some(part))
}
