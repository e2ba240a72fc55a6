//! The in-memory tree the loader works on.
//!
//! It is JSON-shaped, but it also carries the two compose tags (`!reset`, `!override`) as
//! markers, because their meaning depends on what they are later merged onto: a marker must
//! survive until every file and every `extends` has been merged, and only then be stripped.

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

/// An insertion-ordered mapping. Compose models are small (tens of keys), so a vector with
/// linear lookup keeps the order trivially and costs nothing that matters.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Map(pub(crate) Vec<(String, Node)>);

impl Map {
    pub(crate) fn new() -> Map {
        Map(Vec::new())
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Replaces in place when the key exists (keeping its position), else appends.
    pub(crate) fn insert(&mut self, key: String, value: Node) {
        match self.get_mut(&key) {
            Some(slot) => *slot = value,
            None => self.0.push((key, value)),
        }
    }

    /// Removes while keeping the order of the other keys.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Node> {
        let pos = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(pos).1)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &(String, Node)> {
        self.0.iter()
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut (String, Node)> {
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
        let n = Node::Map(Map(vec![
            ("gone".into(), Node::Reset),
            (
                "kept".into(),
                Node::Override(Box::new(Node::Seq(vec![Node::str("x"), Node::Reset]))),
            ),
        ]));
        assert_eq!(n.into_json(), serde_json::json!({"kept": ["x"]}));
    }
}
