//! `renet repository list`: every registered repository with its state, daemon, services
//! (running/total), URLs and leases. The daemons are asked all at once, each with a short
//! timeout of its own, so one daemon that hangs costs the list [`PROBE`] and not more, and a
//! machine of many repositories lists in about the time of its slowest daemon.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::view;
use crate::commands::Ctx;
use crate::docker::{Bollard, Container, DockerApi, block_on, paths};
use crate::error::{Error, Result};
use crate::leases::{self, Lease};
use crate::network::NetworkId;
use crate::registry;
use crate::routes::build::Options;

/// How long one daemon may take to list its containers.
const PROBE: Duration = Duration::from_secs(2);

/// One URL of a service.
#[derive(Debug, Serialize, PartialEq, Eq)]
struct ServiceUrl {
    service: String,
    url: String,
}

/// One registered repository as `repository list` shows it.
#[derive(Serialize)]
struct ListRow {
    name: String,
    path: PathBuf,
    network_id: u32,
    /// `up` or `down`: what its last `repository up|down` did.
    state: &'static str,
    daemon_running: bool,
    services_running: usize,
    services_total: usize,
    urls: Vec<ServiceUrl>,
    leases: Vec<Lease>,
    /// Why the slot map could not be read (the folder moved, the file is corrupt), or why
    /// the daemon's containers are not this repository's (it serves another one).
    error: Option<String>,
}

#[derive(Serialize)]
struct ListReport {
    schema: u32,
    repositories: Vec<ListRow>,
}

/// Every daemon's containers, asked at once: None for a daemon with no socket (one `stat`) or
/// one that does not answer within [`PROBE`].
async fn probe_all(
    api: &impl DockerApi,
    sockets: &[Option<PathBuf>],
) -> Vec<Option<Vec<Container>>> {
    let probes = sockets.iter().map(|s| async move {
        match s {
            Some(s) if s.exists() => view::containers(api, s, PROBE).await,
            _ => None,
        }
    });
    futures_util::future::join_all(probes).await
}

pub(super) fn run(ctx: &Ctx<'_>) -> Result<u8> {
    let entries =
        registry::read(&ctx.state_dir).map_err(Error::io(registry::path_in(&ctx.state_dir)))?;
    let all_leases = leases::list(&ctx.state_dir)?;
    let opts = view::route_options(ctx.env, &ctx.state_dir, ctx.out);
    let sockets: Vec<Option<PathBuf>> = entries
        .iter()
        .map(|e| {
            NetworkId::new(u64::from(e.network_id))
                .ok()
                .map(|id| paths::socket(&ctx.run_dir, id))
        })
        .collect();
    let listed = block_on(probe_all(&Bollard, &sockets));
    let rows: Vec<ListRow> = entries
        .into_iter()
        .zip(listed)
        .map(|(e, containers)| {
            // A daemon started for another repository: its containers are not this one's.
            let foreign = containers.as_ref().and_then(|_| {
                let id = NetworkId::new(u64::from(e.network_id)).ok()?;
                super::refuse_other_repository(ctx, id, &e.path).err()
            });
            let containers = if foreign.is_some() {
                Some(Vec::new())
            } else {
                containers
            };
            let mut r = row(e, containers, &all_leases, opts.as_ref());
            if let Some(f) = foreign {
                r.error = Some(f.to_string());
            }
            r
        })
        .collect();
    if ctx.json {
        ctx.out.json(&ListReport {
            schema: 1,
            repositories: rows,
        });
        return Ok(0);
    }
    if rows.is_empty() {
        ctx.out
            .note("no repository registered yet (`renet repository up` registers one)");
    }
    for r in &rows {
        ctx.out.data(&line(r));
    }
    Ok(0)
}

/// One line a repository, so `grep` and `awk` work on it.
fn line(r: &ListRow) -> String {
    let urls: Vec<&str> = r.urls.iter().map(|u| u.url.as_str()).collect();
    let leases: Vec<String> = r
        .leases
        .iter()
        .map(|l| {
            format!(
                "{}:{}/{}->{}",
                l.key.service, l.key.container_port, l.key.proto, l.external_port
            )
        })
        .collect();
    let mut text = format!(
        "{:<20} {:<6} {:<4} {:<11} {}/{} running  {}",
        r.name,
        r.network_id,
        r.state,
        if r.daemon_running {
            "daemon up"
        } else {
            "daemon down"
        },
        r.services_running,
        r.services_total,
        r.path.display(),
    );
    for part in [urls.join(" "), leases.join(" ")] {
        if !part.is_empty() {
            text.push_str("  ");
            text.push_str(&part);
        }
    }
    if let Some(e) = &r.error {
        text.push_str(&format!("  ({e})"));
    }
    text
}

fn row(
    e: registry::Entry,
    containers: Option<Vec<Container>>,
    all_leases: &[Lease],
    opts: Option<&Options>,
) -> ListRow {
    let (services, error) = match crate::slotmap::read(&e.path) {
        Ok(map) => (map.services().into_keys().collect::<Vec<_>>(), None),
        Err(err) => (Vec::new(), Some(err.to_string())),
    };
    let daemon_running = containers.is_some();
    let containers = containers.unwrap_or_default();
    let of = |s: &str| -> Vec<&Container> {
        containers
            .iter()
            .filter(|c| view::service_of(c) == s)
            .collect()
    };
    let services_running = services
        .iter()
        .filter(|s| of(s).iter().any(|c| c.state == "running"))
        .count();
    let mut urls = Vec::new();
    if let Ok(id) = NetworkId::new(u64::from(e.network_id)) {
        for s in &services {
            let (found, _) = view::service_urls(id, &of(s), opts);
            urls.extend(found.into_iter().map(|url| ServiceUrl {
                service: s.clone(),
                url,
            }));
        }
    }
    let mut leases: Vec<Lease> = all_leases
        .iter()
        .filter(|l| l.key.network_id == e.network_id)
        .cloned()
        .collect();
    leases.sort();
    ListRow {
        services_total: services.len(),
        services_running,
        urls,
        leases,
        daemon_running,
        state: e.state.as_str(),
        error,
        name: e.name,
        path: e.path,
        network_id: e.network_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::fake::{Behaviour, FakeContainer, FakeDaemon, FakeDocker};

    /// Daemons are asked together: one that hangs and one that vanished cost the list the probe
    /// timeout, the answering one is listed, a missing socket is not asked at all.
    #[test]
    fn daemons_are_probed_together_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let sock = |n: u32| {
            let p = dir.path().join(format!("docker-{n}.sock"));
            std::fs::write(&p, "").unwrap();
            p
        };
        let (a, b, c) = (sock(2816), sock(2880), sock(2944));
        let fake = FakeDocker::default();
        fake.set(
            &a,
            FakeDaemon::with(vec![FakeContainer::new(
                "w",
                "running",
                &[(view::SERVICE_LABEL, "web")],
            )]),
        );
        fake.set(&b, FakeDaemon::behaving(Behaviour::Hangs));
        fake.set(&c, FakeDaemon::behaving(Behaviour::Vanished));
        let missing = dir.path().join("docker-3008.sock");
        let got = block_on(probe_all(
            &fake,
            &[Some(a), Some(b), Some(c), Some(missing), None],
        ));
        let answered: Vec<Option<usize>> = got.iter().map(|g| g.as_ref().map(Vec::len)).collect();
        assert_eq!(answered, [Some(1), None, None, None, None]);
    }

    #[test]
    fn a_row_counts_services_urls_and_leases() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".rediacc.json"),
            r#"{"services": {"web": {"slot": 0}, "db": {"slot": 1}}}"#,
        )
        .unwrap();
        let entry = registry::Entry {
            name: "shop".into(),
            path: dir.path().to_owned(),
            network_id: 2816,
            state: registry::State::Down,
        };
        let web = FakeContainer::new(
            "w",
            "running",
            &[
                (view::SERVICE_LABEL, "web"),
                ("rediacc.service_ip", "127.0.11.2"),
                ("rediacc.service_port", "8080"),
                ("rediacc.repo_name", "shop"),
            ],
        )
        .container;
        let db = FakeContainer::new("d", "exited", &[(view::SERVICE_LABEL, "db")]).container;
        let opts = Options::default();
        let r = row(entry, Some(vec![web, db]), &[], Some(&opts));
        assert_eq!((r.services_running, r.services_total), (1, 2));
        assert_eq!(
            r.urls,
            [ServiceUrl {
                service: "web".into(),
                url: "https://web-2816.localhost".into()
            }]
        );
        let text = line(&r);
        assert!(text.starts_with("shop "), "{text}");
        assert!(text.contains(" down daemon up "), "{text}");
        assert!(text.contains(" 1/2 running "), "{text}");
        assert!(text.ends_with("https://web-2816.localhost"), "{text}");
    }
}
