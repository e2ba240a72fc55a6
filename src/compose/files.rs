//! Which compose files a run uses: the user's choice (`-f`, `COMPOSE_FILE`), compose's default
//! names, and the projects of a whole repository (the root and every Rediaccfile folder).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::args::ArgsError;
use super::error::LoadError;
use crate::error::{Error, Result};
use crate::settings::{self, Env};

/// In compose's order of preference.
const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// The default compose file of `dir` and its override, or None when `dir` has none.
pub(crate) fn default_files(dir: &Path) -> Result<Option<Vec<PathBuf>>, LoadError> {
    for name in DEFAULT_FILES {
        let base = dir.join(name);
        if !is_file(&base)? {
            continue;
        }
        let mut files = vec![base];
        let (stem, ext) = name.rsplit_once('.').unwrap_or((name, "yaml"));
        let other_ext = if ext == "yaml" { "yml" } else { "yaml" };
        for ext in [ext, other_ext] {
            let candidate = dir.join(format!("{stem}.override.{ext}"));
            if is_file(&candidate)? {
                files.push(candidate);
                break;
            }
        }
        return Ok(Some(files));
    }
    Ok(None)
}

fn is_file(path: &Path) -> Result<bool, LoadError> {
    match fs_err::metadata(path) {
        Ok(meta) => Ok(meta.is_file()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(LoadError::Unreadable {
            path: path.to_path_buf(),
            source: e,
        }),
    }
}

/// The compose files of one run: `-f` options, else `COMPOSE_FILE`, else the default names in
/// `cwd` or the nearest ancestor that has them (compose's own search).
pub(crate) fn select(env: &dyn Env, cwd: &Path, from_args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if !from_args.is_empty() {
        return Ok(from_args
            .iter()
            .map(|f| settings::absolute(cwd, f))
            .collect());
    }
    if let Some(list) = env.var("COMPOSE_FILE") {
        let sep = env
            .var("COMPOSE_PATH_SEPARATOR")
            .unwrap_or_else(|| ":".to_owned());
        let names: Vec<&str> = list.split(sep.as_str()).filter(|s| !s.is_empty()).collect();
        if names.contains(&"-") {
            return Err(ArgsError::Stdin.into());
        }
        // A list of separators only (`COMPOSE_FILE=:`) names no file: like an unset variable.
        if !names.is_empty() {
            return Ok(names
                .into_iter()
                .map(|f| settings::absolute(cwd, Path::new(f)))
                .collect());
        }
    }
    for dir in cwd.ancestors() {
        if let Some(files) = default_files(dir)? {
            return Ok(files);
        }
    }
    Err(Error::ComposeInput(format!(
        "no compose file found in {} or its parent folders (looked for compose.yaml, compose.yml, \
         docker-compose.yaml, docker-compose.yml); run from the stack's folder or pass -f FILE after --",
        cwd.display()
    )))
}

/// The default compose files (with override) of the root and of every first-level folder
/// holding a Rediaccfile; each folder is its own compose project.
fn repo_projects(repo: &Path) -> Result<Vec<Vec<PathBuf>>> {
    let mut out = Vec::new();
    for folder in crate::rediaccfile::folders(repo).map_err(Error::io(repo))? {
        if let Some(files) = default_files(&folder)? {
            out.push(files);
        }
    }
    Ok(out)
}

/// Service names of one compose project (profiles ignored: a profile-gated service still
/// needs its address).
pub(crate) fn project_services(files: &[PathBuf]) -> Result<BTreeSet<String>> {
    let dir = files
        .first()
        .and_then(|f| f.parent())
        .unwrap_or(Path::new("."));
    let project = super::load(files, dir)?;
    Ok(super::services(&project.model)
        .map(|(n, _)| n.clone())
        .collect())
}

/// Service names of every compose project of the repository.
pub(crate) fn repo_services(repo: &Path) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for files in repo_projects(repo)? {
        names.extend(project_services(&files)?);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    struct FakeEnv(BTreeMap<&'static str, &'static str>);

    impl Env for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| (*v).to_owned())
        }
    }

    fn env(vars: &[(&'static str, &'static str)]) -> FakeEnv {
        FakeEnv(vars.iter().copied().collect())
    }

    #[test]
    fn select_takes_flags_then_compose_file_then_the_nearest_defaults() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        let sub = root.join("a/b");
        fs_err::create_dir_all(&sub).expect("mkdir");
        touch(root, "compose.yaml");
        let none = env(&[]);
        assert_eq!(
            select(
                &none,
                &sub,
                &[PathBuf::from("x.yml"), PathBuf::from("/y.yml")]
            )
            .expect("ok"),
            [sub.join("x.yml"), PathBuf::from("/y.yml")]
        );
        let listed = env(&[
            ("COMPOSE_FILE", "x.yml;;/y.yml"),
            ("COMPOSE_PATH_SEPARATOR", ";"),
        ]);
        assert_eq!(
            select(&listed, &sub, &[]).expect("ok"),
            [sub.join("x.yml"), PathBuf::from("/y.yml")]
        );
        assert!(matches!(
            select(&env(&[("COMPOSE_FILE", "a.yml:-")]), &sub, &[]),
            Err(Error::Usage(_))
        ));
        assert_eq!(
            select(&none, &sub, &[]).expect("ok"),
            [root.join("compose.yaml")]
        );
        // Separators only name no file: the defaults, not a panic on an empty list.
        assert_eq!(
            select(&env(&[("COMPOSE_FILE", "::")]), &sub, &[]).expect("ok"),
            [root.join("compose.yaml")]
        );
    }

    #[test]
    fn select_without_any_file_says_where_it_looked() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let msg = select(&env(&[]), tmp.path(), &[]).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!(
                "no compose file found in {}",
                tmp.path().display()
            )),
            "{msg}"
        );
    }

    fn touch(dir: &Path, name: &str) {
        fs_err::write(dir.join(name), "services: {}\n").expect("write");
    }

    #[test]
    fn prefers_compose_yaml_and_finds_override() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        assert_eq!(default_files(dir).expect("ok"), None);
        touch(dir, "docker-compose.yml");
        touch(dir, "docker-compose.override.yml");
        assert_eq!(
            default_files(dir).expect("ok"),
            Some(vec![
                dir.join("docker-compose.yml"),
                dir.join("docker-compose.override.yml")
            ])
        );
        touch(dir, "compose.yaml");
        assert_eq!(
            default_files(dir).expect("ok"),
            Some(vec![dir.join("compose.yaml")])
        );
        touch(dir, "compose.override.yml");
        assert_eq!(
            default_files(dir).expect("ok"),
            Some(vec![
                dir.join("compose.yaml"),
                dir.join("compose.override.yml")
            ])
        );
        touch(dir, "compose.override.yaml");
        assert_eq!(
            default_files(dir).expect("ok"),
            Some(vec![
                dir.join("compose.yaml"),
                dir.join("compose.override.yaml")
            ])
        );
    }

    #[test]
    fn a_directory_named_like_a_compose_file_is_skipped() {
        let tmp = tempfile::tempdir().expect("tempdir");
        fs_err::create_dir(tmp.path().join("compose.yaml")).expect("mkdir");
        touch(tmp.path(), "compose.yml");
        assert_eq!(
            default_files(tmp.path()).expect("ok"),
            Some(vec![tmp.path().join("compose.yml")])
        );
    }
}
