//! Walked frames (minidump-unwind's) converted into memscape's [`StackFrame`]s:
//! the module each lies in, inlined functions expanded before the real frame,
//! and, where the module's DWARF or PDB was found, its function, source line
//! and inlined frames looked up in one batch per module after the walk.

use std::collections::HashMap;

use minidump_unwind::{FrameTrust as UnwindTrust, StackFrame as UnwindFrame};

use super::model::AddressSpace;
use super::read_modules::file_name;
use super::symbols::{self, Described};

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

/// A module's name as WinDbg writes it in `module!function`: a PE image's
/// file name without its extension, other dots made underscores
/// (`ntdll.dll` -> `ntdll`, `mscorlib.ni.dll` -> `mscorlib_ni`); other
/// files' names (`libc.so.6`) as they are.
pub fn windbg_module_name(name: &str) -> String {
    const PE_EXTENSIONS: [&str; 8] = [".dll", ".exe", ".sys", ".drv", ".ocx", ".cpl", ".scr", ".efi"];
    let lower = name.to_ascii_lowercase();
    match PE_EXTENSIONS.iter().find(|e| lower.ends_with(*e) && lower.len() > e.len()) {
        Some(e) => name[..name.len() - e.len()].replace('.', "_"),
        None => name.to_string(),
    }
}

impl StackFrame {
    /// WinDbg's `module!function+0xoff`, `module+0xoff` without symbols, or
    /// the bare address; the module named as [`windbg_module_name`] names it.
    pub fn location(&self) -> String {
        let module = self.module.as_deref().map(windbg_module_name);
        match (&module, &self.function) {
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

/// Source lines and inlined frames for every walked frame in a module with
/// line tables, one batch per module.
pub(super) fn describe_frames<'a>(
    space: &AddressSpace,
    lines: &HashMap<usize, symbols::Lines>,
    frames: impl Iterator<Item = &'a UnwindFrame>,
) -> HashMap<(usize, u64), Described> {
    let mut wanted: HashMap<usize, Vec<u64>> = HashMap::new();
    for f in frames {
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

/// minidump-unwind's frames as memscape's, inlined functions expanded before
/// the real frame that holds them (minidump-stackwalk's numbering). Where a
/// module's DWARF or PDB described the address (`described`), its function,
/// line and inlined frames replace what the walk had; the function's start
/// then comes from the description (PDB) or the module's function table (ELF
/// symbols), so the offset is the real one.
pub(super) fn convert_frames(
    space: &AddressSpace,
    frames: &[UnwindFrame],
    described: &HashMap<(usize, u64), Described>,
    tables: &HashMap<u64, symbols::FunctionTable>,
) -> Vec<StackFrame> {
    let mut out = Vec::with_capacity(frames.len());
    for f in frames.iter().take(MAX_FRAMES.saturating_add(1)) {
        let addr = f.instruction;
        let (module, module_index, module_offset) = match &f.module {
            Some(m) => (Some(file_name(&m.name)), frame_module(space, f), addr.checked_sub(m.raw.base_of_image)),
            None => {
                match space.unloaded_modules.iter().find(|u| addr >= u.base_addr && addr - u.base_addr < u.size_bytes) {
                    // The model's unloaded-module names are file names already.
                    Some(u) => (Some(format!("<Unloaded_{}>", u.name)), None, addr.checked_sub(u.base_addr)),
                    None => (None, None, None),
                }
            }
        };
        let described = module_index.and_then(|i| described.get(&(i, addr)).map(|d| (i, d)));
        let (inlines, function, function_offset, source) = match described {
            Some((i, d)) => {
                let from_table =
                    tables.get(&space.modules[i].base_addr).zip(module_offset).and_then(|(t, rva)| t.lookup(rva));
                let start = d.function_start.or_else(|| from_table.map(|t| t.start));
                let function =
                    d.function.clone().or_else(|| from_table.map(|t| t.name.to_string())).or(f.function_name.clone());
                let offset = start.zip(module_offset).and_then(|(s, rva)| rva.checked_sub(s));
                (d.inlines.clone(), function, offset, d.source.clone())
            }
            None => (
                f.inlines
                    .iter()
                    .map(|i| (i.function_name.clone(), i.source_file_name.clone().zip(i.source_line)))
                    .collect(),
                f.function_name.clone(),
                f.function_base.and_then(|b| addr.checked_sub(b)),
                f.source_file_name.clone().zip(f.source_line),
            ),
        };
        for (name, inline_source) in inlines {
            out.push(StackFrame {
                index: out.len(),
                instruction_addr: addr,
                module: module.clone(),
                module_index,
                function: Some(name),
                function_offset: None,
                module_offset,
                source: inline_source,
                trust: FrameTrust::Inline,
                registers: Vec::new(),
            });
        }
        out.push(StackFrame {
            index: out.len(),
            instruction_addr: addr,
            module,
            module_index,
            function,
            function_offset,
            module_offset,
            source,
            trust: FrameTrust::from_unwind(f.trust),
            registers: f.context.valid_registers().map(|(r, v)| (r.to_string(), v)).collect(),
        });
    }
    out
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
        assert_eq!(f.location(), "app+0x1234");
        f.function = Some("main".into());
        f.function_offset = Some(0x34);
        assert_eq!(f.location(), "app!main+0x34");
        f.module = Some("libc.so.6".into());
        assert_eq!(f.location(), "libc.so.6!main+0x34");
        assert_eq!(windbg_module_name("mscorlib.ni.dll"), "mscorlib_ni");
        assert_eq!(windbg_module_name("KERNELBASE.DLL"), "KERNELBASE");
        assert_eq!(windbg_module_name(".dll"), ".dll");
        f.module = None;
        f.function = None;
        assert_eq!(f.location(), "0x401234");
    }
}
