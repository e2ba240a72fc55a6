//! One compose run as data (SPEC section 3, steps 3 to 6): from the loaded project and the
//! settled slots, the model compose gets, where it is written, compose's command line, the
//! environment it runs in, and what happens to the port leases. Pure but for the v1
//! downgrade, which looks whether an optional `env_file` exists; `commands/compose.rs`
//! carries the plan out.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::args::ComposeArgs;
use super::bin::{Flavour, Invocation, command_line};
use super::rewrite::{RewriteContext, rewrite};
use crate::allocator::var_name;
use crate::leases::for_model::down_services;
use crate::leases::{LeaseError, LeaseKey, lease_keys};
use crate::network::{NetworkId, Slot};

/// Every service of the repository with its slot.
pub(crate) type Slots = BTreeMap<String, Slot>;

pub(crate) struct Inputs<'a> {
    pub(crate) network: NetworkId,
    /// The repository's name, for the `rediacc.repo_name` label.
    pub(crate) repo_name: &'a str,
    /// The merged model as loaded.
    pub(crate) model: &'a Map<String, Value>,
    pub(crate) project_dir: &'a Path,
    /// Every service of the repository (all Rediaccfile folders), so siblings resolve by name.
    pub(crate) slots: &'a Slots,
    pub(crate) flavour: &'a Flavour,
    /// Whether `flavour` is docker-compose 1.x (asked by [`super::bin::version`]).
    pub(crate) v1: bool,
    pub(crate) user: &'a ComposeArgs,
    /// The compose project name ([`super::name::project_name`]).
    pub(crate) project_name: &'a str,
    /// The model file goes to `<run_dir>/compose-<network>/<project>.json`.
    pub(crate) run_dir: &'a Path,
    /// `RENET_STATE_DIR`, absolute: every service's hosts file is mounted from it.
    pub(crate) state_dir: &'a Path,
    /// The repository daemon's socket, for `DOCKER_HOST`.
    pub(crate) socket: &'a Path,
    pub(crate) dry_run: bool,
}

#[derive(Debug)]
pub(crate) struct Plan {
    /// The rewritten (and for v1, downgraded) model.
    pub(crate) model: Map<String, Value>,
    pub(crate) model_file: PathBuf,
    /// Program first.
    pub(crate) argv: Vec<OsString>,
    /// `DOCKER_HOST` first, then every `<SERVICE>_IP` and `REDIACC_NETWORK_ID`, sorted.
    pub(crate) env: Vec<(String, String)>,
    /// For stderr, in order: the rewrite's, then what the v1 downgrade dropped.
    pub(crate) warnings: Vec<String>,
    pub(crate) ports: Ports,
}

#[derive(Debug)]
pub(crate) enum Ports {
    /// Neither `up`/`start` nor a real `down`: leases stay as they are.
    Untouched,
    /// `up`/`start`: lease these before compose runs (all or nothing). A bad port label is
    /// kept here instead of failing the plan, so it is reported after the warnings, as it
    /// always was.
    Lease(Result<Vec<LeaseKey>, LeaseError>),
    /// A real `down`: release these services' leases once compose succeeded.
    ReleaseAfter(Vec<String>),
}

pub(crate) fn plan(i: &Inputs<'_>) -> Plan {
    let rctx = RewriteContext {
        network: i.network,
        repo_name: i.repo_name,
        slots: i.slots,
        state_dir: i.state_dir,
    };
    let rewritten = rewrite(i.model, &rctx);
    let mut model = rewritten.model;
    let mut warnings = rewritten.warnings;
    if i.v1 {
        warnings.extend(
            super::v1::downgrade(&mut model, &rewritten.implied)
                .into_iter()
                .map(|key| format!("{key} dropped: docker-compose 1.x does not support it")),
        );
    }
    let name = i.project_name;
    let model_file = i
        .run_dir
        .join(format!("compose-{}", i.network))
        .join(format!("{name}.json"));
    let argv = command_line(
        i.flavour,
        &Invocation {
            model_file: &model_file,
            project_directory: i.project_dir,
            project_name: name,
            globals: &i.user.globals,
            rest: &i.user.rest,
        },
    );
    let mut env = vec![(
        "DOCKER_HOST".to_owned(),
        format!("unix://{}", i.socket.display()),
    )];
    env.extend(exported(i.network, i.slots));
    // Port leases (SPEC section 6): taken before `up`/`start` runs, released after a `down`.
    let ports = match i.user.subcommand() {
        Some("up" | "start") => Ports::Lease(lease_keys(&model, i.network.get())),
        Some("down") if !i.dry_run => Ports::ReleaseAfter(down_services(&i.user.rest, &model)),
        _ => Ports::Untouched,
    };
    Plan {
        model,
        model_file,
        argv,
        env,
        warnings,
        ports,
    }
}

/// The model file's text: pretty JSON with a final newline.
pub(crate) fn model_text(model: &Map<String, Value>) -> String {
    let mut text = serde_json::to_string_pretty(model).expect("a JSON map always serializes");
    text.push('\n');
    text
}

/// `NAME_IP=address` for every service of the repository, plus the network ID, sorted.
fn exported(id: NetworkId, slots: &Slots) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = slots
        .iter()
        .map(|(n, s)| (var_name(n), id.slot_addr(*s).to_string()))
        .collect();
    vars.push(("REDIACC_NETWORK_ID".to_owned(), id.to_string()));
    vars.sort();
    vars
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::leases::Proto;

    struct Case {
        model: Map<String, Value>,
        slots: Slots,
        flavour: Flavour,
        v1: bool,
        user: ComposeArgs,
        project_name: &'static str,
        dry_run: bool,
    }

    fn case(model: Value, user: &[&str]) -> Case {
        let args: Vec<OsString> = user.iter().map(OsString::from).collect();
        Case {
            model: model.as_object().expect("an object").clone(),
            slots: BTreeMap::from([
                ("db".to_owned(), Slot::new(1).expect("slot")),
                ("web".to_owned(), Slot::new(0).expect("slot")),
            ]),
            flavour: Flavour::Plugin {
                docker: "/usr/bin/docker".into(),
                plugin: "/usr/libexec/docker/cli-plugins/docker-compose".into(),
            },
            v1: false,
            user: super::super::args::parse(&args).expect("arguments"),
            project_name: "myshop",
            dry_run: false,
        }
    }

    fn run(c: &Case) -> Plan {
        plan(&Inputs {
            network: NetworkId::new(2816).expect("network"),
            repo_name: "shop",
            model: &c.model,
            project_dir: Path::new("/srv/My Shop"),
            slots: &c.slots,
            flavour: &c.flavour,
            v1: c.v1,
            user: &c.user,
            project_name: c.project_name,
            run_dir: Path::new("/run/r"),
            state_dir: Path::new("/var/lib/r"),
            socket: Path::new("/run/r/docker-2816.sock"),
            dry_run: c.dry_run,
        })
    }

    fn strings(argv: &[OsString]) -> Vec<&str> {
        argv.iter().map(|a| a.to_str().expect("utf-8")).collect()
    }

    #[test]
    fn up_plans_model_command_line_environment_and_leases() {
        let c = case(
            json!({"services": {
                "web": {"image": "nginx", "ports": ["8080:80"]},
                "db": {"image": "pg", "labels": {"rediacc.tcp_ports": "5432"}}
            }}),
            &["--profile", "dev", "up", "-d"],
        );
        let p = run(&c);
        assert_eq!(p.model["services"]["web"]["network_mode"], "host");
        assert_eq!(
            p.model["services"]["db"]["labels"]["rediacc.service_ip"],
            "127.0.11.3"
        );
        assert_eq!(p.model_file, Path::new("/run/r/compose-2816/myshop.json"));
        assert_eq!(
            strings(&p.argv),
            [
                "/usr/libexec/docker/cli-plugins/docker-compose",
                "-f",
                "/run/r/compose-2816/myshop.json",
                "--project-directory",
                "/srv/My Shop",
                "-p",
                "myshop",
                "--profile",
                "dev",
                "up",
                "-d"
            ]
        );
        let env: Vec<(&str, &str)> = p
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            env,
            [
                ("DOCKER_HOST", "unix:///run/r/docker-2816.sock"),
                ("DB_IP", "127.0.11.3"),
                ("REDIACC_NETWORK_ID", "2816"),
                ("WEB_IP", "127.0.11.2"),
            ]
        );
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert!(p.warnings[0].contains("ports 8080:80 removed"));
        match p.ports {
            Ports::Lease(Ok(keys)) => {
                assert_eq!(keys, [LeaseKey::new(2816, "db", Proto::Tcp, 5432)]);
            }
            other => panic!("expected leases, got {other:?}"),
        }
    }

    #[test]
    fn a_bad_port_label_is_kept_for_after_the_warnings() {
        let c = case(
            json!({"services": {"db": {"labels": ["rediacc.tcp_ports=5432,x"]}}}),
            &["start"],
        );
        match run(&c).ports {
            Ports::Lease(Err(e)) => {
                assert!(e.to_string().contains("rediacc.tcp_ports=5432,x"), "{e}")
            }
            other => panic!("expected a label error, got {other:?}"),
        }
    }

    #[test]
    fn down_releases_after_and_only_for_real() {
        let mut c = case(json!({"services": {"web": {}, "db": {}}}), &["down", "web"]);
        match run(&c).ports {
            Ports::ReleaseAfter(services) => assert_eq!(services, ["web"]),
            other => panic!("expected a release, got {other:?}"),
        }
        c.dry_run = true;
        assert!(matches!(run(&c).ports, Ports::Untouched));
        let ps = case(json!({"services": {"web": {}}}), &["ps"]);
        assert!(matches!(run(&ps).ports, Ports::Untouched));
    }

    #[test]
    fn the_project_name_names_the_model_file() {
        let mut c = case(json!({"name": "x", "services": {}}), &["ps"]);
        c.project_name = "from_env";
        let p = run(&c);
        assert_eq!(p.model_file, Path::new("/run/r/compose-2816/from_env.json"));
        assert_eq!(strings(&p.argv)[5..7], ["-p", "from_env"]);
    }

    #[test]
    fn v1_drops_what_it_cannot_read_and_says_so() {
        let mut c = case(
            json!({"name": "x", "services": {"web": {"image": "i", "develop": {}}}}),
            &["up"],
        );
        c.flavour = Flavour::Standalone {
            binary: "/usr/bin/docker-compose".into(),
        };
        c.v1 = true;
        c.project_name = "x";
        let p = run(&c);
        assert_eq!(
            p.warnings,
            [
                "name dropped: docker-compose 1.x does not support it",
                "services.web.develop dropped: docker-compose 1.x does not support it",
            ]
        );
        assert!(p.model.get("name").is_none());
        assert_eq!(strings(&p.argv)[..2], ["/usr/bin/docker-compose", "-f"]);
        assert_eq!(p.model_file, Path::new("/run/r/compose-2816/x.json"));
    }

    #[test]
    fn model_text_is_pretty_json_with_a_newline() {
        let m = json!({"services": {"a": {}}});
        assert_eq!(
            model_text(m.as_object().expect("an object")),
            "{\n  \"services\": {\n    \"a\": {}\n  }\n}\n"
        );
    }
}
