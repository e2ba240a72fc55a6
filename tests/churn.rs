//! Names without churn (issue 9, SPEC section 3 step 4), on a real daemon with Compose v2:
//! adding or removing a service recreates no other container, running containers resolve a new
//! service at once, and every service reaches every other by name through the hosts file renet
//! mounts at /etc/hosts.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::harness::{Daemon, Output, Test, docker_lock, eventually, skip};

/// One busybox httpd service answering its own name on its own address, port 8080.
fn service(name: &str, extra: &str) -> String {
    format!(
        r#"  {name}:
    image: renet-test/busybox:1
    stop_signal: SIGKILL
{extra}    command: ["sh", "-c", "mkdir -p /www && echo {name} > /www/index.html && exec httpd -f -p $${{SERVICE_IP}}:8080 -h /www"]
"#
    )
}

fn compose_file(services: &[(&str, &str)]) -> String {
    let mut text = "services:\n".to_owned();
    for (name, extra) in services {
        text.push_str(&service(name, extra));
    }
    text
}

/// alpha has an extra_hosts entry of its own: it must survive in its hosts file.
const ALPHA_EXTRA: &str = "    extra_hosts: [\"outside.test:10.1.2.3\"]\n";

/// The private DOCKER_CONFIG whose cli-plugins folder holds Compose v2: `RENET_DOCKER_CONFIG_V2`
/// (set by `.ci/run`), else `target/ci-docker-v2`.
fn v2_docker_config() -> Option<PathBuf> {
    let dir = std::env::var_os("RENET_DOCKER_CONFIG_V2").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-docker-v2"),
        PathBuf::from,
    );
    dir.join("cli-plugins/docker-compose")
        .is_file()
        .then_some(dir)
}

/// `renet compose --network-id 2816 -- <args>` with Compose v2 as the docker plugin.
fn compose(t: &mut Test, config: &Path, args: &[&str]) -> Output {
    t.env("DOCKER_CONFIG", config)
        .args(["compose", "--network-id", "2816", "--"])
        .args(args)
        .run()
}

/// `wget http://<target>:8080/` inside `from`'s container, until it answers (the services'
/// httpd may still be starting).
fn reaches(d: &Daemon, from: &str, target: &str) {
    let id = d.container_of(from);
    let url = format!("http://{target}:8080/");
    let body = eventually(
        &format!("{from} reaching {url}"),
        Duration::from_secs(20),
        || {
            let out = d.docker(["exec", &id, "wget", "-qO-", &url]);
            (out.status == 0).then_some(out.stdout)
        },
    );
    assert_eq!(body.trim(), target, "{from} -> {url}");
}

fn etc_hosts(d: &Daemon, service: &str) -> String {
    let id = d.container_of(service);
    d.docker(["exec", &id, "cat", "/etc/hosts"])
        .success()
        .stdout
}

fn inode(path: &Path) -> u64 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .ino()
}

#[test]
fn adding_and_removing_a_service_recreates_nothing_else() {
    let test = "adding_and_removing_a_service_recreates_nothing_else";
    let Some(config) = v2_docker_config() else {
        skip(
            test,
            "no Compose v2 plugin (RENET_DOCKER_CONFIG_V2 or target/ci-docker-v2)",
        );
        return;
    };
    let Some(_lock) = docker_lock(test) else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    t.write(
        "compose.yaml",
        compose_file(&[("alpha", ALPHA_EXTRA), ("beta", "")]),
    );
    let d = Daemon::start(&t, 2816, &repo);
    d.import_busybox();
    compose(&mut t, &config, &["up", "-d"]).success();
    let (alpha, beta) = (d.container_of("alpha"), d.container_of("beta"));
    let version = &d.inspect(&alpha)["Config"]["Labels"]["com.docker.compose.version"];
    assert!(
        version.as_str().is_some_and(|v| v.starts_with('2')),
        "Compose v2 ran: {version}"
    );
    reaches(&d, "alpha", "beta");
    reaches(&d, "beta", "alpha");
    // dockerd left /etc/hosts to renet's file, which holds alpha's own extra_hosts too.
    let hosts = etc_hosts(&d, "alpha");
    assert!(hosts.contains("kept by renet"), "{hosts}");
    assert!(hosts.contains("10.1.2.3\toutside.test"), "{hosts}");
    let alpha_file = t.state_dir().join("hosts/2816/alpha");
    let alpha_inode = inode(&alpha_file);

    // A third service: the others keep their containers, and resolve it at once.
    t.write(
        "compose.yaml",
        compose_file(&[("alpha", ALPHA_EXTRA), ("beta", ""), ("gamma", "")]),
    );
    compose(&mut t, &config, &["up", "-d"]).success();
    assert_eq!(d.container_of("alpha"), alpha, "alpha recreated");
    assert_eq!(d.container_of("beta"), beta, "beta recreated");
    reaches(&d, "alpha", "gamma");
    reaches(&d, "gamma", "alpha");
    reaches(&d, "beta", "gamma");
    assert_eq!(inode(&alpha_file), alpha_inode, "rewritten in place");
    let gamma = d.container_of("gamma");

    // beta removed, its slot freed: the others keep their containers and still reach each
    // other; beta's name is gone from their hosts files.
    t.write(
        "compose.yaml",
        compose_file(&[("alpha", ALPHA_EXTRA), ("gamma", "")]),
    );
    compose(&mut t, &config, &["up", "-d", "--remove-orphans"]).success();
    t.args(["slots", "prune", "--network-id", "2816"])
        .run()
        .success()
        .stderr_has("beta freed");
    assert_eq!(d.container_of("alpha"), alpha, "alpha recreated");
    assert_eq!(d.container_of("gamma"), gamma, "gamma recreated");
    reaches(&d, "alpha", "gamma");
    reaches(&d, "gamma", "alpha");
    let hosts = etc_hosts(&d, "gamma");
    assert!(!hosts.contains("beta"), "{hosts}");
    assert!(hosts.contains("\talpha\n"), "{hosts}");
    assert!(!t.state_dir().join("hosts/2816/beta").exists());
    assert_eq!(inode(&alpha_file), alpha_inode, "rewritten in place");

    compose(&mut t, &config, &["down"]).success();
}
