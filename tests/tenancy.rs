//! Tenancy (SPEC section 7) through a real Traefik: two repositories on two real daemons, the
//! attacker's labels try every steal of issue 10, and the victim keeps its traffic.
//! Ports of their own (web 18180, websecure 18543, leases 18600-18603), so nothing here meets
//! `tests/routes.rs`; every process started here is stopped on drop, by its PID.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{
    Compose, Daemon, Output, Test, compose_lock, eventually, http_get_once, run_command,
    wait_address_free,
};
use crate::routes::{Proc, free_port, traefik_bin};

const WEB_PORT: u16 = 18180;
const WEBSECURE_PORT: u16 = 18543;
const LEASE_RANGE: &str = "18600-18603";
const WAIT: Duration = Duration::from_secs(60);
/// The victim (block 127.0.12.0/26) and the attacker (127.0.12.64/26).
const VICTIM: u32 = 3072;
const ATTACKER: u32 = 3136;

fn curl(args: &[&str]) -> Output {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "--max-time", "5"]).args(args);
    run_command(cmd, Duration::from_secs(30))
}

fn split_status(out: &Output) -> (u16, String) {
    let (body, code) = out.stdout.rsplit_once('\n').unwrap_or(("", &out.stdout));
    (code.trim().parse().unwrap_or(0), body.trim().to_owned())
}

fn get(port: u16, path: &str) -> (u16, String) {
    split_status(&curl(&[
        "-w",
        "\n%{http_code}",
        &format!("http://127.0.0.1:{port}{path}"),
    ]))
}

fn get_json(port: u16, path: &str) -> Value {
    let (status, body) = get(port, path);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: not JSON: {e}\n{body}"))
}

/// HTTPS through Traefik's websecure entrypoint by host name (self-signed default
/// certificate): (status, body).
fn https(host: &str) -> (u16, String) {
    split_status(&curl(&[
        "-k",
        "-w",
        "\n%{http_code}",
        "--resolve",
        &format!("{host}:{WEBSECURE_PORT}:127.0.0.1"),
        &format!("https://{host}:{WEBSECURE_PORT}/"),
    ]))
}

/// The route server and Traefik of one test.
struct Stack {
    root: std::path::PathBuf,
    route_port: u16,
    route_server: Proc,
    traefik: Proc,
}

impl Stack {
    fn start(t: &mut Test, traefik: &Path) -> Self {
        for p in [WEB_PORT, WEBSECURE_PORT, 18600, 18601, 18602, 18603] {
            wait_address_free(&format!("127.0.0.1:{p}"));
        }
        let route_port = free_port();
        let listen = format!("127.0.0.1:{route_port}");
        let mut cmd = t
            .args(["route-server", "--listen", &listen])
            .args(["--base-domain", "rn.test", "--machine-name", "m1"])
            .args(["--poll", "1s", "--daemon-timeout", "10s"])
            .command();
        cmd.env_remove("RENET_BASE_DOMAIN")
            .env_remove("RENET_MACHINE_NAME");
        let route_server = Proc::spawn("route-server", cmd, t.root().join("route-server.log"));
        eventually("the route server answers /health", WAIT, || {
            (get(route_port, "/health").0 == 200).then_some(())
        });
        let proxy_dir = t.root().join("proxy");
        t.args([
            "proxy",
            "config",
            "--out",
            proxy_dir.to_str().expect("utf-8"),
        ])
        .args(["--bind", "127.0.0.1", "--web-port", &WEB_PORT.to_string()])
        .args(["--websecure-port", &WEBSECURE_PORT.to_string()])
        .args([
            "--tcp-ports",
            "",
            "--udp-ports",
            "",
            "--lease-range",
            LEASE_RANGE,
        ])
        .args([
            "--route-server",
            &format!("http://127.0.0.1:{route_port}/config"),
        ])
        .args(["--poll-interval", "1s", "--log-level", "DEBUG"])
        .run()
        .success();
        let mut cmd = Command::new(traefik);
        cmd.arg(format!(
            "--configFile={}",
            proxy_dir.join("traefik.yml").display()
        ));
        let traefik = Proc::spawn("traefik", cmd, t.root().join("traefik.log"));
        eventually("Traefik listens on websecure", WAIT, || {
            std::net::TcpStream::connect(("127.0.0.1", WEBSECURE_PORT))
                .is_ok()
                .then_some(())
        });
        Self {
            root: t.root().to_owned(),
            route_port,
            route_server,
            traefik,
        }
    }

    fn logs(&self) -> String {
        let tail = |name: &str| {
            let text = fs::read_to_string(self.root.join(name)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(30)..].join("\n")
        };
        format!(
            "/config:\n{}\n--- route server ---\n{}\n--- traefik ---\n{}",
            get(self.route_port, "/config").1,
            tail("route-server.log"),
            tail("traefik.log")
        )
    }

    /// Poll until `host` answers `body` through Traefik.
    #[track_caller]
    fn wait_body(&mut self, host: &str, body: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let got = https(host);
            if got == (200, body.to_owned()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "https://{host}/ never answered {body:?} (last: {got:?})\n{}",
                self.logs()
            );
            self.route_server.assert_running();
            self.traefik.assert_running();
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// A busybox httpd answering `body` on its own address.
fn httpd<K: AsRef<str>>(name: &str, body: &str, labels: &[(K, String)]) -> String {
    let mut s = format!(
        "  {name}:\n    image: renet-test/busybox:1\n    stop_signal: SIGKILL\n    command: [\"sh\", \"-c\", \
         \"mkdir -p /www && echo {body} > /www/index.html && exec httpd -f -p $${{SERVICE_IP}}:8080 -h /www\"]\n"
    );
    if !labels.is_empty() {
        s.push_str("    labels:\n");
        for (k, v) in labels {
            let k = k.as_ref();
            s.push_str(&format!("      {k}: '{}'\n", v.replace('\'', "''")));
        }
    }
    s
}

fn victim_compose() -> String {
    let web = [
        ("rediacc.service_port", "8080".to_owned()),
        ("rediacc.domain", "www.shop.test".to_owned()),
    ];
    let db = [("rediacc.tcp_ports", "8080".to_owned())];
    format!(
        "services:\n{}{}",
        httpd("web", "shop-web", &web),
        httpd("db", "shop-db", &db)
    )
}

/// One attacking service per steal of issue 10: (service, labels).
fn attacks(lease_ep: &str) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let t2 = |extra: &[(&'static str, &str)]| {
        let mut l = vec![
            ("traefik.enable", "true".to_owned()),
            (
                "traefik.http.services.s.loadbalancer.server.port",
                "8080".to_owned(),
            ),
        ];
        l.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        l
    };
    let rule = "traefik.http.routers.r.rule";
    vec![
        (
            "prio",
            t2(&[
                (rule, "Host(`web.shop.m1.rn.test`)"),
                ("traefik.http.routers.r.priority", "1000000"),
            ]),
        ),
        (
            "custom",
            t2(&[
                (rule, "Host(`www.shop.test`)"),
                ("traefik.http.routers.r.priority", "1000000"),
            ]),
        ),
        ("regexp", t2(&[(rule, "HostRegexp(`.+`)")])),
        (
            "escape",
            t2(&[(rule, "Host(`escape.evil.test`) || PathPrefix(`/`)")]),
        ),
        (
            "sni",
            t2(&[
                ("traefik.tcp.routers.t.rule", "HostSNI(`*`)"),
                ("traefik.tcp.routers.t.entrypoints", lease_ep),
                ("traefik.tcp.services.t.loadbalancer.server.port", "8080"),
            ]),
        ),
        (
            "tlscatch",
            t2(&[
                ("traefik.tcp.routers.t.rule", "HostSNI(`*`)"),
                ("traefik.tcp.routers.t.entrypoints", "websecure"),
                ("traefik.tcp.routers.t.tls.passthrough", "true"),
                ("traefik.tcp.services.t.loadbalancer.server.port", "8080"),
            ]),
        ),
        (
            "fauth",
            t2(&[
                (rule, "Host(`fauth.evil.test`)"),
                ("traefik.http.routers.r.middlewares", "m"),
                (
                    "traefik.http.middlewares.m.forwardauth.address",
                    "http://127.0.12.2:8080/",
                ),
            ]),
        ),
        (
            "errors",
            t2(&[
                (rule, "Host(`errors.evil.test`)"),
                ("traefik.http.routers.r.middlewares", "m"),
                ("traefik.http.middlewares.m.errors.service", "web-3072@http"),
                ("traefik.http.middlewares.m.errors.status", "200-599"),
            ]),
        ),
        (
            // A plain name is the repository's own: this one names nothing.
            "errorsplain",
            t2(&[
                (rule, "Host(`errorsplain.evil.test`)"),
                ("traefik.http.routers.r.middlewares", "m"),
                ("traefik.http.middlewares.m.errors.service", "web-3072"),
                ("traefik.http.middlewares.m.errors.status", "200-599"),
            ]),
        ),
        (
            "internal",
            t2(&[
                (rule, "Host(`internal.evil.test`)"),
                ("traefik.http.routers.r.service", "api@internal"),
            ]),
        ),
        (
            "chain",
            t2(&[
                (rule, "Host(`chain.evil.test`)"),
                ("traefik.http.routers.r.middlewares", "c"),
                (
                    "traefik.http.middlewares.c.chain.middlewares",
                    "dashboard_redirect@internal",
                ),
            ]),
        ),
        (
            "domain",
            vec![
                ("rediacc.service_port", "8080".to_owned()),
                ("rediacc.domain", "web.shop.m1.rn.test".to_owned()),
            ],
        ),
    ]
}

fn attacker_compose(lease_ep: &str) -> String {
    let mut s = String::from("services:\n");
    for (name, labels) in attacks(lease_ep) {
        // Services named after their container: one repository's containers defining one
        // name differently would drop each other (a conflict inside the attacker's own set).
        let labels: Vec<(String, String)> = labels
            .into_iter()
            .map(|(k, v)| {
                let k = k
                    .replace(".services.s.", &format!(".services.{name}.",))
                    .replace(".services.t.", &format!(".services.{name}-tcp."));
                (k, v)
            })
            .collect();
        s.push_str(&httpd(name, &format!("evil-{name}"), &labels));
    }
    s
}

/// (service, effect, label, reason) of every problem in `/health`.
fn problems(health: &Value) -> Vec<(String, String, String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    health["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                s(&p["service"]),
                s(&p["effect"]),
                s(&p["label"]),
                s(&p["reason"]),
            )
        })
        .collect()
}

/// The victim's objects of a configuration (names ending in `-3072`).
fn victims_objects(config: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for section in ["http", "tcp", "udp"] {
        for kind in ["routers", "services", "middlewares"] {
            for (name, v) in config[section][kind].as_object().into_iter().flatten() {
                if name.ends_with("-3072") {
                    out.push((format!("{section}.{kind}.{name}"), v.clone()));
                }
            }
        }
    }
    out
}

/// `renet compose --network-id N --repo DIR -- <args>` with this test's lease range.
fn compose(t: &mut Test, d: &Daemon, repo: &Path, args: &[&str]) -> Output {
    t.args(["compose", "--network-id", &d.network_id().to_string()])
        .args(["--repo", repo.to_str().expect("utf-8"), "--"])
        .args(args)
        .env("RENET_PORT_RANGE", LEASE_RANGE)
        .current_dir(repo)
        .run()
}

/// The attacker's twin: a container of its own daemon, started with `docker run`, that names
/// itself repository `shop` (the victim's name) to take `web.shop.m1.rn.test`.
fn run_twin(d: &Daemon) {
    d.docker([
        "run", "-d", "--name", "twin", "--network", "host",
        "--label", "rediacc.service_name=web",
        "--label", "rediacc.service_ip=127.0.12.120",
        "--label", "rediacc.network_id=3136",
        "--label", "rediacc.repo_name=shop",
        "--label", "rediacc.service_port=8080",
        "renet-test/busybox:1", "sh", "-c",
        "mkdir -p /www && echo evil-twin > /www/index.html && exec httpd -f -p 127.0.12.120:8080 -h /www",
    ])
    .success();
}

#[test]
fn an_attacking_repository_gets_none_of_the_victims_traffic() {
    let test = "an_attacking_repository_gets_none_of_the_victims_traffic";
    let Some(_lock) = compose_lock(test, Compose::V2) else {
        return;
    };
    let Some(traefik) = traefik_bin() else {
        crate::harness::skip(test, "no traefik (set RENET_TRAEFIK)");
        return;
    };
    let mut t = Test::new();
    let shop = t.make_repo("shop");
    let evil = t.make_repo("evil");
    t.write(shop.join("docker-compose.yml"), victim_compose());
    let victim = Daemon::start(&t, VICTIM, &shop);
    let attacker = Daemon::start(&t, ATTACKER, &evil);
    victim.import_busybox();
    attacker.import_busybox();
    for slot in (2..4).chain(66..80).chain([120]) {
        wait_address_free(&format!("127.0.12.{slot}:8080"));
    }
    let mut stack = Stack::start(&mut t, &traefik);
    let rp = stack.route_port;

    // The victim first: its routes, its lease, its configuration alone.
    compose(&mut t, &victim, &shop, &["up", "-d"]).success();
    stack.wait_body("web.shop.m1.rn.test", "shop-web");
    stack.wait_body("www.shop.test", "shop-web");
    let ports = get_json(rp, "/ports");
    let external = ports["leases"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["network_id"] == VICTIM && l["service"] == "db")
        .and_then(|l| l["external_port"].as_u64())
        .unwrap_or_else(|| panic!("no lease for the victim's db: {ports:#}"));
    let leased = format!("127.0.0.1:{external}");
    let body = eventually("the victim's db on its lease", WAIT, || {
        http_get_once(&leased).ok()
    });
    assert_eq!(body.trim(), "shop-db");
    let before = victims_objects(&get_json(rp, "/routes.json"));
    assert!(before.len() >= 5, "{before:?}");

    // The attack: every steal at once, plus a twin repository of the same name.
    t.write(
        evil.join("docker-compose.yml"),
        attacker_compose(&format!("tcp-{external}")),
    );
    compose(&mut t, &attacker, &evil, &["up", "-d"]).success();
    run_twin(&attacker);
    // The attacker's own route is live: Traefik has the configuration with its labels in.
    stack.wait_body("domain.evil.m1.rn.test", "evil-domain");
    let sni_why = format!("entrypoint tcp-{external} is leased to network 3072");
    let want: Vec<(&str, &str, &str, &str)> = vec![
        (
            "prio",
            "route skipped",
            "traefik.http.routers.r.rule",
            "host web.shop.m1.rn.test is an auto-route host of repository shop, whose name network 3072 holds",
        ),
        (
            "custom",
            "route skipped",
            "traefik.http.routers.r.rule",
            "host www.shop.test is already routed to service web of network 3072",
        ),
        (
            "regexp",
            "container dropped",
            "traefik.http.routers.r.rule",
            "HostRegexp is refused",
        ),
        (
            "escape",
            "container dropped",
            "traefik.http.routers.r.rule",
            "the rule must name the hosts it serves",
        ),
        (
            "sni",
            "route skipped",
            "traefik.tcp.routers.t.entrypoints",
            &sni_why,
        ),
        (
            "tlscatch",
            "container dropped",
            "traefik.tcp.routers.t.entrypoints",
            "TCP routers cannot use entrypoint websecure",
        ),
        (
            "fauth",
            "container dropped",
            "traefik.http.middlewares.m.forwardauth.address",
            "is not an address of this repository's block 127.0.12.64/26",
        ),
        (
            "errors",
            "container dropped",
            "traefik.http.middlewares.m.errors.service",
            "\"web-3072@http\" is another provider's service",
        ),
        (
            "errorsplain",
            "route skipped",
            "traefik.http.middlewares.m.errors.service",
            "service web-3072 is not defined by this repository",
        ),
        (
            "errorsplain",
            "route skipped",
            "traefik.http.routers.r.middlewares",
            "middleware m is not defined by this repository",
        ),
        (
            "internal",
            "container dropped",
            "traefik.http.routers.r.service",
            "services of other providers (\"api@internal\")",
        ),
        (
            "chain",
            "container dropped",
            "traefik.http.middlewares.c.chain.middlewares",
            "\"dashboard_redirect@internal\" is another provider's middleware",
        ),
        (
            "domain",
            "route skipped",
            "rediacc.domain",
            "host web.shop.m1.rn.test is an auto-route host of repository shop, whose name network 3072 holds",
        ),
        (
            "web",
            "route skipped",
            "rediacc.repo_name",
            "host web.shop.m1.rn.test is an auto-route host of repository shop, whose name network 3072 holds",
        ),
    ];
    let listed = |h: &Value| {
        let got = problems(h);
        want.iter().all(|(svc, effect, label, why)| {
            got.iter()
                .any(|(s, e, l, r)| s == svc && e == effect && l == label && r.contains(why))
        })
    };
    let deadline = Instant::now() + WAIT;
    let health = loop {
        let h = get_json(rp, "/health");
        if listed(&h) {
            break h;
        }
        assert!(
            Instant::now() < deadline,
            "/health never listed every refusal: {h:#}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let got = problems(&health);
    assert_eq!(got.len(), want.len(), "{health:#}");
    assert!(
        health["problems"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|p| p["network_id"] == ATTACKER
                && p["container"].as_str().is_some_and(|c| !c.is_empty())),
        "{health:#}"
    );

    // Through Traefik the victim's hosts still reach the victim, and only it.
    for _ in 0..5 {
        assert_eq!(https("web.shop.m1.rn.test"), (200, "shop-web".into()));
        assert_eq!(https("www.shop.test"), (200, "shop-web".into()));
        assert_eq!(
            http_get_once(&leased).map(|b| b.trim().to_owned()),
            Ok("shop-db".into())
        );
    }
    // The attacker's catch-alls catch nothing: unknown hosts and its refused hosts are 404.
    for host in [
        "nobody.rn.test",
        "escape.evil.test",
        "fauth.evil.test",
        "errors.evil.test",
        "errorsplain.evil.test",
        "internal.evil.test",
        "chain.evil.test",
    ] {
        assert_eq!(https(host).0, 404, "{host}\n{}", stack.logs());
    }
    // The victim's routes are exactly what they were.
    let config = get_json(rp, "/routes.json");
    assert_eq!(victims_objects(&config), before);
    let text = config.to_string();
    for leak in [
        "@internal",
        "@http",
        "127.0.12.2:8080/",
        "HostRegexp",
        "PathPrefix",
    ] {
        assert!(!text.contains(leak), "{leak} in {config:#}");
    }
    stack.route_server.assert_running();
    stack.traefik.assert_running();
    attacker.docker(["rm", "-f", "twin"]).success();
    compose(&mut t, &attacker, &evil, &["down"]).success();
    compose(&mut t, &victim, &shop, &["down"]).success();
}
