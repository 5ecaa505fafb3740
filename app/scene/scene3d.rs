//! A 3D view's scene (City or Volume): the boxes' layout, the ray-picking
//! index and the GPU's box instances, coloured by the filters' colouring,
//! the Volume's opacities and the selection. A change of colouring, opacity
//! or selection restyles the instances and keeps the rest.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use super::params::{Filters, Picking, VolumeStyle, region_items};
use super::theme;
use crate::dump::{AddressSpace, RegionKind};
use crate::layout::hit3d::Hit3dIndex;
use crate::layout::layout3d::{Box3, Layout3d};
use crate::render::BoxInstance;

/// What a 3D view draws.
pub struct Scene3d {
    pub layout: Layout3d,
    /// The ray-picking index ([`Scene3d::hit`]), built with the scene or on first use.
    hit: OnceLock<Hit3dIndex>,
    /// Shared with the GPU renderer, which uploads from it.
    pub instances: Arc<[BoxInstance]>,
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
        let instances = || box_instances(space, &layout, filters, volume, selected);
        let (hit, instances) = picking.build(|| Hit3dIndex::new(&layout), instances);
        Scene3d { layout, hit, instances, generation }
    }

    /// Whether the ray-picking index is built.
    pub fn has_hit_index(&self) -> bool {
        self.hit.get().is_some()
    }

    /// The ray-picking index (built now if the scene was built without it).
    pub fn hit(&self) -> &Hit3dIndex {
        self.hit.get_or_init(|| Hit3dIndex::new(&self.layout))
    }

    /// Indices into `layout.boxes` of `region`'s boxes (see [`region_items`]).
    pub fn box_indices(&self, region: u32) -> Cow<'_, [u32]> {
        let indexed = self.hit.get().map(|hit| hit.boxes_of(region));
        region_items(indexed, self.layout.boxes.iter().map(|b| b.region), region)
    }

    /// Recolours the boxes (colouring, opacity, selection) without touching
    /// the geometry or the picking index: a click must not rebuild those.
    pub fn restyle(
        &mut self,
        space: &AddressSpace,
        filters: &Filters,
        volume: Option<&VolumeStyle>,
        selected: Option<u32>,
        generation: u64,
    ) {
        self.instances = box_instances(space, &self.layout, filters, volume, selected);
        self.generation = generation;
    }

    /// A region's largest box, if it has one.
    pub fn largest_box(&self, region: u32) -> Option<&Box3> {
        let volume = |b: &Box3| (0..3).map(|a| (b.max[a] - b.min[a]).max(0.0)).product::<f32>();
        self.box_indices(region)
            .iter()
            .map(|&i| &self.layout.boxes[i as usize])
            .max_by(|a, b| volume(a).total_cmp(&volume(b)))
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
    layout: &Layout3d,
    filters: &Filters,
    volume: Option<&VolumeStyle>,
    selected: Option<u32>,
) -> Arc<[BoxInstance]> {
    // Written in place into the shared slice the renderer uploads from:
    // collecting into a Vec and converting would copy a million boxes.
    let one = |b: &Box3| box_instance(space, b, filters, volume, selected);
    let mut out = Arc::<[BoxInstance]>::new_uninit_slice(layout.boxes.len());
    let Some(slots) = Arc::get_mut(&mut out) else {
        // Not reached: the Arc was made just above and is not shared.
        return layout.boxes.iter().map(one).collect();
    };
    slots.par_iter_mut().zip(layout.boxes.par_iter()).for_each(|(slot, b)| {
        slot.write(one(b));
    });
    // SAFETY: the zip above wrote every slot (both sides have
    // `layout.boxes.len()` items).
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
    let Some(r) = space.regions.get(b.region as usize) else {
        return BoxInstance { min: b.min, color: 0, max: b.max, flags: 0 };
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
    let mut flags = 0;
    if b.compressed {
        flags |= BoxInstance::COMPRESSED;
    }
    if Some(b.region) == selected {
        flags |= BoxInstance::SELECTED;
    }
    BoxInstance { min: b.min, color: u32::from_le_bytes([cr, cg, cb, alpha]), max: b.max, flags }
}
