//! The Volume layout: the compressed address axis ([`super::axis`]) laid
//! along a 3D Hilbert curve filling a cube of `2^order` cells a side (one
//! cell per axis unit, one world unit per cell side, world coordinates =
//! cell coordinates with y up), `order` the smallest with
//! `8^order >= total units`. Neighbours in memory stay neighbours in space
//! and every region is one contiguous solid.
//!
//! The curve is John Skilling's ("Programming the Hilbert curve", AIP Conf.
//! Proc. 707, 2004): the index's bits are dealt round-robin into three
//! coordinates ("transposed", the most significant bit into x), Gray-decoded,
//! and the excess reflections undone level by level from the finest up. Bit
//! `L` of each coordinate depends only on index bits at levels `>= L`, so
//! the `8^j` indices of an aligned block (`d % 8^j == 0`) share every
//! coordinate bit from `j` up: the block is the aligned `2^j` cube holding
//! its first cell, visited whole (the unit tests check this, and that
//! consecutive indices are face neighbours and every cell is visited once).
//! The curve is self-similar, each octant drawing the curve one order down
//! under a fixed turn of the cube, so cells are read from the top, one
//! octant digit per level, through a table of those turns read off
//! Skilling's conversion (a test holds the two equal at every order).
//!
//! A region's span `[start, end)` is cut greedily into maximal aligned
//! blocks of `8^j` indices, each one [`Box3`] cube: a region becomes at most
//! about `14 * order` cubes whose volumes add up to exactly its axis length.
//! Gaps (Free, Unknown) are boxes too, flagged `compressed` where the axis
//! compressed them, so the renderer can make them faint or leave them out.
//!
//! Labels sit at the centre of the largest cube of each module allocation,
//! heap and stack (as in the City), at most [`super::city::MAX_LABELS`],
//! largest first. There are no ground ticks; the ground is the cube's floor.

use super::axis::Axis;
use super::city::{Extent, Landmarks};
use super::layout2d::{LayoutInput, LayoutSource};
use super::layout3d::{Box3, Layout3d};
use super::span_blocks::write_blocks_shared;

/// The largest order whose indices fit a `u64` (`8^21 = 2^63`).
pub const MAX_ORDER: u32 = 21;

/// The smallest `order` with `8^order >= total_units` (at most [`MAX_ORDER`]).
pub fn hilbert3_order(total_units: u64) -> u32 {
    let mut order = 0;
    while order < MAX_ORDER && (1u128 << (3 * order)) < u128::from(total_units) {
        order += 1;
    }
    order
}

/// The cell `[x, y, z]` of curve index `d` in a cube of side `2^order`
/// (`d < 8^order`; higher bits are ignored): Skilling's cell, read from the
/// top one octant digit at a time through [`cell_steps`] (the Volume asks
/// for millions of cells at a million regions).
pub fn hilbert3_cell(order: u32, d: u64) -> [u32; 3] {
    let steps = cell_steps();
    let mut cell = [0u32; 3];
    // State 0 is the identity, the first of `Turn::all`: the top level is unturned.
    let mut state = 0usize;
    for level in (0..order.min(MAX_ORDER)).rev() {
        let (bits, next) = steps[state][((d >> (3 * level)) & 7) as usize];
        for (a, c) in cell.iter_mut().enumerate() {
            *c |= u32::from(bits >> a & 1) << level;
        }
        state = usize::from(next);
    }
    cell
}

/// The cell of curve index `d` by Skilling's transpose method, level by
/// level: what [`hilbert3_cell`] reads its turns from and must agree with.
fn hilbert3_cell_by_levels(order: u32, d: u64) -> [u32; 3] {
    let bits = order.min(MAX_ORDER);
    if bits == 0 {
        return [0; 3];
    }
    // Transpose: index bit 3L + 2 - i becomes bit L of coordinate i.
    let mut x = [0u32; 3];
    for level in 0..bits {
        for (i, xi) in x.iter_mut().enumerate() {
            let bit = (d >> (3 * level + 2 - i as u32)) & 1;
            *xi |= (bit as u32) << level;
        }
    }
    // Gray decode.
    let t = x[2] >> 1;
    x[2] ^= x[1];
    x[1] ^= x[0];
    x[0] ^= t;
    // Undo the excess work, finest level first.
    let top = 1u32 << bits;
    let mut q = 2u32;
    while q != top {
        let p = q - 1;
        for i in (0..3).rev() {
            if x[i] & q != 0 {
                x[0] ^= p;
            } else {
                let t = (x[0] ^ x[i]) & p;
                x[0] ^= t;
                x[i] ^= t;
            }
        }
        q <<= 1;
    }
    x
}

/// A symmetry of the cube acting on cells: axis `a` of the result is axis
/// `perm[a]` of the cell, mirrored within the cube where bit `a` of `mirror`
/// is set (a mirror of a `2^k` cube flips the low `k` bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Turn {
    perm: [usize; 3],
    mirror: u32,
}

impl Turn {
    const IDENTITY: Turn = Turn { perm: [0, 1, 2], mirror: 0 };

    /// All 48: the six orders of the axes, each with the eight mirrors.
    fn all() -> impl Iterator<Item = Turn> {
        [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
            .into_iter()
            .flat_map(|perm| (0..8).map(move |mirror| Turn { perm, mirror }))
    }

    /// The cell `c` turned within a cube of side `side_mask + 1` (a power of two).
    fn apply(&self, c: [u32; 3], side_mask: u32) -> [u32; 3] {
        std::array::from_fn(|a| c[self.perm[a]] ^ if self.mirror >> a & 1 == 1 { side_mask } else { 0 })
    }

    /// `self` after `inner`.
    fn after(&self, inner: &Turn) -> Turn {
        let perm = std::array::from_fn(|a| inner.perm[self.perm[a]]);
        let mirror = (0..3).fold(0, |m, a| m | ((inner.mirror >> self.perm[a] & 1) ^ (self.mirror >> a & 1)) << a);
        Turn { perm, mirror }
    }
}

/// For each of the 48 turns (as states) and octant digit: the octant's
/// cell bits (x, y, z in bits 0, 1, 2) and the next state. The curve is
/// self-similar: the `8^(k-1)` indices of octant `q` draw the curve of
/// order `k - 1` turned by a fixed `T_q` and moved to that octant, so a
/// cell can be read from the top, one octant digit per level, through the
/// turns piled up above it. The octants and their turns are read off
/// Skilling's conversion at order 2 ([`hilbert3_cell_by_levels`]; a test
/// holds the two conversions equal at every order).
fn cell_steps() -> &'static [[(u8, u8); 8]; 48] {
    static STEPS: std::sync::OnceLock<[[(u8, u8); 8]; 48]> = std::sync::OnceLock::new();
    STEPS.get_or_init(|| {
        let turns: Vec<Turn> = Turn::all().collect();
        let index_of = |t: &Turn| turns.iter().position(|u| u == t).unwrap_or(0) as u8;
        // Each octant's corner cell and turn, at order 2.
        let octants: [([u32; 3], Turn); 8] = std::array::from_fn(|q| {
            let corner = hilbert3_cell_by_levels(2, q as u64 * 8).map(|c| c >> 1);
            let turn = turns
                .iter()
                .copied()
                .find(|t| {
                    (0..8u64).all(|d| {
                        let sub = hilbert3_cell_by_levels(1, d);
                        let at = hilbert3_cell_by_levels(2, q as u64 * 8 + d);
                        let moved = t.apply(sub, 1);
                        (0..3).all(|a| at[a] == corner[a] << 1 | moved[a])
                    })
                })
                .unwrap_or(Turn::IDENTITY);
            (corner, turn)
        });
        std::array::from_fn(|s| {
            std::array::from_fn(|q| {
                let (corner, turn) = &octants[q];
                let b = turns[s].apply(*corner, 1);
                ((b[0] | b[1] << 1 | b[2] << 2) as u8, index_of(&turns[s].after(turn)))
            })
        })
    })
}

/// The cube of the aligned block of `8^level` indices starting at `d`
/// (`d % 8^level == 0`): its lowest corner and side.
pub fn hilbert3_block(order: u32, d: u64, level: u32) -> ([u32; 3], u32) {
    let c = hilbert3_cell(order, d);
    let side = 1u32 << level;
    let mask = !(side - 1);
    ([c[0] & mask, c[1] & mask, c[2] & mask], side)
}

/// The Volume of the input's visible regions.
pub fn layout_volume(input: &LayoutInput<'_>) -> Layout3d {
    layout_volume_source(&input.source())
}

/// [`layout_volume`] from a [`LayoutSource`].
pub fn layout_volume_source(src: &LayoutSource<'_>) -> Layout3d {
    layout_volume_on_axis(src, &Axis::new(src))
}

/// [`layout_volume_source`] on the axis of `src` made beforehand (the
/// window keeps it from view to view). Each part of the cubes, made on
/// every core, gathers its landmarks and extent on the way.
pub fn layout_volume_on_axis(src: &LayoutSource<'_>, axis: &Axis) -> Layout3d {
    let order = hilbert3_order(axis.total_units);
    let (boxes, parts) = write_blocks_shared(
        &axis.spans,
        order,
        3,
        |_| true,
        VolumePart::default,
        |part, i, span, at, level| {
            let (corner, side) = hilbert3_block(order, at, level);
            let [x, y, z] = corner.map(|c| c as f32);
            let s = side as f32;
            let b =
                Box3 { min: [x, y, z], max: [x + s, y + s, z + s], region: span.region, compressed: span.compressed };
            if let Some(r) = src.regions.get(span.region as usize) {
                part.landmarks.offer(r, [(1u32 << level) as f32, 0.0], i);
            }
            part.bounds.add(b.min, b.max);
            b
        },
    );
    let mut all = VolumePart::default();
    for part in parts {
        all.landmarks.append(part.landmarks);
        all.bounds.join(part.bounds);
    }
    let labels = all.landmarks.labels(src, &boxes, Box3::center);
    let (bounds_min, bounds_max) = all.bounds.get();
    Layout3d {
        boxes,
        labels,
        ticks: Vec::new(),
        bounds_min,
        bounds_max,
        ground_min: [bounds_min[0], bounds_min[2]],
        ground_max: [bounds_max[0], bounds_max[2]],
    }
}

/// What one part of a Volume's cubes gathers besides its boxes.
#[derive(Default)]
struct VolumePart<'a> {
    landmarks: Landmarks<'a>,
    bounds: Extent,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::curve_samples::spread_indices;

    #[test]
    fn order_fits_the_units() {
        assert_eq!(hilbert3_order(0), 0);
        assert_eq!(hilbert3_order(1), 0);
        assert_eq!(hilbert3_order(2), 1);
        assert_eq!(hilbert3_order(8), 1);
        assert_eq!(hilbert3_order(9), 2);
        assert_eq!(hilbert3_order(1 << 24), 8);
        assert_eq!(hilbert3_order(u64::MAX), MAX_ORDER);
    }

    #[test]
    fn the_curve_visits_every_cell_once_stepping_to_face_neighbours() {
        for order in 0..5 {
            let side = 1u32 << order;
            let mut seen = vec![false; (side * side * side) as usize];
            let mut prev: Option<[u32; 3]> = None;
            for d in 0..u64::from(side * side * side) {
                let c = hilbert3_cell(order, d);
                assert!(c.iter().all(|&v| v < side), "order {order} d {d}: {c:?}");
                let i = ((c[2] * side + c[1]) * side + c[0]) as usize;
                assert!(!seen[i], "order {order}: {c:?} twice");
                seen[i] = true;
                if let Some(p) = prev {
                    let dist: u32 = (0..3).map(|a| p[a].abs_diff(c[a])).sum();
                    assert_eq!(dist, 1, "order {order}, d {d}: {p:?} -> {c:?}");
                }
                prev = Some(c);
            }
        }
    }

    #[test]
    fn cells_read_from_the_top_are_skillings() {
        for order in 0..=5 {
            for d in 0..(1u64 << (3 * order)) {
                assert_eq!(hilbert3_cell(order, d), hilbert3_cell_by_levels(order, d), "order {order}, d {d}");
            }
        }
        for order in [6, 7, 8, 9, 13, 20, MAX_ORDER] {
            for d in spread_indices(3 * order) {
                assert_eq!(hilbert3_cell(order, d), hilbert3_cell_by_levels(order, d), "order {order}, d {d}");
            }
        }
    }

    #[test]
    fn aligned_blocks_are_cubes() {
        let order = 4;
        for level in 0..=order {
            let len = 1u64 << (3 * level);
            for start in (0..1u64 << (3 * order)).step_by(len as usize) {
                let (corner, side) = hilbert3_block(order, start, level);
                assert!(corner.iter().all(|c| c % side == 0));
                for d in start..start + len {
                    let c = hilbert3_cell(order, d);
                    for a in 0..3 {
                        assert!(c[a] >= corner[a] && c[a] < corner[a] + side, "level {level} d {d}");
                    }
                }
            }
        }
    }

    #[test]
    fn deep_orders_stay_in_range() {
        let order = MAX_ORDER;
        let side = 1u64 << order;
        for d in [0, 1, 12345, (1u64 << 63) - 1, u64::MAX >> 1] {
            let c = hilbert3_cell(order, d);
            assert!(c.iter().all(|&v| u64::from(v) < side), "{d}: {c:?}");
        }
        // Consecutive indices deep in the curve still step to a face neighbour.
        for d in [(1u64 << 62) - 1, 0x1234_5678_9abc, (1u64 << 63) - 2] {
            let (a, b) = (hilbert3_cell(order, d), hilbert3_cell(order, d + 1));
            assert_eq!((0..3).map(|i| a[i].abs_diff(b[i])).sum::<u32>(), 1, "{d}");
        }
    }
}
