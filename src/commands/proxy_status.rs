//! `renet proxy status` and `renet proxy routes`: what the route server reports, read over its
//! HTTP endpoints (`/health`, `/routes.json`). One plain HTTP/1.1 GET on a std `TcpStream` is
//! all this needs: the route server is local and answers small documents.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde_json::Value;

use super::Ctx;
use crate::cli::ProxyStatusArgs;
use crate::error::{Error, Result};

/// How long the route server may take to accept and to answer.
const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub(crate) enum StatusError {
    #[error("--route-server {raw:?} is not an http:// URL of the route server")]
    BadUrl { raw: String },
    #[error(
        "the route server at {url} does not answer ({reason}); start it with: renet route-server \
         (or, on a machine set up with `renet proxy unit`: systemctl start rediacc-router)"
    )]
    NotAnswering { url: String, reason: String },
    #[error("the route server at {url} answered {path} with {reason}")]
    BadAnswer {
        url: String,
        path: &'static str,
        reason: String,
    },
}

impl From<StatusError> for Error {
    /// A bad URL is a usage error (exit 2); a route server that does not answer, or answers
    /// nonsense, is a failed operation (exit 1).
    fn from(e: StatusError) -> Self {
        match e {
            StatusError::BadUrl { .. } => Error::Usage(e.to_string()),
            _ => Error::IoPlain(std::io::Error::other(e)),
        }
    }
}

/// The route server's address, from its base URL or any of its URLs (`/config`, ...).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Server {
    /// `host:port`, for connecting and for the Host header.
    authority: String,
    /// `http://host:port`, for messages.
    pub(crate) url: String,
}

pub(crate) fn server(raw: &str) -> std::result::Result<Server, StatusError> {
    let bad = || StatusError::BadUrl {
        raw: raw.to_owned(),
    };
    let uri: axum::http::Uri = raw.parse().map_err(|_| bad())?;
    if uri.scheme_str() != Some("http") {
        return Err(bad());
    }
    let auth = uri
        .authority()
        .filter(|a| !a.host().is_empty())
        .ok_or_else(bad)?;
    let authority = format!("{}:{}", auth.host(), auth.port_u16().unwrap_or(80));
    Ok(Server {
        url: format!("http://{authority}"),
        authority,
    })
}

/// GET `path` and parse its body as JSON.
pub(crate) fn get_json(s: &Server, path: &'static str) -> std::result::Result<Value, StatusError> {
    get_json_within(s, path, TIMEOUT)
}

/// [`get_json`] with its own bound on connecting and on each read (`renet doctor` keeps its
/// whole run short).
pub(crate) fn get_json_within(
    s: &Server,
    path: &'static str,
    timeout: Duration,
) -> std::result::Result<Value, StatusError> {
    let not_answering = |reason: String| StatusError::NotAnswering {
        url: s.url.clone(),
        reason,
    };
    let bad_answer = |reason: String| StatusError::BadAnswer {
        url: s.url.clone(),
        path,
        reason,
    };
    let raw = fetch(&s.authority, path, timeout).map_err(|e| not_answering(e.to_string()))?;
    let (status, body) = split_response(&raw).map_err(|r| bad_answer(r.to_owned()))?;
    if status != 200 {
        return Err(bad_answer(format!("HTTP status {status}")));
    }
    serde_json::from_slice(&body).map_err(|e| bad_answer(format!("a body that is not JSON: {e}")))
}

/// The whole response to one GET: `Connection: close` lets the server end it by closing.
fn fetch(authority: &str, path: &str, timeout: Duration) -> std::io::Result<Vec<u8>> {
    let addr = authority
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other("the host resolves to no address"))?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    Ok(raw)
}

/// The status code and the body (de-chunked when the server chunked it).
fn split_response(raw: &[u8]) -> std::result::Result<(u16, Vec<u8>), &'static str> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("an incomplete HTTP response")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|_| "a malformed HTTP header")?;
    let body = &raw[end + 4..];
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("a malformed HTTP status line")?;
    let chunked = head.lines().any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("transfer-encoding")
                && v.trim().eq_ignore_ascii_case("chunked")
        })
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Ok((status, body))
}

fn dechunk(mut rest: &[u8]) -> std::result::Result<Vec<u8>, &'static str> {
    let mut out = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a truncated chunked body")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).map_err(|_| "a bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "a bad chunk size")?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = rest.get(..size).ok_or("a truncated chunked body")?;
        out.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or("a truncated chunked body")?;
    }
}

pub(crate) fn status(ctx: &Ctx<'_>, a: &ProxyStatusArgs) -> Result<u8> {
    let s = server(&a.route_server)?;
    let health = get_json(&s, "/health")?;
    if ctx.json {
        ctx.out.json(&health);
    } else {
        for line in health_lines(&s.url, &health) {
            ctx.out.data(&line);
        }
    }
    Ok(0)
}

pub(crate) fn routes(ctx: &Ctx<'_>, a: &ProxyStatusArgs) -> Result<u8> {
    let s = server(&a.route_server)?;
    let config = get_json(&s, "/routes.json")?;
    if ctx.json {
        ctx.out.json(&config);
    } else {
        for line in route_lines(&config) {
            ctx.out.data(&line);
        }
    }
    Ok(0)
}

fn count(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

/// The human summary of `/health`: status, daemons, routers, problems.
fn health_lines(url: &str, h: &Value) -> Vec<String> {
    let mut lines = vec![
        format!(
            "route server {url}: {}",
            h["status"].as_str().unwrap_or("unknown")
        ),
        format!(
            "daemons: {} seen, {} failed",
            count(h, "daemons_seen"),
            count(h, "daemons_failed")
        ),
    ];
    for d in h["daemons"].as_array().into_iter().flatten() {
        let state = match d["error"].as_str() {
            Some(e) => format!("failed: {e}"),
            None => format!("ok, {} containers", count(d, "containers")),
        };
        lines.push(format!("  network {}: {state}", count(d, "network_id")));
    }
    lines.push(format!(
        "routers: {} (http {}, tcp {}, udp {}); {} containers routed",
        count(h, "routers"),
        count(&h["http"], "routers"),
        count(&h["tcp"], "routers"),
        count(&h["udp"], "routers"),
        count(h, "containers_routed")
    ));
    let problems = h["problems"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    lines.push(format!("problems: {}", problems.len()));
    for p in problems {
        let text = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
        lines.push(format!(
            "  network {} container {} service {}: {} ({})",
            count(p, "network_id"),
            text("container"),
            text("service"),
            text("effect"),
            text("reason")
        ));
    }
    if let Some(e) = h["leases"]["error"].as_str() {
        lines.push(format!("port leases: {e}"));
    }
    lines
}

/// `/routes.json` as `host -> backend` lines: HTTP by the hosts of each router's rule, TCP and
/// UDP by entrypoint.
fn route_lines(config: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    for proto in ["http", "tcp", "udp"] {
        let section = &config[proto];
        for (name, router) in section["routers"].as_object().into_iter().flatten() {
            let backends = backends(&section["services"][router["service"].as_str().unwrap_or("")]);
            let fronts = match proto {
                "http" => hosts(router["rule"].as_str().unwrap_or_default()),
                _ => entry_points(router),
            };
            let fronts = if fronts.is_empty() {
                name.clone()
            } else {
                fronts.join(", ")
            };
            let backends = if backends.is_empty() {
                "(no backend)".to_owned()
            } else {
                backends.join(", ")
            };
            lines.push(format!("{proto} {fronts} -> {backends}"));
        }
    }
    if lines.is_empty() {
        lines.push("no routes".to_owned());
    }
    lines
}

/// The hosts of a rule's `Host(`...`)` matchers.
fn hosts(rule: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = rule;
    while let Some(at) = rest.find("Host(") {
        rest = &rest[at + "Host(".len()..];
        let end = rest.find(')').unwrap_or(rest.len());
        out.extend(
            rest[..end]
                .split(',')
                .map(|h| h.trim().trim_matches(['`', '"']).to_owned())
                .filter(|h| !h.is_empty()),
        );
        rest = &rest[end..];
    }
    out
}

fn entry_points(router: &Value) -> Vec<String> {
    router["entryPoints"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.as_str().map(str::to_owned))
        .collect()
}

/// A service's server URLs (HTTP) or addresses (TCP, UDP).
fn backends(service: &Value) -> Vec<String> {
    service["loadBalancer"]["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["url"].as_str().or_else(|| s["address"].as_str()))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_from_base_or_any_url() {
        let s = server("http://127.0.0.1:7111/config").unwrap();
        assert_eq!(s.authority, "127.0.0.1:7111");
        assert_eq!(s.url, "http://127.0.0.1:7111");
        assert_eq!(
            server("http://localhost").unwrap().authority,
            "localhost:80"
        );
        assert!(matches!(server("ftp://x"), Err(StatusError::BadUrl { .. })));
        assert!(matches!(
            server("127.0.0.1:7111"),
            Err(StatusError::BadUrl { .. })
        ));
    }

    #[test]
    fn responses_plain_and_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(split_response(plain).unwrap(), (200, b"{}".to_vec()));
        let chunked =
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(split_response(chunked).unwrap(), (404, b"abcde".to_vec()));
        assert!(split_response(b"HTTP/1.1 200").is_err());
    }

    #[test]
    fn routes_as_host_to_backend() {
        let config = serde_json::json!({
            "http": {
                "routers": {"web": {"rule": "Host(`web.shop.localhost`) || Host(`www.shop`)", "service": "web-svc", "entryPoints": ["websecure"]}},
                "services": {"web-svc": {"loadBalancer": {"servers": [{"url": "http://127.0.11.2:80"}]}}}
            },
            "tcp": {
                "routers": {"db": {"rule": "HostSNI(`*`)", "service": "db-svc", "entryPoints": ["tcp-10000"]}},
                "services": {"db-svc": {"loadBalancer": {"servers": [{"address": "127.0.11.3:5432"}]}}}
            }
        });
        assert_eq!(
            route_lines(&config),
            [
                "http web.shop.localhost, www.shop -> http://127.0.11.2:80",
                "tcp tcp-10000 -> 127.0.11.3:5432"
            ]
        );
        assert_eq!(route_lines(&serde_json::json!({})), ["no routes"]);
    }

    #[test]
    fn health_summary() {
        let h = serde_json::json!({
            "status": "degraded", "daemons_seen": 2, "daemons_failed": 1, "routers": 1,
            "http": {"routers": 1}, "tcp": {"routers": 0}, "udp": {"routers": 0},
            "containers_routed": 1,
            "daemons": [{"network_id": 2816, "containers": 3}, {"network_id": 2880, "error": "timeout"}],
            "problems": [{"network_id": 2816, "container": "c", "service": "s", "effect": "route skipped", "reason": "bad"}],
            "leases": {"count": 0}
        });
        let lines = health_lines("http://127.0.0.1:7111", &h);
        assert_eq!(lines[0], "route server http://127.0.0.1:7111: degraded");
        assert!(lines.contains(&"  network 2880: failed: timeout".to_owned()));
        assert!(
            lines.contains(&"  network 2816 container c service s: route skipped (bad)".to_owned())
        );
    }
}
