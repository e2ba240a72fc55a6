//! What the route server's refresh loop, its event followers and its HTTP handlers share.
//!
//! The latest documents are published as pre-serialised bytes behind an `Arc`, so a request
//! only clones a pointer.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use axum::body::Bytes;
use tokio::sync::Notify;

use super::documents::ConfigRequest;
use crate::docker::Event;

/// What the HTTP handlers serve, serialised once per refresh.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub config_yaml: Bytes,
    pub config_json: Bytes,
    pub health: Bytes,
    pub ports: Bytes,
    /// Quoted ETag of the configuration (FNV-1a of the JSON bytes).
    pub etag: String,
}

/// A daemon's event stream as `/health` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventStream {
    pub connected: bool,
    /// Why the last attempt ended, while not connected.
    pub error: Option<String>,
}

#[derive(Default)]
pub struct Shared {
    snapshot: RwLock<Arc<Snapshot>>,
    /// Wakes the refresh loop (events).
    pub trigger: Notify,
    /// Container IDs with a `stop` event since their last `start`, per network.
    stopped_on_purpose: Mutex<HashMap<u32, HashSet<String>>>,
    /// Each daemon's event stream: followed or not, and why not (for `/health`).
    event_streams: Mutex<BTreeMap<u32, EventStream>>,
    /// Networks with a container `die` event since the watchdog last looked.
    died: Mutex<BTreeSet<u32>>,
    /// The last request for the configuration, for /health.
    last_config_request: Mutex<Option<ConfigRequest>>,
}

/// A poisoned lock only means a thread panicked while holding it; the data is still whole.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.snapshot.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub(crate) fn publish(&self, s: Snapshot) {
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(s);
    }

    /// Record network `net`'s event stream; None forgets it (the daemon is gone).
    pub(crate) fn set_events(&self, net: u32, state: Option<EventStream>) {
        let mut m = lock(&self.event_streams);
        match state {
            Some(s) => m.insert(net, s),
            None => m.remove(&net),
        };
    }

    pub(crate) fn event_streams(&self) -> BTreeMap<u32, EventStream> {
        lock(&self.event_streams).clone()
    }

    /// Learn from one of network `net`'s container events: a `stop` is on purpose (`docker
    /// stop`, `compose stop`) until the container starts again or is removed.
    pub(crate) fn note_event(&self, net: u32, event: Event) {
        if event.action == "die" {
            lock(&self.died).insert(net);
        }
        let mut m = lock(&self.stopped_on_purpose);
        let set = m.entry(net).or_default();
        match event.action.as_str() {
            "stop" => {
                set.insert(event.id);
            }
            "start" | "destroy" => {
                set.remove(&event.id);
            }
            _ => {}
        }
    }

    /// The daemon of `net` went away: what it stopped is no longer known to be stopped on
    /// purpose (a restarted daemon is like a rebooted machine).
    pub(crate) fn forget_stops(&self, net: u32) {
        lock(&self.stopped_on_purpose).remove(&net);
    }

    /// The networks with a container that died since the last call.
    pub(crate) fn take_died(&self) -> BTreeSet<u32> {
        std::mem::take(&mut *lock(&self.died))
    }

    pub(crate) fn note_config_request(&self, request: ConfigRequest) {
        *lock(&self.last_config_request) = Some(request);
    }

    pub(crate) fn last_config_request(&self) -> Option<ConfigRequest> {
        lock(&self.last_config_request).clone()
    }

    pub(crate) fn stopped_on_purpose(&self, net: u32, id: &str) -> bool {
        lock(&self.stopped_on_purpose)
            .get(&net)
            .is_some_and(|s| s.contains(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, action: &str) -> Event {
        Event {
            id: id.into(),
            action: action.into(),
        }
    }

    #[test]
    fn stops_on_purpose_follow_the_events() {
        let s = Shared::default();
        s.note_event(2816, ev("a", "stop"));
        s.note_event(2816, ev("b", "die"));
        assert!(s.stopped_on_purpose(2816, "a"));
        assert!(!s.stopped_on_purpose(2816, "b"));
        assert!(!s.stopped_on_purpose(2880, "a"));
        s.note_event(2816, ev("a", "start"));
        assert!(!s.stopped_on_purpose(2816, "a"));
        s.note_event(2816, ev("a", "stop"));
        s.note_event(2816, ev("a", "destroy"));
        assert!(!s.stopped_on_purpose(2816, "a"));
        s.note_event(2816, ev("c", "stop"));
        s.forget_stops(2816);
        assert!(!s.stopped_on_purpose(2816, "c"));
        // The networks that saw a `die`, once each.
        s.note_event(2880, ev("d", "die"));
        assert_eq!(s.take_died(), BTreeSet::from([2816, 2880]));
        assert!(s.take_died().is_empty());
    }
}
