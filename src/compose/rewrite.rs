//! The compose model rewrite (SPEC section 3, steps 3 and 4): every service on host networking
//! at its own address, labelled, reaching its siblings by name through the hosts file renet
//! mounts at `/etc/hosts` (see [`super::hosts`]), with the start order that the `links:` and
//! `network_mode: service:x` it drops implied. Pure: a merged model in, a rewritten model and
//! warnings out.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::hosts::{self, Resolution};
use super::{scalar, services};
use crate::network::{NetworkId, Slot};

pub(crate) struct RewriteContext<'a> {
    pub(crate) network: NetworkId,
    pub(crate) repo_name: &'a str,
    /// Every service of the repository with its slot (all Rediaccfile folders, not only this
    /// model), so services reach each other by name.
    pub(crate) slots: &'a BTreeMap<String, Slot>,
    /// `RENET_STATE_DIR`, absolute: the hosts files live in it.
    pub(crate) state_dir: &'a Path,
}

#[derive(Debug, Default)]
pub(crate) struct Rewritten {
    pub(crate) model: Map<String, Value>,
    pub(crate) warnings: Vec<String>,
    /// The `depends_on` entries the rewrite added, as (service, dependency): what compose
    /// implied from the dropped `links:` and `network_mode: service:x`.
    pub(crate) implied: Vec<(String, String)>,
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
        // Both read `links:` and `network_mode`, which host_network drops.
        let resolution = hosts::resolution(name, svc, ctx.slots, ctx.network);
        let implied = keep_start_order(name, svc, &mut out.warnings);
        out.implied
            .extend(implied.into_iter().map(|dep| (name.clone(), dep)));
        host_network(name, svc, &address, &mut out.warnings);
        never_restart(svc);
        build_on_host_network(svc);
        set_labels(name, svc, &address, ctx);
        set_environment(svc, &address, ctx.network);
        match resolution {
            Resolution::File(_) => mount_hosts_file(name, svc, ctx),
            Resolution::UserMount(mount) => out.warnings.push(format!(
                "service {name}: volumes {mount} kept: its /etc/hosts is its own, so it does not \
                 reach the repository's services by name"
            )),
            Resolution::ExtraHosts(why) => {
                out.warnings.push(format!(
                    "service {name}: the repository's services are added to its extra_hosts, as \
                     {why}; adding or removing a service recreates it"
                ));
                set_extra_hosts(svc, &hosts, ctx.slots);
            }
        }
    }
    out
}

/// The `depends_on` entries compose implies from `links:` and `network_mode: service:x` (what
/// compose-go's loader adds: `condition: service_started`, `restart: true`; compose adds
/// `required: true` itself), added because the rewrite drops both. An entry the user wrote is
/// kept as written; a list becomes a map (`condition: service_started`, as compose reads a list
/// entry). A name still to interpolate cannot be a `depends_on` key: warned, not added. Returns
/// the added names.
fn keep_start_order(
    name: &str,
    svc: &mut Map<String, Value>,
    warnings: &mut Vec<String>,
) -> Vec<String> {
    let mut wanted: Vec<String> = Vec::new();
    let links = svc.get("links").and_then(Value::as_array);
    for link in links.into_iter().flatten().map(scalar) {
        // compose-go: `a:b` names service a; anything else is the service's name as written.
        let parts: Vec<&str> = link.split(':').collect();
        wanted.push(if parts.len() == 2 {
            parts[0].to_owned()
        } else {
            link.clone()
        });
    }
    if let Some(Value::String(mode)) = svc.get("network_mode")
        && let Some(dep) = mode.strip_prefix("service:")
    {
        wanted.push(dep.to_owned());
    }
    let (wanted, unknown): (Vec<String>, Vec<String>) =
        wanted.into_iter().partition(|d| !d.contains('$'));
    for dep in unknown {
        warnings.push(format!(
            "service {name}: the start order after {dep} is not kept: the name needs interpolation"
        ));
    }
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut deps = match svc.remove("depends_on") {
        Some(Value::Object(m)) => m,
        Some(Value::Array(list)) => list
            .iter()
            .map(|d| {
                (
                    scalar(d),
                    serde_json::json!({"condition": "service_started"}),
                )
            })
            .collect(),
        _ => Map::new(),
    };
    let mut added = Vec::new();
    for dep in wanted {
        if !deps.contains_key(&dep) {
            deps.insert(
                dep.clone(),
                serde_json::json!({"condition": "service_started", "restart": true}),
            );
            added.push(dep);
        }
    }
    svc.insert("depends_on".into(), Value::Object(deps));
    added
}

/// renet's hosts file of the service, read-only at `/etc/hosts` (long syntax: a missing file is
/// an error, never an empty folder compose creates in its place).
fn mount_hosts_file(name: &str, svc: &mut Map<String, Value>, ctx: &RewriteContext<'_>) {
    let source = hosts::store::file(ctx.state_dir, ctx.network, name);
    let mount = serde_json::json!({
        "type": "bind",
        "source": source.display().to_string(),
        "target": hosts::TARGET,
        "read_only": true,
    });
    match svc.get_mut("volumes") {
        Some(Value::Array(list)) => list.push(mount),
        _ => {
            svc.insert("volumes".into(), Value::Array(vec![mount]));
        }
    }
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
    // Docker refuses links together with host networking; the hosts file replaces them.
    if svc.remove("links").is_some() {
        warnings.push(format!(
            "service {name}: links removed: services reach each other by name through /etc/hosts"
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

/// Builds on the host's network unless the user chose one: a repository daemon has no bridge
/// (`"bridge": "none"`), and BuildKit (Compose v2's builder) runs `RUN` steps on the default
/// bridge, failing with "network bridge not found".
fn build_on_host_network(svc: &mut Map<String, Value>) {
    let build = match svc.get_mut("build") {
        Some(Value::String(context)) => {
            let context = std::mem::take(context);
            svc.insert("build".into(), serde_json::json!({ "context": context }));
            svc.get_mut("build")
        }
        other => other,
    };
    if let Some(Value::Object(build)) = build
        && !build.contains_key("network")
    {
        build.insert("network".into(), Value::String("host".into()));
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
            state_dir: Path::new("/var/lib/r"),
        };
        (rewrite(&m, &ctx), restart_policies(&m))
    }

    fn hosts_mount(service: &str) -> Value {
        json!({"type": "bind", "source": format!("/var/lib/r/hosts/2816/{service}"),
               "target": "/etc/hosts", "read_only": true})
    }

    #[test]
    fn rewrites_every_service() {
        let (r, policies) = run(json!({
            "services": {
                "web": {"image": "x", "ports": ["8080:80"], "restart": "always",
                         "networks": ["front"], "labels": ["a=1", "rediacc.service_ip=evil"],
                         "environment": ["X=1", "SERVICE_IP=spoof"], "links": ["db"]},
                "db": {"image": "pg", "network_mode": "service:web",
                       "labels": {"rediacc.service_port": 5432}, "volumes": ["./d:/d"],
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
        // Names resolve through the mounted hosts file, not extra_hosts: adding a service
        // changes nothing here.
        assert!(web.get("extra_hosts").is_none());
        assert_eq!(web["volumes"], json!([hosts_mount("web")]));
        assert_eq!(
            web["depends_on"],
            json!({"db": {"condition": "service_started", "restart": true}})
        );
        let db = &r.model["services"]["db"];
        assert_eq!(db["labels"]["rediacc.service_port"], "5432");
        assert_eq!(db["environment"]["Y"], "${Y:-2}");
        assert_eq!(db["environment"]["SERVICE_IP"], "127.0.11.3");
        assert_eq!(
            db["extra_hosts"],
            json!(["db:1.2.3.4", "other:5.6.7.8"]),
            "the user's own, untouched"
        );
        assert_eq!(db["volumes"], json!(["./d:/d", hosts_mount("db")]));
        assert_eq!(
            db["depends_on"],
            json!({"web": {"condition": "service_started", "restart": true}})
        );
        assert_eq!(
            r.implied,
            [
                ("web".to_owned(), "db".to_owned()),
                ("db".to_owned(), "web".to_owned())
            ]
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
    fn implied_depends_on_merges_with_the_users() {
        let (r, _) = run(json!({"services": {
            "web": {"links": ["db:database", "cache", "a:b:c"], "depends_on": ["db", "x"]},
            "app": {"network_mode": "service:vpn",
                    "depends_on": {"vpn": {"condition": "service_healthy"}, "db": {"condition": "service_healthy"}}},
            "job": {"network_mode": "service:${VPN}", "links": ["${DB}:db"]},
            "box": {"network_mode": "container:abc"}
        }}));
        let svc = |n: &str| r.model["services"][n].clone();
        assert_eq!(
            svc("web")["depends_on"],
            json!({
                "db": {"condition": "service_started"},
                "x": {"condition": "service_started"},
                "cache": {"condition": "service_started", "restart": true},
                "a:b:c": {"condition": "service_started", "restart": true}
            })
        );
        assert_eq!(
            svc("app")["depends_on"],
            json!({"vpn": {"condition": "service_healthy"}, "db": {"condition": "service_healthy"}}),
            "the user's entry is kept as written"
        );
        assert!(svc("job").get("depends_on").is_none());
        assert!(svc("box").get("depends_on").is_none());
        let warnings = r.warnings.join("\n");
        assert!(
            warnings.contains("start order after ${VPN} is not kept")
                && warnings.contains("start order after ${DB} is not kept"),
            "{warnings}"
        );
        assert_eq!(
            r.implied,
            [
                ("web".to_owned(), "cache".to_owned()),
                ("web".to_owned(), "a:b:c".to_owned())
            ]
        );
    }

    #[test]
    fn unwritable_extra_hosts_and_user_mounts_keep_their_own_way() {
        let (r, _) = run(json!({"services": {
            "web": {"extra_hosts": ["gw=host-gateway", "db:9.9.9.9"]},
            "db": {"volumes": ["./my-hosts:/etc/hosts:ro"]}
        }}));
        let web = &r.model["services"]["web"];
        assert_eq!(
            web["extra_hosts"],
            json!(["gw=host-gateway", "db:127.0.11.3", "web:127.0.11.2"]),
            "every service listed, renet's address winning, as before the hosts file"
        );
        assert!(web.get("volumes").is_none());
        let db = &r.model["services"]["db"];
        assert_eq!(db["volumes"], json!(["./my-hosts:/etc/hosts:ro"]));
        assert!(db.get("extra_hosts").is_none());
        let warnings = r.warnings.join("\n");
        assert!(
            warnings
                .contains("service web: the repository's services are added to its extra_hosts"),
            "{warnings}"
        );
        assert!(
            warnings.contains("service db: volumes ./my-hosts:/etc/hosts:ro kept"),
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

    #[test]
    fn builds_run_on_the_host_network_unless_the_user_chose_one() {
        let (r, _) = run(json!({"services": {
            "web": {"build": "./app"},
            "db": {"build": {"context": ".", "network": "none"}},
        }}));
        let s = &r.model["services"];
        assert_eq!(
            s["web"]["build"],
            json!({"context": "./app", "network": "host"})
        );
        assert_eq!(s["db"]["build"], json!({"context": ".", "network": "none"}));
    }
}
