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
//!
//! Boxes given in draw order ([`draw_order`]: opaque, then translucent
//! ones that show, then the rest) are split into ranges of the given list;
//! in any other order the drawn boxes are copied once, in draw order, and
//! the groups are ranges of that copy. A picture's scene comes in draw
//! order: a million-region Volume's copy would be 73 MB more.

use std::mem::MaybeUninit;
use std::ops::{Deref, Range};
use std::sync::Arc;

use super::box_instance::{BoxInstance, same_look};
use super::lod::BoxLod;

/// The most boxes a scene builds parts for: what one buffer of wgpu's
/// default `max_buffer_size` (256 MiB) holds. A device allowing fewer cuts
/// them again (`BoxesRenderer::set_parts`).
pub const DEFAULT_MAX_BOXES: usize = (256 << 20) / std::mem::size_of::<BoxInstance>();

/// A group's boxes: a range of a shared list, or a list of their own.
#[derive(Clone, Default)]
pub struct GroupBoxes {
    list: Arc<[BoxInstance]>,
    range: Range<usize>,
}

impl GroupBoxes {
    /// All of `list`.
    pub fn whole(list: Arc<[BoxInstance]>) -> GroupBoxes {
        let range = 0..list.len();
        GroupBoxes { list, range }
    }

    /// `range` of `list` (cut to its end).
    fn range_of(list: &Arc<[BoxInstance]>, range: Range<usize>) -> GroupBoxes {
        let end = range.end.min(list.len());
        GroupBoxes { list: Arc::clone(list), range: range.start.min(end)..end }
    }

    /// Whether these boxes are part of `list` rather than a copy.
    pub fn is_part_of(&self, list: &Arc<[BoxInstance]>) -> bool {
        Arc::ptr_eq(&self.list, list)
    }
}

impl Deref for GroupBoxes {
    type Target = [BoxInstance];

    fn deref(&self) -> &[BoxInstance] {
        self.list.get(self.range.clone()).unwrap_or(&[])
    }
}

/// The group a box is drawn in, in draw order: 0 opaque, 1 translucent and
/// showing, 2 not drawn (fully transparent, premultiplied: it adds nothing,
/// unless its selection edges are drawn).
pub fn draw_group(b: &BoxInstance) -> u8 {
    let shows = b.color.to_le_bytes()[3] > 0 || b.flags & BoxInstance::SELECTED != 0;
    match (b.is_translucent(), shows) {
        (false, _) => 0,
        (true, true) => 1,
        (true, false) => 2,
    }
}

/// Where the boxes go in draw order: the opaque boxes, then the
/// translucent ones that show, then those not drawn, each in the given
/// order (so each group draws as it would from a copy). Worked out and
/// applied on every core, part by part.
pub struct DrawOrder {
    /// Per part of [`DRAW_ORDER_PART`] boxes, how many of each group it has.
    counts: Vec<[usize; 3]>,
}

/// Boxes per part of a [`DrawOrder`].
const DRAW_ORDER_PART: usize = 1 << 16;

/// The draw order of `instances`; None when they are in it already.
pub fn draw_order(instances: &[BoxInstance]) -> Option<DrawOrder> {
    use rayon::prelude::*;
    if in_draw_order(instances) {
        return None;
    }
    let counts: Vec<[usize; 3]> = instances
        .par_chunks(DRAW_ORDER_PART)
        .map(|part| {
            let mut n = [0usize; 3];
            for b in part {
                n[usize::from(draw_group(b))] += 1;
            }
            n
        })
        .collect();
    Some(DrawOrder { counts })
}

impl DrawOrder {
    /// `list` (one item per box of the `instances` this order was made
    /// for, such as the boxes themselves or their regions) in draw order,
    /// written in place into a shared slice.
    pub fn apply<T: Copy + Send + Sync>(&self, instances: &[BoxInstance], list: &[T]) -> Arc<[T]> {
        self.first_groups(instances, list, 3)
    }

    /// How many boxes group `g` has ([`draw_group`]).
    pub fn len_of(&self, g: u8) -> usize {
        self.counts.iter().map(|c| c.get(usize::from(g)).copied().unwrap_or(0)).sum()
    }

    /// [`DrawOrder::apply`] keeping only the items of the first `groups`
    /// groups (2: those drawn).
    pub fn first_groups<T: Copy + Send + Sync>(
        &self,
        instances: &[BoxInstance],
        list: &[T],
        groups: usize,
    ) -> Arc<[T]> {
        use rayon::prelude::*;
        let groups = groups.min(3);
        let n: usize = (0..groups as u8).map(|g| self.len_of(g)).sum();
        let mut out = Arc::<[T]>::new_uninit_slice(n);
        let Some(mut rest) = Arc::get_mut(&mut out) else {
            // Not reached: the Arc was made just above and is not shared.
            return Arc::from(&list[..n.min(list.len())]);
        };
        // Each part's runs of slots, one per group kept, cut off in slot
        // order: group by group, part by part.
        let mut slots: Vec<[&mut [MaybeUninit<T>]; 3]> = (0..self.counts.len()).map(|_| Default::default()).collect();
        let mut cut = 0;
        for g in 0..groups {
            for (p, count) in self.counts.iter().enumerate() {
                let take = count[g].min(rest.len());
                let (run, after) = std::mem::take(&mut rest).split_at_mut(take);
                (slots[p][g], rest, cut) = (run, after, cut + take);
            }
        }
        let written = cut == n
            && slots.into_par_iter().enumerate().all(|(p, runs)| {
                let at = p * DRAW_ORDER_PART;
                let (boxes, items) = (instances.get(at..).unwrap_or(&[]), list.get(at..).unwrap_or(&[]));
                let mut filled = [0usize; 3];
                for (b, &item) in boxes.iter().zip(items).take(DRAW_ORDER_PART) {
                    let g = usize::from(draw_group(b));
                    if g < groups {
                        let Some(slot) = runs[g].get_mut(filled[g]) else { return false };
                        slot.write(item);
                        filled[g] += 1;
                    }
                }
                (0..groups).all(|g| filled[g] == runs[g].len())
            });
        if !written {
            // Not reached: `list` is as long as the boxes the counts were
            // made of, and every slot was written. Copied one by one instead.
            let group = |i: &usize| instances.get(*i).map_or(3, |b| usize::from(draw_group(b)));
            let mut order: Vec<usize> = (0..list.len()).filter(|i| group(i) < groups).collect();
            order.sort_by_key(group);
            return order.iter().map(|&i| list[i]).collect();
        }
        // SAFETY: the parts wrote every slot: their runs cover all `n`
        // slots (`cut == n`) and each part filled each of its runs.
        unsafe { out.assume_init() }
    }
}

/// Whether `instances` are in draw order ([`draw_order`]).
fn in_draw_order(instances: &[BoxInstance]) -> bool {
    use rayon::prelude::*;
    instances.par_windows(2).all(|w| draw_group(&w[0]) <= draw_group(&w[1]))
}

/// One group of boxes and its levels.
#[derive(Clone, Default)]
pub struct PartBoxes {
    /// Level 0: the group's boxes in the given order.
    pub boxes: GroupBoxes,
    /// The levels (level 0 is `0..boxes.len()`) and the coarser levels'
    /// boxes, which follow level 0 in index order ([`BoxLod::build_above`]).
    pub lod: Arc<BoxLod>,
}

impl PartBoxes {
    fn new(boxes: GroupBoxes, with_lod: bool) -> PartBoxes {
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
    /// Whether the boxes got levels of detail.
    pub with_lod: bool,
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
        // Ranges of the boxes when they come in draw order (a picture's
        // scene; a City, all opaque), else of a copy: a million boxes are
        // not copied for nothing.
        let (opaque, translucent) = match draw_order(&instances) {
            None => {
                let opaque = instances.partition_point(|b| draw_group(b) == 0);
                let shown = instances.partition_point(|b| draw_group(b) <= 1);
                (GroupBoxes::range_of(&instances, 0..opaque), GroupBoxes::range_of(&instances, opaque..shown))
            }
            // The drawn boxes copied in draw order on every core, the
            // groups ranges of that copy (a million-region Volume's two
            // group copies, one box at a time, were 180 ms).
            Some(order) => {
                let drawn = order.first_groups(&instances, &instances, 2);
                let opaque = order.len_of(0);
                (GroupBoxes::range_of(&drawn, 0..opaque), GroupBoxes::range_of(&drawn, opaque..drawn.len()))
            }
        };
        if let Some(before) = before.filter(|b| {
            b.with_lod == with_lod
                && b.opaque.boxes.len() == opaque.len()
                && b.translucent.boxes.len() == translucent.len()
                && same_look(&b.instances, &instances)
        }) {
            let opaque = PartBoxes { boxes: opaque, lod: Arc::clone(&before.opaque.lod) };
            let translucent = PartBoxes { boxes: translucent, lod: Arc::clone(&before.translucent.lod) };
            return BoxParts { instances, opaque, translucent, with_lod };
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
        BoxParts { instances, opaque, translucent, with_lod }
    }

    /// How many boxes the parts hold (level 0 of both groups).
    pub fn count(&self) -> usize {
        self.opaque.boxes.len() + self.translucent.boxes.len()
    }
}

/// More translucent boxes than this are drawn in upload order, not sorted
/// (boxes_translucent.rs), and get levels of detail.
pub const MAX_SORTED_TRANSLUCENT: usize = 1 << 16;

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
    fn boxes_in_draw_order_are_split_into_ranges_and_others_copied() {
        // Opaque, faint and invisible boxes mixed, one invisible one selected.
        let mut boxes = Vec::new();
        for (i, b) in row(450_000, 255).into_iter().enumerate() {
            let alpha = [255, 90, 0][i % 3];
            boxes.push(BoxInstance { color: BoxInstance::rgba([9, 9, 9, alpha]), ..b });
        }
        boxes[5].flags |= BoxInstance::SELECTED;
        let mixed: Arc<[BoxInstance]> = Arc::from(&boxes[..]);
        let copied = BoxParts::build(Arc::clone(&mixed), true, DEFAULT_MAX_BOXES);
        assert!(!copied.opaque.boxes.is_part_of(&mixed) && !copied.translucent.boxes.is_part_of(&mixed));

        let order = draw_order(&mixed).expect("mixed boxes are not in draw order");
        let ordered = order.apply(&mixed, &mixed);
        assert!(draw_order(&ordered).is_none(), "the draw order is not in draw order");
        let drawn = order.first_groups(&mixed, &mixed, 2);
        assert_eq!((drawn.len(), order.len_of(0), order.len_of(2)), (300_001, 150_000, 149_999));
        assert_eq!(drawn[..], ordered[..300_001], "the drawn groups are the draw order's first");
        let indices: Vec<u32> = (0..boxes.len() as u32).collect();
        let order = order.apply(&mixed, &indices);
        assert!(order.iter().zip(ordered.iter()).all(|(&i, b)| boxes[i as usize] == *b));
        // A stable split: each group in the given order.
        let groups: Vec<u8> = ordered.iter().map(draw_group).collect();
        assert!(groups.is_sorted() && groups.contains(&2));
        for w in order.windows(2) {
            assert!(draw_group(&boxes[w[0] as usize]) < draw_group(&boxes[w[1] as usize]) || w[0] < w[1]);
        }
        let ranged = BoxParts::build(Arc::clone(&ordered), true, DEFAULT_MAX_BOXES);
        assert!(ranged.opaque.boxes.is_part_of(&ordered) && ranged.translucent.boxes.is_part_of(&ordered));
        // The same groups and levels as the copies: the same picture.
        assert_eq!(&ranged.opaque.boxes[..], &copied.opaque.boxes[..]);
        assert_eq!(&ranged.translucent.boxes[..], &copied.translucent.boxes[..]);
        assert_eq!((ranged.opaque.boxes.len(), ranged.translucent.boxes.len()), (150_000, 150_001));
        assert!(ranged.opaque.lod.levels.len() > 1 && ranged.translucent.lod.levels.len() > 1);
        assert!(*ranged.opaque.lod == *copied.opaque.lod && *ranged.translucent.lod == *copied.translucent.lod);

        // All opaque (a City) is in draw order already.
        let city: Arc<[BoxInstance]> = Arc::from(row(100, 255));
        assert!(draw_order(&city).is_none());
        assert!(BoxParts::build(Arc::clone(&city), true, DEFAULT_MAX_BOXES).opaque.boxes.is_part_of(&city));
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
