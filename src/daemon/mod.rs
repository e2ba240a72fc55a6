//! Per-repository Docker daemons (SPEC section 5): one dockerd per network ID, with its socket,
//! exec-root and pidfile under `$RENET_RUN_DIR/docker-<N>` and its data in the repository.
//!
//! - `lifecycle`: start (or wait for one starting), stop, the start/stop lock, the clean-up of
//!   what a dead daemon left behind;
//! - `status`: whether a daemon answers, who it is, its containers, every daemon of the machine;
//! - `identity`: which process a daemon is: the one serving its socket (asked of the kernel),
//!   checked by its command line; the pidfile believed only where that agrees;
//! - `config`: the generated `daemon.json` and the systemd unit text (pure).
//!
//! The file names come from [`crate::docker::paths`]; the API calls go through
//! [`crate::docker::DockerApi`].

mod config;
mod identity;
mod lifecycle;
mod status;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::docker::paths;
use crate::network::NetworkId;

pub use self::config::{daemon_json, unit};
pub use self::lifecycle::{check_repo, exec_foreground, start, stop};
pub use self::status::{ContainerState, Status, list, networks_serving, probe, status};
pub use crate::docker::paths::socket as socket_path;

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(
        "docker daemon for network {network} is not running (no socket at {socket}); start it with: \
         renet daemon start --network-id {network}{repo_hint}"
    )]
    NotRunning {
        network: NetworkId,
        socket: PathBuf,
        repo_hint: String,
    },
    #[error(
        "dockerd for network {network} exited during start-up ({status}); last lines of {log}:\n{tail}"
    )]
    Exited {
        network: NetworkId,
        status: String,
        log: PathBuf,
        tail: String,
    },
    #[error(
        "dockerd for network {network} did not answer on {socket} within {secs}s and was stopped; \
         last lines of {log}:\n{tail}"
    )]
    Timeout {
        network: NetworkId,
        socket: PathBuf,
        secs: u64,
        log: PathBuf,
        tail: String,
    },
    #[error(
        "the daemon for network {network} already runs for repository {running}, not {wanted}; \
         stop it first (renet daemon stop --network-id {network}) or use the right network ID"
    )]
    OtherRepository {
        network: NetworkId,
        running: PathBuf,
        wanted: PathBuf,
    },
    #[error(
        "{socket} is served by {holder}; renet leaves it and its socket alone: stop that process \
         (or remove the socket if it is a leftover), then run renet daemon start --network-id {network}"
    )]
    SocketTaken {
        network: NetworkId,
        socket: PathBuf,
        holder: String,
    },
    #[error(
        "the daemon for network {network} already runs (dockerd pid {pid}); stop it first \
         (renet daemon stop --network-id {network}) to run it in the foreground"
    )]
    AlreadyRunning { network: NetworkId, pid: i32 },
    #[error("dockerd not found on PATH; install Docker Engine (Debian: apt-get install docker.io)")]
    NoDockerd,
    #[error("dockerd for network {network} (pid {pid}) did not exit within {secs}s; it was killed")]
    Killed {
        network: NetworkId,
        pid: i32,
        secs: u64,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The daemon's lock file could not be taken (the error names it).
    #[error(transparent)]
    Lock(std::io::Error),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DaemonError + '_ {
    move |source| DaemonError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Where a daemon's files live.
#[derive(Debug, Clone, Serialize)]
pub struct DaemonPaths {
    pub socket: PathBuf,
    pub dir: PathBuf,
    pub exec_root: PathBuf,
    pub pidfile: PathBuf,
    pub log: PathBuf,
    pub config: PathBuf,
    pub data_root: PathBuf,
    /// Records which repository the running daemon serves.
    pub repo_marker: PathBuf,
    /// Serialises start and stop of this daemon between renet processes.
    pub lock: PathBuf,
}

impl DaemonPaths {
    pub fn new(run_dir: &Path, state_dir: &Path, network: NetworkId, repo: Option<&Path>) -> Self {
        Self {
            socket: paths::socket(run_dir, network),
            dir: paths::folder(run_dir, network),
            exec_root: paths::exec_root(run_dir, network),
            pidfile: paths::pidfile(run_dir, network),
            log: paths::log(run_dir, network),
            config: paths::config(run_dir, network),
            data_root: paths::data_root(state_dir, network, repo),
            repo_marker: paths::repo_marker(run_dir, network),
            lock: paths::lock(run_dir, network),
        }
    }

    /// The repository the running daemon serves, as its marker records it.
    fn recorded_repo(&self) -> Option<PathBuf> {
        paths::recorded_repository(&self.repo_marker)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let id = NetworkId::new(2816).unwrap();
        let p = DaemonPaths::new(
            Path::new("/run/r"),
            Path::new("/var/lib/r"),
            id,
            Some(Path::new("/srv/shop")),
        );
        assert_eq!(p.socket, Path::new("/run/r/docker-2816.sock"));
        assert_eq!(p.data_root, Path::new("/srv/shop/.rediacc/docker/data"));
        assert_eq!(p.dir, Path::new("/run/r/docker-2816"));
        assert_eq!(p.pidfile, Path::new("/run/r/docker-2816/docker.pid"));
        assert_eq!(p.log, Path::new("/run/r/docker-2816/dockerd.log"));
        assert_eq!(p.config, Path::new("/run/r/docker-2816/daemon.json"));
        assert_eq!(p.lock, Path::new("/run/r/docker-2816.lock"));
        let standalone = DaemonPaths::new(Path::new("/run/r"), Path::new("/var/lib/r"), id, None);
        assert_eq!(
            standalone.data_root,
            Path::new("/var/lib/r/docker-2816/data")
        );
    }
}
