//! The strip layout, in the spirit of VMMap's fragmentation view: the
//! compressed address axis ([`super::axis`]) wrapped into rows read like
//! text, left to right and top to bottom.
//!
//! Geometry (world units): one axis unit is one unit wide (so a tile's width
//! is its length in units). The picture is roughly [`ASPECT`] (16:10). With
//! `n` units and rows 1 unit tall plus a quarter gap, the row width would be
//! `sqrt(1.6 * n * 1.25)`; when that gives more than [`MAX_ROWS`] rows (a
//! big dump: hundreds of rows a pixel or two tall), there are [`MAX_ROWS`]
//! rows instead, each `n / MAX_ROWS` wide and proportionally taller, so rows
//! stay thick enough to see and to label. Widths are rounded up to a multiple
//! of 8 (at least 8) so the [`TICKS_PER_ROW`] ticks along a row fall on whole
//! units; the gap between rows is [`ROW_GAP`] of a row's height. A region
//! that runs past a row's end continues at the start of the next, as several
//! tiles naming the same region.
//!
//! Labels: each run of neighbouring regions that share a name (the sections
//! of one module, one heap's pieces, a stack and its guard) gets one label,
//! on its widest tile, when that tile is at least [`MIN_LABEL_UNITS`] wide
//! ([`MIN_KIND_LABEL_UNITS`] for regions named only by their kind).

use super::axis::{Axis, addr_in_span};
use super::label::{LabelRun, label_key};
use super::layout2d::{AddressTick, Layout2d, LayoutInput, LayoutSource, Rect, Tile, tiles_extent};

/// The height of a row in small layouts (see [`StripGrid::row_height`]).
pub const ROW_HEIGHT: f32 = 1.0;
/// The gap below a row, as a fraction of its height.
pub const ROW_GAP: f32 = 0.25;
/// At most this many rows; bigger axes get wider, taller rows.
pub const MAX_ROWS: u64 = 48;
/// Width over height of the whole strip picture, roughly.
pub const ASPECT: f64 = 1.6;
/// Row widths are multiples of this (and at least this).
pub const ROW_QUANTUM_UNITS: u64 = 8;
/// Ticks per row: at its start and every `row_units / TICKS_PER_ROW` after.
pub const TICKS_PER_ROW: u64 = 8;
pub const MIN_LABEL_UNITS: f32 = 6.0;
pub const MIN_KIND_LABEL_UNITS: f32 = 24.0;

/// How the axis wraps into rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StripGrid {
    pub row_units: u64,
    /// How tall a row is.
    pub row_height: f32,
    /// Row height plus the gap below it.
    pub row_pitch: f32,
}

impl StripGrid {
    /// The grid for an axis of `total_units` (see the module docs).
    pub fn for_units(total_units: u64) -> StripGrid {
        let gap = 1.0 + f64::from(ROW_GAP);
        let natural = (ASPECT * total_units as f64 * gap).sqrt().ceil() as u64;
        let natural = natural.max(ROW_QUANTUM_UNITS).next_multiple_of(ROW_QUANTUM_UNITS);
        if total_units.div_ceil(natural) <= MAX_ROWS {
            return StripGrid { row_units: natural, row_height: ROW_HEIGHT, row_pitch: ROW_HEIGHT * (1.0 + ROW_GAP) };
        }
        let row_units = total_units.div_ceil(MAX_ROWS).next_multiple_of(ROW_QUANTUM_UNITS);
        let rows = total_units.div_ceil(row_units) as f64;
        let height = (row_units as f64 / (ASPECT * rows * gap)) as f32;
        StripGrid { row_units, row_height: height, row_pitch: height * (1.0 + ROW_GAP) }
    }

    /// The top-left corner of unit position `unit`.
    pub fn position(&self, unit: u64) -> [f32; 2] {
        let row = unit / self.row_units;
        [(unit % self.row_units) as f32, row as f32 * self.row_pitch]
    }
}

pub fn layout_strip(input: &LayoutInput<'_>) -> Layout2d {
    layout_strip_source(&input.source())
}

pub fn layout_strip_source(src: &LayoutSource<'_>) -> Layout2d {
    layout_strip_on_axis(src, &Axis::new(src))
}

/// [`layout_strip_source`] on the axis of `src` made beforehand.
pub fn layout_strip_on_axis(src: &LayoutSource<'_>, axis: &Axis) -> Layout2d {
    let grid = StripGrid::for_units(axis.total_units);
    let rows = axis.total_units.div_ceil(grid.row_units) as usize;
    let mut tiles = Vec::with_capacity(axis.spans.len() + rows);
    let mut labels = Vec::new();
    let mut run = LabelRun::default();
    for span in &axis.spans {
        let Some(r) = src.regions.get(span.region as usize) else { continue };
        let key = label_key(r);
        if key != run.key {
            run.finish(src, &tiles, &mut labels, MIN_LABEL_UNITS, MIN_KIND_LABEL_UNITS);
            run = LabelRun { key, best: None };
        }
        let mut at = span.start;
        while at < span.end {
            let col = at % grid.row_units;
            let take = (span.end - at).min(grid.row_units - col);
            let [x, y] = grid.position(at);
            let rect = Rect::new(x, y, x + take as f32, y + grid.row_height);
            run.offer(tiles.len(), rect.width());
            tiles.push(Tile { rect, region: span.region, compressed: span.compressed });
            at += take;
        }
    }
    run.finish(src, &tiles, &mut labels, MIN_LABEL_UNITS, MIN_KIND_LABEL_UNITS);

    let bounds = tiles_extent(&tiles);
    Layout2d { ticks: ticks(src, axis, &grid), tiles, labels, bounds }
}

/// Ticks at each row start and every `row_units / TICKS_PER_ROW` along it,
/// found in one sweep over the spans.
fn ticks(src: &LayoutSource<'_>, axis: &Axis, grid: &StripGrid) -> Vec<AddressTick> {
    let step = (grid.row_units / TICKS_PER_ROW).max(1);
    let mut out = Vec::with_capacity(axis.total_units.div_ceil(step) as usize);
    let mut span = 0;
    let mut unit = 0;
    while unit < axis.total_units {
        while axis.spans[span].end <= unit {
            span += 1;
        }
        let s = &axis.spans[span];
        if let Some(r) = src.regions.get(s.region as usize) {
            out.push(AddressTick { pos: grid.position(unit), addr: addr_in_span(s, r, unit, axis.unit_bytes()) });
        }
        unit += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::{Owner, Region, RegionKind, RegionState};

    fn regions(parts: &[(u64, RegionKind, Owner)]) -> Vec<Region> {
        let mut at = 0;
        parts
            .iter()
            .map(|(size, kind, owner)| {
                let mut r = Region::blank(at, *size, *kind, RegionState::Commit);
                r.owner = *owner;
                at += size;
                r
            })
            .collect()
    }

    #[test]
    fn grid_is_roughly_16_by_10() {
        for n in [1_000u64, 100_000, 1 << 24] {
            let g = StripGrid::for_units(n);
            let rows = n.div_ceil(g.row_units) as f64;
            let aspect = g.row_units as f64 / (rows * f64::from(g.row_pitch));
            assert!((1.3..2.0).contains(&aspect), "{n}: {aspect}");
            assert_eq!(g.row_units % ROW_QUANTUM_UNITS, 0);
            assert!(rows as u64 <= MAX_ROWS, "{n}: {rows} rows");
        }
        assert_eq!(StripGrid::for_units(0).row_units, ROW_QUANTUM_UNITS);
    }

    #[test]
    fn a_region_wraps_into_several_tiles() {
        let regs = regions(&[
            (40 * 4096, RegionKind::Heap, Owner::Heap(1)),
            (100 * 4096, RegionKind::Image, Owner::Module(0)),
            (10 * 4096, RegionKind::Image, Owner::Module(0)),
            (1550 * 4096, RegionKind::Reserved, Owner::None),
        ]);
        let visible = vec![true; regs.len()];
        let layout = layout_strip_source(&LayoutSource { regions: &regs, modules: &[], visible: &visible });
        // 1700 units: sqrt(1.6 * 1700 * 1.25) = 58.3, so rows of 64.
        assert_eq!(StripGrid::for_units(1700).row_units, 64);
        let got: Vec<_> = layout.tiles.iter().take(7).map(|t| (t.region, t.rect.min, t.rect.width())).collect();
        assert_eq!(
            got,
            vec![
                (0, [0.0, 0.0], 40.0),
                (1, [40.0, 0.0], 24.0),
                (1, [0.0, 1.25], 64.0),
                (1, [0.0, 2.5], 12.0),
                (2, [12.0, 2.5], 10.0),
                (3, [22.0, 2.5], 42.0),
                (3, [0.0, 3.75], 64.0),
            ]
        );
        // 1508 units left: 23 full rows and 36 units.
        assert_eq!(layout.tiles.len(), 5 + 1 + 23 + 1);
        assert_eq!(layout.tiles.last().unwrap().rect, Rect::new(0.0, 32.5, 36.0, 33.5));
        assert_eq!(layout.bounds, Rect::new(0.0, 0.0, 64.0, 33.5));
        // One label per heap, one per module run, on the widest tile.
        let labels: Vec<_> = layout.labels.iter().map(|l| (l.text.as_str(), l.region, l.room)).collect();
        assert_eq!(
            labels,
            vec![
                ("heap 1", 0, layout.tiles[0].rect),
                ("Image", 1, layout.tiles[2].rect),
                ("Reserved", 3, layout.tiles[6].rect)
            ]
        );
        let ticks: Vec<_> = layout.ticks.iter().map(|t| (t.pos, t.addr)).collect();
        assert_eq!(ticks[0], ([0.0, 0.0], 0));
        assert_eq!(ticks[1], ([8.0, 0.0], 8 * 4096));
        assert_eq!(ticks[8], ([0.0, 1.25], 64 * 4096));
        assert_eq!(ticks.len(), 1700 / 8 + 1);
    }
}
