//! docker-compose 1.29 validates against an older schema and rejects keys it does not know
//! (`name`, `develop`, `depends_on.*.required`, ...). When renet runs v1, it drops those keys from
//! the rewritten model and says so, instead of letting v1 refuse the whole file. The key lists
//! come from v1.29's own `compose/config/compose_spec.json`.

use serde_json::{Map, Value};

const TOP: &[&str] = &[
    "configs", "networks", "secrets", "services", "version", "volumes",
];
const SERVICE: &[&str] = &[
    "blkio_config",
    "build",
    "cap_add",
    "cap_drop",
    "cgroup_parent",
    "command",
    "configs",
    "container_name",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpu_shares",
    "cpus",
    "cpuset",
    "credential_spec",
    "depends_on",
    "deploy",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "labels",
    "links",
    "logging",
    "mac_address",
    "mem_limit",
    "mem_reservation",
    "mem_swappiness",
    "memswap_limit",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "privileged",
    "profiles",
    "pull_policy",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "user",
    "userns_mode",
    "volumes",
    "volumes_from",
    "working_dir",
];
const BUILD: &[&str] = &[
    "context",
    "dockerfile",
    "args",
    "labels",
    "cache_from",
    "network",
    "target",
    "shm_size",
    "extra_hosts",
    "isolation",
];
const HEALTHCHECK: &[&str] = &[
    "disable",
    "interval",
    "retries",
    "start_period",
    "test",
    "timeout",
];

fn keep_known(map: &mut Map<String, Value>, known: &[&str], what: &str, dropped: &mut Vec<String>) {
    let gone: Vec<String> = map
        .keys()
        .filter(|k| !k.starts_with("x-") && !known.contains(&k.as_str()))
        .cloned()
        .collect();
    for k in gone {
        map.shift_remove(&k);
        dropped.push(format!("{what}{k}"));
    }
}

/// Drop what v1 cannot read. Returns the dropped keys as `services.web.develop` paths.
/// `implied`: the (service, dependency) entries the rewrite added to `depends_on`; their
/// `restart: true` goes silently (v1 implied only the start order from what they replace).
pub(crate) fn downgrade(
    model: &mut Map<String, Value>,
    implied: &[(String, String)],
) -> Vec<String> {
    let mut dropped = Vec::new();
    keep_known(model, TOP, "", &mut dropped);
    let Some(Value::Object(services)) = model.get_mut("services") else {
        return dropped;
    };
    for (name, svc) in services.iter_mut() {
        let Value::Object(svc) = svc else { continue };
        let at = format!("services.{name}.");
        for (_, dep) in implied.iter().filter(|(s, _)| s == name) {
            if let Some(Value::Object(spec)) =
                svc.get_mut("depends_on").and_then(|d| d.get_mut(dep))
            {
                spec.shift_remove("restart");
            }
        }
        keep_known(svc, SERVICE, &at, &mut dropped);
        if let Some(Value::Object(build)) = svc.get_mut("build") {
            keep_known(build, BUILD, &format!("{at}build."), &mut dropped);
        }
        if let Some(Value::Object(hc)) = svc.get_mut("healthcheck") {
            keep_known(hc, HEALTHCHECK, &format!("{at}healthcheck."), &mut dropped);
        }
        if let Some(Value::Object(deps)) = svc.get_mut("depends_on") {
            for (dep, spec) in deps.iter_mut() {
                if let Value::Object(spec) = spec {
                    keep_known(
                        spec,
                        &["condition"],
                        &format!("{at}depends_on.{dep}."),
                        &mut dropped,
                    );
                    spec.entry("condition")
                        .or_insert_with(|| Value::String("service_started".into()));
                }
            }
        }
        // v1 knows env_file only as paths; the long form {path, required} is newer.
        if let Some(Value::Array(files)) = svc.get_mut("env_file") {
            let mut out = Vec::new();
            for f in files.drain(..) {
                match f {
                    Value::Object(m) => {
                        let path = m
                            .get("path")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned();
                        let required = m.get("required").and_then(Value::as_bool).unwrap_or(true);
                        if required || std::path::Path::new(&path).exists() {
                            out.push(Value::String(path));
                        } else {
                            dropped.push(format!("{at}env_file {path} (optional, missing)"));
                        }
                    }
                    other => out.push(other),
                }
            }
            *files = out;
        }
    }
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drops_what_v1_rejects() {
        let mut m = json!({
            "name": "x", "x-keep": 1,
            "services": {"web": {
                "image": "i", "develop": {}, "x-ok": 2,
                "build": {"context": "/c", "additional_contexts": {}},
                "healthcheck": {"test": ["CMD", "true"], "start_interval": "1s"},
                "depends_on": {"db": {"condition": "service_healthy", "required": true}, "c": {"restart": true}},
                "env_file": ["/a.env", {"path": "/nonexistent/b.env", "required": false}, {"path": "/c.env"}]
            }}
        })
        .as_object()
        .unwrap()
        .clone();
        let dropped = downgrade(&mut m, &[]);
        assert_eq!(
            dropped,
            vec![
                "name",
                "services.web.develop",
                "services.web.build.additional_contexts",
                "services.web.healthcheck.start_interval",
                "services.web.depends_on.db.required",
                "services.web.depends_on.c.restart",
                "services.web.env_file /nonexistent/b.env (optional, missing)",
            ]
        );
        assert_eq!(m["x-keep"], 1);
        assert_eq!(m["services"]["web"]["x-ok"], 2);
        assert_eq!(
            m["services"]["web"]["depends_on"]["c"],
            json!({"condition": "service_started"})
        );
        assert_eq!(
            m["services"]["web"]["env_file"],
            json!(["/a.env", "/c.env"])
        );
    }

    #[test]
    fn implied_dependencies_lose_restart_silently_and_the_hosts_mount_stays() {
        let mut m = json!({"services": {"app": {
            "depends_on": {"vpn": {"condition": "service_started", "restart": true},
                           "db": {"condition": "service_healthy", "restart": true}},
            "volumes": [{"type": "bind", "source": "/var/lib/rediacc/hosts/2816/app",
                         "target": "/etc/hosts", "read_only": true}]
        }}})
        .as_object()
        .unwrap()
        .clone();
        let dropped = downgrade(&mut m, &[("app".to_owned(), "vpn".to_owned())]);
        // The user's own `restart: true` on db is still reported.
        assert_eq!(dropped, ["services.app.depends_on.db.restart"]);
        assert_eq!(
            m["services"]["app"]["depends_on"],
            json!({"vpn": {"condition": "service_started"}, "db": {"condition": "service_healthy"}})
        );
        assert_eq!(m["services"]["app"]["volumes"][0]["target"], "/etc/hosts");
    }
}
