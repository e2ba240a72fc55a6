//! Tier-2 rules as Traefik 3 reads them, parsed to find the host names a router can serve.
//!
//! Traefik parses a rule as a Go expression (`vulcand/predicate` over `go/parser`): matcher
//! calls with string arguments (backtick raw strings, or double-quoted strings with `\`
//! escapes), combined with `&&`, `||`, `!` and parentheses; `||` binds looser than `&&`.
//! Traefik accepts a matcher's name as written, in lower case, upper case or capitalised; here
//! any case is read, so no spelling slips past the analysis.
//!
//! The analysis is conservative: the hosts it returns are a superset of every host the rule
//! can match, or it says the rule is unbounded (`PathPrefix(`/`)`, `!Host(...)`,
//! `Host(x) || PathPrefix(/)`). A regular-expression host matcher is refused outright: what it
//! matches cannot be checked against other repositories' host names cheaply.

use std::collections::BTreeSet;

/// The deepest nesting of parentheses and `!` read (a 2 KiB rule could nest 1,000 deep).
const MAX_DEPTH: usize = 32;

/// Why a rule is refused. Shown in `/health` after `label <key>: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RuleError {
    #[error("{what} at byte {at} of the rule")]
    Syntax { what: &'static str, at: usize },
    #[error("nesting deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("{0} is not a Traefik {1} rule matcher")]
    UnknownMatcher(String, &'static str),
    #[error(
        "{0} is refused: a rule names the hosts it serves with Host (HostSNI for TCP), a regular expression could match another repository's hosts"
    )]
    Regexp(String),
    #[error("{0} takes exactly one value")]
    Arity(String),
    #[error("{0:?} in {1} is not a host name")]
    BadHost(String, String),
    #[error(
        "the rule must name the hosts it serves: every alternative (each side of ||) needs a {0}, and ! cannot, or it would catch other repositories' hosts"
    )]
    Unbounded(&'static str),
}

/// A matcher as parsed: its canonical name and its arguments, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    Call(&'static str, Vec<String>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

const HTTP_MATCHERS: &[&str] = &[
    "Host",
    "HostRegexp",
    "Path",
    "PathPrefix",
    "PathRegexp",
    "Method",
    "Header",
    "HeaderRegexp",
    "Query",
    "QueryRegexp",
    "ClientIP",
];
const TCP_MATCHERS: &[&str] = &["HostSNI", "HostSNIRegexp", "ClientIP", "ALPN"];

/// The host a TCP rule gives for "every connection" (`` HostSNI(`*`) ``).
pub(crate) const ANY_SNI: &str = "*";

/// The host names `rule` can serve, lower case without a trailing dot; for TCP, [`ANY_SNI`]
/// stands for every connection on the entrypoint. Never empty.
pub(crate) fn hosts(rule: &str, tcp: bool) -> Result<BTreeSet<String>, RuleError> {
    let expr = parse(rule, tcp)?;
    let host_matcher = if tcp { "HostSNI" } else { "Host" };
    match bound(&expr, host_matcher)? {
        Some(set) if !set.is_empty() => Ok(set),
        _ => Err(RuleError::Unbounded(if tcp {
            "HostSNI(...)"
        } else {
            "Host(...)"
        })),
    }
}

/// Parses a whole rule.
pub(crate) fn parse(rule: &str, tcp: bool) -> Result<Expr, RuleError> {
    let mut p = Parser {
        s: rule.as_bytes(),
        i: 0,
        matchers: if tcp { TCP_MATCHERS } else { HTTP_MATCHERS },
        proto: if tcp { "TCP" } else { "HTTP" },
    };
    let e = p.or(0)?;
    p.skip_space();
    if p.i < p.s.len() {
        return Err(p.syntax("unexpected text"));
    }
    Ok(e)
}

/// A superset of the hosts `e` matches (None: unbounded). `host` names the exact-host matcher.
fn bound(e: &Expr, host: &str) -> Result<Option<BTreeSet<String>>, RuleError> {
    Ok(match e {
        Expr::Call(name, args) if name.ends_with("Regexp") && name.starts_with("Host") => {
            return Err(RuleError::Regexp((*name).to_owned()));
        }
        Expr::Call(name, args) if *name == host => {
            let [one] = args.as_slice() else {
                return Err(RuleError::Arity((*name).to_owned()));
            };
            Some(BTreeSet::from([host_value(one, name)?]))
        }
        Expr::Call(..) => None,
        Expr::Not(inner) => {
            // Still checked: a HostRegexp under ! is refused like any other.
            bound(inner, host)?;
            None
        }
        Expr::And(a, b) => match (bound(a, host)?, bound(b, host)?) {
            (None, x) | (x, None) => x,
            (Some(a), Some(b)) => Some(and(a, b)),
        },
        Expr::Or(a, b) => match (bound(a, host)?, bound(b, host)?) {
            (Some(mut a), Some(b)) => {
                a.extend(b);
                Some(a)
            }
            _ => None,
        },
    })
}

/// Both sides must match. `*` (every SNI) on one side leaves the other side's hosts; with `*`
/// on both, the union is a superset of what both match.
fn and(a: BTreeSet<String>, b: BTreeSet<String>) -> BTreeSet<String> {
    match (a.contains(ANY_SNI), b.contains(ANY_SNI)) {
        (false, false) => a.intersection(&b).cloned().collect(),
        (false, true) => a,
        (true, false) => b,
        (true, true) => a.union(&b).cloned().collect(),
    }
}

/// A host argument as Traefik compares it: lower case, one trailing dot ignored.
fn host_value(raw: &str, matcher: &str) -> Result<String, RuleError> {
    if matcher == "HostSNI" && raw == ANY_SNI {
        return Ok(ANY_SNI.to_owned());
    }
    let lower = raw.to_ascii_lowercase();
    let h = lower.strip_suffix('.').unwrap_or(&lower);
    if crate::routes::validate::is_host_name(h) {
        Ok(h.to_owned())
    } else {
        Err(RuleError::BadHost(raw.to_owned(), matcher.to_owned()))
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    matchers: &'static [&'static str],
    proto: &'static str,
}

impl Parser<'_> {
    fn syntax(&self, what: &'static str) -> RuleError {
        RuleError::Syntax { what, at: self.i }
    }

    fn skip_space(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    /// Consumes `tok` (after blanks) when it comes next.
    fn eat(&mut self, tok: &[u8]) -> bool {
        self.skip_space();
        if self.s[self.i..].starts_with(tok) {
            self.i += tok.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self, depth: usize) -> Result<Expr, RuleError> {
        let mut e = self.and(depth)?;
        while self.eat(b"||") {
            e = Expr::Or(Box::new(e), Box::new(self.and(depth)?));
        }
        Ok(e)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, RuleError> {
        let mut e = self.unary(depth)?;
        while self.eat(b"&&") {
            e = Expr::And(Box::new(e), Box::new(self.unary(depth)?));
        }
        Ok(e)
    }

    fn unary(&mut self, depth: usize) -> Result<Expr, RuleError> {
        if depth >= MAX_DEPTH {
            return Err(RuleError::TooDeep);
        }
        if self.eat(b"!") {
            return Ok(Expr::Not(Box::new(self.unary(depth + 1)?)));
        }
        if self.eat(b"(") {
            let e = self.or(depth + 1)?;
            if !self.eat(b")") {
                return Err(self.syntax("expected )"));
            }
            return Ok(e);
        }
        self.call()
    }

    fn call(&mut self) -> Result<Expr, RuleError> {
        self.skip_space();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        if start == self.i {
            return Err(self.syntax("expected a matcher"));
        }
        // ASCII only (checked above), so this slice is valid UTF-8.
        let word = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
        let name = self
            .matchers
            .iter()
            .find(|m| m.eq_ignore_ascii_case(&word))
            .ok_or_else(|| RuleError::UnknownMatcher(word.clone(), self.proto))?;
        if !self.eat(b"(") {
            return Err(self.syntax("expected ( after the matcher"));
        }
        let mut args = Vec::new();
        if !self.eat(b")") {
            loop {
                args.push(self.string()?);
                if self.eat(b")") {
                    break;
                }
                if !self.eat(b",") {
                    return Err(self.syntax("expected , or )"));
                }
            }
        }
        Ok(Expr::Call(name, args))
    }

    /// A Go string literal: `raw` or "interpreted". Escapes in an interpreted string are kept
    /// as written (so `\x2e` never becomes a `.` of a host name: it fails the host check).
    fn string(&mut self) -> Result<String, RuleError> {
        self.skip_space();
        let quote = match self.s.get(self.i) {
            Some(q @ (b'`' | b'"')) => *q,
            _ => return Err(self.syntax("expected a quoted value")),
        };
        let start = self.i + 1;
        let mut j = start;
        while j < self.s.len() && self.s[j] != quote {
            j += if quote == b'"' && self.s[j] == b'\\' {
                2
            } else {
                1
            };
        }
        if j >= self.s.len() {
            return Err(self.syntax("unterminated quote"));
        }
        self.i = j + 1;
        Ok(String::from_utf8_lossy(&self.s[start..j]).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(hs: &[&str]) -> BTreeSet<String> {
        hs.iter().map(|h| (*h).to_owned()).collect()
    }

    #[test]
    fn hosts_of_rules() {
        let cases: &[(&str, &[&str])] = &[
            ("Host(`a.com`)", &["a.com"]),
            ("host(`A.Com.`)", &["a.com"]),
            ("HOST(\"a.com\") && PathPrefix(`/x`)", &["a.com"]),
            ("Host(`a.com`) || Host(`b.com`)", &["a.com", "b.com"]),
            (
                "(Host(`a.com`) || Host(`b.com`)) && !Path(`/x`)",
                &["a.com", "b.com"],
            ),
            ("Host(`a.com`) && (Path(`/`) || Method(`GET`))", &["a.com"]),
            ("Host(`a.com`) && Host(`a.com`)", &["a.com"]),
            ("  Host ( `a.com` )  ", &["a.com"]),
        ];
        for (rule, want) in cases {
            assert_eq!(hosts(rule, false).unwrap(), set(want), "{rule}");
        }
        assert_eq!(hosts("HostSNI(`*`)", true).unwrap(), set(&["*"]));
        assert_eq!(
            hosts("HostSNI(`*`) && HostSNI(`db.a.com`)", true).unwrap(),
            set(&["db.a.com"])
        );
        assert_eq!(
            hosts("HostSNI(`*`) && ClientIP(`10.0.0.0/8`)", true).unwrap(),
            set(&["*"])
        );
    }

    #[test]
    fn refusals() {
        let unbounded = RuleError::Unbounded("Host(...)");
        let deep = "(".repeat(40);
        let cases: Vec<(&str, RuleError)> = vec![
            ("PathPrefix(`/`)", unbounded.clone()),
            ("Host(`a.com`) || PathPrefix(`/`)", unbounded.clone()),
            ("!Host(`a.com`)", unbounded.clone()),
            ("Host(`a.com`) && Host(`b.com`)", unbounded.clone()),
            ("HostRegexp(`.*`)", RuleError::Regexp("HostRegexp".into())),
            (
                "Host(`a.com`) && !hostregexp(`x`)",
                RuleError::Regexp("HostRegexp".into()),
            ),
            ("Host(`a.com`, `b.com`)", RuleError::Arity("Host".into())),
            ("Host()", RuleError::Arity("Host".into())),
            (
                "Host(`*.a.com`)",
                RuleError::BadHost("*.a.com".into(), "Host".into()),
            ),
            (
                "Host(\"a\\x2ecom\")",
                RuleError::BadHost("a\\x2ecom".into(), "Host".into()),
            ),
            (
                "Hosts(`a`)",
                RuleError::UnknownMatcher("Hosts".into(), "HTTP"),
            ),
            (
                "HostSNI(`a`)",
                RuleError::UnknownMatcher("HostSNI".into(), "HTTP"),
            ),
            (
                "Host(`a.com`) &",
                RuleError::Syntax {
                    what: "unexpected text",
                    at: 14,
                },
            ),
            (
                "Host(`a.com`",
                RuleError::Syntax {
                    what: "expected , or )",
                    at: 12,
                },
            ),
            (
                "Host(`a.com)",
                RuleError::Syntax {
                    what: "unterminated quote",
                    at: 5,
                },
            ),
            (
                "(Host(`a.com`)",
                RuleError::Syntax {
                    what: "expected )",
                    at: 14,
                },
            ),
            (
                "Host(a.com)",
                RuleError::Syntax {
                    what: "expected a quoted value",
                    at: 5,
                },
            ),
            (&deep, RuleError::TooDeep),
        ];
        for (rule, want) in cases {
            assert_eq!(hosts(rule, false).unwrap_err(), want, "{rule}");
        }
        assert_eq!(
            hosts("ClientIP(`1.2.3.4`)", true).unwrap_err(),
            RuleError::Unbounded("HostSNI(...)")
        );
        assert_eq!(
            hosts("HostSNIRegexp(`.+`)", true).unwrap_err(),
            RuleError::Regexp("HostSNIRegexp".into())
        );
    }

    #[test]
    fn quotes_hide_operators() {
        // `||` inside a value is part of the value, not an alternative.
        assert_eq!(
            hosts(
                "Host(`a.com`) && Header(`X`, \"a\\\" || PathPrefix(`/`)\")",
                false
            )
            .unwrap(),
            set(&["a.com"])
        );
    }

    #[test]
    fn messages_are_verbatim() {
        assert_eq!(
            RuleError::Unbounded("Host(...)").to_string(),
            "the rule must name the hosts it serves: every alternative (each side of ||) needs a Host(...), and ! cannot, or it would catch other repositories' hosts"
        );
        assert_eq!(
            RuleError::Regexp("HostRegexp".into()).to_string(),
            "HostRegexp is refused: a rule names the hosts it serves with Host (HostSNI for TCP), a regular expression could match another repository's hosts"
        );
        assert_eq!(
            RuleError::Syntax {
                what: "expected )",
                at: 3
            }
            .to_string(),
            "expected ) at byte 3 of the rule"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Arbitrary text never panics, and whatever is accepted names only host names.
        #[test]
        fn never_panics(rule in "\\PC{0,80}", tcp in proptest::bool::ANY) {
            if let Ok(hs) = hosts(&rule, tcp) {
                for h in hs {
                    proptest::prop_assert!(h == ANY_SNI || crate::routes::validate::is_host_name(&h));
                }
            }
        }

        /// Rule-shaped text (the grammar's own tokens) never panics either.
        #[test]
        fn token_soup_never_panics(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Host(", "host(", "HostRegexp(", "PathPrefix(", "HostSNI(", "!", "(", ")",
                    "&&", "||", ",", "`a.com`", "\"b.org\"", "`*`", "\"\\\"\"", " ", "`",
                ]),
                0..24,
            ),
            tcp in proptest::bool::ANY,
        ) {
            let rule: String = parts.concat();
            let _ = hosts(&rule, tcp);
        }
    }
}
