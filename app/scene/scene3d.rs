//! A 3D view's scene (City or Volume): the boxes' layout, the ray-picking
//! index and the GPU's box instances, coloured by the filters' colouring,
//! the Volume's opacities and the selection. A change of colouring, opacity
//! or selection restyles the instances and keeps the rest.
//!
//! The boxes are kept once: their corners (and whether they are compressed)
//! in the instances, their regions beside them ([`SceneBoxes`]). The
//! layout's own `Vec<Box3>` is dropped once the instances are made: at a
//! million boxes it is another 32 MB.

use std::borrow::Cow;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use super::index_job::UntilCancelled;
use super::params::{Filters, Picking, VolumeStyle, region_items};
use super::theme;
use crate::dump::{AddressSpace, RegionKind};
use crate::layout::hit3d::{self, Hit3dIndex};
use crate::layout::layout3d::{Box3, BoxList, Layout3d};
use crate::render::BoxInstance;
use crate::render::box_parts::{BoxParts, DEFAULT_MAX_BOXES, draw_order};

/// What a 3D view draws.
pub struct Scene3d {
    /// The layout's labels, ground ticks and extents. Its `boxes` are empty:
    /// they are [`Scene3d::boxes`].
    pub layout: Layout3d,
    /// The ray-picking index ([`Scene3d::hit`]), built with the scene or on first use.
    hit: OnceLock<Hit3dIndex>,
    /// One per box: in layout order, or in draw order when the picking
    /// index waits for first use (a picture; see [`BoxParts`]).
    pub instances: Arc<[BoxInstance]>,
    /// The instances as the GPU renderer draws them, with their levels of
    /// detail: built here (on the scene's worker, for a big dump) rather
    /// than by the renderer on the UI thread, and shared with it.
    pub parts: Arc<BoxParts>,
    /// Each box's region, beside `instances` (shared with restyles on a worker).
    regions: Arc<[u32]>,
    /// Changes whenever `instances` change, so the GPU copy is refreshed.
    pub generation: u64,
}

impl Scene3d {
    pub fn new(
        space: &AddressSpace,
        layout: Layout3d,
        filters: &Filters,
        volume: Option<&VolumeStyle>,
        selected: Option<u32>,
        generation: u64,
    ) -> Scene3d {
        Scene3d::with_picking(space, layout, filters, volume, selected, generation, Picking::Now)
    }

    /// [`Scene3d::new`], its picking index built now or on first use.
    pub fn with_picking(
        space: &AddressSpace,
        layout: Layout3d,
        filters: &Filters,
        volume: Option<&VolumeStyle>,
        selected: Option<u32>,
        generation: u64,
        picking: Picking,
    ) -> Scene3d {
        let mut layout = layout;
        let boxes = std::mem::take(&mut layout.boxes);
        let one = |b: &Box3| box_instance(space, b, filters, volume, selected);
        let instances = || box_instances(space, &boxes[..], filters, volume, selected);
        let parts =
            |instances: &Arc<[BoxInstance]>| Arc::new(BoxParts::build(Arc::clone(instances), true, DEFAULT_MAX_BOXES));
        let regions = || arc_from_fn(boxes.len(), |i| boxes.get(i).map_or(0, |b| b.region));
        let (hit, instances, parts, regions) = match picking {
            // The window: the levels of detail are built beside the index.
            Picking::Now => {
                let index = || Hit3dIndex::new(&boxes[..]);
                let (hit, (instances, parts)) = picking.build(index, || {
                    let instances = instances();
                    let parts = parts(&instances);
                    (instances, parts)
                });
                (hit, instances, parts, regions())
            }
            // A picture, or the window's big scene: the layout's boxes
            // become the instances where they are (their regions taken out
            // first), for the least memory at once, and a picture's are put
            // in draw order, so that the parts are ranges of them. (The
            // window keeps layout order: a restyle recolours the boxes in
            // their order, and translucent boxes must blend in layout
            // order, as a fresh scene's do.)
            Picking::OnDemand | Picking::Later => {
                let regions = regions();
                let instances = into_instances(boxes, one);
                let (instances, regions) = match picking {
                    Picking::OnDemand => in_draw_order(instances, regions),
                    _ => (instances, regions),
                };
                let parts = parts(&instances);
                (OnceLock::new(), instances, parts, regions)
            }
        };
        Scene3d { layout, hit, instances, parts, regions, generation }
    }

    /// The boxes, by index in the instances' order.
    pub fn boxes(&self) -> SceneBoxes<'_> {
        SceneBoxes { instances: &self.instances, regions: &self.regions }
    }

    /// Whether the ray-picking index is built.
    pub fn has_hit_index(&self) -> bool {
        self.hit.get().is_some()
    }

    /// The ray-picking index (built now if the scene was built without it).
    pub fn hit(&self) -> &Hit3dIndex {
        self.hit.get_or_init(|| Hit3dIndex::new(&self.boxes()))
    }

    /// The region whose box the ray from `origin` along `dir` enters first,
    /// boxes `skip` accepts left out: through the picking index when it is
    /// built, else by a scan of the boxes (a big scene is shown before a
    /// worker has built its index, [`Picking::Later`]: tens of milliseconds
    /// at a million boxes, not the index's half second; never building the
    /// index on the caller's thread).
    pub fn pick(&self, origin: [f32; 3], dir: [f32; 3], skip: impl Fn(&Box3) -> bool) -> Option<u32> {
        let boxes = self.boxes();
        let picked = match self.hit.get() {
            Some(index) => index.pick(&boxes, origin, dir, skip),
            None => hit3d::pick_scan(&boxes, origin, dir, skip),
        };
        picked.and_then(|(i, _)| boxes.box_at(i)).map(|b| b.region)
    }

    /// The ray-picking index if it is built (not building it here).
    pub fn hit_if_built(&self) -> Option<&Hit3dIndex> {
        self.hit.get()
    }

    /// The boxes, shared (no copy), for a worker to read while the window
    /// shows this scene: to restyle them or build their picking index
    /// ([`Picking::Later`]).
    pub fn shared_boxes(&self) -> SharedBoxes {
        SharedBoxes { instances: Arc::clone(&self.instances), regions: Arc::clone(&self.regions) }
    }

    /// Puts a [`SharedBoxes::hit_index`] of this scene (or of one restyled
    /// from it: restyles keep the boxes) in place, unless one is there.
    pub fn set_hit_index(&mut self, index: Hit3dIndex) {
        let _ = self.hit.set(index);
    }

    /// Indices into [`Scene3d::boxes`] of `region`'s boxes (see [`region_items`]).
    pub fn box_indices(&self, region: u32) -> Cow<'_, [u32]> {
        let indexed = self.hit.get().map(|hit| hit.boxes_of(region));
        region_items(indexed, self.regions.iter().copied(), region)
    }

    /// Recolours the boxes (colouring, opacity, selection) without touching
    /// the geometry or the picking index: a click must not rebuild those,
    /// nor the levels of detail, which carry no selection.
    pub fn restyle(
        &mut self,
        space: &AddressSpace,
        filters: &Filters,
        volume: Option<&VolumeStyle>,
        selected: Option<u32>,
        generation: u64,
    ) {
        let style = self.style_source().restyle(space, filters, volume, selected);
        self.set_style(style, generation);
    }

    /// What a restyle reads, shared (no copy), for a worker to restyle
    /// from while the window keeps drawing this scene.
    pub fn style_source(&self) -> StyleSource {
        StyleSource { boxes: self.shared_boxes(), parts: Arc::clone(&self.parts) }
    }

    /// Puts a [`StyleSource::restyle`] of this scene in place.
    pub fn set_style(&mut self, (instances, parts): Restyled, generation: u64) {
        if instances.len() == self.instances.len() {
            (self.instances, self.parts, self.generation) = (instances, parts, generation);
        }
    }

    /// A region's largest box, if it has one.
    pub fn largest_box(&self, region: u32) -> Option<Box3> {
        let volume = |b: &Box3| (0..3).map(|a| (b.max[a] - b.min[a]).max(0.0)).product::<f32>();
        let boxes = self.boxes();
        self.box_indices(region)
            .iter()
            .filter_map(|&i| boxes.box_at(i as usize))
            .max_by(|a, b| volume(a).total_cmp(&volume(b)))
    }
}

/// New instances and parts for a scene's boxes ([`StyleSource::restyle`]).
pub type Restyled = (Arc<[BoxInstance]>, Arc<BoxParts>);

/// A scene's boxes and parts as a restyle reads them ([`Scene3d::style_source`]).
pub struct StyleSource {
    boxes: SharedBoxes,
    parts: Arc<BoxParts>,
}

impl StyleSource {
    /// The boxes coloured anew, with their parts: the levels of detail are
    /// kept when only the selection changed, else built again (most of a
    /// second at a million boxes, so the window does it on a worker).
    pub fn restyle(
        &self,
        space: &AddressSpace,
        filters: &Filters,
        volume: Option<&VolumeStyle>,
        selected: Option<u32>,
    ) -> Restyled {
        let instances = box_instances(space, &self.boxes.view(), filters, volume, selected);
        let parts = BoxParts::restyled(Some(&self.parts), Arc::clone(&instances), true, DEFAULT_MAX_BOXES);
        (instances, Arc::new(parts))
    }
}

/// A scene's boxes, shared ([`Scene3d::shared_boxes`]).
pub struct SharedBoxes {
    instances: Arc<[BoxInstance]>,
    regions: Arc<[u32]>,
}

impl SharedBoxes {
    /// The boxes, by index, as [`Scene3d::boxes`] gives them.
    fn view(&self) -> SceneBoxes<'_> {
        SceneBoxes { instances: &self.instances, regions: &self.regions }
    }

    /// The scene's ray-picking index; an empty one once `cancel` is set
    /// (see [`UntilCancelled`]).
    pub fn hit_index(&self, cancel: &AtomicBool) -> Hit3dIndex {
        Hit3dIndex::new(&UntilCancelled { list: &self.view(), cancel })
    }
}

/// A scene's boxes: corners and the compressed flag from the instances,
/// regions from beside them.
#[derive(Clone, Copy)]
pub struct SceneBoxes<'a> {
    instances: &'a [BoxInstance],
    regions: &'a [u32],
}

impl BoxList for SceneBoxes<'_> {
    fn box_count(&self) -> usize {
        self.instances.len().min(self.regions.len())
    }

    fn box_at(&self, i: usize) -> Option<Box3> {
        let (b, &region) = (self.instances.get(i)?, self.regions.get(i)?);
        Some(Box3 { min: b.min, max: b.max, region, compressed: b.flags & BoxInstance::COMPRESSED != 0 })
    }
}

/// Opacity of memory that died since a compared dump, in the Volume (where
/// free space is usually invisible): a ghost of what was there.
const GHOST_OPACITY: f32 = 0.3;

/// One instance per box, coloured by the filters' colouring (and `volume`'s
/// opacities). Memory that died since a compared dump is free in this dump:
/// in the City it is a red street, in the Volume a faint red ghost.
fn box_instances(
    space: &AddressSpace,
    boxes: &(impl BoxList + Sync + ?Sized),
    filters: &Filters,
    volume: Option<&VolumeStyle>,
    selected: Option<u32>,
) -> Arc<[BoxInstance]> {
    // Written in place into the shared slice the renderer uploads from:
    // collecting into a Vec and converting would copy a million boxes.
    arc_from_fn(boxes.box_count(), |i| match boxes.box_at(i) {
        Some(b) => box_instance(space, &b, filters, volume, selected),
        None => BoxInstance::default(),
    })
}

/// `boxes` turned into their instances (`one` of each) where they are,
/// when the list is not shared (a fresh layout's; a shared one is read
/// into a new list): a million-region Volume's 125 MB of boxes were read
/// into as many megabytes of fresh memory, then dropped.
fn into_instances(mut boxes: Arc<[Box3]>, one: impl Fn(&Box3) -> BoxInstance + Sync) -> Arc<[BoxInstance]> {
    const {
        assert!(size_of::<Box3>() == size_of::<BoxInstance>() && align_of::<Box3>() == align_of::<BoxInstance>());
    }
    let Some(slots) = Arc::get_mut(&mut boxes) else {
        return arc_from_fn(boxes.len(), |i| boxes.get(i).map_or_else(BoxInstance::default, &one));
    };
    /// The list's first slot, for every core (each writes only its own slots).
    struct Slots(*mut Box3);
    // SAFETY: the cores reach disjoint slots through it (one index each).
    unsafe impl Sync for Slots {}
    impl Slots {
        /// Slot `i` (in the list, `i` below its length).
        fn at(&self, i: usize) -> *mut Box3 {
            self.0.wrapping_add(i)
        }
    }
    let (n, first) = (slots.len(), Slots(slots.as_mut_ptr()));
    (0..n).into_par_iter().for_each(|i| {
        let slot = first.at(i);
        // SAFETY: slot `i` of the list, which this Arc alone holds and
        // only this index touches: its box is read, then its instance,
        // as big and as aligned (asserted above), written over it.
        unsafe {
            let b = slot.read();
            slot.cast::<BoxInstance>().write(one(&b));
        }
    });
    // SAFETY: the same allocation, every element now a `BoxInstance`, of
    // `Box3`'s size and alignment: the slice (and the Arc around it) has
    // the same layout and length as the one `into_raw` gave.
    unsafe { Arc::from_raw(Arc::into_raw(boxes) as *const [BoxInstance]) }
}

/// The boxes (`instances` and their `regions`) in draw order (see
/// [`draw_order`]); the lists given are dropped once both are moved.
fn in_draw_order(instances: Arc<[BoxInstance]>, regions: Arc<[u32]>) -> (Arc<[BoxInstance]>, Arc<[u32]>) {
    let Some(order) = draw_order(&instances) else { return (instances, regions) };
    let regions = order.apply(&instances, &regions);
    (order.apply(&instances, &instances), regions)
}

/// `one(i)` for each `i` below `n`, worked out on every core and written in
/// place into a shared slice (no Vec to convert, which would be a copy).
fn arc_from_fn<T: Send + Sync>(n: usize, one: impl Fn(usize) -> T + Sync) -> Arc<[T]> {
    let mut out = Arc::<[T]>::new_uninit_slice(n);
    let Some(slots) = Arc::get_mut(&mut out) else {
        // Not reached: the Arc was made just above and is not shared.
        return (0..n).map(one).collect();
    };
    slots.par_iter_mut().enumerate().for_each(|(i, slot)| {
        slot.write(one(i));
    });
    // SAFETY: the loop above wrote every slot.
    unsafe { out.assume_init() }
}

/// One box's instance: see [`box_instances`].
fn box_instance(
    space: &AddressSpace,
    b: &Box3,
    filters: &Filters,
    volume: Option<&VolumeStyle>,
    selected: Option<u32>,
) -> BoxInstance {
    let compressed = if b.compressed { BoxInstance::COMPRESSED } else { 0 };
    let Some(r) = space.regions.get(b.region as usize) else {
        return BoxInstance { min: b.min, color: 0, max: b.max, flags: compressed };
    };
    let i = b.region as usize;
    let ghost = filters.is_ghost(i);
    let mut opacity = volume.map(|v| v.opacity_of(r.kind)).unwrap_or(1.0);
    if ghost && volume.is_some() {
        opacity = opacity.max(GHOST_OPACITY);
    }
    let color = if r.kind == RegionKind::Free && volume.is_none() && !ghost {
        theme::CITY_STREET
    } else {
        filters.color_of(i, r)
    };
    // The renderer blends premultiplied colours, as egui does.
    let alpha = (opacity.clamp(0.0, 1.0) * 255.0).round() as u8;
    let [cr, cg, cb, _] = color.gamma_multiply_u8(alpha).to_array();
    let mut flags = compressed;
    if Some(b.region) == selected {
        flags |= BoxInstance::SELECTED;
    }
    BoxInstance { min: b.min, color: u32::from_le_bytes([cr, cg, cb, alpha]), max: b.max, flags }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_become_the_instances_in_place_or_copied_when_shared() {
        let boxes: Vec<Box3> = (0..50_000u32)
            .map(|i| {
                let x = i as f32;
                Box3 { min: [x, 0.0, -x], max: [x + 1.0, 2.0, 1.0 - x], region: i % 7, compressed: i % 3 == 0 }
            })
            .collect();
        let one = |b: &Box3| {
            let flags = u32::from(b.compressed) * BoxInstance::COMPRESSED;
            BoxInstance { min: b.min, color: b.region * 1000 + 1, max: b.max, flags }
        };
        let expected: Vec<BoxInstance> = boxes.iter().map(one).collect();
        let alone: Arc<[Box3]> = Arc::from(&boxes[..]);
        let at = alone.as_ptr() as usize;
        let converted = into_instances(alone, one);
        assert_eq!(converted[..], expected[..]);
        assert_eq!(converted.as_ptr() as usize, at, "a list held once is turned where it is");
        let shared: Arc<[Box3]> = Arc::from(&boxes[..]);
        let kept = Arc::clone(&shared);
        assert_eq!(into_instances(shared, one)[..], expected[..]);
        assert_eq!(kept[..], boxes[..], "a shared list is left as it was");
    }
}
