//! What runs a daemon, as text (pure): the generated `daemon.json` and the systemd unit.

use std::path::Path;

use super::DaemonPaths;
use crate::network::NetworkId;
use crate::quote;

/// The generated daemon.json: everything in one file, so `start` and the systemd unit run the
/// very same daemon.
pub fn daemon_json(paths: &DaemonPaths) -> serde_json::Value {
    serde_json::json!({
        "hosts": [format!("unix://{}", paths.socket.display())],
        "data-root": paths.data_root,
        "exec-root": paths.exec_root,
        "pidfile": paths.pidfile,
        "bridge": "none",
        "iptables": false,
        "ip-masq": false,
    })
}

/// A systemd unit running the same daemon as `renet daemon start`.
pub fn unit(
    network: NetworkId,
    renet: &Path,
    repo: Option<&Path>,
    run_dir: &Path,
    state_dir: &Path,
) -> String {
    let repo_arg = repo
        .map(|r| format!(" --repo {}", quote::systemd_arg(&r.display().to_string())))
        .unwrap_or_default();
    format!(
        "# renet daemon unit for network {network}: save as /etc/systemd/system/rediacc-docker-{network}.service\n\
         [Unit]\n\
         Description=Docker daemon for rediacc network {network}\n\
         After=network-online.target containerd.service\n\
         Wants=network-online.target\n\
         \n\
         [Service]\n\
         Type=notify\n\
         Environment={run}\n\
         Environment={state}\n\
         ExecStart={renet} daemon start --foreground --network-id {network}{repo_arg}\n\
         ExecReload=/bin/kill -s HUP $MAINPID\n\
         TimeoutStartSec=0\n\
         TimeoutStopSec=120\n\
         Restart=on-failure\n\
         RestartSec=2\n\
         KillMode=process\n\
         Delegate=yes\n\
         LimitNOFILE=infinity\n\
         LimitNPROC=infinity\n\
         TasksMax=infinity\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        run = quote::systemd_env("RENET_RUN_DIR", &run_dir.display().to_string()),
        state = quote::systemd_env("RENET_STATE_DIR", &state_dir.display().to_string()),
        renet = quote::systemd_arg(&renet.display().to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_and_unit() {
        let id = NetworkId::new(2816).unwrap();
        let p = DaemonPaths::new(
            Path::new("/run/r"),
            Path::new("/var/lib/r"),
            id,
            Some(Path::new("/srv/shop")),
        );
        let j = daemon_json(&p);
        assert_eq!(j["bridge"], "none");
        assert_eq!(j["iptables"], false);
        assert_eq!(j["ip-masq"], false);
        assert_eq!(j["hosts"][0], "unix:///run/r/docker-2816.sock");
        let u = unit(
            id,
            Path::new("/usr/bin/renet"),
            Some(Path::new("/srv/my shop")),
            Path::new("/run/r"),
            Path::new("/s"),
        );
        assert!(u.contains("ExecStart=/usr/bin/renet daemon start --foreground --network-id 2816 --repo \"/srv/my shop\""));
        assert!(u.contains("Type=notify"));
    }
}
