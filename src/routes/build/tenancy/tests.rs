//! Tenancy (SPEC section 7): one repository's labels never take another's hosts, entrypoints,
//! addresses or objects; every refusal is reported with the container, the label and why.

use proptest::prelude::*;

use crate::leases::Proto;
use crate::routes::build::{self, Built, ContainerInput, DROPPED, Problem, SKIPPED};
use crate::routes::config::Tree;
use crate::routes::tests::{daemon, json_of, lease, opts, service};

/// The victim: network 2816, repository shop, created first; web with a custom domain, db with
/// a TCP lease on 10000.
fn victim() -> Vec<ContainerInput> {
    let mut web = service(
        2816,
        0,
        "web",
        "shop",
        &[
            ("rediacc.service_port", "80"),
            ("rediacc.domain", "www.shop.org"),
        ],
    );
    web.created = 100;
    let mut db = service(2816, 1, "db", "shop", &[("rediacc.tcp_ports", "5432")]);
    db.created = 100;
    vec![web, db]
}

/// An attacking container of network 2880 (repository evil), created after the victim.
fn attacker(name: &str, labels: &[(&str, &str)]) -> ContainerInput {
    let mut c = service(2880, 0, name, "evil", labels);
    c.created = 200;
    c
}

fn run(attackers: Vec<ContainerInput>, machine: Option<&str>) -> Built {
    build::build(
        &[daemon(2816, victim()), daemon(2880, attackers)],
        &[lease(2816, "db", Proto::Tcp, 5432, 10000)],
        &opts(machine),
    )
}

/// The attacker's problems only (the victim has none).
fn problems_of(b: &Built) -> Vec<&Problem> {
    assert!(
        b.problems.iter().all(|p| p.network_id == 2880),
        "{:?}",
        b.problems
    );
    b.problems.iter().collect()
}

fn tier2(name: &str, extra: &[(&'static str, &'static str)]) -> ContainerInput {
    let mut labels = vec![
        ("traefik.enable", "true"),
        ("traefik.http.services.s.loadbalancer.server.port", "80"),
    ];
    labels.extend_from_slice(extra);
    attacker(name, &labels)
}

fn expect(effect: &'static str, name: &str, label: &str, reason: &str) -> Problem {
    Problem {
        network_id: 2880,
        container: format!("evil_{name}_1"),
        service: name.to_owned(),
        effect,
        reason: reason.to_owned(),
        label: Some(label.to_owned()),
    }
}

/// The victim's routes are all there, unchanged.
fn assert_victim_intact(b: &Built, machine: Option<&str>) {
    let alone = build::build(
        &[daemon(2816, victim())],
        &[lease(2816, "db", Proto::Tcp, 5432, 10000)],
        &opts(machine),
    );
    let (all, mine) = (json_of(b), json_of(&alone));
    for (section, kind) in [
        ("http", "routers"),
        ("http", "services"),
        ("tcp", "routers"),
    ] {
        for (name, v) in mine[section][kind].as_object().into_iter().flatten() {
            assert_eq!(&all[section][kind][name], v, "{section}.{kind}.{name}");
        }
    }
}

#[test]
fn auto_route_hosts_stay_their_repositorys() {
    // Without a machine name the auto host carries the network ID.
    let b = run(
        vec![
            attacker(
                "dom",
                &[
                    ("rediacc.service_port", "80"),
                    ("rediacc.domain", "web-2816.example.com"),
                ],
            ),
            tier2(
                "prio",
                &[
                    (
                        "traefik.http.routers.r.rule",
                        "Host(`WEB-2816.example.com.`)",
                    ),
                    ("traefik.http.routers.r.priority", "1000000"),
                ],
            ),
        ],
        None,
    );
    let why = "host web-2816.example.com is an auto-route host of network 2816, which only that repository routes";
    assert_eq!(
        problems_of(&b),
        vec![
            &expect(SKIPPED, "dom", "rediacc.domain", why),
            &expect(SKIPPED, "prio", "traefik.http.routers.r.rule", why),
        ]
    );
    let j = json_of(&b);
    // The attacker's own auto host still routes; the stolen one does not.
    assert_eq!(
        j["http"]["routers"]["dom-2880"]["rule"],
        "Host(`dom-2880.example.com`)"
    );
    assert!(j["http"]["routers"].get("dom-domain1-2880").is_none());
    assert!(j["http"]["routers"].get("r-2880").is_none());
    assert_victim_intact(&b, None);
}

#[test]
fn a_repository_name_taken_twice_keeps_its_first_holder() {
    let mut twin = service(2880, 0, "web", "shop", &[("rediacc.service_port", "80")]);
    twin.created = 200;
    let b = run(
        vec![
            twin,
            tier2(
                "t2",
                &[(
                    "traefik.http.routers.r.rule",
                    "Host(`api.shop.m.example.com`)",
                )],
            ),
        ],
        Some("m"),
    );
    let holds = |h: &str| {
        format!("host {h} is an auto-route host of repository shop, whose name network 2816 holds")
    };
    let mut twin_problem = expect(
        SKIPPED,
        "web",
        "rediacc.repo_name",
        &holds("web.shop.m.example.com"),
    );
    twin_problem.container = "shop_web_1".into();
    assert_eq!(
        problems_of(&b),
        vec![
            &expect(
                SKIPPED,
                "t2",
                "traefik.http.routers.r.rule",
                &holds("api.shop.m.example.com")
            ),
            &twin_problem,
        ]
    );
    assert!(json_of(&b)["http"]["routers"].get("web-2880").is_none());
    assert_victim_intact(&b, Some("m"));
    // Auto-route shaped hosts of a repository name nobody runs are nobody's.
    let b = run(
        vec![tier2(
            "t3",
            &[(
                "traefik.http.routers.r.rule",
                "Host(`x.ghost.m.example.com`)",
            )],
        )],
        Some("m"),
    );
    assert_eq!(
        b.problems[0].reason,
        "host x.ghost.m.example.com has the shape of an auto-route host of repository ghost, which only a repository of that name routes"
    );
    // Names under another repository's auto-route hosts are that repository's too.
    for (machine, host, why) in [
        (
            Some("m"),
            "a.web.shop.m.example.com",
            "host a.web.shop.m.example.com is an auto-route host of repository shop, whose name network 2816 holds",
        ),
        (
            None,
            "a.web-2816.example.com",
            "host a.web-2816.example.com is an auto-route host of network 2816, which only that repository routes",
        ),
    ] {
        let rule = format!("Host(`{host}`)");
        let c = attacker(
            "deep",
            &[
                ("traefik.enable", "true"),
                ("traefik.http.routers.r.rule", &rule),
                ("traefik.http.services.s.loadbalancer.server.port", "80"),
            ],
        );
        let b = run(vec![c], machine);
        assert_eq!(b.problems.len(), 1, "{:?}", b.problems);
        assert_eq!(b.problems[0].reason, why);
    }
    // A short name under the machine's domain is first come (not reserved).
    let c = tier2(
        "short",
        &[("traefik.http.routers.r.rule", "Host(`cloud.m.example.com`)")],
    );
    assert!(run(vec![c], Some("m")).problems.is_empty());
}

#[test]
fn other_hosts_belong_to_the_oldest_claim() {
    let steal = tier2(
        "prio",
        &[
            (
                "traefik.http.routers.r.rule",
                "Host(`www.shop.org`) && PathPrefix(`/`)",
            ),
            ("traefik.http.routers.r.priority", "1000000"),
        ],
    );
    let b = run(vec![steal.clone()], None);
    assert_eq!(
        problems_of(&b),
        vec![&expect(
            SKIPPED,
            "prio",
            "traefik.http.routers.r.rule",
            "host www.shop.org is already routed to service web of network 2816"
        )]
    );
    assert_victim_intact(&b, None);
    // The victim recreates web: its repository is still the older one (db is).
    let mut recreated = victim();
    recreated[0].created = 300;
    let b = build::build(
        &[daemon(2816, recreated), daemon(2880, vec![steal.clone()])],
        &[lease(2816, "db", Proto::Tcp, 5432, 10000)],
        &opts(None),
    );
    assert_eq!(b.problems.len(), 1, "{:?}", b.problems);
    assert_eq!(b.problems[0].network_id, 2880);
    // Older than the victim's repository, the other one is first: age, not network ID.
    let mut early = steal;
    early.created = 1;
    let b = run(vec![early], None);
    assert_eq!(
        json_of(&b)["http"]["routers"]["r-2880"]["priority"],
        1_000_000
    );
    assert_eq!(b.problems.len(), 1);
    assert_eq!(b.problems[0].network_id, 2816);
    assert_eq!(b.problems[0].label.as_deref(), Some("rediacc.domain"));
    assert_eq!(
        b.problems[0].reason,
        "host www.shop.org is already routed to service prio of network 2880"
    );
}

#[test]
fn rules_that_do_not_name_their_hosts_are_refused() {
    let unbounded = "label traefik.http.routers.r.rule: the rule must name the hosts it serves: every alternative (each side of ||) needs a Host(...), and ! cannot, or it would catch other repositories' hosts";
    let regexp = "label traefik.http.routers.r.rule: HostRegexp is refused: a rule names the hosts it serves with Host (HostSNI for TCP), a regular expression could match another repository's hosts";
    let cases: &[(&'static str, &str)] = &[
        ("HostRegexp(`.+`)", regexp),
        ("hostregexp(`{x:.+}`) && Host(`a.evil.org`)", regexp),
        ("Host(`a.evil.org`) || PathPrefix(`/`)", unbounded),
        ("(Host(`a.evil.org`)) || !Host(`b.evil.org`)", unbounded),
        ("PathPrefix(`/`)", unbounded),
        ("Method(`GET`) && Header(`Host`, `www.shop.org`)", unbounded),
    ];
    for (rule, reason) in cases {
        let b = run(
            vec![tier2("x", &[("traefik.http.routers.r.rule", rule)])],
            None,
        );
        assert_eq!(
            problems_of(&b),
            vec![&expect(DROPPED, "x", "traefik.http.routers.r.rule", reason)],
            "{rule}"
        );
        assert!(json_of(&b)["http"]["routers"].get("r-2880").is_none());
        assert_victim_intact(&b, None);
    }
}

#[test]
fn tcp_and_udp_routers_keep_off_other_entrypoints() {
    let sni = |ep: &'static str| {
        tier2(
            "sni",
            &[
                ("traefik.tcp.routers.t.rule", "HostSNI(`*`)"),
                ("traefik.tcp.routers.t.entrypoints", ep),
                ("traefik.tcp.services.t.loadbalancer.server.port", "5432"),
            ],
        )
    };
    let b = run(vec![sni("tcp-10000")], None);
    assert_eq!(
        problems_of(&b),
        vec![&expect(
            SKIPPED,
            "sni",
            "traefik.tcp.routers.t.entrypoints",
            "entrypoint tcp-10000 is leased to network 2816"
        )]
    );
    assert!(json_of(&b)["tcp"]["routers"].get("t-2880").is_none());
    assert_victim_intact(&b, None);
    for ep in ["websecure", "web", "websecure-v6"] {
        let b = run(vec![sni(ep)], None);
        let why = format!(
            "label traefik.tcp.routers.t.entrypoints: TCP routers cannot use entrypoint {ep}: it carries every repository's HTTP traffic"
        );
        assert_eq!(
            problems_of(&b),
            vec![&expect(
                DROPPED,
                "sni",
                "traefik.tcp.routers.t.entrypoints",
                &why
            )]
        );
    }
    let udp = tier2(
        "u",
        &[
            ("traefik.udp.routers.d.entrypoints", "websecure"),
            ("traefik.udp.services.d.loadbalancer.server.port", "53"),
        ],
    );
    assert_eq!(
        run(vec![udp], None).problems[0].reason,
        "label traefik.udp.routers.d.entrypoints: UDP routers cannot use entrypoint websecure: it carries every repository's HTTP traffic"
    );
    // A lease of its own, or a fixed entrypoint no one else holds: fine.
    let mut own = build::build(
        &[daemon(2880, vec![sni("tcp-10004")])],
        &[lease(2880, "sni", Proto::Tcp, 5432, 10004)],
        &opts(None),
    );
    assert!(own.problems.is_empty(), "{:?}", own.problems);
    own = run(vec![sni("tcp-5432")], None);
    assert!(own.problems.is_empty(), "{:?}", own.problems);
}

#[test]
fn a_fixed_entrypoint_belongs_to_its_first_user() {
    let pg = |n: u32, created: i64| {
        let mut c = service(
            n,
            2,
            "pg",
            if n == 2816 { "shop" } else { "evil" },
            &[
                ("traefik.enable", "true"),
                ("traefik.tcp.routers.t.rule", "HostSNI(`*`)"),
                ("traefik.tcp.routers.t.entrypoints", "tcp-5432"),
                ("traefik.tcp.services.t.loadbalancer.server.port", "5432"),
            ],
        );
        c.created = created;
        c
    };
    let b = build::build(
        &[
            daemon(2816, vec![pg(2816, 100)]),
            daemon(2880, vec![pg(2880, 200)]),
        ],
        &[],
        &opts(None),
    );
    assert_eq!(b.problems.len(), 1, "{:?}", b.problems);
    assert_eq!(
        (b.problems[0].network_id, b.problems[0].reason.as_str()),
        (
            2880,
            "entrypoint tcp-5432 is already used by service pg of network 2816"
        )
    );
    // An HTTP router cannot sit on another repository's lease either.
    let http = tier2(
        "h",
        &[
            ("traefik.http.routers.r.rule", "Host(`h.evil.org`)"),
            ("traefik.http.routers.r.entrypoints", "tcp-10000"),
        ],
    );
    assert_eq!(
        problems_of(&run(vec![http], None)),
        vec![&expect(
            SKIPPED,
            "h",
            "traefik.http.routers.r.entrypoints",
            "entrypoint tcp-10000 is leased to network 2816"
        )]
    );
}

#[test]
fn references_stay_inside_the_repository() {
    let other = |what: &str, key: &str, raw: &str| {
        format!(
            "label {key}: {raw:?} is another provider's {what}; a container references only its own repository's"
        )
    };
    let cases: Vec<(&'static str, &'static str, String)> = vec![
        (
            "traefik.http.routers.r.service",
            "api@internal",
            "label traefik.http.routers.r.service: services of other providers (\"api@internal\") cannot be routed to from a container".into(),
        ),
        (
            "traefik.http.routers.r.middlewares",
            "auth@file",
            other("middleware", "traefik.http.routers.r.middlewares", "auth@file"),
        ),
        (
            "traefik.http.middlewares.m.errors.service",
            "web-2816@http",
            other("service", "traefik.http.middlewares.m.errors.service", "web-2816@http"),
        ),
        (
            "traefik.http.middlewares.m.chain.middlewares",
            "a, dashboard@internal",
            other("middleware", "traefik.http.middlewares.m.chain.middlewares", "dashboard@internal"),
        ),
        (
            "traefik.http.middlewares.m.chain.middlewares.0",
            "x",
            "label traefik.http.middlewares.m.chain.middlewares.0: the property path is not valid".into(),
        ),
        (
            "traefik.http.routers.r.tls.options",
            "modern@file",
            "label traefik.http.routers.r.tls.options: TLS options \"modern@file\" are not allowed (only default: no repository defines any)".into(),
        ),
        (
            "traefik.http.middlewares.m.basicauth.usersfile",
            "/etc/shadow",
            "label traefik.http.middlewares.m.basicauth.usersfile: names a file on the proxy machine, outside the repository".into(),
        ),
        (
            "traefik.http.middlewares.m.plugin.x.url",
            "http://127.0.11.2/",
            "label traefik.http.middlewares.m.plugin.x.url: plugin middlewares are not allowed (they can call any address)".into(),
        ),
    ];
    for (key, value, reason) in cases {
        let c = tier2(
            "x",
            &[
                ("traefik.http.routers.r.rule", "Host(`x.evil.org`)"),
                (key, value),
            ],
        );
        let b = run(vec![c], None);
        assert_eq!(
            problems_of(&b),
            vec![&expect(DROPPED, "x", key, &reason)],
            "{key}"
        );
        assert_victim_intact(&b, None);
    }
}

#[test]
fn middleware_addresses_stay_in_the_block() {
    let key = "traefik.http.middlewares.m.forwardauth.address";
    for raw in [
        "http://127.0.11.2/auth",
        "http://127.0.11.66@127.0.11.2/",
        "https://auth.example.org/",
        "http://[::1]/",
        "127.0.11.66:80",
        "http://127.0.11.66:99999/",
    ] {
        let c = tier2(
            "fa",
            &[
                ("traefik.http.routers.r.rule", "Host(`x.evil.org`)"),
                (key, raw),
            ],
        );
        let b = run(vec![c], None);
        let why = format!(
            "label {key}: {raw:?} is not an address of this repository's block 127.0.11.64/26 (http://IP[:port][/path])"
        );
        assert_eq!(
            problems_of(&b),
            vec![&expect(DROPPED, "fa", key, &why)],
            "{raw}"
        );
    }
    // Its own address is fine; object references are made its own.
    let c = tier2(
        "fa",
        &[
            ("traefik.http.routers.r.rule", "Host(`x.evil.org`)"),
            ("traefik.http.routers.r.middlewares", "m, c"),
            (key, "http://127.0.11.66:9000/auth"),
            ("traefik.http.middlewares.e.errors.service", "s"),
            ("traefik.http.middlewares.e.errors.status", "500"),
            ("traefik.http.middlewares.c.chain.middlewares", "m,e"),
        ],
    );
    let b = run(vec![c], None);
    assert!(b.problems.is_empty(), "{:?}", b.problems);
    let m = &b.config.http.middlewares;
    let leaf = |name: &str, path: &[&str]| {
        let mut t = &m[name];
        for p in path {
            let Tree::Node(map) = t else { panic!("{name}") };
            t = &map[*p];
        }
        match t {
            Tree::Leaf(s) => s.clone(),
            Tree::Node(_) => panic!("{name}"),
        }
    };
    assert_eq!(leaf("e-2880", &["errors", "service"]), "s-2880");
    assert_eq!(leaf("c-2880", &["chain", "middlewares"]), "m-2880,e-2880");
    assert_eq!(
        leaf("m-2880", &["forwardauth", "address"]),
        "http://127.0.11.66:9000/auth"
    );
}

#[test]
fn references_to_what_the_repository_lacks_are_reported() {
    // Plain names are the repository's own: the victim's `web-2816` is `web-2816-2880`, which
    // nothing defines. The middleware goes, and so do the chain and the router using them.
    let c = tier2(
        "err",
        &[
            ("traefik.http.routers.r.rule", "Host(`x.evil.org`)"),
            ("traefik.http.routers.r.middlewares", "c"),
            ("traefik.http.middlewares.e.errors.service", "web-2816"),
            ("traefik.http.middlewares.e.errors.status", "500"),
            ("traefik.http.middlewares.c.chain.middlewares", "e"),
            ("traefik.http.routers.q.rule", "Host(`q.evil.org`)"),
            ("traefik.http.routers.q.service", "web-2816"),
            ("traefik.tcp.routers.t.rule", "HostSNI(`*`)"),
            ("traefik.tcp.routers.t.entrypoints", "tcp-5432"),
            ("traefik.tcp.routers.t.service", "db-tcp-5432-2816"),
        ],
    );
    let b = run(vec![c], None);
    let p = |label: &str, reason: &str| expect(SKIPPED, "err", label, reason);
    let lacks = |what: &str, name: &str| {
        format!(
            "{what} {name} is not defined by this repository (references name only its own objects)"
        )
    };
    let mut want = [
        p(
            "traefik.http.middlewares.c.chain.middlewares",
            &lacks("middleware", "e"),
        ),
        p(
            "traefik.http.middlewares.e.errors.service",
            &lacks("service", "web-2816"),
        ),
        p(
            "traefik.http.routers.q.service",
            &lacks("service", "web-2816"),
        ),
        p(
            "traefik.http.routers.r.middlewares",
            &lacks("middleware", "c"),
        ),
        p(
            "traefik.tcp.routers.t.service",
            &lacks("service", "db-tcp-5432-2816"),
        ),
    ];
    want.sort();
    assert_eq!(problems_of(&b), want.iter().collect::<Vec<_>>());
    let j = json_of(&b);
    assert!(j["http"].get("middlewares").is_none(), "{j:#}");
    assert!(j["http"]["routers"].get("r-2880").is_none());
    assert!(j["http"]["routers"].get("q-2880").is_none());
    assert!(j["tcp"]["routers"].get("t-2880").is_none());
    assert_victim_intact(&b, None);
}

#[test]
fn names_cannot_collide_across_repositories() {
    // Before names ended in the network ID, `web-2880-tcp` of 2816 was 2880's lease router
    // `web-2880-tcp-2816` (container port 2816), and the first one dropped the second.
    let mut a = service(
        2816,
        0,
        "web-2880-tcp",
        "shop",
        &[("rediacc.service_port", "80")],
    );
    a.created = 1;
    let b = service(2880, 0, "web", "evil", &[("rediacc.tcp_ports", "2816")]);
    let built = build::build(
        &[daemon(2816, vec![a]), daemon(2880, vec![b])],
        &[lease(2880, "web", Proto::Tcp, 2816, 10003)],
        &opts(None),
    );
    assert!(built.problems.is_empty(), "{:?}", built.problems);
    assert!(built.config.http.routers.contains_key("web-2880-tcp-2816"));
    assert!(built.config.tcp.routers.contains_key("web-tcp-2816-2880"));
}

/// Label keys and values an attacker would try, and noise.
fn attack_labels() -> impl Strategy<Value = Vec<(String, String)>> {
    let keys = prop::sample::select(vec![
        "traefik.http.routers.r.rule",
        "traefik.http.routers.r.entrypoints",
        "traefik.http.routers.r.service",
        "traefik.http.routers.r.middlewares",
        "traefik.http.routers.r.priority",
        "traefik.http.routers.q.rule",
        "traefik.http.services.s.loadbalancer.server.port",
        "traefik.http.services.s.loadbalancer.server.url",
        "traefik.http.middlewares.m.forwardauth.address",
        "traefik.http.middlewares.m.errors.service",
        "traefik.http.middlewares.m.chain.middlewares",
        "traefik.http.middlewares.m.ForwardAuth.Address",
        "traefik.tcp.routers.t.rule",
        "traefik.tcp.routers.t.entrypoints",
        "traefik.tcp.services.u.loadbalancer.server.port",
        "traefik.udp.routers.d.entrypoints",
        "traefik.udp.services.d.loadbalancer.server.port",
        "rediacc.domain",
        "rediacc.repo_name",
        "rediacc.service_port",
        "rediacc.service_ip",
    ]);
    let values = prop_oneof![
        prop::sample::select(vec![
            "Host(`web.shop.m.example.com`)",
            "Host(`web-2816.example.com`)",
            "web-2816",
            "Host(`www.shop.org`)",
            "HOST(`WWW.SHOP.ORG.`) && PathPrefix(`/`)",
            "Host(`mine.evil.org`)",
            "Host(`mine.evil.org`) || Host(`www.shop.org`)",
            "Host(`mine.evil.org`) || PathPrefix(`/`)",
            "HostRegexp(`.*`)",
            "HostSNI(`*`)",
            "HostSNI(`www.shop.org`)",
            "!Host(`mine.evil.org`)",
            "websecure",
            "tcp-10000",
            "tcp-5432",
            "udp-53",
            "web",
            "s",
            "s@internal",
            "api@internal",
            "m",
            "m,web-2816",
            "web-2816",
            "web-2816@http",
            "http://127.0.11.2/",
            "http://127.0.11.66/",
            "http://127.0.11.66@127.0.11.2/",
            "1000000",
            "80",
            "5432",
            "shop",
            "evil",
            "www.shop.org",
            "web.shop.m.example.com",
            "127.0.11.2",
            "127.0.11.66",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,24}",
    ];
    prop::collection::vec((keys.prop_map(str::to_owned), values), 0..12)
}

/// Every address an object of the configuration sends traffic to, as text.
fn targets(j: &serde_json::Value, name: &str, section: &str) -> Vec<String> {
    let svc = &j[section]["services"][name]["loadBalancer"]["servers"];
    svc.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["url"].as_str().or_else(|| s["address"].as_str()))
        .map(str::to_owned)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever repository B's labels say, nothing of B serves A's hosts or entrypoints,
    /// points outside B's block or names an object that is not B's, and A keeps every route.
    #[test]
    fn no_label_set_of_b_reaches_a(
        labels in attack_labels(),
        enable in any::<bool>(),
        machine in prop::option::of(Just("m")),
    ) {
        let mut l: Vec<(String, String)> = labels;
        if enable {
            l.push(("traefik.enable".into(), "true".into()));
        }
        let pairs: Vec<(&str, &str)> = l.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let b = run(vec![attacker("x", &pairs)], machine);
        assert_victim_intact(&b, machine);
        let j = json_of(&b);
        let a_hosts = ["web.shop.m.example.com", "www.shop.org", "web-2816.example.com"];
        for (name, r) in j["http"]["routers"].as_object().into_iter().flatten() {
            if !name.ends_with("-2880") { continue; }
            let hosts = build::rule::hosts(r["rule"].as_str().unwrap_or(""), false);
            let hosts = hosts.map_err(|e| TestCaseError::fail(format!("{name}: {e}")))?;
            prop_assert!(
                hosts.iter().all(|h| !a_hosts.contains(&h.as_str())
                    && !h.ends_with(".shop.m.example.com")
                    && !h.ends_with("-2816.example.com")),
                "{name}: {hosts:?}"
            );
            prop_assert!(r["service"].as_str().is_some_and(|s| s.ends_with("-2880")), "{r}");
            for m in r["middlewares"].as_array().into_iter().flatten() {
                prop_assert!(m.as_str().is_some_and(|s| s.ends_with("-2880")), "{r}");
            }
            for ep in r["entryPoints"].as_array().into_iter().flatten() {
                prop_assert_ne!(ep.as_str(), Some("tcp-10000"));
            }
        }
        for section in ["tcp", "udp"] {
            for (name, r) in j[section]["routers"].as_object().into_iter().flatten() {
                if !name.ends_with("-2880") { continue; }
                for ep in r["entryPoints"].as_array().into_iter().flatten() {
                    let ep = ep.as_str().unwrap_or("");
                    prop_assert!(!["tcp-10000", "web", "websecure", "websecure-v6"].contains(&ep), "{name}: {ep}");
                }
            }
        }
        for section in ["http", "tcp", "udp"] {
            for (name, _) in j[section]["services"].as_object().into_iter().flatten() {
                if !name.ends_with("-2880") { continue; }
                for t in targets(&j, name, section) {
                    prop_assert!(t.contains("127.0.11.66:") || t.contains("//127.0.11.66:"), "{name}: {t}");
                }
            }
        }
        for (name, m) in j["http"]["middlewares"].as_object().into_iter().flatten() {
            prop_assert!(name.ends_with("-2880"));
            let text = m.to_string().to_ascii_lowercase();
            prop_assert!(!text.contains("127.0.11.2") && !text.contains('@'), "{name}: {text}");
        }
    }

    /// The label parser and the builder never panic, whatever the labels.
    #[test]
    fn arbitrary_labels_never_panic(
        labels in prop::collection::vec(
            (
                prop_oneof![
                    "(traefik|rediacc)\\.[a-zA-Z.]{0,40}",
                    "traefik\\.(http|tcp|udp)\\.(routers|services|middlewares)\\.[a-z]{1,2}\\.[a-zA-Z.]{0,30}",
                ],
                "\\PC{0,40}",
            ),
            0..16,
        ),
    ) {
        let pairs: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut c = attacker("x", &pairs);
        c.labels.insert("traefik.enable", "true");
        let _ = run(vec![c], Some("m"));
        let _ = run(vec![attacker("y", &pairs)], None);
    }
}
