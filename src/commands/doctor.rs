//! `renet doctor`: resolve where to look (flags, machine settings, environment), fetch the
//! route server's `/health`, run the checks of `crate::doctor` on this machine, print the
//! report. The exit status is the report's (0 ok, 1 warnings, 2 errors).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Ctx;
use super::proxy_status;
use crate::cli::DoctorArgs;
use crate::docker::Bollard;
use crate::error::Result;
use crate::host::RealHost;
use crate::leases::{RANGE_VAR, range_from_env};
use crate::machine::Machine;

/// How long the route server may take to answer `/health`.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(1);
/// One daemon's budget; all are asked at once.
const DAEMON_TIMEOUT: Duration = Duration::from_secs(1);

pub(crate) fn run(ctx: &Ctx<'_>, a: &DoctorArgs) -> Result<u8> {
    // A broken settings file must not stop the diagnosis: the defaults are used, and said so.
    let machine = Machine::load(&ctx.state_dir).unwrap_or_else(|e| {
        ctx.out.warn(&format!("{e}: using the defaults"));
        Machine::default()
    });
    let url = a
        .route_server
        .clone()
        .or_else(|| machine.get("route_server").map(str::to_owned))
        .unwrap_or_else(|| format!("http://{}", crate::settings::DEFAULT_ROUTE_SERVER));
    let server = proxy_status::server(&url)?;
    let range = range_from_env(ctx.env.var(RANGE_VAR).as_deref())?;
    let proxy_dir = crate::settings::absolute(
        &ctx.cwd,
        &machine.proxy_config_dir(a.proxy_config.as_deref()),
    );
    let traefik_yml = proxy_dir.join("traefik.yml");
    let health = proxy_status::get_json_within(&server, "/health", HEALTH_TIMEOUT).map_err(|e| {
        crate::doctor::HealthError {
            reason: e.to_string(),
        }
    });
    let path = ctx.env.var("PATH");
    let docker_config = ctx.env.var("DOCKER_CONFIG");
    let home = ctx.env.var("HOME");
    let options = crate::doctor::Options {
        run_dir: &ctx.run_dir,
        path: path.as_deref(),
        docker_config: docker_config.as_deref(),
        home: home.as_deref(),
        route_server: &server.url,
        traefik_yml: &traefik_yml,
        range,
        now_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        daemon_timeout: DAEMON_TIMEOUT,
    };
    let host = RealHost { path: path.clone() };
    let report = crate::doctor::run(&host, &Bollard, &options, health);
    if ctx.json {
        ctx.out.json(&report);
    } else {
        for line in report.lines() {
            ctx.out.data(&line);
        }
    }
    Ok(report.exit_code())
}
