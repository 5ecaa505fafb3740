//! `memscape regions`: every region, like `!address` without arguments.

use std::io::Write;

use anyhow::Result;

use super::json;
use crate::dump::AddressSpace;
use crate::format::{human_size, windbg_addr};

pub fn run(space: &AddressSpace, as_json: bool, out: &mut dyn Write) -> Result<()> {
    if as_json {
        let rows: Vec<_> = space.regions.iter().map(|r| json::region(space, r)).collect();
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    let bits = space.system.pointer_bits;
    let w = if bits == 64 { 17 } else { 8 };
    writeln!(
        out,
        "{:>w$} {:>w$} {:>w$} {:<8} {:<12} {:<34} {:<12} {:>12}  Label",
        "BaseAddr", "EndAddr+1", "RgnSize", "Type", "State", "Protect", "Usage", "Captured"
    )?;
    for r in &space.regions {
        let state = match r.state {
            crate::dump::RegionState::Commit => "MEM_COMMIT",
            crate::dump::RegionState::Reserve => "MEM_RESERVE",
            crate::dump::RegionState::Free => "MEM_FREE",
            crate::dump::RegionState::Unknown => "?",
        };
        let ty = match r.ty {
            Some(crate::dump::RegionType::Image) => "MEM_IMAGE",
            Some(crate::dump::RegionType::Mapped) => "MEM_MAPPED",
            Some(crate::dump::RegionType::Private) => "MEM_PRIVATE",
            None => "",
        };
        let captured = if r.captured_bytes > 0 { human_size(r.captured_bytes) } else { String::new() };
        writeln!(
            out,
            "{} {} {} {:<8} {:<12} {:<34} {:<12} {:>12}  {}",
            windbg_addr(r.base_addr, bits),
            windbg_addr(r.end_addr(), bits),
            windbg_addr(r.size_bytes, bits),
            ty.trim_start_matches("MEM_"),
            state,
            r.protect.to_string(),
            r.kind.name(),
            captured,
            r.label
        )?;
    }
    Ok(())
}
