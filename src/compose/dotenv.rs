//! `.env` files as compose-go's `dotenv` package reads them (Compose v2 and its `--env-file`).
//! No crate fits: dotenvy refuses `KEY: value` lines and does not know `${VAR:-default}`, both
//! of which v2 accepts. The rules, from compose-go's parser:
//!
//! - blank lines and lines starting with `#` are skipped; `export ` before a key is ignored;
//! - a key is letters, digits, `_ . - [ ]`, ended by `=` or `:`; a key alone on its line takes
//!   its value from the environment (left out when unset there);
//! - an unquoted value runs to the end of the line, without a ` #` comment and trailing spaces;
//! - `'...'` is literal (`\'` for a quote); `"..."` knows `\n \t \" \\ \$` and the like; both may
//!   span lines;
//! - unquoted and double-quoted values are substituted (`crate::compose::interpolate`) with the
//!   environment first, then the keys already read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::interpolate::{self, TemplateError};
use crate::fsread;

#[derive(Debug, thiserror::Error)]
pub(crate) enum DotenvError {
    #[error("{}: line {line}: {message}; fix the line (compose reads this file too)", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}: {source}", path.display())]
    Template {
        path: PathBuf,
        source: TemplateError,
    },
    #[error("cannot read env file {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A FIFO, device, folder or oversized file where an env file should be.
    #[error("env file {0}")]
    Refused(crate::fsread::ReadError),
}

impl From<DotenvError> for crate::error::Error {
    /// A bad `.env` is bad input, like a bad compose file (exit status 3).
    fn from(e: DotenvError) -> Self {
        crate::error::Error::ComposeInput(e.to_string())
    }
}

/// Read `path` into `out` (its keys replace those already there). Values are substituted with
/// `env` first, then what `out` holds.
pub(crate) fn read_into(
    path: &Path,
    repo: Option<&Path>,
    env: interpolate::Lookup<'_>,
    out: &mut BTreeMap<String, String>,
) -> Result<(), DotenvError> {
    let text = read_text(path, repo)?;
    parse_into(&text, env, out).map_err(|e| match e {
        ParseError::Syntax { line, message } => DotenvError::Syntax {
            path: path.to_path_buf(),
            line,
            message,
        },
        ParseError::Template(source) => DotenvError::Template {
            path: path.to_path_buf(),
            source,
        },
    })
}

/// An env file's text, read bounded and without blocking: the repository's owner decides what
/// `.env` is, and a FIFO or `/dev/zero` there must not hang or swell renet, nor a link lead out
/// of `repo`.
pub(crate) fn read_text(path: &Path, repo: Option<&Path>) -> Result<String, DotenvError> {
    match fsread::read_source(path, repo) {
        Ok(text) => Ok(text),
        Err(fsread::ReadError::Io { source, .. }) => Err(DotenvError::Unreadable {
            path: path.to_path_buf(),
            source,
        }),
        Err(e) => Err(DotenvError::Refused(e)),
    }
}

/// Why an env file read as templates cannot be read: the line and the reason.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub(crate) struct SyntaxError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

/// The entries of an env file in order, each value kept as a compose template (not
/// substituted): the variables an included project defines for itself (`template::Overlay`).
/// A key alone on its line is skipped: compose takes it from the environment at run time.
pub(crate) fn parse_templates(text: &str) -> Result<Vec<(String, String)>, SyntaxError> {
    let mut p = Parser {
        line: 1,
        expand: false,
    };
    let no_env = |_: &str| None;
    let none = BTreeMap::new();
    let mut out = Vec::new();
    let mut rest = p.statement_start(text.strip_prefix('\u{feff}').unwrap_or(text));
    while !rest.is_empty() {
        let (key, after, inherited) = p.key(rest).map_err(syntax)?;
        if key.contains(' ') {
            return Err(syntax(p.error("key cannot contain a space".to_owned())));
        }
        rest = after;
        if !inherited {
            let (value, after) = p.value(after, &no_env, &none).map_err(syntax)?;
            out.push((key, value));
            rest = after;
        }
        rest = p.statement_start(rest);
    }
    Ok(out)
}

fn syntax(e: ParseError) -> SyntaxError {
    match e {
        ParseError::Syntax { line, message } => SyntaxError { line, message },
        // Nothing is substituted when reading templates.
        ParseError::Template(t) => SyntaxError {
            line: 0,
            message: t.to_string(),
        },
    }
}

#[derive(Debug, PartialEq, Eq)]
enum ParseError {
    Syntax { line: usize, message: String },
    Template(TemplateError),
}

fn parse_into(
    text: &str,
    env: interpolate::Lookup<'_>,
    out: &mut BTreeMap<String, String>,
) -> Result<(), ParseError> {
    let mut p = Parser {
        line: 1,
        expand: true,
    };
    let mut rest = p.statement_start(text.strip_prefix('\u{feff}').unwrap_or(text));
    while !rest.is_empty() {
        let (key, after, inherited) = p.key(rest)?;
        if key.contains(' ') {
            return Err(p.error("key cannot contain a space".to_owned()));
        }
        rest = if inherited {
            let found = env(&key).or_else(|| out.get(&key).cloned());
            if let Some(value) = found {
                out.insert(key, value);
            }
            after
        } else {
            let (value, after) = p.value(after, env, out)?;
            out.insert(key, value);
            after
        };
        rest = p.statement_start(rest);
    }
    Ok(())
}

struct Parser {
    line: usize,
    /// Substitute values (`.env` settings renet reads), or keep them as compose templates (an
    /// included project's variables, which compose interpolates in the model).
    expand: bool,
}

/// Spaces within a line (compose-go's `isSpace`: not the line break).
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

impl Parser {
    fn error(&self, message: String) -> ParseError {
        ParseError::Syntax {
            line: self.line,
            message,
        }
    }

    /// `s` from its next statement on: blank space and comment lines skipped.
    fn statement_start<'s>(&mut self, mut s: &'s str) -> &'s str {
        loop {
            let Some(at) = s.find(|c: char| !c.is_whitespace()) else {
                return "";
            };
            self.line += s[..at].matches('\n').count();
            s = &s[at..];
            if !s.starts_with('#') {
                return s;
            }
            match s.find('\n') {
                Some(nl) => s = &s[nl..],
                None => return "",
            }
        }
    }

    /// The key at the start of `s`, what follows its `=`/`:`, and whether it stood alone on
    /// its line (its value is then inherited from the environment).
    fn key<'s>(&mut self, s: &'s str) -> Result<(String, &'s str, bool), ParseError> {
        let mut s = s;
        if let Some(tail) = s.strip_prefix("export")
            && tail.starts_with([' ', '\t', '\n', '\r', '\u{c}'])
        {
            s = tail.trim_start_matches(is_space);
        }
        if s.is_empty() {
            return Err(self.error("zero length string".to_owned()));
        }
        let mut end = None;
        for (i, c) in s.char_indices() {
            match c {
                '=' | ':' | '\n' => {
                    end = Some((i, c == '\n'));
                    break;
                }
                '_' | '.' | '-' | '[' | ']' => {}
                c if is_space(c) || c.is_alphanumeric() => {}
                c => {
                    let first = s.lines().next().unwrap_or_default();
                    return Err(self.error(format!(
                        "unexpected character {:?} in variable name {first:?}",
                        c.to_string()
                    )));
                }
            }
        }
        // A last line without `=` is a value without a key, as compose-go reads it.
        let (key, after, inherited) = match end {
            Some((i, inherited)) => (&s[..i], &s[i + 1..], inherited),
            None => ("", s, false),
        };
        let key = key.trim_end();
        if inherited && !key.contains(' ') {
            self.line += 1;
        }
        Ok((
            key.to_owned(),
            after.trim_start_matches(is_space),
            inherited,
        ))
    }

    /// The value at the start of `s` and what follows it.
    fn value<'s>(
        &mut self,
        s: &'s str,
        env: interpolate::Lookup<'_>,
        out: &BTreeMap<String, String>,
    ) -> Result<(String, &'s str), ParseError> {
        let lookup = |k: &str| env(k).or_else(|| out.get(k).cloned());
        let quote = match s.as_bytes().first() {
            Some(q @ (b'\'' | b'"')) => *q,
            _ => {
                let (line, rest) = s.split_once('\n').unwrap_or((s, ""));
                self.line += 1;
                let value = line.split_once(" #").map_or(line, |(v, _)| v).trim_end();
                if !self.expand {
                    return Ok((value.to_owned(), rest));
                }
                let value =
                    interpolate::substitute(value, &lookup).map_err(ParseError::Template)?;
                return Ok((value, rest));
            }
        };
        let bytes = s.as_bytes();
        let mut chars = Vec::new();
        let mut escaped = false;
        for (i, &b) in bytes.iter().enumerate().skip(1) {
            if b == b'\n' {
                self.line += 1;
            }
            if b != quote {
                if !escaped && b == b'\\' {
                    escaped = true;
                    continue;
                }
                if escaped {
                    escaped = false;
                    chars.push(b'\\');
                }
                chars.push(b);
                continue;
            }
            if escaped {
                escaped = false;
                chars.push(b);
                continue;
            }
            let value = String::from_utf8_lossy(&chars).into_owned();
            let value = match (quote, self.expand) {
                (b'"', true) => interpolate::substitute(&unescape(&value), &lookup)
                    .map_err(ParseError::Template)?,
                (b'"', false) => unescape(&value),
                // A single-quoted value is literal: as a template its `$` must stay one.
                (_, false) => value.replace('$', "$$"),
                _ => value,
            };
            return Ok((value, &s[i + 1..]));
        }
        let first = s.lines().next().unwrap_or_default();
        Err(self.error(format!("unterminated quoted value {first}")))
    }
}

/// The escapes of a double-quoted value: `\a \b \f \n \r \t \v \" \\`, `\$` (a literal `$`,
/// kept as `$$` for the substitution after it) and `\0ooo` (octal); any other `\x` stays.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let simple = match after.chars().next() {
            Some('a') => Some("\u{7}"),
            Some('b') => Some("\u{8}"),
            Some('f') => Some("\u{c}"),
            Some('n') => Some("\n"),
            Some('r') => Some("\r"),
            Some('t') => Some("\t"),
            Some('v') => Some("\u{b}"),
            Some('"') => Some("\""),
            Some('\\') => Some("\\"),
            Some('$') => Some("$$"),
            _ => None,
        };
        if let Some(text) = simple {
            out.push_str(text);
            rest = &after[1..];
        } else if let Some(digits) = after.strip_prefix('0') {
            let n = digits
                .bytes()
                .take(3)
                .take_while(u8::is_ascii_digit)
                .count();
            let octal = u8::from_str_radix(&digits[..n], 8).ok().filter(|_| n == 3);
            match octal {
                Some(byte) => out.push(char::from(byte)),
                None => {
                    out.push('\\');
                    out.push('0');
                    out.push_str(&digits[..n]);
                }
            }
            rest = &digits[n..];
        } else {
            out.push('\\');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<BTreeMap<String, String>, ParseError> {
        let env: BTreeMap<&str, &str> = [("HOME", "/root"), ("SET_EMPTY", "")].into();
        let mut out = BTreeMap::new();
        parse_into(text, &|k| env.get(k).map(|v| (*v).to_owned()), &mut out)?;
        Ok(out)
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn keys_values_comments_and_export() {
        let text = "\u{feff}# comment\n\nA=1\nexport B = two words  # note\nC: yaml-style\n\
                    D=#not-a-comment\n  E=\r\nF.G-H[0]=x\n";
        assert_eq!(
            parse(text).unwrap(),
            map(&[
                ("A", "1"),
                ("B", "two words"),
                ("C", "yaml-style"),
                ("D", "#not-a-comment"),
                ("E", ""),
                ("F.G-H[0]", "x"),
            ])
        );
    }

    #[test]
    fn quotes_and_escapes() {
        let text = "S='lit $HOME \\n \\' x'\nD=\"a\\tb \\\"q\\\" \\$HOME $HOME \\x \\0101\"\n\
                    M=\"line1\nline2\" # after\nN=after\n";
        assert_eq!(
            parse(text).unwrap(),
            map(&[
                ("D", "a\tb \"q\" $HOME /root \\x A"),
                ("M", "line1\nline2"),
                ("N", "after"),
                ("S", "lit $HOME \\n ' x"),
            ])
        );
    }

    #[test]
    fn substitution_sees_the_environment_then_earlier_keys() {
        let text = "A=a\nB=${A}-${HOME}-${NOPE:-d}\nHOME=mine\nC=$HOME\nSET_EMPTY\nUNSET\n";
        assert_eq!(
            parse(text).unwrap(),
            map(&[
                ("A", "a"),
                ("B", "a-/root-d"),
                ("C", "/root"),
                ("HOME", "mine"),
                ("SET_EMPTY", ""),
            ])
        );
    }

    #[test]
    fn errors_say_which_line() {
        assert_eq!(
            parse("A=1\n\nB C=2\n").unwrap_err(),
            ParseError::Syntax {
                line: 3,
                message: "key cannot contain a space".into()
            }
        );
        assert_eq!(
            parse("A=1\nB!=2\n").unwrap_err(),
            ParseError::Syntax {
                line: 2,
                message: "unexpected character \"!\" in variable name \"B!=2\"".into()
            }
        );
        assert!(matches!(
            parse("A=\"open\nB=1\n").unwrap_err(),
            ParseError::Syntax { message, .. } if message.starts_with("unterminated quoted value")
        ));
        assert!(matches!(
            parse("A=${B:?needed}\n").unwrap_err(),
            ParseError::Template(TemplateError::Required { .. })
        ));
    }

    #[test]
    fn read_into_names_the_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join(".env");
        fs_err::write(&path, "OK=1\nbad key=2\n").expect("write");
        let mut out = BTreeMap::new();
        let err = read_into(&path, None, &|_| None, &mut out)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!(
                "{}: line 2: key cannot contain a space",
                path.display()
            )),
            "{err}"
        );
        let err = read_into(&tmp.path().join("none"), None, &|_| None, &mut out).unwrap_err();
        assert!(matches!(err, DotenvError::Unreadable { .. }), "{err}");
        // A FIFO is refused at once (a plain read would wait for a writer for ever).
        let fifo = tmp.path().join("fifo.env");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("fifo");
        let err = read_into(&fifo, None, &|_| None, &mut out)
            .unwrap_err()
            .to_string();
        assert!(err.contains("fifo.env") && err.contains("FIFO"), "{err}");
    }

    #[test]
    fn templates_keep_their_references_in_file_order() {
        let text = "B=${HOME}/x # note\nexport A: 'lit $x'\nINHERITED\nC=\"say \\$HOME\\n\"\n";
        assert_eq!(
            parse_templates(text).unwrap(),
            [
                ("B".to_owned(), "${HOME}/x".to_owned()),
                ("A".to_owned(), "lit $$x".to_owned()),
                ("C".to_owned(), "say $$HOME\n".to_owned()),
            ]
        );
        let bad = parse_templates("OK=1\nbad key=2\n").unwrap_err();
        assert_eq!(bad.line, 2, "{bad}");
        assert!(parse_templates("X=\"open\n").is_err());
    }
}
