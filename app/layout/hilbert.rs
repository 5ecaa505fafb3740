//! The Hilbert layout: the compressed address axis ([`super::axis`]) laid
//! along a Hilbert curve filling a square of `2^order` x `2^order` cells
//! (one cell per axis unit, one world unit per cell side), `order` the
//! smallest with `4^order >= total units`. Neighbours in memory stay
//! neighbours on screen, and every region is one contiguous blob.
//!
//! A region's span `[start, end)` is cut greedily into maximal aligned
//! blocks of `4^j` indices (`start % 4^j == 0`, block inside the span); an
//! aligned block of the curve is always a `2^j` x `2^j` square, so each
//! region becomes at most about `6 * order` square tiles whose total area is
//! exactly its axis length.
//!
//! Ticks mark the corner where the curve enters each aligned block of
//! `4^(order - 3)` cells (an 8 x 8 grid of them over the square), with the
//! address found there. Labels are as in the strip: one per run of regions
//! with one name, on its largest square, when that square's side is at
//! least [`MIN_LABEL_SIDE`] ([`MIN_KIND_LABEL_SIDE`] for regions named only
//! by their kind).

use super::axis::{Axis, AxisSpan, addr_in_span};
use super::label::{LabelRun, label_key};
use super::layout2d::{AddressTick, Layout2d, LayoutInput, LayoutSource, Rect, Tile, tiles_extent};
use super::span_blocks::{blocks, write_blocks};

pub const MIN_LABEL_SIDE: f32 = 4.0;
pub const MIN_KIND_LABEL_SIDE: f32 = 16.0;
/// Ticks go on blocks this many levels below the whole square (8 x 8 of them).
pub const TICK_LEVELS_BELOW_TOP: u32 = 3;

/// The smallest `order` with `4^order >= total_units`.
pub fn hilbert_order(total_units: u64) -> u32 {
    let mut order = 0;
    while order < 32 && (1u128 << (2 * order)) < u128::from(total_units) {
        order += 1;
    }
    order
}

/// The cell `(x, y)` of curve index `d` on a square of side `2^order`
/// (`d < 4^order`): [`hilbert_cell_by_levels`]'s cell, read four levels at
/// a time from the top through [`CELL_STEPS`]. A million-region map asks
/// for three million cells, which the level-by-level loop spent most of
/// the layout's time on.
pub fn hilbert_cell(order: u32, d: u64) -> (u32, u32) {
    let (mut x, mut y, mut state) = (0u32, 0u32, 0u8);
    let mut level = order.min(32);
    // The levels above the last multiple of four, one at a time.
    while !level.is_multiple_of(4) {
        level -= 1;
        let (bx, by, next) = cell_step(state, ((d >> (2 * level)) & 3) as u8);
        (x, y, state) = (x | u32::from(bx) << level, y | u32::from(by) << level, next);
    }
    while level > 0 {
        level -= 4;
        let step = CELL_STEPS[usize::from(state)][((d >> (2 * level)) & 0xff) as usize];
        x |= u32::from(step & 0xf) << level;
        y |= u32::from((step >> 4) & 0xf) << level;
        state = (step >> 8) as u8;
    }
    (x, y)
}

/// One level of the curve read from the top. The classic conversion
/// ([`hilbert_cell_by_levels`]) turns the cell found below each level by
/// the level's quadrant: swapped in quadrant 0, swapped and mirrored in
/// quadrant 3. From the top, those turns pile up as a state, two bits
/// (swap, mirror) that compose by xor, through which the quadrant's own
/// bits are turned. Returns the level's x and y bits and the next state.
const fn cell_step(state: u8, digit: u8) -> (u8, u8, u8) {
    // The quadrant's bits as the classic conversion reads them.
    let (rx, ry) = match digit & 3 {
        0 => (0, 0),
        1 => (0, 1),
        2 => (1, 1),
        _ => (1, 0),
    };
    let (swap, mirror) = (state & 1, state >> 1 & 1);
    let (mut bx, mut by) = if swap == 1 { (ry, rx) } else { (rx, ry) };
    if mirror == 1 {
        (bx, by) = (bx ^ 1, by ^ 1);
    }
    let turn = match digit & 3 {
        0 => 0b01,
        3 => 0b11,
        _ => 0b00,
    };
    (bx, by, state ^ turn)
}

/// [`cell_step`] four levels at once: for each state and byte of four
/// quadrant digits (the top one in the high bits), the four x bits, the
/// four y bits above them, and the next state above those.
const CELL_STEPS: [[u16; 256]; 4] = {
    let mut table = [[0u16; 256]; 4];
    let mut state = 0;
    while state < 4 {
        let mut byte = 0;
        while byte < 256 {
            let (mut x, mut y, mut s) = (0u16, 0u16, state as u8);
            let mut k = 4;
            while k > 0 {
                k -= 1;
                let (bx, by, next) = cell_step(s, (byte >> (2 * k)) as u8);
                x |= (bx as u16) << k;
                y |= (by as u16) << k;
                s = next;
            }
            table[state][byte] = x | y << 4 | (s as u16) << 8;
            byte += 1;
        }
        state += 1;
    }
    table
};

/// The cell of curve index `d`, level by level from the bottom: the
/// classic iterative conversion, which [`hilbert_cell`] must agree with.
#[cfg(test)]
fn hilbert_cell_by_levels(order: u32, d: u64) -> (u32, u32) {
    let (mut x, mut y) = (0u32, 0u32);
    let mut t = d;
    for level in 0..order {
        let s = 1u32 << level;
        let rx = ((t >> 1) & 1) as u32;
        let ry = ((t ^ u64::from(rx)) & 1) as u32;
        if ry == 0 {
            if rx == 1 {
                x = s - 1 - x;
                y = s - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        x += s * rx;
        y += s * ry;
        t >>= 2;
    }
    (x, y)
}

/// The curve index of cell `(x, y)` on a square of side `2^order`: the
/// inverse of [`hilbert_cell`] (`x, y < 2^order`).
pub fn hilbert_index(order: u32, x: u32, y: u32) -> u64 {
    let (mut x, mut y) = (u64::from(x), u64::from(y));
    let mut d = 0u64;
    for level in (0..order).rev() {
        let s = 1u64 << level;
        let rx = u64::from(x & s != 0);
        let ry = u64::from(y & s != 0);
        d += s * s * ((3 * rx) ^ ry);
        // Rotate the quadrant back, as hilbert_cell turned it.
        if ry == 0 {
            if rx == 1 {
                x = s - 1 - (x & (s - 1));
                y = s - 1 - (y & (s - 1));
            }
            std::mem::swap(&mut x, &mut y);
        }
        x &= s - 1;
        y &= s - 1;
    }
    d
}

/// The square of the aligned block of `4^level` indices starting at `d`
/// (`d % 4^level == 0`): top-left cell and side.
pub fn hilbert_block(order: u32, d: u64, level: u32) -> ([u32; 2], u32) {
    let (x, y) = hilbert_cell(order, d);
    let side = 1u32 << level;
    let mask = !(side - 1);
    ([x & mask, y & mask], side)
}

pub fn layout_hilbert(input: &LayoutInput<'_>) -> Layout2d {
    layout_hilbert_source(&input.source())
}

pub fn layout_hilbert_source(src: &LayoutSource<'_>) -> Layout2d {
    layout_hilbert_on_axis(src, &Axis::new(src))
}

/// [`layout_hilbert_source`] on the axis of `src` made beforehand.
pub fn layout_hilbert_on_axis(src: &LayoutSource<'_>, axis: &Axis) -> Layout2d {
    let order = hilbert_order(axis.total_units);
    let shown = |span: &AxisSpan| src.regions.get(span.region as usize).is_some();
    let tiles = write_blocks(&axis.spans, order, 2, shown, |span, at, level| Tile {
        rect: block_rect(order, at, level),
        region: span.region,
        compressed: span.compressed,
    });
    // Each run of regions that share a label is named at its largest tile.
    let mut labels = Vec::new();
    let mut run = LabelRun::default();
    let mut tile = 0;
    for span in &axis.spans {
        let Some(r) = src.regions.get(span.region as usize) else { continue };
        let key = label_key(r);
        if key != run.key {
            run.finish(src, &tiles, &mut labels, MIN_LABEL_SIDE, MIN_KIND_LABEL_SIDE);
            run = LabelRun { key, best: None };
        }
        for (_, level) in blocks(span, order, 2) {
            run.offer(tile, (1u32 << level) as f32);
            tile += 1;
        }
    }
    run.finish(src, &tiles, &mut labels, MIN_LABEL_SIDE, MIN_KIND_LABEL_SIDE);

    let bounds = tiles_extent(&tiles);
    Layout2d { ticks: ticks(src, axis, order), tiles, labels, bounds }
}

/// The tile of the aligned block of `4^level` indices starting at `d`
/// (see [`hilbert_block`]), in world units.
pub(super) fn block_rect(order: u32, d: u64, level: u32) -> Rect {
    let ([x, y], side) = hilbert_block(order, d, level);
    let (x, y, side) = (x as f32, y as f32, side as f32);
    Rect::new(x, y, x + side, y + side)
}

/// A tick at the entry corner of every aligned block of `4^(order - 3)`
/// cells that the axis reaches, found in one sweep over the spans.
pub(super) fn ticks(src: &LayoutSource<'_>, axis: &Axis, order: u32) -> Vec<AddressTick> {
    let level = order.saturating_sub(TICK_LEVELS_BELOW_TOP);
    let step = 1u64 << (2 * level);
    let mut out = Vec::new();
    let mut span = 0;
    let mut index = 0;
    while index < axis.total_units {
        while axis.spans[span].end <= index {
            span += 1;
        }
        let s = &axis.spans[span];
        if let Some(r) = src.regions.get(s.region as usize) {
            let (x, y) = hilbert_cell(order, index);
            let ([bx, by], side) = hilbert_block(order, index, level);
            // The curve enters an aligned block at one of its corners: mark
            // that corner of the square, not the middle of the entry cell.
            let cx = if x == bx { bx } else { bx + side };
            let cy = if y == by { by } else { by + side };
            out.push(AddressTick { pos: [cx as f32, cy as f32], addr: addr_in_span(s, r, index, axis.unit_bytes()) });
        }
        index += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::curve_samples::spread_indices;

    #[test]
    fn hilbert_index_inverts_hilbert_cell() {
        for order in 0..6 {
            for d in 0..(1u64 << (2 * order)) {
                let (x, y) = hilbert_cell(order, d);
                assert_eq!(hilbert_index(order, x, y), d, "order {order}, d {d}");
            }
        }
    }

    #[test]
    fn cells_read_from_the_top_are_the_classic_conversions() {
        for order in 0..=8 {
            for d in 0..(1u64 << (2 * order)) {
                assert_eq!(hilbert_cell(order, d), hilbert_cell_by_levels(order, d), "order {order}, d {d}");
            }
        }
        // Big orders: a spread of indices, the last one included.
        for order in [9, 11, 12, 13, 16, 23, 24, 31, 32] {
            for d in spread_indices(2 * order) {
                assert_eq!(hilbert_cell(order, d), hilbert_cell_by_levels(order, d), "order {order}, d {d}");
            }
        }
    }

    #[test]
    fn order_fits_the_units() {
        assert_eq!(hilbert_order(0), 0);
        assert_eq!(hilbert_order(1), 0);
        assert_eq!(hilbert_order(2), 1);
        assert_eq!(hilbert_order(4), 1);
        assert_eq!(hilbert_order(5), 2);
        assert_eq!(hilbert_order(1 << 24), 12);
    }

    #[test]
    fn the_curve_visits_every_cell_once_stepping_to_neighbours() {
        for order in 0..6 {
            let side = 1u32 << order;
            let mut seen = vec![false; (side * side) as usize];
            let mut prev: Option<(u32, u32)> = None;
            for d in 0..u64::from(side * side) {
                let (x, y) = hilbert_cell(order, d);
                assert!(x < side && y < side);
                let i = (y * side + x) as usize;
                assert!(!seen[i], "order {order}: ({x}, {y}) twice");
                seen[i] = true;
                if let Some((px, py)) = prev {
                    assert_eq!(px.abs_diff(x) + py.abs_diff(y), 1, "order {order}, d {d}");
                }
                prev = Some((x, y));
            }
        }
    }

    #[test]
    fn aligned_blocks_are_squares() {
        let order = 5;
        for level in 0..=order {
            let len = 1u64 << (2 * level);
            for start in (0..1u64 << (2 * order)).step_by(len as usize) {
                let ([bx, by], side) = hilbert_block(order, start, level);
                for d in start..start + len {
                    let (x, y) = hilbert_cell(order, d);
                    assert!(x >= bx && x < bx + side && y >= by && y < by + side, "level {level} d {d}");
                }
            }
        }
    }
}
