//! Deterministic dump generators: the bundled demo dump and big test dumps (`big`).
//! Writes minidumps with minidump-synth; depends on no other layer of memscape.
//!
//! The building blocks (address-space model, PE headers, TEB/PEB/heap pages,
//! stacks, contexts, and the streams minidump-synth cannot write by itself) are
//! public so other generators can reuse them; [`demo_dump_bytes`] is the bundled
//! demo dump; [`big::write_big_dump`] streams large dumps to a file with its own
//! writer.

pub mod big;
pub mod bytes;
pub mod comment;
pub mod context;
mod demo;
pub mod error;
pub mod exception;
pub mod handles;
pub mod heap;
pub mod kuser;
pub mod memory;
pub mod module;
pub mod pe;
pub mod peb;
pub mod rng;
pub mod section;
pub mod stack;
pub mod sysinfo;
pub mod teb;
pub mod threadinfo;
pub mod threadlist;
pub mod vspace;
pub mod winnt;

pub use demo::{SymbolFile, build_demo_dump, demo_dump_bytes, demo_symbol_files};
pub use error::SynthError;
