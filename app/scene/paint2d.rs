//! Painting a flat scene into an egui painter: the GPU quads (a paint
//! callback, or egui shapes without a wgpu renderer), hover, selection and
//! finding marks, region labels and address ticks, in the colours of a
//! [`Palette`]. The window's map widget and exported pictures both paint
//! through here, so a picture is the window's map in the export's colours.

use egui::{Color32, Painter, Pos2, Rect, Stroke, StrokeKind, Vec2};

use super::scene2d::Scene2d;
use super::theme::Palette;
use crate::format::hex;
use crate::layout::{self, Layout2d};
use crate::render::camera2d::{Camera2d, ViewportPx};
use crate::render::quads_paint::{self, QuadsPaintCallback};

/// Without a wgpu renderer (glow, or a test harness without one) the view
/// paints tiles with egui shapes; this many at most, the largest first.
const CPU_FALLBACK_MAX_TILES: usize = 60_000;

/// Room left of the map for row-start addresses, in points.
pub const TICK_GUTTER: f32 = 96.0;

/// At most this many tiles are outlined for a hovered or marked region.
const MAX_MARKED_TILES: usize = 4096;

/// What a view marks besides hover: the selected region and the regions a
/// selected pattern finding involves.
#[derive(Clone, Copy, Default)]
pub struct Highlights<'a> {
    pub selected: Option<u32>,
    pub marked: &'a [u32],
}

/// How the quads reach the screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuadsOn {
    /// The GPU quads renderer (a paint callback; the instances are uploaded by the caller).
    Gpu,
    /// egui shapes, the largest tiles first (no wgpu renderer).
    Cpu,
}

/// The camera works in physical pixels; egui in points. This converts.
#[derive(Clone, Copy)]
pub struct Screen {
    pub cam: Camera2d,
    /// The view's rect in points.
    pub view: Rect,
    vp: ViewportPx,
    ppp: f32,
}

impl Screen {
    pub fn new(cam: Camera2d, view: Rect, ppp: f32) -> Screen {
        Screen { cam, view, vp: quads_paint::viewport_px(view, ppp), ppp }
    }
    pub fn to_screen(self, p: [f32; 2]) -> Pos2 {
        let s = self.cam.world_to_screen(p, self.vp);
        Pos2::new(s[0] / self.ppp, s[1] / self.ppp)
    }
    pub fn to_world(self, p: Pos2) -> [f32; 2] {
        self.cam.screen_to_world([p.x * self.ppp, p.y * self.ppp], self.vp)
    }
    pub fn rect(&self, r: &layout::Rect) -> Rect {
        Rect::from_min_max(self.to_screen(r.min), self.to_screen(r.max))
    }
}

/// The camera that shows the whole layout in `view` (points, at `ppp` pixels
/// per point), leaving a gutter on the left for row-start addresses.
pub fn fit_camera(layout: &Layout2d, view: Rect, ppp: f32) -> Camera2d {
    let bounds = &layout.bounds;
    let gutter = if layout.ticks.iter().any(|t| t.pos[0] <= bounds.min[0]) { TICK_GUTTER } else { 0.0 };
    let mut cam =
        Camera2d::fit(bounds.min, bounds.max, [(view.width() - gutter) * ppp, view.height() * ppp], 24.0 * ppp);
    cam.center[0] -= gutter * 0.5 * ppp / cam.px_per_unit;
    cam
}

/// Where a region's largest tile is on screen (clipped to the view), if any of it is visible.
pub fn screen_rect_of(scene: &Scene2d, screen: &Screen, view: Rect, region: u32) -> Option<Rect> {
    let r = screen.rect(&scene.largest_tile(region)?).intersect(view);
    r.is_positive().then_some(r)
}

/// Paints `scene` into `view`: background, quads, hover, selection, marks with
/// badges, labels and ticks.
pub fn paint_scene2d(
    painter: &Painter,
    screen: &Screen,
    scene: &Scene2d,
    marks: Highlights<'_>,
    hovered: Option<u32>,
    quads: QuadsOn,
    pal: &Palette,
) {
    let (ppp, view) = (screen.ppp, screen.view);
    painter.rect_filled(view, 0.0, pal.background);
    match quads {
        QuadsOn::Gpu => {
            let cb = QuadsPaintCallback::new(
                screen.cam,
                view,
                ppp,
                u32::from_le_bytes(pal.selection.to_array()),
                u32::from_le_bytes(pal.background.to_array()),
            );
            painter.add(quads_paint::paint_callback(view, cb));
        }
        QuadsOn::Cpu => paint_tiles_cpu(painter, screen, view, scene),
    }
    if let Some(h) = hovered {
        highlight_tiles(painter, screen, &scene.tiles_of(h, MAX_MARKED_TILES), pal.hover, 1.5);
    }
    if let Some(sel) = marks.selected {
        highlight_tiles(painter, screen, &scene.tiles_of(sel, usize::MAX), pal.selection, 2.5);
    }
    for &m in marks.marked {
        highlight_tiles(painter, screen, &scene.tiles_of(m, MAX_MARKED_TILES), pal.mark, 2.0);
        if let Some(r) = screen_rect_of(scene, screen, view, m) {
            badge(painter, r.right_top(), pal);
        }
    }
    draw_labels(painter, screen, view, &scene.layout, pal);
    draw_ticks(painter, screen, view, &scene.layout, pal);
}

/// The finding badge: a "!" disc.
pub fn badge(painter: &Painter, at: Pos2, pal: &Palette) {
    painter.circle_filled(at, 7.0, pal.mark);
    painter.circle_stroke(at, 7.0, Stroke::new(1.0, Color32::BLACK));
    painter.text(at, egui::Align2::CENTER_CENTER, "!", egui::FontId::proportional(11.0), Color32::WHITE);
}

/// Marks a region: a translucent wash over each of its tiles and one outline
/// around them all (a strip region wraps over many thin rows; outlining every
/// row would paint it solid).
fn highlight_tiles(painter: &Painter, screen: &Screen, tiles: &[layout::Rect], color: Color32, width: f32) {
    let mut bbox = Rect::NOTHING;
    for t in tiles {
        let r = screen.rect(t);
        bbox = bbox.union(r);
        if tiles.len() > 1 {
            painter.rect_filled(r, 0.0, color.gamma_multiply(0.25));
        }
    }
    if bbox.is_positive() {
        painter.rect_stroke(bbox.expand(1.0), 0.0, Stroke::new(width, color), StrokeKind::Outside);
    }
}

/// Tiles drawn with egui shapes, largest first, when no GPU renderer is there.
fn paint_tiles_cpu(painter: &Painter, screen: &Screen, view: Rect, scene: &Scene2d) {
    let mut order: Vec<usize> = (0..scene.instances().len()).collect();
    if order.len() > CPU_FALLBACK_MAX_TILES {
        order.sort_by(|a, b| {
            let area = |i: usize| {
                let q = &scene.instances()[i];
                (q.max[0] - q.min[0]) * (q.max[1] - q.min[1])
            };
            area(*b).total_cmp(&area(*a))
        });
        order.truncate(CPU_FALLBACK_MAX_TILES);
    }
    for i in order {
        let q = &scene.instances()[i];
        let rect = screen.rect(&layout::Rect { min: q.min, max: q.max });
        if !rect.intersects(view) {
            continue;
        }
        let [r, g, b, a] = q.color.to_le_bytes();
        painter.rect_filled(rect, 0.0, Color32::from_rgba_premultiplied(r, g, b, a));
        if rect.width() > 4.0 && rect.height() > 4.0 {
            painter.rect_stroke(rect, 0.0, Stroke::new(1.0, Color32::from_black_alpha(90)), StrokeKind::Inside);
        }
    }
}

/// The labels whose room is big enough on screen: (anchor on screen, text).
fn placed_labels<'a>(screen: &'a Screen, view: Rect, layout: &'a Layout2d) -> impl Iterator<Item = (Pos2, &'a str)> {
    layout.labels.iter().filter_map(move |label| {
        let room = screen.rect(&label.room);
        if !room.intersects(view) || room.height() < 14.0 {
            return None;
        }
        // Glyphs average about 0.55 em: skip labels that cannot fit.
        let needed = label.text.len() as f32 * 12.0 * 0.55 + 6.0;
        (room.width() >= needed).then(|| (screen.to_screen(label.anchor), label.text.as_str()))
    })
}

fn draw_labels(painter: &Painter, screen: &Screen, view: Rect, layout: &Layout2d, pal: &Palette) {
    let font = egui::FontId::proportional(12.0);
    for (pos, text) in placed_labels(screen, view, layout) {
        painter.text(pos + Vec2::splat(1.0), egui::Align2::CENTER_CENTER, text, font.clone(), pal.label_shadow);
        painter.text(pos, egui::Align2::CENTER_CENTER, text, font.clone(), pal.label);
    }
}

/// Address ticks. Those at the left edge of the layout (strip row starts)
/// are written in the gutter left of the map; the others get a mark, and
/// their text only when zoomed in far enough that ticks stand well apart.
fn draw_ticks(painter: &Painter, screen: &Screen, view: Rect, layout: &Layout2d, pal: &Palette) {
    let font = egui::FontId::monospace(10.0);
    let left = layout.bounds.min[0];
    let mut taken: Vec<Rect> = Vec::new();
    for (i, t) in layout.ticks.iter().enumerate() {
        let pos = screen.to_screen(t.pos);
        if !view.expand(2.0).contains(pos) {
            continue;
        }
        let text = hex(t.addr);
        let width = text.len() as f32 * 6.2;
        if t.pos[0] <= left {
            let room = Rect::from_min_size(pos + Vec2::new(-width - 8.0, 0.0), Vec2::new(width + 6.0, 12.0));
            if !taken.iter().any(|r| r.intersects(room)) {
                taken.push(room);
                painter.text(pos + Vec2::new(-5.0, 0.0), egui::Align2::RIGHT_TOP, text, font.clone(), pal.tick);
            }
            continue;
        }
        painter.line_segment([pos, pos + Vec2::new(0.0, -4.0)], Stroke::new(1.0, pal.tick));
        let apart = |j: Option<usize>| {
            j.and_then(|j| layout.ticks.get(j)).is_none_or(|n| screen.to_screen(n.pos).distance(pos) >= 220.0)
        };
        if !(apart(i.checked_sub(1)) && apart(Some(i + 1))) {
            continue;
        }
        let room = Rect::from_min_size(pos + Vec2::new(-4.0, -18.0), Vec2::new(width + 24.0, 20.0));
        if taken.iter().any(|r| r.intersects(room)) {
            continue;
        }
        taken.push(room);
        let text_rect = Rect::from_min_size(pos + Vec2::new(1.0, -17.0), Vec2::new(width + 4.0, 12.0));
        painter.rect_filled(text_rect, 2.0, pal.tick_backing);
        painter.text(pos + Vec2::new(3.0, -5.0), egui::Align2::LEFT_BOTTOM, text, font.clone(), pal.tick_on_backing);
    }
}
