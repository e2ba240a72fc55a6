//! `${VAR}` substitution by compose-go's rules (its `template` package), for the few values renet
//! must know before compose runs: the `.env` values, the top-level `name:`, and an interpolated
//! copy of the model for the dangerous-settings gate ([`model`]). The model compose gets keeps
//! its `${...}` for compose to interpolate.
//!
//! `$$` is a `$`; `$NAME` and `${NAME}` are the value (empty when unset); `${NAME:-word}` and
//! `${NAME-word}` default when unset or empty / unset; `${NAME:+word}` and `${NAME+word}`
//! replace when set and not empty / set; `${NAME:?message}` and `${NAME?message}` are errors
//! when unset or empty / unset. `word` is substituted itself, only when it is used. A `$`
//! followed by anything else stays as it is; a `${` that is not one of these is an error.

use serde_json::Value;

/// A variable's value, `None` when unset (set but empty is `Some("")`).
pub(crate) type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TemplateError {
    #[error("invalid interpolation {0:?}: use ${{NAME}}, ${{NAME:-default}} or $$ for a literal $")]
    Invalid(String),
    #[error("required variable {name} is missing a value{}", colon(reason))]
    Required { name: String, reason: String },
}

fn colon(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(": {reason}")
    }
}

/// `text` with every `$` expression replaced.
pub(crate) fn substitute(text: &str, lookup: Lookup<'_>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match after.bytes().next() {
            Some(b'$') => {
                out.push('$');
                rest = &after[1..];
            }
            Some(b'{') => {
                let close =
                    closing_brace(after).ok_or_else(|| TemplateError::Invalid(text.to_owned()))?;
                out.push_str(&braced(&after[1..close], text, lookup)?);
                rest = &after[close + 1..];
            }
            Some(c) if c == b'_' || c.is_ascii_alphabetic() => {
                let end = name_end(after);
                out.push_str(&lookup(&after[..end]).unwrap_or_default());
                rest = &after[end..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// A copy of `value` with every string interpolated, as compose interpolates the model it reads
/// (values only: mapping keys stay as written). A string compose could not interpolate either
/// (a malformed `${`, a `${X:?}` that is unset) stays as written: compose refuses the model, so
/// what it says never runs.
pub(crate) fn model(value: &Value, lookup: Lookup<'_>) -> Value {
    match value {
        Value::String(s) => Value::String(substitute(s, lookup).unwrap_or_else(|_| s.clone())),
        Value::Array(items) => Value::Array(items.iter().map(|v| model(v, lookup)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), model(v, lookup)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Where the name `[_A-Za-z0-9]*` at the start of `s` ends.
fn name_end(s: &str) -> usize {
    s.find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(s.len())
}

/// The index of the `}` closing the `{` that `s` starts with (nested `${...}` counted).
fn closing_brace(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut open = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'}' => {
                open = open.saturating_sub(1);
                if open == 0 {
                    return Some(i);
                }
            }
            // compose-go skips the character after a `{` (the `$` of `{$` never opens).
            b'{' => {
                open += 1;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The inside of `${...}`.
fn braced(inner: &str, whole: &str, lookup: Lookup<'_>) -> Result<String, TemplateError> {
    let end = name_end(inner);
    let name = &inner[..end];
    let invalid = || TemplateError::Invalid(whole.to_owned());
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(invalid());
    }
    let tail = &inner[end..];
    if tail.is_empty() {
        return Ok(lookup(name).unwrap_or_default());
    }
    let colon = tail.starts_with(':');
    let mut body = tail.strip_prefix(':').unwrap_or(tail).chars();
    let op = body
        .next()
        .filter(|c| matches!(c, '-' | '+' | '?'))
        .ok_or_else(invalid)?;
    let word = body.as_str();
    let value = lookup(name);
    // With a colon an empty value counts as unset.
    let present = value.as_deref().is_some_and(|v| !colon || !v.is_empty());
    match op {
        '-' if present => Ok(value.unwrap_or_default()),
        '-' => substitute(word, lookup),
        '+' if present => substitute(word, lookup),
        '+' => Ok(value.unwrap_or_default()),
        _ if present => Ok(value.unwrap_or_default()),
        _ => Err(TemplateError::Required {
            name: name.to_owned(),
            reason: substitute(word, lookup)?,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn sub(text: &str) -> Result<String, TemplateError> {
        let vars: BTreeMap<&str, &str> = [("A", "a"), ("EMPTY", ""), ("lower_1", "l")].into();
        substitute(text, &|k| vars.get(k).map(|v| (*v).to_owned()))
    }

    #[test]
    fn plain_braced_and_escaped() {
        assert_eq!(sub("x-$A-${A}-$$A-$lower_1.").unwrap(), "x-a-a-$A-l.");
        assert_eq!(sub("${UNSET}|$UNSET|$1|$ |$").unwrap(), "||$1|$ |$");
        assert_eq!(sub("${A}${A}").unwrap(), "aa");
    }

    #[test]
    fn defaults_replacements_and_requirements() {
        assert_eq!(sub("${UNSET:-d}|${EMPTY:-d}|${A:-d}").unwrap(), "d|d|a");
        assert_eq!(sub("${UNSET-d}|${EMPTY-d}|${A-d}").unwrap(), "d||a");
        assert_eq!(sub("${UNSET:+r}|${EMPTY:+r}|${A:+r}").unwrap(), "||r");
        assert_eq!(sub("${UNSET+r}|${EMPTY+r}|${A+r}").unwrap(), "|r|r");
        assert_eq!(sub("${EMPTY?m}|${A:?m}").unwrap(), "|a");
        assert_eq!(
            sub("${EMPTY:?need $A}").unwrap_err(),
            TemplateError::Required {
                name: "EMPTY".into(),
                reason: "need a".into()
            }
        );
        assert_eq!(
            sub("${UNSET?}").unwrap_err().to_string(),
            "required variable UNSET is missing a value"
        );
    }

    #[test]
    fn nested_defaults_are_substituted_only_when_used() {
        assert_eq!(sub("${UNSET:-${A}-x}/y").unwrap(), "a-x/y");
        assert_eq!(sub("${A:-${UNSET:?never}}").unwrap(), "a");
        assert_eq!(sub("${UNSET:-./data:rw}").unwrap(), "./data:rw");
    }

    #[test]
    fn a_model_copy_is_interpolated_in_its_values_only() {
        let vars: BTreeMap<&str, &str> = [("P", "true")].into();
        let lookup = |k: &str| vars.get(k).map(|v| (*v).to_owned());
        let raw = serde_json::json!({"services": {"${P}": {
            "privileged": "${P}", "pid": "${PM:-host}", "n": 3,
            "volumes": ["${ROOT:-/}:/h", "${BAD", "$$HOME:/x"]}}});
        assert_eq!(
            model(&raw, &lookup),
            serde_json::json!({"services": {"${P}": {
                "privileged": "true", "pid": "host", "n": 3,
                "volumes": ["/:/h", "${BAD", "$HOME:/x"]}}})
        );
    }

    #[test]
    fn malformed_expressions_are_errors() {
        for bad in ["${", "${A", "${}", "${1A}", "${A B}", "${A:x}", "${-x}"] {
            assert!(
                matches!(sub(bad), Err(TemplateError::Invalid(t)) if t == bad),
                "{bad}"
            );
        }
    }
}
