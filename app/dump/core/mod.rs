//! Linux ELF core files (the kernel's, gdb's `gcore`), x86-64 and AArch64.
//!
//! A core is read into the same model as a minidump by way of a small
//! minidump view (view.rs, Breakpad's `core2md` idea): the ELF headers and
//! notes are decoded (elf.rs, notes.rs), the mappings named and the modules
//! found (maps.rs), and the view written with the threads, modules, signal,
//! mappings and command line. The minidump readers then build the model
//! from the view, and open.rs puts the core back under it: the bytes,
//! captured memory (each segment's `p_filesz` bytes), the region source
//! `elf_core`, the note list. The stack walker walks the view.

pub mod elf;
mod maps;
mod notes;
mod view;

use std::collections::BTreeMap;

use super::captured::{CapturedMemory, CapturedRange};
use super::model::StreamEntry;

/// What open.rs needs from a core.
pub(crate) struct CoreRead {
    /// The minidump view (threads, modules, signal, mappings).
    pub view: Vec<u8>,
    /// Every segment's bytes in the core.
    pub captured: CapturedMemory,
    /// Every mapping's range (segments and NT_FILE ranges), sorted and
    /// disjoint: a thread's stack is the whole mapping holding its pointer.
    pub mappings: Vec<(u64, u64)>,
    /// The notes, listed where a minidump lists its streams.
    pub notes: Vec<StreamEntry>,
    /// A thread took a signal the core gives no fault address for: no
    /// NT_SIGINFO (qemu's cores), or one sent by a process (si_code <= 0).
    pub no_fault_address: Option<&'static str>,
    pub warnings: Vec<String>,
}

/// Reads the core in `bytes`; the error says why it cannot be used at all.
/// `core_dir`: the folder the core is in (a relative executable name is
/// looked for there).
pub(crate) fn read(bytes: &[u8], core_dir: Option<&std::path::Path>) -> Result<CoreRead, String> {
    let parsed = elf::read(bytes)?;
    let mut warnings = parsed.warnings;
    let notes = notes::decode(&parsed.notes, parsed.machine);
    warnings.extend(notes.warnings.iter().cloned());
    if notes.threads.is_empty() {
        warnings.push("no thread (NT_PRSTATUS) in the core: no registers, no stacks".into());
    }
    let captured = CapturedMemory::from_ranges(
        parsed
            .segments
            .iter()
            .map(|s| CapturedRange { base_addr: s.vaddr, size_bytes: s.file_size, file_offset: s.file_offset })
            .collect(),
    );
    let mut mappings = maps::mappings(&parsed.segments, &notes);
    maps::protect_file_only(&mut mappings, &captured, bytes);
    maps::name_executable(&mut mappings, &notes, &captured, bytes, core_dir);
    let maps_text = maps::maps_text(&mappings);
    let (modules, module_warnings) = maps::modules(&mappings, &captured, bytes);
    warnings.extend(module_warnings);
    // The thread the kernel stopped with a signal comes first; gcore stops
    // no thread with one, and a core without a signal has no exception.
    let signaled = notes.threads.iter().position(|t| t.signal != 0);
    let (view, view_warnings) = view::write(&view::ViewInputs {
        machine: parsed.machine,
        notes: &notes,
        modules: &modules,
        maps_text: &maps_text,
        captured: &captured,
        core: bytes,
        signaled,
    })?;
    warnings.extend(view_warnings);
    let no_fault_address = signaled.and_then(|i| match notes.threads[i].siginfo {
        None => Some("the core has no NT_SIGINFO: the faulting address is unknown"),
        Some(si) if si.code <= 0 => Some("sent by a process (kill, tgkill, raise), not a fault"),
        Some(_) => None,
    });
    Ok(CoreRead {
        view,
        captured,
        mappings: mappings.iter().map(|m| (m.start, m.end)).collect(),
        notes: note_list(&notes.seen),
        no_fault_address,
        warnings,
    })
}

fn note_list(seen: &BTreeMap<String, (u32, u32, u64)>) -> Vec<StreamEntry> {
    seen.iter()
        .map(|(name, (n_type, count, bytes))| StreamEntry {
            stream_type: *n_type,
            name: if *count > 1 { format!("{name} ×{count}") } else { name.clone() },
            size_bytes: u32::try_from(*bytes).unwrap_or(u32::MAX),
        })
        .collect()
}
