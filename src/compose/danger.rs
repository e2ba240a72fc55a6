//! Settings that hand a container the machine (SPEC section 3, "Dangerous settings"): refused
//! unless the user passes `--unsafe`. The gate judges what compose will do, not what the file
//! says: an interpolated copy of the model (the environment compose runs with, defaults
//! included), host paths through their symlinks ([`host`]), and named volumes, secrets,
//! configs and build contexts that reach host folders ([`mounts`]). Reads the file system
//! (symlinks), writes nothing.

mod host;
mod mounts;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{interpolate, scalar, services};
use crate::allocator::var_name;

/// Capabilities that give away the machine or its kernel. With host networking `NET_ADMIN`
/// rewrites the machine's firewall; `DAC_READ_SEARCH` opens any host file by handle; `SYS_BOOT`
/// loads another kernel; `SYS_TIME` sets every repository's clock; `BPF`/`PERFMON` read kernel
/// memory; `MAC_*` change or bypass the machine's AppArmor/SELinux policy.
const CAPABILITIES: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_PTRACE",
    "NET_ADMIN",
    "DAC_READ_SEARCH",
    "SYS_BOOT",
    "SYS_TIME",
    "BPF",
    "PERFMON",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
];
/// Namespace settings whose value `host` shares the machine's namespace.
const NAMESPACES: &[&str] = &["pid", "ipc", "uts", "userns_mode", "cgroup"];

/// The variables renet sets for compose on top of its own environment (SPEC section 3, step 5).
/// They decide interpolation too: `${DOCKER_HOST:+/}` is `/` for compose.
pub(crate) struct Exports {
    /// `DOCKER_HOST`'s value.
    pub(crate) docker_host: String,
    pub(crate) network_id: String,
    /// Every service of the repository (this model's and the slot map's): `<NAME>_IP` is set.
    pub(crate) services: BTreeSet<String>,
}

/// What a run's gate needs besides the model.
pub(crate) struct Gate<'a> {
    /// The project environment compose interpolates with (process environment, then `.env` or
    /// `--env-file`).
    pub(crate) env: &'a dyn Fn(&str) -> Option<String>,
    pub(crate) exports: &'a Exports,
    /// compose's project folder (where relative paths that interpolation produced resolve).
    pub(crate) project_dir: &'a Path,
    /// `HOME`, for `~` (compose puts the home folder in its place); `/root` when unset.
    pub(crate) home: Option<&'a Path>,
    /// `RENET_RUN_DIR` and `RENET_STATE_DIR`, absolute.
    pub(crate) renet_dirs: &'a [PathBuf],
}

/// Every dangerous setting, as `service: key: value`, in service then key order.
pub(crate) fn dangerous_settings(model: &Map<String, Value>, gate: &Gate<'_>) -> Vec<String> {
    let places = host::Places::new(gate.renet_dirs);
    let home = gate.home.unwrap_or(Path::new("/root"));
    let base = mounts::Base {
        project_dir: gate.project_dir,
        home,
    };
    let mut findings: Vec<String> = Vec::new();
    // A set beside the list: a model of many services must not make this quadratic.
    let mut seen: BTreeSet<String> = BTreeSet::new();
    // renet removes `DOCKER_CONTEXT` from compose's environment, but a `.env` may set it again:
    // judged both ways when it is set.
    let context_set = (gate.env)("DOCKER_CONTEXT").is_some();
    let ip_vars: BTreeSet<String> = gate.exports.services.iter().map(|s| var_name(s)).collect();
    for hide_context in [false, true] {
        if hide_context && !context_set {
            continue;
        }
        let lookup = |name: &str| lookup(gate, &ip_vars, name, hide_context);
        let Value::Object(interpolated) =
            interpolate::model(&Value::Object(model.clone()), &lookup)
        else {
            continue;
        };
        for (name, svc) in services(&interpolated) {
            let raw = model.get("services").and_then(|s| s.get(name));
            let (Some(svc), Some(raw)) = (svc.as_object(), raw.and_then(Value::as_object)) else {
                continue;
            };
            let mut own = setting_findings(svc, raw);
            own.extend(path_findings(svc, raw, &interpolated, &base, &places));
            for f in own {
                let line = format!("{name}: {f}");
                if seen.insert(line.clone()) {
                    findings.push(line);
                }
            }
        }
    }
    findings
}

/// A variable as compose sees it: renet's exports (`ip_vars`: every `<SERVICE>_IP`), then the
/// project environment.
fn lookup(
    gate: &Gate<'_>,
    ip_vars: &BTreeSet<String>,
    name: &str,
    hide_context: bool,
) -> Option<String> {
    let ex = gate.exports;
    match name {
        "DOCKER_HOST" => Some(ex.docker_host.clone()),
        "REDIACC_NETWORK_ID" => Some(ex.network_id.clone()),
        "DOCKER_CONTEXT" if hide_context => None,
        // The address itself does not matter here, only that it is set and is no path.
        n if ip_vars.contains(n) => Some("127.0.0.1".to_owned()),
        n => (gate.env)(n),
    }
}

/// Whether compose reads `v` as `true` (compose-go's `toBoolean`, plus `1`).
fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "true" | "yes" | "y" | "on" | "1"
        ),
        _ => false,
    }
}

/// One service's findings among its settings, as `key: value` (`raw`: the service before
/// interpolation, whose values the findings show).
fn setting_findings(svc: &Map<String, Value>, raw: &Map<String, Value>) -> Vec<String> {
    let shown = |key: &str, v: &Value| format!("{key}: {}", shown_value(raw.get(key), v));
    let mut out = Vec::new();
    if let Some(v) = svc.get("privileged").filter(|v| truthy(v)) {
        out.push(shown("privileged", v));
    }
    for key in NAMESPACES {
        if let Some(v) = svc
            .get(*key)
            .filter(|v| scalar(v).trim().eq_ignore_ascii_case("host"))
        {
            out.push(shown(key, v));
        }
    }
    let listed = |key: &str| -> Vec<(Option<&Value>, &Value)> {
        let raw_items = raw.get(key).and_then(Value::as_array);
        list(svc, key)
            .enumerate()
            .map(|(i, v)| (raw_items.and_then(|r| r.get(i)), v))
            .collect()
    };
    for (raw_cap, cap) in listed("cap_add") {
        let c = scalar(cap).trim().to_ascii_uppercase();
        if CAPABILITIES.contains(&c.strip_prefix("CAP_").unwrap_or(&c)) {
            out.push(format!("cap_add: {}", shown_value(raw_cap, cap)));
        }
    }
    // Any device, or any device rule: with the default CAP_MKNOD a rule is a host device.
    for key in ["devices", "device_cgroup_rules"] {
        for (raw_dev, dev) in listed(key) {
            out.push(format!("{key}: {}", shown_value(raw_dev, dev)));
        }
    }
    for (raw_opt, opt) in listed("security_opt") {
        let o = scalar(opt).to_ascii_lowercase();
        let label_off = o.starts_with("label") && o.ends_with("disable");
        if o.contains("unconfined") || label_off {
            out.push(format!("security_opt: {}", shown_value(raw_opt, opt)));
        }
    }
    out.extend(indirect_findings(svc));
    out
}

/// What grants the machine around the container rather than in it: a provider (compose runs
/// the program its `type` names, found on renet's `PATH`, as root), the daemon's API socket
/// mounted in (the repository's daemon starts anything the gate refuses), privileged builds
/// and lifecycle hooks.
fn indirect_findings(svc: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(provider) = svc.get("provider") {
        let kind = provider
            .get("type")
            .map_or_else(|| provider.to_string(), scalar);
        out.push(format!("provider: {kind}"));
    }
    if let Some(v) = svc.get("use_api_socket").filter(|v| truthy(v)) {
        out.push(format!("use_api_socket: {}", scalar(v)));
    }
    if let Some(build) = svc.get("build").and_then(Value::as_object) {
        if let Some(v) = build.get("privileged").filter(|v| truthy(v)) {
            out.push(format!("build.privileged: {}", scalar(v)));
        }
        for e in list(build, "entitlements") {
            if scalar(e).trim() == "security.insecure" {
                out.push(format!("build.entitlements: {}", scalar(e)));
            }
        }
    }
    let watch_execs = svc
        .get("develop")
        .and_then(|d| d.get("watch"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|w| w.get("exec"));
    let hooks = list(svc, "post_start")
        .map(|h| ("post_start", h))
        .chain(list(svc, "pre_stop").map(|h| ("pre_stop", h)))
        .chain(watch_execs.map(|h| ("develop.watch.exec", h)));
    for (key, hook) in hooks {
        if let Some(v) = hook.get("privileged").filter(|v| truthy(v)) {
            out.push(format!("{key}: privileged: {}", scalar(v)));
        }
    }
    out
}

/// A value as the user wrote it, with what interpolation made of it when that differs.
fn shown_value(raw: Option<&Value>, interpolated: &Value) -> String {
    let now = match interpolated {
        Value::Object(_) => interpolated.to_string(),
        other => scalar(other),
    };
    match raw.map(scalar) {
        Some(raw) if raw != now => format!("{raw} (= {now})"),
        _ => now,
    }
}

/// The items of a list setting (none when it is missing or not a list).
fn list<'a>(svc: &'a Map<String, Value>, key: &str) -> impl Iterator<Item = &'a Value> {
    svc.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// One service's host paths that are refused, as `key: entry (why)`.
fn path_findings(
    svc: &Map<String, Value>,
    raw: &Map<String, Value>,
    model: &Map<String, Value>,
    base: &mounts::Base<'_>,
    places: &host::Places,
) -> Vec<String> {
    let mut out = Vec::new();
    for source in mounts::host_sources(svc, raw, model, base) {
        let refusal = places
            .landings(&source.path)
            .into_iter()
            .find_map(|at| Some((places.judge(&at, source.read_only)?, at)));
        let Some((refusal, at)) = refusal else {
            continue;
        };
        let mut notes = source.notes;
        let at_text = at.display().to_string();
        // The host path is said when the entry does not show it as written.
        let written = source.shown.split(':').next().unwrap_or_default();
        let literal = written.starts_with('/') && host::lexical(Path::new(written)) == at;
        if !literal && !notes.iter().any(|n| n.ends_with(&at_text)) {
            notes.push(format!("host path {at_text}"));
        }
        if let host::Refusal::Writable { inside } = refusal {
            notes.push(format!(
                "writable inside {}: mount it read-only (:ro)",
                inside.display()
            ));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join(", "))
        };
        out.push(format!("{}: {}{notes}", source.key, source.shown));
    }
    out
}

#[cfg(test)]
mod tests;
