//! A bounded fuzz of the compose loader (run by `cargo test --lib`, so by CI): arbitrary
//! YAML-ish text, and structured compose documents whose `extends`, `include`, anchors, merge
//! keys and tags point at each other, must load or be refused, never panic, hang or overflow
//! the stack. The cases are few (256 each) so the run stays in seconds; proptest writes no
//! regression files into the tree (`failure_persistence: None`), a failure prints its input.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::Config;

/// Characters YAML gives a meaning to, and a few ordinary ones.
const YAMLISH: &str = "[a-z0-9 :\\-\\[\\]{}&*!<>|#'\"\n\t.,$%@`?=~/\\\\]{0,160}";

/// 256 cases each, or `RENET_FUZZ_CASES` for a longer run by hand.
fn config() -> Config {
    let cases = std::env::var("RENET_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A scalar as YAML text: quoted text, or one of the plain spellings the loader reads
/// specially (numbers in YAML 1.1, tags, aliases, merge keys, variables).
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_./${}:=-]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
        prop::sample::select(vec![
            "null",
            "~",
            "true",
            "no",
            "0644",
            "1_000",
            "08",
            ".inf",
            "-1",
            "1e3",
            "!reset",
            "!reset null",
            "!override x",
            "*a",
            "&a x",
            "\"${X:-/}\"",
            "'$$'",
            "\"\"",
            "[]",
            "{}",
        ])
        .prop_map(str::to_owned),
    ]
}

/// A value in flow style, nested a few levels.
fn value() -> impl Strategy<Value = String> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec((key(), inner), 0..4).prop_map(|kv| {
                let items: Vec<String> = kv.into_iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{{{}}}", items.join(", "))
            }),
        ]
    })
}

/// A key compose knows (service keys, top-level sections), a merge key, or anything.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "image",
            "environment",
            "extends",
            "labels",
            "ports",
            "volumes",
            "depends_on",
            "env_file",
            "command",
            "restart",
            "network_mode",
            "links",
            "profiles",
            "<<",
            "x-a",
            "file",
            "service",
            "path",
            "project_directory",
            "build",
            "healthcheck",
        ])
        .prop_map(str::to_owned),
        "[a-z]{1,6}".prop_map(|s| s),
        "[ -~]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
    ]
}

/// One of the files a document may point at: itself, its sibling, or nothing.
fn target() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "compose.yaml",
        "other.yaml",
        "missing.yaml",
        "../x.yaml",
        "",
    ])
}

/// A compose document: services with random keys, `extends` and `include` pointing at the
/// files of the project, anchors shared by services.
fn document() -> impl Strategy<Value = String> {
    let service = (
        prop::sample::select(vec!["web", "db", "a.b", "x"]),
        prop::collection::vec((key(), value()), 0..5),
        prop::option::of((target(), prop::sample::select(vec!["web", "db", "nope"]))),
    );
    (
        prop::collection::vec(service, 0..4),
        prop::option::of(prop::collection::vec(target(), 0..3)),
        prop::option::of(value()),
    )
        .prop_map(|(services, include, extra)| {
            let mut text = String::from("x-base: &a {image: busybox}\n");
            if let Some(files) = include {
                let quoted: Vec<String> = files.iter().map(|f| format!("{f:?}")).collect();
                text.push_str(&format!("include: [{}]\n", quoted.join(", ")));
            }
            text.push_str("services:\n");
            for (name, keys, extends) in services {
                let mut items: Vec<String> =
                    keys.into_iter().map(|(k, v)| format!("{k}: {v}")).collect();
                if let Some((file, svc)) = extends {
                    items.push(format!("extends: {{file: {file:?}, service: {svc}}}"));
                }
                text.push_str(&format!("  {name}: {{{}}}\n", items.join(", ")));
            }
            if let Some(extra) = extra {
                text.push_str(&format!("volumes: {extra}\n"));
            }
            text
        })
}

/// Load `files` of `dir` and throw the result away: only a panic fails the case.
fn load(dir: &Path, files: &[&str]) {
    let files: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
    let _ = super::load(&files, dir);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn yamlish_text_never_panics(text in YAMLISH) {
        let _ = super::parse::parse_docs(Path::new("/r/compose.yaml"), &text);
        let tmp = tempfile::tempdir().expect("tempdir");
        fs_err::write(tmp.path().join("compose.yaml"), &text).expect("write");
        load(tmp.path(), &["compose.yaml"]);
    }

    #[test]
    fn compose_documents_never_panic(main in document(), other in document(), two in any::<bool>()) {
        let tmp = tempfile::tempdir().expect("tempdir");
        fs_err::write(tmp.path().join("compose.yaml"), &main).expect("write");
        fs_err::write(tmp.path().join("other.yaml"), &other).expect("write");
        if two {
            load(tmp.path(), &["compose.yaml", "other.yaml"]);
        } else {
            load(tmp.path(), &["compose.yaml"]);
        }
    }
}

/// The generators produce documents the loader accepts too, not only refusals: otherwise the
/// fuzz would only ever test the first error path.
#[test]
fn the_generator_reaches_the_loaders_success_path() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("compose.yaml");
    let mut loaded = 0;
    for _ in 0..200 {
        let text = document().new_tree(&mut runner).expect("a case").current();
        fs_err::write(&file, &text).expect("write");
        if super::load(std::slice::from_ref(&file), tmp.path()).is_ok() {
            loaded += 1;
        }
    }
    assert!(loaded > 0, "no generated document loaded");
}
