//! Running one Rediaccfile function in bash.
//!
//! Each function runs in its own `bash` process that has sourced the file from the file's own
//! folder ([`Sourced`]), so a failure (non-zero status, or an unset variable under the file's
//! own `set -u`) fails that function only. Output is streamed line by line with the folder as a
//! prefix.

use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::{Serialize, Serializer};

use super::shell::{Sourced, kill_group};
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

    /// bash's exit status (also of a top level that exited or failed); None when it was
    /// killed (timeout, signal) or could not start.
    pub(crate) fn exit_status(&self) -> Option<i32> {
        match &self.outcome {
            Outcome::Done | Outcome::Skipped => Some(0),
            Outcome::Failed(RunError::Exited { code, .. }) => Some(*code),
            Outcome::Failed(RunError::Broken(p)) => p.exit_status(),
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

/// Run `function` of `rf` in a bash that sources it first: its output streamed to `out`
/// (stdout captured instead with `opts.capture`, and returned).
pub(crate) fn run(
    rf: &Rediaccfile,
    function: Function,
    opts: &RunOptions<'_>,
    out: &Printer,
) -> (Run, String) {
    if let Some(p) = &rf.problem {
        return (
            not_run(function, RunError::Broken(p.clone()), None),
            String::new(),
        );
    }
    match Sourced::start(rf, opts, out) {
        Ok(sourced) => run_sourced(sourced, function, opts, out),
        Err((problem, interrupted)) => (
            not_run(function, RunError::Broken(problem), interrupted),
            String::new(),
        ),
    }
}

fn not_run(function: Function, e: RunError, interrupted: Option<Signal>) -> Run {
    Run {
        function,
        seconds: 0.0,
        outcome: Outcome::Failed(e),
        interrupted,
    }
}

/// Run `function` in the bash that has sourced its file; skipped when bash does not know it.
pub(super) fn run_sourced(
    mut sourced: Sourced,
    function: Function,
    opts: &RunOptions<'_>,
    out: &Printer,
) -> (Run, String) {
    let began = Instant::now();
    if !sourced.functions.contains(&function) {
        sourced.order(None);
        sourced.drain(out);
        let run = Run {
            function,
            seconds: 0.0,
            outcome: Outcome::Skipped,
            interrupted: sourced.interrupted,
        };
        return (run, std::mem::take(&mut sourced.lines.captured));
    }
    sourced.order(Some(function));
    let waited = supervise(&mut sourced, opts, out);
    let path = sourced.path.clone();
    let run = Run {
        function,
        seconds: began.elapsed().as_secs_f64(),
        outcome: outcome(path, function, opts, waited.status, waited.timed_out),
        interrupted: waited.interrupted,
    };
    (run, std::mem::take(&mut sourced.lines.captured))
}

struct Waited {
    status: std::io::Result<ExitStatus>,
    timed_out: bool,
    interrupted: Option<Signal>,
}

/// Stream the function's output until its bash exits, passing signals on and enforcing the
/// timeout.
fn supervise(s: &mut Sourced, opts: &RunOptions<'_>, out: &Printer) -> Waited {
    let group = Pid::from_raw(s.child.id() as i32);
    let deadline = opts.timeout.map(|t| Instant::now() + t);
    let mut timed_out = false;
    let mut interrupted = s.interrupted;
    // The function is done when its bash exits, not when its output pipes close: a background
    // job it started (`./server &`) may hold them open for ever.
    let status = loop {
        if let Some(sig) = opts.watch.take() {
            interrupted = Some(sig);
            let _ = killpg(group, sig);
        }
        match s.child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) => {}
            Err(e) => break Err(e),
        }
        match s.rx.recv_timeout(Duration::from_millis(50)) {
            Ok(msg) => s.lines.show(out, msg),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if let Some(d) = deadline
            && Instant::now() >= d
            && !timed_out
        {
            timed_out = true;
            kill_group(group);
        }
    };
    s.drain(out);
    Waited {
        status,
        timed_out,
        interrupted,
    }
}

fn outcome(
    path: PathBuf,
    function: Function,
    opts: &RunOptions<'_>,
    status: std::io::Result<ExitStatus>,
    timed_out: bool,
) -> Outcome {
    let error = match status {
        Err(e) => RunError::Wait(e),
        Ok(_) if timed_out => RunError::TimedOut {
            function,
            path,
            timeout: opts.timeout.unwrap_or_default(),
        },
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::discovery::inspect;
    use super::*;
    use crate::output::Stream;

    fn file(dir: &Path, text: &str) -> Rediaccfile {
        let p = dir.join("Rediaccfile");
        std::fs::write(&p, text).unwrap();
        inspect(dir, ".".into(), p)
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
        let error = doc["error"].as_str().unwrap();
        assert!(
            error.contains("exited with status 3 while being sourced"),
            "{error}"
        );
    }

    /// What bash knows after sourcing, not what the text looks like.
    fn functions_of(dir: &Path, text: &str) -> Result<Vec<Function>, Problem> {
        let rf = file(dir, text);
        let watch = Watch::unhooked();
        Sourced::start(&rf, &opts(&[], &watch), &Printer::recording())
            .map(|s| s.functions.clone())
            .map_err(|(p, _)| p)
    }

    #[test]
    fn functions_are_what_bash_knows_after_sourcing() {
        use Function::{Down, Info, Prep, Up};
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        let got = functions_of(d, "prep() { echo p; }; up() { echo u; }; other() { :; }\n");
        assert_eq!(got.unwrap(), [Prep, Up], "one line");
        std::fs::write(d.join("lib.sh"), "down() { :; }\ninfo() { :; }\n").unwrap();
        assert_eq!(
            functions_of(d, "source ./lib.sh\n").unwrap(),
            [Down, Info],
            "a library"
        );
        let cond = "if [ -n \"${HOME:-}\" ]; then up() { :; }; else down() { :; }; fi\n";
        assert_eq!(functions_of(d, cond).unwrap(), [Up], "conditional");
        assert_eq!(
            functions_of(d, "[ -n x ] && eval 'info() { :; }'\n").unwrap(),
            [Info]
        );
        let no = "echo 'up() { :; }'\n# down() { :; }\n";
        assert!(
            functions_of(d, no).unwrap().is_empty(),
            "text is not a definition"
        );
        // The file's own use of fds 3-9 and stdin does not touch renet's channel.
        let fds = "exec 3>/dev/null 4</dev/null 9>&1 0</dev/null\nup() { :; }\n";
        assert_eq!(functions_of(d, fds).unwrap(), [Up]);
        // Functions named like the builtins the wrapper uses do not confuse it.
        let shadow = "printf() { :; }\nread() { :; }\ndeclare() { :; }\nup() { :; }\n";
        assert_eq!(functions_of(d, shadow).unwrap(), [Up]);
    }

    #[test]
    fn a_top_level_that_exits_or_fails_fails_the_file() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        for (text, code) in [
            ("up() { :; }\nexit 0\n", 0),
            ("up() { :; }\nexit 4\n", 4),
            ("set -e\nfalse\nup() { :; }\n", 1),
        ] {
            let got = functions_of(d, text);
            assert!(
                matches!(got, Err(Problem::TopLevelExit { code: c, .. }) if c == code),
                "{text:?}: {got:?}"
            );
        }
        let got = functions_of(d, "up() { :; }\n[ -n \"\" ] && echo debug\n");
        assert!(
            matches!(got, Err(Problem::TopLevelFailed { code: 1, .. })),
            "{got:?}"
        );
        let msg = got.unwrap_err().to_string();
        assert!(
            msg.contains("sourcing ") && msg.contains("failed with status 1"),
            "{msg}"
        );
        // `return` ends sourcing early, with its status.
        assert!(functions_of(d, "up() { :; }\nreturn 0\ndown() { :; }\n").is_ok());
    }

    /// Top-level code runs once per function run, in the bash that runs the function; its output
    /// is shown with the folder's prefix; the function does not get renet's channel.
    #[test]
    fn the_top_level_runs_once_per_function_in_the_same_shell() {
        let t = tempfile::tempdir().unwrap();
        let log = t.path().join("log");
        let text = "echo top >> \"$LOG\"\necho 'top says hi'\nSEEN=$$\n\
                    up() { echo \"up $([ \"$SEEN\" = $$ ] && echo same)\" >> \"$LOG\"; \
                    if { true >&250; } 2>/dev/null; then echo leak; else echo closed; fi; }\n";
        let rf = file(t.path(), text);
        let env = vec![("LOG".to_owned(), log.display().to_string())];
        let watch = Watch::unhooked();
        let out = Printer::recording();
        let (r, _) = run(&rf, Function::Up, &opts(&env, &watch), &out);
        assert!(r.ok() && !r.skipped(), "{r:?}");
        let (r, _) = run(&rf, Function::Down, &opts(&env, &watch), &out);
        assert!(r.ok() && r.skipped(), "{r:?}");
        assert_eq!(
            std::fs::read_to_string(&log).unwrap(),
            "top\nup same\ntop\n"
        );
        let err = out.text(Stream::Stderr);
        assert!(err.contains("[root] top says hi\n"), "{err}");
        assert!(
            err.contains("[root] closed\n") && !err.contains("leak"),
            "{err}"
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
        let started = t.path().join("started");
        let rf = file(t.path(), "up() { : > \"$MARK\"; sleep 300; }\n");
        let env = vec![("MARK".to_owned(), started.display().to_string())];
        let watch = Watch::unhooked();
        let (r, _) = std::thread::scope(|s| {
            // Raised once the function runs (not while the file is sourced).
            s.spawn(|| {
                while !started.exists() {
                    std::thread::sleep(Duration::from_millis(10));
                }
                watch.raise(Signal::SIGTERM);
            });
            run(
                &rf,
                Function::Up,
                &opts(&env, &watch),
                &Printer::recording(),
            )
        });
        assert_eq!(r.interrupted, Some(Signal::SIGTERM));
        assert!(matches!(r.error(), Some(RunError::Killed { .. })), "{r:?}");
        assert_eq!(serde_json::to_value(&r).unwrap()["interrupted"], "SIGTERM");
        assert!(watch.interrupted());

        // One that arrives while the file is sourced stops it there: no function runs.
        let watch = Watch::unhooked();
        watch.raise(Signal::SIGINT);
        let (r, _) = run(
            &rf,
            Function::Up,
            &opts(&env, &watch),
            &Printer::recording(),
        );
        assert_eq!(r.interrupted, Some(Signal::SIGINT));
        assert!(
            matches!(
                r.error(),
                Some(RunError::Broken(Problem::TopLevelKilled { .. }))
            ),
            "{r:?}"
        );
    }

    #[test]
    fn a_broken_file_does_not_run() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join("Rediaccfile")).unwrap();
        let rf = inspect(t.path(), ".".into(), t.path().join("Rediaccfile"));
        let watch = Watch::unhooked();
        let (r, _) = run(&rf, Function::Up, &opts(&[], &watch), &Printer::recording());
        assert!(matches!(
            r.error(),
            Some(RunError::Broken(Problem::Folder { .. }))
        ));
        assert_eq!((r.exit_status(), r.seconds), (None, 0.0));
    }
}
