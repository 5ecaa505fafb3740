//! Windows process objects in captured memory: the PEB found through a
//! thread's TEB, the heaps listed in PEB.ProcessHeaps, and the marking of
//! stacks, heaps, TEBs and the PEB on the region map.
//!
//! Offsets (x64 / x86): TEB.ProcessEnvironmentBlock 0x60 / 0x30;
//! PEB.ProcessHeap 0x30 / 0x18; PEB.NumberOfHeaps 0xE8 / 0x88;
//! PEB.ProcessHeaps 0xF0 / 0x90. They have not moved since Windows XP.

use super::painter::Painter;
use crate::dump::captured::CapturedMemory;
use crate::dump::model::{Heap, Thread};
use crate::dump::region::{Label, Owner, RegionKind, RegionState, RegionType};

/// More heaps than this in PEB.NumberOfHeaps is taken as corruption.
const MAX_HEAPS: u32 = 4096;

pub(crate) struct Offsets {
    teb_peb: u64,
    peb_process_heap: u64,
    peb_number_of_heaps: u64,
    peb_process_heaps: u64,
    /// Bytes a TEB occupies (rounded to pages).
    pub teb_size: u64,
    pub peb_size: u64,
}

pub(crate) fn offsets(pointer_bits: u32) -> Offsets {
    if pointer_bits == 64 {
        Offsets {
            teb_peb: 0x60,
            peb_process_heap: 0x30,
            peb_number_of_heaps: 0xE8,
            peb_process_heaps: 0xF0,
            teb_size: 0x2000,
            peb_size: 0x1000,
        }
    } else {
        Offsets {
            teb_peb: 0x30,
            peb_process_heap: 0x18,
            peb_number_of_heaps: 0x88,
            peb_process_heaps: 0x90,
            teb_size: 0x1000,
            peb_size: 0x1000,
        }
    }
}

/// The PEB address, read from the first thread whose TEB is captured.
pub(crate) fn find_peb(
    threads: &[Thread],
    mem: &CapturedMemory,
    dump: &[u8],
    pointer_bits: u32,
    limit: u64,
) -> Option<u64> {
    let o = offsets(pointer_bits);
    threads
        .iter()
        .filter(|t| t.teb_addr != 0)
        .filter_map(|t| mem.read_pointer(dump, t.teb_addr.checked_add(o.teb_peb)?, pointer_bits))
        .find(|&peb| peb != 0 && peb < limit)
}

/// The heaps named by PEB.ProcessHeaps (or PEB.ProcessHeap alone when the
/// array is not captured).
pub(crate) fn read_heaps(
    peb: u64,
    mem: &CapturedMemory,
    dump: &[u8],
    pointer_bits: u32,
    limit: u64,
    warnings: &mut Vec<String>,
) -> Vec<Heap> {
    let o = offsets(pointer_bits);
    let ptr = |addr: u64| mem.read_pointer(dump, addr, pointer_bits);
    let count = mem.read_u32(dump, peb.saturating_add(o.peb_number_of_heaps));
    let array = ptr(peb.saturating_add(o.peb_process_heaps));
    let mut heaps = Vec::new();
    match (count, array) {
        (Some(n), Some(array)) if n <= MAX_HEAPS => {
            let step = u64::from(pointer_bits / 8);
            for i in 0..u64::from(n) {
                let slot = array.saturating_add(i * step);
                match ptr(slot) {
                    Some(base) if base != 0 && base < limit => heaps.push(Heap { index: i as usize, base_addr: base }),
                    Some(_) => {}
                    None => {
                        warnings.push(format!(
                            "PEB.ProcessHeaps lists {n} heaps but entry {i} at 0x{slot:x} is not captured"
                        ));
                        break;
                    }
                }
            }
        }
        (Some(n), Some(_)) => {
            warnings.push(format!("PEB.NumberOfHeaps is {n}, more than {MAX_HEAPS}: heap list ignored"))
        }
        _ => {}
    }
    if heaps.is_empty()
        && let Some(base) = ptr(peb.saturating_add(o.peb_process_heap)).filter(|b| *b != 0 && *b < limit)
    {
        heaps.push(Heap { index: 0, base_addr: base });
    }
    heaps
}

pub(crate) fn thread_label(id: u32) -> String {
    format!("0x{id:x}")
}

/// Marks every region of one allocation (those whose allocation base is
/// `alloc_base`, which follow one another from it).
fn mark_allocation(p: &mut Painter, alloc_base: u64, mut f: impl FnMut(&mut crate::dump::region::Region)) {
    let mut at = alloc_base;
    while let Some(r) = p.at(at) {
        if r.alloc_base_addr != alloc_base || r.state == RegionState::Free {
            break;
        }
        let (base, end) = (r.base_addr, r.end_addr());
        p.modify(base, end, &mut f);
        at = end;
    }
}

/// Marks stacks, heaps, TEBs and the PEB on a map painted from a
/// MemoryInfoList: whole allocations for stacks and heaps, exact ranges for
/// TEBs and the PEB.
pub(crate) fn mark_objects_by_allocation(
    p: &mut Painter,
    threads: &[Thread],
    heaps: &[Heap],
    peb: Option<u64>,
    pointer_bits: u32,
) {
    for t in threads {
        let probe = t.sp.filter(|sp| *sp >= t.stack_start_addr && *sp < t.stack_end_addr).unwrap_or(t.stack_start_addr);
        let Some(r) = p.at(probe) else { continue };
        if r.ty != Some(RegionType::Private) || r.alloc_base_addr == 0 {
            continue;
        }
        let id = thread_label(t.id);
        let (guard, stack) =
            (Label::from(format!("stack guard of thread {id}")), Label::from(format!("stack of thread {id}")));
        mark_allocation(p, r.alloc_base_addr, |r| {
            r.kind = RegionKind::Stack;
            r.owner = Owner::Thread(t.id);
            r.label = if r.protect.is_guard() { guard.clone() } else { stack.clone() };
        });
    }
    for h in heaps {
        let Some(r) = p.at(h.base_addr) else { continue };
        if r.ty != Some(RegionType::Private) || r.alloc_base_addr == 0 {
            continue;
        }
        let label = heap_label(h.index);
        mark_allocation(p, r.alloc_base_addr, |r| {
            r.kind = RegionKind::Heap;
            r.owner = Owner::heap(h.index);
            r.label = label.clone();
        });
    }
    mark_teb_peb(p, threads, peb, pointer_bits);
}

pub(crate) fn heap_label(index: usize) -> Label {
    if index == 0 { "process heap (heap 0)".into() } else { format!("heap {index}").into() }
}

/// KUSER_SHARED_DATA: the page the kernel shares with every process, at the
/// same address on every Windows since NT.
const KUSER_SHARED_DATA: u64 = 0x7FFE_0000;

/// TEBs and the PEB occupy part of a region: split them out. Also names the
/// KUSER_SHARED_DATA page.
pub(crate) fn mark_teb_peb(p: &mut Painter, threads: &[Thread], peb: Option<u64>, pointer_bits: u32) {
    let o = offsets(pointer_bits);
    // Only a region that starts at the page is named, so nothing is split for a label.
    if let Some(r) = p.at(KUSER_SHARED_DATA)
        && r.base_addr == KUSER_SHARED_DATA
        && r.state == RegionState::Commit
        && r.label.is_empty()
    {
        let end = r.end_addr();
        p.modify(KUSER_SHARED_DATA, end, |r| r.label = "KUSER_SHARED_DATA".into());
    }
    // Split every TEB and the PEB out at once: one pass, however many threads.
    let tebs = threads.iter().filter(|t| t.teb_addr != 0);
    let ranges = tebs.clone().map(|t| (t.teb_addr, o.teb_size)).chain(peb.map(|peb| (peb, o.peb_size)));
    p.split_at_all(ranges.flat_map(|(base, size)| [base, base.saturating_add(size)]).collect());
    for t in tebs {
        let label = Label::from(format!("TEB of thread {}", thread_label(t.id)));
        p.modify(t.teb_addr, t.teb_addr.saturating_add(o.teb_size), |r| {
            if r.state != RegionState::Free {
                r.kind = RegionKind::TEB;
                r.owner = Owner::Thread(t.id);
                r.label = label.clone();
            }
        });
    }
    if let Some(peb) = peb {
        p.modify(peb, peb.saturating_add(o.peb_size), |r| {
            if r.state != RegionState::Free {
                r.kind = RegionKind::PEB;
                r.owner = Owner::None;
                r.label = "PEB".into();
            }
        });
    }
}
