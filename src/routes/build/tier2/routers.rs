//! Tier-2 routers: HTTP, TCP and UDP.

use std::collections::BTreeSet;

use super::{Props, Tier2, checked_name, default_service, priority, unsupported};
use crate::routes::build::rule;
use crate::routes::build::tenancy::{Claim, Kind};
use crate::routes::build::{DropReason, Part, label};
use crate::routes::config::{HttpRouter, HttpService, RouterTls, TcpRouter, TcpTls, UdpRouter};
use crate::routes::validate;

/// What one HTTP router's labels say, before defaults.
#[derive(Default)]
struct HttpLabels {
    rule: Option<(String, BTreeSet<String>)>,
    entry_points: Option<Vec<String>>,
    service: Option<String>,
    middlewares: Vec<String>,
    priority: Option<u32>,
    tls_on: Option<bool>,
    tls: RouterTls,
}

/// What one TCP router's labels say, before defaults.
#[derive(Default)]
struct TcpLabels {
    rule: Option<(String, BTreeSet<String>)>,
    entry_points: Option<Vec<String>>,
    service: Option<String>,
    priority: Option<u32>,
    tls_on: Option<bool>,
    tls: TcpTls,
}

/// A router without a property it cannot do without.
fn missing(
    kind: &'static str,
    proto: &'static str,
    router: &str,
    property: &'static str,
) -> DropReason {
    DropReason::RouterProperty {
        kind,
        proto,
        router: router.to_owned(),
        property,
    }
}

/// A rule label, trimmed, with the hosts it serves (checked: balanced, parsed, bounded).
fn rule(key: &str, v: &str, tcp: bool) -> Result<(String, BTreeSet<String>), DropReason> {
    validate::tier2_rule(key, v)?;
    let hosts = rule::hosts(v, tcp).map_err(|source| DropReason::Rule {
        key: key.to_owned(),
        source,
    })?;
    Ok((v.trim().to_owned(), hosts))
}

/// The claim of tier-2 router `name` of `proto` (`http`, `tcp`, `udp`).
fn claim(
    router: String,
    kind: Kind,
    name: &str,
    hosts: BTreeSet<String>,
    entrypoints: &[String],
) -> Claim {
    let proto = match kind {
        Kind::Http => "http",
        Kind::Tcp => "tcp",
        Kind::Udp => "udp",
    };
    Claim {
        router,
        kind,
        hosts: hosts.into_iter().collect(),
        entrypoints: entrypoints.to_vec(),
        host_key: format!("traefik.{proto}.routers.{name}.rule").into(),
        ep_key: format!("traefik.{proto}.routers.{name}.entrypoints").into(),
        auto: false,
    }
}

fn names(key: &str, v: &str) -> Result<Vec<String>, DropReason> {
    Ok(validate::name_list(key, v, validate::is_name)?)
}

impl Tier2<'_> {
    pub(super) fn http_routers(
        &self,
        services: &[String],
        part: &mut Part,
    ) -> Result<(), DropReason> {
        for (name, props) in self.group("http", "routers") {
            let labels = self.http_labels(name, props, part)?;
            let (router, hosts) = self.http_router(name, labels, services, part)?;
            let c = claim(self.ns(name), Kind::Http, name, hosts, &router.entry_points);
            part.claims.push(c);
            part.config.http.routers.insert(self.ns(name), router);
        }
        Ok(())
    }

    fn http_labels(
        &self,
        name: &str,
        props: &Props<'_>,
        part: &mut Part,
    ) -> Result<HttpLabels, DropReason> {
        let mut l = HttpLabels::default();
        for (p, _, v) in props {
            let key = format!("traefik.http.routers.{name}.{p}");
            match p.as_str() {
                "rule" => l.rule = Some(rule(&key, v, false)?),
                "entrypoints" => l.entry_points = Some(names(&key, v)?),
                "service" => l.service = Some(self.service_ref(v, &key)?),
                "middlewares" => {
                    for m in validate::name_list(&key, v, |_| true)? {
                        l.middlewares.push(self.own_ref(&key, &m, "middleware")?);
                    }
                }
                "priority" => l.priority = Some(priority(&key, v)?),
                "tls" => l.tls_on = Some(validate::boolean(&key, v)?),
                "tls.certresolver" => {
                    l.tls.cert_resolver = Some(checked_name(&key, v)?);
                    l.tls_on.get_or_insert(true);
                }
                "tls.options" => {
                    // Traefik's own default options are everyone's; no repository can define
                    // others (the builder emits none), and other providers' are not theirs.
                    let o = v.trim();
                    if o != "default" {
                        return Err(DropReason::TlsOptions {
                            key,
                            raw: o.to_owned(),
                        });
                    }
                    l.tls.options = Some(o.to_owned());
                    l.tls_on.get_or_insert(true);
                }
                _ => unsupported(part, &key),
            }
        }
        Ok(l)
    }

    fn http_router(
        &self,
        name: &str,
        l: HttpLabels,
        services: &[String],
        part: &mut Part,
    ) -> Result<(HttpRouter, BTreeSet<String>), DropReason> {
        let (rule, hosts) = l
            .rule
            .ok_or_else(|| missing("HTTP", "http", name, "rule"))?;
        let entry_points = l
            .entry_points
            .unwrap_or_else(|| self.opts.entrypoints.clone());
        let service = match l.service {
            Some(s) => s,
            None => self.implicit_http_service(name, services, part)?,
        };
        // Unset TLS follows the entrypoints: on the HTTPS ones a router gets TLS (and the
        // machine's resolver), as auto-routes do.
        let tls_on = l.tls_on.unwrap_or_else(|| {
            entry_points
                .iter()
                .any(|e| self.opts.entrypoints.contains(e))
        });
        let mut tls = l.tls;
        if tls_on && tls.cert_resolver.is_none() {
            tls.cert_resolver.clone_from(&self.opts.cert_resolver);
        }
        let router = HttpRouter {
            entry_points,
            rule,
            service,
            middlewares: l.middlewares,
            priority: l.priority,
            tls: tls_on.then_some(tls),
        };
        Ok((router, hosts))
    }

    /// The service of an HTTP router without a `service` label.
    fn implicit_http_service(
        &self,
        name: &str,
        services: &[String],
        part: &mut Part,
    ) -> Result<String, DropReason> {
        if services.is_empty() && self.c.labels.contains_key("rediacc.service_port") {
            // No service label: one implicit service on rediacc.service_port.
            let port = validate::port(label(self.c, "rediacc.service_port").unwrap_or(""))
                .map_err(DropReason::ServicePort)?;
            part.config.http.services.insert(
                self.base.to_owned(),
                HttpService::url(format!("http://{}:{port}", self.ip)),
            );
            Ok(self.base.to_owned())
        } else {
            default_service("HTTP", name, services)
        }
    }

    pub(super) fn tcp_routers(
        &self,
        services: &[String],
        part: &mut Part,
    ) -> Result<(), DropReason> {
        for (name, props) in self.group("tcp", "routers") {
            let l = self.tcp_labels(name, props, part)?;
            let (rule, hosts) = l.rule.ok_or_else(|| missing("TCP", "tcp", name, "rule"))?;
            let entry_points = l
                .entry_points
                .ok_or_else(|| missing("TCP", "tcp", name, "entrypoints"))?;
            let service = match l.service {
                Some(s) => s,
                None => default_service("TCP", name, services)?,
            };
            let c = claim(self.ns(name), Kind::Tcp, name, hosts, &entry_points);
            part.claims.push(c);
            part.config.tcp.routers.insert(
                self.ns(name),
                TcpRouter {
                    entry_points,
                    rule,
                    service,
                    priority: l.priority,
                    tls: l.tls_on.unwrap_or(false).then_some(l.tls),
                },
            );
        }
        Ok(())
    }

    fn tcp_labels(
        &self,
        name: &str,
        props: &Props<'_>,
        part: &mut Part,
    ) -> Result<TcpLabels, DropReason> {
        let mut l = TcpLabels::default();
        for (p, _, v) in props {
            let key = format!("traefik.tcp.routers.{name}.{p}");
            match p.as_str() {
                "rule" => l.rule = Some(rule(&key, v, true)?),
                "entrypoints" => {
                    l.entry_points = Some(self.address_entrypoints(&key, "TCP", v)?);
                }
                "service" => l.service = Some(self.service_ref(v, &key)?),
                "priority" => l.priority = Some(priority(&key, v)?),
                "tls" => l.tls_on = Some(validate::boolean(&key, v)?),
                "tls.passthrough" => {
                    l.tls.passthrough = Some(validate::boolean(&key, v)?);
                    l.tls_on.get_or_insert(true);
                }
                "tls.certresolver" => {
                    l.tls.cert_resolver = Some(checked_name(&key, v)?);
                    l.tls_on.get_or_insert(true);
                }
                _ => unsupported(part, &key),
            }
        }
        Ok(l)
    }

    pub(super) fn udp_routers(
        &self,
        services: &[String],
        part: &mut Part,
    ) -> Result<(), DropReason> {
        for (name, props) in self.group("udp", "routers") {
            let mut entry_points = None;
            let mut service = None;
            for (p, _, v) in props {
                let key = format!("traefik.udp.routers.{name}.{p}");
                match p.as_str() {
                    "entrypoints" => {
                        entry_points = Some(self.address_entrypoints(&key, "UDP", v)?);
                    }
                    "service" => service = Some(self.service_ref(v, &key)?),
                    _ => unsupported(part, &key),
                }
            }
            let entry_points =
                entry_points.ok_or_else(|| missing("UDP", "udp", name, "entrypoints"))?;
            let service = match service {
                Some(s) => s,
                None => default_service("UDP", name, services)?,
            };
            let c = claim(
                self.ns(name),
                Kind::Udp,
                name,
                BTreeSet::new(),
                &entry_points,
            );
            part.claims.push(c);
            part.config.udp.routers.insert(
                self.ns(name),
                UdpRouter {
                    entry_points,
                    service,
                },
            );
        }
        Ok(())
    }
}
