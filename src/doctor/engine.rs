//! `docker`, `compose` and `daemons`: the programs renet runs and the repository daemons it
//! talks to. Pure over what [`super::gather`] found.

use std::path::PathBuf;

use super::report::Check;
use crate::host::HostError;
use crate::host::daemons::Probe;
use crate::network::NetworkId;

pub(crate) const DOCKER_ID: &str = "docker";
pub(crate) const COMPOSE_ID: &str = "compose";
pub(crate) const DAEMONS_ID: &str = "daemons";

/// A program's `--version` line: None when it is not on PATH.
pub(crate) type Version = Option<Result<String, HostError>>;

pub(crate) fn docker(dockerd: &Version, cli: &Version) -> Check {
    let line = |name: &str, v: &Version| match v {
        Some(Ok(text)) => format!("{name}: {text}"),
        Some(Err(e)) => format!("{name}: {e}"),
        None => format!("{name}: not on PATH"),
    };
    let details = vec![line("dockerd", dockerd), line("docker", cli)];
    match (dockerd, cli) {
        (Some(Ok(d)), Some(Ok(c))) => Check::ok(DOCKER_ID, format!("{d}; CLI {c}")),
        (Some(Ok(d)), _) => Check::warning(
            DOCKER_ID,
            format!("{d}, but no working docker CLI: `renet docker` and the compose plugin need it"),
            "install the docker CLI (Debian: apt-get install docker.io; Docker's packages: docker-ce-cli)",
        )
        .details(details),
        _ => Check::error(
            DOCKER_ID,
            "no working dockerd: renet cannot start repository daemons",
            "install Docker (Debian: apt-get install docker.io)",
        )
        .details(details),
    }
}

/// The compose renet will use: which binary, its version, whether it is 1.x.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComposeInfo {
    pub(crate) what: String,
    pub(crate) version: String,
    pub(crate) v1: bool,
}

/// What renet found about compose (None: no compose at all).
pub(crate) type ComposeFact = Option<Result<ComposeInfo, crate::compose::bin::VersionError>>;

pub(crate) fn compose(fact: &ComposeFact) -> Check {
    const INSTALL: &str = "install Docker Compose v2 as the docker CLI plugin (Debian 12: apt-get install docker-compose-plugin \
                           from Docker's repository, or put the v2 binary at /usr/local/lib/docker/cli-plugins/docker-compose)";
    match fact {
        None => Check::error(
            COMPOSE_ID,
            "no Docker Compose: neither the `docker compose` plugin nor docker-compose is on PATH",
            INSTALL,
        ),
        Some(Err(e)) => Check::error(
            COMPOSE_ID,
            format!("Docker Compose does not tell its version: {e}"),
            INSTALL,
        ),
        Some(Ok(ComposeInfo {
            what,
            version,
            v1: true,
        })) => Check::warning(
            COMPOSE_ID,
            format!(
                "{what} {version}: docker-compose 1.x is end-of-life (renet drops the keys it cannot read)"
            ),
            INSTALL,
        ),
        Some(Ok(ComposeInfo {
            what,
            version,
            v1: false,
        })) => Check::ok(COMPOSE_ID, format!("{what} {version}")),
    }
}

/// A daemon folder's pidfile: which PID it names, and whether that is a live dockerd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PidFile {
    pub(crate) network: NetworkId,
    pub(crate) path: PathBuf,
    pub(crate) pid: Option<i32>,
    pub(crate) alive: bool,
}

pub(crate) fn daemons(probes: &[Probe], pidfiles: &[PidFile]) -> Check {
    let pidfile = |n: NetworkId| pidfiles.iter().find(|p| p.network == n);
    let mut details = Vec::new();
    let mut fixes = Vec::new();
    let mut answering = 0;
    for p in probes {
        match &p.answer {
            Ok(a) => {
                answering += 1;
                details.push(format!(
                    "network {}: docker {}, {} renet containers",
                    p.network,
                    a.engine.version,
                    a.containers.len()
                ));
            }
            Err(e) => {
                let pid = match pidfile(p.network) {
                    Some(PidFile {
                        pid: Some(pid),
                        alive: true,
                        ..
                    }) => format!("dockerd pid {pid} is alive but does not answer"),
                    Some(PidFile {
                        path,
                        pid: Some(pid),
                        ..
                    }) => format!(
                        "stale socket: {} names pid {pid}, which is no dockerd",
                        path.display()
                    ),
                    _ => "stale socket: no dockerd serves it".to_owned(),
                };
                details.push(format!(
                    "network {}: {} does not answer ({e}); {pid}",
                    p.network,
                    p.socket.display()
                ));
                fixes.push(format!(
                    "renet daemon stop --network-id {n} && renet repository up --path <the repository> --network-id {n} \
                     (or renet daemon start --network-id {n} --repo <the repository>)",
                    n = p.network
                ));
            }
        }
    }
    for f in pidfiles
        .iter()
        .filter(|f| !f.alive && !probes.iter().any(|p| p.network == f.network))
    {
        let pid = f
            .pid
            .map_or_else(|| "no PID".to_owned(), |p| format!("pid {p}"));
        details.push(format!(
            "network {}: dead pidfile {} ({pid}, no dockerd, no socket)",
            f.network,
            f.path.display()
        ));
        fixes.push(format!("rm {} (or start the daemon again: renet daemon start --network-id {} --repo <the repository>)", f.path.display(), f.network));
    }
    let failing = probes.len() - answering;
    if probes.is_empty() && fixes.is_empty() {
        return Check::ok(DAEMONS_ID, "no repository daemons on this machine");
    }
    if fixes.is_empty() {
        return Check::ok(DAEMONS_ID, format!("{answering} repository daemons answer"))
            .details(details);
    }
    let summary = format!(
        "{failing} of {} repository daemon sockets do not answer; {} dead pidfiles",
        probes.len(),
        pidfiles.iter().filter(|f| !f.alive).count()
    );
    let fix = fixes.join("\n");
    let c = if failing > 0 {
        Check::error(DAEMONS_ID, summary, fix)
    } else {
        Check::warning(DAEMONS_ID, summary, fix)
    };
    c.details(details)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::Engine;
    use crate::doctor::report::Status;
    use crate::host::daemons::Answer;

    fn id(n: u64) -> NetworkId {
        NetworkId::new(n).unwrap()
    }

    #[test]
    fn docker_and_compose() {
        let v = |s: &str| Some(Ok(s.to_owned()));
        assert_eq!(
            docker(
                &v("Docker version 28.1.1, build 4eba377"),
                &v("Docker version 28.1.1")
            )
            .status,
            Status::Ok
        );
        assert_eq!(
            docker(&v("Docker version 20.10.24"), &None).status,
            Status::Warning
        );
        let c = docker(&None, &v("Docker version 28.1.1"));
        assert_eq!(c.status, Status::Error);
        assert!(c.details.contains(&"dockerd: not on PATH".to_owned()));
        assert_eq!(
            compose(&Some(Ok(ComposeInfo {
                what: "docker compose (plugin)".into(),
                version: "2.40.3".into(),
                v1: false
            })))
            .status,
            Status::Ok
        );
        let old = compose(&Some(Ok(ComposeInfo {
            what: "docker-compose".into(),
            version: "1.29.2".into(),
            v1: true,
        })));
        assert_eq!(old.status, Status::Warning);
        assert!(old.summary.contains("end-of-life"));
        assert_eq!(compose(&None).status, Status::Error);
    }

    #[test]
    fn stale_sockets_and_dead_pidfiles_are_named() {
        let ok = Probe {
            network: id(2816),
            socket: "/r/docker-2816.sock".into(),
            answer: Ok(Answer {
                engine: Engine {
                    version: "20.10.24".into(),
                    ..Engine::default()
                },
                containers: vec![],
            }),
        };
        let stale = Probe {
            network: id(2880),
            socket: "/r/docker-2880.sock".into(),
            answer: Err(crate::host::daemons::ProbeError::Api(
                "connection refused".into(),
            )),
        };
        let pidfiles = [
            PidFile {
                network: id(2880),
                path: "/r/docker-2880/docker.pid".into(),
                pid: Some(4242),
                alive: false,
            },
            PidFile {
                network: id(2944),
                path: "/r/docker-2944/docker.pid".into(),
                pid: Some(5151),
                alive: false,
            },
        ];
        let c = daemons(&[ok.clone(), stale], &pidfiles);
        assert_eq!(c.status, Status::Error);
        assert!(c.details.contains(&"network 2880: /r/docker-2880.sock does not answer (connection refused); stale socket: /r/docker-2880/docker.pid names pid 4242, which is no dockerd".to_owned()), "{:?}", c.details);
        assert!(c.details.contains(&"network 2944: dead pidfile /r/docker-2944/docker.pid (pid 5151, no dockerd, no socket)".to_owned()), "{:?}", c.details);
        assert!(c.fix.contains("renet daemon stop --network-id 2880"));
        assert_eq!(daemons(std::slice::from_ref(&ok), &[]).status, Status::Ok);
        assert_eq!(
            daemons(&[], &[]).summary,
            "no repository daemons on this machine"
        );
    }
}
