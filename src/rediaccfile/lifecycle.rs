//! A repository's Rediaccfiles through `up`, `down` or `info`: every file sourced first (in
//! the bash that will run its first function: that is how its functions are known), then the
//! [`plan`](super::plan) run step by step, with progress on the printer, each file's runs and
//! every failure collected.

use serde::Serialize;

use super::plan::{self, BrokenRoot, Next, Step};
use super::runner::{self, Run, RunOptions};
use super::shell::Sourced;
use super::{Function, Rediaccfile};
use crate::output::Printer;

/// What every file's bash knows once sourced (its `functions`; a top level that exits or fails
/// becomes its `problem`), in discovery order, and those bashes, waiting. A signal stops the
/// sourcing: the files after it are not sourced (their entry is None); so does a broken root
/// with `root_stops` (`up`: nothing may run then, not even a subfolder's top level).
fn source_all(
    files: &mut [Rediaccfile],
    root_stops: bool,
    opts: &RunOptions<'_>,
    out: &Printer,
) -> Vec<Option<Sourced>> {
    let mut sourced = Vec::with_capacity(files.len());
    for i in 0..files.len() {
        let broken_root = root_stops && files.iter().any(|f| f.is_root() && f.problem.is_some());
        let f = &mut files[i];
        if f.problem.is_some() || broken_root || opts.watch.interrupted() {
            sourced.push(None);
            continue;
        }
        match Sourced::start(f, opts, out) {
            Ok(s) => {
                f.functions.clone_from(&s.functions);
                sourced.push(Some(s));
            }
            Err((problem, _)) => {
                f.problem = Some(problem);
                sourced.push(None);
            }
        }
    }
    sourced
}

/// Dismiss the bashes of files no step runs (they exit at once).
fn keep_used(sourced: &mut [Option<Sourced>], steps: &[Step], out: &Printer) {
    for (i, s) in sourced.iter_mut().enumerate() {
        if !steps.iter().any(|step| step.file == i) {
            dismiss(s, out);
        }
    }
}

/// Tell a waiting bash to exit, showing what its top level wrote that was not shown yet.
fn dismiss(sourced: &mut Option<Sourced>, out: &Printer) {
    if let Some(mut s) = sourced.take() {
        s.order(None);
        s.drain(out);
    }
}

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
pub(crate) struct Lifecycle {
    pub(crate) files: Vec<FileReport>,
    /// `<folder>: <message>` for each failure, in the order they happened.
    pub(crate) failures: Vec<String>,
    /// A failure that stops the run (or a signal) ended it before its last step.
    pub(crate) stopped: bool,
    /// Each file's bash that has sourced it and waits for its first function.
    sourced: Vec<Option<Sourced>>,
}

impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lifecycle")
            .field("files", &self.files)
            .field("failures", &self.failures)
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

impl Lifecycle {
    fn new(files: Vec<Rediaccfile>, sourced: Vec<Option<Sourced>>) -> Self {
        Self {
            sourced,
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

    /// Run `steps` in order until one says stop; whether one did. A signal during sourcing
    /// stops the run before the first step.
    fn execute(&mut self, steps: &[Step], opts: &RunOptions<'_>, out: &Printer) -> bool {
        if opts.watch.interrupted() {
            self.interrupted(out);
            return true;
        }
        keep_used(&mut self.sourced, steps, out);
        let stopped = self.steps(steps, opts, out);
        // A stopped run leaves bashes waiting for steps that will not come.
        for s in &mut self.sourced {
            dismiss(s, out);
        }
        stopped
    }

    fn steps(&mut self, steps: &[Step], opts: &RunOptions<'_>, out: &Printer) -> bool {
        for step in steps {
            let ok = self.step(step, opts, out);
            match plan::next(step, ok, opts.watch.interrupted()) {
                Next::Go => {}
                Next::Stop => return true,
                Next::Interrupted => {
                    self.interrupted(out);
                    return true;
                }
            }
        }
        false
    }

    fn interrupted(&mut self, out: &Printer) {
        out.error("interrupted: the remaining Rediaccfile functions were not run");
        self.failures
            .push("interrupted by a signal: the remaining functions were not run".to_owned());
    }

    /// Run `function` of file `i`: in the bash that sourced it, when that one is still
    /// waiting, else in a new one.
    fn run(
        &mut self,
        i: usize,
        function: Function,
        opts: &RunOptions<'_>,
        out: &Printer,
    ) -> (Run, String) {
        match self.sourced[i].take() {
            Some(s) => runner::run_sourced(s, function, opts, out),
            None => runner::run(&self.files[i].file, function, opts, out),
        }
    }

    fn step(&mut self, step: &Step, opts: &RunOptions<'_>, out: &Printer) -> bool {
        let label = self.files[step.file].file.label().to_owned();
        let function = step.function;
        out.note(&format!("[{}/{}] {function} {label}", step.number, step.of));
        let (run, _) = self.run(step.file, function, opts, out);
        let f = &mut self.files[step.file];
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
pub(crate) fn up(mut files: Vec<Rediaccfile>, opts: &RunOptions<'_>, out: &Printer) -> Lifecycle {
    let sourced = source_all(&mut files, true, opts, out);
    let steps = plan::up(&files);
    let mut run = Lifecycle::new(files, sourced);
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
pub(crate) fn down(mut files: Vec<Rediaccfile>, opts: &RunOptions<'_>, out: &Printer) -> Lifecycle {
    let sourced = source_all(&mut files, false, opts, out);
    let steps = plan::down(&files);
    let mut run = Lifecycle::new(files, sourced);
    run.stopped = run.execute(&steps, opts, out);
    run
}

/// `repository status`: every info, its stdout kept in the file's report.
pub(crate) fn info(mut files: Vec<Rediaccfile>, opts: &RunOptions<'_>, out: &Printer) -> Lifecycle {
    let opts = RunOptions {
        capture: true,
        ..*opts
    };
    let sourced = source_all(&mut files, false, &opts, out);
    let steps = plan::info(&files);
    let mut run = Lifecycle::new(files, sourced);
    keep_used(&mut run.sourced, &steps, out);
    for step in &steps {
        let (r, text) = run.run(step.file, Function::Info, &opts, out);
        let f = &mut run.files[step.file];
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
        // The first down (c, Z to A) hangs until the signal.
        std::fs::write(
            repo.path().join("c/Rediaccfile"),
            "down() { echo \"c down\" >> \"$LOG\"; sleep 300; }\n",
        )
        .unwrap();
        let log = repo.path().join("log");
        let watch = Watch::unhooked();
        let out = Printer::recording();
        let run = std::thread::scope(|s| {
            s.spawn(|| {
                while !log.exists() {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                watch.raise(nix::sys::signal::Signal::SIGINT);
            });
            down(repo.files(), &opts(&repo, &watch), &out)
        });
        assert!(run.stopped);
        assert_eq!(
            run.failures.last().map(String::as_str),
            Some("interrupted by a signal: the remaining functions were not run")
        );
        let ran: usize = run.files.iter().map(|f| f.runs.len()).sum();
        assert_eq!(ran, 1);
        assert_eq!(repo.log(), ["c down"]);
        assert!(
            out.text(Stream::Stderr)
                .contains("error: interrupted: the remaining")
        );

        // Seen while the files are sourced: nothing runs at all.
        let watch = Watch::unhooked();
        watch.raise(nix::sys::signal::Signal::SIGINT);
        let run = down(repo.files(), &opts(&repo, &watch), &Printer::recording());
        assert!(run.stopped);
        let ran: usize = run.files.iter().map(|f| f.runs.len()).sum();
        assert_eq!(ran, 0);
        assert!(repo.log().is_empty());
    }

    /// Functions bash finds however they are written run; a subfolder whose top level exits is
    /// a failed `up`, the others go on; a root whose top level fails stops the run before
    /// anything runs. Each function run sources its file once; every file is sourced first.
    #[test]
    fn functions_found_by_bash_run_and_a_failing_top_level_fails_its_file() {
        let repo = Repo::new(&[]);
        let write = |rel: &str, text: &str| {
            let p = repo.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        let log = |what: &str| format!("echo '{what}' >> \"$LOG\"");
        write(
            "Rediaccfile",
            &format!(
                "{}\nprep() {{ {}; }}; up() {{ {}; }}\n",
                log("root top"),
                log("root prep"),
                log("root up")
            ),
        );
        write(
            "lib/Rediaccfile",
            &format!("source ./funcs.sh\n{}\n", log("lib top")),
        );
        write("lib/funcs.sh", &format!("up() {{ {}; }}\n", log("lib up")));
        write("quiet/Rediaccfile", "echo 'quiet top says hi'\n");
        write(
            "quits/Rediaccfile",
            &format!("up() {{ {}; }}\nexit 0\n", log("quits up")),
        );
        write(
            "when/Rediaccfile",
            &format!(
                "if [ -n \"$LOG\" ]; then\n  up() {{ {}; }}\nfi\n",
                log("when up")
            ),
        );
        let watch = Watch::unhooked();
        let out = Printer::recording();
        let run = up(repo.files(), &opts(&repo, &watch), &out);
        assert_eq!(
            repo.log(),
            [
                "root top",
                "lib top",
                "root prep",
                "root top",
                "root up",
                "lib up",
                "when up"
            ]
        );
        assert!(!run.stopped, "{:?}", run.failures);
        assert_eq!(run.failures.len(), 1, "{:?}", run.failures);
        assert!(
            run.failures[0].starts_with("quits: ")
                && run.failures[0].contains("exited with status 0 while being sourced"),
            "{:?}",
            run.failures
        );
        let functions: Vec<&[Function]> = run
            .files
            .iter()
            .map(|f| f.file.functions.as_slice())
            .collect();
        use Function::{Prep, Up};
        assert_eq!(functions, [&[Prep, Up][..], &[Up], &[], &[], &[Up]]);
        let err = out.text(Stream::Stderr);
        assert!(err.contains("[3/4] up quits\n"), "{err}");
        assert!(
            err.contains("[quiet] quiet top says hi\n"),
            "a file with no function still shows its top level's output: {err}"
        );
        let quits = &run.files[3].runs[0];
        assert_eq!((quits.ok(), quits.exit_status()), (false, Some(0)));

        write(
            "Rediaccfile",
            &format!(
                "up() {{ {}; }}\n[ -n \"\" ] && echo debug\n",
                log("root up")
            ),
        );
        let run = up(repo.files(), &opts(&repo, &watch), &Printer::recording());
        assert!(run.stopped);
        assert_eq!(repo.log(), Vec::<String>::new(), "nothing ran");
        assert!(
            run.failures[0].starts_with(".: sourcing "),
            "{:?}",
            run.failures
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
