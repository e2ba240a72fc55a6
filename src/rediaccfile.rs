//! Rediaccfiles (SPEC section 4): discovery, checks, and running one function in bash.
//!
//! Each function runs in its own `bash` process that sources the file from the file's own
//! folder, so a failure (non-zero status, or an unset variable under the file's own `set -u`)
//! fails that function only. Output is streamed line by line with the folder as a prefix.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::output;

pub const FUNCTIONS: [&str; 4] = ["prep", "up", "down", "info"];

/// One Rediaccfile of a repository.
#[derive(Debug, Clone, Serialize)]
pub struct Rediaccfile {
    /// Folder relative to the repository root: "." for the root.
    pub folder: String,
    pub path: PathBuf,
    /// Functions it defines (of prep, up, down, info), by reading the file.
    pub functions: Vec<String>,
    /// Why it cannot be run (a folder, unreadable, a bash syntax error), if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Rediaccfile {
    pub fn is_root(&self) -> bool {
        self.folder == "."
    }

    pub fn defines(&self, function: &str) -> bool {
        self.functions.iter().any(|f| f == function)
    }

    /// The prefix shown before each line of its output.
    pub fn label(&self) -> &str {
        if self.is_root() { "root" } else { &self.folder }
    }
}

/// The root's Rediaccfile (if any) first, then first-level folders A to Z (byte order); hidden
/// folders and deeper levels are never looked at.
pub fn discover(repo: &Path) -> std::io::Result<Vec<Rediaccfile>> {
    let mut out = Vec::new();
    for folder in crate::context::rediaccfile_folders(repo)? {
        let Some(path) = crate::context::rediaccfile_in(&folder) else {
            continue;
        };
        let rel = folder.strip_prefix(repo).map_or_else(
            |_| folder.display().to_string(),
            |p| p.display().to_string(),
        );
        let folder = if rel.is_empty() { ".".to_owned() } else { rel };
        out.push(inspect(folder, path));
    }
    Ok(out)
}

fn inspect(folder: String, path: PathBuf) -> Rediaccfile {
    let mut rf = Rediaccfile {
        folder,
        path,
        functions: Vec::new(),
        problem: None,
    };
    if rf.path.is_dir() {
        rf.problem = Some(format!(
            "{} is a folder, not a file; a Rediaccfile is a bash file",
            rf.path.display()
        ));
        return rf;
    }
    let text = match std::fs::read(&rf.path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            rf.problem = Some(format!("{}: cannot read it: {e}", rf.path.display()));
            return rf;
        }
    };
    rf.functions = defined_functions(&text);
    // `bash -n` parses without running anything, so syntax errors are reported up front with
    // bash's own line number.
    match Command::new("bash")
        .arg("-n")
        .arg(&rf.path)
        .stdin(Stdio::null())
        .output()
    {
        Ok(out) if !out.status.success() => {
            let msg = String::from_utf8_lossy(&out.stderr).trim().to_owned();
            rf.problem = Some(format!("bash syntax error in {}: {msg}", rf.path.display()));
        }
        Ok(_) => {}
        Err(e) => {
            rf.problem = Some(format!(
                "cannot run bash to check {}: {e}",
                rf.path.display()
            ))
        }
    }
    rf
}

/// The lifecycle functions a file defines, found by reading it (`up() {`, `function up {`,
/// `function up() {`). Running is authoritative: the runner checks `declare -F` again.
pub fn defined_functions(text: &str) -> Vec<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let l = line.trim_start();
        let l = l.strip_prefix("function ").map_or(l, str::trim_start);
        for f in FUNCTIONS {
            if let Some(rest) = l.strip_prefix(f) {
                let rest = rest.trim_start();
                let is_def = rest.starts_with("()")
                    || rest.starts_with("( )")
                    || (line.trim_start().starts_with("function ")
                        && (rest.starts_with('{') || rest.is_empty()));
                if is_def {
                    found.insert(f);
                }
            }
        }
    }
    FUNCTIONS
        .iter()
        .filter(|f| found.contains(*f))
        .map(|f| (*f).to_owned())
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub function: String,
    /// Exit status; None when it was killed (timeout) or could not start.
    pub exit_status: Option<i32>,
    pub seconds: f64,
    pub ok: bool,
    /// Set when the function was not defined after sourcing (nothing ran).
    pub skipped: bool,
    /// The signal (SIGINT, SIGTERM) renet received and passed on while the function ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interrupted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

pub struct RunOptions<'a> {
    pub env: &'a [(String, String)],
    pub timeout: Option<Duration>,
    /// Collect stdout instead of streaming it (for `info`).
    pub capture: bool,
}

/// What the bash process does: source the file, check the function exists, call it. The
/// marker file tells renet "not defined" apart from any exit status the function may use.
const RUNNER: &str = r#"source "./$RENET_RF_FILE" || exit
if ! declare -F "$RENET_RF_FUNCTION" >/dev/null; then : > "$RENET_RF_MARK"; exit 0; fi
"$RENET_RF_FUNCTION""#;

pub fn run(rf: &Rediaccfile, function: &str, opts: &RunOptions<'_>) -> (Run, String) {
    let began = Instant::now();
    let mut result = Run {
        function: function.to_owned(),
        exit_status: None,
        seconds: 0.0,
        ok: false,
        skipped: false,
        interrupted: None,
        error: None,
    };
    if let Some(p) = &rf.problem {
        result.error = Some(p.clone());
        return (result, String::new());
    }
    let folder = rf.path.parent().unwrap_or(Path::new("."));
    let mark = std::env::temp_dir().join(format!("renet-rf-{}-{}", std::process::id(), unique()));
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(RUNNER)
        .arg("renet")
        .current_dir(folder)
        .env("RENET_RF_FILE", rf.path.file_name().unwrap_or_default())
        .env("RENET_RF_FUNCTION", function)
        .env("RENET_RF_MARK", &mark)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in opts.env {
        cmd.env(k, v);
    }
    {
        use std::os::unix::process::CommandExt;
        // Its own process group, so a timeout kills everything the function started.
        cmd.process_group(0);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            result.error = Some(format!("cannot start bash: {e}"));
            return (result, String::new());
        }
    };
    let (tx, rx) = mpsc::channel::<(bool, String)>();
    let mut readers = Vec::new();
    for (is_err, stream) in [
        (
            false,
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ),
        (
            true,
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ),
    ] {
        let Some(stream) = stream else { continue };
        let tx = tx.clone();
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if tx.send((is_err, line)).is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);
    let label = rf.label().to_owned();
    let deadline = opts.timeout.map(|t| began + t);
    let mut captured = String::new();
    let mut timed_out = false;
    // Ctrl-C or SIGTERM aimed at renet reaches the function's process group too: it runs in a
    // group of its own, so the terminal's signal would not.
    let watch = crate::signals::Watch::global();
    let mut interrupted = None;
    let show = |is_err: bool, line: String, captured: &mut String| {
        if opts.capture && !is_err {
            captured.push_str(&line);
            captured.push('\n');
        } else {
            output::note(&format!("[{label}] {line}"));
        }
    };
    // The function is done when its bash exits, not when its output pipes close: a background
    // job it started (`./server &`) may hold them open for ever.
    let status = loop {
        if let Some(sig) = watch.take() {
            interrupted = Some(sig);
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(child.id() as i32), sig);
        }
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) => {}
            Err(e) => break Err(e),
        }
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok((is_err, line)) => show(is_err, line, &mut captured),
            Err(mpsc::RecvTimeoutError::Disconnected | mpsc::RecvTimeoutError::Timeout) => {}
        }
        if let Some(d) = deadline
            && Instant::now() >= d
            && !timed_out
        {
            timed_out = true;
            kill_group(child.id());
        }
    };
    // Show what bash wrote before it exited; stop once the pipes close or go quiet (a background
    // job still holding them keeps running, its later output is not shown).
    let drain_until = Instant::now() + Duration::from_millis(300);
    while let Ok((is_err, line)) =
        rx.recv_timeout(drain_until.saturating_duration_since(Instant::now()))
    {
        show(is_err, line, &mut captured);
    }
    drop(readers);
    result.seconds = began.elapsed().as_secs_f64();
    result.skipped = mark.exists();
    let _ = std::fs::remove_file(&mark);
    result.interrupted = interrupted.map(|s| s.as_str().to_owned());
    match status {
        Ok(s) if timed_out => {
            let _ = s;
            result.error = Some(format!(
                "{function} in {} did not finish within {}s; it and everything it started were killed",
                rf.path.display(),
                opts.timeout.unwrap_or_default().as_secs()
            ));
        }
        Ok(s) => {
            result.exit_status = s.code();
            result.ok = s.success();
            if !result.ok {
                result.error = Some(match s.code() {
                    Some(c) => {
                        format!("{function} in {} exited with status {c}", rf.path.display())
                    }
                    None => format!("{function} in {} was killed by a signal", rf.path.display()),
                });
            }
        }
        Err(e) => result.error = Some(format!("waiting for bash: {e}")),
    }
    (result, captured)
}

fn kill_group(pid: u32) {
    use nix::sys::signal::{Signal, killpg};
    use nix::unistd::Pid;
    let pgid = Pid::from_raw(pid as i32);
    let _ = killpg(pgid, Signal::SIGTERM);
    std::thread::sleep(Duration::from_millis(500));
    let _ = killpg(pgid, Signal::SIGKILL);
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_function_definitions() {
        let text = "#!/bin/bash\nup() {\n  :\n}\nfunction down {\n :\n}\nfunction info() { :; }\n# prep() is legacy\nupdate() { :; }\n  prep ( ) { :; }\n";
        assert_eq!(defined_functions(text), vec!["prep", "up", "down", "info"]);
        assert!(defined_functions("echo up\nup\n").is_empty());
    }

    fn file(dir: &Path, name: &str, text: &str) -> Rediaccfile {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        inspect(".".into(), p)
    }

    #[test]
    fn runs_defined_functions_and_skips_others() {
        let t = tempfile::tempdir().unwrap();
        let rf = file(
            t.path(),
            "Rediaccfile",
            "set -u\nup() { echo \"in $PWD with $GREETING\"; }\ndown() { echo $UNSET_VAR; }\ninfo() { echo hello; }\n",
        );
        assert!(rf.problem.is_none());
        let env = vec![("GREETING".to_owned(), "hi".to_owned())];
        let opts = RunOptions {
            env: &env,
            timeout: None,
            capture: false,
        };
        let (r, _) = run(&rf, "up", &opts);
        assert!(r.ok && !r.skipped, "{r:?}");
        let (r, _) = run(&rf, "down", &opts);
        assert!(
            !r.ok && r.exit_status.is_some_and(|c| c != 0),
            "unset variable under set -u fails: {r:?}"
        );
        let (r, _) = run(&rf, "prep", &opts);
        assert!(r.ok && r.skipped);
        let (r, out) = run(
            &rf,
            "info",
            &RunOptions {
                capture: true,
                ..opts
            },
        );
        assert!(r.ok);
        assert_eq!(out, "hello\n");
    }

    #[test]
    fn timeout_kills_the_whole_group() {
        let t = tempfile::tempdir().unwrap();
        let rf = file(t.path(), "Rediaccfile", "up() { sleep 300 & sleep 300; }\n");
        let (r, _) = run(
            &rf,
            "up",
            &RunOptions {
                env: &[],
                timeout: Some(Duration::from_millis(300)),
                capture: false,
            },
        );
        assert!(!r.ok);
        assert!(r.error.unwrap().contains("did not finish within"));
        assert!(r.seconds < 60.0);
    }

    #[test]
    fn syntax_errors_and_folders_are_problems() {
        let t = tempfile::tempdir().unwrap();
        let rf = file(t.path(), "Rediaccfile", "up() {\n  echo (\n}\n");
        assert!(rf.problem.unwrap().contains("bash syntax error"));
        std::fs::create_dir(t.path().join("sub")).unwrap();
        std::fs::create_dir(t.path().join("sub/Rediaccfile")).unwrap();
        let dir = inspect("sub".into(), t.path().join("sub/Rediaccfile"));
        assert!(dir.problem.unwrap().contains("is a folder"));
    }
}
