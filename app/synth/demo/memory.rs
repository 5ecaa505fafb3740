//! The demo dump's captured memory (Memory64List): the PEB page; ntdll's data page
//! with `PebLdr`, the PEB locks, `TlsBitMap` and the process-heap list the PEB
//! points at; the first pages of the process heap (its header, the environment
//! and the process parameters); every other heap's and segment's first page;
//! every TEB; each module's header page; KUSER_SHARED_DATA; every thread's stack
//! from the page holding rsp up to the stack base; the JIT code pages where the
//! fault happened and where threads run.

use super::jit;
use super::layout::{KUSER_SHARED_DATA, Layout, PEB_ADDR, READ_ONLY_SHARED};
use super::process::{AFFINITY, CRASH_UNIX, PID, PROCESSORS, process_parameters};
use super::stacks::ThreadScene;
use crate::synth::bytes::LeBuf;
use crate::synth::error::SynthError;
use crate::synth::heap::{HeapFacts, heap_page, segment_page};
use crate::synth::kuser::{KuserFacts, kuser_page};
use crate::synth::memory::Capture;
use crate::synth::peb::{PebFacts, heap_list_bytes, peb_page, process_parameters as params_bytes};
use crate::synth::rng::SplitMix64;
use crate::synth::teb::{TebFacts, teb_bytes};
use crate::synth::winnt::{PAGE_SIZE, filetime_from_unix};

/// Where things sit inside ntdll's first `.data` page.
const PEB_LDR_OFFSET: u64 = 0x2C0;
const FAST_PEB_LOCK_OFFSET: u64 = 0x340;
const LOADER_LOCK_OFFSET: u64 = 0x380;
const TLS_BITMAP_OFFSET: u64 = 0x3C0;
const HEAP_LIST_OFFSET: u64 = 0x5A0;
/// Capacity of `RtlpProcessHeapsListBuffer` (`PEB.MaximumNumberOfHeaps`).
pub const HEAP_LIST_CAPACITY: u32 = 16;
/// Inside the process heap: the environment block and the process parameters.
const ENVIRONMENT_OFFSET: u64 = 0x1330;
const PARAMETERS_OFFSET: u64 = 0x2060;
/// Pages of the process heap that are captured.
const PROCESS_HEAP_PAGES: u64 = 4;

fn inconsistent(what: &str, why: &str) -> SynthError {
    SynthError::Inconsistent { what: what.to_string(), why: why.to_string() }
}

/// Every captured range, checked to lie in committed memory.
pub fn captures(
    layout: &Layout,
    threads: &[ThreadScene],
    tids: &[u32],
    fault: u64,
    seed: u64,
) -> Result<Vec<Capture>, SynthError> {
    let mut rng = SplitMix64::for_name(seed, "captures");
    let mut out = Vec::new();
    let ntdll = layout.module("ntdll.dll").ok_or_else(|| inconsistent("ntdll.dll", "not loaded"))?;
    let ntdll_data = ntdll
        .image
        .section(".data")
        .map(|s| ntdll.image.base + u64::from(s.rva))
        .ok_or_else(|| inconsistent("ntdll.dll", "has no .data"))?;
    let heap0 = layout.heaps.first().ok_or_else(|| inconsistent("process heap", "missing"))?.base;
    let exe = layout.module("WaWorkerHost.exe").ok_or_else(|| inconsistent("WaWorkerHost.exe", "not loaded"))?;

    // PEB.
    let heap_bases: Vec<u64> = layout.heaps.iter().map(|h| h.base).collect();
    let peb = PebFacts {
        image_base: exe.image.base,
        ldr: ntdll_data + PEB_LDR_OFFSET,
        process_parameters: heap0 + PARAMETERS_OFFSET,
        process_heap: heap0,
        locks: (ntdll_data + FAST_PEB_LOCK_OFFSET, ntdll_data + LOADER_LOCK_OFFSET),
        tls_bitmap: ntdll_data + TLS_BITMAP_OFFSET,
        read_only_shared_memory: READ_ONLY_SHARED,
        number_of_processors: u32::from(PROCESSORS),
        number_of_heaps: heap_bases.len() as u32,
        maximum_number_of_heaps: HEAP_LIST_CAPACITY,
        process_heaps: ntdll_data + HEAP_LIST_OFFSET,
        os: (6, 0, 6002, 0x0200),
        subsystem: (3, 4, 0),
        affinity: AFFINITY,
        session_id: 0,
    };
    out.push(capture(PEB_ADDR, peb_page(&peb), "PEB"));

    // ntdll's data page.
    let mut data = LeBuf::zeroed(PAGE_SIZE as usize);
    let ldr = PEB_LDR_OFFSET as usize;
    data.u32(ldr, 0x58) // PEB_LDR_DATA.Length
        .u8(ldr + 4, 1) // Initialized
        .u64(ldr + 0x10, heap0 + 0x2A30) // InLoadOrderModuleList.Flink
        .u64(ldr + 0x18, heap0 + 0x2F80 + 0x10 * heap_bases.len() as u64)
        .u64(ldr + 0x20, heap0 + 0x2A40) // InMemoryOrderModuleList
        .u64(ldr + 0x28, heap0 + 0x2F90)
        .u64(ldr + 0x30, heap0 + 0x2B50) // InInitializationOrderModuleList
        .u64(ldr + 0x38, heap0 + 0x2FA0);
    for offset in [FAST_PEB_LOCK_OFFSET, LOADER_LOCK_OFFSET] {
        let cs = offset as usize;
        data.u64(cs, heap0 + 0x0B60 + offset) // DebugInfo
            .u32(cs + 8, 0xFFFF_FFFF) // LockCount: free
            .u64(cs + 0x20, 0); // SpinCount
    }
    data.u32(TLS_BITMAP_OFFSET as usize, 0x40) // RTL_BITMAP.SizeOfBitMap
        .u64(TLS_BITMAP_OFFSET as usize + 8, PEB_ADDR + 0x80);
    data.put(HEAP_LIST_OFFSET as usize, &heap_list_bytes(&heap_bases, HEAP_LIST_CAPACITY as usize));
    out.push(capture(ntdll_data, data.into_vec(), "ntdll .data"));

    // Heaps.
    for (i, h) in layout.heaps.iter().enumerate() {
        let facts = HeapFacts {
            base: h.base,
            reserved_bytes: h.reserved_bytes,
            committed_bytes: h.committed_bytes,
            flags: h.flags,
            extra_segments: h.segments.iter().map(|s| s.0).collect(),
            keys: (rng.next_u64(), rng.next_u64()),
        };
        let mut bytes = heap_page(&facts);
        if i == 0 {
            let mut rest = LeBuf::zeroed(((PROCESS_HEAP_PAGES - 1) * PAGE_SIZE) as usize);
            let (params, env) =
                params_bytes(&process_parameters(), heap0 + PARAMETERS_OFFSET, heap0 + ENVIRONMENT_OFFSET);
            if ENVIRONMENT_OFFSET + env.len() as u64 > PARAMETERS_OFFSET {
                return Err(inconsistent("environment block", "overlaps the parameters"));
            }
            rest.put((ENVIRONMENT_OFFSET - PAGE_SIZE) as usize, &env);
            rest.put((PARAMETERS_OFFSET - PAGE_SIZE) as usize, &params);
            bytes.extend_from_slice(rest.as_slice());
        }
        out.push(capture(h.base, bytes, h.label));
        for (j, &(base, reserved, committed)) in h.segments.iter().enumerate() {
            out.push(capture(base, segment_page(&facts, j, reserved, committed), "heap segment"));
        }
    }

    // TEBs.
    for (i, &teb) in layout.tebs.iter().enumerate() {
        let range = layout.stacks.get(i).ok_or_else(|| inconsistent("TEB", "thread without a stack"))?;
        let facts = TebFacts {
            teb,
            stack_base: range.base,
            stack_limit: range.limit,
            deallocation_stack: range.alloc_base,
            pid: PID,
            tid: tids.get(i).copied().unwrap_or(0),
            peb: PEB_ADDR,
            tls_pointer: heap0 + 0x6000 + 0x140 * i as u64,
            last_error: [0, 0, 0x3E5, 0x102, 0x6BA][rng.below(5) as usize],
            last_status: 0,
        };
        out.push(capture(teb, teb_bytes(&facts), "TEB"));
    }

    // Module header pages.
    for m in &layout.modules {
        out.push(capture(m.image.base, m.image.header_page(), m.def.file));
    }

    // KUSER_SHARED_DATA.
    let uptime_secs = 3 * 86_400 + 17 * 3_600 + 1_234;
    out.push(capture(
        KUSER_SHARED_DATA,
        kuser_page(&KuserFacts {
            system_time: filetime_from_unix(CRASH_UNIX, 0),
            interrupt_time: uptime_secs * 10_000_000,
            system_root: r"D:\Windows".to_string(),
            product_type: 3,
            version: (6, 0),
            physical_pages: 0x001F_FF6A,
        }),
        "KUSER_SHARED_DATA",
    ));

    // Stacks.
    for (scene, tid) in threads.iter().zip(tids) {
        out.push(Capture {
            base: scene.stack.captured_from,
            bytes: scene.stack.bytes.as_slice().to_vec(),
            what: format!("stack of thread {tid:#x}"),
        });
    }

    // JIT code: the faulting instruction's page and those threads run in.
    let mut pages: Vec<u64> = std::iter::once(fault)
        .chain(threads.iter().map(|t| t.regs.rip))
        .filter(|ip| layout.jit_code.contains(ip))
        .map(|ip| ip & !(PAGE_SIZE - 1))
        .collect();
    pages.sort_unstable();
    pages.dedup();
    let mut jit_rng = SplitMix64::for_name(seed, "jit code");
    for page in pages {
        let with_fault = (page..page + PAGE_SIZE).contains(&fault).then_some(fault);
        out.push(capture(page, jit::code_page(page, with_fault, &mut jit_rng), "JIT code"));
    }

    for c in &out {
        let committed =
            layout.space.allocation_at(c.base).is_some_and(|a| a.is_committed(c.base, c.bytes.len() as u64));
        if !committed {
            return Err(SynthError::Inconsistent {
                what: format!("captured {} at {:#x}", c.what, c.base),
                why: "not inside committed memory".to_string(),
            });
        }
    }
    Ok(out)
}

fn capture(base: u64, bytes: Vec<u8>, what: &str) -> Capture {
    Capture { base, bytes, what: what.to_string() }
}
