//! The in-memory tree the loader works on.
//!
//! It is JSON-shaped, but it also carries the two compose tags (`!reset`, `!override`) as
//! markers, because their meaning depends on what they are later merged onto: a marker must
//! survive until every file and every `extends` has been merged, and only then be stripped.

use indexmap::IndexMap;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Seq(Vec<Node>),
    Map(Map),
    /// `!reset`: drop whatever the value was.
    Reset,
    /// `!override X`: X replaces the value instead of being merged into it.
    Override(Box<Node>),
}

impl Node {
    pub(crate) fn str(s: &str) -> Node {
        Node::String(s.to_string())
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Node::String(s) => Some(s),
            _ => None,
        }
    }

    /// A short description of the node's type for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
            Node::Reset => "!reset",
            Node::Override(_) => "!override",
        }
    }

    /// The value as it reads once the tags have done their job: `!override X` is X and a
    /// `!reset` entry disappears from its mapping or sequence.
    pub(crate) fn strip(self) -> Node {
        match self {
            Node::Override(inner) => inner.strip(),
            Node::Seq(items) => Node::Seq(
                items
                    .into_iter()
                    .filter(|n| *n != Node::Reset)
                    .map(Node::strip)
                    .collect(),
            ),
            Node::Map(map) => Node::Map(Map(map
                .0
                .into_iter()
                .filter(|(_, v)| *v != Node::Reset)
                .map(|(k, v)| (k, v.strip()))
                .collect())),
            other => other,
        }
    }

    /// Converts to JSON, stripping tags first.
    pub(crate) fn into_json(self) -> Value {
        match self.strip() {
            Node::Null | Node::Reset => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::Number(n) => Value::Number(n),
            Node::String(s) => Value::String(s),
            Node::Seq(items) => Value::Array(items.into_iter().map(Node::into_json).collect()),
            Node::Map(map) => Value::Object(map.into_json()),
            Node::Override(inner) => inner.into_json(),
        }
    }

    /// A scalar's text as compose would read it in a `KEY=VALUE` list (numbers and booleans
    /// written as YAML would print them).
    pub(crate) fn scalar_text(&self) -> Option<String> {
        match self {
            Node::String(s) => Some(s.clone()),
            Node::Number(n) => Some(n.to_string()),
            Node::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

/// An insertion-ordered mapping with constant-time lookups: a repository's compose file may
/// hold hundreds of thousands of keys (an `environment:` block), and a vector searched key by
/// key made loading and merging it quadratic (minutes for 300,000 keys).
#[derive(Debug, Clone, Default)]
pub(crate) struct Map(pub(crate) IndexMap<String, Node>);

/// Order matters, as it did for the vector this replaces: two maps with the same entries in
/// another order are different models (the key order is written out).
impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        self.0.len() == other.0.len() && self.0.iter().eq(other.0.iter())
    }
}

impl Map {
    pub(crate) fn new() -> Map {
        Map(IndexMap::new())
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.0.get(key)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.0.get_mut(key)
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Replaces in place when the key exists (keeping its position), else appends.
    pub(crate) fn insert(&mut self, key: String, value: Node) {
        self.0.insert(key, value);
    }

    /// Removes while keeping the order of the other keys.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Node> {
        self.0.shift_remove(key)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&String, &Node)> {
        self.0.iter()
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut Node)> {
        self.0.iter_mut()
    }

    pub(crate) fn into_json(self) -> serde_json::Map<String, Value> {
        self.0
            .into_iter()
            .filter(|(_, v)| *v != Node::Reset)
            .map(|(k, v)| (k, v.into_json()))
            .collect()
    }
}

impl FromIterator<(String, Node)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Node)>>(iter: I) -> Map {
        let mut map = Map::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_keeps_position_and_remove_keeps_order() {
        let mut m: Map = [("a", 1), ("b", 2), ("c", 3)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), Node::Number(v.into())))
            .collect();
        m.insert("a".into(), Node::Null);
        m.remove("b");
        let keys: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "c"]);
        assert_eq!(m.get("a"), Some(&Node::Null));
    }

    #[test]
    fn strip_removes_reset_and_unwraps_override() {
        let n = Node::Map(Map::from_iter([
            ("gone".into(), Node::Reset),
            (
                "kept".into(),
                Node::Override(Box::new(Node::Seq(vec![Node::str("x"), Node::Reset]))),
            ),
        ]));
        assert_eq!(n.into_json(), serde_json::json!({"kept": ["x"]}));
    }
}
