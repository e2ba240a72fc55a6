//! The only place that prints. stdout carries data (a value, a table, a JSON document);
//! everything meant for a person watching (progress, warnings, notes) goes to stderr.

use std::io::Write;

use serde::Serialize;

/// A line of data on stdout.
pub fn data(line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`renet slots | head -1`) is not an error worth reporting.
    let _ = writeln!(out, "{line}");
}

/// One JSON document on stdout, pretty, with a trailing newline.
pub fn json<T: Serialize>(value: &T) {
    let text = serde_json::to_string_pretty(value).expect("renet's reports always serialize");
    data(&text);
}

/// A note for the operator on stderr.
pub fn note(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

pub fn warn(line: &str) {
    note(&format!("warning: {line}"));
}

pub fn error(line: &str) {
    note(&format!("error: {line}"));
}
