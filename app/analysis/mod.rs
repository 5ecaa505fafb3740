//! The analysis layer: AddressSpace -> statistics, stack-trace summaries and
//! (later) crash-dump-analysis pattern findings. Pure and deterministic; no
//! egui, no wgpu, and no minidump types (those stay in dump/).

pub mod patterns;
pub mod stats;
