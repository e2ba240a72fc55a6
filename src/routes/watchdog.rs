//! The watchdog's decision (pure): should a stopped container be restarted now?
//!
//! `renet compose` gives Docker `restart: "no"` and keeps the user's policy in `.rediacc.json`
//! (SPEC section 3); the route server applies it. A container is restarted when its saved
//! policy asks for it and it has been stopped longer than the grace period (so a quick
//! operator action is not fought). Like Docker: `on-failure` only after a non-zero exit code
//! (and at most N times for `on-failure:N`), and a container stopped on purpose (`docker
//! stop`, `compose stop`: the daemon reports a `stop` event) stays stopped under every policy.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    No,
    Always,
    UnlessStopped,
    OnFailure { max_retries: Option<u32> },
}

impl Policy {
    /// A policy as `.rediacc.json` saves it (`restart:` or `deploy.restart_policy.condition`
    /// already translated). Unknown values are refused.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        let Some(raw) = raw else {
            return Ok(Policy::No);
        };
        let s = raw.trim().to_ascii_lowercase();
        match s.as_str() {
            "" | "no" | "none" => Ok(Policy::No),
            "always" | "any" => Ok(Policy::Always),
            "unless-stopped" => Ok(Policy::UnlessStopped),
            "on-failure" => Ok(Policy::OnFailure { max_retries: None }),
            other => match other.strip_prefix("on-failure:") {
                Some(n) => n
                    .parse::<u32>()
                    .map(|n| Policy::OnFailure {
                        max_retries: Some(n),
                    })
                    .map_err(|_| format!("restart policy {raw:?}: bad retry count")),
                None => Err(format!("unknown restart policy {raw:?}")),
            },
        }
    }
}

/// What is known about a stopped container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    pub exit_code: i64,
    /// Time since it stopped (`State.FinishedAt`, else since the watchdog first saw it stopped).
    pub stopped_for: Duration,
    /// A `stop` event was seen for it since it last started.
    pub stopped_on_purpose: bool,
    /// Restarts the watchdog already made for this container.
    pub restarts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Restart,
    /// Restart later, after this much more time (unless something changes).
    Wait(Duration),
    /// Leave it stopped, for this reason.
    Leave(&'static str),
}

pub fn decide(policy: Policy, s: &Stopped, grace: Duration) -> Decision {
    match policy {
        Policy::No => return Decision::Leave("no restart policy"),
        _ if s.stopped_on_purpose => {
            return Decision::Leave("stopped on purpose (docker stop / compose stop)");
        }
        Policy::OnFailure { .. } if s.exit_code == 0 => {
            return Decision::Leave("exited with code 0 (on-failure)");
        }
        Policy::OnFailure {
            max_retries: Some(n),
        } if s.restarts >= n => return Decision::Leave("on-failure retry limit reached"),
        _ => {}
    }
    if s.stopped_for < grace {
        Decision::Wait(grace - s.stopped_for)
    } else {
        Decision::Restart
    }
}

/// Seconds since the Unix epoch of an RFC 3339 UTC time as Docker writes it
/// (`2024-05-01T12:00:00.123456789Z`, or with `+00:00`). None for anything else, and for
/// Docker's zero time (`0001-01-01T00:00:00Z`, "never").
pub fn parse_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    if rest != "Z" && rest != "+00:00" {
        return None;
    }
    if y <= 1 || !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60
    {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRACE: Duration = Duration::from_secs(30);

    fn stopped(exit_code: i64, secs: u64) -> Stopped {
        Stopped {
            exit_code,
            stopped_for: Duration::from_secs(secs),
            stopped_on_purpose: false,
            restarts: 0,
        }
    }

    #[test]
    fn policies_parse() {
        assert_eq!(Policy::parse(None).unwrap(), Policy::No);
        assert_eq!(Policy::parse(Some("no")).unwrap(), Policy::No);
        assert_eq!(Policy::parse(Some("Always")).unwrap(), Policy::Always);
        assert_eq!(Policy::parse(Some("any")).unwrap(), Policy::Always);
        assert_eq!(
            Policy::parse(Some("unless-stopped")).unwrap(),
            Policy::UnlessStopped
        );
        assert_eq!(
            Policy::parse(Some("on-failure")).unwrap(),
            Policy::OnFailure { max_retries: None }
        );
        assert_eq!(
            Policy::parse(Some("on-failure:3")).unwrap(),
            Policy::OnFailure {
                max_retries: Some(3)
            }
        );
        assert!(Policy::parse(Some("on-failure:x")).is_err());
        assert!(Policy::parse(Some("sometimes")).is_err());
    }

    /// Policy x exit code x elapsed time.
    #[test]
    fn decision_table() {
        use Decision::*;
        let on_failure = Policy::OnFailure { max_retries: None };
        let cases = [
            (Policy::No, 1, 100, Leave("no restart policy")),
            (Policy::No, 0, 100, Leave("no restart policy")),
            (Policy::Always, 0, 100, Restart),
            (Policy::Always, 1, 100, Restart),
            (Policy::Always, 137, 30, Restart),
            (Policy::Always, 0, 10, Wait(Duration::from_secs(20))),
            (Policy::UnlessStopped, 0, 31, Restart),
            (Policy::UnlessStopped, 2, 29, Wait(Duration::from_secs(1))),
            (on_failure, 1, 100, Restart),
            (on_failure, 139, 100, Restart),
            (on_failure, -1, 100, Restart),
            (on_failure, 1, 5, Wait(Duration::from_secs(25))),
            (on_failure, 0, 100, Leave("exited with code 0 (on-failure)")),
            (on_failure, 0, 5, Leave("exited with code 0 (on-failure)")),
        ];
        for (policy, code, secs, want) in cases {
            assert_eq!(
                decide(policy, &stopped(code, secs), GRACE),
                want,
                "{policy:?} exit {code} after {secs}s"
            );
        }
    }

    #[test]
    fn stopped_on_purpose_and_retry_limits() {
        let mut s = stopped(1, 100);
        s.stopped_on_purpose = true;
        for p in [
            Policy::Always,
            Policy::UnlessStopped,
            Policy::OnFailure { max_retries: None },
        ] {
            assert!(matches!(decide(p, &s, GRACE), Decision::Leave(_)), "{p:?}");
        }
        let limited = Policy::OnFailure {
            max_retries: Some(2),
        };
        let mut s = stopped(1, 100);
        s.restarts = 1;
        assert_eq!(decide(limited, &s, GRACE), Decision::Restart);
        s.restarts = 2;
        assert_eq!(
            decide(limited, &s, GRACE),
            Decision::Leave("on-failure retry limit reached")
        );
        // No limit on always.
        s.restarts = 1000;
        assert_eq!(decide(Policy::Always, &s, GRACE), Decision::Restart);
        // A zero grace restarts at once.
        assert_eq!(
            decide(Policy::Always, &stopped(0, 0), Duration::ZERO),
            Decision::Restart
        );
    }

    #[test]
    fn docker_times() {
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(
            parse_utc("2024-05-01T12:34:56.123456789Z"),
            Some(1_714_566_896)
        );
        assert_eq!(parse_utc("2024-05-01T12:34:56+00:00"), Some(1_714_566_896));
        for bad in [
            "0001-01-01T00:00:00Z",
            "",
            "2024-05-01 12:34:56Z",
            "2024-05-01T12:34:56",
            "2024-05-01T12:34:56+02:00",
            "2024-13-01T00:00:00Z",
            "2024-05-01T12:34:56.Z",
            "20x4-05-01T12:34:56Z",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }
}
