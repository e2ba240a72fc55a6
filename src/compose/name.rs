//! The compose project name, as Compose v2 settles it (compose-go `withNamePrecedenceLoad` and
//! `loader.projectName`): `-p`, else `COMPOSE_PROJECT_NAME` (process environment, then `.env`),
//! both of which must already be valid; else the model's top-level `name:`, interpolated with
//! the project environment and normalised; else the project folder's name, normalised. renet
//! passes the result to compose as `-p`, so the real run, `down` and the model file agree.

use std::path::Path;

use serde_json::Value;

use super::files::ProjectEnv;
use super::interpolate::{self, TemplateError};

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NameError {
    #[error(
        "invalid project name {name:?} (from {origin}): it must consist only of lowercase \
         alphanumeric characters, hyphens and underscores, and start with a letter or digit; \
         use {suggestion:?}"
    )]
    Invalid {
        name: String,
        origin: &'static str,
        suggestion: String,
    },
    #[error("the top-level name {raw:?}: {error}")]
    Interpolation { raw: String, error: TemplateError },
    #[error("project name must not be empty: {reason}; pass -p NAME or set a top-level name:")]
    Empty { reason: String },
}

impl From<NameError> for crate::error::Error {
    /// A bad `-p` or `COMPOSE_PROJECT_NAME` is a usage error (exit status 2); a `name:` that
    /// gives nothing is bad input (exit status 3).
    fn from(e: NameError) -> Self {
        match e {
            NameError::Invalid { .. } => crate::error::Error::Usage(e.to_string()),
            _ => crate::error::Error::ComposeInput(e.to_string()),
        }
    }
}

/// Project names as compose normalises them: lower case, only `[a-z0-9_-]`, starting with a
/// letter or digit.
pub(crate) fn normalize(name: &str) -> String {
    let lowered: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    lowered.trim_start_matches(['_', '-']).to_owned()
}

/// The project name: `flag` (`-p`), the environment, the model's `name`, the folder's name.
pub(crate) fn project_name(
    flag: Option<&str>,
    env: &ProjectEnv<'_>,
    model_name: Option<&Value>,
    project_dir: &Path,
) -> Result<String, NameError> {
    let chosen = flag
        .filter(|n| !n.is_empty())
        .map(|n| (n.to_owned(), "-p"))
        .or_else(|| {
            env.non_empty("COMPOSE_PROJECT_NAME")
                .map(|n| (n, "COMPOSE_PROJECT_NAME"))
        });
    if let Some((name, origin)) = chosen {
        let suggestion = normalize(&name);
        return if suggestion == name {
            Ok(name)
        } else {
            Err(NameError::Invalid {
                name,
                origin,
                suggestion,
            })
        };
    }
    if let Some(raw) = model_name.and_then(Value::as_str).filter(|n| !n.is_empty()) {
        let interpolated = interpolate::substitute(raw, &|k| env.get(k)).map_err(|error| {
            NameError::Interpolation {
                raw: raw.to_owned(),
                error,
            }
        })?;
        let name = normalize(&interpolated);
        return if name.is_empty() {
            Err(NameError::Empty {
                reason: format!("the top-level name {raw:?} gives {interpolated:?}"),
            })
        } else {
            Ok(name)
        };
    }
    let folder = project_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = normalize(&folder);
    if name.is_empty() {
        return Err(NameError::Empty {
            reason: format!(
                "the project folder {} has no usable name",
                project_dir.display()
            ),
        });
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::settings::Env;

    struct FakeEnv(BTreeMap<&'static str, &'static str>);

    impl Env for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| (*v).to_owned())
        }
    }

    fn name(
        flag: Option<&str>,
        vars: &[(&'static str, &'static str)],
        model_name: Option<Value>,
    ) -> Result<String, NameError> {
        let process = FakeEnv(vars.iter().copied().collect());
        let env = ProjectEnv::new(&process);
        project_name(flag, &env, model_name.as_ref(), Path::new("/srv/My Shop"))
    }

    #[test]
    fn normalises_as_compose_does() {
        assert_eq!(normalize("My App.v2"), "myappv2");
        assert_eq!(normalize("_x-Y"), "x-y");
    }

    #[test]
    fn follows_composes_order() {
        let model = Some(json!("Model-Name"));
        assert_eq!(name(None, &[], None).unwrap(), "myshop");
        assert_eq!(name(None, &[], model.clone()).unwrap(), "model-name");
        let env = [("COMPOSE_PROJECT_NAME", "from_env")];
        assert_eq!(name(None, &env, model.clone()).unwrap(), "from_env");
        assert_eq!(name(Some("shop"), &env, model.clone()).unwrap(), "shop");
        // An empty -p is no -p; an empty name: is no name.
        assert_eq!(name(Some(""), &[], Some(json!(""))).unwrap(), "myshop");
    }

    #[test]
    fn the_model_name_is_interpolated_then_normalised() {
        let model = Some(json!("${STACK:-Fallback}_1"));
        assert_eq!(name(None, &[], model.clone()).unwrap(), "fallback_1");
        assert_eq!(name(None, &[("STACK", "Prod")], model).unwrap(), "prod_1");
        let err = name(None, &[], Some(json!("${STACK:?set STACK}"))).unwrap_err();
        assert!(
            err.to_string()
                .contains("required variable STACK is missing a value: set STACK"),
            "{err}"
        );
        assert!(matches!(
            name(None, &[], Some(json!("${UNSET}"))),
            Err(NameError::Empty { .. })
        ));
    }

    #[test]
    fn given_names_must_be_valid_already() {
        let err = name(Some("Shop"), &[], None).unwrap_err();
        assert_eq!(
            err,
            NameError::Invalid {
                name: "Shop".into(),
                origin: "-p",
                suggestion: "shop".into()
            }
        );
        assert!(matches!(
            name(None, &[("COMPOSE_PROJECT_NAME", "__")], None),
            Err(NameError::Invalid {
                origin: "COMPOSE_PROJECT_NAME",
                ..
            })
        ));
        let process = FakeEnv(BTreeMap::new());
        let env = ProjectEnv::new(&process);
        assert!(matches!(
            project_name(None, &env, None, Path::new("/")),
            Err(NameError::Empty { .. })
        ));
    }
}
