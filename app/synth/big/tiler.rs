//! Allocations placed in ascending address order, turned on the fly into the
//! MemoryInfoList entries `VirtualQuery` would report: a MEM_FREE entry for
//! every gap, the parts of one allocation merged where state and protection
//! agree. Unlike `vspace::AddressSpace` it keeps no allocation objects, only the
//! entries (40 bytes each), so a million regions cost tens of megabytes.

use crate::synth::error::SynthError;
use crate::synth::vspace::{Allocation, MemoryRegion, free_region, push_allocation};
use crate::synth::winnt::PAGE_SIZE;

/// The entries so far and where the next allocation may start.
#[derive(Debug, Default)]
pub struct Tiler {
    regions: Vec<MemoryRegion>,
    cursor: u64,
}

impl Tiler {
    /// An empty tiling of an address space starting at 0, with room for `capacity` entries.
    pub fn with_capacity(capacity: usize) -> Self {
        Self { regions: Vec::with_capacity(capacity), cursor: 0 }
    }

    /// One past the last byte placed so far.
    pub fn cursor(&self) -> u64 {
        self.cursor
    }

    /// Entries so far.
    #[cfg(test)]
    pub fn len(&self) -> u64 {
        self.regions.len() as u64
    }

    /// Append `alloc`, which must start at or above the cursor, on a page.
    pub fn place(&mut self, alloc: &Allocation) -> Result<(), SynthError> {
        let size = alloc.size_bytes();
        let misplaced = |why| SynthError::Misplaced { what: alloc.label.clone(), base: alloc.base, size, why };
        if size == 0 {
            return Err(misplaced("it is empty"));
        }
        if alloc.base < self.cursor {
            return Err(misplaced("it lies below the previous allocation"));
        }
        if !alloc.base.is_multiple_of(PAGE_SIZE) || alloc.parts.iter().any(|p| !p.size_bytes.is_multiple_of(PAGE_SIZE))
        {
            return Err(misplaced("it is not made of whole pages"));
        }
        if alloc.base > self.cursor {
            self.regions.push(free_region(self.cursor, alloc.base));
        }
        let at = push_allocation(&mut self.regions, alloc);
        self.cursor = at;
        Ok(())
    }

    /// The entries, with the free space up to `end` as the last one.
    pub fn finish(mut self, end: u64) -> Vec<MemoryRegion> {
        if end > self.cursor {
            self.regions.push(free_region(self.cursor, end));
        }
        self.regions
    }
}

/// How many entries `alloc` alone produces (its parts, merged).
pub fn entries_of(alloc: &Allocation) -> u64 {
    let mut n = 0;
    let mut last = None;
    for p in &alloc.parts {
        if last != Some((p.state, p.protect)) {
            n += 1;
        }
        last = Some((p.state, p.protect));
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::winnt::{MEM_PRIVATE, PAGE_READWRITE};

    #[test]
    fn gaps_and_merges_match_vspace() {
        let a = Allocation::new(0x1_0000, MEM_PRIVATE, PAGE_READWRITE, "a")
            .commit(0x1000, PAGE_READWRITE)
            .commit(0x1000, PAGE_READWRITE)
            .reserve(0x3000);
        let b = Allocation::new(0x1_5000, MEM_PRIVATE, PAGE_READWRITE, "b").commit(0x1000, PAGE_READWRITE);
        let mut t = Tiler::with_capacity(8);
        t.place(&a).unwrap_or_default();
        t.place(&b).unwrap_or_default();
        assert_eq!(entries_of(&a), 2);
        let mut space = crate::synth::vspace::AddressSpace::new(0x100_0000);
        space.add(a.clone()).unwrap_or_default();
        space.add_aligned(b, PAGE_SIZE).unwrap_or_default();
        assert_eq!(t.finish(0x100_0000), space.regions());
        let mut t = Tiler::default();
        t.place(&a).unwrap_or_default();
        assert!(t.place(&a).is_err(), "overlap refused");
    }
}
