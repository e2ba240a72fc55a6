//! The order Rediaccfile functions run in and what a failure stops (SPEC section 4). Pure: it
//! looks only at which files exist, which functions bash found in them once sourced, and which
//! are broken (a top level that exited or failed included).
//!
//! - up: every `prep` first (root, then subfolders A to Z; any failure stops everything), then
//!   `up` in the root (a failure stops everything), then in subfolders A to Z (a failure is
//!   reported, the rest go on). A broken root file stops the run before anything runs; a broken
//!   subfolder file is a failed `up`.
//! - down: subfolders Z to A, then the root; every file is attempted.
//! - info: every file that defines it, in discovery order; every file is attempted; a broken
//!   file is a failed `info`.
//! - In up and down, a signal (SIGINT/SIGTERM) stops the run after the function it reached.

use super::{Function, Rediaccfile};

/// What a failed step does to the rest of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnFailure {
    Stop,
    GoOn,
}

/// One function of one file, `number` of `of` in its phase (shown as `[2/4] up backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    /// Index into the discovered files.
    pub(crate) file: usize,
    pub(crate) function: Function,
    pub(crate) number: usize,
    pub(crate) of: usize,
    pub(crate) on_failure: OnFailure,
}

/// `up` refuses to start: the root's Rediaccfile (index `file`) cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BrokenRoot {
    pub(crate) file: usize,
}

/// What happens after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    Go,
    /// The step failed and its failure stops the run.
    Stop,
    /// A signal arrived: the remaining steps do not start.
    Interrupted,
}

/// A phase: `function` in each of `files` (indices), numbered from 1.
fn phase(
    files: impl IntoIterator<Item = usize>,
    function: Function,
    on_failure: impl Fn(usize) -> OnFailure,
) -> Vec<Step> {
    let files: Vec<usize> = files.into_iter().collect();
    let of = files.len();
    files
        .into_iter()
        .enumerate()
        .map(|(n, file)| Step {
            file,
            function,
            number: n + 1,
            of,
            on_failure: on_failure(file),
        })
        .collect()
}

/// `repository up`: the prep phase, then the up phase.
pub(crate) fn up(files: &[Rediaccfile]) -> Result<Vec<Step>, BrokenRoot> {
    if let Some(file) = files
        .iter()
        .position(|f| f.is_root() && f.problem.is_some())
    {
        return Err(BrokenRoot { file });
    }
    let indices = 0..files.len();
    let preps = indices
        .clone()
        .filter(|&i| files[i].problem.is_none() && files[i].defines(Function::Prep));
    // A broken subfolder file is run (and fails) like a failing function.
    let ups = indices.filter(|&i| files[i].problem.is_some() || files[i].defines(Function::Up));
    let mut steps = phase(preps, Function::Prep, |_| OnFailure::Stop);
    steps.extend(phase(ups, Function::Up, |i| {
        if files[i].is_root() {
            OnFailure::Stop
        } else {
            OnFailure::GoOn
        }
    }));
    Ok(steps)
}

/// `repository down`: subfolders Z to A, then the root (the reverse of `up`).
pub(crate) fn down(files: &[Rediaccfile]) -> Vec<Step> {
    let runs = |i: &usize| files[*i].problem.is_some() || files[*i].defines(Function::Down);
    let subfolders = (0..files.len()).filter(|&i| !files[i].is_root()).rev();
    let root = (0..files.len()).filter(|&i| files[i].is_root());
    let order: Vec<usize> = subfolders.chain(root).filter(runs).collect();
    phase(order, Function::Down, |_| OnFailure::GoOn)
}

/// `repository status`: `info` of every file that defines it; a file that cannot run is a
/// failed `info` (its status cannot be told).
pub(crate) fn info(files: &[Rediaccfile]) -> Vec<Step> {
    let order = (0..files.len())
        .filter(|&i| files[i].problem.is_some() || files[i].defines(Function::Info));
    phase(order, Function::Info, |_| OnFailure::GoOn)
}

/// After `step` ran (`ok` or not), with a signal seen so far or not. A failure that stops the
/// run wins over the signal: the run failed for that reason.
pub(crate) fn next(step: &Step, ok: bool, interrupted: bool) -> Next {
    if !ok && step.on_failure == OnFailure::Stop {
        Next::Stop
    } else if interrupted {
        Next::Interrupted
    } else {
        Next::Go
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Function::{Down, Info, Prep, Up};

    fn file(folder: &str, functions: &[Function], broken: bool) -> Rediaccfile {
        let path = std::path::PathBuf::from(format!("/repo/{folder}/Rediaccfile"));
        Rediaccfile {
            folder: folder.to_owned(),
            problem: broken.then(|| super::super::Problem::Folder { path: path.clone() }),
            path,
            functions: functions.to_vec(),
        }
    }

    /// (folder, function, number, of, stops) of every step.
    fn show(files: &[Rediaccfile], steps: &[Step]) -> Vec<(String, Function, usize, usize, bool)> {
        steps
            .iter()
            .map(|s| {
                let stops = s.on_failure == OnFailure::Stop;
                (
                    files[s.file].folder.clone(),
                    s.function,
                    s.number,
                    s.of,
                    stops,
                )
            })
            .collect()
    }

    fn step(
        folder: &str,
        f: Function,
        n: usize,
        of: usize,
        stops: bool,
    ) -> (String, Function, usize, usize, bool) {
        (folder.to_owned(), f, n, of, stops)
    }

    fn repo() -> Vec<Rediaccfile> {
        vec![
            file(".", &[Prep, Up, Down], false),
            file("a", &[Up, Down, Info], false),
            file("b", &[Prep, Up], false),
            file("c", &[Down], true),
            file("d", &[Info], false),
        ]
    }

    #[test]
    fn up_preps_everything_first_then_ups_root_first() {
        let files = repo();
        let steps = up(&files).unwrap();
        assert_eq!(
            show(&files, &steps),
            [
                step(".", Prep, 1, 2, true),
                step("b", Prep, 2, 2, true),
                step(".", Up, 1, 4, true),
                step("a", Up, 2, 4, false),
                step("b", Up, 3, 4, false),
                // Broken: no prep, but reported as a failed up.
                step("c", Up, 4, 4, false),
            ]
        );
    }

    #[test]
    fn up_refuses_a_broken_root_and_runs_without_a_root_file() {
        let mut files = repo();
        files[0] = file(".", &[Up], true);
        assert_eq!(up(&files), Err(BrokenRoot { file: 0 }));
        let files = vec![file("a", &[Up], false), file("b", &[Up], false)];
        let steps = up(&files).unwrap();
        assert!(steps.iter().all(|s| s.on_failure == OnFailure::GoOn));
        assert!(up(&[]).unwrap().is_empty());
    }

    #[test]
    fn down_runs_subfolders_z_to_a_then_the_root_and_attempts_all() {
        let files = repo();
        assert_eq!(
            show(&files, &down(&files)),
            [
                step("c", Down, 1, 3, false),
                step("a", Down, 2, 3, false),
                step(".", Down, 3, 3, false),
            ]
        );
    }

    #[test]
    fn info_in_discovery_order() {
        let files = repo();
        assert_eq!(
            show(&files, &info(&files)),
            [
                step("a", Info, 1, 3, false),
                step("c", Info, 2, 3, false),
                step("d", Info, 3, 3, false),
            ]
        );
    }

    #[test]
    fn a_stopping_failure_wins_over_a_signal() {
        let files = repo();
        let steps = up(&files).unwrap();
        let (prep, sub_up) = (&steps[0], &steps[3]);
        assert_eq!(next(prep, true, false), Next::Go);
        assert_eq!(next(prep, false, false), Next::Stop);
        assert_eq!(next(prep, false, true), Next::Stop);
        assert_eq!(next(prep, true, true), Next::Interrupted);
        assert_eq!(next(sub_up, false, false), Next::Go);
        assert_eq!(next(sub_up, false, true), Next::Interrupted);
    }
}
