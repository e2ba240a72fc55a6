//! A recording fake of [`DockerApi`] for unit tests, after youki's `TestHelperSyscall`: tests
//! script daemons (their containers, labels and states; one that vanishes, one that hangs)
//! by socket path, run the code under test, then read back the calls it made.
//!
//! A scripted daemon behaves like Docker where the callers depend on it: `all: false` lists
//! running containers only, label and status filters match like Docker's, `start` makes a
//! container run, and its event stream stays open until the daemon is made to vanish.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

use super::api::{ApiError, ApiVersion, Container, DockerApi, Engine, Exit, Query, Target};
use super::events::{Event, FollowError};

/// How a scripted daemon answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Behaviour {
    #[default]
    Answers,
    /// Its socket is left behind but nothing listens: every call is refused at once.
    Vanished,
    /// It accepts every call and never answers.
    Hangs,
    /// It answers listings and its event stream, and never answers an inspect or a start
    /// (a daemon stuck on one container).
    HangsOnContainers,
}

/// A container of a scripted daemon, and what inspecting it tells.
#[derive(Debug, Clone, Default)]
pub struct FakeContainer {
    pub container: Container,
    pub exit: Exit,
    /// What it wrote, one line each; `logs` answers the last lines.
    pub logs: Vec<String>,
}

impl FakeContainer {
    pub fn new(id: &str, state: &str, labels: &[(&str, &str)]) -> Self {
        Self {
            container: Container {
                id: id.to_owned(),
                name: id.to_owned(),
                state: state.to_owned(),
                status: format!("{state} (fake)"),
                created: 0,
                labels: labels
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            },
            exit: Exit::default(),
            logs: Vec::new(),
        }
    }

    /// Stopped with `exit_code` at `finished_at` (RFC 3339, as Docker writes it).
    pub fn exited(mut self, exit_code: i64, finished_at: &str) -> Self {
        self.container.state = "exited".to_owned();
        self.exit = Exit {
            exit_code,
            finished_at: Some(finished_at.to_owned()),
        };
        self
    }
}

#[derive(Debug, Clone)]
pub struct FakeDaemon {
    pub behaviour: Behaviour,
    pub version: ApiVersion,
    pub engine: Engine,
    pub containers: Vec<FakeContainer>,
    /// Events not yet delivered to a follower.
    pub events: Vec<Event>,
}

impl Default for FakeDaemon {
    fn default() -> Self {
        Self {
            behaviour: Behaviour::Answers,
            version: ApiVersion {
                major: 1,
                minor: 41,
            },
            engine: Engine {
                version: "20.10.24".to_owned(),
                api_version: "1.41".to_owned(),
                ..Engine::default()
            },
            containers: Vec::new(),
            events: Vec::new(),
        }
    }
}

impl FakeDaemon {
    pub fn with(containers: Vec<FakeContainer>) -> Self {
        Self {
            containers,
            ..Self::default()
        }
    }

    pub fn behaving(behaviour: Behaviour) -> Self {
        Self {
            behaviour,
            ..Self::default()
        }
    }
}

/// A call the code under test made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Ping(PathBuf),
    Negotiate(PathBuf),
    Engine(PathBuf),
    Containers(PathBuf, String),
    Inspect(PathBuf, String),
    Start(PathBuf, String),
    Logs(PathBuf, String, usize),
    Events(PathBuf),
}

#[derive(Default)]
pub struct FakeDocker {
    daemons: Mutex<HashMap<PathBuf, FakeDaemon>>,
    calls: Mutex<Vec<Call>>,
    /// Wakes the event followers: new events, or a daemon that changed.
    wake: Notify,
}

fn matches(c: &Container, query: Query<'_>) -> bool {
    let label = match query.label.split_once('=') {
        Some((k, v)) => c.labels.get(k).is_some_and(|have| have == v),
        None => c.labels.contains_key(query.label),
    };
    let status = query.status.is_none_or(|s| c.state == s);
    label && status && (query.all || c.state == "running")
}

impl FakeDocker {
    /// Script (or re-script) the daemon on `socket`.
    pub fn set(&self, socket: impl Into<PathBuf>, daemon: FakeDaemon) {
        self.lock_daemons().insert(socket.into(), daemon);
        self.wake.notify_waiters();
    }

    pub fn update(&self, socket: &Path, change: impl FnOnce(&mut FakeDaemon)) {
        if let Some(d) = self.lock_daemons().get_mut(socket) {
            change(d);
        }
        self.wake.notify_waiters();
    }

    /// Deliver `event` to the daemon's follower.
    pub fn send(&self, socket: &Path, event: Event) {
        self.update(socket, |d| d.events.push(event));
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The IDs of the containers started, in order.
    pub fn starts(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Start(_, id) => Some(id),
                _ => None,
            })
            .collect()
    }

    fn lock_daemons(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, FakeDaemon>> {
        self.daemons.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record `call`, then answer it from the daemon on `socket` as it behaves.
    async fn answer<T>(
        &self,
        socket: &Path,
        call: Call,
        f: impl FnOnce(&mut FakeDaemon) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(call.clone());
        let result = {
            let mut daemons = self.lock_daemons();
            let per_container = matches!(call, Call::Inspect(..) | Call::Start(..));
            match daemons.get_mut(socket).map(|d| (d.behaviour, d)) {
                Some((Behaviour::Answers, d)) => Some(f(d)),
                Some((Behaviour::HangsOnContainers, _)) if per_container => None,
                Some((Behaviour::HangsOnContainers, d)) => Some(f(d)),
                Some((Behaviour::Hangs, _)) => None,
                _ => Some(Err(refused(socket))),
            }
        };
        match result {
            Some(r) => r,
            None => std::future::pending().await,
        }
    }
}

fn refused(socket: &Path) -> ApiError {
    ApiError::Scripted(format!("connection refused: {}", socket.display()))
}

fn container<'a>(d: &'a mut FakeDaemon, id: &str) -> Result<&'a mut FakeContainer, ApiError> {
    d.containers
        .iter_mut()
        .find(|c| c.container.id == id)
        .ok_or_else(|| ApiError::Scripted(format!("No such container: {id}")))
}

impl DockerApi for FakeDocker {
    async fn ping(&self, socket: &Path, _: Duration) -> Result<(), ApiError> {
        self.answer(socket, Call::Ping(socket.into()), |_| Ok(()))
            .await
    }

    async fn negotiate(&self, socket: &Path, _: Duration) -> Result<ApiVersion, ApiError> {
        self.answer(socket, Call::Negotiate(socket.into()), |d| Ok(d.version))
            .await
    }

    async fn engine(&self, at: Target<'_>) -> Result<Engine, ApiError> {
        self.answer(at.socket, Call::Engine(at.socket.into()), |d| {
            Ok(d.engine.clone())
        })
        .await
    }

    async fn containers(
        &self,
        at: Target<'_>,
        query: Query<'_>,
    ) -> Result<Vec<Container>, ApiError> {
        let call = Call::Containers(at.socket.into(), query.label.to_owned());
        self.answer(at.socket, call, |d| {
            Ok(d.containers
                .iter()
                .map(|c| &c.container)
                .filter(|c| matches(c, query))
                .cloned()
                .collect())
        })
        .await
    }

    async fn inspect(&self, at: Target<'_>, id: &str) -> Result<Exit, ApiError> {
        let call = Call::Inspect(at.socket.into(), id.to_owned());
        self.answer(at.socket, call, |d| Ok(container(d, id)?.exit.clone()))
            .await
    }

    async fn start(&self, at: Target<'_>, id: &str) -> Result<(), ApiError> {
        let call = Call::Start(at.socket.into(), id.to_owned());
        self.answer(at.socket, call, |d| {
            container(d, id)?.container.state = "running".to_owned();
            Ok(())
        })
        .await
    }

    async fn logs(&self, at: Target<'_>, id: &str, tail: usize) -> Result<String, ApiError> {
        let call = Call::Logs(at.socket.into(), id.to_owned(), tail);
        self.answer(at.socket, call, |d| {
            let lines = &container(d, id)?.logs;
            let from = lines.len().saturating_sub(tail);
            Ok(lines[from..].iter().map(|l| format!("{l}\n")).collect())
        })
        .await
    }

    async fn events(
        &self,
        socket: &Path,
        _: Duration,
        on_connected: impl FnOnce() + Send,
        mut on_event: impl FnMut(Option<Event>) + Send,
    ) -> Result<(), FollowError> {
        let refused = || FollowError::Io(std::io::ErrorKind::ConnectionRefused.into());
        self.answer(socket, Call::Events(socket.into()), |_| Ok(()))
            .await
            .map_err(|_| refused())?;
        on_connected();
        loop {
            // Registered before the queue is read, so an event sent in between still wakes us.
            let mut woken = std::pin::pin!(self.wake.notified());
            woken.as_mut().enable();
            let (events, behaviour) = match self.lock_daemons().get_mut(socket) {
                Some(d) => (std::mem::take(&mut d.events), d.behaviour),
                None => (Vec::new(), Behaviour::Vanished),
            };
            for e in events {
                on_event(Some(e));
            }
            if !matches!(behaviour, Behaviour::Answers | Behaviour::HangsOnContainers) {
                return Err(refused());
            }
            woken.await;
        }
    }
}
