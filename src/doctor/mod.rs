//! `renet doctor` (SPEC section 8): the machine's known failure stories found and explained.
//!
//! [`gather`] reads the facts (through the [`Host`] seam, the [`DockerApi`] seam, the compose
//! probe and the route server's `/health` the command fetched), in parallel where they wait
//! on other programs; [`checks`] turns them into the report with pure functions, one module
//! per check family:
//!
//! - `engine`: `docker`, `compose`, `daemons`;
//! - `firewall`: `firewall.input`, `firewall.forward`;
//! - `dns`: `dns.resolver`;
//! - `listeners`: `listeners` (with `holder`, which names a port's holder, and `ports`, the
//!   ports a service listens on; both also serve the preflight);
//! - `proxy`: `route-server`, `proxy`;
//! - `preflight`: the port check of `renet compose -- up`;
//! - `report`: the check and report types and their printing.

mod dns;
mod engine;
mod firewall;
pub(crate) mod holder;
mod listeners;
pub(crate) mod ports;
pub(crate) mod preflight;
mod proxy;
pub(crate) use self::proxy::HealthError;
pub(crate) mod report;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use self::engine::{ComposeFact, PidFile, Version};
use self::listeners::Used;
use self::report::{Check, Report};
use crate::compose::bin::{self as compose_bin, Flavour};
use crate::docker::{DockerApi, paths, process};
use crate::host::daemons::{self, Probe};
use crate::host::iptables::{self, Family, Table};
use crate::host::listeners::{Owner, Socket};
use crate::host::{Host, HostError};
use crate::leases::PortRange;

/// What the command resolved: where to look and what to compare with.
pub(crate) struct Options<'a> {
    pub(crate) run_dir: &'a Path,
    /// `PATH`, `DOCKER_CONFIG`, `HOME`: how renet finds compose.
    pub(crate) path: Option<&'a str>,
    pub(crate) docker_config: Option<&'a str>,
    pub(crate) home: Option<&'a str>,
    pub(crate) route_server: &'a str,
    pub(crate) traefik_yml: &'a Path,
    pub(crate) range: PortRange,
    pub(crate) now_unix: u64,
    /// How long one daemon may take to answer.
    pub(crate) daemon_timeout: Duration,
}

/// Everything the checks look at.
pub(crate) struct Facts {
    pub(crate) dockerd: Version,
    pub(crate) cli: Version,
    pub(crate) compose: ComposeFact,
    pub(crate) probes: Vec<Probe>,
    pub(crate) pidfiles: Vec<PidFile>,
    pub(crate) tables: Vec<(Family, Table)>,
    pub(crate) table_errors: Vec<HostError>,
    pub(crate) resolv: Result<String, HostError>,
    pub(crate) sockets: Result<Vec<Socket>, HostError>,
    pub(crate) owners: BTreeMap<u64, Owner>,
    pub(crate) used: Used,
    pub(crate) route_server: String,
    pub(crate) health: proxy::Health,
    pub(crate) traefik_yml: PathBuf,
    pub(crate) traefik: Result<String, HostError>,
    pub(crate) range: PortRange,
    pub(crate) now_unix: u64,
}

/// Read every fact; the slow ones (programs, daemons) at once.
pub(crate) fn gather(
    host: &dyn Host,
    api: &impl DockerApi,
    o: &Options<'_>,
    health: proxy::Health,
) -> Facts {
    let (tables, table_errors, dockerd, cli, compose, sockets, probes) = std::thread::scope(|s| {
        let fw = s.spawn(|| read_tables(host));
        let dockerd = s.spawn(|| host.version("dockerd", &["--version"]));
        let cli = s.spawn(|| host.version("docker", &["--version"]));
        let compose = s.spawn(|| compose_fact(o));
        let sockets = s.spawn(|| host.sockets());
        let listed = paths::sockets(o.run_dir).unwrap_or_default();
        let probes = daemons::probe_all(api, &listed, o.daemon_timeout);
        let (tables, errors) = fw.join().unwrap_or_default();
        let join = |h: std::thread::ScopedJoinHandle<'_, Version>| h.join().unwrap_or(None);
        (
            tables,
            errors,
            join(dockerd),
            join(cli),
            compose.join().unwrap_or(None),
            sockets.join().unwrap_or_else(|_| Ok(Vec::new())),
            probes,
        )
    });
    let used = used_ports(o.run_dir, &probes, sockets.as_deref().unwrap_or_default());
    let suspects = listeners::suspects(sockets.as_deref().unwrap_or_default(), &used);
    let owners = host.owners(&suspects.iter().map(|s| s.inode).collect());
    Facts {
        dockerd,
        cli,
        compose,
        pidfiles: pidfiles(o.run_dir),
        probes,
        tables,
        table_errors,
        resolv: host.read(Path::new(dns::RESOLV_CONF)),
        sockets,
        owners,
        used,
        route_server: o.route_server.to_owned(),
        health,
        traefik_yml: o.traefik_yml.to_owned(),
        traefik: host.read(o.traefik_yml),
        range: o.range,
        now_unix: o.now_unix,
    }
}

/// The filter tables of both families that have their program installed.
fn read_tables(host: &dyn Host) -> (Vec<(Family, Table)>, Vec<HostError>) {
    let mut tables = Vec::new();
    let mut errors = Vec::new();
    for family in [Family::V4, Family::V6] {
        match host.filter_table(family) {
            Ok(Some(text)) => tables.push((family, iptables::parse(&text))),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    (tables, errors)
}

fn compose_fact(o: &Options<'_>) -> ComposeFact {
    let flavour = compose_bin::detect(o.path, o.docker_config, o.home)?;
    let what = match &flavour {
        Flavour::Plugin { plugin, .. } => format!("docker compose (plugin {})", plugin.display()),
        Flavour::Standalone { binary } => format!("docker-compose ({})", binary.display()),
    };
    // Asking costs 40 ms (v2) to 2 s (1.29 on a busy machine): the answer goes to the cache
    // `renet compose` keeps (keyed by the binary's identity), so the next doctor and the next
    // compose run skip it.
    Some(compose_bin::version(&flavour, o.run_dir).map(|p| {
        compose_bin::remember(o.run_dir, &p);
        engine::ComposeInfo {
            what,
            version: p.version.clone(),
            v1: p.is_v1(),
        }
    }))
}

/// Every daemon folder's pidfile (`docker-<N>/docker.pid`).
fn pidfiles(run_dir: &Path) -> Vec<PidFile> {
    let mut out: Vec<PidFile> = std::fs::read_dir(run_dir)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let network = crate::network::NetworkId::parse(name.strip_prefix("docker-")?).ok()?;
            let path = paths::pidfile(run_dir, network);
            let text = std::fs::read_to_string(&path).ok()?;
            let pid: Option<i32> = text.trim().parse().ok();
            Some(PidFile {
                network,
                alive: pid.is_some_and(process::alive_dockerd),
                pid,
                path,
            })
        })
        .collect();
    out.sort_by_key(|p| p.network);
    out
}

/// Ports repository services use: from the daemons' containers (labels, and what listens on
/// their own addresses) and from the models `renet compose` last ran (`compose-<N>/*.json`),
/// which name services that never started because their port was taken.
fn used_ports(run_dir: &Path, probes: &[Probe], sockets: &[Socket]) -> Used {
    let mut used = Used::new();
    let mut by_ip: BTreeMap<IpAddr, String> = BTreeMap::new();
    for p in probes {
        for c in p
            .answer
            .as_ref()
            .map(|a| a.containers.as_slice())
            .unwrap_or_default()
        {
            let who = format!(
                "{}/{}",
                c.labels
                    .get("rediacc.repo_name")
                    .map_or("?", String::as_str),
                c.labels
                    .get(daemons::SERVICE_LABEL)
                    .map_or("?", String::as_str)
            );
            for key in ports::of_labels(|k| c.labels.get(k).map(String::as_str)) {
                used.entry(key).or_default().insert(who.clone());
            }
            if let Some(ip) = c
                .labels
                .get("rediacc.service_ip")
                .and_then(|a| a.parse().ok())
            {
                by_ip.insert(ip, who);
            }
        }
        for model in models(run_dir, p.network) {
            for (name, svc) in crate::compose::services(&model) {
                let repo = svc["labels"]["rediacc.repo_name"].as_str().unwrap_or("?");
                for key in ports::of_service(svc) {
                    used.entry(key)
                        .or_default()
                        .insert(format!("{repo}/{name}"));
                }
            }
        }
    }
    for s in sockets {
        if let Some(who) = by_ip.get(&s.addr) {
            used.entry((s.proto, s.port))
                .or_default()
                .insert(who.clone());
        }
    }
    used
}

/// The models of one network's compose runs, as renet wrote them.
fn models(
    run_dir: &Path,
    network: crate::network::NetworkId,
) -> Vec<serde_json::Map<String, Value>> {
    let dir = run_dir.join(format!("compose-{network}"));
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "json").then_some(())?;
            serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
        })
        .collect()
}

/// Every check, in the order of SPEC section 8's table.
pub(crate) fn checks(f: &Facts) -> Vec<Check> {
    let entrypoints = f
        .traefik
        .as_ref()
        .ok()
        .and_then(|t| proxy::entrypoints(t).ok());
    let served = proxy::served_ports(entrypoints.as_deref(), f.range);
    let (input, forward) = if f.tables.is_empty() && !f.table_errors.is_empty() {
        let errors: Vec<String> = f.table_errors.iter().map(ToString::to_string).collect();
        let skip = |id| {
            Check::skipped(
                id,
                "the firewall could not be read",
                "run renet doctor as root",
            )
            .details(errors.clone())
        };
        (skip(firewall::INPUT_ID), skip(firewall::FORWARD_ID))
    } else {
        (
            firewall::input(&f.tables, &served),
            firewall::forward(&f.tables),
        )
    };
    let suspects = listeners::suspects(f.sockets.as_deref().unwrap_or_default(), &f.used);
    let listeners = match &f.sockets {
        Ok(_) => listeners::check(&suspects, &f.owners, &f.probes, &f.used),
        Err(e) => Check::skipped(
            listeners::ID,
            format!("the listening sockets could not be read: {e}"),
            "run renet doctor as root on the machine itself",
        ),
    };
    vec![
        engine::docker(&f.dockerd, &f.cli),
        engine::compose(&f.compose),
        engine::daemons(&f.probes, &f.pidfiles),
        input,
        forward,
        dns::check(&f.resolv),
        listeners,
        proxy::route_server(&f.route_server, &f.health),
        proxy::proxy(
            f.health.as_ref().ok(),
            f.now_unix,
            (&f.traefik_yml, &f.traefik),
            f.range,
        ),
    ]
}

/// The report of this machine.
pub(crate) fn run(
    host: &dyn Host,
    api: &impl DockerApi,
    o: &Options<'_>,
    health: proxy::Health,
) -> Report {
    Report::new(checks(&gather(host, api, o, health)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::fake::FakeDocker;
    use crate::host::iptables::recorded as tables;
    use crate::host::recorded::RecordedHost;
    use crate::leases::Proto;

    /// The whole report on a recorded machine: Oracle's REJECTs, MagicDNS, a postgres on
    /// every address, no route server, no traefik.yml.
    #[test]
    fn a_recorded_machine_gives_every_check_in_order() {
        let run_dir = tempfile::tempdir().unwrap();
        let mut host = RecordedHost {
            filter_v4: Some(tables::ORACLE_DOCKER_27.to_owned()),
            ..RecordedHost::default()
        };
        host.files.insert(
            PathBuf::from("/etc/resolv.conf"),
            "nameserver 100.100.100.100\nsearch tail4e2b1.ts.net\n".into(),
        );
        host.sockets = vec![Socket {
            proto: Proto::Tcp,
            addr: "0.0.0.0".parse().unwrap(),
            port: 5432,
            inode: 77,
        }];
        host.owners.insert(
            77,
            Owner {
                pid: 812,
                command: "postgres".into(),
                container_id: None,
                unit: None,
            },
        );
        host.versions.insert(
            "dockerd".into(),
            "Docker version 28.1.1, build 01f442b".into(),
        );
        host.versions.insert(
            "docker".into(),
            "Docker version 28.1.1, build 4eba377".into(),
        );
        let o = Options {
            run_dir: run_dir.path(),
            path: Some("/nonexistent"),
            docker_config: None,
            home: None,
            route_server: "http://127.0.0.1:1",
            traefik_yml: Path::new("/etc/rediacc/proxy/traefik.yml"),
            range: PortRange::default(),
            now_unix: 1000,
            daemon_timeout: Duration::from_millis(100),
        };
        let report = run(
            &host,
            &FakeDocker::default(),
            &o,
            Err(proxy::HealthError {
                reason: "connection refused".into(),
            }),
        );
        let ids: Vec<(&str, &str)> = report
            .checks
            .iter()
            .map(|c| (c.id, c.status.as_str()))
            .collect();
        assert_eq!(
            ids,
            [
                ("docker", "ok"),
                ("compose", "error"),
                ("daemons", "ok"),
                ("firewall.input", "error"),
                ("firewall.forward", "error"),
                ("dns.resolver", "warning"),
                ("listeners", "warning"),
                ("route-server", "error"),
                ("proxy", "warning"),
            ]
        );
        assert_eq!(report.exit_code(), 2);
        assert!(
            report
                .checks
                .iter()
                .filter(|c| c.status > report::Status::Ok)
                .all(|c| !c.fix.is_empty()),
            "every finding has a fix"
        );
        assert!(
            report.checks[6].details[0]
                .starts_with("0.0.0.0:5432 (tcp) is held by pid 812 (postgres)")
        );
    }
}
