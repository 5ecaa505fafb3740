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
//!   half that beyond its heaviest member ([`merge_runs`]), so long thin
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

use rayon::prelude::*;

use super::box_instance::BoxInstance;
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
/// The finest merge size tried, as a share of the scene's extent.
const FINEST_MERGE: f32 = 1.0 / 16_384.0;

/// What can be merged into levels of detail: a 2D quad or a 3D box.
pub trait LodItem: Copy + Sync {
    /// The smallest and largest corner (x, y, z; z is 0 for quads).
    fn corners(&self) -> ([f32; 3], [f32; 3]);
    /// The axes whose gaps merging may fill (the map plane; a box's
    /// ground, x and z, as heights only ever grow to a neighbour's).
    const MERGE_AXES: &'static [usize];
    /// How much of the picture the item is (area or volume), to pick the
    /// colour of a merged run.
    fn weight(&self) -> f32;
    /// One item covering `min`..`max`, looking like `like`.
    fn merged(min: [f32; 3], max: [f32; 3], like: &Self) -> Self;
}

impl LodItem for QuadInstance {
    fn corners(&self) -> ([f32; 3], [f32; 3]) {
        let (a, b) = (self.min, self.max);
        ([a[0].min(b[0]), a[1].min(b[1]), 0.0], [a[0].max(b[0]), a[1].max(b[1]), 0.0])
    }
    const MERGE_AXES: &'static [usize] = &[0, 1];
    fn weight(&self) -> f32 {
        ((self.max[0] - self.min[0]) * (self.max[1] - self.min[1])).abs()
    }
    fn merged(min: [f32; 3], max: [f32; 3], like: &Self) -> Self {
        // One quad stands for many: a hover or selection outline on it would
        // mark its neighbours (the window outlines those with shapes).
        let flags = like.flags & !(QuadInstance::SELECTED | QuadInstance::HOVERED);
        QuadInstance::new([min[0], min[1]], [max[0], max[1]], like.color, flags)
    }
}

impl LodItem for BoxInstance {
    fn corners(&self) -> ([f32; 3], [f32; 3]) {
        let (a, b) = (self.min, self.max);
        (std::array::from_fn(|i| a[i].min(b[i])), std::array::from_fn(|i| a[i].max(b[i])))
    }
    const MERGE_AXES: &'static [usize] = &[0, 2];
    fn weight(&self) -> f32 {
        (0..3).map(|i| (self.max[i] - self.min[i]).abs()).product()
    }
    fn merged(min: [f32; 3], max: [f32; 3], like: &Self) -> Self {
        let flags = like.flags & !(BoxInstance::SELECTED | BoxInstance::HOVERED);
        BoxInstance::new(min, max, like.color, flags)
    }
}

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
        let (min, max) = bounds(match external {
            Some(items) => items,
            None => &self.instances[..n],
        });
        let extent = T::MERGE_AXES.iter().map(|&a| max[a] - min[a]).fold(0.0f32, f32::max);
        if !(extent.is_finite() && extent > 0.0) {
            return;
        }
        let mut merge_units = extent * FINEST_MERGE;
        let mut below = 0;
        // The least merge sizes at which any two neighbours of level `below`
        // join, worked out once a size tried there merged nothing: at a
        // million regions the finest sizes merge nothing, and each such try
        // looked at every pair of neighbours.
        let mut limits: Option<(usize, JoinLimits)> = None;
        while merge_units <= extent && self.levels[below].range.len() >= MIN_LEVEL_INSTANCES {
            let range = self.levels[below].range.clone();
            let most = (range.len() as f64 * MIN_SHRINK) as usize;
            let runs = {
                let level = match (below, external) {
                    (0, Some(items)) => items,
                    _ => &self.instances[range.start as usize - offset..range.end as usize - offset],
                };
                let merges = match limits {
                    Some((at, l)) if at == below => l.allow(merge_units),
                    // Some pair that joins is found at once where one does.
                    _ => {
                        (0..level.len().saturating_sub(1)).into_par_iter().any(|i| joins(level, i, merge_units)) || {
                            limits = Some((below, JoinLimits::of_neighbours(level)));
                            false
                        }
                    }
                };
                // The rest is counted before a merged copy is written.
                merges.then(|| count_runs(level, merge_units, most)).filter(|&runs| runs <= most)
            };
            if let Some(runs) = runs {
                let before = self.instances.len();
                let starts = match (below, external) {
                    // Level 1 is merged straight into place: at a million
                    // boxes a merged copy aside was 25 MB more at the peak.
                    (0, Some(items)) => {
                        self.instances.reserve_exact(runs);
                        merge_runs(items, merge_units, &mut self.instances)
                    }
                    _ => {
                        let level = &self.instances[range.start as usize - offset..range.end as usize - offset];
                        let mut merged = Vec::with_capacity(runs);
                        let starts = merge_runs(level, merge_units, &mut merged);
                        self.instances.reserve_exact(runs);
                        self.instances.extend_from_slice(&merged);
                        starts
                    }
                };
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
            }
            merge_units *= 2.0;
        }
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

/// The culling chunks of `items`, which start at `start` in the instances.
fn chunks_of<T: LodItem>(items: &[T], start: usize) -> Vec<Chunk> {
    items
        .chunks(CHUNK)
        .enumerate()
        .map(|(i, c)| {
            let (min, max) = bounds(c);
            let first = (start + i * CHUNK) as u32;
            Chunk { range: first..first + c.len() as u32, min, max }
        })
        .collect()
}

/// The bounding box of `items`.
fn bounds<T: LodItem>(items: &[T]) -> ([f32; 3], [f32; 3]) {
    let mut min = [f32::INFINITY; 3];
    let mut max = [f32::NEG_INFINITY; 3];
    for it in items {
        let (lo, hi) = it.corners();
        for a in 0..3 {
            min[a] = min[a].min(lo[a]);
            max[a] = max[a].max(hi[a]);
        }
    }
    (min, max)
}

/// Runs of consecutive items that merging changes by at most `merge_units`:
/// either the run's bounding box is at most that big along every merge
/// axis, or it reaches at most half that beyond its heaviest member (whose
/// look the merged item takes). Levels merge the level below with twice
/// its merge size, so the halves add up to at most `merge_units` against
/// the items themselves: the error is a band at most that wide around a
/// level-0 item. Each run becomes one item, appended to `out`; returns the
/// index of each run's first item.
///
/// Measured from the heaviest member rather than from nothing so that long
/// thin items (the strip's full-height slices, a City street of tall
/// towers) merge along their row: their bounding box is wide in the other
/// axis from the start, which a plain size limit would never allow.
fn merge_runs<T: LodItem>(items: &[T], merge_units: f32, out: &mut Vec<T>) -> Vec<u32> {
    let mut starts = Vec::with_capacity(out.capacity() - out.len());
    let mut i = 0;
    while i < items.len() {
        let run = run_from(items, i, merge_units);
        // Even a run of one is remade: coarser levels never carry selection
        // or hover flags, so a click needs no new levels.
        out.push(T::merged(run.min, run.max, &items[run.heaviest]));
        starts.push(i as u32);
        i = run.end;
    }
    starts
}

/// How many runs [`merge_runs`] makes of `items`, counting no further than
/// `most + 1` (a level of more is not kept).
fn count_runs<T: LodItem>(items: &[T], merge_units: f32, most: usize) -> usize {
    let (mut i, mut runs) = (0, 0);
    while i < items.len() && runs <= most {
        i = run_from(items, i, merge_units).end;
        runs += 1;
    }
    runs
}

/// One run of [`merge_runs`]: its end (exclusive), heaviest member and bounds.
struct Run {
    end: usize,
    heaviest: usize,
    min: [f32; 3],
    max: [f32; 3],
}

/// The run of [`merge_runs`] that starts at `i` (`i < items.len()`).
fn run_from<T: LodItem>(items: &[T], i: usize, merge_units: f32) -> Run {
    let mut run = RunSoFar::new(&items[i], i);
    let mut j = i + 1;
    while j < items.len() && run.take(&items[j], j, merge_units) {
        j += 1;
    }
    Run { end: j, heaviest: run.heaviest, min: run.min, max: run.max }
}

/// Whether the run starting at item `i` takes item `i + 1` too: some run
/// merges at `merge_units` exactly when this holds for some `i`.
fn joins<T: LodItem>(items: &[T], i: usize, merge_units: f32) -> bool {
    match (items.get(i), items.get(i + 1)) {
        (Some(a), Some(b)) => RunSoFar::new(a, i).take(b, i + 1, merge_units),
        _ => false,
    }
}

/// When a run takes an item: unless the run with it would reach beyond
/// `span` (its bounding box's largest side, over the merge axes) and
/// `beyond` (how far past its heaviest member it would reach, at most,
/// along one merge axis) both exceed the merge size, `beyond` against half
/// of it (see [`merge_runs`]). Neither is NaN: a NaN side counts as none.
#[derive(Clone, Copy, Debug, PartialEq)]
struct JoinLimits {
    span: f32,
    beyond: f32,
}

impl JoinLimits {
    /// Whether the run takes the item at `merge_units`.
    fn allow(&self, merge_units: f32) -> bool {
        !(self.span > merge_units && self.beyond > merge_units * 0.5)
    }

    /// The least limits over every pair of neighbours of `items` (as if
    /// each started a run): [`JoinLimits::allow`] on them says whether any
    /// run of `items` merges at a size, the same answer as asking each pair
    /// (a size allows a pair when it is at least its span or twice its
    /// beyond, so some pair is allowed exactly when the size is at least
    /// the least span or twice the least beyond).
    fn of_neighbours<T: LodItem>(items: &[T]) -> JoinLimits {
        let none = JoinLimits { span: f32::INFINITY, beyond: f32::INFINITY };
        (0..items.len().saturating_sub(1))
            .into_par_iter()
            .map(|i| RunSoFar::new(&items[i], i).limits_with(&items[i + 1]))
            .reduce(|| none, |a, b| JoinLimits { span: a.span.min(b.span), beyond: a.beyond.min(b.beyond) })
    }
}

/// A run being grown: its bounds and its heaviest member.
struct RunSoFar {
    min: [f32; 3],
    max: [f32; 3],
    heaviest: usize,
    weight: f32,
    heavy_min: [f32; 3],
    heavy_max: [f32; 3],
}

impl RunSoFar {
    fn new<T: LodItem>(first: &T, i: usize) -> RunSoFar {
        let (min, max) = first.corners();
        RunSoFar { min, max, heaviest: i, weight: first.weight(), heavy_min: min, heavy_max: max }
    }

    /// Takes item `j` into the run unless the run would then be both
    /// bigger than `merge_units` and more than half of it beyond its
    /// heaviest member (see [`merge_runs`]); says whether it did.
    fn take<T: LodItem>(&mut self, item: &T, j: usize, merge_units: f32) -> bool {
        let growth = merge_units * 0.5;
        let (lo, hi) = item.corners();
        let nmin: [f32; 3] = std::array::from_fn(|a| self.min[a].min(lo[a]));
        let nmax: [f32; 3] = std::array::from_fn(|a| self.max[a].max(hi[a]));
        let w = item.weight();
        let (h_lo, h_hi) = if w > self.weight { (lo, hi) } else { (self.heavy_min, self.heavy_max) };
        let too_big = T::MERGE_AXES.iter().any(|&a| nmax[a] - nmin[a] > merge_units);
        let too_far = T::MERGE_AXES.iter().any(|&a| (nmax[a] - nmin[a]) - (h_hi[a] - h_lo[a]) > growth);
        if too_big && too_far {
            return false;
        }
        (self.min, self.max) = (nmin, nmax);
        if w > self.weight {
            (self.heaviest, self.weight, self.heavy_min, self.heavy_max) = (j, w, lo, hi);
        }
        true
    }

    /// The limits at which the run takes `item`: [`RunSoFar::take`]'s two
    /// tests as numbers (a test keeps the two in agreement).
    fn limits_with<T: LodItem>(&self, item: &T) -> JoinLimits {
        let (lo, hi) = item.corners();
        let nmin: [f32; 3] = std::array::from_fn(|a| self.min[a].min(lo[a]));
        let nmax: [f32; 3] = std::array::from_fn(|a| self.max[a].max(hi[a]));
        let (h_lo, h_hi) = if item.weight() > self.weight { (lo, hi) } else { (self.heavy_min, self.heavy_max) };
        // f32::max skips NaN: a NaN side exceeds no size, as `take`'s `>` says.
        let (mut span, mut beyond) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
        for &a in T::MERGE_AXES {
            span = span.max(nmax[a] - nmin[a]);
            beyond = beyond.max((nmax[a] - nmin[a]) - (h_hi[a] - h_lo[a]));
        }
        JoinLimits { span, beyond }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of `n` unit quads along x, alternating two colours, then one big quad.
    fn row(n: usize) -> Vec<QuadInstance> {
        let mut v: Vec<QuadInstance> = (0..n)
            .map(|i| {
                let x = i as f32;
                QuadInstance::new([x, 0.0], [x + 1.0, 1.0], if i % 2 == 0 { 1 } else { 2 }, 0)
            })
            .collect();
        v.push(QuadInstance::new([0.0, 10.0], [n as f32, 10.0 + n as f32 / 4.0], 3, 0));
        v
    }

    #[test]
    fn counting_and_looking_at_neighbours_agree_with_merging() {
        // The shortcuts a level is tried with (no neighbours join: nothing
        // merges; too many runs: not kept) must say what merging says.
        let mut quads = row(3000);
        // Uneven sizes and gaps, so some sizes merge some runs.
        for (i, q) in quads.iter_mut().enumerate() {
            let w = 0.2 + (i * 7919 % 13) as f32 * 0.3;
            q.max[0] = q.min[0] * 1.5 + w;
            q.min[0] *= 1.5;
        }
        for merge_units in [0.05, 0.3, 1.0, 2.0, 4.5, 16.0, 300.0] {
            let mut merged = Vec::new();
            merge_runs(&quads, merge_units, &mut merged);
            assert_eq!(count_runs(&quads, merge_units, usize::MAX), merged.len(), "at {merge_units}");
            let joins_any = (0..quads.len() - 1).any(|i| joins(&quads, i, merge_units));
            assert_eq!(joins_any, merged.len() < quads.len(), "at {merge_units}");
            assert_eq!(JoinLimits::of_neighbours(&quads).allow(merge_units), joins_any, "at {merge_units}");
            let most = merged.len().saturating_sub(1);
            assert!(count_runs(&quads, merge_units, most) > most, "counting stops past the most");
        }
    }

    #[test]
    fn join_limits_say_what_taking_says_for_every_pair() {
        // Odd boxes too: NaN, infinite and inverted corners, zero sizes.
        let odd = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -3.0, 0.5, 7.25, 1e30];
        let boxes: Vec<BoxInstance> = (0..odd.len().pow(3))
            .map(|i| {
                let c = |k: usize| odd[(i / odd.len().pow(k as u32)) % odd.len()];
                BoxInstance::new([c(0), 0.0, c(1)], [c(2), 1.0, 2.0 + (i % 5) as f32], 0xffff_ffff, 0)
            })
            .collect();
        for merge_units in [1e-6, 0.3, 1.0, 2.0, 9.0, 1e31, f32::INFINITY] {
            for pair in boxes.windows(2) {
                let run = RunSoFar::new(&pair[0], 0);
                let took = RunSoFar::new(&pair[0], 0).take(&pair[1], 1, merge_units);
                assert_eq!(run.limits_with(&pair[1]).allow(merge_units), took, "{pair:?} at {merge_units}");
            }
        }
    }

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
