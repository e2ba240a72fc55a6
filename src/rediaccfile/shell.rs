//! The bash process of one Rediaccfile: it sources the file in the file's own folder, tells
//! renet over a private socket how sourcing went and which functions bash then knows
//! (`declare -F`), and waits to be told which function to run, in that same shell.
//!
//! So the file's top-level code runs once per function run, as it always did, and which
//! functions exist is bash's answer, not a reading of the text: functions on one line, from a
//! sourced library or defined conditionally count. A top level that exits (`exit 0` included)
//! never reaches the report, and one whose `source` returns non-zero reports its status: both
//! fail the file ([`Problem::TopLevelExit`], [`Problem::TopLevelFailed`]).
//!
//! The control channel is a socketpair: bash gets one end as stdin and moves it to fd 250 at
//! once (stdin becomes `/dev/null`, as before), so the file's own redirections of fds 3-9 or of
//! stdin cannot touch it, and the function runs with fd 250 closed.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::{Function, Problem, Rediaccfile, RunOptions};
use crate::output::Printer;

/// The script bash runs. Before `source` no function of the file exists, so the plain
/// builtins are safe; after it the file may have defined `printf`, `read` or `declare`
/// functions, hence `builtin`.
const SCRIPT: &str = r#"exec 250<&0 0</dev/null
source "./$RENET_RF_FILE"
RENET_RF_RC=$?
builtin printf 'sourced %s\n' "$RENET_RF_RC" >&250
(( RENET_RF_RC == 0 )) || builtin exit "$RENET_RF_RC"
builtin declare -F >&250
builtin printf 'ready\n' >&250
builtin read -r -u 250 RENET_RF_FUNCTION || builtin exit 0
[[ -n $RENET_RF_FUNCTION ]] || builtin exit 0
"$RENET_RF_FUNCTION" 250>&-"#;

/// A line from the bash process.
pub(super) enum Msg {
    Stdout(String),
    Stderr(String),
    Control(String),
}

/// Where a function's output lines go: streamed with the folder as prefix, stdout collected
/// instead when capturing (`info`).
pub(super) struct Lines {
    pub(super) label: String,
    pub(super) capture: bool,
    pub(super) captured: String,
}

impl Lines {
    pub(super) fn show(&mut self, out: &Printer, msg: Msg) {
        match msg {
            Msg::Stdout(line) if self.capture => {
                self.captured.push_str(&line);
                self.captured.push('\n');
            }
            Msg::Stdout(line) | Msg::Stderr(line) => {
                out.note(&format!("[{}] {line}", self.label));
            }
            Msg::Control(_) => {}
        }
    }
}

/// A bash that has sourced its Rediaccfile and waits for the function to run.
pub(super) struct Sourced {
    pub(super) child: Child,
    control: Option<UnixStream>,
    pub(super) rx: mpsc::Receiver<Msg>,
    pub(super) lines: Lines,
    pub(super) path: PathBuf,
    /// The lifecycle functions bash knows after sourcing, in [`Function::ALL`] order.
    pub(super) functions: Vec<Function>,
    /// A signal renet passed on while the file was sourced.
    pub(super) interrupted: Option<Signal>,
}

impl Sourced {
    /// Start bash on `rf` and wait (within `opts.timeout`) until it has sourced the file. On
    /// failure, the signal passed on meanwhile, if any, comes with the problem.
    pub(super) fn start(
        rf: &Rediaccfile,
        opts: &RunOptions<'_>,
        out: &Printer,
    ) -> Result<Self, (Problem, Option<Signal>)> {
        let path = rf.path.clone();
        let (mut child, control) = spawn(rf, opts).map_err(|source| {
            let problem = Problem::NoBash {
                path: path.clone(),
                source: std::sync::Arc::new(source),
            };
            (problem, None)
        })?;
        let rx = channel(&mut child, &control);
        let mut s = Sourced {
            child,
            control: Some(control),
            rx,
            lines: Lines {
                label: rf.label().to_owned(),
                capture: opts.capture,
                captured: String::new(),
            },
            path,
            functions: Vec::new(),
            interrupted: None,
        };
        match s.await_report(opts, out) {
            Ok(()) => Ok(s),
            Err(problem) => Err((problem, s.interrupted)),
        }
    }

    /// Read the report until `ready`, streaming the top level's output; a bash that exits
    /// first, a non-zero `source` status or the timeout fail the file.
    fn await_report(&mut self, opts: &RunOptions<'_>, out: &Printer) -> Result<(), Problem> {
        let deadline = opts.timeout.map(|t| Instant::now() + t);
        let group = Pid::from_raw(self.child.id() as i32);
        loop {
            if let Some(sig) = opts.watch.take() {
                // Interrupted while sourcing: nothing of this file runs any more.
                self.interrupted = Some(sig);
                let _ = killpg(group, sig);
                kill_group(group);
                let _ = self.child.wait();
                return Err(Problem::TopLevelKilled {
                    path: self.path.clone(),
                });
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                kill_group(group);
                let _ = self.child.wait();
                let secs = opts.timeout.unwrap_or_default().as_secs();
                return Err(Problem::TopLevelTimedOut {
                    path: self.path.clone(),
                    secs,
                });
            }
            match self.rx.recv_timeout(Duration::from_millis(50)) {
                Ok(Msg::Control(line)) => {
                    if let Some(done) = self.control_line(&line) {
                        if done.is_err() {
                            self.drain(out);
                        }
                        return done;
                    }
                }
                Ok(msg) => self.lines.show(out, msg),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            // Checked on every turn: a background job of the top level may keep writing.
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.exited(status, out));
            }
        }
    }

    /// Why bash exited while sourcing: its report may still be on its way (a `source` that
    /// returned non-zero is reported before bash exits with that status).
    fn exited(&mut self, status: std::process::ExitStatus, out: &Printer) -> Problem {
        let until = Instant::now() + Duration::from_millis(300);
        let mut failed = None;
        while let Ok(msg) = self
            .rx
            .recv_timeout(until.saturating_duration_since(Instant::now()))
        {
            match msg {
                Msg::Control(line) => {
                    if let Some(Err(p)) = self.control_line(&line) {
                        failed = Some(p);
                    }
                }
                msg => self.lines.show(out, msg),
            }
        }
        failed.unwrap_or_else(|| self.exited_while_sourcing(status))
    }

    /// One line of the report: Some when sourcing is over (ready, or failed).
    fn control_line(&mut self, line: &str) -> Option<Result<(), Problem>> {
        if line == "ready" {
            return Some(Ok(()));
        }
        if let Some(rc) = line.strip_prefix("sourced ") {
            let code: i32 = rc.trim().parse().unwrap_or(1);
            if code != 0 {
                let _ = self.child.wait();
                return Some(Err(Problem::TopLevelFailed {
                    path: self.path.clone(),
                    code,
                }));
            }
        } else if let Some(name) = line.strip_prefix("declare -f ")
            && let Some(f) = Function::ALL.into_iter().find(|f| f.name() == name)
            && !self.functions.contains(&f)
        {
            self.functions.push(f);
            self.functions.sort();
        }
        None
    }

    fn exited_while_sourcing(&self, status: std::process::ExitStatus) -> Problem {
        match status.code() {
            Some(code) => Problem::TopLevelExit {
                path: self.path.clone(),
                code,
            },
            None => Problem::TopLevelKilled {
                path: self.path.clone(),
            },
        }
    }

    /// Tell bash to run `function` (None: to exit without running anything).
    pub(super) fn order(&mut self, function: Option<Function>) {
        if let Some(mut control) = self.control.take() {
            let line = function.map_or("", Function::name);
            // A bash that died meanwhile: its exit status tells the rest.
            let _ = control.write_all(format!("{line}\n").as_bytes());
            // The reader thread holds a clone of this end: shut it for writing, so a bash
            // still waiting sees the end of its orders.
            let _ = control.shutdown(std::net::Shutdown::Write);
        }
    }

    /// Show what bash wrote until its pipes close or go quiet (300 ms): a background job still
    /// holding them keeps running, its later output is not shown.
    pub(super) fn drain(&mut self, out: &Printer) {
        let until = Instant::now() + Duration::from_millis(300);
        while let Ok(msg) = self
            .rx
            .recv_timeout(until.saturating_duration_since(Instant::now()))
        {
            self.lines.show(out, msg);
        }
    }
}

impl Drop for Sourced {
    /// A bash never told to run anything exits when its control socket closes; one that does
    /// not within two seconds is killed with its group.
    fn drop(&mut self) {
        self.order(None);
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        kill_group(Pid::from_raw(self.child.id() as i32));
        let _ = self.child.wait();
    }
}

fn spawn(rf: &Rediaccfile, opts: &RunOptions<'_>) -> std::io::Result<(Child, UnixStream)> {
    use std::os::unix::process::CommandExt;
    let folder = rf.path.parent().unwrap_or(Path::new("."));
    let (ours, theirs) = UnixStream::pair()?;
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(SCRIPT)
        .arg("renet")
        .current_dir(folder)
        .env("RENET_RF_FILE", rf.path.file_name().unwrap_or_default())
        .stdin(Stdio::from(OwnedFd::from(theirs)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout kills everything the file started.
        .process_group(0);
    for (k, v) in opts.env {
        cmd.env(k, v);
    }
    // `cmd` (holding bash's end of the socket) is dropped on return: only bash has it then,
    // so its exit closes the channel.
    Ok((cmd.spawn()?, ours))
}

/// One of bash's outputs, and what its lines are.
type Source = (fn(String) -> Msg, Option<Box<dyn Read + Send>>);

/// Lines of the child's stdout, stderr and control socket, read by a thread each. Detached: a
/// background job may keep a pipe open after bash exits.
fn channel(child: &mut Child, control: &UnixStream) -> mpsc::Receiver<Msg> {
    let (tx, rx) = mpsc::channel();
    let streams: [Source; 3] = [
        (Msg::Stdout, child.stdout.take().map(|s| Box::new(s) as _)),
        (Msg::Stderr, child.stderr.take().map(|s| Box::new(s) as _)),
        (
            Msg::Control,
            control.try_clone().ok().map(|s| Box::new(s) as _),
        ),
    ];
    for (wrap, stream) in streams {
        let Some(stream) = stream else { continue };
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if tx.send(wrap(line)).is_err() {
                    break;
                }
            }
        });
    }
    rx
}

pub(super) fn kill_group(group: Pid) {
    let _ = killpg(group, Signal::SIGTERM);
    std::thread::sleep(Duration::from_millis(500));
    let _ = killpg(group, Signal::SIGKILL);
}
