//! minidump-synth builders for the integration tests: Windows dumps with a
//! MemoryInfoList (x86, amd64 on Windows 10 and 7), a Linux dump with a
//! LinuxMaps stream, a dump with neither, and a Windows dump whose PEB and
//! heaps can be found through a thread's TEB in captured memory.

use minidump_synth::{
    DumpString, ExListStream, Exception, ListStream, Memory, MemoryInfo, Module, SectionExtra, SynthMinidump,
    SystemInfo, Thread, amd64_context, x86_context,
};
use test_assembler::{Endian, Section};

pub const LE: Endian = Endian::Little;
pub const GIB: u64 = 1 << 30;
pub const TIB: u64 = 1 << 40;

pub const MEM_COMMIT: u32 = 0x1000;
pub const MEM_RESERVE: u32 = 0x2000;
pub const MEM_FREE: u32 = 0x10000;
pub const MEM_PRIVATE: u32 = 0x20000;
pub const MEM_MAPPED: u32 = 0x40000;
pub const MEM_IMAGE: u32 = 0x100_0000;

pub const PAGE_NOACCESS: u32 = 0x01;
pub const PAGE_READONLY: u32 = 0x02;
pub const PAGE_READWRITE: u32 = 0x04;
pub const PAGE_EXECUTE_READ: u32 = 0x20;
pub const PAGE_EXECUTE_WRITECOPY: u32 = 0x80;
pub const PAGE_GUARD: u32 = 0x100;

pub const PROCESSOR_ARCHITECTURE_INTEL: u16 = 0;
pub const PROCESSOR_ARCHITECTURE_AMD64: u16 = 9;
pub const VER_PLATFORM_WIN32_NT: u32 = 2;
pub const PLATFORM_LINUX: u32 = 0x8201;
pub const THREAD_LIST_STREAM: u32 = 3;
pub const MEMORY_INFO_LIST_STREAM: u32 = 16;

/// The Windows flavours the variants run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// 32-bit Windows 10 process (no WOW64 modules): 2 GiB.
    X86,
    /// 64-bit Windows 10: 128 TiB.
    Amd64Win10,
    /// 64-bit Windows 7 (6.1): 8 TiB.
    Amd64Win7,
}

impl Flavour {
    pub const ALL: [Flavour; 3] = [Flavour::X86, Flavour::Amd64Win10, Flavour::Amd64Win7];

    pub fn is_64(self) -> bool {
        self != Flavour::X86
    }

    pub fn pointer_bits(self) -> u32 {
        if self.is_64() { 64 } else { 32 }
    }

    pub fn cpu(self) -> &'static str {
        if self.is_64() { "amd64" } else { "x86" }
    }

    pub fn user_limit(self) -> u64 {
        match self {
            Flavour::X86 => 2 * GIB,
            Flavour::Amd64Win10 => 128 * TIB,
            Flavour::Amd64Win7 => 8 * TIB,
        }
    }

    /// Where the last MemoryInfoList entry (free space) ends, below the limit.
    pub fn top_of_entries(self) -> u64 {
        self.user_limit() - 0x2_0000
    }

    pub fn system_info(self) -> SystemInfo {
        let arch = if self.is_64() { PROCESSOR_ARCHITECTURE_AMD64 } else { PROCESSOR_ARCHITECTURE_INTEL };
        let mut s = SystemInfo::new(LE).set_processor_architecture(arch).set_platform_id(VER_PLATFORM_WIN32_NT);
        let (major, minor, build) = if self == Flavour::Amd64Win7 { (6, 1, 7601) } else { (10, 0, 19045) };
        s.major_version = major;
        s.minor_version = minor;
        s.build_number = build;
        s
    }

    pub fn context(self, ip: u64, sp: u64) -> Section {
        if self.is_64() { amd64_context(LE, ip, sp) } else { x86_context(LE, ip as u32, sp as u32) }
    }

    /// A pointer in the process's width.
    pub fn ptr(self, v: u64) -> Vec<u8> {
        if self.is_64() { v.to_le_bytes().to_vec() } else { (v as u32).to_le_bytes().to_vec() }
    }
}

pub fn mem_info(
    base: u64,
    alloc_base: u64,
    alloc_protect: u32,
    size: u64,
    state: u32,
    protect: u32,
    ty: u32,
) -> MemoryInfo {
    MemoryInfo::new(LE, base, alloc_base, alloc_protect, size, state, protect, ty)
}

pub fn free(base: u64, end: u64) -> MemoryInfo {
    mem_info(base, 0, 0, end - base, MEM_FREE, PAGE_NOACCESS, 0)
}

/// The MemoryInfoList stream as Windows writes it: MINIDUMP_MEMORY_INFO_LIST
/// is a 16-byte header (u32 SizeOfHeader, u32 SizeOfEntry, u64
/// NumberOfEntries). `SynthMinidump::add_memory_info` writes a 12-byte header
/// with a u32 count instead (see `memory_info_list_with_a_12_byte_header_is_read`).
pub fn with_memory_info(dump: SynthMinidump, entries: impl IntoIterator<Item = MemoryInfo>) -> SynthMinidump {
    let list = entries.into_iter().fold(
        ExListStream::new_with_header_size(MEMORY_INFO_LIST_STREAM, 16, 48, LE),
        |list: ExListStream<MemoryInfo>, e| list.add(e),
    );
    dump.add_stream(list)
}

pub fn with_module(dump: SynthMinidump, base: u64, size: u32, path: &str) -> SynthMinidump {
    let name = DumpString::new(path, LE);
    let module = Module::new(LE, base, size, &name, 0x5f00_0000, 0, None);
    dump.add_module(module).add(name)
}

/// A thread through SynthMinidump's own ThreadList (TEB 0), with a captured stack.
pub fn with_thread(
    dump: SynthMinidump,
    f: Flavour,
    id: u32,
    stack_addr: u64,
    stack_size: usize,
    sp: u64,
) -> SynthMinidump {
    let stack = Memory::with_section(Section::with_endian(LE).append_repeated(0, stack_size), stack_addr);
    let context = f.context(0x40_1000, sp);
    let thread = Thread::new(LE, id, &stack, &context);
    dump.add_thread(thread).add_memory(stack).add(context)
}

/// Bytes the dump holds for `addr` (MemoryList).
pub fn with_bytes(dump: SynthMinidump, addr: u64, bytes: &[u8]) -> SynthMinidump {
    dump.add_memory(Memory::with_section(Section::with_endian(LE).append_bytes(bytes), addr))
}

pub fn memory_info_entries(f: Flavour) -> Vec<MemoryInfo> {
    let top = f.top_of_entries();
    vec![
        free(0, 0x1_0000),
        mem_info(0x1_0000, 0x1_0000, PAGE_READWRITE, 0x1_0000, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE),
        mem_info(0x2_0000, 0x2_0000, PAGE_READWRITE, 0x1_0000, MEM_RESERVE, 0, MEM_PRIVATE),
        mem_info(0x3_0000, 0x3_0000, PAGE_READWRITE, 0x1000, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE),
        // Free from inside a granule: 0x31000..0x40000 cannot be allocated.
        free(0x3_1000, 0x5_0000),
        // 0x50000..0x400000: no entry.
        mem_info(0x40_0000, 0x40_0000, PAGE_EXECUTE_WRITECOPY, 0x1000, MEM_COMMIT, PAGE_READONLY, MEM_IMAGE),
        mem_info(0x40_1000, 0x40_0000, PAGE_EXECUTE_WRITECOPY, 0x1000, MEM_COMMIT, PAGE_EXECUTE_READ, MEM_IMAGE),
        mem_info(0x40_2000, 0x40_0000, PAGE_EXECUTE_WRITECOPY, 0x1000, MEM_COMMIT, PAGE_READWRITE, MEM_IMAGE),
        free(0x40_3000, 0x50_0000),
        mem_info(0x50_0000, 0x50_0000, PAGE_READONLY, 0x1_0000, MEM_COMMIT, PAGE_READONLY, MEM_MAPPED),
        mem_info(0x51_0000, 0x51_0000, PAGE_READWRITE, 0x1_0000, MEM_COMMIT, PAGE_READWRITE, MEM_MAPPED),
        free(0x52_0000, top),
    ]
}

pub fn memory_info_dump(f: Flavour) -> SynthMinidump {
    let dump = SynthMinidump::with_endian(LE).add_system_info(f.system_info());
    let dump = with_module(dump, 0x40_0000, 0x3000, "C:\\app\\app.exe");
    with_memory_info(dump, memory_info_entries(f))
}

pub const LINUX_MAPS: &str = "\
555555554000-555555556000 r--p 00000000 08:01 1001 /usr/bin/app
555555556000-555555558000 r-xp 00002000 08:01 1001 /usr/bin/app
555555558000-555555559000 rw-p 00004000 08:01 1001 /usr/bin/app
555555559000-55555557a000 rw-p 00000000 00:00 0 [heap]
7f0000000000-7f0000010000 r--p 00000000 08:01 2002 /usr/share/locale/data.bin
7f0000010000-7f0000020000 rw-p 00000000 00:00 0
7f0000020000-7f0000030000 ---p 00000000 00:00 0
7f0000030000-7f0000031000 r-xp 00000000 08:01 3003 /usr/lib/libc.so.6
7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0 [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]
";

pub fn linux_dump() -> SynthMinidump {
    let sys =
        SystemInfo::new(LE).set_processor_architecture(PROCESSOR_ARCHITECTURE_AMD64).set_platform_id(PLATFORM_LINUX);
    let dump = SynthMinidump::with_endian(LE).add_system_info(sys).set_linux_maps(LINUX_MAPS.as_bytes());
    let dump = with_module(dump, 0x5555_5555_4000, 0x5000, "/usr/bin/app");
    with_module(dump, 0x7f00_0003_0000, 0x1000, "/usr/lib/libc.so.6")
}

pub fn synthesized_dump(f: Flavour) -> (SynthMinidump, u64) {
    let ntdll = match f {
        Flavour::X86 => 0x7700_0000,
        Flavour::Amd64Win10 => 0x7ff8_1000_0000,
        // Below 8 TiB, where Windows 7 put its system DLLs.
        Flavour::Amd64Win7 => 0x7fe_fd00_0000,
    };
    let dump = SynthMinidump::with_endian(LE).add_system_info(f.system_info());
    let dump = with_module(dump, 0x40_0000, 0x3000, "C:\\app\\app.exe");
    let dump = with_module(dump, ntdll, 0x1_0000, "C:\\Windows\\System32\\ntdll.dll");
    let dump = with_thread(dump, f, 7, 0xF_F000, 0x1000, 0xF_F800);
    let dump = with_bytes(dump, 0x20_0000, &[0xAB; 0x100]);
    (dump, ntdll)
}

pub const THREAD_ID: u32 = 0x1a2c;
pub const STACK_ALLOC: u64 = 0x50_0000;
pub const STACK_GUARD: u64 = 0x5F_C000;
pub const STACK_COMMIT: u64 = 0x5F_D000;
pub const STACK_END: u64 = 0x60_0000;
pub const HEAP0: u64 = 0x100_0000;
pub const HEAP1: u64 = 0x200_0000;
pub const TEB: u64 = 0x3000_0000;
pub const PEB: u64 = 0x3001_0000;
pub const HEAP_ARRAY: u64 = 0x3002_0000;

/// What to get wrong on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Miss {
    None,
    PebNotCaptured,
    AbsurdHeapCount,
    HeapArrayNotCaptured,
}

/// (TEB.ProcessEnvironmentBlock, PEB.ProcessHeap, PEB.NumberOfHeaps, PEB.ProcessHeaps)
pub fn offsets(f: Flavour) -> (usize, usize, usize, usize) {
    if f.is_64() { (0x60, 0x30, 0xE8, 0xF0) } else { (0x30, 0x18, 0x88, 0x90) }
}

pub fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

pub fn heaps_dump(f: Flavour, miss: Miss) -> SynthMinidump {
    let (teb_peb, peb_heap, peb_count, peb_heaps) = offsets(f);
    let rw = PAGE_READWRITE;
    let private = |base, alloc, size, state, protect| mem_info(base, alloc, rw, size, state, protect, MEM_PRIVATE);
    let entries = [
        free(0, STACK_ALLOC),
        private(STACK_ALLOC, STACK_ALLOC, STACK_GUARD - STACK_ALLOC, MEM_RESERVE, 0),
        private(STACK_GUARD, STACK_ALLOC, 0x1000, MEM_COMMIT, rw | PAGE_GUARD),
        private(STACK_COMMIT, STACK_ALLOC, STACK_END - STACK_COMMIT, MEM_COMMIT, rw),
        free(STACK_END, HEAP0),
        private(HEAP0, HEAP0, 0x4_0000, MEM_COMMIT, rw),
        private(HEAP0 + 0x4_0000, HEAP0, 0xC_0000, MEM_RESERVE, 0),
        free(HEAP0 + 0x10_0000, HEAP1),
        private(HEAP1, HEAP1, 0x1_0000, MEM_COMMIT, rw),
        private(HEAP1 + 0x1_0000, HEAP1, 0xF_0000, MEM_RESERVE, 0),
        free(HEAP1 + 0x10_0000, TEB),
        private(TEB, TEB, 0x2000, MEM_COMMIT, rw),
        free(TEB + 0x2000, PEB),
        private(PEB, PEB, 0x1000, MEM_COMMIT, rw),
        free(PEB + 0x1000, HEAP_ARRAY),
        private(HEAP_ARRAY, HEAP_ARRAY, 0x1000, MEM_COMMIT, rw),
        free(HEAP_ARRAY + 0x1000, f.top_of_entries()),
    ];
    let dump = with_memory_info(SynthMinidump::with_endian(LE).add_system_info(f.system_info()), entries);

    // The thread, with its TEB address (SynthMinidump's Thread always writes 0).
    let stack = Memory::with_section(Section::with_endian(LE).append_repeated(0, 0x1000), STACK_END - 0x1000);
    let context = f.context(0x7700_1000, STACK_END - 0x800);
    let raw_thread = Section::with_endian(LE)
        .D32(THREAD_ID)
        .D32(0) // suspend count
        .D32(0) // priority class
        .D32(0) // priority
        .D64(TEB)
        .cite_memory(&stack)
        .cite_location(&context);
    let threads = ListStream::<Section>::new(THREAD_LIST_STREAM, LE).add(raw_thread);
    let dump = dump.add_stream(threads).add_memory(stack).add(context);

    let mut teb = vec![0u8; 0x100];
    put(&mut teb, teb_peb, &f.ptr(PEB));
    let mut peb = vec![0u8; 0x100];
    put(&mut peb, peb_heap, &f.ptr(HEAP0));
    let count: u32 = if miss == Miss::AbsurdHeapCount { 0xFFFF_FFFF } else { 2 };
    put(&mut peb, peb_count, &count.to_le_bytes());
    put(&mut peb, peb_heaps, &f.ptr(HEAP_ARRAY));
    let array = [f.ptr(HEAP0), f.ptr(HEAP1)].concat();

    let mut dump = with_bytes(dump, TEB, &teb);
    if miss != Miss::PebNotCaptured {
        dump = with_bytes(dump, PEB, &peb);
    }
    if miss != Miss::HeapArrayNotCaptured {
        dump = with_bytes(dump, HEAP_ARRAY, &array);
    }
    dump
}

/// An Exception stream naming `thread_id` (no exception context).
pub fn with_exception(dump: SynthMinidump, thread_id: u32, code: u32, address: u64) -> SynthMinidump {
    let mut e = Exception::new(LE);
    e.thread_id = thread_id;
    e.exception_record.exception_code = code;
    e.exception_record.exception_address = address;
    e.exception_record.number_parameters = 2;
    e.exception_record.exception_information[0] = 1; // write
    e.exception_record.exception_information[1] = address;
    dump.add_exception(e)
}

/// The heaps dump (amd64) with an access violation on its thread and a module:
/// every kind of stream the readers look at, for mutation tests.
pub fn crash_dump() -> SynthMinidump {
    let dump = heaps_dump(Flavour::Amd64Win10, Miss::None);
    let dump = with_module(dump, 0x40_0000, 0x3000, "C:\\app\\app.exe");
    with_exception(dump, THREAD_ID, 0xC000_0005, 0x10)
}

/// A 32-byte MINIDUMP_HEADER with a valid signature and version.
pub fn mdmp_header(stream_count: u32, directory_rva: u32) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(b"MDMP");
    h.extend_from_slice(&0xA793u32.to_le_bytes()); // MINIDUMP_VERSION
    h.extend_from_slice(&stream_count.to_le_bytes());
    h.extend_from_slice(&directory_rva.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes()); // checksum
    h.extend_from_slice(&1_262_805_309u32.to_le_bytes()); // time stamp
    h.extend_from_slice(&0u64.to_le_bytes()); // flags
    h
}
