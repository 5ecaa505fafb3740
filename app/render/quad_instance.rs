//! [`QuadInstance`]: one rectangle of a 2D map as the GPU draws it (world
//! corners, colour, selection/hover/hatch/dim flags), the instance type of
//! `QuadsRenderer` (quads.rs) and of the 2D levels of detail (lod.rs).

use bytemuck::{Pod, Zeroable};

/// One rectangle to draw. Mirrors `InstanceInput` in shaders/quads.wgsl
/// (vertex buffer, instance step: locations 0..=3).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Default, Pod, Zeroable)]
pub struct QuadInstance {
    /// Top-left corner, world units.
    pub min: [f32; 2],
    /// Bottom-right corner, world units.
    pub max: [f32; 2],
    /// RGBA8, gamma-space (sRGB-encoded) and premultiplied like egui's
    /// `Color32`; the bytes r, g, b, a in little-endian order, as
    /// `u32::from_le_bytes(color32.to_array())` (see [`QuadInstance::rgba`]).
    pub color: u32,
    /// [`QuadInstance::SELECTED`] | [`QuadInstance::HOVERED`] | ...
    pub flags: u32,
}

impl QuadInstance {
    /// A bright outline (3 px, inside the edge) in the uniform's highlight colour.
    pub const SELECTED: u32 = 1;
    /// A lighter outline (2 px, inside the edge, or inside the selection outline).
    pub const HOVERED: u32 = 2;
    /// A diagonal hatch: a free gap drawn shorter than its true size.
    pub const COMPRESSED: u32 = 4;
    /// Blended most of the way towards the background (filtered out).
    pub const DIMMED: u32 = 8;
    /// Only an outline (2 px, inside the edge) in the colour, the inside
    /// the background: memory that is gone (died since a compared dump).
    pub const GHOST: u32 = 16;

    pub fn new(min: [f32; 2], max: [f32; 2], color: u32, flags: u32) -> QuadInstance {
        QuadInstance { min, max, color, flags }
    }

    /// Packs RGBA bytes (egui's `Color32::to_array()` order) into `color`.
    pub fn rgba(rgba: [u8; 4]) -> u32 {
        u32::from_le_bytes(rgba)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_layout_matches_the_shader() {
        // The shader's InstanceInput, packed in @location order as the pipeline declares it.
        crate::render::shader_layout::assert_mirrors(
            include_str!("../../shaders/quads.wgsl"),
            "InstanceInput",
            crate::render::shader_layout::Buffer::Vertex,
            &[
                ("min", std::mem::offset_of!(QuadInstance, min)),
                ("max", std::mem::offset_of!(QuadInstance, max)),
                ("color", std::mem::offset_of!(QuadInstance, color)),
                ("flags", std::mem::offset_of!(QuadInstance, flags)),
            ],
            std::mem::size_of::<QuadInstance>(),
        );
    }

    #[test]
    fn rgba_packs_red_in_the_low_byte() {
        assert_eq!(QuadInstance::rgba([0x11, 0x22, 0x33, 0x44]), 0x4433_2211);
    }
}
