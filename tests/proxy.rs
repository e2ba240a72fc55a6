//! `renet proxy config` (SPEC section 9): never every address. Without `--bind` nothing is
//! written; with it every entrypoint listens on that address only, so a real Traefik on the
//! result leaves every repository's own addresses free on the very same ports.

use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Test, eventually, wait_address_free};
use crate::routes::{Proc, free_port, traefik_bin};

fn config_args(out: &Path) -> Vec<String> {
    vec![
        "proxy".into(),
        "config".into(),
        "--out".into(),
        out.to_str().expect("utf-8").into(),
    ]
}

fn read_config(path: &str) -> Value {
    let yml = fs::read_to_string(path.trim()).expect("traefik.yml written");
    yaml_serde::from_str(&yml).expect("YAML")
}

/// Without `--bind`: exit 2 naming `--bind` and what every address would take, nothing
/// written (not even the folder), and the same refusal as JSON with `--json`.
#[test]
fn proxy_config_without_bind_writes_nothing() {
    let mut t = Test::new();
    let out = t.root().join("proxy");
    t.args(config_args(&out))
        .run()
        .code(2)
        .stderr_has("needs --bind ADDR, the machine's public address")
        .stderr_has("3306, 5432")
        .stderr_has("the lease range 10000-10010");
    assert!(!out.exists(), "{} was created", out.display());
    let json = t
        .args(["--json"])
        .args(config_args(&out))
        .run()
        .code(2)
        .json();
    assert_eq!(json["error"]["kind"], "usage", "{json:#}");
    assert_eq!(json["error"]["exit_code"], 2, "{json:#}");
    assert!(!out.exists());
}

/// With `--bind`: every entrypoint (web, websecure, the fixed TCP ports, UDP 53, the lease
/// range) on that address and nothing on every address; the route server's base URL becomes
/// its /config URL.
#[test]
fn proxy_config_binds_the_public_address() {
    let mut t = Test::new();
    let out = t.root().join("proxy");
    let path = t
        .args(config_args(&out))
        .args(["--bind", "127.0.0.1", "--lease-range", "10000-10002"])
        .args(["--route-server", "http://127.0.0.1:7111"])
        .run()
        .success()
        .stdout;
    let v = read_config(&path);
    let ep = v["entryPoints"].as_object().expect("entryPoints");
    let mut names: Vec<&str> = ep.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "tcp-10000",
            "tcp-10001",
            "tcp-10002",
            "tcp-11211",
            "tcp-27017",
            "tcp-3306",
            "tcp-5432",
            "tcp-5672",
            "tcp-6379",
            "tcp-9092",
            "udp-10000",
            "udp-10001",
            "udp-10002",
            "udp-53",
            "web",
            "websecure"
        ]
    );
    for (name, e) in ep {
        let addr = e["address"].as_str().expect("address");
        assert!(addr.starts_with("127.0.0.1:"), "{name}: {addr}");
    }
    assert_eq!(ep["tcp-5432"]["address"], "127.0.0.1:5432");
    assert_eq!(ep["udp-53"]["address"], "127.0.0.1:53/udp");
    assert_eq!(
        v["providers"]["http"]["endpoint"],
        "http://127.0.0.1:7111/config"
    );
}

/// Impossible values: exit 2, the flag named, nothing written.
#[test]
fn proxy_config_refuses_impossible_values() {
    let mut t = Test::new();
    let out = t.root().join("proxy");
    let cases: [(&[&str], &str); 9] = [
        (&["--bind", "0.0.0.0"], "--bind 0.0.0.0 means every address"),
        (&["--bind", "::"], "--bind :: means every address"),
        (
            &["--bind", "127.0.11.2"],
            "--bind 127.0.11.2 is inside the block 127.0.11.0/26 of repository network 2816",
        ),
        (&["--web-port", "0"], "--web-port 0 is not a port"),
        (
            &["--websecure-port", "10005"],
            "--websecure-port 10005 is inside the lease range 10000-10010",
        ),
        (
            &["--tcp-ports", "5432,10001"],
            "--tcp-ports 10001 is inside the lease range",
        ),
        (
            &["--web-port", "8443", "--websecure-port", "8443"],
            "--web-port and --websecure-port must differ",
        ),
        (
            &["--route-server", "http://127.0.0.1:7111/health"],
            "--route-server \"http://127.0.0.1:7111/health\" is not the route server's configuration",
        ),
        (
            &["--poll-interval", "0s"],
            "--poll-interval must be above zero",
        ),
    ];
    for (args, message) in cases {
        let bind: &[&str] = if args[0] == "--bind" {
            &[]
        } else {
            &["--bind", "127.0.0.1"]
        };
        t.args(config_args(&out))
            .args(bind)
            .args(args)
            .run()
            .code(2)
            .stderr_has(message);
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
}

/// A real Traefik on `--bind 127.0.0.1`: repository services listening on their own addresses
/// on the proxy's very ports, before Traefik starts and while it runs, keep them; Traefik
/// listens all the same. On every address either side would have failed to bind.
#[test]
fn traefik_on_the_bind_address_leaves_repository_addresses_free() {
    let Some(traefik) = traefik_bin() else {
        crate::harness::skip(
            "traefik_on_the_bind_address_leaves_repository_addresses_free",
            "no traefik (set RENET_TRAEFIK)",
        );
        return;
    };
    // Ports of this test only (routes tests use 18080/18443/18500-18503, the benchmark 28xxx).
    let (web, websecure, fixed, leased) = (19080, 19443, 19432, 19500);
    for p in [web, websecure, fixed, leased] {
        wait_address_free(&format!("127.0.0.1:{p}"));
    }
    // Repository services that were there first: websecure's port and a leased port.
    let first = [
        TcpListener::bind(("127.0.11.2", websecure)).expect("bind 127.0.11.2"),
        TcpListener::bind(("127.0.11.3", leased)).expect("bind 127.0.11.3"),
    ];
    let mut t = Test::new();
    let out = t.root().join("proxy");
    let path = t
        .args(config_args(&out))
        .args(["--bind", "127.0.0.1"])
        .args(["--web-port", &web.to_string()])
        .args(["--websecure-port", &websecure.to_string()])
        .args(["--tcp-ports", &fixed.to_string(), "--udp-ports", ""])
        .args(["--lease-range", &leased.to_string()])
        .args([
            "--route-server",
            &format!("http://127.0.0.1:{}", free_port()),
        ])
        .run()
        .success()
        .stdout;
    let mut cmd = Command::new(&traefik);
    cmd.arg(format!("--configFile={}", path.trim()));
    let mut proc = Proc::spawn("traefik", cmd, t.root().join("traefik.log"));
    for p in [web, websecure, fixed, leased] {
        eventually(
            &format!("Traefik listens on 127.0.0.1:{p}"),
            Duration::from_secs(60),
            || {
                proc.assert_running();
                std::net::TcpStream::connect(("127.0.0.1", p))
                    .is_ok()
                    .then_some(())
            },
        );
    }
    // Repository services started while Traefik runs bind the fixed port and web's port.
    let later = [
        TcpListener::bind(("127.0.11.4", fixed)).expect("127.0.11.4 on the fixed TCP port"),
        TcpListener::bind(("127.0.11.4", web)).expect("127.0.11.4 on web's port"),
    ];
    proc.assert_running();
    for l in first.iter().chain(&later) {
        let addr = l.local_addr().expect("address");
        assert!(std::net::TcpStream::connect(addr).is_ok(), "{addr}");
    }
}
