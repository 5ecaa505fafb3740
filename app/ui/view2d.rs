//! The flat map widget (Strip, Hilbert, Treemap): pans and zooms, picks what
//! is under the cursor with the scene's hit index, shows the hover tooltip
//! and reports clicks. Drawing is the scene's ([`crate::scene::paint2d`]),
//! the same as in exported pictures.

use std::sync::Arc;

use egui::{Rect, Sense, Ui};

use crate::dump::{AddressSpace, RegionKind};
use crate::format::{hex, human_size};
use crate::render::camera2d::Camera2d;
use crate::render::quads_paint;
use crate::scene::paint2d::{self, Highlights, QuadsOn, Screen};
use crate::scene::{Palette, Scene2d};

/// What the view remembers between frames.
#[derive(Default)]
pub struct View2dState {
    /// None: fit the layout on the next frame.
    pub camera: Option<Camera2d>,
    /// The instance generation last uploaded to the GPU.
    uploaded: Option<u64>,
    /// Where the view was drawn last frame, in points, and the points-to-pixels scale.
    last_view: Option<(Rect, f32)>,
    /// The user panned or zoomed since the last fit; until then a resized
    /// view refits.
    moved: bool,
}

impl View2dState {
    /// Fit the whole layout into the view on the next frame.
    pub fn reset_camera(&mut self) {
        self.camera = None;
        self.moved = false;
    }

    /// Where a region's largest tile was on screen last frame (clipped to the
    /// view), if any of it was visible.
    pub fn screen_rect_of(&self, scene: &Scene2d, region: u32) -> Option<Rect> {
        let (cam, (view, ppp)) = (self.camera?, self.last_view?);
        paint2d::screen_rect_of(scene, &Screen::new(cam, view, ppp), view, region)
    }

    /// Centre the camera on a region's first tile, keeping the zoom.
    pub fn focus(&mut self, scene: &Scene2d, region: u32) {
        let first = scene.tiles_of(region, 1).first().copied();
        if let (Some(cam), Some(tile)) = (self.camera.as_mut(), first) {
            cam.center = tile.center();
        }
    }
}

/// How the view reaches the GPU.
#[derive(Clone, Copy)]
pub enum Gpu2d<'a> {
    /// The window's wgpu state: the view uploads instances when they change.
    Window(&'a egui_wgpu::RenderState),
    /// No wgpu renderer: tiles are painted with egui shapes.
    Cpu,
}

/// What the pointer did on a view this frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ViewResponse {
    pub hovered: Option<u32>,
    pub clicked: Option<u32>,
}

/// Draws the map filling the available space.
pub fn view2d_ui(
    ui: &mut Ui,
    state: &mut View2dState,
    space: &AddressSpace,
    scene: &Scene2d,
    marks: Highlights<'_>,
    gpu: Gpu2d<'_>,
) -> ViewResponse {
    let (view, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    let ppp = ui.ctx().pixels_per_point();
    let home = ui.input(|i| i.key_pressed(egui::Key::Home)) && response.hovered();
    let resized = state.last_view.is_some_and(|(v, p)| v.size() != view.size() || p != ppp);
    if state.camera.is_none() || response.double_clicked() || home || (resized && !state.moved) {
        state.camera = Some(paint2d::fit_camera(&scene.layout, view, ppp));
        state.moved = false;
    }
    let cam = state.camera.get_or_insert_with(|| paint2d::fit_camera(&scene.layout, view, ppp));

    // Pan with the primary button, zoom with the wheel (or pinch) about the cursor.
    if response.dragged() {
        let d = response.drag_delta() * ppp;
        cam.pan_by([d.x, d.y]);
        state.moved = true;
    }
    if let Some(pointer) = response.hover_pos() {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let factor = zoom * (scroll / 200.0).exp();
        if (factor - 1.0).abs() > 1e-4 {
            cam.zoom_about([pointer.x * ppp, pointer.y * ppp], factor, quads_paint::viewport_px(view, ppp));
            state.moved = true;
        }
    }
    let screen = Screen::new(*cam, view, ppp);
    state.last_view = Some((view, ppp));

    let quads = match gpu {
        Gpu2d::Window(rs) => {
            if state.uploaded != Some(scene.generation) {
                quads_paint::upload_lod(rs, Arc::clone(&scene.lod));
                state.uploaded = Some(scene.generation);
            }
            QuadsOn::Gpu
        }
        Gpu2d::Cpu => QuadsOn::Cpu,
    };
    // What is under the cursor: the same geometry that is drawn.
    // (A big map is shown before its picking index: scanned meanwhile.)
    let hovered = response.hover_pos().and_then(|p| scene.pick(screen.to_world(p)));
    let painter = ui.painter_at(view);
    paint2d::paint_scene2d(&painter, &screen, scene, marks, hovered, quads, &Palette::WINDOW);

    view_response(response, space, hovered)
}

/// What a view reports for the region under the pointer, showing its tooltip
/// unless the view is being dragged (2D and 3D alike).
pub fn view_response(response: egui::Response, space: &AddressSpace, hovered: Option<u32>) -> ViewResponse {
    let clicked = if response.clicked() { hovered } else { None };
    if let Some(h) = hovered
        && !response.dragged()
    {
        response.on_hover_ui_at_pointer(|ui| region_tooltip_ui(ui, space, h));
    }
    ViewResponse { hovered, clicked }
}

/// The hover tooltip: range, size, kind, owner, state, type, protection.
pub fn region_tooltip_ui(ui: &mut Ui, space: &AddressSpace, region: u32) {
    let Some(r) = space.regions.get(region as usize) else { return };
    ui.strong(format!("{} – {}", hex(r.base_addr), hex(r.end_addr())));
    ui.label(format!("{} ({} bytes)", human_size(r.size_bytes), r.size_bytes));
    let owner = space.owner_name(r);
    let mut what = r.kind.name().to_string();
    if !r.label.is_empty() {
        what += &format!(": {}", r.label);
    } else if !owner.is_empty() {
        what += &format!(": {owner}");
    }
    ui.label(what);
    if r.kind != RegionKind::Free {
        let mut parts = vec![r.state.name().to_string()];
        parts.extend(r.ty.map(|t| t.name().to_string()));
        if r.protect.0 != 0 {
            parts.push(r.protect.to_string());
        }
        ui.label(parts.join(" · "));
    }
    if r.captured_bytes > 0 {
        ui.label(format!("{} captured", human_size(r.captured_bytes)));
    }
}
