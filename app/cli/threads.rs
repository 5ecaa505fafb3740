//! `memscape threads`: every thread with its stack range, registers and CPU
//! times, the crashing one marked, like WinDbg's `~*`; with `--stacks`, every
//! thread's call stack as dump/ walks it, like `~*kb` or minidump-stackwalk.

use std::io::Write;

use anyhow::Result;

use super::json;
use super::timings::Timings;
use crate::dump::{AddressSpace, WalkOptions, WalkResult, walk_stacks};
use crate::format::{human_size, windbg_addr};

/// Prints the threads; with `walk`, walks and prints their stacks too. The
/// walk's warnings go to stderr with `--json`, after the listing without.
pub fn run(
    space: &AddressSpace,
    as_json: bool,
    walk: Option<&WalkOptions>,
    timings: &mut Timings,
    out: &mut dyn Write,
) -> Result<()> {
    let walked = timings.time("stackwalk", || walk.map(|opts| walk_stacks(space, opts, &|_, _| {})).transpose())?;
    timings.time("output", || write(space, as_json, walked.as_ref(), out))
}

fn write(space: &AddressSpace, as_json: bool, walked: Option<&WalkResult>, out: &mut dyn Write) -> Result<()> {
    if as_json {
        serde_json::to_writer_pretty(&mut *out, &json::threads(space, walked))?;
        writeln!(out)?;
        for w in walked.iter().flat_map(|w| &w.warnings) {
            eprintln!("warning: {w}");
        }
        return Ok(());
    }
    match walked {
        Some(w) => stacks_text(space, w, out),
        None => table_text(space, out),
    }
}

fn table_text(space: &AddressSpace, out: &mut dyn Write) -> Result<()> {
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

/// Per thread a `~*kb`-style header, then one line per frame:
/// `# 00 module!function+0xoff [instruction] (trust)`.
fn stacks_text(space: &AddressSpace, walk: &WalkResult, out: &mut dyn Write) -> Result<()> {
    let bits = space.system.pointer_bits;
    for (i, t) in space.threads.iter().enumerate() {
        let trace = walk.traces.get(i).filter(|tr| tr.thread_id == t.id).or_else(|| walk.trace(t.id));
        let name = t.name.as_deref().map(|n| format!("  \"{n}\"")).unwrap_or_default();
        writeln!(
            out,
            "{}{:>3}  Id: {:x}  Teb: {}{name}{}",
            if t.crashed { '.' } else { ' ' },
            i,
            t.id,
            windbg_addr(t.teb_addr, bits),
            if t.crashed { "  (crashed)" } else { "" },
        )?;
        let Some(trace) = trace else {
            writeln!(out, "    <no trace>")?;
            writeln!(out)?;
            continue;
        };
        if trace.frames.is_empty() {
            writeln!(out, "    <no frames>")?;
        }
        for f in &trace.frames {
            // WinDbg's `module!function+0x29 [C:\src\app.c @ 6]`.
            let source = f.source.as_ref().map(|(file, line)| format!(" [{file} @ {line}]")).unwrap_or_default();
            writeln!(
                out,
                " # {:02x} {}  {}{source}  ({})",
                f.index,
                windbg_addr(f.instruction_addr, bits),
                f.location(),
                f.trust.name(),
            )?;
        }
        if let Some(note) = &trace.note {
            writeln!(out, "    ({note})")?;
        }
        writeln!(out)?;
    }
    for w in &walk.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(())
}
