//! The shapes allocations take in the demo process: private data as native code
//! and the CLR scatter it (often leaving unusable granule tails), CLR loader/stub/
//! code heap chunks, NT heaps (committed and decommitted runs, then reserve),
//! thread stacks (reserve, guard pages, committed top) and section views.

use super::threads::ThreadPlan;
use crate::synth::rng::SplitMix64;
use crate::synth::vspace::Allocation;
use crate::synth::winnt::{
    ALLOCATION_GRANULARITY as GRAN, MEM_MAPPED, MEM_PRIVATE, PAGE_EXECUTE_READWRITE, PAGE_GUARD, PAGE_NOACCESS,
    PAGE_READONLY, PAGE_READWRITE, PAGE_SIZE,
};

pub(super) fn private(label: &str) -> Allocation {
    Allocation::new(0, MEM_PRIVATE, PAGE_READWRITE, label)
}

pub(super) fn mapped(label: &str, size: u64, protect: u32) -> Allocation {
    Allocation::new(0, MEM_MAPPED, protect, label).commit(size, protect)
}

/// A private allocation of the kind native code and the CLR scatter everywhere.
pub(super) fn private_data(rng: &mut SplitMix64) -> Allocation {
    let a = private("private data");
    match rng.below(100) {
        // One page: the rest of the 64 KiB granule becomes unusable.
        0..=29 => a.commit(PAGE_SIZE, PAGE_READWRITE),
        // A few pages, also leaving an unusable tail.
        30..=44 => a.commit(rng.range(2, 10) * PAGE_SIZE, PAGE_READWRITE),
        // One granule, partly committed.
        45..=64 => {
            let c = rng.range(1, 16) * PAGE_SIZE;
            a.commit(c, PAGE_READWRITE).reserve(GRAN - c)
        }
        // One granule, fully committed.
        65..=76 => a.commit(GRAN, PAGE_READWRITE),
        // A bigger reservation with a committed head.
        77..=88 => {
            let size = rng.range(2, 16) * GRAN;
            let c = rng.range(1, size / PAGE_SIZE / 2) * PAGE_SIZE;
            a.commit(c, PAGE_READWRITE).reserve(size - c)
        }
        // Committed, then a read-only page (VirtualProtect'ed), then reserve.
        89..=94 => {
            let c = rng.range(1, 6) * PAGE_SIZE;
            a.commit(c, PAGE_READWRITE).commit(PAGE_SIZE, PAGE_READONLY).reserve(GRAN - c - PAGE_SIZE)
        }
        // A pure reservation.
        _ => Allocation::new(0, MEM_PRIVATE, PAGE_NOACCESS, "reserved").reserve(rng.range(1, 32) * GRAN),
    }
}

/// One allocation of the CLR's loader / stub / code heaps.
pub(super) fn clr_heap_chunk(rng: &mut SplitMix64) -> Allocation {
    let rw = Allocation::new(0, MEM_PRIVATE, PAGE_READWRITE, "CLR loader heap");
    let rwx = Allocation::new(0, MEM_PRIVATE, PAGE_EXECUTE_READWRITE, "CLR stub/code heap");
    match rng.below(100) {
        0..=34 => {
            let size = rng.range(1, 5) * GRAN;
            let c = rng.range(1, size / PAGE_SIZE + 1) * PAGE_SIZE;
            rw.commit(c, PAGE_READWRITE).reserve(size - c)
        }
        35..=54 => {
            let c = rng.range(1, 16) * PAGE_SIZE;
            rwx.commit(c, PAGE_EXECUTE_READWRITE).reserve(GRAN - c)
        }
        55..=69 => {
            let c = rng.range(1, 8) * PAGE_SIZE;
            rwx.commit(PAGE_SIZE, PAGE_READWRITE).commit(c, PAGE_EXECUTE_READWRITE).reserve(GRAN - c - PAGE_SIZE)
        }
        70..=84 => rw.commit(rng.range(1, 10) * PAGE_SIZE, PAGE_READWRITE),
        _ => Allocation::new(0, MEM_PRIVATE, PAGE_NOACCESS, "CLR reserved range").reserve(rng.range(1, 16) * GRAN),
    }
}

pub(super) fn heap_allocation(label: &str, reserved: u64, parts: &[(u64, bool)], exec: bool) -> Allocation {
    let protect = if exec { PAGE_EXECUTE_READWRITE } else { PAGE_READWRITE };
    let mut a = Allocation::new(0, MEM_PRIVATE, protect, label);
    let mut used = 0;
    for &(size, committed) in parts {
        a = if committed { a.commit(size, protect) } else { a.reserve(size) };
        used += size;
    }
    a.reserve(reserved - used)
}

pub(super) fn stack_allocation(plan: &ThreadPlan) -> Allocation {
    let d = &plan.def;
    Allocation::new(0, MEM_PRIVATE, PAGE_READWRITE, format!("stack of thread {:#x}", d.tid))
        .reserve(d.reserve_bytes - d.guard_bytes - plan.commit_bytes)
        .commit(d.guard_bytes, PAGE_READWRITE | PAGE_GUARD)
        .commit(plan.commit_bytes, PAGE_READWRITE)
}
