//! The bulk of a big process's address space, between its heaps and the CFG
//! reservation: private data (committed, some with a reserved tail), mapped
//! data files and pagefile-backed sections, extra heap segments, JIT-style
//! executable memory, bare reservations and fragmented allocations whose
//! commit/reserve runs alternate, with free gaps between many of them. Runs
//! are drawn until the MemoryInfoList has exactly the entries asked for.

use super::captures::{Content, Span};
use super::heap_plan::HeapPlan;
use super::tiler::{Tiler, entries_of};
use crate::synth::error::SynthError;
use crate::synth::rng::SplitMix64;
use crate::synth::vspace::Allocation;
use crate::synth::winnt::{
    ALLOCATION_GRANULARITY as GRAN, MEM_COMMIT, MEM_MAPPED, MEM_PRIVATE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE,
    PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_SIZE, PAGE_WRITECOPY,
};

/// Extra segments a heap may grow (each doubles the last, as NT heaps do).
const MAX_SEGMENTS_PER_HEAP: usize = 8;
/// At or under this many entries left, one last allocation takes them all.
const FINISH_AT: u64 = 16;
/// The most entries one random run takes: a gap and a 12-part allocation.
const MAX_RUN_ENTRIES: u64 = 13;

/// Where the runs go and what they feed.
pub struct Extras<'a> {
    /// The MemoryInfoList being built.
    pub tiler: &'a mut Tiler,
    /// Ranges that may be captured.
    pub spans: &'a mut Vec<Span>,
    /// Heaps that get extra segments.
    pub heaps: &'a mut [HeapPlan],
    /// Runs must end below this address.
    pub end: u64,
}

impl Extras<'_> {
    /// Add runs worth exactly `budget` MemoryInfoList entries.
    pub fn fill(&mut self, budget: u64, seed: u64) -> Result<(), SynthError> {
        let mut rng = SplitMix64::for_name(seed, "big extras");
        let mut remaining = budget;
        while remaining > 0 {
            // An allocation can only start on a 64 KiB boundary: after one that
            // ended elsewhere, a free gap comes first.
            let forced_gap = !self.tiler.cursor().is_multiple_of(GRAN);
            if remaining <= FINISH_AT {
                let parts = remaining - u64::from(forced_gap);
                if parts == 0 {
                    return Err(SynthError::Inconsistent {
                        what: "fragmentation runs".into(),
                        why: "one entry left after an unaligned allocation".into(),
                    });
                }
                let base = self.next_base(forced_gap, &mut rng);
                let alloc = fragmented(base, parts, true, &mut rng);
                self.add(&alloc, Content::Data)?;
                break;
            }
            let gap = forced_gap || rng.chance(45);
            let base = self.next_base(gap, &mut rng);
            let (alloc, content) = self.random_run(base, &mut rng);
            let cost = entries_of(&alloc) + u64::from(gap);
            if cost > MAX_RUN_ENTRIES {
                return Err(SynthError::Inconsistent {
                    what: "fragmentation run".into(),
                    why: "too many parts".into(),
                });
            }
            self.add(&alloc, content)?;
            remaining -= cost;
        }
        if self.tiler.cursor() > self.end {
            return Err(SynthError::NoRoom {
                what: "private data and fragmentation".into(),
                size: self.tiler.cursor(),
            });
        }
        Ok(())
    }

    /// Where the next allocation starts: right at the cursor, or after a gap.
    fn next_base(&self, gap: bool, rng: &mut SplitMix64) -> u64 {
        let cursor = self.tiler.cursor();
        let aligned = cursor.next_multiple_of(GRAN);
        if !gap {
            return aligned;
        }
        let units = if rng.chance(97) { rng.range(1, 32) } else { rng.range(32, 4096) };
        // An unaligned cursor already leaves a gap up to the boundary.
        aligned + GRAN * if aligned == cursor { units } else { units - 1 }
    }

    fn random_run(&mut self, base: u64, rng: &mut SplitMix64) -> (Allocation, Content) {
        let private = |protect| Allocation::new(base, MEM_PRIVATE, protect, String::new());
        match rng.below(100) {
            // Private data: VirtualAlloc'd buffers, CRT and allocator arenas.
            0..=27 => {
                let committed = data_pages(rng) * PAGE_SIZE;
                let a = private(PAGE_READWRITE).commit(committed, PAGE_READWRITE);
                let a = if rng.chance(50) { a.reserve(aligned_tail(committed, rng)) } else { a };
                (a, Content::Data)
            }
            // Fragmented allocations: commit/reserve runs.
            28..=49 => (fragmented(base, rng.range(3, 13), rng.chance(70), rng), Content::Data),
            // Data files mapped read-only (fonts, NLS tables, resources).
            50..=63 => {
                let pages = match rng.below(100) {
                    0..=49 => rng.range(1, 16),
                    50..=89 => rng.range(16, 512),
                    _ => rng.range(512, 8192),
                };
                let protect = if rng.chance(85) { PAGE_READONLY } else { PAGE_WRITECOPY };
                let a = Allocation::new(base, MEM_MAPPED, protect, String::new()).commit(pages * PAGE_SIZE, protect);
                (a, Content::Data)
            }
            // Pagefile-backed shared sections.
            64..=67 => {
                let a = Allocation::new(base, MEM_MAPPED, PAGE_READWRITE, String::new())
                    .commit(rng.range(1, 64) * PAGE_SIZE, PAGE_READWRITE);
                (a, Content::Data)
            }
            // Bare reservations (address space kept for later growth).
            68..=79 => {
                let protect = if rng.chance(70) { PAGE_READWRITE } else { PAGE_NOACCESS };
                (private(protect).reserve(GRAN * rng.range(1, 256)), Content::Data)
            }
            // Executable memory of a JIT or a hooking library.
            80..=83 => {
                let committed = rng.range(1, 64) * PAGE_SIZE;
                let a = private(PAGE_EXECUTE_READWRITE)
                    .commit(committed, if rng.chance(70) { PAGE_EXECUTE_READ } else { PAGE_EXECUTE_READWRITE })
                    .reserve(aligned_tail(committed, rng));
                (a, Content::Data)
            }
            // Another segment of a heap that outgrew its first one.
            _ => match self.grow_heap(base, rng) {
                Some(run) => run,
                None => {
                    let committed = data_pages(rng) * PAGE_SIZE;
                    (private(PAGE_READWRITE).commit(committed, PAGE_READWRITE), Content::Data)
                }
            },
        }
    }

    fn grow_heap(&mut self, base: u64, rng: &mut SplitMix64) -> Option<(Allocation, Content)> {
        let h = rng.below(self.heaps.len() as u64) as usize;
        let heap = self.heaps.get_mut(h)?;
        let index = heap.segments.len();
        if index >= MAX_SEGMENTS_PER_HEAP {
            return None;
        }
        let reserved = 0x10_0000u64 << index.min(4);
        let committed = rng.range(1, reserved / PAGE_SIZE) * PAGE_SIZE;
        heap.segments.push((base, reserved, committed));
        let a = Allocation::new(base, MEM_PRIVATE, PAGE_READWRITE, String::new())
            .commit(committed, PAGE_READWRITE)
            .reserve(reserved - committed);
        Some((a, Content::Segment { heap: h as u32, index: index as u32 }))
    }

    /// Place `alloc` and note its readable committed parts as capturable
    /// (the first with `first`, for heap segments, the others as data).
    fn add(&mut self, alloc: &Allocation, first: Content) -> Result<(), SynthError> {
        self.tiler.place(alloc)?;
        let mut at = alloc.base;
        let mut content = first;
        for p in &alloc.parts {
            let pages = p.size_bytes / PAGE_SIZE;
            // Only private memory (heaps, data) shares the capture budget.
            if alloc.ty == MEM_PRIVATE && p.state == MEM_COMMIT && p.protect != PAGE_NOACCESS {
                self.spans.push(Span { base: at, min_pages: 0, max_pages: pages, content });
                content = Content::Data;
            }
            at += p.size_bytes;
        }
        Ok(())
    }
}

/// Pages of a private data allocation: mostly small, some large.
fn data_pages(rng: &mut SplitMix64) -> u64 {
    match rng.below(100) {
        0..=59 => rng.range(1, 16),
        60..=89 => rng.range(16, 256),
        _ => rng.range(256, 4096),
    }
}

/// A reserved tail that ends the allocation on a 64 KiB boundary (at least a page).
fn aligned_tail(committed: u64, rng: &mut SplitMix64) -> u64 {
    (committed + PAGE_SIZE).next_multiple_of(GRAN) + GRAN * rng.range(0, 16) - committed
}

/// A private allocation of `parts` runs, committed and reserved by turns
/// (never two alike side by side, so none merge); `aligned` pads the last run
/// so the allocation ends on a 64 KiB boundary.
fn fragmented(base: u64, parts: u64, aligned: bool, rng: &mut SplitMix64) -> Allocation {
    let mut runs: Vec<(u64, bool, u32)> = (0..parts)
        .map(|i| {
            let protect = match rng.below(10) {
                0..=6 => PAGE_READWRITE,
                7..=8 => PAGE_READONLY,
                _ => PAGE_NOACCESS,
            };
            (rng.range(1, 9) * PAGE_SIZE, i % 2 == 0, protect)
        })
        .collect();
    if aligned {
        let total: u64 = runs.iter().map(|r| r.0).sum();
        if let Some(last) = runs.last_mut() {
            last.0 += total.next_multiple_of(GRAN) - total;
        }
    }
    runs.into_iter().fold(
        Allocation::new(base, MEM_PRIVATE, PAGE_READWRITE, String::new()),
        |a, (size, commit, protect)| {
            if commit { a.commit(size, protect) } else { a.reserve(size) }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_met_exactly() {
        for budget in [0, 1, 2, 15, 16, 17, 18, 31, 1000, 20_001] {
            let mut tiler = Tiler::with_capacity(0);
            let mut spans = Vec::new();
            let mut heaps = vec![HeapPlan::default(); 3];
            let mut extras = Extras { tiler: &mut tiler, spans: &mut spans, heaps: &mut heaps, end: u64::MAX };
            extras.fill(budget, budget).unwrap_or_else(|e| panic!("{budget}: {e}"));
            assert_eq!(tiler.len(), budget, "budget {budget}");
            assert!(heaps.iter().all(|h| h.segments.len() <= MAX_SEGMENTS_PER_HEAP));
            assert!(spans.windows(2).all(|w| w[0].base + w[0].max_pages * PAGE_SIZE <= w[1].base));
        }
    }
}
