//! `memscape refs DUMP ADDR`: what points into the region holding ADDR
//! (analysis::refs): every aligned pointer-size word in captured memory
//! whose value lies in that region, with the region the word lives in.
//! Text (`address  value  where`) or a JSON array of `{address, value,
//! region}` (`region`: the base of the region holding the word).

use std::io::Write;

use anyhow::{Result, anyhow};
use serde::Serialize;

use super::json::StreamedRows;
use crate::analysis::refs::for_each_reference;
use crate::dump::AddressSpace;
use crate::format::{hex, windbg_addr};

#[derive(Serialize)]
struct RefJson {
    address: String,
    value: String,
    region: Option<String>,
    region_kind: Option<&'static str>,
    region_label: Option<String>,
}

pub fn run(space: &AddressSpace, addr: u64, as_json: bool, out: &mut dyn Write) -> Result<()> {
    let target = space
        .region_at(addr)
        .ok_or_else(|| anyhow!("{}: {} is outside the address space", space.path.display(), hex(addr)))?;
    let range = target.base_addr..target.end_addr();
    let bits = space.system.pointer_bits;
    if !as_json {
        writeln!(
            out,
            "References into {} {} – {} ({}):",
            target.kind,
            windbg_addr(range.start, bits),
            windbg_addr(range.end, bits),
            if target.label.is_empty() { "no label" } else { &target.label }
        )?;
    }
    let mut rows = StreamedRows::start(out, as_json)?;
    for_each_reference(space, range, None, &mut |r| {
        let holder = space.region_at(r.addr);
        rows.row(
            || RefJson {
                address: hex(r.addr),
                value: hex(r.value),
                region: holder.map(|h| hex(h.base_addr)),
                region_kind: holder.map(|h| h.kind.name()),
                region_label: holder.map(|h| h.label.to_string()),
            },
            |out| {
                let place = holder.map_or_else(|| "?".to_string(), |h| format!("{} {}", h.kind, h.label));
                writeln!(out, "{}  {}  {}", windbg_addr(r.addr, bits), windbg_addr(r.value, bits), place.trim_end())
            },
        )
    });
    Ok(rows.finish()?)
}
