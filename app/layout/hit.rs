//! Hit testing on a layout's tiles: which region is under a point, and
//! which tiles draw a region (for the selection outline).
//!
//! [`HitIndex`] is a uniform grid of buckets over the layout's bounds with
//! about one cell per tile (cells as square as the bounds allow), each
//! holding the indices of the tiles that touch it, in drawing order, packed
//! into one array (compressed rows, built by counting: O(tiles + cells
//! touched), no per-cell allocation). A query looks in one cell and tests
//! the same rectangles that are drawn, last drawn first, so overlapping
//! tiles resolve as they appear. The layouts here do not overlap, so the
//! cells a tile touches add up to about its area over a cell's plus its
//! outline, and the whole index stays O(tiles).

use super::buckets::{group, group_by};
use super::layout2d::{Rect, TileList};

/// Cells per tile, roughly (more cells: fewer tiles to test per query).
const CELLS_PER_TILE: f64 = 1.0;
/// A grid side is capped so a degenerate layout cannot ask for a huge grid.
const MAX_GRID_SIDE: usize = 1 << 14;

/// The index of one layout; keep it with the layout it was built from.
#[derive(Clone, Debug, Default)]
pub struct HitIndex {
    /// The extent of the tiles: no tile holds a point outside.
    bounds: Rect,
    origin: [f32; 2],
    /// Cells per world unit on each axis.
    inv_cell: [f32; 2],
    cols: usize,
    rows: usize,
    /// `cell_tiles[cell_start[c]..cell_start[c + 1]]` are the tiles touching cell `c`.
    cell_start: Vec<u32>,
    cell_tiles: Vec<u32>,
    /// `region_tiles[region_start[r]..region_start[r + 1]]` are region `r`'s tiles.
    region_start: Vec<u32>,
    region_tiles: Vec<u32>,
}

impl HitIndex {
    pub fn new(layout: &(impl TileList + ?Sized)) -> HitIndex {
        let n = layout.tile_count();
        let b = layout.tile_bounds();
        let (w, h) = (f64::from(b.width().max(0.0)), f64::from(b.height().max(0.0)));
        let want = (n as f64 * CELLS_PER_TILE).max(1.0);
        // Square cells: side s with (w / s) * (h / s) = want.
        let (cols, rows) = if w > 0.0 && h > 0.0 {
            let side = (w * h / want).sqrt();
            (grid_count(w / side), grid_count(h / side))
        } else {
            (grid_count(if w > 0.0 { want } else { 1.0 }), grid_count(if h > 0.0 { want } else { 1.0 }))
        };
        let inv = |len: f64, n: usize| if len > 0.0 { (n as f64 / len) as f32 } else { 0.0 };
        let mut index = HitIndex {
            bounds: b,
            origin: b.min,
            inv_cell: [inv(w, cols), inv(h, rows)],
            cols,
            rows,
            ..HitIndex::default()
        };

        // Tiles land in each cell in drawing order.
        let (cell_start, cell_tiles) = group(cols * rows, n, |i, put| {
            if let Some(t) = layout.tile_at(i) {
                index.for_cells(&t.rect, put);
            }
        });
        index.cell_start = cell_start;
        index.cell_tiles = cell_tiles;
        // Tiles by region, the same way (`tile_at` is `Some` below `n`).
        (index.region_start, index.region_tiles) = group_by(n, |i| layout.tile_at(i).map_or(0, |t| t.region as usize));
        index
    }

    /// The region drawn at `p`, if any.
    pub fn hit(&self, layout: &(impl TileList + ?Sized), p: [f32; 2]) -> Option<u32> {
        self.hit_tile(layout, p).and_then(|i| layout.tile_at(i)).map(|t| t.region)
    }

    /// The index of the tile drawn at `p` (the last drawn where tiles overlap).
    pub fn hit_tile(&self, layout: &(impl TileList + ?Sized), p: [f32; 2]) -> Option<usize> {
        if !(self.bounds.contains(p)) || self.cell_start.is_empty() {
            return None;
        }
        let c = self.cell_index(self.coord(p[1], 1), self.coord(p[0], 0));
        let bucket = &self.cell_tiles[self.cell_start[c] as usize..self.cell_start[c + 1] as usize];
        bucket.iter().rev().map(|&i| i as usize).find(|&i| layout.tile_at(i).is_some_and(|t| t.rect.contains(p)))
    }

    /// Indices into `layout.tiles` of the tiles that draw `region`, in drawing order.
    pub fn tiles_of(&self, region: u32) -> &[u32] {
        let r = region as usize;
        match (self.region_start.get(r), self.region_start.get(r + 1)) {
            (Some(&a), Some(&b)) => &self.region_tiles[a as usize..b as usize],
            _ => &[],
        }
    }

    /// The cell coordinate of `v` on `axis`, clamped into the grid. The
    /// same function places tiles and queries, and it is monotonic in `v`,
    /// so a point inside a tile always lands in a cell the tile was put in.
    fn coord(&self, v: f32, axis: usize) -> usize {
        let n = if axis == 0 { self.cols } else { self.rows };
        let c = ((v - self.origin[axis]) * self.inv_cell[axis]).floor();
        if c.is_nan() || c < 0.0 { 0 } else { (c as usize).min(n - 1) }
    }

    fn cell_index(&self, row: usize, col: usize) -> usize {
        row * self.cols + col
    }

    /// Calls `f` with every cell the rectangle can hold a point of.
    fn for_cells(&self, r: &Rect, mut f: impl FnMut(usize)) {
        if !(r.min[0] < r.max[0] && r.min[1] < r.max[1]) {
            // Empty: no point is inside, so no cell needs it.
            return;
        }
        let (c0, c1) = (self.coord(r.min[0], 0), self.coord(r.max[0], 0));
        let (r0, r1) = (self.coord(r.min[1], 1), self.coord(r.max[1], 1));
        for row in r0..=r1 {
            for col in c0..=c1 {
                f(self.cell_index(row, col));
            }
        }
    }
}

fn grid_count(x: f64) -> usize {
    if x.is_finite() { (x.ceil() as usize).clamp(1, MAX_GRID_SIDE) } else { 1 }
}

/// The region at `p` by scanning every tile, last drawn first: what
/// [`HitIndex::hit`] must agree with (for tests, and for a scene shown
/// before its index is built).
pub fn hit_scan(layout: &(impl TileList + ?Sized), p: [f32; 2]) -> Option<u32> {
    (0..layout.tile_count()).rev().filter_map(|i| layout.tile_at(i)).find(|t| t.rect.contains(p)).map(|t| t.region)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Layout2d, Tile};

    fn tile(x0: f32, y0: f32, x1: f32, y1: f32, region: u32) -> Tile {
        Tile { rect: Rect::new(x0, y0, x1, y1), region, compressed: false }
    }

    #[test]
    fn finds_the_last_drawn_tile() {
        let layout = Layout2d {
            tiles: vec![tile(0.0, 0.0, 10.0, 10.0, 0), tile(2.0, 2.0, 4.0, 4.0, 5), tile(9.0, 9.0, 10.0, 10.0, 2)],
            bounds: Rect::new(0.0, 0.0, 10.0, 10.0),
            ..Layout2d::default()
        };
        let index = HitIndex::new(&layout);
        assert_eq!(index.hit(&layout, [1.0, 1.0]), Some(0));
        assert_eq!(index.hit(&layout, [3.0, 3.0]), Some(5));
        assert_eq!(index.hit(&layout, [4.0, 3.0]), Some(0), "max edges are outside");
        assert_eq!(index.hit(&layout, [9.5, 9.5]), Some(2));
        assert_eq!(index.hit(&layout, [10.0, 5.0]), None);
        assert_eq!(index.hit(&layout, [-1.0, 5.0]), None);
        assert_eq!(index.hit(&layout, [f32::NAN, 5.0]), None);
        assert_eq!(index.tiles_of(5), &[1]);
        assert_eq!(index.tiles_of(1), &[] as &[u32]);
        assert_eq!(index.tiles_of(99), &[] as &[u32]);
    }

    #[test]
    fn empty_layout() {
        let layout = Layout2d::default();
        let index = HitIndex::new(&layout);
        assert_eq!(index.hit(&layout, [0.0, 0.0]), None);
        assert!(index.tiles_of(0).is_empty());
    }
}
