//! Per-repository Docker daemons (SPEC section 5): one dockerd per network ID, with its socket,
//! exec-root and pidfile under `$RENET_RUN_DIR/docker-<N>` and its data in the repository.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::network::NetworkId;

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
    #[error("docker API on {socket}: {message}")]
    Api { socket: PathBuf, message: String },
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
        let dir = run_dir.join(format!("docker-{network}"));
        let data_root = match repo {
            Some(r) => r.join(".rediacc/docker/data"),
            None => state_dir.join(format!("docker-{network}/data")),
        };
        Self {
            socket: socket_path(run_dir, network),
            exec_root: dir.join("exec"),
            pidfile: dir.join("docker.pid"),
            log: dir.join("dockerd.log"),
            config: dir.join("daemon.json"),
            repo_marker: dir.join("repository"),
            lock: run_dir.join(format!("docker-{network}.lock")),
            data_root,
            dir,
        }
    }
}

pub fn socket_path(run_dir: &Path, network: NetworkId) -> PathBuf {
    run_dir.join(format!("docker-{network}.sock"))
}

/// The generated daemon.json: everything in one file, so `start` and the systemd unit run the
/// very same daemon.
pub fn daemon_json(paths: &DaemonPaths) -> serde_json::Value {
    serde_json::json!({
        "hosts": [format!("unix://{}", paths.socket.display())],
        "data-root": paths.data_root,
        "exec-root": paths.exec_root,
        "pidfile": paths.pidfile,
        "bridge": "none",
        "iptables": false,
        "ip-masq": false,
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime always builds")
}

#[derive(Debug, Clone, Serialize)]
pub struct Engine {
    pub version: String,
    pub api_version: String,
    pub containers_running: u64,
    pub containers: u64,
}

/// Ask the daemon behind `socket` who it is. None when nothing answers.
pub fn probe(socket: &Path) -> Option<Engine> {
    if !socket.exists() {
        return None;
    }
    runtime().block_on(async {
        let docker = bollard::Docker::connect_with_unix(
            &socket.to_string_lossy(),
            5,
            bollard::API_DEFAULT_VERSION,
        )
        .ok()?;
        // These daemons speak API 1.41: always negotiate down.
        let docker = docker.negotiate_version().await.ok()?;
        let v = docker.version().await.ok()?;
        let info = docker.info().await.ok()?;
        Some(Engine {
            version: v.version.unwrap_or_default(),
            api_version: v.api_version.unwrap_or_default(),
            containers_running: info.containers_running.unwrap_or(0).max(0) as u64,
            containers: info.containers.unwrap_or(0).max(0) as u64,
        })
    })
}

/// A container of a repository daemon, as `repository status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerState {
    pub name: String,
    pub service: String,
    pub state: String,
    pub status: String,
}

/// Every container (running or not) carrying renet's `rediacc.service_name` label.
pub fn containers(socket: &Path) -> Result<Vec<ContainerState>, DaemonError> {
    use bollard::query_parameters::ListContainersOptionsBuilder;
    let api = |message: String| DaemonError::Api {
        socket: socket.to_owned(),
        message,
    };
    runtime().block_on(async {
        let docker = bollard::Docker::connect_with_unix(
            &socket.to_string_lossy(),
            10,
            bollard::API_DEFAULT_VERSION,
        )
        .map_err(|e| api(e.to_string()))?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| api(e.to_string()))?;
        let filters = std::collections::HashMap::from([("label", vec!["rediacc.service_name"])]);
        let opts = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let list = docker
            .list_containers(Some(opts))
            .await
            .map_err(|e| api(e.to_string()))?;
        let mut out: Vec<ContainerState> = list
            .into_iter()
            .map(|c| ContainerState {
                name: container_name(c.names),
                service: c
                    .labels
                    .and_then(|l| l.get("rediacc.service_name").cloned())
                    .unwrap_or_default(),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                status: c.status.unwrap_or_default(),
            })
            .collect();
        out.sort_by(|a, b| (&a.service, &a.name).cmp(&(&b.service, &b.name)));
        Ok(out)
    })
}

/// A container's name as people write it: the first of Docker's names, without its `/`.
pub fn container_name(names: Option<Vec<String>>) -> String {
    names
        .and_then(|n| n.into_iter().next())
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_owned()
}

/// Running daemons (by their recorded repository) that serve `repo`.
pub fn networks_serving(run_dir: &Path, state_dir: &Path, repo: &Path) -> Vec<NetworkId> {
    list(run_dir, state_dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.running && s.repository.as_deref() == Some(repo))
        .filter_map(|s| NetworkId::new(u64::from(s.network_id)).ok())
        .collect()
}

fn ping(socket: &Path) -> bool {
    if !socket.exists() {
        return false;
    }
    runtime().block_on(async {
        let Ok(docker) = bollard::Docker::connect_with_unix(
            &socket.to_string_lossy(),
            2,
            bollard::API_DEFAULT_VERSION,
        ) else {
            return false;
        };
        docker.ping().await.is_ok()
    })
}

/// The PID in `pidfile` if that process is a live dockerd.
fn live_pid(pidfile: &Path) -> Option<i32> {
    let pid: i32 = std::fs::read_to_string(pidfile).ok()?.trim().parse().ok()?;
    alive_dockerd(pid).then_some(pid)
}

fn alive_dockerd(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // Field 3 (after the parenthesised command name) is the state; Z is a zombie: exited.
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    state.is_some_and(|s| s != 'Z' && s != 'X') && comm.trim() == "dockerd"
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

fn recorded_repo(paths: &DaemonPaths) -> Option<PathBuf> {
    std::fs::read_to_string(&paths.repo_marker)
        .ok()
        .map(|s| PathBuf::from(s.trim_end_matches('\n')))
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
    crate::slotmap::write_atomic(&paths.config, text.as_bytes()).map_err(io(&paths.config))?;
    let marker = repo.map(|r| r.display().to_string()).unwrap_or_default();
    crate::slotmap::write_atomic(&paths.repo_marker, marker.as_bytes())
        .map_err(io(&paths.repo_marker))?;
    Ok(())
}

fn check_repo(
    network: NetworkId,
    paths: &DaemonPaths,
    repo: Option<&Path>,
) -> Result<(), DaemonError> {
    if let (Some(wanted), Some(running)) = (repo, recorded_repo(paths))
        && !running.as_os_str().is_empty()
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
        return Ok(report(true, live_pid(&paths.pidfile)));
    }
    if let Some(pid) = live_pid(&paths.pidfile) {
        // A dockerd is alive but not answering yet (another renet just started it): wait for it
        // rather than start a second one on the same data.
        check_repo(network, paths, repo)?;
        let log_from = std::fs::metadata(&paths.log).map_or(0, |m| m.len());
        wait_for_api(network, paths, timeout, None, log_from)?;
        return Ok(report(true, Some(pid)));
    }
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

/// Replace this process with dockerd (for systemd units: the unit's main PID is the daemon).
pub fn exec_foreground(
    paths: &DaemonPaths,
    repo: Option<&Path>,
    path_env: Option<&str>,
) -> DaemonError {
    use std::os::unix::process::CommandExt;
    let Some(dockerd) = crate::compose::bin::which("dockerd", path_env) else {
        return DaemonError::NoDockerd;
    };
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
        if !alive_dockerd(pid) {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    Ok(true)
}

/// Exclusive `flock` on `$RENET_RUN_DIR/docker-<N>.lock`, released on drop.
fn lock(paths: &DaemonPaths) -> Result<std::fs::File, DaemonError> {
    let dir = paths.lock.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&paths.lock)
        .map_err(io(&paths.lock))?;
    file.lock().map_err(io(&paths.lock))?;
    Ok(file)
}

fn process_alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_some_and(|s| s != 'Z' && s != 'X')
    })
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
fn cleanup_stale(paths: &DaemonPaths) {
    use nix::mount::{MntFlags, umount2};
    let _ = std::fs::remove_file(&paths.socket);
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
        && !process_alive(pid)
    {
        let _ = std::fs::remove_file(&containerd_pid);
    }
}

#[derive(Debug, Serialize)]
pub struct StopReport {
    pub network_id: u32,
    pub was_running: bool,
    pub pid: Option<i32>,
    pub killed: bool,
    pub seconds: f64,
}

pub fn stop(
    network: NetworkId,
    paths: &DaemonPaths,
    timeout: Duration,
) -> Result<StopReport, DaemonError> {
    let began = Instant::now();
    let _lock = lock(paths)?;
    let pid = live_pid(&paths.pidfile);
    let mut killed = false;
    if let Some(pid) = pid {
        killed = terminate(pid, timeout).map_err(|e| DaemonError::Io {
            path: paths.pidfile.clone(),
            source: std::io::Error::from_raw_os_error(e as i32),
        })?;
    }
    cleanup_stale(paths);
    let _ = std::fs::remove_file(&paths.repo_marker);
    if killed && let Some(pid) = pid {
        return Err(DaemonError::Killed {
            network,
            pid,
            secs: timeout.as_secs(),
        });
    }
    Ok(StopReport {
        network_id: network.get(),
        was_running: pid.is_some(),
        pid,
        killed,
        seconds: began.elapsed().as_secs_f64(),
    })
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

pub fn status(network: NetworkId, paths: &DaemonPaths) -> Status {
    let engine = probe(&paths.socket);
    Status {
        network_id: network.get(),
        running: engine.is_some(),
        pid: live_pid(&paths.pidfile),
        socket: paths.socket.clone(),
        repository: recorded_repo(paths).filter(|p| !p.as_os_str().is_empty()),
        engine,
    }
}

/// Every `docker-<N>.sock` in `run_dir`, by network ID.
pub fn list(run_dir: &Path, state_dir: &Path) -> Result<Vec<Status>, DaemonError> {
    let entries = match std::fs::read_dir(run_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(DaemonError::Io {
                path: run_dir.to_owned(),
                source: e,
            });
        }
    };
    let mut ids: Vec<NetworkId> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name.strip_prefix("docker-")?.strip_suffix(".sock")?;
            NetworkId::parse(n).ok()
        })
        .collect();
    ids.sort();
    Ok(ids
        .into_iter()
        .map(|id| status(id, &DaemonPaths::new(run_dir, state_dir, id, None)))
        .collect())
}

/// A systemd unit running the same daemon as `renet daemon start`.
pub fn unit(
    network: NetworkId,
    renet: &Path,
    repo: Option<&Path>,
    run_dir: &Path,
    state_dir: &Path,
) -> String {
    let repo_arg = repo
        .map(|r| format!(" --repo {}", shell_quote(&r.display().to_string())))
        .unwrap_or_default();
    format!(
        "# renet daemon unit for network {network}: save as /etc/systemd/system/rediacc-docker-{network}.service\n\
         [Unit]\n\
         Description=Docker daemon for rediacc network {network}\n\
         After=network-online.target containerd.service\n\
         Wants=network-online.target\n\
         \n\
         [Service]\n\
         Type=notify\n\
         Environment=RENET_RUN_DIR={run}\n\
         Environment=RENET_STATE_DIR={state}\n\
         ExecStart={renet} daemon start --foreground --network-id {network}{repo_arg}\n\
         ExecReload=/bin/kill -s HUP $MAINPID\n\
         TimeoutStartSec=0\n\
         TimeoutStopSec=120\n\
         Restart=on-failure\n\
         RestartSec=2\n\
         KillMode=process\n\
         Delegate=yes\n\
         LimitNOFILE=infinity\n\
         LimitNPROC=infinity\n\
         TasksMax=infinity\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        run = run_dir.display(),
        state = state_dir.display(),
        renet = renet.display(),
    )
}

fn shell_quote(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b))
    {
        s.to_owned()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_config() {
        let id = NetworkId::new(2816).unwrap();
        let p = DaemonPaths::new(
            Path::new("/run/r"),
            Path::new("/var/lib/r"),
            id,
            Some(Path::new("/srv/shop")),
        );
        assert_eq!(p.socket, Path::new("/run/r/docker-2816.sock"));
        assert_eq!(p.data_root, Path::new("/srv/shop/.rediacc/docker/data"));
        let j = daemon_json(&p);
        assert_eq!(j["bridge"], "none");
        assert_eq!(j["iptables"], false);
        assert_eq!(j["ip-masq"], false);
        assert_eq!(j["hosts"][0], "unix:///run/r/docker-2816.sock");
        let standalone = DaemonPaths::new(Path::new("/run/r"), Path::new("/var/lib/r"), id, None);
        assert_eq!(
            standalone.data_root,
            Path::new("/var/lib/r/docker-2816/data")
        );
        let u = unit(
            id,
            Path::new("/usr/bin/renet"),
            Some(Path::new("/srv/my shop")),
            Path::new("/run/r"),
            Path::new("/s"),
        );
        assert!(u.contains("ExecStart=/usr/bin/renet daemon start --foreground --network-id 2816 --repo \"/srv/my shop\""));
        assert!(u.contains("Type=notify"));
    }

    #[test]
    fn a_missing_socket_is_not_running() {
        assert!(probe(Path::new("/nonexistent/docker.sock")).is_none());
        assert!(!alive_dockerd(i32::MAX));
    }
}
