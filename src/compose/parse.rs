//! YAML text to [`Node`]: documents, scalars, merge keys, tags and mapping keys, read the way
//! Compose v2 reads them.
//!
//! Scalars: v2's YAML library (go-yaml v3) still reads the YAML 1.1 integer spellings
//! (`0644` is octal 420, `1_000` is 1000, `08` is the float 8) and yaml_serde, a YAML 1.2 reader,
//! keeps them as text. Only plain (unquoted) scalars are numbers, so [`Scalars`] reads the
//! document itself and looks at each borrowed string's place in the source: a scalar not
//! preceded by a quote is plain and is read again with go-yaml's rules ([`go_number`]).
//!
//! Documents: a file may hold several (`---`); each is a compose file of its own, merged in
//! order. A file with no document at all (empty, or comments only) adds nothing; an explicit
//! empty document (`---` and nothing) is refused, as v2 does.
//!
//! `yaml_serde::Value::apply_merge` is not used because it reorders keys (merged keys go to the
//! end and removal swaps the last key into place); here the merged keys take the place of the
//! `<<` entry, and explicit keys keep their order and win over merged ones.

use crate::fsread;
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};
use yaml_serde::value::{Tag, TaggedValue};
use yaml_serde::{Mapping, Value};

use super::error::{LoadError, Loc, find_line};
use super::node::{Map, Node};

/// One document of a compose file.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub(crate) path: PathBuf,
    /// The whole file, kept to point errors found after parsing at a line.
    pub(crate) source: Rc<str>,
    pub(crate) root: Map,
}

/// Reads a compose file: its documents, in order, each checked for the shape every compose
/// file must have.
/// With `repo`, a file inside the repository must stay inside it once links are followed.
pub(crate) fn read_docs(path: &Path, repo: Option<&Path>) -> Result<Vec<Doc>, LoadError> {
    // Bounded and non-blocking: a repository's FIFO or `/dev/zero` must not hang or swell renet.
    let source = match fsread::read_source(path, repo) {
        Ok(s) => s,
        Err(e) if e.is_not_found() => {
            return Err(LoadError::NotFound {
                path: path.to_path_buf(),
            });
        }
        Err(fsread::ReadError::Io { source, .. }) => {
            return Err(LoadError::Unreadable {
                path: path.to_path_buf(),
                source,
            });
        }
        Err(e) => return Err(LoadError::Refused(e)),
    };
    parse_docs(path, &source)
}

pub(crate) fn parse_docs(path: &Path, source: &str) -> Result<Vec<Doc>, LoadError> {
    let yaml_error = |e: yaml_serde::Error| {
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
    };
    // yaml_serde yields one null document for a stream without any; v2 sees none.
    if !source.lines().any(|l| !is_blank_or_comment(l)) {
        return Ok(Vec::new());
    }
    let shared: Rc<str> = Rc::from(source);
    let conv = Converter { path, source };
    let mut docs = Vec::new();
    for document in yaml_serde::Deserializer::from_str(source) {
        let value = Scalars { source }
            .deserialize(document)
            .map_err(yaml_error)?;
        let root = match conv.node(value, "")? {
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
            source: Rc::clone(&shared),
            root,
        };
        check_services(&mut doc)?;
        docs.push(doc);
    }
    Ok(docs)
}

/// The one document of `source` (tests build models from snippets).
#[cfg(test)]
pub(crate) fn parse_doc(path: &Path, source: &str) -> Result<Doc, LoadError> {
    let mut docs = parse_docs(path, source)?;
    Ok(match docs.len() {
        0 => Doc {
            path: path.to_path_buf(),
            source: Rc::from(source),
            root: Map::new(),
        },
        _ => docs.remove(0),
    })
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

fn check_services(doc: &mut Doc) -> Result<(), LoadError> {
    let Some(services) = doc.root.get("services") else {
        return Ok(());
    };
    let source = &*doc.source;
    let map = match services {
        Node::Map(map) => map,
        Node::Override(inner) if matches!(**inner, Node::Map(_)) => match &**inner {
            Node::Map(map) => map,
            _ => return Ok(()),
        },
        Node::Reset => return Ok(()),
        // `services:` with no value (every service commented out, say) is refused too.
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
                    merged.insert(k, v);
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

    /// Compose keys are strings; v2 refuses a key YAML reads as a number, a boolean or null
    /// (`8080:`, `true:`), so renet does too.
    fn key(&self, key: Value, at: &str) -> Result<String, LoadError> {
        let at_text = || {
            if at.is_empty() {
                "(top level)".into()
            } else {
                at.to_string()
            }
        };
        let text = match key {
            Value::String(s) => return Ok(s),
            Value::Tagged(t) => return self.key(t.value, at),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => "null".to_string(),
            other => {
                return Err(LoadError::InvalidKey {
                    loc: Loc::file(self.path),
                    at: at_text(),
                    found: value_kind(&other),
                });
            }
        };
        Err(LoadError::NonStringKey {
            loc: Loc::line(self.path, find_key_line(self.source, &text)),
            at: at_text(),
            key: text,
        })
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

/// Deserializes one document like `yaml_serde::Value` does, but reads untagged plain scalars
/// with go-yaml v3's rules (see the module comment). `source` is the text the deserializer
/// borrows from, to tell plain scalars from quoted ones.
#[derive(Clone, Copy)]
struct Scalars<'s> {
    source: &'s str,
}

impl Scalars<'_> {
    /// Whether `s`, borrowed from the source, was written as an untagged plain scalar: not
    /// preceded by a quote, and not by a tag (go-yaml keeps `!!str 0644` and `!override 0644`
    /// as text).
    fn untagged_plain(&self, s: &str) -> bool {
        let Some(at) = s.as_ptr().addr().checked_sub(self.source.as_ptr().addr()) else {
            return false;
        };
        let Some(before) = self.source.get(..at) else {
            return false;
        };
        if before.ends_with(['"', '\'']) {
            return false;
        }
        let token = before
            .trim_end()
            .rsplit(|c: char| c.is_whitespace() || "[]{},".contains(c))
            .next()
            .unwrap_or_default();
        !token.starts_with('!')
    }
}

impl<'de> DeserializeSeed<'de> for Scalars<'de> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scalars<'de> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Number(i.into()))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Value, E> {
        Ok(Value::Number(u.into()))
    }

    // Beyond 64 bits go-yaml falls back to a float.
    #[expect(
        clippy::cast_precision_loss,
        reason = "go-yaml reads it as a float too"
    )]
    fn visit_i128<E: de::Error>(self, i: i128) -> Result<Value, E> {
        Ok(Value::Number((i as f64).into()))
    }

    #[expect(
        clippy::cast_precision_loss,
        reason = "go-yaml reads it as a float too"
    )]
    fn visit_u128<E: de::Error>(self, u: u128) -> Result<Value, E> {
        Ok(Value::Number((u as f64).into()))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Number(f.into()))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Value, E> {
        if self.untagged_plain(s)
            && let Some(n) = go_number(s)
        {
            return Ok(Value::Number(n));
        }
        Ok(Value::String(s.to_owned()))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut mapping = Mapping::new();
        while let Some(key) = map.next_key_seed(self)? {
            if mapping.contains_key(&key) {
                let shown = match &key {
                    Value::String(s) => format!("{s:?}"),
                    other => format!("{other:?}"),
                };
                return Err(de::Error::custom(format_args!(
                    "duplicate entry with key {shown}"
                )));
            }
            let value = map.next_value_seed(self)?;
            mapping.insert(key, value);
        }
        Ok(Value::Mapping(mapping))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        let (tag, contents) = data.variant::<String>()?;
        let value = de::VariantAccess::newtype_variant_seed(contents, self)?;
        Ok(Value::Tagged(Box::new(TaggedValue {
            tag: Tag::new(tag),
            value,
        })))
    }
}

/// go-yaml v3's reading of a plain scalar that starts like a number (a digit or a sign):
/// Go's `strconv.ParseInt(s, 0, 64)` on `s` without its underscores (so `0x`, `0o`, `0b` and a
/// leading `0` for octal), then `ParseUint`, then its float pattern. None: it is text.
fn go_number(s: &str) -> Option<yaml_serde::Number> {
    if !s.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-') {
        return None;
    }
    let plain: String = s.chars().filter(|c| *c != '_').collect();
    if let Some(n) = go_int(&plain) {
        return Some(n);
    }
    if is_go_float(&plain) {
        return plain.parse::<f64>().ok().map(yaml_serde::Number::from);
    }
    None
}

fn go_int(s: &str) -> Option<yaml_serde::Number> {
    let (negative, signed, body) = match s.as_bytes().first()? {
        b'-' => (true, true, &s[1..]),
        b'+' => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    let prefixed = |p: &str| {
        body.strip_prefix(p)
            .or_else(|| body.strip_prefix(&p.to_uppercase()))
    };
    let (radix, digits) = if let Some(d) = prefixed("0x") {
        (16, d)
    } else if let Some(d) = prefixed("0o") {
        (8, d)
    } else if let Some(d) = prefixed("0b") {
        (2, d)
    } else if body.len() > 1
        && let Some(d) = body.strip_prefix('0')
    {
        (8, d)
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if negative {
        let n = 0i64.checked_sub_unsigned(magnitude)?;
        return Some(n.into());
    }
    match i64::try_from(magnitude) {
        Ok(n) => Some(n.into()),
        // `ParseUint` takes no sign.
        Err(_) if !signed => Some(magnitude.into()),
        Err(_) => None,
    }
}

/// go-yaml's `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_go_float(s: &str) -> bool {
    fn digits(s: &str) -> (&str, usize) {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        (&s[n..], n)
    }
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let rest = if let Some(frac) = s.strip_prefix('.') {
        match digits(frac) {
            (_, 0) => return false,
            (rest, _) => rest,
        }
    } else {
        match digits(s) {
            (_, 0) => return false,
            (rest, _) => rest.strip_prefix('.').map_or(rest, |r| digits(r).0),
        }
    };
    match rest.strip_prefix(['e', 'E']) {
        None => rest.is_empty(),
        Some(exp) => {
            let exp = exp.strip_prefix(['-', '+']).unwrap_or(exp);
            matches!(digits(exp), ("", n) if n > 0)
        }
    }
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
            json!({"restart": "no", "mode": 288, "port": "22:22", "n": 5, "f": 1.5,
                   "b": true, "z": null, "flag": "no"})
        );
    }

    #[test]
    fn non_string_keys_are_refused_as_v2_does() {
        let e = parse("x-a:\n  8080: x\n").unwrap_err();
        assert!(matches!(e, LoadError::NonStringKey { .. }), "{e}");
        assert!(
            e.to_string()
                .starts_with("/p/compose.yaml:2: the key `8080` in `x-a`"),
            "{e}"
        );
        for src in ["true: y\n", "1.5: z\n", "0644: z\n", "~: z\n"] {
            assert!(
                matches!(parse(src), Err(LoadError::NonStringKey { .. })),
                "{src}"
            );
        }
        let v = parse("\"8080\": x\n'true': y\n!!str 0644: z\n").unwrap();
        assert_eq!(keys(&v), ["8080", "true", "0644"]);
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
    fn a_file_without_documents_has_none_and_an_empty_document_is_refused() {
        let docs = |src: &str| parse_docs(Path::new("/p/c.yml"), src).map(|d| d.len());
        assert_eq!(docs("").unwrap(), 0);
        assert_eq!(docs("# nothing\n\n  # at all\n").unwrap(), 0);
        for src in ["---\n", "# a\n---\n# b\n", "services: {}\n---\n"] {
            let e = parse_docs(Path::new("/p/c.yml"), src).unwrap_err();
            assert!(
                matches!(e, LoadError::TopLevelNotMapping { found: "null", .. }),
                "{e}"
            );
        }
    }

    #[test]
    fn documents_are_read_in_order() {
        let docs = parse_docs(
            Path::new("/p/c.yml"),
            "services: {a: {image: a}}\n---\nservices: {b: {image: b}}\n...\n",
        )
        .unwrap();
        let roots: Vec<_> = docs
            .into_iter()
            .map(|d| serde_json::Value::Object(d.root.into_json()))
            .collect();
        assert_eq!(
            roots,
            [
                json!({"services": {"a": {"image": "a"}}}),
                json!({"services": {"b": {"image": "b"}}})
            ]
        );
    }

    #[test]
    fn services_without_a_value_are_refused() {
        let e = parse("services:\nvolumes:\n  v: {}\n").unwrap_err();
        assert!(
            matches!(e, LoadError::ServicesNotMapping { found: "null", .. }),
            "{e}"
        );
        assert!(e.to_string().starts_with("/p/compose.yaml:1: "), "{e}");
        assert!(e.to_string().contains("`services: {}` for none"), "{e}");
    }

    #[test]
    fn plain_scalars_are_read_as_go_yaml_reads_them() {
        let v = parse(concat!(
            "a: 0644\nb: 1_000\nc: 08\nd: '0644'\ne: \"1_000\"\nf: 0o17\ng: +12\nh: 1_000.5\n",
            "i: 0b101\nj: -0x1F\nk: 1e3\nl: 012.5\nm: 0_7\nn: 9223372036854775808\no: .5\n",
            "p: -0\nq: 00\nr: !!str 0644\ns: [0755, '0755']\nt: 0x\nu: 1_2_3abc\nv: 2024-01-01\n",
            "w: 99999999999999999999\nx: -9223372036854775808\ny: |\n  0644\n"
        ))
        .unwrap();
        assert_eq!(
            v,
            json!({"a": 420, "b": 1000, "c": 8.0, "d": "0644", "e": "1_000", "f": 15, "g": 12,
                   "h": 1000.5, "i": 5, "j": -31, "k": 1000.0, "l": 12.5, "m": 7,
                   "n": 9_223_372_036_854_775_808_u64, "o": 0.5, "p": 0, "q": 0, "r": "0644",
                   "s": [493, "0755"], "t": "0x", "u": "1_2_3abc", "v": "2024-01-01",
                   "w": 1e20, "x": i64::MIN, "y": "0644\n"})
        );
    }

    #[test]
    fn missing_file_is_not_found() {
        let e = read_docs(Path::new("/nonexistent/compose.yaml"), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "compose file not found: /nonexistent/compose.yaml"
        );
    }
}
