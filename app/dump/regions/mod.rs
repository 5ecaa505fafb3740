//! The region map: one ordered, gap-free list over [0, user limit), built from
//! the best source the dump has (MemoryInfoList, LinuxMaps, or synthesized
//! from modules, stacks and captured ranges), with stacks, heaps, TEBs and the
//! PEB marked on it and the captured bytes of each region counted.

mod linux;
mod memory_info;
mod painter;
mod synthesized;
mod windows;

pub(crate) use memory_info::{MemInfoList, count_states, highest_end, read_memory_info_list};

use crate::dump::captured::{CapturedMemory, CapturedRange};
use crate::dump::linux_maps::MapsText;
use crate::dump::model::{Heap, Module, Platform, RegionSource, Thread};
use crate::dump::region::{Label, Region, RegionKind, RegionState};
use painter::Painter;

pub(crate) struct RegionInputs<'a> {
    pub platform: Platform,
    pub pointer_bits: u32,
    pub limit: u64,
    pub modules: &'a [Module],
    pub threads: &'a [Thread],
    pub captured: &'a CapturedMemory,
    pub dump: &'a [u8],
    pub memory_info: Option<MemInfoList<'a>>,
    pub linux_maps: Option<MapsText<'a>>,
}

pub(crate) struct BuiltRegions {
    pub regions: Vec<Region>,
    pub source: RegionSource,
    pub source_entry_count: usize,
    pub peb_addr: Option<u64>,
    pub heaps: Vec<Heap>,
}

fn module_index_at(modules: &[Module], addr: u64) -> Option<usize> {
    let i = modules.partition_point(|m| m.base_addr <= addr);
    (i > 0 && modules[i - 1].contains(addr)).then(|| i - 1)
}

/// Sets each region's captured byte count: one walk along both sorted lists
/// (a search per region costs a million binary searches at 1M regions).
fn count_captured(regions: &mut [Region], ranges: &[CapturedRange]) {
    let mut first = 0;
    for r in regions {
        let (base, end) = (r.base_addr, r.end_addr());
        while ranges.get(first).is_some_and(|c| c.end_addr() <= base) {
            first += 1;
        }
        r.captured_bytes = ranges[first..]
            .iter()
            .take_while(|c| c.base_addr < end)
            .map(|c| c.end_addr().min(end) - c.base_addr.max(base))
            .sum();
    }
}

pub(crate) fn build_regions(inp: RegionInputs<'_>, warnings: &mut Vec<String>) -> BuiltRegions {
    let find_module = |addr: u64| module_index_at(inp.modules, addr);
    // One shared label per module for all of its regions.
    let module_labels: Vec<Label> = inp.modules.iter().map(|m| Label::from(&m.name)).collect();
    let (peb_addr, mut heaps) = if inp.platform == Platform::Windows {
        match windows::find_peb(inp.threads, inp.captured, inp.dump, inp.pointer_bits, inp.limit) {
            Some(peb) => {
                (Some(peb), windows::read_heaps(peb, inp.captured, inp.dump, inp.pointer_bits, inp.limit, warnings))
            }
            None => (None, Vec::new()),
        }
    } else {
        (None, Vec::new())
    };

    // /proc/pid/maps beats a MemoryInfoList on Linux: it names files, the heap and
    // stacks, while the MemoryInfoList minidump-writer derives from it does not.
    let linux_maps = inp.linux_maps.filter(|m| m.summary.lines > 0);
    let memory_info = inp.memory_info.filter(|e| !e.is_empty() && linux_maps.is_none());
    let (painter, source, count) = match (memory_info, linux_maps) {
        (Some(entries), _) => {
            let fill = Region::blank(0, 0, RegionKind::Unknown, RegionState::Unknown);
            let mut p = memory_info::memory_info_painter(
                inp.limit,
                fill,
                &entries,
                &module_labels,
                &find_module,
                inp.pointer_bits,
                warnings,
            );
            if inp.platform == Platform::Windows {
                windows::mark_objects_by_allocation(&mut p, inp.threads, &heaps, peb_addr, inp.pointer_bits);
            }
            (p, RegionSource::MemoryInfoList, entries.len())
        }
        (None, Some(maps)) => {
            // Lines at or past the user limit (the kernel's) are clamped away.
            let (p, found) =
                linux::linux_maps_painter(inp.limit, &maps, inp.modules, &module_labels, &find_module, inp.threads);
            heaps = found;
            (p, RegionSource::LinuxMaps, maps.summary.lines)
        }
        _ => {
            let mut p = Painter::new(inp.limit, Region::blank(0, 0, RegionKind::Unknown, RegionState::Unknown));
            let s = synthesized::SynthInputs {
                platform: inp.platform,
                pointer_bits: inp.pointer_bits,
                modules: inp.modules,
                threads: inp.threads,
                captured: inp.captured,
                heaps: &heaps,
                peb: peb_addr,
            };
            synthesized::paint_synthesized(&mut p, &s);
            (p, RegionSource::Synthesized, 0)
        }
    };
    let mut regions = painter.into_regions();
    count_captured(&mut regions, inp.captured.ranges());
    BuiltRegions { regions, source, source_entry_count: count, peb_addr, heaps }
}
