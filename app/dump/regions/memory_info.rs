//! Regions from the MemoryInfoList stream (VirtualQuery results), with the
//! kind each MEM_IMAGE / MEM_MAPPED / MEM_PRIVATE region gets before the
//! Windows objects (stacks, heaps, TEBs, PEB) are marked on top.
//!
//! Read here rather than with minidump's MinidumpMemoryInfoList so that a list
//! cut short by truncation keeps the entries it still holds.

use std::sync::LazyLock;

use scroll::Pread;

use super::painter::{Painter, SortedBuilder};
use crate::dump::model::MemoryInfoStates;
use crate::dump::region::{Label, Owner, Protection, Region, RegionKind, RegionState, RegionType};

const MEM_COMMIT: u32 = 0x1000;
const MEM_RESERVE: u32 = 0x2000;
const MEM_FREE: u32 = 0x10000;
const MEM_PRIVATE: u32 = 0x20000;
const MEM_MAPPED: u32 = 0x40000;
const MEM_IMAGE: u32 = 0x100_0000;

/// Labels many regions may carry, allocated once.
static NO_MODULE_RECORD: LazyLock<Label> = LazyLock::new(|| Label::from("image without a module record"));
static GRANULE_TAIL: LazyLock<Label> = LazyLock::new(|| Label::from("rest of a 64 KiB allocation granule"));

/// One MINIDUMP_MEMORY_INFO entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MemInfoEntry {
    pub base: u64,
    pub alloc_base: u64,
    pub alloc_protect: u32,
    pub size: u64,
    pub state: u32,
    pub protect: u32,
    pub ty: u32,
}

/// The entries of a MemoryInfoList stream, read in place from the mapped
/// file: a million entries are 48 MB that need not be copied.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MemInfoList<'a> {
    /// The entries' bytes: `len` entries of `entry_size` bytes.
    entries: &'a [u8],
    entry_size: usize,
    len: usize,
}

impl<'a> MemInfoList<'a> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entry `i` (< len): the bytes are there, checked when the list was read.
    pub fn get(&self, i: usize) -> MemInfoEntry {
        let e = &self.entries[i * self.entry_size..][..48];
        // The 48 bytes are there (checked when the list was read), so no default is ever used.
        let u64_at = |at: usize| e[at..].first_chunk().map_or(0, |b| u64::from_le_bytes(*b));
        let u32_at = |at: usize| e[at..].first_chunk().map_or(0, |b| u32::from_le_bytes(*b));
        MemInfoEntry {
            base: u64_at(0),
            alloc_base: u64_at(8),
            alloc_protect: u32_at(16),
            size: u64_at(24),
            state: u32_at(32),
            protect: u32_at(36),
            ty: u32_at(40),
        }
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = MemInfoEntry> + '_ {
        (0..self.len).map(|i| self.get(i))
    }
}

/// The entries the stream holds (header: u32 size_of_header, u32
/// size_of_entry, u64 count), never more than fit in it.
pub(crate) fn read_memory_info_list<'a>(stream: &'a [u8], warnings: &mut Vec<String>) -> MemInfoList<'a> {
    let header = (stream.pread_with::<u32>(0, scroll::LE), stream.pread_with::<u32>(4, scroll::LE));
    let (Ok(header_size), Ok(entry_size)) = header else {
        warnings.push("MemoryInfoList: stream too short for its header".into());
        return MemInfoList::default();
    };
    let (header_size, entry_size) = (header_size as usize, entry_size as usize);
    // MINIDUMP_MEMORY_INFO_LIST's count is a u64 (16-byte header), but some
    // writers (minidump-synth among them) emit a 12-byte header with a u32 count.
    let count = match header_size {
        12..=15 => stream.pread_with::<u32>(8, scroll::LE).map(u64::from),
        _ => stream.pread_with::<u64>(8, scroll::LE),
    };
    let Ok(count) = count else {
        warnings.push("MemoryInfoList: stream too short for its header".into());
        return MemInfoList::default();
    };
    if entry_size < 48 || header_size < 12 || header_size > stream.len() {
        warnings.push(format!(
            "MemoryInfoList: implausible header (header {header_size} bytes, entry {entry_size} bytes); list ignored"
        ));
        return MemInfoList::default();
    }
    let fits = (stream.len() - header_size) / entry_size;
    if count > fits as u64 {
        warnings.push(format!("MemoryInfoList: claims {count} entries but the stream holds {fits}; reading {fits}"));
    }
    let len = count.min(fits as u64) as usize;
    MemInfoList { entries: &stream[header_size..header_size + len * entry_size], entry_size, len }
}

/// Counts entries by state.
pub(crate) fn count_states(entries: &MemInfoList<'_>) -> MemoryInfoStates {
    let mut c = MemoryInfoStates::default();
    for e in entries.iter() {
        match e.state {
            MEM_FREE => c.free += 1,
            MEM_COMMIT => c.commit += 1,
            MEM_RESERVE => c.reserve += 1,
            _ => c.other += 1,
        }
    }
    c
}

/// Whether the stream's entries look like real 32-bit values got sign-extended
/// (some old writers did so); masks them for 32-bit dumps.
fn mask(pointer_bits: u32, a: u64) -> u64 {
    if pointer_bits == 32 { a & 0xFFFF_FFFF } else { a }
}

/// Paints every entry; later entries win where the list overlaps itself.
/// The region map of `entries` over [0, limit), gaps left `fill`. A list in
/// address order without overlaps (what dbghelp writes) is built in one pass;
/// anything else is painted entry by entry, the later entry winning.
pub(crate) fn memory_info_painter(
    limit: u64,
    fill: Region,
    entries: &MemInfoList<'_>,
    module_labels: &[Label],
    module_index_at: &dyn Fn(u64) -> Option<usize>,
    pointer_bits: u32,
    warnings: &mut Vec<String>,
) -> Painter {
    let mut prev_end = 0u64;
    let in_order = entries.iter().all(|e| {
        let base = mask(pointer_bits, e.base);
        let ok = e.size > 0 && base >= prev_end && base.checked_add(e.size).is_some();
        prev_end = base.saturating_add(e.size);
        ok
    });
    if in_order {
        // Unusable granule tails are split off as the regions are made: one
        // pass, no second walk that moves every region.
        let mut b = SortedBuilder::new(limit, fill, entries.len() + entries.len() / 8);
        for e in entries.iter() {
            let r = region_from_entry(&e, mask(pointer_bits, e.base), module_labels, module_index_at, pointer_bits);
            push_split_unusable(&mut b, r);
        }
        return b.finish();
    }
    let mut painter = Painter::new(limit, fill);
    paint_memory_info(&mut painter, entries, module_labels, module_index_at, pointer_bits, warnings);
    mark_unusable(&mut painter);
    painter
}

/// The allocation granule: VirtualAlloc reserves in 64 KiB steps.
const GRANULE: u64 = 0x10000;

/// Free space that starts inside an allocation granule: the rest of that
/// granule cannot be allocated (VMMap's "Unusable").
fn is_unusable_head(r: &Region) -> bool {
    r.state == RegionState::Free && !r.base_addr.is_multiple_of(GRANULE)
}

/// Where the granule holding `r`'s base ends.
fn granule_end(r: &Region) -> u64 {
    (r.base_addr / GRANULE + 1) * GRANULE
}

/// Pushes `r`, or its unusable head and the free rest when it is free space
/// that starts inside a granule.
fn push_split_unusable(b: &mut SortedBuilder, mut r: Region) {
    if !is_unusable_head(&r) {
        return b.push(r);
    }
    let granule_end = granule_end(&r);
    let tail = (granule_end < r.end_addr()).then(|| {
        let mut tail = r.clone();
        tail.base_addr = granule_end;
        tail.size_bytes = r.end_addr() - granule_end;
        tail
    });
    r.size_bytes = r.size_bytes.min(granule_end - r.base_addr);
    r.kind = RegionKind::Unusable;
    r.label = GRANULE_TAIL.clone();
    b.push(r);
    if let Some(tail) = tail {
        b.push(tail);
    }
}

fn paint_memory_info(
    painter: &mut Painter,
    entries: &MemInfoList<'_>,
    module_labels: &[Label],
    module_index_at: &dyn Fn(u64) -> Option<usize>,
    pointer_bits: u32,
    warnings: &mut Vec<String>,
) {
    let mut overlaps = 0usize;
    let mut bad = 0usize;
    let mut prev_end = 0u64;
    for e in entries.iter() {
        let base = mask(pointer_bits, e.base);
        let Some(end) = base.checked_add(e.size).filter(|_| e.size > 0) else {
            bad += 1;
            continue;
        };
        if base < prev_end {
            overlaps += 1;
        }
        prev_end = prev_end.max(end);
        painter.paint(region_from_entry(&e, base, module_labels, module_index_at, pointer_bits));
    }
    if overlaps > 0 {
        warnings.push(format!("MemoryInfoList: {overlaps} entries overlap earlier ones (the later entry wins)"));
    }
    if bad > 0 {
        warnings.push(format!("MemoryInfoList: {bad} entries with zero or wrapping sizes skipped"));
    }
}

fn region_from_entry(
    e: &MemInfoEntry,
    base: u64,
    module_labels: &[Label],
    module_index_at: &dyn Fn(u64) -> Option<usize>,
    pointer_bits: u32,
) -> Region {
    let state = match e.state {
        MEM_COMMIT => RegionState::Commit,
        MEM_RESERVE => RegionState::Reserve,
        MEM_FREE => RegionState::Free,
        _ => RegionState::Unknown,
    };
    let ty = match e.ty {
        MEM_IMAGE => Some(RegionType::Image),
        MEM_MAPPED => Some(RegionType::Mapped),
        MEM_PRIVATE => Some(RegionType::Private),
        _ => None,
    };
    let protect = Protection(e.protect);
    let alloc_base = mask(pointer_bits, e.alloc_base);
    let mut owner = Owner::None;
    let mut label = Label::EMPTY;
    let kind = match (state, ty) {
        (RegionState::Free, _) => RegionKind::Free,
        (_, Some(RegionType::Image)) => {
            if let Some(i) = module_index_at(base).or_else(|| module_index_at(alloc_base)) {
                owner = Owner::module(i);
                label = module_labels[i].clone();
            } else {
                label = NO_MODULE_RECORD.clone();
            }
            RegionKind::Image
        }
        (RegionState::Reserve, _) => RegionKind::Reserved,
        // A minidump does not name the file behind a view; read-only views are
        // almost always data files (locale.nls, fonts), writable ones are
        // pagefile-backed shared sections, which VMMap calls Shareable.
        (_, Some(RegionType::Mapped)) if protect.is_writable() => RegionKind::Shareable,
        (_, Some(RegionType::Mapped)) => RegionKind::MappedFile,
        (RegionState::Commit, Some(RegionType::Private)) => RegionKind::PrivateData,
        _ => RegionKind::Unknown,
    };
    Region {
        base_addr: base,
        size_bytes: e.size,
        state,
        ty,
        protect,
        alloc_protect: Protection(e.alloc_protect),
        alloc_base_addr: alloc_base,
        captured_bytes: 0,
        kind,
        owner,
        label,
    }
}

/// The highest end address the entries mention.
pub(crate) fn highest_end(entries: &MemInfoList<'_>, pointer_bits: u32) -> u64 {
    entries.iter().filter_map(|e| mask(pointer_bits, e.base).checked_add(e.size)).max().unwrap_or(0)
}

/// Marks the unusable granule tails on a map painted entry by entry (see
/// [`push_split_unusable`], which does it as sorted entries are read): each
/// such free region is split at its granule's end, all at once, then the
/// heads are marked.
fn mark_unusable(painter: &mut Painter) {
    // Only a granule end inside its own region splits (not the next region).
    let ends = painter.iter().filter(|r| is_unusable_head(r) && granule_end(r) < r.end_addr()).map(granule_end);
    painter.split_at_all(ends.collect());
    painter.for_each(|r| {
        if is_unusable_head(r) {
            r.kind = RegionKind::Unusable;
            r.label = GRANULE_TAIL.clone();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(entries: &[[u64; 7]], claim: u64) -> Vec<u8> {
        let mut s = Vec::new();
        s.extend_from_slice(&16u32.to_le_bytes());
        s.extend_from_slice(&48u32.to_le_bytes());
        s.extend_from_slice(&claim.to_le_bytes());
        for e in entries {
            s.extend_from_slice(&e[0].to_le_bytes());
            s.extend_from_slice(&e[1].to_le_bytes());
            s.extend_from_slice(&(e[2] as u32).to_le_bytes());
            s.extend_from_slice(&0u32.to_le_bytes());
            s.extend_from_slice(&e[3].to_le_bytes());
            s.extend_from_slice(&(e[4] as u32).to_le_bytes());
            s.extend_from_slice(&(e[5] as u32).to_le_bytes());
            s.extend_from_slice(&(e[6] as u32).to_le_bytes());
            s.extend_from_slice(&0u32.to_le_bytes());
        }
        s
    }

    #[test]
    fn reads_entries_and_bounds_the_count() {
        let s = stream(&[[0x1000, 0x1000, 4, 0x2000, 0x1000, 4, 0x20000]], 1000);
        let mut w = Vec::new();
        let e = read_memory_info_list(&s, &mut w);
        assert_eq!(e.len(), 1);
        assert_eq!(e.get(0).size, 0x2000);
        assert_eq!(e.get(0).ty, MEM_PRIVATE);
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn sorted_and_unsorted_lists_give_the_same_map_with_unusable_tails() {
        let e = |base: u64, size: u64, state: u32, ty: u32| MemInfoEntry {
            base,
            alloc_base: base,
            alloc_protect: 4,
            size,
            state,
            protect: if state == MEM_FREE { 1 } else { 4 },
            ty,
        };
        let entries = [
            e(0x1_0000, 0x3000, MEM_COMMIT, MEM_PRIVATE),
            e(0x1_3000, 0x2_D000, MEM_FREE, 0), // starts inside a granule: a tail to 0x2_0000
            e(0x4_0000, 0x1_0000, MEM_FREE, 0), // aligned: all free
            e(0x5_0000, 0x1000, MEM_RESERVE, MEM_PRIVATE),
            e(0x5_1000, 0x8000, MEM_FREE, 0), // inside its granule to the end
            e(0x6_0000, 0x2000, MEM_COMMIT, MEM_MAPPED),
            e(0x7_1000, 0x1000, MEM_FREE, 0), // its granule ends inside the next region, which stays whole
            e(0x7_2000, 0x1_E000, MEM_COMMIT, MEM_PRIVATE),
        ];
        let list = |order: &[MemInfoEntry]| {
            let mut bytes = stream(&[], order.len() as u64);
            for x in order {
                for v in [x.base, x.alloc_base] {
                    bytes.extend_from_slice(&v.to_le_bytes());
                }
                bytes.extend_from_slice(&x.alloc_protect.to_le_bytes());
                bytes.extend_from_slice(&0u32.to_le_bytes());
                bytes.extend_from_slice(&x.size.to_le_bytes());
                for v in [x.state, x.protect, x.ty, 0] {
                    bytes.extend_from_slice(&v.to_le_bytes());
                }
            }
            bytes
        };
        let none = |_| None;
        let build = |bytes: &[u8]| {
            let mut w = Vec::new();
            let l = read_memory_info_list(bytes, &mut w);
            let fill = Region::blank(0, 0, RegionKind::Unknown, RegionState::Unknown);
            memory_info_painter(0x10_0000, fill, &l, &[], &none, 64, &mut w).into_regions()
        };
        let mut reversed = entries;
        reversed.reverse();
        let (sorted, unsorted) = (build(&list(&entries)), build(&list(&reversed)));
        assert_eq!(sorted, unsorted);
        let unusable: Vec<(u64, u64)> =
            sorted.iter().filter(|r| r.kind == RegionKind::Unusable).map(|r| (r.base_addr, r.end_addr())).collect();
        assert_eq!(unusable, [(0x1_3000, 0x2_0000), (0x5_1000, 0x5_9000), (0x7_1000, 0x7_2000)]);
        assert!(sorted.iter().any(|r| r.base_addr == 0x7_2000 && r.end_addr() == 0x9_0000));
        assert!(
            sorted.iter().any(|r| r.base_addr == 0x2_0000 && r.kind == RegionKind::Free && r.end_addr() == 0x4_0000)
        );
    }

    #[test]
    fn kinds_from_state_and_type() {
        let none = |_| None;
        let e = |state, protect, ty| MemInfoEntry {
            base: 0x1000,
            alloc_base: 0x1000,
            alloc_protect: 4,
            size: 0x1000,
            state,
            protect,
            ty,
        };
        let k = |x: MemInfoEntry| region_from_entry(&x, x.base, &[], &none, 64).kind;
        assert_eq!(k(e(MEM_FREE, 1, 0)), RegionKind::Free);
        assert_eq!(k(e(MEM_RESERVE, 0, MEM_PRIVATE)), RegionKind::Reserved);
        assert_eq!(k(e(MEM_COMMIT, 4, MEM_PRIVATE)), RegionKind::PrivateData);
        assert_eq!(k(e(MEM_COMMIT, 2, MEM_MAPPED)), RegionKind::MappedFile);
        assert_eq!(k(e(MEM_COMMIT, 4, MEM_MAPPED)), RegionKind::Shareable);
        assert_eq!(k(e(MEM_COMMIT, 0x20, MEM_IMAGE)), RegionKind::Image);
    }
}
