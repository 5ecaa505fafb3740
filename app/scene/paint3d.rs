//! Painting a 3D scene into an egui painter: the GPU boxes (a paint callback
//! that draws the sky, the boxes and the slicing plane), hover, selection
//! and finding wireframes with badges, floating labels and ground ticks, in
//! the colours of a [`Palette`]. Used by the window's 3D widget and by
//! exported pictures.

use egui::{Painter, Pos2, Rect, Stroke, Vec2};

use super::paint2d::{Highlights, badge};
use super::params::VolumeStyle;
use super::scene3d::Scene3d;
use super::theme::Palette;
use crate::format::hex;
use crate::layout::layout3d::{Box3, BoxList, Layout3d};
use crate::render::BoxesStyle;
use crate::render::boxes_paint::{self, BoxesPaintCallback};
use crate::render::camera3d::OrbitCamera;

/// The camera that shows the whole scene at `aspect` (width / height).
pub fn fit_camera(layout: &Layout3d, aspect: f32) -> OrbitCamera {
    OrbitCamera::fit_with_aspect(layout.bounds_min, layout.bounds_max, aspect)
}

/// The slicing plane for the renderer: (normal, offset) with fragments where
/// dot(normal, p) > offset discarded.
pub fn slice_plane(layout: &Layout3d, volume: Option<&VolumeStyle>) -> Option<([f32; 3], f32)> {
    let v = volume.filter(|v| v.slice)?;
    let a = v.slice_axis.min(2);
    let mut n = [0.0; 3];
    n[a] = 1.0;
    let at = layout.bounds_min[a] + (layout.bounds_max[a] - layout.bounds_min[a]) * v.slice_at.clamp(0.0, 1.0);
    Some((n, at))
}

/// Whether box `b` is cut away by the slicing plane.
pub fn sliced_away(plane: Option<([f32; 3], f32)>, b: &Box3) -> bool {
    plane.is_some_and(|(n, at)| {
        let c = b.center();
        n[0] * c[0] + n[1] * c[1] + n[2] * c[2] > at
    })
}

/// How a 3D scene is lit and sliced, in `pal`'s sky (the window's and pictures').
pub fn boxes_style(layout: &Layout3d, volume: Option<&VolumeStyle>, pal: &Palette) -> BoxesStyle {
    BoxesStyle {
        sky_top: u32::from_le_bytes(pal.sky_top.to_array()),
        sky_bottom: u32::from_le_bytes(pal.sky_bottom.to_array()),
        light_dir: [0.45, 0.8, 0.35],
        ambient: 0.45,
        highlight: u32::from_le_bytes(pal.selection.to_array()),
        slice: slice_plane(layout, volume),
    }
}

/// Projects world points into `view` (points) for `cam`.
#[derive(Clone, Copy)]
pub struct Projection {
    pub cam: OrbitCamera,
    pub view: Rect,
    pub ppp: f32,
}

impl Projection {
    pub fn size_px(&self) -> [f32; 2] {
        [self.view.width() * self.ppp, self.view.height() * self.ppp]
    }

    pub fn project(&self, w: [f32; 3]) -> Option<Pos2> {
        self.cam.project(w, self.size_px()).map(|p| self.view.min + Vec2::new(p[0], p[1]) / self.ppp)
    }

    /// Where a region's largest box is on screen (the centre of its top face), if visible.
    pub fn region_pos(&self, scene: &Scene3d, region: u32) -> Option<Pos2> {
        let b = scene.largest_box(region)?;
        let pos = self.project(top_center(&b))?;
        self.view.contains(pos).then_some(pos)
    }
}

fn top_center(b: &Box3) -> [f32; 3] {
    [(b.min[0] + b.max[0]) * 0.5, b.max[1], (b.min[2] + b.max[2]) * 0.5]
}

/// Paints `scene` into `proj.view`: the GPU boxes (instances uploaded by the
/// caller), wireframes for hover, selection and marks, labels and ticks.
pub fn paint_scene3d(
    painter: &Painter,
    proj: &Projection,
    scene: &Scene3d,
    marks: Highlights<'_>,
    hovered: Option<u32>,
    volume: Option<&VolumeStyle>,
    pal: &Palette,
) {
    let view = proj.view;
    let cb = BoxesPaintCallback::new(proj.cam, view, proj.ppp, boxes_style(&scene.layout, volume, pal));
    painter.add(boxes_paint::paint_callback(view, cb));
    let project = |w: [f32; 3]| proj.project(w);
    if let Some(h) = hovered {
        wireframes(painter, scene, h, &project, Stroke::new(1.5, pal.hover));
    }
    if let Some(s) = marks.selected {
        wireframes(painter, scene, s, &project, Stroke::new(2.0, pal.selection));
    }
    for &m in marks.marked {
        wireframes(painter, scene, m, &project, Stroke::new(1.5, pal.mark));
        if let Some(b) = scene.largest_box(m)
            && let Some(p) = project(top_center(&b))
        {
            badge(painter, p, pal);
        }
    }
    draw_labels3d(painter, scene, &project, view, pal);
    draw_ground_ticks(painter, scene, &project, view, pal);
}

/// The 12 edges of each of a region's boxes (at most 64 boxes).
fn wireframes(
    painter: &Painter,
    scene: &Scene3d,
    region: u32,
    project: &dyn Fn([f32; 3]) -> Option<Pos2>,
    stroke: Stroke,
) {
    let boxes = scene.boxes();
    for &i in scene.box_indices(region).iter().take(64) {
        let Some(b) = boxes.box_at(i as usize) else { continue };
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

/// The labels that fit without overlapping: (backing rect, anchor, text).
fn placed_labels3d<'a>(
    scene: &'a Scene3d,
    project: &dyn Fn([f32; 3]) -> Option<Pos2>,
    view: Rect,
) -> Vec<(Rect, Pos2, &'a str)> {
    let mut taken: Vec<(Rect, Pos2, &str)> = Vec::new();
    for l in &scene.layout.labels {
        let Some(p) = project(l.anchor) else { continue };
        let width = l.text.len() as f32 * 6.6 + 8.0;
        let rect = Rect::from_center_size(p, Vec2::new(width, 16.0));
        if !view.contains_rect(rect) || taken.iter().any(|(r, _, _)| r.intersects(rect)) {
            continue;
        }
        taken.push((rect, p, &l.text));
    }
    taken
}

fn draw_labels3d(
    painter: &Painter,
    scene: &Scene3d,
    project: &dyn Fn([f32; 3]) -> Option<Pos2>,
    view: Rect,
    pal: &Palette,
) {
    let font = egui::FontId::proportional(12.0);
    for (rect, p, text) in placed_labels3d(scene, project, view) {
        painter.rect_filled(rect, 3.0, pal.label_plate);
        painter.text(p, egui::Align2::CENTER_CENTER, text, font.clone(), pal.label);
    }
}

fn draw_ground_ticks(
    painter: &Painter,
    scene: &Scene3d,
    project: &dyn Fn([f32; 3]) -> Option<Pos2>,
    view: Rect,
    pal: &Palette,
) {
    let font = egui::FontId::monospace(10.0);
    let mut taken: Vec<Rect> = Vec::new();
    for t in &scene.layout.ticks {
        let Some(p) = project(t.pos) else { continue };
        let text = hex(t.addr);
        let rect = Rect::from_min_size(p, Vec2::new(text.len() as f32 * 6.2 + 4.0, 12.0));
        if !view.contains_rect(rect) || taken.iter().any(|r| r.expand(60.0).intersects(rect)) {
            continue;
        }
        taken.push(rect);
        painter.circle_filled(p, 1.5, pal.tick);
        painter.text(p + Vec2::new(3.0, 0.0), egui::Align2::LEFT_TOP, text, font.clone(), pal.tick);
    }
}
