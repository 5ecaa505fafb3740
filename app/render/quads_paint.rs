//! The egui side of [`QuadsRenderer`]: it lives in egui_wgpu's callback
//! resources (built once by [`register`]), instances are uploaded when the
//! layout or colouring changes ([`upload_instances`]), and a map view paints
//! itself each frame with a small Copy [`QuadsPaintCallback`].
//!
//! Viewport and clip: egui_wgpu sets the pass viewport to the callback's rect
//! *clamped to the screen*, which would squash the map when the rect is partly
//! off screen (a scrolled or half-hidden view, or one tile of a big export).
//! The callbacks therefore set the viewport themselves: the view's whole
//! viewport is the rect's corners rounded to whole physical pixels (exactly
//! as egui rounds them, see [`viewport_px`]); the pass draws the part of it on
//! the target, and the renderer is told which part ([`Crop`]), so one shader
//! pixel is one target pixel wherever the view is. The scissor is egui's clip
//! rect intersected with that part, so quads never spill out of the view.

use std::sync::Arc;

use egui_wgpu::{CallbackResources, CallbackTrait, RenderState, ScreenDescriptor};

use super::camera2d::{Camera2d, ViewportPx};
use super::crop::{Crop, TileOrigin};
use super::lod::QuadLod;
use super::quad_instance::QuadInstance;
use super::quads::QuadsRenderer;
use super::upload::PacedSubmits;

/// Builds a [`QuadsRenderer`] for the window's target format (no
/// multisampling, as eframe's default `NativeOptions::multisampling` is 0)
/// and keeps it in the egui renderer's callback resources. Replaces one
/// registered before.
pub fn register(render_state: &RenderState) {
    register_with_msaa(render_state, 1);
}

/// [`register`] for a window whose eframe `NativeOptions::multisampling` is
/// `msaa_samples` (the pipeline's sample count must match egui's pass).
pub fn register_with_msaa(render_state: &RenderState, msaa_samples: u32) {
    let renderer = QuadsRenderer::new(&render_state.device, render_state.target_format, msaa_samples);
    render_state.renderer.write().callback_resources.insert(renderer);
}

/// Uploads the quads the next [`QuadsPaintCallback`]s draw, registering the
/// renderer first when [`register`] has not been called.
pub fn upload_instances(render_state: &RenderState, instances: &[QuadInstance]) {
    upload_lod(render_state, Arc::new(QuadLod::build(instances)));
}

/// [`upload_instances`] for quads whose levels of detail are built already
/// ([`QuadLod::build`], off the UI thread), shared with the renderer, which
/// uploads each level when a frame first draws it.
pub fn upload_lod(render_state: &RenderState, lod: Arc<QuadLod>) {
    let mut egui_renderer = render_state.renderer.write();
    let resources = &mut egui_renderer.callback_resources;
    if !resources.contains::<QuadsRenderer>() {
        resources.insert(QuadsRenderer::new(&render_state.device, render_state.target_format, 1));
    }
    if let Some(renderer) = resources.get_mut::<QuadsRenderer>() {
        renderer.set_lod(lod);
    }
}

/// The physical-pixel viewport egui gives a paint callback covering `rect`
/// (points): corners rounded to whole pixels, as egui_wgpu rounds them. Use
/// it for [`Camera2d`]'s screen <-> world conversions (pointer positions in
/// points times `pixels_per_point`) so hit-testing matches the picture.
pub fn viewport_px(rect: egui::Rect, pixels_per_point: f32) -> ViewportPx {
    let min = [(rect.min.x * pixels_per_point).round(), (rect.min.y * pixels_per_point).round()];
    let max = [(rect.max.x * pixels_per_point).round(), (rect.max.y * pixels_per_point).round()];
    ViewportPx { min, size: [(max[0] - min[0]).max(0.0), (max[1] - min[1]).max(0.0)] }
}

/// What one map view needs each frame: small and Copy, as egui paint
/// callbacks should be. The quads themselves were uploaded beforehand with
/// [`upload_instances`].
///
/// One [`QuadsRenderer`] holds one set of instances and one uniform, so it
/// draws one map view per frame: with several callbacks in a frame, the last
/// one prepared sets the camera for all of them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuadsPaintCallback {
    pub camera: Camera2d,
    /// The view's whole viewport, physical pixels of the whole picture:
    /// `viewport_px(rect, ppp)`.
    pub viewport: ViewportPx,
    /// RGBA8 (as [`QuadInstance::color`]) of SELECTED outlines.
    pub highlight: u32,
    /// RGBA8 that DIMMED quads blend towards: the view's background.
    pub background: u32,
}

impl QuadsPaintCallback {
    /// The callback for a view covering `rect` (points) at `pixels_per_point`.
    pub fn new(camera: Camera2d, rect: egui::Rect, pixels_per_point: f32, highlight: u32, background: u32) -> Self {
        QuadsPaintCallback { camera, viewport: viewport_px(rect, pixels_per_point), highlight, background }
    }
}

/// The paint callback shape to add to a painter: `ui.painter().add(paint_callback(rect, cb))`.
pub fn paint_callback(rect: egui::Rect, cb: QuadsPaintCallback) -> egui::PaintCallback {
    egui_wgpu::Callback::new_paint_callback(rect, cb)
}

impl CallbackTrait for QuadsPaintCallback {
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
        if let Some(renderer) = callback_resources.get_mut::<QuadsRenderer>() {
            renderer.prepare(device, queue, &self.camera, &crop, self.highlight, self.background);
        }
        Vec::new()
    }

    fn paint(
        &self,
        info: egui::PaintCallbackInfo,
        render_pass: &mut wgpu::RenderPass<'static>,
        callback_resources: &CallbackResources,
    ) {
        let Some(renderer) = callback_resources.get::<QuadsRenderer>() else {
            return;
        };
        let Some(scissor) = pass_rects(&info, self.viewport.size) else {
            return;
        };
        scissor.apply(render_pass);
        renderer.paint(render_pass);
    }
}

/// Draws the quads of a picture's [`QuadsRenderer`] that draws in batches
/// ([`QuadsRenderer::draw_in_batches`]) onto `view`, for the paint callback
/// that `info` describes as egui_wgpu would (its `prepare` has run): one
/// pass per batch, each submitted before the next is recorded and waited
/// for before the one after.
pub(crate) fn paint_quads_in_batches(
    resources: &CallbackResources,
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    view: &wgpu::TextureView,
    info: &egui::PaintCallbackInfo,
) {
    let Some(renderer) = resources.get::<QuadsRenderer>() else { return };
    let batches = renderer.batch_count();
    let rects = renderer.view_size_px().and_then(|size| pass_rects(info, size));
    let Some(rects) = rects.filter(|_| batches > 0) else { return };
    let mut paced = PacedSubmits::default();
    for k in 0..batches {
        let label = Some("QuadsRenderer::batch");
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label });
        {
            let pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label,
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations { load: wgpu::LoadOp::Load, store: wgpu::StoreOp::Store },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            let mut pass = pass.forget_lifetime();
            rects.apply(&mut pass);
            renderer.paint_batch(&mut pass, k);
        }
        paced.submit(device, queue, encoder.finish());
    }
}

/// The part of a view (whole-picture pixels) on this pass's target, and
/// where it goes there: the target is the picture, or the tile of it that a
/// [`TileOrigin`] in the callback resources places. Shared by every paint
/// callback's `prepare` (2D quads, 3D boxes).
pub(crate) fn visible_crop(view: ViewportPx, screen: &ScreenDescriptor, resources: &CallbackResources) -> Option<Crop> {
    let origin = resources.get::<TileOrigin>().copied().unwrap_or_default().0;
    let on_target = ViewportPx { min: [view.min[0] - origin[0], view.min[1] - origin[1]], size: view.size };
    Crop::visible(on_target, screen.size_in_pixels)
}

/// The viewport and the scissor rect for one callback.
/// Shared by every paint callback (2D quads, 3D boxes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PassRects {
    /// The part of the view on the target (see [`Crop::visible`]).
    pub(crate) viewport: ViewportPx,
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

impl PassRects {
    /// Sets the pass's viewport and scissor rect.
    pub(crate) fn apply(&self, pass: &mut wgpu::RenderPass<'static>) {
        let vp = self.viewport;
        pass.set_viewport(vp.min[0], vp.min[1], vp.size[0], vp.size[1], 0.0, 1.0);
        pass.set_scissor_rect(self.x, self.y, self.width, self.height);
    }
}

/// Works out [`PassRects`] for a view of `view_size_px` whose rect `info`
/// gives (on this pass's target, as `prepare`'s [`visible_crop`] placed it);
/// None when nothing of the view is visible.
pub(crate) fn pass_rects(info: &egui::PaintCallbackInfo, view_size_px: [f32; 2]) -> Option<PassRects> {
    let view = ViewportPx { min: viewport_px(info.viewport, info.pixels_per_point).min, size: view_size_px };
    let vp = Crop::visible(view, info.screen_size_px)?.pass_viewport();
    let clip = info.clip_rect_in_pixels();
    let vp_max = vp.max();
    let x0 = vp.min[0].max(clip.left_px as f32);
    let y0 = vp.min[1].max(clip.top_px as f32);
    let x1 = vp_max[0].min((clip.left_px + clip.width_px) as f32).max(x0);
    let y1 = vp_max[1].min((clip.top_px + clip.height_px) as f32).max(y0);
    let (width, height) = ((x1 - x0) as u32, (y1 - y0) as u32);
    if width == 0 || height == 0 {
        return None;
    }
    Some(PassRects { viewport: vp, x: x0 as u32, y: y0 as u32, width, height })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(viewport: egui::Rect, clip: egui::Rect, ppp: f32, screen: [u32; 2]) -> egui::PaintCallbackInfo {
        egui::PaintCallbackInfo { viewport, clip_rect: clip, pixels_per_point: ppp, screen_size_px: screen }
    }

    fn rect(x0: f32, y0: f32, x1: f32, y1: f32) -> egui::Rect {
        egui::Rect::from_min_max(egui::pos2(x0, y0), egui::pos2(x1, y1))
    }

    #[test]
    fn viewport_px_rounds_like_egui() {
        let r = rect(10.2, 20.6, 110.2, 70.6);
        let v = viewport_px(r, 1.5);
        assert_eq!(v, ViewportPx { min: [15.0, 31.0], size: [150.0, 75.0] });
        let egui_v = egui::epaint::ViewportInPixels::from_points(&r, 1.5, [1000, 1000]);
        assert_eq!(v.min, [egui_v.left_px as f32, egui_v.top_px as f32]);
        assert_eq!(v.size, [egui_v.width_px as f32, egui_v.height_px as f32]);
    }

    #[test]
    fn inside_the_screen_the_viewport_is_the_rect() {
        let r = rect(10.0, 20.0, 110.0, 70.0);
        let p = pass_rects(&info(r, rect(0.0, 0.0, 400.0, 300.0), 2.0, [800, 600]), [200.0, 100.0]).unwrap();
        assert_eq!(p.viewport, ViewportPx { min: [20.0, 40.0], size: [200.0, 100.0] });
        assert_eq!((p.x, p.y, p.width, p.height), (20, 40, 200, 100));
    }

    #[test]
    fn a_rect_partly_off_screen_draws_its_visible_part() {
        // Half of the view hangs off the left edge; the clip rect cuts the top.
        let r = rect(-50.0, 0.0, 50.0, 100.0);
        let p = pass_rects(&info(r, rect(-1000.0, 30.0, 1000.0, 1000.0), 1.0, [200, 200]), [100.0, 100.0]).unwrap();
        assert_eq!(p.viewport, ViewportPx { min: [0.0, 0.0], size: [50.0, 100.0] });
        assert_eq!((p.x, p.y, p.width, p.height), (0, 30, 50, 70));
    }

    #[test]
    fn an_invisible_view_draws_nothing() {
        let r = rect(300.0, 300.0, 400.0, 400.0);
        assert_eq!(pass_rects(&info(r, r, 1.0, [200, 200]), [100.0, 100.0]), None);
    }

    #[test]
    fn an_oversized_view_draws_the_part_on_the_target() {
        let r = rect(0.0, 0.0, 20000.0, 100.0);
        let p = pass_rects(&info(r, r, 1.0, [200, 200]), [20000.0, 100.0]).unwrap();
        assert_eq!(p.viewport, ViewportPx { min: [0.0, 0.0], size: [200.0, 100.0] });
        assert_eq!((p.x, p.y, p.width, p.height), (0, 0, 200, 100));
    }
}
