//! The binary's contract with no Docker daemon: addresses, the slot map, input errors, the
//! compose rewrite in `--dry-run`, and concurrent writers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Barrier};
use std::thread;

use serde_json::Value;

use crate::harness::{Output, Test, is_empty_dir, run_command};

/// `renet ip --network-id <id> [--slot <slot>]`.
fn ip(id: &str, slot: Option<&str>) -> Output {
    // `--flag=value`, so negative numbers reach renet instead of looking like flags.
    let mut t = Test::new();
    t.args(["ip".to_owned(), format!("--network-id={id}")]);
    if let Some(s) = slot {
        t.args([format!("--slot={s}")]);
    }
    t.run()
}

/// A compose file with one busybox-like service per name.
fn compose_file(names: &[&str]) -> String {
    let mut s = String::from("services:\n");
    for n in names {
        s.push_str(&format!("  {n}:\n    image: busybox\n"));
    }
    s
}

/// Service name -> slot, from `.rediacc.json`.
fn slots_of(t: &Test) -> BTreeMap<String, u64> {
    t.slot_map()["services"]
        .as_object()
        .expect("services object")
        .iter()
        .map(|(k, v)| (k.clone(), v["slot"].as_u64().expect("numeric slot")))
        .collect()
}

fn names(rows: &Value) -> Vec<(String, u64)> {
    rows.as_array()
        .expect("array")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().expect("name").to_owned(),
                r["slot"].as_u64().expect("slot"),
            )
        })
        .collect()
}

fn owned(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(n, s)| ((*n).to_owned(), *s)).collect()
}

// ---------------------------------------------------------------------------------------------
// renet ip
// ---------------------------------------------------------------------------------------------

#[test]
fn ip_prints_the_block() {
    let out = ip("2816", None).success();
    assert_eq!(out.stdout, "127.0.11.0/26\n");
    assert_eq!(ip("2880", None).success().stdout, "127.0.11.64/26\n");
    assert_eq!(ip("16711680", None).success().stdout, "127.255.0.0/26\n");
}

#[test]
fn ip_slot_addresses_of_the_spec_examples() {
    for (id, slot, addr) in [
        ("2816", "0", "127.0.11.2"),
        ("2880", "0", "127.0.11.66"),
        ("6336", "1", "127.0.24.195"),
        ("16711680", "60", "127.255.0.62"),
        ("2816", "60", "127.0.11.62"),
    ] {
        let out = ip(id, Some(slot)).success();
        assert_eq!(out.stdout, format!("{addr}\n"), "{out}");
    }
}

#[test]
fn ip_errors_are_verbatim_with_a_non_zero_exit() {
    for (id, message) in [
        ("2752", "invalid network ID: must be >= 2816"),
        ("-64", "invalid network ID: must be >= 2816"),
        ("0", "invalid network ID: must be >= 2816"),
        ("2817", "invalid network ID: must be 2816 + (n * 64)"),
        ("2900", "invalid network ID: must be 2816 + (n * 64)"),
        ("16711744", "invalid network ID: must be <= 16711680"),
        ("abc", "invalid network ID: not an integer: \"abc\""),
        ("28.16", "invalid network ID: not an integer: \"28.16\""),
    ] {
        let out = ip(id, None).failure().stderr_has(message);
        assert!(out.stdout.is_empty(), "nothing on stdout on error\n{out}");
    }
    for slot in ["61", "-1", "x"] {
        ip("2816", Some(slot)).failure().stderr_has("slot");
    }
}

#[test]
fn ip_json() {
    let block = Test::new()
        .args(["ip", "--network-id", "2816", "--json"])
        .run()
        .success()
        .json();
    assert_eq!(block["network_id"], 2816);
    assert_eq!(block["block"], "127.0.11.0/26");
    assert_eq!(block["first_service_address"], "127.0.11.2");
    assert_eq!(block["last_service_address"], "127.0.11.62");

    let slot = Test::new()
        .args(["ip", "--network-id", "6336", "--slot", "1", "--json"])
        .run()
        .success()
        .json();
    assert_eq!(slot["address"], "127.0.24.195");
    assert_eq!(slot["slot"], 1);

    // With --json an error is a JSON document on stdout too.
    let out = Test::new()
        .args(["ip", "--network-id", "2817", "--json"])
        .run()
        .failure();
    let err = out.json();
    assert_eq!(
        err["error"]["message"], "invalid network ID: must be 2816 + (n * 64)",
        "{out}"
    );
    assert_eq!(err["error"]["exit_code"], i64::from(out.status), "{out}");
    assert!(err["error"]["kind"].is_string(), "{out}");
}

#[test]
fn missing_network_id_names_every_source() {
    let out = Test::new().args(["ip"]).run().failure();
    for name in [
        "--network-id",
        "REDIACC_NETWORK_ID",
        "REPOSITORY_NETWORK_ID",
    ] {
        assert!(out.stderr.contains(name), "error should name {name}\n{out}");
    }
    // Also for compose, which needs it before anything else.
    Test::new()
        .write("compose.yaml", compose_file(&["web"]))
        .args(["compose", "--", "ps"])
        .run()
        .failure()
        .stderr_has("REPOSITORY_NETWORK_ID");
}

#[test]
fn network_id_from_the_environment() {
    let mut t = Test::new();
    t.args(["ip"])
        .env("REDIACC_NETWORK_ID", "2880")
        .run()
        .success()
        .stdout_has("127.0.11.64/26");
    // The legacy name works on its own.
    t.args(["ip"])
        .env("REPOSITORY_NETWORK_ID", "2944")
        .run()
        .success()
        .stdout_has("127.0.11.128/26");
    // The new name wins over the legacy one; the flag wins over both.
    let out = t
        .args(["ip"])
        .env("REDIACC_NETWORK_ID", "2880")
        .env("REPOSITORY_NETWORK_ID", "2944")
        .run()
        .success();
    assert_eq!(out.stdout, "127.0.11.64/26\n");
    let out = t
        .args(["ip", "--network-id", "2816"])
        .env("REDIACC_NETWORK_ID", "2880")
        .env("REPOSITORY_NETWORK_ID", "2944")
        .run()
        .success();
    assert_eq!(out.stdout, "127.0.11.0/26\n");
    // A bad value from the environment gets the same verbatim message.
    t.args(["ip"])
        .env("REDIACC_NETWORK_ID", "100")
        .run()
        .failure()
        .stderr_has("invalid network ID: must be >= 2816");
}

// ---------------------------------------------------------------------------------------------
// renet slots
// ---------------------------------------------------------------------------------------------

/// Root compose file plus two Rediaccfile folders; a hidden folder, a folder without
/// Rediaccfile and a second-level Rediaccfile folder that must all be ignored.
fn layout() -> Test {
    let mut t = Test::new();
    t.write(
        ".rediacc.json",
        "{\"is_fork\": true, \"grand_guid\": \"g-1\", \"name\": \"shop\"}\n",
    )
    .write("Rediaccfile", "up() { :; }\n")
    .write("docker-compose.yml", compose_file(&["web", "api", "Mail"]))
    .write("a-app/Rediaccfile", "up() { :; }\n")
    .write("a-app/compose.yaml", compose_file(&["queue", "db"]))
    .write("b-app/rediaccfile", "")
    .write(
        "b-app/docker-compose.yaml",
        compose_file(&["worker", "cache"]),
    )
    .write(".hidden/Rediaccfile", "")
    .write(".hidden/compose.yaml", compose_file(&["ghost"]))
    .write("plain/compose.yaml", compose_file(&["phantom"]))
    .write("a-app/nested/Rediaccfile", "")
    .write("a-app/nested/compose.yaml", compose_file(&["deep"]));
    t
}

#[test]
fn slots_sync_gives_slots_in_byte_order() {
    let mut t = layout();
    let out = t
        .args(["slots", "sync", "--json", "--network-id", "2816"])
        .run()
        .success();
    let expected = [
        ("Mail", 0),
        ("api", 1),
        ("cache", 2),
        ("db", 3),
        ("queue", 4),
        ("web", 5),
        ("worker", 6),
    ];
    assert_eq!(names(&out.json()["changed"]), owned(&expected), "{out}");
    let map: Vec<(String, u64)> = slots_of(&t).into_iter().collect();
    let mut sorted = owned(&expected);
    sorted.sort();
    assert_eq!(
        map, sorted,
        "hidden, second-level and Rediaccfile-less folders are ignored"
    );
    // Keys renet does not know are kept.
    let doc = t.slot_map();
    assert_eq!(doc["is_fork"], true);
    assert_eq!(doc["grand_guid"], "g-1");
    assert_eq!(doc["name"], "shop");

    // list --json: sorted by slot, with addresses and variables.
    let list = t
        .args(["slots", "list", "--json", "--network-id", "2816"])
        .run()
        .success()
        .json();
    let rows = list["services"].as_array().expect("services");
    assert_eq!(rows.len(), 7);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["slot"], i as u64);
        assert_eq!(row["address"], format!("127.0.11.{}", i + 2));
    }
    assert_eq!(rows[0]["name"], "Mail");
    assert_eq!(rows[0]["variable"], "MAIL_IP");
    assert_eq!(rows[6]["variable"], "WORKER_IP");
    assert_eq!(list["network_id"], 2816);
    assert_eq!(list["repository"].as_str(), t.repo().to_str());

    // The table names every service and address.
    let table = t
        .args(["slots", "list", "--network-id", "2880"])
        .run()
        .success();
    for needle in ["worker", "127.0.11.72", "MAIL_IP"] {
        assert!(
            table.stdout.contains(needle),
            "table lacks {needle}\n{table}"
        );
    }

    // A second sync changes nothing, not even the bytes.
    let before = t.bytes(".rediacc.json");
    let again = t.args(["slots", "sync", "--json"]).run().success().json();
    assert_eq!(again["changed"], serde_json::json!([]));
    assert_eq!(t.bytes(".rediacc.json"), before);
}

#[test]
fn existing_slots_never_move_and_prune_frees_only_missing_ones() {
    let mut t = layout();
    t.args(["slots", "sync"]).run().success();
    let first = slots_of(&t);

    // db disappears; aaa (sorts first) and zzz appear.
    t.write("a-app/compose.yaml", compose_file(&["queue", "aaa"]))
        .write(
            "b-app/docker-compose.yaml",
            compose_file(&["zzz", "worker", "cache"]),
        );
    let out = t.args(["slots", "sync", "--json"]).run().success();
    assert_eq!(
        names(&out.json()["changed"]),
        owned(&[("aaa", 7), ("zzz", 8)]),
        "{out}"
    );
    let second = slots_of(&t);
    for (name, slot) in &first {
        assert_eq!(second.get(name), Some(slot), "{name} moved");
    }
    assert_eq!(
        second["db"], 3,
        "a vanished service keeps its slot until prune"
    );

    // prune --dry-run reports db and changes nothing.
    let before = t.bytes(".rediacc.json");
    let dry = t
        .args(["slots", "prune", "--dry-run", "--json"])
        .run()
        .success()
        .json();
    assert_eq!(names(&dry["changed"]), owned(&[("db", 3)]));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(t.bytes(".rediacc.json"), before);

    let pruned = t.args(["slots", "prune", "--json"]).run().success().json();
    assert_eq!(names(&pruned["changed"]), owned(&[("db", 3)]));
    let third = slots_of(&t);
    assert!(!third.contains_key("db"));
    for (name, slot) in &second {
        if name != "db" {
            assert_eq!(third.get(name), Some(slot), "prune moved {name}");
        }
    }
    assert_eq!(
        t.slot_map()["grand_guid"],
        "g-1",
        "unknown keys survive prune"
    );
    // Nothing left to prune.
    let again = t.args(["slots", "prune", "--json"]).run().success().json();
    assert_eq!(again["changed"], serde_json::json!([]));

    // The freed slot is the lowest free one: the next new service gets it.
    t.write(
        "docker-compose.yml",
        compose_file(&["web", "api", "Mail", "bbb"]),
    );
    let out = t.args(["slots", "sync", "--json"]).run().success();
    assert_eq!(names(&out.json()["changed"]), owned(&[("bbb", 3)]), "{out}");
}

#[test]
fn repository_folder_from_environment_and_upward_search() {
    let mut t = layout();
    t.args(["slots", "sync"]).run().success();
    let outside = t.root().to_owned();
    let repo = t.repo().to_str().expect("utf-8 path").to_owned();
    for var in ["REDIACC_WORKING_DIR", "REPOSITORY_PATH"] {
        let out = t
            .args(["slots", "list", "--json"])
            .current_dir(&outside)
            .env(var, &repo)
            .run()
            .success();
        assert_eq!(
            out.json()["repository"].as_str(),
            Some(repo.as_str()),
            "{var}\n{out}"
        );
        assert_eq!(
            out.json()["services"].as_array().map(Vec::len),
            Some(7),
            "{out}"
        );
    }
    // From a folder inside the repository (no Rediaccfile there): the nearest ancestor with
    // .rediacc.json.
    let out = t
        .args(["slots", "list", "--json"])
        .current_dir("plain")
        .run()
        .success();
    assert_eq!(
        out.json()["repository"].as_str(),
        Some(repo.as_str()),
        "{out}"
    );
    // A --repo that does not exist is refused with its name.
    t.args(["slots", "list", "--repo", "/nonexistent/renet-repo"])
        .run()
        .failure()
        .stderr_has("/nonexistent/renet-repo");
}

/// Rediaccfiles live in first-level folders too (SPEC 4), so from inside one of them the
/// repository is still the root that holds `.rediacc.json`, not the subfolder.
#[test]
fn repository_is_the_root_when_run_from_a_rediaccfile_subfolder() {
    let mut t = layout();
    t.args(["slots", "sync"]).run().success();
    let repo = t.repo().to_str().expect("utf-8 path").to_owned();
    let out = t
        .args(["slots", "list", "--json"])
        .current_dir("a-app")
        .run()
        .success();
    assert_eq!(
        out.json()["repository"].as_str(),
        Some(repo.as_str()),
        "{out}"
    );
    // db has slot 3 (127.0.11.5) in the repository's map; web (slot 5) is reachable by name.
    let out = t
        .args([
            "compose",
            "--network-id",
            "2816",
            "--dry-run",
            "--",
            "config",
        ])
        .current_dir("a-app")
        .run()
        .success();
    let db = &out.json()["services"]["db"];
    assert_eq!(db["labels"]["rediacc.service_ip"], "127.0.11.5", "{out}");
    assert!(out.stderr.contains("web=127.0.11.7"), "{out}");
    assert!(!t.path("a-app/.rediacc.json").exists());
}

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_yaml_names_the_file_and_the_line() {
    let mut t = Test::new();
    t.write(
        "docker-compose.yml",
        "services:\n  web:\n    image: busybox\n   bad: [\n",
    );
    for args in [
        &["slots", "sync"][..],
        &[
            "compose",
            "--network-id",
            "2816",
            "--dry-run",
            "--",
            "config",
        ][..],
    ] {
        let out = t.args(args).run().code(3);
        assert!(
            out.stderr.contains("docker-compose.yml"),
            "error should name the file\n{out}"
        );
        assert!(
            out.stderr.contains("line"),
            "error should name the line\n{out}"
        );
        assert!(!t.path(".rediacc.json").exists(), "nothing written\n{out}");
    }
}

#[test]
fn unknown_compose_file_is_named() {
    let mut t = Test::new();
    t.write("docker-compose.yml", compose_file(&["web"]));
    let out = t.args(["slots", "sync", "-f", "nope.yml"]).run().failure();
    assert!(
        out.stderr.contains("nope.yml"),
        "error should name the missing file\n{out}"
    );
    let out = t
        .args([
            "compose",
            "--network-id",
            "2816",
            "--dry-run",
            "--",
            "-f",
            "nope.yml",
            "up",
        ])
        .run()
        .failure();
    assert!(
        out.stderr.contains("nope.yml"),
        "error should name the missing file\n{out}"
    );
    assert!(!t.path(".rediacc.json").exists());
}

#[test]
fn compose_file_on_stdin_is_refused_with_a_reason() {
    let mut t = Test::new();
    t.write("docker-compose.yml", compose_file(&["web"]));
    for args in [&["-f", "-", "up", "-d"][..], &["--file=-", "config"][..]] {
        let out = t
            .args(["compose", "--network-id", "2816", "--dry-run", "--"])
            .args(args)
            .run()
            .code(2);
        assert!(out.stderr.contains("-f -"), "{out}");
        assert!(
            out.stderr.contains("standard input"),
            "the error should say why\n{out}"
        );
    }
}

/// `COMPOSE_FILE=-` asks compose to read standard input too; renet must refuse it the same way.
#[test]
fn compose_file_env_naming_stdin_is_refused() {
    let mut t = Test::new();
    t.write("docker-compose.yml", compose_file(&["web"]));
    let out = t
        .args(["compose", "--network-id", "2816", "--dry-run", "--", "up"])
        .env("COMPOSE_FILE", "-")
        .run()
        .code(2);
    assert!(out.stderr.contains("standard input"), "{out}");
}

#[test]
fn more_than_61_services_is_refused_and_changes_nothing() {
    let names: Vec<String> = (0..62).map(|i| format!("s{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();

    // Without a slot map: none is created.
    let mut t = Test::new();
    t.write("docker-compose.yml", compose_file(&refs));
    let out = t.args(["slots", "sync"]).run().code(3);
    assert!(
        out.stderr.contains("s61"),
        "error should name the service that did not fit\n{out}"
    );
    assert!(
        out.stderr.replace("s61", "").contains("61"),
        "error should name the limit\n{out}"
    );
    assert!(!t.path(".rediacc.json").exists(), "{out}");
    t.args(["compose", "--network-id", "2816", "--dry-run", "--", "up"])
        .run()
        .code(3)
        .stderr_has("s61");

    // With one: left byte-identical, even though two services would have fitted.
    let existing = "{ \"services\": {\"zz-old\": {\"slot\": 0}}, \"name\": \"shop\" }\n";
    t.write(".rediacc.json", existing);
    let names: Vec<String> = (0..61).map(|i| format!("s{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    t.write("docker-compose.yml", compose_file(&refs));
    let out = t.args(["slots", "sync"]).run().code(3);
    assert!(out.stderr.contains("s60"), "{out}");
    assert_eq!(t.read(".rediacc.json"), existing);
}

#[test]
fn two_services_with_the_same_variable_are_refused() {
    let mut t = Test::new();
    t.write(
        "docker-compose.yml",
        compose_file(&["my-app", "my_app", "db"]),
    );
    for args in [
        &["slots", "sync"][..],
        &["compose", "--network-id", "2816", "--dry-run", "--", "up"][..],
    ] {
        let out = t.args(args).run().code(3);
        for needle in ["my-app", "my_app", "MY_APP_IP"] {
            assert!(
                out.stderr.contains(needle),
                "error should name {needle}\n{out}"
            );
        }
        assert!(!t.path(".rediacc.json").exists());
    }
    // Also against a service already in the map.
    t.write(
        ".rediacc.json",
        "{\"services\": {\"my_app\": {\"slot\": 4}}}",
    )
    .write("docker-compose.yml", compose_file(&["my-app"]));
    t.args(["slots", "sync"])
        .run()
        .code(3)
        .stderr_has("MY_APP_IP");
    assert_eq!(
        t.read(".rediacc.json"),
        "{\"services\": {\"my_app\": {\"slot\": 4}}}"
    );
}

#[test]
fn corrupt_slot_map_is_refused_and_never_overwritten() {
    for (text, what) in [
        ("{\"services\": {\"web\": {\"slot\": 0}", "not JSON"),
        ("this is not json\n", "not JSON"),
        ("{\"services\": {\"web\": {\"slot\": 61}}}\n", "slot 61"),
        (
            "{\"services\": {\"web\": {\"slot\": 2}, \"api\": {\"slot\": 2}}}\n",
            "one slot twice",
        ),
    ] {
        let mut t = Test::new();
        t.write("docker-compose.yml", compose_file(&["web", "api", "db"]))
            .write(".rediacc.json", text);
        let map_path = t.path(".rediacc.json").display().to_string();
        for args in [
            &["slots", "sync"][..],
            &["slots", "list"][..],
            &["slots", "prune"][..],
            &["compose", "--network-id", "2816", "--dry-run", "--", "up"][..],
        ] {
            let out = t.args(args).run().code(3);
            assert!(
                out.stderr.contains(&map_path),
                "{what}: error should name {map_path}\n{out}"
            );
            assert_eq!(
                t.read(".rediacc.json"),
                text,
                "{what}: file changed by {args:?}"
            );
        }
    }
}

#[test]
fn dangerous_settings_are_all_listed_and_nothing_is_written() {
    let mut t = Test::new();
    t.write(
        "docker-compose.yml",
        "services:\n\
         \x20 app:\n\
         \x20   image: busybox\n\
         \x20   privileged: true\n\
         \x20   pid: host\n\
         \x20   cap_add: [NET_ADMIN, SYS_ADMIN]\n\
         \x20 agent:\n\
         \x20   image: busybox\n\
         \x20   volumes:\n\
         \x20     - /var/run/docker.sock:/var/run/docker.sock\n\
         \x20     - ./data:/data\n\
         \x20 fine:\n\
         \x20   image: busybox\n",
    );
    for dry_run in [false, true] {
        let mut args = vec!["compose", "--network-id", "2816"];
        if dry_run {
            args.push("--dry-run");
        }
        args.extend(["--", "up", "-d"]);
        let out = t.args(&args).run().code(4);
        // NET_ADMIN rewrites the machine's firewall under host networking (issue 10).
        for finding in [
            "app: privileged: true",
            "app: pid: host",
            "app: cap_add: NET_ADMIN",
            "app: cap_add: SYS_ADMIN",
            "agent: volumes: /var/run/docker.sock:/var/run/docker.sock",
        ] {
            assert!(
                out.stderr.contains(finding),
                "finding {finding:?} missing\n{out}"
            );
        }
        assert!(
            !out.stderr.contains("./data"),
            "a relative bind is not dangerous\n{out}"
        );
        assert!(
            out.stderr.contains("--unsafe"),
            "the error should say how to allow them\n{out}"
        );
        assert_eq!(
            repo_entries(&t),
            ["docker-compose.yml"],
            "nothing written\n{out}"
        );
        assert!(
            is_empty_dir(&t.run_dir()),
            "nothing written to the run dir\n{out}"
        );
    }
    // --unsafe lets them through (dry run: nothing started).
    t.args([
        "compose",
        "--network-id",
        "2816",
        "--unsafe",
        "--dry-run",
        "--",
        "up",
        "-d",
    ])
    .run()
    .success();
}

/// Bind mounts are judged by where they land on the host, however they are written.
#[test]
fn dangerous_bind_mounts_are_found_however_written() {
    let mut t = Test::new();
    let other_socket = t.run_dir().join("docker-2880.sock");
    t.write(
        "docker-compose.yml",
        format!(
            "services:\n\
             \x20 sneaky:\n\
             \x20   image: busybox\n\
             \x20   volumes:\n\
             \x20     - ../../../../../../../../etc:/host-etc\n\
             \x20     - {other}:/var/run/docker.sock\n\
             \x20     - type: bind\n\
             \x20       source: /\n\
             \x20       target: /host\n\
             \x20     - /var/run/../run/docker.sock:/d.sock\n\
             \x20     - /etc/localtime:/etc/localtime:ro\n\
             \x20 quiet:\n\
             \x20   image: busybox\n\
             \x20   volumes: [\"./data:/data\", \"named:/x\"]\n",
            other = other_socket.display()
        ),
    );
    let out = t
        .args(["compose", "--network-id", "2816", "--dry-run", "--", "up"])
        .run()
        .code(4);
    let findings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("sneaky: volumes:"))
        .collect();
    assert_eq!(findings.len(), 4, "{out}");
    assert!(
        out.stderr.contains("/etc:/host-etc"),
        "a relative path escaping to /etc\n{out}"
    );
    assert!(
        out.stderr.contains(&other_socket.display().to_string()),
        "another repository's daemon socket\n{out}"
    );
    assert!(!out.stderr.contains("localtime"), "{out}");
    assert!(!out.stderr.contains("quiet"), "{out}");
}

#[test]
fn compose_without_a_running_daemon_says_how_to_start_it() {
    let mut t = Test::new();
    t.write("docker-compose.yml", compose_file(&["web"]));
    let out = t
        .args(["compose", "--network-id", "2880", "--", "up", "-d"])
        .run()
        .code(5);
    let socket = t.run_dir().join("docker-2880.sock");
    for needle in [
        "renet daemon start",
        "--network-id 2880",
        "not running",
        &socket.display().to_string(),
    ] {
        assert!(
            out.stderr.contains(needle),
            "error should contain {needle:?}\n{out}"
        );
    }
}

#[test]
fn compose_binary_missing_is_a_clear_error() {
    let mut t = Test::new();
    t.write("docker-compose.yml", compose_file(&["web"]));
    let empty_bin = t.root().join("empty-bin");
    std::fs::create_dir(&empty_bin).expect("create empty bin folder");
    let home = t.root().to_owned();
    for dry_run in [false, true] {
        let mut args = vec!["compose", "--network-id", "2816"];
        if dry_run {
            args.push("--dry-run");
        }
        args.extend(["--", "up", "-d"]);
        let out = t
            .args(&args)
            .env("PATH", &empty_bin)
            .env("HOME", &home)
            .env_remove("DOCKER_CONFIG")
            .run()
            .code(1);
        assert!(out.stderr.contains("docker-compose"), "{out}");
        assert!(
            out.stderr.contains("PATH"),
            "the error should say where it looked\n{out}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// --dry-run
// ---------------------------------------------------------------------------------------------

const DRY_RUN_COMPOSE: &str = r#"services:
  web:
    image: "${IMAGE:-busybox}"
    restart: always
    command: ["sh", "-c", "echo $$HOME ${GREETING:-hi} && exec httpd -f -p $${SERVICE_IP}:8080"]
    ports:
      - "8080:8080"
    environment:
      - DEFAULTED=${DEFAULTED:-x}
      - LITERAL=$$NOT_INTERPOLATED
    labels:
      rediacc.service_port: "8080"
      rediacc.service_ip: "spoofed"
  db:
    image: busybox
    environment:
      PGDATA: /data
"#;

#[test]
fn dry_run_prints_the_rewritten_model_and_writes_nothing() {
    let mut t = Test::new();
    t.write("docker-compose.yml", DRY_RUN_COMPOSE);
    let out = t
        .args([
            "compose",
            "--network-id",
            "2816",
            "--dry-run",
            "--",
            "up",
            "-d",
        ])
        .run()
        .success();
    let model = out.json();
    let services = model["services"].as_object().expect("services");
    // db sorts first: slot 0 -> .2; web slot 1 -> .3.
    let addr = |name: &str| {
        if name == "db" {
            "127.0.11.2"
        } else {
            "127.0.11.3"
        }
    };
    for (name, svc) in services {
        assert_eq!(svc["network_mode"], "host", "{name}");
        assert_eq!(svc["restart"], "no", "{name}");
        assert!(svc.get("ports").is_none(), "{name}: ports dropped");
        let labels = &svc["labels"];
        assert_eq!(labels["rediacc.service_name"], name.as_str());
        assert_eq!(labels["rediacc.service_ip"], addr(name));
        assert_eq!(labels["rediacc.network_id"], "2816");
        assert_eq!(labels["rediacc.repo_name"], "repo", "the folder's name");
        let env = env_map(&svc["environment"]);
        assert_eq!(
            env.get("SERVICE_IP").map(String::as_str),
            Some(addr(name)),
            "{name}: {env:?}"
        );
        assert_eq!(
            env.get("REDIACC_NETWORK_ID").map(String::as_str),
            Some("2816")
        );
        // Names resolve through renet's hosts file of the service, mounted at /etc/hosts.
        assert!(svc.get("extra_hosts").is_none(), "{name}");
        assert_eq!(
            svc["volumes"],
            serde_json::json!([{"type": "bind", "read_only": true, "target": "/etc/hosts",
                "source": format!("{}/hosts/2816/{name}", t.state_dir().display())}]),
            "{name}"
        );
    }
    assert_eq!(
        services["web"]["labels"]["rediacc.service_port"], "8080",
        "user labels kept"
    );

    // Interpolation is left to compose.
    let web = &services["web"];
    assert_eq!(web["image"], "${IMAGE:-busybox}");
    let command = web["command"].as_array().expect("command list");
    assert_eq!(
        command[2],
        "echo $$HOME ${GREETING:-hi} && exec httpd -f -p $${SERVICE_IP}:8080"
    );
    let env = env_map(&web["environment"]);
    assert_eq!(env["DEFAULTED"], "${DEFAULTED:-x}");
    assert_eq!(env["LITERAL"], "$$NOT_INTERPOLATED");

    // stderr: the variables and the compose command line.
    for needle in [
        "db=127.0.11.2 web=127.0.11.3",
        "WEB_IP=127.0.11.3",
        "DB_IP=127.0.11.2",
        "REDIACC_NETWORK_ID=2816",
        "compose -f ",
        "up -d",
    ] {
        assert!(
            out.stderr.contains(needle),
            "stderr lacks {needle:?}\n{out}"
        );
    }
    assert!(
        out.stderr.contains(&format!(
            "DOCKER_HOST=unix://{}/docker-2816.sock",
            t.run_dir().display()
        )),
        "{out}"
    );

    // Nothing written: no slot map (nor its lock), nothing in RENET_RUN_DIR or RENET_STATE_DIR.
    assert_eq!(repo_entries(&t), ["docker-compose.yml"]);
    assert!(is_empty_dir(&t.run_dir()), "run dir not empty");
    assert!(is_empty_dir(&t.state_dir()), "state dir not empty");

    // With an existing slot map, its slots and its name are used, and the file is untouched.
    let existing = "{\"services\": {\"web\": {\"slot\": 7}}, \"name\": \"shop\"}";
    t.write(".rediacc.json", existing);
    let out = t
        .args([
            "compose",
            "--network-id",
            "2880",
            "--dry-run",
            "--",
            "config",
        ])
        .run()
        .success();
    let model = out.json();
    let labels = |svc: &str| model["services"][svc]["labels"].clone();
    assert_eq!(labels("web")["rediacc.service_ip"], "127.0.11.73");
    assert_eq!(labels("db")["rediacc.service_ip"], "127.0.11.66");
    assert_eq!(
        labels("web")["rediacc.repo_name"],
        "shop",
        "name from .rediacc.json"
    );
    // --name wins when --rename says it is deliberate (SPEC section 3 "Identity"); a dry run
    // keeps nothing.
    let out = t
        .args([
            "compose",
            "--network-id",
            "2880",
            "--dry-run",
            "--name",
            "blog",
            "--rename",
            "--",
            "config",
        ])
        .run()
        .success();
    assert_eq!(
        out.json()["services"]["web"]["labels"]["rediacc.repo_name"],
        "blog"
    );
    assert_eq!(t.read(".rediacc.json"), existing);
}

/// Names in the repository folder, sorted.
fn repo_entries(t: &Test) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(t.repo())
        .expect("read repository folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `environment` as a map, whether compose gave a list or a map.
fn env_map(v: &Value) -> BTreeMap<String, String> {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|s| {
                s.split_once('=')
                    .map_or((s.to_owned(), String::new()), |(k, v)| {
                        (k.to_owned(), v.to_owned())
                    })
            })
            .collect(),
        other => panic!("environment is {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Version, help, completions
// ---------------------------------------------------------------------------------------------

#[test]
fn version_help_and_completions() {
    let out = Test::new().args(["--version"]).run().success();
    assert!(
        out.stdout
            .contains(&format!("renet {}", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
    let help = Test::new().args(["--help"]).run().success();
    for cmd in ["ip", "slots", "compose", "daemon", "completions"] {
        assert!(help.stdout.contains(cmd), "help lacks {cmd}\n{help}");
    }
    Test::new()
        .args(["compose", "--help"])
        .run()
        .success()
        .stdout_has("--dry-run");
    for shell in ["bash", "zsh", "fish"] {
        let out = Test::new().args(["completions", shell]).run().success();
        assert!(
            out.stdout.len() > 100 && out.stdout.contains("renet"),
            "{out}"
        );
        // The committed scripts in completions/ must match the CLI they ship with.
        let committed = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(format!("completions/renet.{shell}")),
        )
        .unwrap();
        assert!(
            committed == out.stdout,
            "completions/renet.{shell} is stale: regenerate with `renet completions {shell} > completions/renet.{shell}`"
        );
    }
    for cmd in ["repository", "ports", "route-server", "proxy"] {
        assert!(help.stdout.contains(cmd), "help lacks {cmd}\n{help}");
    }
    // A bad command line is a usage error (2).
    Test::new().args(["no-such-command"]).run().code(2);
}

// ---------------------------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------------------------

#[test]
fn concurrent_syncs_never_lose_or_share_a_slot() {
    const WRITERS: usize = 16;
    for round in 0..3 {
        let mut t = Test::new();
        let mut all = BTreeSet::new();
        for k in 0..WRITERS {
            let svcs: Vec<String> = ["a", "b", "c"]
                .iter()
                .map(|x| format!("w{k:02}-{x}"))
                .collect();
            all.extend(svcs.iter().cloned());
            let refs: Vec<&str> = svcs.iter().map(String::as_str).collect();
            t.write(format!("f{k}.yml"), compose_file(&refs));
        }
        let commands: Vec<_> = (0..WRITERS)
            .map(|k| {
                t.args(["slots", "sync", "-f", &format!("f{k}.yml")])
                    .command()
            })
            .collect();
        let barrier = Arc::new(Barrier::new(WRITERS));
        let handles: Vec<_> = commands
            .into_iter()
            .map(|cmd| {
                let barrier = Arc::clone(&barrier);
                thread::spawn(move || {
                    barrier.wait();
                    run_command(cmd, std::time::Duration::from_secs(120))
                })
            })
            .collect();
        for h in handles {
            h.join().expect("writer thread").success();
        }
        let slots = slots_of(&t);
        let names: BTreeSet<String> = slots.keys().cloned().collect();
        assert_eq!(names, all, "round {round}: a service was lost");
        let distinct: BTreeSet<u64> = slots.values().copied().collect();
        assert_eq!(
            distinct.len(),
            48,
            "round {round}: a slot was handed out twice: {slots:?}"
        );
        assert_eq!(
            distinct,
            (0..48).collect(),
            "round {round}: first-fit leaves no gaps"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// --json (global) and repository paths (canonical)
// ---------------------------------------------------------------------------------------------

#[test]
fn json_is_global_before_or_after_the_subcommand() {
    let before = Test::new()
        .args(["--json", "ip", "--network-id", "2816"])
        .run()
        .success()
        .json();
    let after = Test::new()
        .args(["ip", "--network-id", "2816", "--json"])
        .run()
        .success()
        .json();
    assert_eq!(before, after);
    assert_eq!(before["block"], "127.0.11.0/26");
    // A value clap's parser refuses is renet's own error: same text, kind and exit status as
    // the same value from the environment, and a JSON document wherever --json stands.
    for args in [
        ["--json", "ip", "--network-id=2817"],
        ["ip", "--network-id=2817", "--json"],
    ] {
        let out = Test::new().args(args).run().code(2);
        assert!(
            out.stderr
                .starts_with("error: invalid network ID: must be 2816 + (n * 64)\n"),
            "{out}"
        );
        assert_eq!(out.json()["error"]["kind"], "network_id", "{out}");
    }
    let out = Test::new()
        .args(["--json", "ip", "--network-id=2816", "--slot=61"])
        .run()
        .code(2);
    assert_eq!(out.json()["error"]["kind"], "slot", "{out}");
    // Every reporting command takes it in either place.
    let mut t = layout();
    let list = t
        .args(["--json", "slots", "--network-id", "2816", "sync"])
        .run()
        .success()
        .json();
    assert_eq!(list["network_id"], 2816);
    let leases = t.args(["--json", "ports", "list"]).run().success().json();
    assert!(
        leases["leases"].as_array().is_some_and(Vec::is_empty),
        "{leases}"
    );
    let daemons = t.args(["daemon", "list", "--json"]).run().success().json();
    assert!(daemons.as_array().is_some(), "{daemons}");
    // After `--`, --json is compose's.
    t.args([
        "compose",
        "--network-id",
        "2816",
        "--dry-run",
        "--",
        "ps",
        "--json",
    ])
    .run()
    .success()
    .stderr_has("ps --json");
}

#[test]
fn a_repository_given_by_a_relative_path_is_named_canonically() {
    let mut t = Test::new();
    let root = t.repo().canonicalize().expect("canonical repository");
    t.write("sub/keep", "");
    let sub = t.path("sub");
    let unit = t
        .args(["daemon", "unit", "--network-id", "2816", "--repo", ".."])
        .current_dir(sub)
        .run()
        .success();
    let expected = format!(" --repo {}\n", root.display());
    assert!(unit.stdout.contains(&expected), "{unit}");
    assert!(!unit.stdout.contains("sub/.."), "{unit}");
}

// ---------------------------------------------------------------------------------------------
// Files, project folder, project name and flavour as Compose v2 settles them (issue 9)
// ---------------------------------------------------------------------------------------------

/// A `docker-compose` wrapper script in `<root>/bin`, the only compose renet finds: its
/// `version --short` prints `version` (exits 1 when None) and is counted in `<root>/asked`;
/// other calls are logged in `<root>/compose.log`. Returns the bin folder.
fn wrapper_compose(t: &mut Test, version: Option<&str>) -> std::path::PathBuf {
    let root = t.root().to_owned();
    let answer = match version {
        Some(v) => format!("echo '{v}'"),
        None => "echo 'cannot execute binary file' >&2; exit 1".to_owned(),
    };
    let script = format!(
        "#!/bin/sh\nif [ \"$*\" = 'version --short' ]; then echo x >> {asked}; {answer}; exit 0; fi\n\
         echo \"$@\" >> {log}\n",
        asked = root.join("asked").display(),
        log = root.join("compose.log").display(),
    );
    let bin = root.join("bin");
    t.write(bin.join("docker-compose"), script);
    let path = bin.join("docker-compose");
    let mut perms = std::fs::metadata(&path).expect("script").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).expect("chmod");
    bin
}

/// `renet compose --network-id 2816 <flags> -- <args>` with only `bin` on PATH.
fn compose_in(t: &mut Test, bin: &std::path::Path, flags: &[&str], args: &[&str]) -> Output {
    let home = t.root().to_owned();
    t.env("PATH", bin)
        .env("HOME", home)
        .env_remove("DOCKER_CONFIG")
        .args(["compose", "--network-id", "2816"])
        .args(flags)
        .args(["--"])
        .args(args)
        .run()
}

fn times_asked(t: &Test) -> usize {
    std::fs::read_to_string(t.root().join("asked")).map_or(0, |s| s.lines().count())
}

#[test]
fn the_flavour_is_asked_from_the_binary_whatever_launches_it() {
    let mut t = Test::new();
    t.write(
        "compose.yaml",
        "name: shop\nservices:\n  web:\n    image: busybox\n    develop: {}\n",
    );
    // A `#!` wrapper (as pip installs) that runs v2 is v2: nothing is dropped.
    let bin = wrapper_compose(&mut t, Some("2.40.3"));
    let out = compose_in(&mut t, &bin, &["--dry-run"], &["config"]).success();
    assert_eq!(out.json()["name"], "shop", "{out}");
    assert!(!out.stderr.contains("dropped"), "{out}");
    // The same kind of file running 1.x is 1.x: what 1.x cannot read is dropped, with warnings.
    let bin = wrapper_compose(&mut t, Some("docker-compose version 1.29.2, build unknown"));
    let out = compose_in(&mut t, &bin, &["--dry-run"], &["config"]).success();
    assert!(out.json().get("name").is_none(), "{out}");
    assert!(
        out.stderr
            .contains("name dropped: docker-compose 1.x does not support it"),
        "{out}"
    );
}

#[test]
fn unknown_and_broken_compose_binaries_are_clear_errors() {
    let mut t = Test::new();
    t.write("compose.yaml", compose_file(&["web"]));
    std::fs::create_dir_all(t.run_dir()).expect("run dir");
    std::fs::write(t.run_dir().join("docker-2816.sock"), "").expect("stand-in socket");
    for (version, needle) in [
        (Some("hello"), "not a Docker Compose version"),
        (None, "cannot execute binary file"),
    ] {
        let bin = wrapper_compose(&mut t, version);
        let out = compose_in(&mut t, &bin, &[], &["up", "-d"]).code(1);
        assert!(out.stderr.contains(needle), "{out}");
        let binary = bin.join("docker-compose").display().to_string();
        assert!(out.stderr.contains(&binary), "names the binary\n{out}");
        assert!(
            out.stderr.contains("Docker Compose v2"),
            "says the fix\n{out}"
        );
        assert_eq!(repo_entries(&t), ["compose.yaml"], "nothing written\n{out}");
        let run: Vec<_> = std::fs::read_dir(t.run_dir()).expect("ls").collect();
        assert_eq!(run.len(), 1, "only the stand-in socket\n{out}");
    }
}

#[test]
fn the_version_is_cached_by_real_runs_and_asked_again_for_a_new_binary() {
    let mut t = Test::new();
    t.write("compose.yaml", compose_file(&["web"]));
    let bin = wrapper_compose(&mut t, Some("2.40.3"));
    // A dry run asks, and writes nothing.
    compose_in(&mut t, &bin, &["--dry-run"], &["config"]).success();
    assert_eq!(times_asked(&t), 1);
    assert!(is_empty_dir(&t.run_dir()), "a dry run writes nothing");
    std::fs::create_dir_all(t.run_dir()).expect("run dir");
    std::fs::write(t.run_dir().join("docker-2816.sock"), "").expect("stand-in socket");
    compose_in(&mut t, &bin, &[], &["ps"]).success();
    compose_in(&mut t, &bin, &[], &["ps"]).success();
    compose_in(&mut t, &bin, &["--dry-run"], &["ps"]).success();
    assert_eq!(times_asked(&t), 2, "asked once by the real runs");
    let cache = t.run_dir().join("compose-version.json");
    let meta = std::fs::metadata(&cache).expect("the cache");
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o022,
        0
    );
    // Another binary (a new file) is asked again; a corrupt cache is ignored.
    let bin = wrapper_compose(&mut t, Some("2.41.0"));
    compose_in(&mut t, &bin, &[], &["ps"]).success();
    assert_eq!(times_asked(&t), 3);
    std::fs::write(&cache, "{corrupt").expect("corrupt the cache");
    compose_in(&mut t, &bin, &[], &["ps"]).success();
    assert_eq!(times_asked(&t), 4);
    compose_in(&mut t, &bin, &[], &["ps"]).success();
    assert_eq!(times_asked(&t), 4, "rewritten after the corrupt one");
}

#[test]
fn a_repository_given_from_outside_is_the_project_directory() {
    let mut t = Test::new();
    t.write("compose.yaml", "services:\n  right:\n    image: busybox\n");
    let elsewhere = t.make_repo("elsewhere");
    std::fs::write(
        elsewhere.join("compose.yaml"),
        "services:\n  wrong:\n    image: busybox\n",
    )
    .expect("write");
    let repo = t.repo().canonicalize().expect("canonical");
    let bin = wrapper_compose(&mut t, Some("2.40.3"));
    for via_env in [false, true] {
        t.current_dir(&elsewhere);
        if via_env {
            t.env("REDIACC_WORKING_DIR", &repo);
        }
        let repo_flag = repo.display().to_string();
        let flags: &[&str] = if via_env {
            &["--dry-run"]
        } else {
            &["--dry-run", "--repo", &repo_flag]
        };
        let out = compose_in(&mut t, &bin, flags, &["ps"]).success();
        let services = out.json()["services"].clone();
        assert!(
            services.get("right").is_some() && services.get("wrong").is_none(),
            "{out}"
        );
        let dir = format!("--project-directory {}", repo.display());
        assert!(out.stderr.contains(&dir), "{out}");
        assert!(out.stderr.contains(" -p repo "), "{out}");
    }
}

#[test]
fn dotenv_and_an_interpolated_name_give_the_project_name() {
    // The name-interpolated case: v2 interpolates `name:` for a real run (with
    // `--no-interpolate`, `config` prints it uninterpolated and normalised, "stack-fallback";
    // renet names the project for the run).
    let mut t = Test::new();
    t.write(".env", "STACK=stack-from-env\n").write(
        "compose.yaml",
        "name: ${STACK:-fallback}\nservices:\n  web:\n    image: busybox\n",
    );
    let bin = wrapper_compose(&mut t, Some("2.40.3"));
    let out = compose_in(&mut t, &bin, &["--dry-run"], &["ps"]).success();
    assert!(out.stderr.contains(" -p stack-from-env ps"), "{out}");
    t.env("STACK", "From_Process");
    let out = compose_in(&mut t, &bin, &["--dry-run"], &["ps"]).success();
    assert!(
        out.stderr.contains(" -p from_process ps"),
        "the process wins\n{out}"
    );
    t.write(".env", "STACK=x\nCOMPOSE_PROJECT_NAME=named-by-env\n");
    let out = compose_in(&mut t, &bin, &["--dry-run"], &["ps"]).success();
    assert!(out.stderr.contains(" -p named-by-env ps"), "{out}");
}

#[test]
fn bad_project_names_and_env_files_are_refused_before_anything_is_written() {
    let mut t = Test::new();
    t.write("compose.yaml", compose_file(&["web"]));
    std::fs::create_dir_all(t.run_dir()).expect("run dir");
    std::fs::write(t.run_dir().join("docker-2816.sock"), "").expect("stand-in socket");
    let bin = wrapper_compose(&mut t, Some("2.40.3"));
    let out = compose_in(&mut t, &bin, &[], &["-p", "Shop", "up", "-d"]).code(2);
    assert!(
        out.stderr.contains("invalid project name \"Shop\""),
        "{out}"
    );
    assert!(
        out.stderr.contains("\"shop\""),
        "suggests the valid name\n{out}"
    );
    t.write(".env", "GOOD=1\nBAD KEY=2\n");
    let out = compose_in(&mut t, &bin, &[], &["up", "-d"]).code(3);
    let at = format!("{}: line 2:", t.path(".env").display());
    assert!(out.stderr.contains(&at), "names the file and line\n{out}");
    t.write(".env", "").write(
        "compose.yaml",
        "name: ${NOTHING}\nservices:\n  web:\n    image: busybox\n",
    );
    let out = compose_in(&mut t, &bin, &[], &["up", "-d"]).code(3);
    assert!(
        out.stderr.contains("project name must not be empty"),
        "{out}"
    );
    assert_eq!(
        repo_entries(&t),
        [".env", "compose.yaml"],
        "nothing written"
    );
    let run: Vec<_> = std::fs::read_dir(t.run_dir()).expect("ls").collect();
    assert_eq!(run.len(), 1, "only the stand-in socket");
    assert_eq!(
        times_asked(&t),
        0,
        "refused before compose is asked anything"
    );
}
