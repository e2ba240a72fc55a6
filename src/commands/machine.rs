//! `renet machine set|show|units`: the machine's settings and its systemd units.

use super::Ctx;
use crate::cli::{MachineArgs, MachineCommand, MachineSetArgs};
use crate::error::{Error, Result};
use crate::machine::{self, Machine};

mod units;

pub(crate) fn run(ctx: &Ctx<'_>, args: MachineArgs) -> Result<u8> {
    match args.command {
        MachineCommand::Set(a) => set(ctx, &a),
        MachineCommand::Show => {
            show(ctx, &Machine::load(&ctx.state_dir)?);
            Ok(0)
        }
        MachineCommand::Units(a) => units::run(ctx, &a),
    }
}

fn set(ctx: &Ctx<'_>, a: &MachineSetArgs) -> Result<u8> {
    let given = [
        ("base_domain", &a.base_domain),
        ("machine_name", &a.machine_name),
        ("public_address", &a.public_address),
        ("cert_email", &a.cert_email),
        ("cert_resolver", &a.cert_resolver),
        ("route_server", &a.route_server),
        ("proxy_config_dir", &a.proxy_config_dir),
    ];
    // Every value is checked before the file is touched: one bad flag changes nothing.
    let mut changes = Vec::new();
    for (key, value) in given {
        if let Some(v) = value {
            changes.push(machine::change(key, v)?);
        }
    }
    if changes.is_empty() {
        return Err(Error::Usage(format!(
            "machine set: nothing to set (give at least one of --{})",
            machine::KEYS.map(|k| k.replace('_', "-")).join(", --")
        )));
    }
    let (settings, wrote) = machine::update(&ctx.state_dir, &changes)?;
    let path = Machine::path(&ctx.state_dir);
    if wrote {
        ctx.out.note(&format!("wrote {}", path.display()));
    } else {
        ctx.out
            .note(&format!("{} already holds these settings", path.display()));
    }
    show(ctx, &settings);
    Ok(0)
}

fn show(ctx: &Ctx<'_>, settings: &Machine) {
    if ctx.json {
        ctx.out.json(settings.as_json());
        return;
    }
    for (key, value) in settings.entries() {
        ctx.out.data(&format!("{key}: {value}"));
    }
}
