//! Why the builder refuses a container. `/health` reports the text (as a problem's `reason`),
//! so every message is part of the contract: change one only with SPEC section 7.

use super::rule::RuleError;
use crate::routes::validate::InvalidValue;

/// A container whose labels cannot be routed: it contributes nothing, the others are unaffected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DropReason {
    /// A value check that names its own label (or needs no prefix).
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error("no rediacc.service_ip label (start it with renet compose)")]
    NoServiceIp,
    #[error("no rediacc.repo_name label, needed for the auto-route host")]
    NoRepoName,
    #[error("service name {0}")]
    ServiceName(#[source] InvalidValue),
    #[error("rediacc.service_port {0}")]
    ServicePort(#[source] InvalidValue),
    #[error("rediacc.repo_name {0}")]
    RepoName(#[source] InvalidValue),
    /// A value check that does not name the label itself (`validate::port`).
    #[error("label {key}: {source}")]
    Label { key: String, source: InvalidValue },
    #[error("host {0:?} is not a valid host name")]
    Host(String),
    #[error("{what} {name} is already defined differently by another container")]
    Conflict { what: &'static str, name: String },
    #[error("label {key}: scheme {raw:?} is not http, https or h2c")]
    Scheme { key: String, raw: String },
    #[error(
        "HTTP service {0} has no traefik.http.services.{0}.loadbalancer.server.port (nor rediacc.service_port)"
    )]
    HttpServicePort(String),
    /// `proto` is `tcp` or `udp`; the message starts with it in capitals.
    #[error(
        "{} service {name} has no traefik.{proto}.services.{name}.loadbalancer.server.port",
        proto.to_uppercase()
    )]
    AddressServicePort { proto: &'static str, name: String },
    #[error("label {0}: the property path is not valid")]
    PropertyPath(String),
    #[error("label {0} clashes with another label")]
    Clash(String),
    #[error(
        "label {key}: services of other providers ({raw:?}) cannot be routed to from a container"
    )]
    OtherProvider { key: String, raw: String },
    #[error("label {key}: {raw:?} is not a valid service name")]
    ServiceRef { key: String, raw: String },
    /// `kind` is `HTTP`, `TCP` or `UDP`.
    #[error("{kind} router {router} names no service and the container defines none")]
    NoService { kind: &'static str, router: String },
    #[error("{kind} router {router} names no service and the container defines several")]
    SeveralServices { kind: &'static str, router: String },
    /// A router without a property it cannot do without (`rule`, `entrypoints`).
    #[error("{kind} router {router} has no traefik.{proto}.routers.{router}.{property}")]
    RouterProperty {
        kind: &'static str,
        proto: &'static str,
        router: String,
        property: &'static str,
    },
    #[error("label {key}: {raw:?} is not a priority (0-1000000)")]
    Priority { key: String, raw: String },
    #[error("label {key}: {source}")]
    Rule { key: String, source: RuleError },
    /// `proto` is `TCP` or `UDP`.
    #[error(
        "label {key}: {proto} routers cannot use entrypoint {ep}: it carries every repository's HTTP traffic"
    )]
    ProxyEntrypoint {
        key: String,
        proto: &'static str,
        ep: String,
    },
    /// `what` is `middleware` or `service`.
    #[error(
        "label {key}: {raw:?} is another provider's {what}; a container references only its own repository's"
    )]
    ForeignRef {
        key: String,
        what: &'static str,
        raw: String,
    },
    #[error(
        "label {key}: TLS options {raw:?} are not allowed (only default: no repository defines any)"
    )]
    TlsOptions { key: String, raw: String },
    #[error(
        "label {key}: {raw:?} is not an address of this repository's block {block} (http://IP[:port][/path])"
    )]
    Backend {
        key: String,
        raw: String,
        block: ipnet::Ipv4Net,
    },
    #[error("label {0}: names a file on the proxy machine, outside the repository")]
    MachineFile(String),
    #[error("label {0}: plugin middlewares are not allowed (they can call any address)")]
    Plugin(String),
}

impl DropReason {
    /// The label at fault, for `/health`'s `label`.
    pub(crate) fn label(&self) -> Option<&str> {
        match self {
            Self::Invalid(v) => v.label(),
            Self::NoServiceIp => Some("rediacc.service_ip"),
            Self::NoRepoName | Self::RepoName(_) => Some("rediacc.repo_name"),
            Self::ServiceName(_) => Some("rediacc.service_name"),
            Self::ServicePort(_) => Some("rediacc.service_port"),
            Self::Host(_) => Some("rediacc.domain"),
            Self::Label { key, .. }
            | Self::Scheme { key, .. }
            | Self::OtherProvider { key, .. }
            | Self::ServiceRef { key, .. }
            | Self::Priority { key, .. }
            | Self::Rule { key, .. }
            | Self::ProxyEntrypoint { key, .. }
            | Self::ForeignRef { key, .. }
            | Self::TlsOptions { key, .. }
            | Self::Backend { key, .. } => Some(key),
            Self::PropertyPath(key)
            | Self::Clash(key)
            | Self::MachineFile(key)
            | Self::Plugin(key) => Some(key),
            Self::Conflict { .. }
            | Self::HttpServicePort(_)
            | Self::AddressServicePort { .. }
            | Self::NoService { .. }
            | Self::SeveralServices { .. }
            | Self::RouterProperty { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts `/health` has always shown (they were `format!` strings before this enum).
    #[test]
    fn container_messages_are_verbatim() {
        let bad_port = InvalidValue::NotPort("x".into());
        let cases: Vec<(DropReason, &str)> = vec![
            (
                DropReason::NoServiceIp,
                "no rediacc.service_ip label (start it with renet compose)",
            ),
            (
                DropReason::NoRepoName,
                "no rediacc.repo_name label, needed for the auto-route host",
            ),
            (
                DropReason::ServiceName(InvalidValue::HostPart("a b".into())),
                "service name \"a b\" is not usable in a host name (letters, digits, '-', '_', '.'; at most 63)",
            ),
            (
                DropReason::ServicePort(bad_port.clone()),
                "rediacc.service_port \"x\" is not a port number",
            ),
            (
                DropReason::RepoName(InvalidValue::HostPart("A B".into())),
                "rediacc.repo_name \"A B\" is not usable in a host name (letters, digits, '-', '_', '.'; at most 63)",
            ),
            (
                DropReason::Label {
                    key: "traefik.tcp.services.s.loadbalancer.server.port".into(),
                    source: bad_port,
                },
                "label traefik.tcp.services.s.loadbalancer.server.port: \"x\" is not a port number",
            ),
            (
                DropReason::Host("a..b".into()),
                "host \"a..b\" is not a valid host name",
            ),
        ];
        for (reason, text) in cases {
            assert_eq!(reason.to_string(), text);
        }
    }

    #[test]
    fn tier2_messages_are_verbatim() {
        let cases: Vec<(DropReason, &str)> = vec![
            (
                DropReason::Conflict {
                    what: "middleware",
                    name: "auth-2816".into(),
                },
                "middleware auth-2816 is already defined differently by another container",
            ),
            (
                DropReason::Scheme {
                    key: "k".into(),
                    raw: "ftp".into(),
                },
                "label k: scheme \"ftp\" is not http, https or h2c",
            ),
            (
                DropReason::HttpServicePort("s".into()),
                "HTTP service s has no traefik.http.services.s.loadbalancer.server.port (nor rediacc.service_port)",
            ),
            (
                DropReason::AddressServicePort {
                    proto: "udp",
                    name: "dns".into(),
                },
                "UDP service dns has no traefik.udp.services.dns.loadbalancer.server.port",
            ),
            (
                DropReason::PropertyPath("k".into()),
                "label k: the property path is not valid",
            ),
            (
                DropReason::Clash("k".into()),
                "label k clashes with another label",
            ),
            (
                DropReason::OtherProvider {
                    key: "k".into(),
                    raw: "api@internal".into(),
                },
                "label k: services of other providers (\"api@internal\") cannot be routed to from a container",
            ),
            (
                DropReason::ServiceRef {
                    key: "k".into(),
                    raw: "a b".into(),
                },
                "label k: \"a b\" is not a valid service name",
            ),
            (
                DropReason::NoService {
                    kind: "TCP",
                    router: "r".into(),
                },
                "TCP router r names no service and the container defines none",
            ),
            (
                DropReason::SeveralServices {
                    kind: "HTTP",
                    router: "r".into(),
                },
                "HTTP router r names no service and the container defines several",
            ),
            (
                DropReason::RouterProperty {
                    kind: "UDP",
                    proto: "udp",
                    router: "r".into(),
                    property: "entrypoints",
                },
                "UDP router r has no traefik.udp.routers.r.entrypoints",
            ),
            (
                DropReason::Priority {
                    key: "k".into(),
                    raw: "-1".into(),
                },
                "label k: \"-1\" is not a priority (0-1000000)",
            ),
            (InvalidValue::Empty("k".into()).into(), "label k is empty"),
        ];
        for (reason, text) in cases {
            assert_eq!(reason.to_string(), text);
        }
    }
}
