//! The filter table as `iptables-save` prints it, parsed into chains and rules. Pure: the
//! text comes from [`super::Host::filter_table`]. Each rule keeps its text exactly as printed
//! (`-A INPUT -j REJECT --reject-with icmp-host-prohibited`), because that is how findings
//! name it and what `iptables -D` takes back.

use std::collections::BTreeMap;

/// IPv4 (`iptables-save`) or IPv6 (`ip6tables-save`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Family {
    V4,
    V6,
}

impl Family {
    /// The command that changes this family's rules (`iptables`, `ip6tables`).
    pub(crate) fn command(self) -> &'static str {
        match self {
            Family::V4 => "iptables",
            Family::V6 => "ip6tables",
        }
    }

    /// The program that prints them.
    pub(crate) fn save_command(self) -> &'static str {
        match self {
            Family::V4 => "iptables-save",
            Family::V6 => "ip6tables-save",
        }
    }
}

/// One option of a rule: `-p tcp`, `! -i lo`, `-m multiport`, `--dports 80,443`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Opt {
    pub(crate) name: String,
    pub(crate) negated: bool,
    pub(crate) values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub(crate) chain: String,
    /// Everything after `-A <chain> `, as printed: `iptables -D <chain> <spec>` deletes it.
    pub(crate) spec: String,
    /// The match options, in order (the target and its options are not among them).
    pub(crate) matches: Vec<Opt>,
    /// `-j X` or `-g X`; None for a rule that only counts.
    pub(crate) target: Option<String>,
    /// `-g` (goto: no return to this chain) rather than `-j`.
    pub(crate) goto: bool,
}

impl Rule {
    /// The rule as `iptables-save` prints it.
    pub(crate) fn text(&self) -> String {
        format!("-A {} {}", self.chain, self.spec)
    }
}

/// The filter table: each chain's policy (built-in chains) and its rules in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Table {
    /// Chain name -> policy (`ACCEPT`, `DROP`; `-` for a user chain).
    pub(crate) chains: BTreeMap<String, String>,
    pub(crate) rules: Vec<Rule>,
}

impl Table {
    /// The rules of `chain`, in order.
    pub(crate) fn chain<'a>(&'a self, chain: &'a str) -> impl Iterator<Item = &'a Rule> + 'a {
        self.rules.iter().filter(move |r| r.chain == chain)
    }

    pub(crate) fn has_chain(&self, chain: &str) -> bool {
        self.chains.contains_key(chain)
    }

    pub(crate) fn policy(&self, chain: &str) -> Option<&str> {
        self.chains.get(chain).map(String::as_str)
    }
}

/// The `*filter` section of `iptables-save` output (other tables are ignored). Lines that do
/// not split as shell words are kept with no options, so they match nothing.
pub(crate) fn parse(text: &str) -> Table {
    let mut table = Table::default();
    let mut in_filter = false;
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('*') {
            in_filter = name == "filter";
        } else if !in_filter || line.starts_with('#') {
            // Another table, or a comment.
        } else if let Some(rest) = line.strip_prefix(':') {
            let mut words = rest.split_whitespace();
            if let Some(name) = words.next() {
                let policy = words.next().unwrap_or("-").to_owned();
                table.chains.insert(name.to_owned(), policy);
            }
        } else if let Some(rest) = line.strip_prefix("-A ")
            && let Some((chain, spec)) = rest.split_once(' ')
        {
            table.rules.push(rule(chain, spec.trim()));
        }
    }
    table
}

fn rule(chain: &str, spec: &str) -> Rule {
    let words = shlex::split(spec).unwrap_or_default();
    let mut matches = Vec::new();
    let mut target = None;
    let mut goto = false;
    let mut negated = false;
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        if w == "!" {
            negated = true;
            continue;
        }
        let mut values = Vec::new();
        while i < words.len() && words[i] != "!" && !is_option(&words[i]) {
            values.push(words[i].clone());
            i += 1;
        }
        if w == "-j" || w == "-g" {
            target = values.first().cloned();
            goto = w == "-g";
            // Everything after the target belongs to it (`--reject-with`, `--set-xmark`).
            break;
        }
        matches.push(Opt {
            name: w.clone(),
            negated,
            values,
        });
        negated = false;
    }
    Rule {
        chain: chain.to_owned(),
        spec: spec.to_owned(),
        matches,
        target,
        goto,
    }
}

/// `-p`, `--dport`: an option; `-1` would be a value, but no iptables value starts with `-`
/// followed by a digit in `iptables-save` output except negative numbers, which none takes.
fn is_option(w: &str) -> bool {
    w.starts_with('-') && w.len() > 1 && !w[1..].starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
pub(crate) mod recorded {
    //! `iptables-save` outputs as real machines print them (Debian 12 and Oracle Linux 9,
    //! iptables 1.8.9 nf_tables), for the unit tests of the firewall checks.

    /// Docker 27.5 with one bridge container publishing 8080, default policy DROP.
    pub(crate) const DOCKER_27: &str =
        "# Generated by iptables-save v1.8.9 (nf_tables) on Wed Dec  2 01:12:40 2026
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 8080 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
# Completed on Wed Dec  2 01:12:40 2026
";

    /// Docker 28.1 after a restart that came after tailscaled's: Docker's jumps first, then
    /// Tailscale's `ts-forward`, which Docker's drop of unpublished ports now shadows.
    pub(crate) const DOCKER_28_TAILSCALE: &str =
        "# Generated by iptables-save v1.8.9 (nf_tables) on Wed Dec  2 01:20:02 2026
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-BRIDGE - [0:0]
:DOCKER-CT - [0:0]
:DOCKER-FORWARD - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
:ts-forward - [0:0]
:ts-input - [0:0]
-A INPUT -j ts-input
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-FORWARD
-A FORWARD -j ts-forward
-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 8080 -j ACCEPT
-A DOCKER ! -i docker0 -o docker0 -j DROP
-A DOCKER-BRIDGE -o docker0 -j DOCKER
-A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DOCKER-FORWARD -j DOCKER-CT
-A DOCKER-FORWARD -j DOCKER-ISOLATION-STAGE-1
-A DOCKER-FORWARD -j DOCKER-BRIDGE
-A DOCKER-FORWARD -i docker0 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-USER -j RETURN
-A ts-forward -i tailscale0 -j MARK --set-xmark 0x40000/0xff0000
-A ts-forward -m mark --mark 0x40000/0xff0000 -j ACCEPT
-A ts-forward -s 100.64.0.0/10 -o tailscale0 -j DROP
-A ts-forward -o tailscale0 -j ACCEPT
-A ts-input -s 100.101.102.103/32 -i lo -j ACCEPT
-A ts-input -s 100.115.92.0/23 ! -i tailscale0 -j RETURN
-A ts-input -s 100.64.0.0/10 ! -i tailscale0 -j DROP
-A ts-input -i tailscale0 -j ACCEPT
-A ts-input -p udp -m udp --dport 41641 -j ACCEPT
COMMIT
# Completed on Wed Dec  2 01:20:02 2026
";

    /// An Oracle Cloud (and RHEL-family) image as shipped: SSH only, then REJECT everything,
    /// in INPUT and in FORWARD. Docker 27 appended its rules after the FORWARD REJECT.
    pub(crate) const ORACLE_DOCKER_27: &str = "# Generated by iptables-save v1.8.9 (nf_tables) on Wed Dec  2 01:31:17 2026
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
:InstanceServices - [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p icmp -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -p udp -m udp --sport 123 -j ACCEPT
-A INPUT -p tcp -m state --state NEW -m tcp --dport 22 -j ACCEPT
-A INPUT -j REJECT --reject-with icmp-host-prohibited
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -j REJECT --reject-with icmp-host-prohibited
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A OUTPUT -d 169.254.0.0/16 -j InstanceServices
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
-A InstanceServices -d 169.254.0.2/32 -p tcp -m owner --uid-owner 0 -m tcp --dport 3260 -m comment --comment \"See the Oracle-Provided Images section in the Oracle Cloud Infrastructure documentation for security impact of modifying or removing this rule\" -j ACCEPT
-A InstanceServices -d 169.254.0.0/16 -p tcp -m tcp -m comment --comment \"See the Oracle-Provided Images section in the Oracle Cloud Infrastructure documentation for security impact of modifying or removing this rule\" -j REJECT --reject-with tcp-reset
COMMIT
# Completed on Wed Dec  2 01:31:17 2026
";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_policies_rules_and_targets() {
        let t = parse(recorded::ORACLE_DOCKER_27);
        assert_eq!(t.policy("INPUT"), Some("ACCEPT"));
        assert_eq!(t.policy("DOCKER-USER"), Some("-"));
        let input: Vec<&Rule> = t.chain("INPUT").collect();
        assert_eq!(input.len(), 6);
        let reject = input[5];
        assert_eq!(
            reject.text(),
            "-A INPUT -j REJECT --reject-with icmp-host-prohibited"
        );
        assert_eq!(reject.target.as_deref(), Some("REJECT"));
        assert!(reject.matches.is_empty());
        let ssh = input[4];
        assert_eq!(ssh.matches.len(), 5);
        assert_eq!(ssh.matches[4].name, "--dport");
        assert_eq!(ssh.matches[4].values, ["22"]);
        let fwd: Vec<&Rule> = t.chain("FORWARD").collect();
        assert!(fwd[5].matches[1].negated && fwd[5].matches[1].name == "-o");
        // Quoted comments stay one value; the text keeps iptables-save's quoting.
        let svc = t.chain("InstanceServices").next().unwrap();
        assert!(
            svc.matches
                .iter()
                .any(|o| o.name == "--comment" && o.values[0].starts_with("See the"))
        );
        assert!(svc.text().contains("--comment \"See the"));
    }

    #[test]
    fn other_tables_are_ignored() {
        let text = "*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j DOCKER\nCOMMIT\n*filter\n:INPUT DROP [0:0]\nCOMMIT\n";
        let t = parse(text);
        assert_eq!(t.policy("INPUT"), Some("DROP"));
        assert!(t.rules.is_empty() && !t.has_chain("PREROUTING"));
        assert_eq!(parse(""), Table::default());
    }
}
