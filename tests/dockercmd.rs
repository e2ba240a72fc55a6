//! `renet docker`: the docker CLI on the repository's own daemon (a real dockerd through the
//! harness), and the examples run from wherever they are copied.

use std::path::Path;
use std::time::Duration;

use crate::harness::{
    Compose, Daemon, Output, Test, compose_lock, docker_lock, eventually, run_command,
    wait_address_free,
};
use crate::routes::{Proc, free_port};

/// `renet docker --network-id N --repo DIR -- <args...>`, with a bogus `DOCKER_CONTEXT` that
/// docker would fail on if renet passed it through.
fn renet_docker(t: &mut Test, id: u32, args: &[&str]) -> Output {
    let repo = t.repo().to_owned();
    t.args(["docker", "--network-id", &id.to_string(), "--repo"])
        .args([&repo])
        .args(["--"])
        .args(args)
        .env("DOCKER_CONTEXT", "renet-no-such-context")
        .run()
}

/// Import the examples' busybox image into the daemon.
fn import_busybox(daemon: &Daemon, script: &Path) {
    let mut import = std::process::Command::new(script);
    import
        .env("DOCKER_HOST", daemon.docker_host())
        .env_remove("DOCKER_CONTEXT");
    run_command(import, Duration::from_secs(120)).success();
}

#[test]
fn docker_runs_on_the_repository_daemon_with_dockers_status() {
    let Some(_lock) = docker_lock("docker_runs_on_the_repository_daemon_with_dockers_status")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();

    // No daemon yet: the error of `renet compose`, with the start command.
    let out = renet_docker(&mut t, 2816, &["ps"]).code(5);
    assert!(
        out.stderr
            .contains("renet daemon start --network-id 2816 --repo"),
        "{out}"
    );

    let daemon = Daemon::start(&t, 2816, &repo);
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    import_busybox(&daemon, &examples.join("hello/import-busybox.sh"));
    renet_docker(
        &mut t,
        2816,
        &[
            "create",
            "--name",
            "dockercmd-probe",
            "renet-example/busybox:1",
        ],
    )
    .success();
    let out = renet_docker(&mut t, 2816, &["ps", "-a", "--format", "{{.Names}}"]).success();
    assert_eq!(out.stdout.trim(), "dockercmd-probe", "{out}");
    assert_eq!(
        daemon.containers().len(),
        1,
        "created on the repository's daemon"
    );

    // docker's own status passes through.
    let out = renet_docker(&mut t, 2816, &["inspect", "nosuch"]).code(1);
    assert!(out.stderr.to_lowercase().contains("no such"), "{out}");
    let out = renet_docker(
        &mut t,
        2816,
        &[
            "run",
            "--rm",
            "--network",
            "host",
            "renet-example/busybox:1",
            "sh",
            "-c",
            "exit 7",
        ],
    );
    out.code(7);
}

#[test]
fn docker_refuses_other_daemons() {
    let mut t = Test::new();
    for args in [
        &["-H", "unix:///var/run/docker.sock", "ps"][..],
        &["--host=tcp://127.0.0.1:2375", "ps"],
        &["--context", "default", "ps"],
        &["-cdefault", "ps"],
        &["-DH", "tcp://x", "ps"],
    ] {
        let out = renet_docker(&mut t, 2816, args).code(2);
        assert!(out.stderr.contains("is not allowed"), "{out}");
    }
}

/// Copy folders and regular files (keeping their permissions), nothing else: what a user copies.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    for e in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display())) {
        let e = e.expect("directory entry");
        if e.file_name().to_string_lossy().starts_with(".rediacc") {
            continue;
        }
        let target = to.join(e.file_name());
        let kind = e.file_type().expect("file type");
        if kind.is_dir() {
            copy_tree(&e.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(e.path(), &target)
                .unwrap_or_else(|err| panic!("copy {}: {err}", e.path().display()));
        }
    }
}

/// Only `examples/webapp-postgres`, copied to a folder of its own with no sibling examples:
/// `repository up` must still work (its Rediaccfile once ran `../import-busybox.sh`).
#[test]
fn example_webapp_postgres_works_when_copied_alone() {
    let Some(_lock) = compose_lock(
        "example_webapp_postgres_works_when_copied_alone",
        Compose::V2,
    ) else {
        return;
    };
    let mut t = Test::new();
    let repo = t.root().join("elsewhere/shop");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/webapp-postgres"),
        &repo,
    );
    let daemon = Daemon::guard(&t, 2880, &repo);
    for addr in [
        "127.0.11.66:5432",
        "127.0.11.67:5432",
        "127.0.11.66:3000",
        "127.0.11.67:3000",
    ] {
        wait_address_free(addr);
    }
    let out = t
        .args(["repository", "up", "--network-id", "2880", "--path"])
        .args([&repo])
        .run()
        .success();
    let ps = t
        .args(["docker", "--network-id", "2880", "--repo"])
        .args([&repo])
        .args([
            "--",
            "ps",
            "--format",
            "{{.Label \"com.docker.compose.service\"}} {{.State}}",
        ])
        .run()
        .success();
    let mut lines: Vec<&str> = ps.stdout.lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, ["postgres running", "webapp running"], "{ps}\n{out}");
    t.args([
        "repository",
        "down",
        "--stop-daemon",
        "--network-id",
        "2880",
        "--path",
    ])
    .args([&repo])
    .run()
    .success();
    assert!(!daemon.socket().exists(), "the daemon is stopped");
}

/// `renet proxy status|routes` against a real route server over a daemon running the hello
/// example; and a route server that does not answer.
#[test]
fn proxy_status_and_routes_read_the_route_server() {
    let Some(_lock) = compose_lock("proxy_status_and_routes_read_the_route_server", Compose::V2)
    else {
        return;
    };
    let mut t = Test::new();

    // Nothing listens: a clear error naming the URL and how to start the route server.
    let nobody = format!("http://127.0.0.1:{}", free_port());
    let out = t
        .args(["proxy", "status", "--route-server", &nobody])
        .run()
        .code(1);
    assert!(
        out.stderr.contains(&nobody) && out.stderr.contains("renet route-server"),
        "{out}"
    );

    let repo = t.root().join("hello");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello"),
        &repo,
    );
    for addr in ["127.0.11.2:8080", "127.0.11.3:8080"] {
        wait_address_free(addr);
    }
    let daemon = Daemon::guard(&t, 2816, &repo);
    t.args(["repository", "up", "--network-id", "2816", "--path"])
        .args([&repo])
        .run()
        .success();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let mut cmd = t
        .args([
            "route-server",
            "--listen",
            &listen,
            "--base-domain",
            "example.test",
        ])
        .command();
    cmd.env_remove("RENET_MACHINE_NAME");
    let mut server = Proc::spawn("route-server", cmd, t.root().join("route-server.log"));

    let routes = eventually(
        "proxy routes lists both services",
        Duration::from_secs(60),
        || {
            server.assert_running();
            let out = t.args(["proxy", "routes", "--route-server", &url]).run();
            (out.status == 0 && out.stdout.contains("127.0.11.3:8080")).then_some(out)
        },
    );
    for ip in ["127.0.11.2", "127.0.11.3"] {
        assert!(
            routes
                .stdout
                .lines()
                .any(|l| l.starts_with("http ") && l.ends_with(&format!("-> http://{ip}:8080"))),
            "{routes}"
        );
    }
    let json = t
        .args(["--json", "proxy", "routes", "--route-server", &url])
        .run()
        .success()
        .json();
    assert!(json["http"]["routers"].is_object(), "{json:#}");

    let status = t
        .args([
            "proxy",
            "status",
            "--route-server",
            &format!("{url}/config"),
        ])
        .run()
        .success();
    assert!(
        status.stdout.contains(&format!("route server {url}: ok")),
        "{status}"
    );
    assert!(
        status.stdout.contains("daemons: 1 seen, 0 failed"),
        "{status}"
    );
    assert!(status.stdout.contains("network 2816: ok"), "{status}");
    let health = t
        .args(["--json", "proxy", "status", "--route-server", &url])
        .run()
        .success()
        .json();
    assert_eq!(health["status"], "ok", "{health:#}");
    assert_eq!(health["daemons_seen"], 1);
    drop(server);

    t.args([
        "repository",
        "down",
        "--stop-daemon",
        "--network-id",
        "2816",
        "--path",
    ])
    .args([&repo])
    .run()
    .success();
    assert!(!daemon.socket().exists(), "the daemon is stopped");
}
