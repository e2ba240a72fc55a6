//! Real per-repository daemons, real Docker Compose (v2; the two-repositories test also on
//! 1.29), real loopback traffic. Needs root and dockerd; each test holds the docker lock (one
//! private dockerd pair at a time).

use std::time::Duration;

use serde_json::Value;

use crate::harness::{
    Compose, Daemon, Test, compose_lock, docker_lock, eventually, http_get, mounts_under,
    wait_address_free, wait_refused,
};

#[test]
fn daemon_lifecycle() {
    let Some(_lock) = docker_lock("daemon_lifecycle") else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _guard = Daemon::guard(&t, 2816, &repo);
    let socket = t.run_dir().join("docker-2816.sock");
    let repo_arg = repo.to_str().expect("utf-8 path").to_owned();
    let target = ["--network-id", "2816", "--repo", repo_arg.as_str()];

    // Not running yet.
    t.args(["daemon", "status"]).args(target).run().code(5);
    let status = t
        .args(["daemon", "status", "--json"])
        .args(target)
        .run()
        .code(5)
        .json();
    assert_eq!(status["running"], false);
    let list = t.args(["daemon", "list", "--json"]).run().success().json();
    assert_eq!(list, serde_json::json!([]));

    let started = t
        .args(["daemon", "start", "--json"])
        .args(target)
        .run()
        .success()
        .json();
    assert_eq!(started["already_running"], false);
    assert_eq!(started["network_id"], 2816);
    let pid = started["pid"].as_i64().expect("pid");
    assert!(socket.exists());
    assert_eq!(started["socket"].as_str(), socket.to_str());
    let data_root = repo.join(".rediacc/docker/data");
    assert_eq!(started["data_root"].as_str(), data_root.to_str());
    assert!(data_root.is_dir());

    // The generated daemon.json: no bridge, no iptables, no masquerading.
    let config: Value = serde_json::from_str(
        &std::fs::read_to_string(t.run_dir().join("docker-2816/daemon.json")).expect("daemon.json"),
    )
    .expect("daemon.json is JSON");
    assert_eq!(config["bridge"], "none");
    assert_eq!(config["iptables"], false);
    assert_eq!(config["ip-masq"], false);

    // start twice is a no-op: same daemon.
    let again = t
        .args(["daemon", "start", "--json"])
        .args(target)
        .run()
        .success()
        .json();
    assert_eq!(again["already_running"], true);
    assert_eq!(again["pid"].as_i64(), Some(pid));
    t.args(["daemon", "start"])
        .args(target)
        .run()
        .success()
        .stderr_has("already running");

    let status = t
        .args(["daemon", "status", "--json"])
        .args(target)
        .run()
        .success()
        .json();
    assert_eq!(status["running"], true);
    assert_eq!(status["pid"].as_i64(), Some(pid));
    assert!(
        status["engine"]["version"]
            .as_str()
            .is_some_and(|v| !v.is_empty()),
        "{status}"
    );
    t.args(["daemon", "status"])
        .args(target)
        .run()
        .success()
        .stdout_has("running");

    let list = t.args(["daemon", "list", "--json"]).run().success().json();
    let list = list.as_array().expect("list is an array");
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["network_id"], 2816);
    assert_eq!(list[0]["running"], true);

    // The daemon answers the docker CLI on its socket, and is empty.
    let mut docker = std::process::Command::new("docker");
    docker
        .args(["ps", "-aq"])
        .env("DOCKER_HOST", format!("unix://{}", socket.display()));
    let ps = crate::harness::run_command(docker, Duration::from_secs(60)).success();
    assert!(ps.stdout.trim().is_empty(), "{ps}");

    // Another repository cannot take over the running network ID.
    let other = t.make_repo("other");
    t.args(["daemon", "start", "--network-id", "2816", "--repo"])
        .args([&other])
        .run()
        .failure()
        .stderr_has("already runs");

    let stopped = t
        .args(["daemon", "stop", "--json"])
        .args(target)
        .run()
        .success()
        .json();
    assert_eq!(stopped["was_running"], true);
    assert_eq!(stopped["pid"].as_i64(), Some(pid));
    assert_eq!(stopped["killed"], false);
    assert!(!socket.exists(), "socket removed after stop");
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists() || !is_dockerd(pid),
        "dockerd {pid} still alive"
    );

    let status = t
        .args(["daemon", "status", "--json"])
        .args(target)
        .run()
        .code(5)
        .json();
    assert_eq!(status["running"], false);
    t.args(["daemon", "status"])
        .args(target)
        .run()
        .code(5)
        .stdout_has("stopped");
    let again = t
        .args(["daemon", "stop", "--json"])
        .args(target)
        .run()
        .success()
        .json();
    assert_eq!(again["was_running"], false);
    let list = t.args(["daemon", "list", "--json"]).run().success().json();
    assert_eq!(list, serde_json::json!([]));

    // It starts again on the same data.
    let restarted = t
        .args(["daemon", "start", "--json"])
        .args(target)
        .run()
        .success()
        .json();
    assert_eq!(restarted["already_running"], false);
    t.args(["daemon", "stop"]).args(target).run().success();
}

fn is_dockerd(pid: i64) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let zombie = stat
        .rsplit_once(')')
        .is_some_and(|(_, r)| r.trim_start().starts_with('Z'));
    !zombie
        && std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "dockerd")
}

/// Two busybox httpd services; each writes a page naming its own address and network, and
/// listens on its own address, port 8080.
const TWO_HTTPD: &str = r#"services:
  web:
    image: renet-test/busybox:1
    restart: always
    stop_signal: SIGKILL
    command: ["sh", "-c", "mkdir -p /www && echo web-$${SERVICE_IP}-$${REDIACC_NETWORK_ID} > /www/index.html && exec httpd -f -p $${SERVICE_IP}:8080 -h /www"]
  api:
    image: renet-test/busybox:1
    stop_signal: SIGKILL
    ports:
      - "8080:8080"
    command: ["sh", "-c", "mkdir -p /www && echo api-$${SERVICE_IP}-$${REDIACC_NETWORK_ID} > /www/index.html && exec httpd -f -p $${SERVICE_IP}:8080 -h /www"]
"#;

#[test]
fn two_repositories_run_the_same_compose_file_side_by_side() {
    two_repositories_side_by_side(
        "two_repositories_run_the_same_compose_file_side_by_side",
        Compose::V2,
    );
}

/// The same on docker-compose 1.29, renet's fallback flavour.
#[test]
fn two_repositories_run_the_same_compose_file_side_by_side_on_compose_v1() {
    two_repositories_side_by_side(
        "two_repositories_run_the_same_compose_file_side_by_side_on_compose_v1",
        Compose::V1,
    );
}

fn two_repositories_side_by_side(test: &str, compose: Compose) {
    let Some(_lock) = compose_lock(test, compose) else {
        return;
    };
    let mut t = Test::with_compose(compose);
    let shop = t.repo().to_owned();
    let blog = t.make_repo("blog");
    t.write(shop.join("docker-compose.yml"), TWO_HTTPD)
        .write(blog.join("docker-compose.yml"), TWO_HTTPD);

    let a = Daemon::start(&t, 2816, &shop);
    let b = Daemon::start(&t, 2880, &blog);
    a.import_busybox();
    b.import_busybox();

    for addr in [
        "127.0.11.2:8080",
        "127.0.11.3:8080",
        "127.0.11.66:8080",
        "127.0.11.67:8080",
    ] {
        wait_address_free(addr);
    }
    let list = t.args(["daemon", "list", "--json"]).run().success().json();
    let ids: Vec<u64> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|d| d["network_id"].as_u64())
        .collect();
    assert_eq!(ids, [2816, 2880], "{list}");
    let up_a = a.compose(["up", "-d"]).success();
    let up_b = b.compose(["up", "-d"]).success();
    // The dropped ports are reported.
    assert!(up_a.stderr.contains("8080:8080"), "{up_a}");

    // api sorts first: slot 0; web: slot 1. Same port, four addresses, four answers.
    let expected = [
        ("127.0.11.2:8080", "api-127.0.11.2-2816"),
        ("127.0.11.3:8080", "web-127.0.11.3-2816"),
        ("127.0.11.66:8080", "api-127.0.11.66-2880"),
        ("127.0.11.67:8080", "web-127.0.11.67-2880"),
    ];
    for (addr, body) in expected {
        assert_eq!(
            http_get(addr).trim(),
            body,
            "GET http://{addr}/\n{up_a}\n{up_b}"
        );
    }

    // What docker sees: containers of the flavour asked for, no restart policy, host
    // networking, the four rediacc labels.
    for (d, repo_name, base) in [(&a, "repo", 0u8), (&b, "blog", 64u8)] {
        d.assert_made_by(compose);
        for (service, slot) in [("api", 0u8), ("web", 1u8)] {
            let id = d.container_of(service);
            let info = d.inspect(&id);
            assert_eq!(
                info["Name"].as_str(),
                Some(compose.container_name(repo_name, service, 1).as_str()),
                "{compose:?} names its containers"
            );
            assert_eq!(
                info["HostConfig"]["RestartPolicy"]["Name"], "no",
                "{service}"
            );
            assert_eq!(info["HostConfig"]["NetworkMode"], "host", "{service}");
            let labels = &info["Config"]["Labels"];
            let ip = format!("127.0.11.{}", base + slot + 2);
            assert_eq!(labels["rediacc.service_name"], service);
            assert_eq!(labels["rediacc.service_ip"], ip.as_str());
            assert_eq!(labels["rediacc.network_id"], d.network_id().to_string());
            assert_eq!(labels["rediacc.repo_name"], repo_name);
            let env: Vec<&str> = info["Config"]["Env"]
                .as_array()
                .expect("Env")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert!(
                env.contains(&format!("SERVICE_IP={ip}").as_str()),
                "{env:?}"
            );
        }
    }

    // The user's restart policy is kept in .rediacc.json, not given to docker.
    for repo in [&shop, &blog] {
        let map: Value = serde_json::from_str(
            &std::fs::read_to_string(repo.join(".rediacc.json")).expect("slot map"),
        )
        .expect("JSON");
        assert_eq!(map["services"]["web"]["restart_policy"], "always", "{map}");
        assert_eq!(map["services"]["web"]["slot"], 1);
        assert_eq!(map["services"]["api"]["slot"], 0);
        assert!(
            map["services"]["api"].get("restart_policy").is_none(),
            "{map}"
        );
    }

    // Services reach each other by name, each within its own repository.
    for (d, body) in [(&a, "api-127.0.11.2-2816"), (&b, "api-127.0.11.66-2880")] {
        let web = d.container_of("web");
        let got = eventually(
            "wget http://api:8080/ from web",
            Duration::from_secs(20),
            || {
                let out = d.docker(["exec", &web, "wget", "-qO-", "http://api:8080/"]);
                (out.status == 0).then_some(out.stdout)
            },
        );
        assert_eq!(got.trim(), body);
    }

    // down in one repository: its containers and addresses are gone, the other is untouched.
    a.compose(["down"]).success();
    assert_eq!(a.containers(), Vec::<String>::new());
    wait_refused("127.0.11.2:8080");
    wait_refused("127.0.11.3:8080");
    assert_eq!(http_get("127.0.11.66:8080").trim(), "api-127.0.11.66-2880");
    assert_eq!(b.containers().len(), 2);

    // Stopping a daemon stops its services; restarted, docker does not bring them back (the
    // policy lives in .rediacc.json, docker was told "no").
    b.renet(["daemon", "stop"]).success();
    wait_refused("127.0.11.66:8080");
    wait_refused("127.0.11.67:8080");
    b.renet(["daemon", "start"]).success();
    let ps = b.docker(["ps", "-q"]).success();
    assert!(
        ps.stdout.trim().is_empty(),
        "nothing restarted by docker\n{ps}"
    );
    assert_eq!(b.containers().len(), 2, "stopped, not removed");

    b.compose(["down"]).success();
    assert_eq!(b.containers(), Vec::<String>::new());
    wait_refused("127.0.11.66:8080");
    wait_refused("127.0.11.67:8080");
}

/// The rewritten model compose runs is private to root, and compose's exit status is renet's.
#[test]
fn compose_model_file_is_private_and_the_exit_status_passes_through() {
    let Some(_lock) = compose_lock(
        "compose_model_file_is_private_and_the_exit_status_passes_through",
        Compose::V2,
    ) else {
        return;
    };
    let mut t = Test::new();
    // Interpolation is compose's job, from the project folder's .env; relative binds resolve
    // against the project folder.
    let compose = TWO_HTTPD.replace(
        "    restart: always\n",
        "    restart: always\n    environment:\n      GREETING: ${GREETING:-unset}\n    volumes:\n      - ./data:/data\n",
    );
    t.write("docker-compose.yml", compose)
        .write(".env", "GREETING=hello-from-dotenv\n");
    let repo = t.repo().to_owned();
    let d = Daemon::start(&t, 2816, &repo);
    let out = d.compose(["config", "--services"]).success();
    let mut services: Vec<&str> = out.stdout.lines().collect();
    services.sort_unstable();
    assert_eq!(services, ["api", "web"], "{out}");
    let model = t.run_dir().join("compose-2816/repo.json");
    let meta = std::fs::metadata(&model).unwrap_or_else(|e| panic!("{}: {e}", model.display()));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o600,
        "{}",
        model.display()
    );
    // What compose itself reads back: host networking, restart "no", the .env value, the bind
    // of the project folder's ./data.
    let config = d.compose(["config"]).success();
    let model: Value = yaml_serde::from_str(&config.stdout)
        .unwrap_or_else(|e| panic!("compose config is not YAML: {e}\n{config}"));
    let web = &model["services"]["web"];
    assert_eq!(web["network_mode"], "host", "{config}");
    assert_eq!(web["restart"], "no", "{config}");
    assert_eq!(
        web["environment"]["GREETING"], "hello-from-dotenv",
        "{config}"
    );
    // v2 prints the long syntax of the short `./data:/data`.
    let bind = &web["volumes"][0];
    assert_eq!(bind["type"], "bind", "{config}");
    assert_eq!(
        bind["source"].as_str(),
        repo.join("data").to_str(),
        "{config}"
    );
    assert_eq!(bind["target"], "/data", "{config}");

    // The caller's DOCKER_HOST / DOCKER_CONTEXT never redirect compose: it talks to the
    // repository's daemon.
    let ps = t
        .args(["compose", "--network-id", "2816", "--", "ps", "-q"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("DOCKER_CONTEXT", "nonexistent")
        .run()
        .success();
    assert!(ps.stdout.trim().is_empty(), "{ps}");

    // An unknown compose subcommand: compose's own exit status (1), its own message (v2's
    // docker CLI words; 1.29 said "No such command").
    let bad = d.compose(["no-such-subcommand"]);
    assert_eq!(bad.status, 1, "{bad}");
    assert!(
        bad.stderr
            .contains(r#"unknown docker command: "compose no-such-subcommand""#),
        "{bad}"
    );
    // Options that would point compose at another daemon are refused before it runs.
    d.compose(["-H", "unix:///var/run/docker.sock", "ps"])
        .code(2)
        .stderr_has("-H");
}

/// `renet daemon start` for network 2816 with a `RENET_RUN_DIR` so deep that the socket path
/// exceeds the 108-byte limit of unix socket addresses: dockerd starts, cannot listen, and exits.
fn start_with_a_socket_path_too_long(t: &mut Test) -> (crate::harness::Output, std::path::PathBuf) {
    let repo = t.repo().to_owned();
    let deep = t.root().join("x".repeat(100));
    let out = t
        .args([
            "daemon",
            "start",
            "--network-id",
            "2816",
            "--timeout",
            "60",
            "--repo",
        ])
        .args([&repo])
        .env("RENET_RUN_DIR", &deep)
        .timeout(Duration::from_secs(120))
        .run();
    (out, deep)
}

#[test]
fn daemon_start_failure_shows_the_log_tail() {
    let Some(_lock) = docker_lock("daemon_start_failure_shows_the_log_tail") else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _guard = Daemon::guard(&t, 2816, &repo).with_run_dir(t.root().join("x".repeat(100)));
    let (out, deep) = start_with_a_socket_path_too_long(&mut t);
    let out = out.code(1);
    let log = deep.join("docker-2816/dockerd.log");
    assert!(
        out.stderr.contains(&log.display().to_string()),
        "the error should name the log\n{out}"
    );
    // The tail itself: dockerd's own words about the socket it could not create.
    assert!(
        out.stderr.contains("Starting up"),
        "log lines expected\n{out}"
    );
    assert!(
        out.stderr.contains("unix socket"),
        "dockerd's reason expected\n{out}"
    );
    assert!(!deep.join("docker-2816.sock").exists());
    t.args(["daemon", "status", "--network-id", "2816"])
        .env("RENET_RUN_DIR", &deep)
        .run()
        .code(5);
}

#[test]
fn daemon_start_with_an_uncreatable_data_root_names_the_path() {
    let Some(_lock) = docker_lock("daemon_start_with_an_uncreatable_data_root_names_the_path")
    else {
        return;
    };
    let mut t = Test::new();
    // A file where the data folder should be: a clear error naming the path, and no daemon.
    let blocked = t.make_repo("blocked");
    std::fs::write(blocked.join(".rediacc"), "not a folder").expect("write blocker");
    let _guard = Daemon::guard(&t, 2880, &blocked);
    let out = t
        .args(["daemon", "start", "--network-id", "2880", "--repo"])
        .args([&blocked])
        .run()
        .code(1);
    assert!(
        out.stderr
            .contains(&blocked.join(".rediacc").display().to_string()),
        "{out}"
    );
    assert!(!t.run_dir().join("docker-2880.sock").exists());
    t.args(["daemon", "status", "--network-id", "2880"])
        .run()
        .code(5);
}

/// dockerd bind-mounts its data-root onto itself at start-up and undoes that on a clean
/// shutdown only; when it dies during start-up, renet has to clean up, or the repository
/// cannot even be deleted (EBUSY).
#[test]
fn failed_daemon_start_leaves_nothing_mounted() {
    let Some(_lock) = docker_lock("failed_daemon_start_leaves_nothing_mounted") else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _guard = Daemon::guard(&t, 2816, &repo).with_run_dir(t.root().join("x".repeat(100)));
    let (out, _) = start_with_a_socket_path_too_long(&mut t);
    let out = out.code(1);
    let left = mounts_under(t.root());
    assert!(
        left.is_empty(),
        "still mounted after the failed start: {left:?}\n{out}"
    );
}

/// After dockerd dies without a clean shutdown (OOM kill, kill -9), `status` says so and
/// `start` brings it back; afterwards a clean stop leaves nothing mounted in the repository
/// (dockerd's data-root self-bind-mount from the dead daemon included).
#[test]
fn daemon_restarts_after_a_crash_and_leaves_nothing_mounted() {
    let Some(_lock) = docker_lock("daemon_restarts_after_a_crash_and_leaves_nothing_mounted")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let d = Daemon::start(&t, 2816, &repo);
    let pid_of = |file: &str| -> i32 {
        std::fs::read_to_string(d.dir().join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .trim()
            .parse()
            .expect("a pid")
    };
    let dockerd = pid_of("docker.pid");
    let containerd = pid_of("exec/containerd/containerd.pid");
    // The crash: SIGKILL to the dockerd this test started.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(dockerd),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill dockerd");
    // Wait until both are gone for good (reaped, not even zombies).
    for pid in [dockerd, containerd] {
        eventually(
            &format!("process {pid} to be reaped"),
            Duration::from_secs(30),
            || (!std::path::Path::new(&format!("/proc/{pid}")).exists()).then_some(()),
        );
    }
    d.renet(["daemon", "status"]).code(5);
    let started = d.renet(["daemon", "start", "--json"]).success().json();
    assert_eq!(started["already_running"], false);
    d.renet(["daemon", "status"]).success();
    d.renet(["daemon", "stop"]).success();
    let left = mounts_under(t.root());
    assert!(
        left.is_empty(),
        "still mounted after a clean stop: {left:?}"
    );
    drop(d);
    let _ = t.args(["daemon", "list"]).run();
}

/// Two `renet daemon start` at the same moment (two deploys, or systemd and an operator): one
/// dockerd, both commands succeed and name that one daemon, and a stop cleans up completely.
#[test]
fn concurrent_daemon_starts_share_one_dockerd() {
    let Some(_lock) = docker_lock("concurrent_daemon_starts_share_one_dockerd") else {
        return;
    };
    for round in 0..3 {
        let mut t = Test::new();
        let repo = t.repo().to_owned();
        let d = Daemon::guard(&t, 2816, &repo);
        let commands: Vec<_> = (0..2)
            .map(|_| {
                t.args([
                    "daemon",
                    "start",
                    "--json",
                    "--network-id",
                    "2816",
                    "--repo",
                ])
                .args([&repo])
                .command()
            })
            .collect();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let handles: Vec<_> = commands
            .into_iter()
            .map(|cmd| {
                let barrier = std::sync::Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    crate::harness::run_command(cmd, Duration::from_secs(120))
                })
            })
            .collect();
        let reports: Vec<Value> = handles
            .into_iter()
            .map(|h| h.join().expect("start thread").success().json())
            .collect();
        let status = d.renet(["daemon", "status", "--json"]).success().json();
        let live = status["pid"].as_i64().expect("a live pid");
        for r in &reports {
            assert_eq!(
                r["pid"].as_i64(),
                Some(live),
                "round {round}: start reported a pid that is not the running dockerd: {reports:?}"
            );
        }
        let fresh = reports
            .iter()
            .filter(|r| r["already_running"] == false)
            .count();
        assert_eq!(
            fresh, 1,
            "round {round}: exactly one start starts it: {reports:?}"
        );
        d.renet(["daemon", "stop"]).success();
        let left = mounts_under(t.root());
        assert!(
            left.is_empty(),
            "round {round}: still mounted after stop: {left:?}"
        );
    }
}
