//! Windows and minidump numbers the generators write: memory states, types and
//! protections (as `VirtualQuery` reports them), minidump stream types, CPU and OS
//! identifiers, and time conversions. Spelled as in winnt.h / minidumpapiset.h so a
//! reader can grep the SDK; kept here so the rest of `synth` never names another
//! crate's format types.

/// `MEM_COMMIT`: pages backed by memory or the pagefile.
pub const MEM_COMMIT: u32 = 0x1000;
/// `MEM_RESERVE`: address range reserved, no storage.
pub const MEM_RESERVE: u32 = 0x2000;
/// `MEM_FREE`: not allocated.
pub const MEM_FREE: u32 = 0x1_0000;

/// `MEM_PRIVATE`: private to the process (heaps, stacks, TEBs, VirtualAlloc).
pub const MEM_PRIVATE: u32 = 0x2_0000;
/// `MEM_MAPPED`: a view of a section (data file or pagefile-backed).
pub const MEM_MAPPED: u32 = 0x4_0000;
/// `MEM_IMAGE`: a view of an image section (EXE/DLL).
pub const MEM_IMAGE: u32 = 0x100_0000;

/// `PAGE_NOACCESS`.
pub const PAGE_NOACCESS: u32 = 0x01;
/// `PAGE_READONLY`.
pub const PAGE_READONLY: u32 = 0x02;
/// `PAGE_READWRITE`.
pub const PAGE_READWRITE: u32 = 0x04;
/// `PAGE_WRITECOPY`.
pub const PAGE_WRITECOPY: u32 = 0x08;
/// `PAGE_EXECUTE_READ`.
pub const PAGE_EXECUTE_READ: u32 = 0x20;
/// `PAGE_EXECUTE_READWRITE`.
pub const PAGE_EXECUTE_READWRITE: u32 = 0x40;
/// `PAGE_EXECUTE_WRITECOPY`.
pub const PAGE_EXECUTE_WRITECOPY: u32 = 0x80;
/// `PAGE_GUARD` modifier.
pub const PAGE_GUARD: u32 = 0x100;

/// Page size on x64 Windows.
pub const PAGE_SIZE: u64 = 0x1000;
/// Allocation granularity on Windows: every allocation base is a multiple of it.
pub const ALLOCATION_GRANULARITY: u64 = 0x1_0000;

/// End of the user-mode address space of a 64-bit process on Windows Vista /
/// Server 2008 up to Windows 8: 8 TiB less the 64 KiB no-access guard
/// (`MmHighestUserAddress` = 0x7FF`FFFEFFFF).
pub const USER_SPACE_END_8TB: u64 = 0x7FF_FFFF_0000;

/// End of the user-mode address space of a 64-bit process on Windows 8.1 and
/// later: 128 TiB less the 64 KiB no-access guard (`MmHighestUserAddress` =
/// 0x7FFF`FFFEFFFF).
pub const USER_SPACE_END_128TB: u64 = 0x7FFF_FFFF_0000;

/// `MINIDUMP_STREAM_TYPE` numbers used by the generators.
pub mod stream {
    /// `ThreadListStream`.
    pub const THREAD_LIST: u32 = 3;
    /// `ModuleListStream`.
    pub const MODULE_LIST: u32 = 4;
    /// `ExceptionStream`.
    pub const EXCEPTION: u32 = 6;
    /// `SystemInfoStream`.
    pub const SYSTEM_INFO: u32 = 7;
    /// `Memory64ListStream`.
    pub const MEMORY64_LIST: u32 = 9;
    /// `CommentStreamW`.
    pub const COMMENT_W: u32 = 11;
    /// `HandleDataStream`.
    pub const HANDLE_DATA: u32 = 12;
    /// `UnloadedModuleListStream`.
    pub const UNLOADED_MODULE_LIST: u32 = 14;
    /// `MemoryInfoListStream`.
    pub const MEMORY_INFO_LIST: u32 = 16;
    /// `ThreadInfoListStream`.
    pub const THREAD_INFO_LIST: u32 = 17;
}

/// `MINIDUMP_TYPE` bits of a `.dump /ma`-style full dump: `MiniDumpWithFullMemory |
/// MiniDumpWithHandleData | MiniDumpWithUnloadedModules | MiniDumpWithFullMemoryInfo |
/// MiniDumpWithThreadInfo`.
pub const MINIDUMP_FULL_WITH_INFO: u64 = 0x0002 | 0x0004 | 0x0020 | 0x0800 | 0x1000;

/// `PROCESSOR_ARCHITECTURE_AMD64`.
pub const PROCESSOR_ARCHITECTURE_AMD64: u16 = 9;
/// `VER_PLATFORM_WIN32_NT`.
pub const VER_PLATFORM_WIN32_NT: u32 = 2;
/// `VER_NT_SERVER` (product type of a member server).
pub const VER_NT_SERVER: u8 = 3;
/// `VER_SUITE_TERMINAL | VER_SUITE_SINGLEUSERTS`, as on a default server install.
pub const VER_SUITE_TERMINAL_SINGLEUSERTS: u16 = 0x0110;

/// `STATUS_ACCESS_VIOLATION`.
pub const STATUS_ACCESS_VIOLATION: u32 = 0xC000_0005;
/// `STILL_ACTIVE`: exit status of a thread that has not exited.
pub const STILL_ACTIVE: u32 = 0x103;
/// `NORMAL_PRIORITY_CLASS`.
pub const NORMAL_PRIORITY_CLASS: u32 = 0x20;

/// `CONTEXT_AMD64 | CONTEXT_CONTROL | CONTEXT_INTEGER | CONTEXT_SEGMENTS |
/// CONTEXT_FLOATING_POINT | CONTEXT_DEBUG_REGISTERS` (`CONTEXT_ALL`).
pub const CONTEXT_AMD64_ALL: u32 = 0x0010_001F;

/// Seconds between 1601-01-01 (FILETIME epoch) and 1970-01-01 (Unix epoch).
const FILETIME_UNIX_EPOCH_SECS: u64 = 11_644_473_600;

/// A FILETIME (100 ns ticks since 1601) for a Unix time in seconds plus milliseconds.
pub const fn filetime_from_unix(unix_secs: u64, millis: u64) -> u64 {
    (unix_secs + FILETIME_UNIX_EPOCH_SECS) * 10_000_000 + millis * 10_000
}

/// A duration in 100 ns ticks (the unit of thread user/kernel times).
pub const fn ticks_from_millis(millis: u64) -> u64 {
    millis * 10_000
}

/// `VS_FIXEDFILEINFO` version words from a dotted four-part version.
pub const fn version_words(v: [u16; 4]) -> (u32, u32) {
    (((v[0] as u32) << 16) | v[1] as u32, ((v[2] as u32) << 16) | v[3] as u32)
}
