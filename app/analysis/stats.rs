//! Address-space statistics for the overview charts: bytes per kind, a log2
//! histogram of allocated region sizes, free-space fragmentation, stack use
//! per thread and module sizes. Pure and deterministic: every list is sorted,
//! nothing depends on hash order, and one pass plus a sort keeps it O(n log n).

use std::collections::BTreeMap;

use crate::dump::{AddressSpace, Owner, RegionKind, RegionState};

/// How many of the largest free blocks [`FreeSummary::largest`] keeps.
pub const LARGEST_FREE_BLOCKS: usize = 16;

/// One bucket of the region-size histogram: sizes in `[lo_bytes, hi_bytes)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeBucket {
    /// Inclusive lower bound, a power of two (0 for the bucket of empty regions).
    pub lo_bytes: u64,
    /// Exclusive upper bound, twice `lo_bytes` (`u64::MAX` for the top bucket,
    /// whose true bound 2^64 does not fit).
    pub hi_bytes: u64,
    /// Regions whose size falls in the bucket.
    pub count: usize,
    /// Their bytes together.
    pub total_bytes: u64,
}

impl SizeBucket {
    /// log2 of `lo_bytes` (the bucket's position on a log axis); 0 for the
    /// empty-region bucket and for `[1, 2)`.
    pub fn log2(&self) -> u32 {
        self.lo_bytes.checked_ilog2().unwrap_or(0)
    }
}

/// Free space as VirtualQuery sees it: adjacent regions whose state is
/// MEM_FREE merged into one block. That includes VMMap's "Unusable" slivers
/// (free pages at the end of a 64 KiB allocation granule), so the blocks
/// match [`AddressSpace::largest_free`].
#[derive(Clone, Debug, PartialEq)]
pub struct FreeSummary {
    pub total_bytes: u64,
    /// Number of merged free blocks.
    pub block_count: usize,
    /// The largest blocks as (base, size), largest first (equal sizes by
    /// base), at most [`LARGEST_FREE_BLOCKS`].
    pub largest: Vec<(u64, u64)>,
    /// `1 - largest block / total free` (0 when there is no free space): 0 is
    /// one contiguous hole, near 1 is free space shattered into small pieces.
    pub fragmentation: f64,
}

/// Stack bytes of one thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackUse {
    pub thread_id: u32,
    pub name: Option<String>,
    /// `stack_end - sp` when the stack pointer lies in the captured stack
    /// range, else the bytes of the stack the dump captured.
    pub used_bytes: u64,
    /// The bytes of the Stack regions the thread owns (the whole reservation
    /// where a MemoryInfoList shows it, guard page included); 0 when the region
    /// list attributes no Stack region to the thread.
    pub reserved_bytes: u64,
}

/// Everything the overview charts draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Overview {
    /// Every kind in legend order ([`RegionKind::ALL`]), zeros included; sums
    /// to the user-mode limit.
    pub bytes_by_kind: Vec<(RegionKind, u64)>,
    /// log2 buckets of the sizes of the allocated regions (state Commit or
    /// Reserve), smallest first, from the smallest to the largest non-empty
    /// bucket with the empty ones between kept so the axis is continuous.
    /// Free space (see `free`) and space the dump does not describe (state
    /// Unknown: the gaps of synthesized maps) are left out: their sizes say
    /// nothing about allocations and would swamp the picture.
    pub size_histogram: Vec<SizeBucket>,
    pub free: FreeSummary,
    /// One entry per thread, deepest stack first (then by thread id, then in
    /// the dump's order).
    pub stacks: Vec<StackUse>,
    /// (index into `AddressSpace::modules`, size), largest first, equal sizes
    /// by index.
    pub modules: Vec<(usize, u64)>,
}

/// Whether a region counts as allocated for the size histogram.
pub fn is_allocated(state: RegionState) -> bool {
    matches!(state, RegionState::Commit | RegionState::Reserve)
}

/// Computes the overview of an address space.
pub fn overview(space: &AddressSpace) -> Overview {
    Overview {
        bytes_by_kind: space.bytes_by_kind().into_iter().collect(),
        size_histogram: size_histogram(space),
        free: free_summary(space),
        stacks: stack_use(space),
        modules: module_sizes(space),
    }
}

/// Bucket index of a size: 0 for 0 bytes, k + 1 for sizes in [2^k, 2^(k+1)).
fn bucket_index(size: u64) -> usize {
    (u64::BITS - size.leading_zeros()) as usize
}

fn bucket_bounds(index: usize) -> (u64, u64) {
    match index {
        0 => (0, 1),
        64 => (1 << 63, u64::MAX),
        i => (1 << (i - 1), 1 << i),
    }
}

fn size_histogram(space: &AddressSpace) -> Vec<SizeBucket> {
    let mut counts = [(0usize, 0u64); 65];
    for r in space.regions.iter().filter(|r| is_allocated(r.state)) {
        let slot = &mut counts[bucket_index(r.size_bytes)];
        slot.0 += 1;
        slot.1 = slot.1.saturating_add(r.size_bytes);
    }
    let Some(first) = counts.iter().position(|c| c.0 > 0) else {
        return Vec::new();
    };
    let last = counts.iter().rposition(|c| c.0 > 0).unwrap_or(first);
    (first..=last)
        .map(|i| {
            let (lo_bytes, hi_bytes) = bucket_bounds(i);
            SizeBucket { lo_bytes, hi_bytes, count: counts[i].0, total_bytes: counts[i].1 }
        })
        .collect()
}

fn free_summary(space: &AddressSpace) -> FreeSummary {
    let mut blocks: Vec<(u64, u64)> = Vec::new();
    let mut run: Option<(u64, u64)> = None;
    for r in &space.regions {
        if r.state == RegionState::Free {
            run = Some(match run {
                Some((b, s)) if b.saturating_add(s) == r.base_addr => (b, s.saturating_add(r.size_bytes)),
                Some(done) => {
                    blocks.push(done);
                    (r.base_addr, r.size_bytes)
                }
                None => (r.base_addr, r.size_bytes),
            });
        } else if let Some(done) = run.take() {
            blocks.push(done);
        }
    }
    blocks.extend(run);
    let total_bytes = blocks.iter().fold(0u64, |a, b| a.saturating_add(b.1));
    let block_count = blocks.len();
    blocks.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    blocks.truncate(LARGEST_FREE_BLOCKS);
    let fragmentation = match blocks.first() {
        Some(&(_, largest)) if total_bytes > 0 => 1.0 - largest as f64 / total_bytes as f64,
        _ => 0.0,
    };
    FreeSummary { total_bytes, block_count, largest: blocks, fragmentation }
}

fn stack_use(space: &AddressSpace) -> Vec<StackUse> {
    let mut reserved: BTreeMap<u32, u64> = BTreeMap::new();
    for r in &space.regions {
        if let (RegionKind::Stack, Owner::Thread(id)) = (r.kind, &r.owner) {
            let e = reserved.entry(*id).or_default();
            *e = e.saturating_add(r.size_bytes);
        }
    }
    let mut out: Vec<(usize, StackUse)> = space
        .threads
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let used_bytes = match t.sp {
                Some(sp) if sp >= t.stack_start_addr && sp < t.stack_end_addr => t.stack_end_addr - sp,
                _ => t.stack_captured_bytes,
            };
            let su = StackUse {
                thread_id: t.id,
                name: t.name.clone(),
                used_bytes,
                reserved_bytes: reserved.get(&t.id).copied().unwrap_or(0),
            };
            (i, su)
        })
        .collect();
    out.sort_by(|(ia, a), (ib, b)| {
        b.used_bytes.cmp(&a.used_bytes).then(a.thread_id.cmp(&b.thread_id)).then(ia.cmp(ib))
    });
    out.into_iter().map(|(_, s)| s).collect()
}

fn module_sizes(space: &AddressSpace) -> Vec<(usize, u64)> {
    let mut out: Vec<(usize, u64)> = space.modules.iter().enumerate().map(|(i, m)| (i, m.size_bytes)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_powers_of_two() {
        assert_eq!(bucket_index(0), 0);
        assert_eq!(bucket_index(1), 1);
        assert_eq!(bucket_index(0x1000), 13);
        assert_eq!(bucket_bounds(13), (0x1000, 0x2000));
        assert_eq!(bucket_bounds(bucket_index(0x1fff)), (0x1000, 0x2000));
        assert_eq!(bucket_bounds(bucket_index(u64::MAX)), (1 << 63, u64::MAX));
        for size in [1u64, 2, 3, 4095, 4096, 65536, 1 << 40, u64::MAX - 1] {
            let (lo, hi) = bucket_bounds(bucket_index(size));
            assert!(lo <= size && (size < hi || hi == u64::MAX), "{size:#x} not in [{lo:#x}, {hi:#x})");
        }
        let b = SizeBucket { lo_bytes: 0x10000, hi_bytes: 0x20000, count: 1, total_bytes: 0x10000 };
        assert_eq!(b.log2(), 16);
    }
}
