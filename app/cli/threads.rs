//! `memscape threads`: every thread with its stack range, registers and CPU
//! times, the crashing one marked, like WinDbg's `~*`.

use std::io::Write;

use anyhow::Result;

use super::json;
use crate::dump::AddressSpace;
use crate::format::{human_size, windbg_addr};

pub fn run(space: &AddressSpace, as_json: bool, out: &mut dyn Write) -> Result<()> {
    if as_json {
        serde_json::to_writer_pretty(&mut *out, &json::threads(space))?;
        writeln!(out)?;
        return Ok(());
    }
    let bits = space.system.pointer_bits;
    let w = if bits == 64 { 17 } else { 8 };
    writeln!(
        out,
        "  {:>4} {:>8} {:<w$} {:<w$} {:<w$} {:>10} {:<w$} {:<w$} {:>10} {:>10}  Where / name",
        "#", "Id", "TEB", "Stack", "StackEnd", "Captured", "SP", "IP", "User ms", "Kernel ms"
    )?;
    for (i, t) in space.threads.iter().enumerate() {
        let opt = |v: Option<u64>| v.map(|a| windbg_addr(a, bits)).unwrap_or_else(|| "-".into());
        let time = |v: Option<u64>| v.map(|t| t.to_string()).unwrap_or_else(|| "-".into());
        let location = t.ip.and_then(|ip| space.module_at(ip)).map(|m| m.name.clone()).unwrap_or_default();
        let name = t.name.as_deref().map(|n| format!(" \"{n}\"")).unwrap_or_default();
        writeln!(
            out,
            "{} {:>4} {:>8} {} {} {} {:>10} {:<w$} {:<w$} {:>10} {:>10}  {location}{name}",
            if t.crashed { '.' } else { ' ' },
            i,
            format!("{:x}", t.id),
            windbg_addr(t.teb_addr, bits),
            windbg_addr(t.stack_start_addr, bits),
            windbg_addr(t.stack_end_addr, bits),
            human_size(t.stack_captured_bytes),
            opt(t.sp),
            opt(t.ip),
            time(t.user_time_ms),
            time(t.kernel_time_ms),
        )?;
    }
    Ok(())
}
