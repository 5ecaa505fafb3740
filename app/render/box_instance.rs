//! [`BoxInstance`]: one box of a 3D view as the GPU draws it (world corners,
//! colour, selection/hover/hatch flags), the instance type of `BoxesRenderer`
//! and of the 3D levels of detail (lod.rs); and `same_look`, which tells a
//! re-upload that changed only selection or hover from a new scene.

use bytemuck::{Pod, Zeroable};
use rayon::prelude::*;

/// One box to draw. Mirrors `InstanceInput` in shaders/boxes.wgsl (vertex
/// buffer 1, instance step: locations 2..=5).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Default, Pod, Zeroable)]
pub struct BoxInstance {
    /// The corner with the smallest coordinates, world units.
    pub min: [f32; 3],
    /// RGBA8, gamma-space (sRGB-encoded) and premultiplied like egui's
    /// `Color32`; the bytes r, g, b, a in little-endian order, as
    /// `u32::from_le_bytes(color32.to_array())` (see [`BoxInstance::rgba`]).
    /// Alpha below 255 makes the box translucent.
    pub color: u32,
    /// The corner with the largest coordinates, world units.
    pub max: [f32; 3],
    /// [`BoxInstance::SELECTED`] | [`BoxInstance::HOVERED`] | ...
    pub flags: u32,
}

impl BoxInstance {
    /// Glows towards the style's highlight colour, with bright edges 2-3 px wide.
    pub const SELECTED: u32 = 1;
    /// Lighter faces.
    pub const HOVERED: u32 = 2;
    /// Diagonal stripes: a gap or reservation drawn smaller than its true size.
    pub const COMPRESSED: u32 = 4;
    /// Bytes per instance in a vertex buffer.
    pub(super) const STRIDE: u64 = std::mem::size_of::<BoxInstance>() as u64;

    pub fn new(min: [f32; 3], max: [f32; 3], color: u32, flags: u32) -> BoxInstance {
        BoxInstance { min, color, max, flags }
    }

    /// Packs RGBA bytes (egui's `Color32::to_array()` order) into `color`.
    pub fn rgba(rgba: [u8; 4]) -> u32 {
        u32::from_le_bytes(rgba)
    }

    /// Whether the box is drawn blended (alpha below 255).
    pub fn is_translucent(&self) -> bool {
        self.color.to_le_bytes()[3] < 255
    }

    pub fn center(&self) -> [f32; 3] {
        [(self.min[0] + self.max[0]) * 0.5, (self.min[1] + self.max[1]) * 0.5, (self.min[2] + self.max[2]) * 0.5]
    }
}

/// Whether `a` and `b` look the same apart from SELECTED and HOVERED
/// flags: a re-upload that changed only those (a click) keeps the levels of
/// detail. Compared on every core, stopping at the first difference; only
/// a restyle asks, so a fresh scene pays nothing for it (a hash made with
/// every scene was 15-20 ms of a million-region 3D view's build).
pub(super) fn same_look(a: &[BoxInstance], b: &[BoxInstance]) -> bool {
    let mask = !(BoxInstance::SELECTED | BoxInstance::HOVERED);
    let same = |(x, y): (&BoxInstance, &BoxInstance)| {
        // Bits, not values: a NaN corner is the same as itself.
        let bits = |v: &BoxInstance| [v.min, v.max].map(|c| c.map(f32::to_bits));
        bits(x) == bits(y) && x.color == y.color && x.flags & mask == y.flags & mask
    };
    a.len() == b.len() && a.par_iter().zip(b).all(same)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_layout_matches_the_shader() {
        // The shader's InstanceInput, packed in @location order as the pipeline declares it.
        crate::render::shader_layout::assert_mirrors(
            include_str!("../../shaders/boxes.wgsl"),
            "InstanceInput",
            crate::render::shader_layout::Buffer::Vertex,
            &[
                ("min", std::mem::offset_of!(BoxInstance, min)),
                ("color", std::mem::offset_of!(BoxInstance, color)),
                ("max", std::mem::offset_of!(BoxInstance, max)),
                ("flags", std::mem::offset_of!(BoxInstance, flags)),
            ],
            std::mem::size_of::<BoxInstance>(),
        );
    }

    #[test]
    fn rgba_and_translucency() {
        assert_eq!(BoxInstance::rgba([0x11, 0x22, 0x33, 0x44]), 0x4433_2211);
        assert!(BoxInstance::new([0.0; 3], [1.0; 3], BoxInstance::rgba([1, 2, 3, 200]), 0).is_translucent());
        assert!(!BoxInstance::new([0.0; 3], [1.0; 3], BoxInstance::rgba([1, 2, 3, 255]), 0).is_translucent());
        assert_eq!(BoxInstance::new([0.0, 2.0, 4.0], [2.0, 4.0, 8.0], 0, 0).center(), [1.0, 3.0, 6.0]);
    }

    #[test]
    fn the_same_look_ignores_selection_and_hover_only() {
        let boxes: Vec<BoxInstance> = (0..100_000)
            .map(|i| BoxInstance::new([i as f32, 0.0, 0.0], [i as f32 + 1.0, 1.0, 1.0], 7, BoxInstance::COMPRESSED))
            .collect();
        assert!(same_look(&boxes, &boxes.clone()));
        let mut clicked = boxes.clone();
        clicked[70_005].flags |= BoxInstance::SELECTED | BoxInstance::HOVERED;
        assert!(same_look(&boxes, &clicked));
        let changes: [fn(&mut BoxInstance); 4] =
            [|b| b.color = 8, |b| b.flags &= !BoxInstance::COMPRESSED, |b| b.min[2] = -0.0, |b| b.max[1] = f32::NAN];
        for (k, change) in changes.iter().enumerate() {
            for at in [0, 70_005, 99_999] {
                let mut other = boxes.clone();
                change(&mut other[at]);
                assert!(!same_look(&boxes, &other), "change {k} at {at}");
            }
        }
        let mut nan = boxes.clone();
        nan[3].max[1] = f32::NAN;
        assert!(same_look(&nan, &nan.clone()), "a NaN corner is itself");
        let mut moved = boxes.clone();
        moved.swap(1, 70_001);
        assert!(!same_look(&boxes, &moved), "boxes in another order");
        assert!(!same_look(&boxes, &boxes[..99_999]));
    }
}
