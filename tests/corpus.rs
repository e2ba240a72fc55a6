//! Every compose file of the shared corpus (awesome-compose, ScaleTail: 158 real files) goes
//! through `renet compose --dry-run`, once for Compose v2 and once for docker-compose 1.29, and
//! every output validates against the compose specification's JSON schema (checked by Python's
//! jsonschema, installed by `.ci/run`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::{Compose, require};

/// `../shared` beside the checkout, or `RENET_SHARED`.
fn shared() -> PathBuf {
    std::env::var_os("RENET_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}

fn compose_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            compose_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
}

fn python() -> String {
    std::env::var("RENET_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// On Compose v2, which keeps every key.
#[test]
fn corpus_dry_runs_validate_against_the_compose_schema() {
    corpus_validates(
        "corpus_dry_runs_validate_against_the_compose_schema",
        Compose::V2,
    );
}

/// On docker-compose 1.29, for which renet drops the keys 1.x cannot read.
#[test]
fn corpus_dry_runs_validate_against_the_compose_schema_on_compose_v1() {
    corpus_validates(
        "corpus_dry_runs_validate_against_the_compose_schema_on_compose_v1",
        Compose::V1,
    );
}

fn corpus_validates(test: &str, compose: Compose) {
    if !require(test, &[compose.need()]) {
        return;
    }
    let corpus = shared().join("corpus");
    let schema = shared().join("schema/compose-spec.json");
    let mut files = Vec::new();
    compose_files(&corpus, &mut files);
    assert!(
        files.len() >= 158,
        "expected the 158 corpus files under {}, found {}",
        corpus.display(),
        files.len()
    );

    let work = tempfile::Builder::new()
        .prefix("rn-corpus")
        .tempdir()
        .unwrap();
    let repo = work.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    // The flavour decides the model: renet trims it for 1.x.
    let compose_env = compose.env(work.path());
    let mut outputs = Vec::new();
    let mut failures = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let out = Command::new(env!("CARGO_BIN_EXE_renet"))
            .args([
                "compose",
                "--network-id",
                "2816",
                "--unsafe",
                "--dry-run",
                "--repo",
            ])
            .arg(&repo)
            .arg("--")
            .arg("-f")
            .arg(file)
            .arg("config")
            .current_dir(file.parent().unwrap())
            .env("RENET_RUN_DIR", work.path().join("run"))
            .env("RENET_STATE_DIR", work.path().join("state"))
            .env_remove("COMPOSE_FILE")
            .envs(compose_env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        if !out.status.success() {
            failures.push(format!(
                "{}: exit {:?}: {}",
                file.display(),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let model: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(m) => m,
            Err(e) => {
                failures.push(format!("{}: stdout is not JSON: {e}", file.display()));
                continue;
            }
        };
        // The rewrite holds for every service of every real file.
        for (name, svc) in model["services"].as_object().unwrap() {
            assert_eq!(svc["network_mode"], "host", "{}: {name}", file.display());
            assert_eq!(svc["restart"], "no", "{}: {name}", file.display());
            assert!(svc.get("ports").is_none(), "{}: {name}", file.display());
            assert_eq!(svc["labels"]["rediacc.service_name"], name.as_str());
        }
        let path = work.path().join(format!("{i:03}.json"));
        std::fs::write(&path, &out.stdout).unwrap();
        outputs.push(path);
    }
    // Dry runs write nothing.
    assert!(!repo.join(".rediacc.json").exists());
    assert!(!work.path().join("run").exists());
    assert!(
        failures.is_empty(),
        "{} of {} files failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );

    let v = Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/validate-compose-schema.py"))
        .arg(&schema)
        .args(&outputs)
        .output()
        .expect(
            "python3 with jsonschema (run .ci/run, or pip install jsonschema, or set RENET_PYTHON)",
        );
    let report = String::from_utf8_lossy(&v.stdout);
    assert!(
        v.status.success(),
        "schema validation failed:\n{report}{}",
        String::from_utf8_lossy(&v.stderr)
    );
    assert!(
        report.contains(&format!("{} valid, 0 invalid", outputs.len())),
        "{report}"
    );
}
