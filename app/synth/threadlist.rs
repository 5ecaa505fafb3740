//! `MINIDUMP_THREAD` entries for the ThreadList stream, with the fields
//! minidump-synth's `Thread` leaves at zero (TEB, priority, suspend count) and a
//! stack descriptor that may point into Memory64List data, as in full dumps.

use test_assembler::{Label, Section};

use super::section::{le_section, section_backed};

/// One `MINIDUMP_THREAD` (48 bytes).
pub struct ThreadEntry {
    section: Section,
}

section_backed!(ThreadEntry);

/// What a `MINIDUMP_THREAD` says about one thread.
pub struct ThreadFields<'a> {
    /// `ThreadId`.
    pub id: u32,
    /// `SuspendCount`.
    pub suspend_count: u32,
    /// `PriorityClass`.
    pub priority_class: u32,
    /// `Priority`.
    pub priority: u32,
    /// `Teb`.
    pub teb: u64,
    /// `Stack.StartOfMemoryRange` (the stack pointer).
    pub stack_start: u64,
    /// `Stack.Memory.DataSize`.
    pub stack_size: u32,
    /// `Stack.Memory.Rva`: where those bytes are in the file.
    pub stack_rva: &'a Label,
    /// `ThreadContext` as `(size, rva)` labels.
    pub context: &'a (Label, Label),
}

impl ThreadEntry {
    /// Serialize `f`.
    pub fn new(f: &ThreadFields<'_>) -> Self {
        let section = le_section()
            .D32(f.id)
            .D32(f.suspend_count)
            .D32(f.priority_class)
            .D32(f.priority)
            .D64(f.teb)
            .D64(f.stack_start)
            .D32(f.stack_size)
            .D32(f.stack_rva)
            .D32(&f.context.0)
            .D32(&f.context.1);
        Self { section }
    }
}
