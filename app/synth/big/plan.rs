//! The address-space plan of a big Windows 10 x64 process, lowest address
//! first, as its MemoryInfoList lists it: KUSER_SHARED_DATA at 0x7FFE0000;
//! the thread stacks (reserved, guard, committed) low in the address space so
//! their captured bytes come first in the data block, right after that page,
//! where the thread list's 32-bit RVAs reach them; the PEB and the TEBs; the NT
//! heaps; the bulk of private data, mapped files and fragmentation
//! (`extras.rs`); the CFG bitmap reservation and the read-only shared memory;
//! the executable; the DLLs; free space up to 0x7FFF`FFFF0000.
//!
//! The [`Skeleton`] is the part the threads and modules fix (and so the fewest
//! regions and captured bytes a spec can have); the [`Plan`] adds the extras and
//! shares the capture budget out.

use super::captures::{Capture, Content, Span, distribute};
use super::extras::Extras;
use super::heap_plan::HeapPlan;
use super::images::{ModulePlan, plan_modules};
use super::spec::{BigDumpSpec, MAX_REGIONS, grouped};
use super::threads::{ThreadPlan, plan_threads};
use super::tiler::Tiler;
use crate::synth::error::SynthError;
use crate::synth::rng::SplitMix64;
use crate::synth::stack::LocalsPool;
use crate::synth::teb::TEB_SIZE;
use crate::synth::vspace::{Allocation, MemoryRegion};
use crate::synth::winnt::{
    ALLOCATION_GRANULARITY as GRAN, MEM_MAPPED, MEM_PRIVATE, PAGE_GUARD, PAGE_READONLY, PAGE_READWRITE, PAGE_SIZE,
    USER_SPACE_END_128TB,
};

/// `KUSER_SHARED_DATA`, at the same address in every process.
pub const KUSER_SHARED_DATA: u64 = 0x7FFE_0000;
/// Lowest base of the thread stacks.
const STACK_AREA: u64 = 0x0000_0080_0000_0000;
/// Lowest base of the heaps (the extras follow them).
const HEAP_AREA: u64 = 0x0000_0100_0000_0000;
/// Lowest base of the CFG bitmap reservation (2 TiB, MEM_MAPPED).
const CFG_AREA: u64 = 0x7DF4_0000_0000;
/// Size of the CFG bitmap reservation: one bit per 8 bytes of 128 TiB.
const CFG_BYTES: u64 = 0x200_0000_0000;
/// Pages of the process heap that are always captured: its header, the
/// environment, the process parameters and the `PEB.ProcessHeaps` array.
pub const PROCESS_HEAP_PAGES: u64 = 4;
/// Offsets of those inside the process heap.
pub const ENVIRONMENT_OFFSET: u64 = 0x1330;
/// Offset of `RTL_USER_PROCESS_PARAMETERS`.
pub const PARAMETERS_OFFSET: u64 = 0x2060;
/// Offset of the `PEB.ProcessHeaps` array.
pub const HEAP_LIST_OFFSET: u64 = 0x3000;
/// Heaps the PEB lists at most (the array must fit its page).
const MAX_HEAPS: u32 = 256;

/// What the threads and modules fix: where the stacks, TEBs, PEB, heaps and
/// images are, and the regions and captured bytes that takes.
#[derive(Debug)]
pub struct Skeleton {
    /// The executable, then the DLLs in load order.
    pub modules: Vec<ModulePlan>,
    /// The threads, with their stacks and TEBs placed.
    pub threads: Vec<ThreadPlan>,
    /// The heaps, `PEB.ProcessHeaps` order.
    pub heaps: Vec<HeapPlan>,
    /// The PEB.
    pub peb: u64,
    /// `PEB.ReadOnlySharedMemoryBase`.
    pub read_only_shared: u64,
    /// Allocations below the extras, ascending.
    low: Vec<Allocation>,
    /// Allocations above the extras, ascending.
    high: Vec<Allocation>,
    /// MemoryInfoList entries of the skeleton alone.
    pub entries: u64,
    /// Bytes that must be captured.
    pub mandatory_capture_bytes: u64,
    /// Bytes the skeleton's committed memory can hold in captures.
    pub capacity_bytes: u64,
}

/// How many heaps a process with these threads and modules has.
fn heap_count(threads: u32, modules: u32) -> u32 {
    (4 + threads / 10 + modules / 25).min(MAX_HEAPS)
}

impl Skeleton {
    /// Lay out the skeleton of `spec` (its knobs already range-checked).
    pub fn new(spec: &BigDumpSpec) -> Result<Self, SynthError> {
        // The ModuleList holds `spec.modules` images: the executable and the DLLs.
        let modules = plan_modules((spec.modules as usize).saturating_sub(1), spec.seed);
        let mut threads = plan_threads(spec.threads, &modules, spec.seed);
        let mut rng = SplitMix64::for_name(spec.seed, "big layout");
        let mut low = Vec::with_capacity(threads.len() * 2 + 64);

        low.push(
            Allocation::new(KUSER_SHARED_DATA, MEM_PRIVATE, PAGE_READONLY, "KUSER_SHARED_DATA")
                .commit(PAGE_SIZE, PAGE_READONLY)
                .reserve(GRAN - PAGE_SIZE),
        );

        // Stacks: reserved, guard, committed; mostly back to back.
        let mut cursor = STACK_AREA + rng.below(0x40) * 0x1_0000_0000;
        for (i, t) in threads.iter_mut().enumerate() {
            if i > 0 && rng.chance(25) {
                cursor += GRAN * rng.range(1, 16);
            }
            t.alloc_base = cursor;
            low.push(
                Allocation::new(cursor, MEM_PRIVATE, PAGE_READWRITE, format!("stack of thread {:#x}", t.tid))
                    .reserve(t.reserve_bytes - t.guard_bytes - t.commit_bytes)
                    .commit(t.guard_bytes, PAGE_READWRITE | PAGE_GUARD)
                    .commit(t.commit_bytes, PAGE_READWRITE),
            );
            cursor += t.reserve_bytes;
        }

        // The PEB, then one TEB per thread, page by page.
        let peb = cursor + GRAN * rng.range(16, 256);
        low.push(Allocation::new(peb, MEM_PRIVATE, PAGE_READWRITE, "PEB").commit(PAGE_SIZE, PAGE_READWRITE));
        for (i, t) in threads.iter_mut().enumerate() {
            t.teb = peb + PAGE_SIZE + i as u64 * TEB_SIZE;
            low.push(
                Allocation::new(t.teb, MEM_PRIVATE, PAGE_READWRITE, format!("TEB of thread {:#x}", t.tid))
                    .commit(TEB_SIZE, PAGE_READWRITE),
            );
        }

        // Heaps: sized, grown until they can hold the capture budget, placed.
        let mandatory = mandatory_capture_bytes(&modules, &threads, heap_count(spec.threads, spec.modules));
        let mut heaps = size_heaps(heap_count(spec.threads, spec.modules), &mut rng);
        let heap_must = |i: usize| if i == 0 { PROCESS_HEAP_PAGES * PAGE_SIZE } else { PAGE_SIZE };
        let optional: u64 = heaps.iter().enumerate().map(|(i, h)| h.committed_bytes - heap_must(i)).sum();
        let wanted = spec.captured_bytes_rounded().saturating_sub(mandatory);
        if wanted > optional {
            let grow = (wanted - optional).div_ceil(heaps.len() as u64).next_multiple_of(GRAN);
            for h in &mut heaps {
                h.committed_bytes += grow;
                h.reserved_bytes += grow;
            }
        }
        let mut cursor = HEAP_AREA + rng.below(0x100) * 0x1_0000_0000;
        for (i, h) in heaps.iter_mut().enumerate() {
            if rng.chance(30) {
                cursor += GRAN * rng.range(1, 64);
            }
            h.base = cursor;
            low.push(
                Allocation::new(cursor, MEM_PRIVATE, PAGE_READWRITE, format!("heap {i}"))
                    .commit(h.committed_bytes, PAGE_READWRITE)
                    .reserve(h.reserved_bytes - h.committed_bytes),
            );
            cursor += h.reserved_bytes;
        }
        let capacity = mandatory + heaps.iter().enumerate().map(|(i, h)| h.committed_bytes - heap_must(i)).sum::<u64>();

        // CFG bitmap (committed where images are), read-only shared memory, images.
        let mut high = Vec::with_capacity(modules.len() + 2);
        let cfg = CFG_AREA + rng.below(0x10) * 0x1000_0000;
        let cfg_low = GRAN * rng.range(0x100, 0x1000);
        let cfg_high = GRAN * rng.range(0x10, 0x100);
        high.push(
            Allocation::new(cfg, MEM_MAPPED, PAGE_READONLY, "CFG bitmap")
                .reserve(CFG_BYTES - cfg_low - cfg_high - 4 * GRAN)
                .commit(GRAN, PAGE_READONLY)
                .reserve(cfg_low)
                .commit(3 * GRAN, PAGE_READONLY)
                .reserve(cfg_high),
        );
        let read_only_shared = cfg + CFG_BYTES + GRAN * rng.range(1, 64);
        high.push(
            Allocation::new(read_only_shared, MEM_MAPPED, PAGE_READONLY, "read-only shared memory")
                .commit(0x5000, PAGE_READONLY)
                .reserve(0xF_B000),
        );
        let mut by_base: Vec<&ModulePlan> = modules.iter().collect();
        by_base.sort_by_key(|m| m.image.base);
        high.extend(by_base.iter().map(|m| m.image.allocation()));

        let mut tiler = Tiler::with_capacity(low.len() + high.len() * 8);
        for a in low.iter().chain(&high) {
            tiler.place(a)?;
        }
        let entries = tiler.finish(USER_SPACE_END_128TB).len() as u64;
        Ok(Self {
            modules,
            threads,
            heaps,
            peb,
            read_only_shared,
            low,
            high,
            entries,
            mandatory_capture_bytes: mandatory,
            capacity_bytes: capacity,
        })
    }
}

/// Stacks, TEBs, the PEB, KUSER_SHARED_DATA, heap headers (and the process
/// heap's parameters pages) and module header pages.
fn mandatory_capture_bytes(modules: &[ModulePlan], threads: &[ThreadPlan], heaps: u32) -> u64 {
    let stacks: u64 = threads.iter().map(|t| t.commit_bytes).sum();
    let pages = 2 + PROCESS_HEAP_PAGES + u64::from(heaps.saturating_sub(1)) + modules.len() as u64;
    stacks + threads.len() as u64 * TEB_SIZE + pages * PAGE_SIZE
}

fn size_heaps(count: u32, rng: &mut SplitMix64) -> Vec<HeapPlan> {
    (0..count)
        .map(|i| {
            let committed = if i == 0 { rng.range(0x100, 0x800) } else { rng.range(4, 0x200) } * PAGE_SIZE;
            let reserved = (committed + PAGE_SIZE).next_multiple_of(GRAN) + GRAN * rng.range(0, 64);
            // HEAP_GROWABLE for the process heap; HEAP_CLASS_1 (private) | GROWABLE
            // for the others, some of them also HEAP_CREATE_ENABLE_EXECUTE.
            let flags = match i {
                0 => 0x0000_0002,
                _ if rng.chance(10) => 0x0004_1002,
                _ => 0x0000_1002,
            };
            HeapPlan {
                base: 0,
                reserved_bytes: reserved,
                committed_bytes: committed,
                flags,
                keys: (rng.next_u64(), rng.next_u64()),
                segments: Vec::new(),
            }
        })
        .collect()
}

impl BigDumpSpec {
    /// Whether the generator can produce this dump; the error names the knob
    /// and the range allowed.
    pub fn validate(&self) -> Result<(), SynthError> {
        Skeleton::checked(self).map(|_| ())
    }
}

impl Skeleton {
    /// Check the knobs of `spec` and lay out the part of the process they fix.
    pub fn checked(spec: &BigDumpSpec) -> Result<Self, SynthError> {
        spec.check_ranges()?;
        let out_of_range = |knob, value, why: String| SynthError::OutOfRange { knob, value, why };
        let captured = spec.captured_bytes_rounded();
        let skeleton = Skeleton::new(spec)?;
        let who = format!("{} threads and {} modules", spec.threads, spec.modules);
        if spec.regions < skeleton.entries {
            return Err(out_of_range(
                "regions",
                spec.regions,
                format!(
                    "too few: {who} need at least {} MemoryInfoList entries (allowed {}..={})",
                    grouped(skeleton.entries),
                    grouped(skeleton.entries),
                    grouped(MAX_REGIONS)
                ),
            ));
        }
        if captured < skeleton.mandatory_capture_bytes {
            return Err(out_of_range(
                "captured_bytes",
                spec.captured_bytes,
                format!(
                    "too small: the stacks, TEBs, PEB, heap headers and module headers of {who} need at least {} bytes",
                    grouped(skeleton.mandatory_capture_bytes)
                ),
            ));
        }
        if captured > skeleton.capacity_bytes {
            return Err(out_of_range(
                "captured_bytes",
                spec.captured_bytes,
                format!("more than the committed memory can hold: at most {} bytes", grouped(skeleton.capacity_bytes)),
            ));
        }
        Ok(skeleton)
    }
}

/// Everything the writer needs.
#[derive(Debug)]
pub struct Plan {
    /// The skeleton, heaps grown by the extras.
    pub skeleton: Skeleton,
    /// The MemoryInfoList, ascending.
    pub regions: Vec<MemoryRegion>,
    /// The Memory64List, ascending.
    pub captures: Vec<Capture>,
    /// Heap addresses and handle values for stack locals and registers.
    pub pool: LocalsPool,
}

impl Plan {
    /// The whole plan of `spec`, checked.
    pub fn new(spec: &BigDumpSpec) -> Result<Self, SynthError> {
        let mut sk = Skeleton::checked(spec)?;
        let mut tiler = Tiler::with_capacity(usize::try_from(spec.regions).unwrap_or(0));
        let mut spans = Vec::with_capacity(sk.threads.len() * 2 + sk.heaps.len() + sk.modules.len() + 16);
        for a in &sk.low {
            tiler.place(a)?;
        }
        spans.push(Span { base: KUSER_SHARED_DATA, min_pages: 1, max_pages: 1, content: Content::Kuser });
        for (i, t) in sk.threads.iter().enumerate() {
            let pages = t.commit_bytes / PAGE_SIZE;
            spans.push(Span {
                base: t.stack_limit(),
                min_pages: pages,
                max_pages: pages,
                content: Content::Stack(i as u32),
            });
        }
        spans.push(Span { base: sk.peb, min_pages: 1, max_pages: 1, content: Content::Peb });
        for (i, t) in sk.threads.iter().enumerate() {
            let pages = TEB_SIZE / PAGE_SIZE;
            spans.push(Span { base: t.teb, min_pages: pages, max_pages: pages, content: Content::Teb(i as u32) });
        }
        for (i, h) in sk.heaps.iter().enumerate() {
            let must = if i == 0 { PROCESS_HEAP_PAGES } else { 1 };
            let max_pages = h.committed_bytes / PAGE_SIZE;
            spans.push(Span { base: h.base, min_pages: must, max_pages, content: Content::Heap(i as u32) });
        }

        let cfg_base = sk.high.first().map_or(USER_SPACE_END_128TB, |a| a.base);
        Extras { tiler: &mut tiler, spans: &mut spans, heaps: &mut sk.heaps, end: cfg_base }
            .fill(spec.regions - sk.entries, spec.seed)?;

        for a in &sk.high {
            tiler.place(a)?;
        }
        let mut images: Vec<(u64, u32)> =
            sk.modules.iter().enumerate().map(|(i, m)| (m.image.base, i as u32)).collect();
        images.sort_unstable();
        spans.extend(images.into_iter().map(|(base, i)| Span {
            base,
            min_pages: 1,
            max_pages: 1,
            content: Content::Image(i),
        }));

        let regions = tiler.finish(USER_SPACE_END_128TB);
        if regions.len() as u64 != spec.regions {
            return Err(SynthError::Inconsistent {
                what: "MemoryInfoList".into(),
                why: format!("{} entries planned, {} asked for", regions.len(), spec.regions),
            });
        }
        let captures = distribute(&spans, spec.captured_bytes_rounded() / PAGE_SIZE)?;
        let pool = locals_pool(&sk.heaps, spec.seed);
        Ok(Self { skeleton: sk, regions, captures, pool })
    }
}

/// Heap blocks and handle values that stack locals and registers point at.
fn locals_pool(heaps: &[HeapPlan], seed: u64) -> LocalsPool {
    let mut rng = SplitMix64::for_name(seed, "big pool");
    let mut data_pointers = Vec::new();
    for h in heaps.iter().take(64) {
        for _ in 0..8 {
            data_pointers.push(h.base + (rng.range(0x1000, h.committed_bytes.max(0x1001)) & !0xF));
        }
    }
    let handles = (0..96).map(|_| rng.range(0x10, 0x4000) * 4).collect();
    LocalsPool { data_pointers, handles }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::winnt::MEM_FREE;

    #[test]
    fn regions_tile_the_user_space_exactly() {
        let spec = BigDumpSpec::new(3_000, 20, 12, 4 << 20);
        let plan = Plan::new(&spec).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.regions.len(), 3_000);
        assert_eq!(plan.regions.first().map(|r| r.base), Some(0));
        assert_eq!(plan.regions.last().map(|r| r.base + r.size_bytes), Some(USER_SPACE_END_128TB));
        for w in plan.regions.windows(2) {
            assert_eq!(w[0].base + w[0].size_bytes, w[1].base);
            assert!(!(w[0].state == MEM_FREE && w[1].state == MEM_FREE));
        }
        let total: u64 = plan.captures.iter().map(|c| c.bytes).sum();
        assert_eq!(total, 4 << 20);
        assert!(plan.captures.windows(2).all(|w| w[0].end() <= w[1].base));
        // Every capture lies in one committed region.
        for c in &plan.captures {
            let i = plan.regions.partition_point(|r| r.base + r.size_bytes <= c.base);
            let r = plan.regions[i];
            assert!(r.state == crate::synth::winnt::MEM_COMMIT && c.end() <= r.base + r.size_bytes, "{c:x?}");
        }
    }

    #[test]
    fn every_seed_lays_out() {
        for seed in 0..64 {
            let spec = BigDumpSpec {
                seed,
                ..BigDumpSpec::new(600 + seed * 37, 1 + seed as u32 % 9, 1 + seed as u32 % 13, 1 << 20)
            };
            let plan = Plan::new(&spec).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert_eq!(plan.regions.len() as u64, spec.regions);
        }
    }

    #[test]
    fn the_minimum_is_reachable() {
        let min = Skeleton::new(&BigDumpSpec::new(1, 7, 3, 0))
            .map(|s| (s.entries, s.mandatory_capture_bytes))
            .unwrap_or_default();
        let spec = BigDumpSpec::new(min.0, 7, 3, min.1);
        assert_eq!(Plan::new(&spec).map(|p| p.regions.len() as u64).map_err(|e| e.to_string()), Ok(min.0));
    }

    #[test]
    fn knobs_out_of_range_name_themselves() {
        let msg = |s: BigDumpSpec| s.validate().map_err(|e| e.to_string()).err().unwrap_or_default();
        assert!(msg(BigDumpSpec::new(2_000_000, 4, 4, 1 << 20)).starts_with("regions = 2000000 is out of range"));
        assert!(
            msg(BigDumpSpec::new(5000, 0, 4, 1 << 20)).starts_with("threads = 0 is out of range: allowed 1..=2,000")
        );
        assert!(msg(BigDumpSpec::new(5000, 4, 1001, 1 << 20)).starts_with("modules = 1001"));
        assert!(msg(BigDumpSpec::new(5000, 4, 4, (4 << 30) + 1)).starts_with("captured_bytes"));
        let few = msg(BigDumpSpec::new(10, 40, 30, 8 << 20));
        assert!(few.contains("too few") && few.contains("at least"), "{few}");
        let small = msg(BigDumpSpec::new(5000, 40, 30, 4096));
        assert!(small.contains("too small"), "{small}");
        assert_eq!(BigDumpSpec::new(5000, 40, 30, 8 << 20).validate().map_err(|e| e.to_string()), Ok(()));
    }
}
