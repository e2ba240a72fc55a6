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
//! are not affected. Names are `{name}-{network_id}`, so they are unique across daemons, and
//! the output depends only on the set of inputs, never on their order.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use serde::Serialize;

use super::config::{
    AddressService, DynamicConfig, HttpRouter, HttpService, RouterTls, TcpRouter, TcpTls,
    TlsDomain, Tree, UdpRouter,
};
use super::labels::Labels;
use super::validate::{self, quote};
use crate::leases::{Lease, Proto};
use crate::network::NetworkId;

/// One daemon found in `$RENET_RUN_DIR`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DaemonInput {
    pub network_id: NetworkId,
    pub socket: String,
    /// Why the daemon could not be listed; None when it answered.
    pub error: Option<String>,
    pub containers: Vec<ContainerInput>,
}

/// One container as the daemon listed it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerInput {
    pub id: String,
    /// Name without docker's leading `/`.
    pub name: String,
    /// Docker's state: `running`, `exited`, ...
    pub state: String,
    pub labels: Labels,
}

/// Machine-wide settings of the route server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Validated host name.
    pub base_domain: String,
    /// Validated DNS label.
    pub machine_name: Option<String>,
    /// Entrypoints of HTTP routes (default `websecure`).
    pub entrypoints: Vec<String>,
    /// Certificate resolver for HTTP routes (`letsencrypt`); None: Traefik's default cert.
    pub cert_resolver: Option<String>,
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
    pub network_id: u32,
    pub container: String,
    pub service: String,
    /// `container dropped`, `route skipped` or `label ignored`.
    pub effect: &'static str,
    pub reason: String,
}

pub const DROPPED: &str = "container dropped";
pub const SKIPPED: &str = "route skipped";
pub const IGNORED: &str = "label ignored";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Built {
    pub config: DynamicConfig,
    /// Sorted.
    pub problems: Vec<Problem>,
    /// Containers that contributed at least one route.
    pub routed_containers: usize,
}

/// Who owns a host name or an entrypoint: (network, service).
type Owner = (u32, String);

struct Acc {
    config: DynamicConfig,
    hosts: BTreeMap<String, Owner>,
    lease_entrypoints: BTreeMap<String, Owner>,
    problems: Vec<Problem>,
    routed: usize,
}

/// Build the dynamic configuration. Pure: the same inputs in any order give the same output.
pub fn build(daemons: &[DaemonInput], leases: &[Lease], opts: &Options) -> Built {
    let mut lease_index: BTreeMap<(u32, &str), Vec<&Lease>> = BTreeMap::new();
    let mut sorted_leases: Vec<&Lease> = leases.iter().collect();
    sorted_leases.sort();
    sorted_leases.dedup();
    for l in sorted_leases {
        lease_index
            .entry((l.key.network_id, l.key.service.as_str()))
            .or_default()
            .push(l);
    }

    let mut ds: Vec<&DaemonInput> = daemons.iter().collect();
    ds.sort_by(|a, b| (a.network_id, &a.socket).cmp(&(b.network_id, &b.socket)));
    ds.dedup_by(|a, b| a.network_id == b.network_id);

    let mut acc = Acc {
        config: DynamicConfig::default(),
        hosts: BTreeMap::new(),
        lease_entrypoints: BTreeMap::new(),
        problems: Vec::new(),
        routed: 0,
    };
    for d in ds {
        if d.error.is_some() {
            continue;
        }
        let mut cs: Vec<&ContainerInput> = d
            .containers
            .iter()
            .filter(|c| c.state == "running")
            .collect();
        cs.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        for c in cs {
            let service = service_name(c);
            let no_leases = Vec::new();
            let leases = lease_index
                .get(&(d.network_id.get(), service.as_str()))
                .unwrap_or(&no_leases);
            let problem = |effect, reason: String| Problem {
                network_id: d.network_id.get(),
                container: c.name.clone(),
                service: service.clone(),
                effect,
                reason,
            };
            match container_routes(d.network_id, c, &service, leases, opts) {
                Ok(None) => {}
                Ok(Some(part)) => {
                    for (effect, reason) in &part.notes {
                        acc.problems.push(problem(effect, reason.clone()));
                    }
                    let owner = (d.network_id.get(), service.clone());
                    match acc.merge(part, &owner) {
                        Ok(skipped) => {
                            for reason in skipped {
                                acc.problems.push(problem(SKIPPED, reason));
                            }
                        }
                        Err(reason) => acc.problems.push(problem(DROPPED, reason)),
                    }
                }
                Err(reason) => acc.problems.push(problem(DROPPED, reason)),
            }
        }
    }
    acc.problems.sort();
    acc.problems.dedup();
    Built {
        config: acc.config,
        problems: acc.problems,
        routed_containers: acc.routed,
    }
}

/// `rediacc.service_name`, else compose's service label, else the container name.
pub fn service_name(c: &ContainerInput) -> String {
    c.labels
        .get("rediacc.service_name")
        .or_else(|| c.labels.get("com.docker.compose.service"))
        .map_or_else(|| c.name.trim_start_matches('/').to_owned(), str::to_owned)
}

/// What one container contributes, before it is checked against the others.
#[derive(Default)]
struct Part {
    config: DynamicConfig,
    /// HTTP routers (auto and custom-domain) that claim a host: (router, host).
    host_routers: Vec<(String, String)>,
    /// Lease routers (tcp or udp) that claim an entrypoint: (router, entrypoint, udp?).
    lease_routers: Vec<(String, String, bool)>,
    notes: Vec<(&'static str, String)>,
}

impl Acc {
    /// Add `part` unless one of its names is already taken by something different (then the
    /// whole container is refused). Hosts and lease entrypoints held by another owner skip
    /// just those routes; their reasons come back.
    fn merge(&mut self, mut part: Part, owner: &Owner) -> Result<Vec<String>, String> {
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
        let c = &part.config;
        conflicts(&self.config.http.routers, &c.http.routers, "HTTP router")?;
        conflicts(&self.config.http.services, &c.http.services, "HTTP service")?;
        conflicts(
            &self.config.http.middlewares,
            &c.http.middlewares,
            "middleware",
        )?;
        conflicts(&self.config.tcp.routers, &c.tcp.routers, "TCP router")?;
        conflicts(&self.config.tcp.services, &c.tcp.services, "TCP service")?;
        conflicts(&self.config.udp.routers, &c.udp.routers, "UDP router")?;
        conflicts(&self.config.udp.services, &c.udp.services, "UDP service")?;

        for r in part.config.http.routers.values() {
            if let Some(host) = single_host(&r.rule) {
                self.hosts.insert(host, owner.clone());
            }
        }
        for r in part.config.tcp.routers.values() {
            for ep in &r.entry_points {
                if ep.starts_with("tcp-") && r.rule == "HostSNI(`*`)" {
                    self.lease_entrypoints.insert(ep.clone(), owner.clone());
                }
            }
        }
        for r in part.config.udp.routers.values() {
            for ep in &r.entry_points {
                self.lease_entrypoints.insert(ep.clone(), owner.clone());
            }
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
}

fn conflicts<V: PartialEq>(
    have: &BTreeMap<String, V>,
    new: &BTreeMap<String, V>,
    what: &str,
) -> Result<(), String> {
    for (name, v) in new {
        if let Some(existing) = have.get(name)
            && existing != v
        {
            return Err(format!(
                "{what} {name} is already defined differently by another container"
            ));
        }
    }
    Ok(())
}

/// The host of a rule renet wrote itself (`` Host(`h`) ``).
fn single_host(rule: &str) -> Option<String> {
    let h = rule.strip_prefix("Host(`")?.strip_suffix("`)")?;
    (!h.contains('`')).then(|| h.to_owned())
}

fn label<'a>(c: &'a ContainerInput, key: &str) -> Option<&'a str> {
    c.labels.get(key)
}

/// Everything one container contributes; Ok(None) when it asks for nothing; Err drops it.
fn container_routes(
    net: NetworkId,
    c: &ContainerInput,
    service: &str,
    leases: &[&Lease],
    opts: &Options,
) -> Result<Option<Part>, String> {
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
    for (k, v) in c.labels.iter() {
        if k.starts_with("rediacc.") || k.starts_with("traefik.") {
            validate::plain_value(k, v)?;
        }
    }
    let ip_raw = label(c, "rediacc.service_ip")
        .ok_or("no rediacc.service_ip label (start it with renet compose)")?;
    let ip = validate::service_ip(ip_raw, net)?;
    let svc = validate::host_part(service).map_err(|e| format!("service name {e}"))?;
    let base = format!("{svc}-{net}");
    let mut part = Part::default();
    if tier2 {
        tier2_routes(net, c, ip, &base, opts, &mut part)?;
    } else if auto {
        auto_routes(net, c, ip, &svc, &base, opts, &mut part)?;
    }
    for l in leases {
        let ext = l.external_port;
        let cport = l.key.container_port;
        let address = format!("{ip}:{cport}");
        match l.key.proto {
            Proto::Tcp => {
                let name = format!("{base}-tcp-{cport}");
                let ep = format!("tcp-{ext}");
                part.config.tcp.routers.insert(
                    name.clone(),
                    TcpRouter {
                        entry_points: vec![ep.clone()],
                        rule: "HostSNI(`*`)".to_owned(),
                        service: name.clone(),
                        priority: None,
                        tls: None,
                    },
                );
                part.config
                    .tcp
                    .services
                    .insert(name.clone(), AddressService::address(address));
                part.lease_routers.push((name, ep, false));
            }
            Proto::Udp => {
                let name = format!("{base}-udp-{cport}");
                let ep = format!("udp-{ext}");
                part.config.udp.routers.insert(
                    name.clone(),
                    UdpRouter {
                        entry_points: vec![ep.clone()],
                        service: name.clone(),
                    },
                );
                part.config
                    .udp
                    .services
                    .insert(name.clone(), AddressService::address(address));
                part.lease_routers.push((name, ep, true));
            }
        }
    }
    Ok(Some(part))
}

/// The auto-route and the `rediacc.domain` routes.
fn auto_routes(
    net: NetworkId,
    c: &ContainerInput,
    ip: Ipv4Addr,
    svc: &str,
    base: &str,
    opts: &Options,
    part: &mut Part,
) -> Result<(), String> {
    let Some(port_raw) = label(c, "rediacc.service_port") else {
        part.notes.push((
            IGNORED,
            "rediacc.domain has no effect without rediacc.service_port".to_owned(),
        ));
        return Ok(());
    };
    let port = validate::port(port_raw).map_err(|e| format!("rediacc.service_port {e}"))?;
    let custom = match label(c, "rediacc.domain") {
        Some(raw) => validate::domains(raw)?,
        None => Vec::new(),
    };
    let bd = &opts.base_domain;
    let m = opts.machine_name.as_deref();
    // (host, certificate domain when a resolver is set)
    let auto = match m {
        Some(m) => {
            let repo_raw = label(c, "rediacc.repo_name")
                .ok_or("no rediacc.repo_name label, needed for the auto-route host")?;
            let repo =
                validate::host_part(repo_raw).map_err(|e| format!("rediacc.repo_name {e}"))?;
            (
                format!("{svc}.{repo}.{m}.{bd}"),
                format!("*.{repo}.{m}.{bd}"),
            )
        }
        None => (format!("{svc}-{net}.{bd}"), format!("*.{bd}")),
    };
    let mut extra: Vec<(String, String)> = Vec::new();
    for d in custom {
        if d.contains('.') {
            extra.push((d.clone(), d));
        } else {
            extra.push((format!("{d}.{bd}"), format!("*.{bd}")));
            if let Some(m) = m {
                extra.push((format!("{d}.{m}.{bd}"), format!("*.{m}.{bd}")));
            }
        }
    }
    let mut seen = BTreeSet::from([auto.0.clone()]);
    extra.retain(|(h, _)| seen.insert(h.clone()));
    for (h, _) in std::iter::once(&auto).chain(&extra) {
        if !validate::is_host_name(h) {
            return Err(format!("host {} is not a valid host name", quote(h)));
        }
    }
    part.config.http.services.insert(
        base.to_owned(),
        HttpService::url(format!("http://{ip}:{port}")),
    );
    let names = std::iter::once(base.to_owned())
        .chain((1..=extra.len()).map(|i| format!("{base}-domain{i}")));
    for (name, (host, cert)) in names.zip(std::iter::once(&auto).chain(&extra)) {
        let tls = RouterTls {
            cert_resolver: opts.cert_resolver.clone(),
            options: None,
            domains: if opts.cert_resolver.is_some() {
                vec![TlsDomain {
                    main: cert.clone(),
                    sans: Vec::new(),
                }]
            } else {
                Vec::new()
            },
        };
        part.config.http.routers.insert(
            name.clone(),
            HttpRouter {
                entry_points: opts.entrypoints.clone(),
                rule: format!("Host(`{host}`)"),
                service: base.to_owned(),
                middlewares: Vec::new(),
                priority: None,
                tls: Some(tls),
            },
        );
        part.host_routers.push((name, host.clone()));
    }
    Ok(())
}

/// Tier-2 labels of one container, grouped: (proto, kind) -> name -> property -> value.
type Grouped<'a> = BTreeMap<(&'a str, &'a str), BTreeMap<&'a str, Vec<(String, &'a str, &'a str)>>>;

/// The container's own `traefik.*` labels.
fn tier2_routes(
    net: NetworkId,
    c: &ContainerInput,
    ip: Ipv4Addr,
    base: &str,
    opts: &Options,
    part: &mut Part,
) -> Result<(), String> {
    let mut grouped: Grouped<'_> = BTreeMap::new();
    for (k, v) in c.labels.iter() {
        let Some(rest) = k.strip_prefix("traefik.") else {
            continue;
        };
        let mut it = rest.splitn(4, '.');
        let (Some(proto), Some(kind), Some(name), prop) =
            (it.next(), it.next(), it.next(), it.next())
        else {
            if !matches!(rest, "enable") && !rest.starts_with("docker.") {
                part.notes.push((IGNORED, format!("label {k} is not used")));
            }
            continue;
        };
        let proto_ok = matches!(proto, "http" | "tcp" | "udp");
        let kind_ok = matches!(kind, "routers" | "services" | "middlewares");
        if !proto_ok || !kind_ok {
            if !rest.starts_with("docker.") {
                part.notes.push((IGNORED, format!("label {k} is not used")));
            }
            continue;
        }
        if !validate::is_name(name) {
            return Err(format!("label {k}: {} is not a valid name", quote(name)));
        }
        let Some(prop) = prop else {
            part.notes
                .push((IGNORED, format!("label {k} has no property")));
            continue;
        };
        grouped
            .entry((proto, kind))
            .or_default()
            .entry(name)
            .or_default()
            .push((prop.to_ascii_lowercase(), prop, v));
    }
    let ns = |n: &str| format!("{n}-{net}");
    let empty = BTreeMap::new();
    let group =
        |proto: &'static str, kind: &'static str| grouped.get(&(proto, kind)).unwrap_or(&empty);

    // Services first: routers refer to them.
    let mut http_services: Vec<String> = Vec::new();
    for (name, props) in group("http", "services") {
        let mut port = None;
        let mut scheme = "http".to_owned();
        let mut pass_host = None;
        for (p, _, v) in props {
            let key = format!("traefik.http.services.{name}.{p}");
            match p.as_str() {
                "loadbalancer.server.port" => {
                    port = Some(validate::port(v).map_err(|e| format!("label {key}: {e}"))?);
                }
                "loadbalancer.server.scheme" => {
                    let s = v.trim().to_ascii_lowercase();
                    if !matches!(s.as_str(), "http" | "https" | "h2c") {
                        return Err(format!(
                            "label {key}: scheme {} is not http, https or h2c",
                            quote(v)
                        ));
                    }
                    scheme = s;
                }
                "loadbalancer.passhostheader" => pass_host = Some(validate::boolean(&key, v)?),
                "loadbalancer.server.url" => part.notes.push((
                    IGNORED,
                    format!("label {key}: the backend is always rediacc.service_ip"),
                )),
                _ => part
                    .notes
                    .push((IGNORED, format!("label {key} is not supported"))),
            }
        }
        let port = match port {
            Some(p) => p,
            None => match label(c, "rediacc.service_port") {
                Some(raw) => {
                    validate::port(raw).map_err(|e| format!("rediacc.service_port {e}"))?
                }
                None => {
                    return Err(format!(
                        "HTTP service {name} has no traefik.http.services.{name}.loadbalancer.server.port \
                         (nor rediacc.service_port)"
                    ));
                }
            },
        };
        let mut svc = HttpService::url(format!("{scheme}://{ip}:{port}"));
        svc.load_balancer.pass_host_header = pass_host;
        part.config.http.services.insert(ns(name), svc);
        http_services.push(ns(name));
    }
    let mut tcp_services = Vec::new();
    let mut udp_services = Vec::new();
    for (proto, list) in [("tcp", &mut tcp_services), ("udp", &mut udp_services)] {
        for (name, props) in group(proto, "services") {
            let mut port = None;
            for (p, _, v) in props {
                let key = format!("traefik.{proto}.services.{name}.{p}");
                match p.as_str() {
                    "loadbalancer.server.port" => {
                        port = Some(validate::port(v).map_err(|e| format!("label {key}: {e}"))?);
                    }
                    _ => part
                        .notes
                        .push((IGNORED, format!("label {key} is not supported"))),
                }
            }
            let port = port.ok_or_else(|| {
                format!("{} service {name} has no traefik.{proto}.services.{name}.loadbalancer.server.port", proto.to_uppercase())
            })?;
            let svc = AddressService::address(format!("{ip}:{port}"));
            if proto == "tcp" {
                part.config.tcp.services.insert(ns(name), svc);
            } else {
                part.config.udp.services.insert(ns(name), svc);
            }
            list.push(ns(name));
        }
    }

    // Middlewares: the nested properties as they are, names namespaced.
    for (name, props) in group("http", "middlewares") {
        let mut tree: BTreeMap<String, Tree> = BTreeMap::new();
        for (_, original, v) in props {
            let key = format!("traefik.http.middlewares.{name}.{original}");
            let path: Vec<&str> = original.split('.').collect();
            if path.iter().any(|s| !validate::is_name(s)) {
                return Err(format!("label {key}: the property path is not valid"));
            }
            insert_tree(&mut tree, &path, v)
                .map_err(|()| format!("label {key} clashes with another label"))?;
        }
        part.config
            .http
            .middlewares
            .insert(ns(name), Tree::Node(tree));
    }
    for (proto, kind) in [("tcp", "middlewares"), ("udp", "middlewares")] {
        if let Some(g) = grouped.get(&(proto, kind)) {
            for name in g.keys() {
                part.notes.push((
                    IGNORED,
                    format!("traefik.{proto}.middlewares.{name}.*: {proto} middlewares are not supported"),
                ));
            }
        }
    }

    let service_ref = |raw: &str, key: &str| -> Result<String, String> {
        let r = raw.trim();
        if r.contains('@') {
            return Err(format!(
                "label {key}: services of other providers ({}) cannot be routed to from a container",
                quote(r)
            ));
        }
        if !validate::is_name(r) {
            return Err(format!(
                "label {key}: {} is not a valid service name",
                quote(r)
            ));
        }
        Ok(ns(r))
    };
    let default_service =
        |proto: &str, router: &str, defined: &[String]| -> Result<String, String> {
            match defined {
                [one] => Ok(one.clone()),
                [] => Err(format!(
                    "{proto} router {router} names no service and the container defines none"
                )),
                _ => Err(format!(
                    "{proto} router {router} names no service and the container defines several"
                )),
            }
        };

    // HTTP routers.
    for (name, props) in group("http", "routers") {
        let mut rule = None;
        let mut entry_points = None;
        let mut service = None;
        let mut middlewares = Vec::new();
        let mut priority = None;
        let mut tls_on: Option<bool> = None;
        let mut tls = RouterTls::default();
        for (p, _, v) in props {
            let key = format!("traefik.http.routers.{name}.{p}");
            match p.as_str() {
                "rule" => {
                    validate::tier2_rule(&key, v, false)?;
                    rule = Some(v.trim().to_owned());
                }
                "entrypoints" => {
                    entry_points = Some(validate::name_list(&key, v, validate::is_name)?)
                }
                "service" => service = Some(service_ref(v, &key)?),
                "middlewares" => {
                    for m in validate::name_list(&key, v, |m| {
                        validate::is_name(m)
                            || m.strip_suffix("@file").is_some_and(validate::is_name)
                    })? {
                        middlewares.push(if m.ends_with("@file") { m } else { ns(&m) });
                    }
                }
                "priority" => priority = Some(priority_value(&key, v)?),
                "tls" => tls_on = Some(validate::boolean(&key, v)?),
                "tls.certresolver" => {
                    tls.cert_resolver = Some(checked_name(&key, v)?);
                    tls_on.get_or_insert(true);
                }
                "tls.options" => {
                    let o = v.trim();
                    if !(validate::is_name(o)
                        || o.strip_suffix("@file").is_some_and(validate::is_name))
                    {
                        return Err(format!("label {key}: {} is not a valid name", quote(o)));
                    }
                    tls.options = Some(o.to_owned());
                    tls_on.get_or_insert(true);
                }
                _ => part
                    .notes
                    .push((IGNORED, format!("label {key} is not supported"))),
            }
        }
        let rule = rule
            .ok_or_else(|| format!("HTTP router {name} has no traefik.http.routers.{name}.rule"))?;
        let entry_points = entry_points.unwrap_or_else(|| opts.entrypoints.clone());
        let service = match service {
            Some(s) => s,
            None => {
                if http_services.is_empty() && c.labels.contains_key("rediacc.service_port") {
                    // No service label: one implicit service on rediacc.service_port.
                    let port = validate::port(label(c, "rediacc.service_port").unwrap_or(""))
                        .map_err(|e| format!("rediacc.service_port {e}"))?;
                    part.config.http.services.insert(
                        base.to_owned(),
                        HttpService::url(format!("http://{ip}:{port}")),
                    );
                    base.to_owned()
                } else {
                    default_service("HTTP", name, &http_services)?
                }
            }
        };
        // Unset TLS follows the entrypoints: on the HTTPS ones a router gets TLS (and the
        // machine's resolver), as auto-routes do.
        let tls_on =
            tls_on.unwrap_or_else(|| entry_points.iter().any(|e| opts.entrypoints.contains(e)));
        if tls_on && tls.cert_resolver.is_none() {
            tls.cert_resolver.clone_from(&opts.cert_resolver);
        }
        part.config.http.routers.insert(
            ns(name),
            HttpRouter {
                entry_points,
                rule,
                service,
                middlewares,
                priority,
                tls: tls_on.then_some(tls),
            },
        );
    }

    // TCP routers.
    for (name, props) in group("tcp", "routers") {
        let mut rule = None;
        let mut entry_points = None;
        let mut service = None;
        let mut priority = None;
        let mut tls_on = None;
        let mut tls = TcpTls::default();
        for (p, _, v) in props {
            let key = format!("traefik.tcp.routers.{name}.{p}");
            match p.as_str() {
                "rule" => {
                    validate::tier2_rule(&key, v, true)?;
                    rule = Some(v.trim().to_owned());
                }
                "entrypoints" => {
                    entry_points = Some(validate::name_list(&key, v, validate::is_name)?)
                }
                "service" => service = Some(service_ref(v, &key)?),
                "priority" => priority = Some(priority_value(&key, v)?),
                "tls" => tls_on = Some(validate::boolean(&key, v)?),
                "tls.passthrough" => {
                    tls.passthrough = Some(validate::boolean(&key, v)?);
                    tls_on.get_or_insert(true);
                }
                "tls.certresolver" => {
                    tls.cert_resolver = Some(checked_name(&key, v)?);
                    tls_on.get_or_insert(true);
                }
                _ => part
                    .notes
                    .push((IGNORED, format!("label {key} is not supported"))),
            }
        }
        let rule = rule
            .ok_or_else(|| format!("TCP router {name} has no traefik.tcp.routers.{name}.rule"))?;
        let entry_points = entry_points.ok_or_else(|| {
            format!("TCP router {name} has no traefik.tcp.routers.{name}.entrypoints")
        })?;
        let service = match service {
            Some(s) => s,
            None => default_service("TCP", name, &tcp_services)?,
        };
        part.config.tcp.routers.insert(
            ns(name),
            TcpRouter {
                entry_points,
                rule,
                service,
                priority,
                tls: tls_on.unwrap_or(false).then_some(tls),
            },
        );
    }

    // UDP routers.
    for (name, props) in group("udp", "routers") {
        let mut entry_points = None;
        let mut service = None;
        for (p, _, v) in props {
            let key = format!("traefik.udp.routers.{name}.{p}");
            match p.as_str() {
                "entrypoints" => {
                    entry_points = Some(validate::name_list(&key, v, validate::is_name)?)
                }
                "service" => service = Some(service_ref(v, &key)?),
                _ => part
                    .notes
                    .push((IGNORED, format!("label {key} is not supported"))),
            }
        }
        let entry_points = entry_points.ok_or_else(|| {
            format!("UDP router {name} has no traefik.udp.routers.{name}.entrypoints")
        })?;
        let service = match service {
            Some(s) => s,
            None => default_service("UDP", name, &udp_services)?,
        };
        part.config.udp.routers.insert(
            ns(name),
            UdpRouter {
                entry_points,
                service,
            },
        );
    }
    Ok(())
}

fn checked_name(key: &str, v: &str) -> Result<String, String> {
    let t = v.trim();
    if validate::is_name(t) {
        Ok(t.to_owned())
    } else {
        Err(format!("label {key}: {} is not a valid name", quote(v)))
    }
}

fn priority_value(key: &str, v: &str) -> Result<u32, String> {
    v.trim()
        .parse::<u32>()
        .ok()
        .filter(|p| *p <= 1_000_000)
        .ok_or_else(|| format!("label {key}: {} is not a priority (0-1000000)", quote(v)))
}

fn insert_tree(tree: &mut BTreeMap<String, Tree>, path: &[&str], value: &str) -> Result<(), ()> {
    let (first, rest) = path.split_first().ok_or(())?;
    if rest.is_empty() {
        if tree.contains_key(*first) {
            return Err(());
        }
        tree.insert((*first).to_owned(), Tree::Leaf(value.to_owned()));
        return Ok(());
    }
    let node = tree
        .entry((*first).to_owned())
        .or_insert_with(|| Tree::Node(BTreeMap::new()));
    match node {
        Tree::Node(m) => insert_tree(m, rest, value),
        Tree::Leaf(_) => Err(()),
    }
}

/// The set of (network, service) pairs that are running, for `/ports`.
pub fn running_services(daemons: &[DaemonInput]) -> BTreeSet<(u32, String)> {
    daemons
        .iter()
        .flat_map(|d| {
            d.containers
                .iter()
                .filter(|c| c.state == "running")
                .map(move |c| (d.network_id.get(), service_name(c)))
        })
        .collect()
}
