//! A small YAML emitter for configuration renet generates (Traefik's dynamic and static
//! configuration).
//!
//! Every string value is written double-quoted with every character YAML could read otherwise
//! escaped, so no value can end a scalar, start a new key, or turn into a boolean (`no`, `on`)
//! under YAML 1.1 readers. Keys stay plain only when they are simple identifiers that no YAML
//! version reads as anything but a string. Maps and lists keep the order of the input value
//! (renet builds it from `BTreeMap`s and structs, so the output is deterministic).

use std::fmt::Write;

use serde_json::Value;

/// `value` as a YAML document, ending with a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => seq(&mut out, a, 0),
        other => {
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn map(out: &mut String, m: &serde_json::Map<String, Value>, indent: usize) {
    for (k, v) in m {
        pad(out, indent);
        out.push_str(&key(k));
        out.push(':');
        value_after_colon(out, v, indent);
    }
}

fn value_after_colon(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            map(out, m, indent + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            seq(out, a, indent + 2);
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

fn seq(out: &mut String, a: &[Value], indent: usize) {
    for v in a {
        pad(out, indent);
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                // First key on the dash's line, the others aligned under it.
                let mut inner = String::new();
                map(&mut inner, m, indent + 2);
                out.push(' ');
                out.push_str(&inner[indent + 2..]);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                seq(out, inner, indent + 2);
            }
            other => {
                out.push(' ');
                out.push_str(&inline(other));
                out.push('\n');
            }
        }
    }
}

fn inline(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// Words some YAML reader takes for a boolean or null when unquoted.
const RESERVED: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
];

fn key(k: &str) -> String {
    let plain = k
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(k));
    if plain { k.to_owned() } else { quote(k) }
}

/// A YAML double-quoted scalar: `"` and `\` escaped, and every character outside YAML's
/// printable set (C0, DEL, C1, the Unicode line and paragraph separators, BOM, non-characters)
/// written as an escape.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control()
                || matches!(
                    c,
                    '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
                ) =>
            {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn layout() {
        let v = json!({
            "http": {"routers": {"web-2816": {
                "entryPoints": ["websecure"],
                "rule": "Host(`web.shop.example.com`)",
                "tls": {},
                "x": [{"a": 1, "b": "two"}, [], ["n"]],
            }}},
            "yes": "no",
            "1a": true,
        });
        let y = to_yaml(&v);
        assert_eq!(
            y,
            "http:\n  routers:\n    web-2816:\n      entryPoints:\n        - \"websecure\"\n      \
             rule: \"Host(`web.shop.example.com`)\"\n      tls: {}\n      x:\n        - a: 1\n          \
             b: \"two\"\n        - []\n        -\n          - \"n\"\n\"yes\": \"no\"\n\"1a\": true\n"
        );
        let back: Value = yaml_serde::from_str(&y).unwrap();
        assert_eq!(back, v);
        assert_eq!(to_yaml(&json!({})), "{}\n");
    }

    #[test]
    fn hostile_strings_stay_strings() {
        for s in [
            "evil`) || Host(`x",
            "a\nb: c",
            "\"quoted\"",
            "back\\slash",
            "\u{7f}\u{85}\u{2028}\u{feff}",
            "# not a comment",
            "- not a list",
            "{a: b}",
            "&anchor *alias !tag",
            "",
            "no",
        ] {
            let v = json!({ s: s, "k": [s] });
            let y = to_yaml(&v);
            let back: Value = yaml_serde::from_str(&y).unwrap_or_else(|e| panic!("{y}: {e}"));
            assert_eq!(back, v, "{y}");
        }
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<String>().prop_map(Value::String),
            any::<bool>().prop_map(Value::Bool),
            any::<u32>().prop_map(|n| json!(n)),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn round_trips_through_a_yaml_parser(v in arb_value()) {
            let y = to_yaml(&v);
            let back: Value = yaml_serde::from_str(&y).map_err(|e| TestCaseError::fail(format!("{y:?}: {e}")))?;
            prop_assert_eq!(back, v);
        }
    }
}
