//! Keys the Compose Specification does not know, found as Compose v2 finds them.
//!
//! v2 validates every compose file against the specification's JSON schema and refuses a key
//! the schema does not allow (`services.web additional properties 'imagee' not allowed`).
//! renet checks that part itself, before anything runs, against the same schema: compose-go
//! v2.9.1's `schema/compose-spec.json` (the one Compose v2.40 embeds), kept as it is in
//! `compose-spec.json` beside this file. Only keys are checked: values may still need
//! interpolation, which is compose's, and compose checks them when it reads renet's model. A
//! full JSON-schema validator would also need the interpolated values, so it would not add
//! what this check leaves to compose, and it would cost each run far more than this walk.
//!
//! The schema uses `properties`, `patternProperties`, `additionalProperties: false`, `$ref`,
//! `oneOf` and `items`; for a mapping under a `oneOf`, the first alternative that allows all
//! its keys is the one read further.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::node::{Map, Node};

#[derive(Debug, Default, Deserialize)]
struct Schema {
    #[serde(rename = "$ref")]
    reference: Option<String>,
    #[serde(rename = "type")]
    types: Option<Types>,
    #[serde(default)]
    properties: HashMap<String, Schema>,
    #[serde(default, rename = "patternProperties")]
    patterns: HashMap<String, Schema>,
    #[serde(default, rename = "additionalProperties")]
    additional: Option<serde_json::Value>,
    items: Option<Box<Schema>>,
    #[serde(default, rename = "oneOf")]
    one_of: Vec<Schema>,
    #[serde(default)]
    definitions: HashMap<String, Schema>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Types {
    One(String),
    Many(Vec<String>),
}

fn root() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_json::from_str(include_str!("compose-spec.json"))
            .expect("the embedded compose schema is valid JSON")
    })
}

/// A key the schema does not allow.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Unknown {
    /// Where the mapping holding it is: keys, and `[i]` for list items.
    pub(crate) path: Vec<String>,
    pub(crate) key: String,
    /// The mapping takes names (of services, volumes, ...) and this one is not a valid name.
    pub(crate) bad_name: bool,
}

impl Unknown {
    /// `services.web`, `services.web.volumes[0]`.
    pub(crate) fn at(&self) -> String {
        let mut out = String::new();
        for part in &self.path {
            if !part.starts_with('[') && !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
        if out.is_empty() {
            out.push_str("(top level)");
        }
        out
    }
}

/// The first key of a compose file's top level, or anything below it, that v2 refuses.
pub(crate) fn unknown_key(file: &Map) -> Option<Unknown> {
    let root = root();
    check_map(file, root, &mut Vec::new())
}

/// The same for one service, which sits at `services.<name>`.
pub(crate) fn unknown_service_key(name: &str, service: &Node) -> Option<Unknown> {
    let root = root();
    let schema = root.definitions.get("service")?;
    let mut path = vec!["services".to_string(), name.to_string()];
    check_node(service, schema, &mut path)
}

fn resolve(s: &'static Schema) -> &'static Schema {
    let definition = s
        .reference
        .as_deref()
        .and_then(|r| r.strip_prefix("#/definitions/"))
        .and_then(|name| root().definitions.get(name));
    definition.map_or(s, resolve)
}

fn allows(s: &Schema, kind: &str) -> bool {
    match &s.types {
        None => true,
        Some(Types::One(t)) => t == kind,
        Some(Types::Many(ts)) => ts.iter().any(|t| t == kind),
    }
}

/// The schemas `s` offers for a value of JSON type `kind`: itself, or its `oneOf` alternatives.
fn alternatives(s: &'static Schema, kind: &str, out: &mut Vec<&'static Schema>) {
    let s = resolve(s);
    if s.one_of.is_empty() {
        if allows(s, kind) {
            out.push(s);
        }
    } else {
        for alt in &s.one_of {
            alternatives(alt, kind, out);
        }
    }
}

fn check_node(node: &Node, s: &'static Schema, path: &mut Vec<String>) -> Option<Unknown> {
    match node {
        Node::Map(m) => check_map(m, s, path),
        Node::Override(inner) => check_node(inner, s, path),
        Node::Seq(items) => {
            let mut alts = Vec::new();
            alternatives(s, "array", &mut alts);
            let item_schema = alts.iter().find_map(|a| a.items.as_deref())?;
            for (i, item) in items.iter().enumerate() {
                path.push(format!("[{i}]"));
                let found = check_node(item, item_schema, path);
                path.pop();
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        _ => None,
    }
}

fn check_map(m: &Map, s: &'static Schema, path: &mut Vec<String>) -> Option<Unknown> {
    let mut alts = Vec::new();
    alternatives(s, "object", &mut alts);
    let first = *alts.first()?;
    // `!reset` keys are gone before v2 looks.
    let present = || m.iter().filter(|(_, v)| **v != Node::Reset);
    let chosen = alts
        .iter()
        .find(|a| present().all(|(k, _)| allowed(a, k)))
        .copied();
    let Some(schema) = chosen else {
        let (key, _) = present().find(|(k, _)| !allowed(first, k))?;
        return Some(Unknown {
            path: path.clone(),
            key: key.clone(),
            bad_name: first.patterns.keys().any(|p| p != "^x-"),
        });
    };
    for (key, value) in present() {
        path.push(key.clone());
        let found = children(schema, key).find_map(|child| check_node(value, child, path));
        path.pop();
        if found.is_some() {
            return found;
        }
    }
    None
}

fn allowed(s: &Schema, key: &str) -> bool {
    s.properties.contains_key(key)
        || s.patterns.keys().any(|p| pattern_matches(p, key))
        || s.additional != Some(serde_json::Value::Bool(false))
}

/// The schemas for the value at an allowed `key`.
fn children<'a>(s: &'static Schema, key: &'a str) -> impl Iterator<Item = &'static Schema> + 'a {
    let named = s.properties.get(key);
    let patterned = s
        .patterns
        .iter()
        .filter(move |(p, _)| named.is_none() && pattern_matches(p, key))
        .map(|(_, child)| child);
    named.into_iter().chain(patterned)
}

/// The schema's patterns, as the Go regexps they are. An unknown one lets every key pass (the
/// test below keeps this list complete).
fn pattern_matches(pattern: &str, key: &str) -> bool {
    let no_newline = !key.is_empty() && !key.contains('\n');
    match pattern {
        "^x-" => key.starts_with("x-"),
        "^[a-zA-Z0-9._-]+$" => {
            no_newline
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        }
        "^[a-z]+$" => no_newline && key.chars().all(|c| c.is_ascii_lowercase()),
        ".+" => key.split('\n').any(|l| !l.is_empty()),
        "^.+$" => no_newline,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::parse::parse_doc;
    use std::path::Path;

    fn unknown(src: &str) -> Option<(String, String, bool)> {
        let doc = parse_doc(Path::new("c.yml"), src).expect("valid yaml");
        unknown_key(&doc.root).map(|u| (u.at(), u.key, u.bad_name))
    }

    #[test]
    fn every_pattern_of_the_schema_is_known() {
        fn walk(s: &Schema, out: &mut Vec<String>) {
            out.extend(s.patterns.keys().cloned());
            let nested = s.properties.values().chain(s.patterns.values());
            for child in nested
                .chain(s.one_of.iter())
                .chain(s.definitions.values())
                .chain(s.items.as_deref())
            {
                walk(child, out);
            }
        }
        let mut patterns = Vec::new();
        walk(root(), &mut patterns);
        patterns.sort();
        patterns.dedup();
        assert_eq!(
            patterns,
            [".+", "^.+$", "^[a-zA-Z0-9._-]+$", "^[a-z]+$", "^x-"]
        );
    }

    #[test]
    fn unknown_keys_anywhere() {
        assert_eq!(
            unknown("services:\n  web:\n    image: a\n    x-ok: 1\n"),
            None
        );
        assert_eq!(
            unknown("services:\n  web:\n    image: a\n    imagee: b\n"),
            Some(("services.web".into(), "imagee".into(), false))
        );
        assert_eq!(
            unknown("servics: {}\n"),
            Some(("(top level)".into(), "servics".into(), false))
        );
        assert_eq!(
            unknown("services:\n  web:\n    build: {context: ., dockerfil: x}\n"),
            Some(("services.web.build".into(), "dockerfil".into(), false))
        );
        assert_eq!(
            unknown(
                "services:\n  web:\n    volumes:\n      - ./a:/a\n      - {type: bind, source: ., target: /b, mode: ro}\n"
            ),
            Some(("services.web.volumes[1]".into(), "mode".into(), false))
        );
        assert_eq!(
            unknown("services:\n  we b:\n    image: a\n"),
            Some(("services".into(), "we b".into(), true))
        );
    }

    #[test]
    fn values_and_reset_keys_are_not_checked() {
        assert_eq!(
            unknown(
                "services:\n  web:\n    image: a\n    build: .\n    environment: {ANY: 1}\n    labels: [a=b]\n    imagee: !reset\nvolumes:\n  v:\nx-any: {whatever: 1}\n"
            ),
            None
        );
        let doc = parse_doc(Path::new("c.yml"), "image: a\nnope: 1\n").expect("yaml");
        let service = Node::Map(doc.root);
        assert_eq!(
            unknown_service_key("base", &service).map(|u| (u.at(), u.key)),
            Some(("services.base".into(), "nope".into()))
        );
    }
}
