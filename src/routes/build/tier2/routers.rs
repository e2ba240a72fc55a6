//! Tier-2 routers: HTTP, TCP and UDP.

use super::{Props, Tier2, checked_name, default_service, is_name_or_file, priority, unsupported};
use crate::routes::build::{DropReason, Part, label};
use crate::routes::config::{HttpRouter, HttpService, RouterTls, TcpRouter, TcpTls, UdpRouter};
use crate::routes::validate::{self, InvalidValue};

/// What one HTTP router's labels say, before defaults.
#[derive(Default)]
struct HttpLabels {
    rule: Option<String>,
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
    rule: Option<String>,
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

/// A rule label, checked (balanced, with a host matcher) and trimmed.
fn rule(key: &str, v: &str, tcp: bool) -> Result<String, DropReason> {
    validate::tier2_rule(key, v, tcp)?;
    Ok(v.trim().to_owned())
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
            let router = self.http_router(name, labels, services, part)?;
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
                    for m in validate::name_list(&key, v, is_name_or_file)? {
                        l.middlewares
                            .push(if m.ends_with("@file") { m } else { self.ns(&m) });
                    }
                }
                "priority" => l.priority = Some(priority(&key, v)?),
                "tls" => l.tls_on = Some(validate::boolean(&key, v)?),
                "tls.certresolver" => {
                    l.tls.cert_resolver = Some(checked_name(&key, v)?);
                    l.tls_on.get_or_insert(true);
                }
                "tls.options" => {
                    let o = v.trim();
                    if !is_name_or_file(o) {
                        return Err(InvalidValue::Name {
                            key,
                            name: o.to_owned(),
                        }
                        .into());
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
    ) -> Result<HttpRouter, DropReason> {
        let rule = l
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
        Ok(HttpRouter {
            entry_points,
            rule,
            service,
            middlewares: l.middlewares,
            priority: l.priority,
            tls: tls_on.then_some(tls),
        })
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
            let rule = l.rule.ok_or_else(|| missing("TCP", "tcp", name, "rule"))?;
            let entry_points = l
                .entry_points
                .ok_or_else(|| missing("TCP", "tcp", name, "entrypoints"))?;
            let service = match l.service {
                Some(s) => s,
                None => default_service("TCP", name, services)?,
            };
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
                "entrypoints" => l.entry_points = Some(names(&key, v)?),
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
                    "entrypoints" => entry_points = Some(names(&key, v)?),
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
