//! The route server's effects: find daemon sockets, list their containers, follow their
//! events, read the leases, run the watchdog, and publish the latest configuration.
//!
//! - Every refresh globs `$RENET_RUN_DIR/docker-*.sock`, so a new daemon is picked up without
//!   a restart and a removed one is forgotten.
//! - Each daemon is asked with its own timeout, all at once (at most 64 in flight): a hung
//!   daemon costs one timeout and an error in `/health`, never the others' routes.
//! - Each daemon's event stream (container start/die/stop/destroy) triggers a refresh after a
//!   short debounce; a poll every `--poll` is the safety net and drives the watchdog.
//! - The result is published as pre-serialised bytes behind an `Arc`, so a request only clones
//!   a pointer.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use bollard::query_parameters::{InspectContainerOptions, ListContainersOptions};
use bollard::{ClientVersion, Docker};
use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::{Notify, watch};

use super::build::{self, Built, ContainerInput, DaemonInput, Options, Problem};
use super::events;
use super::watchdog::{self, Decision, Policy, Stopped};
use crate::leases::{self, Lease};
use crate::network::NetworkId;
use crate::output;

/// How long to wait after an event before refreshing, so a burst (compose starting ten
/// containers) costs one refresh.
const DEBOUNCE: Duration = Duration::from_millis(150);
/// Daemons listed at once.
const CONCURRENCY: usize = 64;
/// Watchdog actions kept for `/health`.
const RECENT: usize = 20;

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

/// What the HTTP handlers serve, serialised once per refresh.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub config_yaml: Bytes,
    pub config_json: Bytes,
    pub health: Bytes,
    pub ports: Bytes,
    /// Quoted ETag of the configuration (FNV-1a of the JSON bytes).
    pub etag: String,
}

#[derive(Default)]
pub struct Shared {
    snapshot: RwLock<Arc<Snapshot>>,
    /// Wakes the refresh loop (events).
    pub trigger: Notify,
    /// Container IDs with a `stop` event since their last `start`, per network.
    stopped_on_purpose: Mutex<HashMap<u32, HashSet<String>>>,
    /// Each daemon's event stream: followed or not, and why not (for `/health`).
    event_streams: Mutex<BTreeMap<u32, EventStream>>,
}

/// A daemon's event stream as `/health` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventStream {
    pub connected: bool,
    /// Why the last attempt ended, while not connected.
    pub error: Option<String>,
}

impl Shared {
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(|e| e.into_inner()))
    }

    fn publish(&self, s: Snapshot) {
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(s);
    }

    fn set_events(&self, net: u32, state: Option<EventStream>) {
        let mut m = self.event_streams.lock().unwrap_or_else(|e| e.into_inner());
        match state {
            Some(s) => m.insert(net, s),
            None => m.remove(&net),
        };
    }

    fn event_streams(&self) -> BTreeMap<u32, EventStream> {
        self.event_streams
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn with_stops<T>(&self, f: impl FnOnce(&mut HashMap<u32, HashSet<String>>) -> T) -> T {
        f(&mut self
            .stopped_on_purpose
            .lock()
            .unwrap_or_else(|e| e.into_inner()))
    }
}

/// Every `docker-<N>.sock` in `run_dir` with a valid network ID, sorted.
pub fn sockets(run_dir: &Path) -> Result<Vec<(NetworkId, PathBuf)>, String> {
    let entries = match std::fs::read_dir(run_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", run_dir.display())),
    };
    let mut out: Vec<(NetworkId, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name.strip_prefix("docker-")?.strip_suffix(".sock")?;
            Some((NetworkId::parse(n).ok()?, e.path()))
        })
        .collect();
    out.sort();
    Ok(out)
}

async fn connect(socket: &Path, timeout: Duration) -> Result<Docker, String> {
    let secs = timeout.as_secs().max(1);
    let docker = Docker::connect_with_unix(
        &socket.to_string_lossy(),
        secs,
        bollard::API_DEFAULT_VERSION,
    )
    .map_err(|e| e.to_string())?;
    // These daemons speak API 1.41: always negotiate down.
    match tokio::time::timeout(timeout, docker.negotiate_version()).await {
        Ok(Ok(d)) => Ok(d),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {}s", timeout.as_secs_f64())),
    }
}

fn filters(pairs: &[(&str, &str)]) -> HashMap<String, Vec<String>> {
    let mut m: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in pairs {
        m.entry((*k).to_owned()).or_default().push((*v).to_owned());
    }
    m
}

async fn list(
    docker: &Docker,
    all: bool,
    status: &str,
    timeout: Duration,
) -> Result<Vec<ContainerInput>, String> {
    let opts = ListContainersOptions {
        all,
        filters: Some(filters(&[
            ("label", "rediacc.service_name"),
            ("status", status),
        ])),
        ..Default::default()
    };
    let listed = match tokio::time::timeout(timeout, docker.list_containers(Some(opts))).await {
        Ok(Ok(l)) => l,
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => {
            return Err(format!(
                "listing containers took longer than {}s",
                timeout.as_secs_f64()
            ));
        }
    };
    Ok(listed
        .into_iter()
        .map(|c| ContainerInput {
            id: c.id.unwrap_or_default(),
            name: crate::daemon::container_name(c.names),
            state: c.state.map(|s| s.to_string()).unwrap_or_default(),
            // Only what routing reads is kept: compose's own labels (config hashes, file
            // paths) would be most of the memory of 20,000 containers.
            labels: c
                .labels
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| routing_label(k))
                .collect(),
        })
        .collect::<Vec<_>>())
    .map(|mut v| {
        // A stable order, so unchanged state compares equal between refreshes.
        v.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        // `collect` reused the allocation of bollard's much larger summaries in place; this
        // list is kept until the next refresh, so give the difference back (24 MB for 20,000).
        v.shrink_to_fit();
        v
    })
}

fn routing_label(key: &str) -> bool {
    key.starts_with("rediacc.")
        || key.starts_with("traefik.")
        || key == "com.docker.compose.service"
}

/// Follow one daemon's container events until it goes away; reconnect every second.
async fn watch_events(net: NetworkId, socket: PathBuf, shared: Arc<Shared>, timeout: Duration) {
    loop {
        let mut connected = false;
        let ended = events::follow(
            &socket,
            timeout,
            || {
                connected = true;
                shared.set_events(
                    net.get(),
                    Some(EventStream {
                        connected: true,
                        error: None,
                    }),
                );
                // Catch up with whatever happened while nobody was listening.
                shared.trigger.notify_one();
            },
            |event| {
                if let Some(ev) = event {
                    shared.with_stops(|m| {
                        let set = m.entry(net.get()).or_default();
                        match ev.action.as_str() {
                            "stop" => {
                                set.insert(ev.id);
                            }
                            "start" | "destroy" => {
                                set.remove(&ev.id);
                            }
                            _ => {}
                        }
                    });
                }
                shared.trigger.notify_one();
            },
        )
        .await;
        shared.set_events(
            net.get(),
            Some(EventStream {
                connected: false,
                error: Some(
                    ended
                        .err()
                        .unwrap_or_else(|| "the daemon ended the stream".into()),
                ),
            }),
        );
        // The daemon went away (or never answered): what it stopped is no longer known to be
        // stopped on purpose; a restarted daemon is like a rebooted machine.
        shared.with_stops(|m| m.remove(&net.get()));
        if connected {
            shared.trigger.notify_one();
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// What the route server keeps per daemon between refreshes: no client (bollard holds no idle
/// connection anyway, and a client per daemon is 4 MB at 1,000 daemons), only the API version
/// negotiated once, and the event follower.
struct Conn {
    version: Option<ClientVersion>,
    watcher: tokio::task::JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

/// A client for `socket`: with the version negotiated before, or negotiating now.
async fn client(
    socket: &Path,
    version: Option<ClientVersion>,
    timeout: Duration,
) -> Result<Docker, String> {
    match version {
        Some(v) => {
            Docker::connect_with_unix(&socket.to_string_lossy(), timeout.as_secs().max(1), &v)
                .map_err(|e| e.to_string())
        }
        None => connect(socket, timeout).await,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct WatchdogAction {
    pub time_unix: u64,
    pub network_id: u32,
    pub container: String,
    pub service: String,
    pub policy: String,
    pub exit_code: i64,
    pub stopped_seconds: u64,
    pub result: String,
}

#[derive(Default)]
struct WatchdogMemory {
    /// Container ID -> unix time first seen stopped (when FinishedAt is unusable).
    first_seen: HashMap<String, i64>,
    restarts: HashMap<String, u32>,
    total: u64,
    recent: VecDeque<WatchdogAction>,
}

type Job = Box<dyn FnOnce() + Send>;

/// One long-lived thread for builds: the large, short-lived allocations of a build always come
/// from the same allocator arena (blocking-pool threads would each grow their own), and a build
/// never holds up the threads serving requests.
struct Builder {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl Builder {
    fn new() -> Self {
        let (jobs, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("route-builder".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .expect("spawn the route builder thread");
        Self { jobs }
    }

    /// Run `f` on the builder thread without waiting for it.
    fn spawn(&self, f: impl FnOnce() + Send + 'static) {
        // Sending only fails once the thread is gone, and then `run` reports it.
        let _ = self.jobs.send(Box::new(f));
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| "the builder thread is gone".to_owned())?;
        rx.await.map_err(|_| "the build panicked".to_owned())
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

/// The refresh loop's state.
pub struct Refresher {
    settings: Arc<Settings>,
    shared: Arc<Shared>,
    conns: BTreeMap<PathBuf, Conn>,
    leases: Vec<Lease>,
    refreshes: u64,
    last_etag: String,
    last_problems: BTreeSet<Problem>,
    last_errors: BTreeMap<u32, String>,
    last_lease_error: Option<String>,
    watchdog: WatchdogMemory,
    /// The inputs of the last build and its result.
    last: Option<LastBuild>,
    builds: u64,
    builder: Builder,
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Refresher {
    pub fn new(settings: Arc<Settings>, shared: Arc<Shared>) -> Self {
        Self {
            settings,
            shared,
            conns: BTreeMap::new(),
            leases: Vec::new(),
            refreshes: 0,
            last_etag: String::new(),
            last_problems: BTreeSet::new(),
            last_errors: BTreeMap::new(),
            last_lease_error: None,
            watchdog: WatchdogMemory::default(),
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
        let timeout = self.settings.daemon_timeout;
        let found = match sockets(&self.settings.run_dir) {
            Ok(f) => f,
            Err(e) => {
                output::warn(&format!("route-server: {e}"));
                Vec::new()
            }
        };
        let paths: BTreeSet<&PathBuf> = found.iter().map(|(_, p)| p).collect();
        self.conns.retain(|p, _| paths.contains(p));
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
                    *net,
                    path.clone(),
                    Arc::clone(&self.shared),
                    timeout,
                )),
            });
        }

        // List every daemon, each bounded by its own timeout.
        let targets: Vec<(NetworkId, PathBuf, Option<ClientVersion>)> = found
            .iter()
            .map(|(net, path)| {
                let version = self.conns.get(path).and_then(|c| c.version);
                (*net, path.clone(), version)
            })
            .collect();
        let jobs = targets.into_iter().map(|(net, path, version)| async move {
            let started = Instant::now();
            let result = async {
                let docker = client(&path, version, timeout).await?;
                let left = timeout.saturating_sub(started.elapsed());
                let containers = list(&docker, false, "running", left).await?;
                Ok::<_, String>((docker.client_version(), containers))
            }
            .await;
            (net, path, result)
        });
        let results: Vec<_> = futures_util::stream::iter(jobs)
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut daemons = Vec::with_capacity(results.len());
        for (net, path, result) in results {
            let socket = path.display().to_string();
            let version = result.as_ref().ok().map(|(v, _)| *v);
            if let Some(c) = self.conns.get_mut(&path) {
                // A daemon that failed may come back as another version: negotiate again.
                c.version = version;
            }
            let (containers, error) = match result {
                Ok((_, containers)) => (containers, None),
                Err(e) => (Vec::new(), Some(e)),
            };
            daemons.push(DaemonInput {
                network_id: net,
                socket,
                error,
                containers,
            });
        }
        daemons.sort_by_key(|d| d.network_id);

        // Leases: on error keep the last good list (routes do not flap with the database).
        let state_dir = self.settings.state_dir.clone();
        let lease_result = tokio::task::spawn_blocking(move || leases::list(&state_dir))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        let lease_error = match lease_result {
            Ok(l) => {
                self.leases = l;
                None
            }
            Err(e) => Some(e),
        };
        let discovered = began.elapsed();

        self.refreshes += 1;
        let meta = Meta {
            refreshes: self.refreshes,
            time_unix: now_unix(),
            discover_ms: ms(discovered),
            lease_error: lease_error.clone(),
            watchdog: self.watchdog_health(),
            events: self.shared.event_streams(),
        };
        let daemons = Arc::new(daemons);
        // Identical inputs give identical output: build only when something changed.
        let print = fingerprint(&daemons, &self.leases);
        let built = if let Some((_, built)) = self.last.as_ref().filter(|(f, _)| *f == print) {
            Arc::clone(built)
        } else {
            // The old result is still being served (the snapshot holds its bytes); the rest of
            // it can go before the new one is built.
            self.last = None;
            let settings = Arc::clone(&self.settings);
            let leases_now = self.leases.clone();
            let for_build = Arc::clone(&daemons);
            let result = self
                .builder
                .run(move || Arc::new(build_state(&for_build, &leases_now, &settings)))
                .await;
            match result {
                Ok(b) => {
                    self.builds += 1;
                    self.last = Some((print, Arc::clone(&b)));
                    b
                }
                Err(e) => {
                    output::error(&format!(
                        "route-server: building the configuration failed: {e}"
                    ));
                    return;
                }
            }
        };
        let health = health_bytes(
            &daemons,
            self.leases.len(),
            &built,
            &self.settings,
            &meta,
            self.builds,
        );
        let snapshot = Snapshot {
            config_yaml: built.config_yaml.clone(),
            config_json: built.config_json.clone(),
            health,
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

    fn watchdog_health(&self) -> WatchdogHealth {
        WatchdogHealth {
            enabled: self.settings.watchdog_grace.is_some(),
            grace_seconds: self.settings.watchdog_grace.map(|g| g.as_secs_f64()),
            restarts: self.watchdog.total,
            recent: self.watchdog.recent.iter().cloned().collect(),
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

    async fn run_watchdog(&mut self, daemons: &[DaemonInput], grace: Duration) {
        let timeout = self.settings.daemon_timeout;
        let now = i64::try_from(now_unix()).unwrap_or(i64::MAX);
        let mut seen_stopped = HashSet::new();
        for d in daemons.iter().filter(|d| d.error.is_none()) {
            let net = d.network_id;
            let marker = self
                .settings
                .run_dir
                .join(format!("docker-{net}"))
                .join("repository");
            let Ok(repo) = std::fs::read_to_string(&marker) else {
                continue;
            };
            let repo = repo.trim_end_matches('\n');
            if repo.is_empty() {
                continue;
            }
            let Ok(map) = crate::slotmap::read(Path::new(repo)) else {
                continue;
            };
            let policies: BTreeMap<String, Option<String>> = map
                .services()
                .into_iter()
                .map(|(name, e)| (name, e.restart_policy))
                .filter(|(_, p)| p.is_some())
                .collect();
            if policies.is_empty() {
                continue;
            }
            let path = PathBuf::from(&d.socket);
            let Some(version) = self.conns.get(&path).and_then(|c| c.version) else {
                continue;
            };
            let Ok(docker) = client(&path, Some(version), timeout).await else {
                continue;
            };
            let Ok(exited) = list(&docker, true, "exited", timeout).await else {
                continue;
            };
            for c in exited {
                let service = build::service_name(&c);
                let Some(Some(raw_policy)) = policies.get(&service) else {
                    continue;
                };
                let policy = match Policy::parse(Some(raw_policy)) {
                    Ok(p) => p,
                    Err(_) => continue,
                };
                seen_stopped.insert(c.id.clone());
                let Ok(Ok(info)) = tokio::time::timeout(
                    timeout,
                    docker.inspect_container(&c.id, None::<InspectContainerOptions>),
                )
                .await
                else {
                    continue;
                };
                let state = info.state.unwrap_or_default();
                let exit_code = state.exit_code.unwrap_or(0);
                let first = *self.watchdog.first_seen.entry(c.id.clone()).or_insert(now);
                let finished = state
                    .finished_at
                    .as_deref()
                    .and_then(watchdog::parse_utc)
                    .unwrap_or(first);
                let stopped_for = Duration::from_secs(u64::try_from(now - finished).unwrap_or(0));
                let on_purpose = self
                    .shared
                    .with_stops(|m| m.get(&net.get()).is_some_and(|s| s.contains(&c.id)));
                let facts = Stopped {
                    exit_code,
                    stopped_for,
                    stopped_on_purpose: on_purpose,
                    restarts: self.watchdog.restarts.get(&c.id).copied().unwrap_or(0),
                };
                if watchdog::decide(policy, &facts, grace) != Decision::Restart {
                    continue;
                }
                let started = tokio::time::timeout(timeout, docker.start_container(&c.id, None))
                    .await
                    .map_err(|_| "timed out".to_owned())
                    .and_then(|r| r.map_err(|e| e.to_string()));
                let result = match &started {
                    Ok(()) => "restarted".to_owned(),
                    Err(e) => format!("restart failed: {e}"),
                };
                output::note(&format!(
                    "route-server: watchdog: network {net} container {} (service {service}, restart {raw_policy}, \
                     exit code {exit_code}, stopped {}s ago): {result}",
                    c.name,
                    stopped_for.as_secs()
                ));
                *self.watchdog.restarts.entry(c.id.clone()).or_insert(0) += 1;
                self.watchdog.first_seen.remove(&c.id);
                if started.is_ok() {
                    self.watchdog.total += 1;
                }
                self.watchdog.recent.push_back(WatchdogAction {
                    time_unix: now_unix(),
                    network_id: net.get(),
                    container: c.name.clone(),
                    service: service.clone(),
                    policy: raw_policy.clone(),
                    exit_code,
                    stopped_seconds: stopped_for.as_secs(),
                    result,
                });
                while self.watchdog.recent.len() > RECENT {
                    self.watchdog.recent.pop_front();
                }
            }
        }
        self.watchdog
            .first_seen
            .retain(|id, _| seen_stopped.contains(id));
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Facts about the refresh that are not part of the configuration.
#[derive(Debug, Clone)]
pub struct Meta {
    pub refreshes: u64,
    pub time_unix: u64,
    pub discover_ms: f64,
    pub lease_error: Option<String>,
    pub watchdog: WatchdogHealth,
    /// Event streams by network ID; a daemon missing here has none yet.
    pub events: BTreeMap<u32, EventStream>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct WatchdogHealth {
    pub enabled: bool,
    pub grace_seconds: Option<f64>,
    pub restarts: u64,
    pub recent: Vec<WatchdogAction>,
}

#[derive(Serialize)]
struct Health<'a> {
    status: &'static str,
    routers: usize,
    services: usize,
    http: Counts,
    tcp: Counts,
    udp: Counts,
    auto_routes: bool,
    base_domain: &'a str,
    machine_name: Option<&'a str>,
    daemons_seen: usize,
    daemons_failed: usize,
    daemons: Vec<DaemonHealth<'a>>,
    containers_routed: usize,
    problems: &'a [Problem],
    leases: LeaseHealth<'a>,
    last_refresh_unix: u64,
    refreshes: u64,
    /// Refreshes whose inputs changed (the others reuse the last build).
    builds: u64,
    discover_ms: f64,
    build_ms: f64,
    watchdog: &'a WatchdogHealth,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Counts {
    routers: usize,
    services: usize,
}

#[derive(Serialize)]
struct DaemonHealth<'a> {
    network_id: u32,
    socket: &'a str,
    ok: bool,
    containers: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    /// Its event stream is followed: changes show within a second, not at the next poll.
    events: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    events_error: Option<&'a str>,
}

#[derive(Serialize)]
struct LeaseHealth<'a> {
    count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct PortsDoc<'a> {
    leases: Vec<PortEntry<'a>>,
    /// The lease database could not be read: these are the last leases read.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct PortEntry<'a> {
    #[serde(flatten)]
    lease: &'a Lease,
    /// The container runs and the route exists.
    active: bool,
    /// `ip:container_port` traffic goes to, when the container runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String>,
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

    fn routers(&self) -> usize {
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
    let failed = daemons.iter().filter(|d| d.error.is_some()).count();
    let degraded = failed > 0 || meta.lease_error.is_some() || !summary.problems.is_empty();
    let health = Health {
        status: if degraded { "degraded" } else { "ok" },
        routers: summary.routers(),
        services: summary.services(),
        http: summary.http,
        tcp: summary.tcp,
        udp: summary.udp,
        auto_routes: true,
        base_domain: &settings.options.base_domain,
        machine_name: settings.options.machine_name.as_deref(),
        daemons_seen: daemons.len(),
        daemons_failed: failed,
        daemons: daemons
            .iter()
            .map(|d| {
                let stream = meta.events.get(&d.network_id.get());
                DaemonHealth {
                    network_id: d.network_id.get(),
                    socket: &d.socket,
                    ok: d.error.is_none(),
                    containers: d.containers.len(),
                    error: d.error.as_deref(),
                    events: stream.is_some_and(|s| s.connected),
                    events_error: stream.and_then(|s| s.error.as_deref()),
                }
            })
            .collect(),
        containers_routed: summary.routed_containers,
        problems: &summary.problems,
        leases: LeaseHealth {
            count: lease_count,
            error: meta.lease_error.as_deref(),
        },
        last_refresh_unix: meta.time_unix,
        refreshes: meta.refreshes,
        builds,
        discover_ms: meta.discover_ms,
        build_ms: b.build_ms,
        watchdog: &meta.watchdog,
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
    let doc = PortsDoc {
        leases: sorted
            .into_iter()
            .map(|l| {
                let target = targets
                    .get(&(l.key.network_id, l.key.service.clone()))
                    .map(|ip| format!("{ip}:{}", l.key.container_port));
                let entrypoint = format!("{}-{}", l.key.proto.as_str(), l.external_port);
                PortEntry {
                    lease: l,
                    active: target.is_some() && active.contains(&entrypoint),
                    target,
                }
            })
            .collect(),
        error: lease_error,
    };
    pretty(&doc)
}
