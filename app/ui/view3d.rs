//! The 3D view widget (City and Volume): orbits, pans and zooms toward the
//! cursor with smooth motion, picks the box under the cursor with a ray,
//! shows the hover tooltip and reports clicks; the Volume's controls.
//! Drawing is the scene's ([`crate::scene::paint3d`]), the same as in
//! exported pictures.

use egui::{Pos2, Rect, Sense, Ui};

use super::view2d::{ViewResponse, view_response};
use crate::dump::{AddressSpace, RegionKind};
use crate::layout::layout3d::HeightMetric;
use crate::render::boxes_paint;
use crate::render::camera3d::OrbitCamera;
use crate::scene::paint3d::{self, Projection};
use crate::scene::{Highlights, Palette, Scene3d, VolumeStyle};

/// What the view remembers between frames.
#[derive(Default)]
pub struct View3dState {
    pub camera: Option<OrbitCamera>,
    /// Where the camera is gliding to.
    goal: Option<OrbitCamera>,
    uploaded: Option<u64>,
    last_view: Option<(Rect, f32)>,
}

impl View3dState {
    pub fn reset_camera(&mut self) {
        self.camera = None;
        self.goal = None;
    }

    /// Glide the camera to look at a region's largest box.
    pub fn fly_to(&mut self, scene: &Scene3d, region: u32) {
        let (Some(cam), Some(b)) = (self.camera, scene.largest_box(region)) else { return };
        let size = (0..3).map(|a| b.max[a] - b.min[a]).fold(0.0f32, f32::max).max(1.0);
        let mut goal = cam;
        goal.target = b.center();
        goal.distance = (size * 3.0).max(8.0);
        self.goal = Some(goal);
    }

    /// Where a region's largest box was on screen last frame (the projected
    /// centre of its top face), if visible.
    pub fn screen_pos_of(&self, scene: &Scene3d, region: u32) -> Option<Pos2> {
        let (cam, (view, ppp)) = (self.camera?, self.last_view?);
        Projection { cam, view, ppp }.region_pos(scene, region)
    }
}

/// Draws the 3D view filling the available space; returns the hovered and
/// clicked regions. Needs the window's wgpu state.
pub fn view3d_ui(
    ui: &mut Ui,
    state: &mut View3dState,
    space: &AddressSpace,
    scene: &Scene3d,
    marks: Highlights<'_>,
    volume: Option<&VolumeStyle>,
    render_state: &egui_wgpu::RenderState,
) -> ViewResponse {
    let (view, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    let ppp = ui.ctx().pixels_per_point();
    let size_px = [view.width() * ppp, view.height() * ppp];
    let home = ui.input(|i| i.key_pressed(egui::Key::Home)) && response.hovered();
    if state.camera.is_none() || response.double_clicked() || home {
        let fitted = paint3d::fit_camera(&scene.layout, size_px[0] / size_px[1].max(1.0));
        if state.camera.is_none() {
            state.camera = Some(fitted);
        } else {
            state.goal = Some(fitted);
        }
    }
    if ui.input(|i| i.key_pressed(egui::Key::F))
        && response.hovered()
        && let Some(sel) = marks.selected
    {
        state.fly_to(scene, sel);
    }
    let Some(cam) = state.camera.as_mut() else { return Default::default() };

    // Left drag orbits, right or middle drag pans, the wheel zooms toward the cursor.
    let d = response.drag_delta() * ppp;
    if response.dragged_by(egui::PointerButton::Primary) {
        cam.rotate_by([d.x, d.y], 0.3);
        state.goal = None;
    } else if response.dragged_by(egui::PointerButton::Secondary) || response.dragged_by(egui::PointerButton::Middle) {
        cam.pan_by([d.x, d.y], size_px);
        state.goal = None;
    }
    if let Some(p) = response.hover_pos() {
        let (scroll, zoom) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
        let factor = zoom * (scroll / 200.0).exp();
        if (factor - 1.0).abs() > 1e-4 {
            let local = (p - view.min) * ppp;
            cam.zoom_toward([local.x, local.y], factor, size_px);
            state.goal = None;
        }
    }
    if let Some(goal) = state.goal {
        let dt = ui.input(|i| i.stable_dt).min(0.1);
        if cam.approach(&goal, dt) {
            ui.ctx().request_repaint();
        } else {
            state.goal = None;
        }
    }
    let cam = *cam;
    state.last_view = Some((view, ppp));

    if state.uploaded != Some(scene.generation) {
        boxes_paint::upload_box_parts(render_state, &scene.parts);
        state.uploaded = Some(scene.generation);
    }
    let plane = paint3d::slice_plane(&scene.layout, volume);
    let hovered = response.hover_pos().and_then(|p| {
        let local = (p - view.min) * ppp;
        let (origin, dir) = cam.ray([local.x, local.y], size_px);
        // Boxes that are not drawn (zero opacity, or cut away by the slice) cannot be picked.
        let skip = |b: &crate::layout::layout3d::Box3| {
            let hidden = volume
                .is_some_and(|v| space.regions.get(b.region as usize).is_none_or(|r| v.opacity_of(r.kind) <= 0.0));
            hidden || paint3d::sliced_away(plane, b)
        };
        scene.pick(origin, dir, skip)
    });
    let painter = ui.painter_at(view);
    let proj = Projection { cam, view, ppp };
    paint3d::paint_scene3d(&painter, &proj, scene, marks, hovered, volume, &Palette::WINDOW);

    view_response(response, space, hovered)
}

/// The City view's controls: what heights encode.
pub fn city_controls_ui(ui: &mut Ui, metric: &mut HeightMetric) {
    ui.horizontal_wrapped(|ui| {
        ui.label("Height");
        for m in HeightMetric::ALL {
            ui.selectable_value(metric, m, m.title());
        }
    });
    ui.label(egui::RichText::new("Drag to orbit, right-drag to pan, wheel to zoom, F flies to the selection.").weak());
}

/// The Volume view's controls: opacity per kind present (`kind_counts`: the
/// legend's cached regions per kind, in `RegionKind::ALL` order, so that a
/// frame never walks a million regions), and the slicing plane.
pub fn volume_controls_ui(ui: &mut Ui, kind_counts: &[usize], style: &mut VolumeStyle) {
    ui.label("Opacity per kind");
    egui::Grid::new("volume_opacity").num_columns(2).spacing([8.0, 2.0]).show(ui, |ui| {
        for kind in RegionKind::ALL {
            if kind_counts.get(kind.index()).is_none_or(|n| *n == 0) {
                continue;
            }
            ui.label(kind.name());
            ui.add(egui::Slider::new(&mut style.opacity[kind.index()], 0.0..=1.0).show_value(false));
            ui.end_row();
        }
    });
    ui.checkbox(&mut style.slice, "Slice the cube");
    if style.slice {
        ui.horizontal(|ui| {
            for (a, name) in ["X", "Y", "Z"].iter().enumerate() {
                ui.selectable_value(&mut style.slice_axis, a, *name);
            }
            ui.add(egui::Slider::new(&mut style.slice_at, 0.0..=1.0).text("keep below"));
        });
    }
}
