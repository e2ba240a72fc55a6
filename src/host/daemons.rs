//! Every repository daemon asked at once: who it is and which renet containers it runs. Each
//! daemon has its own timeout and all are asked concurrently, so a hung daemon costs one
//! timeout in all, not one each (100 daemons in well under 2 s).

use std::path::PathBuf;
use std::time::Duration;

use crate::docker::{ApiError, Container, DockerApi, Engine, Query, Target, block_on};
use crate::network::NetworkId;

/// The label renet puts on every container it runs.
pub(crate) const SERVICE_LABEL: &str = "rediacc.service_name";

/// What one daemon answered.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) engine: Engine,
    /// Its renet containers, running or not.
    pub(crate) containers: Vec<Container>,
}

/// Why a daemon gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ProbeError {
    #[error("{0}")]
    Api(String),
    #[error("no answer within {}", humantime::format_duration(*.0))]
    Timeout(Duration),
}

#[derive(Debug, Clone)]
pub(crate) struct Probe {
    pub(crate) network: NetworkId,
    pub(crate) socket: PathBuf,
    /// The answer, or why there was none.
    pub(crate) answer: Result<Answer, ProbeError>,
}

async fn ask(
    api: &impl DockerApi,
    socket: &std::path::Path,
    timeout: Duration,
) -> Result<Answer, ApiError> {
    let version = api.negotiate(socket, timeout).await?;
    let at = Target {
        socket,
        version,
        timeout,
    };
    let engine = api.engine(at).await?;
    let query = Query {
        all: true,
        label: SERVICE_LABEL,
        status: None,
    };
    let containers = api.containers(at, query).await?;
    Ok(Answer { engine, containers })
}

/// Ask every daemon of `sockets` at once, each within `timeout`.
pub(crate) fn probe_all(
    api: &impl DockerApi,
    sockets: &[(NetworkId, PathBuf)],
    timeout: Duration,
) -> Vec<Probe> {
    block_on(async {
        let asks = sockets.iter().map(|(network, socket)| async move {
            let answer = match tokio::time::timeout(timeout, ask(api, socket, timeout)).await {
                Ok(Ok(a)) => Ok(a),
                // The client's error is not Clone; its text is all a report needs.
                Ok(Err(e)) => Err(ProbeError::Api(e.to_string())),
                Err(_) => Err(ProbeError::Timeout(timeout)),
            };
            Probe {
                network: *network,
                socket: socket.clone(),
                answer,
            }
        });
        futures_util::future::join_all(asks).await
    })
}

/// The container with ID `id` (full, or a prefix Docker would accept) among the answers, and
/// the daemon that runs it.
pub(crate) fn find<'a>(probes: &'a [Probe], id: &str) -> Option<(&'a Probe, &'a Container)> {
    probes.iter().find_map(|p| {
        let c = p
            .answer
            .as_ref()
            .ok()?
            .containers
            .iter()
            .find(|c| !c.id.is_empty() && (c.id.starts_with(id) || id.starts_with(&c.id)))?;
        Some((p, c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::fake::{Behaviour, FakeContainer, FakeDaemon, FakeDocker};

    #[test]
    fn every_daemon_is_asked_and_a_hung_one_times_out_alone() {
        let fake = FakeDocker::default();
        let id = |n| NetworkId::new(n).unwrap();
        let a = PathBuf::from("/run/r/docker-2816.sock");
        let b = PathBuf::from("/run/r/docker-2880.sock");
        let c = PathBuf::from("/run/r/docker-2944.sock");
        let web = FakeContainer::new(
            "abc123",
            "running",
            &[(SERVICE_LABEL, "web"), ("rediacc.repo_name", "shop")],
        );
        fake.set(&a, FakeDaemon::with(vec![web]));
        fake.set(&b, FakeDaemon::behaving(Behaviour::Hangs));
        fake.set(&c, FakeDaemon::behaving(Behaviour::Vanished));
        let sockets = vec![(id(2816), a), (id(2880), b), (id(2944), c)];
        let probes = probe_all(&fake, &sockets, Duration::from_millis(200));
        assert_eq!(probes.len(), 3);
        assert_eq!(probes[0].answer.as_ref().unwrap().containers.len(), 1);
        assert!(
            probes[1]
                .answer
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("no answer within 200ms")
        );
        assert!(probes[2].answer.is_err());
        let (p, c) = find(&probes, "abc123def").unwrap();
        assert_eq!(
            (p.network.get(), c.labels["rediacc.repo_name"].as_str()),
            (2816, "shop")
        );
        assert!(find(&probes, "ffff").is_none());
    }
}
