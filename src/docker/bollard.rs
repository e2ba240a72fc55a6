//! [`DockerApi`] over a daemon's unix socket, with bollard; and the one tokio runtime the
//! synchronous CLI runs these calls on.
//!
//! Each call builds its client from the socket path and the caller's negotiated version: a
//! bollard client holds no idle connection (`pool_max_idle_per_host(0)`), so keeping one per
//! daemon would only cost memory. The event stream is the exception to bollard (see
//! [`super::events`] for why).

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use ::bollard::query_parameters::{
    InspectContainerOptions, ListContainersOptions, LogsOptions, StartContainerOptions,
};
use ::bollard::{ClientVersion, Docker};

use super::api::{ApiError, ApiVersion, Container, DockerApi, Engine, Exit, Query, Target};
use super::events::{self, Event, FollowError};

/// The Docker Engine API on unix sockets.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bollard;

/// Run `future` to completion on the process's one current-thread runtime, built at the first
/// call (a `daemon start` pings every 100 ms while it waits; a runtime per call would be a
/// thread-local driver and a timer wheel built and torn down each time). Not from inside a
/// tokio runtime: the route server awaits the calls instead.
pub fn block_on<F: Future>(future: F) -> F::Output {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a current-thread runtime always builds")
        })
        .block_on(future)
}

fn client(socket: &Path, timeout: Duration, version: &ClientVersion) -> Result<Docker, ApiError> {
    Ok(Docker::connect_with_unix(
        &socket.to_string_lossy(),
        timeout.as_secs().max(1),
        version,
    )?)
}

fn client_at(at: Target<'_>) -> Result<Docker, ApiError> {
    let version = ClientVersion {
        major_version: usize::from(at.version.major),
        minor_version: usize::from(at.version.minor),
    };
    client(at.socket, at.timeout, &version)
}

fn api_version(v: ClientVersion) -> ApiVersion {
    ApiVersion {
        major: u16::try_from(v.major_version).unwrap_or(u16::MAX),
        minor: u16::try_from(v.minor_version).unwrap_or(u16::MAX),
    }
}

/// A container's name as people write it: the first of Docker's names, without its `/`.
fn container_name(names: Option<Vec<String>>) -> String {
    names
        .and_then(|n| n.into_iter().next())
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_owned()
}

fn filters(query: Query<'_>) -> HashMap<String, Vec<String>> {
    let mut m = HashMap::from([("label".to_owned(), vec![query.label.to_owned()])]);
    if let Some(status) = query.status {
        m.insert("status".to_owned(), vec![status.to_owned()]);
    }
    m
}

impl DockerApi for Bollard {
    async fn ping(&self, socket: &Path, timeout: Duration) -> Result<(), ApiError> {
        // `/_ping` is not versioned: no negotiation needed.
        let docker = client(socket, timeout, ::bollard::API_DEFAULT_VERSION)?;
        docker.ping().await?;
        Ok(())
    }

    async fn negotiate(&self, socket: &Path, timeout: Duration) -> Result<ApiVersion, ApiError> {
        let docker = client(socket, timeout, ::bollard::API_DEFAULT_VERSION)?;
        let docker = docker.negotiate_version().await?;
        Ok(api_version(docker.client_version()))
    }

    async fn engine(&self, at: Target<'_>) -> Result<Engine, ApiError> {
        let docker = client_at(at)?;
        let v = docker.version().await?;
        let info = docker.info().await?;
        Ok(Engine {
            version: v.version.unwrap_or_default(),
            api_version: v.api_version.unwrap_or_default(),
            containers_running: info.containers_running.unwrap_or(0).max(0).unsigned_abs(),
            containers: info.containers.unwrap_or(0).max(0).unsigned_abs(),
        })
    }

    async fn containers(
        &self,
        at: Target<'_>,
        query: Query<'_>,
    ) -> Result<Vec<Container>, ApiError> {
        let docker = client_at(at)?;
        let opts = ListContainersOptions {
            all: query.all,
            filters: Some(filters(query)),
            ..Default::default()
        };
        let listed = docker.list_containers(Some(opts)).await?;
        Ok(listed
            .into_iter()
            .map(|c| Container {
                id: c.id.unwrap_or_default(),
                name: container_name(c.names),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                status: c.status.unwrap_or_default(),
                created: c.created.unwrap_or_default(),
                labels: c.labels.unwrap_or_default(),
            })
            .collect())
    }

    async fn inspect(&self, at: Target<'_>, id: &str) -> Result<Exit, ApiError> {
        let docker = client_at(at)?;
        let info = docker
            .inspect_container(id, None::<InspectContainerOptions>)
            .await?;
        let state = info.state.unwrap_or_default();
        Ok(Exit {
            exit_code: state.exit_code.unwrap_or(0),
            finished_at: state.finished_at,
        })
    }

    async fn start(&self, at: Target<'_>, id: &str) -> Result<(), ApiError> {
        let docker = client_at(at)?;
        docker
            .start_container(id, None::<StartContainerOptions>)
            .await?;
        Ok(())
    }

    async fn logs(&self, at: Target<'_>, id: &str, tail: usize) -> Result<String, ApiError> {
        use futures_util::StreamExt;
        let docker = client_at(at)?;
        let opts = LogsOptions {
            stdout: true,
            stderr: true,
            tail: tail.to_string(),
            ..Default::default()
        };
        let mut stream = docker.logs(id, Some(opts));
        let mut text = Vec::new();
        while let Some(chunk) = stream.next().await {
            text.extend_from_slice(&chunk?.into_bytes());
        }
        Ok(String::from_utf8_lossy(&text).into_owned())
    }

    async fn events(
        &self,
        socket: &Path,
        timeout: Duration,
        on_connected: impl FnOnce() + Send,
        on_event: impl FnMut(Option<Event>) + Send,
    ) -> Result<(), FollowError> {
        events::follow(socket, timeout, on_connected, on_event).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_filters_and_a_missing_socket() {
        assert_eq!(
            container_name(Some(vec!["/web-1".into(), "/x".into()])),
            "web-1"
        );
        assert_eq!(container_name(None), "");
        let f = filters(Query {
            all: true,
            label: "rediacc.network_id=2816",
            status: Some("exited"),
        });
        assert_eq!(f["label"], ["rediacc.network_id=2816"]);
        assert_eq!(f["status"], ["exited"]);
        let err = block_on(Bollard.ping(
            Path::new("/nonexistent/docker.sock"),
            Duration::from_secs(1),
        ))
        .unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/docker.sock"),
            "{err}"
        );
        // One runtime for every call.
        assert!(
            block_on(Bollard.negotiate(Path::new("/nonexistent/d.sock"), Duration::from_secs(1)))
                .is_err()
        );
    }
}
