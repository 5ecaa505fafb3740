//! The pattern tests' dump builder: a [`Spec`] says what a minidump-synth dump
//! holds (modules and their versions, an exception, the crashing thread's
//! stack words, other threads, CPU times, handles, a comment, the region list,
//! captured ranges), [`build`] writes it; [`check`] runs every rule on a dump
//! where one must fire and on its near miss where it must not.

use memscape::analysis::patterns::{Finding, analyze};
use memscape::dump::{AddressSpace, FrameTrust, StackFrame, StackTrace, WalkResult};
use minidump::format::VS_FIXEDFILEINFO;
use minidump_synth::{
    DumpString, Exception, HandleDescriptor, Memory, MemoryInfo, Module, STOCK_VERSION_INFO, SimpleStream,
    SynthMinidump, Thread, UnloadedModule,
};
use test_assembler::Section;

use super::synth::{
    Flavour, LE, MEM_COMMIT, MEM_IMAGE, MEM_PRIVATE, MEM_RESERVE, PAGE_EXECUTE_READ, PAGE_EXECUTE_WRITECOPY,
    PAGE_GUARD, PAGE_READONLY, PAGE_READWRITE, free, mem_info, with_memory_info,
};
use super::write_scratch;

pub const CRASH_TID: u32 = 0x1a2c;
pub const STACK_BASE: u64 = 0x50_0000;
pub const STACK_END: u64 = 0x60_0000;
pub const CODE: u64 = 0x40_1010;
pub const STATUS_ACCESS_VIOLATION: u32 = 0xC000_0005;

/// What a generated dump holds. Layout (amd64 Windows 10 unless `flavour`):
/// 0x10000 committed private data, 0x20000 reserved, app.exe at 0x400000
/// (header, .text RX at 0x401000, .data RW at 0x402000), the crashing thread's
/// stack allocation 0x500000..0x600000 (guard page at 0x5fc000), free above.
pub struct Spec {
    pub flavour: Flavour,
    pub modules: Vec<(u64, u32, String)>,
    /// File versions of modules, by path (others get minidump-synth's stock one).
    pub versions: Vec<(String, [u16; 4])>,
    pub unloaded: Vec<(u64, u32, String)>,
    /// (code, parameters)
    pub exception: Option<(u32, Vec<u64>)>,
    /// The exception record's flags (Linux writers store si_code there).
    pub exception_flags: u32,
    pub ip: u64,
    pub sp: u64,
    /// The crashing thread's captured stack page (the page holding sp).
    pub stack_words: Vec<(u64, u64)>,
    /// Extra threads (ids) with small stacks.
    pub other_threads: Vec<u32>,
    /// ThreadInfoList: (id, user ms, kernel ms).
    pub times: Vec<(u32, u64, u64)>,
    pub handles: usize,
    pub comment: bool,
    /// Replaces the MemoryInfoList entries (the default layout's).
    pub entries: Option<Vec<MemoryInfo>>,
    pub captured: Vec<(u64, usize)>,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec {
            flavour: Flavour::Amd64Win10,
            modules: vec![(0x40_0000, 0x3000, "C:\\app\\app.exe".into())],
            versions: vec![],
            unloaded: vec![],
            exception: None,
            exception_flags: 0,
            ip: CODE,
            sp: 0x5F_F800,
            stack_words: vec![],
            other_threads: vec![],
            times: vec![],
            handles: 0,
            comment: false,
            entries: None,
            captured: vec![],
        }
    }
}

pub fn av(kind: u64, addr: u64) -> Option<(u32, Vec<u64>)> {
    Some((STATUS_ACCESS_VIOLATION, vec![kind, addr]))
}

pub fn code(c: u32) -> Option<(u32, Vec<u64>)> {
    Some((c, vec![]))
}

pub fn default_entries(f: Flavour) -> Vec<MemoryInfo> {
    let rw = PAGE_READWRITE;
    let private = |base, size, state, protect| mem_info(base, base, rw, size, state, protect, MEM_PRIVATE);
    let stack = |base, size, state, protect| mem_info(base, STACK_BASE, rw, size, state, protect, MEM_PRIVATE);
    let image =
        |base, protect| mem_info(base, 0x40_0000, PAGE_EXECUTE_WRITECOPY, 0x1000, MEM_COMMIT, protect, MEM_IMAGE);
    vec![
        free(0, 0x1_0000),
        private(0x1_0000, 0x1_0000, MEM_COMMIT, rw),
        private(0x2_0000, 0x1_0000, MEM_RESERVE, 0),
        free(0x3_0000, 0x40_0000),
        image(0x40_0000, PAGE_READONLY),
        image(0x40_1000, PAGE_EXECUTE_READ),
        image(0x40_2000, rw),
        free(0x40_3000, STACK_BASE),
        stack(STACK_BASE, 0xF_C000, MEM_RESERVE, 0),
        stack(0x5F_C000, 0x1000, MEM_COMMIT, rw | PAGE_GUARD),
        stack(0x5F_D000, 0x3000, MEM_COMMIT, rw),
        free(STACK_END, f.top_of_entries()),
    ]
}

pub fn ptr(f: Flavour, v: u64) -> Vec<u8> {
    f.ptr(v)
}

pub fn build(spec: Spec) -> SynthMinidump {
    let f = spec.flavour;
    let mut dump = SynthMinidump::with_endian(LE).add_system_info(f.system_info());
    for (base, size, path) in &spec.modules {
        let name = DumpString::new(path, LE);
        let version = spec.versions.iter().find(|(p, _)| p == path).map(|(_, [a, b, c, d])| VS_FIXEDFILEINFO {
            file_version_hi: (u32::from(*a) << 16) | u32::from(*b),
            file_version_lo: (u32::from(*c) << 16) | u32::from(*d),
            ..STOCK_VERSION_INFO
        });
        dump = dump.add_module(Module::new(LE, *base, *size, &name, 0x5f00_0000, 0, version.as_ref())).add(name);
    }
    for (base, size, path) in &spec.unloaded {
        let name = DumpString::new(path, LE);
        dump = dump.add_unloaded_module(UnloadedModule::new(LE, *base, *size, &name, 0x5f00_0000, 0)).add(name);
    }
    let entries = spec.entries.unwrap_or_else(|| default_entries(f));
    dump = with_memory_info(dump, entries);

    // The crashing thread: one captured page around sp.
    let page = spec.sp & !0xFFF;
    let mut bytes = vec![0u8; 0x1000];
    for (addr, v) in &spec.stack_words {
        let at = (addr - page) as usize;
        let p = ptr(f, *v);
        bytes[at..at + p.len()].copy_from_slice(&p);
    }
    let stack = Memory::with_section(Section::with_endian(LE).append_bytes(&bytes), page);
    let context = f.context(spec.ip, spec.sp);
    dump = dump.add_thread(Thread::new(LE, CRASH_TID, &stack, &context)).add_memory(stack).add(context);
    for (i, id) in spec.other_threads.iter().enumerate() {
        let base = 0x7000_0000 + i as u64 * 0x1_0000;
        let stack = Memory::with_section(Section::with_endian(LE).append_repeated(0, 0x100), base);
        let context = f.context(CODE, base + 0x80);
        dump = dump.add_thread(Thread::new(LE, *id, &stack, &context)).add_memory(stack).add(context);
    }
    if let Some((c, params)) = spec.exception {
        let mut e = Exception::new(LE);
        e.thread_id = CRASH_TID;
        e.exception_record.exception_code = c;
        e.exception_record.exception_flags = spec.exception_flags;
        e.exception_record.exception_address = spec.ip;
        e.exception_record.number_parameters = params.len() as u32;
        for (i, p) in params.iter().enumerate() {
            e.exception_record.exception_information[i] = *p;
        }
        dump = dump.add_exception(e);
    }
    if !spec.times.is_empty() {
        // MINIDUMP_THREAD_INFO_LIST: 12-byte header, 64-byte entries (100 ns units).
        let mut s = Section::with_endian(LE).D32(12).D32(64).D32(spec.times.len() as u32);
        for (id, user, kernel) in &spec.times {
            s = s.D32(*id).D32(0).D32(0).D32(0).D64(0).D64(0).D64(kernel * 10_000).D64(user * 10_000).D64(0).D64(0);
        }
        dump = dump.add_stream(SimpleStream { stream_type: 17, section: s });
    }
    for i in 0..spec.handles {
        dump = dump.add_handle_descriptor(HandleDescriptor::new(LE, 4 * i as u64 + 4, None, None, 0, 0, 1, 1));
    }
    if spec.comment {
        let text: Vec<u8> = "checked by QA\0".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        dump = dump.add_stream(SimpleStream { stream_type: 11, section: Section::with_endian(LE).append_bytes(&text) });
    }
    for (addr, len) in spec.captured {
        dump = dump.add_memory(Memory::with_section(Section::with_endian(LE).append_repeated(0xCC, len), addr));
    }
    dump
}

pub fn open_bytes(tag: &str, bytes: &[u8]) -> AddressSpace {
    let path = write_scratch(tag, bytes);
    let space = AddressSpace::open(&path).unwrap_or_else(|e| panic!("{tag}: {e}"));
    let _ = std::fs::remove_file(&path);
    space
}

pub fn open_spec(tag: &str, spec: Spec) -> AddressSpace {
    open_bytes(tag, &build(spec).finish().expect("synth dump"))
}

pub fn frame(index: usize, addr: u64, function: Option<&str>) -> StackFrame {
    StackFrame {
        index,
        instruction_addr: addr,
        module: Some("ntdll.dll".into()),
        module_index: None,
        function: function.map(str::to_string),
        function_offset: Some(0x14),
        module_offset: None,
        source: None,
        trust: if index == 0 { FrameTrust::Context } else { FrameTrust::Cfi },
        registers: vec![],
    }
}

/// One trace per (thread, functions innermost first).
pub fn traces(threads: &[(u32, &[&str])]) -> WalkResult {
    WalkResult {
        traces: threads
            .iter()
            .map(|(id, fns)| StackTrace {
                thread_id: *id,
                frames: fns
                    .iter()
                    .enumerate()
                    .map(|(i, f)| frame(i, 0x7700_1000 + i as u64 * 0x10, (!f.is_empty()).then_some(*f)))
                    .collect(),
                note: None,
            })
            .collect(),
        ..Default::default()
    }
}

pub fn names(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|f| f.name).collect()
}

pub fn fires(name: &str, space: &AddressSpace, walk: Option<&WalkResult>) -> Finding {
    let found = analyze(space, walk);
    found.iter().find(|f| f.name == name).cloned().unwrap_or_else(|| panic!("{name} did not fire: {:?}", names(&found)))
}

pub fn silent(name: &str, space: &AddressSpace, walk: Option<&WalkResult>) {
    let found = analyze(space, walk);
    assert!(!found.iter().any(|f| f.name == name), "{name} fired on its near miss: {found:#?}");
}

/// Fires on `hit`, not on `miss` (same traces for both).
pub fn check(name: &str, hit: Spec, miss: Spec, walk: Option<&WalkResult>) -> Finding {
    let f = fires(name, &open_spec(name, hit), walk);
    silent(name, &open_spec(name, miss), walk);
    assert!(f.confidence > 0.0 && f.confidence <= 1.0, "{name}: confidence {}", f.confidence);
    assert!(!f.summary.is_empty() && !f.evidence.is_empty(), "{name}: {f:#?}");
    f
}
