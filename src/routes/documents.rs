//! The documents the route server serves, built from one refresh (pure): the configuration
//! (`/config`, `/routes.json`), `/health` and `/ports`.
//!
//! The `/health` and `/ports` types derive `Deserialize` too, so tests and tools read them back
//! as the very types that wrote them. They borrow from the refresh's state (`Cow`), so building
//! a document copies no strings; read back, they own theirs.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use serde::{Deserialize, Serialize};

use super::build::{self, Built, DaemonInput, Problem};
use super::runtime::Settings;
use super::state::EventStream;
use crate::leases::Lease;

/// Milliseconds, rounded to the microsecond.
pub(crate) fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// One restart the watchdog made (or tried), as `/health` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchdogAction {
    pub time_unix: u64,
    pub network_id: u32,
    pub container: String,
    pub service: String,
    pub policy: String,
    pub exit_code: i64,
    pub stopped_seconds: u64,
    /// The back-off it waited out first (0 for a first crash).
    #[serde(default)]
    pub backoff_seconds: f64,
    pub result: String,
}

/// A container the watchdog restarts, or is about to, as `/health` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchdogContainer {
    pub network_id: u32,
    pub container: String,
    pub service: String,
    pub policy: String,
    /// Restarts the watchdog made for it (failed attempts included).
    pub restarts: u32,
    /// Crashes in a row, each soon after a restart: the back-off's exponent.
    pub crashes_in_a_row: u32,
    /// The back-off of its current stop (0 while it runs).
    pub backoff_seconds: f64,
    /// While it waits: when the next restart is due (unix seconds, to the millisecond) and
    /// what it waits for (`settle`, `grace` or `back-off`).
    pub next_attempt_unix: Option<f64>,
    pub waiting_for: Option<String>,
    pub last_result: Option<String>,
}

/// How the watchdog paces its restarts (`watchdog::Pacing`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchdogPacing {
    pub settle_seconds: f64,
    pub backoff_first_seconds: f64,
    pub backoff_max_seconds: f64,
    pub reset_after_seconds: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WatchdogHealth {
    pub enabled: bool,
    pub grace_seconds: Option<f64>,
    pub restarts: u64,
    pub recent: Vec<WatchdogAction>,
    #[serde(default)]
    pub pacing: Option<WatchdogPacing>,
    /// Every container restarted lately or waiting for a restart.
    #[serde(default)]
    pub containers: Vec<WatchdogContainer>,
    /// Restart policies that could not be read or applied, by repository.
    #[serde(default)]
    pub problems: Vec<WatchdogProblem>,
}

/// A repository's restart policies the watchdog could not read (the file is missing a
/// repository, corrupt, a FIFO, a link, hangs) or a saved value it cannot apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchdogProblem {
    pub network_id: u32,
    /// The file at fault.
    pub file: String,
    /// The service whose saved value is bad; None when the whole file is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub error: String,
    /// What the watchdog applies meanwhile.
    pub using: String,
}

/// The last refresh failed as a whole: the configuration served is the last good one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stale {
    /// When refreshes began to fail (unix seconds).
    pub since_unix: u64,
    pub error: String,
}

/// A daemon that did not answer this refresh, and since when its last good routes are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: String,
    pub kept_since_unix: u64,
}

/// The last request for the configuration (`/config`, `/routes.json`): whether, and from
/// where, a proxy polls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigRequest {
    pub unix: u64,
    pub client: String,
    pub user_agent: String,
}

/// Facts about the refresh that are not part of the configuration.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    pub refreshes: u64,
    pub time_unix: u64,
    pub discover_ms: f64,
    pub lease_error: Option<String>,
    pub watchdog: WatchdogHealth,
    /// Event streams by network ID; a daemon missing here has none yet.
    pub events: BTreeMap<u32, EventStream>,
    /// Daemons that failed this refresh whose last good routes are still served (their input
    /// carries those routes and no error).
    pub kept: BTreeMap<u32, Failure>,
    /// The refresh failed as a whole: what is served is the last good configuration.
    pub stale: Option<Stale>,
}

/// `/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health<'a> {
    /// `ok`, or `degraded` when a daemon failed, the leases are unreadable or a container has
    /// a problem.
    pub status: Cow<'a, str>,
    pub routers: usize,
    pub services: usize,
    pub http: Counts,
    pub tcp: Counts,
    pub udp: Counts,
    pub auto_routes: bool,
    pub base_domain: Cow<'a, str>,
    pub machine_name: Option<Cow<'a, str>>,
    pub daemons_seen: usize,
    pub daemons_failed: usize,
    pub daemons: Vec<DaemonHealth<'a>>,
    pub containers_routed: usize,
    pub problems: Vec<ProblemEntry<'a>>,
    pub leases: LeaseHealth<'a>,
    pub last_refresh_unix: u64,
    pub refreshes: u64,
    /// Refreshes whose inputs changed (the others reuse the last build).
    pub builds: u64,
    pub discover_ms: f64,
    pub build_ms: f64,
    pub watchdog: Cow<'a, WatchdogHealth>,
    /// The last refresh failed as a whole: the configuration served is older (the last good).
    #[serde(default)]
    pub stale: Option<Stale>,
    /// Spliced into the snapshot's bytes per request ([`with_last_config_request`]), so it is
    /// not serialised with the rest.
    #[serde(default, skip_serializing)]
    pub last_config_request: Option<ConfigRequest>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub routers: usize,
    pub services: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonHealth<'a> {
    pub network_id: u32,
    pub socket: Cow<'a, str>,
    pub ok: bool,
    pub containers: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Cow<'a, str>>,
    /// Its event stream is followed: changes show within a second, not at the next poll.
    pub events: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_error: Option<Cow<'a, str>>,
    /// It failed (see `error`) and its last good routes are served, since then (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes_kept_since_unix: Option<u64>,
}

/// A [`Problem`] of the build, as `/health` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemEntry<'a> {
    pub network_id: u32,
    pub container: Cow<'a, str>,
    pub service: Cow<'a, str>,
    /// `container dropped`, `route skipped` or `label ignored`.
    pub effect: Cow<'a, str>,
    pub reason: Cow<'a, str>,
    /// The label at fault (`traefik.http.routers.x.rule`), when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Cow<'a, str>>,
}

impl<'a> From<&'a Problem> for ProblemEntry<'a> {
    fn from(p: &'a Problem) -> Self {
        Self {
            network_id: p.network_id,
            container: Cow::Borrowed(&p.container),
            service: Cow::Borrowed(&p.service),
            effect: Cow::Borrowed(p.effect),
            reason: Cow::Borrowed(&p.reason),
            label: p.label.as_deref().map(Cow::Borrowed),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseHealth<'a> {
    pub count: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Cow<'a, str>>,
}

/// `/ports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortsDoc<'a> {
    pub leases: Vec<PortEntry<'a>>,
    /// The lease database could not be read: these are the last leases read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Cow<'a, str>>,
}

/// A lease (its fields as `renet ports list --json` writes them) and where its route stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortEntry<'a> {
    pub network_id: u32,
    pub service: Cow<'a, str>,
    /// `tcp` or `udp`.
    pub proto: Cow<'a, str>,
    pub container_port: u16,
    pub external_port: u16,
    /// The container runs and the route exists.
    pub active: bool,
    /// `ip:container_port` traffic goes to, when the container runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

fn pretty<T: Serialize>(v: &T) -> Bytes {
    let mut s = serde_json::to_string_pretty(v).expect("route server documents serialize");
    s.push('\n');
    s.shrink_to_fit();
    Bytes::from(s)
}

/// FNV-1a, 64 bits: a stable ETag for identical bytes.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What the refreshes still read of a build once it is serialised: the configuration structs
/// themselves (17 MB for 20,000 containers) are dropped as soon as the bytes exist.
#[derive(Debug, Clone)]
pub struct Summary {
    pub http: Counts,
    pub tcp: Counts,
    pub udp: Counts,
    /// Sorted.
    pub problems: Vec<Problem>,
    pub routed_containers: usize,
    /// Entrypoints the TCP and UDP routers listen on (`tcp-10003`), for `/ports`.
    pub entry_points: BTreeSet<String>,
}

impl Summary {
    fn of(built: &Built) -> Self {
        let c = &built.config;
        Self {
            http: Counts {
                routers: c.http.routers.len(),
                services: c.http.services.len(),
            },
            tcp: Counts {
                routers: c.tcp.routers.len(),
                services: c.tcp.services.len(),
            },
            udp: Counts {
                routers: c.udp.routers.len(),
                services: c.udp.services.len(),
            },
            problems: built.problems.clone(),
            routed_containers: built.routed_containers,
            entry_points: c
                .tcp
                .routers
                .values()
                .flat_map(|r| r.entry_points.iter())
                .chain(c.udp.routers.values().flat_map(|r| r.entry_points.iter()))
                .cloned()
                .collect(),
        }
    }

    pub(crate) fn routers(&self) -> usize {
        self.http.routers + self.tcp.routers + self.udp.routers
    }

    fn services(&self) -> usize {
        self.http.services + self.tcp.services + self.udp.services
    }
}

/// One build's result, serialised: reused as long as the inputs do not change.
pub struct BuiltState {
    pub summary: Summary,
    pub config_json: Bytes,
    pub config_yaml: Bytes,
    pub etag: String,
    /// Time of the build and the serialisation.
    pub build_ms: f64,
}

/// Build the configuration and serialise everything that depends only on the inputs. Pure.
pub fn build_state(daemons: &[DaemonInput], leases: &[Lease], settings: &Settings) -> BuiltState {
    let began = Instant::now();
    let built = build::build(daemons, leases, &settings.options);
    let config_yaml = super::config_yaml(&built.config);
    let config_json = super::config_json(&built.config);
    BuiltState {
        etag: format!("\"{:016x}\"", fnv1a(&config_json)),
        config_json: Bytes::from(config_json),
        config_yaml: Bytes::from(config_yaml),
        summary: Summary::of(&built),
        build_ms: ms(began.elapsed()),
    }
}

fn daemon_health<'a>(
    d: &'a DaemonInput,
    stream: Option<&'a EventStream>,
    kept: Option<&'a Failure>,
) -> DaemonHealth<'a> {
    let error = d.error.as_deref().or(kept.map(|k| k.error.as_str()));
    DaemonHealth {
        network_id: d.network_id.get(),
        socket: Cow::Borrowed(&d.socket),
        ok: error.is_none(),
        containers: d.containers.len(),
        error: error.map(Cow::Borrowed),
        events: stream.is_some_and(|s| s.connected),
        events_error: stream.and_then(|s| s.error.as_deref()).map(Cow::Borrowed),
        routes_kept_since_unix: kept.map(|k| k.kept_since_unix),
    }
}

/// `/health` as served: the snapshot's `bytes` (a pretty JSON object, see [`health_bytes`])
/// with `last_config_request` added as its last member. A copy of the bytes, not a new
/// serialisation of the document.
pub fn with_last_config_request(bytes: &[u8], last: Option<&ConfigRequest>) -> Vec<u8> {
    let value = serde_json::to_string(&last).expect("a config request serializes");
    let body = bytes.strip_suffix(b"\n}\n").unwrap_or(bytes);
    let mut out = Vec::with_capacity(bytes.len() + value.len() + 32);
    out.extend_from_slice(body);
    out.extend_from_slice(b",\n  \"last_config_request\": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\n}\n");
    out
}

/// `/health`: the build's counts and problems plus this refresh's facts. Pure.
pub fn health_bytes(
    daemons: &[DaemonInput],
    lease_count: usize,
    b: &BuiltState,
    settings: &Settings,
    meta: &Meta,
    builds: u64,
) -> Bytes {
    let summary = &b.summary;
    let failed = daemons
        .iter()
        .filter(|d| d.error.is_some() || meta.kept.contains_key(&d.network_id.get()))
        .count();
    let degraded = failed > 0
        || meta.lease_error.is_some()
        || !summary.problems.is_empty()
        || meta.stale.is_some()
        || !meta.watchdog.problems.is_empty();
    let health = Health {
        status: Cow::Borrowed(if degraded { "degraded" } else { "ok" }),
        routers: summary.routers(),
        services: summary.services(),
        http: summary.http,
        tcp: summary.tcp,
        udp: summary.udp,
        auto_routes: true,
        base_domain: Cow::Borrowed(&settings.options.base_domain),
        machine_name: settings.options.machine_name.as_deref().map(Cow::Borrowed),
        daemons_seen: daemons.len(),
        daemons_failed: failed,
        daemons: daemons
            .iter()
            .map(|d| {
                let net = d.network_id.get();
                daemon_health(d, meta.events.get(&net), meta.kept.get(&net))
            })
            .collect(),
        containers_routed: summary.routed_containers,
        problems: summary.problems.iter().map(ProblemEntry::from).collect(),
        leases: LeaseHealth {
            count: lease_count,
            error: meta.lease_error.as_deref().map(Cow::Borrowed),
        },
        last_refresh_unix: meta.time_unix,
        refreshes: meta.refreshes,
        builds,
        discover_ms: meta.discover_ms,
        build_ms: b.build_ms,
        watchdog: Cow::Borrowed(&meta.watchdog),
        stale: meta.stale.clone(),
        last_config_request: None,
    };
    pretty(&health)
}

/// `/ports`: every lease, whether its route is live, and where it points. Pure.
pub fn ports_bytes(
    daemons: &[DaemonInput],
    leases: &[Lease],
    summary: &Summary,
    lease_error: Option<&str>,
) -> Bytes {
    let networks: BTreeSet<u32> = leases.iter().map(|l| l.key.network_id).collect();
    let mut targets: BTreeMap<(u32, String), String> = BTreeMap::new();
    for d in daemons
        .iter()
        .filter(|d| d.error.is_none() && networks.contains(&d.network_id.get()))
    {
        for ct in d.containers.iter().filter(|c| c.state == "running") {
            if let Some(ip) = ct.labels.get("rediacc.service_ip") {
                targets
                    .entry((d.network_id.get(), build::service_name(ct)))
                    .or_insert_with(|| ip.to_owned());
            }
        }
    }
    let active = &summary.entry_points;
    let mut sorted: Vec<&Lease> = leases.iter().collect();
    sorted.sort();
    let entry = |l: &'_ Lease| {
        let target = targets
            .get(&(l.key.network_id, l.key.service.clone()))
            .map(|ip| format!("{ip}:{}", l.key.container_port));
        let entrypoint = format!("{}-{}", l.key.proto.as_str(), l.external_port);
        (target, entrypoint)
    };
    let doc = PortsDoc {
        leases: sorted
            .into_iter()
            .map(|l| {
                let (target, entrypoint) = entry(l);
                PortEntry {
                    network_id: l.key.network_id,
                    service: Cow::Borrowed(&l.key.service),
                    proto: Cow::Borrowed(l.key.proto.as_str()),
                    container_port: l.key.container_port,
                    external_port: l.external_port,
                    active: target.is_some() && active.contains(&entrypoint),
                    target,
                }
            })
            .collect(),
        error: lease_error.map(Cow::Borrowed),
    };
    pretty(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leases::{LeaseKey, Proto};
    use crate::network::NetworkId;
    use crate::routes::build::ContainerInput;

    /// `/health` and `/ports` read back as their own types, and write the same bytes again.
    #[test]
    fn documents_read_back() {
        let labels = [
            ("rediacc.service_name", "db"),
            ("rediacc.service_ip", "127.0.11.3"),
            ("rediacc.network_id", "2816"),
            ("rediacc.repo_name", "shop"),
            ("rediacc.tcp_ports", "5432"),
        ];
        let db = ContainerInput {
            id: "1".into(),
            name: "shop-db-1".into(),
            state: "running".into(),
            created: 0,
            labels: labels.into_iter().collect(),
        };
        let mut bad = db.clone();
        bad.name = "shop-bad-1".into();
        bad.labels.insert("rediacc.service_name", "bad");
        bad.labels.insert("rediacc.service_ip", "127.0.11.4");
        bad.labels.insert("rediacc.service_port", "nope");
        let daemons = [
            DaemonInput {
                network_id: NetworkId::new(2816).unwrap(),
                socket: "/run/rediacc/docker-2816.sock".into(),
                error: None,
                containers: vec![db, bad],
            },
            DaemonInput {
                network_id: NetworkId::new(2880).unwrap(),
                socket: "/run/rediacc/docker-2880.sock".into(),
                error: Some("no answer within 2s".into()),
                containers: Vec::new(),
            },
        ];
        let leases = [Lease {
            key: LeaseKey::new(2816, "db", Proto::Tcp, 5432),
            external_port: 10000,
        }];
        let settings = Settings {
            run_dir: "/run/rediacc".into(),
            state_dir: "/var/lib/rediacc".into(),
            poll: Duration::from_secs(5),
            daemon_timeout: Duration::from_secs(2),
            watchdog_grace: Some(Duration::from_secs(30)),
            options: build::Options::default(),
        };
        let meta = Meta {
            refreshes: 1,
            time_unix: 1_700_000_000,
            discover_ms: 0.5,
            lease_error: Some("locked".into()),
            watchdog: WatchdogHealth {
                enabled: true,
                grace_seconds: Some(30.0),
                restarts: 1,
                recent: vec![WatchdogAction {
                    time_unix: 1_699_999_999,
                    network_id: 2816,
                    container: "shop-db-1".into(),
                    service: "db".into(),
                    policy: "always".into(),
                    exit_code: 137,
                    stopped_seconds: 31,
                    backoff_seconds: 2.0,
                    result: "restarted".into(),
                }],
                pacing: Some(WatchdogPacing {
                    settle_seconds: 0.5,
                    backoff_first_seconds: 1.0,
                    backoff_max_seconds: 300.0,
                    reset_after_seconds: 60.0,
                }),
                containers: vec![WatchdogContainer {
                    network_id: 2816,
                    container: "shop-db-1".into(),
                    service: "db".into(),
                    policy: "always".into(),
                    restarts: 2,
                    crashes_in_a_row: 1,
                    backoff_seconds: 1.0,
                    next_attempt_unix: Some(1_700_000_000.5),
                    waiting_for: Some("back-off".into()),
                    last_result: Some("restarted".into()),
                }],
                problems: vec![WatchdogProblem {
                    network_id: 2880,
                    file: "/srv/blog/.rediacc.json".into(),
                    service: None,
                    error: "/srv/blog/.rediacc.json: not a regular file (a FIFO)".into(),
                    using: "the last policies read".into(),
                }],
            },
            events: BTreeMap::from([(2880, EventStream::default())]),
            ..Meta::default()
        };
        let built = build_state(&daemons, &leases, &settings);
        let bytes = health_bytes(&daemons, 1, &built, &settings, &meta, 1);
        let health: Health<'_> = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(pretty(&health), bytes);
        assert_eq!(health.status, "degraded");
        assert_eq!(health.problems[0].service, "bad");
        assert_eq!(health.problems[0].effect, build::DROPPED);
        // The label at fault, written and read back; left out when there is none.
        assert_eq!(
            health.problems[0].label.as_deref(),
            Some("rediacc.service_port")
        );
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.contains("\"label\": \"rediacc.service_port\""),
            "{text}"
        );
        assert_eq!(
            health.daemons[1].error.as_deref(),
            Some("no answer within 2s")
        );
        assert_eq!(health.leases.error.as_deref(), Some("locked"));
        assert_eq!(health.watchdog.recent, meta.watchdog.recent);
        assert_eq!(*health.watchdog, meta.watchdog);

        // As served: the last /config request spliced in, the rest byte for byte the same.
        assert_eq!(health.last_config_request, None);
        let served = with_last_config_request(&bytes, None);
        let read: serde_json::Value = serde_json::from_slice(&served).unwrap();
        assert_eq!(read["last_config_request"], serde_json::Value::Null);
        let last = ConfigRequest {
            unix: 1_700_000_001,
            client: "127.0.0.1:51234".into(),
            user_agent: "Traefik/3.7.15 \"quoted\"\n".into(),
        };
        let served = with_last_config_request(&bytes, Some(&last));
        let read: Health<'_> = serde_json::from_slice(&served).unwrap();
        assert_eq!(read.last_config_request.as_ref(), Some(&last));
        assert_eq!(pretty(&read), bytes);
        let value: serde_json::Value = serde_json::from_slice(&served).unwrap();
        assert_eq!(
            value["last_config_request"],
            serde_json::json!({"unix": 1_700_000_001_u64, "client": "127.0.0.1:51234",
                "user_agent": "Traefik/3.7.15 \"quoted\"\n"})
        );
        assert_eq!(health.watchdog.problems[0].network_id, 2880);

        let bytes = ports_bytes(&daemons, &leases, &built.summary, None);
        let ports: PortsDoc<'_> = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(pretty(&ports), bytes);
        assert_eq!(ports.leases[0].target.as_deref(), Some("127.0.11.3:5432"));
        assert!(ports.leases[0].active);
        assert_eq!(ports.error, None);
    }
}
