//! Offscreen pictures, one entry point: [`render_offscreen`] draws a
//! [`Picture`] (size, scale, background) of some [`Content`] (an egui frame
//! with a 2D map scene or with a 3D box scene, or bare quads or bare boxes
//! seen through a camera) and reads it back into an [`image::RgbaImage`],
//! with how many quads or boxes a bare scene drew ([`Rendered`]).
//!
//! egui frames are drawn by offscreen_egui.rs, tile by tile beyond the GPU's
//! largest texture, up to [`MAX_PICTURE_SIDE_PX`] and [`MAX_PICTURE_PX`]; bare
//! scenes are drawn in one piece and must fit the device (gpu.rs: [`Gpu`]).
//! Every render draws into an Rgba8Unorm target (offscreen_target.rs), so
//! colour bytes are written as given, and the same input gives the same
//! bytes.

use std::sync::Arc;

use super::box_instance::BoxInstance;
use super::box_parts::BoxParts;
use super::boxes::BoxesRenderer;
use super::boxes_style::BoxesStyle;
use super::boxes_targets::msaa_samples_for;
use super::camera2d::Camera2d;
use super::camera3d::OrbitCamera;
use super::crop::Crop;
use super::error::RenderError;
use super::gpu::Gpu;
use super::lod::QuadLod;
use super::offscreen_egui::render_egui;
use super::offscreen_target::{ErrorScopes, OFFSCREEN_FORMAT, Target, padded_bytes_per_row};
use super::quad_instance::QuadInstance;
use super::quads::QuadsRenderer;

/// The largest egui picture side, in pixels (tiles make any size up to this).
pub const MAX_PICTURE_SIDE_PX: u32 = 65_536;
/// The most pixels of one egui picture: 2^28, a 1 GiB RGBA image
/// (16384 x 16384, or 20000 x 13000).
pub const MAX_PICTURE_PX: u64 = 1 << 28;

/// The picture to render: its size, egui's scale and the colour the target
/// is cleared to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Picture {
    /// Physical pixels: up to [`MAX_PICTURE_SIDE_PX`] per side for egui
    /// frames, at most the device's largest texture for bare scenes.
    pub size_px: [u32; 2],
    /// Physical pixels per egui point (finite and positive; bare scenes
    /// draw in pixels and ignore it).
    pub pixels_per_point: f32,
    /// RGBA, seen where nothing else is drawn; bare quads also fade
    /// [`QuadInstance::DIMMED`] quads towards it. A box scene's sky covers it.
    pub background: [u8; 4],
}

/// What a [`Picture`] shows.
pub enum Content<'a> {
    /// An egui frame that `ui` draws. A [`QuadsRenderer`] sharing `quads`
    /// is registered in this egui renderer, so the
    /// [`QuadsPaintCallback`](super::quads_paint::QuadsPaintCallback)s that
    /// `ui` paints draw them, as
    /// [`upload_lod`](super::quads_paint::upload_lod) arranges in the window.
    Ui2d { quads: Arc<QuadLod>, ui: &'a mut dyn FnMut(&mut egui::Ui) },
    /// An egui frame with 3D views that `ui` draws: a [`BoxesRenderer`]
    /// holding `boxes` is registered, so the
    /// [`BoxesPaintCallback`](super::boxes_paint::BoxesPaintCallback)s that
    /// `ui` paints draw them, as
    /// [`upload_box_parts`](super::boxes_paint::upload_box_parts)
    /// arranges in the window. A [`QuadsRenderer`] without quads is
    /// registered too, so 2D map callbacks draw nothing rather than fail.
    Ui3d { boxes: Arc<BoxParts>, ui: &'a mut dyn FnMut(&mut egui::Ui) },
    /// `quads` alone seen through `camera` (the whole picture is the
    /// viewport); `highlight` is the SELECTED outline colour.
    Quads { camera: Camera2d, quads: &'a [QuadInstance], highlight: [u8; 4], detail: Detail },
    /// `boxes` alone seen through `camera` (the whole picture is the
    /// viewport), the sky and light as `style` says.
    Boxes { camera: OrbitCamera, boxes: &'a [BoxInstance], style: BoxesStyle, detail: Detail },
}

/// How much of a bare scene is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Detail {
    /// Levels of detail and culling, as the window draws.
    #[default]
    Levels,
    /// Every item in view at every zoom (to compare against, and to measure
    /// what the levels save).
    Full,
}

/// A rendered picture.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    pub image: image::RgbaImage,
    /// How many quads or boxes a bare scene drew after levels of detail and
    /// culling; None for egui frames (their views share one renderer).
    pub drawn: Option<u32>,
}

/// Renders `content` on `picture` and reads it back.
pub fn render_offscreen(gpu: &Gpu, picture: &Picture, content: Content<'_>) -> Result<Rendered, RenderError> {
    let Picture { size_px, pixels_per_point, background } = *picture;
    if !(pixels_per_point.is_finite() && pixels_per_point > 0.0) {
        return Err(RenderError::BadPixelsPerPoint(pixels_per_point));
    }
    let egui = |image: image::RgbaImage| Rendered { image, drawn: None };
    match content {
        Content::Ui2d { quads, ui } => {
            check_picture_size(size_px)?;
            let install = |device: &wgpu::Device, resources: &mut egui_wgpu::CallbackResources| {
                let mut renderer = QuadsRenderer::new(device, OFFSCREEN_FORMAT, 1);
                renderer.draw_in_batches(PICTURE_BATCH_QUADS);
                renderer.set_lod(quads);
                resources.insert(renderer);
            };
            render_egui(gpu, size_px, pixels_per_point, background, install, ui, "render_offscreen::ui_2d").map(egui)
        }
        Content::Ui3d { boxes, ui } => {
            check_picture_size(size_px)?;
            let install = |device: &wgpu::Device, resources: &mut egui_wgpu::CallbackResources| {
                resources.insert(QuadsRenderer::new(device, OFFSCREEN_FORMAT, 1));
                let tile = gpu.tile_size(size_px);
                let samples = offscreen_msaa_samples(device, tile, boxes.instances.len());
                let mut renderer = BoxesRenderer::new(device, samples, OFFSCREEN_FORMAT);
                renderer.draw_in_batches(PICTURE_BATCH_BOXES);
                renderer.set_parts(boxes);
                resources.insert(renderer);
            };
            render_egui(gpu, size_px, pixels_per_point, background, install, ui, "render_offscreen::ui_3d").map(egui)
        }
        Content::Quads { camera, quads, highlight, detail } => {
            render_quads(gpu, size_px, &camera, quads, [background, highlight], detail)
        }
        Content::Boxes { camera, boxes, style, detail } => {
            render_boxes(gpu, size_px, background, &camera, boxes, &style, detail)
        }
    }
}

/// Bare quads: see [`Content::Quads`].
fn render_quads(
    gpu: &Gpu,
    size_px: [u32; 2],
    camera: &Camera2d,
    instances: &[QuadInstance],
    [background, highlight]: [[u8; 4]; 2],
    detail: Detail,
) -> Result<Rendered, RenderError> {
    check_size(gpu, size_px)?;
    let device = &gpu.device;
    let queue = &gpu.queue;
    let scopes = ErrorScopes::push(device);

    let mut quads = QuadsRenderer::new(device, OFFSCREEN_FORMAT, 1);
    match detail {
        Detail::Levels => quads.set_instances(instances),
        Detail::Full => quads.set_instances_without_lod(instances),
    }
    let crop = Crop::whole([size_px[0] as f32, size_px[1] as f32]);
    quads.prepare(device, queue, camera, &crop, QuadInstance::rgba(highlight), QuadInstance::rgba(background));
    let drawn = quads.drawn_count();
    let target = Target::new(device, size_px, "render_offscreen::quads::target");
    let mut encoder = device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("render_offscreen::quads::encoder") });
    {
        let mut pass = target.begin_pass(&mut encoder, Some(background), "render_offscreen::quads::pass");
        quads.paint(&mut pass);
    }
    target.copy_to_buffer(&mut encoder);
    queue.submit([encoder.finish()]);
    let image = target.read(device);
    scopes.pop()?;
    Ok(Rendered { image: image?, drawn: Some(drawn) })
}

/// Bare boxes: see [`Content::Boxes`].
fn render_boxes(
    gpu: &Gpu,
    size_px: [u32; 2],
    background: [u8; 4],
    camera: &OrbitCamera,
    instances: &[BoxInstance],
    style: &BoxesStyle,
    detail: Detail,
) -> Result<Rendered, RenderError> {
    check_size(gpu, size_px)?;
    let device = &gpu.device;
    let queue = &gpu.queue;
    let scopes = ErrorScopes::push(device);

    let mut boxes =
        BoxesRenderer::new(device, offscreen_msaa_samples(device, size_px, instances.len()), OFFSCREEN_FORMAT);
    boxes.draw_in_batches(PICTURE_BATCH_BOXES);
    match detail {
        Detail::Levels => boxes.set_instances(instances),
        Detail::Full => boxes.set_instances_without_lod(instances),
    }
    let scene = boxes.prepare(device, queue, camera, size_px, style);
    let drawn = boxes.drawn_count();
    let target = Target::new(device, size_px, "render_offscreen::boxes::target");
    let mut encoder = device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("render_offscreen::boxes::encoder") });
    {
        // The blit covers every pixel: the background shows nowhere.
        let mut pass = target.begin_pass(&mut encoder, Some(background), "render_offscreen::boxes::pass");
        boxes.paint(&mut pass);
    }
    target.copy_to_buffer(&mut encoder);
    queue.submit([scene, encoder.finish()]);
    let image = target.read(device);
    scopes.pop()?;
    Ok(Rendered { image: image?, drawn: Some(drawn) })
}

/// Above this many pixels an offscreen 3D render is not multisampled: a 4x
/// colour + depth target of 8 bytes per sample would pass 256 MiB (a 4K image
/// still gets 4x).
const OFFSCREEN_MSAA_MAX_PX: u64 = 1 << 23;

/// A picture's 3D scene is drawn in passes of at most this many boxes
/// (see [`BoxesRenderer::draw_in_batches`]).
pub const PICTURE_BATCH_BOXES: u32 = 16_384;

/// A picture's map quads are drawn in passes of at most this many (see
/// [`QuadsRenderer::draw_in_batches`]).
pub const PICTURE_BATCH_QUADS: u32 = 65_536;

/// The scene sample count for an offscreen 3D render of `size_px` with
/// `boxes` boxes (none for huge scenes: [`msaa_samples_for`]).
fn offscreen_msaa_samples(device: &wgpu::Device, size_px: [u32; 2], boxes: usize) -> u32 {
    if size_px[0] as u64 * size_px[1] as u64 > OFFSCREEN_MSAA_MAX_PX {
        return 1;
    }
    msaa_samples_for(device, None, boxes)
}

/// Rejects egui picture sizes that are empty or too large to hold (tiles
/// render any size the device cannot take in one piece).
fn check_picture_size(size_px: [u32; 2]) -> Result<(), RenderError> {
    let [width_px, height_px] = size_px;
    if width_px == 0 || height_px == 0 {
        return Err(RenderError::EmptySize { width_px, height_px });
    }
    if width_px > MAX_PICTURE_SIDE_PX
        || height_px > MAX_PICTURE_SIDE_PX
        || u64::from(width_px) * u64::from(height_px) > MAX_PICTURE_PX
    {
        return Err(RenderError::PictureTooLarge {
            width_px,
            height_px,
            max_side_px: MAX_PICTURE_SIDE_PX,
            max_megapixels: MAX_PICTURE_PX / 1_000_000,
        });
    }
    Ok(())
}

/// Rejects sizes the device cannot render or read back in one piece.
fn check_size(gpu: &Gpu, size_px: [u32; 2]) -> Result<(), RenderError> {
    let [width_px, height_px] = size_px;
    if width_px == 0 || height_px == 0 {
        return Err(RenderError::EmptySize { width_px, height_px });
    }
    let limits = gpu.device.limits();
    let max_px = limits.max_texture_dimension_2d;
    if width_px > max_px || height_px > max_px {
        return Err(RenderError::TooLarge { width_px, height_px, max_px });
    }
    if padded_bytes_per_row(width_px) * height_px as u64 > limits.max_buffer_size {
        return Err(RenderError::TooLarge { width_px, height_px, max_px });
    }
    Ok(())
}
