//! Tier 1: a container with `rediacc.service_port` (and no `traefik.enable=true`) gets the
//! auto-route host and one more per `rediacc.domain` value, on the HTTPS entrypoints.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use super::tenancy::{Claim, Kind};
use super::{ContainerInput, DropReason, IGNORED, Options, Part, label};
use crate::network::NetworkId;
use crate::routes::config::{HttpRouter, HttpService, RouterTls, TlsDomain};
use crate::routes::validate;

/// The auto-route and the `rediacc.domain` routes.
pub(super) fn routes(
    net: NetworkId,
    c: &ContainerInput,
    ip: Ipv4Addr,
    svc: &str,
    opts: &Options,
    part: &mut Part,
) -> Result<(), DropReason> {
    let base = format!("{svc}-{net}");
    let Some(port_raw) = label(c, "rediacc.service_port") else {
        part.notes.push((
            IGNORED,
            "rediacc.domain has no effect without rediacc.service_port".to_owned(),
        ));
        return Ok(());
    };
    let port = validate::port(port_raw).map_err(DropReason::ServicePort)?;
    let hosts = hosts(net, c, svc, opts)?;
    part.config.http.services.insert(
        base.clone(),
        HttpService::url(format!("http://{ip}:{port}")),
    );
    // Every name ends in `-{network}`: no name of one repository can equal another's.
    let names = std::iter::once(base.clone())
        .chain((1..hosts.len()).map(|i| format!("{svc}-domain{i}-{net}")));
    let auto_key = if opts.machine_name.is_some() {
        "rediacc.repo_name"
    } else {
        "rediacc.service_name"
    };
    for (i, (name, (host, cert))) in names.zip(hosts).enumerate() {
        let tls = RouterTls {
            cert_resolver: opts.cert_resolver.clone(),
            options: None,
            domains: if opts.cert_resolver.is_some() {
                vec![TlsDomain {
                    main: cert,
                    sans: Vec::new(),
                }]
            } else {
                Vec::new()
            },
        };
        part.config.http.routers.insert(
            name.clone(),
            HttpRouter {
                entry_points: opts.entrypoints.clone(),
                rule: format!("Host(`{host}`)"),
                service: base.clone(),
                middlewares: Vec::new(),
                priority: None,
                tls: Some(tls),
            },
        );
        let key = if i == 0 { auto_key } else { "rediacc.domain" };
        part.claims.push(claim(name, host, key));
    }
    Ok(())
}

/// What a renet-written router claims: its one host (on the HTTPS entrypoints, which no
/// TCP/UDP router may hold).
fn claim(router: String, host: String, key: &'static str) -> Claim {
    Claim {
        router,
        kind: Kind::Http,
        hosts: vec![host],
        entrypoints: Vec::new(),
        host_key: key.into(),
        ep_key: key.into(),
        auto: true,
    }
}

/// (host, certificate domain when a resolver is set): the auto-route's first, then each
/// `rediacc.domain` host not already listed. A short name (no dot) is made a host under the
/// base domain, and also under the machine's name when there is one.
pub(super) fn hosts(
    net: NetworkId,
    c: &ContainerInput,
    svc: &str,
    opts: &Options,
) -> Result<Vec<(String, String)>, DropReason> {
    let custom = match label(c, "rediacc.domain") {
        Some(raw) => validate::domains(raw)?,
        None => Vec::new(),
    };
    let bd = &opts.base_domain;
    let m = opts.machine_name.as_deref();
    let auto = match m {
        Some(m) => {
            let repo_raw = label(c, "rediacc.repo_name").ok_or(DropReason::NoRepoName)?;
            let repo = validate::host_part(repo_raw).map_err(DropReason::RepoName)?;
            (
                format!("{svc}.{repo}.{m}.{bd}"),
                format!("*.{repo}.{m}.{bd}"),
            )
        }
        None => (format!("{svc}-{net}.{bd}"), format!("*.{bd}")),
    };
    let mut extra: Vec<(String, String)> = Vec::new();
    for d in custom {
        if d.contains('.') {
            extra.push((d.clone(), d));
        } else {
            extra.push((format!("{d}.{bd}"), format!("*.{bd}")));
            if let Some(m) = m {
                extra.push((format!("{d}.{m}.{bd}"), format!("*.{m}.{bd}")));
            }
        }
    }
    let mut seen = BTreeSet::from([auto.0.clone()]);
    extra.retain(|(h, _)| seen.insert(h.clone()));
    let all: Vec<(String, String)> = std::iter::once(auto).chain(extra).collect();
    if let Some((h, _)) = all.iter().find(|(h, _)| !validate::is_host_name(h)) {
        return Err(DropReason::Host(h.clone()));
    }
    Ok(all)
}
