//! What `/proc/<pid>/cgroup` says a process belongs to: a Docker container (its ID is in the
//! cgroup path, with either cgroup driver) or a systemd unit. Pure.

/// The container ID in a cgroup file: `.../docker-<id>.scope` (systemd driver) or
/// `.../docker/<id>` (cgroupfs driver), on any line (cgroup v1 lists one per controller).
pub(crate) fn container_id(cgroup: &str) -> Option<String> {
    for path in cgroup.lines().filter_map(|l| l.splitn(3, ':').nth(2)) {
        let segments: Vec<&str> = path.split('/').collect();
        for (i, segment) in segments.iter().enumerate() {
            let id = segment
                .strip_prefix("docker-")
                .and_then(|s| s.strip_suffix(".scope"))
                .or_else(|| (i > 0 && segments[i - 1] == "docker").then_some(*segment));
            if let Some(id) = id.filter(|id| is_container_id(id)) {
                return Some(id.to_owned());
            }
        }
    }
    None
}

fn is_container_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The systemd service a process runs under (`/system.slice/postgresql@15-main.service`), so
/// the fix can say `systemctl stop <unit>`. Scopes and slices are not services one stops.
pub(crate) fn systemd_unit(cgroup: &str) -> Option<String> {
    cgroup
        .lines()
        .filter_map(|l| l.splitn(3, ':').nth(2))
        .filter_map(|path| path.rsplit('/').find(|s| s.ends_with(".service")))
        .find(|unit| !unit.starts_with("user@"))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4b5e1c7c2f0f5d6d2b0e0e8a1c9b3f6e7a5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b";

    #[test]
    fn container_ids_with_either_driver() {
        let systemd = format!("0::/system.slice/docker-{ID}.scope\n");
        assert_eq!(container_id(&systemd).as_deref(), Some(ID));
        let cgroupfs_v1 = format!("12:pids:/docker/{ID}\n11:memory:/docker/{ID}\n0::/\n");
        assert_eq!(container_id(&cgroupfs_v1).as_deref(), Some(ID));
        assert_eq!(
            container_id("0::/user.slice/user-0.slice/session-3.scope\n"),
            None
        );
        assert_eq!(container_id("0::/docker/not-an-id\n"), None);
    }

    #[test]
    fn systemd_units() {
        assert_eq!(
            systemd_unit("0::/system.slice/postgresql@15-main.service\n").as_deref(),
            Some("postgresql@15-main.service")
        );
        assert_eq!(
            systemd_unit("0::/user.slice/user-0.slice/user@0.service/app.slice/x.scope\n"),
            None
        );
        assert_eq!(
            systemd_unit(&format!("0::/system.slice/docker-{ID}.scope\n")),
            None
        );
    }
}
