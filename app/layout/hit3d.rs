//! Picking in a 3D scene: which box a ray (from the camera through the
//! cursor) meets first.
//!
//! [`ray_box`] is the slab method. [`Hit3dIndex`] is a uniform grid over
//! the boxes' extent, about one cell per box, each cell listing the boxes
//! that touch it (compressed rows built by counting: O(boxes + cells
//! touched), no per-cell allocation), walked along the ray cell by cell
//! (Amanatides and Woo's 3D DDA). A uniform grid rather than a BVH because
//! both layouts fill space evenly with boxes that do not overlap (the City's
//! footprints tile the Hilbert square, the Volume's cubes tile the Hilbert
//! cube), so every cell holds a handful of boxes, the build is linear, and
//! a query stops at the first cell whose boxes give a hit before the ray
//! leaves it: a ray onto the City from above tests a few boxes, a grazing one
//! at most one row of cells.
//!
//! The grid's shape follows the scene: when every box stands on one floor
//! (the City) it is a 2D grid of columns over x/z (a cubic grid would spend
//! most cells on the air above a flat city); otherwise (the Volume) the
//! cells are as cubic as the extent allows. Boxes go into every cell they
//! reach plus a margin of a thousandth of a cell, so rounding at a cell
//! border cannot hide a box; a query tests the same boxes that are drawn,
//! and returns what [`pick_scan`] returns (the smallest entry distance; among
//! equal distances the scan prefers the lowest box index, the grid the first
//! met).

use super::buckets::{group, group_by};
use super::layout3d::{Box3, BoxList};

/// Cells per box, roughly.
const CELLS_PER_BOX: f64 = 1.0;
/// A grid side is capped so a degenerate scene cannot ask for a huge grid.
const MAX_GRID_SIDE: usize = 1 << 12;
/// The margin around each box when placing it in cells, in cells.
const CELL_MARGIN: f32 = 1e-3;

/// The ray parameter `t >= 0` where the ray `origin + t * dir` enters box
/// `b` (0 when it starts inside or on it), or `None` when it misses. Faces
/// count as inside; a zero direction component means the ray is parallel to
/// that slab (inside it or missing). Non-finite inputs miss.
pub fn ray_box(origin: [f32; 3], dir: [f32; 3], b: &Box3) -> Option<f32> {
    ray_span(origin, dir, b.min, b.max).map(|(enter, _)| enter)
}

/// Entry and exit parameters of the ray in `[min, max]`, entry clamped to 0.
fn ray_span(o: [f32; 3], d: [f32; 3], min: [f32; 3], max: [f32; 3]) -> Option<(f32, f32)> {
    let mut enter = 0.0f32;
    let mut exit = f32::INFINITY;
    for a in 0..3 {
        // Non-finite rays, and boxes with NaN corners, miss.
        if !(o[a].is_finite() && d[a].is_finite()) || min[a].is_nan() || max[a].is_nan() {
            return None;
        }
        if d[a] == 0.0 {
            if o[a] < min[a] || o[a] > max[a] {
                return None;
            }
        } else {
            let t0 = (min[a] - o[a]) / d[a];
            let t1 = (max[a] - o[a]) / d[a];
            let (near, far) = if t0 <= t1 { (t0, t1) } else { (t1, t0) };
            enter = enter.max(near);
            exit = exit.min(far);
            if enter > exit {
                return None;
            }
        }
    }
    Some((enter, exit))
}

/// The nearest box the ray hits, by testing every box not skipped: what
/// [`Hit3dIndex::pick`] must agree with. Ties go to the lowest box index.
pub fn pick_scan(
    scene: &(impl BoxList + ?Sized),
    origin: [f32; 3],
    dir: [f32; 3],
    skip: impl Fn(&Box3) -> bool,
) -> Option<(usize, f32)> {
    let mut best: Option<(usize, f32)> = None;
    for i in 0..scene.box_count() {
        let Some(b) = scene.box_at(i) else { continue };
        if skip(&b) {
            continue;
        }
        if let Some(t) = ray_box(origin, dir, &b)
            && best.is_none_or(|(_, bt)| t < bt)
        {
            best = Some((i, t));
        }
    }
    best
}

/// The picking index of one scene; keep it with the scene it was built from.
#[derive(Clone, Debug, Default)]
pub struct Hit3dIndex {
    /// The extent of all boxes.
    lo: [f32; 3],
    hi: [f32; 3],
    /// Cells per axis.
    dims: [usize; 3],
    /// Cell side per axis (the whole extent, or 1 for an empty one, on an undivided axis).
    cell: [f32; 3],
    /// `cell_boxes[cell_start[c]..cell_start[c + 1]]` are the boxes touching cell `c`.
    cell_start: Vec<u32>,
    cell_boxes: Vec<u32>,
    /// `region_boxes[region_start[r]..region_start[r + 1]]` are region `r`'s boxes.
    region_start: Vec<u32>,
    region_boxes: Vec<u32>,
}

impl Hit3dIndex {
    pub fn new(scene: &(impl BoxList + ?Sized)) -> Hit3dIndex {
        let n = scene.box_count();
        let boxes = || (0..n).filter_map(|i| scene.box_at(i));
        let Some(first) = boxes().next() else { return Hit3dIndex::default() };
        let (mut lo, mut hi) = (first.min, first.max);
        for b in boxes() {
            for a in 0..3 {
                lo[a] = lo[a].min(b.min[a]);
                hi[a] = hi[a].max(b.max[a]);
            }
        }
        let on_one_floor = boxes().all(|b| b.min[1] == lo[1]);
        let dims = grid_dims(lo, hi, n, on_one_floor);
        let cell = std::array::from_fn(|a| {
            let ext = hi[a] - lo[a];
            if ext > 0.0 && ext.is_finite() { ext / dims[a] as f32 } else { 1.0 }
        });
        let mut index = Hit3dIndex { lo, hi, dims, cell, ..Hit3dIndex::default() };

        // Boxes land in each cell in index order.
        let cells = dims[0] * dims[1] * dims[2];
        let (cell_start, cell_boxes) = group(cells, n, |i, put| {
            if let Some(b) = scene.box_at(i) {
                index.for_cells(&b, put);
            }
        });
        index.cell_start = cell_start;
        index.cell_boxes = cell_boxes;
        // Boxes by region, the same way (`box_at` is `Some` below `n`).
        (index.region_start, index.region_boxes) = group_by(n, |i| scene.box_at(i).map_or(0, |b| b.region as usize));
        index
    }

    /// Cells per axis (x, y, z): y is 1 for a City.
    pub fn dims(&self) -> [usize; 3] {
        self.dims
    }

    /// The nearest box (index into `scene.boxes`) the ray `origin + t * dir`
    /// (`t >= 0`) hits, with its entry `t`, ignoring boxes `skip` accepts.
    pub fn pick(
        &self,
        scene: &(impl BoxList + ?Sized),
        origin: [f32; 3],
        dir: [f32; 3],
        skip: impl Fn(&Box3) -> bool,
    ) -> Option<(usize, f32)> {
        if self.cell_start.is_empty() {
            return None;
        }
        let (t_in, t_out) = ray_span(origin, dir, self.lo, self.hi)?;
        let mut cell = [0usize; 3];
        let mut step = [0isize; 3];
        let mut t_next = [f32::INFINITY; 3];
        let mut t_delta = [f32::INFINITY; 3];
        for a in 0..3 {
            let p = origin[a] + dir[a] * t_in;
            cell[a] = self.coord(p, a);
            if dir[a] > 0.0 {
                step[a] = 1;
                let edge = self.lo[a] + (cell[a] + 1) as f32 * self.cell[a];
                t_next[a] = (edge - origin[a]) / dir[a];
                t_delta[a] = self.cell[a] / dir[a];
            } else if dir[a] < 0.0 {
                step[a] = -1;
                let edge = self.lo[a] + cell[a] as f32 * self.cell[a];
                t_next[a] = (edge - origin[a]) / dir[a];
                t_delta[a] = -self.cell[a] / dir[a];
            }
        }

        let mut best: Option<(usize, f32)> = None;
        // A ray crosses at most this many cells (the bound only guards against rounding).
        let max_steps = self.dims.iter().sum::<usize>() + 3;
        for _ in 0..max_steps {
            let c = (cell[2] * self.dims[1] + cell[1]) * self.dims[0] + cell[0];
            let bucket = &self.cell_boxes[self.cell_start[c] as usize..self.cell_start[c + 1] as usize];
            for &i in bucket {
                let i = i as usize;
                let Some(b) = scene.box_at(i) else { continue };
                if skip(&b) {
                    continue;
                }
                if let Some(t) = ray_box(origin, dir, &b)
                    && best.is_none_or(|(bi, bt)| t < bt || (t == bt && i < bi))
                {
                    best = Some((i, t));
                }
            }
            // Where the ray leaves this cell: nothing beyond can be nearer.
            let axis = if t_next[0] <= t_next[1] && t_next[0] <= t_next[2] {
                0
            } else if t_next[1] <= t_next[2] {
                1
            } else {
                2
            };
            let leave = t_next[axis].min(t_out);
            if best.is_some_and(|(_, bt)| bt <= leave) || t_next[axis] > t_out {
                break;
            }
            let next = cell[axis] as isize + step[axis];
            if next < 0 || next as usize >= self.dims[axis] {
                break;
            }
            cell[axis] = next as usize;
            t_next[axis] += t_delta[axis];
        }
        best
    }

    /// Indices into `scene.boxes` of the boxes that draw `region`, in order.
    pub fn boxes_of(&self, region: u32) -> &[u32] {
        let r = region as usize;
        match (self.region_start.get(r), self.region_start.get(r + 1)) {
            (Some(&a), Some(&b)) => &self.region_boxes[a as usize..b as usize],
            _ => &[],
        }
    }

    /// The cell coordinate of `v` on `axis`, clamped into the grid; the same
    /// monotonic function places boxes and starts walks.
    fn coord(&self, v: f32, axis: usize) -> usize {
        let c = ((v - self.lo[axis]) / self.cell[axis]).floor();
        if c.is_nan() || c < 0.0 { 0 } else { (c as usize).min(self.dims[axis] - 1) }
    }

    /// Calls `f` with every cell the box (plus the margin) reaches.
    fn for_cells(&self, b: &Box3, mut f: impl FnMut(usize)) {
        if !(b.min[0] <= b.max[0] && b.min[1] <= b.max[1] && b.min[2] <= b.max[2]) {
            return;
        }
        let range = |a: usize| {
            let m = self.cell[a] * CELL_MARGIN;
            (self.coord(b.min[a] - m, a), self.coord(b.max[a] + m, a))
        };
        let ((x0, x1), (y0, y1), (z0, z1)) = (range(0), range(1), range(2));
        for z in z0..=z1 {
            for y in y0..=y1 {
                for x in x0..=x1 {
                    f((z * self.dims[1] + y) * self.dims[0] + x);
                }
            }
        }
    }
}

/// Cells per axis: about `n * CELLS_PER_BOX` cells, as cubic as the extent
/// allows, over x/z only when `columns`. An axis shorter than one cell (or
/// empty) is not divided.
fn grid_dims(lo: [f32; 3], hi: [f32; 3], n: usize, columns: bool) -> [usize; 3] {
    let ext: [f64; 3] = std::array::from_fn(|a| f64::from(hi[a] - lo[a]));
    let mut used: [bool; 3] = std::array::from_fn(|a| ext[a] > 0.0 && ext[a].is_finite() && !(columns && a == 1));
    let target = (n as f64 * CELLS_PER_BOX).max(1.0);
    loop {
        let k = used.iter().filter(|u| **u).count();
        if k == 0 {
            return [1; 3];
        }
        let volume: f64 = (0..3).filter(|&a| used[a]).map(|a| ext[a]).product();
        let side = (volume / target).powf(1.0 / k as f64);
        // An axis shorter than a cell: leave it whole and share the cells among the others.
        match (0..3).find(|&a| used[a] && ext[a] < side) {
            Some(a) => used[a] = false,
            None => {
                return std::array::from_fn(|a| {
                    if used[a] { ((ext[a] / side).ceil() as usize).clamp(1, MAX_GRID_SIDE) } else { 1 }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::layout3d::Layout3d;

    fn bx(min: [f32; 3], max: [f32; 3], region: u32) -> Box3 {
        Box3 { min, max, region, compressed: false }
    }

    #[test]
    fn slab_method() {
        let b = bx([0.0, 0.0, 0.0], [1.0, 2.0, 1.0], 0);
        assert_eq!(ray_box([0.5, 5.0, 0.5], [0.0, -1.0, 0.0], &b), Some(3.0));
        assert_eq!(ray_box([-1.0, 1.0, 0.5], [2.0, 0.0, 0.0], &b), Some(0.5));
        // Starting inside.
        assert_eq!(ray_box([0.5, 1.0, 0.5], [1.0, 1.0, 1.0], &b), Some(0.0));
        // Behind, beside, parallel outside.
        assert_eq!(ray_box([0.5, 5.0, 0.5], [0.0, 1.0, 0.0], &b), None);
        assert_eq!(ray_box([2.0, 5.0, 0.5], [0.0, -1.0, 0.0], &b), None);
        assert_eq!(ray_box([-1.0, 3.0, 0.5], [1.0, 0.0, 0.0], &b), None);
        // Diagonal through a corner region; negative components.
        let t = ray_box([2.0, 3.0, 2.0], [-1.0, -1.0, -1.0], &b).unwrap();
        assert_eq!(t, 1.0);
        // Grazing a face counts.
        assert_eq!(ray_box([-1.0, 2.0, 0.5], [1.0, 0.0, 0.0], &b), Some(1.0));
        // Non-finite rays miss; a zero direction hits only from inside.
        assert_eq!(ray_box([f32::NAN, 0.5, 0.5], [1.0, 0.0, 0.0], &b), None);
        assert_eq!(ray_box([0.5, 0.5, 0.5], [f32::INFINITY, 0.0, 0.0], &b), None);
        assert_eq!(ray_box([0.5, 0.5, 0.5], [0.0, 0.0, 0.0], &b), Some(0.0));
        assert_eq!(ray_box([5.0, 0.5, 0.5], [0.0, 0.0, 0.0], &b), None);
        assert_eq!(ray_box([0.5, 5.0, 0.5], [0.0, -1e-30, 0.0], &b), Some(3e30));
        let nan = bx([f32::NAN, 0.0, 0.0], [1.0, 1.0, 1.0], 0);
        assert_eq!(ray_box([-1.0, 0.5, 0.5], [1.0, 0.0, 0.0], &nan), None);
        assert_eq!(ray_box([0.5, 5.0, 0.5], [0.0, -1.0, 0.0], &nan), None);
    }

    #[test]
    fn picks_the_nearest_and_skips() {
        let scene = Layout3d {
            boxes: vec![
                bx([0.0, 0.0, 0.0], [1.0, 1.0, 1.0], 0),
                bx([0.0, 0.0, 2.0], [1.0, 3.0, 3.0], 1),
                bx([2.0, 0.0, 0.0], [3.0, 0.5, 1.0], 2),
                bx([5.0, 0.0, 5.0], [6.0, 1.0, 6.0], 2),
            ]
            .into(),
            ..Layout3d::default()
        };
        let index = Hit3dIndex::new(&scene);
        assert_eq!(index.dims()[1], 1, "boxes on one floor: columns");
        let none = |_: &Box3| false;
        assert_eq!(index.pick(&scene, [0.5, 10.0, 2.5], [0.0, -1.0, 0.0], none), Some((1, 7.0)));
        // Along z from the front: box 1 (z 2..3) comes before box 0.
        assert_eq!(index.pick(&scene, [0.5, 0.5, 10.0], [0.0, 0.0, -1.0], none), Some((1, 7.0)));
        assert_eq!(index.pick(&scene, [0.5, 0.5, 10.0], [0.0, 0.0, -1.0], |b| b.region == 1), Some((0, 9.0)));
        assert_eq!(index.pick(&scene, [0.5, 0.5, 10.0], [0.0, 0.0, 1.0], none), None);
        assert_eq!(index.pick(&scene, [4.0, 10.0, 4.0], [0.0, -1.0, 0.0], none), None);
        assert_eq!(index.boxes_of(2), &[2, 3]);
        assert!(index.boxes_of(7).is_empty());
        let empty = Layout3d::default();
        assert_eq!(Hit3dIndex::new(&empty).pick(&empty, [0.0; 3], [1.0, 0.0, 0.0], none), None);
    }

    #[test]
    fn grid_shapes() {
        // A flat city of 100 boxes over 10 x 10: 10 x 1 x 10 columns.
        assert_eq!(grid_dims([0.0; 3], [10.0, 3.0, 10.0], 100, true), [10, 1, 10]);
        // A cube of 1000 boxes: 10^3 cells.
        assert_eq!(grid_dims([0.0; 3], [8.0, 8.0, 8.0], 1000, false), [10, 10, 10]);
        // A thin slab is not divided across its thickness.
        assert_eq!(grid_dims([0.0; 3], [100.0, 0.01, 100.0], 100, false), [10, 1, 10]);
        assert_eq!(grid_dims([0.0; 3], [0.0; 3], 5, false), [1, 1, 1]);
    }
}
