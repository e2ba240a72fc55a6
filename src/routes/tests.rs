//! Builder tests: whole configurations compared as text (snapshot style), validation, naming,
//! and a property test that input order never changes the bytes.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::build::{self, Built, ContainerInput, DaemonInput, Options};
use super::{config_json, config_yaml};
use crate::leases::{Lease, LeaseKey, Proto};
use crate::network::NetworkId;

pub(super) fn net(n: u32) -> NetworkId {
    NetworkId::new(u64::from(n)).unwrap()
}

pub(super) fn container(name: &str, labels: &[(&str, &str)]) -> ContainerInput {
    ContainerInput {
        id: format!("id-{name}"),
        name: name.to_owned(),
        state: "running".to_owned(),
        created: 0,
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// The labels `renet compose` sets, plus `extra`.
pub(super) fn service(
    n: u32,
    slot: u8,
    name: &str,
    repo: &str,
    extra: &[(&str, &str)],
) -> ContainerInput {
    let ip = net(n).slot_addr(crate::network::Slot::new(u64::from(slot)).unwrap());
    let mut labels: Vec<(String, String)> = vec![
        ("rediacc.service_name".into(), name.into()),
        ("rediacc.service_ip".into(), ip.to_string()),
        ("rediacc.network_id".into(), n.to_string()),
        ("rediacc.repo_name".into(), repo.into()),
        ("com.docker.compose.service".into(), name.into()),
    ];
    labels.extend(extra.iter().map(|(k, v)| ((*k).into(), (*v).into())));
    let mut c = container(&format!("{repo}_{name}_1"), &[]);
    c.labels = labels.into_iter().collect();
    c
}

pub(super) fn daemon(n: u32, containers: Vec<ContainerInput>) -> DaemonInput {
    DaemonInput {
        network_id: net(n),
        socket: format!("/run/rediacc/docker-{n}.sock"),
        error: None,
        containers,
    }
}

pub(super) fn lease(
    n: u32,
    service: &str,
    proto: Proto,
    container_port: u16,
    external: u16,
) -> Lease {
    Lease {
        key: LeaseKey {
            network_id: n,
            service: service.to_owned(),
            proto,
            container_port,
        },
        external_port: external,
    }
}

pub(super) fn opts(machine: Option<&str>) -> Options {
    Options {
        base_domain: "example.com".into(),
        machine_name: machine.map(str::to_owned),
        ..Options::default()
    }
}

pub(super) fn json_of(b: &Built) -> Value {
    serde_json::from_slice(&config_json(&b.config)).unwrap()
}

fn yaml_of(b: &Built) -> String {
    String::from_utf8(config_yaml(&b.config)).unwrap()
}

#[test]
fn auto_routes_with_machine_name_snapshot() {
    let daemons = vec![
        daemon(
            2816,
            vec![
                service(
                    2816,
                    0,
                    "web",
                    "shop",
                    &[
                        ("rediacc.service_port", "8080"),
                        ("rediacc.domain", "cloud, shop.example.org"),
                    ],
                ),
                service(2816, 1, "db", "shop", &[("rediacc.tcp_ports", "5432")]),
            ],
        ),
        daemon(
            2880,
            vec![service(
                2880,
                0,
                "web",
                "blog",
                &[("rediacc.service_port", "80")],
            )],
        ),
    ];
    let leases = vec![lease(2816, "db", Proto::Tcp, 5432, 10000)];
    let b = build::build(&daemons, &leases, &opts(Some("server-1")));
    assert_eq!(b.problems, vec![]);
    assert_eq!(b.routed_containers, 3);
    let expected = r#"http:
  routers:
    web-2816:
      entryPoints:
        - "websecure"
      rule: "Host(`web.shop.server-1.example.com`)"
      service: "web-2816"
      tls: {}
    web-2880:
      entryPoints:
        - "websecure"
      rule: "Host(`web.blog.server-1.example.com`)"
      service: "web-2880"
      tls: {}
    web-domain1-2816:
      entryPoints:
        - "websecure"
      rule: "Host(`cloud.example.com`)"
      service: "web-2816"
      tls: {}
    web-domain2-2816:
      entryPoints:
        - "websecure"
      rule: "Host(`cloud.server-1.example.com`)"
      service: "web-2816"
      tls: {}
    web-domain3-2816:
      entryPoints:
        - "websecure"
      rule: "Host(`shop.example.org`)"
      service: "web-2816"
      tls: {}
  services:
    web-2816:
      loadBalancer:
        servers:
          - url: "http://127.0.11.2:8080"
    web-2880:
      loadBalancer:
        servers:
          - url: "http://127.0.11.66:80"
tcp:
  routers:
    db-tcp-5432-2816:
      entryPoints:
        - "tcp-10000"
      rule: "HostSNI(`*`)"
      service: "db-tcp-5432-2816"
  services:
    db-tcp-5432-2816:
      loadBalancer:
        servers:
          - address: "127.0.11.3:5432"
"#;
    assert_eq!(yaml_of(&b), expected);
    // The YAML and the JSON are the same document.
    let from_yaml: Value = yaml_serde::from_str(&yaml_of(&b)).unwrap();
    assert_eq!(from_yaml, json_of(&b));
}

#[test]
fn auto_routes_without_machine_name_and_cert_resolver() {
    let daemons = vec![daemon(
        2816,
        vec![service(
            2816,
            0,
            "My_App",
            "shop",
            &[
                ("rediacc.service_port", "3000"),
                ("rediacc.domain", "cloud"),
            ],
        )],
    )];
    let mut o = opts(None);
    o.cert_resolver = Some("letsencrypt".into());
    let b = build::build(&daemons, &[], &o);
    let j = json_of(&b);
    let r = &j["http"]["routers"];
    assert_eq!(r["my-app-2816"]["rule"], "Host(`my-app-2816.example.com`)");
    assert_eq!(
        r["my-app-2816"]["tls"],
        json!({"certResolver": "letsencrypt", "domains": [{"main": "*.example.com"}]})
    );
    // Without a machine name, a short domain gets only the base domain.
    assert_eq!(
        r["my-app-domain1-2816"]["rule"],
        "Host(`cloud.example.com`)"
    );
    assert!(r.get("my-app-domain2-2816").is_none());
    assert_eq!(
        j["http"]["services"]["my-app-2816"]["loadBalancer"]["servers"][0]["url"],
        "http://127.0.11.2:3000"
    );
}

#[test]
fn wildcard_certificates_follow_the_host_kind() {
    let daemons = vec![daemon(
        2816,
        vec![service(
            2816,
            0,
            "web",
            "shop",
            &[
                ("rediacc.service_port", "80"),
                ("rediacc.domain", "cloud,www.shop.org"),
            ],
        )],
    )];
    let mut o = opts(Some("m1"));
    o.cert_resolver = Some("le".into());
    let j = json_of(&build::build(&daemons, &[], &o));
    let main = |r: &str| j["http"]["routers"][r]["tls"]["domains"][0]["main"].clone();
    assert_eq!(main("web-2816"), "*.shop.m1.example.com");
    assert_eq!(main("web-domain1-2816"), "*.example.com");
    assert_eq!(main("web-domain2-2816"), "*.m1.example.com");
    assert_eq!(main("web-domain3-2816"), "www.shop.org");
}

#[test]
fn malicious_domain_drops_only_that_container() {
    let daemons = vec![daemon(
        2816,
        vec![
            service(2816, 0, "web", "shop", &[("rediacc.service_port", "8080")]),
            service(
                2816,
                1,
                "evil",
                "shop",
                &[
                    ("rediacc.service_port", "8080"),
                    ("rediacc.domain", "evil`) || Host(`web.shop.m.example.com"),
                ],
            ),
        ],
    )];
    let b = build::build(&daemons, &[], &opts(Some("m")));
    let j = json_of(&b);
    assert!(j["http"]["routers"]["web-2816"].is_object());
    assert!(j["http"]["routers"].get("evil-2816").is_none());
    assert!(j["http"]["services"].get("evil-2816").is_none());
    assert_eq!(b.problems.len(), 1, "{:?}", b.problems);
    let p = &b.problems[0];
    assert_eq!(p.service, "evil");
    assert_eq!(p.effect, build::DROPPED);
    assert!(p.reason.contains("rediacc.domain"), "{}", p.reason);
    // Nothing with a backtick outside a Host(`...`) of a valid name reaches the output.
    assert!(!yaml_of(&b).contains("||"));
}

#[test]
fn every_bad_label_is_reported() {
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        ("port-text", vec![("rediacc.service_port", "80a")], "port"),
        ("port-zero", vec![("rediacc.service_port", "0")], "port"),
        ("port-big", vec![("rediacc.service_port", "70000")], "port"),
        (
            "space",
            vec![
                ("rediacc.service_port", "80"),
                ("rediacc.domain", "a b.com"),
            ],
            "rediacc.domain",
        ),
        (
            "paren",
            vec![("rediacc.service_port", "80"), ("rediacc.domain", "a(b")],
            "rediacc.domain",
        ),
        (
            "and",
            vec![("rediacc.service_port", "80"), ("rediacc.domain", "a&&b")],
            "rediacc.domain",
        ),
        (
            "quote",
            vec![("rediacc.service_port", "80"), ("rediacc.domain", "a\"b")],
            "rediacc.domain",
        ),
        (
            "ctrl",
            vec![
                ("rediacc.service_port", "80"),
                ("rediacc.domain", "a\u{7}b"),
            ],
            "control",
        ),
        ("newline", vec![("rediacc.service_port", "80\n")], "control"),
    ];
    for (name, extra, needle) in cases {
        let b = build::build(
            &[daemon(2816, vec![service(2816, 0, name, "shop", &extra)])],
            &[],
            &opts(None),
        );
        assert!(b.config.is_empty(), "{name}: {:?}", b.config);
        assert_eq!(b.problems.len(), 1, "{name}: {:?}", b.problems);
        assert!(
            b.problems[0].reason.contains(needle),
            "{name}: {}",
            b.problems[0].reason
        );
    }
}

#[test]
fn service_ip_must_be_in_the_daemons_block() {
    let mut foreign = service(2816, 0, "web", "shop", &[("rediacc.service_port", "80")]);
    // An address of network 2880, on daemon 2816: would hijack the other repository's traffic.
    foreign.labels.insert("rediacc.service_ip", "127.0.11.66");
    let mut public = service(2816, 1, "api", "shop", &[("rediacc.service_port", "80")]);
    public.labels.insert("rediacc.service_ip", "192.0.2.1");
    let mut missing = service(2816, 2, "db", "shop", &[("rediacc.service_port", "80")]);
    missing.labels.remove("rediacc.service_ip");
    let b = build::build(
        &[daemon(2816, vec![foreign, public, missing])],
        &[],
        &opts(None),
    );
    assert!(b.config.is_empty());
    let reasons: Vec<&str> = b.problems.iter().map(|p| p.reason.as_str()).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("outside network 2816")));
    assert!(reasons.iter().any(|r| r.contains("not a loopback")));
    assert!(reasons.iter().any(|r| r.contains("no rediacc.service_ip")));
}

#[test]
fn containers_without_routes_are_silent() {
    let mut stopped = service(2816, 0, "web", "shop", &[("rediacc.service_port", "80")]);
    stopped.state = "exited".into();
    let plain = service(2816, 1, "worker", "shop", &[]);
    let b = build::build(
        &[daemon(2816, vec![stopped, plain])],
        &[lease(2816, "web", Proto::Tcp, 80, 10000)],
        &opts(None),
    );
    assert!(b.config.is_empty());
    assert!(b.problems.is_empty());
    assert_eq!(config_json(&b.config), b"{}\n");
    assert_eq!(config_yaml(&b.config), b"{}\n");
}

#[test]
fn unreachable_daemons_contribute_nothing() {
    let mut d = daemon(
        2816,
        vec![service(
            2816,
            0,
            "web",
            "shop",
            &[("rediacc.service_port", "80")],
        )],
    );
    d.error = Some("timed out".into());
    let ok = daemon(
        2880,
        vec![service(
            2880,
            0,
            "web",
            "blog",
            &[("rediacc.service_port", "80")],
        )],
    );
    let b = build::build(&[d, ok], &[], &opts(None));
    assert_eq!(
        b.config.http.routers.keys().collect::<Vec<_>>(),
        vec!["web-2880"]
    );
}

#[test]
fn host_conflicts_keep_the_first_owner() {
    let domain = [
        ("rediacc.service_port", "80"),
        ("rediacc.domain", "shop.org"),
    ];
    let b = build::build(
        &[
            daemon(2880, vec![service(2880, 0, "b", "two", &domain)]),
            daemon(2816, vec![service(2816, 0, "a", "one", &domain)]),
        ],
        &[],
        &opts(None),
    );
    let j = json_of(&b);
    // Network 2816 comes first whatever the input order.
    assert_eq!(
        j["http"]["routers"]["a-domain1-2816"]["rule"],
        "Host(`shop.org`)"
    );
    assert!(j["http"]["routers"].get("b-domain1-2880").is_none());
    assert!(j["http"]["routers"]["b-2880"].is_object());
    assert_eq!(b.problems.len(), 1);
    assert_eq!(b.problems[0].effect, build::SKIPPED);
    assert!(b.problems[0].reason.contains("shop.org"));
}

#[test]
fn duplicate_containers_of_one_service_merge() {
    // A `compose run` copy carries the same labels: same routes, no conflict.
    let a = service(2816, 0, "web", "shop", &[("rediacc.service_port", "80")]);
    let mut b2 = a.clone();
    b2.name = "shop_web_run_1".into();
    b2.id = "other".into();
    let b = build::build(&[daemon(2816, vec![a, b2])], &[], &opts(None));
    assert!(b.problems.is_empty(), "{:?}", b.problems);
    assert_eq!(b.config.http.routers.len(), 1);
}

#[test]
fn tier2_labels() {
    let labels = [
        ("traefik.enable", "true"),
        (
            "traefik.http.routers.admin.rule",
            "Host(`admin.example.org`) && PathPrefix(`/x`)",
        ),
        ("traefik.http.routers.admin.entrypoints", "websecure"),
        ("traefik.http.routers.admin.tls.certresolver", "letsencrypt"),
        ("traefik.http.routers.admin.middlewares", "strip"),
        ("traefik.http.routers.admin.priority", "50"),
        (
            "traefik.http.services.admin.loadbalancer.server.port",
            "9000",
        ),
        ("traefik.http.middlewares.strip.stripprefix.prefixes", "/x"),
        (
            "traefik.http.services.admin.loadbalancer.server.url",
            "http://10.0.0.1/",
        ),
        ("traefik.tcp.routers.pg.rule", "HostSNI(`pg.example.org`)"),
        ("traefik.tcp.routers.pg.entrypoints", "tcp-5432"),
        ("traefik.tcp.routers.pg.tls.passthrough", "true"),
        ("traefik.tcp.services.pg.loadbalancer.server.port", "5432"),
        ("traefik.udp.routers.dns.entrypoints", "udp-53"),
        ("traefik.udp.services.dns.loadbalancer.server.port", "53"),
        // Tier 2 replaces the auto-route.
        ("rediacc.service_port", "8080"),
    ];
    let b = build::build(
        &[daemon(
            2816,
            vec![service(2816, 4, "admin", "shop", &labels)],
        )],
        &[],
        &opts(Some("m")),
    );
    let j = json_of(&b);
    assert_eq!(
        j["http"]["routers"]["admin-2816"],
        json!({
            "entryPoints": ["websecure"],
            "rule": "Host(`admin.example.org`) && PathPrefix(`/x`)",
            "service": "admin-2816",
            "middlewares": ["strip-2816"],
            "priority": 50,
            "tls": {"certResolver": "letsencrypt"},
        })
    );
    assert_eq!(
        j["http"]["services"]["admin-2816"]["loadBalancer"]["servers"][0]["url"],
        "http://127.0.11.6:9000"
    );
    assert_eq!(
        j["http"]["middlewares"]["strip-2816"],
        json!({"stripprefix": {"prefixes": "/x"}})
    );
    assert_eq!(
        j["tcp"]["routers"]["pg-2816"],
        json!({"entryPoints": ["tcp-5432"], "rule": "HostSNI(`pg.example.org`)",
               "service": "pg-2816", "tls": {"passthrough": true}})
    );
    assert_eq!(
        j["tcp"]["services"]["pg-2816"]["loadBalancer"]["servers"][0]["address"],
        "127.0.11.6:5432"
    );
    assert_eq!(
        j["udp"]["routers"]["dns-2816"],
        json!({"entryPoints": ["udp-53"], "service": "dns-2816"})
    );
    assert!(j["http"]["routers"].get("admin-domain1-2816").is_none());
    // The url label is reported as ignored; the container still routes.
    assert_eq!(b.problems.len(), 1, "{:?}", b.problems);
    assert_eq!(b.problems[0].effect, build::IGNORED);
    assert!(b.problems[0].reason.contains("server.url"));
}

#[test]
fn tier2_defaults_and_refusals() {
    // No service label: the implicit service on rediacc.service_port; TLS from the entrypoint.
    let implicit = service(
        2816,
        0,
        "app",
        "shop",
        &[
            ("traefik.enable", "true"),
            ("traefik.http.routers.app.rule", "Host(`app.example.org`)"),
            ("rediacc.service_port", "3000"),
        ],
    );
    let b = build::build(&[daemon(2816, vec![implicit])], &[], &opts(None));
    let j = json_of(&b);
    assert_eq!(j["http"]["routers"]["app-2816"]["service"], "app-2816");
    assert_eq!(j["http"]["routers"]["app-2816"]["tls"], json!({}));
    assert_eq!(
        j["http"]["services"]["app-2816"]["loadBalancer"]["servers"][0]["url"],
        "http://127.0.11.2:3000"
    );

    let refused: Vec<(&str, &str, &str)> = vec![
        (
            "traefik.http.routers.r.rule",
            "PathPrefix(`/`)",
            "must name the hosts it serves",
        ),
        (
            "traefik.http.routers.r.middlewares",
            "auth@file",
            "another provider's middleware",
        ),
        ("traefik.http.routers.r.rule", "Host(`a.org`", "unbalanced"),
        (
            "traefik.http.routers.r.rule",
            "Host(`a.org)",
            "unterminated",
        ),
        (
            "traefik.http.routers.r.service",
            "api@internal",
            "other providers",
        ),
        (
            "traefik.http.routers.r.entrypoints",
            "web secure",
            "not a valid name",
        ),
        ("traefik.http.routers.r.priority", "high", "priority"),
        ("traefik.http.routers.r.tls", "yes", "true or false"),
        (
            "traefik.http.routers.r.middlewares",
            "x@docker",
            "another provider's middleware",
        ),
        (
            "traefik.http.routers.bad.name.rule",
            "Host(`a.org`)",
            "has no traefik.http.routers.bad.rule",
        ),
        ("traefik.enable", "maybe", "true or false"),
    ];
    for (k, v, needle) in refused {
        let mut labels = vec![
            ("traefik.enable", "true"),
            ("traefik.http.routers.r.rule", "Host(`r.example.org`)"),
            ("traefik.http.services.r.loadbalancer.server.port", "80"),
        ];
        labels.retain(|(lk, _)| *lk != k);
        labels.push((k, v));
        let b = build::build(
            &[daemon(2816, vec![service(2816, 0, "r", "shop", &labels)])],
            &[],
            &opts(None),
        );
        assert!(b.config.is_empty(), "{k}={v}: {:?}", b.config);
        assert!(
            b.problems
                .iter()
                .any(|p| p.effect == build::DROPPED && p.reason.contains(needle)),
            "{k}={v}: {:?}",
            b.problems
        );
    }
}

#[test]
fn tier2_name_clash_between_containers_drops_the_second() {
    let one = |svc: &str, slot: u8, port: &str| {
        service(
            2816,
            slot,
            svc,
            "shop",
            &[
                ("traefik.enable", "true"),
                ("traefik.http.routers.main.rule", "Host(`x.example.org`)"),
                ("traefik.http.services.main.loadbalancer.server.port", port),
            ],
        )
    };
    let b = build::build(
        &[daemon(2816, vec![one("a", 0, "80"), one("b", 1, "81")])],
        &[],
        &opts(None),
    );
    assert_eq!(b.config.http.routers.len(), 1);
    assert_eq!(b.problems.len(), 1);
    assert!(b.problems[0].reason.contains("already defined"));
    assert_eq!(b.problems[0].service, "b");
}

#[test]
fn leases_become_tcp_and_udp_routers() {
    let daemons = vec![daemon(
        2816,
        vec![service(
            2816,
            2,
            "dns",
            "shop",
            &[("rediacc.tcp_ports", "53"), ("rediacc.udp_ports", "53")],
        )],
    )];
    let leases = vec![
        lease(2816, "dns", Proto::Udp, 53, 10001),
        lease(2816, "dns", Proto::Tcp, 53, 10000),
        // A lease of a container that is not running: skipped.
        lease(2816, "gone", Proto::Tcp, 5432, 10002),
        // Another network's lease on a taken port: skipped with a problem.
        lease(2880, "x", Proto::Tcp, 1, 10000),
    ];
    let b = build::build(&daemons, &leases, &opts(None));
    let j = json_of(&b);
    assert_eq!(
        j["tcp"]["routers"]["dns-tcp-53-2816"],
        json!({"entryPoints": ["tcp-10000"], "rule": "HostSNI(`*`)", "service": "dns-tcp-53-2816"})
    );
    assert_eq!(
        j["udp"]["routers"]["dns-udp-53-2816"],
        json!({"entryPoints": ["udp-10001"], "service": "dns-udp-53-2816"})
    );
    assert_eq!(
        j["udp"]["services"]["dns-udp-53-2816"]["loadBalancer"]["servers"][0]["address"],
        "127.0.11.4:53"
    );
    assert!(j.get("http").is_none());
    assert!(b.problems.is_empty(), "{:?}", b.problems);
}

#[test]
fn output_is_identical_for_identical_state() {
    let daemons = fixture();
    let a = build::build(&daemons, &fixture_leases(), &opts(Some("m")));
    let b = build::build(&daemons, &fixture_leases(), &opts(Some("m")));
    assert_eq!(config_json(&a.config), config_json(&b.config));
    assert_eq!(config_yaml(&a.config), config_yaml(&b.config));
}

fn fixture() -> Vec<DaemonInput> {
    let mut out = Vec::new();
    for (i, n) in [2816u32, 2880, 2944].into_iter().enumerate() {
        let repo = format!("repo{i}");
        out.push(daemon(
            n,
            vec![
                service(
                    n,
                    0,
                    "web",
                    &repo,
                    &[("rediacc.service_port", "80"), ("rediacc.domain", "w")],
                ),
                service(n, 1, "db", &repo, &[("rediacc.tcp_ports", "5432")]),
                service(
                    n,
                    2,
                    "admin",
                    &repo,
                    &[
                        ("traefik.enable", "true"),
                        ("traefik.http.routers.adm.rule", "Host(`adm.example.org`)"),
                        ("traefik.http.services.adm.loadbalancer.server.port", "9000"),
                    ],
                ),
                service(n, 3, "bad", &repo, &[("rediacc.service_port", "x")]),
            ],
        ));
    }
    out
}

fn fixture_leases() -> Vec<Lease> {
    vec![
        lease(2816, "db", Proto::Tcp, 5432, 10000),
        lease(2880, "db", Proto::Tcp, 5432, 10001),
        lease(2944, "db", Proto::Udp, 5432, 10001),
    ]
}

proptest! {
    /// Shuffled daemons, containers and leases give byte-identical output (and problems).
    #[test]
    fn input_order_never_matters(seed in any::<u64>()) {
        let base = build::build(&fixture(), &fixture_leases(), &opts(Some("m")));
        let mut rng = seed;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut daemons = fixture();
        shuffle(&mut daemons, &mut next);
        for d in &mut daemons {
            shuffle(&mut d.containers, &mut next);
        }
        let mut leases = fixture_leases();
        shuffle(&mut leases, &mut next);
        let shuffled = build::build(&daemons, &leases, &opts(Some("m")));
        prop_assert_eq!(config_json(&base.config), config_json(&shuffled.config));
        prop_assert_eq!(config_yaml(&base.config), config_yaml(&shuffled.config));
        prop_assert_eq!(&base.problems, &shuffled.problems);
    }
}

fn shuffle<T>(v: &mut [T], next: &mut impl FnMut() -> u64) {
    for i in (1..v.len()).rev() {
        let j = usize::try_from(next() % (i as u64 + 1)).unwrap();
        v.swap(i, j);
    }
}

#[test]
fn the_fixture_has_the_expected_shape() {
    let b = build::build(&fixture(), &fixture_leases(), &opts(Some("m")));
    // adm is defined on three networks under three names, for one host: the first network
    // keeps it, the others' routers are skipped; 3 problems for "bad".
    let names: Vec<&String> = b.config.http.routers.keys().collect();
    assert!(names.contains(&&"adm-2816".to_owned()));
    assert!(!names.contains(&&"adm-2944".to_owned()));
    let skipped: Vec<_> = b
        .problems
        .iter()
        .filter(|p| p.effect == build::SKIPPED && p.service == "admin")
        .map(|p| (p.network_id, p.label.as_deref(), p.reason.as_str()))
        .collect();
    let why = "host adm.example.org is already routed to service admin of network 2816";
    let key = Some("traefik.http.routers.adm.rule");
    assert_eq!(skipped, vec![(2880, key, why), (2944, key, why)]);
    assert_eq!(
        b.problems
            .iter()
            .filter(|p| p.effect == build::DROPPED)
            .count(),
        3
    );
    let hosts: BTreeMap<_, _> = b
        .config
        .http
        .routers
        .iter()
        .map(|(k, r)| (k.clone(), r.rule.clone()))
        .collect();
    assert_eq!(hosts["web-2880"], "Host(`web.repo1.m.example.com`)");
    // "w" is claimed by network 2816 first.
    assert_eq!(hosts["web-domain1-2816"], "Host(`w.example.com`)");
    assert!(!hosts.contains_key("web-domain1-2880"));
}

#[test]
fn health_and_ports_documents() {
    use super::documents::{Meta, WatchdogHealth, build_state, health_bytes, ports_bytes};
    use super::runtime::Settings;
    use super::state::EventStream;
    let mut down = daemon(2880, vec![]);
    down.error = Some("no answer within 2s".into());
    let daemons = vec![
        daemon(
            2816,
            vec![
                service(2816, 0, "web", "shop", &[("rediacc.service_port", "80")]),
                service(2816, 1, "db", "shop", &[("rediacc.tcp_ports", "5432")]),
                service(2816, 2, "bad", "shop", &[("rediacc.service_port", "x")]),
            ],
        ),
        down,
    ];
    let leases = vec![
        lease(2816, "db", Proto::Tcp, 5432, 10000),
        lease(2816, "gone", Proto::Udp, 53, 10001),
    ];
    let settings = Settings {
        run_dir: "/run/rediacc".into(),
        state_dir: "/var/lib/rediacc".into(),
        poll: std::time::Duration::from_secs(5),
        daemon_timeout: std::time::Duration::from_secs(2),
        watchdog_grace: None,
        options: opts(None),
    };
    let meta = Meta {
        refreshes: 7,
        time_unix: 1_700_000_000,
        discover_ms: 1.5,
        lease_error: None,
        watchdog: WatchdogHealth::default(),
        events: [
            (
                2816,
                EventStream {
                    connected: true,
                    error: None,
                },
            ),
            (
                2880,
                EventStream {
                    connected: false,
                    error: Some("no connection within 2s".into()),
                },
            ),
        ]
        .into(),
        ..Meta::default()
    };
    let b = build_state(&daemons, &leases, &settings);
    let h: Value =
        serde_json::from_slice(&health_bytes(&daemons, 2, &b, &settings, &meta, 3)).unwrap();
    assert_eq!(h["status"], "degraded");
    assert_eq!(h["routers"], 2);
    assert_eq!(h["http"]["routers"], 1);
    assert_eq!(h["tcp"]["routers"], 1);
    assert_eq!(h["daemons_seen"], 2);
    assert_eq!(h["daemons_failed"], 1);
    assert_eq!(h["daemons"][1]["error"], "no answer within 2s");
    assert_eq!(h["daemons"][0]["events"], true);
    assert!(h["daemons"][0].get("events_error").is_none(), "{h:#}");
    assert_eq!(h["daemons"][1]["events"], false);
    assert_eq!(h["daemons"][1]["events_error"], "no connection within 2s");
    assert_eq!(h["problems"][0]["service"], "bad");
    assert_eq!(h["refreshes"], 7);
    assert_eq!(h["builds"], 3);
    assert_eq!(h["last_refresh_unix"], 1_700_000_000u64);
    assert_eq!(h["leases"]["count"], 2);
    let p: Value =
        serde_json::from_slice(&ports_bytes(&daemons, &leases, &b.summary, Some("locked")))
            .unwrap();
    assert_eq!(
        p,
        json!({"leases": [
            {"network_id": 2816, "service": "db", "proto": "tcp", "container_port": 5432,
             "external_port": 10000, "active": true, "target": "127.0.11.3:5432"},
            {"network_id": 2816, "service": "gone", "proto": "udp", "container_port": 53,
             "external_port": 10001, "active": false},
        ], "error": "locked"})
    );
    // The ETag follows the bytes.
    let again = build_state(&daemons, &leases, &settings);
    assert_eq!(again.etag, b.etag);
    assert_eq!(again.config_yaml, b.config_yaml);
}
