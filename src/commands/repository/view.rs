//! What `repository up|down|status|list` show of a repository's services: their containers,
//! the URLs the route server gives them (from the machine settings, through the route
//! builder's own host names) and their port leases.

use std::path::Path;
use std::time::Duration;

use crate::cli::RouteOptions;
use crate::docker::{Container, DockerApi, Query, Target};
use crate::leases::Lease;
use crate::machine::Machine;
use crate::network::NetworkId;
use crate::output::Printer;
use crate::routes::build::{self, ContainerInput, DropReason, Options};

/// The label renet puts on every container it runs (`renet compose`).
pub(super) const SERVICE_LABEL: &str = "rediacc.service_name";

/// Every container (running or not) of the daemon on `socket` carrying renet's service label,
/// labels included; None when the daemon does not answer within `timeout` (the whole call,
/// however the daemon behaves).
pub(super) async fn containers(
    api: &impl DockerApi,
    socket: &Path,
    timeout: Duration,
) -> Option<Vec<Container>> {
    let call = async {
        let version = api.negotiate(socket, timeout).await?;
        let at = Target {
            socket,
            version,
            timeout,
        };
        let query = Query {
            all: true,
            label: SERVICE_LABEL,
            status: None,
        };
        api.containers(at, query).await
    };
    let mut listed = tokio::time::timeout(timeout, call).await.ok()?.ok()?;
    listed.sort_by(|a, b| (service_of(a), &a.name).cmp(&(service_of(b), &b.name)));
    Some(listed)
}

/// The service a container of renet belongs to.
pub(super) fn service_of(c: &Container) -> &str {
    c.labels.get(SERVICE_LABEL).map_or("", String::as_str)
}

/// How the route server names hosts on this machine: `RENET_BASE_DOMAIN`/`RENET_MACHINE_NAME`
/// (as the route server's flags read them), then `machine.json`, then its defaults. Settings
/// that cannot be read cost the URLs, with a warning, never the command.
pub(super) fn route_options(
    env: &dyn crate::settings::Env,
    state_dir: &Path,
    out: &Printer,
) -> Option<Options> {
    let built = Machine::load(state_dir)
        .map_err(crate::error::Error::from)
        .and_then(|machine| {
            let flags = RouteOptions {
                base_domain: env.var("RENET_BASE_DOMAIN"),
                // Set but empty still means "no machine name", as for the route server.
                machine_name: env.raw_var("RENET_MACHINE_NAME"),
                cert_resolver: None,
                entrypoints: vec!["websecure".to_owned()],
            };
            crate::commands::route_server::route_options(&flags, &machine)
        });
    match built {
        Ok(o) => Some(o),
        Err(e) => {
            out.warn(&format!("URLs not shown: {e}"));
            None
        }
    }
}

/// The HTTPS URLs the route server gives `c` (its auto route and `rediacc.domain` hosts), or
/// why it gives none (the reason `/health` reports for the container).
pub(super) fn urls(
    net: NetworkId,
    c: &Container,
    opts: &Options,
) -> Result<Vec<String>, DropReason> {
    let input = ContainerInput {
        id: c.id.clone(),
        name: c.name.clone(),
        state: c.state.clone(),
        created: c.created,
        labels: c
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    build::auto_hosts(net, &input, opts)
        .map(|hosts| hosts.into_iter().map(|h| format!("https://{h}")).collect())
}

/// The URLs of a service: those of its first container that has any (its replicas share
/// their labels), or the first reason none is routed.
pub(super) fn service_urls(
    net: NetworkId,
    containers: &[&Container],
    opts: Option<&Options>,
) -> (Vec<String>, Option<String>) {
    let Some(opts) = opts else {
        return (Vec::new(), None);
    };
    let mut problem = None;
    for c in containers {
        match urls(net, c, opts) {
            Ok(u) if !u.is_empty() => return (u, None),
            Ok(_) => {}
            Err(e) => {
                problem.get_or_insert(e.to_string());
            }
        }
    }
    (Vec::new(), problem)
}

/// The leases of `service` on `net`, by protocol then port.
pub(super) fn service_leases(all: &[Lease], net: NetworkId, service: &str) -> Vec<Lease> {
    let mut mine: Vec<Lease> = all
        .iter()
        .filter(|l| l.key.network_id == net.get() && l.key.service == service)
        .cloned()
        .collect();
    mine.sort();
    mine
}

/// `tcp 5432 -> 10003`, as an operator reads a lease of one service.
pub(super) fn lease_text(l: &Lease) -> String {
    format!(
        "{} {} -> {}",
        l.key.proto, l.key.container_port, l.external_port
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::block_on;
    use crate::docker::fake::{Behaviour, FakeContainer, FakeDaemon, FakeDocker};
    use crate::leases::{LeaseKey, Proto};

    fn web(labels: &[(&str, &str)]) -> Container {
        let mut all = vec![
            (SERVICE_LABEL, "web"),
            ("rediacc.service_ip", "127.0.11.2"),
            ("rediacc.repo_name", "shop"),
            ("rediacc.network_id", "2816"),
        ];
        all.extend_from_slice(labels);
        FakeContainer::new("w1", "running", &all).container
    }

    fn opts(machine: Option<&str>) -> Options {
        let flags = RouteOptions {
            base_domain: Some("example.com".into()),
            machine_name: machine.map(str::to_owned),
            cert_resolver: None,
            entrypoints: vec!["websecure".into()],
        };
        crate::commands::route_server::route_options(&flags, &Machine::default()).unwrap()
    }

    /// The host names are the route builder's: the auto route with and without a machine name,
    /// short and dotted `rediacc.domain` values; none without `rediacc.service_port` or for a
    /// tier-2 container; a bad label gives the builder's reason.
    #[test]
    fn urls_are_the_route_builders() {
        let net = NetworkId::new(2816).unwrap();
        let c = web(&[
            ("rediacc.service_port", "8080"),
            ("rediacc.domain", "shop,www.shop.io"),
        ]);
        assert_eq!(
            urls(net, &c, &opts(Some("box1"))).unwrap(),
            [
                "https://web.shop.box1.example.com",
                "https://shop.example.com",
                "https://shop.box1.example.com",
                "https://www.shop.io",
            ]
        );
        assert_eq!(
            urls(net, &c, &opts(None)).unwrap(),
            [
                "https://web-2816.example.com",
                "https://shop.example.com",
                "https://www.shop.io",
            ]
        );
        assert!(urls(net, &web(&[]), &opts(None)).unwrap().is_empty());
        let tier2 = web(&[("rediacc.service_port", "8080"), ("traefik.enable", "true")]);
        assert!(urls(net, &tier2, &opts(None)).unwrap().is_empty());
        let bad = web(&[("rediacc.service_port", "http")]);
        let err = urls(net, &bad, &opts(None)).unwrap_err().to_string();
        assert!(err.starts_with("rediacc.service_port"), "{err}");
        let (u, problem) = service_urls(net, &[&bad, &c], Some(&opts(None)));
        assert_eq!((u.len(), problem), (3, None));
        let (u, problem) = service_urls(net, &[&bad], Some(&opts(None)));
        assert!(u.is_empty() && problem.is_some());
    }

    #[test]
    fn leases_of_one_service_sorted() {
        let net = NetworkId::new(2816).unwrap();
        let lease = |svc: &str, proto, port, ext| Lease {
            key: LeaseKey {
                network_id: 2816,
                service: svc.into(),
                proto,
                container_port: port,
            },
            external_port: ext,
        };
        let all = [
            lease("db", Proto::Udp, 53, 10002),
            lease("web", Proto::Tcp, 80, 10000),
            lease("db", Proto::Tcp, 5432, 10001),
        ];
        let got: Vec<String> = service_leases(&all, net, "db")
            .iter()
            .map(lease_text)
            .collect();
        assert_eq!(got, ["tcp 5432 -> 10001", "udp 53 -> 10002"]);
        assert!(service_leases(&all, NetworkId::new(2880).unwrap(), "db").is_empty());
    }

    #[test]
    fn containers_are_listed_with_labels_or_none_in_time() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("docker-2816.sock");
        let fake = FakeDocker::default();
        let db = FakeContainer::new("d", "exited", &[(SERVICE_LABEL, "db")]);
        let other = FakeContainer::new("o", "running", &[("x", "y")]);
        fake.set(
            &socket,
            FakeDaemon::with(vec![
                FakeContainer::new("w", "running", &[(SERVICE_LABEL, "web")]),
                db,
                other,
            ]),
        );
        let t = Duration::from_millis(200);
        let got = block_on(containers(&fake, &socket, t)).unwrap();
        let names: Vec<&str> = got.iter().map(service_of).collect();
        assert_eq!(names, ["db", "web"]);
        fake.set(&socket, FakeDaemon::behaving(Behaviour::Hangs));
        assert!(block_on(containers(&fake, &socket, t)).is_none());
        fake.set(&socket, FakeDaemon::behaving(Behaviour::Vanished));
        assert!(block_on(containers(&fake, &socket, t)).is_none());
    }
}
