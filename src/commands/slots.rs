use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Serialize;

use super::Ctx;
use crate::allocator::var_name;
use crate::cli::{SlotsArgs, SlotsCommand};
use crate::compose::files as compose_files;
use crate::compose::hosts;
use crate::error::{Error, Result};
use crate::network::NetworkId;
use crate::output::Printer;
use crate::{settings, slotmap, table};

#[derive(Serialize)]
struct Row {
    name: String,
    slot: u8,
    address: Option<String>,
    variable: String,
    restart_policy: Option<String>,
}

#[derive(Serialize)]
struct ListReport {
    repository: PathBuf,
    network_id: Option<u32>,
    services: Vec<Row>,
}

#[derive(Serialize)]
struct ChangeReport {
    repository: PathBuf,
    network_id: Option<u32>,
    /// Services given a slot (sync) or freed (prune) by this run.
    changed: Vec<Row>,
    dry_run: bool,
}

fn row(
    name: &str,
    slot: crate::network::Slot,
    policy: Option<String>,
    id: Option<NetworkId>,
) -> Row {
    Row {
        name: name.to_owned(),
        slot: slot.get(),
        address: id.map(|id| id.slot_addr(slot).to_string()),
        variable: var_name(name),
        restart_policy: policy,
    }
}

fn print_table(out: &Printer, rows: &[Row]) {
    let names: Vec<String> = rows.iter().map(|r| table::cell(&r.name)).collect();
    let vars: Vec<String> = rows.iter().map(|r| table::cell(&r.variable)).collect();
    let w = table::column("SERVICE", names.iter().map(String::as_str));
    let w2 = table::column("VARIABLE", vars.iter().map(String::as_str));
    out.data(&format!(
        "{}  SLOT  {:<15}  {}  RESTART",
        table::left("SERVICE", w),
        "ADDRESS",
        table::left("VARIABLE", w2),
    ));
    for ((r, name), var) in rows.iter().zip(&names).zip(&vars) {
        out.data(&format!(
            "{}  {:>4}  {:<15}  {}  {}",
            table::left(name, w),
            r.slot,
            r.address.as_deref().unwrap_or("-"),
            table::left(var, w2),
            table::cell(r.restart_policy.as_deref().unwrap_or("-")),
        ));
    }
}

/// The repository and the network ID (optional: it only adds addresses) a slots command acts on.
struct Target {
    repo: PathBuf,
    id: Option<NetworkId>,
}

pub fn run(ctx: &Ctx<'_>, args: SlotsArgs) -> Result<u8> {
    let common = args.common;
    let t = Target {
        repo: settings::repo_dir(common.repo.as_deref(), ctx.env, &ctx.cwd)?,
        id: settings::optional_network_id(common.network_id, ctx.env)?,
    };
    match args.command.unwrap_or(SlotsCommand::List) {
        SlotsCommand::List => list(ctx, &t)?,
        SlotsCommand::Sync { files } => sync(ctx, &t, &files)?,
        SlotsCommand::Prune { dry_run } => prune(ctx, &t, dry_run)?,
    }
    Ok(0)
}

fn list(ctx: &Ctx<'_>, t: &Target) -> Result<()> {
    let map = slotmap::read(&t.repo)?;
    let mut rows: Vec<Row> = map
        .services()
        .into_iter()
        .map(|(n, e)| row(&n, e.slot, e.restart_policy, t.id))
        .collect();
    rows.sort_by_key(|r| r.slot);
    if ctx.json {
        ctx.out.json(&ListReport {
            repository: t.repo.clone(),
            network_id: t.id.map(NetworkId::get),
            services: rows,
        });
    } else if rows.is_empty() {
        ctx.out.note(&format!(
            "no services in {}",
            slotmap::path_in(&t.repo).display()
        ));
    } else {
        print_table(ctx.out, &rows);
    }
    Ok(())
}

fn sync(ctx: &Ctx<'_>, t: &Target, files: &[PathBuf]) -> Result<()> {
    let names: BTreeSet<String> = if files.is_empty() {
        compose_files::repo_services(&t.repo)?
    } else {
        let files: Vec<PathBuf> = files
            .iter()
            .map(|f| settings::absolute(&ctx.cwd, f))
            .collect();
        compose_files::project_services(&files, &t.repo)?
    };
    let new = slotmap::sync(&t.repo, names.iter().map(String::as_str))?;
    refresh_hosts(ctx, t)?;
    let rows: Vec<Row> = new.iter().map(|(n, s)| row(n, *s, None, t.id)).collect();
    report_change(ctx, t, rows, false, "given a slot");
    Ok(())
}

fn prune(ctx: &Ctx<'_>, t: &Target, dry_run: bool) -> Result<()> {
    // No compose file found is a wrong folder or a missing checkout, not a repository whose
    // services all went away: pruning then would free every slot (and move every address on
    // the next run).
    let Some(names) = compose_files::repo_services_found(&t.repo)? else {
        return Err(Error::ComposeInput(format!(
            "no compose file found in {} nor in its Rediaccfile folders (looked for {}); slots \
             prune frees the slots of services no compose file defines, and with none found it \
             would free every slot: run it with --repo naming the repository, or, to free \
             every slot on purpose, remove the services from {} by hand",
            t.repo.display(),
            compose_files::DEFAULT_FILES.join(", "),
            slotmap::path_in(&t.repo).display()
        )));
    };
    let freed = if dry_run {
        let map = slotmap::read(&t.repo)?;
        map.services()
            .into_iter()
            .filter(|(n, _)| !names.contains(n))
            .map(|(n, e)| (n, e.slot))
            .collect()
    } else {
        slotmap::update(&t.repo, |_, map| -> Result<_, Error> {
            let before = map.slots();
            let gone = map.prune(&|n| names.contains(n));
            let freed: Vec<_> = gone
                .iter()
                .filter_map(|n| Some((n.clone(), *before.get(n)?)))
                .collect();
            let changed = !freed.is_empty();
            Ok((freed, changed))
        })?
    };
    if !dry_run {
        refresh_hosts(ctx, t)?;
    }
    let rows: Vec<Row> = freed.iter().map(|(n, s)| row(n, *s, None, t.id)).collect();
    let verb = if dry_run { "would be freed" } else { "freed" };
    report_change(ctx, t, rows, dry_run, verb);
    Ok(())
}

/// The repository's hosts files follow its slot set (SPEC section 3, step 4): running
/// containers stop resolving a freed name, or resolve a new one, at once. Without a network ID
/// the files are unknown; the next `renet compose` run brings them in line.
fn refresh_hosts(ctx: &Ctx<'_>, t: &Target) -> Result<()> {
    if let Some(id) = t.id {
        let state = settings::absolute(&ctx.cwd, &ctx.state_dir);
        let none = std::collections::BTreeMap::new();
        hosts::store::refresh(&t.repo, &state, id, &none, hosts::store::By::Slots)?;
    }
    Ok(())
}

fn report_change(ctx: &Ctx<'_>, t: &Target, rows: Vec<Row>, dry_run: bool, verb: &str) {
    if ctx.json {
        ctx.out.json(&ChangeReport {
            repository: t.repo.clone(),
            network_id: t.id.map(NetworkId::get),
            changed: rows,
            dry_run,
        });
        return;
    }
    if rows.is_empty() {
        ctx.out.note("nothing to change");
        return;
    }
    for r in &rows {
        ctx.out.note(&format!(
            "{} {verb}: slot {}{}",
            r.name,
            r.slot,
            r.address
                .as_deref()
                .map(|a| format!(" ({a})"))
                .unwrap_or_default()
        ));
    }
}
