//! A model of a process's virtual address space as a generator lays it out:
//! allocations (one `VirtualAlloc`, section view or image mapping each) made of
//! parts with their own state and protection, kept sorted, checked for overlap,
//! and turned into the exact tiling of `MINIDUMP_MEMORY_INFO` regions that
//! `VirtualQuery` would report, free gaps included.

use std::collections::BTreeMap;

use super::error::SynthError;
use super::winnt::{ALLOCATION_GRANULARITY, MEM_COMMIT, MEM_FREE, MEM_RESERVE, PAGE_NOACCESS, PAGE_SIZE};

/// A run of pages inside an allocation sharing one state and protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Bytes, a multiple of the page size.
    pub size_bytes: u64,
    /// `MEM_COMMIT` or `MEM_RESERVE`.
    pub state: u32,
    /// Page protection; 0 for reserved pages.
    pub protect: u32,
}

/// One allocation: its base is where `VirtualQuery` reports `AllocationBase`.
#[derive(Debug, Clone)]
pub struct Allocation {
    /// Allocation base.
    pub base: u64,
    /// `MEM_PRIVATE`, `MEM_MAPPED` or `MEM_IMAGE`.
    pub ty: u32,
    /// `AllocationProtect`.
    pub alloc_protect: u32,
    /// The parts, lowest address first.
    pub parts: Vec<Part>,
    /// What the allocation is (for error messages and tests; not written to dumps).
    pub label: String,
}

impl Allocation {
    /// An empty allocation at `base`; add parts with [`Self::commit`] and [`Self::reserve`].
    pub fn new(base: u64, ty: u32, alloc_protect: u32, label: impl Into<String>) -> Self {
        Self { base, ty, alloc_protect, parts: Vec::new(), label: label.into() }
    }

    /// Append `size_bytes` of committed pages with `protect`.
    pub fn commit(self, size_bytes: u64, protect: u32) -> Self {
        self.part(size_bytes, MEM_COMMIT, protect)
    }

    /// Append `size_bytes` of reserved pages.
    pub fn reserve(self, size_bytes: u64) -> Self {
        self.part(size_bytes, MEM_RESERVE, 0)
    }

    fn part(mut self, size_bytes: u64, state: u32, protect: u32) -> Self {
        if size_bytes > 0 {
            self.parts.push(Part { size_bytes, state, protect });
        }
        self
    }

    /// Total size in bytes.
    pub fn size_bytes(&self) -> u64 {
        self.parts.iter().map(|p| p.size_bytes).sum()
    }

    /// One past the last byte.
    pub fn end(&self) -> u64 {
        self.base + self.size_bytes()
    }

    /// Whether `addr..addr + len` lies in committed pages of this allocation.
    pub fn is_committed(&self, addr: u64, len: u64) -> bool {
        let mut at = self.base;
        let end = addr.saturating_add(len);
        let mut covered = addr;
        for part in &self.parts {
            let part_end = at + part.size_bytes;
            if covered >= at && covered < part_end {
                if part.state != MEM_COMMIT {
                    return false;
                }
                covered = part_end;
                if covered >= end {
                    return true;
                }
            }
            at = part_end;
        }
        false
    }
}

/// One `MINIDUMP_MEMORY_INFO` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryRegion {
    /// `BaseAddress`.
    pub base: u64,
    /// `RegionSize`.
    pub size_bytes: u64,
    /// `AllocationBase` (0 for free regions).
    pub alloc_base: u64,
    /// `AllocationProtect` (0 for free regions).
    pub alloc_protect: u32,
    /// `State`.
    pub state: u32,
    /// `Protect`.
    pub protect: u32,
    /// `Type` (0 for free regions).
    pub ty: u32,
}

/// The allocations of one process, sorted by base, never overlapping.
#[derive(Debug, Clone)]
pub struct AddressSpace {
    end: u64,
    allocations: BTreeMap<u64, Allocation>,
}

impl AddressSpace {
    /// An empty address space `0..end`.
    pub fn new(end: u64) -> Self {
        Self { end, allocations: BTreeMap::new() }
    }

    /// One past the highest user-mode address.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Add `alloc`, refusing overlaps, empty or unaligned allocations and ones
    /// outside the address space. TEBs and the PEB are placed by the kernel on page
    /// (not 64 KiB) boundaries; pass `granularity` accordingly.
    pub fn add_aligned(&mut self, alloc: Allocation, granularity: u64) -> Result<(), SynthError> {
        let size = alloc.size_bytes();
        let misplaced = |why| SynthError::Misplaced { what: alloc.label.clone(), base: alloc.base, size, why };
        if size == 0 {
            return Err(misplaced("it is empty"));
        }
        if !alloc.base.is_multiple_of(granularity) {
            return Err(misplaced("its base is not aligned"));
        }
        if alloc.parts.iter().any(|p| p.size_bytes % PAGE_SIZE != 0) {
            return Err(misplaced("a part is not a whole number of pages"));
        }
        if alloc.base == 0 || alloc.base.saturating_add(size) > self.end {
            return Err(misplaced("it lies outside the user address space"));
        }
        if let Some(other) = self.overlapping(alloc.base, size) {
            return Err(SynthError::Overlap {
                new: alloc.label.clone(),
                new_base: alloc.base,
                existing: other.label.clone(),
                existing_base: other.base,
            });
        }
        self.allocations.insert(alloc.base, alloc);
        Ok(())
    }

    /// Add `alloc`, which must start on a 64 KiB allocation-granularity boundary.
    pub fn add(&mut self, alloc: Allocation) -> Result<(), SynthError> {
        self.add_aligned(alloc, ALLOCATION_GRANULARITY)
    }

    fn overlapping(&self, base: u64, size: u64) -> Option<&Allocation> {
        let end = base + size;
        if let Some((_, below)) = self.allocations.range(..=base).next_back()
            && below.end() > base
        {
            return Some(below);
        }
        self.allocations.range(base..end).next().map(|(_, above)| above)
    }

    /// Whether `base..base + size` touches no allocation.
    pub fn is_free(&self, base: u64, size: u64) -> bool {
        base.saturating_add(size) <= self.end && self.overlapping(base, size).is_none()
    }

    /// The lowest `align`-aligned base at or above `from` where `size` bytes are free.
    pub fn find_free_up(&self, from: u64, size: u64, align: u64) -> Option<u64> {
        let mut at = from.next_multiple_of(align);
        loop {
            if at.checked_add(size)? > self.end {
                return None;
            }
            match self.overlapping(at, size) {
                None => return Some(at),
                Some(other) => at = other.end().next_multiple_of(align),
            }
        }
    }

    /// The highest `align`-aligned base such that `size` bytes fit below `below`.
    pub fn find_free_down(&self, below: u64, size: u64, align: u64) -> Option<u64> {
        let mut top = below;
        loop {
            let at = top.checked_sub(size)? / align * align;
            match self.overlapping(at, size) {
                None => return Some(at),
                Some(other) => top = other.base,
            }
        }
    }

    /// The allocation containing `addr`.
    pub fn allocation_at(&self, addr: u64) -> Option<&Allocation> {
        self.allocations.range(..=addr).next_back().map(|(_, a)| a).filter(|a| addr < a.end())
    }

    /// All allocations, lowest first.
    pub fn allocations(&self) -> impl Iterator<Item = &Allocation> {
        self.allocations.values()
    }

    /// The `VirtualQuery` view: regions tiling `0..end` in ascending order, free
    /// gaps as `MEM_FREE`/`PAGE_NOACCESS`, neighbouring parts of one allocation with
    /// identical state and protection merged as the kernel reports them.
    pub fn regions(&self) -> Vec<MemoryRegion> {
        let mut out: Vec<MemoryRegion> = Vec::with_capacity(self.allocations.len() * 3);
        let mut cursor = 0u64;
        for alloc in self.allocations.values() {
            if alloc.base > cursor {
                out.push(free_region(cursor, alloc.base));
            }
            push_allocation(&mut out, alloc);
            cursor = alloc.end();
        }
        if cursor < self.end {
            out.push(free_region(cursor, self.end));
        }
        out
    }
}

/// Appends `alloc`'s regions to `out`: neighbouring parts with identical
/// state and protection merged, as the kernel reports them. Returns where
/// the allocation ends.
pub(crate) fn push_allocation(out: &mut Vec<MemoryRegion>, alloc: &Allocation) -> u64 {
    let mut at = alloc.base;
    let first_of_alloc = out.len();
    for part in &alloc.parts {
        let merges = out.len() > first_of_alloc
            && out.last().is_some_and(|r| r.state == part.state && r.protect == part.protect);
        match out.last_mut() {
            Some(last) if merges => last.size_bytes += part.size_bytes,
            _ => out.push(MemoryRegion {
                base: at,
                size_bytes: part.size_bytes,
                alloc_base: alloc.base,
                alloc_protect: alloc.alloc_protect,
                state: part.state,
                protect: part.protect,
                ty: alloc.ty,
            }),
        }
        at += part.size_bytes;
    }
    at
}

/// A MEM_FREE entry for [base, end).
pub(crate) fn free_region(base: u64, end: u64) -> MemoryRegion {
    MemoryRegion {
        base,
        size_bytes: end - base,
        alloc_base: 0,
        alloc_protect: 0,
        state: MEM_FREE,
        protect: PAGE_NOACCESS,
        ty: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::winnt::{MEM_PRIVATE, PAGE_READWRITE};

    #[test]
    fn regions_tile_and_merge() {
        let mut space = AddressSpace::new(0x100_0000);
        let a = Allocation::new(0x1_0000, MEM_PRIVATE, PAGE_READWRITE, "a")
            .commit(0x1000, PAGE_READWRITE)
            .commit(0x1000, PAGE_READWRITE)
            .reserve(0x3000);
        space.add(a).expect("fits");
        let regions = space.regions();
        assert_eq!(regions.len(), 4);
        assert_eq!(regions[1].size_bytes, 0x2000);
        assert_eq!(regions[3].base, 0x1_5000);
        assert_eq!(regions.last().map(|r| r.base + r.size_bytes), Some(0x100_0000));
    }

    #[test]
    fn overlaps_are_refused() {
        let mut space = AddressSpace::new(0x100_0000);
        let a = Allocation::new(0x2_0000, MEM_PRIVATE, PAGE_READWRITE, "a").reserve(0x2_0000);
        let b = Allocation::new(0x3_0000, MEM_PRIVATE, PAGE_READWRITE, "b").reserve(0x1000);
        space.add(a).expect("fits");
        assert!(space.add(b).is_err());
        assert_eq!(space.find_free_up(0x2_0000, 0x1000, 0x1_0000), Some(0x4_0000));
        assert_eq!(space.find_free_down(0x3_0000, 0x1_0000, 0x1_0000), Some(0x1_0000));
    }
}
