//! The layout layer: AddressSpace (+ a filter) -> 2D and 3D geometry. Pure,
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
//! tests and benchmarks can build from a bare region list; both, with the
//! flat geometry ([`Layout2d`], [`Rect`], [`Tile`]), live in `layout2d`, and
//! the views' names in `view`, so the layouts and this file, which calls
//! them, do not import each other. City and Volume build a [`layout3d::Layout3d`].

pub mod axis;
mod buckets;
pub mod city;
#[cfg(test)]
mod curve_samples;
pub mod hilbert;
pub mod hit;
pub mod hit3d;
mod label;
mod layout2d;
pub mod layout3d;
mod span_blocks;
pub mod strip;
pub mod treemap;
mod view;
pub mod volume;

pub use layout2d::{AddressTick, Layout2d, LayoutInput, LayoutSource, MapLabel, Rect, Tile, TileList, all_visible};
pub use view::{View, ViewKind};

/// Lays out one view.
pub fn layout(kind: ViewKind, input: &LayoutInput<'_>) -> Layout2d {
    match kind {
        ViewKind::Strip => strip::layout_strip(input),
        ViewKind::Hilbert => hilbert::layout_hilbert(input),
        ViewKind::Treemap => treemap::layout_treemap(input),
    }
}

/// Whether the layout of `view` is made on the compressed address axis
/// ([`axis::Axis`]), which depends only on the regions and the filter: all
/// but the treemap's. A window switching views makes it once.
pub fn on_axis(view: View) -> bool {
    view != View::Flat(ViewKind::Treemap)
}

/// [`layout`] on the axis of `input` made beforehand (the treemap's, not
/// [`on_axis`], ignores it).
pub fn layout_on_axis(kind: ViewKind, input: &LayoutInput<'_>, axis: &axis::Axis) -> Layout2d {
    match kind {
        ViewKind::Strip => strip::layout_strip_on_axis(&input.source(), axis),
        ViewKind::Hilbert => hilbert::layout_hilbert_on_axis(&input.source(), axis),
        ViewKind::Treemap => treemap::layout_treemap(input),
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
