//! YAML text to [`Node`]: merge keys, tags and mapping keys.
//!
//! `yaml_serde::Value::apply_merge` is not used because it reorders keys (merged keys go to the
//! end and removal swaps the last key into place); here the merged keys take the place of the
//! `<<` entry, and explicit keys keep their order and win over merged ones.

use std::path::{Path, PathBuf};

use yaml_serde::Value;

use super::error::{LoadError, Loc, find_line};
use super::node::{Map, Node};

/// One parsed compose file.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub(crate) path: PathBuf,
    /// Kept to point errors found after parsing at a line.
    pub(crate) source: String,
    pub(crate) root: Map,
}

/// Reads and parses a compose file, checking the shape every compose file must have.
pub(crate) fn read_doc(path: &Path) -> Result<Doc, LoadError> {
    let source = match fs_err::read_to_string(path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LoadError::NotFound {
                path: path.to_path_buf(),
            });
        }
        Err(e) => {
            return Err(LoadError::Unreadable {
                path: path.to_path_buf(),
                source: std::io::Error::new(e.kind(), strip_path_prefix(&e)),
            });
        }
    };
    parse_doc(path, &source)
}

/// fs-err already names the path; the error message names it once more, so keep the cause only.
fn strip_path_prefix(e: &std::io::Error) -> String {
    e.get_ref()
        .and_then(|inner| inner.source())
        .map_or_else(|| e.to_string(), ToString::to_string)
}

pub(crate) fn parse_doc(path: &Path, source: &str) -> Result<Doc, LoadError> {
    let value: Value = yaml_serde::from_str(source).map_err(|e| {
        let location = e.location();
        LoadError::Yaml {
            loc: Loc {
                path: path.to_path_buf(),
                line: location.as_ref().and_then(|l| u32::try_from(l.line()).ok()),
                column: location
                    .as_ref()
                    .and_then(|l| u32::try_from(l.column()).ok()),
            },
            message: e.to_string(),
        }
    })?;
    let conv = Converter { path, source };
    let root = match conv.node(value, "")? {
        // An empty file (or one with only comments) is an empty model, as in compose.
        Node::Null => Map::new(),
        Node::Map(map) => map,
        other => {
            return Err(LoadError::TopLevelNotMapping {
                loc: Loc::line(path, find_line(source, |l| !is_blank_or_comment(l))),
                found: other.kind(),
            });
        }
    };
    let mut doc = Doc {
        path: path.to_path_buf(),
        source: source.to_string(),
        root,
    };
    check_services(&mut doc, source)?;
    Ok(doc)
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#') || t.starts_with("---")
}

fn check_services(doc: &mut Doc, source: &str) -> Result<(), LoadError> {
    let Some(services) = doc.root.get_mut("services") else {
        return Ok(());
    };
    let map = match services {
        // `services:` with every service commented out.
        Node::Null => {
            *services = Node::Map(Map::new());
            return Ok(());
        }
        Node::Map(map) => map,
        Node::Override(inner) if matches!(**inner, Node::Map(_)) => match &**inner {
            Node::Map(map) => map,
            _ => return Ok(()),
        },
        Node::Reset => return Ok(()),
        other => {
            return Err(LoadError::ServicesNotMapping {
                loc: Loc::line(&doc.path, find_line(source, |l| l.starts_with("services:"))),
                found: other.kind(),
            });
        }
    };
    for (name, service) in map.iter() {
        let ok = match service {
            Node::Map(_) | Node::Reset => true,
            Node::Override(inner) => matches!(**inner, Node::Map(_)),
            _ => false,
        };
        if !ok {
            return Err(LoadError::ServiceNotMapping {
                loc: Loc::line(&doc.path, find_key_line(source, name)),
                service: name.clone(),
                found: service.kind(),
            });
        }
    }
    Ok(())
}

/// Line of an indented `name:` key, in any quoting.
pub(crate) fn find_key_line(source: &str, name: &str) -> Option<u32> {
    find_line(source, |l| {
        let t = l.trim_start();
        t.len() < l.len()
            && [
                format!("{name}:"),
                format!("\"{name}\":"),
                format!("'{name}':"),
            ]
            .iter()
            .any(|p| t.starts_with(p.as_str()))
    })
}

struct Converter<'a> {
    path: &'a Path,
    source: &'a str,
}

impl Converter<'_> {
    fn node(&self, value: Value, at: &str) -> Result<Node, LoadError> {
        Ok(match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(b),
            Value::Number(n) => number(&n),
            Value::String(s) => Node::String(s),
            Value::Sequence(items) => Node::Seq(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| self.node(v, &format!("{at}[{i}]")))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Mapping(mapping) => Node::Map(self.mapping(mapping, at)?),
            Value::Tagged(tagged) => {
                if tagged.tag == "reset" {
                    Node::Reset
                } else if tagged.tag == "override" {
                    Node::Override(Box::new(self.node(tagged.value, at)?))
                } else {
                    let tag = tagged.tag.to_string();
                    return Err(LoadError::UnknownTag {
                        loc: Loc::line(self.path, find_tag_line(self.source, &tag)),
                        tag,
                    });
                }
            }
        })
    }

    fn mapping(&self, mapping: yaml_serde::Mapping, at: &str) -> Result<Map, LoadError> {
        let mut explicit = Map::new();
        let mut merge_at = None;
        let mut sources = Vec::new();
        for (key, value) in mapping {
            if key.as_str() == Some("<<") {
                merge_at = Some(explicit.0.len());
                sources = self.merge_sources(value, at)?;
                continue;
            }
            let key = self.key(key, at)?;
            let child = join(at, &key);
            let value = self.node(value, &child)?;
            explicit.insert(key, value);
        }
        let Some(pos) = merge_at else {
            return Ok(explicit);
        };
        // The first source that defines a key wins, and explicit keys win over all sources.
        let mut merged = Map::new();
        for source in sources {
            for (k, v) in source.0 {
                if !explicit.contains(&k) && !merged.contains(&k) {
                    merged.0.push((k, v));
                }
            }
        }
        let tail = explicit.0.split_off(pos);
        explicit.0.extend(merged.0);
        explicit.0.extend(tail);
        Ok(explicit)
    }

    fn merge_sources(&self, value: Value, at: &str) -> Result<Vec<Map>, LoadError> {
        let invalid = |found: &'static str| LoadError::InvalidMergeKey {
            loc: Loc::line(
                self.path,
                find_line(self.source, |l| l.trim_start().starts_with("<<")),
            ),
            at: if at.is_empty() {
                "(top level)".into()
            } else {
                at.into()
            },
            found,
        };
        match value {
            Value::Mapping(m) => Ok(vec![self.mapping(m, at)?]),
            Value::Sequence(items) => items
                .into_iter()
                .map(|item| match item {
                    Value::Mapping(m) => self.mapping(m, at),
                    other => Err(invalid(value_kind(&other))),
                })
                .collect(),
            other => Err(invalid(value_kind(&other))),
        }
    }

    /// Compose keys are strings; YAML allows `8080:` or `true:`, which compose reads as text.
    fn key(&self, key: Value, at: &str) -> Result<String, LoadError> {
        match key {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Null => Ok("null".into()),
            Value::Tagged(t) => self.key(t.value, at),
            other => Err(LoadError::InvalidKey {
                loc: Loc::file(self.path),
                at: if at.is_empty() {
                    "(top level)".into()
                } else {
                    at.into()
                },
                found: value_kind(&other),
            }),
        }
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

fn number(n: &yaml_serde::Number) -> Node {
    if let Some(u) = n.as_u64() {
        Node::Number(u.into())
    } else if let Some(i) = n.as_i64() {
        Node::Number(i.into())
    } else {
        // JSON has no NaN or infinity: keep YAML's spelling (`.nan`, `.inf`) as text.
        n.as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Node::String(n.to_string()), Node::Number)
    }
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Line where `tag` is written as a whole word (`!reset` must not match `!resetx`).
fn find_tag_line(source: &str, tag: &str) -> Option<u32> {
    find_line(source, |l| {
        l.match_indices(tag).any(|(i, _)| {
            l[i + tag.len()..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '-'))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(src: &str) -> Result<serde_json::Value, LoadError> {
        parse_doc(Path::new("/p/compose.yaml"), src)
            .map(|d| serde_json::Value::Object(d.root.into_json()))
    }

    fn keys(v: &serde_json::Value) -> Vec<&str> {
        v.as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    #[test]
    fn merge_key_single_map_keeps_order_and_explicit_wins() {
        let v = parse(
            "x-common: &c\n  image: base\n  restart: always\nservices:\n  web:\n    labels: {a: b}\n    <<: *c\n    image: mine\n",
        )
        .unwrap();
        let web = &v["services"]["web"];
        assert_eq!(keys(web), ["labels", "restart", "image"]);
        assert_eq!(web["image"], "mine");
        assert_eq!(web["restart"], "always");
    }

    #[test]
    fn merge_key_list_first_source_wins() {
        let v =
            parse("a: &a {k: 1, x: 1}\nb: &b {k: 2, y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n").unwrap();
        assert_eq!(v["c"], json!({"k": 1, "x": 1, "y": 2, "z": 3}));
        assert_eq!(keys(&v["c"]), ["k", "x", "y", "z"]);
    }

    #[test]
    fn nested_merge_keys_are_applied_inside_sources() {
        let v = parse("a: &a {p: 1}\nb: &b {<<: *a, q: 2}\nc: {<<: *b}\n").unwrap();
        assert_eq!(v["c"], json!({"p": 1, "q": 2}));
    }

    #[test]
    fn merge_key_scalar_is_an_error() {
        let e = parse("a:\n  <<: 5\n").unwrap_err();
        assert!(matches!(e, LoadError::InvalidMergeKey { .. }), "{e}");
        assert!(e.to_string().contains("compose.yaml:2"), "{e}");
    }

    #[test]
    fn scalars_keep_their_yaml_types() {
        let v = parse(
            "restart: \"no\"\nmode: 0440\nport: 22:22\nn: 5\nf: 1.5\nb: true\nz: ~\nflag: no\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"restart": "no", "mode": "0440", "port": "22:22", "n": 5, "f": 1.5,
                   "b": true, "z": null, "flag": "no"})
        );
    }

    #[test]
    fn non_string_keys_become_strings() {
        let v = parse("8080: x\ntrue: y\n1.5: z\n").unwrap();
        assert_eq!(keys(&v), ["8080", "true", "1.5"]);
    }

    #[test]
    fn complex_key_is_an_error() {
        let e = parse("a:\n  ? [1, 2]\n  : x\n").unwrap_err();
        assert!(matches!(e, LoadError::InvalidKey { .. }), "{e}");
    }

    #[test]
    fn tags_become_markers_and_unknown_tags_fail_with_line() {
        let d = parse_doc(
            Path::new("c.yml"),
            "a: !reset\nb: !override [1]\nc: !!str 5\n",
        )
        .unwrap();
        assert_eq!(d.root.get("a"), Some(&Node::Reset));
        assert!(matches!(d.root.get("b"), Some(Node::Override(_))));
        assert_eq!(d.root.get("c"), Some(&Node::str("5")));

        let e = parse("services:\n  web:\n    image: !custom x\n").unwrap_err();
        assert!(matches!(e, LoadError::UnknownTag { .. }));
        assert_eq!(
            e.to_string().split(": unknown").next(),
            Some("/p/compose.yaml:3")
        );
        assert!(e.to_string().contains("`!custom`"), "{e}");
    }

    #[test]
    fn yaml_error_names_file_line_and_column() {
        let e = parse("services:\n  web: [\n    image\n").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("/p/compose.yaml:4:1: invalid YAML: "),
            "{msg}"
        );
    }

    #[test]
    fn shape_errors() {
        let e = parse("- a\n").unwrap_err();
        assert!(matches!(e, LoadError::TopLevelNotMapping { .. }), "{e}");
        let e = parse("services: [a]\n").unwrap_err();
        assert!(matches!(e, LoadError::ServicesNotMapping { .. }), "{e}");
        assert!(e.to_string().starts_with("/p/compose.yaml:1:"), "{e}");
        let e = parse("services:\n  db: {image: x}\n  web: nginx\n").unwrap_err();
        assert!(matches!(e, LoadError::ServiceNotMapping { .. }), "{e}");
        assert!(e.to_string().starts_with("/p/compose.yaml:3:"), "{e}");
        assert!(e.to_string().contains("\"web\""), "{e}");
    }

    #[test]
    fn empty_file_is_an_empty_model() {
        assert_eq!(parse("# nothing\n").unwrap(), json!({}));
        assert_eq!(parse("services:\n").unwrap(), json!({"services": {}}));
    }

    #[test]
    fn missing_file_is_not_found() {
        let e = read_doc(Path::new("/nonexistent/compose.yaml")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "compose file not found: /nonexistent/compose.yaml"
        );
    }
}
