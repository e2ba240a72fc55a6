//! The route server's effects: find daemon sockets, list their containers, follow their
//! events, read the leases, run the watchdog, and publish the latest documents. Docker is
//! reached through [`DockerApi`], so unit tests run all of it against the fake.
//!
//! - Every refresh globs `$RENET_RUN_DIR/docker-*.sock`, so a new daemon is picked up without
//!   a restart and a removed one is forgotten; the folder is watched (`socket_watch`), so a
//!   socket made or removed triggers that refresh at once.
//! - Each daemon is asked with its own timeout, all at once (at most 64 in flight): a hung
//!   daemon costs one timeout and an error in `/health`, never the others' routes.
//! - Each daemon's event stream (container start/die/stop/destroy) triggers a refresh after a
//!   short debounce; a poll every `--poll` is the safety net.
//! - The watchdog looks at a daemon after a `die` event on it, when a restart it waits for is
//!   due (its own timer), and at every poll; it too asks every daemon at once, each call within
//!   the daemon timeout, and reads the restart policies through `policies` (bounded,
//!   non-blocking, a budget per file, the last good ones kept).
//! - Nothing that fails makes the route server serve less than it knows: a daemon that fails
//!   keeps its last good routes for [`KEEP_FAILED_ROUTES`]; a refresh that fails as a whole
//!   (too few descriptors, the run folder unreadable, the build, no route while daemons fail)
//!   serves the last good configuration again, with `stale` in /health.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use tokio::sync::watch;

use super::build::{self, ContainerInput, DaemonInput, Options, Problem};
use super::builder::{Builder, BuilderError};
use super::documents::{
    self, BuiltState, Failure, Meta, Stale, Summary, build_state, health_bytes, ports_bytes,
};
use super::policies::{Policies, Saved};
use super::state::{EventStream, Shared, Snapshot};
use super::watchdog::{self, Observed, Pacing};
use crate::docker::{ApiError, ApiVersion, Container, DockerApi, Query, Target, paths};
use crate::leases::{self, Lease};
use crate::network::NetworkId;
use crate::output;

/// How long to wait after an event before refreshing, so a burst (compose starting ten
/// containers) costs one refresh.
const DEBOUNCE: Duration = Duration::from_millis(150);
/// Daemons listed at once.
const CONCURRENCY: usize = 64;
/// How soon the watchdog looks again at a daemon it could not look at while a restart waits.
const OVERDUE_RETRY: Duration = Duration::from_secs(1);
/// The label of every container renet runs: the route server lists only those.
const SERVICE_LABEL: &str = "rediacc.service_name";
/// How long a daemon that stops answering keeps its last good routes: a daemon that is busy,
/// hangs for a while or meets the descriptor limit still runs its containers, and dropping
/// their routes would cut live traffic; one gone for good (its socket removed) is forgotten at
/// once, and after this its routes go too.
const KEEP_FAILED_ROUTES: Duration = Duration::from_secs(300);
/// Inspects (or starts) on one daemon at once.
const CALLS_PER_DAEMON: usize = 8;

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
            created: c.created,
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
    network: NetworkId,
    version: Option<ApiVersion>,
    watcher: tokio::task::JoinHandle<()>,
    /// Since when it fails (monotonic, and unix seconds for /health); None while it answers.
    failing_since: Option<(Instant, u64)>,
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

fn now_unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A future boxed as `Send`: with the concrete types of async blocks over references, rustc
/// cannot prove the refresh loop `Send` (rust-lang/rust#102211).
fn boxed<'a, T>(
    f: impl Future<Output = T> + Send + 'a,
) -> std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>> {
    Box::pin(f)
}

/// A task that ends with its owner.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Which daemons a watchdog round looks at.
enum Scope {
    /// Every daemon (the poll).
    All,
    /// These networks: those with a `die` event since the last round, and those with a
    /// restart waiting.
    Networks(BTreeSet<u32>),
}

/// Sleeps until `due`, or for ever when there is none.
async fn sleep_until_due(due: Option<Instant>) {
    match due {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

/// File descriptors a refresh needs free: a connection to each daemon listed at once, the
/// lease database, the policy files, and room for Traefik's connections.
const DESCRIPTORS_NEEDED: u64 = CONCURRENCY as u64 + 32;

/// Why a build without a single route is not served: a daemon failed (it may have routes
/// that nobody knows of now) or the run folder could not be read. An empty configuration
/// makes Traefik drop every route; it is served only when every daemon answered with none,
/// or once refreshes have failed for [`KEEP_FAILED_ROUTES`] (the bound of a failing daemon's
/// own routes).
fn refused_as_empty(
    built: &BuiltState,
    daemons: &[DaemonInput],
    discover_error: Option<&str>,
    stale_for: Option<Duration>,
) -> Option<String> {
    if built.summary.routers() > 0 || stale_for.is_some_and(|d| d >= KEEP_FAILED_ROUTES) {
        return None;
    }
    let failed: Vec<String> = daemons
        .iter()
        .filter_map(|d| Some(format!("{}: {}", d.socket, d.error.as_deref()?)))
        .collect();
    if let Some(e) = discover_error {
        return Some(format!("no route built, and {e}"));
    }
    let first = failed.first()?;
    Some(format!(
        "no route built while {} daemon(s) failed (first: {first}); an empty configuration \
         would make the proxy drop every route",
        failed.len()
    ))
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
    /// None: the watchdog is off.
    pacing: Option<Pacing>,
    /// When the first restart that waits (settle, grace, back-off) is due.
    watchdog_due: Option<Instant>,
    /// The inputs of the last build and its result.
    last: Option<LastBuild>,
    /// The last configuration published: served again when a refresh fails.
    good: Option<Arc<BuiltState>>,
    /// The inputs of the last build: a daemon that fails keeps its routes from here.
    last_daemons: Arc<Vec<DaemonInput>>,
    /// Refreshes fail as a whole since then (the run folder unreadable, the build failed, no
    /// route while daemons fail).
    stale: Option<Stale>,
    policies: Policies,
    builds: u64,
    builder: Builder,
}

impl<A: DockerApi> Refresher<A> {
    pub fn new(api: Arc<A>, settings: Arc<Settings>, shared: Arc<Shared>) -> Self {
        Self {
            pacing: settings.watchdog_grace.map(Pacing::with_grace),
            api,
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
            watchdog_due: None,
            last: None,
            good: None,
            last_daemons: Arc::new(Vec::new()),
            stale: None,
            policies: Policies::default(),
            builds: 0,
            builder: Builder::new(),
        }
    }

    /// Refresh until `shutdown` turns true: on events (debounced) and every poll interval;
    /// between them, run the watchdog when a restart it waits for is due.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let _sockets = AbortOnDrop(tokio::spawn(super::socket_watch::watch(
            self.settings.run_dir.clone(),
            Arc::clone(&self.shared),
        )));
        let mut next_poll = Instant::now() + self.settings.poll;
        loop {
            let due = self.watchdog_due;
            tokio::select! {
                () = self.shared.trigger.notified() => {
                    tokio::time::sleep(DEBOUNCE).await;
                    self.refresh(false).await;
                }
                () = tokio::time::sleep_until(next_poll.into()) => {
                    next_poll = Instant::now() + self.settings.poll;
                    self.refresh(true).await;
                }
                () = sleep_until_due(due) => self.watchdog_round().await,
                _ = shutdown.changed() => return,
            }
        }
    }

    /// One refresh: discover, list, build, publish; then the watchdog restarts what the saved
    /// policies ask for: on a `poll`, looking at every daemon, else at those with a container
    /// that died since it last looked (a crash is restarted at once, not at the next poll).
    ///
    /// A refresh that fails as a whole (too few file descriptors left, the run folder
    /// unreadable, the build failed, or no route at all while daemons fail) publishes the last
    /// good configuration again, with the failure in /health (`stale`).
    pub async fn refresh(&mut self, poll: bool) {
        let began = Instant::now();
        self.refreshes += 1;
        if let Err(e) = super::descriptors::enough(DESCRIPTORS_NEEDED) {
            // Every daemon would fail and the configuration come out empty: skip it all.
            self.publish_stale(e.to_string(), &Arc::clone(&self.last_daemons));
            return;
        }
        let (found, discover_error) = self.discover();
        let mut daemons = self.list(&found).await;
        let kept = self.keep_failed_routes(&mut daemons);
        let lease_error = self.read_leases().await;
        let discovered = began.elapsed();

        let mut meta = Meta {
            refreshes: self.refreshes,
            time_unix: now_unix(),
            discover_ms: documents::ms(discovered),
            lease_error,
            watchdog: self.watchdog_health(),
            events: self.shared.event_streams(),
            kept,
            stale: None,
        };
        let daemons = Arc::new(daemons);
        // What the next refresh keeps a failing daemon's routes from, whatever becomes of this
        // one: answers, kept routes, failures past keeping. The old listing goes before the
        // build (its peak is the route server's).
        self.last_daemons = Arc::clone(&daemons);
        let built = self.publish(&daemons, &mut meta, discover_error).await;

        // The watchdog runs after a failed refresh too: a crash must not wait for a hung
        // daemon elsewhere.
        let died = self.shared.take_died();
        let scope = if poll {
            Scope::All
        } else {
            Scope::Networks(died)
        };
        if self.run_watchdog(scope).await {
            // /health shows what the watchdog just did and waits for.
            meta.watchdog = self.watchdog_health();
            match (&built, &self.stale) {
                (Some(built), _) => {
                    let snapshot = self.snapshot(&daemons, built, &meta);
                    self.shared.publish(snapshot);
                }
                (None, Some(stale)) => self.publish_stale(stale.error.clone(), &daemons),
                (None, None) => {}
            }
        }
    }

    /// Build and publish this refresh's documents; the build, or None when the refresh failed
    /// as a whole (then the last good configuration is published again, stale).
    async fn publish(
        &mut self,
        daemons: &Arc<Vec<DaemonInput>>,
        meta: &mut Meta,
        discover_error: Option<String>,
    ) -> Option<Arc<BuiltState>> {
        let built = match self.build(daemons).await {
            Ok(b) => b,
            Err(e) => {
                self.publish_stale(format!("building the configuration failed: {e}"), daemons);
                return None;
            }
        };
        let stale_for = self
            .stale
            .as_ref()
            .map(|s| Duration::from_secs(now_unix().saturating_sub(s.since_unix)));
        if let Some(why) = refused_as_empty(&built, daemons, discover_error.as_deref(), stale_for) {
            self.publish_stale(why, daemons);
            return None;
        }
        // The run folder unreadable: the daemons found last were listed, and /health says so.
        self.stale = discover_error.map(|error| Stale {
            since_unix: self.stale.as_ref().map_or_else(now_unix, |s| s.since_unix),
            error,
        });
        meta.stale = self.stale.clone();
        self.good = Some(Arc::clone(&built));
        let snapshot = self.snapshot(daemons, &built, meta);
        self.log_changes(
            &snapshot,
            &built.summary,
            daemons,
            meta.lease_error.as_deref(),
        );
        self.shared.publish(snapshot);
        // A refresh frees what it listed and built (tens of MB at 20,000 containers); glibc
        // would keep it. On the builder thread: the 1-3 ms it takes stays off the workers
        // that answer Traefik.
        self.builder.spawn(crate::memory::release_free_heap);
        Some(built)
    }

    /// What /health shows of the watchdog: its memory and the policies it cannot read.
    fn watchdog_health(&self) -> documents::WatchdogHealth {
        let mut h = self.watchdog.health(self.pacing.as_ref());
        h.problems = self.policies.problems();
        h
    }

    /// The refresh failed as a whole (`why`): serve the last good configuration again (none
    /// yet: `/config` answers 503), with /health saying since when and why.
    fn publish_stale(&mut self, why: String, daemons: &Arc<Vec<DaemonInput>>) {
        if self.stale.as_ref().is_none_or(|s| s.error != why) {
            output::error(&format!(
                "route-server: refresh failed, serving the last good configuration: {why}"
            ));
        }
        let since_unix = self.stale.as_ref().map_or_else(now_unix, |s| s.since_unix);
        self.stale = Some(Stale {
            since_unix,
            error: why,
        });
        let meta = Meta {
            refreshes: self.refreshes,
            time_unix: now_unix(),
            lease_error: self.last_lease_error.clone(),
            watchdog: self.watchdog_health(),
            events: self.shared.event_streams(),
            stale: self.stale.clone(),
            ..Meta::default()
        };
        let snapshot = match &self.good {
            Some(good) => self.snapshot(daemons, good, &meta),
            None => {
                let none = build_state(&[], &[], &self.settings);
                let mut s = self.snapshot(daemons, &none, &meta);
                s.config_json = axum::body::Bytes::new();
                s.config_yaml = axum::body::Bytes::new();
                s
            }
        };
        self.shared.publish(snapshot);
    }

    /// A daemon that failed this round keeps the containers it listed last, for
    /// [`KEEP_FAILED_ROUTES`] after it began to fail: its input carries them and no error,
    /// and the failure goes to /health. Daemons that answer clear their failure.
    fn keep_failed_routes(&mut self, daemons: &mut [DaemonInput]) -> BTreeMap<u32, Failure> {
        let last = std::mem::take(&mut self.last_daemons);
        let mut kept = BTreeMap::new();
        let now = Instant::now();
        for d in daemons.iter_mut() {
            let Some(conn) = self.conns.get_mut(Path::new(&d.socket)) else {
                continue;
            };
            let Some(error) = d.error.take() else {
                conn.failing_since = None;
                continue;
            };
            let (since, since_unix) = *conn.failing_since.get_or_insert((now, now_unix()));
            let previous = last
                .iter()
                .find(|p| p.network_id == d.network_id && p.error.is_none());
            match previous {
                Some(p) if now.duration_since(since) < KEEP_FAILED_ROUTES => {
                    d.containers.clone_from(&p.containers);
                    kept.insert(
                        d.network_id.get(),
                        Failure {
                            error,
                            kept_since_unix: since_unix,
                        },
                    );
                }
                _ => d.error = Some(error),
            }
        }
        kept
    }

    /// The documents of one refresh.
    fn snapshot(&self, daemons: &[DaemonInput], built: &BuiltState, meta: &Meta) -> Snapshot {
        Snapshot {
            config_yaml: built.config_yaml.clone(),
            config_json: built.config_json.clone(),
            health: health_bytes(
                daemons,
                self.leases.len(),
                built,
                &self.settings,
                meta,
                self.builds,
            ),
            ports: ports_bytes(
                daemons,
                &self.leases,
                &built.summary,
                meta.lease_error.as_deref(),
            ),
            etag: built.etag.clone(),
        }
    }

    /// The watchdog alone, when a restart it waits for is due: it looks at the networks with
    /// a restart waiting (and any that saw a `die` meanwhile). When it changed anything, a
    /// refresh follows (the trigger), so that /health shows it: a failed start sends no event.
    async fn watchdog_round(&mut self) {
        let mut networks = self.shared.take_died();
        networks.extend(self.watchdog.waiting_networks());
        if self.run_watchdog(Scope::Networks(networks)).await {
            self.shared.trigger.notify_one();
        }
    }

    /// The daemon sockets there are now: forget the daemons that are gone, follow the events
    /// of the new ones. When the run folder cannot be read, the daemons found last are listed
    /// again (none is taken for gone) and the error is returned.
    fn discover(&mut self) -> (Vec<(NetworkId, PathBuf)>, Option<String>) {
        let run_dir = &self.settings.run_dir;
        let (found, error) = match paths::sockets(run_dir) {
            Ok(found) => (found, None),
            Err(e) => {
                let known = self
                    .conns
                    .iter()
                    .map(|(p, c)| (c.network, p.clone()))
                    .collect();
                let e = format!(
                    "cannot read the run folder {}: {e}; listing the daemons found before",
                    run_dir.display()
                );
                (known, Some(e))
            }
        };
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
                network: *net,
                version: None,
                watcher: tokio::spawn(watch_events(
                    Arc::clone(&self.api),
                    *net,
                    path.clone(),
                    Arc::clone(&self.shared),
                    self.settings.daemon_timeout,
                )),
                failing_since: None,
            });
        }
        (found, error)
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
        // Bounded like a daemon: a database locked for long must not hold up the refresh.
        let budget = self.settings.daemon_timeout;
        let reading = tokio::task::spawn_blocking(move || leases::list(&state_dir));
        match tokio::time::timeout(budget, reading).await {
            Ok(Ok(Ok(l))) => {
                self.leases = l;
                None
            }
            Ok(Ok(Err(e))) => Some(e.to_string()),
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!(
                "the lease database in {} did not answer within {}s",
                self.settings.state_dir.display(),
                budget.as_secs_f64()
            )),
        }
    }

    /// The build for these inputs: the last one when they did not change (identical inputs
    /// give identical output), else a new one from the builder thread.
    async fn build(
        &mut self,
        daemons: &Arc<Vec<DaemonInput>>,
    ) -> Result<Arc<BuiltState>, BuilderError> {
        let print = fingerprint(daemons, &self.leases);
        if let Some((_, built)) = self.last.as_ref().filter(|(f, _)| *f == print) {
            return Ok(Arc::clone(built));
        }
        // The old result is still being served (the snapshot holds its bytes, `good` the
        // rest); the fingerprint cache can go before the new one is built.
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
                Ok(b)
            }
            Err(e) => Err(e),
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

    /// Restart the stopped containers of `scope` whose saved policy asks for it
    /// ([`watchdog::plan`]), and note when to look again. True when it restarted something or
    /// its waits changed (what /health shows of it did). Daemons are looked at, and restarts
    /// made, at once (each call within the daemon timeout): a hung daemon costs one timeout.
    async fn run_watchdog(&mut self, scope: Scope) -> bool {
        let Some(pacing) = self.pacing else {
            return false;
        };
        let mut networks = match scope {
            Scope::All => {
                let present = self.conns.values().map(|c| c.network.get()).collect();
                self.watchdog.keep_networks(&present);
                self.policies.keep_networks(&present);
                present
            }
            Scope::Networks(n) => n,
        };
        networks.extend(self.watchdog.waiting_networks());
        let before = self.watchdog_health();
        let now = now_unix_ms();
        let (looked, observed, targets) = self.observe_all(&networks).await;
        let restarts = watchdog::plan(&mut self.watchdog, &looked, observed, now, &pacing);
        let acted = !restarts.is_empty();
        let results = self.start_all(restarts, &targets).await;
        for (r, started) in results {
            let result = self.watchdog.record(&r, started, now_unix_ms());
            output::note(&format!(
                "route-server: watchdog: network {} container {} (service {}, restart {}, \
                 exit code {}, stopped {:.1}s ago, back-off {}s): {result}",
                r.network_id,
                r.name,
                r.service,
                r.policy_text,
                r.exit_code,
                r.stopped_for.as_secs_f64(),
                r.backoff.as_secs()
            ));
        }
        // A wait on a daemon that could not be looked at (it failed, it hangs) is overdue
        // at once: look again a little later, not in a loop.
        let floor = if self.watchdog.waiting_networks().is_subset(&looked) {
            Duration::ZERO
        } else {
            OVERDUE_RETRY
        };
        self.watchdog_due = self
            .watchdog
            .next_due(now_unix_ms())
            .map(|d| Instant::now() + d.max(floor));
        let after = self.watchdog_health();
        acted || after.containers != before.containers || after.problems != before.problems
    }

    /// Start the containers of `restarts`, all at once (a few per daemon), each within the
    /// daemon timeout.
    async fn start_all(
        &self,
        restarts: Vec<watchdog::Restart>,
        targets: &BTreeMap<u32, (PathBuf, ApiVersion)>,
    ) -> Vec<(watchdog::Restart, Result<(), CallError>)> {
        let timeout = self.settings.daemon_timeout;
        let api = &*self.api;
        // Collected first: with a lazy iterator of async blocks over references rustc cannot
        // prove the refresh loop `Send` (the limitation `list` works around too).
        let mut jobs = Vec::new();
        for r in restarts {
            let Some((socket, version)) = targets.get(&r.network_id).cloned() else {
                continue;
            };
            jobs.push(boxed(async move {
                let at = Target {
                    socket: &socket,
                    version,
                    timeout,
                };
                let started = within(timeout, CallError::TimedOut, api.start(at, &r.id)).await;
                (r, started)
            }));
        }
        // In order (still all at once): /health lists the restarts as planned.
        futures_util::stream::iter(jobs)
            .buffered(CONCURRENCY)
            .collect()
            .await
    }

    /// The stopped containers with a saved policy of the daemons of `networks` that answer:
    /// the networks looked at completely, what was found, and how to reach each daemon. The
    /// policies are read first (each file within its own budget), then every daemon is asked
    /// at once.
    async fn observe_all(
        &mut self,
        networks: &BTreeSet<u32>,
    ) -> (
        BTreeSet<u32>,
        Vec<Observed>,
        BTreeMap<u32, (PathBuf, ApiVersion)>,
    ) {
        let asked: Vec<(NetworkId, PathBuf, ApiVersion)> = self
            .conns
            .iter()
            .filter(|(_, c)| networks.contains(&c.network.get()))
            .filter_map(|(p, c)| Some((c.network, p.clone(), c.version?)))
            .collect();
        let nets: BTreeSet<NetworkId> = asked.iter().map(|(n, _, _)| *n).collect();
        let budget = self.settings.daemon_timeout;
        let policies = self
            .policies
            .read(&self.settings.run_dir, &nets, budget)
            .await;
        let this: &Self = self;
        let mut looked = BTreeSet::new();
        let mut jobs = Vec::new();
        for (net, socket, version) in asked {
            match policies.get(&net.get()) {
                None => {
                    looked.insert(net.get());
                }
                Some(saved) => jobs.push(boxed(async move {
                    let found = this.observe(net, &socket, version, saved).await;
                    (net, socket, version, found)
                })),
            }
        }
        let results: Vec<_> = futures_util::stream::iter(jobs)
            .buffered(CONCURRENCY)
            .collect()
            .await;
        let mut observed = Vec::new();
        let mut targets = BTreeMap::new();
        for (net, socket, version, found) in results {
            if let Some(found) = found {
                observed.extend(found);
                looked.insert(net.get());
                targets.insert(net.get(), (socket, version));
            }
        }
        (looked, observed, targets)
    }

    /// Network `net`'s exited containers that have a saved policy, inspected (a few at once);
    /// None when the daemon did not list them in time.
    async fn observe(
        &self,
        net: NetworkId,
        socket: &Path,
        version: ApiVersion,
        policies: &Saved,
    ) -> Option<Vec<Observed>> {
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
        let exited = within(timeout, CallError::SlowList(timeout), listing)
            .await
            .ok()?;
        let mut jobs = Vec::new();
        for c in inputs(exited) {
            let service = build::service_name(&c);
            let Some((text, parsed)) = policies.get(&service) else {
                continue;
            };
            // A bad value is reported by the policy reader; that service is not restarted.
            let Ok(policy) = parsed.clone() else {
                continue;
            };
            let text = text.clone();
            let api = &*self.api;
            let shared = &*self.shared;
            jobs.push(boxed(async move {
                let inspect = api.inspect(at, &c.id);
                let exit = within(timeout, CallError::TimedOut, inspect).await.ok();
                Observed {
                    network_id: net.get(),
                    stopped_on_purpose: shared.stopped_on_purpose(net.get(), &c.id),
                    id: c.id,
                    name: c.name,
                    service,
                    policy_text: text,
                    policy,
                    exit,
                }
            }));
        }
        Some(
            futures_util::stream::iter(jobs)
                .buffered(CALLS_PER_DAEMON)
                .collect()
                .await,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::Event;
    use crate::docker::fake::{Behaviour, Call, FakeContainer, FakeDaemon, FakeDocker};
    use crate::routes::documents::Health;
    use crate::slotmap;

    const TIMEOUT: Duration = Duration::from_millis(200);

    struct Machine {
        _dir: tempfile::TempDir,
        run: PathBuf,
        root: PathBuf,
        fake: Arc<FakeDocker>,
        shared: Arc<Shared>,
    }

    impl Machine {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let run = dir.path().join("run");
            std::fs::create_dir_all(&run).unwrap();
            Self {
                run,
                root: dir.path().to_owned(),
                _dir: dir,
                fake: Arc::new(FakeDocker::default()),
                shared: Arc::new(Shared::default()),
            }
        }

        fn socket(&self, n: u32) -> PathBuf {
            paths::socket(&self.run, NetworkId::new(n.into()).unwrap())
        }

        /// A daemon socket in the run folder, answered as `daemon` scripts.
        fn daemon(&self, n: u32, daemon: FakeDaemon) -> PathBuf {
            let socket = self.socket(n);
            std::fs::write(&socket, "").unwrap();
            self.fake.set(&socket, daemon);
            socket
        }

        fn refresher(&self, watchdog_grace: Option<Duration>) -> Refresher<FakeDocker> {
            let settings = Settings {
                run_dir: self.run.clone(),
                state_dir: self.root.join("state"),
                poll: Duration::from_secs(5),
                daemon_timeout: TIMEOUT,
                watchdog_grace,
                options: Options {
                    base_domain: "example.com".into(),
                    ..Options::default()
                },
            };
            Refresher::new(
                Arc::clone(&self.fake),
                Arc::new(settings),
                Arc::clone(&self.shared),
            )
        }

        /// A repository folder whose `.rediacc.json` is `slot_map`, served by network `n`'s
        /// daemon (its marker).
        fn repository(&self, n: u32, slot_map: &str) {
            let repo = self.root.join(format!("repo-{n}"));
            std::fs::create_dir_all(&repo).unwrap();
            std::fs::write(slotmap::path_in(&repo), slot_map).unwrap();
            let net = NetworkId::new(n.into()).unwrap();
            std::fs::create_dir_all(paths::folder(&self.run, net)).unwrap();
            std::fs::write(
                paths::repo_marker(&self.run, net),
                repo.display().to_string(),
            )
            .unwrap();
        }

        fn health(&self) -> Health<'static> {
            serde_json::from_slice(&self.shared.snapshot().health).unwrap()
        }

        fn config(&self) -> serde_json::Value {
            serde_json::from_slice(&self.shared.snapshot().config_json).unwrap()
        }
    }

    /// A running container of network `n` renet started, in slot `slot`.
    fn service(n: u32, slot: u8, name: &str, extra: &[(&str, &str)]) -> FakeContainer {
        let net = NetworkId::new(n.into()).unwrap();
        let ip = net
            .slot_addr(crate::network::Slot::new(slot.into()).unwrap())
            .to_string();
        let n = n.to_string();
        let mut labels = vec![
            ("rediacc.service_name", name),
            ("rediacc.service_ip", ip.as_str()),
            ("rediacc.network_id", n.as_str()),
            ("rediacc.repo_name", "shop"),
            (
                "com.docker.compose.config-hash",
                "dropped by the route server",
            ),
        ];
        labels.extend_from_slice(extra);
        let mut c = FakeContainer::new(&format!("{name}-{n}"), "running", &labels);
        c.container.name = format!("shop-{name}-1");
        c
    }

    fn routers(config: &serde_json::Value) -> Vec<String> {
        config["http"]["routers"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A daemon that vanishes, one that hangs and one with bad labels cost their own routes
    /// only, each with its error in /health; a daemon that comes back is listed again.
    #[tokio::test]
    async fn refresh_survives_vanished_hung_and_badly_labelled_daemons() {
        let m = Machine::new();
        let web = service(2816, 0, "web", &[("rediacc.service_port", "80")]);
        m.daemon(2816, FakeDaemon::with(vec![web]));
        let vanished = m.daemon(2880, FakeDaemon::behaving(Behaviour::Vanished));
        m.daemon(2944, FakeDaemon::behaving(Behaviour::Hangs));
        let bad = service(3008, 0, "bad", &[("rediacc.service_port", "x")]);
        m.daemon(3008, FakeDaemon::with(vec![bad]));
        let mut r = m.refresher(None);

        let began = Instant::now();
        r.refresh(false).await;
        assert!(
            began.elapsed() < Duration::from_secs(2),
            "{:?}",
            began.elapsed()
        );
        let h = m.health();
        assert_eq!(h.status, "degraded");
        assert_eq!((h.daemons_seen, h.daemons_failed), (4, 2));
        let errors: Vec<Option<&str>> = h.daemons.iter().map(|d| d.error.as_deref()).collect();
        let refused = format!("connection refused: {}", vanished.display());
        assert_eq!(
            errors,
            [
                None,
                Some(refused.as_str()),
                Some("no answer within 0.2s"),
                None
            ]
        );
        assert_eq!(h.problems.len(), 1, "{:?}", h.problems);
        assert_eq!(
            (h.problems[0].network_id, &*h.problems[0].service),
            (3008, "bad")
        );
        assert_eq!(routers(&m.config()), ["web-2816"]);
        assert_eq!(h.containers_routed, 1);

        let back = service(2880, 0, "shop", &[("rediacc.service_port", "80")]);
        m.fake.set(&vanished, FakeDaemon::with(vec![back]));
        r.refresh(false).await;
        let h = m.health();
        assert_eq!(h.daemons_failed, 1);
        assert_eq!(routers(&m.config()), ["shop-2880", "web-2816"]);
        // The version negotiated once is kept for a daemon that answers.
        let negotiations = |s: &Path| {
            m.fake
                .calls()
                .iter()
                .filter(|c| **c == Call::Negotiate(s.to_owned()))
                .count()
        };
        assert_eq!(negotiations(&m.socket(2816)), 1);
        assert_eq!(negotiations(&m.socket(2944)), 2);

        // A socket that is removed is forgotten.
        std::fs::remove_file(m.socket(2944)).unwrap();
        r.refresh(false).await;
        assert_eq!(m.health().daemons_seen, 3);
    }

    fn stopped(name: &str, exit_code: i64) -> FakeContainer {
        let mut c = FakeContainer::new(name, "exited", &[(SERVICE_LABEL, name)]);
        c.exit = crate::docker::Exit {
            exit_code,
            finished_at: Some("2020-01-01T00:00:00Z".into()),
        };
        c
    }

    /// The watchdog over several refreshes: crashed containers with a policy are restarted,
    /// `on-failure:1` only once, one stopped on purpose (a `stop` event) never, one without a
    /// policy never; the restarts show in /health.
    #[tokio::test]
    async fn the_watchdog_restarts_what_the_saved_policies_ask_for() {
        let m = Machine::new();
        m.repository(
            2816,
            r#"{"services": {"db": {"slot": 1, "restart_policy": "always"},
                "job": {"slot": 2, "restart_policy": "on-failure:1"},
                "worker": {"slot": 3, "restart_policy": "unless-stopped"},
                "web": {"slot": 4}}}"#,
        );
        let containers = ["db", "job", "worker", "web"]
            .map(|n| stopped(n, 1))
            .to_vec();
        let socket = m.daemon(2816, FakeDaemon::with(containers));
        let mut r = m.refresher(Some(Duration::from_secs(30)));
        // No settling, no back-off: the second crash below is restarted on the next round.
        r.pacing = Some(Pacing {
            settle: Duration::ZERO,
            backoff_first: Duration::ZERO,
            ..Pacing::with_grace(Duration::from_secs(30))
        });

        // The first refresh starts following the daemon's events; the worker is stopped on
        // purpose before the watchdog looks.
        r.refresh(false).await;
        m.fake.send(
            &socket,
            Event {
                id: "worker".into(),
                action: "stop".into(),
            },
        );
        for _ in 0..100 {
            if m.shared.stopped_on_purpose(2816, "worker") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(m.shared.stopped_on_purpose(2816, "worker"));

        r.refresh(true).await;
        assert_eq!(m.fake.starts(), ["db", "job"]);
        // Both crash again.
        m.fake.update(&socket, |d| {
            for c in &mut d.containers {
                c.container.state = "exited".into();
            }
        });
        r.refresh(true).await;
        assert_eq!(m.fake.starts(), ["db", "job", "db"]);

        r.refresh(false).await;
        let w = m.health().watchdog.into_owned();
        assert!(w.enabled);
        assert_eq!(w.grace_seconds, Some(30.0));
        assert_eq!(w.restarts, 3);
        let done: Vec<(&str, &str, &str)> = w
            .recent
            .iter()
            .map(|a| (a.container.as_str(), a.policy.as_str(), a.result.as_str()))
            .collect();
        assert_eq!(
            done,
            [
                ("db", "always", "restarted"),
                ("job", "on-failure:1", "restarted"),
                ("db", "always", "restarted"),
            ]
        );
        assert_eq!(w.recent[0].exit_code, 1);
        assert!(w.recent[0].stopped_seconds > 100_000_000);
    }

    /// Network 2816's container `id` crashed (exit 3) just now, and its `die` event noted.
    fn crash(m: &Machine, socket: &Path, id: &str) {
        let now = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
        m.fake.update(socket, |d| {
            for c in d.containers.iter_mut().filter(|c| c.container.id == id) {
                *c = c.clone().exited(3, &now);
            }
        });
        m.shared.note_event(
            2816,
            Event {
                id: id.into(),
                action: "die".into(),
            },
        );
    }

    /// Sleep until the watchdog's next restart is due.
    async fn until_due(r: &Refresher<FakeDocker>) {
        let due = r.watchdog_due.expect("a restart waits");
        tokio::time::sleep_until(due.into()).await;
    }

    fn watched(m: &Machine, name: &str) -> documents::WatchdogContainer {
        let w = m.health().watchdog.into_owned();
        w.containers
            .iter()
            .find(|c| c.container == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} not in /health: {w:?}"))
    }

    /// A crash is seen through its `die` event (no poll), restarted once settled, and backed
    /// off when it crashes again soon; /health shows each wait. A clean exit waits the grace.
    #[tokio::test]
    async fn a_crash_is_restarted_on_its_die_event_and_backed_off() {
        let m = Machine::new();
        m.repository(
            2816,
            r#"{"services": {"db": {"slot": 1, "restart_policy": "always"},
                "worker": {"slot": 2, "restart_policy": "always"}}}"#,
        );
        let running = ["db", "worker"]
            .map(|n| FakeContainer::new(n, "running", &[(SERVICE_LABEL, n)]))
            .to_vec();
        let socket = m.daemon(2816, FakeDaemon::with(running));
        let mut r = m.refresher(Some(Duration::from_secs(30)));
        let pacing = Pacing {
            settle: Duration::from_millis(100),
            backoff_first: Duration::from_millis(300),
            ..Pacing::with_grace(Duration::from_secs(30))
        };
        r.pacing = Some(pacing);
        r.refresh(true).await;
        assert_eq!(r.watchdog_due, None);

        crash(&m, &socket, "db");
        let worker_done = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
        m.fake.update(&socket, |d| {
            d.containers[1] = d.containers[1].clone().exited(0, &worker_done);
        });
        r.refresh(false).await;
        assert!(m.fake.starts().is_empty());
        let db = watched(&m, "db");
        assert_eq!(db.waiting_for.as_deref(), Some("settle"), "{db:?}");
        assert_eq!(watched(&m, "worker").waiting_for.as_deref(), Some("grace"));
        until_due(&r).await;
        r.watchdog_round().await;
        assert_eq!(m.fake.starts(), ["db"]);

        // It crashes again at once: 300 ms of back-off first.
        crash(&m, &socket, "db");
        r.refresh(false).await;
        let db = watched(&m, "db");
        assert_eq!(
            (db.crashes_in_a_row, db.backoff_seconds, db.restarts),
            (1, 0.3, 1)
        );
        assert_eq!(db.waiting_for.as_deref(), Some("back-off"));
        assert!(db.next_attempt_unix.is_some());
        r.watchdog_round().await;
        assert_eq!(m.fake.starts(), ["db"], "restarted during its back-off");
        until_due(&r).await;
        r.watchdog_round().await;
        assert_eq!(m.fake.starts(), ["db", "db"]);
        // The restart's trigger (its start event, here the round's own) republishes /health.
        r.refresh(false).await;
        let w = m.health().watchdog.into_owned();
        assert_eq!(
            w.pacing.as_ref().map(|p| p.backoff_first_seconds),
            Some(0.3)
        );
        let backoffs: Vec<f64> = w.recent.iter().map(|a| a.backoff_seconds).collect();
        assert_eq!(backoffs, [0.0, 0.3]);
    }

    /// The refresh loop itself: with a 10-minute poll, a crash noted by its `die` event is
    /// restarted within the settle time, by the watchdog's own timer.
    #[tokio::test]
    async fn the_loop_restarts_a_crash_without_waiting_for_the_poll() {
        let m = Machine::new();
        m.repository(
            2816,
            r#"{"services": {"db": {"slot": 1, "restart_policy": "always"}}}"#,
        );
        let db = FakeContainer::new("db", "running", &[(SERVICE_LABEL, "db")]);
        let socket = m.daemon(2816, FakeDaemon::with(vec![db]));
        let mut r = m.refresher(Some(Duration::from_secs(30)));
        r.pacing = Some(Pacing {
            settle: Duration::from_millis(200),
            ..Pacing::with_grace(Duration::from_secs(30))
        });
        r.refresh(true).await;
        let (stop, stopped) = watch::channel(false);
        let looping = tokio::spawn(r.run(stopped));
        crash(&m, &socket, "db");
        m.shared.trigger.notify_one();
        for _ in 0..200 {
            if !m.fake.starts().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(m.fake.starts(), ["db"]);
        stop.send(true).unwrap();
        looping.await.unwrap();
    }

    /// Listed containers keep only the labels routing reads, sorted by name then ID.
    #[test]
    fn inputs_keep_routing_labels_in_a_stable_order() {
        let listed = [("b", "2"), ("a", "9"), ("b", "1")].map(|(name, id)| {
            let mut c = service(2816, 0, "web", &[("traefik.enable", "true"), ("x", "y")]);
            c.container.name = name.into();
            c.container.id = id.into();
            c.container
        });
        let got = inputs(listed.to_vec());
        let order: Vec<(&str, &str)> = got.iter().map(|c| (&*c.name, &*c.id)).collect();
        assert_eq!(order, [("a", "9"), ("b", "1"), ("b", "2")]);
        let keys: Vec<&str> = got[0].labels.iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "rediacc.network_id",
                "rediacc.repo_name",
                "rediacc.service_ip",
                "rediacc.service_name",
                "traefik.enable"
            ]
        );
    }

    /// Without `--watchdog-grace` (the watchdog off), nothing is inspected or started.
    #[tokio::test]
    async fn no_watchdog_no_restarts() {
        let m = Machine::new();
        m.daemon(2816, FakeDaemon::with(vec![stopped("db", 1)]));
        let mut r = m.refresher(None);
        r.refresh(true).await;
        assert!(m.fake.starts().is_empty());
        assert!(
            !m.fake
                .calls()
                .iter()
                .any(|c| matches!(c, Call::Inspect(..)))
        );
        assert!(!m.health().watchdog.enabled);
    }

    /// Pretend network `n`'s daemon began to fail longer ago than its routes are kept.
    fn failing_for_too_long(r: &mut Refresher<FakeDocker>, socket: &Path) {
        let long_ago = Instant::now()
            .checked_sub(KEEP_FAILED_ROUTES + Duration::from_secs(1))
            .expect("the clock is past the bound");
        let conn = r.conns.get_mut(socket).expect("a known daemon");
        let since = conn.failing_since.expect("it fails");
        conn.failing_since = Some((long_ago, since.1));
    }

    /// A daemon that stops answering keeps its last good routes (its error and since when in
    /// /health) for a bounded time; after it only its routes go, the others' stay.
    #[tokio::test]
    async fn a_failing_daemon_keeps_its_last_good_routes_for_a_while() {
        let m = Machine::new();
        let web = service(2816, 0, "web", &[("rediacc.service_port", "80")]);
        let a = m.daemon(2816, FakeDaemon::with(vec![web]));
        let shop = service(2880, 0, "shop", &[("rediacc.service_port", "80")]);
        m.daemon(2880, FakeDaemon::with(vec![shop]));
        let mut r = m.refresher(None);
        r.refresh(false).await;
        assert_eq!(routers(&m.config()), ["shop-2880", "web-2816"]);

        m.fake.update(&a, |d| d.behaviour = Behaviour::Hangs);
        r.refresh(false).await;
        assert_eq!(routers(&m.config()), ["shop-2880", "web-2816"]);
        let h = m.health();
        assert_eq!((h.status.as_ref(), h.daemons_failed), ("degraded", 1));
        let d = &h.daemons[0];
        assert!(
            d.error
                .as_deref()
                .is_some_and(|e| e.contains("took longer than")),
            "{d:?}"
        );
        assert!(!d.ok);
        assert!(d.routes_kept_since_unix.is_some(), "{d:?}");
        assert_eq!(h.stale, None);
        // Kept again on the next failure, from the same moment.
        r.refresh(false).await;
        assert_eq!(routers(&m.config()), ["shop-2880", "web-2816"]);
        assert_eq!(
            m.health().daemons[0].routes_kept_since_unix,
            d.routes_kept_since_unix
        );

        failing_for_too_long(&mut r, &a);
        r.refresh(false).await;
        assert_eq!(routers(&m.config()), ["shop-2880"]);
        let h = m.health();
        assert_eq!(h.daemons[0].routes_kept_since_unix, None);
        assert_eq!(h.daemons[0].error.as_deref(), Some("no answer within 0.2s"));
        assert_eq!(h.daemons_failed, 1);

        // It answers again: routed, the failure forgotten.
        m.fake.update(&a, |d| d.behaviour = Behaviour::Answers);
        r.refresh(false).await;
        assert_eq!(routers(&m.config()), ["shop-2880", "web-2816"]);
        assert_eq!(m.health().daemons_failed, 0);
        assert!(r.conns[&a].failing_since.is_none());
    }

    /// No route at all while a daemon fails is not an empty configuration: the last good one
    /// is served (stale, with why), and before any, none (`/config` answers 503).
    #[tokio::test]
    async fn no_route_while_a_daemon_fails_is_not_served_as_empty() {
        let m = Machine::new();
        let a = m.daemon(2816, FakeDaemon::behaving(Behaviour::Hangs));
        let mut r = m.refresher(None);
        r.refresh(false).await;
        assert!(
            m.shared.snapshot().config_json.is_empty(),
            "no configuration yet"
        );
        let h = m.health();
        let stale = h.stale.expect("stale");
        assert!(
            stale
                .error
                .contains("no route built while 1 daemon(s) failed"),
            "{stale:?}"
        );
        assert!(stale.error.contains("docker-2816.sock"), "{stale:?}");

        let web = service(2816, 0, "web", &[("rediacc.service_port", "80")]);
        m.fake.set(&a, FakeDaemon::with(vec![web]));
        r.refresh(false).await;
        assert_eq!(routers(&m.config()), ["web-2816"]);
        assert_eq!(m.health().stale, None);

        m.fake.update(&a, |d| d.behaviour = Behaviour::Vanished);
        r.refresh(false).await;
        failing_for_too_long(&mut r, &a);
        r.refresh(false).await;
        assert_eq!(
            routers(&m.config()),
            ["web-2816"],
            "the last good configuration"
        );
        let h = m.health();
        assert!(h.stale.is_some(), "{h:?}");
        assert_eq!(h.status, "degraded");

        // Every daemon answers and none has a route: that is an empty configuration.
        m.fake.set(&a, FakeDaemon::default());
        r.refresh(false).await;
        assert_eq!(m.config(), serde_json::json!({}));
        assert_eq!(m.health().stale, None);
    }

    /// A run folder that cannot be read does not make every daemon disappear: those found
    /// before are listed again, and /health says the folder could not be read.
    #[tokio::test]
    async fn an_unreadable_run_folder_keeps_the_daemons_found_before() {
        let m = Machine::new();
        let web = service(2816, 0, "web", &[("rediacc.service_port", "80")]);
        m.daemon(2816, FakeDaemon::with(vec![web]));
        let mut r = m.refresher(None);
        r.refresh(false).await;
        let moved = m.root.join("run.moved");
        std::fs::rename(&m.run, &moved).unwrap();
        std::fs::write(&m.run, "not a folder").unwrap();
        r.refresh(false).await;
        assert_eq!(routers(&m.config()), ["web-2816"]);
        let h = m.health();
        let stale = h.stale.expect("stale");
        assert!(
            stale.error.contains("cannot read the run folder"),
            "{stale:?}"
        );
        assert_eq!(h.daemons_seen, 1);
        std::fs::remove_file(&m.run).unwrap();
        std::fs::rename(&moved, &m.run).unwrap();
        r.refresh(false).await;
        assert_eq!(m.health().stale, None);
    }

    /// A refresher whose watchdog restarts at once (no settling, no back-off).
    fn eager(m: &Machine) -> Refresher<FakeDocker> {
        let mut r = m.refresher(Some(Duration::from_secs(30)));
        r.pacing = Some(Pacing {
            settle: Duration::ZERO,
            backoff_first: Duration::ZERO,
            ..Pacing::with_grace(Duration::from_secs(30))
        });
        r
    }

    fn policy_file(m: &Machine, n: u32) -> PathBuf {
        slotmap::path_in(&m.root.join(format!("repo-{n}")))
    }

    /// A policy file that turns into a FIFO keeps its last policies in force; one that is a
    /// link to /dev/zero, corrupt or holds a bad value from the start restarts nothing. Each
    /// is named in /health; no read blocks or grows.
    #[tokio::test]
    async fn unreadable_policies_are_reported_never_silently_dropped() {
        let m = Machine::new();
        let always = r#"{"services": {"db": {"slot": 1, "restart_policy": "always"}}}"#;
        m.repository(2816, always);
        m.repository(2880, always);
        m.repository(2944, "{not json");
        m.repository(
            3008,
            r#"{"services": {"db": {"slot": 1, "restart_policy": "sometimes"}}}"#,
        );
        let zero = policy_file(&m, 2880);
        std::fs::remove_file(&zero).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let sockets: Vec<PathBuf> = [2816, 2880, 2944, 3008]
            .map(|n| m.daemon(n, FakeDaemon::with(vec![stopped("db", 1)])))
            .to_vec();
        let mut r = eager(&m);
        r.refresh(true).await;
        let restarted_on = |socket: &Path| {
            m.fake
                .calls()
                .iter()
                .filter(|c| matches!(c, Call::Start(s, _) if s == socket))
                .count()
        };
        assert_eq!(restarted_on(&sockets[0]), 1);
        for s in &sockets[1..] {
            assert_eq!(restarted_on(s), 0, "{}", s.display());
        }
        r.refresh(false).await;
        let problems = m.health().watchdog.into_owned().problems;
        let by_net: BTreeMap<u32, &documents::WatchdogProblem> =
            problems.iter().map(|p| (p.network_id, p)).collect();
        assert_eq!(
            by_net.keys().copied().collect::<Vec<_>>(),
            [2880, 2944, 3008]
        );
        assert!(
            by_net[&2880].error.contains("symbolic link"),
            "{problems:?}"
        );
        assert_eq!(by_net[&2880].file, zero.display().to_string());
        assert!(by_net[&2880].using.starts_with("none"), "{problems:?}");
        assert!(
            by_net[&2944].error.contains("not valid JSON"),
            "{problems:?}"
        );
        assert_eq!(by_net[&3008].service.as_deref(), Some("db"));
        assert!(by_net[&3008].error.contains("sometimes"), "{problems:?}");
        assert_eq!(m.health().status, "degraded");

        // 2816's file becomes a FIFO: the policies read before still apply.
        let fifo = policy_file(&m, 2816);
        std::fs::remove_file(&fifo).unwrap();
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        m.fake.update(&sockets[0], |d| {
            d.containers[0].container.state = "exited".into()
        });
        r.refresh(true).await;
        assert_eq!(restarted_on(&sockets[0]), 2);
        r.refresh(false).await;
        let problems = m.health().watchdog.into_owned().problems;
        let p = problems
            .iter()
            .find(|p| p.network_id == 2816)
            .expect("2816 reported");
        assert!(p.error.contains("FIFO"), "{p:?}");
        assert_eq!(p.file, fifo.display().to_string());
        assert_eq!(p.using, "the last policies read");
    }

    /// The watchdog looks at every daemon at once: one that lists its containers and then
    /// never answers an inspect holds up nobody else's restart.
    #[tokio::test]
    async fn a_daemon_stuck_on_inspect_holds_up_no_other_restart() {
        let m = Machine::new();
        let always = r#"{"services": {"db": {"slot": 1, "restart_policy": "always"}}}"#;
        m.repository(2816, always);
        m.repository(2880, always);
        let stuck = m.daemon(2816, FakeDaemon::with(vec![stopped("db", 1)]));
        m.fake
            .update(&stuck, |d| d.behaviour = Behaviour::HangsOnContainers);
        let good = m.daemon(2880, FakeDaemon::with(vec![stopped("db", 1)]));
        let mut r = eager(&m);
        r.refresh(true).await;
        let starts: Vec<Call> = m
            .fake
            .calls()
            .into_iter()
            .filter(|c| matches!(c, Call::Start(..)))
            .collect();
        assert_eq!(starts, [Call::Start(good, "db".into())]);
        assert!(m.fake.calls().contains(&Call::Inspect(stuck, "db".into())));
    }

    /// A refresh that fails as a whole (no route while a daemon hangs) still runs the
    /// watchdog: a crash elsewhere is restarted.
    #[tokio::test]
    async fn the_watchdog_runs_when_the_refresh_fails() {
        let m = Machine::new();
        m.repository(
            2816,
            r#"{"services": {"db": {"slot": 1, "restart_policy": "always"}}}"#,
        );
        let db = m.daemon(2816, FakeDaemon::with(vec![stopped("db", 1)]));
        m.daemon(2880, FakeDaemon::behaving(Behaviour::Hangs));
        let mut r = eager(&m);
        r.refresh(true).await;
        assert!(m.health().stale.is_some());
        assert!(m.shared.snapshot().config_json.is_empty());
        assert_eq!(m.fake.starts(), ["db"]);
        assert!(m.fake.calls().contains(&Call::Start(db, "db".into())));
        // /health shows the restart, still stale.
        let h = m.health();
        assert_eq!(h.watchdog.restarts, 1);
        assert!(h.stale.is_some());
    }
}
