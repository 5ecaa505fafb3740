//! Big synthetic dumps: a deterministic generator of large, realistic Windows
//! 10 x64 full-memory minidumps (up to a million MemoryInfoList entries, 2,000
//! threads, 1,000 modules and 4 GiB of captured memory) for load and scale tests.
//!
//! [`BigDumpSpec`] holds the knobs; [`write_big_dump`] plans the address space
//! (`plan.rs`, with `extras.rs` for the bulk of private data, mapped files and
//! fragmentation), shares the capture budget out (`captures.rs`) and streams
//! the file (`writer.rs`, `streams.rs`, `fill.rs`) without ever holding the
//! captured bytes. Threads, images and process facts are in `threads.rs`,
//! `images.rs`, `names.rs` and `process.rs`. Same spec, same bytes.
//!
//! Depends only on the `synth` building blocks.

mod captures;
mod extras;
mod fill;
mod heap_plan;
mod images;
mod names;
mod plan;
mod process;
mod spec;
mod streams;
mod threads;
mod tiler;
mod writer;

pub use spec::{BigDumpSpec, BigDumpSummary, MAX_CAPTURED_BYTES, MAX_MODULES, MAX_REGIONS, MAX_THREADS};
pub use writer::write_big_dump;
