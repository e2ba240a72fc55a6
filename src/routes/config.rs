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
    pub http: Http,
    #[serde(skip_serializing_if = "Tcp::is_empty")]
    pub tcp: Tcp,
    #[serde(skip_serializing_if = "Udp::is_empty")]
    pub udp: Udp,
}

impl DynamicConfig {
    pub fn is_empty(&self) -> bool {
        self.http.is_empty() && self.tcp.is_empty() && self.udp.is_empty()
    }

    pub fn router_count(&self) -> usize {
        self.http.routers.len() + self.tcp.routers.len() + self.udp.routers.len()
    }

    pub fn service_count(&self) -> usize {
        self.http.services.len() + self.tcp.services.len() + self.udp.services.len()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Http {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub routers: BTreeMap<String, HttpRouter>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, HttpService>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub middlewares: BTreeMap<String, Tree>,
}

impl Http {
    pub fn is_empty(&self) -> bool {
        self.routers.is_empty() && self.services.is_empty() && self.middlewares.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRouter {
    pub entry_points: Vec<String>,
    pub rule: String,
    pub service: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub middlewares: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<RouterTls>,
}

/// `tls: {}` is how the file provider turns TLS on for a router (this empty map is accepted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouterTls {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_resolver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<TlsDomain>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsDomain {
    pub main: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sans: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpService {
    pub load_balancer: HttpLoadBalancer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpLoadBalancer {
    pub servers: Vec<UrlServer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass_host_header: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UrlServer {
    pub url: String,
}

impl HttpService {
    pub fn url(url: String) -> Self {
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
pub enum Tree {
    Leaf(String),
    Node(BTreeMap<String, Tree>),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tcp {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub routers: BTreeMap<String, TcpRouter>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, AddressService>,
}

impl Tcp {
    pub fn is_empty(&self) -> bool {
        self.routers.is_empty() && self.services.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TcpRouter {
    pub entry_points: Vec<String>,
    pub rule: String,
    pub service: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TcpTls>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TcpTls {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passthrough: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert_resolver: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Udp {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub routers: BTreeMap<String, UdpRouter>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, AddressService>,
}

impl Udp {
    pub fn is_empty(&self) -> bool {
        self.routers.is_empty() && self.services.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UdpRouter {
    pub entry_points: Vec<String>,
    pub service: String,
}

/// A TCP or UDP service: `loadBalancer.servers[].address` = `ip:port`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressService {
    pub load_balancer: AddressLoadBalancer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressLoadBalancer {
    pub servers: Vec<AddressServer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddressServer {
    pub address: String,
}

impl AddressService {
    pub fn address(address: String) -> Self {
        Self {
            load_balancer: AddressLoadBalancer {
                servers: vec![AddressServer { address }],
            },
        }
    }
}
