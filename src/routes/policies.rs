//! The restart policies the watchdog applies, read from each repository's `.rediacc.json`.
//!
//! The file lives in the repository's folder, which its owner controls: it may be a FIFO, a
//! link to `/dev/zero`, corrupt, or on a file system that hangs. So it is read through
//! [`crate::fsread`] (bounded, never blocking on special files, links refused), on the blocking
//! pool (a few at a time) and within a time budget per file; a read that is still stuck from an
//! earlier round is not started again. A policy that cannot be read is never silently dropped:
//! the watchdog goes on with the last policies it read for that repository (none when it never
//! read any) and `/health` names the file and the error until it reads again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use super::documents::WatchdogProblem;
use super::watchdog::{Policy, PolicyError};
use crate::docker::paths;
use crate::fsread::{self, Links};
use crate::network::NetworkId;
use crate::slotmap;

/// Policy files read at once (each a blocking-pool thread).
const READS_AT_ONCE: usize = 8;
/// The repository marker (`$RENET_RUN_DIR/docker-N/repository`) holds one path.
const MARKER_LIMIT: u64 = 4096;

/// Why a repository's policies could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PolicyReadError {
    #[error(transparent)]
    Marker(fsread::ReadError),
    #[error(transparent)]
    SlotMap(#[from] slotmap::SlotMapError),
    #[error("{}: no answer within {}s (the file system hangs?)", .0.display(), .1.as_secs_f64())]
    TimedOut(PathBuf, Duration),
    #[error("{}: still being read since an earlier round (the file system hangs?)", .0.display())]
    StillReading(PathBuf),
    #[error("{}: the read failed: {why}", .path.display())]
    Task { path: PathBuf, why: &'static str },
}

/// The saved policies of a repository, by service: each as saved, and parsed.
pub(crate) type Saved = BTreeMap<String, (String, Result<Policy, PolicyError>)>;

/// What a read found: no repository recorded, or its file and its policies.
#[derive(Debug, Clone)]
enum Read {
    NoRepository,
    Policies { file: PathBuf, saved: Saved },
}

/// The policies read so far, and the problems of the last read of each network.
#[derive(Default)]
pub(crate) struct Policies {
    known: BTreeMap<u32, Read>,
    problems: BTreeMap<u32, Vec<WatchdogProblem>>,
    /// Reads that ran out of time and may still hold a thread.
    stuck: BTreeMap<u32, (PathBuf, tokio::task::AbortHandle)>,
}

/// The repository network `net`'s daemon serves, from its marker in the run folder. The run
/// folder is renet's own (root's, not a repository's), so this small read stays on the
/// caller's thread; it is bounded and refuses links all the same.
fn recorded_repository(run_dir: &Path, net: NetworkId) -> Result<Option<PathBuf>, PolicyReadError> {
    let marker = paths::repo_marker(run_dir, net);
    let text = match fsread::read_to_string(&marker, MARKER_LIMIT, Links::Refuse) {
        Ok(t) => t,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(PolicyReadError::Marker(e)),
    };
    let repo = text.trim_end_matches('\n');
    Ok((!repo.is_empty()).then(|| PathBuf::from(repo)))
}

/// The saved policies in `repo`'s `.rediacc.json`, blocking (on the blocking pool): the
/// repository's owner controls this file.
fn read_policies(repo: &Path) -> Result<Read, PolicyReadError> {
    let map = slotmap::read(repo)?;
    let saved = map
        .services()
        .into_iter()
        .filter_map(|(name, e)| {
            let text = e.restart_policy?;
            let parsed = Policy::parse(Some(&text));
            Some((name, (text, parsed)))
        })
        .collect();
    Ok(Read::Policies {
        file: slotmap::path_in(repo),
        saved,
    })
}

impl Policies {
    /// Read the policies of `networks` (a few at a time, each within `budget`) and return the
    /// ones to apply: what was read now, else the last read of that network.
    pub(crate) async fn read(
        &mut self,
        run_dir: &Path,
        networks: &BTreeSet<NetworkId>,
        budget: Duration,
    ) -> BTreeMap<u32, Saved> {
        self.stuck.retain(|_, (_, h)| !h.is_finished());
        let run_dir: Arc<Path> = Arc::from(run_dir);
        let stuck: BTreeMap<u32, PathBuf> = self
            .stuck
            .iter()
            .map(|(n, (p, _))| (*n, p.clone()))
            .collect();
        let jobs: Vec<_> = networks
            .iter()
            .map(|net| {
                let (net, run_dir) = (*net, Arc::clone(&run_dir));
                let stuck = stuck.get(&net.get()).cloned();
                async move { (net, read_one(run_dir, net, budget, stuck).await) }
            })
            .collect();
        let results: Vec<_> = futures_util::stream::iter(jobs)
            .buffer_unordered(READS_AT_ONCE)
            .collect()
            .await;
        let mut out = BTreeMap::new();
        for (net, (result, handle)) in results {
            if let Some((file, h)) = handle {
                self.stuck.insert(net.get(), (file, h));
            }
            let n = net.get();
            match result {
                Ok(read) => {
                    self.problems.insert(n, bad_values(n, &read));
                    self.known.insert(n, read);
                }
                Err((e, file)) => {
                    let using = match self.known.get(&n) {
                        Some(Read::Policies { .. }) => "the last policies read",
                        _ => "none: no restarts until the file reads again",
                    };
                    let file = file.display().to_string();
                    self.problems.insert(
                        n,
                        vec![WatchdogProblem {
                            network_id: n,
                            file,
                            service: None,
                            error: e.to_string(),
                            using: using.to_owned(),
                        }],
                    );
                }
            }
            if let Some(Read::Policies { saved, .. }) = self.known.get(&n)
                && !saved.is_empty()
            {
                out.insert(n, saved.clone());
            }
        }
        out
    }

    /// Forget the networks whose daemon is gone.
    pub(crate) fn keep_networks(&mut self, present: &BTreeSet<u32>) {
        self.known.retain(|n, _| present.contains(n));
        self.problems.retain(|n, _| present.contains(n));
    }

    /// Every problem of the last read of each network, by network.
    pub(crate) fn problems(&self) -> Vec<WatchdogProblem> {
        self.problems.values().flatten().cloned().collect()
    }
}

/// A saved policy renet cannot apply: that service is not restarted, and it is reported.
fn bad_values(net: u32, read: &Read) -> Vec<WatchdogProblem> {
    let Read::Policies { file, saved } = read else {
        return Vec::new();
    };
    saved
        .iter()
        .filter_map(|(service, (_, parsed))| {
            let e = parsed.as_ref().err()?;
            Some(WatchdogProblem {
                network_id: net,
                file: file.display().to_string(),
                service: Some(service.clone()),
                error: e.to_string(),
                using: "none: this service is not restarted".to_owned(),
            })
        })
        .collect()
}

type Outcome = (
    Result<Read, (PolicyReadError, PathBuf)>,
    Option<(PathBuf, tokio::task::AbortHandle)>,
);

/// One network's read on the blocking pool within `budget`; a read that runs out of time is
/// handed back (its thread may be stuck in the kernel) so that it is not started again.
async fn read_one(
    run_dir: Arc<Path>,
    net: NetworkId,
    budget: Duration,
    stuck: Option<PathBuf>,
) -> Outcome {
    let repo = match recorded_repository(&run_dir, net) {
        Ok(Some(repo)) => repo,
        Ok(None) => return (Ok(Read::NoRepository), None),
        Err(e) => return (Err((e, paths::repo_marker(&run_dir, net))), None),
    };
    let file = slotmap::path_in(&repo);
    if let Some(file) = stuck {
        let e = PolicyReadError::StillReading(file.clone());
        return (Err((e, file)), None);
    }
    let handle = tokio::task::spawn_blocking(move || read_policies(&repo));
    let abort = handle.abort_handle();
    match tokio::time::timeout(budget, handle).await {
        Ok(Ok(result)) => (result.map_err(|e| (e, file)), None),
        Ok(Err(_)) => {
            let e = PolicyReadError::Task {
                path: file.clone(),
                why: "the reading thread panicked",
            };
            (Err((e, file)), None)
        }
        Err(_) => {
            let e = PolicyReadError::TimedOut(file.clone(), budget);
            (Err((e, file.clone())), Some((file, abort)))
        }
    }
}
