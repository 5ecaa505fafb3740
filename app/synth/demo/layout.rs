//! The demo process's address space, allocation by allocation, in the order a
//! Windows Server 2008 SP2 x64 process running the .NET 4 CLR would make them:
//! system regions (KUSER_SHARED_DATA, the read-only shared section), the PEB and
//! TEBs at the top of the 8 TiB user space, images (the EXE and ntdll/kernel32/
//! user32 below 4 GiB, ASLR-packed DLLs and NGEN images under 0x7FF`00000000),
//! and bottom-up: NLS and config file views, pagefile-backed sections, heaps with
//! their extra segments, thread stacks, GC segments, and scattered private data;
//! the CLR's loader, stub and JIT code heaps sit at 0x7FF`00000000.

use std::ops::Range;

use super::bottomup::BottomUp;
use super::modules::{LoadedModule, MODULES, Placement, UNLOADED};
use super::plans::{HeapPlan, StackRange};
use super::shapes::{clr_heap_chunk, mapped, private};
use super::threads::ThreadPlan;
use crate::synth::error::SynthError;
use crate::synth::rng::SplitMix64;
use crate::synth::teb::TEB_SIZE;
use crate::synth::vspace::{AddressSpace, Allocation};
use crate::synth::winnt::{
    ALLOCATION_GRANULARITY as GRAN, MEM_MAPPED, MEM_PRIVATE, PAGE_EXECUTE_READWRITE, PAGE_NOACCESS, PAGE_READONLY,
    PAGE_READWRITE, PAGE_SIZE, USER_SPACE_END_8TB,
};

/// `PEB` address.
pub const PEB_ADDR: u64 = 0x7FF_FFFD_7000;
/// TEB of the first thread; the others descend in steps of 0x2000.
const FIRST_TEB: u64 = 0x7FF_FFFD_E000;
/// Thread-list indices after which a TEB slot is left free (threads that exited).
const EXITED_AFTER: [usize; 2] = [5, 14];
/// `KUSER_SHARED_DATA` as mapped in every process.
pub const KUSER_SHARED_DATA: u64 = 0x7FFE_0000;
/// `PEB.ReadOnlySharedMemoryBase`.
pub const READ_ONLY_SHARED: u64 = 0x7EFE_0000;
/// Top of the ASLR image area the DLLs are packed under.
const HIGH_IMAGE_TOP: u64 = 0x7FE_FF7C_0000;
/// Where the CLR's loader and code heaps start.
const CLR_AREA: u64 = 0x7FF_0000_0000;
/// Committed part of the GC's first small-object segment.
const GC_GEN0_COMMIT: u64 = 0x1A3_E000;
/// First address handed out bottom-up.
const LOW_START: u64 = 0x1_0000;

/// Everything placed.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The allocations.
    pub space: AddressSpace,
    /// Loaded modules, in load order.
    pub modules: Vec<LoadedModule>,
    /// Unloaded modules: `(name, base, size, timestamp)`.
    pub unloaded: Vec<(&'static str, u64, u32, u32)>,
    /// Heaps in `PEB.ProcessHeaps` order; heap 0 is the process heap.
    pub heaps: Vec<HeapPlan>,
    /// Per thread (thread-list order).
    pub stacks: Vec<StackRange>,
    /// Per thread.
    pub tebs: Vec<u64>,
    /// Committed JIT code.
    pub jit_code: Range<u64>,
    /// Committed part of the GC's small-object segment.
    pub gc_gen0: Range<u64>,
}

impl Layout {
    /// The module called `file`.
    pub fn module(&self, file: &str) -> Option<&LoadedModule> {
        self.modules.iter().find(|m| m.def.file == file)
    }
}

/// Lay out the whole address space for `threads`.
pub fn lay_out(threads: &[ThreadPlan], seed: u64) -> Result<Layout, SynthError> {
    let mut space = AddressSpace::new(USER_SPACE_END_8TB);
    let rng = SplitMix64::for_name(seed, "layout");
    let mut image_rng = SplitMix64::for_name(seed, "images");
    let mut clr_rng = SplitMix64::for_name(seed, "clr heaps");

    system_regions(&mut space)?;
    let tebs = place_tebs(&mut space, threads.len())?;
    let modules = place_fixed_and_high_images(&mut space, &mut image_rng)?;
    let jit_code = clr_area(&mut space, &mut clr_rng)?;

    // Bottom-up, in the order the process made its allocations.
    let mut b = BottomUp {
        space: &mut space,
        rng,
        image_rng,
        threads,
        next: LOW_START,
        heaps: Vec::new(),
        stacks: vec![None; threads.len()],
        modules: Vec::new(),
    };
    b.noise(2)?;
    b.place(mapped("locale.nls", 0x6_7000, PAGE_READONLY))?;
    b.stack(0)?;
    b.heap("process heap", 0x0000_0002, 0x10_0000, &[(0x3_2000, true), (0x4000, false), (0x1_9000, true)])?;
    b.noise(3)?;
    b.place(mapped("sortdefault.nls", 0x2C_3000, PAGE_READONLY))?;
    b.heap("msvcrt CRT heap", 0x0000_1002, 0x1_0000, &[(0x6000, true)])?;
    b.place(mapped("WaWorkerHost.exe.config", 0x2000, PAGE_READONLY))?;
    b.noise(6)?;
    b.heap("ole32/rpcrt4 heap", 0x0000_1002, 0x1_0000, &[(0x3000, true)])?;
    // CLR start-up.
    b.place(mapped("Cor_Private_IPCBlock_v4_2736 (pagefile-backed)", 0x4000, PAGE_READWRITE))?;
    b.place(mapped("Cor_SxSPublic_IPCBlock (pagefile-backed)", 0x1000, PAGE_READWRITE))?;
    b.heap("CLR executable heap", 0x0004_1002, 0x1_0000, &[(0x5000, true)])?;
    b.heap("MSVCR100_CLR0400 CRT heap", 0x0000_1002, 0x10_0000, &[(0x2_1000, true)])?;
    b.place(mapped("machine.config", 0x9000, PAGE_READONLY))?;
    b.place(mapped("mscorrc.dll (data file)", 0x2_C000, PAGE_READONLY))?;
    for i in 1..4 {
        b.stack(i)?;
    }
    b.noise(8)?;
    b.place(private("GC card and brick tables").commit(0x3000, PAGE_READWRITE).reserve(0x6_A000))?;
    let soh = b.place(
        private("GC small object heap segment")
            .commit(GC_GEN0_COMMIT, PAGE_READWRITE)
            .reserve(0x1000_0000 - GC_GEN0_COMMIT),
    )?;
    b.place(private("GC large object heap segment").commit(0x4A_1000, PAGE_READWRITE).reserve(0x800_0000 - 0x4A_1000))?;
    b.module("Microsoft.WindowsAzure.ServiceRuntime.dll")?;
    b.place(mapped("sorttbls.nlp", 0x5000, PAGE_READONLY))?;
    b.place(mapped("SortDefault.nlp", 0x24_D000, PAGE_READONLY))?;
    for i in 4..7 {
        b.stack(i)?;
        b.noise(4)?;
    }
    b.heap("MSVCR80 CRT heap (WaRuntimeProxy)", 0x0000_1002, 0x10_0000, &[(0x9_C000, true)])?;
    b.place(mapped("Microsoft.VC80.CRT.manifest", 0x1000, PAGE_READONLY))?;
    b.place(mapped("windows_shell_global_counters (pagefile-backed)", 0x1000, PAGE_READWRITE))?;
    for i in 7..13 {
        b.stack(i)?;
        b.noise(3)?;
    }
    b.module("Microsoft.WindowsAzure.Diagnostics.dll")?;
    b.module("Microsoft.WindowsAzure.StorageClient.dll")?;
    b.module("TestWAERWorker.dll")?;
    for i in 13..threads.len() {
        b.noise(5)?;
        b.stack(i)?;
    }
    // Heap growth: extra segments double in size (1 MiB, 2 MiB, 4 MiB).
    b.grow(0, 0x20_0000, 0x1E_7000)?;
    b.noise(40)?;
    b.grow(5, 0x20_0000, 0x6_1000)?;
    b.noise(60)?;
    b.grow(0, 0x40_0000, 0x8_E000)?;
    b.noise(260)?;
    let BottomUp { heaps, stacks, modules: low_modules, .. } = b;

    let stacks = stacks
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            s.ok_or_else(|| SynthError::Inconsistent {
                what: format!("thread #{i}"),
                why: "its stack was never placed".to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;

    // Module list order is load order, whatever the placement was.
    let mut all: Vec<LoadedModule> = modules.into_iter().chain(low_modules).collect();
    all.sort_by_key(|m| MODULES.iter().position(|d| std::ptr::eq(d, m.def)));
    let unloaded = place_unloaded(&space, &all)?;

    Ok(Layout {
        space,
        modules: all,
        unloaded,
        heaps,
        stacks,
        tebs,
        jit_code,
        gc_gen0: soh + PAGE_SIZE..soh + GC_GEN0_COMMIT,
    })
}

/// KUSER_SHARED_DATA, the read-only shared section and the reservation after it.
fn system_regions(space: &mut AddressSpace) -> Result<(), SynthError> {
    space.add(
        Allocation::new(READ_ONLY_SHARED, MEM_MAPPED, PAGE_READONLY, "read-only shared memory (CSRSS)")
            .commit(0x5000, PAGE_READONLY)
            .reserve(0xF_B000),
    )?;
    space.add(Allocation::new(0x7F0E_0000, MEM_PRIVATE, PAGE_NOACCESS, "reserved").reserve(0xF0_0000))?;
    space.add(
        Allocation::new(KUSER_SHARED_DATA, MEM_PRIVATE, PAGE_READONLY, "KUSER_SHARED_DATA")
            .commit(PAGE_SIZE, PAGE_READONLY)
            .reserve(0xF000),
    )
}

/// The PEB and one TEB per thread, descending, skipping the PEB and the slots of
/// threads that have exited.
fn place_tebs(space: &mut AddressSpace, count: usize) -> Result<Vec<u64>, SynthError> {
    space.add_aligned(
        Allocation::new(PEB_ADDR, MEM_PRIVATE, PAGE_READWRITE, "PEB").commit(PAGE_SIZE, PAGE_READWRITE),
        PAGE_SIZE,
    )?;
    let mut tebs = Vec::with_capacity(count);
    let mut at = FIRST_TEB;
    for i in 0..count {
        while !space.is_free(at, TEB_SIZE) {
            at -= TEB_SIZE;
        }
        space.add_aligned(
            Allocation::new(at, MEM_PRIVATE, PAGE_READWRITE, format!("TEB of thread #{i}"))
                .commit(TEB_SIZE, PAGE_READWRITE),
            PAGE_SIZE,
        )?;
        tebs.push(at);
        at -= TEB_SIZE;
        if EXITED_AFTER.contains(&i) {
            at -= TEB_SIZE;
        }
    }
    Ok(tebs)
}

/// Fixed-base images, then the ASLR-packed ones top-down in load order.
fn place_fixed_and_high_images(
    space: &mut AddressSpace,
    rng: &mut SplitMix64,
) -> Result<Vec<LoadedModule>, SynthError> {
    let mut out = Vec::new();
    let mut top = HIGH_IMAGE_TOP;
    for def in MODULES {
        let base = match def.at {
            Placement::Fixed(base) => base,
            Placement::High => {
                let probe = LoadedModule::new(def, 0, &mut rng.clone());
                let size = u64::from(probe.image.size_of_image).next_multiple_of(GRAN);
                let gap = if rng.chance(20) { GRAN * rng.range(1, 3) } else { 0 };
                let base = space
                    .find_free_down(top - gap, size, GRAN)
                    .ok_or_else(|| SynthError::NoRoom { what: def.file.to_string(), size })?;
                top = base;
                base
            }
            Placement::Low => continue,
        };
        let module = LoadedModule::new(def, base, rng);
        space.add(module.image.allocation())?;
        out.push(module);
    }
    Ok(out)
}

/// The CLR's heaps at 0x7FF`00000000: the JIT code heap first, then hundreds of
/// loader, stub and code heap chunks and reservations. Returns the committed
/// JIT code range.
fn clr_area(space: &mut AddressSpace, rng: &mut SplitMix64) -> Result<Range<u64>, SynthError> {
    const JIT_COMMIT: u64 = 0x1_2000;
    space.add(
        Allocation::new(CLR_AREA, MEM_PRIVATE, PAGE_EXECUTE_READWRITE, "CLR JIT code heap")
            .commit(JIT_COMMIT, PAGE_EXECUTE_READWRITE)
            .reserve(0x4_0000 - JIT_COMMIT),
    )?;
    let mut next = CLR_AREA + 0x4_0000;
    for _ in 0..620 {
        if rng.chance(6) {
            next += GRAN * rng.range(1, 9);
        }
        let mut a = clr_heap_chunk(rng);
        let size = a.size_bytes();
        a.base = next.next_multiple_of(GRAN);
        next = a.base + size;
        space.add(a)?;
    }
    Ok(CLR_AREA..CLR_AREA + JIT_COMMIT)
}

/// Where the unloaded modules used to be: free ranges just under the packed images.
fn place_unloaded(
    space: &AddressSpace,
    modules: &[LoadedModule],
) -> Result<Vec<(&'static str, u64, u32, u32)>, SynthError> {
    let mut below =
        modules.iter().filter(|m| m.def.at == Placement::High).map(|m| m.image.base).min().unwrap_or(HIGH_IMAGE_TOP);
    let mut out = Vec::new();
    for &(name, size, timestamp) in UNLOADED {
        let base = space
            .find_free_down(below, u64::from(size), GRAN)
            .ok_or_else(|| SynthError::NoRoom { what: name.to_string(), size: u64::from(size) })?;
        out.push((name, base, size, timestamp));
        below = base;
    }
    Ok(out)
}
