//! Wake the refresh loop as soon as a daemon socket (`docker-<N>.sock`) appears in or leaves
//! `$RENET_RUN_DIR`, so that a new repository's routes are served within a second of its `up`
//! instead of at the next poll (SPEC section 9). inotify through the `inotify` crate, on
//! tokio: one file descriptor and a 1 KiB buffer for the route server's whole life, no thread.
//! The poll stays the safety net: while the folder cannot be watched (it does not exist yet,
//! the inotify limits are reached) the watcher says so once and tries again every second.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use inotify::{EventMask, Inotify, WatchMask};

use super::state::Shared;
use crate::output;

/// How soon a folder that could not be watched is tried again.
const RETRY: Duration = Duration::from_secs(1);
/// Room for at least one event with the longest name (16 bytes + NAME_MAX + 1).
const BUFFER: usize = 1024;

/// A name the refresh may list: `docker-<anything>.sock` (the refresh checks the network ID).
/// The run folder's other entries (`docker-<N>/`, `docker-<N>.lock`, `compose-<N>/`) change
/// with every command and are not worth a refresh.
fn is_socket_name(name: &OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n.starts_with("docker-") && n.ends_with(".sock"))
}

/// Why watching the folder stopped.
#[derive(Debug, thiserror::Error)]
enum WatchError {
    #[error("cannot watch {}: {source}", .dir.display())]
    Io {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("{} was removed or moved", .0.display())]
    Gone(PathBuf),
}

/// Trigger a refresh of `shared` whenever a daemon socket is made or removed in `run_dir`, for
/// ever (the caller aborts the task).
pub(crate) async fn watch(run_dir: PathBuf, shared: Arc<Shared>) {
    let mut failing: Option<String> = None;
    loop {
        let stopped = follow(&run_dir, &shared, &mut failing).await;
        let why = stopped.to_string();
        if failing.as_deref() != Some(why.as_str()) {
            output::warn(&format!(
                "route-server: {why}; new daemons are found on the poll until it can be watched"
            ));
            failing = Some(why);
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// Watch `run_dir` until the folder goes away or the watch fails. `failing` is the last
/// failure reported, cleared (and the recovery noted) once the watch is made.
async fn follow(run_dir: &Path, shared: &Shared, failing: &mut Option<String>) -> WatchError {
    let io = |source| WatchError::Io {
        dir: run_dir.to_owned(),
        source,
    };
    let mask = WatchMask::CREATE
        | WatchMask::DELETE
        | WatchMask::MOVED_TO
        | WatchMask::MOVED_FROM
        | WatchMask::DELETE_SELF
        | WatchMask::MOVE_SELF
        | WatchMask::ONLYDIR;
    let mut events = match Inotify::init().and_then(|inotify| {
        inotify.watches().add(run_dir, mask)?;
        inotify.into_event_stream([0u8; BUFFER])
    }) {
        Ok(events) => events,
        Err(e) => return io(e),
    };
    if failing.take().is_some() {
        output::note(&format!(
            "route-server: watching {} for daemon sockets again",
            run_dir.display()
        ));
    }
    // A socket made before the watch began (or while it was being made again) is not missed.
    shared.trigger.notify_one();
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(e) => e,
            Err(e) => return io(e),
        };
        if event
            .mask
            .intersects(EventMask::DELETE_SELF | EventMask::MOVE_SELF | EventMask::IGNORED)
        {
            shared.trigger.notify_one();
            return WatchError::Gone(run_dir.to_owned());
        }
        // An overflow lost events: one refresh sees whatever they were.
        if event.mask.contains(EventMask::Q_OVERFLOW)
            || event.name.as_deref().is_some_and(is_socket_name)
        {
            shared.trigger.notify_one();
        }
    }
    WatchError::Gone(run_dir.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the trigger fires within `limit`.
    async fn fires(shared: &Shared, limit: Duration) -> bool {
        tokio::time::timeout(limit, shared.trigger.notified())
            .await
            .is_ok()
    }

    #[test]
    fn socket_names() {
        for yes in ["docker-2816.sock", "docker-x.sock"] {
            assert!(is_socket_name(OsStr::new(yes)), "{yes}");
        }
        for no in [
            "docker-2816",
            "docker-2816.lock",
            "compose-2816",
            "docker.sock",
        ] {
            assert!(!is_socket_name(OsStr::new(no)), "{no}");
        }
    }

    /// A socket made or removed triggers a refresh, other entries do not; a folder that is
    /// made only later is watched once it exists.
    #[tokio::test]
    async fn sockets_coming_and_going_trigger_refreshes() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        let shared = Arc::new(Shared::default());
        let watcher = tokio::spawn(watch(run.clone(), Arc::clone(&shared)));
        // Not there yet: nothing to watch, no trigger.
        assert!(!fires(&shared, Duration::from_millis(300)).await);
        std::fs::create_dir(&run).unwrap();
        // Watched within the retry: the trigger fires once for whatever is already there.
        assert!(fires(&shared, Duration::from_secs(5)).await);

        std::fs::create_dir(run.join("docker-2816")).unwrap();
        std::fs::write(run.join("docker-2816.lock"), "").unwrap();
        assert!(!fires(&shared, Duration::from_millis(300)).await);
        let socket = run.join("docker-2816.sock");
        let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        assert!(fires(&shared, Duration::from_secs(5)).await);
        drop(listener);
        std::fs::remove_file(&socket).unwrap();
        assert!(fires(&shared, Duration::from_secs(5)).await);

        // The folder removed and made again: watched again.
        std::fs::remove_dir(run.join("docker-2816")).unwrap();
        std::fs::remove_file(run.join("docker-2816.lock")).unwrap();
        std::fs::remove_dir(&run).unwrap();
        assert!(fires(&shared, Duration::from_secs(5)).await);
        std::fs::create_dir(&run).unwrap();
        assert!(fires(&shared, Duration::from_secs(5)).await);
        std::fs::write(run.join("docker-2880.sock"), "").unwrap();
        assert!(fires(&shared, Duration::from_secs(5)).await);
        watcher.abort();
    }
}
