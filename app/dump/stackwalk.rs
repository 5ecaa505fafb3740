//! Stack walking: every thread's call stack, as minidump-processor
//! (minidump-stackwalk) walks it, converted into memscape's own types.
//!
//! [`walk_stacks`] re-reads the dump from [`AddressSpace::bytes`] and walks one
//! thread at a time with minidump-unwind's `walk_stack`, the unwinder
//! minidump-processor 0.27 runs inside `process_minidump`, set up the way the
//! processor sets it up: the thread that wrote the dump (Breakpad info) is
//! skipped; the crashing thread (the Exception stream's, else Breakpad's
//! requesting thread) starts from the exception context; the stack memory is
//! the thread's own, or the captured range that holds its stack pointer when
//! the thread's does not. Symbols come from the module's symbol files
//! (symbols/: Breakpad `.sym` through minidump-unwind's own `Symbolizer`,
//! then PDB, ELF and PE files found in folders or downloaded from servers);
//! with them frames get function, source line and CFI unwinding (`.sym`
//! STACK records, `.pdata`, `.eh_frame`), without them the walk uses frame
//! pointers and stack scanning. With Breakpad symbols or none the result
//! matches `process_minidump` frame for frame (tests/stackwalk.rs checks it
//! on the corpus); walking per thread is what gives per-thread progress,
//! keeps a panic in the unwinder to the thread it happened on, and lets the
//! stack memory be bounded.
//!
//! Bounds (a hostile dump must not hang memscape or exhaust memory): the
//! unwinder stops when the stack pointer stops growing or leaves the stack
//! memory, so the frame count is bounded by that memory's size; memscape walks
//! at most [`MAX_STACK_WINDOW_BYTES`] of it from the stack pointer up (noted on
//! the trace when it cuts) and keeps at most [`MAX_FRAMES`] frames per thread.
//! A panic in the unwinder or the symbol parser ends that thread's walk with
//! the frames found so far and a note; one outside the per-thread walks
//! becomes a [`DumpError::Corrupt`].
//!
//! Not done:
//! - Unwinding from module code captured in the dump itself (a full-memory
//!   dump holds `.pdata` and `.eh_frame`; minidumps never do): the unwind
//!   tables come from the module files symbols/ finds.
//! - Function arguments (the processor's unstable x86 argument recovery).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;

use minidump::format::{MINIDUMP_LOCATION_DESCRIPTOR, MINIDUMP_MEMORY_DESCRIPTOR};
use minidump::{
    Minidump, MinidumpBreakpadInfo, MinidumpContext, MinidumpException, MinidumpMemory, MinidumpMiscInfo,
    MinidumpModuleList, MinidumpSystemInfo, MinidumpThreadList, MinidumpThreadNames, UnifiedMemory, UnifiedMemoryList,
};
use minidump_unwind::{
    CallStack, CallStackInfo, FrameTrust as UnwindTrust, StackFrame as UnwindFrame, Symbolizer,
    SystemInfo as UnwindSystemInfo, simple_symbol_supplier, walk_stack,
};

use super::error::DumpError;
use super::frames::{MAX_FRAMES, StackTrace, convert_frames, describe_frames};
use super::model::AddressSpace;
use super::names::FunctionNames;
use super::symbols::{self, FetchWatch, ModuleSymbols, Provider, SymbolSources};

/// The most stack memory walked per thread, from the stack pointer up. Real
/// stacks are smaller (1 MiB is Windows' default reservation); a hostile dump
/// could otherwise make the unwinder produce a frame for every pointer of a
/// huge range.
pub const MAX_STACK_WINDOW_BYTES: u64 = 4 << 20;

/// Where symbols come from, and who watches the downloads.
#[derive(Clone, Debug, Default)]
pub struct WalkOptions {
    /// Folders, servers, cache and download limits. A `symbols` folder beside
    /// the dump is searched after the folders.
    pub symbols: SymbolSources,
    /// Download progress and cancel (the window's); `None` for the CLI.
    pub watch: Option<Arc<FetchWatch>>,
}

impl WalkOptions {
    /// Local folders only.
    pub fn with_dirs(dirs: Vec<PathBuf>) -> WalkOptions {
        WalkOptions { symbols: SymbolSources { dirs, ..SymbolSources::default() }, watch: None }
    }
}

/// Every thread's trace and what went wrong on the way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WalkResult {
    /// In the thread list's order.
    pub traces: Vec<StackTrace>,
    /// Every module's symbol status, in [`AddressSpace::modules`]' order.
    pub symbols: Vec<ModuleSymbols>,
    /// Sorted where they come from unordered sources; never fatal.
    pub warnings: Vec<String>,
    /// Function names for any address the walk's symbols cover (the Memory tab's pointers).
    pub names: FunctionNames,
}

impl WalkResult {
    /// The trace of thread `thread_id`.
    pub fn trace(&self, thread_id: u32) -> Option<&StackTrace> {
        self.traces.iter().find(|t| t.thread_id == thread_id)
    }
}

/// Walks every thread's stack. `progress(done, total)` is called before the
/// first thread and after each one, on the calling thread.
pub fn walk_stacks(
    space: &AddressSpace,
    opts: &WalkOptions,
    progress: &dyn Fn(usize, usize),
) -> Result<WalkResult, DumpError> {
    let mut warnings = Vec::new();
    match catch_unwind(AssertUnwindSafe(|| walk_all(space, opts, progress, &mut warnings))) {
        Ok(Ok((traces, symbols, names))) => Ok(WalkResult { traces, symbols, warnings, names }),
        Ok(Err(e)) => Err(e),
        Err(panic) => Err(DumpError::Corrupt {
            path: space.path.clone(),
            reason: format!("the stack walker failed on malformed data ({})", panic_text(panic.as_ref())),
        }),
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown failure".into())
}

fn walk_all(
    space: &AddressSpace,
    opts: &WalkOptions,
    progress: &dyn Fn(usize, usize),
    warnings: &mut Vec<String>,
) -> Result<(Vec<StackTrace>, Vec<ModuleSymbols>, FunctionNames), DumpError> {
    let corrupt = |reason: String| DumpError::Corrupt { path: space.path.clone(), reason };
    let dump =
        Minidump::read(space.walk_bytes()).map_err(|e| corrupt(format!("stack walking could not read it: {e}")))?;

    // The thread list and system info are required, as for minidump-processor.
    let threads = match dump.get_stream::<MinidumpThreadList>() {
        Ok(t) => t,
        Err(e) => {
            warnings.push(format!("no stacks walked: the thread list is unusable ({e})"));
            progress(0, 0);
            return Ok((Vec::new(), Vec::new(), FunctionNames::default()));
        }
    };
    let total = threads.threads.len();
    let Ok(dump_system) = dump.get_stream::<MinidumpSystemInfo>() else {
        warnings.push("no stacks walked: no SystemInfo stream (the CPU is unknown)".into());
        progress(total, total);
        let note = Some("not walked: no SystemInfo stream".to_string());
        let traces = threads
            .threads
            .iter()
            .map(|t| StackTrace { thread_id: t.raw.thread_id, frames: Vec::new(), note: note.clone() })
            .collect();
        return Ok((traces, Vec::new(), FunctionNames::default()));
    };
    let (os_version, os_build) = dump_system.os_parts();
    let system = UnwindSystemInfo {
        os: dump_system.os,
        os_version: Some(os_version),
        os_build,
        cpu: dump_system.cpu,
        cpu_info: dump_system.cpu_info().map(|s| s.into_owned()),
        cpu_microcode_version: None,
        cpu_count: dump_system.raw.number_of_processors as usize,
    };
    let misc = dump.get_stream::<MinidumpMiscInfo>().ok();
    let names = dump.get_stream::<MinidumpThreadNames>().unwrap_or_default();
    let (dump_thread_id, requesting_thread_id) = match dump.get_stream::<MinidumpBreakpadInfo>() {
        Ok(info) => (info.dump_thread_id, info.requesting_thread_id),
        Err(_) => (None, None),
    };
    let modules = dump.get_stream::<MinidumpModuleList>().unwrap_or_else(|_| MinidumpModuleList::new());
    let memory_list: UnifiedMemoryList<'_> = dump.get_memory().unwrap_or_default();
    let exception = dump.get_stream::<MinidumpException>().ok();
    let crashing_thread_id = exception.as_ref().map(|e| e.get_crashing_thread_id());
    let exception_context = exception.as_ref().and_then(|e| e.context(&dump_system, misc.as_ref()));

    let mut loaded = symbols::load(space, &opts.symbols, opts.watch.as_deref());
    warnings.append(&mut loaded.warnings);
    let symbolizer = Provider {
        breakpad: Symbolizer::new(simple_symbol_supplier(std::mem::take(&mut loaded.breakpad_dirs))),
        tables: std::mem::take(&mut loaded.tables),
        unwinder: loaded.unwinder.take(),
    };
    // The walked frames by trace index, converted once every thread is
    // walked: source lines and inlined frames are looked up per module in one batch.
    let mut walked_frames: Vec<(usize, Vec<UnwindFrame>)> = Vec::with_capacity(total);
    let mut traces = Vec::with_capacity(total);
    progress(0, total);
    for (i, thread) in threads.threads.iter().enumerate() {
        let id = thread.raw.thread_id;
        if dump_thread_id == Some(id) {
            traces.push(StackTrace {
                thread_id: id,
                frames: Vec::new(),
                note: Some("skipped: this thread wrote the dump".into()),
            });
            progress(i + 1, total);
            continue;
        }
        let thread_context = thread.context(&dump_system, misc.as_ref());
        let context: Option<&MinidumpContext> = if crashing_thread_id.or(requesting_thread_id) == Some(id) {
            exception_context.as_deref().or(thread_context.as_deref())
        } else {
            thread_context.as_deref()
        };
        let Some(context) = context else {
            traces.push(StackTrace { thread_id: id, frames: Vec::new(), note: Some("no context".into()) });
            progress(i + 1, total);
            continue;
        };
        let mut stack = CallStack {
            frames: vec![UnwindFrame::from_context(context.clone(), UnwindTrust::Context)],
            info: CallStackInfo::Ok,
            thread_id: id,
            thread_name: names.get_name(id).map(|n| n.into_owned()),
            last_error_value: None,
        };

        // The stack memory, chosen as minidump-processor chooses it.
        let sp = context.get_stack_pointer();
        let mut stack_memory = thread.stack_memory(&memory_list);
        if stack_memory.as_ref().and_then(|m| m.get_memory_at_address::<u64>(sp)).is_none() {
            stack_memory = memory_list.memory_at_address(sp).or(stack_memory);
        }
        let window = stack_memory.as_ref().and_then(|m| stack_window(m, sp));
        let mut note = None;
        if let Some(w) = &window {
            note = Some(format!(
                "truncated: {} MiB of stack memory walked from the stack pointer",
                MAX_STACK_WINDOW_BYTES >> 20
            ));
            stack_memory = Some(UnifiedMemory::Memory(w));
        }
        if stack_memory.as_ref().and_then(|m| m.memory_range()).is_none() {
            note = Some("no stack memory: only the context frame".into());
        }

        let walked = catch_unwind(AssertUnwindSafe(|| {
            pollster::block_on(walk_stack(i, (), &mut stack, stack_memory, &modules, &system, &symbolizer))
        }));
        if let Err(panic) = walked {
            let what = panic_text(panic.as_ref());
            warnings.push(format!("thread {id}: the stack walker failed ({what}); its trace is cut short"));
            note = Some(format!("walk failed: {what}"));
        }
        walked_frames.push((traces.len(), std::mem::take(&mut stack.frames)));
        traces.push(StackTrace { thread_id: id, frames: Vec::new(), note });
        progress(i + 1, total);
    }
    let described = describe_frames(
        space,
        &loaded.lines,
        walked_frames.iter().flat_map(|(_, frames)| frames.iter().take(MAX_FRAMES)),
    );
    for (ti, raw) in walked_frames {
        let t = &mut traces[ti];
        t.frames = convert_frames(space, &raw, &described, &symbolizer.tables);
        if t.frames.len() > MAX_FRAMES {
            t.note = Some(format!("truncated: {} frames walked, the first {MAX_FRAMES} kept", t.frames.len()));
            t.frames.truncate(MAX_FRAMES);
        }
    }

    let mut stats: Vec<_> = minidump_unwind::SymbolProvider::stats(&symbolizer).into_iter().collect();
    stats.sort_by(|a, b| a.0.cmp(&b.0));
    for (module, s) in &stats {
        if s.corrupt_symbols {
            warnings.push(format!("symbols for {module} could not be parsed"));
        }
    }
    if !opts.symbols.dirs.is_empty() {
        let found = stats.iter().filter(|(_, s)| s.loaded_symbols).count();
        warnings.push(format!("Breakpad symbols found for {found} of {} modules on the stacks", stats.len()));
    }
    let names = FunctionNames::keep(symbolizer, modules.iter().cloned().collect());
    Ok((traces, loaded.status, names))
}

/// A copy of `memory`'s descriptor covering at most [`MAX_STACK_WINDOW_BYTES`]
/// from the stack pointer (16-byte aligned down) up; `None` when it is small
/// enough already.
fn stack_window<'a>(memory: &UnifiedMemory<'_, 'a>, sp: u64) -> Option<MinidumpMemory<'a>> {
    let (base, bytes, endian) = match memory {
        UnifiedMemory::Memory(m) => (m.base_address, m.bytes, m.endian),
        UnifiedMemory::Memory64(m) => (m.base_address, m.bytes, m.endian),
    };
    if bytes.len() as u64 <= MAX_STACK_WINDOW_BYTES {
        return None;
    }
    let end = base.checked_add(bytes.len() as u64)?;
    let start = (sp & !0xF).clamp(base, end);
    let len = (end - start).min(MAX_STACK_WINDOW_BYTES);
    let offset = usize::try_from(start - base).ok()?;
    let slice = bytes.get(offset..offset.checked_add(usize::try_from(len).ok()?)?)?;
    Some(MinidumpMemory {
        desc: MINIDUMP_MEMORY_DESCRIPTOR {
            start_of_memory_range: start,
            memory: MINIDUMP_LOCATION_DESCRIPTOR { data_size: u32::try_from(len).ok()?, rva: 0 },
        },
        base_address: start,
        size: len,
        bytes: slice,
        endian,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_cuts_big_stacks_only() {
        let bytes = vec![0u8; (MAX_STACK_WINDOW_BYTES as usize) * 2];
        let mem = MinidumpMemory {
            desc: MINIDUMP_MEMORY_DESCRIPTOR {
                start_of_memory_range: 0x1000_0000,
                memory: MINIDUMP_LOCATION_DESCRIPTOR { data_size: bytes.len() as u32, rva: 0 },
            },
            base_address: 0x1000_0000,
            size: bytes.len() as u64,
            bytes: &bytes,
            endian: scroll::Endian::Little,
        };
        let w = stack_window(&UnifiedMemory::Memory(&mem), 0x1000_0108).expect("window");
        assert_eq!(w.base_address, 0x1000_0100);
        assert_eq!(w.size, MAX_STACK_WINDOW_BYTES);
        let small = MinidumpMemory { bytes: &bytes[..0x1000], size: 0x1000, ..mem.clone() };
        assert!(stack_window(&UnifiedMemory::Memory(&small), 0x1000_0108).is_none());
    }
}
