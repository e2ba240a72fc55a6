//! Finding the default compose files in a directory.

use std::path::{Path, PathBuf};

use super::error::LoadError;

/// In compose's order of preference.
pub const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

pub fn default_files(dir: &Path) -> Result<Option<Vec<PathBuf>>, LoadError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
