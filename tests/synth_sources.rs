//! The three region sources, on dumps built here with minidump-synth, written
//! to a temp file and read back with `AddressSpace::open`:
//!
//! - MemoryInfoList (x86, amd64 on Windows 10 and on Windows 7): regions follow
//!   the entries with Free / Reserved / PrivateData / Image / MappedFile /
//!   Shareable kinds, free space starting inside a 64 KiB granule is Unusable up
//!   to the granule's end, and gaps between entries are Unknown;
//! - LinuxMaps (x86-64 Linux): module files are Image owned by the module,
//!   [heap] Heap, [stack] Stack, other files MappedFile, anonymous rw-p
//!   PrivateData, ---p Reserved, gaps Free, and [vsyscall] (kernel space) is
//!   left out while the list still ends at the user limit;
//! - neither (x86, amd64): modules are Image, thread stacks Stack, the rest
//!   Unknown, source Synthesized;
//!
//! and the user-mode limit of each variant. Then Windows objects found through
//! captured memory: the PEB through TEB.ProcessEnvironmentBlock, the heaps
//! through PEB.NumberOfHeaps / PEB.ProcessHeaps, marked on whole allocations
//! (Heap with Owner::Heap(i)), the TEB and PEB ranges, and a thread's stack
//! allocation (reserve + guard page + commit) as Stack owned by the thread, on
//! x64 and x86 layouts; plus near misses (PEB not captured, absurd heap count,
//! heap array not captured) that must degrade without panicking.

use crate::common;

use memscape::dump::{AddressSpace, Heap, Owner, Platform, RegionKind, RegionSource, RegionState, RegionType};
use minidump_synth::SynthMinidump;

use common::synth::*;
use common::{assert_region_invariants, open_synth, region_invariants};

/// (base, end, kind, state) of every region, for comparing whole maps.
/// Neighbours alike in every attribute but their range (a split that changed
/// nothing, e.g. at KUSER_SHARED_DATA in unknown space) count as one.
fn layout(space: &AddressSpace) -> Vec<(u64, u64, RegionKind, RegionState)> {
    let mut out: Vec<(u64, u64, RegionKind, RegionState)> = Vec::new();
    let mut prev: Option<&memscape::dump::Region> = None;
    for r in &space.regions {
        let alike = prev.is_some_and(|p| {
            p.end_addr() == r.base_addr
                && (p.kind, p.state, p.ty, p.protect, p.alloc_protect, p.alloc_base_addr, &p.owner, &p.label)
                    == (r.kind, r.state, r.ty, r.protect, r.alloc_protect, r.alloc_base_addr, &r.owner, &r.label)
        });
        match out.last_mut() {
            Some(last) if alike => last.1 = r.end_addr(),
            _ => out.push((r.base_addr, r.end_addr(), r.kind, r.state)),
        }
        prev = Some(r);
    }
    out
}

fn show(l: &[(u64, u64, RegionKind, RegionState)]) -> String {
    l.iter().map(|(b, e, k, s)| format!("\n    {b:#x}..{e:#x} {k} {s}")).collect()
}

fn assert_layout(space: &AddressSpace, expected: &[(u64, u64, RegionKind, RegionState)], what: &str) {
    let got = layout(space);
    assert!(got == expected, "{what}: region map differs\n  got:{}\n  expected:{}", show(&got), show(expected));
}

fn region(space: &AddressSpace, addr: u64) -> &memscape::dump::Region {
    space.region_at(addr).unwrap_or_else(|| panic!("no region at {addr:#x}"))
}

// ------------------------------------------------------------ (a) MemoryInfoList

#[test]
fn memory_info_list_regions_follow_the_entries() {
    use RegionKind::*;
    use RegionState::{Commit, Free as F, Reserve, Unknown as U};
    for f in Flavour::ALL {
        let space = open_synth("meminfo", memory_info_dump(f));
        let what = format!("{f:?}");
        assert_eq!(space.region_source, RegionSource::MemoryInfoList, "{what}");
        assert_eq!(space.source_entry_count, 12, "{what}");
        let states = space.memory_info_states.expect("MemoryInfoList states");
        assert_eq!((states.free, states.commit, states.reserve, states.other), (4, 7, 1, 0), "{what}");
        assert_eq!(space.system.platform, Platform::Windows, "{what}");
        assert_eq!(space.system.cpu, f.cpu(), "{what}");
        assert_eq!(space.system.pointer_bits, f.pointer_bits(), "{what}");
        assert_eq!(space.system.user_limit_addr, f.user_limit(), "{what}: {}", space.system.user_limit_reason);
        assert_region_invariants(&space, &what);
        let top = f.top_of_entries();
        assert_layout(
            &space,
            &[
                (0, 0x1_0000, Free, F),
                (0x1_0000, 0x2_0000, PrivateData, Commit),
                (0x2_0000, 0x3_0000, Reserved, Reserve),
                (0x3_0000, 0x3_1000, PrivateData, Commit),
                (0x3_1000, 0x4_0000, Unusable, F),
                (0x4_0000, 0x5_0000, Free, F),
                (0x5_0000, 0x40_0000, Unknown, U),
                (0x40_0000, 0x40_1000, Image, Commit),
                (0x40_1000, 0x40_2000, Image, Commit),
                (0x40_2000, 0x40_3000, Image, Commit),
                (0x40_3000, 0x41_0000, Unusable, F),
                (0x41_0000, 0x50_0000, Free, F),
                (0x50_0000, 0x51_0000, MappedFile, Commit),
                (0x51_0000, 0x52_0000, Shareable, Commit),
                (0x52_0000, top, Free, F),
                (top, f.user_limit(), Unknown, U),
            ],
            &what,
        );
        let code = region(&space, 0x40_1000);
        assert_eq!(code.owner, Owner::Module(0), "{what}");
        assert_eq!(code.label, "app.exe", "{what}");
        assert_eq!(code.ty, Some(RegionType::Image), "{what}");
        assert_eq!(code.protect.to_string(), "PAGE_EXECUTE_READ", "{what}");
        assert_eq!(code.alloc_base_addr, 0x40_0000, "{what}");
        assert_eq!(region(&space, 0x50_0000).ty, Some(RegionType::Mapped), "{what}");
        assert_eq!(region(&space, 0x1_0000).ty, Some(RegionType::Private), "{what}");
        assert_eq!(region(&space, 0).ty, None, "{what}");
        assert_eq!(space.largest_free(), Some((0x52_0000, top - 0x52_0000)), "{what}");
    }
}

/// The minidump crate reads a MemoryInfoList whose header is 12 bytes (u32
/// count), as `SynthMinidump::add_memory_info` writes it; DESIGN.md has the
/// project's fixtures built with minidump-synth, so memscape should read it
/// too rather than fall back to a synthesized map.
#[test]
fn memory_info_list_with_a_12_byte_header_is_read() {
    let f = Flavour::Amd64Win10;
    let dump = SynthMinidump::with_endian(LE).add_system_info(f.system_info());
    let dump = with_module(dump, 0x40_0000, 0x3000, "C:\\app\\app.exe");
    let dump = memory_info_entries(f).into_iter().fold(dump, |d, e| d.add_memory_info(e));
    let space = open_synth("meminfo-12", dump);
    assert_region_invariants(&space, "12-byte header");
    assert_eq!(
        (space.region_source, space.source_entry_count),
        (RegionSource::MemoryInfoList, 12),
        "warnings: {:?}",
        space.warnings
    );
}

// ------------------------------------------------------------ (b) LinuxMaps

#[test]
fn linux_maps_regions_are_classified() {
    use RegionKind::*;
    use RegionState::{Commit, Free as F, Reserve};
    let space = open_synth("linux-maps", linux_dump());
    assert_eq!(space.system.platform, Platform::Linux);
    assert_eq!(space.system.pointer_bits, 64);
    assert_eq!(space.region_source, RegionSource::LinuxMaps);
    assert_eq!(space.source_entry_count, 10, "every line of the stream");
    let limit = 128 * TIB - 0x1000;
    assert_eq!(space.system.user_limit_addr, limit, "{}", space.system.user_limit_reason);
    assert_region_invariants(&space, "linux maps");
    assert_layout(
        &space,
        &[
            (0, 0x5555_5555_4000, Free, F),
            (0x5555_5555_4000, 0x5555_5555_6000, Image, Commit),
            (0x5555_5555_6000, 0x5555_5555_8000, Image, Commit),
            (0x5555_5555_8000, 0x5555_5555_9000, Image, Commit),
            (0x5555_5555_9000, 0x5555_5557_a000, Heap, Commit),
            (0x5555_5557_a000, 0x7f00_0000_0000, Free, F),
            (0x7f00_0000_0000, 0x7f00_0001_0000, MappedFile, Commit),
            (0x7f00_0001_0000, 0x7f00_0002_0000, PrivateData, Commit),
            (0x7f00_0002_0000, 0x7f00_0003_0000, Reserved, Reserve),
            (0x7f00_0003_0000, 0x7f00_0003_1000, Image, Commit),
            (0x7f00_0003_1000, 0x7fff_fffd_e000, Free, F),
            (0x7fff_fffd_e000, 0x7fff_ffff_f000, Stack, Commit),
        ],
        "linux maps",
    );
    for addr in [0x5555_5555_4000, 0x5555_5555_6000, 0x5555_5555_8000] {
        assert_eq!(region(&space, addr).owner, Owner::Module(0), "app segment at {addr:#x}");
    }
    assert_eq!(region(&space, 0x7f00_0003_0000).owner, Owner::Module(1), "libc");
    assert_eq!(space.modules[1].name, "libc.so.6");
    assert_eq!(region(&space, 0x5555_5555_6000).protect.to_string(), "PAGE_EXECUTE_READ");
    assert_eq!(region(&space, 0x7f00_0000_0000).owner, Owner::File);
    assert_eq!(region(&space, 0x7f00_0000_0000).label, "/usr/share/locale/data.bin");
    assert_eq!(space.heaps, vec![memscape::dump::Heap { index: 0, base_addr: 0x5555_5555_9000 }]);
    assert_eq!(region(&space, 0x5555_5555_9000).owner, Owner::Heap(0));
    assert!(space.region_at(0xffff_ffff_ff60_0000).is_none(), "[vsyscall] is kernel space");
    assert!(space.regions.iter().all(|r| !r.label.contains("vsyscall")), "[vsyscall] must not appear");
    assert_eq!(space.regions.last().map(|r| r.end_addr()), Some(limit));
}

// ------------------------------------------------------------ (c) synthesized

#[test]
fn synthesized_regions_from_modules_and_stacks() {
    use RegionKind::*;
    use RegionState::{Commit, Unknown as U};
    for f in Flavour::ALL {
        let (dump, ntdll) = synthesized_dump(f);
        let space = open_synth("synthesized", dump);
        let what = format!("{f:?}");
        assert_eq!(space.region_source, RegionSource::Synthesized, "{what}");
        assert_eq!(space.source_entry_count, 0, "{what}");
        assert!(space.memory_info_states.is_none(), "{what}");
        assert_eq!(space.system.cpu, f.cpu(), "{what}");
        assert_eq!(space.system.pointer_bits, f.pointer_bits(), "{what}");
        assert_eq!(space.system.user_limit_addr, f.user_limit(), "{what}: {}", space.system.user_limit_reason);
        assert_region_invariants(&space, &what);
        assert_layout(
            &space,
            &[
                (0, 0xF_F000, Unknown, U),
                (0xF_F000, 0x10_0000, Stack, Commit),
                (0x10_0000, 0x20_0000, Unknown, U),
                (0x20_0000, 0x20_0100, Unknown, Commit),
                (0x20_0100, 0x40_0000, Unknown, U),
                (0x40_0000, 0x40_3000, Image, Commit),
                (0x40_3000, ntdll, Unknown, U),
                (ntdll, ntdll + 0x1_0000, Image, Commit),
                (ntdll + 0x1_0000, f.user_limit(), Unknown, U),
            ],
            &what,
        );
        let stack = region(&space, 0xF_F000);
        assert_eq!(stack.owner, Owner::Thread(7), "{what}");
        assert_eq!(stack.captured_bytes, 0x1000, "{what}");
        assert_eq!(region(&space, 0x20_0000).captured_bytes, 0x100, "{what}: the captured range");
        assert_eq!(region(&space, ntdll).owner, Owner::Module(1), "{what}");
        assert_eq!(region(&space, ntdll).label, "ntdll.dll", "{what}");
        assert_eq!(space.largest_free(), None, "{what}: a synthesized map knows no free space");
        assert_eq!(space.threads.len(), 1);
        assert_eq!(space.threads[0].sp, Some(0xF_F800), "{what}");
    }
}

/// The shared invariant check must be able to fail.
#[test]
fn region_invariants_catch_gaps_and_overlaps() {
    let (dump, _) = synthesized_dump(Flavour::Amd64Win10);
    let mut space = open_synth("invariants", dump);
    assert_region_invariants(&space, "untouched");
    let saved = space.regions.clone();
    space.regions.remove(2);
    assert!(region_invariants(&space).is_err_and(|e| e.contains("gap")), "a removed region is a gap");
    space.regions = saved.clone();
    space.regions[1].size_bytes += 0x1000;
    assert!(region_invariants(&space).is_err(), "an overlap");
    space.regions = saved.clone();
    space.regions.last_mut().unwrap().size_bytes -= 1;
    assert!(region_invariants(&space).is_err_and(|e| e.contains("user limit")), "short of the limit");
    space.regions = saved;
    space.regions[0].captured_bytes = space.regions[0].size_bytes + 1;
    assert!(region_invariants(&space).is_err_and(|e| e.contains("captured")), "captured > size");
}

// ------------------------------------------------------------ (e) heaps via the PEB

#[test]
fn heaps_teb_peb_and_stacks_are_marked_by_allocation() {
    for f in [Flavour::Amd64Win10, Flavour::X86] {
        let what = format!("{f:?}");
        let space = open_synth("heaps", heaps_dump(f, Miss::None));
        assert_eq!(space.region_source, RegionSource::MemoryInfoList, "{what}");
        assert_region_invariants(&space, &what);
        assert_eq!(space.threads.len(), 1, "{what}");
        assert_eq!(space.threads[0].teb_addr, TEB, "{what}");
        assert_eq!(space.peb_addr, Some(PEB), "{what}: PEB through TEB.ProcessEnvironmentBlock");
        assert_eq!(
            space.heaps,
            vec![Heap { index: 0, base_addr: HEAP0 }, Heap { index: 1, base_addr: HEAP1 }],
            "{what}: heaps through PEB.ProcessHeaps"
        );

        // Each heap's whole allocation: committed part and reserved tail.
        for (i, addrs) in [(0usize, [HEAP0, HEAP0 + 0x4_0000]), (1, [HEAP1, HEAP1 + 0x1_0000])] {
            for a in addrs {
                let r = region(&space, a);
                assert_eq!((r.kind, &r.owner), (RegionKind::Heap, &Owner::heap(i)), "{what}: {a:#x} ({})", r.label);
            }
        }
        assert_eq!(region(&space, HEAP0 + 0x4_0000).state, RegionState::Reserve, "{what}");
        assert_eq!(region(&space, HEAP_ARRAY).kind, RegionKind::PrivateData, "{what}: the array is not a heap");

        // The stack allocation: reserve, guard page, committed top.
        for a in [STACK_ALLOC, STACK_GUARD, STACK_COMMIT] {
            let r = region(&space, a);
            assert_eq!(
                (r.kind, &r.owner),
                (RegionKind::Stack, &Owner::Thread(THREAD_ID)),
                "{what}: stack part at {a:#x} ({})",
                r.label
            );
        }
        let guard = region(&space, STACK_GUARD);
        assert!(guard.protect.is_guard(), "{what}: guard page protect {}", guard.protect);
        assert_eq!((guard.base_addr, guard.size_bytes), (STACK_GUARD, 0x1000), "{what}");

        let teb = region(&space, TEB);
        let teb_size = if f.is_64() { 0x2000 } else { 0x1000 };
        assert_eq!(teb.kind, RegionKind::TEB, "{what}");
        assert_eq!(teb.owner, Owner::Thread(THREAD_ID), "{what}");
        assert_eq!((teb.base_addr, teb.size_bytes), (TEB, teb_size), "{what}");
        let peb = region(&space, PEB);
        assert_eq!(peb.kind, RegionKind::PEB, "{what}");
        assert_eq!((peb.base_addr, peb.size_bytes), (PEB, 0x1000), "{what}");
        assert_eq!(space.crashed_thread(), None, "{what}: no exception stream");
    }
}

#[test]
fn heap_near_misses_degrade_quietly() {
    for f in [Flavour::Amd64Win10, Flavour::X86] {
        for miss in [Miss::PebNotCaptured, Miss::AbsurdHeapCount, Miss::HeapArrayNotCaptured] {
            let what = format!("{f:?} {miss:?}");
            let space = open_synth("heaps-miss", heaps_dump(f, miss));
            assert_region_invariants(&space, &what);
            let heap_regions = space.regions.iter().filter(|r| r.kind == RegionKind::Heap).count();
            match miss {
                Miss::PebNotCaptured => {
                    assert!(space.heaps.is_empty(), "{what}: {:?}", space.heaps);
                    assert_eq!(heap_regions, 0, "{what}");
                    assert_eq!(region(&space, HEAP0).kind, RegionKind::PrivateData, "{what}");
                }
                // Both fall back to PEB.ProcessHeap, the process heap alone.
                Miss::AbsurdHeapCount | Miss::HeapArrayNotCaptured => {
                    assert_eq!(space.heaps, vec![Heap { index: 0, base_addr: HEAP0 }], "{what}");
                    assert_eq!(region(&space, HEAP0).kind, RegionKind::Heap, "{what}");
                    assert_eq!(region(&space, HEAP1).kind, RegionKind::PrivateData, "{what}");
                    assert!(
                        space.warnings.iter().any(|w| w.contains("PEB.")),
                        "{what}: a warning names the PEB field: {:?}",
                        space.warnings
                    );
                }
                Miss::None => unreachable!(),
            }
            // The thread's stack is still found.
            assert_eq!(region(&space, STACK_GUARD).kind, RegionKind::Stack, "{what}");
        }
    }
}
