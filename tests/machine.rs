//! `renet machine set|show|units`, and the settings as defaults of `route-server` and
//! `proxy config`.

use std::fs;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::Test;
use crate::routes::{Proc, free_port};

fn machine_json(t: &Test) -> std::path::PathBuf {
    t.state_dir().join("machine.json")
}

#[test]
fn set_and_show_round_trip() {
    let mut t = Test::new();
    t.args([
        "machine",
        "set",
        "--base-domain",
        "Example.COM.",
        "--machine-name",
        "Box1",
        "--public-address",
        "203.0.113.7",
        "--cert-email",
        "ops@example.com",
    ])
    .run()
    .success()
    .stdout_has("base_domain: example.com\n")
    .stderr_has("wrote ");
    // Merge: unset flags keep their value; an empty value clears the key.
    t.args([
        "machine",
        "set",
        "--cert-email",
        "",
        "--cert-resolver",
        "le",
    ])
    .run()
    .success();
    let out = t.args(["machine", "show"]).run().success();
    assert_eq!(
        out.stdout,
        "base_domain: example.com\nmachine_name: box1\npublic_address: 203.0.113.7\ncert_resolver: le\n"
    );
    let json = t.args(["--json", "machine", "show"]).run().success().json();
    assert_eq!(json["machine_name"], "box1");
    assert!(json.get("cert_email").is_none(), "{json}");
}

#[test]
fn unknown_keys_are_kept_duplicates_refused() {
    let mut t = Test::new();
    fs::create_dir_all(t.state_dir()).unwrap();
    fs::write(
        machine_json(&t),
        r#"{"x-team": {"a": 1}, "base_domain": "a.com"}"#,
    )
    .unwrap();
    t.args(["machine", "set", "--machine-name", "m"])
        .run()
        .success();
    let v: Value = serde_json::from_str(&fs::read_to_string(machine_json(&t)).unwrap()).unwrap();
    assert_eq!(v["x-team"]["a"], 1);
    assert_eq!(v["machine_name"], "m");
    let dup = r#"{"base_domain": "a.com", "base_domain": "b.com"}"#;
    fs::write(machine_json(&t), dup).unwrap();
    t.args(["machine", "show"])
        .run()
        .code(3)
        .stderr_has("duplicate key");
    t.args(["machine", "set", "--machine-name", "n"])
        .run()
        .code(3);
    assert_eq!(fs::read_to_string(machine_json(&t)).unwrap(), dup);
}

#[test]
fn bad_values_leave_the_file_byte_identical() {
    let mut t = Test::new();
    t.args(["machine", "set", "--base-domain", "example.com"])
        .run()
        .success();
    let before = fs::read(machine_json(&t)).unwrap();
    for (flag, value, message) in [
        (
            "--base-domain",
            "not a host",
            "--base-domain \"not a host\" is not a host name",
        ),
        (
            "--machine-name",
            "a.b",
            "--machine-name \"a.b\" must be one DNS label",
        ),
        (
            "--public-address",
            "1.2.3",
            "--public-address \"1.2.3\" is not an IP address",
        ),
        (
            "--cert-email",
            "nobody",
            "--cert-email \"nobody\" is not an e-mail address",
        ),
        (
            "--cert-resolver",
            "l e",
            "--cert-resolver \"l e\" is not a resolver name",
        ),
        ("--route-server", "ftp://x", "--route-server \"ftp://x\""),
    ] {
        // A good flag beside the bad one is not applied either.
        let good = if flag == "--cert-resolver" {
            ["--machine-name", "ok"]
        } else {
            ["--cert-resolver", "ok"]
        };
        t.args(["machine", "set", good[0], good[1], flag, value])
            .run()
            .code(2)
            .stderr_has(message);
        assert_eq!(fs::read(machine_json(&t)).unwrap(), before, "{flag}");
    }
    let err = t
        .args(["--json", "machine", "set", "--public-address", "x"])
        .run()
        .code(2)
        .json();
    assert_eq!(err["error"]["kind"], "usage");
}

fn config(t: &mut Test, extra: &[&str]) -> Value {
    let out = t.root().join("proxy");
    let mut args = vec!["proxy", "config", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let path = t.args(args).run().success().stdout;
    yaml_serde::from_str(&fs::read_to_string(path.trim()).unwrap()).unwrap()
}

#[test]
fn proxy_config_takes_the_machine_settings() {
    let mut t = Test::new();
    t.args([
        "machine",
        "set",
        "--public-address",
        "203.0.113.7",
        "--cert-email",
        "ops@example.com",
        "--cert-resolver",
        "le",
        "--route-server",
        "http://127.0.0.1:7999",
    ])
    .run()
    .success();
    let c = config(&mut t, &["--lease-range", "10000-10001"]);
    assert_eq!(c["entryPoints"]["websecure"]["address"], "203.0.113.7:443");
    assert_eq!(
        c["certificatesResolvers"]["le"]["acme"]["email"],
        "ops@example.com"
    );
    assert_eq!(
        c["providers"]["http"]["endpoint"],
        "http://127.0.0.1:7999/config"
    );
    // Flags win.
    let c = config(
        &mut t,
        &[
            "--lease-range",
            "10000-10001",
            "--bind",
            "198.51.100.1",
            "--route-server",
            "http://127.0.0.1:7111",
        ],
    );
    assert_eq!(c["entryPoints"]["websecure"]["address"], "198.51.100.1:443");
    assert_eq!(
        c["providers"]["http"]["endpoint"],
        "http://127.0.0.1:7111/config"
    );
}

/// The route server's start-up line on stderr names its base domain and machine.
fn route_server_banner(t: &mut Test, args: &[&str]) -> String {
    let listen = format!("127.0.0.1:{}", free_port());
    let mut cmd = t
        .args(["route-server", "--listen", &listen])
        .args(args)
        .command();
    cmd.env_remove("RENET_BASE_DOMAIN")
        .env_remove("RENET_MACHINE_NAME");
    let log = t.root().join("route-server.log");
    let mut proc = Proc::spawn("route-server", cmd, log.clone());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains("route-server: serving")) {
            return line.to_owned();
        }
        proc.assert_running();
        assert!(Instant::now() < deadline, "no start-up line:\n{text}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn route_server_takes_the_machine_settings() {
    let mut t = Test::new();
    t.args([
        "machine",
        "set",
        "--base-domain",
        "example.com",
        "--machine-name",
        "box1",
    ])
    .run()
    .success();
    let line = route_server_banner(&mut t, &[]);
    assert!(
        line.contains("base domain example.com, machine box1"),
        "{line}"
    );
    let line = route_server_banner(
        &mut t,
        &["--base-domain", "other.org", "--machine-name", ""],
    );
    assert!(line.contains("base domain other.org, watchdog"), "{line}");
}

#[test]
fn units_by_content() {
    let mut t = Test::new();
    let root = t.root().join("sysroot");
    let dir = root.join("etc/systemd/system");
    // Without a registry: the router and the proxy only.
    let out = t
        .args(["machine", "units", "--root", root.to_str().unwrap()])
        .run()
        .success();
    assert!(
        out.stdout.contains("rediacc-router.service"),
        "{}",
        out.stdout
    );
    assert!(!dir.join("rediacc-repositories.service").exists());
    let router = fs::read_to_string(dir.join("rediacc-router.service")).unwrap();
    assert!(router.starts_with("[Unit]\n"), "{router}");
    assert!(
        router.contains(" route-server --listen 127.0.0.1:7111\n"),
        "{router}"
    );
    let proxy = fs::read_to_string(dir.join("rediacc-proxy.service")).unwrap();
    assert!(
        proxy.contains("--configFile=/etc/rediacc/proxy/traefik.yml"),
        "{proxy}"
    );
    let registry = serde_json::json!({"repositories": [
        {"name": "shop", "path": "/srv/shop", "network_id": 2816},
        {"name": "blog", "path": "/srv/my blog", "network_id": 2880},
    ]});
    fs::create_dir_all(t.state_dir()).unwrap();
    fs::write(
        t.state_dir().join("repositories.json"),
        registry.to_string(),
    )
    .unwrap();
    let json = t
        .args([
            "--json",
            "machine",
            "units",
            "--root",
            root.to_str().unwrap(),
        ])
        .run()
        .success()
        .json();
    let names: Vec<&str> = json["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "rediacc-router.service",
            "rediacc-proxy.service",
            "rediacc-docker-2816.service",
            "rediacc-docker-2880.service",
            "rediacc-repositories.service"
        ]
    );
    let docker = fs::read_to_string(dir.join("rediacc-docker-2816.service")).unwrap();
    assert!(
        docker.contains("daemon start --foreground --network-id 2816 --repo /srv/shop\n"),
        "{docker}"
    );
    let repos = fs::read_to_string(dir.join("rediacc-repositories.service")).unwrap();
    for needle in [
        "Type=oneshot\n",
        "After=network-online.target rediacc-router.service rediacc-docker-2816.service rediacc-docker-2880.service\n",
        " repository up --path /srv/shop --network-id 2816 --name shop --wait 0\n",
        " repository up --path \"/srv/my blog\" --network-id 2880 --name blog --wait 0\n",
    ] {
        assert!(repos.contains(needle), "{needle:?} in\n{repos}");
    }
    // Down in reverse order.
    let blog = repos
        .find("repository down --path \"/srv/my blog\"")
        .unwrap();
    let shop = repos.find("repository down --path /srv/shop").unwrap();
    assert!(blog < shop, "{repos}");
}

#[test]
fn the_proxy_config_folder_is_a_machine_setting() {
    let mut t = Test::new();
    let dir = t.root().join("proxy-conf");
    t.args(["machine", "set", "--public-address", "203.0.113.7"])
        .args(["--proxy-config-dir", dir.to_str().unwrap()])
        .run()
        .success();
    // `proxy config` without --out writes there ...
    let path = t.args(["proxy", "config"]).run().success().stdout;
    assert_eq!(path.trim(), dir.join("traefik.yml").to_str().unwrap());
    assert!(dir.join("traefik.yml").is_file());
    // ... and the proxy unit reads it from there.
    let root = t.root().join("sysroot");
    t.args(["machine", "units", "--root", root.to_str().unwrap()])
        .run()
        .success();
    let proxy = fs::read_to_string(root.join("etc/systemd/system/rediacc-proxy.service")).unwrap();
    let expected = format!("--configFile={}/traefik.yml", dir.display());
    assert!(proxy.contains(&expected), "{proxy}");
    let unit = t.args(["proxy", "unit"]).run().success().stdout;
    assert!(unit.contains(&expected), "{unit}");
    // A relative folder is refused, the file unchanged.
    let before = fs::read(machine_json(&t)).unwrap();
    t.args(["machine", "set", "--proxy-config-dir", "relative/dir"])
        .run()
        .code(2)
        .stderr_has("must be an absolute folder path");
    assert_eq!(fs::read(machine_json(&t)).unwrap(), before);
}
