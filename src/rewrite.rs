//! The compose model rewrite (SPEC section 3, steps 3 and 4). Pure: a merged model in, a
//! rewritten model, warnings and restart policies out.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::network::{NetworkId, Slot};

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

pub struct RewriteContext<'a> {
    pub network: NetworkId,
    pub repo_name: &'a str,
    /// Every service of the repository with its slot (all Rediaccfile folders, not only this
    /// model), so `extra_hosts` lets services reach each other by name.
    pub slots: &'a BTreeMap<String, Slot>,
    /// Extra renet-owned folders to refuse as bind sources (the configured run and state dirs).
    pub protected: &'a [String],
}

#[derive(Debug, Default)]
pub struct Rewritten {
    pub model: Map<String, Value>,
    pub warnings: Vec<String>,
    /// The user's restart policy per service (`None`: none or "no").
    pub restart_policies: BTreeMap<String, Option<String>>,
}

pub fn services(model: &Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    model
        .get("services")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(s.to_ascii_lowercase().as_str(), "true" | "yes" | "1"),
        _ => false,
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Every dangerous setting, as `service: key: value`, in service then key order.
pub fn dangerous_settings(model: &Map<String, Value>, protected: &[String]) -> Vec<String> {
    let mut findings = Vec::new();
    for (name, svc) in services(model) {
        let Some(svc) = svc.as_object() else { continue };
        if let Some(v) = svc.get("privileged").filter(|v| truthy(v)) {
            findings.push(format!("{name}: privileged: {}", scalar(v)));
        }
        for key in ["pid", "ipc", "userns_mode"] {
            if let Some(v) = svc.get(key).filter(|v| v.as_str() == Some("host")) {
                findings.push(format!("{name}: {key}: {}", scalar(v)));
            }
        }
        for cap in svc
            .get("cap_add")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let c = scalar(cap).to_ascii_uppercase();
            let c = c.strip_prefix("CAP_").unwrap_or(&c);
            if c == "ALL" || c == "SYS_ADMIN" {
                findings.push(format!("{name}: cap_add: {}", scalar(cap)));
            }
        }
        for vol in svc
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(source) = bind_source(vol)
                && is_protected(&source, protected)
            {
                let shown = match vol {
                    Value::String(s) => s.clone(),
                    _ => format!("{source} (bind)"),
                };
                findings.push(format!("{name}: volumes: {shown}"));
            }
        }
    }
    findings
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

/// Turn a list of `KEY=VALUE` (or `KEY:VALUE` for extra_hosts) into a map, keeping order.
fn list_to_map(list: &[Value], sep: &[char]) -> Map<String, Value> {
    let mut m = Map::new();
    for item in list {
        let s = scalar(item);
        match s.split_once(sep) {
            Some((k, v)) => m.insert(k.to_owned(), Value::String(v.to_owned())),
            None => m.insert(s, Value::Null),
        };
    }
    m
}

fn as_map(v: Option<&Value>, sep: &[char]) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::Array(a)) => list_to_map(a, sep),
        _ => Map::new(),
    }
}

/// Compose's `deploy.restart_policy.condition` names differ from `restart:`.
fn deploy_condition(svc: &Map<String, Value>) -> Option<String> {
    let cond = svc
        .get("deploy")?
        .get("restart_policy")?
        .get("condition")?
        .as_str()?;
    Some(match cond {
        "any" => "always".to_owned(),
        "none" => "no".to_owned(),
        other => other.to_owned(),
    })
}

pub fn rewrite(model: &Map<String, Value>, ctx: &RewriteContext<'_>) -> Rewritten {
    let mut out = Rewritten {
        model: model.clone(),
        ..Rewritten::default()
    };
    let hosts: Vec<(String, String)> = ctx
        .slots
        .iter()
        .map(|(name, slot)| (name.clone(), ctx.network.slot_addr(*slot).to_string()))
        .collect();
    // Host networking: no service uses a compose network any more, so defining them would only
    // create unused bridges on a daemon that has none.
    if let Some(Value::Object(nets)) = out.model.remove("networks")
        && !nets.is_empty()
    {
        out.warnings.push(format!(
            "networks {} dropped: every service uses host networking on its own address",
            nets.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    let Some(Value::Object(svcs)) = out.model.get_mut("services") else {
        return out;
    };
    for (name, svc) in svcs.iter_mut() {
        let Value::Object(svc) = svc else { continue };
        let address = ctx
            .slots
            .get(name)
            .map(|s| ctx.network.slot_addr(*s).to_string())
            .unwrap_or_default();

        match svc.insert("network_mode".into(), Value::String("host".into())) {
            Some(Value::String(m)) if m.starts_with("service:") || m.starts_with("container:") => {
                out.warnings.push(format!(
                    "service {name}: network_mode {m} replaced by host; it now listens on its own address {address}"
                ));
            }
            _ => {}
        }
        svc.remove("networks");
        if let Some(Value::Array(ports)) = svc.remove("ports")
            && !ports.is_empty()
        {
            let list: Vec<String> = ports
                .iter()
                .map(|p| match p {
                    Value::Object(m) => m
                        .get("target")
                        .map(scalar)
                        .unwrap_or_else(|| Value::Object(m.clone()).to_string()),
                    other => scalar(other),
                })
                .collect();
            out.warnings.push(format!(
                "service {name}: ports {} removed: with host networking it listens on {address} directly",
                list.join(", ")
            ));
        }
        // Docker refuses links together with host networking; extra_hosts replaces them.
        if svc.remove("links").is_some() {
            out.warnings.push(format!(
                "service {name}: links removed: services reach each other by name through extra_hosts"
            ));
        }

        let policy = svc
            .get("restart")
            .map(scalar)
            .or_else(|| deploy_condition(svc))
            .filter(|p| p != "no");
        out.restart_policies.insert(name.clone(), policy);
        svc.insert("restart".into(), Value::String("no".into()));
        if let Some(Value::Object(deploy)) = svc.get_mut("deploy") {
            deploy.remove("restart_policy");
        }

        let mut labels = as_map(svc.get("labels"), &['=']);
        for (k, v) in [
            ("rediacc.service_name", name.clone()),
            ("rediacc.service_ip", address.clone()),
            ("rediacc.network_id", ctx.network.to_string()),
            ("rediacc.repo_name", ctx.repo_name.to_owned()),
        ] {
            labels.insert(k.into(), Value::String(v));
        }
        // Label values must be strings for compose; YAML may have given numbers or booleans.
        for v in labels.values_mut() {
            if !v.is_string() && !v.is_null() {
                *v = Value::String(scalar(v));
            }
        }
        svc.insert("labels".into(), Value::Object(labels));

        let env_pairs = [
            ("SERVICE_IP", address.clone()),
            ("REDIACC_NETWORK_ID", ctx.network.to_string()),
        ];
        match svc.get_mut("environment") {
            Some(Value::Array(list)) => {
                list.retain(|e| {
                    let s = scalar(e);
                    let key = s.split_once('=').map_or(s.as_str(), |(k, _)| k);
                    !env_pairs.iter().any(|(k, _)| *k == key)
                });
                list.extend(
                    env_pairs
                        .iter()
                        .map(|(k, v)| Value::String(format!("{k}={v}"))),
                );
            }
            Some(Value::Object(map)) => {
                for (k, v) in &env_pairs {
                    map.insert((*k).into(), Value::String(v.clone()));
                }
            }
            _ => {
                let map: Map<String, Value> = env_pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
                    .collect();
                svc.insert("environment".into(), Value::Object(map));
            }
        }

        // renet's entries win over user entries for the same name: the address is where the
        // service really listens.
        match svc.get_mut("extra_hosts") {
            Some(Value::Object(map)) => {
                for (h, a) in &hosts {
                    map.insert(h.clone(), Value::String(a.clone()));
                }
            }
            other => {
                let mut list: Vec<Value> = match other {
                    Some(Value::Array(l)) => l
                        .iter()
                        .filter(|e| {
                            let s = scalar(e);
                            let host = s.split([':', '=']).next().unwrap_or("");
                            !ctx.slots.contains_key(host)
                        })
                        .cloned()
                        .collect(),
                    _ => Vec::new(),
                };
                list.extend(hosts.iter().map(|(h, a)| Value::String(format!("{h}:{a}"))));
                svc.insert("extra_hosts".into(), Value::Array(list));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn model(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn ctx_slots() -> BTreeMap<String, Slot> {
        BTreeMap::from([
            ("web".to_owned(), Slot::new(0).unwrap()),
            ("db".to_owned(), Slot::new(1).unwrap()),
        ])
    }

    fn run(m: Value) -> Rewritten {
        let slots = ctx_slots();
        let ctx = RewriteContext {
            network: NetworkId::new(2816).unwrap(),
            repo_name: "shop",
            slots: &slots,
            protected: &[],
        };
        rewrite(&model(m), &ctx)
    }

    #[test]
    fn rewrites_every_service() {
        let r = run(json!({
            "services": {
                "web": {"image": "x", "ports": ["8080:80"], "restart": "always",
                         "networks": ["front"], "labels": ["a=1", "rediacc.service_ip=evil"],
                         "environment": ["X=1", "SERVICE_IP=spoof"], "links": ["db"]},
                "db": {"image": "pg", "network_mode": "service:web",
                       "labels": {"rediacc.service_port": 5432},
                       "environment": {"Y": "${Y:-2}"}, "extra_hosts": ["db:1.2.3.4", "other:5.6.7.8"]}
            },
            "networks": {"front": {}}
        }));
        let web = &r.model["services"]["web"];
        assert_eq!(web["network_mode"], "host");
        assert_eq!(web["restart"], "no");
        assert!(
            web.get("ports").is_none()
                && web.get("networks").is_none()
                && web.get("links").is_none()
        );
        assert_eq!(web["labels"]["a"], "1");
        assert_eq!(web["labels"]["rediacc.service_ip"], "127.0.11.2");
        assert_eq!(web["labels"]["rediacc.network_id"], "2816");
        assert_eq!(web["labels"]["rediacc.repo_name"], "shop");
        assert_eq!(
            web["environment"],
            json!(["X=1", "SERVICE_IP=127.0.11.2", "REDIACC_NETWORK_ID=2816"])
        );
        assert_eq!(
            web["extra_hosts"],
            json!(["db:127.0.11.3", "web:127.0.11.2"])
        );
        let db = &r.model["services"]["db"];
        assert_eq!(db["labels"]["rediacc.service_port"], "5432");
        assert_eq!(db["environment"]["Y"], "${Y:-2}");
        assert_eq!(db["environment"]["SERVICE_IP"], "127.0.11.3");
        assert_eq!(
            db["extra_hosts"],
            json!(["other:5.6.7.8", "db:127.0.11.3", "web:127.0.11.2"])
        );
        assert!(r.model.get("networks").is_none());
        assert_eq!(r.restart_policies["web"].as_deref(), Some("always"));
        assert_eq!(r.restart_policies["db"], None);
        let warnings = r.warnings.join("\n");
        assert!(warnings.contains("ports 8080:80 removed"), "{warnings}");
        assert!(
            warnings.contains("network_mode service:web replaced"),
            "{warnings}"
        );
    }

    #[test]
    fn deploy_restart_policy_is_recorded_and_removed() {
        let r = run(
            json!({"services": {"web": {"deploy": {"restart_policy": {"condition": "any"}, "replicas": 1}}}}),
        );
        assert_eq!(r.restart_policies["web"].as_deref(), Some("always"));
        assert_eq!(r.model["services"]["web"]["deploy"], json!({"replicas": 1}));
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
