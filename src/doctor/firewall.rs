//! `firewall.input` and `firewall.forward`: pure checks over the filter table as
//! `iptables-save` prints it ([`crate::host::iptables`]).
//!
//! INPUT: renet's services and its proxy use host networking, so what reaches the proxy's
//! ports is decided by INPUT alone. For each port the proxy serves, a new connection from
//! outside (not on `lo`, from any address) is walked through INPUT and the chains it jumps to;
//! a REJECT/DROP that certainly matches before anything accepts is a finding. A rule the walk
//! cannot decide (an interface, a source address, a mark, a set) is not assumed either way:
//! an accept it cannot decide makes a later reject "unsure", which is not reported.
//!
//! FORWARD: renet's own daemons forward nothing (host networking, `iptables: false`), but the
//! machine's other Docker and Tailscale do. Docker 28 jumps to `DOCKER-USER` and
//! `DOCKER-FORWARD` first (and puts them first again whenever it restarts), and its
//! `DOCKER` chain drops what reaches a bridge unpublished; Docker 27 and earlier put its
//! accepts in FORWARD itself, after whatever was there.

use std::collections::BTreeMap;

use super::report::Check;
use crate::host::iptables::{Family, Rule, Table};
use crate::leases::Proto;

pub(crate) const INPUT_ID: &str = "firewall.input";
pub(crate) const FORWARD_ID: &str = "firewall.forward";

/// How many port slots one `-m multiport` rule holds (a range takes two).
const MULTIPORT_SLOTS: usize = 15;

/// The ports the proxy serves, by protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProxyPorts {
    pub(crate) tcp: Vec<u16>,
    pub(crate) udp: Vec<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum M {
    Yes,
    No,
    Maybe,
}

impl M {
    fn flip(self, negated: bool) -> Self {
        match (self, negated) {
            (M::Yes, true) => M::No,
            (M::No, true) => M::Yes,
            (m, _) => m,
        }
    }
}

/// Does `rule` match a new connection from outside to local port `port`?
fn matches(rule: &Rule, proto: Proto, port: u16) -> M {
    let mut out = M::Yes;
    for o in &rule.matches {
        let v = o.values.first().map_or("", String::as_str);
        let m = match o.name.as_str() {
            "-p" | "--protocol" => match (v, proto) {
                ("all" | "0", _) | ("tcp" | "6", Proto::Tcp) | ("udp" | "17", Proto::Udp) => M::Yes,
                _ => M::No,
            }
            .flip(o.negated),
            "--dport" | "--dports" | "--destination-port" | "--destination-ports" => {
                if port_list_has(v, port) {
                    M::Yes
                } else {
                    M::No
                }
                .flip(o.negated)
            }
            "-i" | "--in-interface" if v == "lo" => M::No.flip(o.negated),
            "-i" | "--in-interface" if v == "+" => M::Yes.flip(o.negated),
            "-s" | "--source" | "-d" | "--destination" if matches!(v, "0.0.0.0/0" | "::/0") => {
                M::Yes.flip(o.negated)
            }
            "--state" | "--ctstate" => if v.split(',').any(|s| s == "NEW") {
                M::Yes
            } else {
                M::No
            }
            .flip(o.negated),
            // To one of the machine's own unicast addresses.
            "--dst-type" => match v {
                "LOCAL" | "UNICAST" => M::Yes,
                _ => M::No,
            }
            .flip(o.negated),
            // Only ICMP has types; a client's source port is an ephemeral one, so a rule keyed on
            // it (`--sport 123`, NTP's replies) is for answers to the machine's own requests.
            "--icmp-type" | "--icmpv6-type" | "--sport" | "--sports" | "--source-port"
            | "--source-ports" => M::No,
            "-m" | "--match" | "--comment" | "--syn" => M::Yes,
            _ => M::Maybe,
        };
        match m {
            M::No => return M::No,
            M::Maybe => out = M::Maybe,
            M::Yes => {}
        }
    }
    out
}

/// `22`, `80,443`, `10000:10010`, `80,8000:8010`.
fn port_list_has(list: &str, port: u16) -> bool {
    list.split(',').any(|item| match item.split_once(':') {
        Some((a, b)) => {
            let a = a.parse().unwrap_or(0);
            let b = b.parse().unwrap_or(u16::MAX);
            (a..=b).contains(&port)
        }
        None => item.parse() == Ok(port),
    })
}

/// Where a walk through INPUT ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End<'a> {
    Accept,
    Block(&'a Rule),
    /// Fell off the end of the chain, or RETURN.
    Return,
    /// Blocked, unless a rule the walk cannot decide accepted it first.
    Unsure,
}

/// One rule's effect on the packet: Some(end) when the walk stops at it.
fn step<'a>(
    t: &'a Table,
    rule: &'a Rule,
    proto: Proto,
    port: u16,
    depth: u8,
    unsure: &mut bool,
) -> Option<End<'a>> {
    let m = matches(rule, proto, port);
    if m == M::No {
        return None;
    }
    match (rule.target.as_deref().unwrap_or(""), m) {
        ("ACCEPT", M::Yes) => Some(End::Accept),
        ("ACCEPT", _) => {
            *unsure = true;
            None
        }
        ("REJECT" | "DROP", M::Yes) if *unsure => Some(End::Unsure),
        ("REJECT" | "DROP", M::Yes) => Some(End::Block(rule)),
        ("RETURN", M::Yes) => Some(End::Return),
        (chain, _) if t.has_chain(chain) && depth < 16 => {
            let mut inner = *unsure;
            match (walk(t, chain, proto, port, depth + 1, &mut inner), m) {
                (End::Return, M::Yes) if rule.goto => Some(End::Return),
                (End::Return, _) => {
                    *unsure = inner;
                    None
                }
                // Reached only if the undecidable rule matched: not certain either way.
                (_, M::Maybe) => {
                    *unsure = true;
                    None
                }
                (end, _) => Some(end),
            }
        }
        _ => None,
    }
}

fn walk<'a>(
    t: &'a Table,
    chain: &'a str,
    proto: Proto,
    port: u16,
    depth: u8,
    unsure: &mut bool,
) -> End<'a> {
    t.chain(chain)
        .find_map(|rule| step(t, rule, proto, port, depth, unsure))
        .unwrap_or(End::Return)
}

/// What blocks one port: the rule (None: the chain's policy) and the INPUT position to insert
/// an accept at (the rule itself, or the jump that led to it; None: append).
type Blocker<'a> = (Option<&'a Rule>, Option<usize>);

fn blocker(t: &Table, proto: Proto, port: u16) -> Option<Blocker<'_>> {
    let mut unsure = false;
    for (i, rule) in t.chain("INPUT").enumerate() {
        match step(t, rule, proto, port, 0, &mut unsure) {
            None => {}
            Some(End::Block(r)) => return Some((Some(r), Some(i + 1))),
            Some(End::Return) => break,
            Some(End::Accept | End::Unsure) => return None,
        }
    }
    match t.policy("INPUT") {
        Some("DROP" | "REJECT") if !unsure => Some((None, None)),
        _ => None,
    }
}

/// Consecutive ports as ranges: `[80, 443, 10000, 10001]` -> `[(80,80), (443,443), (10000,10001)]`.
fn ranges(ports: &[u16]) -> Vec<(u16, u16)> {
    let mut sorted = ports.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out: Vec<(u16, u16)> = Vec::new();
    for p in sorted {
        match out.last_mut() {
            Some((_, b)) if u32::from(*b) + 1 == u32::from(p) => *b = p,
            _ => out.push((p, p)),
        }
    }
    out
}

fn range_text((a, b): (u16, u16), sep: char) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a}{sep}{b}")
    }
}

pub(crate) fn port_text(ports: &[u16]) -> String {
    ranges(ports)
        .into_iter()
        .map(|r| range_text(r, '-'))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `iptables -I INPUT <n> ... -j ACCEPT` lines that accept `ports`, at most 15 slots each.
fn accept_commands(family: Family, at: Option<usize>, proto: Proto, ports: &[u16]) -> Vec<String> {
    let place = at.map_or_else(|| "-A INPUT".to_owned(), |n| format!("-I INPUT {n}"));
    let mut groups: Vec<Vec<(u16, u16)>> = vec![Vec::new()];
    let mut used = 0;
    for r in ranges(ports) {
        let cost = if r.0 == r.1 { 1 } else { 2 };
        if used + cost > MULTIPORT_SLOTS {
            groups.push(Vec::new());
            used = 0;
        }
        used += cost;
        groups.last_mut().expect("one group at least").push(r);
    }
    groups
        .into_iter()
        .filter(|g| !g.is_empty())
        .map(|g| {
            let cmd = family.command();
            let p = proto.as_str();
            if let [one] = g.as_slice() {
                format!(
                    "{cmd} {place} -p {p} --dport {} -j ACCEPT",
                    range_text(*one, ':')
                )
            } else {
                let list: Vec<String> = g.into_iter().map(|r| range_text(r, ':')).collect();
                format!(
                    "{cmd} {place} -p {p} -m multiport --dports {} -j ACCEPT",
                    list.join(",")
                )
            }
        })
        .collect()
}

/// The INPUT findings of one family's table: each blocking rule with the ports it blocks.
fn input_findings(family: Family, t: &Table, ports: &ProxyPorts) -> (Vec<String>, Vec<String>) {
    // (blocking rule text, insert position) -> blocked ports by protocol.
    let mut blocked: BTreeMap<(Option<usize>, String), BTreeMap<Proto, Vec<u16>>> = BTreeMap::new();
    for (proto, list) in [(Proto::Tcp, &ports.tcp), (Proto::Udp, &ports.udp)] {
        for &port in list {
            if let Some((rule, at)) = blocker(t, proto, port) {
                let what = rule.map_or_else(
                    || format!("the INPUT policy {}", t.policy("INPUT").unwrap_or("DROP")),
                    |r| format!("`{}`", r.text()),
                );
                blocked
                    .entry((at, what))
                    .or_default()
                    .entry(proto)
                    .or_default()
                    .push(port);
            }
        }
    }
    let mut details = Vec::new();
    let mut fixes = Vec::new();
    for ((at, what), by_proto) in blocked {
        let list: Vec<String> = by_proto
            .iter()
            .map(|(p, ports)| format!("{} {}", p.as_str(), port_text(ports)))
            .collect();
        let place = at.map_or_else(String::new, |n| format!(" (INPUT rule {n})"));
        details.push(format!(
            "{}: {what}{place} refuses {} before any rule accepts them",
            family.save_command(),
            list.join("; ")
        ));
        for (p, ports) in &by_proto {
            if t.has_chain(UFW_CHAIN) {
                fixes.extend(ufw_commands(*p, ports));
            } else {
                fixes.extend(accept_commands(family, at, *p, ports));
            }
        }
    }
    (details, fixes)
}

/// ufw's chain for the operator's own rules: on a ufw machine, rules added with `iptables`
/// are lost at the next `ufw reload`, so the fix is `ufw allow`.
const UFW_CHAIN: &str = "ufw-user-input";

/// `ufw allow 80,443/tcp` lines (at most 15 ports or ranges each, as ufw takes them).
fn ufw_commands(proto: Proto, ports: &[u16]) -> Vec<String> {
    let items: Vec<String> = ranges(ports)
        .into_iter()
        .map(|r| range_text(r, ':'))
        .collect();
    items
        .chunks(MULTIPORT_SLOTS)
        .map(|c| format!("ufw allow {}/{}", c.join(","), proto.as_str()))
        .collect()
}

/// How to keep rules over a reboot, as the two families of cloud images do it.
const SAVE_HINT: &str = "then keep them over a reboot: netfilter-persistent save (Debian, Ubuntu) or \
                         iptables-save > /etc/sysconfig/iptables (RHEL, Oracle Linux)";

/// `firewall.input` over the tables found (None: that family's program is not installed).
pub(crate) fn input(tables: &[(Family, Table)], ports: &ProxyPorts) -> Check {
    if tables.is_empty() {
        return Check::skipped(
            INPUT_ID,
            "iptables-save is not installed: the firewall was not read",
            "apt-get install iptables",
        );
    }
    let mut details = Vec::new();
    let mut fixes = Vec::new();
    for (family, t) in tables {
        let (d, f) = input_findings(*family, t, ports);
        details.extend(d);
        fixes.extend(f);
    }
    let served = format!(
        "tcp {}; udp {}",
        port_text(&ports.tcp),
        port_text(&ports.udp)
    );
    if details.is_empty() {
        return Check::ok(
            INPUT_ID,
            format!("INPUT lets the proxy's ports through ({served})"),
        );
    }
    if tables.iter().any(|(_, t)| t.has_chain(UFW_CHAIN)) {
        // ufw writes the same rules for both families: one set of commands.
        let mut seen = std::collections::BTreeSet::new();
        fixes.retain(|f| seen.insert(f.clone()));
    } else {
        fixes.push(SAVE_HINT.to_owned());
    }
    Check::error(
        INPUT_ID,
        "INPUT refuses the proxy's ports before anything accepts them (as cloud images ship): \
         no one outside reaches the proxy on them",
        fixes.join("\n"),
    )
    .details(details)
}

/// A REJECT/DROP with no condition but comments and states that include new connections: it
/// refuses everything that reaches it.
fn is_catch_all(r: &Rule) -> bool {
    matches!(r.target.as_deref(), Some("REJECT" | "DROP"))
        && r.matches.iter().all(|o| match o.name.as_str() {
            "-m" | "--match" | "--comment" => true,
            "--state" | "--ctstate" => {
                !o.negated && o.values.iter().any(|v| v.split(',').any(|s| s == "NEW"))
            }
            _ => false,
        })
}

fn is_block(r: &Rule) -> bool {
    matches!(r.target.as_deref(), Some("REJECT" | "DROP"))
}

/// Is this the first FORWARD rule that lets containers' traffic through: Docker 28's jump to
/// `DOCKER-FORWARD`, or (27 and earlier) its jump to `DOCKER` or an accept for a bridge? (The
/// isolation chains only drop.)
fn is_docker_accept(r: &Rule) -> bool {
    let target = r.target.as_deref().unwrap_or("");
    let bridge = r.matches.iter().any(|o| {
        matches!(o.name.as_str(), "-i" | "-o")
            && o.values
                .first()
                .is_some_and(|v| v == "docker0" || v.starts_with("br-"))
    });
    matches!(target, "DOCKER" | "DOCKER-FORWARD") || (bridge && target == "ACCEPT")
}

/// One FORWARD finding: error or not, what was found, the fix.
struct Finding {
    error: bool,
    detail: String,
    fix: Vec<String>,
}

fn forward_findings(family: Family, t: &Table) -> Vec<Finding> {
    let cmd = family.command();
    let rules: Vec<&Rule> = t.chain("FORWARD").collect();
    let pos = |pred: &dyn Fn(&Rule) -> bool| rules.iter().position(|r| pred(r));
    let docker28 = t.has_chain("DOCKER-FORWARD");
    let docker_forward = pos(&|r| r.target.as_deref() == Some("DOCKER-FORWARD"));
    let docker_first = pos(&is_docker_accept);
    let into_user = |r: &Rule| {
        vec![
            format!("{cmd} -D FORWARD {}", r.spec),
            if t.has_chain("DOCKER-USER") {
                format!("{cmd} -I DOCKER-USER {}", r.spec)
            } else {
                format!("{cmd} -I FORWARD 1 {}", r.spec)
            },
        ]
    };
    let name = |i: usize| format!("`{}` (FORWARD rule {})", rules[i].text(), i + 1);
    let mut out = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        let ts = r.target.as_deref() == Some("ts-forward");
        let shadowing = (0..i).find(|&k| is_catch_all(rules[k]));
        if ts && let Some(k) = shadowing {
            out.push(Finding {
                error: true,
                detail: format!("{}: {} comes before {}: it refuses the tailnet's forwarded traffic (subnet routes, exit node) before Tailscale's rules see it", family.save_command(), name(k), name(i)),
                fix: into_user(r),
            });
        } else if ts && docker28 && docker_forward.is_some_and(|d| d < i) {
            out.push(Finding {
                error: true,
                detail: format!("{}: {} comes after `-A FORWARD -j DOCKER-FORWARD`: Docker 28 drops the tailnet's traffic to containers (ports not published, isolation) before Tailscale's rules see it", family.save_command(), name(i)),
                fix: into_user(r),
            });
        } else if ts && docker28 {
            out.push(Finding {
                error: false,
                detail: format!("{}: {} comes before Docker's chains now, but Docker 28 puts `-j DOCKER-USER` and `-j DOCKER-FORWARD` first again whenever it restarts, and then drops the tailnet's traffic to containers", family.save_command(), name(i)),
                fix: into_user(r),
            });
        } else if is_catch_all(r) && docker_first.is_some_and(|d| d > i) {
            let d = docker_first.expect("checked");
            out.push(Finding {
                error: true,
                detail: format!("{}: {} comes before Docker's {}: it refuses every container's forwarded traffic", family.save_command(), name(i), name(d)),
                fix: vec![format!("{cmd} -D FORWARD {}", r.spec), format!("{cmd} -A FORWARD {}", r.spec)],
            });
        } else if is_block(r)
            && !is_catch_all(r)
            && docker28
            && docker_forward.is_some_and(|d| d < i)
        {
            out.push(Finding {
                error: false,
                detail: format!("{}: {} comes after `-A FORWARD -j DOCKER-FORWARD`: with Docker 28 it no longer filters containers' traffic, which DOCKER-FORWARD accepts first", family.save_command(), name(i)),
                fix: into_user(r),
            });
        }
    }
    out
}

/// `firewall.forward` over the tables found.
pub(crate) fn forward(tables: &[(Family, Table)]) -> Check {
    if tables.is_empty() {
        return Check::skipped(
            FORWARD_ID,
            "iptables-save is not installed: the firewall was not read",
            "apt-get install iptables",
        );
    }
    let findings: Vec<Finding> = tables
        .iter()
        .flat_map(|(f, t)| forward_findings(*f, t))
        .collect();
    let order = tables
        .iter()
        .find(|(f, _)| *f == Family::V4)
        .map_or("no IPv4 table", |(_, t)| {
            if t.has_chain("DOCKER-FORWARD") {
                "Docker 28+ order (DOCKER-USER, DOCKER-FORWARD)"
            } else if t.has_chain("DOCKER-USER") {
                "Docker 27 order (DOCKER-USER, then Docker's rules in FORWARD)"
            } else {
                "no Docker chains (renet's daemons need none: host networking, iptables off)"
            }
        });
    if findings.is_empty() {
        return Check::ok(
            FORWARD_ID,
            format!("FORWARD: {order}; nothing shadows forwarded traffic"),
        );
    }
    let error = findings.iter().any(|f| f.error);
    let details: Vec<String> = findings.iter().map(|f| f.detail.clone()).collect();
    let mut fix: Vec<String> = findings.into_iter().flat_map(|f| f.fix).collect();
    fix.push(SAVE_HINT.to_owned());
    let summary = format!(
        "FORWARD ({order}): rules placed where they shadow traffic; move them into DOCKER-USER"
    );
    let fix = fix.join("\n");
    let check = if error {
        Check::error(FORWARD_ID, summary, fix)
    } else {
        Check::warning(FORWARD_ID, summary, fix)
    };
    check.details(details)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::report::Status;
    use crate::host::iptables::{parse, recorded};

    fn ports() -> ProxyPorts {
        let mut tcp = vec![80, 443, 3306, 5432, 6379, 27017, 11211, 5672, 9092];
        tcp.extend(10000..=10010);
        let mut udp = vec![53];
        udp.extend(10000..=10010);
        ProxyPorts { tcp, udp }
    }

    fn v4(text: &str) -> Vec<(Family, Table)> {
        vec![(Family::V4, parse(text))]
    }

    #[test]
    fn oracle_input_reject_is_found_with_its_fix() {
        let c = input(&v4(recorded::ORACLE_DOCKER_27), &ports());
        assert_eq!(c.status, Status::Error);
        assert_eq!(
            c.details,
            [
                "iptables-save: `-A INPUT -j REJECT --reject-with icmp-host-prohibited` (INPUT rule 6) refuses \
              tcp 80, 443, 3306, 5432, 5672, 6379, 9092, 10000-10010, 11211, 27017; udp 53, 10000-10010 \
              before any rule accepts them"
            ]
        );
        let fix: Vec<&str> = c.fix.lines().collect();
        assert_eq!(
            fix[..3],
            [
                "iptables -I INPUT 6 -p tcp -m multiport --dports 80,443,3306,5432,5672,6379,9092,10000:10010,11211,27017 -j ACCEPT",
                "iptables -I INPUT 6 -p udp -m multiport --dports 53,10000:10010 -j ACCEPT",
                SAVE_HINT,
            ]
        );
    }

    #[test]
    fn accepted_ports_and_undecidable_rules_are_not_findings() {
        // The proxy's ports accepted before the REJECT: nothing to report.
        let fixed = recorded::ORACLE_DOCKER_27.replace(
            "-A INPUT -j REJECT",
            "-A INPUT -p tcp -m multiport --dports 80,443,3306,5432,5672,6379,9092,10000:10010,11211,27017 -j ACCEPT\n\
             -A INPUT -p udp -m multiport --dports 53,10000:10010 -j ACCEPT\n-A INPUT -j REJECT",
        );
        assert_eq!(input(&v4(&fixed), &ports()).status, Status::Ok);
        // Accepted on one interface only: the walk cannot tell the public interface, so the
        // REJECT after it is not reported.
        let iface = recorded::ORACLE_DOCKER_27.replace(
            "-A INPUT -j REJECT",
            "-A INPUT -i ens3 -j ACCEPT\n-A INPUT -j REJECT",
        );
        assert_eq!(input(&v4(&iface), &ports()).status, Status::Ok);
        // Tailscale's ts-input drops only its own range on other interfaces: no finding.
        assert_eq!(
            input(&v4(recorded::DOCKER_28_TAILSCALE), &ports()).status,
            Status::Ok
        );
        assert_eq!(input(&[], &ports()).status, Status::Skipped);
    }

    #[test]
    fn a_drop_policy_and_a_reject_inside_a_jumped_chain() {
        let policy = "*filter\n:INPUT DROP [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n";
        let c = input(
            &v4(policy),
            &ProxyPorts {
                tcp: vec![80, 443],
                udp: vec![],
            },
        );
        assert_eq!(c.status, Status::Error);
        assert!(
            c.details[0].contains("the INPUT policy DROP refuses tcp 80, 443"),
            "{:?}",
            c.details
        );
        assert!(
            c.fix
                .starts_with("iptables -A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT"),
            "{}",
            c.fix
        );
        let chained = "*filter\n:INPUT ACCEPT [0:0]\n:ufw-input - [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -j ufw-input\n-A ufw-input -p tcp --dport 22 -j ACCEPT\n-A ufw-input -p tcp -j DROP\nCOMMIT\n";
        let c = input(
            &v4(chained),
            &ProxyPorts {
                tcp: vec![443],
                udp: vec![53],
            },
        );
        assert!(
            c.details[0].contains("`-A ufw-input -p tcp -j DROP` (INPUT rule 2) refuses tcp 443"),
            "{:?}",
            c.details
        );
        assert_eq!(
            c.fix.lines().next(),
            Some("iptables -I INPUT 2 -p tcp --dport 443 -j ACCEPT")
        );
        let v6 = vec![(Family::V6, parse(policy))];
        assert!(
            input(
                &v6,
                &ProxyPorts {
                    tcp: vec![443],
                    udp: vec![]
                }
            )
            .fix
            .starts_with("ip6tables -A INPUT")
        );
    }

    /// ufw's default chains (Ubuntu 24.04, `ufw allow 22/tcp`, default deny): the walk goes
    /// through ufw-before-input, ufw-not-local, ufw-user-input and ufw-after-input to the
    /// DROP policy.
    #[test]
    fn ufw_default_deny_is_found_at_the_policy() {
        let ufw = "*filter\n:INPUT DROP [0:0]\n:ufw-before-input - [0:0]\n:ufw-not-local - [0:0]\n:ufw-user-input - [0:0]\n:ufw-after-input - [0:0]\n:ufw-skip-to-policy-input - [0:0]\n\
            -A INPUT -j ufw-before-input\n-A INPUT -j ufw-after-input\n\
            -A ufw-before-input -i lo -j ACCEPT\n-A ufw-before-input -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n\
            -A ufw-before-input -m conntrack --ctstate INVALID -j DROP\n-A ufw-before-input -p udp -m udp --sport 67 --dport 68 -j ACCEPT\n\
            -A ufw-before-input -j ufw-not-local\n-A ufw-before-input -d 224.0.0.251/32 -p udp -m udp --dport 5353 -j ACCEPT\n\
            -A ufw-before-input -j ufw-user-input\n\
            -A ufw-not-local -m addrtype --dst-type LOCAL -j RETURN\n-A ufw-not-local -m addrtype --dst-type MULTICAST -j RETURN\n-A ufw-not-local -j DROP\n\
            -A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT\n\
            -A ufw-after-input -p udp -m udp --dport 137 -j ufw-skip-to-policy-input\n-A ufw-after-input -m addrtype --dst-type BROADCAST -j ufw-skip-to-policy-input\n\
            -A ufw-skip-to-policy-input -j DROP\nCOMMIT\n";
        let c = input(
            &v4(ufw),
            &ProxyPorts {
                tcp: vec![22, 443],
                udp: vec![],
            },
        );
        assert_eq!(c.status, Status::Error);
        assert_eq!(
            c.details,
            ["iptables-save: the INPUT policy DROP refuses tcp 443 before any rule accepts them"]
        );
        assert_eq!(c.fix, "ufw allow 443/tcp", "ufw persists its own rules");
    }

    #[test]
    fn docker_28_with_tailscale_after_docker_forward() {
        let c = forward(&v4(recorded::DOCKER_28_TAILSCALE));
        assert_eq!(c.status, Status::Error);
        assert!(c.summary.contains("Docker 28+ order"), "{}", c.summary);
        assert!(c.details[0].contains("`-A FORWARD -j ts-forward` (FORWARD rule 3) comes after `-A FORWARD -j DOCKER-FORWARD`"), "{:?}", c.details);
        let fix: Vec<&str> = c.fix.lines().collect();
        assert_eq!(
            fix[..2],
            [
                "iptables -D FORWARD -j ts-forward",
                "iptables -I DOCKER-USER -j ts-forward"
            ]
        );
    }

    #[test]
    fn docker_28_with_tailscale_first_is_a_warning() {
        let first = recorded::DOCKER_28_TAILSCALE
            .replace("-A FORWARD -j ts-forward\n", "")
            .replace(
                "-A FORWARD -j DOCKER-USER\n",
                "-A FORWARD -j ts-forward\n-A FORWARD -j DOCKER-USER\n",
            );
        let c = forward(&v4(&first));
        assert_eq!(c.status, Status::Warning);
        assert!(
            c.details[0].contains("whenever it restarts"),
            "{:?}",
            c.details
        );
        // Moved into DOCKER-USER as the fix says: nothing left to report.
        let fixed = recorded::DOCKER_28_TAILSCALE
            .replace("-A FORWARD -j ts-forward\n", "")
            .replace(
                "-A DOCKER-USER -j RETURN",
                "-A DOCKER-USER -j ts-forward\n-A DOCKER-USER -j RETURN",
            );
        assert_eq!(forward(&v4(&fixed)).status, Status::Ok);
    }

    #[test]
    fn docker_28_user_drop_after_docker_forward_no_longer_filters_containers() {
        let text = recorded::DOCKER_28_TAILSCALE.replace(
            "-A FORWARD -j ts-forward\n",
            "-A FORWARD -s 203.0.113.0/24 -j DROP\n-A FORWARD -j REJECT --reject-with icmp-host-prohibited\n",
        );
        let c = forward(&v4(&text));
        assert_eq!(c.status, Status::Warning, "{c:?}");
        assert_eq!(
            c.details.len(),
            1,
            "the catch-all after Docker's chains is the usual cloud setup: {:?}",
            c.details
        );
        assert!(c.fix.starts_with("iptables -D FORWARD -s 203.0.113.0/24 -j DROP\niptables -I DOCKER-USER -s 203.0.113.0/24 -j DROP"), "{}", c.fix);
    }

    #[test]
    fn docker_27_under_a_cloud_reject_and_plain_docker_27() {
        let c = forward(&v4(recorded::ORACLE_DOCKER_27));
        assert_eq!(c.status, Status::Error);
        assert!(c.summary.contains("Docker 27 order"), "{}", c.summary);
        assert!(c.details[0].contains("`-A FORWARD -j REJECT --reject-with icmp-host-prohibited` (FORWARD rule 3) comes before Docker's `-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT` (FORWARD rule 4)"), "{:?}", c.details);
        assert!(c.fix.starts_with("iptables -D FORWARD -j REJECT --reject-with icmp-host-prohibited\niptables -A FORWARD -j REJECT --reject-with icmp-host-prohibited"), "{}", c.fix);
        assert_eq!(forward(&v4(recorded::DOCKER_27)).status, Status::Ok);
        // Tailscale behind the cloud REJECT, no Docker at all.
        let ts = "*filter\n:FORWARD ACCEPT [0:0]\n:ts-forward - [0:0]\n-A FORWARD -j REJECT --reject-with icmp-host-prohibited\n-A FORWARD -j ts-forward\nCOMMIT\n";
        let c = forward(&v4(ts));
        assert_eq!(c.status, Status::Error);
        assert!(
            c.fix.starts_with(
                "iptables -D FORWARD -j ts-forward\niptables -I FORWARD 1 -j ts-forward"
            ),
            "{}",
            c.fix
        );
    }
}
