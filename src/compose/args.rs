//! Split the user's compose arguments into what renet consumes (file selection, project name
//! and folder) and what passes through to compose untouched. Pure.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

/// Global options of both flavours, and whether they take a value: Compose v2's (hidden ones
/// included: `--workdir`, `--verbose`, `--no-ansi`), the docker CLI's that v2 takes when run
/// on its own (`--debug`, `--log-level`, `--tls*`, `--host`, `--context`), and
/// docker-compose 1.29's. Needed to find where the subcommand starts.
const LONG_OPTIONS: &[(&str, bool)] = &[
    ("file", true),
    ("project-name", true),
    ("project-directory", true),
    ("workdir", true),
    ("profile", true),
    ("env-file", true),
    ("ansi", true),
    ("progress", true),
    ("parallel", true),
    ("log-level", true),
    ("tlscacert", true),
    ("tlscert", true),
    ("tlskey", true),
    ("host", true),
    ("context", true),
    ("verbose", false),
    ("no-ansi", false),
    ("version", false),
    ("help", false),
    ("tls", false),
    ("tlsverify", false),
    ("skip-hostname-check", false),
    ("compatibility", false),
    ("dry-run", false),
    ("all-resources", false),
    ("debug", false),
];
/// docker-compose 1.29's long options (`docker-compose --help`): its docopt parser takes any
/// unambiguous prefix of one (`--hos` is `--host`, `--fi` is `--file`). Compose v2 and the
/// docker CLI (pflag) take none.
const V1_LONG_OPTIONS: &[&str] = &[
    "file",
    "project-name",
    "profile",
    "context",
    "verbose",
    "log-level",
    "ansi",
    "no-ansi",
    "version",
    "host",
    "tls",
    "tlscacert",
    "tlscert",
    "tlskey",
    "tlsverify",
    "skip-hostname-check",
    "project-directory",
    "compatibility",
    "env-file",
    "help",
];
/// Short options that take a value: glued (`-fx.yml`, `-Hx`), or the next argument.
const SHORT_VALUE: &[char] = &['f', 'p', 'H', 'c', 'l'];
/// Short options that pick the daemon (`-H`, `-c`), in both flavours and the docker CLI.
pub(crate) const DAEMON_SHORT: &[char] = &['H', 'c'];

/// Whether the long option `name` (after `--`, before any `=`) picks the daemon: `host`,
/// `context`, or a prefix of one (docker-compose 1.x reads `--hos` and `--con` as them; `--h`
/// and `--co` are ambiguous there, refused all the same). Shared with `renet docker`.
pub(crate) fn daemon_long(name: &str) -> bool {
    !name.is_empty() && ["host", "context"].iter().any(|o| o.starts_with(name))
}

#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ComposeArgs {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) project_name: Option<String>,
    pub(crate) project_directory: Option<PathBuf>,
    /// `--env-file` values, as given (they also pass through in `globals`: compose reads them).
    pub(crate) env_files: Vec<PathBuf>,
    /// Global options renet does not consume, in order.
    pub(crate) globals: Vec<OsString>,
    /// The subcommand and everything after it, untouched.
    pub(crate) rest: Vec<OsString>,
}

impl ComposeArgs {
    /// The compose subcommand (`up`, `down`, ...), if any.
    pub(crate) fn subcommand(&self) -> Option<&str> {
        self.rest.first().and_then(|s| s.to_str())
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ArgsError {
    #[error(
        "-f - (compose file on standard input) is not supported: renet must read the files itself to \
         rewrite them; save the model to a file and pass -f FILE"
    )]
    Stdin,
    #[error(
        "{0} is not allowed: renet runs compose against the repository's own daemon \
         (DOCKER_HOST); remove {0}"
    )]
    OtherDaemon(String),
    #[error("{0} needs a value")]
    MissingValue(String),
    #[error(
        "{given} is an abbreviation docker-compose 1.x reads as {full}; renet must see the options \
         compose reads: write the option in full"
    )]
    Abbreviated { given: String, full: String },
}

impl From<ArgsError> for crate::error::Error {
    /// Every argument error is a usage error (exit status 2).
    fn from(e: ArgsError) -> Self {
        crate::error::Error::Usage(e.to_string())
    }
}

/// One global option, as [`parse`] reads it.
enum Global<'a> {
    /// `-f x`, `--file=x`, ...: the option's long name and its value.
    Valued(&'a str, OsString),
    /// A flag, an unknown option, or a short cluster renet does not consume.
    Other,
}

pub(crate) fn parse(args: &[OsString]) -> Result<ComposeArgs, ArgsError> {
    let mut out = ComposeArgs::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        let Some(text) = arg.to_str() else {
            out.rest.extend_from_slice(&args[i..]);
            break;
        };
        if !text.starts_with('-') || text == "-" {
            out.rest.extend_from_slice(&args[i..]);
            break;
        }
        if text == "--" {
            out.rest.extend_from_slice(&args[i + 1..]);
            break;
        }
        let next = args.get(i + 1);
        let (global, used_next) = match text.strip_prefix("--") {
            Some(long) => long_option(long, next)?,
            None => short_option(text, next)?,
        };
        i += 1 + usize::from(used_next);
        match global {
            Global::Valued("file", v) => {
                if v == OsStr::new("-") {
                    return Err(ArgsError::Stdin);
                }
                out.files.push(PathBuf::from(v));
            }
            Global::Valued("project-name", v) => {
                out.project_name = Some(v.to_string_lossy().into_owned());
            }
            Global::Valued("project-directory", v) => {
                out.project_directory = Some(PathBuf::from(v))
            }
            Global::Valued(name, v) => {
                if name == "env-file" {
                    out.env_files.push(PathBuf::from(&v));
                }
                out.globals.push(arg.clone());
                if used_next {
                    out.globals.push(v);
                }
            }
            Global::Other => {
                out.globals.push(arg.clone());
                if used_next {
                    out.globals.extend(next.cloned());
                }
            }
        }
    }
    Ok(out)
}

/// `--name`, `--name=value` or `--name value` (`long`: without the dashes). Returns the option
/// and whether it took `next` as its value.
fn long_option<'a>(
    long: &'a str,
    next: Option<&OsString>,
) -> Result<(Global<'a>, bool), ArgsError> {
    let (name, inline) = match long.split_once('=') {
        Some((n, v)) => (n, Some(OsString::from(v))),
        None => (long, None),
    };
    let Some(&(known, takes_value)) = LONG_OPTIONS.iter().find(|(n, _)| *n == name) else {
        if daemon_long(name) {
            return Err(ArgsError::OtherDaemon(format!("--{name}")));
        }
        let full: Vec<String> = V1_LONG_OPTIONS
            .iter()
            .filter(|o| !name.is_empty() && o.starts_with(name))
            .map(|o| format!("--{o}"))
            .collect();
        if !full.is_empty() {
            return Err(ArgsError::Abbreviated {
                given: format!("--{name}"),
                full: full.join(" or "),
            });
        }
        // Unknown to both flavours: compose refuses it itself.
        return Ok((Global::Other, false));
    };
    if daemon_long(known) {
        return Err(ArgsError::OtherDaemon(format!("--{known}")));
    }
    if !takes_value {
        return Ok((Global::Other, false));
    }
    match inline {
        Some(v) => Ok((Global::Valued(known, v), false)),
        None => next
            .map(|v| (Global::Valued(known, v.clone()), true))
            .ok_or_else(|| ArgsError::MissingValue(format!("--{known}"))),
    }
}

/// `-x`, a cluster of short flags (`-vf x`), or one with its value glued (`-fx.yml`, `-Hx`).
/// A daemon letter anywhere before the value is refused.
fn short_option<'a>(
    text: &'a str,
    next: Option<&OsString>,
) -> Result<(Global<'a>, bool), ArgsError> {
    for (at, letter) in text.char_indices().skip(1) {
        if DAEMON_SHORT.contains(&letter) {
            return Err(ArgsError::OtherDaemon(format!("-{letter}")));
        }
        if !SHORT_VALUE.contains(&letter) {
            continue;
        }
        let glued = &text[at + letter.len_utf8()..];
        let value = if glued.is_empty() {
            next.cloned()
                .ok_or_else(|| ArgsError::MissingValue(format!("-{letter}")))?
        } else {
            OsString::from(glued)
        };
        let consumed = match (at, letter) {
            (1, 'f') => Global::Valued("file", value),
            (1, 'p') => Global::Valued("project-name", value),
            _ => Global::Other,
        };
        return Ok((consumed, glued.is_empty()));
    }
    Ok((Global::Other, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<ComposeArgs, ArgsError> {
        parse(&args.iter().map(OsString::from).collect::<Vec<_>>())
    }

    #[test]
    fn consumes_file_and_project_options() {
        let a = p(&[
            "-f",
            "a.yml",
            "--file=b.yml",
            "-fc.yml",
            "-p",
            "Shop",
            "--project-directory",
            "/x",
            "--profile",
            "dev",
            "--env-file=.env.prod",
            "--verbose",
            "up",
            "-d",
            "-f",
            "not-ours",
        ])
        .unwrap();
        assert_eq!(a.files, ["a.yml", "b.yml", "c.yml"].map(PathBuf::from));
        assert_eq!(a.project_name.as_deref(), Some("Shop"));
        assert_eq!(a.project_directory, Some(PathBuf::from("/x")));
        assert_eq!(a.env_files, [PathBuf::from(".env.prod")]);
        assert_eq!(
            a.globals,
            ["--profile", "dev", "--env-file=.env.prod", "--verbose"].map(OsString::from)
        );
        assert_eq!(a.rest, ["up", "-d", "-f", "not-ours"].map(OsString::from));
        assert_eq!(a.subcommand(), Some("up"));
    }

    #[test]
    fn refuses_stdin_and_other_daemons() {
        assert_eq!(p(&["-f", "-", "up"]).unwrap_err(), ArgsError::Stdin);
        assert!(
            p(&["-H", "tcp://x", "up"])
                .unwrap_err()
                .to_string()
                .contains("-H is not allowed")
        );
        assert_eq!(
            p(&["-f"]).unwrap_err(),
            ArgsError::MissingValue("-f".into())
        );
        assert_eq!(
            p(&["--profile"]).unwrap_err(),
            ArgsError::MissingValue("--profile".into())
        );
    }

    /// Every spelling Compose v2 (pflag, and the docker globals it takes on its own),
    /// docker-compose 1.29 (docopt: prefixes, glued short values) or the docker CLI accepts.
    #[test]
    fn refuses_every_spelling_of_another_daemon() {
        for (args, named) in [
            (&["-H", "unix:///o.sock", "up"][..], "-H"),
            (&["-Hunix:///o.sock", "up"], "-H"),
            (&["-H=unix:///o.sock", "up"], "-H"),
            (&["--host", "unix:///o.sock", "up"], "--host"),
            (&["--host=unix:///o.sock", "up"], "--host"),
            (&["--hos=unix:///o.sock", "up", "-d"], "--hos"),
            (&["--hos", "unix:///o.sock", "up"], "--hos"),
            (&["--ho", "unix:///o.sock", "up"], "--ho"),
            (&["--h=x", "up"], "--h"),
            (&["-c", "other", "up"], "-c"),
            (&["-cother", "up"], "-c"),
            (&["-c=other", "up"], "-c"),
            (&["--context", "other", "up"], "--context"),
            (&["--context=other", "up"], "--context"),
            (&["--cont=other", "up"], "--cont"),
            (&["--con", "default", "up"], "--con"),
            (&["--co=x", "up"], "--co"),
            (&["--verbose", "-H", "unix:///o.sock", "up"], "-H"),
            (&["--tlsverify", "--host=tcp://x:2376", "up"], "--host"),
            (&["-f", "a.yml", "--profile", "p", "--hos=x", "up"], "--hos"),
            (&["-p=x", "-H", "x", "up"], "-H"),
            (&["-DH", "x", "up"], "-H"),
            (&["-vc", "x", "up"], "-c"),
            (&["--log-level", "info", "-H", "x", "up"], "-H"),
        ] {
            assert_eq!(
                p(args),
                Err(ArgsError::OtherDaemon(named.to_owned())),
                "{args:?}"
            );
        }
    }

    #[test]
    fn refuses_abbreviations_compose_1_would_expand() {
        for (args, full) in [
            (&["--fi", "evil.yml", "up"][..], "--file"),
            (&["--project-n=x", "up"], "--project-name"),
            (&["--project-d", "/", "up"], "--project-directory"),
            (&["--env", "x.env", "up"], "--env-file"),
            (
                &["--pro", "dev", "up"],
                "--project-name or --profile or --project-directory",
            ),
            (&["--tlsc=x", "up"], "--tlscacert or --tlscert"),
            (&["--verb", "up"], "--verbose"),
        ] {
            match p(args) {
                Err(ArgsError::Abbreviated { full: f, .. }) => assert_eq!(f, full, "{args:?}"),
                other => panic!("{args:?}: {other:?}"),
            }
        }
        assert!(
            p(&["--fi", "x"])
                .unwrap_err()
                .to_string()
                .contains("write the option in full")
        );
    }

    #[test]
    fn passes_what_picks_no_daemon() {
        for args in [
            &[
                "--tls",
                "--tlsverify",
                "--tlscacert",
                "/c",
                "--skip-hostname-check",
                "ps",
            ][..],
            &[
                "--log-level=debug",
                "--dry-run",
                "--compatibility",
                "ps",
                "-H",
                "x",
            ],
            &[
                "--ansi",
                "never",
                "--progress",
                "plain",
                "--parallel",
                "2",
                "ps",
            ],
            &["--workdir", "/w", "--all-resources", "--no-ansi", "up"],
            &["--unknown-flag", "up"],
            &["run", "-c", "512", "--host", "x", "web"],
            &["--", "-H", "x"],
            &["-pH", "up"],
            &["-fc.yml", "up"],
        ] {
            assert!(p(args).is_ok(), "{args:?}: {:?}", p(args));
        }
        let a = p(&["--log-level", "info", "--tlscacert=/c", "up"]).unwrap();
        assert_eq!(
            a.globals,
            ["--log-level", "info", "--tlscacert=/c"].map(OsString::from)
        );
        assert_eq!(a.subcommand(), Some("up"));
        let glued = p(&["-pH", "-fc.yml", "up"]).unwrap();
        assert_eq!(glued.project_name.as_deref(), Some("H"));
        assert_eq!(glued.files, [PathBuf::from("c.yml")]);
    }
}
