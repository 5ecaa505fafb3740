//! Regions from /proc/pid/maps (the LinuxMaps stream): every mapping, with
//! the gaps between them free, as the kernel reported them.

use std::collections::HashMap;

use super::painter::Painter;
use crate::dump::linux_maps::{self, MapsLine, MapsText};
use crate::dump::model::{Heap, Module, Thread};
use crate::dump::region::{Label, Owner, Protection, Region, RegionKind, RegionState, RegionType};

/// Every mapping classified, the gaps between them `Free`; guard pages below
/// thread stacks marked. Returns the painter and the heaps found ([heap] is
/// glibc's main arena). The kernel lists mappings sorted and disjoint: then
/// the map is bulk-built in one pass (a tree grown paint by paint costs
/// several times the memory, which 200k-line streams made plain); a stream
/// out of order is painted line by line.
pub(crate) fn linux_maps_painter(
    limit: u64,
    maps: &MapsText<'_>,
    modules: &[Module],
    module_labels: &[Label],
    module_index_at: &dyn Fn(u64) -> Option<usize>,
    threads: &[Thread],
) -> (Painter, Vec<Heap>) {
    let mut by_path: HashMap<&str, usize> = HashMap::new();
    for (i, m) in modules.iter().enumerate() {
        by_path.entry(m.path.as_str()).or_insert(i);
    }
    let mut heaps = Vec::new();
    let lines = || linux_maps::lines(maps.text).flatten().filter(|l| l.start < limit);
    let regions = lines().map(|l| classify(&l, &by_path, module_index_at, module_labels, threads, &mut heaps));
    let free = Region::blank(0, 0, RegionKind::Free, RegionState::Free);
    let mut p = if maps.summary.sorted {
        Painter::from_sorted(limit, free, regions)
    } else {
        let mut p = Painter::new(limit, free);
        for r in regions {
            p.paint(r);
        }
        p
    };
    mark_stack_guards(&mut p, lines(), threads);
    (p, heaps)
}

/// One mapping as a region: a module's image, [heap], a thread's stack, a
/// mapped file, shared or private anonymous memory, or a reservation.
fn classify(
    l: &MapsLine,
    by_path: &HashMap<&str, usize>,
    module_index_at: &dyn Fn(u64) -> Option<usize>,
    module_labels: &[Label],
    threads: &[Thread],
    heaps: &mut Vec<Heap>,
) -> Region {
    let protect = Protection::from_posix(l.read, l.write, l.exec);
    let no_access = !(l.read || l.write || l.exec);
    // A file mapping belongs to a module by path (every segment of a .so),
    // or by address when the module list spells the path differently.
    let is_file = !l.path.is_empty() && !l.path.starts_with('[');
    let module = by_path.get(l.path.as_ref()).copied().or_else(|| module_index_at(l.start).filter(|_| is_file));
    let stack_thread = stack_owner(l, threads);
    let (kind, ty, owner, label) = if let Some(i) = module {
        (RegionKind::Image, RegionType::Image, Owner::module(i), module_labels[i].clone())
    } else if l.path == "[heap]" {
        heaps.push(Heap { index: heaps.len(), base_addr: l.start });
        (RegionKind::Heap, RegionType::Private, Owner::heap(heaps.len() - 1), "[heap]".into())
    } else if let Some(tid) = stack_thread {
        let label = if no_access { format!("stack guard of thread {tid}") } else { format!("stack of thread {tid}") };
        (RegionKind::Stack, RegionType::Private, Owner::Thread(tid), label.into())
    } else if l.path == "[stack]" || l.path.starts_with("[stack:") {
        (RegionKind::Stack, RegionType::Private, Owner::None, l.path.as_ref().into())
    } else if l.path == "[vdso]" {
        (RegionKind::Image, RegionType::Image, Owner::None, "[vdso]".into())
    } else if l.path.starts_with('[') {
        // [vvar], [vsyscall] and friends: kernel-provided, shared.
        (RegionKind::Shareable, RegionType::Mapped, Owner::None, l.path.as_ref().into())
    } else if !l.path.is_empty() {
        let kind = if l.shared && l.write { RegionKind::Shareable } else { RegionKind::MappedFile };
        (kind, RegionType::Mapped, Owner::File, l.path.as_ref().into())
    } else if l.shared {
        (RegionKind::Shareable, RegionType::Mapped, Owner::None, Label::EMPTY)
    } else if no_access {
        (RegionKind::Reserved, RegionType::Private, Owner::None, Label::EMPTY)
    } else {
        (RegionKind::PrivateData, RegionType::Private, Owner::None, Label::EMPTY)
    };
    Region {
        base_addr: l.start,
        size_bytes: l.end - l.start,
        state: if no_access { RegionState::Reserve } else { RegionState::Commit },
        ty: Some(ty),
        protect,
        alloc_protect: protect,
        alloc_base_addr: l.start,
        captured_bytes: 0,
        kind,
        owner,
        label,
    }
}

/// The thread whose stack lies in this mapping: by [stack:tid], or by the
/// captured stack range falling inside it.
fn stack_owner(l: &MapsLine, threads: &[Thread]) -> Option<u32> {
    if let Some(tid) = l.path.strip_prefix("[stack:").and_then(|s| s.strip_suffix(']')).and_then(|s| s.parse().ok()) {
        return Some(tid);
    }
    if !(l.path.is_empty() || l.path == "[stack]") {
        return None;
    }
    threads
        .iter()
        .find(|t| {
            let probe = t.sp.unwrap_or(t.stack_start_addr);
            (probe >= l.start && probe < l.end) || (t.stack_start_addr >= l.start && t.stack_start_addr < l.end)
        })
        .map(|t| t.id)
}

/// glibc puts a PROT_NONE guard mapping right below each thread stack: mark it
/// as that stack's guard.
fn mark_stack_guards<'a>(p: &mut Painter, lines: impl Iterator<Item = MapsLine<'a>>, threads: &[Thread]) {
    let mut previous: Option<MapsLine<'a>> = None;
    for stack in lines {
        if let Some(guard) = previous.take()
            && guard.end == stack.start
            && !(guard.read || guard.write || guard.exec)
            && guard.path.is_empty()
            && let Some(tid) = stack_owner(&stack, threads)
        {
            let label = Label::from(format!("stack guard of thread {tid}"));
            p.modify(guard.start, guard.end, |r| {
                r.kind = RegionKind::Stack;
                r.owner = Owner::Thread(tid);
                r.label = label.clone();
            });
        }
        previous = Some(stack);
    }
}
