//! The ThreadInfoList stream (type 17): a `MINIDUMP_THREAD_INFO_LIST` header and
//! one 64-byte `MINIDUMP_THREAD_INFO` per thread with creation time, CPU times,
//! start address and affinity. minidump-synth has no builder for it.

use minidump_synth::ExListStream;
use test_assembler::Section;

use super::section::{LE, le_section, section_backed};
use super::winnt::stream;

/// Size of `MINIDUMP_THREAD_INFO`.
pub const THREAD_INFO_SIZE: usize = 64;

/// What `MINIDUMP_THREAD_INFO` records for one thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadInfo {
    /// `ThreadId`.
    pub id: u32,
    /// `DumpFlags`.
    pub dump_flags: u32,
    /// `DumpError` (an HRESULT, 0 when the thread was captured).
    pub dump_error: u32,
    /// `ExitStatus` (`STILL_ACTIVE` for live threads).
    pub exit_status: u32,
    /// `CreateTime`, a FILETIME.
    pub create_time: u64,
    /// `ExitTime`, a FILETIME (0 while running).
    pub exit_time: u64,
    /// `KernelTime` in 100 ns ticks.
    pub kernel_time: u64,
    /// `UserTime` in 100 ns ticks.
    pub user_time: u64,
    /// `StartAddress` (the Win32 start address).
    pub start_address: u64,
    /// `Affinity` mask.
    pub affinity: u64,
}

/// One serialized `MINIDUMP_THREAD_INFO`.
pub struct ThreadInfoEntry {
    section: Section,
}

section_backed!(ThreadInfoEntry);

impl From<&ThreadInfo> for ThreadInfoEntry {
    fn from(t: &ThreadInfo) -> Self {
        let section = le_section()
            .D32(t.id)
            .D32(t.dump_flags)
            .D32(t.dump_error)
            .D32(t.exit_status)
            .D64(t.create_time)
            .D64(t.exit_time)
            .D64(t.kernel_time)
            .D64(t.user_time)
            .D64(t.start_address)
            .D64(t.affinity);
        Self { section }
    }
}

/// The stream for `infos`, in the order given.
pub fn thread_info_list(infos: &[ThreadInfo]) -> ExListStream<ThreadInfoEntry> {
    infos.iter().fold(ExListStream::new(stream::THREAD_INFO_LIST, THREAD_INFO_SIZE, LE), |list, info| {
        list.add(ThreadInfoEntry::from(info))
    })
}
