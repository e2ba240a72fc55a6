//! A repository's Rediaccfiles through `up`, `down` or `info`: the [`plan`](super::plan) run
//! step by step, with progress on the printer, each file's runs and every failure collected.

use serde::Serialize;

use super::plan::{self, BrokenRoot, Next, Step};
use super::runner::{self, Run, RunOptions};
use super::{Function, Rediaccfile};
use crate::output::Printer;

/// One file with what ran of it (`rediaccfiles` in `repository ... --json`).
#[derive(Debug, Serialize)]
pub(crate) struct FileReport {
    #[serde(flatten)]
    pub(crate) file: Rediaccfile,
    pub(crate) runs: Vec<Run>,
    /// `info`'s stdout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) info: Option<String>,
}

/// What a lifecycle run did.
#[derive(Debug)]
pub(crate) struct Lifecycle {
    pub(crate) files: Vec<FileReport>,
    /// `<folder>: <message>` for each failure, in the order they happened.
    pub(crate) failures: Vec<String>,
    /// A failure that stops the run (or a signal) ended it before its last step.
    pub(crate) stopped: bool,
}

impl Lifecycle {
    fn new(files: Vec<Rediaccfile>) -> Self {
        Self {
            files: files
                .into_iter()
                .map(|file| FileReport {
                    file,
                    runs: Vec::new(),
                    info: None,
                })
                .collect(),
            failures: Vec::new(),
            stopped: false,
        }
    }

    /// Run `steps` in order until one says stop; whether one did.
    fn execute(&mut self, steps: &[Step], opts: &RunOptions<'_>, out: &Printer) -> bool {
        for step in steps {
            let ok = self.step(step, opts, out);
            match plan::next(step, ok, opts.watch.interrupted()) {
                Next::Go => {}
                Next::Stop => return true,
                Next::Interrupted => {
                    out.error("interrupted: the remaining Rediaccfile functions were not run");
                    self.failures.push(
                        "interrupted by a signal: the remaining functions were not run".to_owned(),
                    );
                    return true;
                }
            }
        }
        false
    }

    fn step(&mut self, step: &Step, opts: &RunOptions<'_>, out: &Printer) -> bool {
        let f = &mut self.files[step.file];
        let label = f.file.label().to_owned();
        let function = step.function;
        out.note(&format!("[{}/{}] {function} {label}", step.number, step.of));
        let (run, _) = runner::run(&f.file, function, opts, out);
        let ok = run.ok();
        if let Some(e) = run.error() {
            out.error(&format!("[{label}] {e}"));
            self.failures.push(format!("{}: {e}", f.file.folder));
        } else if run.skipped() {
            out.note(&format!(
                "[{label}] {function} is not defined after sourcing; skipped"
            ));
        }
        f.runs.push(run);
        ok
    }
}

/// `repository up`: every prep, then every up (see [`plan::up`]).
pub(crate) fn up(files: Vec<Rediaccfile>, opts: &RunOptions<'_>, out: &Printer) -> Lifecycle {
    let steps = plan::up(&files);
    let mut run = Lifecycle::new(files);
    match steps {
        Ok(steps) => run.stopped = run.execute(&steps, opts, out),
        Err(BrokenRoot { file }) => {
            let f = &run.files[file].file;
            if let Some(p) = &f.problem {
                out.error(&format!("[root] {p}"));
                run.failures.push(format!("{}: {p}", f.folder));
            }
            run.stopped = true;
        }
    }
    run
}

/// `repository down`: every down, subfolders Z to A, then the root.
pub(crate) fn down(files: Vec<Rediaccfile>, opts: &RunOptions<'_>, out: &Printer) -> Lifecycle {
    let steps = plan::down(&files);
    let mut run = Lifecycle::new(files);
    run.stopped = run.execute(&steps, opts, out);
    run
}

/// `repository status`: every info, its stdout kept in the file's report.
pub(crate) fn info(files: Vec<Rediaccfile>, opts: &RunOptions<'_>, out: &Printer) -> Lifecycle {
    let steps = plan::info(&files);
    let mut run = Lifecycle::new(files);
    let opts = RunOptions {
        capture: true,
        ..*opts
    };
    for step in &steps {
        let f = &mut run.files[step.file];
        let (r, text) = runner::run(&f.file, Function::Info, &opts, out);
        if let Some(e) = r.error() {
            run.failures.push(format!("{}: {e}", f.file.folder));
        }
        f.info = Some(text);
        f.runs.push(r);
    }
    run
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::output::Stream;
    use crate::rediaccfile::discover;
    use crate::signals::Watch;

    /// A repository whose functions append `<folder> <function>` to `log` and exit with the
    /// status `rc_<folder>_<function>` says (0 when unset).
    struct Repo {
        dir: tempfile::TempDir,
        env: Vec<(String, String)>,
    }

    impl Repo {
        fn new(files: &[(&str, &str)]) -> Self {
            let dir = tempfile::tempdir().unwrap();
            for (folder, functions) in files {
                let d = dir.path().join(folder);
                std::fs::create_dir_all(&d).unwrap();
                let mut text = String::new();
                for f in functions.split_whitespace() {
                    let tag = folder.replace('.', "root");
                    text.push_str(&format!(
                        "{f}() {{ echo \"{tag} {f}\" >> \"$LOG\"; return ${{rc_{tag}_{f}:-0}}; }}\n"
                    ));
                }
                std::fs::write(d.join("Rediaccfile"), text).unwrap();
            }
            let log = dir.path().join("log").display().to_string();
            Self {
                env: vec![("LOG".to_owned(), log)],
                dir,
            }
        }

        fn fail(mut self, tag: &str) -> Self {
            self.env.push((format!("rc_{tag}"), "7".to_owned()));
            self
        }

        fn files(&self) -> Vec<Rediaccfile> {
            discover(self.dir.path()).unwrap()
        }

        fn log(&self) -> Vec<String> {
            let text = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
            let lines = text.lines().map(str::to_owned).collect();
            let _ = std::fs::remove_file(self.dir.path().join("log"));
            lines
        }

        fn path(&self) -> &Path {
            self.dir.path()
        }
    }

    fn opts<'a>(repo: &'a Repo, watch: &'a Watch) -> RunOptions<'a> {
        RunOptions {
            env: &repo.env,
            timeout: None,
            capture: false,
            watch,
        }
    }

    const LAYOUT: &[(&str, &str)] = &[
        (".", "prep up down"),
        ("a", "up down"),
        ("b", "prep up down info"),
        ("c", "down info"),
    ];

    #[test]
    fn up_runs_every_prep_then_root_then_subfolders_with_progress() {
        let repo = Repo::new(LAYOUT).fail("a_up");
        let watch = Watch::unhooked();
        let out = Printer::recording();
        let run = up(repo.files(), &opts(&repo, &watch), &out);
        assert_eq!(
            repo.log(),
            ["root prep", "b prep", "root up", "a up", "b up"]
        );
        assert!(!run.stopped, "a subfolder's failure does not stop the run");
        assert_eq!(run.failures.len(), 1);
        assert!(
            run.failures[0].starts_with("a: up in "),
            "{:?}",
            run.failures
        );
        let err = out.text(Stream::Stderr);
        for line in [
            "[1/2] prep root\n",
            "[2/2] prep b\n",
            "[1/3] up root\n",
            "[3/3] up b\n",
        ] {
            assert!(err.contains(line), "{line:?} in\n{err}");
        }
        assert!(err.contains("error: [a] up in "), "{err}");
        assert!(out.text(Stream::Stdout).is_empty());
        let ran: Vec<usize> = run.files.iter().map(|f| f.runs.len()).collect();
        assert_eq!(ran, [2, 1, 2, 0]);
    }

    #[test]
    fn up_stops_at_a_failing_prep_or_root_up() {
        let repo = Repo::new(LAYOUT).fail("root_prep");
        let watch = Watch::unhooked();
        let run = up(repo.files(), &opts(&repo, &watch), &Printer::recording());
        assert_eq!(repo.log(), ["root prep"]);
        assert!(run.stopped);

        let repo = Repo::new(LAYOUT).fail("root_up");
        let run = up(repo.files(), &opts(&repo, &watch), &Printer::recording());
        assert_eq!(repo.log(), ["root prep", "b prep", "root up"]);
        assert!(run.stopped);
        assert_eq!(run.failures.len(), 1);
    }

    #[test]
    fn up_refuses_a_broken_root_before_anything_runs() {
        let repo = Repo::new(LAYOUT);
        std::fs::write(repo.path().join("Rediaccfile"), "up() {\n  echo (\n}\n").unwrap();
        let watch = Watch::unhooked();
        let out = Printer::recording();
        let run = up(repo.files(), &opts(&repo, &watch), &out);
        assert!(repo.log().is_empty());
        assert!(run.stopped);
        assert!(
            run.failures[0].starts_with(".: bash syntax error"),
            "{:?}",
            run.failures
        );
        assert!(
            out.text(Stream::Stderr)
                .starts_with("error: [root] bash syntax error")
        );
    }

    #[test]
    fn down_attempts_every_file_z_to_a_then_the_root() {
        let repo = Repo::new(LAYOUT).fail("b_down");
        let watch = Watch::unhooked();
        let run = down(repo.files(), &opts(&repo, &watch), &Printer::recording());
        assert_eq!(repo.log(), ["c down", "b down", "a down", "root down"]);
        assert!(!run.stopped);
        assert_eq!(run.failures.len(), 1);
    }

    #[test]
    fn a_signal_stops_the_run_after_the_function_it_reached() {
        let repo = Repo::new(LAYOUT);
        let watch = Watch::unhooked();
        // Seen once and for all: the first function gets it, nothing after it starts.
        watch.raise(nix::sys::signal::Signal::SIGINT);
        let out = Printer::recording();
        let run = down(repo.files(), &opts(&repo, &watch), &out);
        assert!(run.stopped);
        assert_eq!(
            run.failures.last().map(String::as_str),
            Some("interrupted by a signal: the remaining functions were not run")
        );
        let ran: usize = run.files.iter().map(|f| f.runs.len()).sum();
        assert_eq!(ran, 1);
        assert!(
            out.text(Stream::Stderr)
                .contains("error: interrupted: the remaining")
        );
    }

    #[test]
    fn info_captures_stdout_of_every_file_that_defines_it() {
        let repo = Repo::new(LAYOUT).fail("c_info");
        let watch = Watch::unhooked();
        let out = Printer::recording();
        let run = info(repo.files(), &opts(&repo, &watch), &out);
        assert_eq!(repo.log(), ["b info", "c info"]);
        let infos: Vec<Option<&str>> = run.files.iter().map(|f| f.info.as_deref()).collect();
        assert_eq!(infos, [None, None, Some(""), Some("")]);
        assert_eq!(run.failures.len(), 1);
        assert!(
            !out.text(Stream::Stderr).contains("[1/"),
            "no progress lines"
        );
    }
}
