//! The first page of an NT heap (`_HEAP`, whose first 0x70 bytes are the heap's
//! own `_HEAP_SEGMENT`) and of an extra heap segment, laid out as on 64-bit
//! Windows Vista / Server 2008: segment signature 0xFFEEFFEE at +0x10, heap
//! signature 0xEEFFEEFF at +0xA0, flags, encoding key and the segment list.

use super::bytes::LeBuf;
use super::winnt::PAGE_SIZE;

/// `_HEAP_SEGMENT.SegmentSignature`.
pub const SEGMENT_SIGNATURE: u32 = 0xFFEE_FFEE;
/// `_HEAP.Signature`.
pub const HEAP_SIGNATURE: u32 = 0xEEFF_EEFF;

/// Offset of `_HEAP.SegmentList` (the list head of the heap's segments).
const SEGMENT_LIST: u64 = 0x128;
/// Offset of `_HEAP_SEGMENT.SegmentListEntry`.
const SEGMENT_LIST_ENTRY: u64 = 0x18;

/// One heap as its header describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapFacts {
    /// Heap base (the handle `HeapCreate` returned).
    pub base: u64,
    /// Reserved size of the first segment in bytes.
    pub reserved_bytes: u64,
    /// Committed size of the first segment in bytes.
    pub committed_bytes: u64,
    /// `_HEAP.Flags` (HEAP_GROWABLE 0x2, class bits, HEAP_CREATE_ENABLE_EXECUTE).
    pub flags: u32,
    /// Bases of extra segments, in list order.
    pub extra_segments: Vec<u64>,
    /// Per-heap random numbers for the encoding key and pointer key.
    pub keys: (u64, u64),
}

fn write_segment(p: &mut LeBuf, heap: u64, segment: u64, reserved: u64, committed: u64, flink: u64, blink: u64) {
    let pages = reserved / PAGE_SIZE;
    let uncommitted = (reserved - committed) / PAGE_SIZE;
    p.u32(0x10, SEGMENT_SIGNATURE)
        .u32(0x14, 0) // SegmentFlags
        .u64(0x18, flink) // SegmentListEntry.Flink
        .u64(0x20, blink) // SegmentListEntry.Blink
        .u64(0x28, heap) // Heap
        .u64(0x30, segment) // BaseAddress
        .u32(0x38, pages as u32) // NumberOfPages
        .u64(0x40, segment + if segment == heap { 0xA80 } else { 0x70 }) // FirstEntry
        .u64(0x48, segment + reserved) // LastValidEntry
        .u32(0x50, uncommitted as u32) // NumberOfUnCommittedPages
        .u32(0x54, u32::from(uncommitted > 0)); // NumberOfUnCommittedRanges
    // The segment's own heap entry: size in 16-byte units, busy flag.
    p.u16(0x08, 0x0A8).u8(0x0A, 0x01);
}

/// The first page of the heap at `f.base`.
pub fn heap_page(f: &HeapFacts) -> Vec<u8> {
    let mut p = LeBuf::zeroed(PAGE_SIZE as usize);
    let head = f.base + SEGMENT_LIST;
    let own_entry = f.base + SEGMENT_LIST_ENTRY;
    let seg_entries: Vec<u64> = f.extra_segments.iter().map(|s| s + SEGMENT_LIST_ENTRY).collect();
    let first_extra = seg_entries.first().copied().unwrap_or(head);
    let last = seg_entries.last().copied().unwrap_or(own_entry);
    write_segment(&mut p, f.base, f.base, f.reserved_bytes, f.committed_bytes, first_extra, head);
    p.u64(0x60, f.base + 0x60) // UCRSegmentList (empty: points at itself)
        .u64(0x68, f.base + 0x60)
        .u32(0x70, f.flags)
        .u32(0x74, 0) // ForceFlags
        .u32(0x78, 0) // CompatibilityFlags
        .u32(0x7C, 0x0010_0000) // EncodeFlagMask
        .u64(0x80, f.keys.0) // Encoding
        .u64(0x88, f.keys.0.rotate_left(17))
        .u64(0x90, f.keys.1) // PointerKey
        .u32(0x98, 0) // Interceptor
        .u32(0x9C, 0xFF00) // VirtualMemoryThreshold (in 16-byte units)
        .u32(0xA0, HEAP_SIGNATURE)
        .u64(0xA8, 0x10_0000) // SegmentReserve
        .u64(0xB0, 0x2000) // SegmentCommit
        .u64(0xB8, 0x1000) // DeCommitFreeBlockThreshold
        .u64(0xC0, 0x1_0000) // DeCommitTotalFreeThreshold
        .u64(SEGMENT_LIST as usize, own_entry) // SegmentList.Flink
        .u64(SEGMENT_LIST as usize + 8, last) // SegmentList.Blink
        .u8(0x1A2, 2); // FrontEndHeapType: low-fragmentation heap
    p.into_vec()
}

/// The first page of extra segment number `index` of heap `f`.
pub fn segment_page(f: &HeapFacts, index: usize, reserved: u64, committed: u64) -> Vec<u8> {
    let mut p = LeBuf::zeroed(PAGE_SIZE as usize);
    let entries: Vec<u64> = std::iter::once(f.base + SEGMENT_LIST_ENTRY)
        .chain(f.extra_segments.iter().map(|s| s + SEGMENT_LIST_ENTRY))
        .chain(std::iter::once(f.base + SEGMENT_LIST))
        .collect();
    let segment = f.extra_segments.get(index).copied().unwrap_or(f.base);
    let flink = entries.get(index + 2).copied().unwrap_or(f.base + SEGMENT_LIST);
    let blink = entries.get(index).copied().unwrap_or(f.base + SEGMENT_LIST);
    write_segment(&mut p, f.base, segment, reserved, committed, flink, blink);
    p.into_vec()
}
