//! The route server's HTTP side (axum): every handler clones the latest pre-serialised
//! snapshot, so a request costs a pointer copy and a write.
//!
//! - `GET /config`: the dynamic configuration as YAML (what Traefik's HTTP provider polls);
//!   `?format=json` gives JSON instead. `ETag` and `If-None-Match` are honoured.
//! - `GET /routes.json`: the same configuration as JSON.
//! - `GET /health`: status, counts, daemons, problems, last refresh, watchdog.
//! - `GET /ports`: the port leases and where each one points.
//!
//! A request for the configuration is noted (time, client, User-Agent) for /health, so that
//! `renet doctor` can tell whether a proxy polls. Until a first good configuration exists
//! (the first refreshes failed), `/config` answers 503: Traefik keeps what it has then, while
//! an empty document would make it drop every route. Requests carry no body: one over
//! [`MAX_BODY`] is refused (413).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;

use super::documents::ConfigRequest;
use super::listener;
use super::state::{Shared, Snapshot};

/// The largest request body accepted: these are GET endpoints.
const MAX_BODY: usize = 4096;
/// A User-Agent longer than this is cut for /health.
const MAX_USER_AGENT: usize = 256;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/config", get(config))
        .route("/routes.json", get(routes_json))
        .route("/health", get(health))
        .route("/ports", get(ports))
        .fallback(not_found)
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .with_state(shared)
}

/// Note a request for the configuration: when, from where, by what.
fn note(s: &Shared, request: &Request) {
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let user_agent: String = user_agent.chars().take(MAX_USER_AGENT).collect();
    s.note_config_request(ConfigRequest {
        unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        client: listener::client(request.extensions()).map_or_else(String::new, |a| a.to_string()),
        user_agent,
    });
}

/// No good configuration yet: 503, so the proxy keeps what it has.
fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, HeaderValue::from_static(JSON))],
        "{\"error\": \"no configuration yet: the refreshes failed so far; see /health\"}\n",
    )
        .into_response()
}

fn ready(snap: &Snapshot) -> bool {
    !snap.config_json.is_empty()
}

const YAML: &str = "application/yaml";
const JSON: &str = "application/json";

fn body(content_type: &'static str, bytes: Bytes, etag: Option<&str>) -> Response {
    let mut r = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        bytes,
    )
        .into_response();
    if let Some(tag) = etag.and_then(|t| HeaderValue::from_str(t).ok()) {
        r.headers_mut().insert(header::ETAG, tag);
    }
    r
}

fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

async fn config(State(s): State<Arc<Shared>>, request: Request) -> Response {
    note(&s, &request);
    let snap = s.snapshot();
    let (uri, headers): (&Uri, &HeaderMap) = (request.uri(), request.headers());
    if !ready(&snap) {
        return unavailable();
    }
    if not_modified(headers, &snap.etag) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let json = uri
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv == "format=json"));
    if json {
        body(JSON, snap.config_json.clone(), Some(&snap.etag))
    } else {
        body(YAML, snap.config_yaml.clone(), Some(&snap.etag))
    }
}

async fn routes_json(State(s): State<Arc<Shared>>, request: Request) -> Response {
    note(&s, &request);
    let snap = s.snapshot();
    if !ready(&snap) {
        return unavailable();
    }
    if not_modified(request.headers(), &snap.etag) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    body(JSON, snap.config_json.clone(), Some(&snap.etag))
}

async fn health(State(s): State<Arc<Shared>>) -> Response {
    body(JSON, s.health(), None)
}

async fn ports(State(s): State<Arc<Shared>>) -> Response {
    body(JSON, s.snapshot().ports.clone(), None)
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, HeaderValue::from_static(JSON))],
        "{\"error\": \"not found: try /config, /routes.json, /health or /ports\"}\n",
    )
        .into_response()
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let term = async {
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}
