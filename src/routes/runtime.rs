//! The route server's effects: find daemon sockets, list their containers, follow their
//! events, read the leases, run the watchdog, and publish the latest documents. Docker is
//! reached through [`DockerApi`], so unit tests run all of it against the fake.
//!
//! - Every refresh globs `$RENET_RUN_DIR/docker-*.sock`, so a new daemon is picked up without
//!   a restart and a removed one is forgotten.
//! - Each daemon is asked with its own timeout, all at once (at most 64 in flight): a hung
//!   daemon costs one timeout and an error in `/health`, never the others' routes.
//! - Each daemon's event stream (container start/die/stop/destroy) triggers a refresh after a
//!   short debounce; a poll every `--poll` is the safety net and drives the watchdog.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use tokio::sync::watch;

use super::build::{self, ContainerInput, DaemonInput, Options, Problem};
use super::builder::Builder;
use super::documents::{self, BuiltState, Meta, Summary, build_state, health_bytes, ports_bytes};
use super::state::{EventStream, Shared, Snapshot};
use super::watchdog::{self, Observed, Policy};
use crate::docker::{ApiError, ApiVersion, Container, DockerApi, Query, Target, paths};
use crate::leases::{self, Lease};
use crate::network::NetworkId;
use crate::{output, slotmap};

/// How long to wait after an event before refreshing, so a burst (compose starting ten
/// containers) costs one refresh.
const DEBOUNCE: Duration = Duration::from_millis(150);
/// Daemons listed at once.
const CONCURRENCY: usize = 64;
/// The label of every container renet runs: the route server lists only those.
const SERVICE_LABEL: &str = "rediacc.service_name";

#[derive(Debug, Clone)]
pub struct Settings {
    pub run_dir: PathBuf,
    pub state_dir: PathBuf,
    pub poll: Duration,
    pub daemon_timeout: Duration,
    /// None: watchdog off.
    pub watchdog_grace: Option<Duration>,
    pub options: Options,
}

/// A daemon call that failed or took too long.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CallError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("no answer within {}s", .0.as_secs_f64())]
    NoAnswer(Duration),
    #[error("listing containers took longer than {}s", .0.as_secs_f64())]
    SlowList(Duration),
    #[error("timed out")]
    TimedOut,
}

/// `call`, bounded by `timeout` whatever the implementation does: `late` when it runs out.
async fn within<T>(
    timeout: Duration,
    late: CallError,
    call: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, CallError> {
    match tokio::time::timeout(timeout, call).await {
        Ok(answer) => Ok(answer?),
        Err(_) => Err(late),
    }
}

fn routing_label(key: &str) -> bool {
    key.starts_with("rediacc.")
        || key.starts_with("traefik.")
        || key == "com.docker.compose.service"
}

/// What the builder reads of listed containers, in a stable order (so unchanged state compares
/// equal between refreshes).
fn inputs(listed: Vec<Container>) -> Vec<ContainerInput> {
    let mut v: Vec<ContainerInput> = listed
        .into_iter()
        .map(|c| ContainerInput {
            id: c.id,
            name: c.name,
            state: c.state,
            // Only what routing reads is kept: compose's own labels (config hashes, file
            // paths) would be most of the memory of 20,000 containers.
            labels: c
                .labels
                .into_iter()
                .filter(|(k, _)| routing_label(k))
                .collect(),
        })
        .collect();
    v.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    // `collect` reused the allocation of the much larger listed containers in place; this list
    // is kept until the next refresh, so give the difference back (24 MB for 20,000).
    v.shrink_to_fit();
    v
}

/// One daemon's running containers, negotiating the API version first unless `known`; the
/// whole within `timeout`.
async fn list_daemon(
    api: &impl DockerApi,
    socket: &Path,
    known: Option<ApiVersion>,
    timeout: Duration,
) -> Result<(ApiVersion, Vec<ContainerInput>), CallError> {
    let started = Instant::now();
    let version = match known {
        Some(v) => v,
        None => {
            within(
                timeout,
                CallError::NoAnswer(timeout),
                api.negotiate(socket, timeout),
            )
            .await?
        }
    };
    let left = timeout.saturating_sub(started.elapsed());
    let at = Target {
        socket,
        version,
        timeout,
    };
    let query = Query {
        all: false,
        label: SERVICE_LABEL,
        status: Some("running"),
    };
    let listed = within(left, CallError::SlowList(left), api.containers(at, query)).await?;
    Ok((version, inputs(listed)))
}

/// Follow one daemon's container events until it goes away; reconnect every second.
async fn watch_events(
    api: Arc<impl DockerApi>,
    net: NetworkId,
    socket: PathBuf,
    shared: Arc<Shared>,
    timeout: Duration,
) {
    let connected_now = || EventStream {
        connected: true,
        error: None,
    };
    loop {
        let mut connected = false;
        let ended = api
            .events(
                &socket,
                timeout,
                || {
                    connected = true;
                    shared.set_events(net.get(), Some(connected_now()));
                    // Catch up with whatever happened while nobody was listening.
                    shared.trigger.notify_one();
                },
                |event| {
                    if let Some(ev) = event {
                        shared.note_event(net.get(), ev);
                    }
                    shared.trigger.notify_one();
                },
            )
            .await;
        let why = match ended {
            Ok(()) => "the daemon ended the stream".to_owned(),
            Err(e) => e.to_string(),
        };
        let stream = EventStream {
            connected: false,
            error: Some(why),
        };
        shared.set_events(net.get(), Some(stream));
        shared.forget_stops(net.get());
        if connected {
            shared.trigger.notify_one();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// What the route server keeps per daemon between refreshes: no client (a client per daemon
/// is 4 MB at 1,000 daemons), only the API version negotiated once, and the event follower.
struct Conn {
    version: Option<ApiVersion>,
    watcher: tokio::task::JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

/// A fingerprint of a build's inputs and its result. Only the fingerprint of the inputs is
/// kept: keeping the inputs themselves to compare would double their memory at every refresh.
type LastBuild = (u64, Arc<BuiltState>);

/// SipHash of everything a build reads. Equal inputs give equal fingerprints; the chance that
/// changed inputs collide (and one refresh is skipped until the next change) is 2^-64.
fn fingerprint(daemons: &[DaemonInput], leases: &[Lease]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    daemons.hash(&mut h);
    leases.hash(&mut h);
    h.finish()
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The restart policies saved for the repository network `net`'s daemon serves, by service;
/// None when it serves none or none has a policy.
fn saved_policies(run_dir: &Path, net: NetworkId) -> Option<BTreeMap<String, String>> {
    let repo = paths::recorded_repository(&paths::repo_marker(run_dir, net))?;
    let map = slotmap::read(&repo).ok()?;
    let policies: BTreeMap<String, String> = map
        .services()
        .into_iter()
        .filter_map(|(name, e)| Some((name, e.restart_policy?)))
        .collect();
    (!policies.is_empty()).then_some(policies)
}

/// The refresh loop's state.
pub struct Refresher<A> {
    api: Arc<A>,
    settings: Arc<Settings>,
    shared: Arc<Shared>,
    conns: BTreeMap<PathBuf, Conn>,
    leases: Vec<Lease>,
    refreshes: u64,
    last_etag: String,
    last_problems: BTreeSet<Problem>,
    last_errors: BTreeMap<u32, String>,
    last_lease_error: Option<String>,
    watchdog: watchdog::Memory,
    /// The inputs of the last build and its result.
    last: Option<LastBuild>,
    builds: u64,
    builder: Builder,
}

impl<A: DockerApi> Refresher<A> {
    pub fn new(api: A, settings: Arc<Settings>, shared: Arc<Shared>) -> Self {
        Self {
            api: Arc::new(api),
            settings,
            shared,
            conns: BTreeMap::new(),
            leases: Vec::new(),
            refreshes: 0,
            last_etag: String::new(),
            last_problems: BTreeSet::new(),
            last_errors: BTreeMap::new(),
            last_lease_error: None,
            watchdog: watchdog::Memory::default(),
            last: None,
            builds: 0,
            builder: Builder::new(),
        }
    }

    /// Refresh until `shutdown` turns true: on events (debounced) and every poll interval.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let mut next_poll = Instant::now() + self.settings.poll;
        loop {
            let poll_due = tokio::select! {
                () = self.shared.trigger.notified() => {
                    tokio::time::sleep(DEBOUNCE).await;
                    false
                }
                () = tokio::time::sleep_until(next_poll.into()) => true,
                _ = shutdown.changed() => return,
            };
            if poll_due {
                next_poll = Instant::now() + self.settings.poll;
            }
            self.refresh(poll_due).await;
        }
    }

    /// One refresh: discover, list, build, publish; with `watchdog`, also restart what the
    /// saved policies ask for.
    pub async fn refresh(&mut self, watchdog: bool) {
        let began = Instant::now();
        let found = self.discover();
        let daemons = self.list(&found).await;
        let lease_error = self.read_leases().await;
        let discovered = began.elapsed();

        self.refreshes += 1;
        let meta = Meta {
            refreshes: self.refreshes,
            time_unix: now_unix(),
            discover_ms: documents::ms(discovered),
            lease_error: lease_error.clone(),
            watchdog: self.watchdog.health(self.settings.watchdog_grace),
            events: self.shared.event_streams(),
        };
        let daemons = Arc::new(daemons);
        let Some(built) = self.build(&daemons).await else {
            return;
        };
        let snapshot = Snapshot {
            config_yaml: built.config_yaml.clone(),
            config_json: built.config_json.clone(),
            health: health_bytes(
                &daemons,
                self.leases.len(),
                &built,
                &self.settings,
                &meta,
                self.builds,
            ),
            ports: ports_bytes(
                &daemons,
                &self.leases,
                &built.summary,
                lease_error.as_deref(),
            ),
            etag: built.etag.clone(),
        };
        self.log_changes(&snapshot, &built.summary, &daemons, lease_error.as_deref());
        self.shared.publish(snapshot);
        // A refresh frees what it listed and built (tens of MB at 20,000 containers); glibc
        // would keep it. On the builder thread: the 1-3 ms it takes stays off the workers
        // that answer Traefik.
        self.builder.spawn(crate::memory::release_free_heap);

        if watchdog && let Some(grace) = self.settings.watchdog_grace {
            self.run_watchdog(&daemons, grace).await;
        }
    }

    /// The daemon sockets there are now: forget the daemons that are gone, follow the events
    /// of the new ones.
    fn discover(&mut self) -> Vec<(NetworkId, PathBuf)> {
        let run_dir = &self.settings.run_dir;
        let found = paths::sockets(run_dir).unwrap_or_else(|e| {
            output::warn(&format!("route-server: {}: {e}", run_dir.display()));
            Vec::new()
        });
        let sockets: BTreeSet<&PathBuf> = found.iter().map(|(_, p)| p).collect();
        self.conns.retain(|p, _| sockets.contains(p));
        let nets: BTreeSet<u32> = found.iter().map(|(n, _)| n.get()).collect();
        for gone in self
            .shared
            .event_streams()
            .into_keys()
            .filter(|n| !nets.contains(n))
        {
            self.shared.set_events(gone, None);
        }
        for (net, path) in &found {
            self.conns.entry(path.clone()).or_insert_with(|| Conn {
                version: None,
                watcher: tokio::spawn(watch_events(
                    Arc::clone(&self.api),
                    *net,
                    path.clone(),
                    Arc::clone(&self.shared),
                    self.settings.daemon_timeout,
                )),
            });
        }
        found
    }

    /// List every daemon at once, each bounded by its own timeout; remember the versions.
    async fn list(&mut self, found: &[(NetworkId, PathBuf)]) -> Vec<DaemonInput> {
        let timeout = self.settings.daemon_timeout;
        // Owned paths: with borrowed ones rustc cannot prove the spawned loop `Send` (a known
        // limitation with closures that return async blocks over a reference argument).
        let targets: Vec<(NetworkId, PathBuf, Option<ApiVersion>)> = found
            .iter()
            .map(|(net, path)| {
                let known = self.conns.get(path).and_then(|c| c.version);
                (*net, path.clone(), known)
            })
            .collect();
        let api = &*self.api;
        let jobs = targets.into_iter().map(|(net, path, known)| async move {
            let result = list_daemon(api, &path, known, timeout).await;
            (net, path, result)
        });
        let results: Vec<_> = futures_util::stream::iter(jobs)
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut daemons = Vec::with_capacity(results.len());
        for (net, path, result) in results {
            if let Some(c) = self.conns.get_mut(&path) {
                // A daemon that failed may come back as another version: negotiate again.
                c.version = result.as_ref().ok().map(|(v, _)| *v);
            }
            let (containers, error) = match result {
                Ok((_, containers)) => (containers, None),
                Err(e) => (Vec::new(), Some(e.to_string())),
            };
            daemons.push(DaemonInput {
                network_id: net,
                socket: path.display().to_string(),
                error,
                containers,
            });
        }
        daemons.sort_by_key(|d| d.network_id);
        daemons
    }

    /// Read the leases; on error keep the last good list (routes do not flap with the
    /// database) and return the error.
    async fn read_leases(&mut self) -> Option<String> {
        let state_dir = self.settings.state_dir.clone();
        match tokio::task::spawn_blocking(move || leases::list(&state_dir)).await {
            Ok(Ok(l)) => {
                self.leases = l;
                None
            }
            Ok(Err(e)) => Some(e.to_string()),
            Err(e) => Some(e.to_string()),
        }
    }

    /// The build for these inputs: the last one when they did not change (identical inputs
    /// give identical output), else a new one from the builder thread.
    async fn build(&mut self, daemons: &Arc<Vec<DaemonInput>>) -> Option<Arc<BuiltState>> {
        let print = fingerprint(daemons, &self.leases);
        if let Some((_, built)) = self.last.as_ref().filter(|(f, _)| *f == print) {
            return Some(Arc::clone(built));
        }
        // The old result is still being served (the snapshot holds its bytes); the rest of it
        // can go before the new one is built.
        self.last = None;
        let settings = Arc::clone(&self.settings);
        let leases_now = self.leases.clone();
        let for_build = Arc::clone(daemons);
        let result = self
            .builder
            .run(move || Arc::new(build_state(&for_build, &leases_now, &settings)))
            .await;
        match result {
            Ok(b) => {
                self.builds += 1;
                self.last = Some((print, Arc::clone(&b)));
                Some(b)
            }
            Err(e) => {
                output::error(&format!(
                    "route-server: building the configuration failed: {e}"
                ));
                None
            }
        }
    }

    fn log_changes(
        &mut self,
        snapshot: &Snapshot,
        summary: &Summary,
        daemons: &[DaemonInput],
        lease_error: Option<&str>,
    ) {
        let errors: BTreeMap<u32, String> = daemons
            .iter()
            .filter_map(|d| Some((d.network_id.get(), d.error.clone()?)))
            .collect();
        for (net, e) in &errors {
            if self.last_errors.get(net) != Some(e) {
                output::warn(&format!("route-server: daemon {net}: {e}"));
            }
        }
        for net in self.last_errors.keys() {
            if !errors.contains_key(net) && daemons.iter().any(|d| d.network_id.get() == *net) {
                output::note(&format!("route-server: daemon {net} answers again"));
            }
        }
        self.last_errors = errors;
        if lease_error != self.last_lease_error.as_deref() {
            if let Some(e) = lease_error {
                output::warn(&format!(
                    "route-server: port leases unreadable (keeping the last ones): {e}"
                ));
            }
            self.last_lease_error = lease_error.map(str::to_owned);
        }
        let problems: BTreeSet<Problem> = summary.problems.iter().cloned().collect();
        for p in problems.difference(&self.last_problems) {
            output::warn(&format!(
                "route-server: network {} container {} (service {}): {}: {}",
                p.network_id, p.container, p.service, p.effect, p.reason
            ));
        }
        self.last_problems = problems;
        if snapshot.etag != self.last_etag {
            output::note(&format!(
                "route-server: configuration updated: {} HTTP, {} TCP, {} UDP routers from {} containers on {} daemons",
                summary.http.routers,
                summary.tcp.routers,
                summary.udp.routers,
                summary.routed_containers,
                daemons.len()
            ));
            self.last_etag.clone_from(&snapshot.etag);
        }
    }

    /// Restart the stopped containers whose saved policy asks for it ([`watchdog::plan`]).
    async fn run_watchdog(&mut self, daemons: &[DaemonInput], grace: Duration) {
        let now = i64::try_from(now_unix()).unwrap_or(i64::MAX);
        let mut observed = Vec::new();
        let mut versions = BTreeMap::new();
        for d in daemons.iter().filter(|d| d.error.is_none()) {
            let socket = PathBuf::from(&d.socket);
            let Some(version) = self.conns.get(&socket).and_then(|c| c.version) else {
                continue;
            };
            let Some(policies) = saved_policies(&self.settings.run_dir, d.network_id) else {
                continue;
            };
            observed.extend(
                self.observe(d.network_id, &socket, version, &policies)
                    .await,
            );
            versions.insert(d.network_id.get(), (socket, version));
        }
        let timeout = self.settings.daemon_timeout;
        for r in watchdog::plan(&mut self.watchdog, observed, now, grace) {
            let Some((socket, version)) = versions.get(&r.network_id) else {
                continue;
            };
            let at = Target {
                socket,
                version: *version,
                timeout,
            };
            let started = within(timeout, CallError::TimedOut, self.api.start(at, &r.id))
                .await
                .map_err(|e| e.to_string());
            let result = self.watchdog.record(&r, started, now_unix());
            output::note(&format!(
                "route-server: watchdog: network {} container {} (service {}, restart {}, \
                 exit code {}, stopped {}s ago): {result}",
                r.network_id,
                r.name,
                r.service,
                r.policy_text,
                r.exit_code,
                r.stopped_for.as_secs()
            ));
        }
    }

    /// Network `net`'s exited containers that have a saved policy, inspected.
    async fn observe(
        &self,
        net: NetworkId,
        socket: &Path,
        version: ApiVersion,
        policies: &BTreeMap<String, String>,
    ) -> Vec<Observed> {
        let timeout = self.settings.daemon_timeout;
        let at = Target {
            socket,
            version,
            timeout,
        };
        let query = Query {
            all: true,
            label: SERVICE_LABEL,
            status: Some("exited"),
        };
        let listing = self.api.containers(at, query);
        let Ok(exited) = within(timeout, CallError::SlowList(timeout), listing).await else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for c in inputs(exited) {
            let service = build::service_name(&c);
            let Some(text) = policies.get(&service) else {
                continue;
            };
            let Ok(policy) = Policy::parse(Some(text)) else {
                continue;
            };
            let inspect = self.api.inspect(at, &c.id);
            let exit = within(timeout, CallError::TimedOut, inspect).await.ok();
            out.push(Observed {
                network_id: net.get(),
                stopped_on_purpose: self.shared.stopped_on_purpose(net.get(), &c.id),
                id: c.id,
                name: c.name,
                service,
                policy_text: text.clone(),
                policy,
                exit,
            });
        }
        out
    }
}
