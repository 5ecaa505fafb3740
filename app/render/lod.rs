//! Level of detail for the maps (2D quads and 3D boxes): a million regions
//! stay smooth to pan, orbit and zoom because a frame draws only what it can
//! show.
//!
//! - **Merging.** Level 0 is the items (quads or boxes) as given. Each
//!   coarser level merges runs of consecutive items of the level below (the
//!   layouts emit tiles in address order, and consecutive tiles are
//!   neighbours) whose common bounding box is at most `merge_units` along the
//!   merge axes: one item, the bounding box, looking like the run's heaviest
//!   member. Runs nest, so every item of a level stands for a known run of
//!   level-0 items. A run either fits in `merge_units` or reaches at most
//!   half that beyond its heaviest member (lod_merge.rs), so long thin
//!   items (the strip's full-height slices) merge along their row too.
//! - **Choosing.** A 2D frame has one scale: it draws the coarsest level
//!   whose merging changes at most [`FLAT_MERGE_MAX_PX`] (one) pixel
//!   ([`level_for`]), where the renderer's one-pixel minimum would have
//!   drawn the members onto the same pixels anyway. A 3D frame needs more
//!   detail near the eye: starting from the coarsest level, each chunk is
//!   drawn at its level when it is far enough, else the items it stands for
//!   are looked at one level finer ([`refined_ranges`]).
//! - **Culling.** Every level is cut into chunks of consecutive items with
//!   their bounding boxes; a frame draws only the chunks that reach into the
//!   drawn part of the view ([`in_rect`], [`in_frustum`]), in their original
//!   order (so overlaps paint as before).
//!
//! Below [`LOD_MIN_INSTANCES`] items there is only level 0 and every item is
//! drawn: small dumps look exactly as laid out.

use std::ops::Range;

use super::box_instance::BoxInstance;
pub use super::lod_merge::LodItem;
use super::lod_runs::RunPlan;
use super::quad_instance::QuadInstance;

/// Fewer items than this get no coarser levels.
pub const LOD_MIN_INSTANCES: usize = 50_000;
/// Items per culling chunk.
pub const CHUNK: usize = 512;
/// A coarser level is kept only when it has at most this share of the
/// items of the level below.
const MIN_SHRINK: f64 = 0.8;
/// Levels stop when one has fewer items than this.
const MIN_LEVEL_INSTANCES: usize = 4_096;
/// Room made for a first coarser level's items and all those above it:
/// `1 / (1 - MIN_SHRINK)` times its own.
const LEVELS_ROOM: usize = 5;
/// The finest merge size tried, as a share of the scene's extent.
const FINEST_MERGE: f32 = 1.0 / 16_384.0;

/// Consecutive items of one level and their bounding box.
#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    pub range: Range<u32>,
    pub min: [f32; 3],
    pub max: [f32; 3],
}

/// One level of detail.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    /// The largest gap-filling side, world units, of a merged item (0 for level 0).
    pub merge_units: f32,
    /// Where its items are in [`Lod::instances`].
    pub range: Range<u32>,
    pub chunks: Vec<Chunk>,
    /// Per item, the first level-0 item it stands for (empty for level 0,
    /// whose items stand for themselves). Runs nest: a level's item covers
    /// whole items of the level below.
    pub first_item: Vec<u32>,
}

/// Every level's items back to back (level 0 first), and the levels.
#[derive(Clone, Debug, PartialEq)]
pub struct Lod<T> {
    pub instances: Vec<T>,
    pub levels: Vec<Level>,
}

/// The 2D maps' quads with their levels.
pub type QuadLod = Lod<QuadInstance>;
/// The 3D views' boxes with their levels.
pub type BoxLod = Lod<BoxInstance>;

impl<T> Default for Lod<T> {
    fn default() -> Self {
        Lod { instances: Vec::new(), levels: Vec::new() }
    }
}

impl<T: LodItem> Lod<T> {
    /// Level 0 alone: every item, in chunks.
    pub fn flat(items: &[T]) -> Lod<T> {
        Lod { instances: items.to_vec(), levels: Lod::flat_above(items).levels }
    }

    /// [`Lod::flat`] without a copy of `items`: level 0 alone, whose
    /// items are held elsewhere (see [`Lod::build_above`]).
    pub fn flat_above(items: &[T]) -> Lod<T> {
        let level0 = Level {
            merge_units: 0.0,
            range: 0..items.len() as u32,
            chunks: chunks_of(items, 0),
            first_item: Vec::new(),
        };
        Lod { instances: Vec::new(), levels: vec![level0] }
    }

    /// Builds the levels of `items` (level 0 is `items` itself).
    pub fn build(items: &[T]) -> Lod<T> {
        Lod::build_owned(items.to_vec())
    }

    /// [`Lod::build`] keeping `items` as level 0 rather than copying them.
    pub fn build_owned(items: Vec<T>) -> Lod<T> {
        let level0 = Lod::flat_above(&items).levels;
        let mut lod = Lod { instances: items, levels: level0 };
        lod.grow_levels(None);
        lod
    }

    /// The levels of `items` without a copy of `items` itself: `levels` are
    /// as [`Lod::build`]'s (level 0 is `0..items.len()`), but `instances`
    /// holds only the coarser levels' items, which belong after `items`
    /// (at `items.len()`). For uploads that write `items` from where they
    /// already are.
    pub fn build_above(items: &[T]) -> Lod<T> {
        let mut lod = Lod::flat_above(items);
        lod.grow_levels(Some(items));
        lod
    }

    /// Adds the coarser levels to a lod holding level 0 alone: in
    /// `instances`, or `external`ly (then `instances` starts at level 1).
    /// Each level is merged from the one below where it lies (no copy of a
    /// level is kept aside: a million items are 24-32 MB).
    fn grow_levels(&mut self, external: Option<&[T]>) {
        let n = self.levels[0].range.len();
        let offset = if external.is_some() { n } else { 0 };
        if n < LOD_MIN_INSTANCES {
            return;
        }
        // Level 0's bounds are its chunks' (made on every core).
        let (min, max) = bounds(self.levels[0].chunks.iter().map(|c| (c.min, c.max)));
        let extent = T::MERGE_AXES.iter().map(|&a| max[a] - min[a]).fold(0.0f32, f32::max);
        if !(extent.is_finite() && extent > 0.0) {
            return;
        }
        let mut merge_units = extent * FINEST_MERGE;
        let mut below = 0;
        while merge_units <= extent && self.levels[below].range.len() >= MIN_LEVEL_INSTANCES {
            let range = self.levels[below].range.clone();
            let most = (range.len() as f64 * MIN_SHRINK) as usize;
            let level = match (below, external) {
                (0, Some(items)) => items,
                _ => &self.instances[range.start as usize - offset..range.end as usize - offset],
            };
            // Runs are found (and counted) on every core first, so a level
            // of too many runs is never written, and each kept one is
            // reserved exactly.
            let plan = RunPlan::new(level, merge_units);
            if plan.runs > most {
                // Not kept. The next sizes that the runs' stops do not
                // allow give these same runs: not kept either, not tried
                // (at a million regions the finest sizes merge nothing,
                // and a Volume's levels stay too big for several sizes).
                merge_units *= 2.0;
                while merge_units <= extent && !plan.stops.allow(merge_units) {
                    merge_units *= 2.0;
                }
                continue;
            }
            // Room for this level and every coarser one at once (each has
            // at most MIN_SHRINK of the items of the one below: all of them
            // at most 1 / (1 - MIN_SHRINK) times this one). Room never
            // written costs no memory, and making room level by level
            // moved the list each time.
            if self.instances.capacity() - self.instances.len() < plan.runs {
                self.instances.reserve_exact(plan.runs.saturating_mul(LEVELS_ROOM));
            }
            let starts = match (below, external) {
                // Level 1 of items held elsewhere is merged straight into
                // place: at a million boxes a merged copy aside was 25 MB
                // more at the peak.
                (0, Some(items)) => plan.write(items, &mut self.instances),
                // Merged from the level below in `instances` onto their end.
                _ => plan.write_within(&mut self.instances, range.start as usize - offset..range.end as usize - offset),
            };
            let before = self.instances.len() - starts.len();
            let first: Vec<u32> = match below {
                0 => starts,
                _ => starts.iter().map(|&s| self.levels[below].first_item[s as usize]).collect(),
            };
            let at = offset + before;
            let merged = &self.instances[before..];
            self.levels.push(Level {
                merge_units,
                range: at as u32..(at + merged.len()) as u32,
                chunks: chunks_of(merged, at),
                first_item: first,
            });
            below = self.levels.len() - 1;
            merge_units *= 2.0;
        }
        // The room left is given back (never written, it held no memory).
        self.instances.shrink_to_fit();
    }

    /// See [`level_for`].
    pub fn level_for(&self, px_per_unit: f32) -> usize {
        level_for(&self.levels, px_per_unit)
    }

    /// The ranges of `level` in chunks reaching into the rect `min`..`max`
    /// (x and y), as [`visible_ranges`] with a rectangle test.
    pub fn visible_ranges(&self, level: usize, min: [f32; 2], max: [f32; 2]) -> Vec<Range<u32>> {
        visible_ranges(&self.levels, level, |c| in_rect(c, min, max))
    }
}

/// A 2D level is drawn where its merging changes the picture by at most
/// this many pixels: one, where the renderer's one-pixel minimum draws tiny
/// members onto the same pixels anyway, so a zoomed-in map is exactly the
/// map without levels. (Two would halve what a million-region Hilbert map
/// draws when fitted to 1080 pixels, 1.5 million half-pixel quads, but
/// visibly change zoomed-in maps.)
pub const FLAT_MERGE_MAX_PX: f32 = 1.0;

/// The level of `levels` to draw at `px_per_unit` (at most that many pixels
/// per world unit anywhere in view): the coarsest whose merging changes at
/// most [`FLAT_MERGE_MAX_PX`] pixels.
pub fn level_for(levels: &[Level], px_per_unit: f32) -> usize {
    let fits = |l: &Level| l.merge_units * px_per_unit <= FLAT_MERGE_MAX_PX;
    levels.iter().rposition(fits).unwrap_or(0)
}

/// Whether chunk `c` reaches into the rect `min`..`max` (x and y).
pub fn in_rect(c: &Chunk, min: [f32; 2], max: [f32; 2]) -> bool {
    c.min[0] <= max[0] && c.max[0] >= min[0] && c.min[1] <= max[1] && c.max[1] >= min[1]
}

/// The ranges to draw when the detail needed varies across the view (a
/// perspective camera): from the coarsest level down, each chunk `visible`
/// accepts is drawn at its level when `fine_enough(chunk, level)` says so,
/// else the level-0 items it stands for are looked at one level finer.
/// Every level-0 item in view is drawn exactly once, by itself or by one
/// item standing for it.
pub fn refined_ranges(
    levels: &[Level],
    visible: impl Fn(&Chunk) -> bool,
    fine_enough: impl Fn(&Chunk, &Level) -> bool,
) -> Vec<Range<u32>> {
    let mut out: Vec<Range<u32>> = Vec::new();
    let Some(top) = levels.len().checked_sub(1) else { return out };
    let all = levels[top].range.clone();
    refine(levels, top, all, &visible, &fine_enough, &mut out);
    out
}

/// [`refined_ranges`] for the items `items` (buffer indices) of level `k`.
fn refine(
    levels: &[Level],
    k: usize,
    items: Range<u32>,
    visible: &dyn Fn(&Chunk) -> bool,
    fine_enough: &dyn Fn(&Chunk, &Level) -> bool,
    out: &mut Vec<Range<u32>>,
) {
    let level = &levels[k];
    let Some(last) = level.range.end.checked_sub(1) else { return };
    if items.start >= items.end {
        return;
    }
    let chunk_of = |i: u32| ((i - level.range.start) as usize) / CHUNK;
    for c in &level.chunks[chunk_of(items.start)..=chunk_of((items.end - 1).min(last))] {
        let part = items.start.max(c.range.start)..items.end.min(c.range.end);
        if part.start >= part.end || !visible(c) {
            continue;
        }
        if k == 0 || fine_enough(c, level) {
            match out.last_mut() {
                Some(prev) if prev.end == part.start => prev.end = part.end,
                _ => out.push(part),
            }
            continue;
        }
        // The level-0 items this part stands for, and the items of the level
        // below that stand for exactly those.
        let first = |i: u32| match i == level.range.end {
            true => levels[0].range.len() as u32,
            false => level.first_item.get((i - level.range.start) as usize).copied().unwrap_or(0),
        };
        let (a, b) = (first(part.start), first(part.end));
        let below = &levels[k - 1];
        let index_of = |orig: u32| match below.first_item.is_empty() {
            true => below.range.start + orig.min(below.range.len() as u32),
            false => below.range.start + below.first_item.partition_point(|&f| f < orig) as u32,
        };
        refine(levels, k - 1, index_of(a)..index_of(b), visible, fine_enough, out);
    }
}

/// Whether chunk `c` may reach into the view of `view_proj`, which takes
/// positions relative to `eye` to wgpu clip space (inside: -w <= x, y <= w
/// and w > 0): false only when the whole box is outside one side.
pub fn in_frustum(c: &Chunk, view_proj: &glam::Mat4, eye: [f32; 3]) -> bool {
    let (r0, r1, r3) = (view_proj.row(0), view_proj.row(1), view_proj.row(3));
    let lo = glam::Vec3::from(c.min) - glam::Vec3::from(eye);
    let hi = glam::Vec3::from(c.max) - glam::Vec3::from(eye);
    [r3 + r0, r3 - r0, r3 + r1, r3 - r1, r3].iter().all(|p| {
        // The corner farthest along the plane's normal.
        let v = glam::Vec3::new(
            if p.x >= 0.0 { hi.x } else { lo.x },
            if p.y >= 0.0 { hi.y } else { lo.y },
            if p.z >= 0.0 { hi.z } else { lo.z },
        );
        p.truncate().dot(v) + p.w >= 0.0
    })
}

/// The most pixels one world unit covers anywhere in a box `min`..`max`
/// seen from `eye` with a vertical field of view of `tan_half_fov` on a
/// `height_px` viewport (infinite with the eye inside the box).
pub fn max_px_per_unit(min: [f32; 3], max: [f32; 3], eye: [f32; 3], tan_half_fov: f32, height_px: f32) -> f32 {
    let nearest: f32 = (0..3).map(|a| (min[a] - eye[a]).max(eye[a] - max[a]).max(0.0).powi(2)).sum::<f32>().sqrt();
    if !(nearest > 0.0 && tan_half_fov > 0.0) {
        return f32::INFINITY;
    }
    height_px / (2.0 * nearest * tan_half_fov)
}

/// The ranges of `level`'s items (indices into [`Lod::instances`]) in the
/// chunks `visible` accepts, neighbouring chunks joined, in order.
pub fn visible_ranges(levels: &[Level], level: usize, visible: impl Fn(&Chunk) -> bool) -> Vec<Range<u32>> {
    let Some(level) = levels.get(level) else { return Vec::new() };
    let mut out: Vec<Range<u32>> = Vec::new();
    for c in level.chunks.iter().filter(|c| visible(c)) {
        match out.last_mut() {
            Some(last) if last.end == c.range.start => last.end = c.range.end,
            _ => out.push(c.range.clone()),
        }
    }
    out
}

/// The culling chunks of `items`, which start at `start` in the instances
/// (on every core: a million-region City's level 0 is 3 million boxes).
fn chunks_of<T: LodItem>(items: &[T], start: usize) -> Vec<Chunk> {
    use rayon::prelude::*;
    items
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(i, c)| {
            let (min, max) = bounds(c.iter().map(LodItem::corners));
            let first = (start + i * CHUNK) as u32;
            Chunk { range: first..first + c.len() as u32, min, max }
        })
        .collect()
}

/// The bounding box of boxes given by their corners: of a list's items
/// (`LodItem::corners`), or of a level's chunks (theirs hold them).
fn bounds(corners: impl IntoIterator<Item = ([f32; 3], [f32; 3])>) -> ([f32; 3], [f32; 3]) {
    let mut min = [f32::INFINITY; 3];
    let mut max = [f32::NEG_INFINITY; 3];
    for (lo, hi) in corners {
        for a in 0..3 {
            min[a] = min[a].min(lo[a]);
            max[a] = max[a].max(hi[a]);
        }
    }
    (min, max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::lod_merge::tests::row;

    #[test]
    fn small_inputs_have_one_level_and_draw_everything() {
        let quads = row(1000);
        let lod = QuadLod::build(&quads);
        assert_eq!(lod.levels.len(), 1);
        assert_eq!(lod.instances, quads);
        assert_eq!(lod.level_for(1e-6), 0);
        let all = lod.visible_ranges(0, [-1e9, -1e9], [1e9, 1e9]);
        assert_eq!(all, vec![0..quads.len() as u32]);
    }

    #[test]
    fn levels_above_are_the_levels_without_level_0() {
        let quads = row(100_000);
        let (all, above) = (QuadLod::build(&quads), QuadLod::build_above(&quads));
        assert!(all.levels.len() > 3);
        assert_eq!(all.levels, above.levels);
        assert_eq!(&all.instances[..quads.len()], &quads[..]);
        assert_eq!(&all.instances[quads.len()..], &above.instances[..]);
    }

    #[test]
    fn coarser_levels_merge_neighbours_and_keep_big_quads() {
        let quads = row(100_000);
        let lod = QuadLod::build(&quads);
        assert!(lod.levels.len() > 3, "{} levels", lod.levels.len());
        for pair in lod.levels.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!(b.merge_units > a.merge_units);
            assert!(b.range.len() < a.range.len(), "a coarser level has no fewer quads");
            // Every merged quad reaches at most the level's size beyond one
            // unit quad (its heaviest member), or is the big quad.
            for q in &lod.instances[b.range.start as usize..b.range.end as usize] {
                let w = q.max[0] - q.min[0];
                assert!(w <= b.merge_units + 1.0 || q.color == 3, "{q:?}");
            }
            // The big quad survives every level.
            let big = lod.instances[b.range.start as usize..b.range.end as usize].iter().filter(|q| q.color == 3);
            assert_eq!(big.count(), 1);
        }
        // Zoomed out: a coarse level; zoomed in: every quad.
        assert!(lod.level_for(0.001) > 0);
        assert_eq!(lod.level_for(100.0), 0);
    }

    #[test]
    fn refining_draws_every_item_once_at_the_detail_each_chunk_needs() {
        let quads = row(100_000);
        let lod = QuadLod::build(&quads);
        // Level 0 stands for itself; every other item for a run of it.
        let level0 = lod.levels[0].range.len() as u32;
        // Fine enough near x = 0 only: the far end is drawn coarse.
        let fine = |c: &Chunk, l: &Level| l.merge_units == 0.0 || c.min[0] > 50_000.0 / l.merge_units.max(1.0);
        let ranges = refined_ranges(&lod.levels, |_| true, fine);
        // Which level-0 items are drawn, and how often.
        let mut seen = vec![0u8; level0 as usize];
        for r in &ranges {
            for i in r.clone() {
                let level = lod.levels.iter().position(|l| l.range.contains(&i)).unwrap();
                let l = &lod.levels[level];
                let start = if level == 0 { i } else { l.first_item[(i - l.range.start) as usize] };
                let end = if i + 1 == l.range.end {
                    level0
                } else if level == 0 {
                    i + 1
                } else {
                    l.first_item[(i + 1 - l.range.start) as usize]
                };
                for s in &mut seen[start as usize..end as usize] {
                    *s += 1;
                }
            }
        }
        assert!(seen.iter().all(|&n| n == 1), "an item drawn {} times", seen.iter().max().unwrap());
        let drawn: usize = ranges.iter().map(|r| r.len()).sum();
        assert!(drawn < quads.len(), "nothing was drawn coarser");
        // Everything fine enough at level 0 only: the items as they are.
        let exact = refined_ranges(&lod.levels, |_| true, |_, l| l.merge_units == 0.0);
        assert_eq!(exact, vec![0..level0]);
    }

    #[test]
    fn culling_keeps_the_chunks_in_view_in_order() {
        let quads = row(100_000);
        let lod = QuadLod::build(&quads);
        // x 50_000..50_010 of the row: one or two chunks of level 0.
        let ranges = lod.visible_ranges(0, [50_000.0, 0.0], [50_010.0, 1.0]);
        let drawn: u32 = ranges.iter().map(|r| r.len() as u32).sum();
        assert!(drawn <= 2 * CHUNK as u32, "{drawn} quads drawn for ten");
        let covered = |i: u32| ranges.iter().any(|r| r.contains(&i));
        assert!(covered(50_000) && covered(50_009));
        assert!(ranges.windows(2).all(|w| w[0].end < w[1].start), "ranges out of order or not joined");
        // Nothing in view: nothing drawn.
        assert!(lod.visible_ranges(0, [-50.0, -50.0], [-40.0, -40.0]).is_empty());
    }
}
