//! The x64 Process Environment Block (`_PEB` of Windows Vista / Server 2008),
//! the process parameters (`RTL_USER_PROCESS_PARAMETERS`) with image path and
//! command line, the environment block, and ntdll's process-heap list. Offsets
//! are those of the 64-bit `ntdll!_PEB`: ImageBaseAddress +0x10, ProcessHeap
//! +0x30, NumberOfHeaps +0xE8, MaximumNumberOfHeaps +0xEC, ProcessHeaps +0xF0.

use super::bytes::LeBuf;
use super::winnt::PAGE_SIZE;

/// What the PEB says about the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PebFacts {
    /// `ImageBaseAddress` (the EXE's load address).
    pub image_base: u64,
    /// `Ldr` (`ntdll!PebLdr`).
    pub ldr: u64,
    /// `ProcessParameters`.
    pub process_parameters: u64,
    /// `ProcessHeap` (heap 0).
    pub process_heap: u64,
    /// `FastPebLock` and `LoaderLock` (critical sections in ntdll's data).
    pub locks: (u64, u64),
    /// `TlsBitmap` (`ntdll!TlsBitMap`).
    pub tls_bitmap: u64,
    /// `ReadOnlySharedMemoryBase`.
    pub read_only_shared_memory: u64,
    /// `NumberOfProcessors`.
    pub number_of_processors: u32,
    /// `NumberOfHeaps`.
    pub number_of_heaps: u32,
    /// `MaximumNumberOfHeaps`.
    pub maximum_number_of_heaps: u32,
    /// `ProcessHeaps`: where the array of heap handles is.
    pub process_heaps: u64,
    /// `OSMajorVersion`, `OSMinorVersion`, `OSBuildNumber`, `OSCSDVersion`.
    pub os: (u32, u32, u16, u16),
    /// `ImageSubsystem` and its major/minor version.
    pub subsystem: (u32, u32, u32),
    /// `ActiveProcessAffinityMask`.
    pub affinity: u64,
    /// `SessionId`.
    pub session_id: u32,
}

/// The PEB page.
pub fn peb_page(f: &PebFacts) -> Vec<u8> {
    let mut p = LeBuf::zeroed(PAGE_SIZE as usize);
    p.u8(0x03, 0x08) // BitField: IsImageDynamicallyRelocated
        .u64(0x08, u64::MAX) // Mutant
        .u64(0x10, f.image_base)
        .u64(0x18, f.ldr)
        .u64(0x20, f.process_parameters)
        .u64(0x30, f.process_heap)
        .u64(0x38, f.locks.0) // FastPebLock
        .u64(0x78, f.tls_bitmap)
        .u32(0x80, 0x0000_FFFF) // TlsBitmapBits
        .u64(0x88, f.read_only_shared_memory)
        .u64(0x90, f.read_only_shared_memory + 0x1_0000) // HotpatchInformation area
        .u32(0xB8, f.number_of_processors)
        .u32(0xBC, 0) // NtGlobalFlag
        .u64(0xC0, 0xFFFF_E86D_079B_8000) // CriticalSectionTimeout (-30 days)
        .u64(0xC8, 0x10_0000) // HeapSegmentReserve
        .u64(0xD0, 0x2000) // HeapSegmentCommit
        .u64(0xD8, 0x1_0000) // HeapDeCommitTotalFreeThreshold
        .u64(0xE0, 0x1000) // HeapDeCommitFreeBlockThreshold
        .u32(0xE8, f.number_of_heaps)
        .u32(0xEC, f.maximum_number_of_heaps)
        .u64(0xF0, f.process_heaps)
        .u32(0x108, 0x14) // GdiDCAttributeList
        .u64(0x110, f.locks.1) // LoaderLock
        .u32(0x118, f.os.0)
        .u32(0x11C, f.os.1)
        .u16(0x120, f.os.2)
        .u16(0x122, f.os.3)
        .u32(0x124, 2) // OSPlatformId: VER_PLATFORM_WIN32_NT
        .u32(0x128, f.subsystem.0)
        .u32(0x12C, f.subsystem.1)
        .u32(0x130, f.subsystem.2)
        .u64(0x138, f.affinity)
        .u32(0x2C0, f.session_id);
    p.into_vec()
}

/// `ntdll!RtlpProcessHeapsListBuffer`-style array of heap handles.
pub fn heap_list_bytes(heaps: &[u64], capacity: usize) -> Vec<u8> {
    let mut p = LeBuf::zeroed(capacity.max(heaps.len()) * 8);
    for (i, h) in heaps.iter().enumerate() {
        p.u64(i * 8, *h);
    }
    p.into_vec()
}

/// What `RTL_USER_PROCESS_PARAMETERS` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessParameters {
    /// `CurrentDirectory.DosPath`.
    pub current_directory: String,
    /// `DllPath`.
    pub dll_path: String,
    /// `ImagePathName`.
    pub image_path: String,
    /// `CommandLine`.
    pub command_line: String,
    /// `WindowTitle`.
    pub window_title: String,
    /// `DesktopInfo`.
    pub desktop: String,
    /// The environment, `NAME=value` strings.
    pub environment: Vec<String>,
}

/// Size of the fixed part of `RTL_USER_PROCESS_PARAMETERS` on x64 (strings follow).
const PARAMS_FIXED: usize = 0x400;

/// The parameters block at `addr` (with its strings after the fixed part) and the
/// environment block at `env_addr`, as `(parameters bytes, environment bytes)`.
pub fn process_parameters(p: &ProcessParameters, addr: u64, env_addr: u64) -> (Vec<u8>, Vec<u8>) {
    let mut b = LeBuf::zeroed(PAGE_SIZE as usize);
    let mut next = PARAMS_FIXED;
    let mut string = |b: &mut LeBuf, field: usize, s: &str| {
        let len = b.utf16z(next, s);
        b.u16(field, len as u16).u16(field + 2, len as u16 + 2).u64(field + 8, addr + next as u64);
        next = (next + len + 2).next_multiple_of(8);
    };
    string(&mut b, 0x38, &p.current_directory);
    string(&mut b, 0x50, &p.dll_path);
    string(&mut b, 0x60, &p.image_path);
    string(&mut b, 0x70, &p.command_line);
    string(&mut b, 0xB0, &p.window_title);
    string(&mut b, 0xC0, &p.desktop);
    let used = next as u32;
    b.u32(0x00, used) // MaximumLength
        .u32(0x04, used) // Length
        .u32(0x08, 0x0000_2001) // Flags: NORMALIZED | PROCESS_OR_1
        .u64(0x80, env_addr); // Environment
    let mut params = b.into_vec();
    params.truncate(next);

    let env_len: usize = p.environment.iter().map(|s| (s.encode_utf16().count() + 1) * 2).sum::<usize>() + 2;
    let mut e = LeBuf::zeroed(env_len);
    let mut at = 0;
    for s in &p.environment {
        at += e.utf16z(at, s) + 2;
    }
    (params, e.into_vec())
}
