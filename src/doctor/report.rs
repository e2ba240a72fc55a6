//! What `renet doctor` reports (SPEC section 8): one [`Check`] per check ID, the overall
//! status, the exit status, and the two ways of printing them.

use serde::Serialize;

/// A check's outcome. Ordered by severity: the report's status is its checks' worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Skipped,
    Ok,
    Warning,
    Error,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Skipped => "skipped",
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Error => "error",
        }
    }
}

/// One check: what it found, the evidence (`details`), and what to do about it (`fix`: the
/// commands or the step; empty when there is nothing to do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Check {
    pub(crate) id: &'static str,
    pub(crate) status: Status,
    pub(crate) summary: String,
    pub(crate) details: Vec<String>,
    pub(crate) fix: String,
}

impl Check {
    pub(crate) fn ok(id: &'static str, summary: impl Into<String>) -> Self {
        Self::new(id, Status::Ok, summary, "")
    }

    pub(crate) fn warning(
        id: &'static str,
        summary: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::new(id, Status::Warning, summary, fix)
    }

    pub(crate) fn error(
        id: &'static str,
        summary: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::new(id, Status::Error, summary, fix)
    }

    pub(crate) fn skipped(
        id: &'static str,
        summary: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self::new(id, Status::Skipped, summary, fix)
    }

    fn new(
        id: &'static str,
        status: Status,
        summary: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            id,
            status,
            summary: summary.into(),
            details: Vec::new(),
            fix: fix.into(),
        }
    }

    pub(crate) fn details(mut self, details: impl IntoIterator<Item = String>) -> Self {
        self.details.extend(details);
        self
    }
}

/// The whole report: `{"status", "checks": [...]}`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    /// `ok`, `warning` or `error` (skipped checks count as ok).
    pub(crate) status: &'static str,
    pub(crate) checks: Vec<Check>,
}

impl Report {
    pub(crate) fn new(checks: Vec<Check>) -> Self {
        let worst = checks.iter().map(|c| c.status).max().unwrap_or(Status::Ok);
        let status = match worst {
            Status::Skipped | Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Error => "error",
        };
        Self { status, checks }
    }

    /// 0 every check ok (or skipped), 1 some warn, 2 some fail.
    pub(crate) fn exit_code(&self) -> u8 {
        match self.status {
            "error" => 2,
            "warning" => 1,
            _ => 0,
        }
    }

    /// The human report: one line per check (status, ID, summary), its details and fix
    /// indented under it, and a last line counting what needs attention.
    pub(crate) fn lines(&self) -> Vec<String> {
        let width = self.checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
        let mut lines = Vec::new();
        for c in &self.checks {
            lines.push(format!(
                "{:<7}  {:<width$}  {}",
                c.status.as_str(),
                c.id,
                c.summary
            ));
            let indent = " ".repeat(9 + width + 2);
            lines.extend(c.details.iter().map(|d| format!("{indent}- {d}")));
            let mut fix = c.fix.lines();
            if let Some(first) = fix.next() {
                lines.push(format!("{indent}fix: {first}"));
                lines.extend(fix.map(|l| format!("{indent}     {l}")));
            }
        }
        let count = |s: Status| self.checks.iter().filter(|c| c.status == s).count();
        lines.push(format!(
            "doctor: {} ({} errors, {} warnings, {} ok, {} skipped)",
            self.status,
            count(Status::Error),
            count(Status::Warning),
            count(Status::Ok),
            count(Status::Skipped)
        ));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_status_exit_code_and_text() {
        let ok = Report::new(vec![
            Check::ok("docker", "fine"),
            Check::skipped("proxy", "no", "x"),
        ]);
        assert_eq!((ok.status, ok.exit_code()), ("ok", 0));
        let warn = Report::new(vec![
            Check::ok("docker", "fine"),
            Check::warning("compose", "old", "upgrade"),
        ]);
        assert_eq!((warn.status, warn.exit_code()), ("warning", 1));
        let err = Report::new(vec![
            Check::warning("compose", "old", "upgrade"),
            Check::error(
                "firewall.input",
                "blocked",
                "iptables -I INPUT 6 ...\nnetfilter-persistent save",
            )
            .details(["`-A INPUT -j REJECT`".to_owned()]),
        ]);
        assert_eq!((err.status, err.exit_code()), ("error", 2));
        assert_eq!(
            err.lines(),
            [
                "warning  compose         old",
                "                         fix: upgrade",
                "error    firewall.input  blocked",
                "                         - `-A INPUT -j REJECT`",
                "                         fix: iptables -I INPUT 6 ...",
                "                              netfilter-persistent save",
                "doctor: error (1 errors, 1 warnings, 0 ok, 0 skipped)",
            ]
        );
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["checks"][1]["status"], "error");
        assert_eq!(json["checks"][1]["details"][0], "`-A INPUT -j REJECT`");
    }
}
