//! Tier 2: a container with `traefik.enable=true` contributes its own `traefik.*` labels
//! (routers, services and middlewares of HTTP, TCP and UDP), names namespaced with the network
//! ID, the backend always being `rediacc.service_ip`.

mod routers;
mod services;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::{ContainerInput, DropReason, IGNORED, Options, Part};
use crate::network::NetworkId;
use crate::routes::validate::{self, InvalidValue};

/// One router's, service's or middleware's labels: (lower-cased property, property as
/// written, value), in label order.
type Props<'a> = Vec<(String, &'a str, &'a str)>;

/// Tier-2 labels of one container, grouped: (proto, kind) -> name -> properties.
type Grouped<'a> = BTreeMap<(&'a str, &'a str), BTreeMap<&'a str, Props<'a>>>;

/// One container's tier-2 labels and what its routes are built from.
struct Tier2<'a> {
    net: NetworkId,
    c: &'a ContainerInput,
    ip: Ipv4Addr,
    /// `{service}-{network}`: the name of the implicit service.
    base: &'a str,
    opts: &'a Options,
    grouped: Grouped<'a>,
}

/// The container's own `traefik.*` labels.
pub(super) fn routes(
    net: NetworkId,
    c: &ContainerInput,
    ip: Ipv4Addr,
    base: &str,
    opts: &Options,
    part: &mut Part,
) -> Result<(), DropReason> {
    let t = Tier2 {
        net,
        c,
        ip,
        base,
        opts,
        grouped: group(c, part)?,
    };
    // Services first: routers refer to them.
    let http_services = t.http_services(part)?;
    let tcp_services = t.address_services("tcp", part)?;
    let udp_services = t.address_services("udp", part)?;
    t.middlewares(part)?;
    t.http_routers(&http_services, part)?;
    t.tcp_routers(&tcp_services, part)?;
    t.udp_routers(&udp_services, part)
}

/// `traefik.<proto>.<kind>.<name>.<property>` labels by (proto, kind) and name; labels that
/// mean nothing here become notes (Docker-provider settings such as `traefik.docker.*` are
/// left out silently: they are for another provider).
fn group<'a>(c: &'a ContainerInput, part: &mut Part) -> Result<Grouped<'a>, DropReason> {
    let mut grouped: Grouped<'a> = BTreeMap::new();
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
            return Err(InvalidValue::Name {
                key: k.to_owned(),
                name: name.to_owned(),
            }
            .into());
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
    Ok(grouped)
}

impl Tier2<'_> {
    /// The routers, services or middlewares of one (proto, kind), by name.
    fn group(
        &self,
        proto: &'static str,
        kind: &'static str,
    ) -> impl Iterator<Item = (&str, &Props<'_>)> {
        self.grouped
            .get(&(proto, kind))
            .into_iter()
            .flatten()
            .map(|(name, props)| (*name, props))
    }

    /// A name of this container made unique on the machine.
    fn ns(&self, name: &str) -> String {
        format!("{name}-{}", self.net)
    }

    /// A reference to a middleware or service of this repository (`what`), namespaced; names
    /// of other providers (`x@file`, `api@internal`) are refused.
    fn own_ref(&self, key: &str, raw: &str, what: &'static str) -> Result<String, DropReason> {
        let r = raw.trim();
        if r.contains('@') {
            return Err(DropReason::ForeignRef {
                key: key.to_owned(),
                what,
                raw: r.to_owned(),
            });
        }
        Ok(self.ns(&checked_name(key, r)?))
    }

    /// `entrypoints` of a TCP or UDP router, none of them the proxy's HTTP ones.
    fn address_entrypoints(
        &self,
        key: &str,
        proto: &'static str,
        raw: &str,
    ) -> Result<Vec<String>, DropReason> {
        let eps = validate::name_list(key, raw, validate::is_name)?;
        let http = |e: &str| {
            PROXY_ENTRYPOINTS.contains(&e) || self.opts.entrypoints.iter().any(|x| x == e)
        };
        if let Some(e) = eps.iter().find(|e| http(e)) {
            return Err(DropReason::ProxyEntrypoint {
                key: key.to_owned(),
                proto,
                ep: e.clone(),
            });
        }
        Ok(eps)
    }

    /// A router's `service` label: one of this container's services (never another
    /// provider's, which would route to something the container does not own).
    fn service_ref(&self, raw: &str, key: &str) -> Result<String, DropReason> {
        let r = raw.trim();
        if r.contains('@') {
            return Err(DropReason::OtherProvider {
                key: key.to_owned(),
                raw: r.to_owned(),
            });
        }
        if !validate::is_name(r) {
            return Err(DropReason::ServiceRef {
                key: key.to_owned(),
                raw: r.to_owned(),
            });
        }
        Ok(self.ns(r))
    }
}

/// The service of a router that names none: the container's only one of that protocol.
fn default_service(
    kind: &'static str,
    router: &str,
    defined: &[String],
) -> Result<String, DropReason> {
    match defined {
        [one] => Ok(one.clone()),
        [] => Err(DropReason::NoService {
            kind,
            router: router.to_owned(),
        }),
        _ => Err(DropReason::SeveralServices {
            kind,
            router: router.to_owned(),
        }),
    }
}

/// A property the builder does not carry over.
fn unsupported(part: &mut Part, key: &str) {
    part.notes
        .push((IGNORED, format!("label {key} is not supported")));
}

/// A port label whose message names the label.
fn port(key: &str, v: &str) -> Result<u16, DropReason> {
    validate::port(v).map_err(|source| DropReason::Label {
        key: key.to_owned(),
        source,
    })
}

fn checked_name(key: &str, v: &str) -> Result<String, DropReason> {
    let t = v.trim();
    if validate::is_name(t) {
        Ok(t.to_owned())
    } else {
        Err(InvalidValue::Name {
            key: key.to_owned(),
            name: v.to_owned(),
        }
        .into())
    }
}

/// Entrypoints a TCP or UDP router may not take: they carry every repository's HTTP(S)
/// traffic (a TCP router on `websecure` would catch every TLS connection no HTTP router
/// matched).
const PROXY_ENTRYPOINTS: &[&str] = &["web", "websecure", "websecure-v6"];

fn priority(key: &str, v: &str) -> Result<u32, DropReason> {
    v.trim()
        .parse::<u32>()
        .ok()
        .filter(|p| *p <= 1_000_000)
        .ok_or_else(|| DropReason::Priority {
            key: key.to_owned(),
            raw: v.to_owned(),
        })
}
