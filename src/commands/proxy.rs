//! `renet proxy config|unit`: Traefik's static configuration and systemd units.

use std::path::{Path, PathBuf};

use super::Ctx;
use crate::cli::{ProxyArgs, ProxyCommand, ProxyConfigArgs, ProxyUnitArgs};
use crate::error::{Error, Result};
use crate::machine::Machine;
use crate::routes::proxy::{self, StaticSettings, UnitSettings};
use crate::settings;

/// The flags, the machine's settings (`renet machine set`) filling in what they leave out; and
/// the folder traefik.yml goes to.
fn static_settings(ctx: &Ctx<'_>, a: &ProxyConfigArgs) -> Result<(StaticSettings, PathBuf)> {
    let machine = Machine::load(&ctx.state_dir)?;
    let out = settings::absolute(&ctx.cwd, &machine.proxy_config_dir(a.out.as_deref()));
    let cert_email = a
        .cert_email
        .clone()
        .or_else(|| machine.get("cert_email").map(str::to_owned));
    if let Some(e) = &cert_email
        && (e.chars().any(|c| c.is_control() || c.is_whitespace()) || !e.contains('@'))
    {
        return Err(Error::Usage(format!(
            "--cert-email {e:?} is not an e-mail address"
        )));
    }
    let cert_resolver = a
        .cert_resolver
        .as_deref()
        .or(machine.get("cert_resolver"))
        .unwrap_or("letsencrypt")
        .to_owned();
    if !crate::routes::validate::is_name(&cert_resolver) {
        return Err(Error::Usage(format!(
            "--cert-resolver {cert_resolver:?} is not a resolver name"
        )));
    }
    let route_server = match a.route_server.as_deref().or(machine.get("route_server")) {
        Some(url) => url.to_owned(),
        None => settings::default_route_server_url(),
    };
    let route_server =
        proxy::route_server_endpoint(&route_server).map_err(|e| Error::Usage(e.to_string()))?;
    let lease_range = match &a.lease_range {
        Some(r) => crate::leases::parse_range(r)
            .map(|p| p.first()..=p.last())
            .map_err(|e| Error::Usage(format!("--lease-range: {e}")))?,
        None => crate::leases::DEFAULT_RANGE,
    };
    let settings = StaticSettings {
        bind: a.bind.or_else(|| machine.public_address()),
        bind_v6: a.bind_v6,
        web_port: a.web_port,
        websecure_port: a.websecure_port,
        tcp_ports: a.tcp_ports.0.clone(),
        udp_ports: a.udp_ports.0.clone(),
        lease_range,
        cert_email,
        cert_resolver,
        acme_storage: out.join("acme.json"),
        cf_dns_token_file: a
            .cf_dns_token_file
            .as_ref()
            .map(|f| settings::absolute(&ctx.cwd, f)),
        route_server,
        poll_interval: a.poll_interval,
        log_level: a.log_level.clone(),
    };
    Ok((settings, out))
}

pub(crate) fn run(ctx: &Ctx<'_>, args: ProxyArgs) -> Result<u8> {
    match args.command {
        ProxyCommand::Config(a) => config(ctx, &a),
        ProxyCommand::Unit(a) => unit(ctx, &a),
        ProxyCommand::Status(a) => super::proxy_status::status(ctx, &a),
        ProxyCommand::Routes(a) => super::proxy_status::routes(ctx, &a),
    }
}

fn config(ctx: &Ctx<'_>, a: &ProxyConfigArgs) -> Result<u8> {
    let (s, dir) = static_settings(ctx, a)?;
    let text = proxy::traefik_yml(&s).map_err(|e| Error::Usage(e.to_string()))?;
    fs_err::create_dir_all(&dir)?;
    let path = dir.join("traefik.yml");
    crate::atomic::write(&path, text.as_bytes(), None).map_err(Error::io(&path))?;
    ctx.out.note(&format!(
        "wrote {} (HTTP routes use entrypoints {}; run the route server with --entrypoints {})",
        path.display(),
        proxy::http_entrypoints(&s).join(", "),
        proxy::http_entrypoints(&s).join(",")
    ));
    if s.cert_email.is_some() && s.cf_dns_token_file.is_none() {
        ctx.out.warn(
            "Let's Encrypt DNS-01 needs the Cloudflare token: give Traefik CF_DNS_API_TOKEN_FILE \
             (renet proxy unit --cf-dns-token-file FILE)",
        );
    }
    if let Some(bind) = s.bind
        && !is_local(bind)
    {
        ctx.out.warn(&format!(
            "--bind {bind} is not an address of this machine (yet): Traefik cannot listen on it \
             until it is"
        ));
    }
    ctx.out.data(&path.display().to_string());
    Ok(0)
}

/// `addr` is assigned to this machine: binding a UDP socket to it works (Traefik's listeners
/// would fail with "cannot assign requested address" otherwise).
fn is_local(addr: std::net::IpAddr) -> bool {
    std::net::UdpSocket::bind((addr, 0)).is_ok()
}

fn unit(ctx: &Ctx<'_>, a: &ProxyUnitArgs) -> Result<u8> {
    let options = super::route_server::route_options(&a.routes, &Machine::load(&ctx.state_dir)?)?;
    let mut rs = vec![
        "--listen".to_owned(),
        a.listen.to_string(),
        "--base-domain".to_owned(),
        options.base_domain.clone(),
    ];
    if let Some(m) = &options.machine_name {
        rs.extend(["--machine-name".to_owned(), m.clone()]);
    }
    if let Some(r) = &options.cert_resolver {
        rs.extend(["--cert-resolver".to_owned(), r.clone()]);
    }
    rs.extend(["--entrypoints".to_owned(), options.entrypoints.join(",")]);
    let renet = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/usr/local/bin/renet"));
    let config_dir = Machine::load(&ctx.state_dir)?.proxy_config_dir(a.config_dir.as_deref());
    let files = UnitFiles {
        traefik: &a.traefik,
        config_dir: &config_dir,
        cf_dns_token_file: a.cf_dns_token_file.as_deref(),
    };
    ctx.out
        .data(proxy::units(&unit_settings(ctx, &files, renet, rs)).trim_end());
    Ok(0)
}

/// The files the route server and Traefik units name, as given on the command line.
pub(crate) struct UnitFiles<'a> {
    pub(crate) traefik: &'a Path,
    pub(crate) config_dir: &'a Path,
    pub(crate) cf_dns_token_file: Option<&'a Path>,
}

/// What `proxy unit` and `machine units` write the two units from: paths made absolute
/// against the working folder, the machine folders from the settings.
pub(crate) fn unit_settings(
    ctx: &Ctx<'_>,
    files: &UnitFiles<'_>,
    renet: PathBuf,
    route_server_args: Vec<String>,
) -> UnitSettings {
    UnitSettings {
        renet,
        traefik: files.traefik.to_owned(),
        config_dir: settings::absolute(&ctx.cwd, files.config_dir),
        run_dir: ctx.run_dir.clone(),
        state_dir: ctx.state_dir.clone(),
        cf_dns_token_file: files
            .cf_dns_token_file
            .map(|f| settings::absolute(&ctx.cwd, f)),
        route_server_args,
    }
}
