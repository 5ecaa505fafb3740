//! How a 3D scene looks: [`BoxesStyle`] (sky, light, highlight, slicing
//! plane, chosen by the UI's theme) and [`BoxesUniforms`], the per-frame
//! uniform of shaders/boxes.wgsl that the style becomes together with the
//! camera and the drawn part of the viewport (`uniforms_for`).

use bytemuck::{Pod, Zeroable};

use super::camera3d::OrbitCamera;
use super::crop::Crop;

/// How the scene looks, chosen by the caller (the colours belong to the UI's
/// theme). Colours are RGBA8 as `BoxInstance::color`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoxesStyle {
    /// The sky at the top of the viewport.
    pub sky_top: u32,
    /// The sky at the bottom of the viewport.
    pub sky_bottom: u32,
    /// Direction from the scene towards the light (need not be unit length;
    /// zero means straight up).
    pub light_dir: [f32; 3],
    /// Light every face gets, 0..1; the rest comes from the light's angle.
    pub ambient: f32,
    /// SELECTED boxes' edges and glow.
    pub highlight: u32,
    /// A slicing plane `(normal, offset)`: everything where
    /// `dot(normal, p) > offset` is cut away (the cut boxes show their dark
    /// insides). None, or a zero normal, slices nothing.
    pub slice: Option<([f32; 3], f32)>,
}

/// The per-frame uniform. Mirrors `Uniforms` in shaders/boxes.wgsl
/// (group 0, binding 0).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Default, Pod, Zeroable)]
pub struct BoxesUniforms {
    pub view_proj: [f32; 16],
    pub eye: [f32; 3],
    pub ambient: f32,
    pub light_dir: [f32; 3],
    pub sky_top: u32,
    pub slice: [f32; 4],
    /// Where the drawn part's top and bottom edges are in the whole viewport,
    /// as fractions of its height (see [`Crop::vertical_span`]).
    pub sky_span: [f32; 2],
    pub sky_bottom: u32,
    pub highlight: u32,
}

/// The uniform for one frame.
pub(super) fn uniforms_for(camera: &OrbitCamera, crop: &Crop, style: &BoxesStyle) -> BoxesUniforms {
    let size = crop.full_size_px.map(|s| s.max(1.0));
    let slice = match style.slice {
        Some((n, offset)) if n.iter().chain([&offset]).all(|c| c.is_finite()) => [n[0], n[1], n[2], offset],
        _ => [0.0; 4],
    };
    let finite = |v: f32, default: f32| if v.is_finite() { v } else { default };
    BoxesUniforms {
        view_proj: (crop.clip_transform() * camera.view_proj_eye_relative(size[0] / size[1])).to_cols_array(),
        eye: camera.eye(),
        ambient: finite(style.ambient, 0.3).clamp(0.0, 1.0),
        light_dir: style.light_dir.map(|c| finite(c, 0.0)),
        sky_top: style.sky_top,
        slice,
        sky_span: crop.vertical_span(),
        sky_bottom: style.sky_bottom,
        highlight: style.highlight,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_layout_matches_the_shader() {
        // The shader's Uniforms as WGSL lays them out, member by member.
        crate::render::shader_layout::assert_mirrors(
            include_str!("../../shaders/boxes.wgsl"),
            "Uniforms",
            crate::render::shader_layout::Buffer::Uniform,
            &[
                ("view_proj", std::mem::offset_of!(BoxesUniforms, view_proj)),
                ("eye", std::mem::offset_of!(BoxesUniforms, eye)),
                ("ambient", std::mem::offset_of!(BoxesUniforms, ambient)),
                ("light_dir", std::mem::offset_of!(BoxesUniforms, light_dir)),
                ("sky_top", std::mem::offset_of!(BoxesUniforms, sky_top)),
                ("slice", std::mem::offset_of!(BoxesUniforms, slice)),
                ("sky_span", std::mem::offset_of!(BoxesUniforms, sky_span)),
                ("sky_bottom", std::mem::offset_of!(BoxesUniforms, sky_bottom)),
                ("highlight", std::mem::offset_of!(BoxesUniforms, highlight)),
            ],
            std::mem::size_of::<BoxesUniforms>(),
        );
    }
}
