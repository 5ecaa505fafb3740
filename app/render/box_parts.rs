//! [`BoxParts`]: a 3D scene's boxes as the renderer draws them, built
//! without a GPU so that a scene worker can make them. Opaque and
//! translucent boxes are two groups (drawn in two passes, each in the given
//! order), each with its coarser levels of detail (lod.rs). Translucent
//! boxes few enough to be sorted back to front every frame get none.
//!
//! At a million boxes the levels take most of a second to build: built
//! with the scene they keep the window's UI thread free, and a new
//! selection (only the SELECTED and HOVERED flags change) keeps the levels
//! of the parts it replaces ([`BoxParts::restyled`]).

use std::ops::Range;
use std::sync::Arc;

use super::box_instance::{BoxInstance, look_hash};
use super::boxes_translucent::MAX_SORTED_TRANSLUCENT;
use super::lod::BoxLod;

/// The most boxes a scene builds parts for: what one buffer of wgpu's
/// default `max_buffer_size` (256 MiB) holds. A device allowing fewer cuts
/// them again (`BoxesRenderer::set_parts`).
pub const DEFAULT_MAX_BOXES: usize = (256 << 20) / std::mem::size_of::<BoxInstance>();

/// One group of boxes and its levels.
#[derive(Clone, Default)]
pub struct PartBoxes {
    /// Level 0: the group's boxes in the given order.
    pub boxes: Arc<[BoxInstance]>,
    /// The levels (level 0 is `0..boxes.len()`) and the coarser levels'
    /// boxes, which follow level 0 in index order ([`BoxLod::build_above`]).
    pub lod: Arc<BoxLod>,
}

impl PartBoxes {
    fn new(boxes: Arc<[BoxInstance]>, with_lod: bool) -> PartBoxes {
        let lod = if with_lod { BoxLod::build_above(&boxes) } else { BoxLod::flat_above(&boxes) };
        PartBoxes { boxes, lod: Arc::new(lod) }
    }

    /// `ranges` (indices over all levels) cut at the level boundaries: the
    /// level and the range within it.
    pub fn by_level(&self, ranges: &[Range<u32>]) -> Vec<(usize, Range<u32>)> {
        let mut out = Vec::new();
        for r in ranges {
            for (k, l) in self.lod.levels.iter().enumerate() {
                let (a, b) = (r.start.max(l.range.start), r.end.min(l.range.end));
                if a < b {
                    out.push((k, a - l.range.start..b - l.range.start));
                }
            }
        }
        out
    }

    /// The boxes of `level`: `boxes` for level 0, else that level's part of
    /// the coarser levels.
    pub fn level(&self, level: usize) -> &[BoxInstance] {
        let Some(l) = self.lod.levels.get(level) else { return &[] };
        match level {
            0 => &self.boxes,
            _ => {
                let n = self.boxes.len();
                let (Some(a), Some(b)) =
                    ((l.range.start as usize).checked_sub(n), (l.range.end as usize).checked_sub(n))
                else {
                    return &[];
                };
                self.lod.instances.get(a..b).unwrap_or(&[])
            }
        }
    }
}

/// A scene's boxes split for drawing, with their levels.
#[derive(Clone, Default)]
pub struct BoxParts {
    /// Every box as given (after the cut at the most boxes), shared.
    pub instances: Arc<[BoxInstance]>,
    pub opaque: PartBoxes,
    /// Translucent boxes that show (alpha above 0, or selected).
    pub translucent: PartBoxes,
    /// What the boxes look like apart from selection and hover (a hash of
    /// the rest), and whether they got levels of detail.
    pub look: (u64, bool),
}

impl BoxParts {
    /// The parts of `instances` (at most `max_boxes` of them), with levels
    /// of detail when `with_lod`.
    pub fn build(instances: Arc<[BoxInstance]>, with_lod: bool, max_boxes: usize) -> BoxParts {
        BoxParts::restyled(None, instances, with_lod, max_boxes)
    }

    /// [`BoxParts::build`] with the defaults a scene uses, shared.
    pub fn shared(instances: Arc<[BoxInstance]>) -> Arc<BoxParts> {
        Arc::new(BoxParts::build(instances, true, DEFAULT_MAX_BOXES))
    }

    /// The parts of `instances`, reusing `before`'s levels when only
    /// selection or hover flags changed (a click): merged boxes carry no
    /// such flags, so those levels are the ones a fresh build makes.
    pub fn restyled(
        before: Option<&BoxParts>,
        instances: Arc<[BoxInstance]>,
        with_lod: bool,
        max_boxes: usize,
    ) -> BoxParts {
        let instances = match instances.len() > max_boxes {
            true => Arc::from(&instances[..max_boxes]),
            false => instances,
        };
        // The opaque boxes: shared when that is all of them (the City), so
        // a million boxes are not copied for nothing.
        let opaque: Arc<[BoxInstance]> = match instances.iter().any(BoxInstance::is_translucent) {
            true => instances.iter().filter(|b| !b.is_translucent()).copied().collect(),
            false => Arc::clone(&instances),
        };
        // A fully transparent box (premultiplied: it adds nothing) is not drawn,
        // unless its selection edges are.
        let shows = |b: &&BoxInstance| b.color.to_le_bytes()[3] > 0 || b.flags & BoxInstance::SELECTED != 0;
        let translucent: Arc<[BoxInstance]> =
            instances.iter().filter(|b| b.is_translucent()).filter(shows).copied().collect();
        let look = (look_hash(&instances), with_lod);
        if let Some(before) = before.filter(|b| {
            b.look == look && b.opaque.boxes.len() == opaque.len() && b.translucent.boxes.len() == translucent.len()
        }) {
            let opaque = PartBoxes { boxes: opaque, lod: Arc::clone(&before.opaque.lod) };
            let translucent = PartBoxes { boxes: translucent, lod: Arc::clone(&before.translucent.lod) };
            return BoxParts { instances, opaque, translucent, look };
        }
        // Levels of detail (see super::lod) for what is not sorted every
        // frame; only the coarser levels are built aside.
        let (opaque, translucent) = rayon::join(
            || PartBoxes::new(opaque, with_lod),
            || {
                let with_lod = with_lod && !sorts_translucent(&translucent);
                PartBoxes::new(translucent, with_lod)
            },
        );
        BoxParts { instances, opaque, translucent, look }
    }

    /// How many boxes the parts hold (level 0 of both groups).
    pub fn count(&self) -> usize {
        self.opaque.boxes.len() + self.translucent.boxes.len()
    }
}

/// Whether `translucent` boxes are few enough to be sorted back to front
/// every frame (drawn whole); more get levels of detail, as opaque ones do.
pub fn sorts_translucent(translucent: &[BoxInstance]) -> bool {
    translucent.len() <= MAX_SORTED_TRANSLUCENT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: usize, alpha: u8) -> Vec<BoxInstance> {
        (0..n)
            .map(|i| {
                let x = i as f32;
                BoxInstance::new(
                    [x, 0.0, 0.0],
                    [x + 1.0, 1.0 + (i % 7) as f32, 1.0],
                    BoxInstance::rgba([9, 9, 9, alpha]),
                    0,
                )
            })
            .collect()
    }

    #[test]
    fn a_new_selection_keeps_the_levels_and_a_new_look_rebuilds_them() {
        let mut boxes = row(120_000, 255);
        boxes.extend(row(80_000, 100));
        let first = BoxParts::build(Arc::from(&boxes[..]), true, DEFAULT_MAX_BOXES);
        assert_eq!((first.opaque.boxes.len(), first.translucent.boxes.len()), (120_000, 80_000));
        assert!(first.opaque.lod.levels.len() > 1 && first.translucent.lod.levels.len() > 1);

        let mut selected = boxes.clone();
        selected[5].flags |= BoxInstance::SELECTED;
        let clicked = BoxParts::restyled(Some(&first), Arc::from(&selected[..]), true, DEFAULT_MAX_BOXES);
        assert!(Arc::ptr_eq(&clicked.opaque.lod, &first.opaque.lod), "a click rebuilt the levels");
        assert_eq!(clicked.opaque.boxes[5].flags, BoxInstance::SELECTED);
        let fresh = BoxParts::build(Arc::from(&selected[..]), true, DEFAULT_MAX_BOXES);
        assert!(*clicked.opaque.lod == *fresh.opaque.lod && *clicked.translucent.lod == *fresh.translucent.lod);

        let mut recoloured = boxes.clone();
        recoloured[5].color = BoxInstance::rgba([1, 2, 3, 255]);
        let other = BoxParts::restyled(Some(&first), Arc::from(&recoloured[..]), true, DEFAULT_MAX_BOXES);
        assert!(!Arc::ptr_eq(&other.opaque.lod, &first.opaque.lod), "a new colour kept the old levels");
        assert_ne!(other.opaque.boxes[5].color, first.opaque.boxes[5].color);
    }

    #[test]
    fn invisible_boxes_are_left_out_and_too_many_are_cut() {
        let mut boxes = row(10, 255);
        boxes.extend(row(5, 0));
        boxes[12].flags |= BoxInstance::SELECTED;
        let parts = BoxParts::build(Arc::from(&boxes[..]), true, DEFAULT_MAX_BOXES);
        assert_eq!((parts.opaque.boxes.len(), parts.translucent.boxes.len()), (10, 1));
        assert_eq!(parts.count(), 11);
        let cut = BoxParts::build(Arc::from(&boxes[..]), true, 4);
        assert_eq!((cut.instances.len(), cut.count()), (4, 4));
        assert_eq!(parts.opaque.level(0).len(), 10);
        assert!(parts.opaque.level(1).is_empty());
    }
}
