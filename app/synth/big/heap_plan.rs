//! One NT heap of the big process's plan: what plan.rs sizes and places,
//! extras.rs grows with segments, and process.rs and fill.rs write out. Plain
//! data in a file of its own, so plan.rs and extras.rs do not import each other.

/// One NT heap.
#[derive(Debug, Clone, Default)]
pub struct HeapPlan {
    /// Base (the heap handle).
    pub base: u64,
    /// Reserved bytes of the first segment.
    pub reserved_bytes: u64,
    /// Committed bytes of the first segment.
    pub committed_bytes: u64,
    /// `_HEAP.Flags`.
    pub flags: u32,
    /// Encoding and pointer keys.
    pub keys: (u64, u64),
    /// Extra segments: `(base, reserved, committed)`.
    pub segments: Vec<(u64, u64, u64)>,
}
