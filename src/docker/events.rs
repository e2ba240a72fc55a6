//! Follow one daemon's container events (`GET /events`) with a plain HTTP/1.0 request on its
//! unix socket, reading the newline-delimited JSON the daemon streams back.
//!
//! Why not bollard here, when it lists containers: the route server holds one event stream
//! open per repository daemon for its whole life, and bollard's stream (a hyper connection,
//! its dispatch channel and an 8 KiB codec buffer) costs about 27 KiB of heap per daemon, 27 MB
//! of the 64 MB budget at 1,000 daemons (`benches/routes.py`, heaptrack). This follower costs
//! its 1 KiB read buffer and one line. HTTP/1.0 makes the daemon (Go's net/http) send the body
//! raw until it closes the connection; a chunked body is decoded all the same, should a daemon
//! or a proxy in front of it choose to send one.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

/// `{"type":["container"],"event":["start","die","stop","destroy"]}`, percent-encoded.
const FILTERS: &str = "%7B%22type%22%3A%5B%22container%22%5D%2C%22event%22%3A%5B%22start%22%2C%22die%22%2C%22stop%22%2C%22destroy%22%5D%7D";
/// A line longer than this is not an event: give up on the stream (the caller reconnects).
const MAX_LINE: usize = 1 << 20;
const READ_BUFFER: usize = 1024;
/// A line buffer grown past this by a large event is given back after the event.
const KEEP_LINE: usize = 8 * 1024;

/// Why following a daemon's events stopped.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error("no connection within {}s", .0.as_secs_f64())]
    NoConnection(Duration),
    #[error("no answer within {}s", .0.as_secs_f64())]
    NoAnswer(Duration),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("the daemon closed the connection without an answer")]
    NoStatus,
    #[error("the daemon answered {0:?} to GET /events")]
    Refused(String),
    #[error("the daemon closed the connection in the headers")]
    CutInHeaders,
    #[error("a line of the event stream is longer than {MAX_LINE} bytes")]
    LineTooLong,
    #[error("the daemon closed the connection mid-line")]
    CutMidLine,
    #[error("the daemon closed the connection mid-chunk")]
    CutMidChunk,
    #[error("bad chunk size {0:?} in the event stream")]
    BadChunkSize(String),
}

/// One container event: what happened to which container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    /// `start`, `die`, `stop`, `destroy`.
    pub action: String,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "Action")]
    action: Option<String>,
    /// Before API 1.22 the action was `status` and the ID `id`.
    status: Option<String>,
    id: Option<String>,
    #[serde(rename = "Actor")]
    actor: Option<Actor>,
}

#[derive(Deserialize)]
struct Actor {
    #[serde(rename = "ID")]
    id: Option<String>,
}

/// One line of the stream; None for a line that is not an event (blank, garbage).
pub fn parse_line(line: &[u8]) -> Option<Event> {
    let raw: Raw = serde_json::from_slice(line).ok()?;
    let id = raw.actor.and_then(|a| a.id).or(raw.id)?;
    let action = raw.action.or(raw.status)?;
    Some(Event { id, action })
}

/// Connect, ask for the event stream, and call `on_event` for each event until the daemon
/// closes the stream (Ok) or something fails (Err, with what). `on_connected` runs once the
/// daemon has answered 200, before the first event.
pub async fn follow(
    socket: &Path,
    timeout: Duration,
    on_connected: impl FnOnce(),
    mut on_event: impl FnMut(Option<Event>),
) -> Result<(), FollowError> {
    let stream = tokio::time::timeout(timeout, UnixStream::connect(socket))
        .await
        .map_err(|_| FollowError::NoConnection(timeout))??;
    let mut reader = BufReader::with_capacity(READ_BUFFER, stream);
    let request = format!("GET /events?filters={FILTERS} HTTP/1.0\r\nHost: docker\r\n\r\n");
    // The request and the answer's head within the timeout: a socket that accepts and never
    // reads or answers (a hung daemon, a listener nobody serves) costs one timeout.
    let head = async {
        reader.get_mut().write_all(request.as_bytes()).await?;
        read_head(&mut reader).await
    };
    let chunked = tokio::time::timeout(timeout, head)
        .await
        .map_err(|_| FollowError::NoAnswer(timeout))??;
    on_connected();
    read_events(&mut reader, chunked, &mut on_event).await
}

/// Status line and headers; Ok(chunked) on 200.
async fn read_head<R: AsyncBufRead + Unpin>(r: &mut R) -> Result<bool, FollowError> {
    let mut line = Vec::new();
    if !read_line(r, &mut line).await? {
        return Err(FollowError::NoStatus);
    }
    let status = String::from_utf8_lossy(&line).trim_end().to_owned();
    if !(status.starts_with("HTTP/1.") && status.split(' ').nth(1) == Some("200")) {
        return Err(FollowError::Refused(status));
    }
    let mut chunked = false;
    loop {
        line.clear();
        if !read_line(r, &mut line).await? {
            return Err(FollowError::CutInHeaders);
        }
        let header = String::from_utf8_lossy(&line);
        let header = header.trim_end();
        if header.is_empty() {
            return Ok(chunked);
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
        {
            chunked = true;
        }
    }
}

/// Read one line (with its `\n`) into `line`: Ok(false) at the end of the stream, an error
/// for a line cut short or longer than `MAX_LINE`.
async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    line: &mut Vec<u8>,
) -> Result<bool, FollowError> {
    let n = (&mut *r)
        .take(MAX_LINE as u64)
        .read_until(b'\n', line)
        .await?;
    if n == 0 {
        return Ok(false);
    }
    if !line.ends_with(b"\n") {
        return Err(if n >= MAX_LINE {
            FollowError::LineTooLong
        } else {
            FollowError::CutMidLine
        });
    }
    Ok(true)
}

/// The body: raw newline-delimited JSON, or the same inside chunked framing.
pub async fn read_events<R: AsyncBufRead + Unpin>(
    r: &mut R,
    chunked: bool,
    on_event: &mut impl FnMut(Option<Event>),
) -> Result<(), FollowError> {
    let mut line = Vec::new();
    let mut emit = |line: &mut Vec<u8>| {
        let text = line.trim_ascii();
        if !text.is_empty() {
            on_event(parse_line(text));
        }
        line.clear();
        if line.capacity() > KEEP_LINE {
            line.shrink_to(READ_BUFFER);
        }
    };
    if !chunked {
        while read_line(r, &mut line).await? {
            emit(&mut line);
        }
        return Ok(());
    }
    // Chunked: events may span chunks and a chunk may hold several events.
    let mut size_line = Vec::new();
    loop {
        size_line.clear();
        if !read_line(r, &mut size_line).await? {
            return Err(FollowError::CutMidChunk);
        }
        let text = String::from_utf8_lossy(&size_line);
        let hex = text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(hex, 16)
            .map_err(|_| FollowError::BadChunkSize(hex.to_owned()))?;
        if size == 0 {
            return Ok(());
        }
        if line.len() + size > MAX_LINE {
            return Err(FollowError::LineTooLong);
        }
        let start = line.len();
        line.resize(start + size, 0);
        r.read_exact(&mut line[start..]).await?;
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf).await?;
        // Hand over every complete line; keep the tail for the next chunk.
        while let Some(pos) = line.iter().position(|b| *b == b'\n') {
            let mut head: Vec<u8> = line.drain(..=pos).collect();
            emit(&mut head);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: &str = r#"{"status":"start","id":"abc","from":"img","Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"name":"web","rediacc.service_name":"web"}},"scope":"local","time":1,"timeNano":1}"#;
    const STOP: &str =
        r#"{"Type":"container","Action":"stop","Actor":{"ID":"def","Attributes":{}}}"#;

    fn ev(id: &str, action: &str) -> Option<Event> {
        Some(Event {
            id: id.into(),
            action: action.into(),
        })
    }

    async fn collect(body: &[u8], chunked: bool) -> (Vec<Option<Event>>, Result<(), FollowError>) {
        let mut got = Vec::new();
        let mut r = body;
        let res = read_events(&mut r, chunked, &mut |e| got.push(e)).await;
        (got, res)
    }

    #[test]
    fn filters_are_the_encoded_json() {
        let decoded = FILTERS
            .split('%')
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part.to_owned()
                } else {
                    let byte = u8::from_str_radix(&part[..2], 16).unwrap();
                    format!("{}{}", byte as char, &part[2..])
                }
            })
            .collect::<String>();
        let v: serde_json::Value = serde_json::from_str(&decoded).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": ["container"], "event": ["start", "die", "stop", "destroy"]})
        );
    }

    #[test]
    fn parses_current_and_old_events() {
        assert_eq!(parse_line(START.as_bytes()), ev("abc", "start"));
        assert_eq!(parse_line(STOP.as_bytes()), ev("def", "stop"));
        assert_eq!(
            parse_line(br#"{"status":"die","id":"old"}"#),
            ev("old", "die")
        );
        assert_eq!(parse_line(b"not json"), None);
        assert_eq!(parse_line(br#"{"Action":"start"}"#), None);
    }

    #[tokio::test]
    async fn raw_body() {
        let body = format!("{START}\n\n{STOP}\ngarbage\n");
        let (got, res) = collect(body.as_bytes(), false).await;
        assert_eq!(got, vec![ev("abc", "start"), ev("def", "stop"), None]);
        assert!(res.is_ok(), "{res:?}");
        // Cut mid-event: what came whole is delivered, then the error.
        let cut = format!("{START}\n{}", &STOP[..10]);
        let (got, res) = collect(cut.as_bytes(), false).await;
        assert_eq!(got, vec![ev("abc", "start")]);
        assert!(res.unwrap_err().to_string().contains("mid-line"));
    }

    #[tokio::test]
    async fn chunked_body_with_events_across_chunks() {
        let all = format!("{START}\n{STOP}\n");
        let (a, b) = all.split_at(30);
        let body = format!(
            "{:x}\r\n{a}\r\n{:x};ext=1\r\n{b}\r\n0\r\n\r\n",
            a.len(),
            b.len()
        );
        let (got, res) = collect(body.as_bytes(), true).await;
        assert_eq!(got, vec![ev("abc", "start"), ev("def", "stop")]);
        assert!(res.is_ok(), "{res:?}");
        let (_, res) = collect(b"zz\r\n", true).await;
        assert!(res.unwrap_err().to_string().contains("bad chunk size"));
    }

    #[tokio::test]
    async fn head_needs_200() {
        let mut ok: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n";
        assert_eq!(read_head(&mut ok).await.ok(), Some(false));
        let mut chunked: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(read_head(&mut chunked).await.ok(), Some(true));
        let mut bad: &[u8] = b"HTTP/1.0 400 Bad Request\r\n\r\n";
        let err = read_head(&mut bad).await.unwrap_err().to_string();
        assert!(err.contains("400"), "{err}");
    }
}
