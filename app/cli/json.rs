//! The JSON shapes of DESIGN.md's command-line contract. Addresses are
//! lower-case hex strings, sizes are integers in bytes; field names are fixed.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dump::symbols::ModuleSymbols;
use crate::dump::time::format_iso8601;
use crate::dump::{AddressSpace, DebugInfo, Owner, Region, StackFrame, WalkResult};
use crate::format::hex;

#[derive(Serialize)]
pub struct InfoJson {
    pub file: String,
    pub file_size: u64,
    pub os: String,
    pub os_version: String,
    pub cpu: String,
    pub cpu_description: String,
    pub processor_count: u32,
    pub pointer_bits: u32,
    pub user_limit: String,
    pub process_id: Option<u32>,
    pub process_create_time: Option<String>,
    pub process_user_time_s: Option<u32>,
    pub process_kernel_time_s: Option<u32>,
    pub command_line: Option<String>,
    pub dump_time: String,
    pub module_count: usize,
    pub unloaded_module_count: usize,
    pub thread_count: usize,
    pub region_count: usize,
    pub region_source: &'static str,
    pub source_entry_count: usize,
    pub memory_info_states: Option<BTreeMap<&'static str, usize>>,
    pub bytes_by_kind: BTreeMap<&'static str, u64>,
    pub regions_by_kind: BTreeMap<&'static str, usize>,
    pub captured_bytes: u64,
    pub largest_free: Option<RangeJson>,
    pub peb: Option<String>,
    pub heaps: Vec<HeapJson>,
    pub handle_count: Option<u64>,
    pub handles_by_type: Option<BTreeMap<String, u64>>,
    pub streams: Vec<String>,
    pub exception: Option<ExceptionJson>,
    pub warnings: Vec<String>,
}

#[derive(Serialize)]
pub struct RangeJson {
    pub base: String,
    pub size: u64,
}

#[derive(Serialize)]
pub struct HeapJson {
    pub index: usize,
    pub base: String,
}

#[derive(Serialize)]
pub struct ExceptionJson {
    pub code: String,
    pub name: String,
    pub detail: String,
    pub flags: String,
    pub address: String,
    pub instruction_address: Option<String>,
    pub target_address: Option<String>,
    pub access: Option<&'static str>,
    pub parameters: Vec<String>,
    pub thread_id: u32,
}

pub fn info(space: &AddressSpace) -> InfoJson {
    let s = &space.system;
    let p = &space.process;
    InfoJson {
        file: space.path.display().to_string(),
        file_size: space.file_size_bytes,
        os: s.os.clone(),
        os_version: s.os_version.clone(),
        cpu: s.cpu.clone(),
        cpu_description: s.cpu_description.clone(),
        processor_count: s.processor_count,
        pointer_bits: s.pointer_bits,
        user_limit: hex(s.user_limit_addr),
        process_id: p.process_id,
        process_create_time: p.create_time_unix.map(format_iso8601),
        process_user_time_s: p.user_time_s,
        process_kernel_time_s: p.kernel_time_s,
        command_line: p.command_line.clone(),
        dump_time: format_iso8601(p.dump_time_unix),
        module_count: space.modules.len(),
        unloaded_module_count: space.unloaded_modules.len(),
        thread_count: space.threads.len(),
        region_count: space.regions.len(),
        region_source: space.region_source.name(),
        source_entry_count: space.source_entry_count,
        memory_info_states: space.memory_info_states.map(|c| {
            BTreeMap::from([("FREE", c.free), ("COMMIT", c.commit), ("RESERVE", c.reserve), ("OTHER", c.other)])
        }),
        bytes_by_kind: space.bytes_by_kind().into_iter().map(|(k, v)| (k.name(), v)).collect(),
        regions_by_kind: space.regions_by_kind().into_iter().map(|(k, v)| (k.name(), v)).collect(),
        captured_bytes: space.captured.total_bytes(),
        largest_free: space.largest_free().map(|(base, size)| RangeJson { base: hex(base), size }),
        peb: space.peb_addr.map(hex),
        heaps: space.heaps.iter().map(|h| HeapJson { index: h.index, base: hex(h.base_addr) }).collect(),
        handle_count: space.handles.as_ref().map(|h| h.total),
        handles_by_type: space.handles.as_ref().map(|h| h.by_type.clone()),
        streams: space.streams.iter().map(|s| s.name.clone()).collect(),
        exception: space.exception.as_ref().map(|e| ExceptionJson {
            // A core's code is the signal number as DESIGN.md spells it ("0xb").
            code: if space.region_source == crate::dump::RegionSource::ElfCore {
                format!("{:#x}", e.code)
            } else {
                format!("0x{:08x}", e.code)
            },
            name: e.name.clone(),
            detail: e.detail.clone(),
            flags: format!("0x{:x}", e.flags),
            address: hex(e.address),
            instruction_address: e.instruction_addr.map(hex),
            target_address: e.target_addr.map(hex),
            access: e.access.map(|a| a.name()),
            parameters: e.parameters.iter().map(|p| hex(*p)).collect(),
            thread_id: e.thread_id,
        }),
        warnings: space.warnings.clone(),
    }
}

#[derive(Serialize)]
pub struct RegionJson {
    pub base: String,
    pub end: String,
    pub size: u64,
    pub state: &'static str,
    #[serde(rename = "type")]
    pub ty: Option<&'static str>,
    pub protect: String,
    pub alloc_protect: String,
    pub alloc_base: String,
    pub kind: &'static str,
    pub label: String,
    pub owner: OwnerJson,
    pub captured_bytes: u64,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OwnerJson {
    None,
    Module { name: String },
    Heap { index: usize },
    Thread { id: u32 },
    File { path: String },
}

pub fn region(space: &AddressSpace, r: &Region) -> RegionJson {
    RegionJson {
        base: hex(r.base_addr),
        end: hex(r.end_addr()),
        size: r.size_bytes,
        state: r.state.name(),
        ty: r.ty.map(|t| t.name()),
        protect: r.protect.to_string(),
        alloc_protect: r.alloc_protect.to_string(),
        alloc_base: hex(r.alloc_base_addr),
        kind: r.kind.name(),
        label: r.label.to_string(),
        owner: match &r.owner {
            Owner::None => OwnerJson::None,
            Owner::Module(i) => {
                OwnerJson::Module { name: space.modules.get(*i as usize).map(|m| m.name.clone()).unwrap_or_default() }
            }
            Owner::Heap(i) => OwnerJson::Heap { index: *i as usize },
            Owner::Thread(id) => OwnerJson::Thread { id: *id },
            Owner::File => OwnerJson::File { path: r.label.to_string() },
        },
        captured_bytes: r.captured_bytes,
    }
}

#[derive(Serialize)]
pub struct ModuleJson {
    pub name: String,
    pub path: String,
    pub base: String,
    pub end: String,
    pub size: u64,
    pub timestamp: u32,
    pub timestamp_utc: String,
    pub checksum: String,
    pub file_version: Option<String>,
    pub product_version: Option<String>,
    pub debug_file: Option<String>,
    pub debug_guid: Option<String>,
    pub debug_age: Option<u32>,
    pub build_id: Option<String>,
    pub debug_id: Option<String>,
    pub unloaded: bool,
    /// Which symbol files serve the module; null for unloaded modules.
    pub symbols: Option<SymbolsJson>,
}

/// A module's symbol status: "found" or "not found", the files used and the
/// files refused.
#[derive(Serialize)]
pub struct SymbolsJson {
    pub status: &'static str,
    pub files: Vec<SymbolFileJson>,
    pub problems: Vec<String>,
}

#[derive(Serialize)]
pub struct SymbolFileJson {
    /// pe, elf, pdb, debug (a separate ELF debug file) or breakpad.
    pub kind: &'static str,
    pub path: String,
    /// symstore tree, .build-id tree, symbol folder, system debug folder,
    /// module path, PDB path in the module, symbol cache, symbol server,
    /// debuginfod.
    pub origin: &'static str,
    /// unwind, functions, lines.
    pub gives: Vec<&'static str>,
    /// Where it was downloaded from in this run; null otherwise.
    pub url: Option<String>,
}

pub fn symbols(s: &ModuleSymbols) -> SymbolsJson {
    SymbolsJson {
        status: s.status(),
        files: s
            .files
            .iter()
            .map(|f| SymbolFileJson {
                kind: f.kind,
                path: f.path.clone(),
                origin: f.origin,
                gives: f.gives.clone(),
                url: f.url.clone(),
            })
            .collect(),
        problems: s.problems.clone(),
    }
}

/// Every module; `status[i]` is module i's symbol status.
pub fn modules(space: &AddressSpace, status: &[ModuleSymbols]) -> Vec<ModuleJson> {
    let loaded = space.modules.iter().enumerate().map(|(i, m)| {
        let (debug_file, debug_guid, debug_age, build_id) = match &m.debug {
            Some(DebugInfo::Pdb70 { pdb_name, guid, age }) => {
                (Some(pdb_name.clone()), Some(guid.clone()), Some(*age), None)
            }
            Some(DebugInfo::Pdb20 { pdb_name, signature, age }) => {
                (Some(pdb_name.clone()), Some(format!("{signature:08x}")), Some(*age), None)
            }
            Some(DebugInfo::BuildId(id)) => (None, None, None, Some(id.clone())),
            None => (None, None, None, None),
        };
        ModuleJson {
            name: m.name.clone(),
            path: m.path.clone(),
            base: hex(m.base_addr),
            end: hex(m.end_addr()),
            size: m.size_bytes,
            timestamp: m.timestamp,
            timestamp_utc: format_iso8601(u64::from(m.timestamp)),
            checksum: format!("0x{:08x}", m.checksum),
            file_version: m.file_version.map(|v| v.to_string()),
            product_version: m.product_version.map(|v| v.to_string()),
            debug_file,
            debug_guid,
            debug_age,
            build_id,
            debug_id: m.debug_id.clone(),
            unloaded: false,
            symbols: status.get(i).map(symbols),
        }
    });
    let unloaded = space.unloaded_modules.iter().map(|m| ModuleJson {
        name: m.name.clone(),
        path: m.path.clone(),
        base: hex(m.base_addr),
        end: hex(m.base_addr.saturating_add(m.size_bytes)),
        size: m.size_bytes,
        timestamp: m.timestamp,
        timestamp_utc: format_iso8601(u64::from(m.timestamp)),
        checksum: format!("0x{:08x}", m.checksum),
        file_version: None,
        product_version: None,
        debug_file: None,
        debug_guid: None,
        debug_age: None,
        build_id: None,
        debug_id: None,
        unloaded: true,
        symbols: None,
    });
    loaded.chain(unloaded).collect()
}

#[derive(Serialize)]
pub struct ThreadJson {
    pub id: u32,
    pub name: Option<String>,
    pub crashed: bool,
    pub teb: String,
    pub stack_base: String,
    pub stack_end: String,
    pub stack_captured_bytes: u64,
    pub sp: Option<String>,
    pub ip: Option<String>,
    pub ip_module: Option<String>,
    pub suspend_count: u32,
    pub priority: u32,
    pub user_time_ms: Option<u64>,
    pub kernel_time_ms: Option<u64>,
    pub create_time: Option<String>,
    pub start_address: Option<String>,
    /// The stack trace, innermost frame first; null without `--stacks`.
    pub frames: Option<Vec<FrameJson>>,
    /// Why the trace is empty or short ("no context", "truncated: ..."); null otherwise.
    pub stack_note: Option<String>,
}

/// One frame of `threads --stacks --json`.
#[derive(Serialize)]
pub struct FrameJson {
    pub index: usize,
    pub instruction: String,
    pub module: Option<String>,
    pub function: Option<String>,
    /// The function offset when a function is known, else the module offset.
    pub offset: Option<String>,
    pub module_offset: Option<String>,
    pub function_offset: Option<String>,
    /// Source file and line, from the module's DWARF, PDB or Breakpad symbols.
    pub file: Option<String>,
    pub line: Option<u32>,
    /// A function inlined into the real frame that follows it.
    pub inlined: bool,
    /// context, cfi, frame_pointer, scan, cfi_scan, prewalked, inline or none.
    pub trust: &'static str,
    /// The registers the unwinder recovered for this frame, in the CPU's order; null for inlined frames.
    pub registers: Option<RegistersJson>,
}

/// Register name -> "0x..." as a JSON object, in the order given.
pub struct RegistersJson(pub Vec<(String, String)>);

impl Serialize for RegistersJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

pub fn frame(f: &StackFrame) -> FrameJson {
    FrameJson {
        index: f.index,
        instruction: hex(f.instruction_addr),
        module: f.module.clone(),
        function: f.function.clone(),
        offset: if f.function.is_some() { f.function_offset.or(f.module_offset) } else { f.module_offset }.map(hex),
        module_offset: f.module_offset.map(hex),
        function_offset: f.function_offset.map(hex),
        file: f.source.as_ref().map(|(file, _)| file.clone()),
        line: f.source.as_ref().map(|(_, line)| *line),
        inlined: f.trust == crate::dump::FrameTrust::Inline,
        trust: f.trust.name(),
        registers: (!f.registers.is_empty())
            .then(|| RegistersJson(f.registers.iter().map(|(r, v)| (r.clone(), hex(*v))).collect())),
    }
}

/// The threads; with `walk` (from `--stacks`) each one's frames.
pub fn threads(space: &AddressSpace, walk: Option<&WalkResult>) -> Vec<ThreadJson> {
    space
        .threads
        .iter()
        .enumerate()
        .map(|(i, t)| {
            // Traces follow the thread list; fall back to the id if the lists disagree.
            let trace = walk.and_then(|w| w.traces.get(i).filter(|tr| tr.thread_id == t.id).or_else(|| w.trace(t.id)));
            ThreadJson {
                id: t.id,
                name: t.name.clone(),
                crashed: t.crashed,
                teb: hex(t.teb_addr),
                // stack_base is the lowest captured stack address, stack_end one past the highest.
                stack_base: hex(t.stack_start_addr),
                stack_end: hex(t.stack_end_addr),
                stack_captured_bytes: t.stack_captured_bytes,
                sp: t.sp.map(hex),
                ip: t.ip.map(hex),
                ip_module: t.ip.and_then(|ip| space.module_at(ip)).map(|m| m.name.clone()),
                suspend_count: t.suspend_count,
                priority: t.priority,
                user_time_ms: t.user_time_ms,
                kernel_time_ms: t.kernel_time_ms,
                create_time: t.create_time_unix.map(format_iso8601),
                start_address: t.start_addr.map(hex),
                frames: walk.map(|_| trace.map(|tr| tr.frames.iter().map(frame).collect()).unwrap_or_default()),
                stack_note: trace.and_then(|tr| tr.note.clone()),
            }
        })
        .collect()
}

/// A list written as it is found: JSON array elements (one a line) or text
/// lines, keeping the first write error (a closed pipe) so the scan feeding
/// it can stop.
pub struct StreamedRows<'a> {
    out: &'a mut dyn std::io::Write,
    json: bool,
    first: bool,
    failed: Option<std::io::Error>,
}

impl<'a> StreamedRows<'a> {
    /// Starts the list (a JSON array's `[`).
    pub fn start(out: &'a mut dyn std::io::Write, json: bool) -> std::io::Result<StreamedRows<'a>> {
        if json {
            out.write_all(b"[")?;
        }
        Ok(StreamedRows { out, json, first: true, failed: None })
    }

    /// Writes one row: `row` as JSON, or what `text` writes.
    pub fn row<T: Serialize>(
        &mut self,
        row: impl FnOnce() -> T,
        text: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> std::ops::ControlFlow<()> {
        let written = if self.json {
            let sep: &[u8] = if self.first { b"\n  " } else { b",\n  " };
            self.out
                .write_all(sep)
                .and_then(|()| serde_json::to_writer(&mut *self.out, &row()).map_err(std::io::Error::other))
        } else {
            text(&mut *self.out)
        };
        self.first = false;
        match written {
            Ok(()) => std::ops::ControlFlow::Continue(()),
            Err(e) => {
                self.failed = Some(e);
                std::ops::ControlFlow::Break(())
            }
        }
    }

    /// Ends the list (the array's `]`), or returns the write error that stopped it.
    pub fn finish(self) -> std::io::Result<()> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.json {
            self.out.write_all(if self.first { b"]\n" } else { b"\n]\n" })?;
        }
        Ok(())
    }
}
