//! `renet docker`: the docker CLI against the repository's own daemon, so a user never has to
//! spell out its socket. Only the daemon is chosen by renet; every argument passes through.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use super::Ctx;
use crate::cli::DockerArgs;
use crate::compose::args::ArgsError;
use crate::daemon::{DaemonError, socket_path};
use crate::error::{Error, Result};
use crate::settings;

/// docker's global options that take a value (`docker --help`): their value is skipped when
/// looking for the options that choose another daemon.
const VALUE_OPTIONS: &[&str] = &[
    "--config",
    "-l",
    "--log-level",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
];
/// Short global options that take a value, as letters inside a cluster like `-Dl debug`.
const VALUE_LETTERS: &[char] = &['l', 'H', 'c'];

pub(crate) fn run(ctx: &Ctx<'_>, args: DockerArgs) -> Result<u8> {
    let id = settings::network_id(args.network.network_id, ctx.env)?;
    let repo = settings::repo_dir(args.repo.repo.as_deref(), ctx.env, &ctx.cwd)?;
    refuse_other_daemon(&args.args)?;
    if let Some(found) = settings::find_repo(args.repo.repo.as_deref(), ctx.env, &ctx.cwd)? {
        super::repository::refuse_other_repository(ctx, id, &found)?;
    }
    let socket = socket_path(&ctx.run_dir, id);
    if !socket.exists() {
        return Err(DaemonError::NotRunning {
            network: id,
            socket,
            repo_hint: format!(" --repo {}", repo.display()),
        }
        .into());
    }
    let host = format!("unix://{}", settings::absolute(&ctx.cwd, &socket).display());
    exec(&args.args, &host, &ctx.cwd)
}

/// Refuse `-H/--host/-c/--context` among docker's global options (before the subcommand), in
/// every spelling: `-H x`, `-Hx`, `-H=x`, `--host=x`, inside a cluster like `-DH x`, and the
/// abbreviations docker-compose 1.x would take (`--hos`: docker itself refuses them, one rule
/// for both). After the subcommand these letters mean other things (`docker run -c` is CPU
/// shares).
fn refuse_other_daemon(args: &[OsString]) -> std::result::Result<(), ArgsError> {
    use crate::compose::args::{DAEMON_SHORT, daemon_long};
    let mut i = 0;
    while let Some(text) = args.get(i).and_then(|a| a.to_str()) {
        if text == "--" || !text.starts_with('-') || text == "-" {
            break;
        }
        if let Some(long) = text.strip_prefix("--") {
            let name = long.split_once('=').map_or(long, |(n, _)| n);
            if daemon_long(name) {
                return Err(ArgsError::OtherDaemon(format!("--{name}")));
            }
            if VALUE_OPTIONS.contains(&format!("--{name}").as_str()) && !long.contains('=') {
                i += 1;
            }
        } else {
            for (at, letter) in text.char_indices().skip(1) {
                if DAEMON_SHORT.contains(&letter) {
                    return Err(ArgsError::OtherDaemon(format!("-{letter}")));
                }
                if VALUE_LETTERS.contains(&letter) {
                    // The value is glued (`-ldebug`) or the next argument.
                    if at + letter.len_utf8() == text.len() {
                        i += 1;
                    }
                    break;
                }
            }
        }
        i += 1;
    }
    Ok(())
}

/// Run docker on `host` and wait for it, forwarding signals. `DOCKER_CONTEXT` is removed: it
/// would win over nothing here, but docker warns about it and users read it as the target.
fn exec(args: &[OsString], host: &str, cwd: &Path) -> Result<u8> {
    let mut cmd = Command::new("docker");
    cmd.args(args)
        .env_remove("DOCKER_CONTEXT")
        .env("DOCKER_HOST", host)
        .current_dir(cwd);
    let watch = crate::signals::Watch::global();
    let mut child = cmd.spawn().map_err(Error::io("docker"))?;
    let status = crate::signals::wait(&mut child, watch, false).map_err(Error::io("docker"))?;
    // A docker killed by a signal reports no code; use the shell's 128+N convention.
    let code = status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + status.signal().unwrap_or(0)
    });
    Ok(u8::try_from(code).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(args: &[&str]) -> std::result::Result<(), ArgsError> {
        refuse_other_daemon(&args.iter().map(OsString::from).collect::<Vec<_>>())
    }

    #[test]
    fn refuses_other_daemons_in_every_spelling() {
        for args in [
            &["-H", "tcp://x", "ps"][..],
            &["-Htcp://x", "ps"],
            &["--host", "tcp://x", "ps"],
            &["--host=tcp://x", "ps"],
            &["-c", "other", "ps"],
            &["-cother", "ps"],
            &["--context=other", "ps"],
            &["--context", "other", "ps"],
            &["-D", "-H", "x", "ps"],
            &["-DH", "x", "ps"],
            &["--config", "/tmp/cfg", "-H", "x", "ps"],
            &["-H=unix:///x", "ps"],
            &["-D", "-H=unix:///x", "ps"],
            &["-c=other", "ps"],
            &["-Dc", "other", "ps"],
            &["--hos=unix:///x", "ps"],
            &["--ho", "unix:///x", "ps"],
            &["--cont=other", "ps"],
            &["--tlsverify", "--host", "tcp://x:2376", "ps"],
            &["--log-level", "debug", "--context", "x", "ps"],
        ] {
            assert!(
                matches!(check(args), Err(ArgsError::OtherDaemon(_))),
                "{args:?} was not refused"
            );
        }
    }

    #[test]
    fn passes_subcommand_options_and_option_values() {
        for args in [
            &["ps", "-a"][..],
            &["run", "-c", "512", "-H", "busybox"],
            &["--config", "-H", "ps"],
            &["-l", "-c", "ps"],
            &["-ldebug", "ps"],
            &["--log-level=debug", "inspect", "--", "-H"],
            &[],
        ] {
            assert_eq!(check(args), Ok(()), "{args:?}");
        }
    }
}
