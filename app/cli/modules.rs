//! `memscape modules`: loaded and unloaded modules, like `lmv`.

use std::io::Write;

use anyhow::Result;

use super::json;
use crate::dump::symbols::ModuleSymbols;
use crate::dump::time::format_utc;
use crate::dump::{AddressSpace, DebugInfo};
use crate::format::{human_size, windbg_addr};

/// `status`: each module's symbol files (dump::symbols::find_symbols).
pub fn run(space: &AddressSpace, status: &[ModuleSymbols], as_json: bool, out: &mut dyn Write) -> Result<()> {
    if as_json {
        serde_json::to_writer_pretty(&mut *out, &json::modules(space, status))?;
        writeln!(out)?;
        return Ok(());
    }
    let bits = space.system.pointer_bits;
    writeln!(
        out,
        "{:<w$} {:<w$} {:<40} {:>12} {:<18} {:<24} {:<24} Debug",
        "start",
        "end",
        "module name",
        "size",
        "file version",
        "timestamp",
        "symbols",
        w = if bits == 64 { 17 } else { 8 }
    )?;
    for (i, m) in space.modules.iter().enumerate() {
        let symbols = status.get(i).map(|s| format!("({})", s.summary())).unwrap_or_default();
        let debug = match &m.debug {
            Some(DebugInfo::Pdb70 { pdb_name, guid, age }) => format!("{pdb_name} {{{guid}}} age {age}"),
            Some(DebugInfo::Pdb20 { pdb_name, signature, age }) => format!("{pdb_name} sig {signature:08x} age {age}"),
            Some(DebugInfo::BuildId(id)) => format!("build id {id}"),
            None => String::new(),
        };
        writeln!(
            out,
            "{} {} {:<40} {:>12} {:<18} {:<24} {:<24} {}",
            windbg_addr(m.base_addr, bits),
            windbg_addr(m.end_addr(), bits),
            m.name,
            human_size(m.size_bytes),
            m.file_version.map(|v| v.to_string()).unwrap_or_default(),
            format_utc(u64::from(m.timestamp)),
            symbols,
            debug
        )?;
    }
    if !space.unloaded_modules.is_empty() {
        writeln!(out)?;
        writeln!(out, "Unloaded modules:")?;
        for m in &space.unloaded_modules {
            writeln!(
                out,
                "{} {} {:<40} {:>12} {:<18} {}",
                windbg_addr(m.base_addr, bits),
                windbg_addr(m.base_addr.saturating_add(m.size_bytes), bits),
                m.name,
                human_size(m.size_bytes),
                "",
                format_utc(u64::from(m.timestamp))
            )?;
        }
    }
    Ok(())
}
