//! A small YAML emitter for configuration renet generates (Traefik's dynamic and static
//! configuration), as a serde serializer writing block style straight into a `String` (no
//! intermediate value tree: the dynamic configuration of 20,000 containers is several MB).
//!
//! Every string value is written double-quoted with every character YAML could read otherwise
//! escaped, so no value can end a scalar, start a new key, or turn into a boolean (`no`, `on`)
//! under YAML 1.1 readers. Keys stay plain only when they are simple identifiers that no YAML
//! version reads as anything but a string. Maps and lists keep the order of the input (renet
//! builds it from `BTreeMap`s and structs, so the output is deterministic). Empty maps and
//! lists are written `{}` and `[]`.

use std::fmt::{self, Write};

use serde::ser::{self, Serialize};

/// `value` as a YAML document, ending with a newline.
pub(crate) fn to_yaml<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    value
        .serialize(Ser {
            out: &mut out,
            pos: Pos::Root,
        })
        .expect("renet's configuration documents serialize to YAML");
    out
}

#[derive(Debug)]
pub(crate) struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Where a value goes: the document itself, after `key:`, or after `-`.
#[derive(Clone, Copy)]
enum Pos {
    Root,
    /// After `key:` written at this indentation.
    MapValue(usize),
    /// After `-` written at this indentation.
    SeqItem(usize),
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

struct Ser<'a> {
    out: &'a mut String,
    pos: Pos,
}

impl<'a> Ser<'a> {
    fn scalar(self, text: &str) -> Result<(), Error> {
        if !matches!(self.pos, Pos::Root) {
            self.out.push(' ');
        }
        self.out.push_str(text);
        self.out.push('\n');
        Ok(())
    }

    fn string(self, s: &str) -> Result<(), Error> {
        if !matches!(self.pos, Pos::Root) {
            self.out.push(' ');
        }
        quote_into(self.out, s);
        self.out.push('\n');
        Ok(())
    }

    fn map(self) -> Compound<'a> {
        let start = self.out.len();
        let (indent, first_inline) = match self.pos {
            Pos::Root => (0, false),
            Pos::MapValue(i) => {
                self.out.push('\n');
                (i + 2, false)
            }
            Pos::SeqItem(i) => (i + 2, true),
        };
        Compound {
            out: self.out,
            pos: self.pos,
            start,
            indent,
            first_inline,
            count: 0,
            seq: false,
        }
    }

    fn seq(self) -> Compound<'a> {
        let start = self.out.len();
        let indent = match self.pos {
            Pos::Root => 0,
            Pos::MapValue(i) | Pos::SeqItem(i) => {
                self.out.push('\n');
                i + 2
            }
        };
        Compound {
            out: self.out,
            pos: self.pos,
            start,
            indent,
            first_inline: false,
            count: 0,
            seq: true,
        }
    }
}

/// A map, struct or sequence being written.
struct Compound<'a> {
    out: &'a mut String,
    pos: Pos,
    /// Where it started, to rewrite it as `{}`/`[]` when it ends up empty.
    start: usize,
    indent: usize,
    /// The first entry goes on the `-` line.
    first_inline: bool,
    count: usize,
    seq: bool,
}

impl Compound<'_> {
    fn key(&mut self, k: &str) {
        if self.count == 0 && self.first_inline {
            self.out.push(' ');
        } else {
            pad(self.out, self.indent);
        }
        write_key(self.out, k);
        self.out.push(':');
        self.count += 1;
    }

    fn value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        v.serialize(Ser {
            out: self.out,
            pos: Pos::MapValue(self.indent),
        })
    }

    fn item<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        pad(self.out, self.indent);
        self.out.push('-');
        self.count += 1;
        v.serialize(Ser {
            out: self.out,
            pos: Pos::SeqItem(self.indent),
        })
    }

    fn finish(self) -> Result<(), Error> {
        if self.count == 0 {
            self.out.truncate(self.start);
            let empty = if self.seq { "[]" } else { "{}" };
            if !matches!(self.pos, Pos::Root) {
                self.out.push(' ');
            }
            self.out.push_str(empty);
            self.out.push('\n');
        }
        Ok(())
    }
}

macro_rules! key_text {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<(), Error> {
            let _ = write!(self.0, "{v}");
            Ok(())
        }
    )*};
}

macro_rules! scalar_display {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<(), Error> {
            self.scalar(&v.to_string())
        }
    )*};
}

impl<'a> ser::Serializer for Ser<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    scalar_display!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16,
        serialize_i32: i32, serialize_i64: i64, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_i128: i128, serialize_u128: u128);

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if v.is_finite() {
            self.scalar(&v.to_string())
        } else {
            self.scalar("null")
        }
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(Error("YAML emitter: bytes are not supported".into()))
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.scalar("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.scalar("null")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.scalar("null")
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, v: &'static str) -> Result<(), Error> {
        self.string(v)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        let mut m = self.map();
        m.key(variant);
        m.value(v)?;
        m.finish()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Error(
            "YAML emitter: tuple variants are not supported".into(),
        ))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Error> {
        Ok(self.map())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Error> {
        Ok(self.map())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error(
            "YAML emitter: struct variants are not supported".into(),
        ))
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.item(v)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.item(v)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.item(v)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Error> {
        let mut text = String::new();
        k.serialize(KeyText(&mut text))?;
        self.key(&text);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.value(v)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        self.key(key);
        self.value(v)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// Renders a map key to text (strings as they are; numbers and booleans spelled out).
struct KeyText<'a>(&'a mut String);

impl ser::Serializer for KeyText<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.0.push(v);
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, v: &'static str) -> Result<(), Error> {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        v.serialize(self)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
        v.serialize(self)
    }
    key_text!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_f32: f32, serialize_f64: f64);
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(not_a_key())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(not_a_key())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(not_a_key())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(not_a_key())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(not_a_key())
    }
}

fn not_a_key() -> Error {
    Error("YAML emitter: a map key must be a string, a number or a boolean".into())
}

/// Words some YAML reader takes for a boolean or null when unquoted.
const RESERVED: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
];

fn write_key(out: &mut String, k: &str) {
    let plain = k
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(k));
    if plain {
        out.push_str(k);
    } else {
        quote_into(out, k);
    }
}

fn needs_escape(c: char) -> bool {
    c == '"'
        || c == '\\'
        || c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
        )
}

/// Appends `s` as a YAML double-quoted scalar: `"` and `\` escaped, and every character
/// outside YAML's printable set (C0, DEL, C1, the Unicode line and paragraph separators, BOM,
/// non-characters) written as an escape.
fn quote_into(out: &mut String, s: &str) {
    out.push('"');
    if !s.chars().any(needs_escape) {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

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
