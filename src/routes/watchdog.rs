//! The watchdog's decision (pure): should a stopped container be restarted now?
//!
//! `renet compose` gives Docker `restart: "no"` and keeps the user's policy in `.rediacc.json`
//! (SPEC section 3); the route server applies it. A container is restarted when its saved
//! policy asks for it and it has been stopped longer than the grace period (so a quick
//! operator action is not fought). Like Docker: `on-failure` only after a non-zero exit code
//! (and at most N times for `on-failure:N`), and a container stopped on purpose (`docker
//! stop`, `compose stop`: the daemon reports a `stop` event) stays stopped under every policy.
//!
//! [`plan`] turns what the route server observed (stopped containers with a saved policy) and
//! what the watchdog remembers (restarts made, when it first saw a container stopped) into the
//! restarts to make; the route server makes them and [`Memory::record`]s the outcome.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use super::documents::{WatchdogAction, WatchdogHealth};
use crate::docker::Exit;

/// Watchdog actions kept for `/health`.
const RECENT: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("restart policy {0:?}: bad retry count")]
    BadRetryCount(String),
    #[error("unknown restart policy {0:?}")]
    Unknown(String),
}

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
    pub fn parse(raw: Option<&str>) -> Result<Self, PolicyError> {
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
                    .map_err(|_| PolicyError::BadRetryCount(raw.to_owned())),
                None => Err(PolicyError::Unknown(raw.to_owned())),
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

/// A stopped container with a saved restart policy, as the route server found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub network_id: u32,
    pub id: String,
    pub name: String,
    pub service: String,
    /// The policy as `.rediacc.json` saves it (for the log and `/health`), and parsed.
    pub policy_text: String,
    pub policy: Policy,
    /// What inspecting it told; None when the daemon did not answer.
    pub exit: Option<Exit>,
    /// A `stop` event was seen for it since it last started.
    pub stopped_on_purpose: bool,
}

/// A restart to make now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restart {
    pub network_id: u32,
    pub id: String,
    pub name: String,
    pub service: String,
    pub policy_text: String,
    pub exit_code: i64,
    pub stopped_for: Duration,
}

/// What the watchdog remembers between refreshes.
#[derive(Debug, Default)]
pub struct Memory {
    /// Container ID -> unix time first seen stopped (when FinishedAt is unusable).
    first_seen: HashMap<String, i64>,
    /// Container ID -> restarts made (for `on-failure:N`).
    restarts: HashMap<String, u32>,
    /// Successful restarts since the route server started.
    total: u64,
    /// The last [`RECENT`] actions, oldest first.
    recent: VecDeque<WatchdogAction>,
}

impl Memory {
    /// `/health`'s view: `grace` None means the watchdog is off.
    pub fn health(&self, grace: Option<Duration>) -> WatchdogHealth {
        WatchdogHealth {
            enabled: grace.is_some(),
            grace_seconds: grace.map(|g| g.as_secs_f64()),
            restarts: self.total,
            recent: self.recent.iter().cloned().collect(),
        }
    }

    /// Remember a restart made at `time_unix` and how it went; returns the result as
    /// `/health` words it.
    pub fn record<E: std::fmt::Display>(
        &mut self,
        r: &Restart,
        started: Result<(), E>,
        time_unix: u64,
    ) -> String {
        let result = match &started {
            Ok(()) => "restarted".to_owned(),
            Err(e) => format!("restart failed: {e}"),
        };
        // Failed attempts count too: a container that cannot start is not retried for ever
        // under `on-failure:N`.
        *self.restarts.entry(r.id.clone()).or_insert(0) += 1;
        self.first_seen.remove(&r.id);
        if started.is_ok() {
            self.total += 1;
        }
        self.recent.push_back(WatchdogAction {
            time_unix,
            network_id: r.network_id,
            container: r.name.clone(),
            service: r.service.clone(),
            policy: r.policy_text.clone(),
            exit_code: r.exit_code,
            stopped_seconds: r.stopped_for.as_secs(),
            result: result.clone(),
        });
        while self.recent.len() > RECENT {
            self.recent.pop_front();
        }
        result
    }
}

/// The restarts to make at unix time `now`, from this round's observations. Pure: it only
/// updates `memory`'s first sightings (and forgets containers no longer stopped).
pub fn plan(
    memory: &mut Memory,
    observed: Vec<Observed>,
    now: i64,
    grace: Duration,
) -> Vec<Restart> {
    let mut seen = HashSet::new();
    let mut restarts = Vec::new();
    for o in observed {
        seen.insert(o.id.clone());
        // Not inspected: known to be stopped, not since when.
        let Some(exit) = &o.exit else {
            continue;
        };
        let first = *memory.first_seen.entry(o.id.clone()).or_insert(now);
        let finished = exit
            .finished_at
            .as_deref()
            .and_then(parse_utc)
            .unwrap_or(first);
        let stopped_for =
            Duration::from_secs(u64::try_from(now.saturating_sub(finished)).unwrap_or(0));
        let facts = Stopped {
            exit_code: exit.exit_code,
            stopped_for,
            stopped_on_purpose: o.stopped_on_purpose,
            restarts: memory.restarts.get(&o.id).copied().unwrap_or(0),
        };
        if decide(o.policy, &facts, grace) == Decision::Restart {
            restarts.push(Restart {
                network_id: o.network_id,
                exit_code: exit.exit_code,
                stopped_for,
                id: o.id,
                name: o.name,
                service: o.service,
                policy_text: o.policy_text,
            });
        }
    }
    memory.first_seen.retain(|id, _| seen.contains(id));
    restarts
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

    fn observed(id: &str, policy: &str, exit_code: i64, finished_at: Option<&str>) -> Observed {
        Observed {
            network_id: 2816,
            id: id.into(),
            name: format!("shop-{id}-1"),
            service: id.into(),
            policy_text: policy.into(),
            policy: Policy::parse(Some(policy)).unwrap(),
            exit: Some(Exit {
                exit_code,
                finished_at: finished_at.map(str::to_owned),
            }),
            stopped_on_purpose: false,
        }
    }

    fn ids(restarts: &[Restart]) -> Vec<&str> {
        restarts.iter().map(|r| r.id.as_str()).collect()
    }

    /// The plan over a sequence of rounds: grace counted from FinishedAt or, when Docker gives
    /// none, from the first sighting; restarts counted against `on-failure:N`; a container
    /// stopped on purpose left alone; one not inspected only remembered.
    #[test]
    fn plan_over_a_sequence_of_rounds() {
        const T0: i64 = 1_700_000_000;
        // 1_700_000_000 is 2023-11-14T22:13:20Z.
        let at_t0 = Some("2023-11-14T22:13:20.5Z");
        let never = Some("0001-01-01T00:00:00Z");
        let mut m = Memory::default();

        // A crash (no usable FinishedAt): the grace period runs from the first sighting.
        let a = observed("a", "always", 137, never);
        assert!(plan(&mut m, vec![a.clone()], T0, GRACE).is_empty());
        assert!(plan(&mut m, vec![a.clone()], T0 + 29, GRACE).is_empty());
        let b = observed("b", "on-failure:1", 1, at_t0);
        let mut on_purpose = observed("c", "always", 0, at_t0);
        on_purpose.stopped_on_purpose = true;
        let round = vec![a.clone(), b.clone(), on_purpose.clone()];
        let todo = plan(&mut m, round, T0 + 30, GRACE);
        assert_eq!(ids(&todo), ["a", "b"]);
        assert_eq!(todo[0].stopped_for, GRACE);
        assert_eq!(todo[1].exit_code, 1);
        assert_eq!(m.record(&todo[0], Ok::<_, &str>(()), 1), "restarted");
        assert_eq!(m.record(&todo[1], Err("boom"), 2), "restart failed: boom");
        assert_eq!(m.total, 1);
        // Restarted: no longer waiting; the one stopped on purpose is still watched.
        let watched: Vec<&String> = m.first_seen.keys().collect();
        assert_eq!(watched, ["c"]);

        // Both stop again; b has had its one retry; d could not be inspected.
        let mut d = observed("d", "always", 1, at_t0);
        d.exit = None;
        let round = vec![a.clone(), b.clone(), on_purpose, d];
        assert!(plan(&mut m, round, T0 + 100, GRACE).is_empty());
        assert_eq!(m.first_seen.get("a"), Some(&(T0 + 100)));
        let todo = plan(&mut m, vec![a.clone(), b], T0 + 130, GRACE);
        assert_eq!(ids(&todo), ["a"]);
        m.record(&todo[0], Ok::<_, &str>(()), 3);
        assert_eq!(m.restarts.get("a"), Some(&2));

        // A container no longer seen stopped is forgotten.
        plan(&mut m, vec![a], T0 + 200, GRACE);
        assert!(m.first_seen.contains_key("a"));
        plan(&mut m, Vec::new(), T0 + 201, GRACE);
        assert!(m.first_seen.is_empty());

        let h = m.health(Some(GRACE));
        assert!(h.enabled);
        assert_eq!(h.restarts, 2);
        let results: Vec<(u64, &str)> = h
            .recent
            .iter()
            .map(|r| (r.time_unix, r.result.as_str()))
            .collect();
        assert_eq!(
            results,
            [
                (1, "restarted"),
                (2, "restart failed: boom"),
                (3, "restarted")
            ]
        );
        assert!(!m.health(None).enabled);
    }

    #[test]
    fn recent_actions_are_capped() {
        let mut m = Memory::default();
        let mut a = observed("a", "always", 1, Some("2000-01-01T00:00:00Z"));
        for i in 0..25 {
            a.id = format!("c{i}");
            let todo = plan(&mut m, vec![a.clone()], 1_700_000_000, GRACE);
            m.record(&todo[0], Ok::<_, &str>(()), i);
        }
        let h = m.health(Some(GRACE));
        assert_eq!(h.restarts, 25);
        assert_eq!(h.recent.len(), RECENT);
        assert_eq!(h.recent[0].time_unix, 5);
    }
}
