//! `memscape info`: the dump at a glance, in the spirit of `!address -summary`.

use std::io::Write;

use anyhow::Result;

use super::json;
use crate::dump::time::format_utc;
use crate::dump::{AddressSpace, RegionKind, RegionState, RegionType};
use crate::format::{hex, human_size, percent, windbg_addr};

pub fn run(space: &AddressSpace, as_json: bool, out: &mut dyn Write) -> Result<()> {
    if as_json {
        serde_json::to_writer_pretty(&mut *out, &json::info(space))?;
        writeln!(out)?;
        return Ok(());
    }
    let s = &space.system;
    let p = &space.process;
    let bits = s.pointer_bits;
    writeln!(out, "Dump        {} ({} bytes)", space.path.display(), space.file_size_bytes)?;
    writeln!(out, "Written     {}", format_utc(p.dump_time_unix))?;
    writeln!(out, "OS          {}", [s.os.as_str(), &s.os_version].join(" ").trim_end())?;
    let procs = if s.processor_count > 0 { format!(", {} processors", s.processor_count) } else { String::new() };
    let cpu = [s.cpu.as_str(), &s.cpu_description].join(" ");
    writeln!(out, "CPU         {}{procs}, {}-bit", cpu.trim_end(), bits)?;
    writeln!(out, "User space  0 .. {} ({})", windbg_addr(s.user_limit_addr, bits), s.user_limit_reason)?;
    let mut proc_line = match p.process_id {
        Some(pid) => format!("pid {pid} (0x{pid:x})"),
        None => "pid unknown".into(),
    };
    if let Some(t) = p.create_time_unix {
        proc_line += &format!(", started {}", format_utc(t));
    }
    if let (Some(u), Some(k)) = (p.user_time_s, p.kernel_time_s) {
        proc_line += &format!(", user {u} s, kernel {k} s");
    }
    writeln!(out, "Process     {proc_line}")?;
    if let Some(cmd) = &p.command_line {
        writeln!(out, "Command     {cmd}")?;
    }
    match &space.exception {
        Some(e) => {
            let at = e.instruction_addr.unwrap_or(e.address);
            let mut line = format!("{} (0x{:08x}) at {}", e.name, e.code, windbg_addr(at, bits));
            if let Some(m) = space.module_at(at) {
                line += &format!(" in {}", m.name);
            }
            if let Some(t) = e.target_addr {
                let verb = e.access.map(|a| a.name()).unwrap_or("accessing");
                line += &format!(", {verb} {}", hex(t));
            }
            line += &format!(", thread {} (0x{:x})", e.thread_id, e.thread_id);
            writeln!(out, "Exception   {line}")?;
        }
        None => writeln!(out, "Exception   none")?,
    }
    let handles = space.handles.as_ref().map(|h| format!(", {} handles", h.total)).unwrap_or_default();
    writeln!(
        out,
        "Contents    {} modules ({} unloaded), {} threads{handles}, {} captured in {} ranges",
        space.modules.len(),
        space.unloaded_modules.len(),
        space.threads.len(),
        human_size(space.captured.total_bytes()),
        space.captured.ranges().len()
    )?;
    let source_note = match space.region_source {
        crate::dump::RegionSource::Synthesized => {
            " — the dump has no region list: regions come from modules, stacks and captured memory; the rest is Unknown"
                .to_string()
        }
        _ => format!(" ({} entries)", space.source_entry_count),
    };
    writeln!(out, "Regions     {} from {}{source_note}", space.regions.len(), space.region_source.name())?;
    if let Some(peb) = space.peb_addr {
        let heaps: Vec<String> = space.heaps.iter().map(|h| hex(h.base_addr)).collect();
        writeln!(out, "PEB         {}, {} heaps: {}", hex(peb), space.heaps.len(), heaps.join(" "))?;
    }
    writeln!(out)?;

    summary_table(space, out)?;

    if let Some((base, size)) = space.largest_free() {
        writeln!(out)?;
        writeln!(
            out,
            "Largest free region: base {} - size {} ({})",
            windbg_addr(base, bits),
            windbg_addr(size, bits),
            human_size(size)
        )?;
    }
    if let Some(h) = &space.handles {
        writeln!(out)?;
        writeln!(out, "--- Handles by type ({}) ---", h.total)?;
        let mut by: Vec<_> = h.by_type.iter().collect();
        by.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (ty, n) in by {
            writeln!(out, "{ty:<24}{n:>8}")?;
        }
    }
    if !space.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "Warnings:")?;
        for w in &space.warnings {
            writeln!(out, "  {w}")?;
        }
    }
    Ok(())
}

/// Usage, state and type summaries with region counts, sizes and shares.
fn summary_table(space: &AddressSpace, out: &mut dyn Write) -> Result<()> {
    let bits = space.system.pointer_bits;
    let total: u64 = space.regions.iter().map(|r| r.size_bytes).sum();
    let busy: u64 = space
        .regions
        .iter()
        .filter(|r| !matches!(r.kind, RegionKind::Free | RegionKind::Unknown))
        .map(|r| r.size_bytes)
        .sum();
    let row = |out: &mut dyn Write, name: &str, count: usize, bytes: u64, of_busy: bool| -> Result<()> {
        let busy_pct = if of_busy { percent(bytes, busy) } else { String::new() };
        writeln!(
            out,
            "{name:<24}{count:>10}  {:>17} ({:>12}) {busy_pct:>8} {:>8}",
            windbg_addr(bytes, bits),
            human_size(bytes),
            percent(bytes, total)
        )?;
        Ok(())
    };
    writeln!(out, "--- Usage Summary ---------- RgnCount ----------- Total Size ------------ %ofBusy %ofTotal")?;
    let by_kind = space.bytes_by_kind();
    let count_by_kind = space.regions_by_kind();
    let mut kinds: Vec<RegionKind> = RegionKind::ALL.iter().copied().filter(|k| count_by_kind[k] > 0).collect();
    kinds.sort_by(|a, b| by_kind[b].cmp(&by_kind[a]).then(a.cmp(b)));
    for k in kinds {
        row(out, k.name(), count_by_kind[&k], by_kind[&k], !matches!(k, RegionKind::Free | RegionKind::Unknown))?;
    }
    writeln!(out)?;
    writeln!(out, "--- State Summary ---------- RgnCount ----------- Total Size ------------ %ofBusy %ofTotal")?;
    for st in [RegionState::Commit, RegionState::Reserve, RegionState::Free, RegionState::Unknown] {
        let rs: Vec<_> = space.regions.iter().filter(|r| r.state == st).collect();
        if !rs.is_empty() {
            let name = match st {
                RegionState::Commit => "MEM_COMMIT",
                RegionState::Reserve => "MEM_RESERVE",
                RegionState::Free => "MEM_FREE",
                RegionState::Unknown => "(unknown)",
            };
            row(
                out,
                name,
                rs.len(),
                rs.iter().map(|r| r.size_bytes).sum(),
                matches!(st, RegionState::Commit | RegionState::Reserve),
            )?;
        }
    }
    writeln!(out)?;
    writeln!(out, "--- Type Summary (for busy) - RgnCount ----------- Total Size ------------ %ofBusy %ofTotal")?;
    for (ty, name) in
        [(RegionType::Image, "MEM_IMAGE"), (RegionType::Mapped, "MEM_MAPPED"), (RegionType::Private, "MEM_PRIVATE")]
    {
        let rs: Vec<_> = space.regions.iter().filter(|r| r.ty == Some(ty) && r.state != RegionState::Free).collect();
        if !rs.is_empty() {
            row(out, name, rs.len(), rs.iter().map(|r| r.size_bytes).sum(), true)?;
        }
    }
    Ok(())
}
