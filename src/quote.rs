//! Quoting words for the two command languages renet writes: a POSIX shell (command lines shown
//! to the operator, to copy and paste) and systemd unit files (`ExecStart=`, `Environment=`).
//! One module, so every printed command line follows one set of rules.

use std::borrow::Cow;

/// A word for a POSIX shell: as is when it needs no quoting, else quoted (shlex's rules).
pub(crate) fn shell(word: &str) -> Cow<'_, str> {
    // shlex refuses only a NUL byte, which no argument of a real process can hold; show it as
    // an escape rather than fail the whole line.
    shlex::try_quote(word).unwrap_or_else(|_| Cow::Owned(format!("$'{}'", word.escape_default())))
}

/// Words joined into one shell command line.
pub(crate) fn shell_line<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    words.into_iter().map(shell).collect::<Vec<_>>().join(" ")
}

/// Bytes a systemd word may hold unquoted.
fn systemd_plain(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-:,=@+".contains(&b))
}

/// `%` starts a specifier wherever systemd reads a unit setting; `%%` is a literal `%`.
fn systemd_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%")
}

/// One argument of `ExecStart=`: as is when plain, else double-quoted, with `%` and `$` doubled
/// so systemd expands neither a specifier nor a variable inside it.
pub(crate) fn systemd_arg(word: &str) -> String {
    if systemd_plain(word) {
        word.to_owned()
    } else {
        format!("\"{}\"", systemd_escape(word).replace('$', "$$"))
    }
}

/// One `Environment=` assignment: `NAME=value`, the whole assignment double-quoted when the value
/// is not plain (systemd splits `Environment=` on spaces). `$` is literal there.
pub(crate) fn systemd_env(name: &str, value: &str) -> String {
    if systemd_plain(value) {
        format!("{name}={value}")
    } else {
        format!("\"{name}={}\"", systemd_escape(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_round_trip_through_a_shell_lexer() {
        for w in [
            "plain",
            "a b",
            "it's",
            "",
            "$HOME",
            "x;rm -rf /",
            "tab\there",
            "ünï",
        ] {
            let quoted = shell(w);
            assert_eq!(
                shlex::split(&quoted).unwrap(),
                vec![w.to_owned()],
                "{quoted}"
            );
        }
        assert_eq!(shell("-f"), "-f");
        assert_eq!(
            shell_line(["docker", "compose", "-p", "my app"]),
            "docker compose -p 'my app'"
        );
    }

    #[test]
    fn systemd_words() {
        assert_eq!(systemd_arg("/usr/bin/renet"), "/usr/bin/renet");
        assert_eq!(systemd_arg("/srv/my shop"), "\"/srv/my shop\"");
        assert_eq!(systemd_arg("50%$x\"\\"), "\"50%%$$x\\\"\\\\\"");
        assert_eq!(systemd_arg(""), "\"\"");
        assert_eq!(
            systemd_env("RENET_RUN_DIR", "/run/r"),
            "RENET_RUN_DIR=/run/r"
        );
        assert_eq!(systemd_env("D", "/a b/%i"), "\"D=/a b/%%i\"");
    }
}
