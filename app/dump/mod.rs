//! The dump layer: bytes on disk -> [`AddressSpace`], the model every other
//! layer works from. The ONLY place that names `minidump::` types. It may not
//! depend on analysis, layout, render, export, ui or cli, nor on egui or wgpu.

pub(crate) mod bytes;
mod captured;
mod core;
mod decompress;
mod error;
mod exception_names;
pub(crate) mod file;
mod frames;
mod linux_maps;
pub(crate) mod model;
mod names;
mod open;
mod progress;
#[cfg(test)]
mod proptests;
mod read_handles;
mod read_modules;
mod read_process;
mod read_system;
mod read_threads;
mod region;
mod region_label;
mod regions;
mod sections;
#[cfg(unix)]
mod sigbus;
mod stackwalk;
pub mod symbols;
pub mod time;

pub use captured::{CapturedMemory, CapturedRange};

/// Entry points for the fuzz targets (tests/fuzz): parsers that are otherwise
/// reached only through a whole dump.
#[doc(hidden)]
pub mod fuzz_entry {
    /// Parses /proc/pid/maps text: (lines kept, lines skipped); every kept
    /// line has start < end.
    pub fn linux_maps(text: &[u8]) -> (usize, usize) {
        let (mut kept, mut bad) = (0, 0);
        for line in super::linux_maps::lines(text) {
            match line {
                Some(l) => {
                    assert!(l.start < l.end, "a kept line is empty or inverted");
                    kept += 1;
                }
                None => bad += 1,
            }
        }
        let s = super::linux_maps::summarize(text);
        assert_eq!((s.lines, s.bad), (kept, bad), "the summary counts differently");
        (kept, bad)
    }
}
pub use error::DumpError;
pub use exception_names::{exception_name, fast_fail_name};
pub use frames::{FrameTrust, MAX_FRAMES, StackFrame, StackTrace, windbg_module_name};
pub use model::{
    AccessKind, AddressSpace, DebugInfo, ExceptionInfo, HandleSummary, Heap, MemoryInfoStates, Module, Platform,
    ProcessInfo, RegionSource, StreamEntry, SystemInfo, Thread, UnloadedModule, Version,
};
pub use names::FunctionNames;
pub use progress::{LoadProgress, PHASES};
pub use region::{Label, Owner, Protection, Region, RegionKind, RegionState, RegionType};
pub use sections::{
    HEADER_PAGE_BYTES, MAX_ELF_SEGMENTS, MAX_PE_SECTIONS, Section, SectionsError, parse_sections, pe_protection,
};
pub use stackwalk::{MAX_STACK_WINDOW_BYTES, WalkOptions, WalkResult, walk_stacks};
