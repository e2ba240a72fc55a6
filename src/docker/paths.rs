//! Where a repository daemon's files live (SPEC section 5): one function per file, so the
//! `docker-<N>` names are spelled in this file only.
//!
//! Under `$RENET_RUN_DIR`: the socket `docker-<N>.sock`, the start/stop lock `docker-<N>.lock`,
//! and the folder `docker-<N>/` with the exec-root, pidfile, log, `daemon.json` and the marker
//! naming the repository the daemon serves. The data-root is in the repository (or, for a
//! daemon without one, under `$RENET_STATE_DIR/docker-<N>/data`).

use std::path::{Path, PathBuf};

use crate::network::NetworkId;

/// The API socket: `docker-<N>.sock`, what the route server and `DOCKER_HOST` point at.
pub fn socket(run_dir: &Path, network: NetworkId) -> PathBuf {
    run_dir.join(format!("docker-{network}.sock"))
}

/// The daemon's own folder, `docker-<N>/`.
pub fn folder(run_dir: &Path, network: NetworkId) -> PathBuf {
    run_dir.join(format!("docker-{network}"))
}

/// dockerd's `exec-root` (its runtime state: netns, containerd, shims).
pub fn exec_root(run_dir: &Path, network: NetworkId) -> PathBuf {
    folder(run_dir, network).join("exec")
}

pub fn pidfile(run_dir: &Path, network: NetworkId) -> PathBuf {
    folder(run_dir, network).join("docker.pid")
}

/// dockerd's stdout and stderr, appended to by every start.
pub fn log(run_dir: &Path, network: NetworkId) -> PathBuf {
    folder(run_dir, network).join("dockerd.log")
}

/// The generated `daemon.json` (`--config-file`).
pub fn config(run_dir: &Path, network: NetworkId) -> PathBuf {
    folder(run_dir, network).join("daemon.json")
}

/// Records which repository the running daemon serves (empty: none).
pub fn repo_marker(run_dir: &Path, network: NetworkId) -> PathBuf {
    folder(run_dir, network).join("repository")
}

/// Serialises start and stop of this daemon between renet processes. Beside the folder, not in
/// it: a clean-up may remove the folder's contents while the lock is held.
pub fn lock(run_dir: &Path, network: NetworkId) -> PathBuf {
    run_dir.join(format!("docker-{network}.lock"))
}

/// The daemon's data-root: inside the repository, so the repository folder carries its images
/// and volumes; a daemon without a repository keeps its data in the state folder.
pub fn data_root(state_dir: &Path, network: NetworkId, repo: Option<&Path>) -> PathBuf {
    match repo {
        Some(r) => r.join(".rediacc/docker/data"),
        None => state_dir.join(format!("docker-{network}/data")),
    }
}

/// The repository a daemon's marker names; None when there is no marker or it is empty.
pub fn recorded_repository(marker: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(marker).ok()?;
    let repo = text.trim_end_matches('\n');
    (!repo.is_empty()).then(|| PathBuf::from(repo))
}

/// Every `docker-<N>.sock` in `run_dir` with a valid network ID, sorted by network ID. A
/// missing folder has none.
pub fn sockets(run_dir: &Path) -> std::io::Result<Vec<(NetworkId, PathBuf)>> {
    let entries = match std::fs::read_dir(run_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out: Vec<(NetworkId, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name.strip_prefix("docker-")?.strip_suffix(".sock")?;
            Some((NetworkId::parse(n).ok()?, e.path()))
        })
        .collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_the_socket_scan() {
        let id = NetworkId::new(2816).unwrap();
        let run = Path::new("/run/r");
        assert_eq!(socket(run, id), Path::new("/run/r/docker-2816.sock"));
        assert_eq!(lock(run, id), Path::new("/run/r/docker-2816.lock"));
        assert_eq!(exec_root(run, id), Path::new("/run/r/docker-2816/exec"));
        assert_eq!(
            repo_marker(run, id),
            Path::new("/run/r/docker-2816/repository")
        );
        assert_eq!(
            data_root(Path::new("/s"), id, None),
            Path::new("/s/docker-2816/data")
        );

        let dir = tempfile::tempdir().unwrap();
        for name in [
            "docker-2880.sock",
            "docker-2816.sock",
            "docker-2817.sock",
            "docker-2816.lock",
            "other.sock",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let found: Vec<u32> = sockets(dir.path())
            .unwrap()
            .into_iter()
            .map(|(n, _)| n.get())
            .collect();
        assert_eq!(found, [2816, 2880]);
        assert!(sockets(&dir.path().join("missing")).unwrap().is_empty());

        let marker = dir.path().join("repository");
        assert_eq!(recorded_repository(&marker), None);
        std::fs::write(&marker, "").unwrap();
        assert_eq!(recorded_repository(&marker), None);
        std::fs::write(&marker, "/srv/shop\n").unwrap();
        assert_eq!(
            recorded_repository(&marker),
            Some(PathBuf::from("/srv/shop"))
        );
    }
}
