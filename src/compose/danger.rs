//! Settings that hand a container the machine (SPEC section 3, step 2): refused unless the user
//! passes `--unsafe`. Pure.

use serde_json::{Map, Value};

use super::{scalar, services};

/// Host paths whose bind mount hands a container the machine. Exact matches only: mounting
/// `/etc/localtime` is routine, mounting `/etc` is not.
const SYSTEM_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/root",
    "/usr",
    "/var/run/docker.sock",
    "/run/docker.sock",
];
/// renet's own state: any path inside these is refused (another repository's sockets, leases).
const RENET_PATHS: &[&str] = &["/var/run/rediacc", "/run/rediacc", "/var/lib/rediacc"];

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(s.to_ascii_lowercase().as_str(), "true" | "yes" | "1"),
        _ => false,
    }
}

/// Every dangerous setting, as `service: key: value`, in service then key order. `protected`:
/// extra renet-owned folders to refuse as bind sources (the configured run and state folders).
pub(crate) fn dangerous_settings(model: &Map<String, Value>, protected: &[String]) -> Vec<String> {
    let mut findings = Vec::new();
    for (name, svc) in services(model) {
        let Some(svc) = svc.as_object() else { continue };
        findings.extend(
            service_findings(svc, protected)
                .into_iter()
                .map(|f| format!("{name}: {f}")),
        );
    }
    findings
}

/// One service's findings, as `key: value`.
fn service_findings(svc: &Map<String, Value>, protected: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(v) = svc.get("privileged").filter(|v| truthy(v)) {
        out.push(format!("privileged: {}", scalar(v)));
    }
    for key in ["pid", "ipc", "userns_mode"] {
        if let Some(v) = svc.get(key).filter(|v| v.as_str() == Some("host")) {
            out.push(format!("{key}: {}", scalar(v)));
        }
    }
    for cap in list(svc, "cap_add") {
        let c = scalar(cap).to_ascii_uppercase();
        let c = c.strip_prefix("CAP_").unwrap_or(&c);
        if c == "ALL" || c == "SYS_ADMIN" {
            out.push(format!("cap_add: {}", scalar(cap)));
        }
    }
    for vol in list(svc, "volumes") {
        if let Some(source) = bind_source(vol)
            && is_protected(&source, protected)
        {
            let shown = match vol {
                Value::String(s) => s.clone(),
                _ => format!("{source} (bind)"),
            };
            out.push(format!("volumes: {shown}"));
        }
    }
    out
}

/// The items of a list setting (none when it is missing or not a list).
fn list<'a>(svc: &'a Map<String, Value>, key: &str) -> impl Iterator<Item = &'a Value> {
    svc.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// The host path of a bind mount, if `vol` is one.
fn bind_source(vol: &Value) -> Option<String> {
    match vol {
        Value::String(s) => {
            let source = s.split(':').next()?;
            source.starts_with('/').then(|| source.to_owned())
        }
        Value::Object(m) => {
            let is_bind = m
                .get("type")
                .and_then(Value::as_str)
                .is_none_or(|t| t == "bind");
            let source = m.get("source").and_then(Value::as_str)?;
            (is_bind && source.starts_with('/')).then(|| source.to_owned())
        }
        _ => None,
    }
}

fn normalize_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            x => parts.push(x),
        }
    }
    format!("/{}", parts.join("/"))
}

fn is_protected(source: &str, protected: &[String]) -> bool {
    let p = normalize_path(source);
    let inside = |root: &str| {
        let root = normalize_path(root);
        p == root || p.starts_with(&format!("{root}/"))
    };
    SYSTEM_PATHS.contains(&p.as_str())
        || RENET_PATHS.iter().any(|r| inside(r))
        || protected.iter().any(|r| inside(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn dangerous_settings_are_all_listed() {
        let m = model(json!({"services": {
            "a": {"privileged": true, "pid": "host", "ipc": "host", "userns_mode": "host",
                  "cap_add": ["NET_ADMIN", "SYS_ADMIN", "ALL"],
                  "volumes": ["/:/host", "/etc/localtime:/etc/localtime:ro", "/var/run/docker.sock:/s",
                              "/var/lib/rediacc/router:/r", "./data:/data", "named:/x"]},
            "b": {"volumes": [{"type": "bind", "source": "/proc/", "target": "/p"},
                              {"type": "volume", "source": "v", "target": "/v"}],
                  "privileged": false}
        }}));
        let f = dangerous_settings(&m, &["/tmp/run".to_owned()]);
        assert_eq!(
            f,
            vec![
                "a: privileged: true",
                "a: pid: host",
                "a: ipc: host",
                "a: userns_mode: host",
                "a: cap_add: SYS_ADMIN",
                "a: cap_add: ALL",
                "a: volumes: /:/host",
                "a: volumes: /var/run/docker.sock:/s",
                "a: volumes: /var/lib/rediacc/router:/r",
                "b: volumes: /proc/ (bind)",
            ]
        );
        let protected =
            model(json!({"services": {"x": {"volumes": ["/tmp/run/docker-2880.sock:/s"]}}}));
        assert_eq!(
            dangerous_settings(&protected, &["/tmp/run".to_owned()]).len(),
            1
        );
    }
}
