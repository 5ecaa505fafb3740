//! A 3D view's scene (City or Volume): the boxes' layout, the ray-picking
//! index and the GPU's box instances, coloured by the filters' colouring,
//! the Volume's opacities and the selection. A change of colouring, opacity
//! or selection restyles the instances and keeps the rest.

use rayon::prelude::*;

use super::params::{Filters, VolumeStyle};
use super::theme;
use crate::dump::{AddressSpace, RegionKind};
use crate::layout::hit3d::Hit3dIndex;
use crate::layout::layout3d::{Box3, Layout3d};
use crate::render::BoxInstance;

/// What a 3D view draws.
pub struct Scene3d {
    pub layout: Layout3d,
    pub hit: Hit3dIndex,
    pub instances: Vec<BoxInstance>,
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
        // The picking index and the instances do not depend on each other.
        let (hit, instances) =
            rayon::join(|| Hit3dIndex::new(&layout), || box_instances(space, &layout, filters, volume, selected));
        Scene3d { layout, hit, instances, generation }
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
        self.hit
            .boxes_of(region)
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
) -> Vec<BoxInstance> {
    layout
        .boxes
        .par_iter()
        .map(|b| {
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
        })
        .collect()
}
