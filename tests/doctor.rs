//! `renet doctor` and the preflight of `renet compose -- up` (SPEC section 8), each situation
//! built for real inside namespaces the test creates: a network namespace (`ip netns add`)
//! with real iptables rules in Docker 27 and Docker 28 orders, Tailscale's chains and a cloud
//! image's REJECT rules; a listener on every address inside it; a mount namespace (`unshare
//! -m`) whose `/etc/resolv.conf` names Tailscale's resolver; a real route server with and
//! without a real Traefik polling it; a real daemon whose service's port a host process holds.
//! The machine's own firewall and `/etc` files are never touched.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::harness::{
    Daemon, Need, Output, Test, compose_lock, eventually, renet_bin, require, run_command, skip,
    which,
};
use crate::routes::{Proc, free_port, traefik_bin};

const TIMEOUT: Duration = Duration::from_secs(60);

/// A network namespace of this test, deleted on drop (with every process still in it).
struct Netns {
    name: String,
}

impl Netns {
    fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "rdoc{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "ip netns add {name}");
        let ns = Self { name };
        ns.sh("ip link set lo up");
        ns
    }

    /// `ip netns exec <ns> sh -c SCRIPT`, which must succeed.
    #[track_caller]
    fn sh(&self, script: &str) {
        let out = run_command(self.cmd(&["sh", "-c", script]), TIMEOUT);
        assert_eq!(out.status, 0, "in {}: {script}\n{out}", self.name);
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name]).args(args);
        c
    }

    /// Load a whole `iptables-save` text with `iptables-restore` inside the namespace.
    fn restore(&self, rules: &str) {
        let mut child = self
            .cmd(&["iptables-restore"])
            .stdin(Stdio::piped())
            .spawn()
            .expect("iptables-restore");
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(rules.as_bytes())
            .expect("write rules");
        assert!(
            child.wait().expect("wait").success(),
            "iptables-restore refused the rules"
        );
    }

    /// `renet doctor --json ARGS` inside the namespace, with the test's folders.
    fn doctor(&self, t: &Test, args: &[&str]) -> (Output, Value) {
        let mut c = self.cmd(&[renet_bin(), "doctor", "--json"]);
        c.args(args)
            .env("RENET_RUN_DIR", t.run_dir())
            .env("RENET_STATE_DIR", t.state_dir());
        let out = run_command(c, TIMEOUT);
        let json = out.json();
        (out, json)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
            .map(|o| {
                for pid in String::from_utf8_lossy(&o.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).status();
                }
            });
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// One check of a report, by ID.
#[track_caller]
fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

/// The Python that holds ports in these tests: `RENET_PYTHON` (set by .ci/run), else python3.
fn python() -> String {
    std::env::var("RENET_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// `renet [--json] compose [--no-preflight] --network-id 4096 --repo REPO -- ARGS`, on the
/// test's folders.
fn renet_compose(
    t: &Test,
    compose: crate::harness::Compose,
    repo: &Path,
    json: bool,
    preflight: bool,
    args: &[&str],
) -> Output {
    let mut cmd = Command::new(renet_bin());
    if json {
        cmd.arg("--json");
    }
    cmd.args([
        "compose",
        "--network-id",
        "4096",
        "--repo",
        repo.to_str().expect("utf-8"),
    ]);
    if !preflight {
        cmd.arg("--no-preflight");
    }
    cmd.arg("--").args(args);
    for (k, v) in compose.env(t.root()) {
        cmd.env(k, v);
    }
    cmd.env("RENET_RUN_DIR", t.run_dir())
        .env("RENET_STATE_DIR", t.state_dir())
        .current_dir(repo);
    run_command(cmd, TIMEOUT)
}

fn text(v: &Value) -> String {
    v.to_string()
}

fn netns_ready(test: &str) -> bool {
    if !require(test, &[Need::Root]) {
        return false;
    }
    for tool in ["ip", "iptables-restore", "iptables-save"] {
        if which(tool).is_none() && !Path::new("/usr/sbin").join(tool).exists() {
            skip(
                test,
                &format!("no {tool} (apt-get install iptables iproute2)"),
            );
            return false;
        }
    }
    true
}

/// Run every line of a check's fix that is a command for this namespace's firewall.
fn apply_fix(ns: &Netns, fix: &str) {
    for line in fix
        .lines()
        .filter(|l| l.starts_with("iptables ") || l.starts_with("ip6tables "))
    {
        ns.sh(line);
    }
}

const ORACLE_DOCKER_27: &str = "*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p icmp -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p udp -m udp --sport 123 -j ACCEPT
-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT
-A INPUT -j REJECT --reject-with icmp-host-prohibited
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -j REJECT --reject-with icmp-host-prohibited
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
";

/// Docker 28's chains made the way Docker 28 makes them (`iptables -N`, `-A`, `-I`), then
/// Tailscale's, then a Docker restart that puts Docker's jumps first again.
const DOCKER_28_THEN_TAILSCALE: &[&str] = &[
    "iptables -P FORWARD DROP",
    "for c in DOCKER DOCKER-BRIDGE DOCKER-CT DOCKER-FORWARD DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2 DOCKER-USER ts-input ts-forward; do iptables -N $c; done",
    "iptables -A DOCKER ! -i docker0 -o docker0 -j DROP",
    "iptables -A DOCKER-BRIDGE -o docker0 -j DOCKER",
    "iptables -A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "iptables -A DOCKER-FORWARD -j DOCKER-CT",
    "iptables -A DOCKER-FORWARD -j DOCKER-ISOLATION-STAGE-1",
    "iptables -A DOCKER-FORWARD -j DOCKER-BRIDGE",
    "iptables -A DOCKER-FORWARD -i docker0 -j ACCEPT",
    "iptables -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2",
    "iptables -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP",
    "iptables -A DOCKER-USER -j RETURN",
    // tailscaled starts: its jumps go first.
    "iptables -A ts-input -s 100.64.0.0/10 ! -i tailscale0 -j DROP",
    "iptables -A ts-input -i tailscale0 -j ACCEPT",
    "iptables -A ts-forward -i tailscale0 -j MARK --set-xmark 0x40000/0xff0000",
    "iptables -A ts-forward -m mark --mark 0x40000/0xff0000 -j ACCEPT",
    "iptables -A ts-forward -o tailscale0 -j ACCEPT",
    "iptables -I INPUT 1 -j ts-input",
    "iptables -I FORWARD 1 -j ts-forward",
    // Docker restarts: its jumps first again.
    "iptables -I FORWARD 1 -j DOCKER-FORWARD",
    "iptables -I FORWARD 1 -j DOCKER-USER",
];

/// Oracle's image with Docker 27 in a namespace: INPUT's final REJECT hides the proxy's ports
/// and FORWARD's REJECT comes before Docker's accepts; each finding names the rule as
/// iptables-save prints it, and running the fix it gives clears it for real.
#[test]
fn cloud_reject_rules_under_docker_27_are_found_and_the_fix_works() {
    if !netns_ready("cloud_reject_rules_under_docker_27_are_found_and_the_fix_works") {
        return;
    }
    let t = Test::new();
    let ns = Netns::new();
    ns.restore(ORACLE_DOCKER_27);
    let (out, report) = ns.doctor(&t, &[]);
    assert_eq!(out.status, 2, "{out}");
    assert_eq!(report["status"], "error");
    let input = check(&report, "firewall.input");
    assert_eq!(input["status"], "error", "{input:#}");
    assert!(text(&input["details"]).contains("`-A INPUT -j REJECT --reject-with icmp-host-prohibited` (INPUT rule 6) refuses tcp 80, 443"), "{input:#}");
    let fix = input["fix"].as_str().expect("fix");
    assert!(
        fix.starts_with("iptables -I INPUT 6 -p tcp -m multiport --dports 80,443,"),
        "{fix}"
    );
    let forward = check(&report, "firewall.forward");
    assert_eq!(forward["status"], "error", "{forward:#}");
    assert!(
        forward["summary"]
            .as_str()
            .unwrap_or("")
            .contains("Docker 27 order"),
        "{forward:#}"
    );
    assert!(
        text(&forward["details"]).contains("(FORWARD rule 3) comes before Docker's"),
        "{forward:#}"
    );
    apply_fix(&ns, fix);
    apply_fix(&ns, forward["fix"].as_str().expect("fix"));
    let (_, after) = ns.doctor(&t, &[]);
    assert_eq!(check(&after, "firewall.input")["status"], "ok", "{after:#}");
    assert_eq!(
        check(&after, "firewall.forward")["status"],
        "ok",
        "{after:#}"
    );
}

/// Docker 28 after Tailscale: `ts-forward` behind `DOCKER-FORWARD` is an error whose fix
/// (delete it from FORWARD, insert it into DOCKER-USER) clears it for real.
#[test]
fn tailscale_behind_docker_28_moves_into_docker_user() {
    if !netns_ready("tailscale_behind_docker_28_moves_into_docker_user") {
        return;
    }
    let t = Test::new();
    let ns = Netns::new();
    for cmd in DOCKER_28_THEN_TAILSCALE {
        ns.sh(cmd);
    }
    let (_, report) = ns.doctor(&t, &[]);
    let forward = check(&report, "firewall.forward");
    assert_eq!(forward["status"], "error", "{forward:#}");
    assert!(
        forward["summary"]
            .as_str()
            .unwrap_or("")
            .contains("Docker 28+ order"),
        "{forward:#}"
    );
    assert!(
        text(&forward["details"]).contains(
            "`-A FORWARD -j ts-forward` (FORWARD rule 3) comes after `-A FORWARD -j DOCKER-FORWARD`"
        ),
        "{forward:#}"
    );
    let fix = forward["fix"].as_str().expect("fix");
    assert!(
        fix.starts_with(
            "iptables -D FORWARD -j ts-forward\niptables -I DOCKER-USER -j ts-forward\n"
        ),
        "{fix}"
    );
    // ts-input drops only Tailscale's range on other interfaces: INPUT lets the proxy through.
    assert_eq!(
        check(&report, "firewall.input")["status"],
        "ok",
        "{report:#}"
    );
    apply_fix(&ns, fix);
    let (_, after) = ns.doctor(&t, &[]);
    assert_eq!(
        check(&after, "firewall.forward")["status"],
        "ok",
        "{after:#}"
    );
    let out = run_command(ns.cmd(&["iptables", "-S", "DOCKER-USER"]), TIMEOUT);
    assert!(out.stdout.contains("-A DOCKER-USER -j ts-forward"), "{out}");
}

/// A Python listener on 0.0.0.0:5432 inside the namespace is named by its PID and command.
#[test]
fn a_listener_on_every_address_is_named_by_pid_and_command() {
    if !netns_ready("a_listener_on_every_address_is_named_by_pid_and_command") {
        return;
    }
    let t = Test::new();
    let ns = Netns::new();
    let script = "import socket,time\ns=socket.socket()\ns.bind(('0.0.0.0',5432))\ns.listen()\ntime.sleep(600)";
    let py = python();
    let mut listener = Kill(ns.cmd(&[&py, "-c", script]).spawn().expect("python"));
    let pid = listener.0.id();
    let report = eventually("the listener appears", TIMEOUT, || {
        let (_, r) = ns.doctor(&t, &[]);
        (check(&r, "listeners")["status"] != "ok").then_some(r)
    });
    let c = check(&report, "listeners");
    assert_eq!(
        c["status"], "warning",
        "a fixed port no service uses yet: {c:#}"
    );
    let details = text(&c["details"]);
    assert!(
        details.contains(&format!("0.0.0.0:5432 (tcp) is held by pid {pid} ("))
            && details.contains("python")
            && details.contains("s.bind(('0.0.0.0',5432))"),
        "{c:#}"
    );
    assert!(
        c["fix"]
            .as_str()
            .unwrap_or("")
            .starts_with(&format!("kill {pid}, or make it listen on one address")),
        "{c:#}"
    );
    listener.0.kill().ok();
}

/// A child killed on drop.
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `renet doctor` in a mount namespace whose /etc/resolv.conf is bind-mounted from `file`.
fn doctor_with_resolv(t: &Test, file: &Path) -> Value {
    let script = format!(
        "mount --bind {} /etc/resolv.conf && exec \"$0\" doctor --json",
        file.display()
    );
    let mut c = Command::new("unshare");
    c.args([
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        &script,
        renet_bin(),
    ])
    .env("RENET_RUN_DIR", t.run_dir())
    .env("RENET_STATE_DIR", t.state_dir());
    run_command(c, TIMEOUT).json()
}

/// Tailscale's MagicDNS resolver as the only nameserver is a warning with the fix; no
/// nameserver at all is an error; systemd-resolved's stub is fine.
#[test]
fn the_resolver_containers_inherit() {
    if !require("the_resolver_containers_inherit", &[Need::Root]) {
        return;
    }
    let t = Test::new();
    let magic = t.root().join("resolv.magic");
    fs::write(&magic, "# resolv.conf(5) file generated by tailscale\nnameserver 100.100.100.100\nsearch tail4e2b1.ts.net\n").expect("write");
    let c = doctor_with_resolv(&t, &magic);
    let dns = check(&c, "dns.resolver");
    assert_eq!(dns["status"], "warning", "{dns:#}");
    assert!(
        dns["summary"]
            .as_str()
            .unwrap_or("")
            .contains("only Tailscale's resolver 100.100.100.100"),
        "{dns:#}"
    );
    assert!(
        text(&dns["details"]).contains("tail4e2b1.ts.net"),
        "{dns:#}"
    );
    assert!(
        dns["fix"]
            .as_str()
            .unwrap_or("")
            .contains("tailscale set --accept-dns=false"),
        "{dns:#}"
    );
    let none = t.root().join("resolv.none");
    fs::write(&none, "# nothing here\n").expect("write");
    assert_eq!(
        check(&doctor_with_resolv(&t, &none), "dns.resolver")["status"],
        "error"
    );
    let stub = t.root().join("resolv.stub");
    fs::write(&stub, "nameserver 127.0.0.53\noptions edns0 trust-ad\n").expect("write");
    assert_eq!(
        check(&doctor_with_resolv(&t, &stub), "dns.resolver")["status"],
        "ok"
    );
}

/// A real route server, first with no proxy polling it, then with a real Traefik on the
/// configuration `renet proxy config` wrote: `route-server` ok both times; `proxy` says no
/// proxy polled (or, with a route server that does not record it, that it cannot tell), then
/// that Traefik polls; its entrypoints cover the lease range.
#[test]
fn route_server_with_and_without_traefik_polling() {
    let Some(traefik) = traefik_bin() else {
        skip(
            "route_server_with_and_without_traefik_polling",
            "no traefik (set RENET_TRAEFIK)",
        );
        return;
    };
    let mut t = Test::new();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut rs = Proc::spawn(
        "route-server",
        t.args(["route-server", "--listen", &format!("127.0.0.1:{port}")])
            .command(),
        t.root().join("rs.log"),
    );
    eventually("the route server answers", TIMEOUT, || {
        rs.assert_running();
        std::net::TcpStream::connect(("127.0.0.1", port)).ok()
    });
    // Ports of this test only (proxy tests use 19xxx, routes tests 18xxx).
    let (web, websecure, first, last) = (17080, 17443, 17500, 17501);
    let range = format!("{first}-{last}");
    let dir = t.root().join("proxy");
    t.args([
        "proxy",
        "config",
        "--out",
        dir.to_str().expect("utf-8"),
        "--bind",
        "127.0.0.1",
    ])
    .args([
        "--web-port",
        &web.to_string(),
        "--websecure-port",
        &websecure.to_string(),
    ])
    .args([
        "--tcp-ports",
        "",
        "--udp-ports",
        "",
        "--lease-range",
        &range,
    ])
    .args(["--route-server", &url, "--poll-interval", "1s"])
    .run()
    .success();
    let doctor = |t: &mut Test| -> Value {
        t.args([
            "doctor",
            "--json",
            "--route-server",
            &url,
            "--proxy-config",
            dir.to_str().expect("utf-8"),
        ])
        .env("RENET_PORT_RANGE", &range)
        .run()
        .json()
    };
    let before = doctor(&mut t);
    assert_eq!(check(&before, "route-server")["status"], "ok", "{before:#}");
    let proxy = check(&before, "proxy");
    let records = proxy["summary"]
        .as_str()
        .unwrap_or("")
        .contains("no proxy has asked");
    if records {
        assert_eq!(proxy["status"], "error", "{proxy:#}");
    } else {
        assert!(
            proxy["summary"]
                .as_str()
                .unwrap_or("")
                .contains("does not record /config requests"),
            "{proxy:#}"
        );
    }
    assert!(
        proxy["summary"]
            .as_str()
            .unwrap_or("")
            .contains(&format!("cover the lease range {range}")),
        "{proxy:#}"
    );
    let mut cmd = Command::new(&traefik);
    cmd.arg(format!(
        "--configFile={}",
        dir.join("traefik.yml").display()
    ));
    let mut tr = Proc::spawn("traefik", cmd, t.root().join("traefik.log"));
    if records {
        let after = eventually("Traefik polls the route server", TIMEOUT, || {
            tr.assert_running();
            let r = doctor(&mut t);
            (check(&r, "proxy")["status"] == "ok").then_some(r)
        });
        assert!(
            check(&after, "proxy")["summary"]
                .as_str()
                .unwrap_or("")
                .contains("a proxy polls the route server: 127.0.0.1:"),
            "{after:#}"
        );
    } else {
        tr.assert_running();
    }
}

/// A host process holding a service's address and port: `renet compose -- up -d` exits 7
/// naming its PID and command, creates no container and writes no state; `--no-preflight`
/// starts it anyway; once the host process is gone and the service runs, `up` again is not
/// refused by the service's own container.
#[test]
fn preflight_refuses_a_port_a_host_process_holds() {
    let compose = crate::harness::Compose::V2;
    let Some(_guard) = compose_lock("preflight_refuses_a_port_a_host_process_holds", compose)
    else {
        return;
    };
    let mut t = Test::with_compose(compose);
    let repo = t.repo().to_owned();
    t.write(
        "compose.yaml",
        "services:\n  web:\n    image: renet-test/busybox:1\n    stop_signal: SIGKILL\n    command: [\"sh\", \"-c\", \"mkdir -p /www && exec httpd -f -p $${SERVICE_IP}:8080 -h /www\"]\n    labels:\n      rediacc.service_port: \"8080\"\n",
    );
    let d = Daemon::start(&t, 4096, &repo);
    d.import_busybox();
    // Slot 0 of network 4096.
    let addr = "127.0.16.2";
    let script = format!(
        "import socket,time\ns=socket.socket()\ns.bind(('{addr}',8080))\ns.listen()\ntime.sleep(600)"
    );
    let py = python();
    let mut holder = Kill(
        Command::new(&py)
            .args(["-c", &script])
            .spawn()
            .expect("python"),
    );
    let pid = holder.0.id();
    eventually("the holder listens", TIMEOUT, || {
        std::net::TcpStream::connect((addr, 8080)).ok()
    });
    let before = t.bytes(".rediacc.json");
    let out = d.compose(["up", "-d"]).code(7);
    assert!(
        out.stderr.contains(&format!(
            "service web listens on {addr}:8080 (tcp), but {addr}:8080 (tcp) is held by pid {pid} ("
        )) && out.stderr.contains("python"),
        "{out}"
    );
    assert!(out.stderr.contains(&format!("fix: kill {pid}")), "{out}");
    assert!(d.containers().is_empty(), "a refused up created containers");
    assert_eq!(t.bytes(".rediacc.json"), before, ".rediacc.json changed");
    let hosts = t.state_dir().join("hosts/4096");
    assert!(!hosts.exists(), "a refused up wrote {}", hosts.display());
    assert!(
        !t.state_dir().join("router/ports.db").exists(),
        "a refused up leased ports"
    );
    let json = renet_compose(&t, compose, &repo, true, true, &["up", "-d"])
        .code(7)
        .json();
    assert_eq!(json["error"]["kind"], "port_taken", "{json:#}");
    assert!(
        text(&json["error"]["findings"]).contains(&format!("pid {pid}")),
        "{json:#}"
    );
    // --no-preflight: compose runs (the service then fails to bind, which is the point).
    renet_compose(&t, compose, &repo, false, false, &["up", "-d"]);
    assert_eq!(
        d.containers().len(),
        1,
        "--no-preflight did not start compose"
    );
    holder.0.kill().ok();
    let _ = holder.0.wait();
    d.compose(["up", "-d", "--force-recreate"]).success();
    eventually("web listens", TIMEOUT, || {
        std::net::TcpStream::connect((addr, 8080)).ok()
    });
    // Its own running container holds the port: `up` again is fine.
    d.compose(["up", "-d"]).success();
    // A new service whose port a host process holds on every address: refused, and the new
    // service gets no slot (the slot map is left as it was).
    let wild = "import socket,time\ns=socket.socket()\ns.bind(('0.0.0.0',47123))\ns.listen()\ntime.sleep(600)";
    let mut wildcard = Kill(
        Command::new(&py)
            .args(["-c", wild])
            .spawn()
            .expect("python"),
    );
    let wpid = wildcard.0.id();
    eventually("the wildcard holder listens", TIMEOUT, || {
        std::net::TcpStream::connect(("127.0.0.1", 47123)).ok()
    });
    t.write(
        "compose.yaml",
        "services:\n  web:\n    image: renet-test/busybox:1\n    stop_signal: SIGKILL\n    command: [\"sh\", \"-c\", \"mkdir -p /www && exec httpd -f -p $${SERVICE_IP}:8080 -h /www\"]\n    labels:\n      rediacc.service_port: \"8080\"\n  api:\n    image: renet-test/busybox:1\n    command: [\"sleep\", \"600\"]\n    expose: [\"47123\"]\n",
    );
    let map = t.bytes(".rediacc.json");
    let out = d.compose(["up", "-d"]).code(7);
    assert!(out.stderr.contains(&format!("service api listens on 127.0.16.3:47123 (tcp), but 0.0.0.0:47123 (tcp) is held by pid {wpid} (")), "{out}");
    assert!(
        !out.stderr.contains("service web"),
        "web's own container is no conflict: {out}"
    );
    assert_eq!(
        t.bytes(".rediacc.json"),
        map,
        "the refused service got a slot"
    );
    assert_eq!(d.containers().len(), 1, "a refused up created a container");
    wildcard.0.kill().ok();
}

/// A daemon socket nothing serves (a dockerd that died) and a pidfile naming a dead process
/// are named, each with its fix; the rest of the report is still given.
#[test]
fn a_stale_daemon_socket_and_a_dead_pidfile_are_named() {
    let mut t = Test::new();
    let run = t.run_dir();
    fs::create_dir_all(run.join("docker-4224")).expect("mkdir");
    let socket = run.join("docker-4160.sock");
    drop(std::os::unix::net::UnixListener::bind(&socket).expect("bind"));
    fs::write(run.join("docker-4224/docker.pid"), "999999\n").expect("pidfile");
    let report = t
        .args([
            "doctor",
            "--json",
            "--route-server",
            &format!("http://127.0.0.1:{}", free_port()),
        ])
        .run()
        .json();
    let c = check(&report, "daemons");
    assert_eq!(c["status"], "error", "{c:#}");
    let details = text(&c["details"]);
    assert!(
        details.contains(&format!(
            "network 4160: {} does not answer",
            socket.display()
        )),
        "{c:#}"
    );
    assert!(
        details.contains("stale socket: no dockerd serves it"),
        "{c:#}"
    );
    assert!(
        details.contains("docker-4224/docker.pid (pid 999999, no dockerd, no socket)"),
        "{c:#}"
    );
    let fix = c["fix"].as_str().unwrap_or("");
    assert!(fix.contains("renet daemon stop --network-id 4160"), "{fix}");
    assert_eq!(
        report["checks"].as_array().map(Vec::len),
        Some(9),
        "{report:#}"
    );
    assert_eq!(report["status"], "error");
}

/// Without `--json` the report is for a person, on stdout: one line per check with its status
/// and summary, details and fix indented under it, a last line counting; same exit status.
#[test]
fn the_human_report_is_on_stdout() {
    let mut t = Test::new();
    let run = t.run_dir();
    fs::create_dir_all(&run).expect("mkdir");
    drop(std::os::unix::net::UnixListener::bind(run.join("docker-4288.sock")).expect("bind"));
    let out = t
        .args([
            "doctor",
            "--route-server",
            &format!("http://127.0.0.1:{}", free_port()),
        ])
        .run()
        .code(2);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines.iter().any(|l| l.starts_with(
            "error    daemons           1 of 1 repository daemon sockets do not answer"
        )),
        "{out}"
    );
    assert!(
        lines.iter().any(|l| l
            .trim_start()
            .starts_with("fix: renet daemon stop --network-id 4288")),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.trim_start().starts_with("- network 4288: ")),
        "{out}"
    );
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("doctor: error (")),
        "{out}"
    );
}
