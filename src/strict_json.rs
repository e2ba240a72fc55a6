//! JSON as renet's state files need it: a duplicate key anywhere in the document is an error.
//! `serde_json` keeps the last of two equal keys without a word; in `.rediacc.json` that moves
//! a service to another slot (its first entry silently lost), in machine settings it hides a
//! value. The document is read through a seed that builds the same `Value` and stops at the
//! first key seen twice in one object, knowing where it was.

use std::cell::RefCell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error)]
pub(crate) enum StrictJsonError {
    /// Not JSON at all (the message has serde_json's line and column).
    #[error("not valid JSON: {0}; fix or remove the file")]
    Syntax(serde_json::Error),
    #[error(
        "duplicate key {key:?} in {at} (line {line}); JSON keeps only one of them: remove the \
         entry that is wrong"
    )]
    Duplicate {
        key: String,
        at: String,
        line: usize,
    },
}

/// Parse `text`, refusing a key that appears twice in one object.
pub(crate) fn parse(text: &str) -> Result<Value, StrictJsonError> {
    let found = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let seed = Seed {
        at: Vec::new(),
        found: &found,
    };
    let parsed = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    match (parsed, found.into_inner()) {
        (Ok(v), _) => Ok(v),
        (Err(e), Some((key, at))) => Err(StrictJsonError::Duplicate {
            key,
            at,
            line: e.line(),
        }),
        (Err(e), None) => Err(StrictJsonError::Syntax(e)),
    }
}

/// Where a value is, as keys and indexes from the top (`services.api`, `list[2]`).
fn describe(at: &[String]) -> String {
    if at.is_empty() {
        "the top-level object".to_owned()
    } else {
        let mut out = String::new();
        for step in at {
            if !out.is_empty() && !step.starts_with('[') {
                out.push('.');
            }
            out.push_str(step);
        }
        format!("\"{out}\"")
    }
}

struct Seed<'a> {
    at: Vec<String>,
    found: &'a RefCell<Option<(String, String)>>,
}

impl Seed<'_> {
    fn child(&self, step: String) -> Self {
        let mut at = self.at.clone();
        at.push(step);
        Seed {
            at,
            found: self.found,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.child(format!("[{}]", items.len())))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                let at = describe(&self.at);
                let message = format!("duplicate key {key:?} in {at}");
                *self.found.borrow_mut() = Some((key, at));
                return Err(de::Error::custom(message));
            }
            let value = access.next_value_seed(self.child(key.clone()))?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_found_at_any_depth() {
        let text =
            "{\n  \"services\": {\n    \"api\": {\"slot\": 0},\n    \"api\": {\"slot\": 5}\n  }\n}";
        let err = parse(text).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("duplicate key \"api\" in \"services\""),
            "{msg}"
        );
        assert!(msg.contains("line 4"), "{msg}");
        let err = parse(r#"{"a": 1, "a": 2}"#).unwrap_err().to_string();
        assert!(err.contains("the top-level object"), "{err}");
        let err = parse(r#"{"l": [{"x": 1}, {"x": 1, "x": 2}]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"l[1]\""), "{err}");
    }

    #[test]
    fn the_same_value_as_serde_json_otherwise() {
        let text =
            r#"{"b": [1, -2, 3.5, null, true, "s"], "a": {"x": {}}, "u": 18446744073709551615}"#;
        let ours = parse(text).expect("valid");
        let theirs: Value = serde_json::from_str(text).expect("valid");
        assert_eq!(ours, theirs);
        assert_eq!(ours.to_string(), theirs.to_string(), "key order kept");
        assert!(matches!(parse("{"), Err(StrictJsonError::Syntax(_))));
        assert!(matches!(parse("{} x"), Err(StrictJsonError::Syntax(_))));
    }
}
