//! Which compose files a run uses, in which project folder, with which project environment:
//! Compose v2's own order (docker/compose `toProjectOptions`, compose-go `cli/options.go`):
//!
//! 1. the project environment is the process environment over the `.env` files: `--env-file`,
//!    else the `.env` of `--project-directory`, of the first `-f` file's folder, or of the
//!    working folder (none with `COMPOSE_DISABLE_ENV_FILE`);
//! 2. the files are `-f`, else `COMPOSE_FILE` (split on `COMPOSE_PATH_SEPARATOR`, from that
//!    environment), else compose's default names in the project folder or the working folder,
//!    or the nearest folder above that has them;
//! 3. the project folder is `--project-directory`, else the first file's folder, and its
//!    `.env` is read too when it is another folder (what was read first wins).
//!
//! Also the projects of a whole repository (the root and every Rediaccfile folder).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::args::ArgsError;
use super::dotenv::{self, DotenvError};
use super::error::LoadError;
use super::paths::normalize;
use crate::error::{Error, Result};
use crate::settings::{self, Env};

/// In compose's order of preference (compose-go `DefaultFileNames`).
pub(crate) const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];
/// compose-go `DefaultOverrideFileNames`: the first that exists is taken, whatever the base
/// file is called.
const OVERRIDE_FILES: [&str; 4] = [
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// The default compose file of `dir` and its override, or None when `dir` has none. As in
/// compose, anything by that name counts (a folder called `compose.yaml` fails to load).
pub(crate) fn default_files(dir: &Path) -> Result<Option<Vec<PathBuf>>, LoadError> {
    let Some(base) = first_existing(dir, &DEFAULT_FILES)? else {
        return Ok(None);
    };
    let mut files = vec![base];
    files.extend(first_existing(dir, &OVERRIDE_FILES)?);
    Ok(Some(files))
}

fn first_existing(dir: &Path, names: &[&str]) -> Result<Option<PathBuf>, LoadError> {
    for name in names {
        let path = dir.join(name);
        match fs_err::metadata(&path) {
            Ok(_) => return Ok(Some(path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(LoadError::Unreadable {
                    path: path.clone(),
                    source: e,
                });
            }
        }
    }
    Ok(None)
}

/// The environment compose interpolates with before it reads a file: the process environment
/// (a variable set there wins, even empty), then the `.env` files.
pub(crate) struct ProjectEnv<'a> {
    process: &'a dyn Env,
    dotenv: BTreeMap<String, String>,
    /// The repository whose `.env` files these are: a link must not lead out of it.
    repo: Option<PathBuf>,
}

impl<'a> ProjectEnv<'a> {
    pub(crate) fn new(process: &'a dyn Env) -> Self {
        Self {
            process,
            dotenv: BTreeMap::new(),
            repo: None,
        }
    }

    /// The env files read are those of repository `repo` (see `fsread::read_source`).
    fn in_repo(mut self, repo: Option<&Path>) -> Self {
        self.repo = repo.map(Path::to_path_buf);
        self
    }

    /// The value, `Some("")` when set but empty.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        self.process
            .raw_var(name)
            .or_else(|| self.dotenv.get(name).cloned())
    }

    /// The value when set and not empty.
    pub(crate) fn non_empty(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Read `files` in order (a later one's keys replace an earlier one's), then add the
    /// variables that are not set yet (compose-go's `GetEnvFromFile`, then `Mapping.Merge`).
    fn read(&mut self, files: &[PathBuf]) -> Result<(), DotenvError> {
        let mut read = BTreeMap::new();
        for file in files {
            dotenv::read_into(file, self.repo.as_deref(), &|k| self.get(k), &mut read)?;
        }
        for (k, v) in read {
            if self.get(&k).is_none() {
                self.dotenv.insert(k, v);
            }
        }
        Ok(())
    }
}

/// What decides a run's files, from the command line.
pub(crate) struct Request<'r> {
    pub(crate) cwd: &'r Path,
    /// `-f` values, as given.
    pub(crate) files: &'r [PathBuf],
    /// `--env-file` values, as given.
    pub(crate) env_files: &'r [PathBuf],
    /// `--project-directory` (or the repository, run from outside it), as given.
    pub(crate) project_dir: Option<&'r Path>,
    /// The repository (absolute): links in it must not lead out of it.
    pub(crate) repo: Option<&'r Path>,
}

/// A run's compose files, its project folder and its project environment.
pub(crate) struct Selection<'a> {
    pub(crate) files: Vec<PathBuf>,
    pub(crate) project_dir: PathBuf,
    pub(crate) env: ProjectEnv<'a>,
}

/// The files, folder and environment Compose v2 would settle on for `req`.
pub(crate) fn select<'a>(process: &'a dyn Env, req: &Request<'_>) -> Result<Selection<'a>> {
    let abs = |p: &Path| normalize(&settings::absolute(req.cwd, p));
    let given: Vec<PathBuf> = req.files.iter().map(|f| abs(f)).collect();
    let chosen_dir = req.project_dir.map(abs);
    let first_dir = chosen_dir
        .clone()
        .or_else(|| {
            given
                .first()
                .and_then(|f| f.parent())
                .map(Path::to_path_buf)
        })
        .unwrap_or_else(|| req.cwd.to_path_buf());
    let env_files: Vec<PathBuf> = req.env_files.iter().map(|f| abs(f)).collect();
    let mut env = ProjectEnv::new(process).in_repo(req.repo);
    let use_default_env = env_files.is_empty() && !default_env_disabled(process)?;
    read_env_files(
        &mut env,
        &env_files,
        use_default_env.then_some(first_dir.as_path()),
    )?;
    let files = if !given.is_empty() {
        given
    } else if let Some(listed) = listed_files(&env, req.cwd)? {
        listed
    } else {
        search_defaults(chosen_dir.as_deref().unwrap_or(req.cwd))?
    };
    let project_dir = chosen_dir
        .or_else(|| files[0].parent().map(Path::to_path_buf))
        .unwrap_or_else(|| req.cwd.to_path_buf());
    // compose reads the project folder's `.env` a second time, for a folder found only now.
    if use_default_env && project_dir != first_dir {
        read_env_files(&mut env, &[], Some(&project_dir))?;
    }
    Ok(Selection {
        files,
        project_dir,
        env,
    })
}

/// `COMPOSE_DISABLE_ENV_FILE` (process environment only, a Go boolean) turns off the default
/// `.env`.
fn default_env_disabled(process: &dyn Env) -> Result<bool> {
    let Some(v) = process.raw_var("COMPOSE_DISABLE_ENV_FILE") else {
        return Ok(false);
    };
    match v.as_str() {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(Error::Usage(format!(
            "COMPOSE_DISABLE_ENV_FILE={v:?} is not a boolean; set it to true or false"
        ))),
    }
}

/// Read the `--env-file`s (each must exist), or else `dir`'s `.env` when there is one.
fn read_env_files(env: &mut ProjectEnv<'_>, given: &[PathBuf], dir: Option<&Path>) -> Result<()> {
    if let Some(missing) = given.iter().find(|f| !f.exists()) {
        return Err(Error::Usage(format!(
            "--env-file {}: no such file; pass an existing env file",
            missing.display()
        )));
    }
    // Anything by that name but a folder counts, as in compose: a FIFO or device is read, and refused by
    // the read (bounded, non-blocking), rather than skipped without a word.
    let default: Vec<PathBuf> = dir
        .map(|d| d.join(".env"))
        .filter(|f| f.exists() && !f.is_dir())
        .into_iter()
        .collect();
    env.read(if given.is_empty() { &default } else { given })?;
    Ok(())
}

/// `COMPOSE_FILE` split on `COMPOSE_PATH_SEPARATOR` (default `:`), relative to `cwd`; None when
/// unset or naming no file.
fn listed_files(env: &ProjectEnv<'_>, cwd: &Path) -> Result<Option<Vec<PathBuf>>> {
    let Some(list) = env.non_empty("COMPOSE_FILE") else {
        return Ok(None);
    };
    let sep = env
        .non_empty("COMPOSE_PATH_SEPARATOR")
        .unwrap_or_else(|| ":".to_owned());
    let names: Vec<&str> = list.split(sep.as_str()).filter(|s| !s.is_empty()).collect();
    if names.contains(&"-") {
        return Err(ArgsError::Stdin.into());
    }
    // A list of separators only (`COMPOSE_FILE=:`) names no file: like an unset variable.
    if names.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        names
            .into_iter()
            .map(|f| normalize(&settings::absolute(cwd, Path::new(f))))
            .collect(),
    ))
}

/// The default names in `dir` or the nearest folder above it that has them.
fn search_defaults(dir: &Path) -> Result<Vec<PathBuf>> {
    for d in dir.ancestors() {
        if let Some(files) = default_files(d)? {
            return Ok(files);
        }
    }
    Err(Error::ComposeInput(format!(
        "no compose file found in {} or its parent folders (looked for {}); run from the stack's \
         folder or pass -f FILE after --",
        dir.display(),
        DEFAULT_FILES.join(", ")
    )))
}

/// The compose files of one Rediaccfile folder: its `.env`'s `COMPOSE_FILE` (the process
/// environment left out: it belongs to one run, not to every folder), else the default names
/// in the folder itself.
fn folder_files(folder: &Path, repo: &Path) -> Result<Option<Vec<PathBuf>>> {
    struct NoProcess;
    impl Env for NoProcess {
        fn var(&self, _: &str) -> Option<String> {
            None
        }
    }
    let mut env = ProjectEnv::new(&NoProcess).in_repo(Some(repo));
    read_env_files(&mut env, &[], Some(folder))?;
    if let Some(listed) = listed_files(&env, folder)? {
        return Ok(Some(listed));
    }
    Ok(default_files(folder)?)
}

/// The compose files of the root and of every first-level folder holding a Rediaccfile; each
/// folder is its own compose project.
pub(crate) fn repo_projects(repo: &Path) -> Result<Vec<Vec<PathBuf>>> {
    let mut out = Vec::new();
    for folder in crate::rediaccfile::folders(repo).map_err(Error::io(repo))? {
        if let Some(files) = folder_files(&folder, repo)? {
            out.push(files);
        }
    }
    Ok(out)
}

/// Service names of one compose project (profiles ignored: a profile-gated service still
/// needs its address).
pub(crate) fn project_services(files: &[PathBuf], repo: &Path) -> Result<BTreeSet<String>> {
    let dir = files
        .first()
        .and_then(|f| f.parent())
        .unwrap_or(Path::new("."));
    let project = super::load_in(files, dir, Some(repo))?;
    Ok(super::services(&project.model)
        .map(|(n, _)| n.clone())
        .collect())
}

/// Service names of every compose project of the repository.
pub(crate) fn repo_services(repo: &Path) -> Result<BTreeSet<String>> {
    Ok(repo_services_found(repo)?.unwrap_or_default())
}

/// [`repo_services`], or None when the repository has no compose project at all (no compose
/// file in its root nor in any Rediaccfile folder), which is not the same as one defining no
/// service: `slots prune` must not read it as "every service is gone".
pub(crate) fn repo_services_found(repo: &Path) -> Result<Option<BTreeSet<String>>> {
    let projects = repo_projects(repo)?;
    if projects.is_empty() {
        return Ok(None);
    }
    let mut names = BTreeSet::new();
    for files in projects {
        names.extend(project_services(&files, repo)?);
    }
    Ok(Some(names))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    struct FakeEnv(BTreeMap<&'static str, &'static str>);

    impl Env for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.raw_var(name).filter(|v| !v.is_empty())
        }
        fn raw_var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| (*v).to_owned())
        }
    }

    static NONE: FakeEnv = FakeEnv(BTreeMap::new());

    fn env(vars: &[(&'static str, &'static str)]) -> FakeEnv {
        FakeEnv(vars.iter().copied().collect())
    }

    fn touch(dir: &Path, name: &str) {
        write(dir, name, "services: {}\n");
    }

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        fs_err::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs_err::write(path, text).expect("write");
    }

    fn request<'r>(cwd: &'r Path, files: &'r [PathBuf]) -> Request<'r> {
        Request {
            cwd,
            files,
            env_files: &[],
            project_dir: None,
            repo: None,
        }
    }

    fn files_of(env: &dyn Env, req: &Request<'_>) -> Vec<PathBuf> {
        select(env, req).expect("selected").files
    }

    #[test]
    fn select_takes_flags_then_compose_file_then_the_nearest_defaults() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        let sub = root.join("a/b");
        fs_err::create_dir_all(&sub).expect("mkdir");
        touch(root, "compose.yaml");
        let none = env(&[]);
        let flags = [PathBuf::from("x.yml"), PathBuf::from("/y.yml")];
        let picked = select(&none, &request(&sub, &flags)).expect("ok");
        assert_eq!(picked.files, [sub.join("x.yml"), PathBuf::from("/y.yml")]);
        assert_eq!(picked.project_dir, sub);
        let listed = env(&[
            ("COMPOSE_FILE", "x.yml;;/y.yml"),
            ("COMPOSE_PATH_SEPARATOR", ";"),
        ]);
        assert_eq!(
            files_of(&listed, &request(&sub, &[])),
            [sub.join("x.yml"), PathBuf::from("/y.yml")]
        );
        assert!(matches!(
            select(&env(&[("COMPOSE_FILE", "a.yml:-")]), &request(&sub, &[])),
            Err(Error::Usage(_))
        ));
        let found = select(&none, &request(&sub, &[])).expect("ok");
        assert_eq!(found.files, [root.join("compose.yaml")]);
        assert_eq!(found.project_dir, root, "the found file's folder");
        // Separators only name no file: the defaults, not a panic on an empty list.
        assert_eq!(
            files_of(&env(&[("COMPOSE_FILE", "::")]), &request(&sub, &[])),
            [root.join("compose.yaml")]
        );
    }

    #[test]
    fn select_without_any_file_says_where_it_looked() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let msg = select(&env(&[]), &request(tmp.path(), &[]))
            .err()
            .expect("no file")
            .to_string();
        assert!(
            msg.starts_with(&format!(
                "no compose file found in {}",
                tmp.path().display()
            )),
            "{msg}"
        );
    }

    #[test]
    fn the_project_directory_is_searched_instead_of_the_working_folder() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        touch(root, "compose.yaml");
        touch(root, "app/docker-compose.yml");
        let req = Request {
            project_dir: Some(Path::new("app")),
            ..request(root, &[])
        };
        let picked = select(&NONE, &req).expect("ok");
        assert_eq!(picked.files, [root.join("app/docker-compose.yml")]);
        assert_eq!(picked.project_dir, root.join("app"));
        // `-f` stays relative to the working folder.
        let flags = [PathBuf::from("compose.yaml")];
        let req = Request {
            project_dir: Some(Path::new("app/.")),
            ..request(root, &flags)
        };
        let picked = select(&NONE, &req).expect("ok");
        assert_eq!(picked.files, [root.join("compose.yaml")]);
        assert_eq!(picked.project_dir, root.join("app"));
    }

    #[test]
    fn dotenv_names_the_files_unless_the_process_environment_does() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        touch(root, "compose.yaml");
        write(
            root,
            ".env",
            "COMPOSE_PATH_SEPARATOR=,\nCOMPOSE_FILE=one.yaml,two.yaml\nCOMPOSE_PROJECT_NAME=x\n",
        );
        let picked = select(&NONE, &request(root, &[])).expect("ok");
        assert_eq!(picked.files, [root.join("one.yaml"), root.join("two.yaml")]);
        assert_eq!(picked.env.get("COMPOSE_PROJECT_NAME").as_deref(), Some("x"));
        let process = env(&[("COMPOSE_FILE", "three.yaml,four.yaml")]);
        assert_eq!(
            files_of(&process, &request(root, &[])),
            [root.join("three.yaml"), root.join("four.yaml")]
        );
        // Set but empty in the process environment: .env does not count, nor does the list.
        let empty = env(&[("COMPOSE_FILE", "")]);
        assert_eq!(
            files_of(&empty, &request(root, &[])),
            [root.join("compose.yaml")]
        );
        let off = env(&[("COMPOSE_DISABLE_ENV_FILE", "true")]);
        assert_eq!(
            files_of(&off, &request(root, &[])),
            [root.join("compose.yaml")]
        );
        let bad = env(&[("COMPOSE_DISABLE_ENV_FILE", "maybe")]);
        assert!(matches!(
            select(&bad, &request(root, &[])),
            Err(Error::Usage(_))
        ));
    }

    #[test]
    fn env_files_replace_the_default_and_later_ones_win() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        write(root, ".env", "A=dotenv\n");
        write(root, "one.env", "A=one\nB=one\n");
        write(root, "two.env", "B=two-$A\n");
        let given = [PathBuf::from("one.env"), PathBuf::from("two.env")];
        let flags = [PathBuf::from("c.yaml")];
        let req = Request {
            env_files: &given,
            ..request(root, &flags)
        };
        let process = env(&[("A", "process")]);
        let picked = select(&process, &req).expect("ok");
        assert_eq!(picked.env.get("A").as_deref(), Some("process"));
        assert_eq!(picked.env.get("B").as_deref(), Some("two-process"));
        let missing = [PathBuf::from("nope.env")];
        let req = Request {
            env_files: &missing,
            ..request(root, &flags)
        };
        let err = select(&process, &req).err().expect("missing env file");
        assert!(err.to_string().contains("nope.env"), "{err}");
    }

    #[test]
    fn the_working_folders_env_comes_first_then_the_project_folders() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path();
        touch(root, "compose.yaml");
        write(root, ".env", "A=root\nB=root\n");
        write(root, "sub/.env", "A=sub\n");
        let picked = select(&NONE, &request(&root.join("sub"), &[])).expect("ok");
        assert_eq!(picked.env.get("A").as_deref(), Some("sub"));
        assert_eq!(picked.env.get("B").as_deref(), Some("root"));
        write(root, "sub/.env", "A=\"unterminated\n");
        let err = select(&env(&[]), &request(&root.join("sub"), &[]))
            .err()
            .expect("bad .env");
        assert!(err.to_string().contains("sub/.env: line"), "{err}");
    }

    #[test]
    fn default_names_and_overrides_in_composes_order() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        assert_eq!(default_files(dir).expect("ok"), None);
        touch(dir, "docker-compose.yaml");
        touch(dir, "docker-compose.override.yaml");
        assert_eq!(
            default_files(dir).expect("ok"),
            Some(vec![
                dir.join("docker-compose.yaml"),
                dir.join("docker-compose.override.yaml")
            ])
        );
        touch(dir, "docker-compose.yml");
        assert_eq!(
            default_files(dir).expect("ok").expect("found")[0],
            dir.join("docker-compose.yml"),
            ".yml before .yaml for docker-compose"
        );
        touch(dir, "compose.yml");
        touch(dir, "compose.yaml");
        // Any family's override goes with any base file.
        assert_eq!(
            default_files(dir).expect("ok"),
            Some(vec![
                dir.join("compose.yaml"),
                dir.join("docker-compose.override.yaml")
            ])
        );
        touch(dir, "docker-compose.override.yml");
        touch(dir, "compose.override.yaml");
        touch(dir, "compose.override.yml");
        assert_eq!(
            default_files(dir).expect("ok"),
            Some(vec![
                dir.join("compose.yaml"),
                dir.join("compose.override.yml")
            ])
        );
    }

    #[test]
    fn a_directory_named_like_a_compose_file_is_taken_as_compose_takes_it() {
        let tmp = tempfile::tempdir().expect("tempdir");
        fs_err::create_dir(tmp.path().join("compose.yaml")).expect("mkdir");
        touch(tmp.path(), "compose.yml");
        let files = default_files(tmp.path()).expect("ok").expect("found");
        assert_eq!(files, [tmp.path().join("compose.yaml")]);
        let err = super::super::load(&files, tmp.path()).unwrap_err();
        assert!(err.to_string().contains("compose.yaml"), "{err}");
    }

    #[test]
    fn a_rediaccfile_folder_takes_compose_file_from_its_own_env_only() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        touch(dir, "compose.yaml");
        assert_eq!(
            folder_files(dir, dir).expect("ok"),
            Some(vec![dir.join("compose.yaml")])
        );
        write(dir, ".env", "COMPOSE_FILE=a.yaml:b/c.yaml\n");
        assert_eq!(
            folder_files(dir, dir).expect("ok"),
            Some(vec![dir.join("a.yaml"), dir.join("b/c.yaml")])
        );
    }
}
