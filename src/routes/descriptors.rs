//! How many file descriptors the route server has left. At the limit every daemon listing
//! fails (a connection is a descriptor) and a refresh would build an empty configuration,
//! which makes Traefik drop every route: the refresh checks first and keeps the last good
//! configuration instead.

use nix::sys::resource::{Resource, getrlimit};

/// Too few descriptors left for a refresh.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DescriptorError {
    #[error(
        "only {free} of {limit} file descriptors are free (a refresh needs {needed}): too many \
         connections or daemons for the open-file limit; raise it (LimitNOFILE= in the unit, \
         `ulimit -n`)"
    )]
    Short { free: u64, limit: u64, needed: u64 },
    #[error(
        "cannot count the open file descriptors (/proc/self/fd): {0}; raise the open-file limit"
    )]
    Unknown(std::io::Error),
}

/// Ok when at least `needed` descriptors are free under the soft limit.
pub(crate) fn enough(needed: u64) -> Result<(), DescriptorError> {
    let (limit, _) = getrlimit(Resource::RLIMIT_NOFILE)
        .map_err(|e| DescriptorError::Unknown(std::io::Error::from(e)))?;
    // Reading the folder takes a descriptor itself: failing to is the answer (EMFILE).
    let open = std::fs::read_dir("/proc/self/fd")
        .map_err(DescriptorError::Unknown)?
        .count() as u64;
    let free = limit.saturating_sub(open);
    if free < needed {
        return Err(DescriptorError::Short {
            free,
            limit,
            needed,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_against_the_limit() {
        assert!(enough(1).is_ok());
        let err = enough(u64::MAX).unwrap_err().to_string();
        assert!(err.contains("file descriptors are free"), "{err}");
        assert!(err.contains("LimitNOFILE"), "{err}");
    }
}
