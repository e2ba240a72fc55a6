//! Files a repository holds, as an attacker would set them (issue 10, "Files"; SPEC sections 2
//! and 3): real FIFOs, real symlinks, links to `/dev/zero`, huge files, duplicate JSON keys,
//! bad service names, very long names. Every refusal is asserted twice: the command fails at
//! once naming the file, and nothing changed (the repository's files byte-identical, nothing
//! created through a link). `renet compose` runs against a fake docker-compose that records
//! its calls and a stand-in socket (as in tests/leases.rs): the refusals happen before compose.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::harness::{Output, Test};

/// Network IDs of these tests (3584, 3648, 3712, 3776 are this file's).
const NET: &str = "3584";
const RANGE: &str = "20100-20139";
/// A hung read fails the test (the command is killed) instead of hanging it.
const BOUND: Duration = Duration::from_secs(60);
/// A slot map with a service, so a write would show.
const SLOTS: &str =
    "{\n  \"services\": {\n    \"api\": {\n      \"slot\": 0\n    }\n  },\n  \"x-keep\": 1\n}\n";

/// What a folder holds, recursively: file bytes, link targets, and the kind of anything else
/// (a FIFO is never opened). An empty regular lock file is left out: taking the lock may
/// create it, and it holds nothing.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).expect("lstat");
            if path.ends_with(".rediacc.json.lock") && meta.is_file() && meta.len() == 0 {
                continue;
            }
            let mode = meta.permissions().mode() & 0o7777;
            let what = if meta.file_type().is_symlink() {
                format!(
                    "link -> {}",
                    std::fs::read_link(&path).expect("readlink").display()
                )
            } else if meta.is_dir() {
                todo.push(path.clone());
                format!("dir {mode:o}")
            } else if meta.is_file() && meta.len() < 1 << 20 {
                let bytes = std::fs::read(&path).expect("read");
                format!("file {mode:o} {}", String::from_utf8_lossy(&bytes))
            } else if meta.is_file() {
                format!("file {mode:o} of {} bytes", meta.len())
            } else {
                format!("special {:?}", meta.file_type())
            };
            out.insert(path, what);
        }
    }
    out
}

fn mkfifo(path: &Path) {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o644)).expect("mkfifo");
}

/// A file just over the 16 MiB limit for compose and env files (sparse: no disk used).
fn huge(path: &Path) {
    let f = std::fs::File::create(path).expect("create");
    f.set_len((16 << 20) + 1).expect("truncate");
}

/// The kinds of bad file, each made at `path` (which must not exist yet).
const BAD: [&str; 3] = ["fifo", "dev-zero", "huge"];

fn make_bad(kind: &str, path: &Path) {
    match kind {
        "fifo" => mkfifo(path),
        "dev-zero" => std::os::unix::fs::symlink("/dev/zero", path).expect("symlink"),
        _ => huge(path),
    }
}

/// What renet says about each kind (the file is named beside it).
fn refusal(kind: &str) -> &'static str {
    match kind {
        "fifo" => "not a regular file (a FIFO)",
        "dev-zero" => "not a regular file (a character device)",
        _ => "larger than the",
    }
}

/// A fake docker-compose (v2 to renet's `version --short`) that records its calls, and a
/// stand-in socket for network 3584.
fn fake_compose(t: &mut Test) -> (PathBuf, PathBuf) {
    let bin = t.root().join("bin");
    let log = t.root().join("compose.log");
    t.write(
        bin.join("docker-compose"),
        format!(
            "#!/bin/sh\n[ \"$*\" = 'version --short' ] && echo 2.40.3 && exit 0\n\
             echo \"$@\" >> {}\nexit 0\n",
            log.display()
        ),
    );
    let script = bin.join("docker-compose");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::create_dir_all(t.run_dir()).expect("run dir");
    std::fs::write(t.run_dir().join(format!("docker-{NET}.sock")), "").expect("stand-in socket");
    (bin, log)
}

/// `renet compose --network-id 3584 -- <args>` with only the fake compose on PATH.
fn compose(t: &mut Test, bin: &Path, args: &[&str]) -> Output {
    let home = t.root().to_owned();
    t.env("PATH", bin)
        .env("HOME", home)
        .env_remove("DOCKER_CONFIG")
        .env("RENET_PORT_RANGE", RANGE)
        .timeout(BOUND)
        .args(["compose", "--network-id", NET, "--"])
        .args(args)
        .run()
}

fn renet(t: &mut Test, args: &[&str]) -> Output {
    t.env("RENET_PORT_RANGE", RANGE)
        .timeout(BOUND)
        .args(args)
        .run()
}

/// `-f`, `include`, `extends` and `.env` as a FIFO, a link to `/dev/zero` or a huge file:
/// refused at once naming the file, by `renet compose` and by `slots sync`, the slot map and
/// every other file of the repository unchanged, compose never run.
#[test]
fn special_and_huge_files_are_refused_at_once_naming_them() {
    for kind in BAD {
        for place in ["-f", "include", "extends", ".env", "include env_file"] {
            let mut t = Test::new();
            let (bin, log) = fake_compose(&mut t);
            t.write(".rediacc.json", SLOTS);
            let bad = t.path("bad.yaml");
            let main = match place {
                "include" => "include: [bad.yaml]\nservices:\n  web:\n    image: busybox\n",
                "extends" => {
                    "services:\n  web:\n    image: busybox\n    extends: {file: bad.yaml, service: x}\n"
                }
                "include env_file" => "include: [{path: inc.yaml, env_file: bad.env}]\n",
                _ => "services:\n  web:\n    image: busybox\n",
            };
            t.write("compose.yaml", main);
            t.write("inc.yaml", "services:\n  web:\n    image: busybox\n");
            let bad = match place {
                ".env" => t.path(".env"),
                "include env_file" => t.path("bad.env"),
                _ => bad,
            };
            make_bad(kind, &bad);
            let before = snapshot(t.repo());
            let mut args = vec!["up", "-d"];
            if place == "-f" {
                args = vec!["-f", "bad.yaml", "up", "-d"];
            }
            let what = format!("{kind} as {place}");
            let out = compose(&mut t, &bin, &args).failure();
            assert!(
                out.stderr.contains(&bad.display().to_string()),
                "{what}: {out}"
            );
            assert!(out.stderr.contains(refusal(kind)), "{what}: {out}");
            let out = if place == "-f" {
                renet(&mut t, &["slots", "sync", "-f", "bad.yaml"])
            } else {
                renet(&mut t, &["slots", "sync"])
            };
            let out = out.failure();
            assert!(out.stderr.contains(refusal(kind)), "{what}: {out}");
            assert_eq!(snapshot(t.repo()), before, "{what}: the repository changed");
            assert!(!log.exists(), "{what}: compose ran");
        }
    }
}

/// A Rediaccfile folder's `.env` as a FIFO: `slots sync` (which reads every folder's `.env`
/// for `COMPOSE_FILE`) refuses it at once.
#[test]
fn a_fifo_env_in_a_rediaccfile_folder_is_refused() {
    let mut t = Test::new();
    t.write(".rediacc.json", SLOTS);
    t.write("app/Rediaccfile", "up() { :; }\n");
    t.write(
        "app/compose.yaml",
        "services:\n  web:\n    image: busybox\n",
    );
    mkfifo(&t.path("app/.env"));
    let before = snapshot(t.repo());
    renet(&mut t, &["slots", "sync"])
        .failure()
        .stderr_has("app/.env")
        .stderr_has("FIFO");
    assert_eq!(snapshot(t.repo()), before);
}

/// A symlinked `.rediacc.json` (to a file outside the repository, or dangling) is refused by
/// reads and writes alike: the link stays a link, its target is neither changed nor created,
/// and no world-writable file takes its place.
#[test]
fn a_symlinked_slot_map_is_refused_and_never_replaced() {
    let mut t = Test::new();
    let (bin, log) = fake_compose(&mut t);
    t.write("compose.yaml", "services:\n  web:\n    image: busybox\n");
    let outside = t.root().join("victim.json");
    std::fs::write(&outside, SLOTS).expect("write");
    std::os::unix::fs::symlink(&outside, t.path(".rediacc.json")).expect("symlink");
    let before = snapshot(t.root());
    for args in [
        &["slots", "sync"][..],
        &["slots", "list"],
        &["slots", "prune"],
    ] {
        renet(&mut t, args)
            .failure()
            .stderr_has(".rediacc.json")
            .stderr_has("symbolic link");
    }
    compose(&mut t, &bin, &["up", "-d"])
        .failure()
        .stderr_has("symbolic link");
    assert!(!log.exists(), "compose ran");
    // The fake compose's version cache may appear in the run folder; nothing else.
    let mut after = snapshot(t.root());
    after.retain(|p, _| !p.starts_with(t.run_dir()));
    let mut expected = before.clone();
    expected.retain(|p, _| !p.starts_with(t.run_dir()));
    assert_eq!(after, expected);

    let dangling = t.root().join("created-through-the-link.json");
    std::fs::remove_file(t.path(".rediacc.json")).expect("rm");
    std::os::unix::fs::symlink(&dangling, t.path(".rediacc.json")).expect("symlink");
    renet(&mut t, &["slots", "sync"])
        .failure()
        .stderr_has("symbolic link");
    assert!(!dangling.exists(), "a file was created through the link");
    assert!(
        std::fs::symlink_metadata(t.path(".rediacc.json"))
            .expect("lstat")
            .is_symlink()
    );
}

/// The lock file as a link (to a file that does not exist: root would create it) or a FIFO
/// (a blocking open would wait for ever): refused at once naming it, nothing created.
#[test]
fn a_linked_or_fifo_lock_file_is_refused() {
    let mut t = Test::new();
    t.write("compose.yaml", "services:\n  web:\n    image: busybox\n");
    t.write(".rediacc.json", SLOTS);
    let target = t.root().join("etc-cron-job");
    std::os::unix::fs::symlink(&target, t.path(".rediacc.json.lock")).expect("symlink");
    let before = snapshot(t.repo());
    renet(&mut t, &["slots", "sync"])
        .failure()
        .stderr_has(".rediacc.json.lock")
        .stderr_has("symbolic link");
    assert!(!target.exists(), "the lock was created through the link");
    assert_eq!(snapshot(t.repo()), before);

    std::fs::remove_file(t.path(".rediacc.json.lock")).expect("rm");
    mkfifo(&t.path(".rediacc.json.lock"));
    let before = snapshot(t.repo());
    renet(&mut t, &["slots", "sync"])
        .failure()
        .stderr_has(".rediacc.json.lock")
        .stderr_has("FIFO");
    assert_eq!(snapshot(t.repo()), before);
}

/// A new slot map is 0644 and its lock 0600; rewriting a group/world-writable slot map drops
/// those bits; a narrower mode is kept.
#[test]
fn slot_map_and_lock_modes() {
    let mut t = Test::new();
    t.write("compose.yaml", "services:\n  web:\n    image: busybox\n");
    let mode = |t: &Test, f: &str| {
        std::fs::metadata(t.path(f))
            .expect("stat")
            .permissions()
            .mode()
            & 0o777
    };
    renet(&mut t, &["slots", "sync"]).success();
    assert_eq!(
        mode(&t, ".rediacc.json") & 0o133,
        0,
        "never writable by others"
    );
    assert_eq!(mode(&t, ".rediacc.json.lock") & 0o077, 0);
    t.write(
        "compose.yaml",
        "services:\n  web:\n    image: busybox\n  db:\n    image: busybox\n",
    );
    std::fs::set_permissions(
        t.path(".rediacc.json"),
        std::fs::Permissions::from_mode(0o666),
    )
    .expect("chmod");
    renet(&mut t, &["slots", "sync"]).success();
    assert_eq!(mode(&t, ".rediacc.json"), 0o644);
    t.write("compose.yaml", "services:\n  a:\n    image: busybox\n");
    std::fs::set_permissions(
        t.path(".rediacc.json"),
        std::fs::Permissions::from_mode(0o600),
    )
    .expect("chmod");
    renet(&mut t, &["slots", "sync"]).success();
    assert_eq!(mode(&t, ".rediacc.json"), 0o600);
    assert_eq!(t.slot_map()["services"]["a"]["slot"], 2);
}

/// Duplicate keys anywhere in `.rediacc.json` (which would silently move a slot) are refused
/// naming the file and the key; the file is never rewritten.
#[test]
fn duplicate_keys_in_the_slot_map_are_refused() {
    for (text, key) in [
        (
            "{\"services\": {\"api\": {\"slot\": 0}, \"db\": {\"slot\": 1}, \"api\": {\"slot\": 2}}}\n",
            "duplicate key \"api\" in \"services\"",
        ),
        (
            "{\"services\": {\"api\": {\"slot\": 0, \"slot\": 3}}}\n",
            "duplicate key \"slot\" in \"services.api\"",
        ),
        (
            "{\"name\": \"a\", \"services\": {}, \"name\": \"b\"}\n",
            "duplicate key \"name\"",
        ),
    ] {
        let mut t = Test::new();
        t.write("compose.yaml", "services:\n  web:\n    image: busybox\n");
        t.write(".rediacc.json", text);
        let before = snapshot(t.repo());
        for args in [&["slots", "list"][..], &["slots", "sync"]] {
            renet(&mut t, args)
                .code(3)
                .stderr_has(".rediacc.json")
                .stderr_has(key)
                .stderr_has("remove");
        }
        assert_eq!(snapshot(t.repo()), before);
    }
}

/// A refused `compose up` (a bad `rediacc.tcp_ports`, an exhausted lease range, dangerous
/// settings) writes no new slot, no hosts file and no lease, and runs no compose; the same
/// run with the problem fixed does write the slot (so the check above can see a write).
#[test]
fn a_refused_up_leaves_the_slot_map_byte_identical() {
    let mut t = Test::new();
    let (bin, log) = fake_compose(&mut t);
    t.write(".rediacc.json", SLOTS);
    let hosts = t.state_dir().join("hosts");
    let cases = [
        (
            "rediacc.tcp_ports: \"5432,x\"",
            3,
            "label rediacc.tcp_ports=5432,x",
        ),
        ("rediacc.tcp_ports: \"5432\"", 6, "RENET_PORT_RANGE"),
    ];
    // The only port of the range is held by another network.
    t.env("RENET_PORT_RANGE", "20150-20150")
        .args([
            "ports",
            "lease",
            "--network-id",
            "3648",
            "--service",
            "other",
            "--port",
            "1",
        ])
        .run()
        .success();
    for (label, code, needle) in cases {
        t.write(
            "compose.yaml",
            format!(
                "services:\n  api:\n    image: busybox\n  db:\n    image: busybox\n    labels:\n      {label}\n"
            ),
        );
        let before = snapshot(t.repo());
        let home = t.root().to_owned();
        let out = t
            .env("PATH", &bin)
            .env("HOME", home)
            .env_remove("DOCKER_CONFIG")
            .env("RENET_PORT_RANGE", "20150-20150")
            .args(["compose", "--network-id", NET, "--", "up", "-d"])
            .run()
            .code(code);
        assert!(out.stderr.contains(needle), "{out}");
        assert_eq!(snapshot(t.repo()), before, "{label}: the slot map changed");
        assert!(!hosts.join(NET).exists(), "{label}: hosts files written");
        assert!(!log.exists(), "{label}: compose ran");
    }
    t.write(
        "compose.yaml",
        "services:\n  api:\n    image: busybox\n  db:\n    image: busybox\n    privileged: true\n",
    );
    let before = snapshot(t.repo());
    compose(&mut t, &bin, &["up", "-d"])
        .code(4)
        .stderr_has("privileged");
    assert_eq!(snapshot(t.repo()), before);
    // Fixed: the new service gets its slot, compose runs.
    t.write(
        "compose.yaml",
        "services:\n  api:\n    image: busybox\n  db:\n    image: busybox\n",
    );
    compose(&mut t, &bin, &["up", "-d"]).success();
    assert_eq!(t.slot_map()["services"]["db"]["slot"], 1);
    assert_eq!(t.slot_map()["x-keep"], 1);
    assert!(log.exists());
}

/// `slots prune` with no compose file found refuses (it would free every slot), naming the
/// folder it searched and the fix; with `--dry-run` too.
#[test]
fn prune_without_a_compose_file_refuses() {
    let mut t = Test::new();
    t.write(".rediacc.json", SLOTS);
    let before = snapshot(t.repo());
    for args in [&["slots", "prune"][..], &["slots", "prune", "--dry-run"]] {
        let out = renet(&mut t, args).code(3);
        assert!(out.stderr.contains("no compose file found in"), "{out}");
        assert!(
            out.stderr.contains(&t.repo().display().to_string()),
            "{out}"
        );
        assert!(out.stderr.contains("--repo"), "{out}");
    }
    assert_eq!(snapshot(t.repo()), before);
    // With the compose file back, prune works and frees only what is gone.
    t.write("compose.yaml", "services:\n  api:\n    image: busybox\n");
    renet(&mut t, &["slots", "prune"]).success();
    assert_eq!(t.slot_map()["services"]["api"]["slot"], 0);
}

/// Service names compose refuses never get a slot: the file and the fix are named.
#[test]
fn service_names_compose_refuses_get_no_slot() {
    for name in [
        "\"\"",
        "\"a\\nb\"",
        "\"../x\"",
        "\"a b\"",
        "\"a/b\"",
        "\"$x\"",
    ] {
        let mut t = Test::new();
        let (bin, log) = fake_compose(&mut t);
        t.write(".rediacc.json", SLOTS);
        t.write(
            "compose.yaml",
            format!("services:\n  api:\n    image: busybox\n  {name}:\n    image: busybox\n"),
        );
        let before = snapshot(t.repo());
        for out in [
            renet(&mut t, &["slots", "sync"]),
            compose(&mut t, &bin, &["up", "-d"]),
        ] {
            let out = out.code(3);
            assert!(out.stderr.contains("compose.yaml"), "{name}: {out}");
            assert!(
                out.stderr.contains("is not a valid name in `services`"),
                "{name}: {out}"
            );
            assert!(out.stderr.contains("use only letters"), "{name}: {out}");
            assert!(
                !out.stderr.contains("a\nb"),
                "the name is shown escaped: {out}"
            );
        }
        assert_eq!(snapshot(t.repo()), before, "{name}");
        assert!(!log.exists());
    }
}

/// Very long (10,000 and 70,000 characters: format widths above 65,535 panicked) and wide or
/// control-character names list without a panic.
#[test]
fn long_and_wide_names_list_without_panicking() {
    let mut t = Test::new();
    let long = "a".repeat(70_000);
    let ten = "b".repeat(10_000);
    let wide = "数据库".repeat(5_000);
    let doc = serde_json::json!({"services": {
        long.clone(): {"slot": 0}, ten.clone(): {"slot": 1}, wide.clone(): {"slot": 2},
        "é-ü": {"slot": 3}, "a\nb": {"slot": 4},
    }});
    t.write(".rediacc.json", doc.to_string());
    let out = renet(&mut t, &["slots", "list", "--network-id", NET]).success();
    for name in [long.as_str(), ten.as_str(), wide.as_str(), "é-ü", "a\\nb"] {
        let short: String = name.chars().take(6).collect();
        assert!(out.stdout.contains(name), "{short} missing");
    }
    // Every row is one line: the header and five rows.
    assert_eq!(out.stdout.lines().count(), 6, "one line a row");
    for service in [&long, &ten, &wide] {
        renet(
            &mut t,
            &[
                "ports",
                "lease",
                "--network-id",
                NET,
                "--service",
                service,
                "--port",
                "80",
            ],
        )
        .success();
    }
    let out = renet(&mut t, &["ports", "list"]).success();
    assert!(out.stdout.contains(&wide), "wide name missing");
    assert_eq!(out.stdout.lines().count(), 4);
}

/// A compose file, an `include`, an `extends` file or a `.env` that is a link (or lies in a
/// linked folder) leading out of the repository is refused naming the link, its target and
/// the repository: renet as root would read a root-only file for the repository's owner. A
/// link inside the repository, and a file named outside it, are read.
#[test]
fn links_out_of_the_repository_are_refused() {
    let compose_yaml = "services:\n  web:\n    image: busybox\n";
    for place in [
        "compose.yaml",
        "include",
        "extends",
        ".env",
        "linked folder",
    ] {
        let mut t = Test::new();
        t.write(".rediacc.json", SLOTS);
        let secret = t.root().join("secret.yaml");
        std::fs::write(&secret, compose_yaml).expect("write");
        let link = match place {
            "compose.yaml" => t.path("compose.yaml"),
            "include" => {
                t.write(
                    "compose.yaml",
                    format!("include: [other.yaml]\n{compose_yaml}"),
                );
                t.path("other.yaml")
            }
            "extends" => {
                t.write(
                    "compose.yaml",
                    "services:\n  api:\n    extends: {file: other.yaml, service: web}\n",
                );
                t.path("other.yaml")
            }
            ".env" => {
                t.write("compose.yaml", compose_yaml);
                t.path(".env")
            }
            _ => {
                t.write("compose.yaml", "include: [up/secret.yaml]\n");
                t.path("up")
            }
        };
        let target = if place == "linked folder" {
            t.root().to_owned()
        } else {
            secret.clone()
        };
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let before = snapshot(t.repo());
        let out = renet(&mut t, &["slots", "sync"]).failure();
        assert!(
            out.stderr.contains("outside the repository"),
            "{place}: {out}"
        );
        assert!(
            out.stderr.contains(&secret.display().to_string()),
            "{place}: {out}"
        );
        assert_eq!(snapshot(t.repo()), before, "{place}");
    }
    // A link that stays inside, and a file named outside with -f, are read.
    let mut t = Test::new();
    t.write("stacks/real.yaml", compose_yaml);
    std::os::unix::fs::symlink("stacks/real.yaml", t.path("compose.yaml")).expect("symlink");
    renet(&mut t, &["slots", "sync"]).success();
    assert_eq!(t.slot_map()["services"]["web"]["slot"], 0);
    let outside = t.root().join("elsewhere.yaml");
    std::fs::write(&outside, "services:\n  db:\n    image: busybox\n").expect("write");
    let named = outside.display().to_string();
    renet(&mut t, &["slots", "sync", "-f", &named]).success();
    assert_eq!(t.slot_map()["services"]["db"]["slot"], 1);
}

/// `kill -9` at any moment of a state write leaves the old file or the new one, never a torn
/// one and no stray temporary file: the slot map (`slots sync` adding one service a round) and
/// the machine settings (`machine set`). The kill points vary from round to round (which
/// ones land mid-write depends on the machine: every round then runs the same command to the
/// end, so each round has both a killed run and a finished write to check).
#[test]
fn kill_9_while_state_is_written_leaves_the_old_or_the_new_file() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let mut t = Test::new();
    let mut written = 0;
    for round in 0..40u64 {
        let services: String = (0..=round)
            .map(|i| format!("  s{i}:\n    image: x\n"))
            .collect();
        t.write("compose.yaml", format!("services:\n{services}"));
        let target = if round % 2 == 0 {
            t.args(["slots", "sync"]).command()
        } else {
            let domain = format!("d{round}.example.com");
            t.args(["machine", "set", "--base-domain", domain.as_str()])
                .command()
        };
        let mut cmd = target;
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut child = cmd.spawn().expect("spawn renet");
        std::thread::sleep(Duration::from_micros(400 * (round % 30)));
        let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid"));
        let _ = kill(pid, Signal::SIGKILL);
        let status = child.wait().expect("wait");
        if status.success() {
            written += 1;
        }
        // Whatever happened, what is on disk is whole and renet reads it.
        if let Some(bytes) = t.bytes(".rediacc.json") {
            let map: serde_json::Value =
                serde_json::from_slice(&bytes).expect("a whole .rediacc.json");
            let n = map["services"].as_object().map_or(0, |m| m.len());
            assert!(n as u64 <= round + 1, "round {round}: {n} services");
        }
        let machine = t.state_dir().join("machine.json");
        if let Ok(bytes) = std::fs::read(&machine) {
            let m: serde_json::Value =
                serde_json::from_slice(&bytes).expect("a whole machine.json");
            assert!(
                m["base_domain"]
                    .as_str()
                    .is_some_and(|d| d.ends_with(".example.com"))
            );
        }
        // The same command to the end: the write a kill interrupted is done whole.
        if round % 2 == 0 {
            t.args(["slots", "sync"]).run().success();
            let bytes = t.bytes(".rediacc.json").expect("written");
            let map: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
            let n = map["services"].as_object().map(serde_json::Map::len);
            assert_eq!(n, Some(usize::try_from(round + 1).expect("small")));
        } else {
            let domain = format!("d{round}.example.com");
            t.args(["machine", "set", "--base-domain", domain.as_str()])
                .run()
                .success();
        }
    }
    t.args(["slots", "list"]).run().success();
    t.args(["machine", "show"]).run().success();
    // No temporary file left beside either (the lock files are renet's own).
    let strays = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.ends_with(".lock") && n != "compose.yaml")
                    .filter(|n| n != ".rediacc.json" && n != "machine.json")
                    .collect()
            })
            .unwrap_or_default()
    };
    let repo = t.repo().to_path_buf();
    assert_eq!(
        strays(&repo),
        Vec::<String>::new(),
        "{written} killed runs finished first"
    );
    let state: Vec<String> = strays(&t.state_dir())
        .into_iter()
        .filter(|n| n != "hosts" && n != "router")
        .collect();
    assert_eq!(state, Vec::<String>::new());
}
