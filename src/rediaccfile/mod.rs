//! Rediaccfiles (SPEC section 4): which files there are ([`discovery`]), the bash that sources
//! one and reports which functions it defines ([`shell`]), in which order their functions run
//! and what a failure stops ([`plan`], pure), running one function in that bash ([`runner`]),
//! and the lifecycle that puts these together for `renet repository up|down|status`
//! ([`lifecycle`]). Everything prints through the [`Printer`](crate::output::Printer) it is given.

mod discovery;
mod lifecycle;
mod plan;
mod runner;
mod shell;

use std::fmt;

use serde::Serialize;

pub(crate) use discovery::{Problem, Rediaccfile, discover, find_in, folders};
pub(crate) use lifecycle::{FileReport, Lifecycle, down, info, up};
pub(crate) use runner::RunOptions;

/// The functions a Rediaccfile may define, in the order they are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Function {
    /// Legacy: before any `up`.
    Prep,
    Up,
    Down,
    /// `repository status`: its stdout is shown.
    Info,
}

impl Function {
    pub(crate) const ALL: [Function; 4] = [Self::Prep, Self::Up, Self::Down, Self::Info];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Prep => "prep",
            Self::Up => "up",
            Self::Down => "down",
            Self::Info => "info",
        }
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
