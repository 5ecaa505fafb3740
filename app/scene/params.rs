//! The parameters of a view: which view, which kinds it shows and how it
//! colours them, what City heights encode, the Volume's opacities and slice,
//! and the selection. [`ViewParams`] is what a scene is built from; two
//! parameter sets that share geometry only restyle a scene.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use egui::Color32;

use crate::analysis::byte_stats::RegionBytes;
use crate::analysis::compare::ChangeClass;
use crate::dump::{AddressSpace, Region, RegionKind};
use crate::layout::View;
use crate::layout::layout3d::HeightMetric;

use super::theme::{self, ColorMode, RegionFacts};

/// Each region's change since the dump compared with, by region index, for
/// [`ColorMode::Change`]. Equal only to itself (the same list), so a scene
/// key holding it compares in constant time.
#[derive(Clone, Debug)]
pub struct RegionChanges(pub Arc<[ChangeClass]>);

impl PartialEq for RegionChanges {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for RegionChanges {}

/// Each region's captured-bytes figures, by region index, for the Entropy
/// and Byte class colourings. Equal only to itself, as [`RegionChanges`].
#[derive(Clone, Debug)]
pub struct RegionByteFigures(pub Arc<[Option<RegionBytes>]>);

impl PartialEq for RegionByteFigures {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for RegionByteFigures {}

/// What the map shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filters {
    /// Indexed by [`RegionKind::index`].
    pub show_kind: [bool; RegionKind::ALL.len()],
    pub color_mode: ColorMode,
    /// While comparing: the change of each region (the Change colouring).
    pub changes: Option<RegionChanges>,
    /// Once figured: each region's captured bytes (Entropy, Byte class).
    pub bytes: Option<RegionByteFigures>,
}

impl Default for Filters {
    fn default() -> Self {
        Filters { show_kind: [true; RegionKind::ALL.len()], color_mode: ColorMode::Kind, changes: None, bytes: None }
    }
}

impl Filters {
    /// Region `index`'s change (unchanged when not comparing).
    pub fn change_of(&self, index: usize) -> ChangeClass {
        self.changes.as_ref().and_then(|c| c.0.get(index)).copied().unwrap_or_default()
    }

    /// What the colourings know of region `index` beyond the region itself.
    pub fn facts(&self, index: usize) -> RegionFacts {
        let bytes = self.bytes.as_ref().and_then(|b| b.0.get(index).copied().flatten());
        RegionFacts { change: self.change_of(index), bytes }
    }

    /// Region `index`'s fill colour under the colouring.
    pub fn color_of(&self, index: usize, r: &Region) -> Color32 {
        theme::region_color(self.color_mode, r, self.facts(index))
    }

    /// The legend entry region `index` counts in (see [`theme::legend`]).
    pub fn legend_index(&self, index: usize, r: &Region) -> usize {
        theme::legend_index(self.color_mode, r, self.facts(index))
    }

    /// Whether region `index` is drawn as a ghost outline: memory that died
    /// since the dump compared with, under the Change colouring.
    pub fn is_ghost(&self, index: usize) -> bool {
        self.color_mode == ColorMode::Change && self.change_of(index) == ChangeClass::Died
    }

    pub fn shows(&self, kind: RegionKind) -> bool {
        self.show_kind[kind.index()]
    }

    /// One flag per region of `space`.
    pub fn visible(&self, space: &AddressSpace) -> Vec<bool> {
        space.regions.iter().map(|r| self.shows(r.kind)).collect()
    }

    /// Shows `kind` alone.
    pub fn show_only(&mut self, kind: RegionKind) {
        for k in RegionKind::ALL {
            self.show_kind[k.index()] = k == kind;
        }
    }
}

/// Per-kind opacity and the slicing plane of the Volume view.
#[derive(Clone, Debug, PartialEq)]
pub struct VolumeStyle {
    /// Opacity 0..=1 per kind, indexed by [`RegionKind::index`].
    pub opacity: [f32; RegionKind::ALL.len()],
    /// Slice: keep cells below `slice_at` (0..=1 of the cube) along `slice_axis`.
    pub slice: bool,
    pub slice_axis: usize,
    pub slice_at: f32,
}

impl Default for VolumeStyle {
    fn default() -> Self {
        let mut opacity = [1.0; RegionKind::ALL.len()];
        for k in RegionKind::ALL {
            opacity[k.index()] = match k {
                // Free space invisible, unknown and reserved space faint, so
                // modules, heaps and stacks stand out as bodies.
                RegionKind::Free => 0.0,
                RegionKind::Unknown => 0.04,
                RegionKind::Reserved | RegionKind::Unusable => 0.12,
                _ => 1.0,
            };
        }
        VolumeStyle { opacity, slice: false, slice_axis: 2, slice_at: 0.5 }
    }
}

impl VolumeStyle {
    pub fn opacity_of(&self, kind: RegionKind) -> f32 {
        self.opacity[kind.index()]
    }
}

/// Whether a scene builds its picking index with it, in parallel with its
/// instances (the window's small scenes, built on its own thread), or only
/// when something first asks for it (pictures, which never pick:
/// at a million regions the index is 60-130 MB), or is shown first and
/// gets it from a worker after ([`Picking::Later`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Picking {
    Now,
    OnDemand,
    /// The window's big scenes: built without the index, which the scene
    /// cache then builds on a worker while the scene is shown (picks
    /// meanwhile scan the tiles or boxes). Building it beside the instances
    /// and levels on the same cores made a million-region Volume wait 0.65 s
    /// more before it was shown, a Hilbert map about 0.1 s. Boxes stay in
    /// layout order (for a flat scene this is [`Picking::OnDemand`]).
    Later,
}

impl Picking {
    /// A scene's picking index (made by `index`) and the rest of it (made
    /// by `rest`, which does not depend on the index): both now, side by
    /// side, or the rest alone with the index left for its first use.
    pub(super) fn build<I: Send, R: Send>(
        self,
        index: impl FnOnce() -> I + Send,
        rest: impl FnOnce() -> R + Send,
    ) -> (OnceLock<I>, R) {
        match self {
            Picking::Now => {
                let (index, rest) = rayon::join(index, rest);
                (OnceLock::from(index), rest)
            }
            Picking::OnDemand | Picking::Later => (OnceLock::new(), rest()),
        }
    }
}

/// The indices of the items (tiles or boxes) that draw `region`, in drawing
/// order: `indexed`, the picking index's answer when it is built, else found
/// by a scan of each item's region (`item_regions`), as a picture's few
/// callouts need no index of every item.
pub(super) fn region_items<'a>(
    indexed: Option<&'a [u32]>,
    item_regions: impl Iterator<Item = u32>,
    region: u32,
) -> Cow<'a, [u32]> {
    match indexed {
        Some(items) => Cow::Borrowed(items),
        None => Cow::Owned(item_regions.enumerate().filter(|(_, r)| *r == region).map(|(i, _)| i as u32).collect()),
    }
}

/// What a scene is built from; a change rebuilds (or restyles) it.
#[derive(Clone, Debug, PartialEq)]
pub enum ViewParams {
    Flat {
        kind: crate::layout::ViewKind,
        filters: Filters,
    },
    /// `selected` is part of the 3D scene (its boxes glow), but a change of
    /// selection, colouring or volume opacity alone only restyles it.
    ThreeD {
        view: View,
        filters: Filters,
        metric: HeightMetric,
        volume: VolumeStyle,
        selected: Option<usize>,
    },
}

impl ViewParams {
    /// The parameters of `view` with these settings.
    pub fn new(
        view: View,
        filters: &Filters,
        metric: HeightMetric,
        volume: &VolumeStyle,
        selected: Option<usize>,
    ) -> ViewParams {
        match view {
            View::Flat(kind) => ViewParams::Flat { kind, filters: filters.clone() },
            view => ViewParams::ThreeD { view, filters: filters.clone(), metric, volume: volume.clone(), selected },
        }
    }

    /// Whether a scene built for `self` has the same geometry as one for
    /// `other` (a 3D scene is then restyled rather than rebuilt).
    pub fn same_geometry(&self, other: &ViewParams) -> bool {
        match (self, other) {
            (ViewParams::Flat { kind: a, filters: fa }, ViewParams::Flat { kind: b, filters: fb }) => {
                a == b && fa == fb
            }
            (
                ViewParams::ThreeD { view: a, filters: fa, metric: ma, .. },
                ViewParams::ThreeD { view: b, filters: fb, metric: mb, .. },
            ) => a == b && fa.show_kind == fb.show_kind && ma == mb,
            _ => false,
        }
    }

    /// Whether `other` is these parameters with another selection alone
    /// (a click): a restyle that keeps the levels of detail.
    pub fn only_selection_differs(&self, other: &ViewParams) -> bool {
        match (self, other) {
            (
                ViewParams::ThreeD { view: a, filters: fa, metric: ma, volume: va, .. },
                ViewParams::ThreeD { view: b, filters: fb, metric: mb, volume: vb, .. },
            ) => a == b && fa == fb && ma == mb && va == vb,
            _ => false,
        }
    }

    pub fn view(&self) -> View {
        match self {
            ViewParams::Flat { kind, .. } => View::Flat(*kind),
            ViewParams::ThreeD { view, .. } => *view,
        }
    }

    pub fn filters(&self) -> &Filters {
        match self {
            ViewParams::Flat { filters, .. } | ViewParams::ThreeD { filters, .. } => filters,
        }
    }
}
