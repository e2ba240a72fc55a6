//! The watchdog's decision (pure): should a stopped container be restarted now?
//!
//! `renet compose` gives Docker `restart: "no"` and keeps the user's policy in `.rediacc.json`
//! (SPEC section 3); the route server applies it. Like Docker: `on-failure` only after a
//! non-zero exit code (and at most N times for `on-failure:N`), and a container stopped on
//! purpose (`docker stop`, `compose stop`: the daemon reports a `stop` event) stays stopped
//! under every policy. When (SPEC section 9):
//!
//! - a crash (a non-zero exit code, no `stop` event) is restarted at once: after [`Pacing::settle`]
//!   only, so that the `stop` event a `docker stop` sends right after its `die` is seen first;
//! - a clean exit (code 0, no `stop` event) waits the grace period first: it is what an
//!   operator's stop looks like when the route server did not see the event (it was not
//!   running, the event stream was down, `docker exec ... kill 1`), and a quick operator action
//!   is not fought;
//! - a container that keeps crashing backs off: the restart after a crash that came less than
//!   [`Pacing::reset_after`] after the last restart waits 1 s, then 2 s, 4 s ... up to
//!   [`Pacing::backoff_max`]; running longer than that resets it (Docker's own restart manager
//!   works the same way, from 100 ms to 1 min, reset after 10 s).
//!
//! [`plan`] turns what the route server observed (stopped containers with a saved policy) and
//! what the watchdog remembers (restarts made, when each stop was first seen, the back-off)
//! into the restarts to make now; the route server makes them and [`Memory::record`]s the
//! outcome, and [`Memory::next_due`] says when to look again.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Duration;

use super::documents::{WatchdogAction, WatchdogContainer, WatchdogHealth, WatchdogPacing};
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

/// How the watchdog paces its restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// How long a container that exited cleanly (code 0) stays stopped before a restart.
    pub grace: Duration,
    /// How long after a crash before its restart: the `stop` event that follows the `die` of a
    /// `docker stop` arrives within milliseconds; this leaves room for a busy machine.
    pub settle: Duration,
    /// The back-off after the first quick crash, doubled at each one in a row.
    pub backoff_first: Duration,
    pub backoff_max: Duration,
    /// A container that ran this long after a restart has its back-off reset.
    pub reset_after: Duration,
}

impl Pacing {
    /// The pacing of `renet route-server --watchdog-grace GRACE`.
    pub fn with_grace(grace: Duration) -> Self {
        Self {
            grace,
            settle: Duration::from_millis(500),
            backoff_first: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            reset_after: Duration::from_secs(60),
        }
    }

    /// The back-off before the restart that follows `streak` quick crashes in a row: none for
    /// the first crash, then `backoff_first`, doubled each time, at most `backoff_max`.
    pub fn backoff(&self, streak: u32) -> Duration {
        if streak == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32.checked_shl(streak - 1).unwrap_or(u32::MAX);
        self.backoff_first
            .saturating_mul(factor)
            .min(self.backoff_max)
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
    /// The back-off this stop waits out (zero unless it crashed soon after a restart).
    pub backoff: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Restart,
    /// Restart later, after this much more time (unless something changes).
    Wait(Duration),
    /// Leave it stopped, for this reason.
    Leave(&'static str),
}

pub fn decide(policy: Policy, s: &Stopped, pacing: &Pacing) -> Decision {
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
    let need = first_wait(s.exit_code, pacing).max(s.backoff);
    if s.stopped_for < need {
        Decision::Wait(need - s.stopped_for)
    } else {
        Decision::Restart
    }
}

/// A crash waits only to settle; a clean exit (maybe an operator's stop) the grace period.
fn first_wait(exit_code: i64, pacing: &Pacing) -> Duration {
    if exit_code == 0 {
        pacing.grace
    } else {
        pacing.settle
    }
}

/// What a waiting container waits for, as `/health` names it.
fn waiting_for(exit_code: i64, backoff: Duration, pacing: &Pacing) -> &'static str {
    if backoff > first_wait(exit_code, pacing) {
        "back-off"
    } else if exit_code == 0 {
        "grace"
    } else {
        "settle"
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
    /// The back-off it waited out.
    pub backoff: Duration,
}

/// One stop of a container, from its first sighting until it runs again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StopSeen {
    /// When it stopped (unix ms): `FinishedAt`, else the first sighting; never before the last
    /// restart (a restart that failed leaves `FinishedAt` as it was).
    since_ms: i64,
    exit_code: i64,
    backoff: Duration,
    /// While it waits: when the restart is due (unix ms) and why it waits.
    next_attempt_ms: Option<i64>,
    waiting_for: Option<&'static str>,
}

/// A container the watchdog restarts or is about to: kept while it is stopped, and for
/// [`Pacing::reset_after`] after its last restart (its back-off lives that long).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Track {
    network_id: u32,
    name: String,
    service: String,
    policy_text: String,
    /// Quick crashes in a row: the back-off's exponent.
    streak: u32,
    last_restart_ms: Option<i64>,
    last_result: Option<String>,
    stop: Option<StopSeen>,
}

/// What the watchdog remembers between rounds.
#[derive(Debug, Default)]
pub struct Memory {
    /// Container ID -> what is known of it.
    tracks: BTreeMap<String, Track>,
    /// Container ID -> restarts made (for `on-failure:N`; like Docker's restart count, never
    /// reset while the container exists).
    restarts: HashMap<String, u32>,
    /// Successful restarts since the route server started.
    total: u64,
    /// The last [`RECENT`] actions, oldest first.
    recent: VecDeque<WatchdogAction>,
}

fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e3).round() / 1e3
}

impl Memory {
    /// `/health`'s view: `pacing` None means the watchdog is off.
    pub fn health(&self, pacing: Option<&Pacing>) -> WatchdogHealth {
        let containers = self
            .tracks
            .iter()
            .map(|(id, t)| WatchdogContainer {
                network_id: t.network_id,
                container: t.name.clone(),
                service: t.service.clone(),
                policy: t.policy_text.clone(),
                restarts: self.restarts.get(id).copied().unwrap_or(0),
                crashes_in_a_row: t.streak,
                backoff_seconds: t.stop.map_or(0.0, |s| seconds(s.backoff)),
                next_attempt_unix: t
                    .stop
                    .and_then(|s| s.next_attempt_ms)
                    .map(|ms| ms as f64 / 1e3),
                waiting_for: t.stop.and_then(|s| s.waiting_for).map(str::to_owned),
                last_result: t.last_result.clone(),
            })
            .collect();
        WatchdogHealth {
            enabled: pacing.is_some(),
            grace_seconds: pacing.map(|p| p.grace.as_secs_f64()),
            restarts: self.total,
            recent: self.recent.iter().cloned().collect(),
            pacing: pacing.map(|p| WatchdogPacing {
                settle_seconds: seconds(p.settle),
                backoff_first_seconds: seconds(p.backoff_first),
                backoff_max_seconds: seconds(p.backoff_max),
                reset_after_seconds: seconds(p.reset_after),
            }),
            containers,
            problems: Vec::new(),
        }
    }

    /// Remember a restart made at unix time `now_ms` and how it went; returns the result as
    /// `/health` words it.
    pub fn record<E: std::fmt::Display>(
        &mut self,
        r: &Restart,
        started: Result<(), E>,
        now_ms: i64,
    ) -> String {
        let result = match &started {
            Ok(()) => "restarted".to_owned(),
            Err(e) => format!("restart failed: {e}"),
        };
        // Failed attempts count too: a container that cannot start is not retried for ever
        // under `on-failure:N`, and backs off like one that crashes.
        *self.restarts.entry(r.id.clone()).or_insert(0) += 1;
        if let Some(t) = self.tracks.get_mut(&r.id) {
            t.last_restart_ms = Some(now_ms);
            t.last_result = Some(result.clone());
            t.stop = None;
        }
        if started.is_ok() {
            self.total += 1;
        }
        self.recent.push_back(WatchdogAction {
            time_unix: u64::try_from(now_ms / 1000).unwrap_or(0),
            network_id: r.network_id,
            container: r.name.clone(),
            service: r.service.clone(),
            policy: r.policy_text.clone(),
            exit_code: r.exit_code,
            stopped_seconds: r.stopped_for.as_secs(),
            backoff_seconds: seconds(r.backoff),
            result: result.clone(),
        });
        while self.recent.len() > RECENT {
            self.recent.pop_front();
        }
        result
    }

    /// How long from `now_ms` until the first restart that waits is due; None when none
    /// waits.
    pub fn next_due(&self, now_ms: i64) -> Option<Duration> {
        self.tracks
            .values()
            .filter_map(|t| t.stop?.next_attempt_ms)
            .min()
            .map(|due| Duration::from_millis(u64::try_from(due - now_ms).unwrap_or(0)))
    }

    /// The networks with a restart waiting: the ones to look at when it is due.
    pub fn waiting_networks(&self) -> BTreeSet<u32> {
        self.tracks
            .values()
            .filter(|t| t.stop.is_some_and(|s| s.next_attempt_ms.is_some()))
            .map(|t| t.network_id)
            .collect()
    }

    /// Forget the containers of networks whose daemon is gone.
    pub fn keep_networks(&mut self, present: &BTreeSet<u32>) {
        self.tracks.retain(|_, t| present.contains(&t.network_id));
    }
}

/// The stop `exit` describes, for a container last restarted at `last_restart_ms`, and its
/// usable `FinishedAt` (unix ms).
fn new_stop(exit: &Exit, last_restart_ms: Option<i64>, now_ms: i64) -> (StopSeen, Option<i64>) {
    let finished = exit.finished_at.as_deref().and_then(parse_utc_ms);
    let stopped = finished.unwrap_or(now_ms);
    let stop = StopSeen {
        since_ms: last_restart_ms.map_or(stopped, |r| stopped.max(r)),
        exit_code: exit.exit_code,
        backoff: Duration::ZERO,
        next_attempt_ms: None,
        waiting_for: None,
    };
    (stop, finished)
}

/// The restarts to make at unix time `now_ms` (milliseconds), from this round's observations
/// of the networks in `looked` (every stopped container there with a saved policy). Pure: it
/// only updates `memory` (stops seen, back-offs, waits), and forgets containers of those
/// networks that no longer stop once their back-off has lapsed.
pub fn plan(
    memory: &mut Memory,
    looked: &BTreeSet<u32>,
    observed: Vec<Observed>,
    now_ms: i64,
    pacing: &Pacing,
) -> Vec<Restart> {
    let mut seen = BTreeSet::new();
    let mut restarts = Vec::new();
    for o in observed {
        seen.insert(o.id.clone());
        // Not inspected: known to be stopped, not since when nor how.
        let Some(exit) = o.exit.clone() else {
            continue;
        };
        if let Some(r) = plan_one(memory, o, &exit, now_ms, pacing) {
            restarts.push(r);
        }
    }
    let reset_ms = i64::try_from(pacing.reset_after.as_millis()).unwrap_or(i64::MAX);
    memory.tracks.retain(|id, t| {
        if !looked.contains(&t.network_id) || seen.contains(id) {
            return true;
        }
        // Running again (restarted, or started by someone) or gone.
        t.stop = None;
        t.last_restart_ms
            .is_some_and(|r| now_ms.saturating_sub(r) < reset_ms)
    });
    restarts
}

/// One stopped container: its stop as the memory keeps it, and the decision.
fn plan_one(
    memory: &mut Memory,
    o: Observed,
    exit: &Exit,
    now_ms: i64,
    pacing: &Pacing,
) -> Option<Restart> {
    let track = memory.tracks.get(&o.id);
    let last_restart = track.and_then(|t| t.last_restart_ms);
    let (fresh, finished) = new_stop(exit, last_restart, now_ms);
    // The same stop as last round, unless it ran (and stopped) again in between.
    let kept = track
        .and_then(|t| t.stop)
        .filter(|s| finished.is_none_or(|f| f <= s.since_ms));
    let reset_ms = i64::try_from(pacing.reset_after.as_millis()).unwrap_or(i64::MAX);
    let quick = last_restart.is_some_and(|r| fresh.since_ms.saturating_sub(r) < reset_ms);
    let streak = match (kept, track) {
        (Some(_), Some(t)) => t.streak,
        (None, Some(t)) if quick => t.streak.saturating_add(1),
        _ => 0,
    };
    let mut stop = kept.unwrap_or(fresh);
    stop.backoff = pacing.backoff(streak);
    let stopped_for =
        Duration::from_millis(u64::try_from(now_ms.saturating_sub(stop.since_ms)).unwrap_or(0));
    let facts = Stopped {
        exit_code: exit.exit_code,
        stopped_for,
        stopped_on_purpose: o.stopped_on_purpose,
        restarts: memory.restarts.get(&o.id).copied().unwrap_or(0),
        backoff: stop.backoff,
    };
    let decision = decide(o.policy, &facts, pacing);
    if let Decision::Leave(_) = decision {
        if let Some(t) = memory.tracks.get_mut(&o.id) {
            t.stop = None;
        }
        return None;
    }
    let t = memory.tracks.entry(o.id.clone()).or_insert_with(|| Track {
        network_id: o.network_id,
        name: o.name.clone(),
        service: o.service.clone(),
        policy_text: o.policy_text.clone(),
        streak: 0,
        last_restart_ms: None,
        last_result: None,
        stop: None,
    });
    t.streak = streak;
    match decision {
        Decision::Wait(left) => {
            stop.next_attempt_ms =
                Some(now_ms.saturating_add(i64::try_from(left.as_millis()).unwrap_or(i64::MAX)));
            stop.waiting_for = Some(waiting_for(stop.exit_code, stop.backoff, pacing));
            t.stop = Some(stop);
            None
        }
        _ => {
            stop.next_attempt_ms = None;
            stop.waiting_for = None;
            t.stop = Some(stop);
            Some(Restart {
                network_id: o.network_id,
                exit_code: exit.exit_code,
                stopped_for,
                backoff: stop.backoff,
                id: o.id,
                name: o.name,
                service: o.service,
                policy_text: o.policy_text,
            })
        }
    }
}

/// Milliseconds since the Unix epoch of an RFC 3339 UTC time as Docker writes it
/// (`2024-05-01T12:00:00.123456789Z`, or with `+00:00`). None for anything else, and for
/// Docker's zero time (`0001-01-01T00:00:00Z`, "never"), which is before the epoch.
pub fn parse_utc_ms(s: &str) -> Option<i64> {
    let zulu = match s.strip_suffix("+00:00") {
        Some(head) => std::borrow::Cow::Owned(format!("{head}Z")),
        None => std::borrow::Cow::Borrowed(s),
    };
    let t = humantime::parse_rfc3339(&zulu).ok()?;
    let since = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(since.as_millis()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRACE: Duration = Duration::from_secs(30);

    fn pacing() -> Pacing {
        Pacing::with_grace(GRACE)
    }

    fn stopped(exit_code: i64, secs: u64) -> Stopped {
        Stopped {
            exit_code,
            stopped_for: Duration::from_secs(secs),
            stopped_on_purpose: false,
            restarts: 0,
            backoff: Duration::ZERO,
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

    /// Policy x exit code x elapsed time: a crash (non-zero) is restarted once settled (half
    /// a second), a clean exit after the grace period.
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
            (Policy::Always, 137, 1, Restart),
            (Policy::Always, 0, 10, Wait(Duration::from_secs(20))),
            (Policy::Always, 0, 29, Wait(Duration::from_secs(1))),
            (Policy::UnlessStopped, 0, 31, Restart),
            (Policy::UnlessStopped, 2, 29, Restart),
            (
                Policy::UnlessStopped,
                2,
                0,
                Wait(Duration::from_millis(500)),
            ),
            (on_failure, 1, 100, Restart),
            (on_failure, 139, 100, Restart),
            (on_failure, -1, 100, Restart),
            (on_failure, 1, 5, Restart),
            (on_failure, 0, 100, Leave("exited with code 0 (on-failure)")),
            (on_failure, 0, 5, Leave("exited with code 0 (on-failure)")),
        ];
        for (policy, code, secs, want) in cases {
            assert_eq!(
                decide(policy, &stopped(code, secs), &pacing()),
                want,
                "{policy:?} exit {code} after {secs}s"
            );
        }
    }

    #[test]
    fn stopped_on_purpose_retry_limits_and_backoff() {
        let mut s = stopped(1, 100);
        s.stopped_on_purpose = true;
        for p in [
            Policy::Always,
            Policy::UnlessStopped,
            Policy::OnFailure { max_retries: None },
        ] {
            assert!(
                matches!(decide(p, &s, &pacing()), Decision::Leave(_)),
                "{p:?}"
            );
        }
        let limited = Policy::OnFailure {
            max_retries: Some(2),
        };
        let mut s = stopped(1, 100);
        s.restarts = 1;
        assert_eq!(decide(limited, &s, &pacing()), Decision::Restart);
        s.restarts = 2;
        assert_eq!(
            decide(limited, &s, &pacing()),
            Decision::Leave("on-failure retry limit reached")
        );
        // No limit on always.
        s.restarts = 1000;
        assert_eq!(decide(Policy::Always, &s, &pacing()), Decision::Restart);
        // A zero grace restarts a clean exit at once.
        assert_eq!(
            decide(
                Policy::Always,
                &stopped(0, 0),
                &Pacing::with_grace(Duration::ZERO)
            ),
            Decision::Restart
        );
        // A back-off longer than the settle time or the grace is waited out.
        let mut s = stopped(1, 3);
        s.backoff = Duration::from_secs(4);
        assert_eq!(
            decide(Policy::Always, &s, &pacing()),
            Decision::Wait(Duration::from_secs(1))
        );
        s.exit_code = 0;
        assert_eq!(
            decide(Policy::Always, &s, &pacing()),
            Decision::Wait(Duration::from_secs(27))
        );
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let p = pacing();
        let secs: Vec<u64> = [0, 1, 2, 3, 4, 9, 10, 11, 40, u32::MAX]
            .map(|n| p.backoff(n).as_secs())
            .to_vec();
        assert_eq!(secs, [0, 1, 2, 4, 8, 256, 300, 300, 300, 300]);
    }

    #[test]
    fn docker_times() {
        assert_eq!(parse_utc_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc_ms("2000-03-01T00:00:00Z"), Some(951_868_800_000));
        assert_eq!(
            parse_utc_ms("2024-05-01T12:34:56.123456789Z"),
            Some(1_714_566_896_123)
        );
        assert_eq!(
            parse_utc_ms("2024-05-01T12:34:56+00:00"),
            Some(1_714_566_896_000)
        );
        for bad in [
            "0001-01-01T00:00:00Z",
            "",
            "2024-05-01 12:34:56Z",
            "2024-05-01T12:34:56",
            "2024-05-01T12:34:56+02:00",
            "2024-13-01T00:00:00Z",
            "20x4-05-01T12:34:56Z",
        ] {
            assert_eq!(parse_utc_ms(bad), None, "{bad}");
        }
    }

    /// 1_700_000_000 s is 2023-11-14T22:13:20Z.
    const T0: i64 = 1_700_000_000_000;

    /// Docker's `FinishedAt` for `T0 + ms`.
    fn finished(ms: i64) -> String {
        let at = std::time::UNIX_EPOCH + Duration::from_millis(u64::try_from(T0 + ms).unwrap());
        humantime::format_rfc3339_millis(at).to_string()
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

    /// `a` of [`observed`], crashed (exit 3) at `T0 + at`.
    fn crashed_at(at: i64) -> Observed {
        observed("a", "always", 3, Some(&finished(at)))
    }

    fn ids(restarts: &[Restart]) -> Vec<&str> {
        restarts.iter().map(|r| r.id.as_str()).collect()
    }

    fn looked() -> BTreeSet<u32> {
        BTreeSet::from([2816])
    }

    /// `/health`'s entry for container `shop-<id>-1`.
    fn entry(m: &Memory, id: &str) -> WatchdogContainer {
        let h = m.health(Some(&pacing()));
        h.containers
            .into_iter()
            .find(|c| c.container == format!("shop-{id}-1"))
            .unwrap_or_else(|| panic!("no entry for {id}"))
    }

    /// A container that keeps crashing: restarted once settled, then after 1 s, 2 s, 4 s of
    /// back-off (a failed start counts as a crash), each wait in `/health` and in
    /// `next_due`; running past the reset forgets it, so its next crash is restarted at once.
    #[test]
    fn a_crash_is_restarted_at_once_then_backed_off() {
        let p = pacing();
        let mut m = Memory::default();
        let round = |m: &mut Memory, o: Observed, at: i64| plan(m, &looked(), vec![o], T0 + at, &p);

        // Crashed at T0; seen at once: it settles first.
        assert!(round(&mut m, crashed_at(0), 0).is_empty());
        assert_eq!(m.next_due(T0), Some(Duration::from_millis(500)));
        assert_eq!(m.waiting_networks(), BTreeSet::from([2816]));
        let e = entry(&m, "a");
        assert_eq!(e.waiting_for.as_deref(), Some("settle"));
        assert_eq!(e.next_attempt_unix, Some(1_700_000_000.5));
        let todo = round(&mut m, crashed_at(0), 500);
        assert_eq!(ids(&todo), ["a"]);
        assert_eq!(todo[0].backoff, Duration::ZERO);
        assert_eq!(m.record(&todo[0], Ok::<_, &str>(()), T0 + 600), "restarted");
        assert_eq!(m.next_due(T0 + 600), None);

        // It crashes 400 ms after the restart: 1 s of back-off, already over when seen.
        let todo = round(&mut m, crashed_at(1000), 2000);
        assert_eq!(ids(&todo), ["a"]);
        assert_eq!(todo[0].backoff, Duration::from_secs(1));
        m.record(&todo[0], Ok::<_, &str>(()), T0 + 2000);

        // Again: 2 s, of which 1.6 s are left when seen.
        assert!(round(&mut m, crashed_at(2100), 2500).is_empty());
        assert_eq!(m.next_due(T0 + 2500), Some(Duration::from_millis(1600)));
        let e = entry(&m, "a");
        assert_eq!(
            (e.crashes_in_a_row, e.backoff_seconds, e.restarts),
            (2, 2.0, 2)
        );
        assert_eq!(e.waiting_for.as_deref(), Some("back-off"));
        assert!(round(&mut m, crashed_at(2100), 4000).is_empty());
        let todo = round(&mut m, crashed_at(2100), 4100);
        assert_eq!(ids(&todo), ["a"]);
        assert_eq!(
            m.record(&todo[0], Err("no such image"), T0 + 4100),
            "restart failed: no such image"
        );

        // The start failed: FinishedAt stays old, the stop counts from the attempt; 4 s.
        assert!(round(&mut m, crashed_at(2100), 4200).is_empty());
        assert_eq!(m.next_due(T0 + 4200), Some(Duration::from_millis(3900)));
        let todo = round(&mut m, crashed_at(2100), 8100);
        assert_eq!(todo[0].backoff, Duration::from_secs(4));
        m.record(&todo[0], Ok::<_, &str>(()), T0 + 8100);
        let e = entry(&m, "a");
        assert_eq!((e.restarts, e.crashes_in_a_row), (4, 3));
        assert_eq!(e.last_result.as_deref(), Some("restarted"));
        assert_eq!(e.next_attempt_unix, None);

        // It runs: kept while the back-off lives, forgotten after the reset.
        assert!(plan(&mut m, &looked(), Vec::new(), T0 + 60_000, &p).is_empty());
        assert_eq!(entry(&m, "a").crashes_in_a_row, 3);
        plan(&mut m, &looked(), Vec::new(), T0 + 68_100, &p);
        assert!(m.health(Some(&p)).containers.is_empty());
        // Its next crash starts afresh (and on-failure counts are kept).
        let todo = round(&mut m, crashed_at(100_000), 100_500);
        assert_eq!(todo[0].backoff, Duration::ZERO);
        let h = m.health(Some(&p));
        assert_eq!(h.restarts, 3);
        assert_eq!(h.containers[0].restarts, 4);
        let backoffs: Vec<f64> = h.recent.iter().map(|a| a.backoff_seconds).collect();
        assert_eq!(backoffs, [0.0, 1.0, 2.0, 4.0]);
    }

    /// A clean exit waits the grace period (from FinishedAt, or the first sighting when Docker
    /// gives none); a stop on purpose is left; `on-failure:1` retries once; a container that
    /// could not be inspected is only remembered.
    #[test]
    fn clean_exits_wait_the_grace_and_stops_on_purpose_are_left() {
        let p = pacing();
        let mut m = Memory::default();
        let never = Some("0001-01-01T00:00:00Z");
        let clean = observed("e", "unless-stopped", 0, never);
        let mut on_purpose = observed("c", "always", 143, Some(&finished(0)));
        on_purpose.stopped_on_purpose = true;
        let once = observed("b", "on-failure:1", 1, Some(&finished(0)));
        let round = vec![clean.clone(), on_purpose.clone(), once.clone()];
        let todo = plan(&mut m, &looked(), round, T0 + 1000, &p);
        assert_eq!(ids(&todo), ["b"]);
        m.record(&todo[0], Ok::<_, &str>(()), T0 + 1000);
        assert_eq!(entry(&m, "e").waiting_for.as_deref(), Some("grace"));
        assert_eq!(m.next_due(T0 + 1000), Some(GRACE));
        // The one stopped on purpose has no entry: nothing is planned for it.
        assert_eq!(m.health(Some(&p)).containers.len(), 2);

        // b crashes again: its one retry is spent. d could not be inspected.
        let mut d = observed("d", "always", 1, Some(&finished(0)));
        d.exit = None;
        let again = observed("b", "on-failure:1", 1, Some(&finished(2000)));
        let round = vec![clean.clone(), on_purpose.clone(), again, d];
        assert!(plan(&mut m, &looked(), round, T0 + 20_000, &p).is_empty());
        assert_eq!(entry(&m, "b").next_attempt_unix, None);
        let todo = plan(&mut m, &looked(), vec![clean], T0 + 31_000, &p);
        assert_eq!(ids(&todo), ["e"]);
        assert_eq!(todo[0].stopped_for, GRACE);
        assert_eq!(todo[0].exit_code, 0);
        assert!(!m.health(None).enabled);
    }

    /// Only the networks looked at this round learn anything; a gone daemon's containers are
    /// forgotten.
    #[test]
    fn rounds_cover_only_the_networks_they_looked_at() {
        let p = pacing();
        let mut m = Memory::default();
        let mut other = crashed_at(0);
        other.network_id = 2880;
        other.id = "x".into();
        other.name = "blog-x-1".into();
        plan(&mut m, &BTreeSet::from([2880]), vec![other], T0, &p);
        plan(&mut m, &looked(), Vec::new(), T0 + 100_000, &p);
        assert_eq!(m.waiting_networks(), BTreeSet::from([2880]));
        m.keep_networks(&looked());
        assert!(m.waiting_networks().is_empty());
        assert!(m.health(Some(&p)).containers.is_empty());
    }

    #[test]
    fn recent_actions_are_capped() {
        let mut m = Memory::default();
        let mut a = observed("a", "always", 1, Some("2000-01-01T00:00:00Z"));
        for i in 0..25 {
            a.id = format!("c{i}");
            let todo = plan(&mut m, &looked(), vec![a.clone()], T0, &pacing());
            m.record(&todo[0], Ok::<_, &str>(()), i * 1000);
        }
        let h = m.health(Some(&pacing()));
        assert_eq!(h.restarts, 25);
        assert_eq!(h.recent.len(), RECENT);
        assert_eq!(h.recent[0].time_unix, 5);
    }
}
