//! Traefik's dynamic configuration, as the HTTP provider reads it (the file provider's schema).
//!
//! Every map is a `BTreeMap` and nothing holds a timestamp, so identical state serialises to
//! identical bytes. Empty maps are never written: Traefik's decoder refuses them
//! (`routers cannot be a standalone element`); a configuration with nothing in it is `{}`,
//! which Traefik applies (it removes every route of this provider).

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DynamicConfig {
    #[serde(skip_serializing_if = "Http::is_empty")]
    pub(crate) http: Http,
    #[serde(skip_serializing_if = "Tcp::is_empty")]
    pub(crate) tcp: Tcp,
    #[serde(skip_serializing_if = "Udp::is_empty")]
    pub(crate) udp: Udp,
}

impl DynamicConfig {
    pub(crate) fn is_empty(&self) -> bool {
        self.http.is_empty() && self.tcp.is_empty() && self.udp.is_empty()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Http {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) routers: BTreeMap<String, HttpRouter>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) services: BTreeMap<String, HttpService>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) middlewares: BTreeMap<String, Tree>,
}

impl Http {
    pub(crate) fn is_empty(&self) -> bool {
        self.routers.is_empty() && self.services.is_empty() && self.middlewares.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HttpRouter {
    pub(crate) entry_points: Vec<String>,
    pub(crate) rule: String,
    pub(crate) service: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) middlewares: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) priority: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tls: Option<RouterTls>,
}

/// `tls: {}` is how the file provider turns TLS on for a router (this empty map is accepted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RouterTls {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cert_resolver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) options: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) domains: Vec<TlsDomain>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct TlsDomain {
    pub(crate) main: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) sans: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HttpService {
    pub(crate) load_balancer: HttpLoadBalancer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HttpLoadBalancer {
    pub(crate) servers: Vec<UrlServer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pass_host_header: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct UrlServer {
    pub(crate) url: String,
}

impl HttpService {
    pub(crate) fn url(url: String) -> Self {
        Self {
            load_balancer: HttpLoadBalancer {
                servers: vec![UrlServer { url }],
                pass_host_header: None,
            },
        }
    }
}

/// A middleware from tier-2 labels, kept as the nested map of strings the labels spell out;
/// Traefik's decoder converts the strings to the field types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub(crate) enum Tree {
    Leaf(String),
    Node(BTreeMap<String, Tree>),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Tcp {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) routers: BTreeMap<String, TcpRouter>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) services: BTreeMap<String, AddressService>,
}

impl Tcp {
    pub(crate) fn is_empty(&self) -> bool {
        self.routers.is_empty() && self.services.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TcpRouter {
    pub(crate) entry_points: Vec<String>,
    pub(crate) rule: String,
    pub(crate) service: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) priority: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) tls: Option<TcpTls>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TcpTls {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) passthrough: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cert_resolver: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Udp {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) routers: BTreeMap<String, UdpRouter>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) services: BTreeMap<String, AddressService>,
}

impl Udp {
    pub(crate) fn is_empty(&self) -> bool {
        self.routers.is_empty() && self.services.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UdpRouter {
    pub(crate) entry_points: Vec<String>,
    pub(crate) service: String,
}

/// A TCP or UDP service: `loadBalancer.servers[].address` = `ip:port`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AddressService {
    pub(crate) load_balancer: AddressLoadBalancer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct AddressLoadBalancer {
    pub(crate) servers: Vec<AddressServer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct AddressServer {
    pub(crate) address: String,
}

impl AddressService {
    pub(crate) fn address(address: String) -> Self {
        Self {
            load_balancer: AddressLoadBalancer {
                servers: vec![AddressServer { address }],
            },
        }
    }
}
