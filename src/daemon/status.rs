//! Whether a daemon answers, who it is, and what it runs: `renet daemon status|list` and
//! `renet repository status`. Written against [`DockerApi`], so unit tests drive it with the
//! fake; the commands pass [`crate::docker::Bollard`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::identity::{Identity, Process, Server};
use super::{DaemonError, DaemonPaths};
use crate::docker::{Bollard, DockerApi, Engine, Target, block_on, paths};
use crate::network::NetworkId;

/// How long `daemon status|list` wait for a daemon's answer (all of them at once: one hung
/// daemon costs the listing this long, ten cost it the same).
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Ask the daemon behind `socket` who it is. None when nothing answers within [`PROBE_TIMEOUT`].
pub fn probe(api: &impl DockerApi, socket: &Path) -> Option<Engine> {
    block_on(probe_within(api, socket, PROBE_TIMEOUT))
}

/// [`probe`], bounded as a whole: the version negotiation and the two calls after it share
/// `timeout` (each call's own timeout alone would let a daemon that answers slowly cost three).
async fn probe_within(api: &impl DockerApi, socket: &Path, timeout: Duration) -> Option<Engine> {
    if !socket.exists() {
        return None;
    }
    let ask = async {
        let version = api.negotiate(socket, timeout).await.ok()?;
        let at = Target {
            socket,
            version,
            timeout,
        };
        api.engine(at).await.ok()
    };
    tokio::time::timeout(timeout, ask).await.ok().flatten()
}

/// A container of a repository daemon, as `repository status` shows it (listed by
/// `commands::repository::view`, which keeps the labels the URLs come from).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerState {
    pub name: String,
    pub service: String,
    pub state: String,
    pub status: String,
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub network_id: u32,
    /// The Docker API answers on the socket.
    pub running: bool,
    /// `running`, `not answering` (a process serves the socket, or this daemon's dockerd is
    /// alive, but the API did not answer) or `stopped`.
    pub state: &'static str,
    /// This daemon's dockerd: the process serving the socket (see [`Identity`]).
    pub pid: Option<i32>,
    /// The number in the pidfile, when it is not `pid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pidfile_pid: Option<i32>,
    /// The process listening on the socket when it is not this daemon's dockerd.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listener: Option<Process>,
    /// What renet noticed: a wrong pidfile, a socket served by another process.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub socket: PathBuf,
    pub repository: Option<PathBuf>,
    pub engine: Option<Engine>,
}

impl Status {
    fn new(network: NetworkId, paths: &DaemonPaths, id: &Identity, engine: Option<Engine>) -> Self {
        let pid = id.dockerd().map(|d| d.pid);
        let mut notes: Vec<String> = id.pidfile_note(paths).into_iter().collect();
        let listener = match &id.server {
            Server::Other(p) => {
                notes.push(format!(
                    "{} is served by pid {} (`{}`), not by a dockerd of network {network}",
                    paths.socket.display(),
                    p.pid,
                    p.command
                ));
                Some(p.clone())
            }
            Server::Unknown(why) => {
                notes.push(format!(
                    "cannot tell who serves {}: {why}",
                    paths.socket.display()
                ));
                None
            }
            Server::Nobody | Server::Dockerd(_) => None,
        };
        let state = match (&engine, &id.server) {
            (Some(_), _) => "running",
            (None, Server::Nobody) if pid.is_none() => "stopped",
            (None, _) => "not answering",
        };
        if engine.is_none() && state == "not answering" {
            notes.push(format!(
                "the Docker API on {} did not answer within {}s",
                paths.socket.display(),
                PROBE_TIMEOUT.as_secs()
            ));
        }
        Status {
            network_id: network.get(),
            running: engine.is_some(),
            state,
            pid,
            pidfile_pid: id.pidfile_pid.filter(|p| Some(*p) != pid),
            listener,
            notes,
            socket: paths.socket.clone(),
            repository: paths.recorded_repo(),
            engine,
        }
    }
}

pub fn status(api: &impl DockerApi, network: NetworkId, paths: &DaemonPaths) -> Status {
    let id = Identity::of(paths);
    let engine = probe(api, &paths.socket);
    Status::new(network, paths, &id, engine)
}

/// Every `docker-<N>.sock` in `run_dir`, by network ID.
pub fn list(
    api: &impl DockerApi,
    run_dir: &Path,
    state_dir: &Path,
) -> Result<Vec<Status>, DaemonError> {
    list_within(api, run_dir, state_dir, PROBE_TIMEOUT, |_| true)
}

/// The daemons of `run_dir` that `keep` selects (by their paths, before any is asked), each
/// asked at the same time, each within `timeout`.
fn list_within(
    api: &impl DockerApi,
    run_dir: &Path,
    state_dir: &Path,
    timeout: Duration,
    keep: impl Fn(&DaemonPaths) -> bool,
) -> Result<Vec<Status>, DaemonError> {
    let sockets = paths::sockets(run_dir).map_err(|source| DaemonError::Io {
        path: run_dir.to_owned(),
        source,
    })?;
    let daemons: Vec<(NetworkId, DaemonPaths)> = sockets
        .into_iter()
        .map(|(id, _)| (id, DaemonPaths::new(run_dir, state_dir, id, None)))
        .filter(|(_, p)| keep(p))
        .collect();
    let engines = block_on(futures_util::future::join_all(
        daemons
            .iter()
            .map(|(_, p)| probe_within(api, &p.socket, timeout)),
    ));
    Ok(daemons
        .iter()
        .zip(engines)
        .map(|((network, p), engine)| Status::new(*network, p, &Identity::of(p), engine))
        .collect())
}

/// Running daemons (by their recorded repository) that serve `repo`.
/// Only the daemons whose marker names `repo` are asked: a hung daemon of another repository
/// costs nothing here.
pub fn networks_serving(run_dir: &Path, state_dir: &Path, repo: &Path) -> Vec<NetworkId> {
    let serves = |p: &DaemonPaths| p.recorded_repo().as_deref() == Some(repo);
    list_within(&Bollard, run_dir, state_dir, PROBE_TIMEOUT, serves)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.running && s.repository.as_deref() == Some(repo))
        .filter_map(|s| NetworkId::new(u64::from(s.network_id)).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::fake::{Behaviour, Call, FakeContainer, FakeDaemon, FakeDocker};

    #[test]
    fn a_missing_socket_is_not_running() {
        assert!(probe(&Bollard, Path::new("/nonexistent/docker.sock")).is_none());
    }

    /// A daemon that answers is probed; one that vanished is not running.
    #[test]
    fn probe_answers_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("docker-2816.sock");
        std::fs::write(&socket, "").unwrap();
        let fake = FakeDocker::default();
        fake.set(
            &socket,
            FakeDaemon::with(vec![FakeContainer::new("a", "running", &[])]),
        );
        let engine = probe(&fake, &socket).unwrap();
        assert_eq!(engine.api_version, "1.41");
        fake.set(&socket, FakeDaemon::behaving(Behaviour::Vanished));
        assert!(probe(&fake, &socket).is_none());
    }

    #[test]
    fn status_reads_the_marker_and_the_engine() {
        let dir = tempfile::tempdir().unwrap();
        let id = NetworkId::new(2880).unwrap();
        let paths = DaemonPaths::new(dir.path(), dir.path(), id, None);
        std::fs::create_dir_all(&paths.dir).unwrap();
        std::fs::write(&paths.socket, "").unwrap();
        std::fs::write(&paths.repo_marker, "/srv/shop\n").unwrap();
        let fake = FakeDocker::default();
        fake.set(&paths.socket, FakeDaemon::default());
        let all = list(&fake, dir.path(), dir.path()).unwrap();
        assert_eq!(all.len(), 1);
        assert!(all[0].running);
        assert_eq!(all[0].network_id, 2880);
        assert_eq!(all[0].repository.as_deref(), Some(Path::new("/srv/shop")));
        assert_eq!(all[0].pid, None);
        fake.set(&paths.socket, FakeDaemon::behaving(Behaviour::Vanished));
        assert!(!status(&fake, id, &paths).running);
    }

    /// Every daemon is asked at once, each within the timeout: ten that hang are listed as not
    /// running next to one that answers; `networks_serving` asks only the repository's own.
    #[test]
    fn hung_daemons_are_listed_as_not_answering() {
        let dir = tempfile::tempdir().unwrap();
        let fake = FakeDocker::default();
        for n in 0..11u32 {
            let id = NetworkId::new(u64::from(2816 + 64 * n)).unwrap();
            let p = DaemonPaths::new(dir.path(), dir.path(), id, None);
            std::fs::create_dir_all(&p.dir).unwrap();
            std::fs::write(&p.socket, "").unwrap();
            let behaviour = if n == 5 {
                Behaviour::Answers
            } else {
                Behaviour::Hangs
            };
            fake.set(&p.socket, FakeDaemon::behaving(behaviour));
            if n == 5 {
                std::fs::write(&p.repo_marker, "/srv/shop").unwrap();
            }
        }
        let all = list_within(
            &fake,
            dir.path(),
            dir.path(),
            Duration::from_millis(200),
            |_| true,
        )
        .unwrap();
        let seen: Vec<(u32, bool)> = all.iter().map(|s| (s.network_id, s.running)).collect();
        let expected: Vec<(u32, bool)> = (0..11u32).map(|n| (2816 + 64 * n, n == 5)).collect();
        assert_eq!(seen, expected);
        assert!(
            all.iter()
                .filter(|s| !s.running)
                .all(|s| s.engine.is_none())
        );
        let negotiations = |calls: Vec<Call>| {
            calls
                .iter()
                .filter(|c| matches!(c, Call::Negotiate(_)))
                .count()
        };
        assert_eq!(negotiations(fake.calls()), 11, "every daemon asked once");

        let serving = list_within(
            &fake,
            dir.path(),
            dir.path(),
            Duration::from_millis(200),
            |p| p.recorded_repo().as_deref() == Some(Path::new("/srv/shop")),
        )
        .unwrap();
        assert_eq!(serving.len(), 1);
        assert_eq!(
            (serving[0].network_id, serving[0].running),
            (2816 + 64 * 5, true)
        );
        assert_eq!(
            negotiations(fake.calls()),
            12,
            "only the repository's daemon asked"
        );
    }
}
