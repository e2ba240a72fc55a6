//! The route server's HTTP side (axum): every handler clones the latest pre-serialised
//! snapshot, so a request costs a pointer copy and a write.
//!
//! - `GET /config`: the dynamic configuration as YAML (what Traefik's HTTP provider polls);
//!   `?format=json` gives JSON instead. `ETag` and `If-None-Match` are honoured.
//! - `GET /routes.json`: the same configuration as JSON.
//! - `GET /health`: status, counts, daemons, problems, last refresh, watchdog.
//! - `GET /ports`: the port leases and where each one points.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::state::Shared;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/config", get(config))
        .route("/routes.json", get(routes_json))
        .route("/health", get(health))
        .route("/ports", get(ports))
        .fallback(not_found)
        .with_state(shared)
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

async fn config(State(s): State<Arc<Shared>>, uri: Uri, headers: HeaderMap) -> Response {
    let snap = s.snapshot();
    if not_modified(&headers, &snap.etag) {
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

async fn routes_json(State(s): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let snap = s.snapshot();
    if not_modified(&headers, &snap.etag) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    body(JSON, snap.config_json.clone(), Some(&snap.etag))
}

async fn health(State(s): State<Arc<Shared>>) -> Response {
    body(JSON, s.snapshot().health.clone(), None)
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
