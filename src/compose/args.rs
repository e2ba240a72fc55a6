//! Split the user's compose arguments into what renet consumes (file selection, project name
//! and folder) and what passes through to compose untouched. Pure.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

/// Global compose options that take a value (both flavours). Needed to find where the
/// subcommand starts.
const VALUE_OPTIONS: &[&str] = &[
    "--profile",
    "--env-file",
    "--ansi",
    "--progress",
    "--parallel",
    "--log-level",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
];
/// Options that would point compose at another daemon than the repository's.
const REFUSED: &[&str] = &["-H", "--host", "-c", "--context"];

/// Whether `name` (an option name without its value) points at another daemon than the
/// repository's. Shared with `renet docker`.
pub(crate) fn other_daemon(name: &str) -> bool {
    REFUSED.contains(&name)
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
}

impl From<ArgsError> for crate::error::Error {
    /// Every argument error is a usage error (exit status 2).
    fn from(e: ArgsError) -> Self {
        crate::error::Error::Usage(e.to_string())
    }
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
        let (name, inline) = match text.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(OsString::from(v))),
            _ => (text, None),
        };
        // Short options may glue their value: -fcompose.yml, -pname.
        let (name, inline) = match (name, inline) {
            (n, None)
                if n.len() > 2
                    && !n.starts_with("--")
                    && (n.starts_with("-f") || n.starts_with("-p")) =>
            {
                (&n[..2], Some(OsString::from(&n[2..])))
            }
            other => other,
        };
        let take_value = |i: &mut usize| -> Result<OsString, ArgsError> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            *i += 1;
            args.get(*i)
                .cloned()
                .ok_or_else(|| ArgsError::MissingValue(name.to_owned()))
        };
        match name {
            "-f" | "--file" => {
                let v = take_value(&mut i)?;
                if v == OsStr::new("-") {
                    return Err(ArgsError::Stdin);
                }
                out.files.push(PathBuf::from(v));
            }
            "-p" | "--project-name" => {
                out.project_name = Some(take_value(&mut i)?.to_string_lossy().into_owned());
            }
            "--project-directory" => {
                out.project_directory = Some(PathBuf::from(take_value(&mut i)?))
            }
            n if other_daemon(n) || n.starts_with("-H") => {
                return Err(ArgsError::OtherDaemon(n.to_owned()));
            }
            n if VALUE_OPTIONS.contains(&n) => {
                let v = take_value(&mut i)?;
                if n == "--env-file" {
                    out.env_files.push(PathBuf::from(&v));
                }
                if inline.is_some() {
                    out.globals.push(arg.clone());
                } else {
                    out.globals.push(OsString::from(n));
                    out.globals.push(v);
                }
            }
            _ => out.globals.push(arg.clone()),
        }
        i += 1;
    }
    Ok(out)
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
        assert!(matches!(
            p(&["--context=x", "ps"]),
            Err(ArgsError::OtherDaemon(_))
        ));
        assert_eq!(
            p(&["-f"]).unwrap_err(),
            ArgsError::MissingValue("-f".into())
        );
    }
}
