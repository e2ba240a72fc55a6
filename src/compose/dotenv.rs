//! `.env` files as compose-go's `dotenv` package reads them, for the variables an included
//! project defines for itself (see [`super::template`]).
//!
//! Written here rather than taken from a crate because renet needs each value as a compose
//! template, not expanded: the value's own `${VAR}` references must stay for compose to
//! resolve against the environment of the run. The rules are compose-go's: `KEY=VALUE` or
//! `KEY: VALUE`, an optional `export ` prefix, `#` comment lines, unquoted values cut at ` #`
//! and trimmed, single quotes literal, double quotes with shell escapes (`\n`, `\t`, `\\`,
//! `\"`, `\$`, `\0NNN` ...) and multi-line values; a line holding only `KEY` takes the
//! variable from the environment, which compose does at run time, so it is skipped here.

/// Why an env file cannot be read, with its 1-based line.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum DotenvError {
    #[error("unexpected character {found:?} in variable name {name:?}")]
    BadName {
        line: usize,
        found: char,
        name: String,
    },
    #[error("a key cannot contain a space")]
    SpaceInKey { line: usize },
    #[error("unterminated quoted value {start}")]
    Unterminated { line: usize, start: String },
}

impl DotenvError {
    pub(crate) fn line(&self) -> Option<u32> {
        let (DotenvError::BadName { line, .. }
        | DotenvError::SpaceInKey { line }
        | DotenvError::Unterminated { line, .. }) = self;
        u32::try_from(*line).ok()
    }
}

/// The entries of an env file in order: each key with its value as a compose template.
pub(crate) fn parse(text: &str) -> Result<Vec<(String, String)>, DotenvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser { line: 1 };
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        rest = parser.statement_start(rest);
        if rest.is_empty() {
            return Ok(out);
        }
        let (key, after, inherited) = parser.key(rest)?;
        if key.contains(' ') {
            return Err(DotenvError::SpaceInKey { line: parser.line });
        }
        if inherited {
            rest = after;
            continue;
        }
        let (value, after) = parser.value(after)?;
        out.push((key.to_string(), value));
        rest = after;
    }
}

/// compose-go's `isSpace`: white space but not a line break.
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

struct Parser {
    line: usize,
}

impl Parser {
    /// Skips white space and comment lines, counting lines.
    fn statement_start<'a>(&mut self, mut src: &'a str) -> &'a str {
        loop {
            let Some(pos) = src.find(|c: char| !c.is_whitespace()) else {
                return "";
            };
            self.line += src[..pos].matches('\n').count();
            src = &src[pos..];
            if !src.starts_with('#') {
                return src;
            }
            match src.find('\n') {
                Some(nl) => src = &src[nl..],
                None => return "",
            }
        }
    }

    /// The key, what follows its `=`/`:`, and whether the line holds the key alone.
    fn key<'a>(&mut self, src: &'a str) -> Result<(&'a str, &'a str, bool), DotenvError> {
        let src = match src.strip_prefix("export") {
            Some(rest) if rest.starts_with(is_space) => rest.trim_start_matches(is_space),
            _ => src,
        };
        for (i, c) in src.char_indices() {
            match c {
                '=' | ':' | '\n' => {
                    let inherited = c == '\n';
                    let key = src[..i].trim_end();
                    if inherited && !key.contains(' ') {
                        self.line += 1;
                    }
                    let rest = src[i + 1..].trim_start_matches(is_space);
                    return Ok((key, rest, inherited));
                }
                c if is_space(c) || c.is_alphanumeric() || "_.-[]".contains(c) => {}
                found => {
                    return Err(DotenvError::BadName {
                        line: self.line,
                        found,
                        name: src.lines().next().unwrap_or_default().to_string(),
                    });
                }
            }
        }
        // The last line holds a key alone.
        Ok((src.trim_end(), "", true))
    }

    /// The value as a template, and the text after it.
    fn value<'a>(&mut self, src: &'a str) -> Result<(String, &'a str), DotenvError> {
        let Some(quote) = src.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            let (line, rest) = src.split_once('\n').unwrap_or((src, ""));
            self.line += 1;
            let value = line.split(" #").next().unwrap_or_default();
            return Ok((value.trim_end().to_string(), rest));
        };
        let mut chars = String::new();
        let mut escaped = false;
        for (i, c) in src.char_indices().skip(1) {
            if c == '\n' {
                self.line += 1;
            }
            if c != quote {
                if !escaped && c == '\\' {
                    escaped = true;
                    continue;
                }
                if escaped {
                    escaped = false;
                    chars.push('\\');
                }
                chars.push(c);
                continue;
            }
            if escaped {
                escaped = false;
                chars.push(c);
                continue;
            }
            let value = if quote == '"' {
                unescape(&chars)
            } else {
                chars.replace('$', "$$")
            };
            return Ok((value, &src[i + 1..]));
        }
        Err(DotenvError::Unterminated {
            line: self.line,
            start: src.lines().next().unwrap_or_default().to_string(),
        })
    }
}

/// compose-go's `expandEscapes`: `\$` stays an escaped dollar (`$$`), the C escapes become
/// their characters, `\0NNN` is octal; anything else is kept as written.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let simple = match chars.peek() {
            Some('a') => Some('\u{7}'),
            Some('b') => Some('\u{8}'),
            Some('c') => None,
            Some('f') => Some('\u{c}'),
            Some('n') => Some('\n'),
            Some('r') => Some('\r'),
            Some('t') => Some('\t'),
            Some('v') => Some('\u{b}'),
            Some('"') => Some('"'),
            Some('\\') => Some('\\'),
            _ => None,
        };
        match (simple, chars.peek()) {
            (Some(ch), _) => {
                chars.next();
                out.push(ch);
            }
            (None, Some('$')) => {
                chars.next();
                out.push_str("$$");
            }
            (None, Some('0')) => {
                chars.next();
                let mut digits = String::new();
                while digits.len() < 3 && chars.peek().is_some_and(|d| d.is_digit(8)) {
                    digits.extend(chars.next());
                }
                // Go's `UnquoteChar` takes exactly three octal digits, up to \377.
                let code = u32::from_str_radix(&digits, 8).ok().filter(|c| *c <= 0o377);
                match code.and_then(char::from_u32) {
                    Some(ch) if digits.len() == 3 => out.push(ch),
                    _ => {
                        out.push_str("\\0");
                        out.push_str(&digits);
                    }
                }
            }
            _ => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        parse(text).expect("parses")
    }

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn compose_go_rules() {
        let text = "\u{feff}# comment\nA=1\nexport B = two words # note\nC: yaml\n\n  D=\"x\\ny \\$z $E\"\nF='lit $G \\n'\nINHERITED\nH=\"multi\nline\"\nI=\nJ=a#b\n";
        assert_eq!(
            pairs(text),
            [
                p("A", "1"),
                p("B", "two words"),
                p("C", "yaml"),
                p("D", "x\ny $$z $E"),
                p("F", "lit $$G \\n"),
                p("H", "multi\nline"),
                p("I", ""),
                p("J", "a#b"),
            ]
        );
    }

    #[test]
    fn escapes() {
        assert_eq!(unescape(r"a\tb\\c\0101\q"), "a\tb\\cA\\q");
        assert_eq!(unescape(r"\01x\0777"), r"\01x\0777");
        assert_eq!(pairs(r#"Q="say \"hi\"""#), [p("Q", "say \"hi\"")]);
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(
            parse("A=1\nB C=2\n"),
            Err(DotenvError::SpaceInKey { line: 2 })
        );
        assert!(matches!(
            parse("A=1\nB$=2\n"),
            Err(DotenvError::BadName {
                line: 2,
                found: '$',
                ..
            })
        ));
        assert!(matches!(
            parse("A=\"open\n"),
            Err(DotenvError::Unterminated { .. })
        ));
    }
}
