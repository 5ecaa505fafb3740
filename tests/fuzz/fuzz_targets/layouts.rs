//! The 2D layouts fed an arbitrary region list: every view lays it out, every
//! tile names a visible region and lies inside the layout's bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use memscape::dump::{Region, RegionKind, RegionState};
use memscape::layout::{LayoutSource, ViewKind, layout_source};

fuzz_target!(|data: &[u8]| {
    // Each 6-byte record: a size (pages, u32, shifted by the 5th byte's high
    // bits for huge regions), a kind, and visibility in the 6th byte.
    let mut regions = Vec::new();
    let mut visible = Vec::new();
    let mut at = 0u64;
    for rec in data.chunks_exact(6).take(4096) {
        let pages = u64::from(u32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]])).max(1);
        let size = (pages << 12) << (rec[4] >> 5);
        let kind = RegionKind::ALL[usize::from(rec[4] & 0x1f) % RegionKind::ALL.len()];
        let Some(end) = at.checked_add(size) else { break };
        let state = match kind {
            RegionKind::Free => RegionState::Free,
            RegionKind::Reserved => RegionState::Reserve,
            _ => RegionState::Commit,
        };
        regions.push(Region::blank(at, size, kind, state));
        visible.push(rec[5] & 1 == 0);
        at = end;
    }
    let src = LayoutSource { regions: &regions, modules: &[], visible: &visible };
    for view in ViewKind::ALL {
        let layout = layout_source(view, &src);
        let b = layout.bounds;
        for t in &layout.tiles {
            let i = t.region as usize;
            assert!(i < regions.len(), "{view:?}: tile for missing region {i}");
            let r = t.rect;
            assert!(r.min.iter().chain(&r.max).all(|v| v.is_finite()), "{view:?}: non-finite tile {r:?}");
            assert!(r.max[0] >= r.min[0] && r.max[1] >= r.min[1], "{view:?}: inverted tile {r:?}");
            let eps = 1e-3 * (b.max[0] - b.min[0]).abs().max(b.max[1] - b.min[1]).max(1.0);
            assert!(
                r.min[0] >= b.min[0] - eps
                    && r.min[1] >= b.min[1] - eps
                    && r.max[0] <= b.max[0] + eps
                    && r.max[1] <= b.max[1] + eps,
                "{view:?}: tile {r:?} outside the bounds {b:?}"
            );
        }
    }
});
