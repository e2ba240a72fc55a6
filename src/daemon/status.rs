//! Whether a daemon answers, who it is, and what it runs: `renet daemon status|list` and
//! `renet repository status`. Written against [`DockerApi`], so unit tests drive it with the
//! fake; the commands pass [`crate::docker::Bollard`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::lifecycle::live_pid;
use super::{DaemonError, DaemonPaths};
use crate::docker::{Bollard, DockerApi, Engine, Target, block_on, paths};
use crate::network::NetworkId;

/// Ask the daemon behind `socket` who it is. None when nothing answers.
pub fn probe(api: &impl DockerApi, socket: &Path) -> Option<Engine> {
    if !socket.exists() {
        return None;
    }
    let timeout = Duration::from_secs(5);
    block_on(async {
        let version = api.negotiate(socket, timeout).await.ok()?;
        let at = Target {
            socket,
            version,
            timeout,
        };
        api.engine(at).await.ok()
    })
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
    pub running: bool,
    pub pid: Option<i32>,
    pub socket: PathBuf,
    pub repository: Option<PathBuf>,
    pub engine: Option<Engine>,
}

pub fn status(api: &impl DockerApi, network: NetworkId, paths: &DaemonPaths) -> Status {
    let engine = probe(api, &paths.socket);
    Status {
        network_id: network.get(),
        running: engine.is_some(),
        pid: live_pid(&paths.pidfile),
        socket: paths.socket.clone(),
        repository: paths.recorded_repo(),
        engine,
    }
}

/// Every `docker-<N>.sock` in `run_dir`, by network ID.
pub fn list(
    api: &impl DockerApi,
    run_dir: &Path,
    state_dir: &Path,
) -> Result<Vec<Status>, DaemonError> {
    let sockets = paths::sockets(run_dir).map_err(|source| DaemonError::Io {
        path: run_dir.to_owned(),
        source,
    })?;
    Ok(sockets
        .into_iter()
        .map(|(id, _)| status(api, id, &DaemonPaths::new(run_dir, state_dir, id, None)))
        .collect())
}

/// Running daemons (by their recorded repository) that serve `repo`.
pub fn networks_serving(run_dir: &Path, state_dir: &Path, repo: &Path) -> Vec<NetworkId> {
    list(&Bollard, run_dir, state_dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.running && s.repository.as_deref() == Some(repo))
        .filter_map(|s| NetworkId::new(u64::from(s.network_id)).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::fake::{Behaviour, FakeContainer, FakeDaemon, FakeDocker};

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
}
