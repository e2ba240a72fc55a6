//! The route server cannot be stalled by one repository or one client (SPEC section 7,
//! "Tenancy", last bullet): hostile repository files (a FIFO `.rediacc.json`, a link to
//! `/dev/zero`), daemon sockets that accept and never answer or are never served, slow and
//! idle HTTP clients, too many connections, the descriptor limit; and the last `/config`
//! request in `/health`. A real route server binary each time; a real dockerd where the test
//! needs real containers, else small Docker API fakes on unix sockets written here.
//! Every process started here is stopped on drop, by its PID.

use std::fs;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Compose, Daemon, Test, compose_lock, eventually, run_command};
use crate::routes::free_port;

const WAIT: Duration = Duration::from_secs(60);

/// The route server, stopped on drop: SIGTERM to its PID, SIGKILL after 10 s (after
/// `routes::Proc`, with its PID and log exposed).
struct Proc {
    child: std::process::Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(mut cmd: Command, log: PathBuf) -> Self {
        let out = fs::File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let err = out.try_clone().expect("clone log handle");
        cmd.stdin(std::process::Stdio::null())
            .stdout(out)
            .stderr(err);
        let child = cmd.spawn().expect("start the route server");
        Self { child, log }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("the route server exited: {status}\n{}", self.log_text());
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        use nix::sys::signal::{Signal, kill};
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap_or(i32::MAX));
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = kill(pid, Signal::SIGTERM);
            for _ in 0..200 {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    break;
                }
                thread::sleep(Duration::from_millis(50));
            }
            if matches!(self.child.try_wait(), Ok(None)) {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
    }
}

/// `renet route-server --listen 127.0.0.1:<port> ARGS` (under `prefix`, e.g. `prlimit`),
/// logging to the test folder.
fn route_server(t: &mut Test, port: u16, args: &[&str], prefix: &[&str]) -> Proc {
    let listen = format!("127.0.0.1:{port}");
    let inner = t
        .args(["route-server", "--listen", &listen])
        .args(args)
        .command();
    let mut cmd = match prefix.split_first() {
        None => inner,
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(inner.get_program()).args(inner.get_args());
            for (k, v) in inner.get_envs() {
                match v {
                    Some(v) => c.env(k, v),
                    None => c.env_remove(k),
                };
            }
            if let Some(dir) = inner.get_current_dir() {
                c.current_dir(dir);
            }
            c
        }
    };
    cmd.env_remove("RENET_BASE_DOMAIN")
        .env_remove("RENET_MACHINE_NAME");
    Proc::spawn(cmd, t.root().join("route-server.log"))
}

/// GET with curl: (status, body).
fn get(port: u16, path: &str, extra: &[&str]) -> (u16, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "--max-time", "5", "-w", "\n%{http_code}"])
        .args(extra)
        .arg(format!("http://127.0.0.1:{port}{path}"));
    let out = run_command(cmd, Duration::from_secs(30));
    let (body, code) = out.stdout.rsplit_once('\n').unwrap_or(("", &out.stdout));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

fn health(port: u16) -> Option<Value> {
    let (status, body) = get(port, "/health", &[]);
    (status == 200).then(|| serde_json::from_str(&body).expect("/health is JSON"))
}

/// The route server's resident memory, from /proc.
fn rss_kib(proc_: &Proc) -> u64 {
    let status = fs::read_to_string(format!("/proc/{}/status", proc_.pid())).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The first service address of network `n`'s block (127.0.N/256.N%256 + 2).
fn service_ip(n: u32) -> String {
    format!("127.0.{}.{}", n >> 8, (n & 255) + 2)
}

/// A Docker API fake on a unix socket, just enough for the route server: `/_ping`,
/// `/version`, `/containers/json` (the given containers), `/events` (held open). While
/// `hang` is set it reads requests and answers nothing.
struct FakeApi {
    hang: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    path: PathBuf,
}

impl FakeApi {
    fn serve(path: PathBuf, containers: Value) -> Self {
        let listener = UnixListener::bind(&path).expect("bind the fake daemon");
        listener.set_nonblocking(true).expect("nonblocking");
        let hang = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s) = (Arc::clone(&hang), Arc::clone(&stop));
        let body = containers.to_string();
        thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let (h, s, body) = (Arc::clone(&h), Arc::clone(&s), body.clone());
                        thread::spawn(move || answer(conn, &h, &s, &body));
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(20));
                    }
                    Err(_) => return,
                }
            }
        });
        Self { hang, stop, path }
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = fs::remove_file(&self.path);
    }
}

/// Answer one connection's requests (keep-alive) until it closes.
fn answer(conn: UnixStream, hang: &AtomicBool, stop: &AtomicBool, containers: &str) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let mut out = conn;
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    continue;
                }
                Err(_) => return,
            }
            let end = line == "\r\n";
            head.push_str(&line);
            if end {
                break;
            }
        }
        while hang.load(Ordering::SeqCst) && !stop.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(50));
        }
        let path = head.split(' ').nth(1).unwrap_or("");
        if path.contains("/events") {
            let _ = out.write_all(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n");
            while !stop.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(100));
            }
            return;
        }
        let body = if path.contains("/version") {
            r#"{"Version":"20.10.24","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64"}"#
        } else if path.contains("/containers/json") {
            containers
        } else {
            "OK"
        };
        let reply = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

/// A running container of network `n`, routed at `web`, as Docker lists it.
fn listed(n: u32) -> Value {
    serde_json::json!([{
        "Id": format!("web{n}"),
        "Names": [format!("/shop-web-{n}")],
        "State": "running",
        "Status": "Up 1 minute",
        "Labels": {
            "rediacc.service_name": "web",
            "rediacc.service_ip": service_ip(n),
            "rediacc.network_id": n.to_string(),
            "rediacc.repo_name": "shop",
            "rediacc.service_port": "8080",
        }
    }])
}

/// A repository folder recorded for network `n` (its marker in the run folder), whose
/// `.rediacc.json` `make` puts in place.
fn hostile_repository(t: &Test, n: u32, make: impl FnOnce(&Path)) -> PathBuf {
    let repo = t.make_repo(&format!("hostile-{n}"));
    let file = repo.join(".rediacc.json");
    let _ = fs::remove_file(&file);
    make(&file);
    let folder = t.run_dir().join(format!("docker-{n}"));
    fs::create_dir_all(&folder).expect("daemon folder");
    fs::write(folder.join("repository"), repo.display().to_string()).expect("marker");
    file
}

/// Sockets that never answer: one that accepts and holds each connection (reading
/// nothing), and, when `backlog_only`, one that listens and never accepts.
struct Hung {
    _listeners: Vec<UnixListener>,
    stop: Arc<AtomicBool>,
}

impl Hung {
    fn new(accepting: &[PathBuf], backlog_only: &[PathBuf]) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let mut keep = Vec::new();
        for p in accepting {
            let l = UnixListener::bind(p).expect("bind");
            l.set_nonblocking(true).expect("nonblocking");
            let s = Arc::clone(&stop);
            thread::spawn(move || {
                let mut held = Vec::new();
                while !s.load(Ordering::SeqCst) {
                    match l.accept() {
                        Ok((c, _)) => held.push(c),
                        Err(_) => thread::sleep(Duration::from_millis(20)),
                    }
                }
            });
        }
        for p in backlog_only {
            keep.push(UnixListener::bind(p).expect("bind"));
        }
        Self {
            _listeners: keep,
            stop,
        }
    }
}

impl Drop for Hung {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A FIFO `.rediacc.json` and one linked to `/dev/zero`, in repositories whose daemons
/// answer, and a daemon that accepts and never answers, while a real daemon runs a routed
/// container with a restart policy: refreshes go on, the real repository stays routed and its
/// crash is restarted, /health names each file and socket, and memory stays small.
#[test]
fn hostile_files_and_hung_sockets_stall_nothing() {
    let Some(_lock) = compose_lock("hostile_files_and_hung_sockets_stall_nothing", Compose::V2)
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.make_repo("good");
    let compose = "services:\n  web:\n    image: renet-test/busybox:1\n    stop_signal: SIGKILL\n    \
        restart: always\n    command: [\"sh\", \"-c\", \"mkdir -p /www && echo good > /www/index.html \
        && exec httpd -f -p $${SERVICE_IP}:8080 -h /www\"]\n    labels:\n      \
        rediacc.service_port: '8080'\n";
    t.write(repo.join("docker-compose.yml"), compose);
    let d = Daemon::start(&t, 4608, &repo);
    d.import_busybox();
    t.args(["compose", "--network-id", "4608", "--repo"])
        .args([repo.to_str().expect("utf-8"), "--", "up", "-d"])
        .current_dir(&repo)
        .run()
        .success();

    let run = t.run_dir();
    let fifo = hostile_repository(&t, 4672, |f| {
        nix::unistd::mkfifo(f, nix::sys::stat::Mode::from_bits_truncate(0o644)).expect("mkfifo");
    });
    let zero = hostile_repository(&t, 4736, |f| {
        std::os::unix::fs::symlink("/dev/zero", f).expect("symlink");
    });
    let _fifo_daemon = FakeApi::serve(run.join("docker-4672.sock"), serde_json::json!([]));
    let _zero_daemon = FakeApi::serve(run.join("docker-4736.sock"), serde_json::json!([]));
    let _hung = Hung::new(&[run.join("docker-4800.sock")], &[]);

    let port = free_port();
    let mut rs = route_server(
        &mut t,
        port,
        &["--poll", "1s", "--daemon-timeout", "1s"],
        &[],
    );
    let h = eventually("/health names both files and the hung daemon", WAIT, || {
        let h = health(port)?;
        let problems = h["watchdog"]["problems"].as_array()?;
        let named = |f: &Path| {
            problems
                .iter()
                .any(|p| p["file"] == f.display().to_string())
        };
        (named(&fifo) && named(&zero)).then_some(h)
    });
    let problems = h["watchdog"]["problems"].as_array().expect("problems");
    eprintln!("watchdog problems: {problems:#?}");
    let of = |n: u32| {
        problems
            .iter()
            .find(|p| p["network_id"] == n)
            .unwrap_or_else(|| panic!("{n} not reported: {h:#}"))
    };
    assert!(
        of(4672)["error"]
            .as_str()
            .is_some_and(|e| e.contains("FIFO")),
        "{h:#}"
    );
    assert!(
        of(4736)["error"]
            .as_str()
            .is_some_and(|e| e.contains("symbolic link")),
        "{h:#}"
    );
    let hung = h["daemons"]
        .as_array()
        .expect("daemons")
        .iter()
        .find(|d| d["network_id"] == 4800)
        .expect("the hung daemon is listed");
    assert_eq!(hung["ok"], false, "{h:#}");
    assert!(hung["error"].is_string(), "{h:#}");
    assert_eq!(h["status"], "degraded");

    // Refreshes go on, the real repository is routed, and its crash is restarted.
    let before = h["refreshes"].as_u64().expect("refreshes");
    eventually("refreshes go on", WAIT, || {
        (health(port)?["refreshes"].as_u64()? >= before + 3).then_some(())
    });
    let (status, config) = get(port, "/config", &[]);
    assert_eq!(status, 200, "{config}");
    assert!(config.contains("web-4608"), "{config}");
    let web = d.container_of("web");
    d.docker(["kill", &web]).success();
    eventually(
        "the watchdog restarts the real repository's crash",
        WAIT,
        || (health(port)?["watchdog"]["restarts"].as_u64()? >= 1).then_some(()),
    );
    let rss = rss_kib(&rs);
    assert!(rss > 0 && rss < 64 * 1024, "resident memory {rss} KiB");
    rs.assert_running();

    // The last request for the configuration, in /health.
    let (status, _) = get(port, "/config", &["-A", "renet-test/1.0 (routeserver)"]);
    assert_eq!(status, 200);
    let last = health(port).expect("/health")["last_config_request"].clone();
    assert_eq!(
        last["user_agent"], "renet-test/1.0 (routeserver)",
        "{last:#}"
    );
    assert!(
        last["client"]
            .as_str()
            .is_some_and(|c| c.starts_with("127.0.0.1:")),
        "{last:#}"
    );
    assert!(
        last["unix"].as_u64().is_some_and(|u| u > 1_600_000_000),
        "{last:#}"
    );
    t.args(["compose", "--network-id", "4608", "--repo"])
        .args([repo.to_str().expect("utf-8"), "--", "down"])
        .current_dir(&repo)
        .run()
        .success();
    drop(rs);
}

/// A daemon socket that accepts and never answers, one nobody accepts on and a FIFO in the
/// place of one: each costs at most its own timeout, at once, and a good daemon's routes are served; when the good daemon starts
/// hanging too, its last good routes stay (and /health says since when). No Docker needed.
#[test]
fn hung_daemon_sockets_are_timed_out_together() {
    let mut t = Test::new();
    let run = t.run_dir();
    fs::create_dir_all(&run).expect("run dir");
    let hung = [run.join("docker-4608.sock")];
    let never = [run.join("docker-4736.sock")];
    let _hung = Hung::new(&hung, &never);
    // A FIFO where a daemon socket should be: refused at once, never waited on.
    nix::unistd::mkfifo(
        &run.join("docker-4672.sock"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .expect("mkfifo");
    let good = FakeApi::serve(run.join("docker-4800.sock"), listed(4800));
    let port = free_port();
    let mut rs = route_server(
        &mut t,
        port,
        &["--poll", "1s", "--daemon-timeout", "1s", "--no-watchdog"],
        &[],
    );
    let h = eventually("the good daemon is routed", WAIT, || {
        let h = health(port)?;
        (h["daemons_failed"] == 3 && h["http"]["routers"] == 1).then_some(h)
    });
    for d in h["daemons"].as_array().expect("daemons") {
        if d["network_id"] == 4800 {
            assert_eq!(d["ok"], true, "{h:#}");
        } else {
            assert!(d["error"].is_string(), "{h:#}");
            assert!(
                d["socket"].as_str().is_some_and(|s| s.ends_with(".sock")),
                "{h:#}"
            );
        }
    }
    eprintln!(
        "discover_ms with two hung sockets and a FIFO: {}",
        h["discover_ms"]
    );
    let (status, config) = get(port, "/config", &[]);
    assert_eq!(status, 200);
    assert!(config.contains("web-4800"), "{config}");

    // The good daemon hangs as well: its routes are kept, /health says so.
    good.hang.store(true, Ordering::SeqCst);
    let h = eventually("the good daemon's failure is reported", WAIT, || {
        let h = health(port)?;
        (h["daemons_failed"] == 4).then_some(h)
    });
    let d = h["daemons"]
        .as_array()
        .and_then(|a| a.iter().find(|d| d["network_id"] == 4800).cloned())
        .expect("4800 listed");
    assert!(d["routes_kept_since_unix"].is_u64(), "{h:#}");
    assert!(d["error"].is_string(), "{h:#}");
    let (status, config) = get(port, "/config", &[]);
    assert_eq!(status, 200);
    assert!(config.contains("web-4800"), "kept: {config}");
    rs.assert_running();
    good.hang.store(false, Ordering::SeqCst);
    drop(rs);
}

/// Read from `s` until it closes: Ok(bytes read) when the server closed it, Err when it did
/// not within `limit` (the socket's read timeout).
fn read_until_closed(s: &mut TcpStream, limit: Duration) -> Result<usize, String> {
    s.set_read_timeout(Some(limit)).expect("read timeout");
    let mut got = 0;
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(got),
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(got),
            Err(e) => return Err(format!("still open after {limit:?}: {e}")),
        }
    }
}

/// A slow client (half a request head), an idle connection and an idle kept-alive one are
/// closed by the server; the connection over the cap is closed at once; a request with a
/// large body is refused. No Docker needed.
#[test]
fn slow_idle_and_surplus_connections_are_closed() {
    let mut t = Test::new();
    fs::create_dir_all(t.run_dir()).expect("run dir");
    let port = free_port();
    let mut rs = route_server(&mut t, port, &["--poll", "1s", "--no-watchdog"], &[]);
    eventually("/health answers", WAIT, || health(port));
    let addr = format!("127.0.0.1:{port}");
    // Each waits out the header timeout (10 s) on its own thread, together.
    let slow = {
        let addr = addr.clone();
        thread::spawn(move || {
            let mut s = TcpStream::connect(&addr).expect("connect");
            s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .expect("half a head");
            read_until_closed(&mut s, Duration::from_secs(40))
        })
    };
    let idle = {
        let addr = addr.clone();
        thread::spawn(move || {
            let mut s = TcpStream::connect(&addr).expect("connect");
            read_until_closed(&mut s, Duration::from_secs(40))
        })
    };
    let kept_alive = {
        let addr = addr.clone();
        thread::spawn(move || {
            let mut s = TcpStream::connect(&addr).expect("connect");
            s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                .expect("a request");
            read_until_closed(&mut s, Duration::from_secs(40))
        })
    };
    // A large body is refused.
    let mut s = TcpStream::connect(&addr).expect("connect");
    s.write_all(b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        .expect("write");
    let mut reply = String::new();
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = BufReader::new(&s).read_line(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply:?}");
    drop(s);

    // The connection cap: 256 held, one more closed at once, before the header timeout.
    let held: Vec<TcpStream> = (0..256)
        .map(|_| TcpStream::connect(&addr).expect("connect"))
        .collect();
    let mut surplus = TcpStream::connect(&addr).expect("connect");
    let closed = read_until_closed(&mut surplus, Duration::from_secs(5));
    assert_eq!(closed, Ok(0), "the connection over the cap was not closed");
    for s in &held {
        let _ = s.shutdown(Shutdown::Both);
    }
    drop(held);
    eventually("/health answers again", WAIT, || health(port));

    assert!(
        slow.join().expect("slow").is_ok(),
        "a slow head was not cut"
    );
    assert!(
        idle.join().expect("idle").is_ok(),
        "an idle connection stayed open"
    );
    let body = kept_alive.join().expect("kept alive");
    assert!(
        body.is_ok_and(|n| n > 0),
        "an idle kept-alive connection stayed open"
    );
    rs.assert_running();
    drop(rs);
}

/// One kept-alive HTTP/1.1 connection, for requests while the route server can accept no
/// new one.
struct KeptAlive(BufReader<TcpStream>);

impl KeptAlive {
    fn connect(port: u16) -> Self {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        Self(BufReader::new(s))
    }

    /// GET `path`: (status, body).
    fn get(&mut self, path: &str) -> (u16, String) {
        let req = format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n");
        self.0.get_mut().write_all(req.as_bytes()).expect("write");
        let mut line = String::new();
        self.0.read_line(&mut line).expect("status line");
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0;
        loop {
            line.clear();
            self.0.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().expect("length");
            }
        }
        let mut body = vec![0; length];
        self.0.read_exact(&mut body).expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}

/// At the descriptor limit (clients hold every descriptor the route server may open), the
/// accept loop backs off, refreshes are skipped, and the last good configuration is served,
/// not an empty one; /health says why. Once descriptors are free again, all is well. A fake
/// daemon, the route server under `prlimit --nofile`. No Docker needed.
#[test]
fn out_of_descriptors_the_last_good_configuration_is_served() {
    let mut t = Test::new();
    let run = t.run_dir();
    fs::create_dir_all(&run).expect("run dir");
    let _daemon = FakeApi::serve(run.join("docker-4608.sock"), listed(4608));
    let port = free_port();
    let mut rs = route_server(
        &mut t,
        port,
        &["--poll", "1s", "--daemon-timeout", "1s", "--no-watchdog"],
        &["prlimit", "--nofile=160:160", "--"],
    );
    eventually("the daemon is routed", WAIT, || {
        (health(port)?["http"]["routers"] == 1).then_some(())
    });
    let mut kept = KeptAlive::connect(port);
    assert_eq!(kept.get("/health").0, 200);

    // More connections than descriptors: the server accepts until it has none left.
    let hogs: Vec<TcpStream> = (0..200)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", port)).ok())
        .collect();
    let h = eventually("/health reports the descriptor shortage", WAIT, || {
        let (status, body) = kept.get("/health");
        let h: Value = serde_json::from_str(&body).ok()?;
        let error = h["stale"]["error"].as_str()?.to_owned();
        (status == 200 && error.contains("file descriptors")).then_some(h)
    });
    assert_eq!(h["status"], "degraded", "{h:#}");
    let (status, config) = kept.get("/config");
    assert_eq!(status, 200);
    assert!(
        config.contains("web-4608"),
        "the last good configuration: {config}"
    );
    eventually("the accept loop reports its back-off", WAIT, || {
        rs.log_text()
            .contains("cannot accept connections")
            .then_some(())
    });
    rs.assert_running();

    drop(hogs);
    drop(kept);
    let h = eventually("refreshes succeed again", WAIT, || {
        let h = health(port)?;
        h["stale"].is_null().then_some(h)
    });
    assert_eq!(h["http"]["routers"], 1, "{h:#}");
    let (status, config) = get(port, "/config", &[]);
    assert_eq!(status, 200);
    assert!(config.contains("web-4608"), "{config}");
    rs.assert_running();
    drop(rs);
}
