//! Daemons known by the process serving their socket, hung daemon sockets, and Rediaccfiles
//! whose functions are what bash knows after sourcing (SPEC sections 4 and 5; issue 10).
//!
//! Real dockerd (network IDs 3840, 3904, 3968), real processes in wrong pidfiles, real unix
//! listeners that accept and never answer, real bash, FIFOs and symlinks. Every docker test
//! holds the docker lock and a `Daemon` guard.

use std::fs;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::harness::{Daemon, Output, Test, alive, docker_lock};

/// A `sleep` this test started, killed on drop.
struct Sleeper(Child);

impl Sleeper {
    fn start() -> Self {
        let child = Command::new("sleep")
            .arg("600")
            .stdin(Stdio::null())
            .spawn()
            .expect("start sleep");
        Self(child)
    }

    fn pid(&self) -> i32 {
        i32::try_from(self.0.id()).expect("pid fits i32")
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A PID no process has: a `true` that already exited and was reaped.
fn dead_pid() -> i32 {
    let mut child = Command::new("true").spawn().expect("start true");
    let pid = i32::try_from(child.id()).expect("pid fits i32");
    child.wait().expect("wait for true");
    assert!(!alive(pid));
    pid
}

fn pidfile(d: &Daemon) -> PathBuf {
    d.dir().join("docker.pid")
}

fn status(d: &Daemon) -> Value {
    d.renet(["daemon", "status", "--json"]).json()
}

fn dockerd_pid(d: &Daemon) -> i32 {
    let s = status(d);
    assert_eq!(s["running"], true, "{s:#}");
    let pid = s["pid"].as_i64().expect("a running daemon has a pid");
    i32::try_from(pid).expect("pid fits i32")
}

/// The entry of network `id` in `daemon list --json`.
fn listed(list: &Value, id: u32) -> &Value {
    list.as_array()
        .expect("list is an array")
        .iter()
        .find(|d| d["network_id"] == id)
        .unwrap_or_else(|| panic!("network {id} not listed: {list:#}"))
}

/// A pidfile naming another live process (a `sleep`): status and list still see the running
/// dockerd (by its socket), `stop` stops that dockerd, never signals the sleep, and removes the
/// socket only once nothing serves it; the report names both PIDs.
#[test]
fn a_wrong_pidfile_neither_kills_its_process_nor_orphans_the_dockerd() {
    let Some(_lock) =
        docker_lock("a_wrong_pidfile_neither_kills_its_process_nor_orphans_the_dockerd")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let d = Daemon::start(&t, 3840, &repo);
    let real = dockerd_pid(&d);
    let sleeper = Sleeper::start();
    fs::write(pidfile(&d), format!("{}\n", sleeper.pid())).expect("write the pidfile");

    let s = status(&d);
    assert_eq!(s["running"], true, "{s:#}");
    assert_eq!(s["state"], "running", "{s:#}");
    assert_eq!(
        s["pid"], real,
        "the socket's server, not the pidfile: {s:#}"
    );
    assert_eq!(s["pidfile_pid"], sleeper.pid(), "{s:#}");
    let notes = s["notes"].to_string();
    assert!(
        notes.contains("is not this daemon's dockerd") && notes.contains("sleep"),
        "{s:#}"
    );
    let list = t.args(["daemon", "list", "--json"]).run().success().json();
    assert_eq!(listed(&list, 3840)["running"], true, "{list:#}");
    assert_eq!(listed(&list, 3840)["pid"], real, "{list:#}");

    let stopped = d.renet(["daemon", "stop", "--json"]).success().json();
    assert_eq!(stopped["was_running"], true, "{stopped:#}");
    assert_eq!(stopped["pid"], real, "{stopped:#}");
    assert_eq!(stopped["pidfile_pid"], sleeper.pid(), "{stopped:#}");
    assert!(
        alive(sleeper.pid()),
        "the pidfile's sleep was not signalled"
    );
    assert!(!alive(real), "the real dockerd {real} is stopped");
    assert!(
        !d.socket().exists(),
        "no socket left once nothing serves it"
    );
    d.renet(["daemon", "status"]).code(5).stdout_has("stopped");
}

/// A pidfile naming another repository's running dockerd: stopping this daemon stops this
/// one's dockerd only; the other keeps running and answering on its socket.
#[test]
fn a_pidfile_naming_another_repositorys_dockerd_stops_only_this_one() {
    let Some(_lock) =
        docker_lock("a_pidfile_naming_another_repositorys_dockerd_stops_only_this_one")
    else {
        return;
    };
    let t = Test::new();
    let shop = t.repo().to_owned();
    let blog = t.make_repo("blog");
    let a = Daemon::start(&t, 3840, &shop);
    let b = Daemon::start(&t, 3904, &blog);
    let (pid_a, pid_b) = (dockerd_pid(&a), dockerd_pid(&b));
    let b_pidfile = fs::read(pidfile(&b)).expect("b's pidfile");
    fs::write(pidfile(&a), format!("{pid_b}\n")).expect("write a's pidfile");

    let s = status(&a);
    assert_eq!(
        (s["pid"].as_i64(), s["pidfile_pid"].as_i64()),
        (Some(pid_a.into()), Some(pid_b.into())),
        "{s:#}"
    );
    let stopped = a.renet(["daemon", "stop", "--json"]).success().json();
    assert_eq!(stopped["pid"], pid_a, "{stopped:#}");
    assert!(!alive(pid_a), "a's dockerd is stopped");
    assert!(alive(pid_b), "b's dockerd was not signalled");
    assert!(!a.socket().exists());
    assert!(b.socket().exists());
    assert_eq!(dockerd_pid(&b), pid_b, "b still answers");
    assert_eq!(
        fs::read(pidfile(&b)).expect("b's pidfile"),
        b_pidfile,
        "b's files untouched"
    );
}

/// A dead PID in the pidfile, or none at all: status, list and stop still find the running
/// dockerd by its socket.
#[test]
fn a_stale_or_missing_pidfile_does_not_hide_a_running_daemon() {
    let Some(_lock) = docker_lock("a_stale_or_missing_pidfile_does_not_hide_a_running_daemon")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let d = Daemon::start(&t, 3840, &repo);
    let real = dockerd_pid(&d);
    let dead = dead_pid();
    fs::write(pidfile(&d), format!("{dead}\n")).expect("write the pidfile");
    let s = status(&d);
    assert_eq!(
        (s["running"].clone(), s["pid"].clone()),
        (Value::from(true), Value::from(real)),
        "{s:#}"
    );
    assert!(
        s["notes"]
            .to_string()
            .contains(&format!("pid {dead} is not running")),
        "{s:#}"
    );
    d.renet(["daemon", "status"])
        .success()
        .stdout_has(&format!("running  pid {real}"));
    let list = t.args(["daemon", "list", "--json"]).run().success().json();
    assert_eq!(listed(&list, 3840)["running"], true, "{list:#}");
    // start finds it running: no second dockerd on the same data.
    let again = d.renet(["daemon", "start", "--json"]).success().json();
    assert_eq!(
        (again["already_running"].clone(), again["pid"].clone()),
        (Value::from(true), Value::from(real))
    );

    // Nor a second one in the foreground (a systemd unit's start while it runs).
    d.renet(["daemon", "start", "--foreground"])
        .failure()
        .stderr_has(&format!("already runs (dockerd pid {real})"));
    assert_eq!(dockerd_pid(&d), real, "the running dockerd is untouched");

    fs::remove_file(pidfile(&d)).expect("remove the pidfile");
    assert_eq!(status(&d)["pid"], real);
    let stopped = d.renet(["daemon", "stop", "--json"]).success().json();
    assert_eq!(stopped["pid"], real, "{stopped:#}");
    assert!(!alive(real));
    assert!(!d.socket().exists());
}

/// A socket that accepts connections and never answers: the kernel's queue takes the
/// connection, nothing reads it. Removed (with its file) on drop.
struct Hung {
    path: PathBuf,
    _listener: UnixListener,
}

impl Hung {
    fn at(path: PathBuf) -> Self {
        let listener = UnixListener::bind(&path)
            .unwrap_or_else(|e| panic!("listen on {}: {e}", path.display()));
        Self {
            path,
            _listener: listener,
        }
    }
}

impl Drop for Hung {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Ten hung `docker-N.sock` in the run folder (IDs no test daemon uses).
fn hung_sockets(run_dir: &Path) -> Vec<(u32, Hung)> {
    fs::create_dir_all(run_dir).expect("create the run folder");
    (0..10u32)
        .map(|k| {
            let id = 2816 + 64 * (20_000 + k);
            (id, Hung::at(run_dir.join(format!("docker-{id}.sock"))))
        })
        .collect()
}

/// `daemon list` with ten hung sockets beside a real daemon: each hung one listed as not
/// answering, named by its listener (this test process), the real one running. A socket
/// served by something that is no dockerd is never taken over or removed: `stop` and `start`
/// refuse, its files stay byte-identical.
#[test]
fn hung_sockets_are_listed_as_not_answering_and_never_taken_over() {
    let Some(_lock) = docker_lock("hung_sockets_are_listed_as_not_answering_and_never_taken_over")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let d = Daemon::start(&t, 3840, &repo);
    let hung = hung_sockets(&t.run_dir());
    let me = i64::from(std::process::id());

    let out = t.args(["daemon", "list", "--json"]).run().success();
    let list = out.json();
    assert_eq!(list.as_array().map(Vec::len), Some(11), "{list:#}");
    assert_eq!(listed(&list, 3840)["state"], "running", "{list:#}");
    for (id, _) in &hung {
        let h = listed(&list, *id);
        assert_eq!(h["running"], false, "{h:#}");
        assert_eq!(h["state"], "not answering", "{h:#}");
        assert_eq!(h["listener"]["pid"], me, "{h:#}");
        assert!(
            h["notes"].to_string().contains("did not answer within 5s"),
            "{h:#}"
        );
    }
    let text = t.args(["daemon", "list"]).run().success();
    assert_eq!(
        text.stdout.matches("  not answering  ").count(),
        10,
        "{text}"
    );

    // A hung listener on a daemon's own socket, its pid in the pidfile.
    let id = hung[0].0;
    let target = ["--network-id".to_owned(), id.to_string()];
    let dir = t.run_dir().join(format!("docker-{id}"));
    fs::create_dir_all(&dir).expect("create the daemon folder");
    fs::write(dir.join("docker.pid"), format!("{me}\n")).expect("write the pidfile");
    let before = snapshot(&t.run_dir());
    let out = t.args(["daemon", "stop"]).args(&target).run().failure();
    assert!(
        out.stderr
            .contains("which is not a dockerd of this network"),
        "{out}"
    );
    assert!(out.stderr.contains(&format!("pid {me}")), "{out}");
    for foreground in [&[][..], &["--foreground"]] {
        let out = t
            .args(["daemon", "start"])
            .args(foreground)
            .args(&target)
            .run()
            .failure();
        assert!(
            out.stderr.contains("renet leaves it and its socket alone"),
            "{out}"
        );
    }
    assert_eq!(
        snapshot(&t.run_dir()),
        before,
        "refusals leave every file as it was"
    );
    let s = t
        .args(["daemon", "status", "--json"])
        .args(&target)
        .run()
        .code(5)
        .json();
    assert_eq!(
        (s["state"].clone(), s["pid"].clone()),
        (Value::from("not answering"), Value::Null),
        "{s:#}"
    );
    drop(d);
}

/// Every file of `dir` (not deeper than two levels) with its bytes; sockets by name only. Lock
/// files are left out: a refused command may still have taken (and so created) its lock.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let mut folders = vec![(dir.to_owned(), 0)];
    while let Some((d, depth)) = folders.pop() {
        for e in fs::read_dir(&d)
            .expect("read folder")
            .filter_map(Result::ok)
        {
            let ft = e.file_type().expect("file type");
            if e.file_name().to_string_lossy().ends_with(".lock") {
                continue;
            }
            if ft.is_dir() && depth < 2 {
                folders.push((e.path(), depth + 1));
            } else if ft.is_file() {
                out.push((e.path(), fs::read(e.path()).ok()));
            } else {
                out.push((e.path(), None));
            }
        }
    }
    out.sort();
    out
}

fn repository(t: &mut Test, action: &str, repo: &Path, id: u32, log: &Path) -> Output {
    t.args(["repository", action, "--path"])
        .args([repo])
        .args(["--network-id", &id.to_string(), "--json"])
        .env("RT_LOG", log)
        .run()
}

fn log_lines(log: &Path) -> Vec<String> {
    let text = fs::read_to_string(log).unwrap_or_default();
    let _ = fs::remove_file(log);
    text.lines().map(str::to_owned).collect()
}

/// `repository up` of a repository while other repositories' sockets hang (one of them even
/// claims this repository in its marker): it runs, and its functions ran.
#[test]
fn repository_up_goes_on_while_other_daemons_hang() {
    let Some(_lock) = docker_lock("repository_up_goes_on_while_other_daemons_hang") else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _d = Daemon::guard(&t, 3904, &repo);
    let hung = hung_sockets(&t.run_dir());
    let claimed = t.run_dir().join(format!("docker-{}", hung[3].0));
    fs::create_dir_all(&claimed).expect("create a daemon folder");
    fs::write(claimed.join("repository"), repo.display().to_string()).expect("write marker");
    fs::write(
        repo.join("Rediaccfile"),
        "up() { echo 'root up' >> \"$RT_LOG\"; }\n",
    )
    .expect("write the Rediaccfile");
    let log = t.root().join("log");
    let out = repository(&mut t, "up", &repo, 3904, &log).success();
    assert_eq!(out.json()["ok"], true, "{out}");
    assert_eq!(log_lines(&log), ["root up"], "{out}");
    assert!(t.run_dir().join("docker-3904.sock").exists());
    let out = repository(&mut t, "down", &repo, 3904, &log).success();
    assert_eq!(out.json()["ok"], true, "{out}");
}

/// Functions bash knows after sourcing run however they are written (one line, a sourced
/// library, conditionally); a top level that exits (`exit 0` too) or fails fails its file:
/// in a subfolder it is listed and the rest go on, at the root the run fails before anything
/// runs. A FIFO and a link out of the repository are refused without hanging.
#[test]
fn rediaccfile_functions_are_what_bash_knows_and_a_bad_top_level_fails() {
    let Some(_lock) =
        docker_lock("rediaccfile_functions_are_what_bash_knows_and_a_bad_top_level_fails")
    else {
        return;
    };
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    let _d = Daemon::guard(&t, 3968, &repo);
    let log = t.root().join("log");
    let put = |rel: &str, text: &str| {
        let p = repo.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("create folder");
        fs::write(p, text).expect("write");
    };
    let say = |what: &str| format!("echo '{what}' >> \"$RT_LOG\"");
    put(
        "Rediaccfile",
        &format!(
            "prep() {{ {}; }}; up() {{ {}; }}; down() {{ {}; }}\n",
            say("root prep"),
            say("root up"),
            say("root down")
        ),
    );
    put("alib/Rediaccfile", "source ./functions.sh\n");
    put(
        "alib/functions.sh",
        &format!(
            "up() {{ {}; }}\ndown() {{ {}; }}\n",
            say("alib up"),
            say("alib down")
        ),
    );
    put(
        "bwhen/Rediaccfile",
        &format!(
            "if [ -n \"$REDIACC_NETWORK_ID\" ]; then\n  up() {{ {}; }}\nfi\n",
            say("bwhen up")
        ),
    );
    put(
        "cquits/Rediaccfile",
        &format!(
            "up() {{ {}; }}\ndown() {{ {}; }}\nexit 0\n",
            say("cquits up"),
            say("cquits down")
        ),
    );
    put(
        "dfails/Rediaccfile",
        &format!(
            "up() {{ {}; }}\n[ -n \"\" ] && echo debug\n",
            say("dfails up")
        ),
    );
    fs::create_dir_all(repo.join("efifo")).expect("create efifo");
    nix::unistd::mkfifo(
        &repo.join("efifo/Rediaccfile"),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .expect("mkfifo");
    fs::write(
        t.root().join("outside"),
        format!("up() {{ {}; }}\n", say("outside up")),
    )
    .expect("write");
    fs::create_dir_all(repo.join("flink")).expect("create flink");
    std::os::unix::fs::symlink(t.root().join("outside"), repo.join("flink/Rediaccfile"))
        .expect("symlink");

    let out = repository(&mut t, "up", &repo, 3968, &log).success();
    assert_eq!(
        log_lines(&log),
        ["root prep", "root up", "alib up", "bwhen up"],
        "{out}"
    );
    let report = out.json();
    let failures: Vec<String> = report["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f.as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(failures.len(), 4, "{failures:#?}");
    let has = |folder: &str, text: &str| {
        assert!(
            failures
                .iter()
                .any(|f| f.starts_with(&format!("{folder}: ")) && f.contains(text)),
            "no failure of {folder} with {text:?}: {failures:#?}"
        );
    };
    has("cquits", "exited with status 0 while being sourced");
    has("dfails", "failed with status 1");
    has("efifo", "not a regular file (a FIFO)");
    has("flink", "outside the repository");
    let root = &report["rediaccfiles"][0];
    assert_eq!(
        root["functions"],
        serde_json::json!(["prep", "up", "down"]),
        "{root:#}"
    );

    let out = repository(&mut t, "down", &repo, 3968, &log).code(1);
    assert_eq!(log_lines(&log), ["alib down", "root down"], "{out}");

    // At the root, `exit 0` and a failing top level fail the run before anything runs.
    for top in ["exit 0\n", "false\n"] {
        put(
            "Rediaccfile",
            &format!("up() {{ {}; }}\n{top}", say("root up")),
        );
        let out = repository(&mut t, "up", &repo, 3968, &log).code(1);
        assert_eq!(
            log_lines(&log),
            Vec::<String>::new(),
            "{top:?}: nothing ran\n{out}"
        );
        assert_eq!(out.json()["ok"], false, "{out}");
        assert!(
            out.json()["failures"][0]
                .as_str()
                .is_some_and(|f| f.starts_with(".: ")),
            "{out}"
        );
    }
    // status: a file that cannot be sourced is a failed info.
    let out = repository(&mut t, "status", &repo, 3968, &log).code(1);
    assert!(
        out.stdout.contains("while being sourced") || out.stdout.contains("sourcing "),
        "{out}"
    );
}
