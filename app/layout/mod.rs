//! The layout layer: AddressSpace (+ a filter) -> 2D geometry. Pure,
//! deterministic functions: the same regions give the same tiles, in the same
//! order. Knows nothing of colours, egui or wgpu (tests/architecture.rs).
//!
//! World units are abstract; a view fits `Layout2d::bounds` into its
//! viewport. Every visible region is drawn by one or more tiles (a region that
//! wraps a strip row, or covers several Hilbert blocks, has several), and a
//! tile always names its region by index into `AddressSpace::regions`.
//! (The treemap leaves Free and Unknown space out: see `treemap`.)
//!
//! The strip and Hilbert maps share one compressed address axis (`axis`);
//! `hit` finds the region under a point. Layouts read a [`LayoutSource`]
//! (regions, modules, filter), which a [`LayoutInput`] provides and which
//! tests and benchmarks can build from a bare region list.

pub mod axis;
mod buckets;
pub mod city;
pub mod hilbert;
pub mod hit;
pub mod hit3d;
mod label;
pub mod layout3d;
pub mod strip;
pub mod treemap;
pub mod volume;

use crate::dump::{AddressSpace, Module, Region};

/// Which map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ViewKind {
    Strip,
    Hilbert,
    Treemap,
}

impl ViewKind {
    pub const ALL: [ViewKind; 3] = [ViewKind::Strip, ViewKind::Hilbert, ViewKind::Treemap];

    pub fn name(self) -> &'static str {
        match self {
            ViewKind::Strip => "strip",
            ViewKind::Hilbert => "hilbert",
            ViewKind::Treemap => "treemap",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ViewKind::Strip => "Strip",
            ViewKind::Hilbert => "Hilbert",
            ViewKind::Treemap => "Treemap",
        }
    }
}

/// Any view the window and `memscape shot` offer: a flat map or a 3D one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum View {
    Flat(ViewKind),
    City,
    Volume,
}

impl View {
    pub const ALL: [View; 5] = [
        View::Flat(ViewKind::Strip),
        View::Flat(ViewKind::Hilbert),
        View::Flat(ViewKind::Treemap),
        View::City,
        View::Volume,
    ];

    pub fn name(self) -> &'static str {
        match self {
            View::Flat(k) => k.name(),
            View::City => "city",
            View::Volume => "volume",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            View::Flat(k) => k.title(),
            View::City => "City",
            View::Volume => "Volume",
        }
    }

    /// The view named `name` (as `memscape shot --view` spells it).
    pub fn from_name(name: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.name().eq_ignore_ascii_case(name))
    }
}

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

/// Which regions a layout includes: `visible[i]` for `AddressSpace::regions[i]`.
pub struct LayoutInput<'a> {
    pub space: &'a AddressSpace,
    pub visible: &'a [bool],
}

/// Lays out one view.
pub fn layout(kind: ViewKind, input: &LayoutInput<'_>) -> Layout2d {
    match kind {
        ViewKind::Strip => strip::layout_strip(input),
        ViewKind::Hilbert => hilbert::layout_hilbert(input),
        ViewKind::Treemap => treemap::layout_treemap(input),
    }
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

/// [`layout`] from a [`LayoutSource`].
pub fn layout_source(kind: ViewKind, src: &LayoutSource<'_>) -> Layout2d {
    match kind {
        ViewKind::Strip => strip::layout_strip_source(src),
        ViewKind::Hilbert => hilbert::layout_hilbert_source(src),
        ViewKind::Treemap => treemap::layout_treemap_source(src),
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
