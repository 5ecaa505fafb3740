//! Level of detail for the 2D maps: a million regions stay smooth to pan and
//! zoom because a frame draws only what it can show.
//!
//! - **Merging.** Level 0 is the layout's quads as given. Each coarser level
//!   merges runs of consecutive quads of the level below (the layouts emit
//!   tiles in address order, and consecutive tiles are neighbours on the map)
//!   whose common bounding box is at most `merge_units` on each side: one
//!   quad, the bounding box, in the colour of the run's largest member. A
//!   frame draws the coarsest level whose merged quads are at most a pixel,
//!   where the renderer's one-pixel minimum would have drawn the members onto
//!   the same pixels anyway.
//! - **Culling.** Every level is cut into chunks of consecutive quads with
//!   their bounding boxes; a frame draws only the chunks that reach into the
//!   drawn part of the view, in their original order (so overlaps paint as
//!   before).
//!
//! Below [`LOD_MIN_INSTANCES`] quads there is only level 0 and every quad is
//! drawn: small dumps look exactly as laid out.

use std::ops::Range;

use super::regions::QuadInstance;

/// Fewer quads than this get no coarser levels.
pub const LOD_MIN_INSTANCES: usize = 50_000;
/// Quads per culling chunk.
pub const CHUNK: usize = 512;
/// A coarser level is kept only when it has at most this share of the
/// quads of the level below.
const MIN_SHRINK: f64 = 0.8;
/// Levels stop when one has fewer quads than this.
const MIN_LEVEL_INSTANCES: usize = 4_096;

/// Consecutive quads of one level and their bounding box.
#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    pub range: Range<u32>,
    pub min: [f32; 2],
    pub max: [f32; 2],
}

/// One level of detail.
#[derive(Clone, Debug, PartialEq)]
pub struct Level {
    /// The largest side, world units, of a merged quad (0 for level 0).
    pub merge_units: f32,
    /// Where its quads are in [`QuadLod::instances`].
    pub range: Range<u32>,
    pub chunks: Vec<Chunk>,
}

/// Every level's quads back to back (level 0 first), and the levels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QuadLod {
    pub instances: Vec<QuadInstance>,
    pub levels: Vec<Level>,
}

impl QuadLod {
    /// Level 0 alone: every quad, in chunks.
    pub fn flat(quads: &[QuadInstance]) -> QuadLod {
        let mut lod = QuadLod::default();
        lod.push_level(quads.to_vec(), 0.0);
        lod
    }

    /// Builds the levels of `quads` (level 0 is `quads` itself).
    pub fn build(quads: &[QuadInstance]) -> QuadLod {
        let mut lod = QuadLod::flat(quads);
        if quads.len() < LOD_MIN_INSTANCES {
            return lod;
        }
        let (min, max) = bounds(quads);
        let extent = (max[0] - min[0]).max(max[1] - min[1]);
        if !(extent.is_finite() && extent > 0.0) {
            return lod;
        }
        // From 1/65536 of the map up to the whole of it, doubling.
        let mut merge_units = extent / 65_536.0;
        let mut below = quads.to_vec();
        while merge_units <= extent && below.len() >= MIN_LEVEL_INSTANCES {
            let merged = merge_runs(&below, merge_units);
            if (merged.len() as f64) <= below.len() as f64 * MIN_SHRINK {
                lod.push_level(merged.clone(), merge_units);
                below = merged;
            }
            merge_units *= 2.0;
        }
        lod
    }

    fn push_level(&mut self, quads: Vec<QuadInstance>, merge_units: f32) {
        let start = self.instances.len();
        let chunks = quads
            .chunks(CHUNK)
            .enumerate()
            .map(|(i, c)| {
                let (min, max) = bounds(c);
                let first = (start + i * CHUNK) as u32;
                Chunk { range: first..first + c.len() as u32, min, max }
            })
            .collect();
        self.instances.extend(quads);
        let range = start as u32..self.instances.len() as u32;
        self.levels.push(Level { merge_units, range, chunks });
    }

    /// See [`level_for`].
    pub fn level_for(&self, px_per_unit: f32) -> usize {
        level_for(&self.levels, px_per_unit)
    }

    /// See [`visible_ranges`].
    pub fn visible_ranges(&self, level: usize, min: [f32; 2], max: [f32; 2]) -> Vec<Range<u32>> {
        visible_ranges(&self.levels, level, min, max)
    }
}

/// The level of `levels` to draw at `px_per_unit`: the coarsest whose merged
/// quads are at most one pixel.
pub fn level_for(levels: &[Level], px_per_unit: f32) -> usize {
    let fits = |l: &Level| l.merge_units * px_per_unit <= 1.0;
    levels.iter().rposition(fits).unwrap_or(0)
}

/// The ranges of `level`'s quads (indices into [`QuadLod::instances`]) in
/// chunks that reach into the world rect `min`..`max`, neighbouring chunks
/// joined.
pub fn visible_ranges(levels: &[Level], level: usize, min: [f32; 2], max: [f32; 2]) -> Vec<Range<u32>> {
    let Some(level) = levels.get(level) else { return Vec::new() };
    let mut out: Vec<Range<u32>> = Vec::new();
    for c in &level.chunks {
        let hit = c.min[0] <= max[0] && c.max[0] >= min[0] && c.min[1] <= max[1] && c.max[1] >= min[1];
        if !hit {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.end == c.range.start => last.end = c.range.end,
            _ => out.push(c.range.clone()),
        }
    }
    out
}

/// The bounding box of `quads` (corners in either order).
fn bounds(quads: &[QuadInstance]) -> ([f32; 2], [f32; 2]) {
    let mut min = [f32::INFINITY; 2];
    let mut max = [f32::NEG_INFINITY; 2];
    for q in quads {
        for a in 0..2 {
            min[a] = min[a].min(q.min[a]).min(q.max[a]);
            max[a] = max[a].max(q.min[a]).max(q.max[a]);
        }
    }
    (min, max)
}

/// Runs of consecutive quads whose bounding box stays within `merge_units`
/// on each side, each as one quad.
fn merge_runs(quads: &[QuadInstance], merge_units: f32) -> Vec<QuadInstance> {
    let mut out = Vec::with_capacity(quads.len() / 2);
    let mut i = 0;
    while i < quads.len() {
        let (mut min, mut max) = bounds(&quads[i..=i]);
        let mut largest = i;
        let mut largest_area = area(&quads[i]);
        let mut j = i + 1;
        while j < quads.len() {
            let (qmin, qmax) = bounds(&quads[j..=j]);
            let nmin = [min[0].min(qmin[0]), min[1].min(qmin[1])];
            let nmax = [max[0].max(qmax[0]), max[1].max(qmax[1])];
            if nmax[0] - nmin[0] > merge_units || nmax[1] - nmin[1] > merge_units {
                break;
            }
            (min, max) = (nmin, nmax);
            let a = area(&quads[j]);
            if a > largest_area {
                (largest, largest_area) = (j, a);
            }
            j += 1;
        }
        let q = &quads[largest];
        // One quad stands for many: a hover or selection outline on it would
        // mark its neighbours (the window outlines those with shapes).
        let flags = q.flags & !(QuadInstance::SELECTED | QuadInstance::HOVERED);
        out.push(if j == i + 1 { *q } else { QuadInstance::new(min, max, q.color, flags) });
        i = j;
    }
    out
}

fn area(q: &QuadInstance) -> f32 {
    ((q.max[0] - q.min[0]) * (q.max[1] - q.min[1])).abs()
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
    fn coarser_levels_merge_neighbours_and_keep_big_quads() {
        let quads = row(100_000);
        let lod = QuadLod::build(&quads);
        assert!(lod.levels.len() > 3, "{} levels", lod.levels.len());
        for pair in lod.levels.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert!(b.merge_units > a.merge_units);
            assert!(b.range.len() < a.range.len(), "a coarser level has no fewer quads");
            // Every merged quad stays within its level's size, or is one quad of the level below.
            for q in &lod.instances[b.range.start as usize..b.range.end as usize] {
                let w = q.max[0] - q.min[0];
                assert!(w <= b.merge_units || q.color == 3 || w <= a.merge_units.max(1.0), "{q:?}");
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
