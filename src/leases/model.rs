//! Pure: the lease keys a compose model asks for, from each service's `rediacc.tcp_ports` and
//! `rediacc.udp_ports` labels.

use serde_json::{Map, Value};

use super::range::{label_for, parse_ports};
use super::{LeaseError, LeaseKey, Proto};

/// A label's value, from a `labels:` map or a `["k=v", ...]` list.
fn label(labels: Option<&Value>, name: &str) -> Option<String> {
    match labels? {
        Value::Object(map) => match map.get(name)? {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        },
        Value::Array(items) => items.iter().filter_map(Value::as_str).find_map(|item| {
            let (k, v) = item.split_once('=')?;
            (k == name).then(|| v.to_owned())
        }),
        _ => None,
    }
}

/// Every (service, protocol, container port) the model's labels ask to expose on `network_id`,
/// sorted (service name, tcp before udp, port), so leasing is deterministic.
pub fn lease_keys(
    model: &Map<String, Value>,
    network_id: u32,
) -> Result<Vec<LeaseKey>, LeaseError> {
    let mut keys = Vec::new();
    let services = model.get("services").and_then(Value::as_object);
    for (service, svc) in services.into_iter().flatten() {
        let labels = svc.get("labels");
        for proto in Proto::ALL {
            let name = label_for(proto);
            let Some(value) = label(labels, name) else {
                continue;
            };
            for container_port in parse_ports(service, name, &value)? {
                keys.push(LeaseKey {
                    network_id,
                    service: service.clone(),
                    proto,
                    container_port,
                });
            }
        }
    }
    keys.sort();
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_from_map_and_list_labels() {
        let model = json!({"services": {
            "web": {"labels": {"rediacc.service_port": "80"}},
            "dns": {"labels": ["rediacc.udp_ports=53", "rediacc.tcp_ports=53"]},
            "db": {"labels": {"rediacc.tcp_ports": "6379,5432", "rediacc.udp_ports": null}},
            "plain": {"image": "x"},
        }});
        let keys = lease_keys(model.as_object().unwrap(), 2816).unwrap();
        let got: Vec<String> = keys.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "network 2816 service db tcp/5432",
                "network 2816 service db tcp/6379",
                "network 2816 service dns tcp/53",
                "network 2816 service dns udp/53",
            ]
        );
    }

    #[test]
    fn a_bad_label_names_the_service() {
        let model = json!({"services": {"db": {"labels": {"rediacc.tcp_ports": "5432,x"}}}});
        let msg = lease_keys(model.as_object().unwrap(), 2816)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("service db: label rediacc.tcp_ports=5432,x"),
            "{msg}"
        );
    }
}
