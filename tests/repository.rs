//! `renet repository up|down|status`: the Rediaccfile lifecycle (SPEC sections 4 and 5,
//! rediaccfile/README.md, docs/decisions.md "Repository lifecycle").
//!
//! `repository up` starts the repository's daemon, so every test that runs it holds the docker
//! lock and a `Daemon` guard (the daemon is stopped on drop, even on panic). `down` and `status`
//! start nothing: their tests run without docker.
//!
//! The Rediaccfiles here write what they see to files under the test's root: `$RT_LOG` (one
//! `<folder> <function>` line per call) and the folder `$RT_OUT`; both are set on the renet
//! process and reach the functions through its environment.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{
    Compose, Daemon, Output, Test, alive, compose_lock, docker_lock, http_get_path_once, renet_bin,
    run_command, wait_address_free, wait_refused,
};

/// A PATH without renet's folder: functions must still find `renet`.
const SYSTEM_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn log_path(t: &Test) -> PathBuf {
    t.root().join("log")
}

fn out_dir(t: &Test) -> PathBuf {
    let d = t.root().join("out");
    fs::create_dir_all(&d).expect("create the out folder");
    d
}

/// `renet repository <action> --path <repo> --network-id <id> <extra...>`, with `RT_LOG` and
/// `RT_OUT` in its environment.
fn repository(t: &mut Test, action: &str, repo: &Path, id: u32, extra: &[&str]) -> Output {
    let log = log_path(t);
    let out = out_dir(t);
    t.args(["repository", action, "--path"])
        .args([repo])
        .args(["--network-id", &id.to_string()])
        .args(extra)
        .env("RT_LOG", log)
        .env("RT_OUT", out)
        .run()
}

/// The lines of `$RT_LOG` so far (none when nothing wrote it), then empty it.
fn take_log(t: &Test) -> Vec<String> {
    let p = log_path(t);
    let text = fs::read_to_string(&p).unwrap_or_default();
    let _ = fs::remove_file(&p);
    text.lines().map(str::to_owned).collect()
}

/// A Rediaccfile whose functions each append `<label> <function>` to `$RT_LOG`.
fn logging(label: &str, functions: &[&str]) -> String {
    functions
        .iter()
        .map(|f| format!("{f}() {{\n    echo \"{label} {f}\" >> \"$RT_LOG\"\n}}\n"))
        .collect()
}

/// Write `text` at `rel` (relative to `repo`), creating folders.
fn write(repo: &Path, rel: &str, text: &str) {
    let p = repo.join(rel);
    fs::create_dir_all(p.parent().expect("a parent")).expect("create folders");
    fs::write(&p, text).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
}

fn lines(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn socket(t: &Test, id: u32) -> PathBuf {
    t.run_dir().join(format!("docker-{id}.sock"))
}

/// Folder names of the `rediaccfiles` of a report, in order.
fn folders(report: &Value) -> Vec<String> {
    report["rediaccfiles"]
        .as_array()
        .expect("rediaccfiles is an array")
        .iter()
        .map(|f| f["folder"].as_str().expect("folder is a string").to_owned())
        .collect()
}

/// The report entry of one folder.
fn file_of<'a>(report: &'a Value, folder: &str) -> &'a Value {
    report["rediaccfiles"]
        .as_array()
        .expect("rediaccfiles is an array")
        .iter()
        .find(|f| f["folder"] == folder)
        .unwrap_or_else(|| panic!("no Rediaccfile of folder {folder:?} in {report:#}"))
}

fn failures(report: &Value) -> Vec<String> {
    report["failures"]
        .as_array()
        .expect("failures is an array")
        .iter()
        .map(|f| f.as_str().expect("a failure is a string").to_owned())
        .collect()
}

fn read_pid(p: &Path) -> i32 {
    fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{} holds no pid: {e}", p.display()))
}

/// Safety net for tests whose functions start long `sleep`s: on drop, SIGKILL every process
/// named by a `*.pid` file in `dir` that still lives and is a `sleep` or `bash` (so a recycled
/// pid is never hit).
struct Reaper(PathBuf);

impl Drop for Reaper {
    fn drop(&mut self) {
        let Ok(entries) = fs::read_dir(&self.0) else {
            return;
        };
        for e in entries.filter_map(Result::ok) {
            if e.path().extension().is_none_or(|x| x != "pid") {
                continue;
            }
            let Some(pid) = fs::read_to_string(e.path())
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok())
            else {
                continue;
            };
            let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if alive(pid) && matches!(comm.trim(), "sleep" | "bash") {
                eprintln!("repository test: killing leftover {} {pid}", comm.trim());
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

/// Poll `GET http://addr<path>` until it answers 200 with a body containing `needle` (at most
/// 30 s); the body.
#[track_caller]
fn http_get_path(addr: &str, path: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = http_get_path_once(addr, path);
        match got {
            Ok(body) if body.contains(needle) => return body,
            _ if Instant::now() >= deadline => {
                panic!("no HTTP answer containing {needle:?} from {addr}{path} within 30s: {got:?}")
            }
            _ => thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Copy a folder tree: folders and regular files (which keep their permissions). Runtime state
/// a run in the source tree may have left (`.rediacc/`, `.rediacc.json*`) is not copied, so the
/// copy is what the repository ships.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    for e in fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display())) {
        let e = e.expect("directory entry");
        if e.file_name().to_string_lossy().starts_with(".rediacc") {
            continue;
        }
        let target = to.join(e.file_name());
        let kind = e.file_type().expect("file type");
        if kind.is_dir() {
            copy_tree(&e.path(), &target);
        } else if kind.is_file() {
            fs::copy(e.path(), &target)
                .unwrap_or_else(|err| panic!("copy {}: {err}", e.path().display()));
        }
    }
}

/// `KEY=value` lines of an `env` dump.
fn parse_env(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn canonical(p: &Path) -> String {
    p.canonicalize()
        .unwrap_or_else(|e| panic!("canonicalize {}: {e}", p.display()))
        .display()
        .to_string()
}

/// The repository of the ordering tests: root plus `alpha`, `Beta`, `gamma` (three spellings of
/// the file name), and two that must never run: hidden `.skip` and nested `alpha/deep`.
fn ordering_repo(repo: &Path, root_fns: &str) {
    let all = ["prep", "up", "down"];
    write(repo, "Rediaccfile", root_fns);
    write(repo, "alpha/rediaccfile", &logging("alpha", &all));
    write(repo, "Beta/REDIACCFILE", &logging("Beta", &all));
    write(repo, "gamma/Rediaccfile", &logging("gamma", &all));
    write(repo, ".skip/Rediaccfile", &logging(".skip", &all));
    write(repo, "alpha/deep/Rediaccfile", &logging("alpha/deep", &all));
}

// ---------------------------------------------------------------------------------------------
// 1. Ordering
// ---------------------------------------------------------------------------------------------

#[test]
fn repository_up_and_down_run_every_rediaccfile_in_order() {
    let Some(_lock) = docker_lock("repository_up_and_down_run_every_rediaccfile_in_order") else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    ordering_repo(&repo, &logging("root", &["prep", "up", "down"]));

    let out = repository(&mut t, "up", &repo, 2816, &[]).success();
    assert_eq!(
        take_log(&t),
        lines(&[
            "root prep",
            "Beta prep",
            "alpha prep",
            "gamma prep",
            "root up",
            "Beta up",
            "alpha up",
            "gamma up",
        ]),
        "prep everywhere first, then up; root first, subfolders in byte order\n{out}"
    );
    assert!(
        socket(&t, 2816).exists(),
        "repository up starts the daemon\n{out}"
    );
    for progress in ["[1/4] prep root", "[2/4] prep Beta", "[4/4] up gamma"] {
        assert!(
            out.stderr.contains(progress),
            "no progress line {progress:?}\n{out}"
        );
    }

    let out = repository(&mut t, "down", &repo, 2816, &["--stop-daemon"]).success();
    assert_eq!(
        take_log(&t),
        lines(&["gamma down", "alpha down", "Beta down", "root down"]),
        "down runs subfolders in reverse byte order, then the root\n{out}"
    );
    assert!(
        !socket(&t, 2816).exists(),
        "down --stop-daemon stops the daemon\n{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Environment
// ---------------------------------------------------------------------------------------------

const DUMP: &str = r#"dump() {
    env > "$RT_OUT/$1-$RT_TAG.env"
    pwd > "$RT_OUT/$1-$RT_TAG.pwd"
    command -v renet > "$RT_OUT/$1-$RT_TAG.which"
    renet ip --network-id "$REDIACC_NETWORK_ID" --slot 0 > "$RT_OUT/$1-$RT_TAG.ip" 2>&1
}
"#;

#[test]
fn repository_up_functions_see_the_documented_environment() {
    let Some(_lock) = docker_lock("repository_up_functions_see_the_documented_environment") else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    write(
        &repo,
        "compose.yaml",
        "services:\n  api:\n    image: renet-test/busybox:1\n    restart: always\n",
    );
    write(
        &repo,
        "Rediaccfile",
        &format!(
            "{DUMP}up() {{ dump root; }}\nprep() {{ echo \"$API_IP $CACHE_IP $MY_DB_IP\" > \"$RT_OUT/prep-$RT_TAG.ip\"; }}\n"
        ),
    );
    write(
        &repo,
        "worker/compose.yaml",
        "services:\n  my-db:\n    image: renet-test/busybox:1\n  cache:\n    image: renet-test/busybox:1\n",
    );
    write(
        &repo,
        "worker/rediaccfile",
        &format!("{DUMP}up() {{ dump worker; }}\n"),
    );
    // A folder without a Rediaccfile: its compose file is not part of the repository.
    write(
        &repo,
        "notes/compose.yaml",
        "services:\n  ghost:\n    image: renet-test/busybox:1\n",
    );
    let out_dir = out_dir(&t);
    let renet_dir = Path::new(renet_bin())
        .parent()
        .expect("renet's folder")
        .to_owned();
    assert!(
        !SYSTEM_PATH.split(':').any(|d| Path::new(d) == renet_dir),
        "the test needs a PATH without renet's folder"
    );

    let run = |t: &mut Test, tag: &str, extra: &[&str]| {
        t.env("PATH", SYSTEM_PATH).env("RT_TAG", tag);
        repository(t, "up", &repo, 2816, extra).success()
    };
    let out = run(&mut t, "named", &["--name", "shop"]);

    let repo_abs = canonical(&repo);
    let run_dir = t.run_dir().display().to_string();
    let expected_common = [
        ("REDIACC_WORKING_DIR", repo_abs.clone()),
        ("REDIACC_NETWORK_ID", "2816".to_owned()),
        ("DOCKER_HOST", format!("unix://{run_dir}/docker-2816.sock")),
        ("REPOSITORY_PATH", repo_abs.clone()),
        ("REPOSITORY_NETWORK_ID", "2816".to_owned()),
        ("RENET_RUN_DIR", run_dir.clone()),
        ("RENET_STATE_DIR", t.state_dir().display().to_string()),
        // Every service of the repository, whichever folder names it: byte order of names
        // gives api 0, cache 1, my-db 2.
        ("API_IP", "127.0.11.2".to_owned()),
        ("CACHE_IP", "127.0.11.3".to_owned()),
        ("MY_DB_IP", "127.0.11.4".to_owned()),
    ];
    for (who, folder) in [("root", repo.clone()), ("worker", repo.join("worker"))] {
        let read = |ext: &str| {
            let p = out_dir.join(format!("{who}-named.{ext}"));
            fs::read_to_string(&p)
                .unwrap_or_else(|e| panic!("{who}'s up did not write {}: {e}\n{out}", p.display()))
        };
        let env = parse_env(&read("env"));
        for (k, v) in &expected_common {
            assert_eq!(env.get(*k), Some(v), "{who}: {k}\n{out}");
        }
        assert_eq!(
            env.get("REDIACC_REPOSITORY").map(String::as_str),
            Some("shop"),
            "{who}: --name\n{out}"
        );
        assert_eq!(
            env.get("REPOSITORY_NAME").map(String::as_str),
            Some("shop"),
            "{who}: legacy name\n{out}"
        );
        assert!(
            !env.contains_key("GHOST_IP"),
            "{who}: a folder without Rediaccfile is not read\n{out}"
        );
        assert_eq!(
            env.get("RT_TAG").map(String::as_str),
            Some("named"),
            "{who}: renet's own environment passes through"
        );
        let path = env.get("PATH").expect("PATH");
        assert!(
            path.starts_with(&format!("{}:", renet_dir.display()))
                || path.starts_with(&format!("{}:", canonical(&renet_dir))),
            "{who}: PATH starts with renet's folder: {path}"
        );
        assert!(
            path.ends_with(SYSTEM_PATH),
            "{who}: the given PATH follows: {path}"
        );
        assert_eq!(
            read("pwd").trim(),
            canonical(&folder),
            "{who}: working folder is the file's folder"
        );
        assert_eq!(
            canonical(Path::new(read("which").trim())),
            canonical(Path::new(renet_bin())),
            "{who}: plain `renet` is this renet"
        );
        assert_eq!(
            read("ip").trim(),
            "127.0.11.2",
            "{who}: `renet ip` works inside a function"
        );
    }

    // Slots are synced before the first prep: every folder's addresses are known there.
    assert_eq!(
        fs::read_to_string(out_dir.join("prep-named.ip"))
            .expect("prep wrote its file")
            .trim(),
        "127.0.11.2 127.0.11.3 127.0.11.4"
    );

    // Without --name: the name the first run kept (SPEC section 3 "Identity"; before issue 11
    // the folder's name, and a forgotten --name renamed the repository).
    run(&mut t, "default", &[]);
    let env = parse_env(&fs::read_to_string(out_dir.join("worker-default.env")).expect("env dump"));
    assert_eq!(
        env.get("REDIACC_REPOSITORY").map(String::as_str),
        Some("shop")
    );
    assert_eq!(env.get("REPOSITORY_NAME").map(String::as_str), Some("shop"));
    assert_eq!(t.slot_map()["network_id"], 2816);

    // `name` in .rediacc.json, when no --name.
    let mut map = t.slot_map();
    map["name"] = Value::from("from-file");
    fs::write(
        repo.join(".rediacc.json"),
        serde_json::to_string_pretty(&map).expect("JSON"),
    )
    .expect("write .rediacc.json");
    run(&mut t, "file", &[]);
    let env = parse_env(&fs::read_to_string(out_dir.join("root-file.env")).expect("env dump"));
    assert_eq!(
        env.get("REDIACC_REPOSITORY").map(String::as_str),
        Some("from-file")
    );
    // Another --name is refused (exit 4, nothing runs, the file byte-identical) unless --rename.
    let before = t.bytes(".rediacc.json");
    t.env("PATH", SYSTEM_PATH).env("RT_TAG", "refused");
    let out = repository(&mut t, "up", &repo, 2816, &["--name", "over"]).code(4);
    assert!(
        out.stderr.contains("\"from-file\"") && out.stderr.contains("--rename"),
        "{out}"
    );
    assert!(
        !out_dir.join("root-refused.env").exists(),
        "nothing ran\n{out}"
    );
    assert_eq!(t.bytes(".rediacc.json"), before);
    let out = run(&mut t, "flag", &["--name", "over", "--rename"]);
    let env = parse_env(&fs::read_to_string(out_dir.join("root-flag.env")).expect("env dump"));
    assert_eq!(
        env.get("REDIACC_REPOSITORY").map(String::as_str),
        Some("over"),
        "--rename takes the new name\n{out}"
    );
    assert_eq!(t.slot_map()["name"], "over", "--rename keeps the new name");

    repository(&mut t, "down", &repo, 2816, &["--stop-daemon"]).success();
    assert!(!socket(&t, 2816).exists());
}

// ---------------------------------------------------------------------------------------------
// 3. Failures
// ---------------------------------------------------------------------------------------------

#[test]
fn repository_up_root_failure_stops_everything() {
    let Some(_lock) = docker_lock("repository_up_root_failure_stops_everything") else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    ordering_repo(
        &repo,
        &format!(
            "{}up() {{\n    echo \"root up\" >> \"$RT_LOG\"\n    return 3\n}}\n",
            logging("root", &["prep"])
        ),
    );
    let out = repository(&mut t, "up", &repo, 2816, &["--json"]).code(1);
    assert_eq!(
        take_log(&t),
        lines(&[
            "root prep",
            "Beta prep",
            "alpha prep",
            "gamma prep",
            "root up"
        ]),
        "no subfolder up runs after the root's up failed\n{out}"
    );
    let report = out.json();
    assert_eq!(report["ok"], false, "{out}");
    let f = failures(&report);
    assert_eq!(f.len(), 1, "{out}");
    assert!(
        f[0].starts_with(".: ") && f[0].contains("status 3"),
        "{f:?}"
    );
    let root = file_of(&report, ".");
    assert_eq!(root["runs"][1]["function"], "up");
    assert_eq!(root["runs"][1]["exit_status"], 3);
    assert_eq!(root["runs"][1]["ok"], false);
    assert_eq!(
        file_of(&report, "alpha")["runs"].as_array().map(Vec::len),
        Some(1),
        "alpha: prep only"
    );
}

#[test]
fn repository_up_subfolder_failure_is_reported_and_the_others_run() {
    let Some(_lock) = docker_lock("repository_up_subfolder_failure_is_reported_and_the_others_run")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    ordering_repo(&repo, &logging("root", &["prep", "up", "down"]));
    write(
        &repo,
        "Beta/REDIACCFILE",
        "up() {\n    echo \"Beta up\" >> \"$RT_LOG\"\n    echo 'Beta is broken' >&2\n    return 7\n}\n",
    );
    let out = repository(&mut t, "up", &repo, 2816, &["--json"]).success();
    assert_eq!(
        take_log(&t),
        lines(&[
            "root prep",
            "alpha prep",
            "gamma prep",
            "root up",
            "Beta up",
            "alpha up",
            "gamma up"
        ]),
        "{out}"
    );
    let report = out.json();
    assert_eq!(
        report["ok"], true,
        "a subfolder failure does not fail the run\n{out}"
    );
    let f = failures(&report);
    assert_eq!(f.len(), 1, "{out}");
    assert!(
        f[0].starts_with("Beta: ") && f[0].contains("status 7"),
        "{f:?}"
    );
    assert!(out.stderr.contains("[Beta] Beta is broken"), "{out}");
    let beta = file_of(&report, "Beta");
    assert_eq!(beta["runs"][0]["exit_status"], 7);
    assert_eq!(beta["runs"][0]["ok"], false);

    // Without --json the summary lists the failure too, and the status is still 0.
    let out = repository(&mut t, "up", &repo, 2816, &[]).success();
    assert!(out.stdout.is_empty(), "{out}");
    assert!(out.stderr.contains("failures:"), "{out}");
}

#[test]
fn repository_up_prep_failure_is_fail_fast() {
    let Some(_lock) = docker_lock("repository_up_prep_failure_is_fail_fast") else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    ordering_repo(&repo, &logging("root", &["prep", "up", "down"]));
    write(
        &repo,
        "Beta/REDIACCFILE",
        &format!(
            "{}prep() {{\n    echo \"Beta prep\" >> \"$RT_LOG\"\n    false\n}}\n",
            logging("Beta", &["up"])
        ),
    );
    let out = repository(&mut t, "up", &repo, 2816, &["--json"]).code(1);
    assert_eq!(
        take_log(&t),
        lines(&["root prep", "Beta prep"]),
        "a failing prep stops later preps and every up\n{out}"
    );
    let report = out.json();
    assert_eq!(report["ok"], false);
    let f = failures(&report);
    assert_eq!(f.len(), 1, "{out}");
    assert!(f[0].starts_with("Beta: ") && f[0].contains("prep"), "{f:?}");
}

#[test]
fn repository_down_attempts_every_file_even_when_one_fails() {
    // `down` starts no daemon: no docker needed.
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    ordering_repo(&repo, &logging("root", &["prep", "up", "down"]));
    write(
        &repo,
        "alpha/rediaccfile",
        "down() {\n    echo \"alpha down\" >> \"$RT_LOG\"\n    exit 4\n}\n",
    );
    let out = repository(&mut t, "down", &repo, 2816, &["--json"]).code(1);
    assert_eq!(
        take_log(&t),
        lines(&["gamma down", "alpha down", "Beta down", "root down"]),
        "{out}"
    );
    let report = out.json();
    assert_eq!(report["ok"], false);
    assert_eq!(report["daemon_running"], false);
    let f = failures(&report);
    assert_eq!(f.len(), 1, "{out}");
    assert!(
        f[0].starts_with("alpha: ") && f[0].contains("status 4"),
        "{f:?}"
    );
    for folder in [".", "Beta", "gamma"] {
        assert_eq!(file_of(&report, folder)["runs"][0]["ok"], true, "{folder}");
    }
    assert!(!socket(&t, 2816).exists(), "down starts no daemon");
}

// ---------------------------------------------------------------------------------------------
// 4. The --json document
// ---------------------------------------------------------------------------------------------

#[test]
fn repository_up_json_document_is_alone_on_stdout() {
    let Some(_lock) = docker_lock("repository_up_json_document_is_alone_on_stdout") else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    write(
        &repo,
        "compose.yaml",
        "services:\n  api:\n    image: renet-test/busybox:1\n    restart: always\n",
    );
    write(
        &repo,
        "Rediaccfile",
        "prep() { echo 'root prep says hi'; }\nup() {\n    echo 'root up on stdout'\n    echo 'root up on stderr' >&2\n}\ninfo() { echo info; }\n",
    );
    write(
        &repo,
        "worker/compose.yaml",
        "services:\n  my-db:\n    image: renet-test/busybox:1\n",
    );
    write(
        &repo,
        "worker/Rediaccfile",
        "function up {\n    printf 'one\\ntwo\\n'\n}\n",
    );
    // Written in the text, but not defined once sourced: bash knows no function, nothing runs.
    write(
        &repo,
        "lazy/Rediaccfile",
        "if [ -n \"${NEVER_SET_ANYWHERE:-}\" ]; then\nup() { echo never; }\nfi\n",
    );

    let out = repository(&mut t, "up", &repo, 2816, &["--json"]).success();
    // The whole of stdout is one JSON document.
    let report: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not exactly one JSON document: {e}\n{out}"));
    for line in [
        "[1/1] prep root",
        "[root] root prep says hi",
        "[1/2] up root",
        "[root] root up on stdout",
        "[root] root up on stderr",
        "[2/2] up worker",
        "[worker] one",
        "[worker] two",
    ] {
        assert!(
            out.stderr.lines().any(|l| l == line),
            "stderr lacks the line {line:?}\n{out}"
        );
    }
    for leak in ["root up on stdout", "root prep says hi", "one"] {
        assert!(
            !out.stdout.contains(leak),
            "function output {leak:?} leaked to stdout\n{out}"
        );
    }

    assert_eq!(report["repository"], "repo");
    assert_eq!(report["network_id"], 2816);
    assert_eq!(report["path"].as_str(), Some(canonical(&repo).as_str()));
    assert_eq!(report["daemon_socket"].as_str(), socket(&t, 2816).to_str());
    assert_eq!(report["ok"], true);
    assert_eq!(failures(&report), Vec::<String>::new());

    let services = report["services"].as_array().expect("services is an array");
    let names: Vec<&str> = services.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["api", "my-db"]);
    assert_eq!(services[0]["slot"], 0);
    assert_eq!(services[0]["address"], "127.0.11.2");
    assert_eq!(services[0]["variable"], "API_IP");
    // The restart policy is saved by `renet compose -- up`, which has not run here.
    assert!(
        services[0].get("restart_policy").is_some(),
        "restart_policy is always present: {:#}",
        services[0]
    );
    assert_eq!(services[1]["slot"], 1);
    assert_eq!(services[1]["address"], "127.0.11.3");
    assert_eq!(services[1]["variable"], "MY_DB_IP");
    assert!(
        services[1].get("restart_policy").is_some(),
        "restart_policy is always present: {:#}",
        services[1]
    );
    assert!(services[1]["restart_policy"].is_null());

    assert_eq!(folders(&report), [".", "lazy", "worker"]);
    let root = file_of(&report, ".");
    assert_eq!(root["functions"], serde_json::json!(["prep", "up", "info"]));
    let runs = root["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2);
    for (run, function) in runs.iter().zip(["prep", "up"]) {
        assert_eq!(run["function"], function);
        assert_eq!(run["exit_status"], 0);
        assert_eq!(run["ok"], true);
        let s = run["seconds"].as_f64().expect("seconds is a number");
        assert!((0.0..60.0).contains(&s), "seconds: {s}");
    }
    let worker = file_of(&report, "worker");
    assert_eq!(worker["functions"], serde_json::json!(["up"]));
    assert_eq!(worker["runs"][0]["function"], "up");
    let lazy = file_of(&report, "lazy");
    assert_eq!(lazy["functions"], serde_json::json!([]));
    assert_eq!(lazy["runs"], serde_json::json!([]), "{lazy:#}");
    assert!(!out.stderr.contains("up lazy"), "{out}");

    // down --json: the same document shape, stdout still only JSON.
    let out = repository(&mut t, "down", &repo, 2816, &["--json", "--stop-daemon"]).success();
    let report: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not exactly one JSON document: {e}\n{out}"));
    for key in [
        "repository",
        "network_id",
        "path",
        "daemon_socket",
        "services",
        "rediaccfiles",
        "failures",
        "ok",
    ] {
        assert!(
            report.get(key).is_some(),
            "down report lacks {key}: {report:#}"
        );
    }
    assert_eq!(report["daemon_running"], false);
    assert!(!socket(&t, 2816).exists());
}

// ---------------------------------------------------------------------------------------------
// 5. The examples
// ---------------------------------------------------------------------------------------------

/// Addresses of `renet slots --json`, by service name.
fn slot_addresses(t: &mut Test, repo: &Path, id: u32) -> BTreeMap<String, String> {
    let slots = t
        .args(["slots", "--json", "--network-id", &id.to_string(), "--repo"])
        .args([repo])
        .run()
        .success()
        .json();
    slots["services"]
        .as_array()
        .expect("services is an array")
        .iter()
        .map(|s| {
            (
                s["name"].as_str().expect("name").to_owned(),
                s["address"].as_str().expect("address").to_owned(),
            )
        })
        .collect()
}

fn examples_copy(t: &Test) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let dst = t.root().join("examples");
    copy_tree(&src, &dst);
    dst
}

#[test]
fn repository_example_webapp_postgres_serves_and_goes_away() {
    let Some(_lock) = compose_lock(
        "repository_example_webapp_postgres_serves_and_goes_away",
        Compose::V2,
    ) else {
        return;
    };
    let mut t = Test::new();
    let repo = examples_copy(&t).join("webapp-postgres");
    let daemon = Daemon::guard(&t, 2880, &repo);
    // The two addresses of the block of 2880 its services will get (slots 0 and 1).
    for addr in [
        "127.0.11.66:5432",
        "127.0.11.67:5432",
        "127.0.11.66:3000",
        "127.0.11.67:3000",
    ] {
        wait_address_free(addr);
    }

    let out = repository(&mut t, "up", &repo, 2880, &[]).success();
    let addrs = slot_addresses(&mut t, &repo, 2880);
    let webapp = format!("{}:3000", addrs.get("webapp").expect("webapp has a slot"));
    let postgres = format!(
        "{}:5432",
        addrs.get("postgres").expect("postgres has a slot")
    );
    let body = http_get_path(&webapp, "/cgi-bin/index", "postgres stand-in");
    assert!(body.contains("database"), "webapp page: {body}\n{out}");
    let db = http_get_path(&postgres, "/", "postgres stand-in");
    assert!(
        db.contains(&postgres),
        "the stand-in names its own address: {db}"
    );
    daemon.assert_made_by(Compose::V2);

    // status: the daemon, the containers, and the Rediaccfile's info.
    let status = repository(&mut t, "status", &repo, 2880, &["--json"])
        .success()
        .json();
    assert_eq!(status["daemon_running"], true);
    let info = file_of(&status, ".")["info"]
        .as_str()
        .expect("info output")
        .to_owned();
    assert!(
        info.contains(&format!("http://{webapp}/")) && info.contains(&postgres),
        "info: {info}"
    );
    for s in status["services"].as_array().expect("services") {
        let states: Vec<&str> = s["containers"]
            .as_array()
            .expect("containers")
            .iter()
            .filter_map(|c| c["state"].as_str())
            .collect();
        assert_eq!(states, ["running"], "{s:#}");
        assert_eq!(
            s["restart_policy"], "unless-stopped",
            "saved by renet compose: {s:#}"
        );
    }

    // down without stopping the daemon: no container left at all.
    repository(&mut t, "down", &repo, 2880, &[]).success();
    assert_eq!(
        daemon.containers(),
        Vec::<String>::new(),
        "docker ps -a is empty after down"
    );
    wait_refused(&webapp);
    wait_refused(&postgres);
    let out = repository(&mut t, "down", &repo, 2880, &["--stop-daemon"]).success();
    assert!(!daemon.socket().exists(), "the daemon is stopped\n{out}");
    wait_refused(&webapp);
    wait_refused(&postgres);
}

/// On Compose v2, whose BuildKit runs `RUN` steps on the daemon's default network: a renet
/// daemon has no bridge, so this passes only because the rewrite sets `build.network: host`
/// (without it: "failed to solve: ... network bridge not found").
#[test]
fn repository_example_multi_folder_frontend_reaches_backend() {
    let Some(_lock) = compose_lock(
        "repository_example_multi_folder_frontend_reaches_backend",
        Compose::V2,
    ) else {
        return;
    };
    let mut t = Test::with_compose(Compose::V2);
    let repo = examples_copy(&t).join("multi-folder");
    let daemon = Daemon::guard(&t, 2880, &repo);
    for addr in ["127.0.11.66:8080", "127.0.11.67:8080"] {
        wait_address_free(addr);
    }

    let out = repository(&mut t, "up", &repo, 2880, &["--json"]).success();
    let report = out.json();
    assert_eq!(folders(&report), [".", "backend", "frontend"]);
    assert_eq!(failures(&report), Vec::<String>::new(), "{out}");
    let addrs = slot_addresses(&mut t, &repo, 2880);
    let api = addrs.get("api").expect("api has a slot");
    let web = addrs.get("web").expect("web has a slot");
    assert!(
        out.stderr.contains(&format!(
            "[root] repository multi-folder on network 2880: api at {api}, web at {web}"
        )),
        "the root's up sees every folder's addresses\n{out}"
    );
    let body = http_get_path(
        &format!("{web}:8080"),
        "/cgi-bin/index",
        "api says: backend api",
    );
    assert!(body.contains("frontend"), "{body}");
    daemon.assert_made_by(Compose::V2);

    let out = repository(&mut t, "down", &repo, 2880, &["--stop-daemon"]).success();
    assert!(
        out.stderr.contains("[root] all subfolders are down"),
        "{out}"
    );
    let frontend_down = out
        .stderr
        .find("down frontend")
        .expect("frontend's down ran");
    let backend_down = out.stderr.find("down backend").expect("backend's down ran");
    assert!(frontend_down < backend_down, "Z to A\n{out}");
    assert!(!daemon.socket().exists(), "the daemon is stopped\n{out}");
    wait_refused(&format!("{web}:8080"));
    wait_refused(&format!("{api}:8080"));
}

/// The README's quick start (examples/quickstart.sh) on Compose v2: `web` asks `api` by name,
/// both answer on their own addresses, and the containers carry v2's names.
#[test]
fn repository_example_hello_runs_on_compose_v2() {
    let Some(_lock) = compose_lock("repository_example_hello_runs_on_compose_v2", Compose::V2)
    else {
        return;
    };
    let mut t = Test::new();
    let examples = examples_copy(&t);
    let repo = examples.join("hello");
    for addr in ["127.0.11.2:8080", "127.0.11.3:8080"] {
        wait_address_free(addr);
    }
    let daemon = Daemon::start(&t, 2816, &repo);
    let mut import = std::process::Command::new(repo.join("import-busybox.sh"));
    import
        .env("DOCKER_HOST", daemon.docker_host())
        .env_remove("DOCKER_CONTEXT");
    run_command(import, Duration::from_secs(120)).success();

    let out = repository(&mut t, "up", &repo, 2816, &["--json"]).success();
    assert_eq!(failures(&out.json()), Vec::<String>::new(), "{out}");
    let addrs = slot_addresses(&mut t, &repo, 2816);
    let (api, web) = (&addrs["api"], &addrs["web"]);
    assert_eq!((api.as_str(), web.as_str()), ("127.0.11.2", "127.0.11.3"));
    let api_page = http_get_path(&format!("{api}:8080"), "/", "api answering");
    assert_eq!(api_page.trim(), format!("api answering on {api}:8080"));
    let web_page = http_get_path(&format!("{web}:8080"), "/", "web answering");
    assert_eq!(
        web_page.trim(),
        format!(
            "web answering on {web}:8080; it asked api by name and got: {}",
            api_page.trim()
        ),
        "{out}"
    );
    daemon.assert_made_by(Compose::V2);
    for service in ["api", "web"] {
        let info = daemon.inspect(&daemon.container_of(service));
        assert_eq!(
            info["Name"].as_str(),
            Some(Compose::V2.container_name("hello", service, 1).as_str())
        );
    }

    let out = repository(&mut t, "down", &repo, 2816, &["--stop-daemon"]).success();
    assert!(!daemon.socket().exists(), "the daemon is stopped\n{out}");
    wait_refused(&format!("{api}:8080"));
    wait_refused(&format!("{web}:8080"));
}

// ---------------------------------------------------------------------------------------------
// 6. Bad input
// ---------------------------------------------------------------------------------------------

const SYNTAX_ERROR: &str = "up() {\n    echo (\n}\n";

#[test]
fn repository_up_root_syntax_error_fails_before_anything_runs() {
    let Some(_lock) = docker_lock("repository_up_root_syntax_error_fails_before_anything_runs")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    ordering_repo(
        &repo,
        &format!("{}{SYNTAX_ERROR}", logging("root", &["prep"])),
    );
    let out = repository(&mut t, "up", &repo, 2816, &["--json"]).code(1);
    assert_eq!(take_log(&t), Vec::<String>::new(), "nothing runs\n{out}");
    let file = repo.join("Rediaccfile");
    assert!(
        out.stderr
            .contains(&format!("[root] bash syntax error in {}", file.display())),
        "the message names the file\n{out}"
    );
    let report = out.json();
    assert_eq!(report["ok"], false);
    let f = failures(&report);
    assert!(
        f.len() == 1 && f[0].starts_with(".: bash syntax error"),
        "{f:?}"
    );
}

#[test]
fn repository_up_subfolder_syntax_error_is_reported_and_the_others_run() {
    let Some(_lock) =
        docker_lock("repository_up_subfolder_syntax_error_is_reported_and_the_others_run")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    ordering_repo(&repo, &logging("root", &["prep", "up", "down"]));
    write(
        &repo,
        "Beta/REDIACCFILE",
        &format!("{}{SYNTAX_ERROR}", logging("Beta", &["prep", "down"])),
    );
    let out = repository(&mut t, "up", &repo, 2816, &["--json"]).success();
    assert_eq!(
        take_log(&t),
        lines(&[
            "root prep",
            "alpha prep",
            "gamma prep",
            "root up",
            "alpha up",
            "gamma up"
        ]),
        "{out}"
    );
    assert!(out.stderr.contains("[Beta] bash syntax error in"), "{out}");
    let report = out.json();
    assert_eq!(report["ok"], true);
    let f = failures(&report);
    assert!(
        f.len() == 1 && f[0].starts_with("Beta: bash syntax error"),
        "{f:?}"
    );
    assert_eq!(file_of(&report, "Beta")["runs"][0]["ok"], false);

    // down: reported as a failed down, every other file still attempted.
    let out = repository(&mut t, "down", &repo, 2816, &["--json", "--stop-daemon"]).code(1);
    assert_eq!(
        take_log(&t),
        lines(&["gamma down", "alpha down", "root down"]),
        "{out}"
    );
    let f = failures(&out.json());
    assert!(
        f.len() == 1 && f[0].starts_with("Beta: bash syntax error"),
        "{f:?}"
    );
    assert!(
        !socket(&t, 2816).exists(),
        "the daemon is stopped even though a down failed\n{out}"
    );
}

/// A function that never returns, recording the pids of what it started.
const HANG: &str = r#"up() {
    echo "$1 up" >> "$RT_LOG"
    echo $$ > "$RT_OUT/$1-bash.pid"
    sleep 300 &
    echo $! > "$RT_OUT/$1-bg.pid"
    ( sleep 301 ) &
    echo $! > "$RT_OUT/$1-sub.pid"
    sleep 302
}
"#;

fn hang(label: &str) -> String {
    HANG.replace("$1", label)
}

/// Every pid file of `label` names a process that is gone.
#[track_caller]
fn assert_all_killed(t: &Test, label: &str, out: &Output) {
    let dir = out_dir(t);
    for kind in ["bash", "bg", "sub"] {
        let pid = read_pid(&dir.join(format!("{label}-{kind}.pid")));
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(pid) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
        }
        assert!(
            !alive(pid),
            "{label}: process {pid} ({kind}) survived the timeout\n{out}"
        );
    }
}

#[test]
fn repository_up_timeout_kills_a_hanging_subfolder_function_and_goes_on() {
    let Some(_lock) =
        docker_lock("repository_up_timeout_kills_a_hanging_subfolder_function_and_goes_on")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    let _reaper = Reaper(out_dir(&t));
    ordering_repo(&repo, &logging("root", &["prep", "up", "down"]));
    write(&repo, "Beta/REDIACCFILE", &hang("Beta"));
    let began = Instant::now();
    t.timeout(Duration::from_secs(60));
    let out = repository(&mut t, "up", &repo, 2816, &["--json", "--timeout", "2"]).success();
    assert!(
        began.elapsed() < Duration::from_secs(30),
        "took {:?}\n{out}",
        began.elapsed()
    );
    assert_eq!(
        take_log(&t),
        lines(&[
            "root prep",
            "alpha prep",
            "gamma prep",
            "root up",
            "Beta up",
            "alpha up",
            "gamma up"
        ]),
        "{out}"
    );
    assert_all_killed(&t, "Beta", &out);
    let report = out.json();
    let f = failures(&report);
    assert!(
        f.len() == 1 && f[0].starts_with("Beta: ") && f[0].contains("did not finish within 2s"),
        "{f:?}"
    );
    let run = &file_of(&report, "Beta")["runs"][0];
    assert_eq!(run["ok"], false);
    assert!(run["exit_status"].is_null(), "{run:#}");
    let s = run["seconds"].as_f64().expect("seconds");
    assert!((2.0..10.0).contains(&s), "killed after about 2s: {s}");
}

#[test]
fn repository_up_timeout_of_the_root_fails_the_run() {
    let Some(_lock) = docker_lock("repository_up_timeout_of_the_root_fails_the_run") else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    let _reaper = Reaper(out_dir(&t));
    ordering_repo(&repo, &hang("root"));
    let began = Instant::now();
    t.timeout(Duration::from_secs(60));
    let out = repository(&mut t, "up", &repo, 2816, &["--timeout", "2"]).code(1);
    assert!(
        began.elapsed() < Duration::from_secs(30),
        "took {:?}\n{out}",
        began.elapsed()
    );
    assert_eq!(
        take_log(&t),
        lines(&["Beta prep", "alpha prep", "gamma prep", "root up"]),
        "no subfolder up after the root's timed out\n{out}"
    );
    assert!(out.stderr.contains("did not finish within 2s"), "{out}");
    assert_all_killed(&t, "root", &out);
}

#[test]
fn repository_up_returns_when_a_function_leaves_a_background_process() {
    // `up() { server & }`: the function returns at once. renet must neither wait for the
    // background process (which inherited the output pipes) to exit, nor count the function as
    // timed out under --timeout.
    let Some(_lock) =
        docker_lock("repository_up_returns_when_a_function_leaves_a_background_process")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    let _reaper = Reaper(out_dir(&t));
    write(
        &repo,
        "Rediaccfile",
        "up() {\n    sleep 20 &\n    echo $! > \"$RT_OUT/$RT_TAG.pid\"\n    echo started\n}\n",
    );

    t.timeout(Duration::from_secs(60)).env("RT_TAG", "limited");
    let out = repository(&mut t, "up", &repo, 2816, &["--json", "--timeout", "4"]);
    let report = out.json();
    assert_eq!(
        failures(&report),
        Vec::<String>::new(),
        "a function that returned at once is not a timeout\n{out}"
    );
    assert_eq!(out.status, 0, "{out}");

    let began = Instant::now();
    t.timeout(Duration::from_secs(60))
        .env("RT_TAG", "unlimited");
    let out = repository(&mut t, "up", &repo, 2816, &[]).success();
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "repository up waited {:?} for a background process of a function that had returned\n{out}",
        began.elapsed()
    );
}

#[test]
fn repository_up_handles_folder_names_with_spaces() {
    let Some(_lock) = docker_lock("repository_up_handles_folder_names_with_spaces") else {
        return;
    };
    let mut t = Test::new();
    let repo = t.make_repo("my repo");
    let _daemon = Daemon::guard(&t, 2816, &repo);
    write(
        &repo,
        "compose.yaml",
        "services:\n  api:\n    image: renet-test/busybox:1\n",
    );
    write(
        &repo,
        "Rediaccfile",
        "up() { echo \"root up $REDIACC_REPOSITORY\" >> \"$RT_LOG\"; }\n",
    );
    write(
        &repo,
        "my app/compose.yaml",
        "services:\n  web-app:\n    image: renet-test/busybox:1\n",
    );
    write(
        &repo,
        "my app/Rediaccfile",
        "up() {\n    echo \"my app up $(pwd) $API_IP\" >> \"$RT_LOG\"\n}\n",
    );
    let out = repository(&mut t, "up", &repo, 2816, &["--json"]).success();
    let app = canonical(&repo.join("my app"));
    assert_eq!(
        take_log(&t),
        vec![
            "root up my repo".to_owned(),
            format!("my app up {app} 127.0.11.2")
        ],
        "{out}"
    );
    let report = out.json();
    assert_eq!(folders(&report), [".", "my app"]);
    assert_eq!(report["ok"], true);
    let out = repository(&mut t, "down", &repo, 2816, &["--stop-daemon"]).success();
    assert!(!socket(&t, 2816).exists(), "{out}");
}

#[test]
fn repository_up_reports_a_rediaccfile_that_is_a_folder_or_a_dangling_symlink() {
    // Root can read every file, so "unreadable" is exercised with a dangling symlink instead.
    let Some(_lock) =
        docker_lock("repository_up_reports_a_rediaccfile_that_is_a_folder_or_a_dangling_symlink")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    write(&repo, "Rediaccfile", &logging("root", &["up"]));
    fs::create_dir_all(repo.join("dir/Rediaccfile")).expect("a folder named Rediaccfile");
    fs::create_dir_all(repo.join("link")).expect("create link/");
    std::os::unix::fs::symlink("../nowhere/Rediaccfile", repo.join("link/Rediaccfile"))
        .expect("dangling symlink");
    write(&repo, "ok/Rediaccfile", &logging("ok", &["up"]));

    let out = repository(&mut t, "up", &repo, 2816, &["--json"]).success();
    assert_eq!(take_log(&t), lines(&["root up", "ok up"]), "{out}");
    let report = out.json();
    assert_eq!(folders(&report), [".", "dir", "link", "ok"]);
    let f = failures(&report);
    assert_eq!(f.len(), 2, "{out}");
    assert!(
        f[0].starts_with("dir: ") && f[0].contains("is a folder"),
        "{f:?}"
    );
    assert!(
        f[1].starts_with("link: ") && f[1].contains("cannot read"),
        "{f:?}"
    );
    assert!(
        out.stderr.contains("[dir] ") && out.stderr.contains("[link] "),
        "{out}"
    );

    // The same problems at the root fail the run before anything runs.
    let mut t2 = Test::new();
    let repo2 = t2.repo().to_owned();
    let _daemon2 = Daemon::guard(&t2, 2880, &repo2);
    fs::create_dir_all(repo2.join("Rediaccfile")).expect("a folder named Rediaccfile");
    write(&repo2, "ok/Rediaccfile", &logging("ok", &["prep", "up"]));
    let out = repository(&mut t2, "up", &repo2, 2880, &[]).code(1);
    assert_eq!(take_log(&t2), Vec::<String>::new(), "{out}");
    assert!(out.stderr.contains("is a folder, not a file"), "{out}");
}

#[test]
fn repository_up_without_any_rediaccfile_starts_the_daemon_and_syncs_slots() {
    let Some(_lock) =
        docker_lock("repository_up_without_any_rediaccfile_starts_the_daemon_and_syncs_slots")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    write(
        &repo,
        "compose.yaml",
        "services:\n  web:\n    image: renet-test/busybox:1\n  db:\n    image: renet-test/busybox:1\n",
    );
    let out = repository(&mut t, "up", &repo, 2816, &["--json"])
        .success()
        .stderr_has("no Rediaccfile found");
    let report = out.json();
    assert_eq!(report["ok"], true);
    assert_eq!(report["rediaccfiles"], serde_json::json!([]));
    assert!(socket(&t, 2816).exists(), "the daemon is started\n{out}");
    let map = t.slot_map();
    assert_eq!(map["services"]["db"]["slot"], 0, "{map:#}");
    assert_eq!(map["services"]["web"]["slot"], 1, "{map:#}");
}

#[test]
fn repository_with_a_missing_path_is_a_usage_error() {
    let mut t = Test::new();
    let missing = t.root().join("no-such-repo");
    for action in ["up", "down", "status"] {
        repository(&mut t, action, &missing, 2816, &[])
            .code(2)
            .stderr_has(&missing.display().to_string());
        // With --json the error is a JSON document on stdout too.
        let doc = repository(&mut t, action, &missing, 2816, &["--json"])
            .code(2)
            .json();
        assert_eq!(doc["error"]["exit_code"], 2, "{doc:#}");
        let message = doc["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&missing.display().to_string()), "{doc:#}");
    }
    assert!(!socket(&t, 2816).exists());
}

#[test]
fn repository_up_refuses_a_network_id_other_than_the_running_daemons() {
    let Some(_lock) =
        docker_lock("repository_up_refuses_a_network_id_other_than_the_running_daemons")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _d2816 = Daemon::guard(&t, 2816, &repo);
    let _d2880 = Daemon::guard(&t, 2880, &repo);
    write(
        &repo,
        "compose.yaml",
        "services:\n  web:\n    image: renet-test/busybox:1\n",
    );
    write(&repo, "Rediaccfile", &logging("root", &["prep", "up"]));
    repository(&mut t, "up", &repo, 2816, &[]).success();
    assert_eq!(take_log(&t), lines(&["root prep", "root up"]));
    let before = t.bytes(".rediacc.json").expect(".rediacc.json written");
    // A new service, so a sync would change the file.
    write(
        &repo,
        "compose.yaml",
        "services:\n  web:\n    image: renet-test/busybox:1\n  extra:\n    image: renet-test/busybox:1\n",
    );

    let out = repository(&mut t, "up", &repo, 2880, &["--json"]).failure();
    assert!(
        out.stderr.contains("2816"),
        "the message names the running network\n{out}"
    );
    let doc = out.json();
    assert!(
        doc["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("2816")),
        "the JSON error names the running network\n{out}"
    );
    assert_eq!(
        doc["error"]["exit_code"].as_i64(),
        Some(i64::from(out.status))
    );
    assert_eq!(
        take_log(&t),
        Vec::<String>::new(),
        "no function runs\n{out}"
    );
    assert_eq!(
        t.bytes(".rediacc.json"),
        Some(before),
        ".rediacc.json is untouched"
    );
    assert!(!socket(&t, 2880).exists(), "no second daemon\n{out}");
    assert!(socket(&t, 2816).exists(), "the first daemon still runs");
}

#[test]
fn repository_status_shows_each_files_info() {
    // status starts no daemon: no docker needed.
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    write(
        &repo,
        "Rediaccfile",
        "info() {\n    echo \"root info $REDIACC_NETWORK_ID\"\n    echo 'second line'\n    echo 'diagnostic' >&2\n}\nup() { echo 'must not run' >> \"$RT_LOG\"; }\n",
    );
    write(
        &repo,
        "web/Rediaccfile",
        "info() { echo \"web info in $(basename \"$PWD\")\"; }\n",
    );
    write(&repo, "bare/Rediaccfile", &logging("bare", &["up"]));

    let out = repository(&mut t, "status", &repo, 2816, &["--json"]).success();
    let report: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not exactly one JSON document: {e}\n{out}"));
    assert_eq!(report["daemon_running"], false);
    assert_eq!(
        file_of(&report, ".")["info"],
        "root info 2816\nsecond line\n"
    );
    assert_eq!(file_of(&report, "web")["info"], "web info in web\n");
    assert!(
        file_of(&report, "bare")
            .get("info")
            .is_none_or(Value::is_null)
    );
    assert!(
        out.stderr.contains("[root] diagnostic"),
        "info's stderr is shown\n{out}"
    );
    assert_eq!(take_log(&t), Vec::<String>::new(), "status runs only info");
    assert!(!socket(&t, 2816).exists(), "status starts no daemon");

    // Human form: the info lines, prefixed.
    let out = repository(&mut t, "status", &repo, 2816, &[]).success();
    assert!(out.stdout.is_empty(), "{out}");
    for line in [
        "[root] root info 2816",
        "[root] second line",
        "[web] web info in web",
    ] {
        assert!(
            out.stderr.lines().any(|l| l == line),
            "stderr lacks {line:?}\n{out}"
        );
    }

    // A failing info: listed, exit 1.
    write(
        &repo,
        "web/Rediaccfile",
        "info() { echo partial; return 5; }\n",
    );
    let out = repository(&mut t, "status", &repo, 2816, &["--json"]).code(1);
    let report = out.json();
    assert_eq!(report["ok"], false);
    let f = failures(&report);
    assert!(
        f.len() == 1 && f[0].starts_with("web: ") && f[0].contains("status 5"),
        "{f:?}"
    );
    assert_eq!(file_of(&report, "web")["info"], "partial\n");
}

// ---------------------------------------------------------------------------------------------
// Signals and standard input: renet run as a child the test controls
// ---------------------------------------------------------------------------------------------

/// A renet child whose output goes to files under the test's root; killed on drop if it still
/// runs (it is our own child, by pid).
struct Spawned {
    child: std::process::Child,
    out: PathBuf,
    err: PathBuf,
}

impl Spawned {
    fn start(t: &mut Test, repo: &Path, extra: &[&str], stdin: std::process::Stdio) -> Self {
        let out = t.root().join("spawned.out");
        let err = t.root().join("spawned.err");
        let log = log_path(t);
        let dir = out_dir(t);
        t.args(["repository", "up", "--network-id", "2816", "--path"])
            .args([repo])
            .args(extra)
            .env("RT_LOG", log)
            .env("RT_OUT", dir);
        let mut cmd = t.command();
        cmd.stdin(stdin)
            .stdout(fs::File::create(&out).expect("create spawned.out"))
            .stderr(fs::File::create(&err).expect("create spawned.err"));
        let child = cmd.spawn().expect("start renet");
        Self { child, out, err }
    }

    /// Wait at most `limit` for it to exit: its exit code (128 + signal), or None.
    fn wait(&mut self, limit: Duration) -> Option<i32> {
        use std::os::unix::process::ExitStatusExt;
        let deadline = Instant::now() + limit;
        loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                return Some(s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0)));
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn output(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            fs::read_to_string(&self.out).unwrap_or_default(),
            fs::read_to_string(&self.err).unwrap_or_default()
        )
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn repository_up_functions_get_a_closed_stdin() {
    let Some(_lock) = docker_lock("repository_up_functions_get_a_closed_stdin") else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    write(
        &repo,
        "Rediaccfile",
        "up() {\n    if read -r line; then echo \"read [$line]\" >> \"$RT_LOG\"; else echo 'stdin closed' >> \"$RT_LOG\"; fi\n}\n",
    );
    // renet's own stdin is a pipe that stays open and holds a line (an SSH session): the
    // function must not read it, nor wait for it.
    let mut renet = Spawned::start(&mut t, &repo, &[], std::process::Stdio::piped());
    let mut stdin = renet.child.stdin.take().expect("stdin piped");
    stdin
        .write_all(b"secret from the session\n")
        .expect("write to renet's stdin");
    let status = renet.wait(Duration::from_secs(60));
    drop(stdin);
    assert_eq!(
        status,
        Some(0),
        "repository up did not finish (or failed)\n{}",
        renet.output()
    );
    assert_eq!(take_log(&t), lines(&["stdin closed"]), "{}", renet.output());
}

#[test]
fn repository_up_stops_when_renet_gets_sigterm() {
    // An SSH session closing (or `kill`) while a hook runs: the running function and what it
    // started are terminated, and the run stops there instead of going on with the next folder.
    let Some(_lock) = docker_lock("repository_up_stops_when_renet_gets_sigterm") else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _daemon = Daemon::guard(&t, 2816, &repo);
    let _reaper = Reaper(out_dir(&t));
    ordering_repo(&repo, &logging("root", &["prep", "up", "down"]));
    write(&repo, "Beta/REDIACCFILE", &hang("Beta"));
    let mut renet = Spawned::start(&mut t, &repo, &["--json"], std::process::Stdio::null());
    let bash_pid = out_dir(&t).join("Beta-sub.pid");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !bash_pid.exists() {
        assert!(
            Instant::now() < deadline && renet.child.try_wait().ok().flatten().is_none(),
            "Beta's up never started\n{}",
            renet.output()
        );
        thread::sleep(Duration::from_millis(50));
    }
    thread::sleep(Duration::from_millis(300));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(renet.child.id()).expect("pid fits"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM renet");
    let status = renet.wait(Duration::from_secs(30));
    let shown = renet.output();
    assert!(
        status.is_some(),
        "renet did not exit within 30s of SIGTERM\n{shown}"
    );
    let fake = Output {
        status: status.unwrap_or(-1),
        stdout: String::new(),
        stderr: shown.clone(),
        command: "repository up (SIGTERM)".to_owned(),
    };
    assert_all_killed(&t, "Beta", &fake);
    assert_ne!(
        status,
        Some(0),
        "an interrupted run is not a success\n{shown}"
    );
    assert_eq!(
        take_log(&t),
        lines(&[
            "root prep",
            "alpha prep",
            "gamma prep",
            "root up",
            "Beta up"
        ]),
        "no further up runs after SIGTERM\n{shown}"
    );
}

#[test]
fn repository_down_refuses_a_network_id_other_than_the_running_daemons() {
    // The mirror of the `up` check: a typo in --network-id must not run every `down` against a
    // daemon that does not exist and report success while the real one keeps serving.
    let Some(_lock) =
        docker_lock("repository_down_refuses_a_network_id_other_than_the_running_daemons")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _d2816 = Daemon::guard(&t, 2816, &repo);
    let _d2880 = Daemon::guard(&t, 2880, &repo);
    write(
        &repo,
        "Rediaccfile",
        "up() { :; }\ndown() { echo \"down on $REDIACC_NETWORK_ID\" >> \"$RT_LOG\"; }\n",
    );
    repository(&mut t, "up", &repo, 2816, &[]).success();

    let out = repository(&mut t, "down", &repo, 2880, &["--stop-daemon"]);
    let log = take_log(&t);
    assert!(
        socket(&t, 2816).exists(),
        "the running daemon is untouched\n{out}"
    );
    assert_ne!(
        out.status, 0,
        "down with another network ID than the repository's running daemon (2816) must not \
         succeed; functions ran: {log:?}\n{out}"
    );
    assert!(out.stderr.contains("2816"), "the message names 2816\n{out}");
    assert_eq!(log, Vec::<String>::new(), "no down runs\n{out}");
}

// ---------------------------------------------------------------------------------------------
// Issue 11: honest exit codes, identity, the registry
// ---------------------------------------------------------------------------------------------

/// The hello example on its own daemon (2816), brought up: the test, the repository, the daemon.
fn hello_up(t: &mut Test) -> (PathBuf, Daemon) {
    let examples = examples_copy(t);
    let repo = examples.join("hello");
    for addr in ["127.0.11.2:8080", "127.0.11.3:8080"] {
        wait_address_free(addr);
    }
    let daemon = Daemon::start(t, 2816, &repo);
    let mut import = std::process::Command::new(repo.join("import-busybox.sh"));
    import
        .env("DOCKER_HOST", daemon.docker_host())
        .env_remove("DOCKER_CONTEXT");
    run_command(import, Duration::from_secs(120)).success();
    repository(t, "up", &repo, 2816, &[]).success();
    (repo, daemon)
}

#[test]
fn repository_status_exits_1_when_a_service_is_down_and_down_twice_exits_0() {
    let Some(_lock) = compose_lock(
        "repository_status_exits_1_when_a_service_is_down_and_down_twice_exits_0",
        Compose::V2,
    ) else {
        return;
    };
    let mut t = Test::new();
    let (repo, daemon) = hello_up(&mut t);
    repository(&mut t, "status", &repo, 2816, &[]).success();

    daemon.docker(["stop", &daemon.container_of("web")]);
    let out = repository(&mut t, "status", &repo, 2816, &["--json"]).code(1);
    let report = out.json();
    assert_eq!(report["ok"], false);
    let f = failures(&report);
    assert!(
        f.len() == 1 && f[0].starts_with("web: not running (exited"),
        "{f:?}"
    );

    let out = repository(&mut t, "down", &repo, 2816, &["--stop-daemon"]).success();
    assert!(!daemon.socket().exists(), "the daemon is stopped\n{out}");
    // Already down: nothing to do is not a failure, with or without --stop-daemon.
    let out = repository(&mut t, "down", &repo, 2816, &[]).success();
    assert!(out.stderr.contains("nothing to bring down"), "{out}");
    repository(&mut t, "down", &repo, 2816, &["--stop-daemon", "--json"]).success();
    // Every service is down now: status says so with its exit status.
    let f = failures(
        &repository(&mut t, "status", &repo, 2816, &["--json"])
            .code(1)
            .json(),
    );
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f.iter().all(|l| l.contains("no container")), "{f:?}");
}

#[test]
fn identity_refusals_name_both_and_leave_the_slot_map_byte_identical() {
    let Some(_lock) = compose_lock(
        "identity_refusals_name_both_and_leave_the_slot_map_byte_identical",
        Compose::V2,
    ) else {
        return;
    };
    let mut t = Test::new();
    let (repo, daemon) = hello_up(&mut t);
    let read_map = || -> Value {
        serde_json::from_str(&fs::read_to_string(repo.join(".rediacc.json")).expect("map"))
            .expect("JSON")
    };
    let map = read_map();
    assert_eq!(
        (&map["name"], &map["network_id"]),
        (&Value::from("hello"), &Value::from(2816))
    );
    let kept = fs::read(repo.join(".rediacc.json")).expect("kept identity");

    // Another network ID: refused by repository up and by compose, naming both (exit 4).
    let out = repository(&mut t, "up", &repo, 2880, &["--json"]).code(4);
    let doc = out.json();
    assert_eq!(doc["error"]["kind"], "identity", "{out}");
    let msg = doc["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(msg.contains("2816") && msg.contains("2880"), "{msg}");
    let compose = |t: &mut Test, args: &[&str]| {
        t.args(["compose", "--repo"])
            .args([&repo])
            .args(args)
            .args(["--", "up", "-d"])
            .run()
    };
    let out = compose(&mut t, &["--network-id", "2880"]).code(4);
    assert!(
        out.stderr.contains("2816") && out.stderr.contains("2880"),
        "{out}"
    );
    // Another name: refused without --rename, by both.
    let out = repository(&mut t, "up", &repo, 2816, &["--name", "other"]).code(4);
    assert!(
        out.stderr.contains("\"hello\"") && out.stderr.contains("--rename"),
        "{out}"
    );
    let out = compose(&mut t, &["--network-id", "2816", "--name", "other"]).code(4);
    assert!(out.stderr.contains("--rename"), "{out}");
    assert_eq!(fs::read(repo.join(".rediacc.json")).ok(), Some(kept));
    assert!(!socket(&t, 2880).exists(), "no second daemon");

    // A deliberate rename through compose is kept.
    compose(
        &mut t,
        &["--network-id", "2816", "--name", "other", "--rename"],
    )
    .success();
    assert_eq!(read_map()["name"], "other");
    repository(&mut t, "down", &repo, 2816, &["--stop-daemon"]).success();
    drop(daemon);
}

#[test]
fn repository_list_shows_every_registered_repository() {
    let Some(_lock) = compose_lock(
        "repository_list_shows_every_registered_repository",
        Compose::V2,
    ) else {
        return;
    };
    let mut t = Test::new();
    let (hello, daemon) = hello_up(&mut t);
    let other = t.make_repo("other");
    let _d2880 = Daemon::guard(&t, 2880, &other);
    write(
        &other,
        "compose.yaml",
        "services:\n  db:\n    image: renet-test/busybox:1\n",
    );
    repository(&mut t, "up", &other, 2880, &["--name", "shop"]).success();

    let doc = t
        .args(["repository", "list", "--json"])
        .run()
        .success()
        .json();
    let rows = doc["repositories"]
        .as_array()
        .expect("repositories")
        .clone();
    let got: Vec<(&str, u64, bool, u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or_default(),
                r["network_id"].as_u64().unwrap_or_default(),
                r["daemon_running"].as_bool().unwrap_or_default(),
                r["services_running"].as_u64().unwrap_or(99),
                r["services_total"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("hello", 2816, true, 2, 2), ("shop", 2880, true, 0, 1)],
        "{doc:#}"
    );
    assert_eq!(rows[0]["path"], canonical(&hello), "{doc:#}");
    let registry: Value = serde_json::from_str(
        &fs::read_to_string(t.state_dir().join("repositories.json")).expect("registry"),
    )
    .expect("JSON");
    assert_eq!(registry["repositories"][1]["name"], "shop");

    // Down: the daemon's state follows; human form on stdout, one line a repository.
    repository(&mut t, "down", &hello, 2816, &["--stop-daemon"]).success();
    let out = t.args(["repository", "list"]).run().success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("hello") && lines[0].contains("daemon down"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("shop") && lines[1].contains("daemon up"),
        "{out}"
    );
    repository(&mut t, "down", &other, 2880, &["--stop-daemon"]).success();
    drop(daemon);
}

/// `repository list` of 100 registered repositories, their daemons down: every one listed, each
/// down, with its services. (The time the README quotes is measured by hand, not asserted.)
#[test]
fn repository_list_of_100_repositories_lists_them_all() {
    let mut t = Test::new();
    let mut entries = Vec::new();
    for k in 0..100u32 {
        let repo = t.make_repo(&format!("r{k}"));
        write(
            &repo,
            ".rediacc.json",
            "{\"services\": {\"web\": {\"slot\": 0}, \"db\": {\"slot\": 1}}}\n",
        );
        entries.push(serde_json::json!({
            "name": format!("r{k}"),
            "path": repo,
            "network_id": 2816 + 64 * k,
        }));
    }
    fs::create_dir_all(t.state_dir()).expect("state folder");
    fs::write(
        t.state_dir().join("repositories.json"),
        serde_json::json!({ "repositories": entries }).to_string(),
    )
    .expect("write the registry");
    let doc = t
        .args(["repository", "list", "--json"])
        .run()
        .success()
        .json();
    let listed = doc["repositories"].as_array().expect("a list");
    assert_eq!(listed.len(), 100, "{doc}");
    assert_eq!(listed[0]["name"], "r0", "{doc}");
    assert_eq!(listed[99]["network_id"], 2816 + 64 * 99, "{doc}");
}
