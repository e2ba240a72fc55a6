//! The ports a repository service listens on, from its compose model (`ports:` container
//! ports, `expose:`) and its labels (`rediacc.service_port`, `rediacc.tcp_ports`,
//! `rediacc.udp_ports`). With host networking a service listens on its container ports on its
//! own address, whatever `ports:` publishes. Pure. Values still to interpolate are skipped:
//! compose decides them.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::leases::Proto;

/// A range entry (`8000-8999`) longer than this is not checked port by port, so a huge range
/// cannot make a check slow.
const MAX_RANGE: u32 = 1024;

/// Every (protocol, port) `service` (one entry of the model's `services`) listens on.
pub(crate) fn of_service(service: &Value) -> BTreeSet<(Proto, u16)> {
    let mut out = of_model(service, MAX_RANGE);
    let labels = &service["labels"];
    out.extend(of_labels(|key| label(labels, key)));
    out
}

/// The container ports of `service`'s `ports:` and `expose:`; a range of more than `longest`
/// ports is left out (also used by `repository up`'s readiness wait, with a shorter one).
pub(crate) fn of_model(service: &Value, longest: u32) -> BTreeSet<(Proto, u16)> {
    let mut out = BTreeSet::new();
    let add =
        |out: &mut BTreeSet<(Proto, u16)>, spec: &str, proto| add_spec(out, spec, proto, longest);
    for entry in service["ports"].as_array().into_iter().flatten() {
        match entry {
            Value::Object(long) => {
                let proto = long
                    .get("protocol")
                    .and_then(Value::as_str)
                    .and_then(Proto::parse)
                    .unwrap_or(Proto::Tcp);
                let target = long.get("target").map(|t| {
                    t.as_u64()
                        .map_or_else(|| t.as_str().unwrap_or("").to_owned(), |n| n.to_string())
                });
                add(&mut out, &target.unwrap_or_default(), proto);
            }
            other => {
                let text = scalar(other);
                let (spec, proto) = split_proto(&text);
                // `[ip:]published:container`: the container port is after the last colon.
                let container = spec.rsplit(':').next().unwrap_or_default();
                add(&mut out, container, proto);
            }
        }
    }
    for entry in service["expose"].as_array().into_iter().flatten() {
        let text = scalar(entry);
        let (spec, proto) = split_proto(&text);
        add(&mut out, spec, proto);
    }
    out
}

/// The ports the `rediacc.*` port labels name; `get` looks a label up.
pub(crate) fn of_labels<'a>(get: impl Fn(&str) -> Option<&'a str>) -> BTreeSet<(Proto, u16)> {
    let mut out = BTreeSet::new();
    for (key, proto) in [
        ("rediacc.service_port", Proto::Tcp),
        ("rediacc.tcp_ports", Proto::Tcp),
        ("rediacc.udp_ports", Proto::Udp),
    ] {
        for item in get(key).unwrap_or_default().split(',') {
            add_spec(&mut out, item.trim(), proto, MAX_RANGE);
        }
    }
    out
}

/// A label's value, from the mapping or the `key=value` list form.
fn label<'a>(labels: &'a Value, key: &str) -> Option<&'a str> {
    match labels {
        Value::Object(m) => m.get(key).and_then(Value::as_str),
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('=')),
        _ => None,
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn split_proto(text: &str) -> (&str, Proto) {
    match text.rsplit_once('/') {
        Some((spec, p)) => (spec, Proto::parse(p).unwrap_or(Proto::Tcp)),
        None => (text, Proto::Tcp),
    }
}

/// `80` or `8000-8010` (at most `longest` ports); anything else (interpolation, garbage)
/// adds nothing.
fn add_spec(out: &mut BTreeSet<(Proto, u16)>, spec: &str, proto: Proto, longest: u32) {
    let port = |s: &str| s.trim().parse::<u16>().ok().filter(|p| *p > 0);
    match spec.split_once('-') {
        Some((a, b)) => {
            if let (Some(a), Some(b)) = (port(a), port(b))
                && a <= b
                && u32::from(b - a) < longest
            {
                out.extend((a..=b).map(|p| (proto, p)));
            }
        }
        None => out.extend(port(spec).map(|p| (proto, p))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_of_a_port() {
        let svc = serde_json::json!({
            "ports": ["8080:80", "127.0.0.1:5353:53/udp", 9000, {"target": 8443, "published": "443"}, {"target": 514, "protocol": "udp"}, "${P}:81"],
            "expose": ["3000", "7000-7002", 6000, "1234/udp", "${X}"],
            "labels": {"rediacc.service_port": "8081", "rediacc.tcp_ports": "5432, 6379", "rediacc.udp_ports": "53"}
        });
        let got: Vec<(Proto, u16)> = of_service(&svc).into_iter().collect();
        let tcp = |p| (Proto::Tcp, p);
        let udp = |p| (Proto::Udp, p);
        assert_eq!(
            got,
            [
                tcp(80),
                tcp(81),
                tcp(3000),
                tcp(5432),
                tcp(6000),
                tcp(6379),
                tcp(7000),
                tcp(7001),
                tcp(7002),
                tcp(8081),
                tcp(8443),
                tcp(9000),
                udp(53),
                udp(514),
                udp(1234)
            ]
        );
        let list = serde_json::json!({"labels": ["rediacc.tcp_ports=27017", "other=1"]});
        assert_eq!(
            of_service(&list).into_iter().collect::<Vec<_>>(),
            [tcp(27017)]
        );
        assert!(of_service(&serde_json::json!({"image": "x"})).is_empty());
    }
}
