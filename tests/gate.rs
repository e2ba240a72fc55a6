//! The dangerous-settings gate and the daemon-selecting arguments (issue 10, SPEC section 3):
//! `renet compose` judges what compose will do (interpolated values, paths through real
//! symlinks, named volumes that bind host folders, the longer list) and refuses every spelling
//! of `-H`/`--host`/`-c`/`--context`; a refusal starts nothing and writes nothing, on the
//! repository's daemon or on another one.

use std::os::unix::fs::symlink;
use std::path::Path;

use crate::harness::{BUSYBOX_IMAGE, Compose, Daemon, Output, Test, compose_lock, is_empty_dir};

/// Our repository's network, and the victim's (another repository's daemon on the machine).
const OURS: u32 = 3328;
const VICTIM: u32 = 3392;
const REFUSED_UP: u32 = 3456;
const PROVIDER: u32 = 3520;

/// A slot map that must stay byte for byte what it was.
const SLOT_MAP: &str = "{\n  \"services\": {\n    \"keep\": {\n      \"slot\": 4\n    }\n  }\n}\n";

/// `renet compose --network-id OURS [extra...] -- <args...>` in the repository.
fn compose(t: &mut Test, extra: &[&str], args: &[&str]) -> Output {
    t.args(["compose", "--network-id", &OURS.to_string()])
        .args(extra)
        .args(["--"])
        .args(args)
        .run()
}

/// The findings of a refusal (exit 4), one per line, as printed.
fn findings(out: &Output) -> Vec<String> {
    out.stderr
        .lines()
        .skip_while(|l| !l.contains("dangerous settings found"))
        .skip(1)
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

/// Refused with exit 4 both as a dry run and for real (no daemon is needed: the gate comes
/// first), listing exactly `expected`, with `.rediacc.json` and the run folder untouched.
#[track_caller]
fn assert_refused(t: &mut Test, extra: &[&str], expected: &[&str]) {
    for dry_run in [true, false] {
        let mut opts: Vec<&str> = extra.to_vec();
        if dry_run {
            opts.push("--dry-run");
        }
        let out = compose(t, &opts, &["up", "-d"]).code(4);
        assert_eq!(findings(&out), expected, "dry run {dry_run}\n{out}");
        assert!(out.stderr.contains("--unsafe"), "{out}");
        assert_eq!(t.read(".rediacc.json"), SLOT_MAP, "slot map changed\n{out}");
        assert!(is_empty_dir(&t.run_dir()), "run folder written\n{out}");
        assert!(is_empty_dir(&t.state_dir()), "state folder written\n{out}");
        assert!(out.stdout.is_empty(), "no model printed\n{out}");
    }
}

#[test]
fn gate_judges_values_after_interpolation() {
    let mut t = Test::new();
    t.write(".rediacc.json", SLOT_MAP)
        .write(
            "docker-compose.yml",
            "services:\n\
             \x20 app:\n\
             \x20   image: busybox\n\
             \x20   privileged: ${P:-true}\n\
             \x20   pid: ${PM:-host}\n\
             \x20   ipc: ${FROM_DOTENV}\n\
             \x20   cap_add: [\"${CAP}\"]\n\
             \x20   volumes:\n\
             \x20     - ${ROOT:-/}:/h\n\
             \x20     - ${NESTED:-${ALSO_UNSET:-/etc}}:/e\n\
             \x20     - ${UNSET}/srv/data:/d\n\
             \x20     - $$ROOT:/literal\n",
        )
        .write(".env", "FROM_DOTENV=host\nCAP=cap_sys_module\n");
    assert_refused(
        &mut t,
        &[],
        &[
            "app: privileged: ${P:-true} (= true)",
            "app: pid: ${PM:-host} (= host)",
            "app: ipc: ${FROM_DOTENV} (= host)",
            "app: cap_add: ${CAP} (= cap_sys_module)",
            "app: volumes: ${ROOT:-/}:/h (host path /)",
            "app: volumes: ${NESTED:-${ALSO_UNSET:-/etc}}:/e (host path /etc)",
        ],
    );
    // The process environment wins over the defaults and the `.env`, as in compose.
    t.env("P", "false")
        .env("PM", "private")
        .env("ROOT", "./data")
        .env("NESTED", "./more")
        .env("CAP", "CHOWN")
        .env("FROM_DOTENV", "shareable");
    compose(&mut t, &["--dry-run"], &["up"]).success();
    // `--env-file` replaces the `.env`.
    t.write(
        "other.env",
        "P=no\nPM=private\nROOT=/srv\nNESTED=/srv\nCAP=\nFROM_DOTENV=private\n",
    )
    .write(
        "root.env",
        "P=yes\nPM=private\nROOT=/\nNESTED=/srv\nCAP=\nFROM_DOTENV=private\n",
    );
    t.args(["compose", "--network-id", "3328", "--dry-run", "--"])
        .args(["--env-file", "other.env", "up"])
        .run()
        .success();
    let out = t
        .args(["compose", "--network-id", "3328", "--dry-run", "--"])
        .args(["--env-file=root.env", "up"])
        .run()
        .code(4);
    assert_eq!(
        findings(&out),
        [
            "app: privileged: ${P:-true} (= yes)",
            "app: volumes: ${ROOT:-/}:/h (host path /)",
        ],
        "{out}"
    );
    assert_eq!(t.read(".rediacc.json"), SLOT_MAP);
}

/// An included project's own `.env` sets its variables (they become defaults in renet's model):
/// the gate sees them as compose does.
#[test]
fn gate_sees_the_variables_of_an_included_project() {
    let mut t = Test::new();
    t.write(".rediacc.json", SLOT_MAP)
        .write("docker-compose.yml", "include: [sub/compose.yaml]\nservices:\n  main:\n    image: busybox\n")
        .write(
            "sub/compose.yaml",
            "services:\n  inc:\n    image: busybox\n    volumes: [\"${HOSTDIR}:/h\"]\n    pid: ${PIDMODE}\n",
        )
        .write("sub/.env", "HOSTDIR=/\nPIDMODE=host\n");
    assert_refused(
        &mut t,
        &[],
        &[
            "inc: pid: ${PIDMODE-host} (= host)",
            "inc: volumes: ${HOSTDIR-/}:/h (host path /)",
        ],
    );
    // The main project's environment wins over the included `.env`, as in compose.
    t.env("HOSTDIR", "/srv").env("PIDMODE", "private");
    compose(&mut t, &["--dry-run"], &["up"]).success();
}

#[test]
fn gate_follows_real_symlinks_in_the_repository() {
    let mut t = Test::new();
    let repo = t.repo().to_owned();
    t.write(".rediacc.json", SLOT_MAP).write(
        "docker-compose.yml",
        format!(
            "services:\n\
             \x20 app:\n\
             \x20   image: busybox\n\
             \x20   volumes:\n\
             \x20     - ./root:/h:ro\n\
             \x20     - ./root/var/run/docker.sock:/docker.sock\n\
             \x20     - ./sockets:/s\n\
             \x20     - ./chain:/c\n\
             \x20     - {repo}/etc-dir/..:/kernel-dotdot:ro\n\
             \x20     - ./data:/data\n\
             \x20     - ./zone:/z:ro\n",
            repo = repo.display()
        ),
    );
    symlink("/", repo.join("root")).expect("symlink to /");
    // Every repository's daemon sockets, through a relative link to the run folder.
    std::fs::create_dir_all(t.run_dir()).expect("run folder");
    symlink("../run", repo.join("sockets")).expect("symlink to the run folder");
    // A link to a link: `/tmp`, the folder above the run folder.
    symlink("root/tmp", repo.join("chain")).expect("chained symlink");
    // The kernel takes `..` after the link: `/etc`, not the repository.
    symlink("/etc/ssl", repo.join("etc-dir")).expect("symlink into /etc");
    symlink("/usr/share/zoneinfo", repo.join("zone")).expect("symlink to zone files");
    std::fs::create_dir(repo.join("data")).expect("data folder");
    let run = t
        .run_dir()
        .canonicalize()
        .expect("run folder")
        .display()
        .to_string();
    let out = compose(&mut t, &["--dry-run"], &["up"]).code(4);
    let r = |rel: &str| format!("{}/{rel}", repo.display());
    assert_eq!(
        findings(&out),
        [
            format!("app: volumes: {}:/h:ro (host path /)", r("root")),
            format!(
                "app: volumes: {}:/docker.sock (host path /run/docker.sock)",
                r("root/var/run/docker.sock")
            ),
            format!("app: volumes: {}:/s (host path {run})", r("sockets")),
            format!("app: volumes: {}:/c (host path /tmp)", r("chain")),
            format!(
                "app: volumes: {}/..:/kernel-dotdot:ro (host path /etc)",
                r("etc-dir")
            ),
        ],
        "{out}"
    );
    assert_eq!(t.read(".rediacc.json"), SLOT_MAP, "{out}");
    // Only the run folder the test made: no model, no hosts file.
    assert!(is_empty_dir(&t.run_dir()), "{out}");
}

#[test]
fn gate_sees_named_volumes_secrets_and_the_longer_list() {
    let mut t = Test::new();
    let above_run = t.root().display().to_string();
    t.write(".rediacc.json", SLOT_MAP).write(
        "docker-compose.yml",
        format!(
            "services:\n\
             \x20 app:\n\
             \x20   image: busybox\n\
             \x20   uts: host\n\
             \x20   cgroup: host\n\
             \x20   cap_add: [NET_ADMIN, SYS_MODULE, CAP_SYS_PTRACE, sys_rawio, CHOWN]\n\
             \x20   devices: [\"/dev/kmsg:/dev/kmsg\"]\n\
             \x20   security_opt: [\"seccomp=unconfined\", \"apparmor:unconfined\", \"no-new-privileges:true\"]\n\
             \x20   secrets: [shadow]\n\
             \x20   volumes:\n\
             \x20     - hostroot:/r\n\
             \x20     - type: volume\n\
             \x20       source: fine\n\
             \x20       target: /f\n\
             \x20     - type: bind\n\
             \x20       source: /var/lib/docker\n\
             \x20       target: /vd\n\
             \x20       read_only: true\n\
             \x20     - /run:/run\n\
             \x20     - /var:/var:ro\n\
             \x20     - {above_run}:/up\n\
             \x20     - /etc/localtime:/etc/localtime:ro\n\
             \x20     - type: tmpfs\n\
             \x20       target: /t\n\
             volumes:\n\
             \x20 hostroot:\n\
             \x20   driver_opts: {{type: none, o: bind, device: /}}\n\
             \x20 fine:\n\
             \x20   driver_opts: {{type: tmpfs, device: tmpfs}}\n\
             secrets:\n\
             \x20 shadow:\n\
             \x20   file: /etc/shadow\n"
        ),
    );
    assert_refused(
        &mut t,
        &[],
        &[
            "app: uts: host",
            "app: cgroup: host",
            "app: cap_add: NET_ADMIN",
            "app: cap_add: SYS_MODULE",
            "app: cap_add: CAP_SYS_PTRACE",
            "app: cap_add: sys_rawio",
            "app: devices: /dev/kmsg:/dev/kmsg",
            "app: security_opt: seccomp=unconfined",
            "app: security_opt: apparmor:unconfined",
            "app: volumes: hostroot:/r (volume hostroot binds /)",
            "app: volumes: /var/lib/docker (bind)",
            "app: volumes: /run:/run",
            "app: volumes: /var:/var:ro",
            &format!("app: volumes: {above_run}:/up"),
            "app: secrets: shadow (file /etc/shadow)",
        ],
    );
    // `--unsafe` lets all of it through (a dry run: nothing started).
    let out = compose(&mut t, &["--unsafe", "--dry-run"], &["up"]).success();
    assert!(out.stdout.contains("hostroot"), "{out}");
}

#[test]
fn routine_settings_pass_the_gate() {
    let mut t = Test::new();
    t.write(
        "docker-compose.yml",
        "services:\n\
         \x20 app:\n\
         \x20   image: busybox\n\
         \x20   cap_add: [CHOWN, NET_BIND_SERVICE, SYS_NICE]\n\
         \x20   security_opt: [\"no-new-privileges:true\"]\n\
         \x20   tmpfs: [/tmp]\n\
         \x20   volumes:\n\
         \x20     - ./data:/data\n\
         \x20     - /etc/localtime:/etc/localtime:ro\n\
         \x20     - /etc/ssl/certs:/etc/ssl/certs:ro\n\
         \x20     - named:/n\n\
         \x20     - ~/cache:/cache\n\
         volumes:\n\
         \x20 named: {}\n",
    );
    let home = t.root().join("home");
    let out = t
        .args(["compose", "--network-id", "3328", "--dry-run", "--", "up"])
        .env("HOME", &home)
        .run()
        .success();
    assert!(out.stdout.contains("/etc/localtime"), "{out}");
    // `~` is the home folder compose runs with: as root that is /root.
    let out = t
        .args(["compose", "--network-id", "3328", "--dry-run", "--", "up"])
        .env("HOME", "/root")
        .run()
        .code(4);
    assert_eq!(
        findings(&out),
        ["app: volumes: ~/cache:/cache (host path /root/cache)"]
    );
}

/// Every spelling of a daemon-selecting global, pointing at `socket`.
fn other_daemon_spellings(socket: &Path) -> Vec<Vec<String>> {
    let host = format!("unix://{}", socket.display());
    let spellings: Vec<Vec<String>> = vec![
        vec!["-H".into(), host.clone()],
        vec![format!("-H{host}")],
        vec![format!("-H={host}")],
        vec!["--host".into(), host.clone()],
        vec![format!("--host={host}")],
        vec![format!("--hos={host}")],
        vec!["--ho".into(), host.clone()],
        vec!["--verbose".into(), "-H".into(), host.clone()],
        vec!["--tlsverify".into(), format!("--host={host}")],
        vec!["-c".into(), "default".into()],
        vec!["-cdefault".into()],
        vec!["--context=default".into()],
        vec!["--con".into(), "default".into()],
    ];
    spellings
}

#[test]
fn compose_v2_and_docker_never_reach_another_daemon() {
    never_reach_another_daemon(
        "compose_v2_and_docker_never_reach_another_daemon",
        Compose::V2,
    );
}

/// docker-compose 1.29 (docopt) takes `--hos=` and `-cdefault` itself: refused before it runs.
#[test]
fn compose_v1_and_docker_never_reach_another_daemon() {
    never_reach_another_daemon(
        "compose_v1_and_docker_never_reach_another_daemon",
        Compose::V1,
    );
}

fn never_reach_another_daemon(test: &str, compose: Compose) {
    let Some(_lock) = compose_lock(test, compose) else {
        return;
    };
    let mut t = Test::with_compose(compose);
    t.write(
        "docker-compose.yml",
        format!("services:\n  web:\n    image: {BUSYBOX_IMAGE}\n    command: [sleep, \"300\"]\n"),
    )
    .write(".rediacc.json", SLOT_MAP);
    let repo = t.repo().to_owned();
    let victim_repo = t.make_repo("victim");
    let ours = Daemon::start(&t, OURS, &repo);
    let victim = Daemon::start(&t, VICTIM, &victim_repo);
    ours.import_busybox();
    victim.import_busybox();
    for spelling in other_daemon_spellings(&victim.socket()) {
        let mut args: Vec<&str> = spelling.iter().map(String::as_str).collect();
        args.extend(["up", "-d"]);
        let out = ours.compose(&args).code(2);
        assert!(out.stderr.contains("is not allowed"), "{args:?}\n{out}");
        let mut args: Vec<&str> = spelling.iter().map(String::as_str).collect();
        args.extend(["run", "-d", BUSYBOX_IMAGE, "sleep", "300"]);
        let out = t
            .args(["docker", "--network-id", &OURS.to_string(), "--"])
            .args(&args)
            .run()
            .code(2);
        assert!(out.stderr.contains("is not allowed"), "{args:?}\n{out}");
        assert!(
            victim.containers().is_empty(),
            "{args:?} reached the victim"
        );
        assert!(ours.containers().is_empty(), "{args:?} ran on our daemon");
        assert_eq!(t.read(".rediacc.json"), SLOT_MAP, "{args:?}");
    }
    // The abbreviation docker-compose 1.x would read as `--file`: a file renet never judged.
    let out = ours.compose(["--fi", "evil.yml", "up", "-d"]).code(2);
    assert!(out.stderr.contains("write the option in full"), "{out}");
    // Without them, compose and docker run on the repository's own daemon, not the victim's.
    ours.compose(["up", "-d"]).success();
    ours.assert_made_by(compose);
    t.args(["docker", "--network-id", &OURS.to_string(), "--"])
        .args(["run", "-d", BUSYBOX_IMAGE, "sleep", "300"])
        .run()
        .success();
    assert_eq!(ours.containers().len(), 2);
    assert!(victim.containers().is_empty());
}

#[test]
fn a_refused_up_starts_nothing_on_a_real_daemon() {
    let Some(_lock) = compose_lock("a_refused_up_starts_nothing_on_a_real_daemon", Compose::V2)
    else {
        return;
    };
    let mut t = Test::new();
    let dangerous = format!(
        "services:\n\
         \x20 web:\n\
         \x20   image: {BUSYBOX_IMAGE}\n\
         \x20   command: [sleep, \"300\"]\n\
         \x20   privileged: ${{P:-true}}\n\
         \x20   volumes: [\"${{ROOT:-/}}:/host\", \"./link:/l\"]\n"
    );
    t.write("docker-compose.yml", &dangerous)
        .write(".rediacc.json", SLOT_MAP);
    let repo = t.repo().to_owned();
    symlink("/proc", repo.join("link")).expect("symlink to /proc");
    let d = Daemon::start(&t, REFUSED_UP, &repo);
    d.import_busybox();
    let out = d.compose(["up", "-d"]).code(4);
    assert_eq!(
        findings(&out),
        [
            "web: privileged: ${P:-true} (= true)",
            "web: volumes: ${ROOT:-/}:/host (host path /)",
            &format!("web: volumes: {}/link:/l (host path /proc)", repo.display()),
        ],
        "{out}"
    );
    assert!(d.containers().is_empty(), "a refused up started something");
    assert_eq!(t.read(".rediacc.json"), SLOT_MAP, "slot map written");
    let model_dir = t.run_dir().join(format!("compose-{REFUSED_UP}"));
    assert!(
        !model_dir.exists(),
        "model written to {}",
        model_dir.display()
    );
    // The same project without the dangerous settings starts.
    t.write(
        "docker-compose.yml",
        format!("services:\n  web:\n    image: {BUSYBOX_IMAGE}\n    command: [sleep, \"300\"]\n"),
    );
    d.compose(["up", "-d"]).success();
    assert_eq!(d.containers().len(), 1);
}

/// Compose v2 runs the program a `provider:` names, found on `PATH`, as root on the host: refused
/// without `--unsafe`, and with it the program does run (what the refusal prevents).
#[test]
fn a_provider_service_runs_no_host_program() {
    let Some(_lock) = compose_lock("a_provider_service_runs_no_host_program", Compose::V2) else {
        return;
    };
    let mut t = Test::new();
    let bin = t.root().join("bin");
    let marker = t.root().join("provider-ran");
    std::fs::create_dir(&bin).expect("bin folder");
    let probe = bin.join("gate-probe");
    std::fs::write(
        &probe,
        format!("#!/bin/sh\necho \"$*\" >> {}\n", marker.display()),
    )
    .expect("probe script");
    std::fs::set_permissions(&probe, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod probe");
    t.write(
        "docker-compose.yml",
        "services:\n  p:\n    provider:\n      type: gate-probe\n      options: {x: \"1\"}\n",
    )
    .write(".rediacc.json", SLOT_MAP);
    let repo = t.repo().to_owned();
    let d = Daemon::start(&t, PROVIDER, &repo);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let up = |t: &mut Test, extra: &[&str]| {
        t.args(["compose", "--network-id", &PROVIDER.to_string()])
            .args(extra)
            .args(["--", "up", "-d"])
            .env("PATH", &path)
            .run()
    };
    let out = up(&mut t, &[]).code(4);
    assert_eq!(findings(&out), ["p: provider: gate-probe"], "{out}");
    assert!(!marker.exists(), "the provider program ran\n{out}");
    assert_eq!(t.read(".rediacc.json"), SLOT_MAP);
    assert!(d.containers().is_empty());
    let out = up(&mut t, &["--unsafe"]);
    let ran = std::fs::read_to_string(&marker).unwrap_or_default();
    assert!(
        ran.contains("up"),
        "with --unsafe compose runs the provider\n{out}"
    );
}
