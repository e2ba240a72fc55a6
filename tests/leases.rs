//! Port leases through the binary: `renet ports lease|release|list|gc`, the leasing done by
//! `renet compose -- up|down` (with a fake docker-compose; gc against a real daemon on Compose v2),
//! and 40 concurrent processes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Compose, Daemon, Output, Test, compose_lock, run_command};

/// The range every test leases from unless it says otherwise (never the default: a test must
/// not depend on the machine's configuration).
const RANGE: &str = "20000-20039";

/// `renet <args>` with `RENET_PORT_RANGE=<range>`.
fn renet(t: &mut Test, range: &str, args: &[&str]) -> Output {
    t.env("RENET_PORT_RANGE", range).args(args).run()
}

fn lease(t: &mut Test, network: u32, service: &str, port: u16) -> Output {
    let (n, p) = (network.to_string(), port.to_string());
    renet(
        t,
        RANGE,
        &[
            "ports",
            "lease",
            "--network-id",
            &n,
            "--service",
            service,
            "--port",
            &p,
        ],
    )
}

fn external(out: &Output) -> u16 {
    out.stdout
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("stdout is not a port: {e}\n{out}"))
}

/// `renet ports list --json`: the leases as (network, service, proto, port) -> external.
fn leases(t: &mut Test) -> BTreeMap<(u64, String, String, u64), u64> {
    let doc = renet(t, RANGE, &["ports", "list", "--json"])
        .success()
        .json();
    assert_eq!(doc["range"], RANGE);
    doc["leases"]
        .as_array()
        .expect("leases array")
        .iter()
        .map(|l| {
            (
                (
                    l["network_id"].as_u64().expect("network_id"),
                    l["service"].as_str().expect("service").to_owned(),
                    l["proto"].as_str().expect("proto").to_owned(),
                    l["container_port"].as_u64().expect("container_port"),
                ),
                l["external_port"].as_u64().expect("external_port"),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

/// 40 processes at once, 40 distinct keys: 40 distinct ports; the same keys again: the same
/// ports; a 41st key: exit 6, and the error lists every holder.
#[test]
fn concurrent_leases_never_share_a_port() {
    const PROCS: usize = 40;
    let mut t = Test::new();
    let key = |i: usize| {
        (
            2816 + 64 * (i as u32 % 4),
            format!("svc{i}"),
            5000 + i as u16,
        )
    };
    let mut rounds: Vec<BTreeMap<usize, u16>> = Vec::new();
    for round in 0..2 {
        let commands: Vec<_> = (0..PROCS)
            .map(|i| {
                let (n, s, p) = key(i);
                t.env("RENET_PORT_RANGE", RANGE)
                    .args(["ports", "lease", "--network-id", &n.to_string()])
                    .args(["--service", &s, "--port", &p.to_string()])
                    .command()
            })
            .collect();
        let barrier = Arc::new(Barrier::new(PROCS));
        let handles: Vec<_> = commands
            .into_iter()
            .map(|cmd| {
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    barrier.wait();
                    run_command(cmd, Duration::from_secs(120))
                })
            })
            .collect();
        let got: BTreeMap<usize, u16> = handles
            .into_iter()
            .enumerate()
            .map(|(i, h)| (i, external(&h.join().expect("lease thread").success())))
            .collect();
        let distinct: BTreeSet<u16> = got.values().copied().collect();
        assert_eq!(
            distinct,
            (20000..20040).collect(),
            "round {round}: a port was handed out twice, or one is outside the range: {got:?}"
        );
        rounds.push(got);
    }
    assert_eq!(rounds[0], rounds[1], "a key got a different port back");
    assert_eq!(leases(&mut t).len(), PROCS);

    let out = lease(&mut t, 2816, "late", 1).code(6);
    assert!(out.stderr.contains("RENET_PORT_RANGE"), "{out}");
    assert!(
        out.stderr.contains("no free tcp port in 20000-20039"),
        "{out}"
    );
    for (i, port) in &rounds[0] {
        let (n, s, p) = key(*i);
        let holder = format!("network {n} service {s} tcp/{p} -> {port}");
        assert!(out.stderr.contains(&holder), "{holder:?} missing\n{out}");
    }
    // The JSON error carries the holders as findings.
    let out = renet(
        &mut t,
        RANGE,
        &[
            "ports",
            "lease",
            "--network-id",
            "2816",
            "--service",
            "late",
            "--port",
            "1",
            "--json",
        ],
    )
    .code(6);
    let err = &out.json()["error"];
    assert_eq!(err["kind"], "no_free_port");
    assert_eq!(err["exit_code"], 6);
    assert_eq!(err["findings"].as_array().expect("findings").len(), PROCS);
    // UDP is a separate pool.
    let out = renet(
        &mut t,
        RANGE,
        &[
            "ports",
            "lease",
            "--network-id",
            "2816",
            "--service",
            "dns",
            "--port",
            "53",
            "--proto",
            "udp",
        ],
    );
    assert_eq!(external(&out.success()), 20000);
}

// ---------------------------------------------------------------------------------------------
// lease / list / release / gc
// ---------------------------------------------------------------------------------------------

#[test]
fn lease_list_release() {
    let mut t = Test::new();
    // Nothing leased yet: an empty list, and no database created by looking.
    assert!(leases(&mut t).is_empty());
    assert!(!t.state_dir().join("router").exists());

    let first = external(&lease(&mut t, 2816, "db", 5432).success());
    assert_eq!(first, 20000);
    let out = lease(&mut t, 2816, "db", 5432).success();
    assert_eq!(external(&out), 20000, "same key, same port");
    assert!(out.stderr.contains("already leased"), "{out}");
    assert_eq!(external(&lease(&mut t, 2816, "db", 6379).success()), 20001);
    assert_eq!(external(&lease(&mut t, 2880, "db", 5432).success()), 20002);
    let out = renet(
        &mut t,
        RANGE,
        &[
            "ports",
            "lease",
            "--network-id",
            "2816",
            "--service",
            "dns",
            "--port",
            "53",
            "--proto",
            "udp",
            "--json",
        ],
    )
    .success();
    let doc = out.json();
    assert_eq!(doc["proto"], "udp");
    assert_eq!(doc["external_port"], 20000);
    assert_eq!(doc["new"], true);
    assert!(t.state_dir().join("router/ports.db").is_file());

    let all = leases(&mut t);
    assert_eq!(all.len(), 4);
    assert_eq!(all[&(2816, "db".to_owned(), "tcp".to_owned(), 6379)], 20001);

    // The table, and one network's leases.
    let out = renet(&mut t, RANGE, &["ports", "list"]).success();
    assert!(out.stdout.starts_with("NETWORK"), "{out}");
    assert_eq!(out.stdout.lines().count(), 5, "{out}");
    let doc = renet(
        &mut t,
        RANGE,
        &["ports", "list", "--network-id", "2880", "--json"],
    )
    .success()
    .json();
    assert_eq!(doc["leases"].as_array().expect("leases").len(), 1);

    // Release one port of one service, then the rest of the service.
    let out = renet(
        &mut t,
        RANGE,
        &[
            "ports",
            "release",
            "--network-id",
            "2816",
            "--service",
            "db",
            "--port",
            "6379",
        ],
    )
    .success();
    assert_eq!(
        out.stdout.trim(),
        "network 2816 service db tcp/6379 -> 20001"
    );
    let doc = renet(
        &mut t,
        RANGE,
        &[
            "ports",
            "release",
            "--network-id",
            "2816",
            "--service",
            "db",
            "--json",
        ],
    )
    .success()
    .json();
    let released = doc["released"].as_array().expect("released");
    assert_eq!(released.len(), 1);
    assert_eq!(released[0]["external_port"], 20000);
    let out = renet(
        &mut t,
        RANGE,
        &[
            "ports",
            "release",
            "--network-id",
            "2816",
            "--service",
            "db",
        ],
    )
    .success();
    assert!(
        out.stdout.is_empty() && out.stderr.contains("no lease matched"),
        "{out}"
    );
    let left = leases(&mut t);
    let want = BTreeMap::from([
        ((2816, "dns".to_owned(), "udp".to_owned(), 53), 20000),
        ((2880, "db".to_owned(), "tcp".to_owned(), 5432), 20002),
    ]);
    assert_eq!(left, want);
    // A freed port goes to the next new key.
    assert_eq!(external(&lease(&mut t, 2944, "web", 80).success()), 20000);

    // Narrowing the range keeps existing leases where they are.
    let out = renet(
        &mut t,
        "20030-20031",
        &[
            "ports",
            "lease",
            "--network-id",
            "2880",
            "--service",
            "db",
            "--port",
            "5432",
        ],
    )
    .success();
    assert_eq!(external(&out), 20002);
    let out = renet(&mut t, "20030-20031", &["ports", "list"]).success();
    assert!(out.stdout.contains("(outside the range)"), "{out}");
}

#[test]
fn gc_frees_leases_whose_daemon_is_gone() {
    let mut t = Test::new();
    lease(&mut t, 2816, "db", 5432).success();
    lease(&mut t, 2880, "web", 80).success();
    let doc = renet(&mut t, RANGE, &["ports", "gc", "--dry-run", "--json"])
        .success()
        .json();
    assert_eq!(doc["dry_run"], true);
    let freed = doc["freed"].as_array().expect("freed");
    assert_eq!(freed.len(), 2);
    let reason = freed[0]["reason"].as_str().expect("reason");
    assert!(reason.contains("docker-2816.sock"), "{reason}");
    assert_eq!(leases(&mut t).len(), 2, "a dry run frees nothing");

    let out = renet(&mut t, RANGE, &["ports", "gc"]).success();
    assert!(
        out.stdout
            .contains("network 2816 service db tcp/5432 -> 20000"),
        "{out}"
    );
    assert!(out.stderr.contains("freed 2 lease(s)"), "{out}");
    assert!(leases(&mut t).is_empty());
}

#[test]
fn bad_values_are_clear_errors() {
    let mut t = Test::new();
    let out = renet(
        &mut t,
        "20010-20000",
        &[
            "ports",
            "lease",
            "--network-id",
            "2816",
            "--service",
            "db",
            "--port",
            "5432",
        ],
    )
    .code(2);
    assert!(out.stderr.contains("RENET_PORT_RANGE=20010-20000"), "{out}");
    for bad in [
        &["--port", "0"][..],
        &["--port", "70000"],
        &["--port", "1", "--proto", "sctp"],
    ] {
        let mut args = vec!["ports", "lease", "--network-id", "2816", "--service", "db"];
        args.extend(bad);
        renet(&mut t, RANGE, &args).code(2);
    }
    renet(
        &mut t,
        RANGE,
        &[
            "ports",
            "lease",
            "--network-id",
            "2817",
            "--service",
            "db",
            "--port",
            "1",
        ],
    )
    .code(2);
    renet(
        &mut t,
        RANGE,
        &["ports", "lease", "--service", "db", "--port", "1"],
    )
    .code(2)
    .stderr_has("REDIACC_NETWORK_ID");

    // A corrupt database names the file and the fix.
    let db = t.state_dir().join("router/ports.db");
    std::fs::create_dir_all(db.parent().expect("folder")).expect("create router folder");
    std::fs::write(&db, vec![b'x'; 4096]).expect("write garbage");
    let out = renet(&mut t, RANGE, &["ports", "list", "--json"]).code(3);
    assert!(out.stderr.contains(&db.display().to_string()), "{out}");
    assert!(out.stderr.contains("move it aside"), "{out}");
    assert_eq!(out.json()["error"]["kind"], "port_leases");
}

// ---------------------------------------------------------------------------------------------
// renet compose -- up | down
// ---------------------------------------------------------------------------------------------

const COMPOSE: &str = r#"services:
  db:
    image: busybox
    labels:
      rediacc.tcp_ports: "5432,6379"
  dns:
    image: busybox
    labels: ["rediacc.udp_ports=53"]
  web:
    image: busybox
"#;

/// A fake docker-compose that answers renet's `version --short` as v2, records its other
/// arguments and exits with `$FAKE_COMPOSE_EXIT`, a stand-in daemon socket, and the environment
/// to use them.
fn fake_compose(t: &mut Test) -> (PathBuf, PathBuf) {
    let bin = t.root().join("bin");
    let log = t.root().join("compose.log");
    t.write(
        bin.join("docker-compose"),
        format!(
            "#!/bin/sh\n[ \"$*\" = 'version --short' ] && echo 2.40.3 && exit 0\n\
             echo \"$@\" >> {}\nexit ${{FAKE_COMPOSE_EXIT:-0}}\n",
            log.display()
        ),
    );
    let script = bin.join("docker-compose");
    let mut perms = std::fs::metadata(&script)
        .expect("fake compose")
        .permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).expect("chmod fake compose");
    std::fs::create_dir_all(t.run_dir()).expect("run dir");
    std::fs::write(t.run_dir().join("docker-2816.sock"), "").expect("stand-in socket");
    (bin, log)
}

/// `renet compose --network-id 2816 <flags> -- <args>` with only the fake compose on PATH.
fn compose(t: &mut Test, bin: &Path, range: &str, flags: &[&str], args: &[&str]) -> Output {
    let home = t.root().to_owned();
    t.env("PATH", bin)
        .env("HOME", home)
        .env_remove("DOCKER_CONFIG")
        .env("RENET_PORT_RANGE", range)
        .args(["compose", "--network-id", "2816"])
        .args(flags)
        .args(["--"])
        .args(args)
        .run()
}

#[test]
fn compose_up_leases_and_down_releases() {
    let mut t = Test::new();
    t.write("docker-compose.yml", COMPOSE);
    let (bin, log) = fake_compose(&mut t);

    // A dry run shows what would be leased and leases nothing.
    let out = compose(&mut t, &bin, RANGE, &["--dry-run"], &["up", "-d"]).success();
    assert!(
        out.stderr
            .contains("db tcp 5432 -> (leased from 20000-20039 at up)"),
        "{out}"
    );
    assert!(
        !t.state_dir().join("router").exists(),
        "a dry run writes nothing"
    );

    let out = compose(&mut t, &bin, RANGE, &[], &["up", "-d"]).success();
    for line in [
        "db tcp 5432 -> 20000",
        "db tcp 6379 -> 20001",
        "dns udp 53 -> 20000",
    ] {
        assert!(out.stderr.contains(line), "{line:?} missing\n{out}");
    }
    assert_eq!(leases(&mut t).len(), 3);
    // Again: the same ports; and a dry run now shows them as leased.
    let out = compose(&mut t, &bin, RANGE, &[], &["up", "-d"]).success();
    assert!(out.stderr.contains("db tcp 6379 -> 20001"), "{out}");
    let out = compose(&mut t, &bin, RANGE, &["--dry-run"], &["up"]).success();
    assert!(
        out.stderr.contains("db tcp 5432 -> 20000 (leased)"),
        "{out}"
    );

    // Other subcommands neither lease nor release.
    compose(&mut t, &bin, RANGE, &[], &["ps"]).success();
    assert_eq!(leases(&mut t).len(), 3);

    // A failed down keeps the leases.
    t.env("FAKE_COMPOSE_EXIT", "1");
    compose(&mut t, &bin, RANGE, &[], &["down"]).code(1);
    assert_eq!(leases(&mut t).len(), 3);

    // `down web` releases only web's (none); `down` releases the rest.
    compose(&mut t, &bin, RANGE, &[], &["down", "web"]).success();
    assert_eq!(leases(&mut t).len(), 3);
    let out = compose(&mut t, &bin, RANGE, &[], &["down"]).success();
    assert!(
        out.stderr.contains("released db tcp 5432 -> 20000"),
        "{out}"
    );
    assert!(out.stderr.contains("released dns udp 53 -> 20000"), "{out}");
    assert!(leases(&mut t).is_empty());
    let calls = std::fs::read_to_string(&log).expect("compose log");
    assert_eq!(calls.lines().count(), 6, "{calls}");
}

#[test]
fn compose_up_with_no_free_port_starts_nothing() {
    let mut t = Test::new();
    t.write("docker-compose.yml", COMPOSE);
    let (bin, log) = fake_compose(&mut t);
    let out = renet(
        &mut t,
        "20000-20000",
        &[
            "ports",
            "lease",
            "--network-id",
            "2880",
            "--service",
            "other",
            "--port",
            "1",
        ],
    );
    assert_eq!(external(&out.success()), 20000);
    let out = compose(&mut t, &bin, "20000-20000", &[], &["up", "-d"]).code(6);
    assert!(
        out.stderr
            .contains("network 2880 service other tcp/1 -> 20000"),
        "{out}"
    );
    assert!(out.stderr.contains("RENET_PORT_RANGE"), "{out}");
    assert!(!log.exists(), "compose must not run");
    // All or nothing: dns's UDP port was not kept either.
    assert_eq!(leases(&mut t).len(), 1);

    // A bad label value is a bad input file (3) naming the service, label and value.
    t.write(
        "docker-compose.yml",
        "services:\n  db:\n    image: busybox\n    labels:\n      rediacc.tcp_ports: \"5432,x\"\n",
    );
    let out = compose(&mut t, &bin, RANGE, &[], &["up"]).code(3);
    assert!(
        out.stderr
            .contains("service db: label rediacc.tcp_ports=5432,x"),
        "{out}"
    );
    assert!(!log.exists(), "compose must not run");
}

#[test]
fn lease_json_shape() {
    let mut t = Test::new();
    let doc: Value = renet(
        &mut t,
        RANGE,
        &[
            "ports",
            "lease",
            "--network-id",
            "2816",
            "--service",
            "db",
            "--port",
            "5432",
            "--json",
        ],
    )
    .success()
    .json();
    let keys: Vec<&str> = doc
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "network_id",
            "service",
            "proto",
            "container_port",
            "external_port",
            "new"
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Real daemon (root and dockerd): gc asks the daemon which services still have containers
// ---------------------------------------------------------------------------------------------

const TWO_SLEEPERS: &str = r#"services:
  db:
    image: renet-test/busybox:1
    stop_signal: SIGKILL
    command: ["sleep", "600"]
    labels:
      rediacc.tcp_ports: "5432"
  web:
    image: renet-test/busybox:1
    stop_signal: SIGKILL
    command: ["sleep", "600"]
    labels:
      rediacc.tcp_ports: "80"
"#;

#[test]
fn gc_keeps_leases_of_existing_containers_on_a_real_daemon() {
    let Some(_lock) = compose_lock(
        "gc_keeps_leases_of_existing_containers_on_a_real_daemon",
        Compose::V2,
    ) else {
        return;
    };
    let mut t = Test::new();
    t.write("docker-compose.yml", TWO_SLEEPERS);
    let repo = t.repo().to_owned();
    let d = Daemon::start(&t, 2816, &repo);
    d.import_busybox();
    // The default range (10000-10010): the harness's renet does not set RENET_PORT_RANGE.
    let out = d.compose(["up", "-d"]).success();
    assert!(out.stderr.contains("db tcp 5432 -> 10000"), "{out}");
    assert!(out.stderr.contains("web tcp 80 -> 10001"), "{out}");

    // Both services have containers: gc keeps everything, even a stopped container's lease.
    d.docker(["stop", &d.container_of("web")]).success();
    let doc = renet(&mut t, RANGE, &["ports", "gc", "--json"])
        .success()
        .json();
    assert_eq!(doc["freed"].as_array().expect("freed").len(), 0, "{doc}");
    assert_eq!(doc["kept"].as_array().expect("kept").len(), 2, "{doc}");

    // web's container removed: its lease goes, db's stays.
    let web = d
        .docker([
            "ps",
            "-aq",
            "--filter",
            "label=com.docker.compose.service=web",
        ])
        .success()
        .stdout
        .trim()
        .to_owned();
    d.docker(["rm", "-f", &web]).success();
    let out = renet(&mut t, RANGE, &["ports", "gc"]).success();
    assert!(
        out.stdout
            .contains("network 2816 service web tcp/80 -> 10001"),
        "{out}"
    );
    assert!(out.stdout.contains("rediacc.service_name=web"), "{out}");
    assert_eq!(leases(&mut t).len(), 1);

    // down releases the rest.
    let out = d.compose(["down"]).success();
    assert!(
        out.stderr.contains("released db tcp 5432 -> 10000"),
        "{out}"
    );
    assert!(leases(&mut t).is_empty());
}
