//! The heap and stack plans that the bottom-up allocator (bottomup.rs) makes
//! and the finished layout (layout.rs) hands on: plain data, in a file of their
//! own so neither of those two files imports the other's types.

/// One NT heap: where it is and what its header must say.
#[derive(Debug, Clone)]
pub struct HeapPlan {
    /// What created it.
    pub label: &'static str,
    /// Heap base (handle).
    pub base: u64,
    /// `_HEAP.Flags`.
    pub flags: u32,
    /// Reserved bytes of the first segment.
    pub reserved_bytes: u64,
    /// Committed bytes of the first segment.
    pub committed_bytes: u64,
    /// Extra segments: `(base, reserved, committed)`.
    pub segments: Vec<(u64, u64, u64)>,
}

/// One thread's stack allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackRange {
    /// Allocation base (`TEB.DeallocationStack`).
    pub alloc_base: u64,
    /// Lowest committed byte above the guard region (`NtTib.StackLimit`).
    pub limit: u64,
    /// One past the top (`NtTib.StackBase`).
    pub base: u64,
}
