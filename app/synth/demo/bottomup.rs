//! Bottom-up placement of the demo's low allocations, as `VirtualAlloc(NULL, ...)`
//! and `MapViewOfFile` hand them out: first fit above the previous one, now and
//! then after a hole an earlier free left. Records the heaps, stacks and IL
//! images it places for the layout.

use super::modules::{LoadedModule, MODULES, ModuleDef, Placement};
use super::plans::{HeapPlan, StackRange};
use super::shapes::{heap_allocation, private, private_data, stack_allocation};
use super::threads::ThreadPlan;
use crate::synth::error::SynthError;
use crate::synth::rng::SplitMix64;
use crate::synth::vspace::{AddressSpace, Allocation};
use crate::synth::winnt::{ALLOCATION_GRANULARITY as GRAN, PAGE_READWRITE};

/// Bottom-up placement, as `VirtualAlloc(NULL, ...)` and `MapViewOfFile` do, with
/// the occasional hole left by an earlier free; collects what it placed.
pub(super) struct BottomUp<'a> {
    pub(super) space: &'a mut AddressSpace,
    pub(super) rng: SplitMix64,
    pub(super) image_rng: SplitMix64,
    pub(super) threads: &'a [ThreadPlan],
    pub(super) next: u64,
    pub(super) heaps: Vec<HeapPlan>,
    pub(super) stacks: Vec<Option<StackRange>>,
    pub(super) modules: Vec<LoadedModule>,
}

/// `HEAP_CREATE_ENABLE_EXECUTE`.
const HEAP_CREATE_ENABLE_EXECUTE: u32 = 0x4_0000;

impl BottomUp<'_> {
    /// Place `alloc` at the next free granule (maybe after a hole); its base.
    pub(super) fn place(&mut self, mut alloc: Allocation) -> Result<u64, SynthError> {
        let size = alloc.size_bytes();
        let gap = if self.rng.chance(22) { self.rng.range(1, 4) * GRAN } else { 0 };
        let base = self
            .space
            .find_free_up(self.next + gap, size, GRAN)
            .ok_or_else(|| SynthError::NoRoom { what: alloc.label.clone(), size })?;
        alloc.base = base;
        self.space.add(alloc)?;
        self.next = base + size;
        Ok(base)
    }

    /// `n` scattered private allocations.
    pub(super) fn noise(&mut self, n: u64) -> Result<(), SynthError> {
        for _ in 0..n {
            let alloc = private_data(&mut self.rng);
            self.place(alloc)?;
        }
        Ok(())
    }

    /// A heap: committed and decommitted parts from its base, the rest reserved.
    pub(super) fn heap(
        &mut self,
        label: &'static str,
        flags: u32,
        reserved_bytes: u64,
        parts: &[(u64, bool)],
    ) -> Result<(), SynthError> {
        let exec = flags & HEAP_CREATE_ENABLE_EXECUTE != 0;
        let base = self.place(heap_allocation(label, reserved_bytes, parts, exec))?;
        self.heaps.push(HeapPlan {
            label,
            base,
            flags,
            reserved_bytes,
            committed_bytes: parts.iter().filter(|p| p.1).map(|p| p.0).sum(),
            segments: Vec::new(),
        });
        Ok(())
    }

    /// An extra segment of heap number `heap` (segments double in size as a heap grows).
    pub(super) fn grow(&mut self, heap: usize, reserved: u64, committed: u64) -> Result<(), SynthError> {
        let base =
            self.place(private("heap segment").commit(committed, PAGE_READWRITE).reserve(reserved - committed))?;
        match self.heaps.get_mut(heap) {
            Some(h) => {
                h.segments.push((base, reserved, committed));
                Ok(())
            }
            None => Err(SynthError::Inconsistent {
                what: format!("heap #{heap}"),
                why: "grown before it was created".to_string(),
            }),
        }
    }

    /// The stack of thread `i`.
    pub(super) fn stack(&mut self, i: usize) -> Result<(), SynthError> {
        let threads = self.threads;
        if let Some(plan) = threads.get(i) {
            let base = self.place(stack_allocation(plan))?;
            if let Some(slot) = self.stacks.get_mut(i) {
                *slot = Some(stack_range(plan, base));
            }
        }
        Ok(())
    }

    /// An IL-only assembly, mapped as an image wherever the view fits.
    pub(super) fn module(&mut self, file: &str) -> Result<(), SynthError> {
        let def = low_module(file)?;
        let size = u64::from(LoadedModule::new(def, 0, &mut self.image_rng.clone()).image.size_of_image);
        let base = self
            .space
            .find_free_up(self.next + GRAN * self.rng.below(3), size, GRAN)
            .ok_or_else(|| SynthError::NoRoom { what: file.to_string(), size })?;
        let module = LoadedModule::new(def, base, &mut self.image_rng);
        self.space.add(module.image.allocation())?;
        self.next = base + size;
        self.modules.push(module);
        Ok(())
    }
}

fn stack_range(plan: &ThreadPlan, alloc_base: u64) -> StackRange {
    let base = alloc_base + plan.def.reserve_bytes;
    StackRange { alloc_base, limit: base - plan.commit_bytes, base }
}

fn low_module(file: &str) -> Result<&'static ModuleDef, SynthError> {
    MODULES.iter().find(|d| d.file == file && d.at == Placement::Low).ok_or_else(|| SynthError::Inconsistent {
        what: file.to_string(),
        why: "not a bottom-up module of the table".to_string(),
    })
}
