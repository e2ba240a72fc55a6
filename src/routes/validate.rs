//! Checks on label values before they reach a Traefik rule or name. Everything here is pure.
//!
//! Values renet interpolates into rules (`rediacc.domain`, the service and repository names in
//! the auto-route host) must be plain host names: a backtick, space, parenthesis, `||`, quote
//! or control character could close the `` Host(`...`) `` matcher and add one of its own
//! (`` evil`) || Host(`victim ``). Rules written by the user in tier-2 `traefik.*` labels are
//! Traefik syntax on purpose; they are only checked for balance, control characters and a host
//! matcher.

use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::network::NetworkId;

/// Why a label value was refused. The text is what `/health` reports, word for word; values
/// are quoted with `{:?}` so control characters are escaped and a log line stays one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum InvalidValue {
    #[error("{0:?} is not usable in a host name (letters, digits, '-', '_', '.'; at most 63)")]
    HostPart(String),
    #[error("{0:?} is not a port number")]
    NotPort(String),
    #[error("{0:?} is not a port number (1-65535)")]
    PortRange(String),
    #[error("rediacc.service_ip {0:?} is not an IPv4 address")]
    NotIpv4(String),
    #[error("rediacc.service_ip {0} is not a loopback address (127.0.0.0/8)")]
    NotLoopback(Ipv4Addr),
    #[error("rediacc.service_ip {ip} is outside network {network}'s block {block}")]
    OutsideBlock {
        ip: Ipv4Addr,
        network: NetworkId,
        block: Ipv4Net,
    },
    #[error("rediacc.domain item {0:?} is not a host name (letters, digits, '-' and dots only)")]
    Domain(String),
    #[error("label {0} is longer than 4096 bytes")]
    TooLong(String),
    #[error("label {0} contains a control character")]
    ControlCharacter(String),
    #[error("label {0} is empty")]
    Empty(String),
    #[error("label {0} is longer than {MAX_RULE_LEN} bytes")]
    RuleTooLong(String),
    #[error("label {key}: unbalanced parentheses in {rule}")]
    Unbalanced { key: String, rule: String },
    #[error("label {key}: unterminated quote in {rule}")]
    Unterminated { key: String, rule: String },
    #[error("label {key}: {name:?} is not a valid name")]
    Name { key: String, name: String },
    #[error("label {key}: {raw:?} is not true or false")]
    NotBoolean { key: String, raw: String },
}

impl InvalidValue {
    /// The label the value came from, when the error knows it.
    pub(crate) fn label(&self) -> Option<&str> {
        match self {
            Self::HostPart(_) | Self::NotPort(_) | Self::PortRange(_) => None,
            Self::NotIpv4(_) | Self::NotLoopback(_) | Self::OutsideBlock { .. } => {
                Some("rediacc.service_ip")
            }
            Self::Domain(_) => Some("rediacc.domain"),
            Self::TooLong(k)
            | Self::ControlCharacter(k)
            | Self::Empty(k)
            | Self::RuleTooLong(k)
            | Self::Unbalanced { key: k, .. }
            | Self::Unterminated { key: k, .. }
            | Self::Name { key: k, .. }
            | Self::NotBoolean { key: k, .. } => Some(k),
        }
    }
}

/// Longest rule accepted from a tier-2 label.
pub(crate) const MAX_RULE_LEN: usize = 2048;

/// A DNS label: `[a-z0-9]`, inner `-`, 1..=63 bytes (input must already be lower case).
pub(crate) fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// A host name made of DNS labels separated by dots, at most 253 bytes, lower case, no
/// trailing dot, no wildcard.
pub(crate) fn is_host_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// A label value used as one part of a host name (`{service}.{repo}...`): lower-cased, `_` and
/// `.` (allowed in compose service names) turned into `-`. Anything else outside `[a-z0-9-]`
/// is refused.
pub(crate) fn host_part(raw: &str) -> Result<String, InvalidValue> {
    let s: String = raw
        .chars()
        .map(|c| match c {
            '_' | '.' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    if is_dns_label(&s) {
        Ok(s)
    } else {
        Err(InvalidValue::HostPart(raw.to_owned()))
    }
}

/// A name for routers, services, middlewares and entrypoints: `[A-Za-z0-9_-]`, 1..=100 bytes.
pub(crate) fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// A port: decimal digits only, 1..=65535.
pub(crate) fn port(raw: &str) -> Result<u16, InvalidValue> {
    let t = raw.trim();
    if t.is_empty() || t.len() > 5 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidValue::NotPort(raw.to_owned()));
    }
    match t.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(InvalidValue::PortRange(raw.to_owned())),
    }
}

/// `rediacc.service_ip`: an IPv4 address inside the daemon's own /26 block (which is inside
/// 127.0.0.0/8). A container can never send traffic meant for it to another repository.
pub(crate) fn service_ip(raw: &str, network: NetworkId) -> Result<Ipv4Addr, InvalidValue> {
    let ip: Ipv4Addr = raw
        .parse()
        .map_err(|_| InvalidValue::NotIpv4(raw.to_owned()))?;
    if !ip.is_loopback() {
        return Err(InvalidValue::NotLoopback(ip));
    }
    let block = network.block();
    if !block.contains(&ip) {
        return Err(InvalidValue::OutsideBlock { ip, network, block });
    }
    Ok(ip)
}

/// `rediacc.domain`: comma-separated host names or short names, each lower-cased; blanks
/// around commas and empty items are ignored. Any invalid item refuses the whole value.
pub(crate) fn domains(raw: &str) -> Result<Vec<String>, InvalidValue> {
    let mut out = Vec::new();
    for item in raw.split(',') {
        let d = item.trim_matches([' ', '\t']);
        if d.is_empty() {
            continue;
        }
        let lower = d.to_ascii_lowercase();
        if !is_host_name(&lower) {
            return Err(InvalidValue::Domain(d.to_owned()));
        }
        if !out.contains(&lower) {
            out.push(lower);
        }
    }
    Ok(out)
}

/// A label value that goes into the configuration as it is: no control characters, at most
/// 4 KiB.
pub(crate) fn plain_value(key: &str, raw: &str) -> Result<(), InvalidValue> {
    if raw.len() > 4096 {
        return Err(InvalidValue::TooLong(key.to_owned()));
    }
    if raw.chars().any(char::is_control) {
        return Err(InvalidValue::ControlCharacter(key.to_owned()));
    }
    Ok(())
}

/// A rule from a tier-2 label, before it is parsed (`build::rule`): not empty, not too long,
/// balanced quotes (backticks and double quotes) and parentheses, no control characters.
pub(crate) fn tier2_rule(key: &str, rule: &str) -> Result<(), InvalidValue> {
    plain_value(key, rule)?;
    if rule.trim().is_empty() {
        return Err(InvalidValue::Empty(key.to_owned()));
    }
    if rule.len() > MAX_RULE_LEN {
        return Err(InvalidValue::RuleTooLong(key.to_owned()));
    }
    match pairing(rule) {
        Ok(()) => {}
        Err(Pairing::Parentheses) => {
            return Err(InvalidValue::Unbalanced {
                key: key.to_owned(),
                rule: rule.to_owned(),
            });
        }
        Err(Pairing::Quote) => {
            return Err(InvalidValue::Unterminated {
                key: key.to_owned(),
                rule: rule.to_owned(),
            });
        }
    }
    Ok(())
}

/// What does not pair up in a rule.
enum Pairing {
    Parentheses,
    Quote,
}

/// Checks that quotes (backticks, and double quotes with `\` escapes inside) close and that
/// parentheses outside them balance. A `)` without its `(` is reported before anything else.
fn pairing(rule: &str) -> Result<(), Pairing> {
    let mut depth: i64 = 0;
    let mut quote_char: Option<char> = None;
    let mut escaped = false;
    for c in rule.chars() {
        if let Some(q) = quote_char {
            if q == '"' && c == '\\' && !escaped {
                escaped = true;
                continue;
            }
            if c == q && !escaped {
                quote_char = None;
            }
            escaped = false;
            continue;
        }
        match c {
            '`' | '"' => quote_char = Some(c),
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(Pairing::Parentheses);
                }
            }
            _ => {}
        }
    }
    if quote_char.is_some() {
        return Err(Pairing::Quote);
    }
    if depth != 0 {
        return Err(Pairing::Parentheses);
    }
    Ok(())
}

/// Comma-separated names (entrypoints, middlewares), each checked with `ok`.
pub(crate) fn name_list(
    key: &str,
    raw: &str,
    ok: impl Fn(&str) -> bool,
) -> Result<Vec<String>, InvalidValue> {
    let mut out = Vec::new();
    for item in raw.split(',') {
        let n = item.trim();
        if n.is_empty() {
            continue;
        }
        if !ok(n) {
            return Err(InvalidValue::Name {
                key: key.to_owned(),
                name: n.to_owned(),
            });
        }
        out.push(n.to_owned());
    }
    if out.is_empty() {
        return Err(InvalidValue::Empty(key.to_owned()));
    }
    Ok(out)
}

/// `true`/`false` as Traefik's label parser reads them (case-insensitive).
pub(crate) fn boolean(key: &str, raw: &str) -> Result<bool, InvalidValue> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(InvalidValue::NotBoolean {
            key: key.to_owned(),
            raw: raw.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names() {
        for ok in ["a", "a-b", "shop.example.com", "x1.y2", "0a"] {
            assert!(is_host_name(ok), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a..b",
            "a.",
            ".a",
            "*.a.com",
            "a b",
            "A.com",
            "a_b",
            "a`b",
            &"x".repeat(64),
        ] {
            assert!(!is_host_name(bad), "{bad}");
        }
    }

    #[test]
    fn host_parts_are_normalised() {
        assert_eq!(host_part("My_App.v2").unwrap(), "my-app-v2");
        assert!(host_part("a b").is_err());
        assert!(host_part("x`)").is_err());
        assert!(host_part("").is_err());
        assert!(host_part("-x").is_err());
    }

    #[test]
    fn ports() {
        assert_eq!(port("8080").unwrap(), 8080);
        assert_eq!(port(" 443 ").unwrap(), 443);
        for bad in ["0", "65536", "-1", "80a", "", "1e3", "+80", "99999999999"] {
            assert!(port(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn service_ips_stay_in_their_block() {
        let n = NetworkId::new(2816).unwrap();
        assert_eq!(
            service_ip("127.0.11.2", n).unwrap(),
            Ipv4Addr::new(127, 0, 11, 2)
        );
        assert!(
            service_ip("127.0.11.66", n)
                .unwrap_err()
                .to_string()
                .contains("outside")
        );
        assert!(
            service_ip("10.0.0.1", n)
                .unwrap_err()
                .to_string()
                .contains("loopback")
        );
        assert!(service_ip("127.0.11.2:80", n).is_err());
        assert!(service_ip("", n).is_err());
    }

    #[test]
    fn domain_lists() {
        assert_eq!(
            domains("Shop.example.com, cloud,,cloud").unwrap(),
            vec!["shop.example.com", "cloud"]
        );
        for bad in [
            "evil`) || Host(`x",
            "a b",
            "a\"b",
            "a(b",
            "x&&y",
            "a\nb",
            "*.example.com",
            "a..b",
        ] {
            assert!(domains(bad).is_err(), "{bad}");
        }
        assert_eq!(domains("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn tier2_rules() {
        let k = "traefik.http.routers.r.rule";
        tier2_rule(k, "Host(`a.com`) && PathPrefix(`/api`)").unwrap();
        tier2_rule(k, "Host(\"a.com\") || Host(`b.com`)").unwrap();
        tier2_rule("t", "HostSNI(`*`)").unwrap();
        for bad in [
            "Host(`a.com`",
            "Host(`a.com)",
            "Host(`a.com`))",
            "Host(`a.com`)\n",
            "",
        ] {
            assert!(tier2_rule(k, bad).is_err(), "{bad:?}");
        }
    }

    /// The texts `/health` has always shown (they were `format!` strings before this enum).
    #[test]
    fn messages_are_verbatim() {
        let n = NetworkId::new(2816).unwrap();
        let k = || "traefik.http.routers.r.rule".to_owned();
        let cases: Vec<(InvalidValue, &str)> = vec![
            (
                service_ip("127.0.11.66", n).unwrap_err(),
                "rediacc.service_ip 127.0.11.66 is outside network 2816's block 127.0.11.0/26",
            ),
            (
                service_ip("10.0.0.1", n).unwrap_err(),
                "rediacc.service_ip 10.0.0.1 is not a loopback address (127.0.0.0/8)",
            ),
            (
                service_ip("x\n", n).unwrap_err(),
                "rediacc.service_ip \"x\\n\" is not an IPv4 address",
            ),
            (
                port("0").unwrap_err(),
                "\"0\" is not a port number (1-65535)",
            ),
            (port("8o").unwrap_err(), "\"8o\" is not a port number"),
            (
                domains("a b").unwrap_err(),
                "rediacc.domain item \"a b\" is not a host name (letters, digits, '-' and dots only)",
            ),
            (
                plain_value("rediacc.x", &"x".repeat(4097)).unwrap_err(),
                "label rediacc.x is longer than 4096 bytes",
            ),
            (
                plain_value("rediacc.x", "a\tb").unwrap_err(),
                "label rediacc.x contains a control character",
            ),
            (
                tier2_rule(&k(), &format!("Host(`{}`)", "a".repeat(2048))).unwrap_err(),
                "label traefik.http.routers.r.rule is longer than 2048 bytes",
            ),
            (
                tier2_rule(&k(), " ").unwrap_err(),
                "label traefik.http.routers.r.rule is empty",
            ),
            (
                tier2_rule(&k(), "Host(`a`))").unwrap_err(),
                "label traefik.http.routers.r.rule: unbalanced parentheses in Host(`a`))",
            ),
            (
                tier2_rule(&k(), "Host(`a)").unwrap_err(),
                "label traefik.http.routers.r.rule: unterminated quote in Host(`a)",
            ),
            (
                name_list("k", "a, b c", is_name).unwrap_err(),
                "label k: \"b c\" is not a valid name",
            ),
            (
                name_list("k", " , ", is_name).unwrap_err(),
                "label k is empty",
            ),
            (
                boolean("k", "yes").unwrap_err(),
                "label k: \"yes\" is not true or false",
            ),
        ];
        for (e, text) in cases {
            assert_eq!(e.to_string(), text);
        }
    }

    #[test]
    fn name_lists() {
        assert_eq!(
            name_list("k", "websecure, tcp-5432", is_name).unwrap(),
            vec!["websecure", "tcp-5432"]
        );
        assert!(name_list("k", "web secure", is_name).is_err());
        assert!(name_list("k", "", is_name).is_err());
        assert!(name_list("k", "a.b", is_name).is_err());
    }
}
