//! Running one Rediaccfile function in bash.
//!
//! Each function runs in its own `bash` process that sources the file from the file's own
//! folder, so a failure (non-zero status, or an unset variable under the file's own `set -u`)
//! fails that function only. Output is streamed line by line with the folder as a prefix.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::{Serialize, Serializer};

use super::{Function, Problem, Rediaccfile};
use crate::output::Printer;
use crate::signals::Watch;

/// How one function run ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// It ran and returned 0.
    Done,
    /// Not defined after sourcing: nothing ran.
    Skipped,
    Failed(RunError),
}

/// Why a function run failed. The message is what the operator sees and `--json` reports.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    /// The file cannot run at all (found while discovering it).
    #[error("{0}")]
    Broken(Problem),
    #[error("cannot start bash: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("waiting for bash: {0}")]
    Wait(#[source] std::io::Error),
    #[error(
        "{function} in {} did not finish within {}s; it and everything it started were killed",
        path.display(),
        timeout.as_secs()
    )]
    TimedOut {
        function: Function,
        path: PathBuf,
        timeout: Duration,
    },
    #[error("{function} in {} exited with status {code}", path.display())]
    Exited {
        function: Function,
        path: PathBuf,
        code: i32,
    },
    #[error("{function} in {} was killed by a signal", path.display())]
    Killed { function: Function, path: PathBuf },
}

/// One function run of one file.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) function: Function,
    pub(crate) seconds: f64,
    pub(crate) outcome: Outcome,
    /// The signal renet received and passed on while the function ran.
    pub(crate) interrupted: Option<Signal>,
}

impl Run {
    pub(crate) fn ok(&self) -> bool {
        matches!(self.outcome, Outcome::Done | Outcome::Skipped)
    }

    pub(crate) fn skipped(&self) -> bool {
        matches!(self.outcome, Outcome::Skipped)
    }

    pub(crate) fn error(&self) -> Option<&RunError> {
        match &self.outcome {
            Outcome::Failed(e) => Some(e),
            Outcome::Done | Outcome::Skipped => None,
        }
    }

    /// bash's exit status; None when it was killed (timeout, signal) or could not start.
    pub(crate) fn exit_status(&self) -> Option<i32> {
        match &self.outcome {
            Outcome::Done | Outcome::Skipped => Some(0),
            Outcome::Failed(RunError::Exited { code, .. }) => Some(*code),
            Outcome::Failed(_) => None,
        }
    }
}

/// The report's shape of a run (`repository ... --json`).
impl Serialize for Run {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Doc {
            function: Function,
            exit_status: Option<i32>,
            seconds: f64,
            ok: bool,
            skipped: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            interrupted: Option<&'static str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            error: Option<String>,
        }
        Doc {
            function: self.function,
            exit_status: self.exit_status(),
            seconds: self.seconds,
            ok: self.ok(),
            skipped: self.skipped(),
            interrupted: self.interrupted.map(Signal::as_str),
            error: self.error().map(ToString::to_string),
        }
        .serialize(s)
    }
}

#[derive(Clone, Copy)]
pub(crate) struct RunOptions<'a> {
    pub(crate) env: &'a [(String, String)],
    pub(crate) timeout: Option<Duration>,
    /// Collect stdout instead of streaming it (for `info`).
    pub(crate) capture: bool,
    /// SIGINT/SIGTERM aimed at renet, passed on to the function's process group: it runs in a
    /// group of its own, so a terminal's Ctrl-C would not reach it.
    pub(crate) watch: &'a Watch,
}

/// What the bash process does: source the file, check the function exists, call it. The
/// marker file tells renet "not defined" apart from any exit status the function may use.
const RUNNER: &str = r#"source "./$RENET_RF_FILE" || exit
if ! declare -F "$RENET_RF_FUNCTION" >/dev/null; then : > "$RENET_RF_MARK"; exit 0; fi
"$RENET_RF_FUNCTION""#;

/// Run `function` of `rf`: its output streamed to `out` (stdout captured instead with
/// `opts.capture`, and returned).
pub(crate) fn run(
    rf: &Rediaccfile,
    function: Function,
    opts: &RunOptions<'_>,
    out: &Printer,
) -> (Run, String) {
    let began = Instant::now();
    let not_run = |e: RunError| Run {
        function,
        seconds: 0.0,
        outcome: Outcome::Failed(e),
        interrupted: None,
    };
    if let Some(p) = &rf.problem {
        return (not_run(RunError::Broken(p.clone())), String::new());
    }
    let mark = Mark::new();
    let mut child = match spawn(rf, function, opts, &mark.0) {
        Ok(c) => c,
        Err(e) => return (not_run(RunError::Spawn(e)), String::new()),
    };
    let mut lines = Lines {
        label: rf.label(),
        capture: opts.capture,
        captured: String::new(),
        out,
    };
    let waited = supervise(&mut child, opts, &mut lines);
    let seconds = began.elapsed().as_secs_f64();
    let outcome = outcome(
        rf,
        function,
        opts,
        waited.status,
        waited.timed_out,
        mark.exists(),
    );
    let run = Run {
        function,
        seconds,
        outcome,
        interrupted: waited.interrupted,
    };
    (run, lines.captured)
}

fn spawn(
    rf: &Rediaccfile,
    function: Function,
    opts: &RunOptions<'_>,
    mark: &Path,
) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    let folder = rf.path.parent().unwrap_or(Path::new("."));
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(RUNNER)
        .arg("renet")
        .current_dir(folder)
        .env("RENET_RF_FILE", rf.path.file_name().unwrap_or_default())
        .env("RENET_RF_FUNCTION", function.name())
        .env("RENET_RF_MARK", mark)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout kills everything the function started.
        .process_group(0);
    for (k, v) in opts.env {
        cmd.env(k, v);
    }
    cmd.spawn()
}

/// Where a function's output lines go.
struct Lines<'a> {
    label: &'a str,
    capture: bool,
    captured: String,
    out: &'a Printer,
}

impl Lines<'_> {
    fn show(&mut self, is_err: bool, line: &str) {
        if self.capture && !is_err {
            self.captured.push_str(line);
            self.captured.push('\n');
        } else {
            self.out.note(&format!("[{}] {line}", self.label));
        }
    }
}

struct Waited {
    status: std::io::Result<ExitStatus>,
    timed_out: bool,
    interrupted: Option<Signal>,
}

/// Stream the child's output until its bash exits, passing signals on and enforcing the
/// timeout.
fn supervise(child: &mut Child, opts: &RunOptions<'_>, lines: &mut Lines<'_>) -> Waited {
    let rx = pipe_lines(child);
    let group = Pid::from_raw(child.id() as i32);
    let deadline = opts.timeout.map(|t| Instant::now() + t);
    let mut timed_out = false;
    let mut interrupted = None;
    // The function is done when its bash exits, not when its output pipes close: a background
    // job it started (`./server &`) may hold them open for ever.
    let status = loop {
        if let Some(sig) = opts.watch.take() {
            interrupted = Some(sig);
            let _ = killpg(group, sig);
        }
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) => {}
            Err(e) => break Err(e),
        }
        if let Ok((is_err, line)) = rx.recv_timeout(Duration::from_millis(50)) {
            lines.show(is_err, &line);
        }
        if let Some(d) = deadline
            && Instant::now() >= d
            && !timed_out
        {
            timed_out = true;
            kill_group(group);
        }
    };
    // Show what bash wrote before it exited; stop once the pipes close or go quiet (a background
    // job still holding them keeps running, its later output is not shown).
    let drain_until = Instant::now() + Duration::from_millis(300);
    while let Ok((is_err, line)) =
        rx.recv_timeout(drain_until.saturating_duration_since(Instant::now()))
    {
        lines.show(is_err, &line);
    }
    Waited {
        status,
        timed_out,
        interrupted,
    }
}

/// Lines of the child's stdout (false) and stderr (true), read by a thread each.
fn pipe_lines(child: &mut Child) -> mpsc::Receiver<(bool, String)> {
    let (tx, rx) = mpsc::channel();
    let streams: [(bool, Option<Box<dyn Read + Send>>); 2] = [
        (false, child.stdout.take().map(|s| Box::new(s) as _)),
        (true, child.stderr.take().map(|s| Box::new(s) as _)),
    ];
    for (is_err, stream) in streams {
        let Some(stream) = stream else { continue };
        let tx = tx.clone();
        // Detached: a background job of the function may keep the pipe open after bash exits.
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if tx.send((is_err, line)).is_err() {
                    break;
                }
            }
        });
    }
    rx
}

fn outcome(
    rf: &Rediaccfile,
    function: Function,
    opts: &RunOptions<'_>,
    status: std::io::Result<ExitStatus>,
    timed_out: bool,
    not_defined: bool,
) -> Outcome {
    let path = rf.path.clone();
    let error = match status {
        Err(e) => RunError::Wait(e),
        Ok(_) if timed_out => RunError::TimedOut {
            function,
            path,
            timeout: opts.timeout.unwrap_or_default(),
        },
        Ok(s) if s.success() && not_defined => return Outcome::Skipped,
        Ok(s) if s.success() => return Outcome::Done,
        Ok(s) => match s.code() {
            Some(code) => RunError::Exited {
                function,
                path,
                code,
            },
            None => RunError::Killed { function, path },
        },
    };
    Outcome::Failed(error)
}

fn kill_group(group: Pid) {
    let _ = killpg(group, Signal::SIGTERM);
    std::thread::sleep(Duration::from_millis(500));
    let _ = killpg(group, Signal::SIGKILL);
}

/// The marker file the runner script creates when the function is not defined; removed on drop.
struct Mark(PathBuf);

impl Mark {
    fn new() -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        Self(std::env::temp_dir().join(format!("renet-rf-{}-{n}", std::process::id())))
    }

    fn exists(&self) -> bool {
        self.0.exists()
    }
}

impl Drop for Mark {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::super::discovery::inspect;
    use super::*;
    use crate::output::Stream;

    fn file(dir: &Path, text: &str) -> Rediaccfile {
        let p = dir.join("Rediaccfile");
        std::fs::write(&p, text).unwrap();
        inspect(".".into(), p)
    }

    fn opts<'a>(env: &'a [(String, String)], watch: &'a Watch) -> RunOptions<'a> {
        RunOptions {
            env,
            timeout: None,
            capture: false,
            watch,
        }
    }

    #[test]
    fn runs_defined_functions_and_skips_others() {
        let t = tempfile::tempdir().unwrap();
        let rf = file(
            t.path(),
            "set -u\nup() { echo \"in $PWD with $GREETING\"; echo oops >&2; }\ndown() { echo $UNSET_VAR; }\ninfo() { echo hello; }\n",
        );
        assert!(rf.problem.is_none());
        let env = vec![("GREETING".to_owned(), "hi".to_owned())];
        let watch = Watch::unhooked();
        let o = opts(&env, &watch);
        let out = Printer::recording();
        let (r, _) = run(&rf, Function::Up, &o, &out);
        assert!(r.ok() && !r.skipped(), "{r:?}");
        assert_eq!(r.exit_status(), Some(0));
        let dir = t.path().display();
        let err = out.text(Stream::Stderr);
        // Two pipes, two reader threads: their lines may interleave either way.
        let mut lines: Vec<&str> = err.lines().collect();
        lines.sort_unstable();
        let expected = format!("[root] in {dir} with hi");
        assert_eq!(
            lines,
            [expected.as_str(), "[root] oops"],
            "both streams, prefixed"
        );
        let (r, _) = run(&rf, Function::Down, &o, &out);
        assert!(
            !r.ok() && r.exit_status().is_some_and(|c| c != 0),
            "unset variable under set -u fails: {r:?}"
        );
        assert!(matches!(r.error(), Some(RunError::Exited { .. })), "{r:?}");
        let (r, _) = run(&rf, Function::Prep, &o, &out);
        assert!(r.ok() && r.skipped());
        let captured = RunOptions { capture: true, ..o };
        let (r, text) = run(&rf, Function::Info, &captured, &out);
        assert!(r.ok());
        assert_eq!(text, "hello\n");
        let doc = serde_json::to_value(&r).unwrap();
        assert_eq!(doc["function"], "info");
        assert_eq!(doc["exit_status"], 0);
        assert!(doc.get("error").is_none() && doc.get("interrupted").is_none());
        assert!(out.text(Stream::Stdout).is_empty(), "nothing on stdout");
    }

    #[test]
    fn a_failing_top_level_fails_the_function() {
        let t = tempfile::tempdir().unwrap();
        let rf = file(t.path(), "exit 3\nup() { :; }\n");
        let watch = Watch::unhooked();
        let (r, _) = run(&rf, Function::Up, &opts(&[], &watch), &Printer::recording());
        assert_eq!(r.exit_status(), Some(3));
        let doc = serde_json::to_value(&r).unwrap();
        assert_eq!(doc["ok"], false);
        assert!(
            doc["error"]
                .as_str()
                .unwrap()
                .ends_with("exited with status 3")
        );
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let t = tempfile::tempdir().unwrap();
        let rf = file(t.path(), "up() { sleep 300 & sleep 300; }\n");
        let watch = Watch::unhooked();
        let o = RunOptions {
            timeout: Some(Duration::from_millis(300)),
            ..opts(&[], &watch)
        };
        let (r, _) = run(&rf, Function::Up, &o, &Printer::recording());
        assert!(!r.ok());
        assert_eq!(r.exit_status(), None);
        assert!(
            r.error()
                .unwrap()
                .to_string()
                .contains("did not finish within")
        );
        assert!(r.seconds < 60.0);
    }

    #[test]
    fn a_signal_is_passed_on_and_recorded() {
        let t = tempfile::tempdir().unwrap();
        let rf = file(t.path(), "up() { sleep 300; }\n");
        let watch = Watch::unhooked();
        watch.raise(Signal::SIGTERM);
        let (r, _) = run(&rf, Function::Up, &opts(&[], &watch), &Printer::recording());
        assert_eq!(r.interrupted, Some(Signal::SIGTERM));
        assert!(matches!(r.error(), Some(RunError::Killed { .. })), "{r:?}");
        assert_eq!(serde_json::to_value(&r).unwrap()["interrupted"], "SIGTERM");
        assert!(watch.interrupted());
    }

    #[test]
    fn a_broken_file_does_not_run() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join("Rediaccfile")).unwrap();
        let rf = inspect(".".into(), t.path().join("Rediaccfile"));
        let watch = Watch::unhooked();
        let (r, _) = run(&rf, Function::Up, &opts(&[], &watch), &Printer::recording());
        assert!(matches!(
            r.error(),
            Some(RunError::Broken(Problem::Folder { .. }))
        ));
        assert_eq!((r.exit_status(), r.seconds), (None, 0.0));
    }
}
