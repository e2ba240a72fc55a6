//! Loader errors. Every message names the file it is about (with its line when one is known)
//! and says what to change.

use std::fmt;
use std::path::{Path, PathBuf};

/// A file and, when known, a 1-based line and column in it, shown as `path:line:col`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub path: PathBuf,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl Loc {
    pub(crate) fn file(path: &Path) -> Loc {
        Loc {
            path: path.to_path_buf(),
            line: None,
            column: None,
        }
    }

    pub(crate) fn line(path: &Path, line: Option<u32>) -> Loc {
        Loc {
            path: path.to_path_buf(),
            line,
            column: None,
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
// `pub`: a variant of the public `crate::error::Error` holds it.
pub enum LoadError {
    #[error("compose file not found: {}", path.display())]
    NotFound { path: PathBuf },

    #[error("cannot read compose file {}: {source}; check that it is a readable file", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A FIFO, device, folder or oversized file where a compose file should be.
    #[error("compose file {0}")]
    Refused(crate::fsread::ReadError),

    #[error("{loc}: invalid YAML: {message}")]
    Yaml { loc: Loc, message: String },

    #[error(
        "{loc}: a compose file must be a mapping at the top level (such as `services:`), but this one is {found}"
    )]
    TopLevelNotMapping { loc: Loc, found: &'static str },

    #[error(
        "{loc}: `services` must be a mapping from service names to their definitions, but it is {found}; write each service under it, or `services: {{}}` for none"
    )]
    ServicesNotMapping { loc: Loc, found: &'static str },

    #[error(
        "{}: empty compose file: it defines nothing (Compose v2 refuses it); add a `services:` section", path.display()
    )]
    Empty { path: PathBuf },

    #[error(
        "{loc}: `{key}` is not a Compose key in `{at}` (Compose v2 refuses it); fix its spelling, or name it `x-{key}` to keep it as an extension"
    )]
    UnknownKey { loc: Loc, key: String, at: String },

    #[error(
        "{loc}: `{}` is not a valid name in `{at}` (Compose v2 refuses it); use only letters, digits, `.`, `_` and `-`",
        name.escape_debug()
    )]
    InvalidName { loc: Loc, name: String, at: String },

    #[error(
        "{loc}: the key `{key}` in `{at}` reads as a number, a boolean or null, and compose keys must be text; quote it (\"{key}\":)"
    )]
    NonStringKey { loc: Loc, key: String, at: String },

    #[error("{loc}: {reason}")]
    EnvFile { loc: Loc, reason: String },

    #[error(
        "{loc}: service \"{service}\" must be a mapping of its settings (such as `image: ...`), but it is {found}"
    )]
    ServiceNotMapping {
        loc: Loc,
        service: String,
        found: &'static str,
    },

    #[error(
        "{loc}: unknown YAML tag `{tag}`; compose only understands !reset and !override, remove the tag or quote the value"
    )]
    UnknownTag { loc: Loc, tag: String },

    #[error(
        "{loc}: the `<<` merge key at `{at}` must be an alias to a mapping or a list of such aliases, but it is {found}"
    )]
    InvalidMergeKey {
        loc: Loc,
        at: String,
        found: &'static str,
    },

    #[error("{loc}: the mapping at `{at}` has a key that is {found}; keys must be plain scalars")]
    InvalidKey {
        loc: Loc,
        at: String,
        found: &'static str,
    },

    #[error(
        "{loc}: service \"{service}\" has an invalid `extends`: {reason}; write `extends: {{service: <name>, file: <optional path>}}`"
    )]
    InvalidExtends {
        loc: Loc,
        service: String,
        reason: String,
    },

    #[error("{loc}: service \"{service}\" extends service \"{target}\", which is not defined in {}; fix the name or add that service", target_file.display())]
    ExtendsServiceMissing {
        loc: Loc,
        service: String,
        target: String,
        target_file: PathBuf,
    },

    #[error("extends cycle: {}; remove one of these `extends`", chain.join(" -> "))]
    ExtendsCycle { chain: Vec<String> },

    #[error(
        "{loc}: invalid `include` entry: {reason}; write a path or `{{path: <path or list>, project_directory: <dir>}}`"
    )]
    InvalidInclude { loc: Loc, reason: String },

    #[error("include conflict: {kind} \"{name}\" is defined in {} and again in {}; rename it or define it in only one of them", included.display(), existing.display())]
    IncludeConflict {
        kind: &'static str,
        name: String,
        included: PathBuf,
        existing: PathBuf,
    },

    #[error("include cycle: {}; remove one of these `include` entries", chain.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" -> "))]
    IncludeCycle { chain: Vec<PathBuf> },
}

/// Best-effort line of the first line in `source` for which `pred` holds (1-based). The YAML
/// value tree keeps no positions, so errors found after parsing locate their subject this way.
pub(crate) fn find_line(source: &str, pred: impl Fn(&str) -> bool) -> Option<u32> {
    source
        .lines()
        .position(pred)
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// Best-effort line of the key at `path` (keys from the top, `[i]` for list items) in
/// block-style YAML: each key is looked for below its parent and indented deeper; the deepest
/// key found gives the line. Used only to point an error at its place.
pub(crate) fn find_path_line(source: &str, path: &[&str]) -> Option<u32> {
    let lines: Vec<&str> = source.lines().collect();
    let (mut from, mut parent_indent, mut found) = (0usize, None::<usize>, None::<usize>);
    for key in path.iter().filter(|k| !k.starts_with('[')) {
        let mut hit = None;
        for (i, line) in lines.iter().enumerate().skip(from) {
            let text = line.trim_start();
            if text.is_empty() || text.starts_with('#') {
                continue;
            }
            let indent = line.len() - text.len();
            // List items may sit at their parent key's own indentation.
            if parent_indent.is_some_and(|p| indent < p || (indent == p && !text.starts_with('-')))
            {
                break;
            }
            let item = text.trim_start_matches(['-', ' ']);
            let key_indent = indent + (text.len() - item.len());
            if is_key(item, key) {
                hit = Some((i, key_indent));
                break;
            }
        }
        let Some((i, indent)) = hit else { break };
        (from, parent_indent, found) = (i + 1, Some(indent), Some(i));
    }
    found.and_then(|i| u32::try_from(i + 1).ok())
}

/// Whether `text` starts with `key:` in any quoting.
fn is_key(text: &str, key: &str) -> bool {
    [
        format!("{key}:"),
        format!("\"{key}\":"),
        format!("'{key}':"),
    ]
    .iter()
    .any(|p| {
        text.strip_prefix(p.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loc_display() {
        let mut loc = Loc::line(Path::new("/p/compose.yaml"), Some(3));
        assert_eq!(loc.to_string(), "/p/compose.yaml:3");
        loc.column = Some(7);
        assert_eq!(loc.to_string(), "/p/compose.yaml:3:7");
        assert_eq!(Loc::file(Path::new("a.yml")).to_string(), "a.yml");
    }

    #[test]
    fn not_found_message_is_exact() {
        let e = LoadError::NotFound {
            path: PathBuf::from("/x/compose.yaml"),
        };
        assert_eq!(e.to_string(), "compose file not found: /x/compose.yaml");
    }

    #[test]
    fn find_path_line_walks_down_the_keys() {
        let src = "x:\n  web: 1\nservices:\n  db:\n    image: a\n  web:\n    image: b\n    volumes:\n    - source: x\n      bad: 1\n    \"quoted\": 2\n";
        assert_eq!(find_path_line(src, &["services", "web", "image"]), Some(7));
        assert_eq!(
            find_path_line(src, &["services", "web", "volumes", "[0]", "bad"]),
            Some(10)
        );
        assert_eq!(
            find_path_line(src, &["services", "web", "quoted"]),
            Some(11)
        );
        assert_eq!(find_path_line(src, &["services", "web", "nope"]), Some(6));
        assert_eq!(find_path_line(src, &["services", "db", "volumes"]), Some(4));
        assert_eq!(find_path_line(src, &["nope"]), None);
    }

    #[test]
    fn find_line_is_one_based() {
        assert_eq!(find_line("a\nb\nc", |l| l == "b"), Some(2));
        assert_eq!(find_line("a", |l| l == "z"), None);
    }
}
