//! Everything renet knows about Docker, and the only place that talks to it:
//!
//! - `paths`: where a repository daemon's socket, folders, pidfile, log, config, marker and
//!   lock are (the `docker-<N>` names), and the scan of the run folder for sockets;
//! - `process`: the `/proc` liveness check of a daemon's PID;
//! - `api`: the [`DockerApi`] trait the route server, the watchdog, `ports gc` and
//!   `repository status` are written against, and the plain types it answers with;
//! - `bollard`: its implementation on the daemons' unix sockets, and [`block_on`], the one
//!   runtime the synchronous CLI runs those calls on;
//! - `events`: the follower of a daemon's event stream;
//! - `fake` (tests only): a scripted, recording [`DockerApi`].

pub mod api;
pub mod bollard;
pub mod events;
#[cfg(test)]
pub mod fake;
pub mod paths;
pub mod process;

pub use self::api::{ApiError, ApiVersion, Container, DockerApi, Engine, Exit, Query, Target};
pub use self::bollard::{Bollard, block_on};
pub use self::events::Event;
