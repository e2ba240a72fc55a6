use std::collections::BTreeMap;
use std::os::unix::fs::symlink;

use serde_json::json;

use super::*;

/// The gate's findings for `model` with the project environment `vars`, project folder
/// `/srv/app`, home `/home/op` and renet folders `/tmp/gate-unit/run` and `/tmp/gate-unit/state`.
fn gate_with(model: Value, vars: &[(&str, &str)], project_dir: &Path) -> Vec<String> {
    let vars: BTreeMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let env = |k: &str| vars.get(k).cloned();
    let exports = Exports {
        docker_host: "unix:///tmp/gate-unit/run/docker-3328.sock".to_owned(),
        network_id: "3328".to_owned(),
        services: ["web".to_owned(), "other-svc".to_owned()].into(),
    };
    let dirs = [
        PathBuf::from("/tmp/gate-unit/run"),
        PathBuf::from("/tmp/gate-unit/state"),
    ];
    let gate = Gate {
        env: &env,
        exports: &exports,
        project_dir,
        home: Some(Path::new("/home/op")),
        renet_dirs: &dirs,
    };
    dangerous_settings(model.as_object().expect("an object"), &gate)
}

fn gate(model: Value, vars: &[(&str, &str)]) -> Vec<String> {
    gate_with(model, vars, Path::new("/srv/app"))
}

fn service(svc: Value) -> Value {
    json!({"services": {"a": svc}})
}

#[test]
fn every_listed_setting_is_found() {
    let f = gate(
        json!({"services": {
            "a": {"privileged": true, "pid": "host", "ipc": "host", "userns_mode": "host",
                  "uts": "host", "cgroup": "host",
                  "cap_add": ["NET_ADMIN", "sys_admin", "CAP_SYS_MODULE", "SYS_RAWIO", "cap_sys_ptrace",
                              "ALL", "CHOWN", "NET_BIND_SERVICE", "SYS_NICE", "dac_read_search"],
                  "devices": ["/dev/fuse:/dev/fuse"],
                  "device_cgroup_rules": ["c 1:3 mr"],
                  "security_opt": ["seccomp=unconfined", "apparmor:unconfined", "systempaths=unconfined",
                                   "label=disable", "label:disable", "no-new-privileges:true",
                                   "seccomp=/srv/app/profile.json"]},
            "b": {"privileged": false, "pid": "container:a", "ipc": "shareable", "cap_add": [],
                  "devices": []}
        }}),
        &[],
    );
    assert_eq!(
        f,
        [
            "a: privileged: true",
            "a: pid: host",
            "a: ipc: host",
            "a: uts: host",
            "a: userns_mode: host",
            "a: cgroup: host",
            "a: cap_add: NET_ADMIN",
            "a: cap_add: sys_admin",
            "a: cap_add: CAP_SYS_MODULE",
            "a: cap_add: SYS_RAWIO",
            "a: cap_add: cap_sys_ptrace",
            "a: cap_add: ALL",
            "a: cap_add: dac_read_search",
            "a: devices: /dev/fuse:/dev/fuse",
            "a: device_cgroup_rules: c 1:3 mr",
            "a: security_opt: seccomp=unconfined",
            "a: security_opt: apparmor:unconfined",
            "a: security_opt: systempaths=unconfined",
            "a: security_opt: label=disable",
            "a: security_opt: label:disable",
        ]
    );
}

#[test]
fn what_grants_the_machine_around_the_container_is_found() {
    let f = gate(
        service(json!({
            "provider": {"type": "sh", "options": {"c": "x"}},
            "use_api_socket": true,
            "build": {"context": ".", "privileged": "${BP:-true}", "entitlements": ["network.host", "security.insecure"]},
            "post_start": [{"command": "id", "privileged": true}, {"command": "id"}],
            "pre_stop": [{"command": "id", "privileged": "yes"}],
            "develop": {"watch": [{"path": "/root", "action": "sync+exec", "target": "/r",
                                   "exec": {"command": "id", "privileged": true}},
                                  {"path": "./src", "action": "sync", "target": "/src"}]}
        })),
        &[],
    );
    assert_eq!(
        f,
        [
            "a: provider: sh",
            "a: use_api_socket: true",
            "a: build.privileged: true",
            "a: build.entitlements: security.insecure",
            "a: post_start: privileged: true",
            "a: pre_stop: privileged: yes",
            "a: develop.watch.exec: privileged: true",
            "a: develop.watch: /root",
        ]
    );
    let fine = gate(
        service(
            json!({"use_api_socket": false, "build": {"context": ".", "privileged": false},
                       "post_start": [{"command": "id", "privileged": false}]}),
        ),
        &[],
    );
    assert_eq!(fine, Vec::<String>::new());
}

#[test]
fn booleans_are_read_as_compose_reads_them() {
    for yes in [
        json!(true),
        json!("yes"),
        json!("Y"),
        json!("on"),
        json!("TRUE"),
        json!("1"),
    ] {
        assert_eq!(
            gate(service(json!({"privileged": yes})), &[]).len(),
            1,
            "{yes}"
        );
    }
    for no in [
        json!(false),
        json!("no"),
        json!("off"),
        json!("false"),
        json!(0),
    ] {
        assert_eq!(
            gate(service(json!({"privileged": no})), &[]),
            Vec::<String>::new(),
            "{no}"
        );
    }
}

#[test]
fn values_are_judged_after_interpolation() {
    let f = gate(
        service(json!({
            "privileged": "${P:-true}",
            "pid": "${PM:-host}",
            "ipc": "${IPC-host}",
            "uts": "$UTS",
            "cap_add": ["${CAP}", "SYS_${WHAT:-ADMIN}"],
            "security_opt": ["seccomp=${SEC:-${SEC2:-unconfined}}"],
            "volumes": ["${ROOT:-/}:/h", "${EMPTY:-/etc}:/e", "${UNSET}/data:/d", "$$ROOT:/x",
                        "${DOCKER_HOST:+/}:/dh", "${WEB_IP:+/}run:/w", "${NOT_A_SERVICE_IP:+/}:/n"]
        })),
        &[
            ("UTS", "host"),
            ("CAP", "cap_net_admin"),
            ("EMPTY", ""),
            ("IPC", ""),
        ],
    );
    assert_eq!(
        f,
        [
            "a: privileged: ${P:-true} (= true)",
            "a: pid: ${PM:-host} (= host)",
            "a: uts: $UTS (= host)",
            "a: cap_add: ${CAP} (= cap_net_admin)",
            "a: cap_add: SYS_${WHAT:-ADMIN} (= SYS_ADMIN)",
            "a: security_opt: seccomp=${SEC:-${SEC2:-unconfined}} (= seccomp=unconfined)",
            "a: volumes: ${ROOT:-/}:/h (host path /)",
            "a: volumes: ${EMPTY:-/etc}:/e (host path /etc)",
            "a: volumes: ${DOCKER_HOST:+/}:/dh (host path /)",
            "a: volumes: ${WEB_IP:+/}run:/w (host path /run)",
        ]
    );
    // Set in the environment, the value wins over the default.
    assert_eq!(
        gate(
            service(json!({"privileged": "${P:-true}", "volumes": ["${ROOT:-/}:/h"]})),
            &[("P", "false"), ("ROOT", "./data")]
        ),
        Vec::<String>::new()
    );
    // `${IPC-host}` with IPC set but empty is empty; `${UNSET}/data` is `/data`.
}

#[test]
fn a_relative_path_from_interpolation_resolves_against_the_project_folder() {
    let f = gate_with(
        service(json!({"volumes": ["${UP}:/u", "${HOMEY:-~}:/home", "~/x:/x"]})),
        &[("UP", "../../..")],
        Path::new("/srv/app/sub"),
    );
    assert_eq!(f, ["a: volumes: ${UP}:/u (host path /)"]);
    let home_root = gate(service(json!({"volumes": ["~/../..:/r"]})), &[]);
    assert_eq!(home_root, ["a: volumes: ~/../..:/r (host path /)"]);
}

#[test]
fn docker_context_is_judged_both_ways() {
    // renet removes DOCKER_CONTEXT from compose's environment: `${DOCKER_CONTEXT:-/}` may be `/`.
    let f = gate(
        service(json!({"volumes": ["${DOCKER_CONTEXT:-/}:/h"]})),
        &[("DOCKER_CONTEXT", "mine")],
    );
    assert_eq!(f, ["a: volumes: ${DOCKER_CONTEXT:-/}:/h (host path /)"]);
}

#[test]
fn bind_mounts_of_protected_places() {
    let f = gate(
        service(json!({"volumes": [
            "/:/host", "/etc:/e:ro", "/proc:/p", "/sys/fs/cgroup:/c:ro", "/dev/sda:/d",
            "/boot:/b", "/root/.ssh:/s:ro", "/usr:/u:ro", "/run:/r", "/var:/v:ro",
            "/var/lib/docker:/vd:ro", "/var/run/docker.sock:/var/run/docker.sock",
            "/tmp/gate-unit:/up", "/tmp/gate-unit/run/docker-3392.sock:/other.sock",
            "/tmp/gate-unit/state/leases.db:/l:ro", "/etc/cron.d:/cron",
            "/etc/localtime:/etc/localtime:ro", "/usr/share/zoneinfo:/z:ro", "/var/log:/log:ro",
            "/srv/data:/data", "/tmp/gate-unit/repo:/repo", "./data:/d2", "named:/n",
            {"type": "bind", "source": "/proc/", "target": "/pp"},
            {"type": "bind", "source": "/etc/ssl/certs", "target": "/certs", "read_only": true},
            {"type": "tmpfs", "target": "/t"}
        ]})),
        &[],
    );
    assert_eq!(
        f,
        [
            "a: volumes: /:/host",
            "a: volumes: /etc:/e:ro",
            "a: volumes: /proc:/p",
            "a: volumes: /sys/fs/cgroup:/c:ro",
            "a: volumes: /dev/sda:/d",
            "a: volumes: /boot:/b",
            "a: volumes: /root/.ssh:/s:ro",
            "a: volumes: /usr:/u:ro",
            "a: volumes: /run:/r",
            "a: volumes: /var:/v:ro",
            "a: volumes: /var/lib/docker:/vd:ro",
            "a: volumes: /var/run/docker.sock:/var/run/docker.sock (host path /run/docker.sock)",
            "a: volumes: /tmp/gate-unit:/up",
            "a: volumes: /tmp/gate-unit/run/docker-3392.sock:/other.sock",
            "a: volumes: /tmp/gate-unit/state/leases.db:/l:ro",
            "a: volumes: /etc/cron.d:/cron (writable inside /etc: mount it read-only (:ro))",
            "a: volumes: /proc/ (bind)",
        ]
    );
}

#[test]
fn a_writable_zone_file_is_refused_read_only_is_fine() {
    let writable = gate(
        service(json!({"volumes": ["/etc/localtime:/etc/localtime"]})),
        &[],
    );
    assert_eq!(writable.len(), 1, "{writable:?}");
    assert!(writable[0].contains("mount it read-only"), "{writable:?}");
}

#[test]
fn symlinks_in_the_repository_are_followed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path();
    symlink("/", repo.join("root")).expect("symlink");
    symlink("/var/run", repo.join("sockets")).expect("symlink");
    std::fs::create_dir(repo.join("data")).expect("data");
    let at = |rel: &str| repo.join(rel).display().to_string();
    let f = gate_with(
        service(json!({"volumes": [
            format!("{}:/h", at("root")),
            format!("{}:/s", at("sockets/docker.sock")),
            format!("{}:/d", at("data")),
            "./root/etc:/e:ro",
        ]})),
        &[],
        repo,
    );
    assert_eq!(
        f,
        [
            format!("a: volumes: {}:/h (host path /)", at("root")),
            format!(
                "a: volumes: {}:/s (host path /run/docker.sock)",
                at("sockets/docker.sock")
            ),
            "a: volumes: ./root/etc:/e:ro (host path /etc)".to_owned(),
        ]
    );
}

#[test]
fn named_volumes_secrets_configs_and_builds_reach_host_folders() {
    let f = gate(
        json!({
            "services": {"a": {
                "volumes": ["root:/r", {"type": "volume", "source": "etc", "target": "/e"},
                            "data:/d", "${VOL:-dev}:/x"],
                "secrets": ["shadow", "fine"],
                "configs": [{"source": "key", "target": "/k"}],
                "build": {"context": "/"},
                "env_file": ["/root/.env"]
            }},
            "volumes": {
                "root": {"driver": "local", "driver_opts": {"type": "none", "o": "bind", "device": "${DEV:-/}"}},
                "etc": {"driver_opts": {"type": "none", "o": "bind,ro", "device": "/etc"}},
                "data": {"driver_opts": {"type": "none", "o": "bind", "device": "/srv/data"}},
                "dev": {"driver_opts": {"type": "ext4", "device": "/dev/sda1"}},
                "unused": {"driver_opts": {"type": "none", "o": "bind", "device": "/"}}
            },
            "secrets": {"shadow": {"file": "/etc/shadow"}, "fine": {"file": "/srv/app/s.txt"}},
            "configs": {"key": {"file": "/etc/ssh/ssh_host_ed25519_key"}}
        }),
        &[],
    );
    assert_eq!(
        f,
        [
            "a: volumes: root:/r (volume root binds /)",
            "a: volumes: etc (volume etc binds /etc)",
            "a: volumes: ${VOL:-dev}:/x (volume dev binds /dev/sda1)",
            "a: secrets: shadow (file /etc/shadow)",
            "a: configs: key (file /etc/ssh/ssh_host_ed25519_key)",
            "a: build: /",
            "a: env_file: /root/.env",
        ]
    );
}

#[test]
fn a_model_without_services_or_with_odd_values_has_no_findings() {
    for model in [
        json!({}),
        json!({"services": null}),
        json!({"services": {"a": null, "b": {"volumes": "x", "cap_add": "ALL", "privileged": {}}}}),
        json!({"services": {"a": {"volumes": [1, null, ":", "/x"], "build": 3}}}),
    ] {
        assert_eq!(gate(model.clone(), &[]), Vec::<String>::new(), "{model}");
    }
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Strings the gate reads specially, and any other.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "/",
                "/etc",
                "host",
                "true",
                "ALL",
                "${X:-/}",
                "${X",
                "$$",
                "~",
                "..",
                ":",
                "::",
                "./a:/b:ro",
                "/:/h",
                "unconfined",
                "bind",
                "none",
                "${DOCKER_HOST:+/}",
                "",
            ])
            .prop_map(str::to_owned),
            any::<String>(),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            text().prop_map(Value::String),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            Just(Value::Null),
        ];
        let keys = prop::sample::select(vec![
            "privileged",
            "pid",
            "volumes",
            "cap_add",
            "devices",
            "security_opt",
            "build",
            "secrets",
            "type",
            "source",
            "device",
            "driver_opts",
            "o",
            "file",
            "context",
            "provider",
            "read_only",
            "develop",
            "watch",
            "path",
            "exec",
            "env_file",
        ]);
        leaf.prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(keys.clone().prop_map(str::to_owned), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any model: no panic, every finding names a service of the model, and a mount of `/`
        /// added to a service is always found.
        #[test]
        fn any_model_is_judged_without_panicking(
            svc in value(),
            top in prop::collection::btree_map(
                prop::sample::select(vec!["volumes", "secrets", "configs"]).prop_map(str::to_owned),
                value(),
                0..3,
            ),
        ) {
            let mut model: Map<String, Value> = top.into_iter().collect();
            model.insert("services".to_owned(), json!({"a": svc.clone()}));
            for f in gate(Value::Object(model.clone()), &[]) {
                prop_assert!(f.starts_with("a: "), "{}", f);
            }
            let mut with_root = match svc {
                Value::Object(m) => m,
                _ => Map::new(),
            };
            with_root.insert("volumes".to_owned(), json!(["/:/x"]));
            model.insert("services".to_owned(), json!({"a": with_root}));
            let found = gate(Value::Object(model), &[]);
            prop_assert!(found.iter().any(|f| f == "a: volumes: /:/x"), "{:?}", found);
        }
    }
}
