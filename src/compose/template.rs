//! Compose's `${...}` templates, read as compose-go's `template` package reads them, for the
//! two rewrites the loader makes while leaving interpolation itself to compose:
//!
//! * [`with_overlay`]: an included project's own `.env` (or its `env_file`) defines variables
//!   for that project only. compose interpolates renet's one merged model with the main
//!   project's environment, so a reference to such a variable gets the included value as its
//!   default: `${TAG}` becomes `${TAG-value}`. The process environment and the main `.env`
//!   still win, as they do in v2, which looks them up first.
//! * [`map_leading_arg`]: a relative path inside `${VAR:-./x}` in an included or extended file
//!   must resolve against that file's folder, as in v2, which interpolates each file before it
//!   resolves its paths. The default part is made absolute; the variable's own value, when set,
//!   stays compose's to read (against the main project folder).

use std::collections::HashMap;

/// One `$` expression of a template.
#[derive(Debug, PartialEq)]
enum Expr<'a> {
    /// `$NAME`
    Named(&'a str),
    /// `${NAME}` (empty `op`) or `${NAME<op><arg>}`, `op` one of `:-`, `-`, `:?`, `?`, `:+`, `+`.
    Braced {
        name: &'a str,
        op: &'a str,
        arg: &'a str,
    },
}

fn is_name_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

fn name_len(s: &[u8]) -> usize {
    s.iter()
        .take_while(|b| **b == b'_' || b.is_ascii_alphanumeric())
        .count()
}

/// compose-go's `getFirstBraceClosingIndex`, quirks included (the byte after each `{` is
/// skipped).
fn closing_brace(s: &[u8]) -> Option<usize> {
    let mut open = 0usize;
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'}' {
            open = open.saturating_sub(1);
            if open == 0 {
                return Some(i);
            }
        }
        if s[i] == b'{' {
            open += 1;
            i += 1;
        }
        i += 1;
    }
    None
}

/// `NAME`, `NAME<op><arg>` inside braces; None when compose would call it invalid.
fn braced(content: &str) -> Option<Expr<'_>> {
    let bytes = content.as_bytes();
    if !bytes.first().copied().is_some_and(is_name_start) {
        return None;
    }
    let n = name_len(bytes);
    let (name, rest) = content.split_at(n);
    let op_len = match rest.as_bytes() {
        [] => 0,
        [b':', b'-' | b'+' | b'?', ..] => 2,
        [b'-' | b'+' | b'?', ..] => 1,
        _ => return None,
    };
    let (op, arg) = rest.split_at(op_len);
    Some(Expr::Braced { name, op, arg })
}

/// The next expression at or after `from`: its byte range and what it is. `$$` is skipped, as
/// are expressions compose would refuse (compose reports those itself).
fn next_expr(s: &str, from: usize) -> Option<(usize, usize, Expr<'_>)> {
    let bytes = s.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => i += 2,
            Some(b) if is_name_start(*b) => {
                let end = i + 1 + name_len(&bytes[i + 1..]);
                return Some((i, end, Expr::Named(&s[i + 1..end])));
            }
            Some(b'{') => match closing_brace(&bytes[i..]) {
                Some(close) => {
                    let end = i + close + 1;
                    match braced(&s[i + 2..end - 1]) {
                        Some(expr) => return Some((i, end, expr)),
                        None => i = end,
                    }
                }
                None => return None,
            },
            _ => i += 1,
        }
    }
    None
}

/// Variables an included project defines for itself, as templates (their values may refer to
/// other variables, and a literal `$` is `$$`), each marked whether an outer project defined it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Overlay(HashMap<String, (String, bool)>);

impl Overlay {
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|(v, _)| v.as_str())
    }

    /// The overlay of a project included by this one: these variables, now outer ones.
    pub(crate) fn child(&self) -> Overlay {
        Overlay(
            self.0
                .iter()
                .map(|(k, (v, _))| (k.clone(), (v.clone(), true)))
                .collect(),
        )
    }

    /// Defines `name` unless an outer project defines it (the outer value wins, as in v2,
    /// where the including project's environment is looked up first); a later definition of
    /// this project replaces an earlier one. `value` is a template, read in this overlay.
    pub(crate) fn define(&mut self, name: String, value: &str) {
        if self.0.get(&name).is_some_and(|(_, outer)| *outer) {
            return;
        }
        let value = with_overlay(value, self).unwrap_or_else(|| value.to_string());
        self.0.insert(name, (value, false));
    }
}

/// `s` with every reference to a variable of `env` given that variable's value as default
/// (see the module comment); None when nothing changes. A value that would unbalance the
/// braces of the expression is left out (compose could not read it back).
pub(crate) fn with_overlay(s: &str, env: &Overlay) -> Option<String> {
    if env.is_empty() || !s.contains('$') {
        return None;
    }
    let mut out = String::new();
    let mut last = 0;
    let mut pos = 0;
    while let Some((start, end, expr)) = next_expr(s, pos) {
        pos = end;
        if let Some(replacement) = overlay_expr(&expr, env) {
            out.push_str(&s[last..start]);
            out.push_str(&replacement);
            last = end;
        }
    }
    if last == 0 {
        return None;
    }
    out.push_str(&s[last..]);
    Some(out)
}

fn overlay_expr(expr: &Expr<'_>, env: &Overlay) -> Option<String> {
    let (name, op, arg) = match *expr {
        Expr::Named(name) => (name, "", ""),
        Expr::Braced { name, op, arg } => (name, op, arg),
    };
    // compose substitutes the argument with the same variables.
    let new_arg = with_overlay(arg, env);
    let arg = new_arg.as_deref().unwrap_or(arg);
    let unchanged = || new_arg.as_ref().map(|_| format!("${{{name}{op}{arg}}}"));
    let Some(value) = env.get(name).filter(|v| fits(name, v)) else {
        return unchanged();
    };
    // v2 reads the outer environment first, then the included project's value. `-`, `?` and
    // no op: the variable is always set there. `:-`, `:?`: the default only when both are
    // empty (an outer variable set to "" is read as the included value here: the one case
    // these spellings cannot tell apart). `+`: always set; `:+`: set unless empty.
    Some(match op {
        "" | "-" | "?" => format!("${{{name}-{value}}}"),
        ":-" | ":?" if value.is_empty() => return unchanged(),
        ":-" | ":?" => format!("${{{name}:-{value}}}"),
        ":+" if value.is_empty() => return unchanged(),
        _ => arg.to_string(),
    })
}

/// Whether `${name-value}` reads back as one expression.
fn fits(name: &str, value: &str) -> bool {
    let expr = format!("${{{name}-{value}}}");
    closing_brace(expr.as_bytes()) == Some(expr.len() - 1)
}

/// For `s` starting with `${NAME<op>ARG}` where `op` can yield ARG (`-`, `:-`, `+`, `:+`):
/// `s` with ARG replaced by `f(ARG, rest of s)` (recursively when ARG is itself such a
/// template); None when `s` does not start so or `f` leaves ARG alone.
pub(crate) fn map_leading_arg(s: &str, f: &dyn Fn(&str, &str) -> Option<String>) -> Option<String> {
    let (0, end, Expr::Braced { name, op, arg }) = next_expr(s, 0)? else {
        return None;
    };
    if !matches!(op, "-" | ":-" | "+" | ":+") {
        return None;
    }
    let rest = &s[end..];
    let new_arg = if arg.starts_with('$') {
        map_leading_arg(arg, f)?
    } else {
        f(arg, rest)?
    };
    Some(format!("${{{name}{op}{new_arg}}}{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlay(pairs: &[(&str, &str)]) -> Overlay {
        let mut o = Overlay::default();
        for (k, v) in pairs {
            o.define((*k).to_string(), v);
        }
        o
    }

    #[test]
    fn expressions_are_found_as_compose_reads_them() {
        fn all(s: &str) -> Vec<(usize, usize, Expr<'_>)> {
            let mut out = Vec::new();
            let mut pos = 0;
            while let Some((a, b, e)) = next_expr(s, pos) {
                out.push((a, b, e));
                pos = b;
            }
            out
        }
        assert_eq!(
            all("a $$B $C_1x ${D} ${E:-${F}x} ${g?err} ${bad name} $"),
            [
                (6, 11, Expr::Named("C_1x")),
                (
                    12,
                    16,
                    Expr::Braced {
                        name: "D",
                        op: "",
                        arg: ""
                    }
                ),
                (
                    17,
                    28,
                    Expr::Braced {
                        name: "E",
                        op: ":-",
                        arg: "${F}x"
                    }
                ),
                (
                    29,
                    37,
                    Expr::Braced {
                        name: "g",
                        op: "?",
                        arg: "err"
                    }
                ),
            ]
        );
        assert_eq!(all("${unclosed"), []);
    }

    #[test]
    fn overlay_gives_its_values_as_defaults() {
        let env = overlay(&[("TAG", "sub"), ("EMPTY", ""), ("REF", "${TAG}-x")]);
        let w = |s: &str| with_overlay(s, &env);
        assert_eq!(w("img:$TAG").as_deref(), Some("img:${TAG-sub}"));
        assert_eq!(w("${TAG}").as_deref(), Some("${TAG-sub}"));
        assert_eq!(w("${TAG:-d}").as_deref(), Some("${TAG:-sub}"));
        assert_eq!(w("${TAG-d}").as_deref(), Some("${TAG-sub}"));
        assert_eq!(w("${TAG:?no}").as_deref(), Some("${TAG:-sub}"));
        assert_eq!(w("${TAG:+yes}").as_deref(), Some("yes"));
        assert_eq!(w("${EMPTY:-d}"), None);
        assert_eq!(w("${EMPTY}").as_deref(), Some("${EMPTY-}"));
        assert_eq!(w("${OTHER:-$TAG}").as_deref(), Some("${OTHER:-${TAG-sub}}"));
        // A value referring to an earlier one was read in the overlay when it was defined.
        assert_eq!(w("$REF").as_deref(), Some("${REF-${TAG-sub}-x}"));
        assert_eq!(w("$$TAG ${OTHER}"), None);
        assert_eq!(with_overlay("$TAG", &Overlay::default()), None);
    }

    #[test]
    fn an_outer_value_wins_and_unbalanced_values_are_left_out() {
        let mut env = overlay(&[("A", "outer")]).child();
        env.define("A".into(), "inner");
        assert_eq!(env.get("A"), Some("outer"));
        let mut env = overlay(&[("A", "first")]);
        env.define("A".into(), "second");
        assert_eq!(env.get("A"), Some("second"));
        let mut env = env.child();
        env.define("B".into(), "own");
        env.define("B".into(), "later");
        assert_eq!(env.get("B"), Some("later"));
        let env = overlay(&[("B", "x}y"), ("C", "{c}")]);
        assert_eq!(with_overlay("${B}", &env), None);
        assert_eq!(with_overlay("$C", &env).as_deref(), Some("${C-{c}}"));
    }

    #[test]
    fn leading_argument_is_mapped() {
        let abs = |arg: &str, rest: &str| {
            format!("{arg}{rest}")
                .starts_with('.')
                .then(|| format!("/p/{arg}"))
        };
        let m = |s: &str| map_leading_arg(s, &abs);
        assert_eq!(m("${D:-./data}").as_deref(), Some("${D:-/p/./data}"));
        assert_eq!(m("${D-.}/x").as_deref(), Some("${D-/p/.}/x"));
        assert_eq!(m("${D:-${E:-./e}}").as_deref(), Some("${D:-${E:-/p/./e}}"));
        assert_eq!(m("${D:-data}"), None);
        assert_eq!(m("${D:?./x}"), None);
        assert_eq!(m("${D}"), None);
        assert_eq!(m("x${D:-./d}"), None);
    }
}
