//! End-to-end tests of `load` on real files in temporary directories.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::files::default_files;
use super::{LoadError, load};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs_err::create_dir_all(parent).expect("mkdir");
    }
    fs_err::write(&path, text).expect("write");
    path
}

fn model(files: &[PathBuf], dir: &Path) -> Value {
    Value::Object(load(files, dir).expect("loads").model)
}

#[test]
fn anchors_merge_keys_and_order() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let f = write(
        d,
        "compose.yaml",
        r#"
x-base: &base
  restart: always
  environment: &env
    A: "1"
    B: "2"
x-logging: &log
  logging: {driver: json-file}
services:
  web:
    image: web
    <<: [*base, *log]
    restart: unless-stopped
    environment:
      <<: *env
      B: "3"
      C: "4"
  worker:
    <<: *base
    image: worker
"#,
    );
    let m = model(&[f], d);
    let web = &m["services"]["web"];
    let keys: Vec<&String> = web.as_object().expect("map").keys().collect();
    assert_eq!(keys, ["image", "logging", "restart", "environment"]);
    assert_eq!(web["restart"], "unless-stopped");
    assert_eq!(web["environment"], json!({"A": "1", "B": "3", "C": "4"}));
    let worker_keys: Vec<&String> = m["services"]["worker"]
        .as_object()
        .expect("map")
        .keys()
        .collect();
    assert_eq!(worker_keys, ["restart", "environment", "image"]);
    assert_eq!(m["x-base"]["restart"], "always");
}

#[test]
fn reset_and_override_across_files_and_within_one() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let base = write(
        d,
        "compose.yaml",
        "services:\n  app:\n    image: app\n    ports: ['8080:80']\n    environment: {FOO: bar, KEEP: k}\n    dns: !reset [1.1.1.1]\n",
    );
    let over = write(
        d,
        "compose.override.yaml",
        "services:\n  app:\n    ports: !override ['8443:443']\n    environment:\n      FOO: !reset null\n    command: !reset []\n",
    );
    assert_eq!(
        model(&[base, over], d)["services"]["app"],
        json!({"image": "app", "ports": ["8443:443"], "environment": {"KEEP": "k"}})
    );
}

#[test]
fn tags_in_a_single_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let f = write(
        d,
        "compose.yaml",
        "services:\n  a:\n    image: a\n    ports: !override ['1:1']\n    dns: !reset\n",
    );
    assert_eq!(
        model(&[f], d)["services"]["a"],
        json!({"image": "a", "ports": ["1:1"]})
    );
}

#[test]
fn override_file_special_keys() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let base = write(
        d,
        "compose.yaml",
        r#"
services:
  web:
    image: web:1
    command: [run, a]
    entrypoint: [sh, -c]
    healthcheck: {test: [CMD, curl, a], interval: 5s}
    ports: ["80:80", "443:443"]
    volumes: ["data:/data", "./conf:/etc/conf:ro"]
    secrets: [db_pass]
    configs: [{source: app, target: /app.conf}]
    environment: [A=1, B=2]
    labels: {x: "1"}
    extra_hosts: ["db:10.0.0.1"]
    sysctls: [net.core.somaxconn=1024]
    ulimits: {nofile: {soft: 10, hard: 20}}
    annotations: [a=1]
    networks: [front]
    depends_on: [db]
    dns: [1.1.1.1]
    cap_add: [NET_ADMIN]
    profiles: [web]
  db:
    image: postgres
"#,
    );
    let over = write(
        d,
        "compose.prod.yaml",
        r#"
services:
  web:
    image: web:2
    command: [run, b]
    entrypoint: bash
    healthcheck: {test: [CMD, curl, b]}
    ports: ["80:80", "9090:9090"]
    volumes: ["other:/data", "./logs:/logs"]
    secrets: [{source: db_pass, mode: "0440"}]
    configs: [{source: app2, target: /app.conf}]
    environment: {B: "3", C: null}
    labels: [y=2]
    extra_hosts: {db: 10.0.0.2}
    sysctls: {net.core.somaxconn: 2048}
    ulimits: {nofile: 99}
    annotations: {b: "2"}
    networks: {back: {}}
    depends_on: {cache: {condition: service_healthy}}
    dns: [1.1.1.1, 8.8.8.8]
    cap_add: [NET_ADMIN, SYS_TIME]
    profiles: [web, prod]
"#,
    );
    let web = model(&[base, over], d)["services"]["web"].clone();
    let root = d.to_string_lossy();
    assert_eq!(
        web,
        json!({
            "image": "web:2",
            "command": ["run", "b"],
            "entrypoint": "bash",
            "healthcheck": {"test": ["CMD", "curl", "b"], "interval": "5s"},
            "ports": ["80:80", "443:443", "9090:9090"],
            "volumes": ["other:/data", format!("{root}/conf:/etc/conf:ro"), format!("{root}/logs:/logs")],
            "secrets": [{"source": "db_pass", "mode": "0440"}],
            "configs": [{"source": "app2", "target": "/app.conf"}],
            "environment": {"A": "1", "B": "3", "C": null},
            "labels": {"x": "1", "y": "2"},
            "extra_hosts": ["db:10.0.0.1", "db=10.0.0.2"],
            "sysctls": {"net.core.somaxconn": 2048},
            "ulimits": {"nofile": 99},
            "annotations": {"a": "1", "b": "2"},
            "networks": {"front": null, "back": {}},
            "depends_on": {"db": {"condition": "service_started"},
                           "cache": {"condition": "service_healthy"}},
            "dns": ["1.1.1.1", "8.8.8.8"],
            "cap_add": ["NET_ADMIN", "SYS_TIME"],
            "profiles": ["web", "prod"]
        })
    );
}

#[test]
fn override_file_paths_resolve_against_project_dir() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let base = write(d, "compose.yaml", "services:\n  a:\n    build: .\n");
    let over = write(
        d,
        "overrides/extra.yaml",
        "services:\n  a:\n    env_file: ./a.env\n    volumes: ['./src:/src']\n",
    );
    let m = model(&[base, over], d);
    let root = d.to_string_lossy();
    assert_eq!(
        m["services"]["a"],
        json!({"build": root, "env_file": format!("{root}/a.env"),
               "volumes": [format!("{root}/src:/src")]})
    );
}

#[test]
fn extends_same_file_and_other_file_with_paths() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(
        d,
        "common/base.yml",
        r#"
services:
  base:
    image: base
    env_file: ./base.env
    volumes: ["./data:/data"]
    environment: [A=1]
    depends_on: [db]
  mid:
    extends: base
    build: ./ctx
    environment: {B: "2"}
"#,
    );
    let f = write(
        d,
        "compose.yaml",
        r#"
services:
  web:
    extends: {service: mid, file: common/base.yml}
    environment: [C=3]
    ports: ["80:80"]
  worker:
    extends: {service: web}
    command: work
    ports: !reset []
"#,
    );
    let m = model(&[f], d);
    let root = d.to_string_lossy();
    let web = json!({
        "image": "base",
        "env_file": format!("{root}/common/base.env"),
        "volumes": [format!("{root}/common/data:/data")],
        "environment": {"A": "1", "B": "2", "C": "3"},
        "depends_on": ["db"],
        "build": format!("{root}/common/ctx"),
        "ports": ["80:80"]
    });
    assert_eq!(m["services"]["web"], web);
    let mut worker = web.clone();
    let obj = worker.as_object_mut().expect("map");
    obj.remove("ports");
    obj.insert("command".into(), json!("work"));
    assert_eq!(m["services"]["worker"], worker);
    let files = load(&[d.join("compose.yaml")], d).expect("loads").files;
    assert_eq!(files, [d.join("compose.yaml"), d.join("common/base.yml")]);
}

#[test]
fn extends_cycle_is_an_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(
        d,
        "other.yml",
        "services:\n  b:\n    extends: {service: a, file: compose.yaml}\n",
    );
    let f = write(
        d,
        "compose.yaml",
        "services:\n  a:\n    extends: {service: b, file: other.yml}\n",
    );
    let e = load(std::slice::from_ref(&f), d).unwrap_err();
    assert!(matches!(e, LoadError::ExtendsCycle { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.starts_with("extends cycle: "), "{msg}");
    assert!(msg.contains("b ("), "{msg}");

    let g = write(
        d,
        "self.yaml",
        "services:\n  a: {extends: b}\n  b: {extends: a}\n",
    );
    let e = load(&[g], d).unwrap_err();
    assert!(matches!(e, LoadError::ExtendsCycle { .. }), "{e}");
}

#[test]
fn extends_missing_service_names_service_and_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(d, "other.yml", "services:\n  x: {image: x}\n");
    let f = write(
        d,
        "compose.yaml",
        "services:\n  a:\n    extends: {service: nope, file: other.yml}\n",
    );
    let msg = load(&[f], d).unwrap_err().to_string();
    assert!(msg.contains("\"a\"") && msg.contains("\"nope\""), "{msg}");
    assert!(
        msg.contains(&d.join("other.yml").display().to_string()),
        "{msg}"
    );

    let g = write(
        d,
        "missing-file.yml",
        "services:\n  a:\n    extends: {service: x, file: gone.yml}\n",
    );
    let e = load(&[g], d).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("compose file not found: {}", d.join("gone.yml").display())
    );
}

#[test]
fn include_with_relative_paths_and_conflicts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(
        d,
        "db/compose.yaml",
        "services:\n  db:\n    image: postgres\n    env_file: db.env\n    volumes: ['./init:/docker-entrypoint-initdb.d']\nvolumes:\n  pgdata: {}\n",
    );
    write(
        d,
        "cache/cache.yml",
        "include:\n  - ../db/compose.yaml\nservices:\n  cache: {image: redis, build: .}\n",
    );
    let f = write(
        d,
        "compose.yaml",
        "include:\n  - db/compose.yaml\n  - path: [cache/cache.yml]\n    project_directory: cache\nservices:\n  web:\n    image: web\n    depends_on: [db]\n",
    );
    let m = model(std::slice::from_ref(&f), d);
    let root = d.to_string_lossy();
    assert!(m.get("include").is_none());
    let services = m["services"].as_object().expect("map");
    assert_eq!(services.keys().collect::<Vec<_>>(), ["web", "db", "cache"]);
    assert_eq!(
        m["services"]["db"],
        json!({"image": "postgres", "env_file": format!("{root}/db/db.env"),
               "volumes": [format!("{root}/db/init:/docker-entrypoint-initdb.d")]})
    );
    assert_eq!(
        m["services"]["cache"]["build"],
        json!(format!("{root}/cache"))
    );
    assert_eq!(m["volumes"], json!({"pgdata": {}}));
    let files = load(&[f], d).expect("loads").files;
    assert_eq!(
        files,
        [
            d.join("compose.yaml"),
            d.join("db/compose.yaml"),
            d.join("cache/cache.yml")
        ]
    );

    let g = write(
        d,
        "conflict.yaml",
        "include: [db/compose.yaml]\nservices:\n  db: {image: mysql}\n",
    );
    let e = load(&[g], d).unwrap_err();
    assert!(matches!(e, LoadError::IncludeConflict { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains(&d.join("db/compose.yaml").display().to_string()),
        "{msg}"
    );
    assert!(
        msg.contains(&d.join("conflict.yaml").display().to_string()),
        "{msg}"
    );
    assert!(msg.contains("service \"db\""), "{msg}");
}

#[test]
fn include_cycle_is_an_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(d, "a.yml", "include: [b.yml]\nservices: {a: {image: a}}\n");
    write(d, "b.yml", "include: [a.yml]\nservices: {b: {image: b}}\n");
    let e = load(&[d.join("a.yml")], d).unwrap_err();
    assert!(matches!(e, LoadError::IncludeCycle { .. }), "{e}");
    assert!(e.to_string().contains("a.yml -> "), "{e}");
}

#[test]
fn override_file_can_change_an_included_service() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(d, "db.yml", "services:\n  db: {image: postgres}\n");
    let base = write(
        d,
        "compose.yaml",
        "include: [db.yml]\nservices:\n  web: {image: web}\n",
    );
    let over = write(
        d,
        "compose.override.yaml",
        "services:\n  db: {ports: ['5432:5432']}\n",
    );
    let m = model(&[base, over], d);
    assert_eq!(
        m["services"]["db"],
        json!({"image": "postgres", "ports": ["5432:5432"]})
    );
}

#[test]
fn interpolation_and_scalars_pass_through() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let f = write(
        d,
        "compose.yaml",
        r#"
services:
  app:
    image: "app:${TAG:-latest}"
    restart: "no"
    command: echo $$HOME ${A:-x} $${B}
    environment:
      PATHS: ${A}:${B:-c}
      NO: no
    ports: [22:22, "${PORT:-8080}:80"]
    volumes: ["${DATA:-./data}:/data"]
    secrets: [{source: s, mode: 0440}]
secrets:
  s: {file: ./s.txt}
configs:
  c: {file: "${CONF}"}
"#,
    );
    let m = model(&[f], d);
    let app = &m["services"]["app"];
    assert_eq!(app["image"], "app:${TAG:-latest}");
    assert_eq!(app["restart"], "no");
    assert_eq!(app["command"], "echo $$HOME ${A:-x} $${B}");
    assert_eq!(
        app["environment"],
        json!({"PATHS": "${A}:${B:-c}", "NO": "no"})
    );
    assert_eq!(app["ports"], json!(["22:22", "${PORT:-8080}:80"]));
    // In the main project's folder compose resolves the default itself.
    assert_eq!(app["volumes"], json!(["${DATA:-./data}:/data"]));
    // YAML 1.1 octal, as v2 reads it.
    assert_eq!(app["secrets"][0]["mode"], 288);
    assert_eq!(m["configs"]["c"]["file"], "${CONF}");
}

#[test]
fn yaml_error_names_file_and_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let base = write(d, "compose.yaml", "services:\n  a: {image: a}\n");
    let bad = write(d, "bad.yaml", "services:\n  a:\n    image: a\n   bad: [\n");
    let e = load(&[base, bad.clone()], d).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, LoadError::Yaml { .. }), "{msg}");
    assert!(msg.starts_with(&format!("{}:4:", bad.display())), "{msg}");
    assert!(msg.contains("invalid YAML"), "{msg}");
}

#[test]
fn missing_and_unknown_tag_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let e = load(&[d.join("nope.yaml")], d).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("compose file not found: {}", d.join("nope.yaml").display())
    );
    let f = write(d, "compose.yaml", "services:\n  a:\n    image: !env X\n");
    let msg = load(std::slice::from_ref(&f), d).unwrap_err().to_string();
    assert!(msg.starts_with(&format!("{}:3:", f.display())), "{msg}");
    assert!(msg.contains("!env"), "{msg}");
}

#[test]
fn default_files_feed_load() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(d, "docker-compose.yml", "services: {old: {image: old}}\n");
    write(d, "compose.yaml", "services: {web: {image: web}}\n");
    write(
        d,
        "compose.override.yml",
        "services: {web: {ports: ['80:80']}}\n",
    );
    let files = default_files(d).expect("ok").expect("found");
    assert_eq!(
        files,
        [d.join("compose.yaml"), d.join("compose.override.yml")]
    );
    assert_eq!(
        model(&files, d)["services"],
        json!({"web": {"image": "web", "ports": ["80:80"]}})
    );
}

#[test]
fn extends_is_resolved_in_each_file_before_the_files_merge() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let base = write(
        d,
        "compose.yaml",
        "services:\n  base: {image: busybox, environment: {FROM: base}}\n  web: {extends: base}\n  api: {image: api}\n",
    );
    let over = write(
        d,
        "override.yaml",
        "services:\n  base: {environment: {FROM: override}}\n  tmpl: {image: nginx, labels: {from: tmpl}}\n  api: {extends: tmpl, environment: {B: '2'}}\n",
    );
    let m = model(&[base, over], d);
    assert_eq!(
        m["services"]["web"],
        json!({"image": "busybox", "environment": {"FROM": "base"}})
    );
    assert_eq!(
        m["services"]["api"],
        json!({"image": "nginx", "labels": {"from": "tmpl"}, "environment": {"B": "2"}})
    );
    // A service of another file is not there to extend.
    let f = write(d, "late.yaml", "services:\n  x: {extends: api}\n");
    let e = load(&[d.join("compose.yaml"), f], d).unwrap_err();
    assert!(matches!(e, LoadError::ExtendsServiceMissing { .. }), "{e}");
}

#[test]
fn path_defaults_of_included_and_extended_files_resolve_there() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(
        d,
        "lib/base.yaml",
        "services:\n  base:\n    image: busybox\n    volumes: ['${DATA:-./data}:/data', '${N:-named}:/n']\n    env_file: ${ENV_FILE:-./base.env}\n",
    );
    write(
        d,
        "inc/compose.yaml",
        "services:\n  inc:\n    image: busybox\n    volumes: ['${DATA:-./data}:/data']\n",
    );
    let f = write(
        d,
        "compose.yaml",
        "include: [inc/compose.yaml]\nservices:\n  web:\n    extends: {file: lib/base.yaml, service: base}\n    volumes: ['${OWN:-./own}:/own']\n",
    );
    let m = model(&[f], d);
    let root = d.to_string_lossy();
    assert_eq!(
        m["services"]["web"],
        json!({"image": "busybox",
               "volumes": [format!("${{DATA:-{root}/lib/data}}:/data"), "${N:-named}:/n",
                           "${OWN:-./own}:/own"],
               "env_file": format!("${{ENV_FILE:-{root}/lib/base.env}}")})
    );
    assert_eq!(
        m["services"]["inc"]["volumes"],
        json!([format!("${{DATA:-{root}/inc/data}}:/data")])
    );
}

#[test]
fn an_included_project_has_its_own_variables() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(d, ".env", "TAG=main\n");
    write(d, "sub/.env", "INNER=sub\nDATA=./from-env\nSHARED=sub\n");
    write(
        d,
        "sub/compose.yaml",
        "include: [nested/compose.yaml]\nservices:\n  inner:\n    image: busybox:${INNER:-unset}\n    volumes: ['${DATA:-./data}:/data']\n    environment: {T: $TAG}\n",
    );
    write(d, "sub/nested/.env", "SHARED=nested\nOWN='lit$'\n");
    write(
        d,
        "sub/nested/compose.yaml",
        "services:\n  nested: {image: 'x:${SHARED}', environment: {OWN: $OWN}}\n",
    );
    write(d, "lib/vars.env", "SVC=from-env-file\n");
    write(d, "lib/.env", "SVC=not-this\n");
    write(
        d,
        "lib/svc.yaml",
        "services:\n  svc: {image: 'busybox:${SVC:-none}'}\n",
    );
    let f = write(
        d,
        "compose.yaml",
        "include:\n  - sub/compose.yaml\n  - {path: lib/svc.yaml, env_file: lib/vars.env}\nservices:\n  web: {image: 'busybox:${TAG}'}\n",
    );
    let m = model(&[f], d);
    let root = d.to_string_lossy();
    let s = &m["services"];
    // The main project's own references are compose's.
    assert_eq!(s["web"]["image"], "busybox:${TAG}");
    assert_eq!(s["inner"]["image"], "busybox:${INNER:-sub}");
    assert_eq!(
        s["inner"]["volumes"],
        json!([format!("${{DATA:-{root}/sub/from-env}}:/data")])
    );
    assert_eq!(s["inner"]["environment"], json!({"T": "$TAG"}));
    // The including project's value wins over the nested one's.
    assert_eq!(s["nested"]["image"], "x:${SHARED-sub}");
    assert_eq!(s["nested"]["environment"], json!({"OWN": "${OWN-lit$$}"}));
    assert_eq!(s["svc"]["image"], "busybox:${SVC:-from-env-file}");

    let g = write(
        d,
        "missing.yaml",
        "include:\n  - {path: lib/svc.yaml, env_file: lib/none.env}\n",
    );
    let e = load(&[g], d).unwrap_err();
    assert!(matches!(e, LoadError::EnvFile { .. }), "{e}");
    assert!(e.to_string().contains("lib/none.env"), "{e}");
}

/// compose-go resolves an included file's paths against the including folder when
/// `project_directory` does not exist (`loader.Dir` falls back to the parent of a missing
/// path); renet resolves them against `project_directory` either way.
#[test]
fn include_project_directory_is_used_even_when_missing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    write(
        d,
        "lib/svc.yaml",
        "services:\n  svc: {image: x, volumes: ['./data:/data']}\n",
    );
    let f = write(
        d,
        "compose.yaml",
        "include:\n  - {path: lib/svc.yaml, project_directory: other}\n",
    );
    let m = model(&[f], d);
    assert_eq!(
        m["services"]["svc"]["volumes"],
        json!([format!("{}/other/data:/data", d.display())])
    );
}

#[test]
fn documents_of_a_file_merge_in_order() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let f = write(
        d,
        "compose.yaml",
        "services:\n  web: {image: a, environment: {A: '1'}}\n---\nservices:\n  web: {environment: {B: '2'}}\n  api: {extends: web}\n",
    );
    let m = model(&[f], d);
    assert_eq!(
        m["services"]["web"],
        json!({"image": "a", "environment": {"A": "1", "B": "2"}})
    );
    // Each document is read as a file of its own: `api` extends the second document's `web`,
    // not the merged one.
    assert_eq!(m["services"]["api"], json!({"environment": {"B": "2"}}));
}

#[test]
fn empty_files_and_services_without_value_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let empty = write(d, "empty.yaml", "# nothing yet\n");
    let e = load(std::slice::from_ref(&empty), d).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}: empty compose file: it defines nothing (Compose v2 refuses it); add a `services:` section",
            empty.display()
        )
    );
    // An empty override of a file that defines something is fine.
    let base = write(d, "compose.yaml", "services: {web: {image: a}}\n");
    assert!(load(&[base, empty], d).is_ok());
    let null = write(d, "null.yaml", "services:\nvolumes:\n  v: {}\n");
    let e = load(std::slice::from_ref(&null), d).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "{}:1: `services` must be a mapping",
            null.display()
        )),
        "{e}"
    );
}

#[test]
fn unknown_keys_are_refused_with_their_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path();
    let f = write(
        d,
        "compose.yaml",
        "services:\n  web:\n    image: busybox\n    imagee: typo\n",
    );
    let e = load(std::slice::from_ref(&f), d).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:4: `imagee` is not a Compose key in `services.web` (Compose v2 refuses it); fix its spelling, or name it `x-imagee` to keep it as an extension",
            f.display()
        )
    );
    // In an extended service of another file, the line is in that file.
    let base = write(
        d,
        "lib/base.yaml",
        "services:\n  base:\n    image: a\n    portss: []\n",
    );
    let g = write(
        d,
        "ext.yaml",
        "services:\n  web: {extends: {file: lib/base.yaml, service: base}}\n",
    );
    let e = load(&[g], d).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "{}:4: `portss` is not a Compose key in `services.base`",
            base.display()
        )),
        "{e}"
    );
    let h = write(d, "names.yaml", "services:\n  'we b': {image: a}\n");
    let e = load(&[h], d).unwrap_err();
    assert!(matches!(e, LoadError::InvalidName { .. }), "{e}");
}

/// Every compose file of the shared corpus loads, or fails with a LoadError (never a panic).
#[test]
fn corpus_files_load() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("corpus not found at {}; skipped", corpus.display());
        return;
    }
    let mut files = Vec::new();
    collect_yaml(&corpus, &mut files);
    files.sort();
    let mut failures = Vec::new();
    for file in &files {
        let dir = file.parent().unwrap_or(&corpus);
        match std::panic::catch_unwind(|| load(std::slice::from_ref(file), dir)) {
            Ok(Ok(project)) => assert!(
                project.model.contains_key("services") || !project.model.is_empty(),
                "{}",
                file.display()
            ),
            Ok(Err(e)) => failures.push(format!("{}: {e}", file.display())),
            Err(_) => panic!("loader panicked on {}", file.display()),
        }
    }
    // Each directory as compose would find it: the default file plus its override.
    let mut dirs: Vec<&Path> = files.iter().filter_map(|f| f.parent()).collect();
    dirs.dedup();
    for dir in dirs {
        match default_files(dir) {
            Ok(Some(found)) => {
                if let Err(e) = load(&found, dir) {
                    failures.push(format!("{} (default files): {e}", dir.display()));
                }
            }
            Ok(None) => {}
            Err(e) => failures.push(format!("{}: {e}", dir.display())),
        }
    }
    eprintln!("corpus: {} files, {} failed", files.len(), failures.len());
    for f in &failures {
        eprintln!("  {f}");
    }
    assert!(
        files.len() >= 100,
        "only {} corpus files found",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "corpus files failed to load:\n{}",
        failures.join("\n")
    );
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_yaml(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}
