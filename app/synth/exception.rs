//! The Exception stream (`MINIDUMP_EXCEPTION_STREAM`, 168 bytes) with a
//! `ThreadContext` location that refers to a context placed in the file
//! (minidump-synth's `Exception` only takes constant numbers there).

use minidump_synth::SimpleStream;
use test_assembler::Label;

use super::section::le_section;
use super::winnt::stream;

/// An `EXCEPTION_RECORD64` and the thread it happened on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionFacts {
    /// `ThreadId`.
    pub thread_id: u32,
    /// `ExceptionCode`.
    pub code: u32,
    /// `ExceptionFlags`.
    pub flags: u32,
    /// `ExceptionAddress`.
    pub address: u64,
    /// `ExceptionInformation[..NumberParameters]` (at most 15).
    pub parameters: Vec<u64>,
}

/// The stream; `context` is the `(size, rva)` of the exception-time CONTEXT.
pub fn exception_stream(facts: &ExceptionFacts, context: &(Label, Label)) -> SimpleStream {
    let params = &facts.parameters[..facts.parameters.len().min(15)];
    let mut section = le_section()
        .D32(facts.thread_id)
        .D32(0) // __alignment
        .D32(facts.code)
        .D32(facts.flags)
        .D64(0) // ExceptionRecord (no chained record)
        .D64(facts.address)
        .D32(params.len() as u32)
        .D32(0); // __unusedAlignment
    for i in 0..15 {
        section = section.D64(params.get(i).copied().unwrap_or(0));
    }
    SimpleStream { stream_type: stream::EXCEPTION, section: section.D32(&context.0).D32(&context.1) }
}
