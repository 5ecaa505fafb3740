//! The small streams of a big dump as plain bytes (minidumpapiset.h layouts):
//! MINIDUMP_HEADER, directory entries, SystemInfo, MiscInfo, MINIDUMP_THREAD,
//! ThreadInfoList, MINIDUMP_MODULE, the Exception stream, MINIDUMP_STRING, the
//! comment, and the MemoryInfoList / Memory64List headers and entries, which
//! the writer streams one by one. RVAs are given, not labels: the writer knows
//! every offset before it writes a byte.

use crate::synth::bytes::LeBuf;
use crate::synth::exception::ExceptionFacts;
use crate::synth::module::{ModuleFacts, codeview_pdb70};
use crate::synth::sysinfo::SystemFacts;
use crate::synth::threadinfo::{THREAD_INFO_SIZE, ThreadInfo};
use crate::synth::vspace::MemoryRegion;
use crate::synth::winnt::version_words;

/// `MINIDUMP_SIGNATURE` ("MDMP").
const SIGNATURE: u32 = 0x504D_444D;
/// `MINIDUMP_VERSION` in the low word.
const VERSION: u32 = 0xA793;
/// Size of `MINIDUMP_HEADER`.
pub const HEADER_SIZE: usize = 32;
/// Size of `MINIDUMP_DIRECTORY`.
pub const DIRECTORY_ENTRY_SIZE: usize = 12;
/// Size of `MINIDUMP_THREAD`.
pub const THREAD_SIZE: usize = 48;
/// Offset of `Stack.Memory.Rva` in `MINIDUMP_THREAD`.
pub const THREAD_STACK_RVA: usize = 36;
/// Size of `MINIDUMP_MODULE`.
const MODULE_SIZE: usize = 108;
/// Size of `MINIDUMP_MEMORY_INFO`.
pub const MEMORY_INFO_SIZE: u64 = 48;
/// Size of the MemoryInfoList header (64-bit count, as dbghelp writes it).
pub const MEMORY_INFO_HEADER_SIZE: u64 = 16;
/// Size of `MINIDUMP_MEMORY_DESCRIPTOR64`.
pub const MEMORY64_DESCRIPTOR_SIZE: u64 = 16;
/// Size of the Memory64List header.
pub const MEMORY64_HEADER_SIZE: u64 = 16;

/// A `MINIDUMP_LOCATION_DESCRIPTOR`: `(size, rva)`.
pub type Location = (u32, u32);

/// `MINIDUMP_HEADER`.
pub fn header(streams: u32, directory_rva: u32, time_date_stamp: u32, flags: u64) -> Vec<u8> {
    let mut b = LeBuf::zeroed(HEADER_SIZE);
    b.u32(0, SIGNATURE).u32(4, VERSION).u32(8, streams).u32(12, directory_rva).u32(20, time_date_stamp).u64(24, flags);
    b.into_vec()
}

/// One `MINIDUMP_DIRECTORY` entry.
pub fn directory_entry(stream_type: u32, at: Location) -> [u8; DIRECTORY_ENTRY_SIZE] {
    let mut b = [0u8; DIRECTORY_ENTRY_SIZE];
    b[0..4].copy_from_slice(&stream_type.to_le_bytes());
    b[4..8].copy_from_slice(&at.0.to_le_bytes());
    b[8..12].copy_from_slice(&at.1.to_le_bytes());
    b
}

/// A `MINIDUMP_STRING`: byte length, UTF-16LE, NUL.
pub fn minidump_string(s: &str) -> Vec<u8> {
    let units: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut v = Vec::with_capacity(units.len() + 6);
    v.extend_from_slice(&(units.len() as u32).to_le_bytes());
    v.extend_from_slice(&units);
    v.extend_from_slice(&[0, 0]);
    v
}

/// `MINIDUMP_SYSTEM_INFO` whose CSD string is at `csd_rva`.
pub fn system_info(f: &SystemFacts, csd_rva: u32) -> Vec<u8> {
    let mut b = LeBuf::zeroed(56);
    b.u16(0, f.processor_architecture)
        .u16(2, f.processor_level)
        .u16(4, f.processor_revision)
        .u8(6, f.number_of_processors)
        .u8(7, f.product_type)
        .u32(8, f.version.0)
        .u32(12, f.version.1)
        .u32(16, f.version.2)
        .u32(20, f.platform_id)
        .u32(24, csd_rva)
        .u16(28, f.suite_mask)
        .put(32, &f.vendor)
        .u32(44, f.version_information)
        .u32(48, f.feature_information)
        .u32(52, f.amd_extended_cpu_features);
    b.into_vec()
}

/// `MINIDUMP_MISC_INFO` with the process id and times (seconds).
pub fn misc_info(pid: u32, create_unix: u32, user_s: u32, kernel_s: u32) -> Vec<u8> {
    let mut b = LeBuf::zeroed(24);
    // MINIDUMP_MISC1_PROCESS_ID | MINIDUMP_MISC1_PROCESS_TIMES
    b.u32(0, 24).u32(4, 0x3).u32(8, pid).u32(12, create_unix).u32(16, user_s).u32(20, kernel_s);
    b.into_vec()
}

/// What a `MINIDUMP_THREAD` says (the stack RVA is patched in later).
pub struct ThreadRecord {
    /// `ThreadId`.
    pub id: u32,
    /// `Priority`.
    pub priority: i32,
    /// `PriorityClass`.
    pub priority_class: u32,
    /// `Teb`.
    pub teb: u64,
    /// `Stack.StartOfMemoryRange`.
    pub stack_start: u64,
    /// `Stack.Memory.DataSize`.
    pub stack_size: u32,
    /// `ThreadContext`.
    pub context: Location,
}

/// One `MINIDUMP_THREAD`, stack RVA 0.
pub fn thread(t: &ThreadRecord) -> Vec<u8> {
    let mut b = LeBuf::zeroed(THREAD_SIZE);
    b.u32(0, t.id)
        .u32(8, t.priority_class)
        .u32(12, t.priority as u32)
        .u64(16, t.teb)
        .u64(24, t.stack_start)
        .u32(32, t.stack_size)
        .u32(40, t.context.0)
        .u32(44, t.context.1);
    b.into_vec()
}

/// The ThreadInfoList stream.
pub fn thread_info_list(infos: &[ThreadInfo]) -> Vec<u8> {
    let mut v = Vec::with_capacity(12 + infos.len() * THREAD_INFO_SIZE);
    for word in [12u32, THREAD_INFO_SIZE as u32, infos.len() as u32] {
        v.extend_from_slice(&word.to_le_bytes());
    }
    for t in infos {
        let mut b = LeBuf::zeroed(THREAD_INFO_SIZE);
        b.u32(0, t.id)
            .u32(4, t.dump_flags)
            .u32(8, t.dump_error)
            .u32(12, t.exit_status)
            .u64(16, t.create_time)
            .u64(24, t.exit_time)
            .u64(32, t.kernel_time)
            .u64(40, t.user_time)
            .u64(48, t.start_address)
            .u64(56, t.affinity);
        v.extend_from_slice(b.as_slice());
    }
    v
}

/// The CodeView record of a module.
pub fn codeview(f: &ModuleFacts) -> Vec<u8> {
    codeview_pdb70(&f.pdb_name, &f.pdb_id)
}

/// One `MINIDUMP_MODULE` with its name at `name_rva` and CodeView record at `cv`.
pub fn module(f: &ModuleFacts, name_rva: u32, cv: Location) -> Vec<u8> {
    let (fv_hi, fv_lo) = version_words(f.file_version);
    let (pv_hi, pv_lo) = version_words(f.product_version);
    let mut b = LeBuf::zeroed(MODULE_SIZE);
    b.u64(0, f.base)
        .u32(8, f.size)
        .u32(12, f.checksum)
        .u32(16, f.timestamp)
        .u32(20, name_rva)
        .u32(24, 0xFEEF_04BD) // VS_FIXEDFILEINFO.dwSignature
        .u32(28, 0x0001_0000) // dwStrucVersion
        .u32(32, fv_hi)
        .u32(36, fv_lo)
        .u32(40, pv_hi)
        .u32(44, pv_lo)
        .u32(48, 0x3F) // dwFileFlagsMask
        .u32(56, 0x0004_0004) // VOS_NT_WINDOWS32
        .u32(60, if f.is_dll { 2 } else { 1 }) // VFT_DLL / VFT_APP
        .u32(76, cv.0)
        .u32(80, cv.1);
    b.into_vec()
}

/// `MINIDUMP_EXCEPTION_STREAM` whose context is at `context`.
pub fn exception(f: &ExceptionFacts, context: Location) -> Vec<u8> {
    let mut b = LeBuf::zeroed(168);
    let params = &f.parameters[..f.parameters.len().min(15)];
    b.u32(0, f.thread_id).u32(8, f.code).u32(12, f.flags).u64(24, f.address).u32(32, params.len() as u32);
    for (i, p) in params.iter().enumerate() {
        b.u64(40 + i * 8, *p);
    }
    b.u32(160, context.0).u32(164, context.1);
    b.into_vec()
}

/// A CommentStreamW.
pub fn comment(text: &str) -> Vec<u8> {
    text.encode_utf16().chain(std::iter::once(0)).flat_map(u16::to_le_bytes).collect()
}

/// The MemoryInfoList header.
pub fn memory_info_header(count: u64) -> [u8; MEMORY_INFO_HEADER_SIZE as usize] {
    let mut b = [0u8; MEMORY_INFO_HEADER_SIZE as usize];
    b[0..4].copy_from_slice(&(MEMORY_INFO_HEADER_SIZE as u32).to_le_bytes());
    b[4..8].copy_from_slice(&(MEMORY_INFO_SIZE as u32).to_le_bytes());
    b[8..16].copy_from_slice(&count.to_le_bytes());
    b
}

/// One `MINIDUMP_MEMORY_INFO`.
pub fn memory_info(r: &MemoryRegion) -> [u8; MEMORY_INFO_SIZE as usize] {
    let mut b = [0u8; MEMORY_INFO_SIZE as usize];
    b[0..8].copy_from_slice(&r.base.to_le_bytes());
    b[8..16].copy_from_slice(&r.alloc_base.to_le_bytes());
    b[16..20].copy_from_slice(&r.alloc_protect.to_le_bytes());
    b[24..32].copy_from_slice(&r.size_bytes.to_le_bytes());
    b[32..36].copy_from_slice(&r.state.to_le_bytes());
    b[36..40].copy_from_slice(&r.protect.to_le_bytes());
    b[40..44].copy_from_slice(&r.ty.to_le_bytes());
    b
}

/// The Memory64List header: range count and the data block's offset.
pub fn memory64_header(count: u64, base_rva: u64) -> [u8; MEMORY64_HEADER_SIZE as usize] {
    let mut b = [0u8; MEMORY64_HEADER_SIZE as usize];
    b[0..8].copy_from_slice(&count.to_le_bytes());
    b[8..16].copy_from_slice(&base_rva.to_le_bytes());
    b
}

/// One `MINIDUMP_MEMORY_DESCRIPTOR64`.
pub fn memory64_descriptor(base: u64, size: u64) -> [u8; MEMORY64_DESCRIPTOR_SIZE as usize] {
    let mut b = [0u8; MEMORY64_DESCRIPTOR_SIZE as usize];
    b[0..8].copy_from_slice(&base.to_le_bytes());
    b[8..16].copy_from_slice(&size.to_le_bytes());
    b
}
