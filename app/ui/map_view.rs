//! The map view widget: draws a MapLayout with the GPU regions renderer (an
//! egui_wgpu paint callback), pans and zooms, picks what is under the cursor
//! with the layout's hit index, and draws selection, hover, labels and address
//! ticks on top with egui's painter.

use egui::{Color32, Pos2, Rect, Sense, Stroke, StrokeKind, Ui, Vec2};
use rayon::prelude::*;

use super::theme::{self, ColorMode};
use crate::dump::{AddressSpace, RegionKind};
use crate::format::{hex, human_size};
use crate::layout::hit::HitIndex;
use crate::layout::{self, MapLayout};
use crate::render::QuadInstance;
use crate::render::camera2d::{Camera2d, ViewportPx};
use crate::render::lod::QuadLod;
use crate::render::quads_paint::{self, QuadsPaintCallback};

/// Without a wgpu renderer (glow, or a test harness without one) the view
/// paints tiles with egui shapes; this many at most, the largest first.
const CPU_FALLBACK_MAX_TILES: usize = 60_000;

/// Room left of the map for row-start addresses, in points.
const TICK_GUTTER: f32 = 96.0;

/// What the view remembers between frames.
#[derive(Default)]
pub struct MapViewState {
    /// None: fit the layout on the next frame.
    pub camera: Option<Camera2d>,
    /// The instance generation last uploaded to the GPU.
    uploaded: Option<u64>,
    /// Selected region and its tiles (world rects), cached per selection.
    selected_tiles: Option<(u32, Vec<layout::Rect>)>,
    /// Where the view was drawn last frame, in points, and the points-to-pixels scale.
    last_view: Option<(Rect, f32)>,
    /// The user panned or zoomed since the last fit; until then a resized
    /// view refits.
    moved: bool,
}

impl MapViewState {
    /// Fit the whole layout into the view on the next frame.
    pub fn reset_camera(&mut self) {
        self.camera = None;
        self.moved = false;
    }

    /// Where a region's largest tile was on screen last frame (clipped to the
    /// view), if any of it was visible.
    pub fn screen_rect_of(&self, layout: &MapLayout, region: u32) -> Option<Rect> {
        let (cam, (view, ppp)) = (self.camera?, self.last_view?);
        let tile = layout
            .tiles
            .iter()
            .filter(|t| t.region == region)
            .max_by(|a, b| a.rect.area().total_cmp(&b.rect.area()))?;
        let r = Screen::new(cam, view, ppp).rect(&tile.rect).intersect(view);
        r.is_positive().then_some(r)
    }

    /// Centre the camera on a region's first tile, keeping the zoom.
    pub fn focus(&mut self, layout: &MapLayout, region: u32) {
        if let (Some(cam), Some(tile)) = (self.camera.as_mut(), layout.tiles.iter().find(|t| t.region == region)) {
            cam.center = tile.rect.center();
        }
    }
}

/// Everything the view draws; owned by the caller, rebuilt only when the
/// dump, the view kind, the filters or the colouring change.
pub struct MapScene {
    pub layout: MapLayout,
    pub hit: HitIndex,
    pub instances: Vec<QuadInstance>,
    /// `instances` and their coarser levels, as the GPU draws them (built
    /// here, where a big dump's scene is built off the UI thread).
    pub lod: QuadLod,
    /// Changes whenever `instances` change, so the GPU copy is refreshed.
    pub generation: u64,
}

impl MapScene {
    pub fn new(space: &AddressSpace, layout: MapLayout, mode: ColorMode, generation: u64) -> MapScene {
        // The picking index and the GPU's quads do not depend on each other.
        let (hit, (instances, lod)) = rayon::join(
            || HitIndex::new(&layout),
            || {
                let instances = build_instances(space, &layout, mode);
                let lod = QuadLod::build(&instances);
                (instances, lod)
            },
        );
        MapScene { layout, hit, instances, lod, generation }
    }
}

/// One quad per tile, coloured by `mode`; compressed gaps are flagged so the
/// shader hatches them.
pub fn build_instances(space: &AddressSpace, layout: &MapLayout, mode: ColorMode) -> Vec<QuadInstance> {
    layout
        .tiles
        .par_iter()
        .map(|t| {
            let color = space
                .regions
                .get(t.region as usize)
                .map(|r| theme::region_color(mode, r))
                .unwrap_or(theme::MAP_BACKGROUND);
            QuadInstance {
                min: t.rect.min,
                max: t.rect.max,
                color: u32::from_le_bytes(color.to_array()),
                flags: if t.compressed { QuadInstance::COMPRESSED } else { 0 },
            }
        })
        .collect()
}

/// What a view marks besides hover: the selected region and the regions a
/// selected pattern finding involves.
#[derive(Clone, Copy, Default)]
pub struct Highlights<'a> {
    pub selected: Option<u32>,
    pub marked: &'a [u32],
}

/// How the view reaches the GPU.
#[derive(Clone, Copy)]
pub enum MapGpu<'a> {
    /// The window's wgpu state: the view uploads instances when they change.
    Window(&'a egui_wgpu::RenderState),
    /// An offscreen renderer that already holds the scene's instances.
    Preloaded,
    /// No wgpu renderer: tiles are painted with egui shapes.
    Cpu,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MapResponse {
    pub hovered: Option<u32>,
    pub clicked: Option<u32>,
}

/// The camera works in physical pixels; egui in points. This converts.
#[derive(Clone, Copy)]
struct Screen {
    cam: Camera2d,
    vp: ViewportPx,
    ppp: f32,
}

impl Screen {
    fn new(cam: Camera2d, view: Rect, ppp: f32) -> Screen {
        Screen { cam, vp: quads_paint::viewport_px(view, ppp), ppp }
    }
    fn to_screen(self, p: [f32; 2]) -> Pos2 {
        let s = self.cam.world_to_screen(p, self.vp);
        Pos2::new(s[0] / self.ppp, s[1] / self.ppp)
    }
    fn to_world(self, p: Pos2) -> [f32; 2] {
        self.cam.screen_to_world([p.x * self.ppp, p.y * self.ppp], self.vp)
    }
    fn rect(&self, r: &layout::Rect) -> Rect {
        Rect::from_min_max(self.to_screen(r.min), self.to_screen(r.max))
    }
}

/// Draws the map filling the available space.
pub fn map_view_ui(
    ui: &mut Ui,
    state: &mut MapViewState,
    space: &AddressSpace,
    scene: &MapScene,
    marks: Highlights<'_>,
    gpu: MapGpu<'_>,
) -> MapResponse {
    let Highlights { selected, marked } = marks;
    let (view, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    let ppp = ui.ctx().pixels_per_point();
    let bounds = &scene.layout.bounds;
    // Row-start ticks are written left of the map: leave them a gutter.
    let gutter = if scene.layout.ticks.iter().any(|t| t.pos[0] <= bounds.min[0]) { TICK_GUTTER } else { 0.0 };
    let fit = || {
        let mut cam =
            Camera2d::fit(bounds.min, bounds.max, [(view.width() - gutter) * ppp, view.height() * ppp], 24.0 * ppp);
        cam.center[0] -= gutter * 0.5 * ppp / cam.px_per_unit;
        cam
    };
    let home = ui.input(|i| i.key_pressed(egui::Key::Home)) && response.hovered();
    let resized = state.last_view.is_some_and(|(v, p)| v.size() != view.size() || p != ppp);
    if state.camera.is_none() || response.double_clicked() || home || (resized && !state.moved) {
        state.camera = Some(fit());
        state.moved = false;
    }
    let cam = state.camera.get_or_insert_with(fit);

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

    let painter = ui.painter_at(view);
    painter.rect_filled(view, 0.0, theme::MAP_BACKGROUND);
    let cpu = matches!(gpu, MapGpu::Cpu);
    if let MapGpu::Window(rs) = gpu
        && state.uploaded != Some(scene.generation)
    {
        quads_paint::upload_lod(rs, &scene.lod);
        state.uploaded = Some(scene.generation);
    }
    match cpu {
        false => {
            let cb = QuadsPaintCallback::new(
                screen.cam,
                view,
                ppp,
                u32::from_le_bytes(theme::SELECTION.to_array()),
                u32::from_le_bytes(theme::MAP_BACKGROUND.to_array()),
            );
            painter.add(quads_paint::paint_callback(view, cb));
        }
        true => paint_tiles_cpu(&painter, &screen, view, scene),
    }

    // What is under the cursor: the same geometry that is drawn.
    let hovered = response.hover_pos().and_then(|p| scene.hit.hit(&scene.layout, screen.to_world(p)));
    if let Some(h) = hovered {
        let tiles: Vec<layout::Rect> =
            scene.hit.tiles_of(h).iter().take(4096).map(|&t| scene.layout.tiles[t as usize].rect).collect();
        highlight_tiles(&painter, &screen, &tiles, theme::HOVER, 1.5);
    }
    if let Some(sel) = selected {
        if state.selected_tiles.as_ref().is_none_or(|(s, _)| *s != sel) {
            let tiles = scene.hit.tiles_of(sel).iter().map(|&t| scene.layout.tiles[t as usize].rect).collect();
            state.selected_tiles = Some((sel, tiles));
        }
        if let Some((_, tiles)) = &state.selected_tiles {
            highlight_tiles(&painter, &screen, tiles, theme::SELECTION, 2.5);
        }
    }
    for &m in marked {
        let tiles: Vec<layout::Rect> =
            scene.hit.tiles_of(m).iter().take(4096).map(|&t| scene.layout.tiles[t as usize].rect).collect();
        highlight_tiles(&painter, &screen, &tiles, theme::FINDING_MARK, 2.0);
        if let Some(r) = state.screen_rect_of(&scene.layout, m) {
            badge(&painter, r.right_top());
        }
    }
    draw_labels(&painter, &screen, view, &scene.layout);
    draw_ticks(&painter, &screen, view, &scene.layout);

    let clicked = if response.clicked() { hovered } else { None };
    if let Some(h) = hovered
        && !response.dragged()
    {
        response.on_hover_ui_at_pointer(|ui| region_tooltip_ui(ui, space, h));
    }
    MapResponse { hovered, clicked }
}

/// The finding badge: a "!" disc.
pub(crate) fn badge(painter: &egui::Painter, at: Pos2) {
    painter.circle_filled(at, 7.0, theme::FINDING_MARK);
    painter.circle_stroke(at, 7.0, Stroke::new(1.0, Color32::BLACK));
    painter.text(at, egui::Align2::CENTER_CENTER, "!", egui::FontId::proportional(11.0), Color32::WHITE);
}

/// Marks a region: a translucent wash over each of its tiles and one outline
/// around them all (a strip region wraps over many thin rows; outlining every
/// row would paint it solid).
fn highlight_tiles(painter: &egui::Painter, screen: &Screen, tiles: &[layout::Rect], color: Color32, width: f32) {
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
fn paint_tiles_cpu(painter: &egui::Painter, screen: &Screen, view: Rect, scene: &MapScene) {
    let mut order: Vec<usize> = (0..scene.instances.len()).collect();
    if order.len() > CPU_FALLBACK_MAX_TILES {
        order.sort_by(|a, b| {
            let area = |i: usize| {
                let q = &scene.instances[i];
                (q.max[0] - q.min[0]) * (q.max[1] - q.min[1])
            };
            area(*b).total_cmp(&area(*a))
        });
        order.truncate(CPU_FALLBACK_MAX_TILES);
    }
    for i in order {
        let q = &scene.instances[i];
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

fn draw_labels(painter: &egui::Painter, screen: &Screen, view: Rect, layout: &MapLayout) {
    let font = egui::FontId::proportional(12.0);
    for label in &layout.labels {
        let room = screen.rect(&label.room);
        if !room.intersects(view) || room.height() < 14.0 {
            continue;
        }
        // Glyphs average about 0.55 em: skip labels that cannot fit.
        let needed = label.text.len() as f32 * 12.0 * 0.55 + 6.0;
        if room.width() < needed {
            continue;
        }
        let pos = screen.to_screen(label.anchor);
        painter.text(pos + Vec2::splat(1.0), egui::Align2::CENTER_CENTER, &label.text, font.clone(), Color32::BLACK);
        painter.text(pos, egui::Align2::CENTER_CENTER, &label.text, font.clone(), theme::MAP_TEXT);
    }
}

/// Address ticks. Those at the left edge of the layout (strip row starts)
/// are written in the gutter left of the map; the others get a mark, and
/// their text only when zoomed in far enough that ticks stand well apart.
fn draw_ticks(painter: &egui::Painter, screen: &Screen, view: Rect, layout: &MapLayout) {
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
                painter.text(pos + Vec2::new(-5.0, 0.0), egui::Align2::RIGHT_TOP, text, font.clone(), theme::MAP_TICK);
            }
            continue;
        }
        painter.line_segment([pos, pos + Vec2::new(0.0, -4.0)], Stroke::new(1.0, theme::MAP_TICK));
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
        painter.rect_filled(text_rect, 2.0, theme::MAP_TICK_BACKING);
        painter.text(pos + Vec2::new(3.0, -5.0), egui::Align2::LEFT_BOTTOM, text, font.clone(), theme::MAP_TICK);
    }
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
