//! GPU tests of the render layer, run headless (lavapipe or llvmpipe do).
//! Without an adapter each test prints "skipped: no GPU adapter (...)" and
//! passes, unless MEMSCAPE_REQUIRE_GPU=1, which makes that a failure.
//!
//! The target is a non-sRGB format, so a quad's colour bytes come out exactly
//! as they went in; positions are worked out with `Camera2d`, as the UI does.

use crate::common;

use common::headless_gpu as gpu;
use common::pixels::{at, brightness, distance, maybe_save};
use std::sync::Arc;

use memscape::render::crop::Crop;
use memscape::render::lod::QuadLod;
use memscape::render::quads_paint::viewport_px;
use memscape::render::{
    Camera2d, Content, Detail, Gpu, Picture, QuadInstance, QuadsPaintCallback, RenderError, ViewportPx, paint_callback,
    render_offscreen,
};

const SIZE: [u32; 2] = [200, 100];
const BACKGROUND: [u8; 4] = [20, 22, 28, 255];
const HIGHLIGHT: [u8; 4] = [255, 220, 0, 255];
const RED: [u8; 4] = [200, 40, 30, 255];
const GREEN: [u8; 4] = [40, 180, 60, 255];
const BLUE: [u8; 4] = [50, 90, 220, 255];
const GREY: [u8; 4] = [128, 128, 128, 255];
const WHITE: [u8; 4] = [250, 250, 250, 255];

/// World [0, 100] x [0, 50] fills the 200x100 image: 2 px per unit.
fn camera() -> Camera2d {
    Camera2d::new([50.0, 25.0], 2.0)
}

fn viewport() -> ViewportPx {
    ViewportPx::from_size([SIZE[0] as f32, SIZE[1] as f32])
}

fn quad(min: [f32; 2], max: [f32; 2], rgba: [u8; 4], flags: u32) -> QuadInstance {
    QuadInstance::new(min, max, QuadInstance::rgba(rgba), flags)
}

/// The pixel a world point falls in.
fn pixel_of(camera: &Camera2d, world: [f32; 2], vp: ViewportPx) -> (u32, u32) {
    let p = camera.world_to_screen(world, vp);
    (p[0].floor() as u32, p[1].floor() as u32)
}

/// A `size_px` picture on the background at one pixel per point.
fn picture(size_px: [u32; 2], pixels_per_point: f32) -> Picture {
    Picture { size_px, pixels_per_point, background: BACKGROUND }
}

/// Bare quads with the test's highlight colour.
fn bare(camera: Camera2d, quads: &[QuadInstance], detail: Detail) -> Content<'_> {
    Content::Quads { camera, quads, highlight: HIGHLIGHT, detail }
}

fn render(gpu: &Gpu, instances: &[QuadInstance]) -> image::RgbaImage {
    let img =
        render_offscreen(gpu, &picture(SIZE, 1.0), bare(camera(), instances, Detail::Levels)).expect("render").image;
    assert_eq!(img.dimensions(), (SIZE[0], SIZE[1]));
    img
}

#[test]
fn quads_have_their_exact_colours_at_their_centres() {
    let Some(gpu) = gpu() else { return };
    let cam = camera();
    let vp = viewport();
    let quads = [
        quad([0.0, 0.0], [20.0, 20.0], RED, 0),
        quad([30.0, 0.0], [50.0, 20.0], GREEN, 0),
        quad([60.0, 5.0], [90.0, 45.0], BLUE, 0),
        // Half transparent (premultiplied) grey over the background.
        quad([5.0, 30.0], [25.0, 45.0], [64, 64, 64, 128], 0),
    ];
    let img = render(&gpu, &quads);
    maybe_save(&img, "quads");
    assert_eq!(at(&img, pixel_of(&cam, [10.0, 10.0], vp)), RED);
    assert_eq!(at(&img, pixel_of(&cam, [40.0, 10.0], vp)), GREEN);
    assert_eq!(at(&img, pixel_of(&cam, [75.0, 25.0], vp)), BLUE);
    // Nothing drawn here.
    assert_eq!(at(&img, pixel_of(&cam, [95.0, 48.0], vp)), BACKGROUND);
    assert_eq!(at(&img, pixel_of(&cam, [25.0, 10.0], vp)), BACKGROUND);
    // Premultiplied "over": 64 + bg * (1 - 128/255).
    let blended = at(&img, pixel_of(&cam, [15.0, 37.0], vp));
    for i in 0..3 {
        let expected = 64.0 + BACKGROUND[i] as f32 * (1.0 - 128.0 / 255.0);
        assert!((blended[i] as f32 - expected).abs() <= 1.0, "{blended:?} channel {i}, expected {expected}");
    }
    // Every pixel of the image is the background or one of the quads' own colours
    // (fill or border): nothing leaks outside a rectangle.
    let (x0, y0) = pixel_of(&cam, [0.0, 0.0], vp);
    let (x1, y1) = pixel_of(&cam, [20.0, 20.0], vp);
    for y in 0..SIZE[1] {
        for x in 0..SIZE[0] {
            let inside = (x0..x1).contains(&x) && (y0..y1).contains(&y);
            if at(&img, (x, y)) == RED {
                assert!(inside, "red outside its quad at {x},{y}");
            }
        }
    }
}

#[test]
fn large_quads_get_a_darker_one_pixel_border() {
    let Some(gpu) = gpu() else { return };
    let cam = camera();
    let vp = viewport();
    // 60x80 px.
    let img = render(&gpu, &[quad([60.0, 5.0], [90.0, 45.0], GREY, 0)]);
    maybe_save(&img, "border");
    let (left, top) = pixel_of(&cam, [60.0, 5.0], vp);
    let (right, bottom) = pixel_of(&cam, [90.0, 45.0], vp);
    let mid_y = (top + bottom) / 2;
    let mid_x = (left + right) / 2;
    for edge in [(left, mid_y), (right - 1, mid_y), (mid_x, top), (mid_x, bottom - 1)] {
        let c = at(&img, edge);
        assert!(brightness(c) < brightness(GREY), "edge pixel {edge:?} is {c:?}, not darker than the fill");
    }
    // Exactly one pixel: the next one in is the fill.
    assert_eq!(at(&img, (left + 1, mid_y)), GREY);
    assert_eq!(at(&img, (right - 2, mid_y)), GREY);
    assert_eq!(at(&img, (mid_x, top + 1)), GREY);
    // And just outside is the background.
    assert_eq!(at(&img, (left - 1, mid_y)), BACKGROUND);
}

#[test]
fn adjacent_quads_stay_distinguishable() {
    let Some(gpu) = gpu() else { return };
    let cam = camera();
    let vp = viewport();
    // Two same-coloured neighbours sharing an edge at x = 50.
    let img = render(&gpu, &[quad([30.0, 10.0], [50.0, 40.0], GREY, 0), quad([50.0, 10.0], [70.0, 40.0], GREY, 0)]);
    let (x, y) = pixel_of(&cam, [50.0, 25.0], vp);
    assert!(brightness(at(&img, (x, y))) < brightness(GREY));
    assert!(brightness(at(&img, (x - 1, y))) < brightness(GREY));
}

#[test]
fn a_selected_quad_shows_the_highlight_near_its_edge() {
    let Some(gpu) = gpu() else { return };
    let cam = camera();
    let vp = viewport();
    let img = render(&gpu, &[quad([60.0, 5.0], [90.0, 45.0], BLUE, QuadInstance::SELECTED)]);
    maybe_save(&img, "selected");
    let (left, top) = pixel_of(&cam, [60.0, 5.0], vp);
    let (right, _) = pixel_of(&cam, [90.0, 45.0], vp);
    let mid_y = pixel_of(&cam, [75.0, 25.0], vp).1;
    for x in [left, left + 1, left + 2, right - 1, right - 3] {
        assert_eq!(at(&img, (x, mid_y)), HIGHLIGHT, "x = {x}");
    }
    assert_eq!(at(&img, ((left + right) / 2, top)), HIGHLIGHT);
    // The inside keeps its colour.
    assert_eq!(at(&img, pixel_of(&cam, [75.0, 25.0], vp)), BLUE);
    assert_eq!(at(&img, (left + 5, mid_y)), BLUE);
}

#[test]
fn a_hovered_quad_gets_a_lighter_outline() {
    let Some(gpu) = gpu() else { return };
    let cam = camera();
    let vp = viewport();
    let img = render(&gpu, &[quad([60.0, 5.0], [90.0, 45.0], BLUE, QuadInstance::HOVERED)]);
    let (left, _) = pixel_of(&cam, [60.0, 5.0], vp);
    let mid_y = pixel_of(&cam, [75.0, 25.0], vp).1;
    assert!(brightness(at(&img, (left, mid_y))) > brightness(BLUE));
    assert!(brightness(at(&img, (left + 1, mid_y))) > brightness(BLUE));
    assert_eq!(at(&img, pixel_of(&cam, [75.0, 25.0], vp)), BLUE);
}

#[test]
fn a_sub_pixel_quad_still_covers_a_pixel() {
    let Some(gpu) = gpu() else { return };
    let cam = camera();
    let vp = viewport();
    // 0.2 x 0.1 px on screen.
    let tiny = quad([75.1, 2.1], [75.2, 2.15], WHITE, 0);
    let img = render(&gpu, &[tiny]);
    let covered: Vec<(u32, u32)> =
        img.enumerate_pixels().filter(|(_, _, p)| p.0 == WHITE).map(|(x, y, _)| (x, y)).collect();
    assert_eq!(covered, vec![pixel_of(&cam, [75.15, 2.125], vp)]);
    // A zero-area one, too.
    let img = render(&gpu, &[quad([10.0, 10.0], [10.0, 10.0], WHITE, 0)]);
    assert_eq!(img.pixels().filter(|p| p.0 == WHITE).count(), 1);
}

#[test]
fn a_compressed_quad_is_hatched() {
    let Some(gpu) = gpu() else { return };
    let cam = camera();
    let vp = viewport();
    let img = render(&gpu, &[quad([60.0, 5.0], [90.0, 45.0], GREY, QuadInstance::COMPRESSED)]);
    maybe_save(&img, "compressed");
    let (left, top) = pixel_of(&cam, [60.0, 5.0], vp);
    let (right, bottom) = pixel_of(&cam, [90.0, 45.0], vp);
    let mut fill = 0;
    let mut darker = 0;
    for y in top + 2..bottom - 2 {
        for x in left + 2..right - 2 {
            let c = at(&img, (x, y));
            if c == GREY {
                fill += 1;
            } else if brightness(c) < brightness(GREY) {
                darker += 1;
            } else {
                panic!("unexpected hatch colour {c:?} at {x},{y}");
            }
        }
    }
    assert!(fill > 0 && darker > 0, "fill {fill}, darker {darker}");
    // Stripes, not noise: a sizeable share of each.
    let total = fill + darker;
    assert!(darker * 10 > total && fill * 10 > total, "fill {fill}, darker {darker}");
}

#[test]
fn a_dimmed_quad_is_closer_to_the_background() {
    let Some(gpu) = gpu() else { return };
    let cam = camera();
    let vp = viewport();
    let img = render(
        &gpu,
        &[quad([0.0, 0.0], [20.0, 20.0], RED, 0), quad([30.0, 0.0], [50.0, 20.0], RED, QuadInstance::DIMMED)],
    );
    let plain = at(&img, pixel_of(&cam, [10.0, 10.0], vp));
    let dimmed = at(&img, pixel_of(&cam, [40.0, 10.0], vp));
    assert_eq!(plain, RED);
    assert!(distance(dimmed, BACKGROUND) < distance(plain, BACKGROUND), "{dimmed:?} vs {plain:?}");
    assert_ne!(dimmed, BACKGROUND, "dimmed, not hidden");
}

#[test]
fn deep_zoom_keeps_edges_in_place() {
    let Some(gpu) = gpu() else { return };
    // A world 2^24 units wide, looked at with 64 px per unit near its far end,
    // where a naive `p * scale + offset` in f32 would be off by tens of pixels.
    let x = 16_000_000.0_f32;
    let cam = Camera2d::new([x + 10.0, 12.5], 64.0);
    let vp = viewport();
    let quads = [
        quad([0.0, 0.0], [x + 10.0, 25.0], RED, 0),
        quad([x + 10.0, 0.0], [x + 11.0, 25.0], GREEN, 0),
        quad([x + 11.0, 0.0], [16_777_216.0, 25.0], BLUE, 0),
    ];
    let img = render_offscreen(&gpu, &picture(SIZE, 1.0), bare(cam, &quads, Detail::Levels)).expect("render").image;
    maybe_save(&img, "deep_zoom");
    // The 1-unit green quad is exactly 64 px wide, from the middle: pixels
    // 100..164, its first and last columns the border.
    let (gx, gy) = pixel_of(&cam, [x + 10.0, 12.5], vp);
    assert_eq!((gx, gy), (100, 50));
    for col in gx + 1..gx + 63 {
        assert_eq!(at(&img, (col, gy)), GREEN, "column {col}");
    }
    for col in [gx, gx + 63] {
        let c = at(&img, (col, gy));
        assert!(c[1] > c[0] && brightness(c) < brightness(GREEN), "border column {col} is {c:?}");
    }
    // The huge quads that reach millions of pixels off screen fill their
    // visible parts up to the exact edge.
    assert_eq!(at(&img, (gx - 2, gy)), RED);
    assert_eq!(at(&img, (gx - 60, gy)), RED);
    assert_eq!(at(&img, (gx + 65, gy)), BLUE);
    assert_eq!(at(&img, (gx + 95, gy)), BLUE);
}

#[test]
fn renders_are_deterministic_and_sizes_are_checked() {
    let Some(gpu) = gpu() else { return };
    let quads = [quad([0.0, 0.0], [20.0, 20.0], RED, QuadInstance::COMPRESSED | QuadInstance::SELECTED)];
    let a = render(&gpu, &quads);
    let b = render(&gpu, &quads);
    assert_eq!(a.as_raw(), b.as_raw());

    let max = gpu.max_size_px();
    let too_wide = render_offscreen(&gpu, &picture([max + 1, 10], 1.0), bare(camera(), &quads, Detail::Levels));
    assert!(matches!(too_wide, Err(RenderError::TooLarge { .. })), "{too_wide:?}");
    let too_tall = render_offscreen(
        &gpu,
        &picture([10, memscape::render::offscreen::MAX_PICTURE_SIDE_PX + 1], 1.0),
        Content::Ui2d { quads: Arc::default(), ui: &mut |_| {} },
    );
    // egui pictures are tiled beyond the texture limit, up to their own limit.
    assert!(matches!(too_tall, Err(RenderError::PictureTooLarge { .. })), "{too_tall:?}");
    let empty = render_offscreen(&gpu, &picture([0, 10], 1.0), bare(camera(), &quads, Detail::Levels));
    assert!(matches!(empty, Err(RenderError::EmptySize { .. })), "{empty:?}");
    let bad_scale =
        render_offscreen(&gpu, &picture([10, 10], 0.0), Content::Ui2d { quads: Arc::default(), ui: &mut |_| {} });
    assert!(matches!(bad_scale, Err(RenderError::BadPixelsPerPoint(_))), "{bad_scale:?}");
}

#[test]
fn the_pipeline_builds_for_window_formats_and_msaa() {
    let Some(gpu) = gpu() else { return };
    // eframe's usual targets, with and without multisampling, and quads
    // replaced by more and by fewer.
    let scope = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let crop = Crop::whole([100.0, 100.0]);
    for format in [wgpu::TextureFormat::Bgra8Unorm, wgpu::TextureFormat::Rgba8Unorm] {
        for msaa in [1, 4] {
            let mut r = memscape::render::QuadsRenderer::new(&gpu.device, format, msaa);
            let many: Vec<QuadInstance> =
                (0..1000).map(|i| quad([i as f32, 0.0], [i as f32 + 1.0, 1.0], RED, 0)).collect();
            for n in [3, 1000, 3] {
                r.set_instances(&many[..n]);
                assert_eq!(r.instance_count(), n as u32);
                r.prepare(&gpu.device, &gpu.queue, &Camera2d::new([50.0, 0.5], 1.0), &crop, 0, 0);
                assert_eq!(r.uploaded_count(), n);
                // The view shows x 0..100: culled a chunk of 512 quads at a time.
                assert_eq!(r.drawn_count() as usize, n.min(memscape::render::lod::CHUNK));
            }
        }
    }
    let error = pollster::block_on(scope.pop());
    assert!(error.is_none(), "{error:?}");
}

/// An egui screen: a central panel with a heading, and a map view of
/// `MAP_SIZE` points showing the three quads, fitted with a margin.
struct EguiScene {
    map_rect: Option<egui::Rect>,
}

const MAP_SIZE: egui::Vec2 = egui::vec2(160.0, 80.0);
const PPP: f32 = 1.5;

fn scene_quads() -> Vec<QuadInstance> {
    vec![
        quad([0.0, 0.0], [40.0, 40.0], RED, 0),
        quad([40.0, 0.0], [80.0, 40.0], GREEN, 0),
        quad([80.0, 0.0], [120.0, 40.0], BLUE, QuadInstance::COMPRESSED),
    ]
}

fn scene_camera(rect: egui::Rect) -> Camera2d {
    Camera2d::fit([0.0, 0.0], [120.0, 40.0], viewport_px(rect, PPP).size, 4.0)
}

impl EguiScene {
    fn ui(&mut self, ui: &mut egui::Ui) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("memscape: address space");
            ui.label("Image  Heap  Stack  Free");
            let (rect, _) = ui.allocate_exact_size(MAP_SIZE, egui::Sense::hover());
            let cb = QuadsPaintCallback::new(
                scene_camera(rect),
                rect,
                ui.ctx().pixels_per_point(),
                QuadInstance::rgba(HIGHLIGHT),
                QuadInstance::rgba(BACKGROUND),
            );
            ui.painter().add(paint_callback(rect, cb));
            self.map_rect = Some(rect);
        });
    }
}

#[test]
fn egui_frames_draw_the_paint_callback_where_the_view_is() {
    let Some(gpu) = gpu() else { return };
    let size = [480, 300];
    let mut scene = EguiScene { map_rect: None };
    let quads = Arc::new(QuadLod::build(&scene_quads()));
    let ui = &mut |ui: &mut egui::Ui| scene.ui(ui);
    let img = render_offscreen(&gpu, &picture(size, PPP), Content::Ui2d { quads: Arc::clone(&quads), ui })
        .expect("render")
        .image;
    maybe_save(&img, "egui");
    assert_eq!(img.dimensions(), (size[0], size[1]));
    let rect = scene.map_rect.expect("the map view was laid out");
    let vp = viewport_px(rect, PPP);
    let cam = scene_camera(rect);
    assert_eq!(at(&img, pixel_of(&cam, [20.0, 20.0], vp)), RED);
    assert_eq!(at(&img, pixel_of(&cam, [60.0, 20.0], vp)), GREEN);
    // Inside the view's margin: the panel, not a quad.
    let outside = pixel_of(&cam, [-1.0, 20.0], vp);
    assert!(![RED, GREEN, BLUE].contains(&at(&img, outside)));
    // No quad colour anywhere outside the view's rect.
    for (x, y, p) in img.enumerate_pixels() {
        if [RED, GREEN].contains(&p.0) {
            assert!(vp.contains([x as f32 + 0.5, y as f32 + 0.5]), "quad colour at {x},{y} outside {vp:?}");
        }
    }
    // The text was drawn: the panel above the map is not a single colour.
    let above: std::collections::BTreeSet<[u8; 4]> =
        (0..vp.min[1] as u32).flat_map(|y| (0..size[0]).map(move |x| (x, y))).map(|p| at(&img, p)).collect();
    assert!(above.len() > 2, "no text above the map: {above:?}");

    // Same input, same bytes.
    let mut again = EguiScene { map_rect: None };
    let ui = &mut |ui: &mut egui::Ui| again.ui(ui);
    let img2 = render_offscreen(&gpu, &picture(size, PPP), Content::Ui2d { quads: Arc::clone(&quads), ui })
        .expect("render")
        .image;
    assert_eq!(img.as_raw(), img2.as_raw());
}

#[test]
fn a_pictures_map_drawn_in_batches_is_the_map_drawn_at_once() {
    // A picture's map (Content::Ui2d) draws its quads in passes of
    // PICTURE_BATCH_QUADS of their own, between what egui draws before the
    // map's callback and after it: the same bytes as one pass of bare quads,
    // and what egui draws after the map still lies on top of it.
    let Some(gpu) = gpu() else { return };
    let size = [1000, 800];
    let colours = [RED, GREEN, BLUE, GREY, [64, 64, 64, 128]];
    let quads: Vec<QuadInstance> = (0..200_000u32)
        .map(|i| {
            let (x, y) = ((i % 500) as f32, (i / 500) as f32);
            let flags = if i % 997 == 0 { QuadInstance::SELECTED } else { 0 };
            quad([x, y], [x + 0.8, y + 0.8], colours[(i % 7 % 5) as usize], flags)
        })
        .collect();
    let drawn_apart = quads.len() / memscape::render::offscreen::PICTURE_BATCH_QUADS as usize;
    assert!(drawn_apart >= 3, "{drawn_apart} batches");
    let vp = ViewportPx::from_size([size[0] as f32, size[1] as f32]);
    let cam = Camera2d::fit([0.0, 0.0], [500.0, 400.0], vp.size, 0.0);
    let at_once = render_offscreen(&gpu, &picture(size, 1.0), bare(cam, &quads, Detail::Levels)).expect("render").image;

    let lod = Arc::new(QuadLod::build(&quads));
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(size[0] as f32, size[1] as f32));
    let mut text_rect = None;
    let mut draw = |ui: &mut egui::Ui, text: bool| {
        let cb =
            QuadsPaintCallback::new(cam, screen, 1.0, QuadInstance::rgba(HIGHLIGHT), QuadInstance::rgba(BACKGROUND));
        ui.painter().add(paint_callback(screen, cb));
        if text {
            let font = egui::FontId::proportional(60.0);
            let painter = ui.painter();
            text_rect =
                Some(painter.text(screen.center(), egui::Align2::CENTER_CENTER, "OVER", font, egui::Color32::WHITE));
        }
    };
    let batched = render_offscreen(
        &gpu,
        &picture(size, 1.0),
        Content::Ui2d { quads: Arc::clone(&lod), ui: &mut |ui| draw(ui, false) },
    )
    .expect("render")
    .image;
    maybe_save(&batched, "map_in_batches");
    assert!(batched.as_raw() == at_once.as_raw(), "the map drawn in batches differs from the map drawn at once");

    let with_text =
        render_offscreen(&gpu, &picture(size, 1.0), Content::Ui2d { quads: lod, ui: &mut |ui| draw(ui, true) })
            .expect("render")
            .image;
    let text = text_rect.expect("the text was laid out");
    let (mut white, mut changed_outside) = (0, 0);
    for (x, y, p) in with_text.enumerate_pixels() {
        let inside = text.expand(1.0).contains(egui::pos2(x as f32 + 0.5, y as f32 + 0.5));
        if p.0 == [255, 255, 255, 255] && inside {
            white += 1;
        }
        if !inside && p.0 != at(&at_once, (x, y)) {
            changed_outside += 1;
        }
    }
    assert!(white > 100, "the text after the map is not on top of it ({white} white pixels)");
    assert_eq!(changed_outside, 0, "the map changed away from the text");
}

#[test]
fn a_view_hanging_off_the_screen_is_not_squashed() {
    let Some(gpu) = gpu() else { return };
    let size = [200, 100];
    let ppp = 1.0;
    // The view's rect starts 60 points left of the screen.
    let rect = egui::Rect::from_min_size(egui::pos2(-60.0, 10.0), egui::vec2(240.0, 80.0));
    let vp = viewport_px(rect, ppp);
    let cam = Camera2d::fit([0.0, 0.0], [120.0, 40.0], vp.size, 0.0);
    let ui = &mut |ui: &mut egui::Ui| {
        let cb = QuadsPaintCallback::new(cam, rect, ppp, QuadInstance::rgba(HIGHLIGHT), QuadInstance::rgba(BACKGROUND));
        let screen = ui.ctx().content_rect();
        ui.painter().with_clip_rect(screen).add(paint_callback(rect, cb));
    };
    let quads = Arc::new(QuadLod::build(&scene_quads()));
    let img = render_offscreen(&gpu, &picture(size, ppp), Content::Ui2d { quads: Arc::clone(&quads), ui })
        .expect("render")
        .image;
    maybe_save(&img, "off_screen");
    // 2 px per unit; the green quad spans world x 40..80, pixels 20..100 (a
    // viewport clamped to the screen would squash it to 15..75).
    assert_eq!(cam.px_per_unit, 2.0);
    let (gx0, gy) = pixel_of(&cam, [40.0, 20.0], vp);
    let (gx1, _) = pixel_of(&cam, [80.0, 20.0], vp);
    assert_eq!((gx0, gx1), (20, 100));
    assert_eq!(at(&img, (gx0 + 1, gy)), GREEN);
    assert_eq!(at(&img, (gx1 - 2, gy)), GREEN);
    assert_ne!(at(&img, (gx0 - 1, gy)), GREEN);
    assert_ne!(at(&img, (gx1 + 1, gy)), GREEN);
    // The part of the red quad still on screen.
    let (rx1, _) = pixel_of(&cam, [40.0, 20.0], vp);
    assert_eq!(at(&img, (rx1 - 3, gy)), RED);
}

/// A map like a big dump's: 500 rows of tiles of very different widths in
/// address order, colour runs of about 40 tiles (an allocation's kind).
fn big_map() -> Vec<QuadInstance> {
    let colours = [RED, GREEN, BLUE, GREY];
    let mut rng = memscape::synth::rng::SplitMix64::for_name(1, "big map");
    let mut next = move || rng.next_u64();
    let mut quads = Vec::new();
    let mut colour = 0;
    for row in 0..500 {
        let y = row as f32;
        let mut x = 0.0f32;
        while x < 1000.0 {
            let w = match next() % 100 {
                0 => 20.0,
                1..=10 => 1.0 + (next() % 300) as f32 / 100.0,
                _ => 0.005 + (next() % 100) as f32 / 1000.0,
            };
            if next() % 40 == 0 {
                colour = (colour + 1) % colours.len();
            }
            quads.push(quad([x, y], [(x + w).min(1000.0), y + 0.9], colours[colour], 0));
            x += w;
        }
    }
    quads
}

#[test]
fn levels_of_detail_draw_far_fewer_quads_and_look_the_same() {
    let Some(gpu) = gpu() else { return };
    let quads = big_map();
    assert!(quads.len() > 200_000, "{}", quads.len());
    let size = [800, 400];
    // The whole map: 0.8 px per unit.
    let fit = Camera2d::fit([0.0, 0.0], [1000.0, 500.0], [800.0, 400.0], 0.0);
    let counted = |camera: Camera2d, detail: Detail| {
        let r = render_offscreen(&gpu, &picture(size, 1.0), bare(camera, &quads, detail)).unwrap();
        (r.image, r.drawn.expect("bare quads are counted"))
    };
    let (lod, drawn) = counted(fit, Detail::Levels);
    let (all, drawn_all) = counted(fit, Detail::Full);
    assert_eq!(drawn_all as usize, quads.len());
    assert!(drawn * 4 < drawn_all, "{drawn} of {drawn_all} quads drawn zoomed out");
    let far = lod.pixels().zip(all.pixels()).filter(|(a, b)| distance(a.0, b.0) > 120).count();
    let share = far as f64 / (size[0] * size[1]) as f64;
    assert!(share < 0.05, "{:.1}% of the pixels differ", share * 100.0);
    // Zoomed in on a corner: only what is in view is drawn, exactly as without levels.
    let close = Camera2d::new([20.0, 10.0], 20.0);
    let (lod, drawn) = counted(close, Detail::Levels);
    let (all, _) = counted(close, Detail::Full);
    assert!((drawn as usize) * 20 < quads.len(), "{drawn} quads drawn for a corner");
    assert!(lod == all, "culling changed the picture");
}

#[test]
fn a_level_is_uploaded_when_a_frame_first_draws_it() {
    let Some(gpu) = gpu() else { return };
    let lod = Arc::new(QuadLod::build(&big_map()));
    let level_len = |l: usize| lod.levels[l].range.len();
    assert!(lod.levels.len() > 2, "{} levels", lod.levels.len());
    let mut r = memscape::render::QuadsRenderer::new(&gpu.device, wgpu::TextureFormat::Rgba8Unorm, 1);
    r.set_lod(Arc::clone(&lod));
    assert_eq!(Arc::strong_count(&lod), 2, "the renderer shares the scene's quads");
    assert_eq!(r.uploaded_count(), 0, "nothing is uploaded before a frame needs it");
    let crop = Crop::whole([800.0, 400.0]);
    let fit = Camera2d::fit([0.0, 0.0], [1000.0, 500.0], [800.0, 400.0], 0.0);
    let level = lod.level_for(fit.px_per_unit);
    assert!(level > 0);
    r.prepare(&gpu.device, &gpu.queue, &fit, &crop, 0, 0);
    assert_eq!(r.uploaded_count(), level_len(level), "the fitted map needs one coarse level");
    assert!(r.uploaded_count() * 4 < level_len(0));
    // Zoomed in, level 0 joins it; back out, nothing new is uploaded.
    r.prepare(&gpu.device, &gpu.queue, &Camera2d::new([20.0, 10.0], 20.0), &crop, 0, 0);
    assert_eq!(r.uploaded_count(), level_len(level) + level_len(0));
    r.prepare(&gpu.device, &gpu.queue, &fit, &crop, 0, 0);
    assert_eq!(r.uploaded_count(), level_len(level) + level_len(0));
    // New quads start again from nothing; the old ones are let go.
    r.set_lod(Arc::new(QuadLod::build(&scene_quads())));
    assert_eq!((r.uploaded_count(), Arc::strong_count(&lod)), (0, 1));
}
