//! Interim loader (single-file, no merge); replaced by the full loader.
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Other(String),
}

pub struct Project {
    pub model: serde_json::Map<String, serde_json::Value>,
    pub files: Vec<PathBuf>,
}

pub fn default_files(dir: &Path) -> Result<Option<Vec<PathBuf>>, LoadError> {
    for n in ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"] {
        if dir.join(n).is_file() {
            return Ok(Some(vec![dir.join(n)]));
        }
    }
    Ok(None)
}

pub fn load(files: &[PathBuf], _project_dir: &Path) -> Result<Project, LoadError> {
    let text = std::fs::read_to_string(&files[0]).map_err(|e| LoadError::Other(e.to_string()))?;
    let v: yaml_serde::Value = yaml_serde::from_str(&text).map_err(|e| LoadError::Other(e.to_string()))?;
    let j = serde_json::to_value(v).map_err(|e| LoadError::Other(e.to_string()))?;
    Ok(Project { model: j.as_object().cloned().unwrap_or_default(), files: files.to_vec() })
}
