//! What the operator sees of repositories (issues 11 and 12): `repository up|status|list` with
//! each service's URLs and leases, the refusal of a daemon that serves another repository by
//! `compose`, `docker` and `repository`, `repository down` and the registry, and `up`'s wait
//! for the services' ports (readiness).
//!
//! Real daemons and Compose v2; the services are busybox `httpd`s answering on their own
//! loopback address. Network IDs 4352, 4416, 4480 (blocks 127.0.17.0/26, .64/26, .128/26).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::harness::{
    Compose, Daemon, Output, Test, compose_lock, eventually, http_get, wait_address_free,
};

/// A Rediaccfile that brings its folder's compose project up and down.
const REDIACCFILE: &str =
    "up() {\n    renet compose -- up -d\n}\n\ndown() {\n    renet compose -- down\n}\n";

/// A busybox httpd on `$SERVICE_IP:8080` (docker-init forwards SIGTERM: `down` is quick).
fn httpd(labels: &str) -> String {
    format!(
        "    image: renet-test/busybox:1\n    init: true\n    labels:\n{labels}    command:\n      - sh\n      - -c\n      - mkdir -p /tmp/www && echo \"$$SERVICE_IP\" > /tmp/www/index.html && exec httpd -f -p $${{SERVICE_IP}}:8080 -h /tmp/www\n"
    )
}

fn write(repo: &Path, rel: &str, text: &str) {
    let p = repo.join(rel);
    fs::create_dir_all(p.parent().expect("a parent")).expect("create folders");
    fs::write(&p, text).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
}

/// A repository with one routed, leased web service (`rediacc.domain` = `domain`).
fn web_repo(t: &Test, folder: &str, domain: &str) -> PathBuf {
    let repo = t.make_repo(folder);
    let labels = format!(
        "      rediacc.service_port: \"8080\"\n      rediacc.domain: \"{domain}\"\n      rediacc.tcp_ports: \"8080\"\n"
    );
    write(
        &repo,
        "compose.yaml",
        &format!("services:\n  web:\n{}", httpd(&labels)),
    );
    write(&repo, "Rediaccfile", REDIACCFILE);
    repo
}

fn repository(t: &mut Test, action: &str, repo: &Path, id: u32, extra: &[&str]) -> Output {
    t.args(["repository", action, "--path"])
        .args([repo])
        .args(["--network-id", &id.to_string()])
        .args(extra)
        .run()
}

/// The daemon of `id` for `repo`, started, with the test image.
fn daemon(t: &Test, id: u32, repo: &Path) -> Daemon {
    let d = Daemon::start(t, id, repo);
    d.import_busybox();
    d
}

fn service<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no service {name} in {report:#}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("{v} is not an array"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_owned())
        .collect()
}

fn canonical(p: &Path) -> String {
    p.canonicalize().expect("canonical").display().to_string()
}

/// `repository up|status|list` show the URLs the route server gives each service (from the
/// machine settings) and its leases, in JSON and for people; `down` keeps the repository in
/// the list, marked down.
#[test]
fn repoux_two_repositories_show_their_urls_and_leases() {
    let Some(_lock) = compose_lock(
        "repoux_two_repositories_show_their_urls_and_leases",
        Compose::V2,
    ) else {
        return;
    };
    let mut t = Test::new();
    for addr in ["127.0.17.2:8080", "127.0.17.66:8080"] {
        wait_address_free(addr);
    }
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
    let shop = web_repo(&t, "shop", "shop,www.shop.io");
    let blog = web_repo(&t, "blog", "blog");
    let d1 = daemon(&t, 4352, &shop);
    let d2 = daemon(&t, 4416, &blog);

    let up = repository(&mut t, "up", &shop, 4352, &["--name", "shop", "--json"]).success();
    let report = up.json();
    let web = service(&report, "web");
    assert_eq!(
        strings(&web["urls"]),
        [
            "https://web.shop.box1.example.com",
            "https://shop.example.com",
            "https://shop.box1.example.com",
            "https://www.shop.io",
        ],
        "{report:#}"
    );
    let lease = &web["leases"][0];
    assert_eq!(
        (&lease["service"], &lease["proto"], &lease["container_port"]),
        (&Value::from("web"), &Value::from("tcp"), &Value::from(8080)),
        "{report:#}"
    );
    let shop_port = lease["external_port"].as_u64().expect("an external port");
    assert_eq!(web["readiness"]["state"], "ok", "{report:#}");
    assert_eq!(strings(&web["readiness"]["ports"]), ["tcp 127.0.17.2:8080"]);
    assert_eq!(http_get("127.0.17.2:8080").trim(), "127.0.17.2");

    // For people: the URLs and the lease under the service, on stderr.
    let up = repository(&mut t, "up", &blog, 4416, &["--name", "blog"]).success();
    for needle in [
        "https://web.blog.box1.example.com",
        "https://blog.example.com",
        "https://blog.box1.example.com",
        "lease tcp 8080 -> ",
        "web: listening on tcp 127.0.17.66:8080",
    ] {
        assert!(up.stderr.contains(needle), "{needle:?} missing\n{up}");
    }

    let status = repository(&mut t, "status", &shop, 4352, &["--json"]).success();
    let doc = status.json();
    let web = service(&doc, "web");
    assert_eq!(
        web["urls"][0], "https://web.shop.box1.example.com",
        "{doc:#}"
    );
    assert_eq!(web["leases"][0]["external_port"], shop_port, "{doc:#}");
    assert!(
        web.get("readiness").is_none(),
        "status does not wait\n{doc:#}"
    );
    let status = repository(&mut t, "status", &blog, 4416, &[]).success();
    assert!(
        status.stderr.contains("https://web.blog.box1.example.com"),
        "{status}"
    );

    // Both repositories listed with their URLs and leases.
    let list = t
        .args(["repository", "list", "--json"])
        .run()
        .success()
        .json();
    let rows = list["repositories"].as_array().expect("repositories");
    let got: Vec<(&str, &str, bool, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or_default(),
                r["state"].as_str().unwrap_or_default(),
                r["daemon_running"].as_bool().unwrap_or_default(),
                r["services_running"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("shop", "up", true, 1), ("blog", "up", true, 1)],
        "{list:#}"
    );
    assert_eq!(rows[0]["path"], canonical(&shop));
    let urls: Vec<(&str, &str)> = rows[1]["urls"]
        .as_array()
        .expect("urls")
        .iter()
        .map(|u| {
            (
                u["service"].as_str().unwrap_or_default(),
                u["url"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        urls,
        [
            ("web", "https://web.blog.box1.example.com"),
            ("web", "https://blog.example.com"),
            ("web", "https://blog.box1.example.com"),
        ],
        "{list:#}"
    );
    assert_eq!(rows[0]["leases"][0]["external_port"], shop_port, "{list:#}");
    let human = t.args(["repository", "list"]).run().success();
    let lines: Vec<&str> = human.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{human}");
    assert!(
        lines[0].starts_with("shop")
            && lines[0].contains("https://www.shop.io")
            && lines[0].contains(&format!("web:8080/tcp->{shop_port}")),
        "{human}"
    );
    assert!(
        lines[1].starts_with("blog") && lines[1].contains(" up "),
        "{human}"
    );

    // Down: still listed, marked down, its daemon as it is.
    repository(&mut t, "down", &shop, 4352, &["--stop-daemon"]).success();
    let list = t
        .args(["repository", "list", "--json"])
        .run()
        .success()
        .json();
    let first = &list["repositories"][0];
    assert_eq!(
        (&first["name"], &first["state"], &first["daemon_running"]),
        (
            &Value::from("shop"),
            &Value::from("down"),
            &Value::from(false)
        ),
        "{list:#}"
    );
    repository(&mut t, "down", &blog, 4416, &["--stop-daemon"]).success();
    drop((d1, d2));
}

/// A daemon started for repository A is refused to repository B by `compose`, `docker`,
/// `daemon start` and `repository up|down|status`: exit 4 (kind `identity`), both folders
/// named with the fix, B's `.rediacc.json` byte-identical and no container created on A.
#[test]
fn repoux_a_daemon_of_another_repository_is_refused_by_every_command() {
    let Some(_lock) = compose_lock(
        "repoux_a_daemon_of_another_repository_is_refused_by_every_command",
        Compose::V2,
    ) else {
        return;
    };
    let mut t = Test::new();
    wait_address_free("127.0.17.2:8080");
    let a = web_repo(&t, "alpha", "alpha");
    let b = web_repo(&t, "beta", "beta");
    let da = daemon(&t, 4352, &a);
    repository(&mut t, "up", &a, 4352, &[]).success();
    let before = da.containers();
    assert_eq!(before.len(), 1, "A runs its web service");
    // B has a slot map of its own, but no identity yet: only the daemon's marker can tell.
    t.args(["slots", "sync", "--repo"])
        .args([&b])
        .run()
        .success();
    let map = b.join(".rediacc.json");
    let kept = fs::read(&map).expect("B's slot map");
    let (a_path, b_path) = (canonical(&a), canonical(&b));
    let refused = |out: &Output| {
        assert_eq!(out.status, 4, "expected the refusal (exit 4)\n{out}");
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(
            text.contains(&a_path) && text.contains(&b_path),
            "both repositories named\n{out}"
        );
        assert!(
            text.contains("renet daemon stop --network-id 4352"),
            "the fix\n{out}"
        );
    };

    let compose = t
        .args(["compose", "--network-id", "4352", "--repo"])
        .args([&b])
        .args(["--", "up", "-d"])
        .run();
    refused(&compose);
    let json = t
        .args(["compose", "--json", "--network-id", "4352", "--repo"])
        .args([&b])
        .args(["--", "up", "-d"])
        .run();
    refused(&json);
    assert_eq!(json.json()["error"]["kind"], "identity", "{json}");
    refused(
        &t.args(["docker", "--network-id", "4352", "--repo"])
            .args([&b])
            .args(["--", "run", "-d", "renet-test/busybox:1", "sleep", "60"])
            .run(),
    );
    for action in ["up", "status", "down"] {
        refused(&repository(&mut t, action, &b, 4352, &[]));
    }
    // A deliberate rename is no way around it, and keeps no name.
    refused(&repository(
        &mut t,
        "up",
        &b,
        4352,
        &["--name", "other", "--rename"],
    ));
    refused(
        &t.args(["daemon", "start", "--network-id", "4352", "--repo"])
            .args([&b])
            .run(),
    );
    assert_eq!(
        fs::read(&map).ok(),
        Some(kept),
        "B's slot map is byte-identical"
    );
    assert_eq!(
        da.containers(),
        before,
        "no container created on A's daemon"
    );
    let registry = fs::read_to_string(t.state_dir().join("repositories.json")).expect("registry");
    assert!(
        !registry.contains(&b_path),
        "B is not registered\n{registry}"
    );

    // A registry that says B runs on A's network (edited by hand): `list` does not show A's
    // containers as B's, and says why.
    let edited = registry.replace(&a_path, &b_path);
    fs::write(t.state_dir().join("repositories.json"), edited).expect("edit the registry");
    let list = t
        .args(["repository", "list", "--json"])
        .run()
        .success()
        .json();
    let row = &list["repositories"][0];
    assert_eq!(row["services_running"], 0, "{list:#}");
    assert!(
        row["urls"].as_array().is_some_and(Vec::is_empty),
        "{list:#}"
    );
    assert!(
        row["error"].as_str().is_some_and(|e| e.contains(&a_path)),
        "{list:#}"
    );
    fs::write(t.state_dir().join("repositories.json"), &registry).expect("restore the registry");

    // Outside any repository, `renet docker` still reaches the daemon (nothing to compare).
    let outside = t.root().to_owned();
    let ps = t
        .args(["docker", "--network-id", "4352", "--", "ps", "-q"])
        .current_dir(outside)
        .run()
        .success();
    assert_eq!(ps.stdout.split_whitespace().count(), 1, "{ps}");
    // A's own commands still work.
    repository(&mut t, "status", &a, 4352, &[]).success();
    repository(&mut t, "down", &a, 4352, &["--stop-daemon"]).success();
    drop(da);
}

/// `repository down` keeps the registry entry, marked down: `list` shows it, `machine units`
/// does not bring it up at boot; `--forget` removes it. No daemon needed: down of a repository
/// already down does nothing but that.
#[test]
fn repoux_down_marks_the_registry_and_forget_removes_the_entry() {
    let mut t = Test::new();
    let repo = t.make_repo("shop");
    let other = t.make_repo("blog");
    for r in [&repo, &other] {
        write(r, "Rediaccfile", "down() {\n    true\n}\n");
        write(
            r,
            ".rediacc.json",
            "{\"services\": {\"web\": {\"slot\": 0}}}\n",
        );
    }
    fs::create_dir_all(t.state_dir()).expect("state folder");
    let registry = t.state_dir().join("repositories.json");
    let entries = serde_json::json!({"repositories": [
        {"name": "shop", "path": canonical(&repo), "network_id": 4480},
        {"name": "blog", "path": canonical(&other), "network_id": 4544},
    ]});
    fs::write(&registry, entries.to_string()).expect("write the registry");

    repository(&mut t, "down", &repo, 4480, &[]).success();
    let doc: Value =
        serde_json::from_str(&fs::read_to_string(&registry).expect("registry")).expect("JSON");
    let states: Vec<(&str, &str)> = doc["repositories"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap_or_default(),
                e["state"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(states, [("shop", "down"), ("blog", "up")], "{doc:#}");
    let once = fs::read(&registry).expect("registry");
    repository(&mut t, "down", &repo, 4480, &[]).success();
    assert_eq!(
        fs::read(&registry).ok(),
        Some(once),
        "down twice changes nothing"
    );

    let list = t.args(["repository", "list"]).run().success();
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert!(
        lines.len() == 2 && lines[0].starts_with("shop") && lines[0].contains(" down "),
        "{list}"
    );
    // Boot brings up only what is up.
    let root = t.root().join("units");
    t.args(["machine", "units", "--root"])
        .args([&root])
        .run()
        .success();
    let boot = fs::read_to_string(root.join("etc/systemd/system/rediacc-repositories.service"))
        .expect("the boot unit");
    assert!(boot.contains(&canonical(&other)), "{boot}");
    assert!(
        !boot.contains(&canonical(&repo)),
        "a repository down is not brought up\n{boot}"
    );

    let out = repository(&mut t, "down", &repo, 4480, &["--forget", "--json"]).success();
    assert_eq!(out.json()["ok"], true, "{out}");
    let doc: Value =
        serde_json::from_str(&fs::read_to_string(&registry).expect("registry")).expect("JSON");
    let names: Vec<&str> = doc["repositories"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, ["blog"], "{doc:#}");
}

/// `repository up` waits for every service's ports: one that listens is ok, one that exits at
/// once is reported with its exit code and log line, one that never listens (its port from
/// `expose:`) is reported after `--wait 2`; exit 1 and the failures listed. `--wait 0` does not
/// wait (exit 0), and `status` then exits 1 for the service that is not running.
#[test]
fn repoux_readiness_names_what_exited_and_what_never_listened() {
    let Some(_lock) = compose_lock(
        "repoux_readiness_names_what_exited_and_what_never_listened",
        Compose::V2,
    ) else {
        return;
    };
    let mut t = Test::new();
    let repo = t.make_repo("ready");
    let model = format!(
        "services:\n  web:\n{}\
         \x20 boom:\n    image: renet-test/busybox:1\n    labels:\n      rediacc.service_port: \"8080\"\n    command: [\"sh\", \"-c\", \"echo boom; exit 3\"]\n\
         \x20 sleeper:\n    image: renet-test/busybox:1\n    init: true\n    expose: [\"8080\"]\n    command: [\"sleep\", \"3600\"]\n",
        httpd("      rediacc.service_port: \"8080\"\n")
    );
    write(&repo, "compose.yaml", &model);
    write(&repo, "Rediaccfile", REDIACCFILE);
    let d = daemon(&t, 4480, &repo);
    for slot in 2..5 {
        wait_address_free(&format!("127.0.17.{}:8080", 128 + slot));
    }

    let out = repository(&mut t, "up", &repo, 4480, &["--wait", "2", "--json"]).code(1);
    let report = out.json();
    assert_eq!(report["ok"], false, "{report:#}");
    let web = service(&report, "web");
    assert_eq!(web["readiness"]["state"], "ok", "{report:#}");
    let boom = &service(&report, "boom")["readiness"];
    assert_eq!(boom["state"], "exited", "{report:#}");
    assert_eq!(boom["exit_code"], 3, "{report:#}");
    assert!(
        strings(&boom["logs"]).contains(&"boom".to_owned()),
        "{report:#}"
    );
    let sleeper = service(&report, "sleeper");
    let address = sleeper["address"].as_str().expect("an address");
    assert_eq!(sleeper["readiness"]["state"], "not_listening", "{report:#}");
    assert_eq!(
        strings(&sleeper["readiness"]["not_listening"]),
        [format!("tcp {address}:8080")],
        "{report:#}"
    );
    let failures = strings(&report["failures"]);
    assert_eq!(
        failures,
        [
            "boom: exited (3)".to_owned(),
            format!("sleeper: not listening on tcp {address}:8080 after 2s"),
        ],
        "{report:#}"
    );
    // Progress and the logs on stderr.
    assert!(
        out.stderr.contains("waiting up to 2s for 3 service(s)"),
        "{out}"
    );
    assert!(out.stderr.contains("  boom: exited (3)"), "{out}");

    // For people: the log line under the service that exited.
    let human = repository(&mut t, "up", &repo, 4480, &["--wait", "2"]).code(1);
    assert!(human.stderr.contains("| boom"), "{human}");
    assert!(human.stderr.contains("failures:"), "{human}");

    // `--wait 0` does not wait: up succeeds, and status tells what is not running.
    let out = repository(&mut t, "up", &repo, 4480, &["--wait", "0", "--json"]).success();
    assert_eq!(
        service(&out.json(), "boom")["readiness"]["state"],
        "not_checked",
        "{out}"
    );
    // `up` started boom again: once it has exited again, status says so.
    eventually("boom to exit again", Duration::from_secs(30), || {
        let ps = d.docker([
            "ps",
            "-a",
            "--filter",
            "label=com.docker.compose.service=boom",
            "--format",
            "{{.State}}",
        ]);
        (ps.stdout.trim() == "exited").then_some(())
    });
    let status = repository(&mut t, "status", &repo, 4480, &["--json"]).code(1);
    let failures = strings(&status.json()["failures"]);
    assert!(
        failures
            .iter()
            .any(|f| f.starts_with("boom: not running (exited")),
        "{failures:?}"
    );
    repository(&mut t, "down", &repo, 4480, &["--stop-daemon"]).success();
    drop(d);
}
