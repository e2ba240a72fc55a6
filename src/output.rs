//! The only place that prints. stdout carries data (a value, a table, a JSON document);
//! everything meant for a person watching (progress, warnings, notes) goes to stderr.
//!
//! Commands print through the [`Printer`] their settings carry (uv's `Printer`), so the
//! Rediaccfile runner and the lifecycle can be tested with a recording one. The free functions
//! write log lines to stderr for code that reports no data: the route server's log (a
//! long-running daemon has no command output) and warnings deep in state handling.

use std::io::Write;

use serde::Serialize;

/// A note for the operator on stderr.
pub fn note(line: &str) {
    Printer::terminal().note(line);
}

pub fn warn(line: &str) {
    Printer::terminal().warn(line);
}

pub fn error(line: &str) {
    Printer::terminal().error(line);
}

/// Which of the two streams a line went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

/// The sink every command prints through: the terminal, or (in unit tests) a recording.
pub(crate) struct Printer {
    sink: Sink,
}

enum Sink {
    Terminal,
    #[cfg(test)]
    Recording(std::sync::Mutex<Vec<(Stream, String)>>),
}

impl Printer {
    /// stdout and stderr of this process.
    pub(crate) fn terminal() -> Self {
        Self {
            sink: Sink::Terminal,
        }
    }

    /// Keeps every line, for [`Printer::lines`].
    #[cfg(test)]
    pub(crate) fn recording() -> Self {
        Self {
            sink: Sink::Recording(std::sync::Mutex::default()),
        }
    }

    fn line(&self, stream: Stream, line: &str) {
        match &self.sink {
            // A closed pipe (`renet slots | head -1`) is not an error worth reporting.
            Sink::Terminal => match stream {
                Stream::Stdout => {
                    let _ = writeln!(std::io::stdout().lock(), "{line}");
                }
                Stream::Stderr => {
                    let _ = writeln!(std::io::stderr().lock(), "{line}");
                }
            },
            #[cfg(test)]
            Sink::Recording(lines) => lines
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((stream, line.to_owned())),
        }
    }

    /// A line of data on stdout.
    pub(crate) fn data(&self, line: &str) {
        self.line(Stream::Stdout, line);
    }

    /// One JSON document on stdout, pretty, with a trailing newline.
    pub(crate) fn json<T: Serialize>(&self, value: &T) {
        let text = serde_json::to_string_pretty(value).expect("renet's reports always serialize");
        self.data(&text);
    }

    /// A note for the operator on stderr.
    pub(crate) fn note(&self, line: &str) {
        self.line(Stream::Stderr, line);
    }

    pub(crate) fn warn(&self, line: &str) {
        self.note(&format!("warning: {line}"));
    }

    pub(crate) fn error(&self, line: &str) {
        self.note(&format!("error: {line}"));
    }

    /// Every line recorded so far, in order (a terminal printer records nothing).
    #[cfg(test)]
    pub(crate) fn lines(&self) -> Vec<(Stream, String)> {
        match &self.sink {
            Sink::Terminal => Vec::new(),
            Sink::Recording(lines) => lines
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        }
    }

    /// The recorded lines of one stream, each with its newline.
    #[cfg(test)]
    pub(crate) fn text(&self, stream: Stream) -> String {
        self.lines()
            .into_iter()
            .filter(|(s, _)| *s == stream)
            .map(|(_, l)| l + "\n")
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_keeps_the_stream_split() {
        let out = Printer::recording();
        out.data("value");
        out.note("progress");
        out.warn("careful");
        out.error("broken");
        out.json(&serde_json::json!({"ok": true}));
        assert_eq!(out.text(Stream::Stdout), "value\n{\n  \"ok\": true\n}\n");
        assert_eq!(
            out.text(Stream::Stderr),
            "progress\nwarning: careful\nerror: broken\n"
        );
    }
}
