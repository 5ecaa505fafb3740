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
//! the thread's does not. Symbols come from a `Symbolizer` over Breakpad
//! `.sym` trees (`module/DEBUGID/module.sym`); with them frames get function,
//! source line and CFI unwinding, without them the walk uses frame pointers
//! and stack scanning. The result matches `process_minidump` frame for frame
//! (tests/stackwalk.rs checks it on the corpus); walking per thread is what
//! gives per-thread progress, keeps a panic in the unwinder to the thread it
//! happened on, and lets the stack memory be bounded.
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
//! - Windows x64 `.pdata`/`UNWIND_INFO` unwinding (what WinDbg and framehop
//!   do) from module code captured in the dump. minidump-unwind 0.27 unwinds
//!   amd64 with CFI from `.sym` files (which Breakpad's dump_syms derives from
//!   `.pdata`), else frame pointers and scanning; its own framehop path
//!   (feature `debuginfo`) reads module files from disk, not dump memory.
//!   Without symbols, amd64 Windows stacks are therefore scan/frame-pointer
//!   quality. Reading `.pdata` from the dump itself would only help full-memory
//!   dumps: minidumps capture at most a module's first page and a few hundred
//!   bytes around code addresses, never its `.pdata` section (none of the
//!   corpus's Windows x64 dumps holds one).
//! - Symbol servers: this build has no HTTP client; URLs given in
//!   [`WalkOptions::symbol_urls`] are ignored with a warning.
//! - Function arguments (the processor's unstable x86 argument recovery).

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

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
use super::model::AddressSpace;
use super::symbols::{self, Described, ModuleSymbols, Provider, SymbolFileUse};

/// The most stack memory walked per thread, from the stack pointer up. Real
/// stacks are smaller (1 MiB is Windows' default reservation); a hostile dump
/// could otherwise make the unwinder produce a frame for every pointer of a
/// huge range.
pub const MAX_STACK_WINDOW_BYTES: u64 = 4 << 20;

/// The most frames kept per thread (a deep recursion keeps its innermost ones).
pub const MAX_FRAMES: usize = 20_000;

/// How a frame was found, in minidump-processor's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FrameTrust {
    /// The instruction pointer of the thread's (or the exception's) context.
    Context,
    /// Call frame information from symbols.
    Cfi,
    /// The previous frame's frame pointer.
    FramePointer,
    /// Stack scanning: a pointer into a module's code found on the stack.
    Scan,
    /// Stack scanning guided by call frame information.
    CfiScan,
    /// Given by an external stack walker.
    Prewalked,
    /// A function inlined into the real frame that follows it.
    Inline,
    /// Unknown.
    None,
}

impl FrameTrust {
    /// minidump-processor's spelling ("context", "cfi", "frame_pointer", ...).
    /// (minidump-unwind 0.27 itself spells `None` "non", a typo; this says "none".)
    pub fn name(self) -> &'static str {
        match self {
            FrameTrust::Context => "context",
            FrameTrust::Cfi => "cfi",
            FrameTrust::FramePointer => "frame_pointer",
            FrameTrust::Scan => "scan",
            FrameTrust::CfiScan => "cfi_scan",
            FrameTrust::Prewalked => "prewalked",
            FrameTrust::Inline => "inline",
            FrameTrust::None => "none",
        }
    }

    /// How the frame was found, in words (minidump-stackwalk's descriptions).
    pub fn description(self) -> &'static str {
        match self {
            FrameTrust::Context => "given as instruction pointer in context",
            FrameTrust::Cfi => "call frame info",
            FrameTrust::FramePointer => "previous frame's frame pointer",
            FrameTrust::Scan => "stack scanning",
            FrameTrust::CfiScan => "call frame info with scanning",
            FrameTrust::Prewalked => "recovered by external stack walker",
            FrameTrust::Inline => "inlined function",
            FrameTrust::None => "unknown",
        }
    }

    fn from_unwind(t: UnwindTrust) -> FrameTrust {
        match t {
            UnwindTrust::Context => FrameTrust::Context,
            UnwindTrust::CallFrameInfo => FrameTrust::Cfi,
            UnwindTrust::FramePointer => FrameTrust::FramePointer,
            UnwindTrust::Scan => FrameTrust::Scan,
            UnwindTrust::CfiScan => FrameTrust::CfiScan,
            UnwindTrust::PreWalked => FrameTrust::Prewalked,
            UnwindTrust::None => FrameTrust::None,
        }
    }
}

/// One frame of a call stack; frame 0 is the innermost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackFrame {
    /// Position in the trace (inlined frames count, as minidump-stackwalk numbers them).
    pub index: usize,
    /// The context's instruction pointer for frame 0; for callers, an address
    /// inside the call instruction (the return address less one), as
    /// minidump-processor reports it.
    pub instruction_addr: u64,
    /// File name of the module holding the instruction ("ntdll.dll"); for an
    /// address inside an unloaded module, WinDbg's `<Unloaded_name>`.
    pub module: Option<String>,
    /// Index into [`AddressSpace::modules`].
    pub module_index: Option<usize>,
    /// The function, when symbols name it.
    pub function: Option<String>,
    /// `instruction_addr` less the function's start.
    pub function_offset: Option<u64>,
    /// `instruction_addr` less the module's base.
    pub module_offset: Option<u64>,
    /// Source file and line, when symbols give them.
    pub source: Option<(String, u32)>,
    pub trust: FrameTrust,
    /// The frame's registers the unwinder could recover ("rip", "rsp", ...),
    /// in the CPU's usual order; empty for inlined frames.
    pub registers: Vec<(String, u64)>,
}

impl StackFrame {
    /// WinDbg's `module!function+0xoff`, `module+0xoff` without symbols, or the bare address.
    pub fn location(&self) -> String {
        match (&self.module, &self.function) {
            (Some(m), Some(f)) => match self.function_offset {
                Some(off) if off > 0 => format!("{m}!{f}+0x{off:x}"),
                _ => format!("{m}!{f}"),
            },
            (None, Some(f)) => match self.function_offset {
                Some(off) if off > 0 => format!("{f}+0x{off:x}"),
                _ => f.clone(),
            },
            (Some(m), None) => match self.module_offset {
                Some(off) => format!("{m}+0x{off:x}"),
                None => m.clone(),
            },
            (None, None) => format!("0x{:x}", self.instruction_addr),
        }
    }
}

/// One thread's call stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackTrace {
    pub thread_id: u32,
    /// Innermost first; empty when the thread could not be walked (see `note`).
    pub frames: Vec<StackFrame>,
    /// Why the trace is empty or short: "no context", "no stack memory",
    /// "skipped: this thread wrote the dump", "truncated: ...", "walk failed: ...".
    pub note: Option<String>,
}

/// A `symbols` folder beside the dump file, searched after the given ones:
/// a dump shipped with its Breakpad symbols (the bundled demo's
/// `assets/demo/symbols`) names its frames without options.
pub const SYMBOLS_BESIDE_DUMP: &str = "symbols";

/// The symbol paths to search: the options', then the folder beside the dump.
fn symbol_paths(space: &AddressSpace, opts: &WalkOptions) -> Vec<PathBuf> {
    let mut dirs = opts.symbol_dirs.clone();
    if let Some(beside) = space.path.parent().map(|d| d.join(SYMBOLS_BESIDE_DUMP))
        && beside.is_dir()
        && !dirs.contains(&beside)
    {
        dirs.push(beside);
    }
    dirs
}

/// Where symbols come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WalkOptions {
    /// Breakpad symbol trees (`module/DEBUGID/module.sym`), or single `.sym`
    /// files; a `symbols` folder beside the dump is searched after them.
    pub symbol_dirs: Vec<PathBuf>,
    /// HTTP symbol servers (opt-in). This build has no HTTP support: they are
    /// ignored with a warning in the result.
    pub symbol_urls: Vec<String>,
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
    if !opts.symbol_urls.is_empty() {
        warnings.push(format!(
            "symbol servers ignored ({}): this build of memscape has no HTTP support; \
             download the .sym files and pass their directory instead",
            opts.symbol_urls.join(", ")
        ));
    }
    for dir in &opts.symbol_dirs {
        if !dir.exists() {
            warnings.push(format!("symbol path {} does not exist", dir.display()));
        }
    }
    match catch_unwind(AssertUnwindSafe(|| walk_all(space, opts, progress, &mut warnings))) {
        Ok(Ok((traces, symbols))) => Ok(WalkResult { traces, symbols, warnings }),
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
) -> Result<(Vec<StackTrace>, Vec<ModuleSymbols>), DumpError> {
    let corrupt = |reason: String| DumpError::Corrupt { path: space.path.clone(), reason };
    let dump = Minidump::read(space.bytes()).map_err(|e| corrupt(format!("stack walking could not read it: {e}")))?;

    // The thread list and system info are required, as for minidump-processor.
    let threads = match dump.get_stream::<MinidumpThreadList>() {
        Ok(t) => t,
        Err(e) => {
            warnings.push(format!("no stacks walked: the thread list is unusable ({e})"));
            progress(0, 0);
            return Ok((Vec::new(), Vec::new()));
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
        return Ok((traces, Vec::new()));
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

    let paths = symbol_paths(space, opts);
    let mut loaded = symbols::load(space, &paths);
    let symbolizer = Provider {
        breakpad: Symbolizer::new(simple_symbol_supplier(paths)),
        tables: std::mem::take(&mut loaded.tables),
        unwinder: loaded.unwinder.take(),
    };
    // The walked frames, converted once every thread is walked: source lines
    // and inlined frames are looked up per module in one batch.
    let mut walked_stacks: Vec<(u32, Vec<UnwindFrame>, Option<String>)> = Vec::with_capacity(total);
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
        walked_stacks.push((id, std::mem::take(&mut stack.frames), note));
        traces.push(StackTrace { thread_id: id, frames: Vec::new(), note: Some(PENDING.into()) });
        progress(i + 1, total);
    }
    let described = describe_frames(space, &loaded.lines, &walked_stacks);
    let mut walked = walked_stacks.into_iter();
    for t in &mut traces {
        // The threads that were walked took the empty places, in order.
        if t.frames.is_empty()
            && t.note.as_deref() == Some(PENDING)
            && let Some((_, raw, note)) = walked.next()
        {
            let mut frames = convert_frames(space, &raw, &described, &symbolizer.tables);
            t.note = note;
            if frames.len() > MAX_FRAMES {
                t.note = Some(format!("truncated: {} frames walked, the first {MAX_FRAMES} kept", frames.len()));
                frames.truncate(MAX_FRAMES);
            }
            t.frames = frames;
        }
    }

    let mut stats: Vec<_> = minidump_unwind::SymbolProvider::stats(&symbolizer).into_iter().collect();
    stats.sort_by(|a, b| a.0.cmp(&b.0));
    for (module, s) in &stats {
        if s.corrupt_symbols {
            warnings.push(format!("symbols for {module} could not be parsed"));
        }
    }
    if !opts.symbol_dirs.is_empty() {
        let found = stats.iter().filter(|(_, s)| s.loaded_symbols).count();
        warnings.push(format!("Breakpad symbols found for {found} of {} modules on the stacks", stats.len()));
    }
    let mut status = loaded.status;
    for st in &mut status {
        let name = &space.modules[st.module_index].name;
        if let Some(s) = stats.iter().find(|(m, s)| m == name && s.loaded_symbols).map(|(_, s)| s) {
            st.files.insert(
                0,
                SymbolFileUse {
                    kind: "breakpad",
                    path: s.symbol_url.clone().unwrap_or_default(),
                    origin: "symbol folder",
                    gives: vec!["functions", "lines", "unwind"],
                },
            );
        }
    }
    Ok((traces, status))
}

/// The note a walked thread's trace holds until its frames are converted.
const PENDING: &str = "walk pending";

/// Source lines and inlined frames for every walked frame in a module with
/// line tables, one batch per module.
fn describe_frames(
    space: &AddressSpace,
    lines: &HashMap<usize, symbols::Lines>,
    stacks: &[(u32, Vec<UnwindFrame>, Option<String>)],
) -> HashMap<(usize, u64), Described> {
    let mut wanted: HashMap<usize, Vec<u64>> = HashMap::new();
    for f in stacks.iter().flat_map(|(_, frames, _)| frames.iter().take(MAX_FRAMES)) {
        if let Some(i) = frame_module(space, f)
            && lines.contains_key(&i)
            && let Some(rva) = f.instruction.checked_sub(space.modules[i].base_addr)
        {
            wanted.entry(i).or_default().push(rva);
        }
    }
    let mut out = HashMap::new();
    for (i, mut rvas) in wanted {
        rvas.sort_unstable();
        rvas.dedup();
        let base = space.modules[i].base_addr;
        for (rva, d) in rvas.iter().zip(lines[&i].describe(&rvas)) {
            if let Some(d) = d {
                out.insert((i, base + rva), d);
            }
        }
    }
    out
}

/// The index of the module (in [`AddressSpace::modules`]) that holds a walked frame.
fn frame_module(space: &AddressSpace, f: &UnwindFrame) -> Option<usize> {
    let base = f.module.as_ref()?.raw.base_of_image;
    space
        .module_index_at(f.instruction)
        .filter(|i| space.modules[*i].base_addr == base)
        .or_else(|| space.modules.iter().position(|sm| sm.base_addr == base))
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

/// minidump-unwind's frames as memscape's, inlined functions expanded before
/// the real frame that holds them (minidump-stackwalk's numbering). Where a
/// module's DWARF or PDB described the address (`described`), its function,
/// line and inlined frames replace what the walk had.
fn convert_frames(
    space: &AddressSpace,
    frames: &[UnwindFrame],
    described: &HashMap<(usize, u64), Described>,
    tables: &HashMap<u64, symbols::FunctionTable>,
) -> Vec<StackFrame> {
    let mut out = Vec::with_capacity(frames.len());
    for f in frames.iter().take(MAX_FRAMES.saturating_add(1)) {
        let addr = f.instruction;
        let (module, module_index, module_offset) = match &f.module {
            Some(m) => {
                let base = m.raw.base_of_image;
                (Some(file_name(&m.name)), frame_module(space, f), addr.checked_sub(base))
            }
            None => {
                match space.unloaded_modules.iter().find(|u| addr >= u.base_addr && addr - u.base_addr < u.size_bytes) {
                    Some(u) => {
                        (Some(format!("<Unloaded_{}>", file_name(&u.name))), None, addr.checked_sub(u.base_addr))
                    }
                    None => (None, None, None),
                }
            }
        };
        if let Some(i) = module_index
            && let Some(d) = described.get(&(i, addr))
        {
            push_described(
                &mut out,
                f,
                d,
                space.modules[i].base_addr,
                tables.get(&space.modules[i].base_addr),
                module.clone(),
                module_index,
                module_offset,
            );
            continue;
        }
        for inline in &f.inlines {
            out.push(StackFrame {
                index: out.len(),
                instruction_addr: addr,
                module: module.clone(),
                module_index,
                function: Some(inline.function_name.clone()),
                function_offset: None,
                module_offset,
                source: inline.source_file_name.clone().zip(inline.source_line),
                trust: FrameTrust::Inline,
                registers: Vec::new(),
            });
        }
        out.push(StackFrame {
            index: out.len(),
            instruction_addr: addr,
            module,
            module_index,
            function: f.function_name.clone(),
            function_offset: f.function_base.and_then(|b| addr.checked_sub(b)),
            module_offset,
            source: f.source_file_name.clone().zip(f.source_line),
            trust: FrameTrust::from_unwind(f.trust),
            registers: f.context.valid_registers().map(|(r, v)| (r.to_string(), v)).collect(),
        });
    }
    out
}

/// A frame a DWARF or PDB file described: its inlined functions first, then
/// the real frame. The function's start comes from the description (PDB) or
/// the function table (ELF symbols), so the offset is the real one.
#[allow(clippy::too_many_arguments)]
fn push_described(
    out: &mut Vec<StackFrame>,
    f: &UnwindFrame,
    d: &Described,
    base: u64,
    table: Option<&symbols::FunctionTable>,
    module: Option<String>,
    module_index: Option<usize>,
    module_offset: Option<u64>,
) {
    let addr = f.instruction;
    for (name, source) in &d.inlines {
        out.push(StackFrame {
            index: out.len(),
            instruction_addr: addr,
            module: module.clone(),
            module_index,
            function: Some(name.clone()),
            function_offset: None,
            module_offset,
            source: source.clone(),
            trust: FrameTrust::Inline,
            registers: Vec::new(),
        });
    }
    let rva = addr.wrapping_sub(base);
    let from_table = table.and_then(|t| t.lookup(rva));
    let start = d.function_start.or_else(|| from_table.map(|t| t.start));
    let function = d.function.clone().or_else(|| from_table.map(|t| t.name.to_string())).or(f.function_name.clone());
    out.push(StackFrame {
        index: out.len(),
        instruction_addr: addr,
        module,
        module_index,
        function,
        function_offset: start.and_then(|s| rva.checked_sub(s)),
        module_offset,
        source: d.source.clone(),
        trust: FrameTrust::from_unwind(f.trust),
        registers: f.context.valid_registers().map(|(r, v)| (r.to_string(), v)).collect(),
    });
}

/// The last path component, for '/' and '\\' paths alike.
fn file_name(path: &str) -> String {
    path.rsplit(['/', '\\']).next().unwrap_or(path).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_names_are_minidump_processors() {
        assert_eq!(FrameTrust::from_unwind(UnwindTrust::CallFrameInfo).name(), "cfi");
        assert_eq!(FrameTrust::from_unwind(UnwindTrust::FramePointer).name(), "frame_pointer");
        assert_eq!(FrameTrust::from_unwind(UnwindTrust::CfiScan).name(), "cfi_scan");
        assert_eq!(FrameTrust::from_unwind(UnwindTrust::PreWalked).name(), "prewalked");
        assert_eq!(FrameTrust::from_unwind(UnwindTrust::None).name(), "none");
        assert_eq!(FrameTrust::Inline.name(), "inline");
    }

    #[test]
    fn file_names() {
        assert_eq!(file_name("C:\\Windows\\System32\\ntdll.dll"), "ntdll.dll");
        assert_eq!(file_name("/usr/lib/libc.so.6"), "libc.so.6");
        assert_eq!(file_name("app"), "app");
    }

    #[test]
    fn locations() {
        let mut f = StackFrame {
            index: 0,
            instruction_addr: 0x401234,
            module: Some("app.exe".into()),
            module_index: Some(0),
            function: None,
            function_offset: None,
            module_offset: Some(0x1234),
            source: None,
            trust: FrameTrust::Context,
            registers: Vec::new(),
        };
        assert_eq!(f.location(), "app.exe+0x1234");
        f.function = Some("main".into());
        f.function_offset = Some(0x34);
        assert_eq!(f.location(), "app.exe!main+0x34");
        f.module = None;
        f.function = None;
        assert_eq!(f.location(), "0x401234");
    }

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
