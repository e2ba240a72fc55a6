//! The route server's accept loop: hyper's HTTP/1 server with limits, so that no client can
//! hold the route server (SPEC section 7, "cannot be stalled"):
//!
//! - at most [`Limits::max_connections`] connections at once; one more is closed as soon as it
//!   is accepted (a semaphore, released when a connection ends);
//! - a request's head must arrive within [`Limits::header_timeout`] (slowloris), and hyper
//!   counts the wait for the next request on a kept-alive connection in it, so an idle
//!   connection is closed after that time too;
//! - a client that stops reading the response is cut after [`Limits::write_timeout`]
//!   (`tokio-io-timeout`); heads are limited to [`Limits::max_head`] bytes, bodies by the router;
//! - at the descriptor limit (`accept` fails with EMFILE/ENFILE), the loop waits
//!   [`ACCEPT_BACKOFF`] instead of spinning on the connections that wait in the backlog.
//!
//! A hand-written loop rather than `axum::serve`, which has none of these limits.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_io_timeout::TimeoutStream;
use tower_layer::Layer;

use crate::output;

/// How long the accept loop waits when the process is out of descriptors.
pub(crate) const ACCEPT_BACKOFF: Duration = Duration::from_millis(250);
/// How long open connections get to finish on shutdown.
const DRAIN: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_connections: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) max_head: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // Traefik holds one or two; the rest is room for tools (`proxy status`, doctor).
            max_connections: 256,
            // Traefik polls every few seconds (`proxy config`: 5 s by default) on a kept-alive
            // connection: reused within this time, closed after it when it stops.
            header_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            // Hyper's minimum; a GET from Traefik is a few hundred bytes.
            max_head: 8192,
        }
    }
}

/// Why `accept` failed: the process (or the system) is out of descriptors or memory, which
/// lasts; anything else concerns one connection only.
fn exhausted(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

/// Serve `app` on `listener` until `shutdown` resolves, then give open connections
/// [`DRAIN`] to finish.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut shutdown = std::pin::pin!(shutdown);
    let mut exhausted_since: Option<String> = None;
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) if exhausted(&e) => {
                let why = e.to_string();
                if exhausted_since.as_deref() != Some(why.as_str()) {
                    output::warn(&format!(
                        "route-server: cannot accept connections: {why}; waiting \
                         {ACCEPT_BACKOFF:?} between attempts (raise the open-file limit)"
                    ));
                    exhausted_since = Some(why);
                }
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
            Err(_) => continue,
        };
        exhausted_since = None;
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            // Over the cap: closed at once (dropping the stream), nothing read or written.
            continue;
        };
        let _ = stream.set_nodelay(true);
        let mut io = TimeoutStream::new(stream);
        io.set_write_timeout(Some(limits.write_timeout));
        let io = TokioIo::new(Box::pin(io));
        // The client address for the handlers (`ConnectInfo`, as `axum::serve` gives it).
        let service =
            TowerToHyperService::new(axum::Extension(ConnectInfo(peer)).layer(app.clone()));
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_buf_size(limits.max_head)
            .serve_connection(io, service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN) => {}
    }
}

/// The client address of a request served by [`serve`].
pub(crate) fn client(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| *a)
}
