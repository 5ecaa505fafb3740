//! The egui side of [`BoxesRenderer`]: it lives in egui_wgpu's callback
//! resources (built once by [`register`]), boxes are uploaded when the scene
//! or its colouring changes ([`upload_box_parts`]), and a 3D view paints
//! itself each frame with a small Copy [`BoxesPaintCallback`].
//!
//! The callback's `prepare` draws the scene into the renderer's own colour
//! and depth textures (egui's pass has neither a depth buffer nor our sample
//! count) and hands egui that command buffer, which egui submits before its
//! own pass; `paint` then blits the picture into egui's pass.
//!
//! Viewport and clip, as quads_paint.rs does for the 2D maps: the view's whole
//! viewport is its rect rounded to whole physical pixels (as egui rounds it,
//! see [`viewport_px`]); `prepare` draws only the part of it on the target
//! (a [`Crop`](super::crop::Crop): the on-screen part, or one tile of a big
//! export) with the camera still fitted to the whole, and `paint` blits that
//! part to where it belongs, one scene pixel per target pixel. The scissor is
//! egui's clip rect intersected with that part.

use egui_wgpu::{CallbackResources, CallbackTrait, RenderState, ScreenDescriptor};

use std::sync::Arc;

use super::box_parts::BoxParts;
use super::boxes::BoxesRenderer;
use super::boxes_style::BoxesStyle;
use super::boxes_targets::msaa_samples_for;
use super::camera2d::ViewportPx;
use super::camera3d::OrbitCamera;
use super::quads_paint::{pass_rects, viewport_px, visible_crop};

/// Builds a [`BoxesRenderer`] for the window's target format (the scene
/// multisampled as the adapter allows, see
/// [`supported_msaa_samples`](super::boxes_targets::supported_msaa_samples);
/// egui's own pass without multisampling, as eframe's default
/// `NativeOptions::multisampling` is 0) and keeps it in the
/// egui renderer's callback resources. Replaces one registered before.
pub fn register(render_state: &RenderState) {
    register_with_msaa(render_state, 1);
}

/// [`register`] for a window whose eframe `NativeOptions::multisampling` is
/// `egui_msaa_samples` (the blit pipeline's sample count must match egui's
/// pass; the scene's own multisampling is chosen separately).
pub fn register_with_msaa(render_state: &RenderState, egui_msaa_samples: u32) {
    let renderer = new_renderer(render_state, egui_msaa_samples);
    render_state.renderer.write().callback_resources.insert(renderer);
}

fn new_renderer(render_state: &RenderState, egui_msaa_samples: u32) -> BoxesRenderer {
    renderer_with(render_state, scene_samples(render_state, 0), egui_msaa_samples)
}

fn renderer_with(render_state: &RenderState, msaa: u32, egui_msaa_samples: u32) -> BoxesRenderer {
    BoxesRenderer::with_target_samples(&render_state.device, msaa, render_state.target_format, egui_msaa_samples)
}

/// The scene's sample count for `boxes` boxes: what the adapter allows,
/// but none for huge scenes ([`msaa_samples_for`]).
fn scene_samples(render_state: &RenderState, boxes: usize) -> u32 {
    msaa_samples_for(&render_state.device, Some(&render_state.adapter), boxes)
}

/// Uploads the boxes the next [`BoxesPaintCallback`]s draw, registering the
/// renderer first when [`register`] has not been called.
pub fn upload_box_parts(render_state: &RenderState, parts: &Arc<BoxParts>) {
    let mut egui_renderer = render_state.renderer.write();
    let resources = &mut egui_renderer.callback_resources;
    if !resources.contains::<BoxesRenderer>() {
        resources.insert(new_renderer(render_state, 1));
    }
    // A huge scene drops multisampling and a smaller one gets it back: the
    // renderer is rebuilt for the new sample count (pipelines and targets).
    // (BoxesRenderer takes 4 or 1.)
    let samples = if scene_samples(render_state, parts.instances.len()) >= 4 { 4 } else { 1 };
    if let Some(old) = resources.get::<BoxesRenderer>()
        && old.msaa_samples() != samples
    {
        let egui_samples = old.target_samples();
        resources.insert(renderer_with(render_state, samples, egui_samples));
    }
    if let Some(renderer) = resources.get_mut::<BoxesRenderer>() {
        renderer.set_parts(Arc::clone(parts));
    }
}

/// What one 3D view needs each frame: small and Copy, as egui paint
/// callbacks should be. The boxes themselves were uploaded beforehand with
/// [`upload_box_parts`].
///
/// One [`BoxesRenderer`] holds one set of instances and one scene texture, so
/// it draws one 3D view per frame: with several callbacks in a frame, the
/// last one prepared is what all of them show.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoxesPaintCallback {
    pub camera: OrbitCamera,
    /// The view's whole viewport, physical pixels of the whole picture:
    /// `viewport_px(rect, ppp)`.
    pub viewport: ViewportPx,
    pub style: BoxesStyle,
}

impl BoxesPaintCallback {
    /// The callback for a view covering `rect` (points) at `pixels_per_point`.
    pub fn new(camera: OrbitCamera, rect: egui::Rect, pixels_per_point: f32, style: BoxesStyle) -> Self {
        BoxesPaintCallback { camera, viewport: viewport_px(rect, pixels_per_point), style }
    }
}

/// The paint callback shape to add to a painter: `ui.painter().add(paint_callback(rect, cb))`.
pub fn paint_callback(rect: egui::Rect, cb: BoxesPaintCallback) -> egui::PaintCallback {
    egui_wgpu::Callback::new_paint_callback(rect, cb)
}

impl CallbackTrait for BoxesPaintCallback {
    fn prepare(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        screen_descriptor: &ScreenDescriptor,
        _egui_encoder: &mut wgpu::CommandEncoder,
        callback_resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        let Some(crop) = visible_crop(self.viewport, screen_descriptor, callback_resources) else {
            return Vec::new();
        };
        match callback_resources.get_mut::<BoxesRenderer>() {
            Some(renderer) => vec![renderer.prepare_crop(device, queue, &self.camera, &crop, &self.style)],
            None => Vec::new(),
        }
    }

    fn paint(
        &self,
        info: egui::PaintCallbackInfo,
        render_pass: &mut wgpu::RenderPass<'static>,
        callback_resources: &CallbackResources,
    ) {
        let Some(renderer) = callback_resources.get::<BoxesRenderer>() else {
            return;
        };
        let Some(rects) = pass_rects(&info, self.viewport.size) else {
            return;
        };
        rects.apply(render_pass);
        renderer.paint(render_pass);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callback_carries_the_rects_pixel_viewport() {
        let style = BoxesStyle {
            sky_top: 0,
            sky_bottom: 0,
            light_dir: [0.0, 1.0, 0.0],
            ambient: 0.3,
            highlight: 0,
            slice: None,
        };
        let rect = egui::Rect::from_min_max(egui::pos2(10.2, 20.6), egui::pos2(110.2, 70.6));
        let cb = BoxesPaintCallback::new(OrbitCamera::default(), rect, 1.5, style);
        assert_eq!(cb.viewport, ViewportPx { min: [15.0, 31.0], size: [150.0, 75.0] });
    }
}
