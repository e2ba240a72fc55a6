//! Merging one compose tree onto another, as the Compose Specification's merge rules say
//! (`13-merge.md`), with compose-go's refinements for the attributes the spec leaves open.
//!
//! * Mappings merge key by key, later wins; sequences append; scalars are replaced.
//! * `command`, `entrypoint` and `healthcheck.test` are replaced, not appended; a `null` there
//!   removes them (compose-go's `override` rule takes the later value, whatever it is).
//! * `ports`, `volumes`, `secrets`, `configs` (of a service) are unique by their key
//!   ({ip, published, target, protocol}, target, target, target): an entry with a key that is
//!   already there replaces that entry in place, a new key is appended.
//! * `environment`, `labels`, `annotations`, `sysctls`, `build.args`, `build.labels`,
//!   `build.additional_contexts`, `deploy.labels` and resource `labels` may be a `KEY=VAL` list or
//!   a mapping: when both sides exist both become mappings (`KEY` alone is `KEY: null`) and
//!   merge by key.
//! * `extra_hosts`, as compose-go merges them: both sides as lists (a mapping's entries become
//!   `host=ip`, one per address, sorted), the later entries appended unless the same text is
//!   already there.
//! * `networks` and `depends_on` lists become mappings (`[db]` is `{db: null}` for networks and
//!   `{db: {condition: service_started}}` for depends_on) and merge recursively.
//! * `ulimits` entries are replaced whole; `logging` merges only when both sides name the same
//!   driver (or one names none), otherwise the later one replaces it.
//! * `build: path` merged with a `build:` mapping is read as `{context: path}`.
//! * `dns`, `dns_search`, `dns_opt`, `tmpfs`, `env_file`, `label_file`, `expose`, `cap_add`,
//!   `cap_drop`, `devices`, `security_opt`, `external_links`, `links`, `profiles`,
//!   `volumes_from`, `group_add`, `build.tags`, `build.platforms` and network `aliases` append
//!   without duplicates (`env_file` entries are the same when their path is).
//! * `!reset` removes the value, `!override X` replaces it with X; a `null` override leaves the
//!   base value alone (as compose-go does), except inside `KEY: VAL` mappings where it means
//!   "no value".
//!
//! Deviations: compose-go turns `environment` & co. into `KEY=VAL` lists when merging and sorts
//! them; here they become mappings in the order the keys were first seen. A value whose type
//! differs between the two sides (say a list onto a mapping) is replaced rather than rejected.
//! Uniqueness is enforced only when two files are merged, not within one file.

use super::node::{Map, Node};
use super::paths::split_outside;

/// Merges `over` onto `base`; `path` is the position in the model (`["services", "web"]`).
pub(crate) fn merge(base: Node, over: Node, path: &mut Vec<String>) -> Node {
    match (base, over) {
        (_, Node::Reset) => Node::Reset,
        (_, Node::Override(x)) => Node::Override(x),
        (Node::Reset, over) => over,
        // A later file merges into what the `!override` put in place; the marker stays so that
        // an `extends` applied afterwards still replaces instead of merging.
        (Node::Override(b), over) => Node::Override(Box::new(merge(*b, over, path))),
        (_, Node::Null) if rule_for(path) == Rule::Replace => Node::Reset,
        (base, Node::Null) => base,
        (Node::Null, over) => over,
        (base, over) => merge_by_rule(rule_for(path), base, over, path),
    }
}

pub(crate) fn merge_maps(mut base: Map, over: Map, path: &mut Vec<String>) -> Map {
    for (key, value) in over.0 {
        match base.get_mut(&key) {
            Some(slot) => {
                path.push(key);
                let old = std::mem::replace(slot, Node::Null);
                *slot = merge(old, value, path);
                path.pop();
            }
            None => {
                base.0.insert(key, value);
            }
        }
    }
    base
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Rule {
    Default,
    Replace,
    KeyValue,
    Hosts,
    Ulimits,
    Networks,
    DependsOn,
    Ports,
    Volumes,
    Mounts(&'static str),
    EnvFile,
    AppendUnique,
    Logging,
    Build,
}

fn rule_for(path: &[String]) -> Rule {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match p.as_slice() {
        ["services", _, "command" | "entrypoint"] | ["services", _, "healthcheck", "test"] => {
            Rule::Replace
        }
        [
            "services",
            _,
            "environment" | "labels" | "annotations" | "sysctls",
        ]
        | [
            "services",
            _,
            "build",
            "args" | "labels" | "additional_contexts",
        ]
        | ["services", _, "deploy", "labels"]
        | ["networks" | "volumes" | "secrets" | "configs", _, "labels"] => Rule::KeyValue,
        ["services", _, "extra_hosts"] | ["services", _, "build", "extra_hosts"] => Rule::Hosts,
        ["services", _, "ulimits"] => Rule::Ulimits,
        ["services", _, "networks"] => Rule::Networks,
        ["services", _, "depends_on"] => Rule::DependsOn,
        ["services", _, "ports"] => Rule::Ports,
        ["services", _, "volumes"] => Rule::Volumes,
        ["services", _, "secrets"] => Rule::Mounts("/run/secrets/"),
        ["services", _, "configs"] => Rule::Mounts("/"),
        ["services", _, "env_file" | "label_file"] => Rule::EnvFile,
        [
            "services",
            _,
            "dns" | "dns_search" | "dns_opt" | "tmpfs" | "expose" | "cap_add" | "cap_drop"
            | "devices" | "security_opt" | "external_links" | "links" | "profiles" | "volumes_from"
            | "group_add",
        ]
        | ["services", _, "build", "tags" | "platforms"]
        | ["services", _, "networks", _, "aliases" | "link_local_ips"] => Rule::AppendUnique,
        ["services", _, "logging"] => Rule::Logging,
        ["services", _, "build"] => Rule::Build,
        _ => Rule::Default,
    }
}

fn merge_by_rule(rule: Rule, base: Node, over: Node, path: &mut Vec<String>) -> Node {
    match rule {
        Rule::Replace => over,
        Rule::KeyValue => match (kv_map(&base), kv_map(&over)) {
            (Some(b), Some(o)) => Node::Map(replace_entries(b, o)),
            _ => over,
        },
        Rule::Hosts => match (hosts_list(base), hosts_list(over)) {
            (Ok(mut b), Ok(o)) => {
                for entry in o {
                    if !b.contains(&entry) {
                        b.push(entry);
                    }
                }
                Node::Seq(b)
            }
            (_, o) => o.map_or_else(|n| n, Node::Seq),
        },
        Rule::Ulimits => match (base, over) {
            (Node::Map(b), Node::Map(o)) => Node::Map(replace_entries(b, o)),
            (_, over) => over,
        },
        Rule::Networks => match (list_to_map(base, Node::Null), list_to_map(over, Node::Null)) {
            (Ok(b), Ok(o)) => Node::Map(merge_maps(b, o, path)),
            (_, o) => o.map_or_else(|n| n, Node::Map),
        },
        Rule::DependsOn => {
            let started = Node::Map(Map::from_iter([(
                "condition".into(),
                Node::str("service_started"),
            )]));
            match (
                list_to_map(base, started.clone()),
                list_to_map(over, started),
            ) {
                (Ok(b), Ok(o)) => Node::Map(merge_maps(b, o, path)),
                (_, o) => o.map_or_else(|n| n, Node::Map),
            }
        }
        Rule::Ports => merge_unique(base, over, port_key),
        Rule::Volumes => merge_unique(base, over, volume_key),
        Rule::Mounts(prefix) => merge_unique(base, over, |n| mount_key(n, prefix)),
        Rule::EnvFile => merge_unique(base, over, env_file_key),
        Rule::AppendUnique => merge_unique(base, over, exact_key),
        Rule::Logging => match (base, over) {
            (Node::Map(b), Node::Map(o)) => {
                let same_driver = match (b.get("driver"), o.get("driver")) {
                    (Some(x), Some(y)) => x == y,
                    _ => true,
                };
                if same_driver {
                    Node::Map(merge_maps(b, o, path))
                } else {
                    Node::Map(o)
                }
            }
            (_, over) => over,
        },
        Rule::Build => match (base, over) {
            (Node::String(_), over @ Node::String(_)) => over,
            (base, over) => match (build_map(base), build_map(over)) {
                (Ok(b), Ok(o)) => Node::Map(merge_maps(b, o, path)),
                (_, o) => o.map_or_else(|n| n, Node::Map),
            },
        },
        Rule::Default => match (base, over) {
            (Node::Map(b), Node::Map(o)) => Node::Map(merge_maps(b, o, path)),
            (Node::Seq(mut b), Node::Seq(o)) => {
                b.extend(o);
                Node::Seq(b)
            }
            (_, over) => over,
        },
    }
}

/// Later entries replace earlier ones with the same key, in the earlier one's position.
fn replace_entries(mut base: Map, over: Map) -> Map {
    for (k, v) in over.0 {
        base.insert(k, v);
    }
    base
}

/// `KEY=VAL` list or mapping, as a mapping.
fn kv_map(node: &Node) -> Option<Map> {
    match node {
        Node::Map(m) => Some(m.clone()),
        Node::Seq(items) => Some(
            items
                .iter()
                .filter_map(|item| {
                    let text = item.scalar_text()?;
                    Some(match text.split_once('=') {
                        Some((k, v)) => (k.to_string(), Node::str(v)),
                        None => (text, Node::Null),
                    })
                })
                .collect(),
        ),
        _ => None,
    }
}

/// compose-go's `convertIntoSequence`: a list as it is, a string as a list of it, a mapping as
/// sorted `host=ip` entries (a list of addresses gives one entry each, no address the host
/// alone).
fn hosts_list(node: Node) -> Result<Vec<Node>, Node> {
    match node {
        Node::Seq(items) => Ok(items),
        s @ Node::String(_) => Ok(vec![s]),
        Node::Map(map) => {
            let mut entries = Vec::new();
            for (host, ip) in map.0 {
                match ip {
                    Node::Null => entries.push(host),
                    Node::Seq(ips) => entries.extend(
                        ips.iter()
                            .map(|ip| format!("{host}={}", ip.scalar_text().unwrap_or_default())),
                    ),
                    ip => entries.push(format!("{host}={}", ip.scalar_text().unwrap_or_default())),
                }
            }
            entries.sort();
            Ok(entries.into_iter().map(Node::String).collect())
        }
        other => Err(other),
    }
}

/// A list of names (or a mapping) as a mapping, each listed name getting `value`.
fn list_to_map(node: Node, value: Node) -> Result<Map, Node> {
    match node {
        Node::Map(m) => Ok(m),
        Node::Seq(items) => {
            if items.iter().all(|i| i.as_str().is_some()) {
                Ok(items
                    .into_iter()
                    .filter_map(|i| match i {
                        Node::String(s) => Some((s, value.clone())),
                        _ => None,
                    })
                    .collect())
            } else {
                Err(Node::Seq(items))
            }
        }
        other => Err(other),
    }
}

fn build_map(node: Node) -> Result<Map, Node> {
    match node {
        Node::Map(m) => Ok(m),
        Node::String(context) => Ok(Map::from_iter([("context".into(), Node::String(context))])),
        other => Err(other),
    }
}

fn merge_unique(base: Node, over: Node, key: impl Fn(&Node) -> String) -> Node {
    let as_list = |n: Node| match n {
        Node::Seq(items) => Ok(items),
        s @ Node::String(_) => Ok(vec![s]),
        other => Err(other),
    };
    let (mut items, extra) = match (as_list(base), as_list(over)) {
        (Ok(b), Ok(o)) => (b, o),
        (_, o) => return o.map_or_else(|n| n, Node::Seq),
    };
    for item in extra {
        let k = key(&item);
        match items.iter().position(|existing| key(existing) == k) {
            Some(pos) => items[pos] = item,
            None => items.push(item),
        }
    }
    Node::Seq(items)
}

fn exact_key(node: &Node) -> String {
    node.scalar_text().unwrap_or_else(|| format!("{node:?}"))
}

fn field_text(map: &Map, field: &str) -> String {
    map.get(field)
        .and_then(Node::scalar_text)
        .unwrap_or_default()
}

/// `{host_ip, published, target, protocol}` of a port in any syntax.
fn port_key(node: &Node) -> String {
    let (ip, published, target, protocol) = match node {
        Node::Number(n) => (String::new(), String::new(), n.to_string(), "tcp".into()),
        Node::String(s) => {
            let (spec, protocol) = s.rsplit_once('/').unwrap_or((s, "tcp"));
            let parts = split_outside(spec, ':');
            let n = parts.len();
            let part = |i: usize| parts.get(i).map(|p| (*p).to_string()).unwrap_or_default();
            match n {
                0 | 1 => (String::new(), String::new(), part(0), protocol.into()),
                2 => (String::new(), part(0), part(1), protocol.into()),
                _ => (
                    parts[..n - 2].join(":"),
                    part(n - 2),
                    part(n - 1),
                    protocol.into(),
                ),
            }
        }
        Node::Map(m) => {
            let protocol = field_text(m, "protocol");
            (
                field_text(m, "host_ip"),
                field_text(m, "published"),
                field_text(m, "target"),
                if protocol.is_empty() {
                    "tcp".into()
                } else {
                    protocol
                },
            )
        }
        other => return format!("{other:?}"),
    };
    format!("{ip}|{published}|{target}|{protocol}")
}

fn volume_key(node: &Node) -> String {
    match node {
        Node::String(s) => {
            let parts = split_outside(s, ':');
            parts
                .get(1)
                .or(parts.first())
                .map_or_else(String::new, |p| (*p).to_string())
        }
        Node::Map(m) => field_text(m, "target"),
        other => format!("{other:?}"),
    }
}

fn mount_key(node: &Node, prefix: &str) -> String {
    match node {
        Node::String(s) => format!("{prefix}{s}"),
        Node::Map(m) => match m.get("target").and_then(Node::scalar_text) {
            Some(t) => t,
            None => format!("{prefix}{}", field_text(m, "source")),
        },
        other => format!("{other:?}"),
    }
}

fn env_file_key(node: &Node) -> String {
    match node {
        Node::Map(m) => field_text(m, "path"),
        other => exact_key(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::parse::parse_doc;
    use serde_json::{Value, json};
    use std::path::Path;

    fn node(src: &str) -> Node {
        let doc = parse_doc(Path::new("t.yml"), src).expect("valid yaml");
        Node::Map(doc.root)
    }

    fn merged(base: &str, over: &str) -> Value {
        merge(node(base), node(over), &mut Vec::new()).into_json()
    }

    fn web(base: &str, over: &str) -> Value {
        let wrap = |s: &str| {
            let body: String = s.lines().map(|l| format!("    {l}\n")).collect();
            format!("services:\n  web:\n{body}")
        };
        merged(&wrap(base), &wrap(over))["services"]["web"].clone()
    }

    #[test]
    fn mappings_merge_and_sequences_append() {
        assert_eq!(
            web(
                "image: a\ndns: [1.1.1.1]\nx-y: [1]",
                "image: b\ndns: [8.8.8.8]\nx-y: [2]"
            ),
            json!({"image": "b", "dns": ["1.1.1.1", "8.8.8.8"], "x-y": [1, 2]})
        );
    }

    #[test]
    fn commands_are_replaced() {
        assert_eq!(
            web(
                "command: [echo, a]\nentrypoint: sh\nhealthcheck: {test: [CMD, a], retries: 3}",
                "command: [echo, b]\nentrypoint: [bash]\nhealthcheck: {test: [CMD, b]}"
            ),
            json!({"command": ["echo", "b"], "entrypoint": ["bash"],
                   "healthcheck": {"test": ["CMD", "b"], "retries": 3}})
        );
    }

    #[test]
    fn environment_list_and_map_merge_by_key() {
        assert_eq!(
            web(
                "environment: [A=1, B=2, C, 'D=x=y']",
                "environment: {B: 3, C: set, E: null}"
            ),
            json!({"environment": {"A": "1", "B": 3, "C": "set", "D": "x=y", "E": null}})
        );
        assert_eq!(
            web("environment: {A: 1}", "environment: [A=2, B]"),
            json!({"environment": {"A": "2", "B": null}})
        );
    }

    #[test]
    fn environment_keeps_its_form_without_merge() {
        assert_eq!(
            web("environment: [A=1]", "image: x"),
            json!({"environment": ["A=1"], "image": "x"})
        );
    }

    #[test]
    fn labels_annotations_sysctls_build_args() {
        assert_eq!(
            web(
                "labels: [a=1]\nannotations: {x: 1}\nsysctls: [net.a=1]\nbuild: {context: ., args: [V=1]}",
                "labels: {b: 2}\nannotations: [x=2]\nsysctls: {net.a: 2}\nbuild: {args: {W: 2}}"
            ),
            json!({"labels": {"a": "1", "b": 2}, "annotations": {"x": "2"},
                   "sysctls": {"net.a": 2}, "build": {"context": ".", "args": {"V": "1", "W": 2}}})
        );
    }

    #[test]
    fn extra_hosts_append_without_exact_duplicates() {
        assert_eq!(
            web(
                "extra_hosts: ['db:10.0.0.1', 'v6=::1', 'cache:1.1.1.1']",
                "extra_hosts: {new: 1.2.3.4, db: 10.0.0.2, two: [1.1.1.1, 2.2.2.2], v6: '::1'}"
            ),
            json!({"extra_hosts": ["db:10.0.0.1", "v6=::1", "cache:1.1.1.1", "db=10.0.0.2",
                                   "new=1.2.3.4", "two=1.1.1.1", "two=2.2.2.2"]})
        );
        assert_eq!(
            web(
                "extra_hosts: {a: 1.1.1.1}",
                "extra_hosts: ['a=1.1.1.1', 'a:1.1.1.1']"
            ),
            json!({"extra_hosts": ["a=1.1.1.1", "a:1.1.1.1"]})
        );
    }

    #[test]
    fn a_null_command_removes_it() {
        assert_eq!(
            web(
                "command: [a]\nentrypoint: sh\nhealthcheck: {test: [CMD, a], retries: 3}\nimage: x",
                "command: null\nentrypoint: ~\nhealthcheck: {test: null}\nimage: null"
            ),
            json!({"healthcheck": {"retries": 3}, "image": "x"})
        );
    }

    #[test]
    fn ulimits_entries_are_replaced_whole() {
        assert_eq!(
            web(
                "ulimits: {nproc: 10, nofile: {soft: 1, hard: 2}}",
                "ulimits: {nofile: {soft: 5}}"
            ),
            json!({"ulimits": {"nproc": 10, "nofile": {"soft": 5}}})
        );
    }

    #[test]
    fn networks_and_depends_on_lists_become_maps() {
        assert_eq!(
            web(
                "networks: [front]\ndepends_on: [db]",
                "networks: {back: {aliases: [b]}}\ndepends_on: {cache: {condition: service_healthy}}"
            ),
            json!({
                "networks": {"front": null, "back": {"aliases": ["b"]}},
                "depends_on": {"db": {"condition": "service_started"},
                               "cache": {"condition": "service_healthy"}}
            })
        );
        assert_eq!(
            web("networks: {front: {aliases: [a]}}", "networks: [front]"),
            json!({"networks": {"front": {"aliases": ["a"]}}})
        );
        assert_eq!(
            web(
                "depends_on: {db: {condition: service_healthy}}",
                "depends_on: [db]"
            ),
            json!({"depends_on": {"db": {"condition": "service_started"}}})
        );
    }

    #[test]
    fn ports_are_unique() {
        assert_eq!(
            web(
                "ports: ['8080:80', '443:443', 53/udp, {target: 9000, published: '9000'}]",
                "ports: ['8080:80', '127.0.0.1:443:443', '53:53/udp', 53/udp, '9000:9000']"
            ),
            json!({"ports": ["8080:80", "443:443", "53/udp", "9000:9000",
                             "127.0.0.1:443:443", "53:53/udp"]})
        );
    }

    #[test]
    fn volumes_secrets_configs_unique_by_target() {
        assert_eq!(
            web(
                "volumes: ['foo:/work', './a:/a:ro', {type: bind, source: ./x, target: /x}]\nsecrets: [s1, {source: s2, target: /t}]\nconfigs: [c1]",
                "volumes: ['bar:/work', {type: volume, source: v, target: /x}, /anon]\nsecrets: [{source: s1, mode: '0440'}, {source: s3, target: /t}]\nconfigs: [{source: c1, target: /c1, uid: '1'}]"
            ),
            json!({
                "volumes": ["bar:/work", "./a:/a:ro", {"type": "volume", "source": "v", "target": "/x"}, "/anon"],
                "secrets": [{"source": "s1", "mode": "0440"}, {"source": "s3", "target": "/t"}],
                "configs": [{"source": "c1", "target": "/c1", "uid": "1"}]
            })
        );
    }

    #[test]
    fn append_unique_lists() {
        assert_eq!(
            web(
                "dns: 8.8.8.8\ncap_add: [NET_ADMIN]\nprofiles: [dev]\nexpose: [3000]\ntmpfs: /tmp\nenv_file: [a.env, {path: b.env}]",
                "dns: [8.8.8.8, 1.1.1.1]\ncap_add: [NET_ADMIN, SYS_TIME]\nprofiles: [dev, test]\nexpose: ['3000', 4000]\ntmpfs: [/tmp, /run]\nenv_file: [{path: b.env, required: false}, a.env, c.env]"
            ),
            json!({
                "dns": ["8.8.8.8", "1.1.1.1"], "cap_add": ["NET_ADMIN", "SYS_TIME"],
                "profiles": ["dev", "test"], "expose": ["3000", 4000], "tmpfs": ["/tmp", "/run"],
                "env_file": ["a.env", {"path": "b.env", "required": false}, "c.env"]
            })
        );
    }

    #[test]
    fn logging_merges_only_with_the_same_driver() {
        assert_eq!(
            web(
                "logging: {driver: json-file, options: {max-size: 1m}}",
                "logging: {options: {max-file: '3'}}"
            ),
            json!({"logging": {"driver": "json-file", "options": {"max-size": "1m", "max-file": "3"}}})
        );
        assert_eq!(
            web(
                "logging: {driver: json-file, options: {max-size: 1m}}",
                "logging: {driver: syslog}"
            ),
            json!({"logging": {"driver": "syslog"}})
        );
    }

    #[test]
    fn build_string_and_mapping_merge() {
        assert_eq!(
            web("build: ./app", "build: {dockerfile: Dev}"),
            json!({"build": {"context": "./app", "dockerfile": "Dev"}})
        );
        assert_eq!(web("build: ./a", "build: ./b"), json!({"build": "./b"}));
    }

    #[test]
    fn reset_and_override() {
        assert_eq!(
            web(
                "image: a\nports: ['80:80']\nenvironment: {FOO: bar, KEEP: 1}\nvolumes: [a:/a]",
                "ports: !reset []\nenvironment: {FOO: !reset null}\nvolumes: !override [b:/b]"
            ),
            json!({"image": "a", "environment": {"KEEP": 1}, "volumes": ["b:/b"]})
        );
    }

    #[test]
    fn reset_then_later_file_sets_again() {
        let a = node("services: {web: {ports: ['1:1']}}");
        let b = node("services: {web: {ports: !reset []}}");
        let c = node("services: {web: {ports: ['2:2']}}");
        let mut path = Vec::new();
        let ab = merge(a, b, &mut path);
        let abc = merge(ab, c, &mut path);
        assert_eq!(
            abc.into_json(),
            json!({"services": {"web": {"ports": ["2:2"]}}})
        );
    }

    #[test]
    fn null_override_keeps_base() {
        assert_eq!(
            merged(
                "volumes: {db: {driver: local}}",
                "volumes: {db: null, other: null}"
            ),
            json!({"volumes": {"db": {"driver": "local"}, "other": null}})
        );
    }

    #[test]
    fn top_level_resources_merge_recursively() {
        assert_eq!(
            merged(
                "networks: {n: {labels: [a=1], driver: bridge}}\nname: one",
                "networks: {n: {labels: {b: 2}}}\nname: two"
            ),
            json!({"networks": {"n": {"labels": {"a": "1", "b": 2}, "driver": "bridge"}}, "name": "two"})
        );
    }
}
