//! What renet asks of a Docker daemon, as a trait: the route server, the watchdog, `ports gc`
//! and `repository status` are written against it, and unit tests drive them with a fake.
//!
//! One value serves every daemon: each call names the daemon's socket, so nothing is kept per
//! daemon but what the caller chooses to keep (the route server keeps the negotiated
//! [`ApiVersion`], 4 bytes, for each of its 1,000 daemons; a client each would be 4 MB).
//!
//! The methods are async (the route server runs on tokio); the CLI, which is not, runs them
//! with [`super::block_on`]. Each takes the request timeout the implementation passes on to
//! the daemon's client; a caller that must never wait longer (the route server) also bounds the
//! future itself, so a daemon that hangs costs it one timeout whatever the implementation does.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::events::{Event, FollowError};

/// An API version both the daemon and renet speak (these daemons speak 1.41; bollard defaults
/// to a newer one, so it is always negotiated down first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApiVersion {
    pub major: u16,
    pub minor: u16,
}

/// One daemon as a call addresses it: where it is, which version to speak, and how long its
/// client waits for an answer.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub socket: &'a Path,
    pub version: ApiVersion,
    pub timeout: Duration,
}

/// Which containers to list (Docker's `all` and `filters`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Query<'a> {
    /// Stopped containers too.
    pub all: bool,
    /// A `label` filter: `key` (the label is set) or `key=value`.
    pub label: &'a str,
    /// A `status` filter: `running`, `exited`, ...
    pub status: Option<&'a str>,
}

/// A container as listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Container {
    pub id: String,
    /// The first of Docker's names, without its leading `/`.
    pub name: String,
    /// `running`, `exited`, ...
    pub state: String,
    /// Docker's human status: `Up 5 minutes`, `Exited (1) 3 seconds ago`.
    pub status: String,
    /// `Created`, unix seconds.
    pub created: i64,
    pub labels: HashMap<String, String>,
}

/// What inspecting a stopped container tells the watchdog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exit {
    pub exit_code: i64,
    /// `State.FinishedAt` as Docker writes it (RFC 3339; `0001-01-01T00:00:00Z` for never).
    pub finished_at: Option<String>,
}

/// Who a daemon is, as `renet daemon status` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Engine {
    pub version: String,
    pub api_version: String,
    pub containers_running: u64,
    pub containers: u64,
}

/// A call the daemon did not answer, or answered with an error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Docker(#[from] ::bollard::errors::Error),
    /// What a scripted daemon of the test fake answers.
    #[cfg(test)]
    #[error("{0}")]
    Scripted(String),
}

pub trait DockerApi: Send + Sync + 'static {
    /// `GET /_ping`: is anything answering on `socket`? Needs no negotiated version.
    fn ping(
        &self,
        socket: &Path,
        timeout: Duration,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// The version to speak to the daemon on `socket`: the lower of its and renet's.
    fn negotiate(
        &self,
        socket: &Path,
        timeout: Duration,
    ) -> impl Future<Output = Result<ApiVersion, ApiError>> + Send;

    /// The daemon's version and container counts.
    fn engine(&self, at: Target<'_>) -> impl Future<Output = Result<Engine, ApiError>> + Send;

    fn containers(
        &self,
        at: Target<'_>,
        query: Query<'_>,
    ) -> impl Future<Output = Result<Vec<Container>, ApiError>> + Send;

    /// The exit code and stop time of container `id`.
    fn inspect(
        &self,
        at: Target<'_>,
        id: &str,
    ) -> impl Future<Output = Result<Exit, ApiError>> + Send;

    fn start(&self, at: Target<'_>, id: &str) -> impl Future<Output = Result<(), ApiError>> + Send;

    /// The last `tail` lines container `id` wrote (stdout and stderr, as `docker logs --tail`
    /// interleaves them), as text.
    fn logs(
        &self,
        at: Target<'_>,
        id: &str,
        tail: usize,
    ) -> impl Future<Output = Result<String, ApiError>> + Send;

    /// Follow the daemon's container events (start, die, stop, destroy) until it closes the
    /// stream (Ok) or something fails. `on_connected` runs once the daemon has accepted the
    /// request, before the first event; `on_event` gets None for a line that is no event.
    fn events(
        &self,
        socket: &Path,
        timeout: Duration,
        on_connected: impl FnOnce() + Send,
        on_event: impl FnMut(Option<Event>) + Send,
    ) -> impl Future<Output = Result<(), FollowError>> + Send;
}
