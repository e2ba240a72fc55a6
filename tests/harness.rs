//! Test harness in the style of just's `tests/test.rs`: a `Test` owns a private temporary
//! folder (a repository plus its own `RENET_RUN_DIR` and `RENET_STATE_DIR`) and runs the renet
//! binary in it; `Daemon` is a per-repository dockerd that is stopped (and, failing that,
//! killed and unmounted) when it goes out of scope, even on panic.
//!
//! Every wait here is bounded: commands are killed after a timeout, polls give up after a
//! deadline.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, mpsc};
use std::thread;
use std::time::{Duration, Instant};

/// How long one renet or docker command may run before it is killed and the test fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(180);
/// How long network polls (HTTP GET, "stopped answering") keep trying.
const NETWORK_DEADLINE: Duration = Duration::from_secs(20);
/// Name of the busybox image imported into test daemons.
pub const BUSYBOX_IMAGE: &str = "renet-test/busybox:1";

/// Variables from the developer's shell that would point renet somewhere else.
const SCRUBBED_ENV: &[&str] = &[
    "REDIACC_NETWORK_ID",
    "REPOSITORY_NETWORK_ID",
    "REDIACC_WORKING_DIR",
    "REPOSITORY_PATH",
    "REDIACC_REPOSITORY",
    "COMPOSE_FILE",
    "COMPOSE_PATH_SEPARATOR",
    "COMPOSE_PROJECT_NAME",
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "RENET_RUN_DIR",
    "RENET_STATE_DIR",
];

pub fn renet_bin() -> &'static str {
    env!("CARGO_BIN_EXE_renet")
}

// ---------------------------------------------------------------------------------------------
// The temporary root folder
// ---------------------------------------------------------------------------------------------

/// The temporary folder of one test. Dropped last (every `Daemon` holds an `Arc` to it): kills
/// any process still running from it, lazily unmounts whatever dockerd left mounted in it
/// (`exec/netns/default`, the data-root bind mount after a failed start), then removes it.
struct Root {
    dir: tempfile::TempDir,
}

impl Root {
    fn new() -> Self {
        // Short paths: unix socket paths (containerd's lives under the exec-root) must stay
        // under 108 bytes.
        let dir = tempfile::Builder::new()
            .prefix("rn")
            .tempdir_in("/tmp")
            .expect("create a temp folder in /tmp");
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        kill_processes_under(self.path());
        unmount_all_under(self.path());
    }
}

/// Mount points inside `dir`, deepest first.
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(info) = fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let prefix = format!("{}/", dir.display());
    let mut found: Vec<PathBuf> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(unescape_mountinfo)
        .filter(|m| m.starts_with(&prefix))
        .map(PathBuf::from)
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    found.dedup();
    found
}

/// /proc/self/mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape_mountinfo(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && let Some(oct) = s.get(i + 1..i + 4)
            && let Ok(v) = u8::from_str_radix(oct, 8)
        {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn unmount_all_under(dir: &Path) {
    for m in mounts_under(dir) {
        if let Err(e) = nix::mount::umount2(&m, nix::mount::MntFlags::MNT_DETACH) {
            eprintln!("harness: umount -l {}: {e}", m.display());
        }
    }
}

/// Whether `pid` is a live (not zombie) process.
pub fn alive(pid: i32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    state.is_some_and(|s| s != 'Z' && s != 'X')
}

fn wait_dead(pid: i32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if !alive(pid) {
            return true;
        }
        thread::sleep(Duration::from_millis(50));
    }
    !alive(pid)
}

fn sigkill(pid: i32) {
    use nix::sys::signal::{Signal, kill};
    let _ = kill(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
}

/// Safety net: SIGKILL every process whose command line names `dir` (dockerd started through
/// `renet daemon start`, its containerd and shims). Such a process can only have been started by
/// this test: `dir` is a fresh random folder. Normally there is none left.
fn kill_processes_under(dir: &Path) {
    let needle = dir.as_os_str().as_encoded_bytes();
    let me = std::process::id();
    let Ok(entries) = fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if pid.unsigned_abs() == me || !alive(pid) {
            continue;
        }
        let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        if cmdline.windows(needle.len()).any(|w| w == needle) {
            eprintln!(
                "harness: killing leftover process {pid}: {}",
                String::from_utf8_lossy(&cmdline).replace('\0', " ")
            );
            sigkill(pid);
            wait_dead(pid, Duration::from_secs(10));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running commands, bounded
// ---------------------------------------------------------------------------------------------

/// What a finished command printed and returned.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit status; 128 + N when killed by signal N.
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
    /// The command line, for failure messages.
    pub command: String,
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "command: {}\nstatus: {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--------------",
            self.command, self.status, self.stdout, self.stderr
        )
    }
}

impl Output {
    /// Assert exit status 0.
    #[track_caller]
    pub fn success(self) -> Self {
        assert_eq!(self.status, 0, "expected success\n{self}");
        self
    }

    /// Assert this exact exit status.
    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert_eq!(self.status, code, "expected exit status {code}\n{self}");
        self
    }

    /// Assert a non-zero exit status.
    #[track_caller]
    pub fn failure(self) -> Self {
        assert_ne!(self.status, 0, "expected failure\n{self}");
        self
    }

    #[track_caller]
    pub fn stdout_has(self, needle: &str) -> Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n{self}"
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Self {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}\n{self}"
        );
        self
    }

    /// stdout parsed as one JSON document.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{self}"))
    }
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    if let Some(d) = cmd.get_current_dir() {
        s.push_str(&format!("  (in {})", d.display()));
    }
    s
}

fn reader(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    rx
}

/// Wait for `child` at most `timeout`; kill it (by its PID, which we own) when it overruns.
/// Never panics: None when it had to be killed.
fn wait_quietly(mut child: Child, command: String, timeout: Duration) -> (Output, bool) {
    let out = child.stdout.take().map(reader);
    let err = child.stderr.take().map(reader);
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    // A grandchild could keep a pipe open; never wait for that for long.
    let collect = |rx: Option<mpsc::Receiver<Vec<u8>>>| {
        rx.and_then(|rx| rx.recv_timeout(Duration::from_secs(10)).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|| "(output not captured: pipe still held open)".to_owned())
    };
    let output = Output {
        status: status.map_or(-1, |s| {
            use std::os::unix::process::ExitStatusExt;
            s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0))
        }),
        stdout: collect(out),
        stderr: collect(err),
        command,
    };
    (output, status.is_some())
}

/// Like `wait_quietly`, failing the test when the command overran.
fn wait_bounded(child: Child, command: String, timeout: Duration) -> Output {
    let (output, finished) = wait_quietly(child, command, timeout);
    assert!(
        finished,
        "command did not finish within {}s and was killed\n{output}",
        timeout.as_secs()
    );
    output
}

fn spawn_piped(mut cmd: Command) -> Result<(Child, String), String> {
    let command = describe(&cmd);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match cmd.spawn() {
        Ok(child) => Ok((child, command)),
        Err(e) => Err(format!("cannot start {command}: {e}")),
    }
}

/// Run `cmd` (stdin closed, output captured) for at most `timeout`.
pub fn run_command(cmd: Command, timeout: Duration) -> Output {
    let (child, command) = spawn_piped(cmd).unwrap_or_else(|e| panic!("{e}"));
    wait_bounded(child, command, timeout)
}

/// The renet binary with a clean environment pointing at private run and state folders, and
/// at the Docker Compose of `compose_env` (see [`Compose`]).
fn renet_command(
    run_dir: &Path,
    state_dir: &Path,
    compose_env: &[(OsString, OsString)],
) -> Command {
    let mut cmd = Command::new(renet_bin());
    for k in SCRUBBED_ENV {
        cmd.env_remove(k);
    }
    cmd.env("RENET_RUN_DIR", run_dir)
        .env("RENET_STATE_DIR", state_dir)
        .envs(compose_env.iter().map(|(k, v)| (k, v)));
    cmd
}

// ---------------------------------------------------------------------------------------------
// Which Docker Compose renet finds
// ---------------------------------------------------------------------------------------------

/// The Docker Compose flavour the renet of a [`Test`] (and of its [`Daemon`]s, and of the
/// Rediaccfile functions they run) finds. renet looks for the `docker compose` plugin in
/// `$DOCKER_CONFIG/cli-plugins` (else `$HOME/.docker/cli-plugins`) and the system plugin
/// folders, else takes `docker-compose` from PATH; the harness steers that search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compose {
    /// Compose v2, the default: `DOCKER_CONFIG=$RENET_DOCKER_CONFIG_V2`, whose
    /// `cli-plugins/docker-compose` is v2 (`.ci/run` installs it). Tests that must run on v2
    /// require [`Need::ComposeV2`] (through [`compose_lock`]).
    V2,
    /// docker-compose 1.29 from PATH as the only compose renet finds: an empty `DOCKER_CONFIG`
    /// and an empty `HOME` (no plugin there; [`Need::ComposeV1`] checks that the system plugin
    /// folders hold none either).
    V1,
}

/// Set by `.ci/run`: a docker config folder whose `cli-plugins/docker-compose` is Compose v2.
const DOCKER_CONFIG_V2: &str = "RENET_DOCKER_CONFIG_V2";

/// Where the docker CLI (and renet) also look for a `docker-compose` plugin, whatever
/// `DOCKER_CONFIG` says.
const SYSTEM_PLUGIN_DIRS: &[&str] = &[
    "/usr/local/lib/docker/cli-plugins",
    "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins",
    "/usr/libexec/docker/cli-plugins",
];

impl Compose {
    /// The variables that make renet find this flavour; `root` is the test's own folder, where
    /// v1's empty config and home folders are made.
    pub fn env(self, root: &Path) -> Vec<(OsString, OsString)> {
        match self {
            Compose::V2 => std::env::var_os(DOCKER_CONFIG_V2)
                .map(|dir| vec![("DOCKER_CONFIG".into(), dir)])
                .unwrap_or_default(),
            Compose::V1 => {
                let config = root.join("docker-config-v1");
                let home = root.join("home-v1");
                for d in [&config, &home] {
                    fs::create_dir_all(d).unwrap_or_else(|e| panic!("create {}: {e}", d.display()));
                }
                vec![
                    ("DOCKER_CONFIG".into(), config.into()),
                    ("HOME".into(), home.into()),
                ]
            }
        }
    }

    /// The prefix of the `com.docker.compose.version` label of the containers it creates.
    pub fn version_prefix(self) -> &'static str {
        match self {
            Compose::V2 => "2.",
            Compose::V1 => "1.",
        }
    }

    /// The name (as `docker inspect` shows it) of container `n` of `service` in `project`:
    /// v2 joins with `-`, 1.29 with `_`.
    pub fn container_name(self, project: &str, service: &str, n: u32) -> String {
        match self {
            Compose::V2 => format!("/{project}-{service}-{n}"),
            Compose::V1 => format!("/{project}_{service}_{n}"),
        }
    }

    /// What a test on this flavour needs from the machine.
    pub fn need(self) -> Need {
        match self {
            Compose::V2 => Need::ComposeV2,
            Compose::V1 => Need::ComposeV1,
        }
    }
}

/// `<binary> version --short`, trimmed (a leading `v` dropped), or why it could not be run.
fn short_version(binary: &Path) -> Result<String, String> {
    let mut cmd = Command::new(binary);
    cmd.args(["version", "--short"]);
    let (child, command) = spawn_piped(cmd)?;
    match wait_quietly(child, command, Duration::from_secs(60)) {
        (out, true) if out.status == 0 => {
            let v = out.stdout.trim();
            Ok(v.strip_prefix('v').unwrap_or(v).to_owned())
        }
        (out, _) => Err(format!(
            "{} cannot tell its version\n{out}",
            binary.display()
        )),
    }
}

/// Why this machine has no Compose v2 plugin for the tests, or None. Asked once per process.
fn compose_v2_unmet() -> Option<String> {
    static UNMET: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    UNMET
        .get_or_init(|| {
            let Some(dir) = std::env::var_os(DOCKER_CONFIG_V2) else {
                return Some(format!(
                    "{DOCKER_CONFIG_V2} is not set (.ci/run sets it to a docker config folder \
                     whose cli-plugins/docker-compose is Compose v2)"
                ));
            };
            if which("docker").is_none() {
                return Some("no docker CLI on PATH (Compose v2 runs as its plugin)".to_owned());
            }
            let plugin = Path::new(&dir).join("cli-plugins/docker-compose");
            if !plugin.is_file() {
                return Some(format!(
                    "{DOCKER_CONFIG_V2}: no Compose v2 plugin at {}",
                    plugin.display()
                ));
            }
            match short_version(&plugin) {
                Ok(v) if v.starts_with("2.") => None,
                Ok(v) => Some(format!("{} is Compose {v}, not 2.x", plugin.display())),
                Err(e) => Some(e),
            }
        })
        .clone()
}

/// Why this machine cannot run tests on docker-compose 1.x alone, or None. Asked once.
fn compose_v1_unmet() -> Option<String> {
    static UNMET: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    UNMET
        .get_or_init(|| {
            // A system-wide plugin is found whatever DOCKER_CONFIG says, and beats 1.x.
            if let Some(p) = SYSTEM_PLUGIN_DIRS
                .iter()
                .map(|d| Path::new(d).join("docker-compose"))
                .find(|p| p.exists())
            {
                return Some(format!(
                    "{} is installed system-wide: `docker compose` would be used, not \
                     docker-compose 1.x",
                    p.display()
                ));
            }
            let Some(binary) = which("docker-compose") else {
                return Some("no docker-compose (1.x) on PATH".to_owned());
            };
            match short_version(&binary) {
                Ok(v) if v.starts_with("1.") => None,
                Ok(v) => Some(format!("{} is Compose {v}, not 1.x", binary.display())),
                Err(e) => Some(e),
            }
        })
        .clone()
}

// ---------------------------------------------------------------------------------------------
// Test
// ---------------------------------------------------------------------------------------------

/// One test's world: `<root>/repo` (the repository), `<root>/run` (`RENET_RUN_DIR`) and
/// `<root>/state` (`RENET_STATE_DIR`). Arguments, environment and working folder set with
/// the builder methods apply to the next `run()` (or `command()`) only.
#[must_use]
pub struct Test {
    root: Arc<Root>,
    repo: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, Option<OsString>)>,
    cwd: Option<PathBuf>,
    timeout: Duration,
    /// What makes renet find the test's [`Compose`] flavour, for every run.
    compose_env: Vec<(OsString, OsString)>,
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    /// A test whose renet runs Compose v2 (see [`Compose::V2`]).
    pub fn new() -> Self {
        Self::with_compose(Compose::V2)
    }

    /// A test whose renet, daemons and Rediaccfile functions find `compose` (for every run;
    /// a run's own `env`/`env_remove` of `DOCKER_CONFIG` or `HOME` still wins).
    pub fn with_compose(compose: Compose) -> Self {
        let root = Arc::new(Root::new());
        let repo = root.path().join("repo");
        fs::create_dir(&repo).expect("create the repository folder");
        let compose_env = compose.env(root.path());
        Self {
            root,
            repo,
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
            timeout: COMMAND_TIMEOUT,
            compose_env,
        }
    }

    /// The temporary folder holding everything of this test.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// The repository folder (the default working folder of `run`).
    pub fn repo(&self) -> &Path {
        &self.repo
    }

    pub fn run_dir(&self) -> PathBuf {
        self.root().join("run")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root().join("state")
    }

    /// A further repository folder beside the first one: `<root>/<name>`.
    pub fn make_repo(&self, name: &str) -> PathBuf {
        let dir = self.root().join(name);
        fs::create_dir_all(&dir).expect("create repository folder");
        dir
    }

    /// `rel` inside the repository (an absolute path is taken as it is).
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.repo.join(rel)
    }

    /// Write a file (relative to the repository, or absolute), creating its folders.
    pub fn write(&mut self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> &mut Self {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
        }
        fs::write(&p, contents).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        self
    }

    pub fn read(&self, rel: impl AsRef<Path>) -> String {
        let p = self.path(rel);
        fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
    }

    /// Bytes of a file, or None when it does not exist.
    pub fn bytes(&self, rel: impl AsRef<Path>) -> Option<Vec<u8>> {
        fs::read(self.path(rel)).ok()
    }

    /// `.rediacc.json` of the repository, parsed.
    pub fn slot_map(&self) -> serde_json::Value {
        serde_json::from_str(&self.read(".rediacc.json")).expect(".rediacc.json is JSON")
    }

    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Self {
        self.env
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Self {
        self.env.push((key.as_ref().to_owned(), None));
        self
    }

    /// Working folder for the next run (default: the repository).
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Self {
        self.cwd = Some(self.path(dir));
        self
    }

    pub fn timeout(&mut self, t: Duration) -> &mut Self {
        self.timeout = t;
        self
    }

    /// The configured renet command, for tests that spawn several at once. Resets the
    /// per-run settings.
    pub fn command(&mut self) -> Command {
        let mut cmd = renet_command(&self.run_dir(), &self.state_dir(), &self.compose_env);
        cmd.args(std::mem::take(&mut self.args));
        for (k, v) in std::mem::take(&mut self.env) {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        cmd.current_dir(self.cwd.take().unwrap_or_else(|| self.repo.clone()));
        cmd
    }

    /// Run renet with the pending arguments; bounded by the timeout.
    pub fn run(&mut self) -> Output {
        let cmd = self.command();
        let timeout = std::mem::replace(&mut self.timeout, COMMAND_TIMEOUT);
        run_command(cmd, timeout)
    }
}

/// Whether `dir` is missing or empty.
pub fn is_empty_dir(dir: &Path) -> bool {
    fs::read_dir(dir).map_or(true, |mut d| d.next().is_none())
}

// ---------------------------------------------------------------------------------------------
// Skipped tests
// ---------------------------------------------------------------------------------------------

/// Set (to anything) to make [`Need::Dockerd`] unmet: how the skip path itself is exercised on
/// a machine that has dockerd.
const PRETEND_NO_DOCKERD: &str = "RENET_TEST_PRETEND_NO_DOCKERD";

/// Something a test needs from the machine; see [`require`].
#[derive(Clone, Copy, Debug)]
pub enum Need {
    Root,
    Dockerd,
    /// Compose v2 as the plugin of `$RENET_DOCKER_CONFIG_V2` (see [`Compose::V2`]).
    ComposeV2,
    /// docker-compose 1.x on PATH and no system-wide compose plugin (see [`Compose::V1`]).
    ComposeV1,
}

impl Need {
    /// Why this need is unmet on this machine, or None when it is met.
    fn unmet(self) -> Option<String> {
        match self {
            Need::Root => (!is_root()).then(|| "not root".to_owned()),
            Need::Dockerd if std::env::var_os(PRETEND_NO_DOCKERD).is_some() => {
                Some("no dockerd: RENET_TEST_PRETEND_NO_DOCKERD is set".to_owned())
            }
            Need::Dockerd => which("dockerd")
                .is_none()
                .then(|| "no dockerd on PATH".to_owned()),
            Need::ComposeV2 => compose_v2_unmet(),
            Need::ComposeV1 => compose_v1_unmet(),
        }
    }
}

/// Whether this machine meets every need of `test`. When it does not, the test has been
/// [`skip`]ped and must return at once.
#[must_use]
pub fn require(test: &str, needs: &[Need]) -> bool {
    let unmet: Vec<String> = needs.iter().filter_map(|n| n.unmet()).collect();
    if unmet.is_empty() {
        return true;
    }
    skip(test, &unmet.join(", "));
    false
}

/// Records that `test` cannot run on this machine; the caller returns at once. libtest counts
/// a test that returns as passed, so a skip must say so: `SKIPPED <test>: <reason>` on stderr
/// and as a line of the file `$RENET_SKIP_LOG` (counted by `.ci/run`'s summary). Under
/// `CI=true` nothing may be skipped: this panics instead.
pub fn skip(test: &str, reason: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let log = std::env::var_os("RENET_SKIP_LOG").map(PathBuf::from);
    record_skip(&full_name(test), reason, ci, log.as_deref());
}

fn record_skip(name: &str, reason: &str, ci: bool, log: Option<&Path>) {
    if ci {
        panic!("{name} cannot run here: {reason}; under CI=true nothing may be skipped");
    }
    let line = format!("SKIPPED {name}: {reason}");
    eprintln!("{line}");
    if let Some(log) = log {
        // One write of one line with O_APPEND: lines of tests skipping at once do not mix.
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()))
            .unwrap_or_else(|e| panic!("RENET_SKIP_LOG {}: {e}", log.display()));
    }
}

/// `test` with its module path (`docker::daemon_lifecycle`, as libtest prints it and as a
/// `cargo test` filter takes it): libtest names each test's thread so.
fn full_name(test: &str) -> String {
    thread::current()
        .name()
        .filter(|n| {
            n.strip_suffix(test)
                .is_some_and(|m| m.is_empty() || m.ends_with("::"))
        })
        .unwrap_or(test)
        .to_owned()
}

#[test]
fn a_skip_is_printed_and_logged_one_line_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("skips");
    record_skip("docker::a", "not root", false, Some(&log));
    record_skip("docker::b", "no dockerd on PATH", false, Some(&log));
    record_skip("docker::c", "not logged", false, None);
    assert_eq!(
        fs::read_to_string(&log).expect("skip log"),
        "SKIPPED docker::a: not root\nSKIPPED docker::b: no dockerd on PATH\n"
    );
}

#[test]
#[should_panic(
    expected = "docker::a cannot run here: not root; under CI=true nothing may be skipped"
)]
fn under_ci_a_skip_fails_the_test() {
    record_skip("docker::a", "not root", true, None);
}

#[test]
fn a_skipped_test_is_named_with_its_module_path() {
    assert_eq!(
        full_name("a_skipped_test_is_named_with_its_module_path"),
        "harness::a_skipped_test_is_named_with_its_module_path"
    );
    assert_eq!(full_name("another_name"), "another_name");
    assert_eq!(full_name("module_path"), "module_path");
}

// ---------------------------------------------------------------------------------------------
// Docker tier gating
// ---------------------------------------------------------------------------------------------

static DOCKER_LOCK: Mutex<()> = Mutex::new(());

/// Held for the whole of a docker test: one private dockerd at a time in this process (a
/// mutex: cargo test runs tests as threads), and one at a time on this machine (a file lock:
/// the services listen on fixed loopback addresses and ports).
pub struct DockerGuard {
    _file: fs::File,
    _thread: MutexGuard<'static, ()>,
}

fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|v| v.split_whitespace().nth(1).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// None (after [`skip`]) when this machine cannot run the docker tier: not root, or no
/// `dockerd` on PATH. Otherwise the guard serialising docker tests.
pub fn docker_lock(test: &str) -> Option<DockerGuard> {
    lock_with(test, &[Need::Root, Need::Dockerd])
}

/// [`docker_lock`] for a test that runs `compose` through renet: it also needs that flavour
/// (the one its [`Test::with_compose`] asks for).
pub fn compose_lock(test: &str, compose: Compose) -> Option<DockerGuard> {
    lock_with(test, &[Need::Root, Need::Dockerd, compose.need()])
}

fn lock_with(test: &str, needs: &[Need]) -> Option<DockerGuard> {
    if !require(test, needs) {
        return None;
    }
    let thread = DOCKER_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open("/tmp/renet-docker-tests.lock")
        .expect("open /tmp/renet-docker-tests.lock");
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(200));
            }
            Err(e) => {
                panic!("another process holds /tmp/renet-docker-tests.lock for 15 minutes: {e}")
            }
        }
    }
    Some(DockerGuard {
        _file: file,
        _thread: thread,
    })
}

// ---------------------------------------------------------------------------------------------
// Daemon
// ---------------------------------------------------------------------------------------------

/// A repository's dockerd, run through `renet daemon start`. On drop: remove its containers,
/// `renet daemon stop`, then as a safety net kill the pid in `docker.pid` if it still lives and
/// lazily unmount `exec/netns/default`.
pub struct Daemon {
    root: Arc<Root>,
    network_id: u32,
    repo: PathBuf,
    run_dir: PathBuf,
    state_dir: PathBuf,
    compose_env: Vec<(OsString, OsString)>,
}

impl Daemon {
    /// A guard for the daemon of `network_id` serving `repo`, without starting it (for tests
    /// that drive `renet daemon` themselves and still want the cleanup).
    pub fn guard(t: &Test, network_id: u32, repo: &Path) -> Self {
        Self {
            root: Arc::clone(&t.root),
            network_id,
            repo: repo.to_owned(),
            run_dir: t.run_dir(),
            state_dir: t.state_dir(),
            compose_env: t.compose_env.clone(),
        }
    }

    /// Use another `RENET_RUN_DIR` than the test's.
    pub fn with_run_dir(mut self, run_dir: PathBuf) -> Self {
        self.run_dir = run_dir;
        self
    }

    /// Start the daemon (asserting success) and return its guard.
    pub fn start(t: &Test, network_id: u32, repo: &Path) -> Self {
        let d = Self::guard(t, network_id, repo);
        d.renet(["daemon", "start"]).success();
        assert!(
            d.socket().exists(),
            "no socket at {} after start",
            d.socket().display()
        );
        d
    }

    pub fn network_id(&self) -> u32 {
        self.network_id
    }

    pub fn socket(&self) -> PathBuf {
        self.run_dir
            .join(format!("docker-{}.sock", self.network_id))
    }

    pub fn dir(&self) -> PathBuf {
        self.run_dir.join(format!("docker-{}", self.network_id))
    }

    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// `renet <args...> --network-id N --repo DIR` for this daemon, in the repository.
    pub fn renet<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.renet_cmd();
        cmd.args(args);
        cmd.arg("--network-id")
            .arg(self.network_id.to_string())
            .arg("--repo")
            .arg(&self.repo);
        run_command(cmd, COMMAND_TIMEOUT)
    }

    /// `renet compose --network-id N --repo DIR -- <args...>`, in the repository.
    pub fn compose<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.renet_cmd();
        cmd.arg("compose")
            .arg("--network-id")
            .arg(self.network_id.to_string())
            .arg("--repo")
            .arg(&self.repo);
        cmd.arg("--").args(args);
        run_command(cmd, COMMAND_TIMEOUT)
    }

    fn renet_cmd(&self) -> Command {
        let mut cmd = renet_command(&self.run_dir, &self.state_dir, &self.compose_env);
        cmd.current_dir(&self.repo);
        cmd
    }

    /// The docker CLI against this daemon.
    pub fn docker<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new("docker");
        cmd.args(args)
            .env("DOCKER_HOST", self.docker_host())
            .env_remove("DOCKER_CONTEXT");
        run_command(cmd, COMMAND_TIMEOUT)
    }

    /// IDs of every container, running or not.
    pub fn containers(&self) -> Vec<String> {
        self.docker(["ps", "-aq"])
            .success()
            .stdout
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }

    /// The ID of the one container of compose service `service`.
    pub fn container_of(&self, service: &str) -> String {
        let out = self
            .docker([
                "ps",
                "-q",
                "--filter",
                &format!("label=com.docker.compose.service={service}"),
            ])
            .success();
        let ids: Vec<&str> = out.stdout.split_whitespace().collect();
        assert_eq!(
            ids.len(),
            1,
            "expected one container for service {service}\n{out}"
        );
        ids[0].to_owned()
    }

    /// Assert that `compose` created every container of this daemon (there is at least one):
    /// their `com.docker.compose.version` labels name its major version.
    #[track_caller]
    pub fn assert_made_by(&self, compose: Compose) {
        let ids = self.containers();
        assert!(
            !ids.is_empty(),
            "no container to tell the compose version by"
        );
        for id in ids {
            let info = self.inspect(&id);
            let version = info["Config"]["Labels"]["com.docker.compose.version"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(
                version.starts_with(compose.version_prefix()),
                "container {id} was made by compose {version:?}, not {compose:?}: {}",
                info["Name"]
            );
        }
    }

    /// `docker inspect` of one container, parsed.
    pub fn inspect(&self, id: &str) -> serde_json::Value {
        let v = self.docker(["inspect", id]).success().json();
        v.get(0)
            .cloned()
            .unwrap_or_else(|| panic!("docker inspect {id} returned {v}"))
    }

    /// Import a busybox image (`renet-test/busybox:1`): bin/busybox plus applet symlinks,
    /// `tar -c . | docker import -`.
    pub fn import_busybox(&self) {
        let dir = self.root.path().join("busybox-rootfs");
        let bin = dir.join("bin");
        if !bin.join("busybox").exists() {
            fs::create_dir_all(&bin).expect("create busybox rootfs");
            fs::copy("/usr/bin/busybox", bin.join("busybox"))
                .expect("copy /usr/bin/busybox (busybox-static)");
            for applet in [
                "sh", "httpd", "nc", "sleep", "echo", "cat", "wget", "mkdir", "ls",
            ] {
                std::os::unix::fs::symlink("busybox", bin.join(applet))
                    .expect("symlink busybox applet");
            }
            fs::create_dir_all(dir.join("tmp")).expect("create rootfs /tmp");
        }
        let mut tar = Command::new("tar")
            .arg("-C")
            .arg(&dir)
            .args(["-c", "."])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start tar");
        let mut import = Command::new("docker");
        import
            .args(["import", "-c", r#"CMD ["/bin/sh"]"#, "-", BUSYBOX_IMAGE])
            .env("DOCKER_HOST", self.docker_host())
            .env_remove("DOCKER_CONTEXT");
        let command = describe(&import);
        let child = import
            .stdin(Stdio::from(tar.stdout.take().expect("tar stdout")))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start docker import");
        let out = wait_bounded(child, command, COMMAND_TIMEOUT);
        let tar_status = tar.wait().expect("wait for tar");
        assert!(tar_status.success(), "tar failed: {tar_status}");
        out.success();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let dir = self.dir();
        // Containers first, so nothing keeps listening on the shared loopback addresses.
        if self.socket().exists() {
            let mut ps = Command::new("docker");
            ps.args(["ps", "-aq"])
                .env("DOCKER_HOST", self.docker_host())
                .env_remove("DOCKER_CONTEXT");
            if let Some(out) = try_run(ps, Duration::from_secs(30)) {
                let ids: Vec<&str> = out.stdout.split_whitespace().collect();
                if !ids.is_empty() {
                    let mut rm = Command::new("docker");
                    rm.args(["rm", "-f"])
                        .args(&ids)
                        .env("DOCKER_HOST", self.docker_host())
                        .env_remove("DOCKER_CONTEXT");
                    let _ = try_run(rm, Duration::from_secs(60));
                }
            }
        }
        let mut stop = renet_command(&self.run_dir, &self.state_dir, &self.compose_env);
        stop.args([
            "daemon",
            "stop",
            "--timeout",
            "30",
            "--network-id",
            &self.network_id.to_string(),
        ]);
        stop.current_dir(self.root.path());
        match try_run(stop, Duration::from_secs(90)) {
            Some(out) if out.status == 0 => {}
            Some(out) => eprintln!("harness: renet daemon stop failed\n{out}"),
            None => eprintln!("harness: renet daemon stop did not finish"),
        }
        // Safety net: the daemon we started must be gone.
        let pid = fs::read_to_string(dir.join("docker.pid"))
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok());
        if let Some(pid) = pid
            && alive(pid)
            && fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "dockerd")
        {
            eprintln!("harness: dockerd {pid} still alive after stop; killing it");
            sigkill(pid);
            wait_dead(pid, Duration::from_secs(20));
        }
        let netns = dir.join("exec/netns/default");
        if mounts_under(&dir).contains(&netns) {
            let _ = Command::new("umount").arg("-l").arg(&netns).status();
        }
    }
}

/// Like `run_command`, for Drop (which may run while a test panics, where a second panic would
/// abort the whole test binary): never panics; None when it could not start or overran.
fn try_run(cmd: Command, timeout: Duration) -> Option<Output> {
    match spawn_piped(cmd) {
        Ok((child, command)) => match wait_quietly(child, command, timeout) {
            (out, true) => Some(out),
            (out, false) => {
                eprintln!("harness: killed after {}s\n{out}", timeout.as_secs());
                None
            }
        },
        Err(e) => {
            eprintln!("harness: {e}");
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP over loopback
// ---------------------------------------------------------------------------------------------

/// One `GET /` to `addr` (loopback only). Ok(body) on a 200 answer.
pub fn http_get_once(addr: &str) -> Result<String, String> {
    http_get_path_once(addr, "/")
}

/// One `GET <path>` to `addr` (loopback only). Ok(body) on a 200 answer.
pub fn http_get_path_once(addr: &str, path: &str) -> Result<String, String> {
    let sock: SocketAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    assert!(
        sock.ip().is_loopback(),
        "tests only talk to loopback addresses, not {addr}"
    );
    let mut s = TcpStream::connect_timeout(&sock, Duration::from_secs(2))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("send to {addr}: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .map_err(|e| format!("read from {addr}: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    // busybox httpd passes a CGI script's own header block through: it may end in "\n\n".
    let end = [("\r\n\r\n", 4), ("\n\n", 2)]
        .iter()
        .filter_map(|(sep, len)| text.find(sep).map(|at| (at, *len)))
        .min()
        .ok_or_else(|| format!("{addr}{path}: no HTTP answer: {text:?}"))?;
    let (head, body) = (&text[..end.0], &text[end.0 + end.1..]);
    let status = head.lines().next().unwrap_or("");
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(format!("{addr}{path}: {status}"));
    }
    Ok(body.to_owned())
}

/// Poll `GET http://addr/` until it answers 200 (at most about 20 s); the body.
#[track_caller]
pub fn http_get(addr: &str) -> String {
    let deadline = Instant::now() + NETWORK_DEADLINE;
    loop {
        match http_get_once(addr) {
            Ok(body) => return body,
            Err(e) if Instant::now() >= deadline => {
                panic!("no HTTP answer from {addr} within 20s: {e}")
            }
            Err(_) => thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Poll until nothing accepts connections on `addr` any more (at most about 20 s).
#[track_caller]
pub fn wait_refused(addr: &str) {
    refused_within(addr, NETWORK_DEADLINE, "still accepts connections");
}

/// Before a test binds `addr`: wait (at most 60 s) until no process outside this test listens
/// there, e.g. another engineer's stack on the same machine.
#[track_caller]
pub fn wait_address_free(addr: &str) {
    refused_within(
        addr,
        Duration::from_secs(60),
        "is in use by a process outside this test; stop it and rerun",
    );
}

#[track_caller]
fn refused_within(addr: &str, limit: Duration, complaint: &str) {
    let sock: SocketAddr = addr.parse().expect("socket address");
    assert!(
        sock.ip().is_loopback(),
        "tests only talk to loopback addresses"
    );
    let deadline = Instant::now() + limit;
    while TcpStream::connect_timeout(&sock, Duration::from_secs(2)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "{addr} {complaint} (waited {}s)",
            limit.as_secs()
        );
        thread::sleep(Duration::from_millis(100));
    }
}

/// Poll `f` until it returns Some (at most `limit`).
#[track_caller]
pub fn eventually<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "gave up after {}s waiting for {what}",
            limit.as_secs()
        );
        thread::sleep(Duration::from_millis(100));
    }
}
