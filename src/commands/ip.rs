use serde::Serialize;

use super::Ctx;
use crate::cli::IpArgs;
use crate::error::Result;
use crate::network::Slot;
use crate::settings;

#[derive(Serialize)]
struct Block {
    network_id: u32,
    block: String,
    first_service_address: String,
    last_service_address: String,
}

#[derive(Serialize)]
struct Address {
    network_id: u32,
    slot: u8,
    address: String,
}

pub fn run(ctx: &Ctx<'_>, args: &IpArgs) -> Result<u8> {
    let id = settings::network_id(args.network.network_id, ctx.env)?;
    let out = ctx.out;
    match args.slot {
        Some(slot) => {
            let address = id.slot_addr(slot).to_string();
            if ctx.json {
                out.json(&Address {
                    network_id: id.get(),
                    slot: slot.get(),
                    address,
                });
            } else {
                out.data(&address);
            }
        }
        None => {
            let block = id.block().to_string();
            if ctx.json {
                let first = Slot::all().next().expect("61 slots");
                let last = Slot::all().last().expect("61 slots");
                out.json(&Block {
                    network_id: id.get(),
                    block,
                    first_service_address: id.slot_addr(first).to_string(),
                    last_service_address: id.slot_addr(last).to_string(),
                });
            } else {
                out.data(&block);
            }
        }
    }
    Ok(0)
}
