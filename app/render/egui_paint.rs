//! The egui side of [`RegionsRenderer`]: it lives in egui_wgpu's callback
//! resources (built once by [`register`]), instances are uploaded when the
//! layout or colouring changes ([`upload_instances`]), and a map view paints
//! itself each frame with a small Copy [`RegionsPaintCallback`].
//!
//! Viewport and clip: egui_wgpu sets the pass viewport to the callback's rect
//! *clamped to the screen*, which would squash the map when the rect is partly
//! off screen (a scrolled or half-hidden view). [`RegionsPaintCallback`]'s
//! `paint` therefore sets the viewport itself: the top-left corner is the
//! rect's corner rounded to whole physical pixels (exactly as egui rounds it,
//! see [`viewport_px`]) and the size is `viewport_size_px`, the size the
//! uniform was prepared with, so one shader pixel is one target pixel; only
//! a viewport the device cannot take (far larger than the target) falls back
//! to egui's. The scissor is egui's clip rect intersected with that viewport,
//! so quads never spill out of the view's rect.

use egui_wgpu::{CallbackResources, CallbackTrait, RenderState, ScreenDescriptor};

use super::camera2d::{Camera2D, ViewportPx};
use super::regions::{QuadInstance, RegionsRenderer};

/// Builds a [`RegionsRenderer`] for the window's target format (no
/// multisampling, as eframe's default `NativeOptions::multisampling` is 0)
/// and keeps it in the egui renderer's callback resources. Replaces one
/// registered before.
pub fn register(render_state: &RenderState) {
    register_with_msaa(render_state, 1);
}

/// [`register`] for a window whose eframe `NativeOptions::multisampling` is
/// `msaa_samples` (the pipeline's sample count must match egui's pass).
pub fn register_with_msaa(render_state: &RenderState, msaa_samples: u32) {
    let renderer = RegionsRenderer::new(&render_state.device, render_state.target_format, msaa_samples);
    render_state.renderer.write().callback_resources.insert(renderer);
}

/// Uploads the quads the next [`RegionsPaintCallback`]s draw, registering the
/// renderer first when [`register`] has not been called.
pub fn upload_instances(render_state: &RenderState, instances: &[QuadInstance]) {
    let mut egui_renderer = render_state.renderer.write();
    let resources = &mut egui_renderer.callback_resources;
    if !resources.contains::<RegionsRenderer>() {
        resources.insert(RegionsRenderer::new(&render_state.device, render_state.target_format, 1));
    }
    if let Some(renderer) = resources.get_mut::<RegionsRenderer>() {
        renderer.set_instances(&render_state.device, &render_state.queue, instances);
    }
}

/// The physical-pixel viewport egui gives a paint callback covering `rect`
/// (points): corners rounded to whole pixels, as egui_wgpu rounds them. Use
/// it for [`Camera2D`]'s screen <-> world conversions (pointer positions in
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
/// One [`RegionsRenderer`] holds one set of instances and one uniform, so it
/// draws one map view per frame: with several callbacks in a frame, the last
/// one prepared sets the camera for all of them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegionsPaintCallback {
    pub camera: Camera2D,
    /// The callback rect's size in physical pixels: `viewport_px(rect, ppp).size`.
    pub viewport_size_px: [f32; 2],
    /// RGBA8 (as [`QuadInstance::color`]) of SELECTED outlines.
    pub highlight: u32,
    /// RGBA8 that DIMMED quads blend towards: the view's background.
    pub background: u32,
}

impl RegionsPaintCallback {
    /// The callback for a view covering `rect` (points) at `pixels_per_point`.
    pub fn new(camera: Camera2D, rect: egui::Rect, pixels_per_point: f32, highlight: u32, background: u32) -> Self {
        RegionsPaintCallback {
            camera,
            viewport_size_px: viewport_px(rect, pixels_per_point).size,
            highlight,
            background,
        }
    }
}

/// The paint callback shape to add to a painter: `ui.painter().add(paint_callback(rect, cb))`.
pub fn paint_callback(rect: egui::Rect, cb: RegionsPaintCallback) -> egui::PaintCallback {
    egui_wgpu::Callback::new_paint_callback(rect, cb)
}

impl CallbackTrait for RegionsPaintCallback {
    fn prepare(
        &self,
        _device: &wgpu::Device,
        queue: &wgpu::Queue,
        _screen_descriptor: &ScreenDescriptor,
        _egui_encoder: &mut wgpu::CommandEncoder,
        callback_resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        if let Some(renderer) = callback_resources.get_mut::<RegionsRenderer>() {
            renderer.prepare(queue, &self.camera, self.viewport_size_px, self.highlight, self.background);
        }
        Vec::new()
    }

    fn paint(
        &self,
        info: egui::PaintCallbackInfo,
        render_pass: &mut wgpu::RenderPass<'static>,
        callback_resources: &CallbackResources,
    ) {
        let Some(renderer) = callback_resources.get::<RegionsRenderer>() else {
            return;
        };
        let Some(scissor) = pass_rects(&info, self.viewport_size_px, renderer.max_viewport_px()) else {
            return;
        };
        scissor.apply(render_pass);
        renderer.paint(render_pass);
    }
}

/// The viewport (None: keep egui's) and the scissor rect for one callback.
/// Shared by every paint callback (2D regions, 3D boxes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PassRects {
    pub(crate) viewport: Option<ViewportPx>,
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

impl PassRects {
    /// Sets the pass's viewport (when it has its own) and scissor rect.
    pub(crate) fn apply(&self, pass: &mut wgpu::RenderPass<'static>) {
        if let Some(vp) = self.viewport {
            pass.set_viewport(vp.min[0], vp.min[1], vp.size[0], vp.size[1], 0.0, 1.0);
        }
        pass.set_scissor_rect(self.x, self.y, self.width, self.height);
    }
}

/// Works out [`PassRects`]; None when nothing of the view is visible.
pub(crate) fn pass_rects(
    info: &egui::PaintCallbackInfo,
    viewport_size_px: [f32; 2],
    max_viewport_px: u32,
) -> Option<PassRects> {
    let screen = [info.screen_size_px[0] as f32, info.screen_size_px[1] as f32];
    let ppp = info.pixels_per_point;
    let min = [(info.viewport.min.x * ppp).round(), (info.viewport.min.y * ppp).round()];
    let size = [viewport_size_px[0].max(1.0), viewport_size_px[1].max(1.0)];
    // wgpu's rule: size at most max_texture_dimension_2d, corners within
    // [-2 max, 2 max - 1].
    let range = 2.0 * max_viewport_px as f32;
    let fits = (0..2).all(|a| {
        size[a] <= max_viewport_px as f32 && min[a] >= -range && min[a] + size[a] <= range - 1.0 && min[a].is_finite()
    });
    let (viewport, vp_min, vp_max) = if fits {
        (Some(ViewportPx { min, size }), min, [min[0] + size[0].round(), min[1] + size[1].round()])
    } else {
        // egui's own (clamped) viewport stays in place.
        let v = info.viewport_in_pixels();
        let m = [v.left_px as f32, v.top_px as f32];
        (None, m, [m[0] + v.width_px as f32, m[1] + v.height_px as f32])
    };
    let clip = info.clip_rect_in_pixels();
    let x0 = vp_min[0].max(clip.left_px as f32).clamp(0.0, screen[0]);
    let y0 = vp_min[1].max(clip.top_px as f32).clamp(0.0, screen[1]);
    let x1 = vp_max[0].min((clip.left_px + clip.width_px) as f32).clamp(x0, screen[0]);
    let y1 = vp_max[1].min((clip.top_px + clip.height_px) as f32).clamp(y0, screen[1]);
    let (width, height) = ((x1 - x0) as u32, (y1 - y0) as u32);
    if width == 0 || height == 0 {
        return None;
    }
    Some(PassRects { viewport, x: x0 as u32, y: y0 as u32, width, height })
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
        let p = pass_rects(&info(r, rect(0.0, 0.0, 400.0, 300.0), 2.0, [800, 600]), [200.0, 100.0], 8192).unwrap();
        assert_eq!(p.viewport, Some(ViewportPx { min: [20.0, 40.0], size: [200.0, 100.0] }));
        assert_eq!((p.x, p.y, p.width, p.height), (20, 40, 200, 100));
    }

    #[test]
    fn a_rect_partly_off_screen_keeps_its_scale() {
        // Half of the view hangs off the left edge; the clip rect cuts the top.
        let r = rect(-50.0, 0.0, 50.0, 100.0);
        let p =
            pass_rects(&info(r, rect(-1000.0, 30.0, 1000.0, 1000.0), 1.0, [200, 200]), [100.0, 100.0], 8192).unwrap();
        assert_eq!(p.viewport, Some(ViewportPx { min: [-50.0, 0.0], size: [100.0, 100.0] }));
        assert_eq!((p.x, p.y, p.width, p.height), (0, 30, 50, 70));
    }

    #[test]
    fn an_invisible_view_draws_nothing() {
        let r = rect(300.0, 300.0, 400.0, 400.0);
        assert_eq!(pass_rects(&info(r, r, 1.0, [200, 200]), [100.0, 100.0], 8192), None);
    }

    #[test]
    fn an_oversized_view_falls_back_to_eguis_viewport() {
        let r = rect(0.0, 0.0, 20000.0, 100.0);
        let p = pass_rects(&info(r, r, 1.0, [200, 200]), [20000.0, 100.0], 8192).unwrap();
        assert_eq!(p.viewport, None);
        assert_eq!((p.x, p.y, p.width, p.height), (0, 0, 200, 100));
    }
}
