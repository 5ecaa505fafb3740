//! The flat maps' geometry and what every layout reads: [`Layout2d`] (tiles,
//! labels, address ticks, bounds) in world units, [`Rect`], and the input
//! ([`LayoutInput`] from a dump, [`LayoutSource`] from a bare region list).
//! Kept apart from mod.rs so the layouts, which use these, and mod.rs,
//! which calls the layouts, do not import each other.

use crate::dump::{AddressSpace, Module, Region};

/// An axis-aligned rectangle in world units; `min` is the top-left corner
/// (y grows downwards, as on screen).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Rect {
    pub min: [f32; 2],
    pub max: [f32; 2],
}

impl Rect {
    pub fn new(x0: f32, y0: f32, x1: f32, y1: f32) -> Rect {
        Rect { min: [x0, y0], max: [x1, y1] }
    }
    pub fn width(&self) -> f32 {
        self.max[0] - self.min[0]
    }
    pub fn height(&self) -> f32 {
        self.max[1] - self.min[1]
    }
    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }
    pub fn contains(&self, p: [f32; 2]) -> bool {
        p[0] >= self.min[0] && p[0] < self.max[0] && p[1] >= self.min[1] && p[1] < self.max[1]
    }
    pub fn center(&self) -> [f32; 2] {
        [(self.min[0] + self.max[0]) * 0.5, (self.min[1] + self.max[1]) * 0.5]
    }
}

/// One drawn piece of a region.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tile {
    pub rect: Rect,
    /// Index into `AddressSpace::regions`.
    pub region: u32,
    /// The tile stands for a Free/Unknown gap, or a huge reservation, drawn
    /// shorter than its true size (the view hatches it; hover shows the real
    /// size from the region).
    pub compressed: bool,
}

/// A name to draw over a region when it has room.
#[derive(Clone, Debug, PartialEq)]
pub struct MapLabel {
    pub text: String,
    /// Where the label goes (its centre), in world units.
    pub anchor: [f32; 2],
    /// The space it may use, in world units; the view hides it when the text
    /// does not fit at the current zoom.
    pub room: Rect,
    pub region: u32,
}

/// An address mark along the map (strip rows start, Hilbert block corners).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AddressTick {
    pub pos: [f32; 2],
    pub addr: u64,
}

/// A whole map, ready to colour and draw.
#[derive(Clone, Debug, Default)]
pub struct Layout2d {
    pub tiles: Vec<Tile>,
    pub labels: Vec<MapLabel>,
    pub ticks: Vec<AddressTick>,
    /// The extent of all tiles.
    pub bounds: Rect,
}

/// Tiles held one way or another, by index: a layout's `Vec<Tile>`, or a
/// scene that keeps their rectangles only in its GPU quads (at a million
/// tiles a second copy is 24 MB). Picking and region lookups read them so.
pub trait TileList {
    fn tile_count(&self) -> usize;
    /// Tile `i`; `Some` for every `i < tile_count()`.
    fn tile_at(&self, i: usize) -> Option<Tile>;
    /// The extent of all tiles.
    fn tile_bounds(&self) -> Rect;
}

impl TileList for Layout2d {
    fn tile_count(&self) -> usize {
        self.tiles.len()
    }
    fn tile_at(&self, i: usize) -> Option<Tile> {
        self.tiles.get(i).copied()
    }
    fn tile_bounds(&self) -> Rect {
        self.bounds
    }
}

/// Which regions a layout includes: `visible[i]` for `AddressSpace::regions[i]`.
pub struct LayoutInput<'a> {
    pub space: &'a AddressSpace,
    pub visible: &'a [bool],
}

/// Every region visible: the `visible` filter for a [`LayoutInput`] that shows
/// the whole space.
pub fn all_visible(space: &AddressSpace) -> Vec<bool> {
    vec![true; space.regions.len()]
}

/// The parts of the model a layout reads. [`LayoutInput::source`] gives one;
/// tests and benchmarks can build one straight from a region list, without a
/// dump file behind it.
#[derive(Clone, Copy, Debug)]
pub struct LayoutSource<'a> {
    /// Ordered by address, as `AddressSpace::regions`.
    pub regions: &'a [Region],
    /// What `Owner::Module` indexes (module names for labels).
    pub modules: &'a [Module],
    /// `visible[i]` for `regions[i]`; a missing entry counts as hidden, so a
    /// stale filter hides regions rather than panicking.
    pub visible: &'a [bool],
}

impl<'a> LayoutSource<'a> {
    pub fn is_visible(&self, region: usize) -> bool {
        self.visible.get(region).copied().unwrap_or(false)
    }
}

impl<'a> LayoutInput<'a> {
    pub fn source(&self) -> LayoutSource<'a> {
        LayoutSource { regions: &self.space.regions, modules: &self.space.modules, visible: self.visible }
    }
}

/// The smallest rectangle holding every tile (`Rect::default()` for none).
pub(crate) fn tiles_extent(tiles: &[Tile]) -> Rect {
    let Some(first) = tiles.first() else { return Rect::default() };
    tiles.iter().fold(first.rect, |acc, t| Rect {
        min: [acc.min[0].min(t.rect.min[0]), acc.min[1].min(t.rect.min[1])],
        max: [acc.max[0].max(t.rect.max[0]), acc.max[1].max(t.rect.max[1])],
    })
}
