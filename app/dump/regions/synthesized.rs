//! Regions for dumps without a region list (most small minidumps): modules,
//! thread stacks, TEBs, the PEB, heaps and other captured ranges are placed
//! where the dump says they are; everything else stays Unknown, not Free,
//! because the dump does not say what was there.

use super::painter::Painter;
use super::windows;
use crate::dump::captured::CapturedMemory;
use crate::dump::model::{Heap, Module, Platform, Thread};
use crate::dump::region::{Label, Owner, Protection, Region, RegionKind, RegionState, RegionType};

pub(crate) struct SynthInputs<'a> {
    pub platform: Platform,
    pub pointer_bits: u32,
    pub modules: &'a [Module],
    pub threads: &'a [Thread],
    pub captured: &'a CapturedMemory,
    pub heaps: &'a [Heap],
    pub peb: Option<u64>,
}

fn known(base: u64, size: u64, kind: RegionKind, ty: RegionType, owner: Owner, label: Label) -> Region {
    Region {
        base_addr: base,
        size_bytes: size,
        state: RegionState::Commit,
        ty: Some(ty),
        protect: Protection::default(),
        alloc_protect: Protection::default(),
        alloc_base_addr: base,
        captured_bytes: 0,
        kind,
        owner,
        label,
    }
}

pub(crate) fn paint_synthesized(p: &mut Painter, s: &SynthInputs<'_>) {
    // Captured memory is committed, but of unknown use until something below claims it.
    for c in s.captured.ranges() {
        let mut r = Region::blank(c.base_addr, c.size_bytes, RegionKind::Unknown, RegionState::Commit);
        r.label = "captured memory".into();
        p.paint(r);
    }
    // Heaps: the captured range holding each heap's base.
    for h in s.heaps {
        if let Some(c) = s.captured.ranges().iter().find(|c| h.base_addr >= c.base_addr && h.base_addr < c.end_addr()) {
            p.paint(known(
                c.base_addr,
                c.size_bytes,
                RegionKind::Heap,
                RegionType::Private,
                Owner::heap(h.index),
                windows::heap_label(h.index),
            ));
        }
    }
    for (i, m) in s.modules.iter().enumerate() {
        if m.size_bytes > 0 {
            p.paint(known(
                m.base_addr,
                m.size_bytes,
                RegionKind::Image,
                RegionType::Image,
                Owner::module(i),
                Label::from(&m.name),
            ));
        }
    }
    for t in s.threads {
        let size = t.stack_end_addr.saturating_sub(t.stack_start_addr);
        if size > 0 {
            let label = match s.platform {
                Platform::Windows => format!("stack of thread {}", windows::thread_label(t.id)),
                _ => format!("stack of thread {}", t.id),
            };
            p.paint(known(
                t.stack_start_addr,
                size,
                RegionKind::Stack,
                RegionType::Private,
                Owner::Thread(t.id),
                label.into(),
            ));
        }
    }
    if s.platform == Platform::Windows {
        let o = windows::offsets(s.pointer_bits);
        for t in s.threads.iter().filter(|t| t.teb_addr != 0) {
            let label = format!("TEB of thread {}", windows::thread_label(t.id));
            p.paint(known(
                t.teb_addr,
                o.teb_size,
                RegionKind::TEB,
                RegionType::Private,
                Owner::Thread(t.id),
                label.into(),
            ));
        }
        if let Some(peb) = s.peb {
            p.paint(known(peb, o.peb_size, RegionKind::PEB, RegionType::Private, Owner::None, "PEB".into()));
        }
    }
}
