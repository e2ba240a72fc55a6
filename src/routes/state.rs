//! What the route server's refresh loop, its event followers and its HTTP handlers share.
//!
//! The latest documents are published as pre-serialised bytes behind an `Arc`, so a request
//! only clones a pointer.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock, Weak};

use axum::body::Bytes;
use tokio::sync::Notify;

use super::documents::{ConfigRequest, with_last_config_request};
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
    /// /health as last served: for this snapshot, with this last request.
    health_served: Mutex<Option<ServedHealth>>,
}

/// /health as served ([`Shared::health`]), kept while neither part changes.
struct ServedHealth {
    /// Weak: an old snapshot's documents (12 MB at 20,000 containers) are not kept for this;
    /// it still keeps the address from being reused by another snapshot.
    snapshot: Weak<Snapshot>,
    last: Option<ConfigRequest>,
    bytes: Bytes,
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

    /// /health as served: the snapshot's with the last request for the configuration
    /// spliced in. The splice copies the document (300 KB with 1,000 daemons); it is kept
    /// until the snapshot or the request changes (Traefik's polls within one second are the
    /// same request to /health: same time, client and User-Agent).
    pub(crate) fn health(&self) -> Bytes {
        let snapshot = self.snapshot();
        let last = self.last_config_request();
        let mut served = lock(&self.health_served);
        if let Some(s) = served.as_ref()
            && Weak::ptr_eq(&s.snapshot, &Arc::downgrade(&snapshot))
            && s.last == last
        {
            return s.bytes.clone();
        }
        let bytes = Bytes::from(with_last_config_request(&snapshot.health, last.as_ref()));
        *served = Some(ServedHealth {
            snapshot: Arc::downgrade(&snapshot),
            last,
            bytes: bytes.clone(),
        });
        bytes
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

    #[test]
    fn health_carries_the_last_config_request() {
        let s = Shared::default();
        s.publish(Snapshot {
            health: Bytes::from_static(b"{\n  \"status\": \"ok\"\n}\n"),
            ..Snapshot::default()
        });
        let read = |b: Bytes| serde_json::from_slice::<serde_json::Value>(&b).unwrap();
        let first = s.health();
        assert_eq!(
            read(first.clone()),
            serde_json::json!({"status": "ok", "last_config_request": null})
        );
        // Unchanged: the same bytes, not a new copy.
        assert_eq!(s.health().as_ptr(), first.as_ptr());
        s.note_config_request(ConfigRequest {
            unix: 1,
            client: "127.0.0.1:1".into(),
            user_agent: "Traefik".into(),
        });
        assert_eq!(
            read(s.health())["last_config_request"]["user_agent"],
            "Traefik"
        );
        s.publish(Snapshot {
            health: Bytes::from_static(b"{\n  \"status\": \"degraded\"\n}\n"),
            ..Snapshot::default()
        });
        let h = read(s.health());
        assert_eq!(h["status"], "degraded");
        assert_eq!(h["last_config_request"]["client"], "127.0.0.1:1");
    }
}
