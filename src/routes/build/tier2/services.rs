//! Tier-2 services and middlewares.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::{Props, Tier2, port, unsupported};
use crate::routes::build::{DropReason, IGNORED, Part, label};
use crate::routes::config::{AddressService, HttpService, Tree};
use crate::routes::validate;

impl Tier2<'_> {
    /// `traefik.http.services.*`; returns their namespaced names.
    pub(super) fn http_services(&self, part: &mut Part) -> Result<Vec<String>, DropReason> {
        let mut names = Vec::new();
        for (name, props) in self.group("http", "services") {
            let svc = self.http_service(name, props, part)?;
            part.config.http.services.insert(self.ns(name), svc);
            names.push(self.ns(name));
        }
        Ok(names)
    }

    /// A load balancer on `rediacc.service_ip`, at the service's port label, else at
    /// `rediacc.service_port`.
    fn http_service(
        &self,
        name: &str,
        props: &Props<'_>,
        part: &mut Part,
    ) -> Result<HttpService, DropReason> {
        let mut port_label = None;
        let mut scheme = "http".to_owned();
        let mut pass_host = None;
        for (p, _, v) in props {
            let key = format!("traefik.http.services.{name}.{p}");
            match p.as_str() {
                "loadbalancer.server.port" => port_label = Some(port(&key, v)?),
                "loadbalancer.server.scheme" => {
                    let s = v.trim().to_ascii_lowercase();
                    if !matches!(s.as_str(), "http" | "https" | "h2c") {
                        return Err(DropReason::Scheme {
                            key,
                            raw: (*v).to_owned(),
                        });
                    }
                    scheme = s;
                }
                "loadbalancer.passhostheader" => pass_host = Some(validate::boolean(&key, v)?),
                "loadbalancer.server.url" => part.notes.push((
                    IGNORED,
                    format!("label {key}: the backend is always rediacc.service_ip"),
                )),
                _ => unsupported(part, &key),
            }
        }
        let port = match port_label {
            Some(p) => p,
            None => match label(self.c, "rediacc.service_port") {
                Some(raw) => validate::port(raw).map_err(DropReason::ServicePort)?,
                None => return Err(DropReason::HttpServicePort(name.to_owned())),
            },
        };
        let mut svc = HttpService::url(format!("{scheme}://{}:{port}", self.ip));
        svc.load_balancer.pass_host_header = pass_host;
        Ok(svc)
    }

    /// `traefik.tcp.services.*` or `traefik.udp.services.*`: an address on
    /// `rediacc.service_ip`; returns their namespaced names.
    pub(super) fn address_services(
        &self,
        proto: &'static str,
        part: &mut Part,
    ) -> Result<Vec<String>, DropReason> {
        let mut names = Vec::new();
        for (name, props) in self.group(proto, "services") {
            let mut port_label = None;
            for (p, _, v) in props {
                let key = format!("traefik.{proto}.services.{name}.{p}");
                match p.as_str() {
                    "loadbalancer.server.port" => port_label = Some(port(&key, v)?),
                    _ => unsupported(part, &key),
                }
            }
            let port = port_label.ok_or_else(|| DropReason::AddressServicePort {
                proto,
                name: name.to_owned(),
            })?;
            let svc = AddressService::address(format!("{}:{port}", self.ip));
            if proto == "tcp" {
                part.config.tcp.services.insert(self.ns(name), svc);
            } else {
                part.config.udp.services.insert(self.ns(name), svc);
            }
            names.push(self.ns(name));
        }
        Ok(names)
    }

    /// HTTP middlewares: the nested properties as they are (Traefik's decoder converts the
    /// strings), names namespaced. TCP and UDP middlewares are noted and left out.
    pub(super) fn middlewares(&self, part: &mut Part) -> Result<(), DropReason> {
        for (name, props) in self.group("http", "middlewares") {
            let mut tree: BTreeMap<String, Tree> = BTreeMap::new();
            for (lower, original, v) in props {
                let key = format!("traefik.http.middlewares.{name}.{original}");
                let path: Vec<&str> = original.split('.').collect();
                if path.iter().any(|s| !validate::is_name(s)) {
                    return Err(DropReason::PropertyPath(key));
                }
                let v = self.middleware_value(&key, lower, v)?;
                if insert_tree(&mut tree, &path, &v).is_none() {
                    return Err(DropReason::Clash(key));
                }
            }
            part.config
                .http
                .middlewares
                .insert(self.ns(name), Tree::Node(tree));
        }
        for proto in ["tcp", "udp"] {
            for (name, _) in self.group(proto, "middlewares") {
                part.notes.push((
                    IGNORED,
                    format!(
                        "traefik.{proto}.middlewares.{name}.*: {proto} middlewares are not supported"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Middleware properties that reach outside the middleware (lower case): another object
/// (namespaced, own repository only), an address (own block only), a file on the proxy
/// machine (refused).
const REFERENCES: &[&str] = &["errors.service", "chain.middlewares", "forwardauth.address"];
const MACHINE_FILES: &[&str] = &[
    "basicauth.usersfile",
    "digestauth.usersfile",
    "forwardauth.tls.ca",
    "forwardauth.tls.cert",
    "forwardauth.tls.key",
];

impl Tier2<'_> {
    /// A middleware property's value as it goes out: references made this repository's own,
    /// addresses checked against its block. `lower` is the property path in lower case
    /// (Traefik reads it case-insensitively).
    fn middleware_value(&self, key: &str, lower: &str, v: &str) -> Result<String, DropReason> {
        if lower == "plugin" || lower.starts_with("plugin.") {
            return Err(DropReason::Plugin(key.to_owned()));
        }
        let under = |p: &&str| lower.starts_with(*p) && lower[p.len()..].starts_with('.');
        if MACHINE_FILES.iter().any(|p| lower == *p || under(p)) {
            return Err(DropReason::MachineFile(key.to_owned()));
        }
        // A deeper path under a reference (`chain.middlewares.0`) could decode as a list.
        if REFERENCES.iter().any(under) {
            return Err(DropReason::PropertyPath(key.to_owned()));
        }
        match lower {
            "errors.service" => self.own_ref(key, v, "service"),
            "chain.middlewares" => {
                let mut out = Vec::new();
                for m in validate::name_list(key, v, |_| true)? {
                    out.push(self.own_ref(key, &m, "middleware")?);
                }
                Ok(out.join(","))
            }
            "forwardauth.address" => {
                let block = self.net.block();
                match address_ip(v) {
                    Some(ip) if block.contains(&ip) => Ok(v.trim().to_owned()),
                    _ => Err(DropReason::Backend {
                        key: key.to_owned(),
                        raw: v.to_owned(),
                        block,
                    }),
                }
            }
            _ => Ok(v.to_owned()),
        }
    }
}

/// The IPv4 address of `http[s]://IP[:port][/...]`; None for anything else (a name, user
/// information, IPv6, a port that is not one).
fn address_ip(raw: &str) -> Option<Ipv4Addr> {
    let t = raw.trim();
    let lower = t.to_ascii_lowercase();
    let skip = ["http://", "https://"]
        .iter()
        .find(|s| lower.starts_with(**s))?
        .len();
    let authority = t[skip..].split(['/', '?', '#']).next()?;
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if let Some(p) = port {
        validate::port(p).ok()?;
    }
    host.parse().ok()
}

/// Puts `value` at `path`; None when the path runs into (or over) another label's value.
fn insert_tree(tree: &mut BTreeMap<String, Tree>, path: &[&str], value: &str) -> Option<()> {
    let (first, rest) = path.split_first()?;
    if rest.is_empty() {
        if tree.contains_key(*first) {
            return None;
        }
        tree.insert((*first).to_owned(), Tree::Leaf(value.to_owned()));
        return Some(());
    }
    let node = tree
        .entry((*first).to_owned())
        .or_insert_with(|| Tree::Node(BTreeMap::new()));
    match node {
        Tree::Node(m) => insert_tree(m, rest, value),
        Tree::Leaf(_) => None,
    }
}
