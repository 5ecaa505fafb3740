//! The 3D view widget (City and Volume): draws a Scene3D with the GPU boxes
//! renderer, orbits, pans and zooms toward the cursor with smooth motion,
//! picks the box under the cursor with a ray, and draws hover and selection
//! wireframes, floating labels and ground ticks with egui's painter.

use egui::{Color32, Pos2, Rect, Sense, Stroke, Ui, Vec2};
use rayon::prelude::*;

use super::map_view::{Highlights, region_tooltip_ui};
use super::theme::{self, ColorMode};
use crate::dump::{AddressSpace, RegionKind};
use crate::format::hex;
use crate::layout::hit3d::Hit3dIndex;
use crate::layout::scene3d::{Box3, Scene3D};
use crate::render::boxes_paint::{self, BoxesPaintCallback};
use crate::render::camera3d::OrbitCamera;
use crate::render::{BoxInstance, BoxesStyle};

/// Per-kind opacity and the slicing plane of the Volume view.
#[derive(Clone, Debug, PartialEq)]
pub struct VolumeStyle {
    /// Opacity 0..=1 per kind, indexed like `RegionKind::ALL`.
    pub opacity: [f32; RegionKind::ALL.len()],
    /// Slice: keep cells below `slice_at` (0..=1 of the cube) along `slice_axis`.
    pub slice: bool,
    pub slice_axis: usize,
    pub slice_at: f32,
}

impl Default for VolumeStyle {
    fn default() -> Self {
        let mut opacity = [1.0; RegionKind::ALL.len()];
        for (i, k) in RegionKind::ALL.iter().enumerate() {
            opacity[i] = match k {
                // Free space invisible, unknown and reserved space faint, so
                // modules, heaps and stacks stand out as bodies.
                RegionKind::Free => 0.0,
                RegionKind::Unknown => 0.04,
                RegionKind::Reserved | RegionKind::Unusable => 0.12,
                _ => 1.0,
            };
        }
        VolumeStyle { opacity, slice: false, slice_axis: 2, slice_at: 0.5 }
    }
}

impl VolumeStyle {
    pub fn opacity_of(&self, kind: RegionKind) -> f32 {
        RegionKind::ALL.iter().position(|k| *k == kind).map(|i| self.opacity[i]).unwrap_or(1.0)
    }
}

/// What the 3D view draws; rebuilt when the dump, view, filters, metric,
/// colouring, opacity or selection change.
pub struct Scene3dData {
    pub scene: Scene3D,
    pub hit: Hit3dIndex,
    pub instances: Vec<BoxInstance>,
    pub generation: u64,
}

impl Scene3dData {
    pub fn new(
        space: &AddressSpace,
        scene: Scene3D,
        mode: ColorMode,
        volume: Option<&VolumeStyle>,
        selected: Option<u32>,
        generation: u64,
    ) -> Scene3dData {
        // The picking index and the instances do not depend on each other.
        let (hit, instances) =
            rayon::join(|| Hit3dIndex::new(&scene), || box_instances(space, &scene, mode, volume, selected));
        Scene3dData { scene, hit, instances, generation }
    }

    /// Recolours the boxes (colouring, opacity, selection) without touching
    /// the geometry or the picking index: a click must not rebuild those.
    pub fn restyle(
        &mut self,
        space: &AddressSpace,
        mode: ColorMode,
        volume: Option<&VolumeStyle>,
        selected: Option<u32>,
        generation: u64,
    ) {
        self.instances = box_instances(space, &self.scene, mode, volume, selected);
        self.generation = generation;
    }
}

/// One instance per box, coloured by `mode` (and `volume`'s opacities).
fn box_instances(
    space: &AddressSpace,
    scene: &Scene3D,
    mode: ColorMode,
    volume: Option<&VolumeStyle>,
    selected: Option<u32>,
) -> Vec<BoxInstance> {
    scene
        .boxes
        .par_iter()
        .map(|b| {
            let Some(r) = space.regions.get(b.region as usize) else {
                return BoxInstance { min: b.min, color: 0, max: b.max, flags: 0 };
            };
            let opacity = volume.map(|v| v.opacity_of(r.kind)).unwrap_or(1.0);
            let color = if r.kind == RegionKind::Free && volume.is_none() {
                theme::CITY_STREET
            } else {
                theme::region_color(mode, r)
            };
            // The renderer blends premultiplied colours, as egui does.
            let alpha = (opacity.clamp(0.0, 1.0) * 255.0).round() as u8;
            let [cr, cg, cb, _] = color.gamma_multiply_u8(alpha).to_array();
            let mut flags = 0;
            if b.compressed {
                flags |= BoxInstance::COMPRESSED;
            }
            if Some(b.region) == selected {
                flags |= BoxInstance::SELECTED;
            }
            BoxInstance { min: b.min, color: u32::from_le_bytes([cr, cg, cb, alpha]), max: b.max, flags }
        })
        .collect()
}

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
    pub fn fly_to(&mut self, data: &Scene3dData, region: u32) {
        let (Some(cam), Some(b)) = (self.camera, largest_box(data, region)) else { return };
        let size = (0..3).map(|a| b.max[a] - b.min[a]).fold(0.0f32, f32::max).max(1.0);
        let mut goal = cam;
        goal.target = b.center();
        goal.distance = (size * 3.0).max(8.0);
        self.goal = Some(goal);
    }

    /// Sets the camera outright (from `--camera`), keeping the fitted target.
    pub fn set_view_angles(
        &mut self,
        data: &Scene3dData,
        yaw_deg: f32,
        pitch_deg: f32,
        distance: f32,
        target: Option<[f32; 3]>,
    ) {
        let target = target.unwrap_or_else(|| fit(&data.scene, 1.6).target);
        self.camera = Some(OrbitCamera::from_yaw_pitch_distance(target, yaw_deg, pitch_deg, distance));
        self.goal = None;
    }

    /// Where a region's largest box was on screen last frame (the projected
    /// centre of its top face), if visible.
    pub fn screen_pos_of(&self, data: &Scene3dData, region: u32) -> Option<Pos2> {
        let (cam, (view, ppp)) = (self.camera?, self.last_view?);
        let b = largest_box(data, region)?;
        let top = [(b.min[0] + b.max[0]) * 0.5, b.max[1], (b.min[2] + b.max[2]) * 0.5];
        let p = cam.project(top, [view.width() * ppp, view.height() * ppp])?;
        let pos = view.min + Vec2::new(p[0], p[1]) / ppp;
        view.contains(pos).then_some(pos)
    }
}

fn largest_box(data: &Scene3dData, region: u32) -> Option<&Box3> {
    let volume = |b: &Box3| (0..3).map(|a| (b.max[a] - b.min[a]).max(0.0)).product::<f32>();
    data.hit
        .boxes_of(region)
        .iter()
        .map(|&i| &data.scene.boxes[i as usize])
        .max_by(|a, b| volume(a).total_cmp(&volume(b)))
}

fn fit(scene: &Scene3D, aspect: f32) -> OrbitCamera {
    OrbitCamera::fit_with_aspect(scene.bounds_min, scene.bounds_max, aspect)
}

/// How the view reaches the GPU.
#[derive(Clone, Copy)]
pub enum Gpu3d<'a> {
    Window(&'a egui_wgpu::RenderState),
    /// An offscreen renderer that already holds the instances.
    Preloaded,
}

/// The slicing plane for the renderer: (normal, offset) with fragments where
/// dot(normal, p) > offset discarded.
fn slice_plane(scene: &Scene3D, volume: Option<&VolumeStyle>) -> Option<([f32; 3], f32)> {
    let v = volume.filter(|v| v.slice)?;
    let a = v.slice_axis.min(2);
    let mut n = [0.0; 3];
    n[a] = 1.0;
    let at = scene.bounds_min[a] + (scene.bounds_max[a] - scene.bounds_min[a]) * v.slice_at.clamp(0.0, 1.0);
    Some((n, at))
}

fn style(scene: &Scene3D, volume: Option<&VolumeStyle>) -> BoxesStyle {
    BoxesStyle {
        sky_top: u32::from_le_bytes(theme::SKY_TOP.to_array()),
        sky_bottom: u32::from_le_bytes(theme::SKY_BOTTOM.to_array()),
        light_dir: [0.45, 0.8, 0.35],
        ambient: 0.45,
        highlight: u32::from_le_bytes(theme::SELECTION.to_array()),
        slice: slice_plane(scene, volume),
    }
}

/// Draws the 3D view filling the available space; returns the hovered and
/// clicked regions.
pub fn view3d_ui(
    ui: &mut Ui,
    state: &mut View3dState,
    space: &AddressSpace,
    data: &Scene3dData,
    marks: Highlights<'_>,
    volume: Option<&VolumeStyle>,
    gpu: Gpu3d<'_>,
) -> super::map_view::MapResponse {
    let Highlights { selected, marked } = marks;
    let (view, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    let ppp = ui.ctx().pixels_per_point();
    let size_px = [view.width() * ppp, view.height() * ppp];
    let home = ui.input(|i| i.key_pressed(egui::Key::Home)) && response.hovered();
    if state.camera.is_none() || response.double_clicked() || home {
        let fitted = fit(&data.scene, size_px[0] / size_px[1].max(1.0));
        if state.camera.is_none() {
            state.camera = Some(fitted);
        } else {
            state.goal = Some(fitted);
        }
    }
    if ui.input(|i| i.key_pressed(egui::Key::F))
        && response.hovered()
        && let Some(sel) = selected
    {
        state.fly_to(data, sel);
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

    if let Gpu3d::Window(rs) = gpu
        && state.uploaded != Some(data.generation)
    {
        boxes_paint::upload_box_instances(rs, &data.instances);
        state.uploaded = Some(data.generation);
    }
    let painter = ui.painter_at(view);
    let cb = BoxesPaintCallback::new(cam, view, ppp, style(&data.scene, volume));
    painter.add(boxes_paint::paint_callback(view, cb));

    let project = |w: [f32; 3]| cam.project(w, size_px).map(|p| view.min + Vec2::new(p[0], p[1]) / ppp);
    let plane = slice_plane(&data.scene, volume);
    let hovered = response.hover_pos().and_then(|p| {
        let local = (p - view.min) * ppp;
        let (origin, dir) = cam.ray([local.x, local.y], size_px);
        // Boxes that are not drawn (zero opacity, or cut away by the slice) cannot be picked.
        let skip = |b: &Box3| {
            let hidden = volume
                .is_some_and(|v| space.regions.get(b.region as usize).is_none_or(|r| v.opacity_of(r.kind) <= 0.0));
            hidden
                || plane.is_some_and(|(n, at)| {
                    let c = b.center();
                    n[0] * c[0] + n[1] * c[1] + n[2] * c[2] > at
                })
        };
        data.hit.pick(&data.scene, origin, dir, skip).map(|(i, _)| data.scene.boxes[i].region)
    });
    if let Some(h) = hovered {
        wireframes(&painter, data, h, &project, Stroke::new(1.5, theme::HOVER));
    }
    if let Some(s) = selected {
        wireframes(&painter, data, s, &project, Stroke::new(2.0, theme::SELECTION));
    }
    for &m in marked {
        wireframes(&painter, data, m, &project, Stroke::new(1.5, theme::FINDING_MARK));
        if let Some(b) = largest_box(data, m)
            && let Some(p) = project([(b.min[0] + b.max[0]) * 0.5, b.max[1], (b.min[2] + b.max[2]) * 0.5])
        {
            super::map_view::badge(&painter, p);
        }
    }
    draw_labels3d(&painter, data, &project, view);
    draw_ground_ticks(&painter, data, &project, view);

    let clicked = if response.clicked() { hovered } else { None };
    if let Some(h) = hovered
        && !response.dragged()
    {
        response.on_hover_ui_at_pointer(|ui| region_tooltip_ui(ui, space, h));
    }
    super::map_view::MapResponse { hovered, clicked }
}

/// The 12 edges of each of a region's boxes (at most 64 boxes).
fn wireframes(
    painter: &egui::Painter,
    data: &Scene3dData,
    region: u32,
    project: &dyn Fn([f32; 3]) -> Option<Pos2>,
    stroke: Stroke,
) {
    for &i in data.hit.boxes_of(region).iter().take(64) {
        let b = &data.scene.boxes[i as usize];
        // Corner i has bit 0 for x, bit 1 for y, bit 2 for z set at the max;
        // the 12 edges join corners that differ in one bit.
        let corner = |i: usize| {
            let pick = |bit: usize, a: usize| if i & bit == 0 { b.min[a] } else { b.max[a] };
            [pick(1, 0), pick(2, 1), pick(4, 2)]
        };
        for i in 0..8 {
            for bit in [1, 2, 4] {
                if i & bit == 0
                    && let (Some(p), Some(q)) = (project(corner(i)), project(corner(i | bit)))
                {
                    painter.line_segment([p, q], stroke);
                }
            }
        }
    }
}

fn draw_labels3d(painter: &egui::Painter, data: &Scene3dData, project: &dyn Fn([f32; 3]) -> Option<Pos2>, view: Rect) {
    let font = egui::FontId::proportional(12.0);
    let mut taken: Vec<Rect> = Vec::new();
    for l in &data.scene.labels {
        let Some(p) = project(l.anchor) else { continue };
        let width = l.text.len() as f32 * 6.6 + 8.0;
        let rect = Rect::from_center_size(p, Vec2::new(width, 16.0));
        if !view.contains_rect(rect) || taken.iter().any(|r| r.intersects(rect)) {
            continue;
        }
        taken.push(rect);
        painter.rect_filled(rect, 3.0, theme::MAP_TICK_BACKING);
        painter.text(p, egui::Align2::CENTER_CENTER, &l.text, font.clone(), theme::MAP_TEXT);
    }
}

fn draw_ground_ticks(
    painter: &egui::Painter,
    data: &Scene3dData,
    project: &dyn Fn([f32; 3]) -> Option<Pos2>,
    view: Rect,
) {
    let font = egui::FontId::monospace(10.0);
    let mut taken: Vec<Rect> = Vec::new();
    for t in &data.scene.ticks {
        let Some(p) = project(t.pos) else { continue };
        let text = hex(t.addr);
        let rect = Rect::from_min_size(p, Vec2::new(text.len() as f32 * 6.2 + 4.0, 12.0));
        if !view.contains_rect(rect) || taken.iter().any(|r| r.expand(60.0).intersects(rect)) {
            continue;
        }
        taken.push(rect);
        painter.circle_filled(p, 1.5, theme::MAP_TICK);
        painter.text(p + Vec2::new(3.0, 0.0), egui::Align2::LEFT_TOP, text, font.clone(), Color32::from_gray(200));
    }
}

/// The Volume view's controls: opacity per kind present, and the slicing plane.
pub fn volume_controls_ui(ui: &mut Ui, space: &AddressSpace, style: &mut VolumeStyle) {
    let counts = space.regions_by_kind();
    ui.label("Opacity per kind");
    egui::Grid::new("volume_opacity").num_columns(2).spacing([8.0, 2.0]).show(ui, |ui| {
        for (i, kind) in RegionKind::ALL.iter().enumerate() {
            if counts[kind] == 0 {
                continue;
            }
            ui.label(kind.name());
            ui.add(egui::Slider::new(&mut style.opacity[i], 0.0..=1.0).show_value(false));
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
