//! Checks on label values before they reach a Traefik rule or name. Everything here is pure.
//!
//! Values renet interpolates into rules (`rediacc.domain`, the service and repository names in
//! the auto-route host) must be plain host names: a backtick, space, parenthesis, `||`, quote
//! or control character could close the `` Host(`...`) `` matcher and add one of its own
//! (`` evil`) || Host(`victim ``). Rules written by the user in tier-2 `traefik.*` labels are
//! Traefik syntax on purpose; they are only checked for balance, control characters and a host
//! matcher.

use std::net::Ipv4Addr;

use crate::network::NetworkId;

/// Longest rule accepted from a tier-2 label.
pub const MAX_RULE_LEN: usize = 2048;

/// A DNS label: `[a-z0-9]`, inner `-`, 1..=63 bytes (input must already be lower case).
pub fn is_dns_label(s: &str) -> bool {
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
pub fn is_host_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// A label value used as one part of a host name (`{service}.{repo}...`): lower-cased, `_` and
/// `.` (allowed in compose service names) turned into `-`. Anything else outside `[a-z0-9-]`
/// is refused.
pub fn host_part(raw: &str) -> Result<String, String> {
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
        Err(format!(
            "{} is not usable in a host name (letters, digits, '-', '_', '.'; at most 63)",
            quote(raw)
        ))
    }
}

/// A name for routers, services, middlewares and entrypoints: `[A-Za-z0-9_-]`, 1..=100 bytes.
pub fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// A port: decimal digits only, 1..=65535.
pub fn port(raw: &str) -> Result<u16, String> {
    let t = raw.trim();
    if t.is_empty() || t.len() > 5 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{} is not a port number", quote(raw)));
    }
    match t.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(format!("{} is not a port number (1-65535)", quote(raw))),
    }
}

/// `rediacc.service_ip`: an IPv4 address inside the daemon's own /26 block (which is inside
/// 127.0.0.0/8). A container can never send traffic meant for it to another repository.
pub fn service_ip(raw: &str, network: NetworkId) -> Result<Ipv4Addr, String> {
    let ip: Ipv4Addr = raw
        .parse()
        .map_err(|_| format!("rediacc.service_ip {} is not an IPv4 address", quote(raw)))?;
    if !ip.is_loopback() {
        return Err(format!(
            "rediacc.service_ip {ip} is not a loopback address (127.0.0.0/8)"
        ));
    }
    let block = network.block();
    if !block.contains(&ip) {
        return Err(format!(
            "rediacc.service_ip {ip} is outside network {network}'s block {block}"
        ));
    }
    Ok(ip)
}

/// `rediacc.domain`: comma-separated host names or short names, each lower-cased; blanks
/// around commas and empty items are ignored. Any invalid item refuses the whole value.
pub fn domains(raw: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for item in raw.split(',') {
        let d = item.trim_matches([' ', '\t']);
        if d.is_empty() {
            continue;
        }
        let lower = d.to_ascii_lowercase();
        if !is_host_name(&lower) {
            return Err(format!(
                "rediacc.domain item {} is not a host name (letters, digits, '-' and dots only)",
                quote(d)
            ));
        }
        if !out.contains(&lower) {
            out.push(lower);
        }
    }
    Ok(out)
}

/// A label value that goes into the configuration as it is: no control characters, at most
/// 4 KiB.
pub fn plain_value(key: &str, raw: &str) -> Result<(), String> {
    if raw.len() > 4096 {
        return Err(format!("label {key} is longer than 4096 bytes"));
    }
    if raw.chars().any(char::is_control) {
        return Err(format!("label {key} contains a control character"));
    }
    Ok(())
}

/// A rule from a tier-2 label: balanced quotes (backticks and double quotes) and parentheses,
/// no control characters, and at least one host matcher, so one container cannot catch every
/// host on an entrypoint (`` PathPrefix(`/`) `` alone would).
pub fn tier2_rule(key: &str, rule: &str, tcp: bool) -> Result<(), String> {
    plain_value(key, rule)?;
    if rule.trim().is_empty() {
        return Err(format!("label {key} is empty"));
    }
    if rule.len() > MAX_RULE_LEN {
        return Err(format!("label {key} is longer than {MAX_RULE_LEN} bytes"));
    }
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
                    return Err(format!("label {key}: unbalanced parentheses in {rule}"));
                }
            }
            _ => {}
        }
    }
    if quote_char.is_some() {
        return Err(format!("label {key}: unterminated quote in {rule}"));
    }
    if depth != 0 {
        return Err(format!("label {key}: unbalanced parentheses in {rule}"));
    }
    let matchers: &[&str] = if tcp {
        &["HostSNI(", "HostSNIRegexp("]
    } else {
        &["Host(", "HostRegexp("]
    };
    if !matchers.iter().any(|m| rule.contains(m)) {
        return Err(format!(
            "label {key}: a rule needs a host matcher ({}), or it would catch every host on the entrypoint",
            matchers
                .iter()
                .map(|m| m.trim_end_matches('('))
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    Ok(())
}

/// Comma-separated names (entrypoints, middlewares), each checked with `ok`.
pub fn name_list(key: &str, raw: &str, ok: impl Fn(&str) -> bool) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for item in raw.split(',') {
        let n = item.trim();
        if n.is_empty() {
            continue;
        }
        if !ok(n) {
            return Err(format!("label {key}: {} is not a valid name", quote(n)));
        }
        out.push(n.to_owned());
    }
    if out.is_empty() {
        return Err(format!("label {key} is empty"));
    }
    Ok(out)
}

/// `true`/`false` as Traefik's label parser reads them (case-insensitive).
pub fn boolean(key: &str, raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("label {key}: {} is not true or false", quote(raw))),
    }
}

/// A value quoted for a message, with control characters escaped so a log line stays one line.
pub fn quote(s: &str) -> String {
    format!("{s:?}")
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
                .contains("outside")
        );
        assert!(service_ip("10.0.0.1", n).unwrap_err().contains("loopback"));
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
        tier2_rule(k, "Host(`a.com`) && PathPrefix(`/api`)", false).unwrap();
        tier2_rule(k, "Host(\"a.com\") || Host(`b.com`)", false).unwrap();
        tier2_rule(k, "HostRegexp(`^.+\\.a\\.com$`)", false).unwrap();
        tier2_rule("t", "HostSNI(`*`)", true).unwrap();
        for bad in [
            "PathPrefix(`/`)",
            "Host(`a.com`",
            "Host(`a.com)",
            "Host(`a.com`))",
            "Host(`a.com`)\n",
            "",
        ] {
            assert!(tier2_rule(k, bad, false).is_err(), "{bad:?}");
        }
        assert!(tier2_rule(k, "Host(`a`)", true).is_err());
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
