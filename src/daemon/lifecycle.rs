//! Starting and stopping a repository daemon, and cleaning up after one that died.
//!
//! Start and stop hold the daemon's `flock`, so two renets never start two dockerds on the same
//! data; a start finding a dockerd alive but not answering yet waits for it instead.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::identity::{Identity, Process, Server};
use super::{DaemonError, DaemonPaths, daemon_json, io};
use crate::atomic;
use crate::docker::{Bollard, DockerApi, block_on, process};
use crate::lock::FileLock;
use crate::network::NetworkId;

/// Does anything answer on `socket`?
fn ping(socket: &Path) -> bool {
    socket.exists() && block_on(Bollard.ping(socket, Duration::from_secs(2))).is_ok()
}

/// The last `lines` lines of `log` written after byte `from` (this start's own lines, not an
/// earlier run's).
fn log_tail(log: &Path, from: u64, lines: usize) -> String {
    use std::io::{Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(log) else {
        return "(no log)".to_owned();
    };
    if f.seek(SeekFrom::Start(from)).is_err() {
        return "(log unreadable)".to_owned();
    }
    let all: Vec<String> = std::io::BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .collect();
    let start = all.len().saturating_sub(lines);
    all[start..]
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Debug, Serialize)]
pub struct StartReport {
    pub network_id: u32,
    pub already_running: bool,
    pub pid: Option<i32>,
    pub socket: PathBuf,
    pub data_root: PathBuf,
    pub log: PathBuf,
    pub seconds: f64,
}

fn prepare(paths: &DaemonPaths, repo: Option<&Path>) -> Result<(), DaemonError> {
    use std::os::unix::fs::DirBuilderExt;
    for d in [&paths.dir, &paths.exec_root, &paths.data_root] {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(d)
            .map_err(io(d))?;
    }
    let text = serde_json::to_string_pretty(&daemon_json(paths)).expect("json");
    atomic::write(&paths.config, text.as_bytes(), None).map_err(io(&paths.config))?;
    let marker = repo.map(|r| r.display().to_string()).unwrap_or_default();
    atomic::write(&paths.repo_marker, marker.as_bytes(), None).map_err(io(&paths.repo_marker))?;
    Ok(())
}

/// Refuse a daemon whose marker names another repository than `repo`: what `daemon start`
/// checks, and `compose`, `docker` and `repository` through
/// `commands::repository::refuse_other_repository`.
pub fn check_repo(
    network: NetworkId,
    paths: &DaemonPaths,
    repo: Option<&Path>,
) -> Result<(), DaemonError> {
    if let (Some(wanted), Some(running)) = (repo, paths.recorded_repo())
        && running != wanted
    {
        return Err(DaemonError::OtherRepository {
            network,
            running,
            wanted: wanted.to_owned(),
        });
    }
    Ok(())
}

pub fn start(
    network: NetworkId,
    paths: &DaemonPaths,
    repo: Option<&Path>,
    timeout: Duration,
    path_env: Option<&str>,
) -> Result<StartReport, DaemonError> {
    let began = Instant::now();
    let report = |already_running, pid| StartReport {
        network_id: network.get(),
        already_running,
        pid,
        socket: paths.socket.clone(),
        data_root: paths.data_root.clone(),
        log: paths.log.clone(),
        seconds: began.elapsed().as_secs_f64(),
    };
    // Two renets starting the same daemon at once: the second waits here, then finds it running.
    let _lock = lock(paths)?;
    if ping(&paths.socket) {
        check_repo(network, paths, repo)?;
        let found = Identity::of(paths);
        return Ok(report(true, found.dockerd().map(|d| d.pid)));
    }
    let found = Identity::of(paths);
    if let Some(d) = found.dockerd() {
        // A dockerd is alive but not answering yet (another renet just started it): wait for it
        // rather than start a second one on the same data.
        check_repo(network, paths, repo)?;
        let log_from = std::fs::metadata(&paths.log).map_or(0, |m| m.len());
        wait_for_api(network, paths, timeout, None, log_from)?;
        return Ok(report(true, Some(d.pid)));
    }
    refuse_foreign_server(network, paths, &found.server)?;
    let dockerd = crate::compose::bin::which("dockerd", path_env).ok_or(DaemonError::NoDockerd)?;
    cleanup_stale(paths);
    prepare(paths, repo)?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&paths.log)
        .map_err(io(&paths.log))?;
    let log_from = log.metadata().map_or(0, |m| m.len());
    let log_err = log.try_clone().map_err(io(&paths.log))?;
    let mut child = {
        use std::os::unix::process::CommandExt;
        Command::new(&dockerd)
            .arg("--config-file")
            .arg(&paths.config)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // Its own process group: a Ctrl-C meant for renet must not take the daemon down.
            .process_group(0)
            .spawn()
            .map_err(io(&dockerd))?
    };
    match wait_for_api(network, paths, timeout, Some(&mut child), log_from) {
        Ok(()) => Ok(report(false, Some(child.id() as i32))),
        Err(e) => {
            if matches!(e, DaemonError::Timeout { .. }) {
                let _ = terminate(child.id() as i32, Duration::from_secs(20));
            }
            let _ = child.wait();
            cleanup_stale(paths);
            Err(e)
        }
    }
}

fn wait_for_api(
    network: NetworkId,
    paths: &DaemonPaths,
    timeout: Duration,
    mut child: Option<&mut std::process::Child>,
    log_from: u64,
) -> Result<(), DaemonError> {
    let deadline = Instant::now() + timeout;
    loop {
        if ping(&paths.socket) {
            return Ok(());
        }
        if let Some(c) = child.as_deref_mut()
            && let Ok(Some(status)) = c.try_wait()
        {
            return Err(DaemonError::Exited {
                network,
                status: status.to_string(),
                log: paths.log.clone(),
                tail: log_tail(&paths.log, log_from, 20),
            });
        }
        if Instant::now() >= deadline {
            return Err(DaemonError::Timeout {
                network,
                socket: paths.socket.clone(),
                secs: timeout.as_secs(),
                log: paths.log.clone(),
                tail: log_tail(&paths.log, log_from, 20),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Another process (or one renet cannot name) serves the socket: neither start nor stop touch
/// it or its socket file.
fn refuse_foreign_server(
    network: NetworkId,
    paths: &DaemonPaths,
    server: &Server,
) -> Result<(), DaemonError> {
    let holder = match server {
        Server::Nobody | Server::Dockerd(_) => return Ok(()),
        Server::Other(p) => format!(
            "pid {} (`{}`), which is not a dockerd of this network",
            p.pid, p.command
        ),
        Server::Unknown(why) => format!("a process renet cannot name ({why})"),
    };
    Err(DaemonError::SocketTaken {
        network,
        socket: paths.socket.clone(),
        holder,
    })
}

/// Replace this process with dockerd (for systemd units: the unit's main PID is the daemon).
/// Refused while a dockerd of this daemon runs (a second one on the same data) or another
/// process serves the socket (dockerd would unlink it and take its place).
pub fn exec_foreground(
    network: NetworkId,
    paths: &DaemonPaths,
    repo: Option<&Path>,
    path_env: Option<&str>,
) -> DaemonError {
    use std::os::unix::process::CommandExt;
    let Some(dockerd) = crate::compose::bin::which("dockerd", path_env) else {
        return DaemonError::NoDockerd;
    };
    let found = Identity::of(paths);
    if let Some(d) = found.dockerd() {
        return DaemonError::AlreadyRunning {
            network,
            pid: d.pid,
        };
    }
    if let Err(e) = refuse_foreign_server(network, paths, &found.server) {
        return e;
    }
    cleanup_stale(paths);
    if let Err(e) = prepare(paths, repo) {
        return e;
    }
    let err = Command::new(&dockerd)
        .arg("--config-file")
        .arg(&paths.config)
        .exec();
    DaemonError::Io {
        path: dockerd,
        source: err,
    }
}

/// SIGTERM, then SIGKILL after `grace`. Returns whether it had to kill.
fn terminate(pid: i32, grace: Duration) -> Result<bool, nix::Error> {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    kill(Pid::from_raw(pid), Signal::SIGTERM)?;
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if !process::alive_dockerd(pid) {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    Ok(true)
}

/// Exclusive `flock` on `$RENET_RUN_DIR/docker-<N>.lock`, released on drop.
fn lock(paths: &DaemonPaths) -> Result<FileLock, DaemonError> {
    let dir = paths.lock.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    FileLock::acquire(&paths.lock).map_err(DaemonError::Lock)
}

/// Remove what a dead daemon left behind, so the next start works and the repository folder
/// can be deleted:
/// - its socket and pidfile;
/// - the nsfs mount dockerd keeps at `<exec-root>/netns/default`;
/// - the bind mount of the data-root onto itself that dockerd makes at start and undoes only on
///   a clean shutdown (it leaves `<exec-root>/unmount-on-shutdown` as the sign);
/// - a managed containerd's pidfile whose process is gone (a new dockerd would refuse to start).
///
/// The data-root comes from the daemon's own `daemon.json`: `stop` may not know the repository.
///
/// Nothing is removed while a dockerd of this daemon still runs, a socket only when no process
/// listens on it (a wrong pidfile never costs a running dockerd its socket), and a pidfile only
/// when it names no live dockerd of this daemon.
fn cleanup_stale(paths: &DaemonPaths) {
    use nix::mount::{MntFlags, umount2};
    let found = Identity::of(paths);
    if found.dockerd().is_some() {
        return;
    }
    if found.server == Server::Nobody {
        let _ = std::fs::remove_file(&paths.socket);
    }
    let _ = std::fs::remove_file(&paths.pidfile);
    let netns = paths.exec_root.join("netns/default");
    if netns.exists() {
        let _ = umount2(&netns, MntFlags::MNT_DETACH);
    }
    let marker = paths.exec_root.join("unmount-on-shutdown");
    if marker.exists() {
        let data_root = std::fs::read_to_string(&paths.config)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["data-root"].as_str().map(PathBuf::from))
            .unwrap_or_else(|| paths.data_root.clone());
        let _ = umount2(&data_root, MntFlags::MNT_DETACH);
        let _ = std::fs::remove_file(&marker);
    }
    let containerd_pid = paths.exec_root.join("containerd/containerd.pid");
    if let Some(pid) = std::fs::read_to_string(&containerd_pid)
        .ok()
        .and_then(|t| t.trim().parse::<i32>().ok())
        && !process::alive(pid)
    {
        let _ = std::fs::remove_file(&containerd_pid);
    }
}

#[derive(Debug, Serialize)]
pub struct StopReport {
    pub network_id: u32,
    pub was_running: bool,
    /// The dockerd stopped: the process that served the socket (or, with no socket yet, the
    /// pidfile's dockerd of this daemon).
    pub pid: Option<i32>,
    /// The number in the pidfile, when it is not `pid` (it was not signalled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pidfile_pid: Option<i32>,
    pub killed: bool,
    /// What renet found and did about it: a wrong pidfile, a socket kept for its listener.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub seconds: f64,
}

/// Stop the daemon: the dockerd serving its socket, found by the socket and checked by its
/// command line, never whatever process the pidfile names. When another process serves the
/// socket and no dockerd of this daemon runs, nothing is signalled or removed (an error).
pub fn stop(
    network: NetworkId,
    paths: &DaemonPaths,
    timeout: Duration,
) -> Result<StopReport, DaemonError> {
    let began = Instant::now();
    let _lock = lock(paths)?;
    let found = Identity::of(paths);
    let target: Option<Process> = found.dockerd().cloned();
    if target.is_none() {
        refuse_foreign_server(network, paths, &found.server)?;
    }
    let mut notes: Vec<String> = found.pidfile_note(paths).into_iter().collect();
    let mut killed = false;
    if let Some(d) = &target {
        killed = terminate(d.pid, timeout).map_err(|e| DaemonError::Io {
            path: paths.pidfile.clone(),
            source: std::io::Error::from_raw_os_error(e as i32),
        })?;
    }
    cleanup_stale(paths);
    if let Server::Other(p) = Identity::of(paths).server {
        notes.push(format!(
            "{} kept: pid {} (`{}`) listens on it",
            paths.socket.display(),
            p.pid,
            p.command
        ));
    }
    let _ = std::fs::remove_file(&paths.repo_marker);
    let pid = target.as_ref().map(|d| d.pid);
    if killed && let Some(pid) = pid {
        return Err(DaemonError::Killed {
            network,
            pid,
            secs: timeout.as_secs(),
        });
    }
    Ok(StopReport {
        network_id: network.get(),
        was_running: target.is_some(),
        pid,
        pidfile_pid: found.pidfile_pid.filter(|p| Some(*p) != pid),
        killed,
        notes,
        seconds: began.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the daemon's folder and the socket, with its bytes (None: not a file).
    fn files(paths: &DaemonPaths) -> Vec<(PathBuf, Option<Vec<u8>>)> {
        let mut out: Vec<_> = std::fs::read_dir(&paths.dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let bytes = std::fs::read(&p).ok();
                (p, bytes)
            })
            .collect();
        out.push((paths.socket.clone(), None));
        out.sort();
        out
    }

    /// A socket served by a process that is no dockerd (this test), with its pid in the
    /// pidfile: stop and start refuse, nothing is signalled or removed.
    #[test]
    fn a_socket_served_by_another_process_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let id = NetworkId::new(2816).unwrap();
        let paths = DaemonPaths::new(dir.path(), dir.path(), id, None);
        std::fs::create_dir_all(&paths.dir).unwrap();
        let _listener = std::os::unix::net::UnixListener::bind(&paths.socket).unwrap();
        std::fs::write(&paths.pidfile, format!("{}\n", std::process::id())).unwrap();
        std::fs::write(&paths.repo_marker, "/srv/shop").unwrap();
        let before = files(&paths);
        let err = stop(id, &paths, Duration::from_secs(1)).unwrap_err();
        assert!(matches!(err, DaemonError::SocketTaken { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.contains(&format!("pid {} (`", std::process::id()))
                && text.contains("which is not a dockerd of this network"),
            "{text}"
        );
        assert!(paths.socket.exists());
        assert_eq!(files(&paths), before, "nothing touched");
        cleanup_stale(&paths);
        assert!(paths.socket.exists(), "a served socket is never cleaned up");
    }

    /// What a dead daemon left (a socket nobody serves, a pidfile naming a dead PID) is
    /// removed; stop of such a daemon is a no-op that succeeds.
    #[test]
    fn what_a_dead_daemon_left_is_cleaned_up() {
        let dir = tempfile::tempdir().unwrap();
        let id = NetworkId::new(2880).unwrap();
        let paths = DaemonPaths::new(dir.path(), dir.path(), id, None);
        std::fs::create_dir_all(&paths.dir).unwrap();
        drop(std::os::unix::net::UnixListener::bind(&paths.socket).unwrap());
        std::fs::write(&paths.pidfile, format!("{}\n", i32::MAX)).unwrap();
        let r = stop(id, &paths, Duration::from_secs(1)).unwrap();
        assert!(!r.was_running && r.pid.is_none());
        assert_eq!(r.pidfile_pid, Some(i32::MAX));
        assert!(!paths.socket.exists() && !paths.pidfile.exists());
    }
}
