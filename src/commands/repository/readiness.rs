//! After `repository up`: wait, bounded, until every service's ports listen on its own address,
//! and name the services that exited or never listened, with the last lines of their logs
//! (SPEC section 8, "Preflight"). TCP ports are tried with a connection; UDP ports, which
//! have no connection to try, count once a socket is bound to them (`/proc/net/udp`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::listen_ports::{self, Port};
use super::view;
use crate::docker::{Container, DockerApi, Target, block_on};
use crate::leases::Proto;
use crate::output::Printer;

/// Lines of a failed service's log shown (`docker logs --tail`).
pub(super) const LOG_LINES: usize = 20;
const POLL: Duration = Duration::from_millis(250);
/// One connection attempt; on loopback a port nobody listens on refuses at once.
const CONNECT: Duration = Duration::from_millis(300);
/// How long one call to the daemon may take while waiting.
const DAEMON_CALL: Duration = Duration::from_secs(5);
/// "Still waiting" is said this often.
const PROGRESS: Duration = Duration::from_secs(5);

/// What the wait found for one service (the `readiness` of `repository up --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Readiness {
    pub(super) state: State,
    /// Every port waited for: `tcp 127.0.11.2:8080`.
    pub(super) ports: Vec<String>,
    /// Those still not listening when the wait ended.
    pub(super) not_listening: Vec<String>,
    /// The exit code of a container that exited.
    pub(super) exit_code: Option<i64>,
    /// When it was settled, in seconds after the wait began.
    pub(super) seconds: f64,
    /// The last lines of its log, for a service that exited, never listened or never ran.
    pub(super) logs: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum State {
    /// Running, every port listening (or it has none).
    Ok,
    /// Exited with code 0, and it has no port: a job that did its work.
    Completed,
    Exited,
    NotListening,
    /// Its container never got to running (created, restarting, paused) within the wait.
    NotRunning,
    /// No container: compose did not start it (a profile, a Rediaccfile that skips it).
    NoContainer,
    /// `--wait 0`, or the Rediaccfiles failed.
    NotChecked,
}

impl Readiness {
    pub(super) fn not_checked() -> Self {
        Self::settled(State::NotChecked, Vec::new(), 0.0)
    }

    fn settled(state: State, ports: Vec<String>, seconds: f64) -> Self {
        Self {
            state,
            ports,
            not_listening: Vec::new(),
            exit_code: None,
            seconds,
            logs: Vec::new(),
        }
    }

    /// The line `failures` lists for a failed service.
    pub(super) fn failure(&self, service: &str, waited: Duration) -> Option<String> {
        let text = match self.state {
            State::Exited => match self.exit_code {
                Some(c) => format!("exited ({c})"),
                None => "exited".to_owned(),
            },
            State::NotListening => format!(
                "not listening on {} after {}s",
                self.not_listening.join(", "),
                waited.as_secs()
            ),
            State::NotRunning => format!("not running after {}s", waited.as_secs()),
            _ => return None,
        };
        Some(format!("{service}: {text}"))
    }
}

/// A service to wait for: its address, and the ports its compose files name.
pub(super) struct Wanted {
    pub(super) name: String,
    pub(super) address: Ipv4Addr,
    pub(super) model_ports: BTreeSet<Port>,
}

/// Whether something listens on a port: the machine's sockets, or a test's script.
pub(super) trait Listening {
    fn listening(&self, ip: Ipv4Addr, port: Port) -> bool;
}

/// This machine's sockets.
pub(super) struct Sockets;

impl Listening for Sockets {
    fn listening(&self, ip: Ipv4Addr, (proto, port): Port) -> bool {
        match proto {
            Proto::Tcp => {
                TcpStream::connect_timeout(&SocketAddr::from((ip, port)), CONNECT).is_ok()
            }
            Proto::Udp => listen_ports::udp_bound_now(ip, port),
        }
    }
}

/// One look at a service.
enum Verdict {
    Settled(State),
    /// Still waiting: the ports not listening yet (empty: its container is not running yet).
    Waiting(Vec<String>),
}

fn judge(
    w: &Wanted,
    containers: &[&Container],
    ports: &BTreeSet<Port>,
    probe: &impl Listening,
) -> Verdict {
    if containers.is_empty() {
        return Verdict::Settled(State::NoContainer);
    }
    if containers.iter().any(|c| c.state == "running") {
        let missing: Vec<String> = ports
            .iter()
            .filter(|p| !probe.listening(w.address, **p))
            .map(|p| listen_ports::describe(w.address, *p))
            .collect();
        return if missing.is_empty() {
            Verdict::Settled(State::Ok)
        } else {
            Verdict::Waiting(missing)
        };
    }
    if containers
        .iter()
        .all(|c| matches!(c.state.as_str(), "exited" | "dead"))
    {
        return Verdict::Settled(State::Exited);
    }
    Verdict::Waiting(Vec::new())
}

/// Every port of a service: its compose files' and its first container's labels.
fn ports_of(w: &Wanted, containers: &[&Container]) -> BTreeSet<Port> {
    let mut ports = w.model_ports.clone();
    if let Some(c) = containers.first() {
        ports.extend(listen_ports::from_labels(&w.name, &c.labels));
    }
    ports
}

/// Services not settled yet: the ports not listening (none: not running yet) and the
/// service's first container, if it has one.
type Waiting<'a> = BTreeMap<&'a str, (Vec<String>, Option<Container>)>;

/// Wait up to `limit` for every service of `wanted` on the daemon at `socket`; progress on
/// stderr. Every service gets its readiness.
pub(super) fn wait(
    api: &impl DockerApi,
    socket: &Path,
    wanted: &[Wanted],
    limit: Duration,
    probe: &impl Listening,
    out: &Printer,
) -> BTreeMap<String, Readiness> {
    let began = Instant::now();
    out.note(&format!(
        "waiting up to {}s for {} service(s) to listen (--wait SECS changes it, --wait 0 skips it)",
        limit.as_secs(),
        wanted.len()
    ));
    let mut done: BTreeMap<String, Readiness> = BTreeMap::new();
    let mut said = began;
    loop {
        let waiting = look(api, socket, wanted, probe, began, &mut done, out);
        if waiting.is_empty() || began.elapsed() >= limit {
            give_up(api, socket, wanted, waiting, began, &mut done, out);
            return done;
        }
        if said.elapsed() >= PROGRESS {
            said = Instant::now();
            let names: Vec<&str> = waiting.keys().copied().collect();
            out.note(&format!(
                "  still waiting for {} ({}s)",
                names.join(", "),
                began.elapsed().as_secs()
            ));
        }
        std::thread::sleep(POLL.min(limit.saturating_sub(began.elapsed())));
    }
}

/// One look at every service not settled yet: those settled now go into `done` (and are said),
/// the others are returned.
fn look<'a>(
    api: &impl DockerApi,
    socket: &Path,
    wanted: &'a [Wanted],
    probe: &impl Listening,
    began: Instant,
    done: &mut BTreeMap<String, Readiness>,
    out: &Printer,
) -> Waiting<'a> {
    let listed = block_on(view::containers(api, socket, DAEMON_CALL));
    let mut waiting = Waiting::new();
    for w in wanted {
        if done.contains_key(&w.name) {
            continue;
        }
        // A daemon that did not answer tells nothing: wait on.
        let Some(listed) = &listed else {
            waiting.insert(&w.name, (Vec::new(), None));
            continue;
        };
        let mine: Vec<&Container> = listed
            .iter()
            .filter(|c| view::service_of(c) == w.name)
            .collect();
        let ports = ports_of(w, &mine);
        match judge(w, &mine, &ports, probe) {
            Verdict::Settled(state) => {
                let described = described(w, &ports);
                let mut r = Readiness::settled(state, described, secs(began));
                if state == State::Exited {
                    exited(api, socket, mine[0], &ports, &mut r);
                }
                out.note(&progress(&w.name, &r));
                done.insert(w.name.clone(), r);
            }
            Verdict::Waiting(missing) => {
                let first = mine.first().map(|c| (*c).clone());
                waiting.insert(&w.name, (missing, first));
            }
        }
    }
    waiting
}

/// The wait is over: what still waits never listened (or never ran), with its log.
fn give_up(
    api: &impl DockerApi,
    socket: &Path,
    wanted: &[Wanted],
    waiting: Waiting<'_>,
    began: Instant,
    done: &mut BTreeMap<String, Readiness>,
    out: &Printer,
) {
    for (name, (missing, container)) in waiting {
        let ports = wanted
            .iter()
            .find(|w| w.name == name)
            .map_or_else(Vec::new, |w| {
                let mine: Vec<&Container> = container.iter().collect();
                described(w, &ports_of(w, &mine))
            });
        let state = if missing.is_empty() {
            State::NotRunning
        } else {
            State::NotListening
        };
        let mut r = Readiness::settled(state, ports, secs(began));
        r.not_listening = missing;
        if let Some(c) = &container {
            r.logs = logs(api, socket, &c.id);
        }
        out.note(&progress(name, &r));
        done.insert(name.to_owned(), r);
    }
}

fn described(w: &Wanted, ports: &BTreeSet<Port>) -> Vec<String> {
    ports
        .iter()
        .map(|p| listen_ports::describe(w.address, *p))
        .collect()
}

fn secs(began: Instant) -> f64 {
    (began.elapsed().as_secs_f64() * 10.0).round() / 10.0
}

/// An exited container's code and log; a clean exit of a service without ports is a job done.
fn exited(
    api: &impl DockerApi,
    socket: &Path,
    c: &Container,
    ports: &BTreeSet<Port>,
    r: &mut Readiness,
) {
    r.exit_code = block_on(async {
        let version = api.negotiate(socket, DAEMON_CALL).await.ok()?;
        let at = Target {
            socket,
            version,
            timeout: DAEMON_CALL,
        };
        api.inspect(at, &c.id).await.ok().map(|e| e.exit_code)
    });
    if r.exit_code == Some(0) && ports.is_empty() {
        r.state = State::Completed;
    } else {
        r.logs = logs(api, socket, &c.id);
    }
}

/// The last [`LOG_LINES`] lines of container `id`; none when the daemon does not say.
fn logs(api: &impl DockerApi, socket: &Path, id: &str) -> Vec<String> {
    let text = block_on(async {
        let version = api.negotiate(socket, DAEMON_CALL).await.ok()?;
        let at = Target {
            socket,
            version,
            timeout: DAEMON_CALL,
        };
        tokio::time::timeout(DAEMON_CALL, api.logs(at, id, LOG_LINES))
            .await
            .ok()?
            .ok()
    })
    .unwrap_or_default();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let from = lines.len().saturating_sub(LOG_LINES);
    lines[from..].to_vec()
}

/// `  web: listening on tcp 127.0.11.2:8080 (0.4s)`, one line as each service is settled.
fn progress(name: &str, r: &Readiness) -> String {
    let what = match r.state {
        State::Ok if r.ports.is_empty() => "running (no port to wait for)".to_owned(),
        State::Ok => format!("listening on {}", r.ports.join(", ")),
        State::Completed => "exited (0): done".to_owned(),
        State::Exited => format!(
            "exited ({})",
            r.exit_code
                .map_or_else(|| "?".to_owned(), |c| c.to_string())
        ),
        State::NotListening => format!("not listening on {}", r.not_listening.join(", ")),
        State::NotRunning => "never got to running".to_owned(),
        State::NoContainer => "no container (not started by the Rediaccfiles)".to_owned(),
        State::NotChecked => "not checked".to_owned(),
    };
    format!("  {name}: {what} ({}s)", r.seconds)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::docker::fake::{FakeContainer, FakeDaemon, FakeDocker};

    /// Ports scripted as listening.
    struct Script(HashSet<(Ipv4Addr, Port)>);

    impl Listening for Script {
        fn listening(&self, ip: Ipv4Addr, port: Port) -> bool {
            self.0.contains(&(ip, port))
        }
    }

    fn svc(name: &str, id: &str, state: &str, port: &str) -> FakeContainer {
        FakeContainer::new(
            id,
            state,
            &[(view::SERVICE_LABEL, name), ("rediacc.service_port", port)],
        )
    }

    fn wanted(name: &str, last: u8) -> Wanted {
        Wanted {
            name: name.to_owned(),
            address: Ipv4Addr::new(127, 0, 11, last),
            model_ports: BTreeSet::new(),
        }
    }

    /// One service listens, one exited with its log, one never listens, one was never started,
    /// one is a job that finished: each gets its state, and only the three failures fail.
    #[test]
    fn every_service_gets_its_state() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("docker-2816.sock");
        let fake = FakeDocker::default();
        let mut boom = svc("boom", "b", "running", "8080").exited(3, "x");
        boom.logs = (0..30)
            .map(|i| format!("line {i}"))
            .chain(["boom".into()])
            .collect();
        let mut sleeper = svc("sleeper", "s", "running", "8080");
        sleeper.logs = vec!["zzz".into()];
        let job = FakeContainer::new("j", "exited", &[(view::SERVICE_LABEL, "job")]).exited(0, "x");
        fake.set(
            &socket,
            FakeDaemon::with(vec![svc("web", "w", "running", "8080"), boom, sleeper, job]),
        );
        let mut web = wanted("web", 2);
        web.model_ports.insert((Proto::Udp, 53));
        let all = [
            web,
            wanted("boom", 3),
            wanted("sleeper", 4),
            wanted("ghost", 5),
            wanted("job", 6),
        ];
        let ip = Ipv4Addr::new(127, 0, 11, 2);
        let probe = Script(HashSet::from([
            (ip, (Proto::Tcp, 8080)),
            (ip, (Proto::Udp, 53)),
        ]));
        let out = Printer::recording();
        let got = wait(
            &fake,
            &socket,
            &all,
            Duration::from_millis(600),
            &probe,
            &out,
        );
        let states: Vec<(&str, State)> = got.iter().map(|(k, r)| (k.as_str(), r.state)).collect();
        assert_eq!(
            states,
            [
                ("boom", State::Exited),
                ("ghost", State::NoContainer),
                ("job", State::Completed),
                ("sleeper", State::NotListening),
                ("web", State::Ok),
            ]
        );
        assert_eq!(
            got["web"].ports,
            ["tcp 127.0.11.2:8080", "udp 127.0.11.2:53"]
        );
        let boom = &got["boom"];
        assert_eq!(boom.exit_code, Some(3));
        assert_eq!(boom.logs.len(), LOG_LINES);
        assert_eq!(boom.logs.last().map(String::as_str), Some("boom"));
        assert_eq!(got["sleeper"].not_listening, ["tcp 127.0.11.4:8080"]);
        assert_eq!(got["sleeper"].logs, ["zzz"]);
        let wait = Duration::from_secs(2);
        let failures: Vec<String> = got.iter().filter_map(|(k, r)| r.failure(k, wait)).collect();
        assert_eq!(
            failures,
            [
                "boom: exited (3)",
                "sleeper: not listening on tcp 127.0.11.4:8080 after 2s"
            ]
        );
        let said = out.text(crate::output::Stream::Stderr);
        assert!(
            said.contains("  web: listening on tcp 127.0.11.2:8080, udp 127.0.11.2:53"),
            "{said}"
        );
        assert!(said.contains("  boom: exited (3)"), "{said}");
    }

    /// The machine's own sockets: a bound UDP socket (read from /proc/net/udp) and a TCP
    /// listener count, a closed port does not.
    #[test]
    fn real_sockets_are_seen() {
        let lo = Ipv4Addr::LOCALHOST;
        let udp = std::net::UdpSocket::bind((lo, 0)).unwrap();
        let udp_port = udp.local_addr().unwrap().port();
        assert!(Sockets.listening(lo, (Proto::Udp, udp_port)));
        let tcp = std::net::TcpListener::bind((lo, 0)).unwrap();
        let tcp_port = tcp.local_addr().unwrap().port();
        assert!(Sockets.listening(lo, (Proto::Tcp, tcp_port)));
        drop((udp, tcp));
        assert!(!Sockets.listening(lo, (Proto::Udp, udp_port)));
        assert!(!Sockets.listening(lo, (Proto::Tcp, tcp_port)));
    }

    /// A daemon that stopped answering: nothing is known, every service is reported not running.
    #[test]
    fn a_silent_daemon_reports_every_service() {
        let fake = FakeDocker::default();
        let out = Printer::recording();
        let probe = Script(HashSet::new());
        let got = wait(
            &fake,
            Path::new("/nonexistent.sock"),
            &[wanted("web", 2)],
            Duration::from_millis(300),
            &probe,
            &out,
        );
        assert_eq!(got["web"].state, State::NotRunning);
    }
}
