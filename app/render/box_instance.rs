//! [`BoxInstance`]: one box of a 3D view as the GPU draws it (world corners,
//! colour, selection/hover/hatch flags), the instance type of `BoxesRenderer`
//! and of the 3D levels of detail (lod.rs); and `look_hash`, which tells a
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

/// A hash of the boxes' corners, colours and flags other than SELECTED and
/// HOVERED: equal hashes mean a new upload differs only in those flags.
/// Each part of [`LOOK_HASH_PART`] boxes is hashed on some core, then the
/// parts' hashes in order (one chain over a million boxes took 50 ms).
pub(super) fn look_hash(boxes: &[BoxInstance]) -> u64 {
    let mask = !(BoxInstance::SELECTED | BoxInstance::HOVERED);
    let step = |h: u64, w: u64| (h ^ w).wrapping_mul(0x0000_0100_0000_01b3);
    let seed = 0xcbf2_9ce4_8422_2325u64 ^ boxes.len() as u64;
    let part = |part: &[BoxInstance]| {
        part.iter().fold(seed, |h, b| {
            let words = [b.min[0], b.min[1], b.min[2], b.max[0], b.max[1], b.max[2]].map(f32::to_bits);
            words.into_iter().chain([b.color, b.flags & mask]).fold(h, |h, w| step(h, u64::from(w)))
        })
    };
    let parts: Vec<u64> = boxes.par_chunks(LOOK_HASH_PART).map(part).collect();
    parts.into_iter().fold(seed, step)
}

/// Boxes per part of [`look_hash`] (fixed, so the hash is too).
const LOOK_HASH_PART: usize = 1 << 16;

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
    fn the_look_hash_sees_every_part_but_not_selection_or_hover() {
        let boxes: Vec<BoxInstance> = (0..3 * LOOK_HASH_PART / 2)
            .map(|i| BoxInstance::new([i as f32, 0.0, 0.0], [i as f32 + 1.0, 1.0, 1.0], 7, 0))
            .collect();
        let h = look_hash(&boxes);
        let mut clicked = boxes.clone();
        clicked[LOOK_HASH_PART + 5].flags |= BoxInstance::SELECTED | BoxInstance::HOVERED;
        assert_eq!(look_hash(&clicked), h);
        for at in [3, LOOK_HASH_PART + 5] {
            let mut recoloured = boxes.clone();
            recoloured[at].color = 8;
            assert_ne!(look_hash(&recoloured), h, "a new colour at {at}");
        }
        let mut moved = boxes.clone();
        moved.swap(1, LOOK_HASH_PART + 1);
        assert_ne!(look_hash(&moved), h, "boxes in another order");
        assert_ne!(look_hash(&boxes[..LOOK_HASH_PART]), h);
    }
}
