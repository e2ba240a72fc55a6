//! The compose model rewrite (SPEC section 3, steps 3 and 4): every service on host networking
//! at its own address, labelled, with the addresses of its siblings. Pure: a merged model in, a
//! rewritten model and warnings out.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{scalar, services};
use crate::network::{NetworkId, Slot};

pub(crate) struct RewriteContext<'a> {
    pub(crate) network: NetworkId,
    pub(crate) repo_name: &'a str,
    /// Every service of the repository with its slot (all Rediaccfile folders, not only this
    /// model), so `extra_hosts` lets services reach each other by name.
    pub(crate) slots: &'a BTreeMap<String, Slot>,
}

#[derive(Debug, Default)]
pub(crate) struct Rewritten {
    pub(crate) model: Map<String, Value>,
    pub(crate) warnings: Vec<String>,
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

/// The user's restart policy per service (`None`: none or "no"). renet records it in the slot
/// map, because the rewrite sets every `restart` to "no": the repository's lifecycle, not
/// dockerd, restarts services.
pub(crate) fn restart_policies(model: &Map<String, Value>) -> BTreeMap<String, Option<String>> {
    services(model)
        .filter_map(|(name, svc)| {
            let svc = svc.as_object()?;
            let policy = svc
                .get("restart")
                .map(scalar)
                .or_else(|| deploy_condition(svc))
                .filter(|p| p != "no");
            Some((name.clone(), policy))
        })
        .collect()
}

// The steps below edit each service map in a fixed order: serde_json's `remove` moves the last
// key into the removed one's place, so the order of the edits shapes the output byte for byte.

pub(crate) fn rewrite(model: &Map<String, Value>, ctx: &RewriteContext<'_>) -> Rewritten {
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
        host_network(name, svc, &address, &mut out.warnings);
        never_restart(svc);
        set_labels(name, svc, &address, ctx);
        set_environment(svc, &address, ctx.network);
        set_extra_hosts(svc, &hosts, ctx.slots);
    }
    out
}

/// `network_mode: host`, and what host networking cannot have: networks, ports, links.
fn host_network(
    name: &str,
    svc: &mut Map<String, Value>,
    address: &str,
    warnings: &mut Vec<String>,
) {
    match svc.insert("network_mode".into(), Value::String("host".into())) {
        Some(Value::String(m)) if m.starts_with("service:") || m.starts_with("container:") => {
            warnings.push(format!(
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
        warnings.push(format!(
            "service {name}: ports {} removed: with host networking it listens on {address} directly",
            list.join(", ")
        ));
    }
    // Docker refuses links together with host networking; extra_hosts replaces them.
    if svc.remove("links").is_some() {
        warnings.push(format!(
            "service {name}: links removed: services reach each other by name through extra_hosts"
        ));
    }
}

/// `restart: no` and no `deploy.restart_policy` (see [`restart_policies`]).
fn never_restart(svc: &mut Map<String, Value>) {
    svc.insert("restart".into(), Value::String("no".into()));
    if let Some(Value::Object(deploy)) = svc.get_mut("deploy") {
        deploy.remove("restart_policy");
    }
}

/// The `rediacc.*` labels, over any the user set; every label value a string.
fn set_labels(name: &str, svc: &mut Map<String, Value>, address: &str, ctx: &RewriteContext<'_>) {
    let mut labels = as_map(svc.get("labels"), &['=']);
    for (k, v) in [
        ("rediacc.service_name", name.to_owned()),
        ("rediacc.service_ip", address.to_owned()),
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
}

/// `SERVICE_IP` and `REDIACC_NETWORK_ID` in the environment, in the form the user chose.
fn set_environment(svc: &mut Map<String, Value>, address: &str, network: NetworkId) {
    let env_pairs = [
        ("SERVICE_IP", address.to_owned()),
        ("REDIACC_NETWORK_ID", network.to_string()),
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
}

/// Every service of the repository in `extra_hosts`. renet's entries win over user entries for
/// the same name: the address is where the service really listens.
fn set_extra_hosts(
    svc: &mut Map<String, Value>,
    hosts: &[(String, String)],
    slots: &BTreeMap<String, Slot>,
) {
    match svc.get_mut("extra_hosts") {
        Some(Value::Object(map)) => {
            for (h, a) in hosts {
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
                        !slots.contains_key(host)
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

    /// The rewrite and the restart policies recorded for it.
    fn run(m: Value) -> (Rewritten, BTreeMap<String, Option<String>>) {
        let m = model(m);
        let slots = ctx_slots();
        let ctx = RewriteContext {
            network: NetworkId::new(2816).unwrap(),
            repo_name: "shop",
            slots: &slots,
        };
        (rewrite(&m, &ctx), restart_policies(&m))
    }

    #[test]
    fn rewrites_every_service() {
        let (r, policies) = run(json!({
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
        assert_eq!(policies["web"].as_deref(), Some("always"));
        assert_eq!(policies["db"], None);
        let warnings = r.warnings.join("\n");
        assert!(warnings.contains("ports 8080:80 removed"), "{warnings}");
        assert!(
            warnings.contains("network_mode service:web replaced"),
            "{warnings}"
        );
    }

    #[test]
    fn deploy_restart_policy_is_recorded_and_removed() {
        let (r, policies) = run(
            json!({"services": {"web": {"deploy": {"restart_policy": {"condition": "any"}, "replicas": 1}}}}),
        );
        assert_eq!(policies["web"].as_deref(), Some("always"));
        assert_eq!(r.model["services"]["web"]["deploy"], json!({"replicas": 1}));
    }
}
