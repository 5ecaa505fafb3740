//! GPU tests of the 3D renderer (BoxesRenderer, shaders/boxes.wgsl), run
//! headless (lavapipe or llvmpipe do). Without an adapter each test prints
//! "skipped: no GPU adapter (...)" and passes, unless MEMSCAPE_REQUIRE_GPU=1,
//! which makes that a failure. MEMSCAPE_SAVE_RENDERS=1 saves the pictures
//! under target/tmp/ to look at.
//!
//! Positions are worked out with `OrbitCamera::project`, as the UI's picking
//! does; colours are compared with tolerances, since lighting, edges and
//! multisampling shade them.

use std::sync::Arc;

use crate::common;

use common::headless_gpu as gpu;
use common::pixels::{at, brightness, distance};
use memscape::render::box_parts::BoxParts;
use memscape::render::boxes_paint::{BoxesPaintCallback, paint_callback};
use memscape::render::camera3d::OrbitCamera;
use memscape::render::quads_paint::viewport_px;
use memscape::render::{BoxInstance, BoxesRenderer, BoxesStyle, supported_msaa_samples};
use memscape::render::{Content, Detail, Gpu, Picture, RenderError, Rendered, render_offscreen};

const SIZE: [u32; 2] = [320, 200];
const SKY_TOP: [u8; 4] = [34, 46, 74, 255];
const SKY_BOTTOM: [u8; 4] = [150, 166, 190, 255];
const HIGHLIGHT: [u8; 4] = [255, 214, 0, 255];
const RED: [u8; 4] = [214, 72, 58, 255];
const GREEN: [u8; 4] = [64, 176, 92, 255];
const BLUE: [u8; 4] = [60, 110, 220, 255];
const GREY: [u8; 4] = [170, 170, 170, 255];

fn style() -> BoxesStyle {
    BoxesStyle {
        sky_top: BoxInstance::rgba(SKY_TOP),
        sky_bottom: BoxInstance::rgba(SKY_BOTTOM),
        light_dir: [0.35, 1.0, 0.55],
        ambient: 0.4,
        highlight: BoxInstance::rgba(HIGHLIGHT),
        slice: None,
    }
}

fn viewport() -> [f32; 2] {
    [SIZE[0] as f32, SIZE[1] as f32]
}

fn cube(min: [f32; 3], max: [f32; 3], rgba: [u8; 4], flags: u32) -> BoxInstance {
    BoxInstance::new(min, max, BoxInstance::rgba(rgba), flags)
}

/// The usual view: from the front right, above (yaw 35°, pitch 25°); the
/// +x, +y and +z faces are visible.
fn camera() -> OrbitCamera {
    OrbitCamera::from_yaw_pitch_distance([0.0, 1.0, 0.0], 35.0, 25.0, 7.0)
}

/// A `size_px` picture at `pixels_per_point` (the sky covers a box scene's black background).
fn picture(size_px: [u32; 2], pixels_per_point: f32) -> Picture {
    Picture { size_px, pixels_per_point, background: [0, 0, 0, 255] }
}

/// `boxes` alone, seen by `camera`, at `size_px`.
fn render_boxes(
    gpu: &Gpu,
    size_px: [u32; 2],
    camera: &OrbitCamera,
    boxes: &[BoxInstance],
    style: &BoxesStyle,
    detail: Detail,
) -> Result<Rendered, RenderError> {
    render_offscreen(gpu, &picture(size_px, 1.0), Content::Boxes { camera: *camera, boxes, style: *style, detail })
}

fn render(gpu: &Gpu, camera: &OrbitCamera, instances: &[BoxInstance], style: &BoxesStyle) -> image::RgbaImage {
    let img = render_boxes(gpu, SIZE, camera, instances, style, Detail::Levels).expect("render").image;
    assert_eq!(img.dimensions(), (SIZE[0], SIZE[1]));
    img
}

/// The pixel a world point is drawn in.
fn pixel_of(camera: &OrbitCamera, world: [f32; 3]) -> (u32, u32) {
    let p = camera.project(world, viewport()).expect("in front of the camera");
    assert!(p[0] >= 0.0 && p[1] >= 0.0 && p[0] < viewport()[0] && p[1] < viewport()[1], "{world:?} at {p:?}");
    (p[0].floor() as u32, p[1].floor() as u32)
}

/// The pixels of the 5x5 square around `p`.
fn around(img: &image::RgbaImage, (x, y): (u32, u32)) -> Vec<[u8; 4]> {
    let mut out = Vec::new();
    for dy in -2_i32..=2 {
        for dx in -2_i32..=2 {
            let (px, py) = (x as i32 + dx, y as i32 + dy);
            if px >= 0 && py >= 0 && (px as u32) < img.width() && (py as u32) < img.height() {
                out.push(at(img, (px as u32, py as u32)));
            }
        }
    }
    out
}

/// `c` is `base` scaled by one factor in (0, 1]: the same hue, shaded.
fn is_shade_of(c: [u8; 4], base: [u8; 4]) -> Option<f32> {
    let k = c[0] as f32 / base[0] as f32;
    let same_hue = (0..3).all(|i| (c[i] as f32 - base[i] as f32 * k).abs() <= 3.0);
    (same_hue && k > 0.0 && k <= 1.01).then_some(k)
}

/// Saves the picture as target/tmp/render3d_{name}.png when MEMSCAPE_SAVE_RENDERS=1.
fn maybe_save(img: &image::RgbaImage, name: &str) {
    common::pixels::maybe_save(img, &format!("render3d_{name}"));
}

/// A 2x2x2 box standing on the ground at the origin.
const BOX_MIN: [f32; 3] = [-1.0, 0.0, -1.0];
const BOX_MAX: [f32; 3] = [1.0, 2.0, 1.0];

#[test]
fn a_box_is_lit_shaded_and_the_sky_is_a_gradient() {
    let Some(gpu) = gpu() else { return };
    let cam = camera();
    let img = render(&gpu, &cam, &[cube(BOX_MIN, BOX_MAX, RED, 0)], &style());
    maybe_save(&img, "box");

    // The box covers the pixel its centre projects to, in its own hue, shaded.
    let centre = at(&img, pixel_of(&cam, [0.0, 1.0, 0.0]));
    let k = is_shade_of(centre, RED).unwrap_or_else(|| panic!("centre {centre:?} is not a shade of {RED:?}"));
    assert!(k > 0.4, "too dark: {centre:?}");

    // Each visible face is evenly lit, in the box's hue, and the faces differ:
    // the top (facing the light) brightest.
    let top = at(&img, pixel_of(&cam, [0.0, 2.0, 0.0]));
    let front = at(&img, pixel_of(&cam, [0.0, 1.0, 1.0]));
    let side = at(&img, pixel_of(&cam, [1.0, 1.0, 0.0]));
    for (name, c) in [("top", top), ("front", front), ("side", side)] {
        assert!(is_shade_of(c, RED).is_some(), "{name} face {c:?} is not a shade of {RED:?}");
    }
    assert!(brightness(top) > brightness(front) && brightness(top) > brightness(side), "{top:?} {front:?} {side:?}");
    assert!(distance(front, side) > 6, "front and side faces look the same: {front:?} {side:?}");

    // The sky: top colour at the top, bottom colour at the bottom, a gradient between.
    let (w, h) = (SIZE[0], SIZE[1]);
    for x in [0, w - 1] {
        assert!(distance(at(&img, (x, 0)), SKY_TOP) <= 6, "{:?}", at(&img, (x, 0)));
        assert!(distance(at(&img, (x, h - 1)), SKY_BOTTOM) <= 6, "{:?}", at(&img, (x, h - 1)));
    }
    let middle = at(&img, (0, h / 2));
    assert!(brightness(SKY_TOP) < brightness(middle) && brightness(middle) < brightness(SKY_BOTTOM), "{middle:?}");
    // Opaque everywhere.
    assert!(img.pixels().all(|p| p.0[3] == 255));
}

#[test]
fn a_near_box_hides_a_far_one() {
    let Some(gpu) = gpu() else { return };
    // Looking straight along -z.
    let cam = OrbitCamera::from_yaw_pitch_distance([0.0, 0.0, 0.0], 0.0, 0.0, 10.0);
    let near = cube([-1.0, -1.0, 1.0], [1.0, 1.0, 2.0], RED, 0);
    let far = cube([-3.0, -2.0, -4.0], [3.0, 2.0, -3.0], BLUE, 0);
    // Drawn in either order, the near box wins: a depth test, not painter's order.
    for (name, boxes) in [("near_first", [near, far]), ("far_first", [far, near])] {
        let img = render(&gpu, &cam, &boxes, &style());
        maybe_save(&img, &format!("depth_{name}"));
        let c = at(&img, pixel_of(&cam, [0.0, 0.0, 2.0]));
        assert!(is_shade_of(c, RED).is_some(), "{name}: near box centre is {c:?}");
        let beside = at(&img, pixel_of(&cam, [2.5, 0.0, -3.0]));
        assert!(is_shade_of(beside, BLUE).is_some(), "{name}: far box beside the near one is {beside:?}");
    }
}

#[test]
fn a_selected_box_has_highlighted_edges() {
    let Some(gpu) = gpu() else { return };
    let cam = camera();
    let plain = render(&gpu, &cam, &[cube(BOX_MIN, BOX_MAX, GREY, 0)], &style());
    let selected = render(&gpu, &cam, &[cube(BOX_MIN, BOX_MAX, GREY, BoxInstance::SELECTED)], &style());
    maybe_save(&selected, "selected");
    // Edges between visible faces, and silhouette edges.
    let edges = [
        [0.0, 2.0, 1.0],  // top / front
        [1.0, 2.0, 0.0],  // top / side
        [1.0, 1.0, 1.0],  // front / side
        [-1.0, 1.0, 1.0], // the front face's left silhouette
        [0.0, 0.0, 1.0],  // the front face's bottom silhouette
    ];
    for edge in edges {
        let p = pixel_of(&cam, edge);
        let best = around(&selected, p).into_iter().map(|c| distance(c, HIGHLIGHT)).min().unwrap();
        assert!(best <= 30, "no highlight near the edge {edge:?} at {p:?}: nearest is {best} away");
        let plain_best = around(&plain, p).into_iter().map(|c| distance(c, HIGHLIGHT)).min().unwrap();
        assert!(plain_best > 100, "an unselected box has highlight-coloured edges at {edge:?}");
    }
    // The faces glow towards the highlight but are not painted over.
    let face = pixel_of(&cam, [0.0, 1.0, 1.0]);
    let (glow, flat) = (at(&selected, face), at(&plain, face));
    assert!(distance(glow, HIGHLIGHT) < distance(flat, HIGHLIGHT), "{glow:?} vs {flat:?}");
    assert!(distance(glow, HIGHLIGHT) > 60, "the face is painted over: {glow:?}");
}

#[test]
fn hovered_is_lighter_and_compressed_is_striped() {
    let Some(gpu) = gpu() else { return };
    let cam = camera();
    let plain = render(&gpu, &cam, &[cube(BOX_MIN, BOX_MAX, BLUE, 0)], &style());
    let hovered = render(&gpu, &cam, &[cube(BOX_MIN, BOX_MAX, BLUE, BoxInstance::HOVERED)], &style());
    let face = pixel_of(&cam, [0.0, 1.0, 1.0]);
    assert!(brightness(at(&hovered, face)) > brightness(at(&plain, face)) + 20);

    let compressed = render(&gpu, &cam, &[cube(BOX_MIN, BOX_MAX, BLUE, BoxInstance::COMPRESSED)], &style());
    maybe_save(&compressed, "compressed");
    // Along a row across the front face: the plain face is even, the
    // compressed one alternates between its colour and darker stripes.
    let (x0, y) = pixel_of(&cam, [-0.8, 1.0, 1.0]);
    let (x1, _) = pixel_of(&cam, [0.8, 1.0, 1.0]);
    let row = |img: &image::RgbaImage| (x0..x1).map(|x| brightness(at(img, (x, y)))).collect::<Vec<u32>>();
    let spread = |v: &[u32]| v.iter().max().unwrap() - v.iter().min().unwrap();
    let (plain_row, striped_row) = (row(&plain), row(&compressed));
    assert!(spread(&plain_row) <= 6, "plain face not even: {plain_row:?}");
    assert!(spread(&striped_row) >= 40, "no stripes: {striped_row:?}");
    let crossings = striped_row.windows(2).filter(|w| w[0].abs_diff(w[1]) >= 15).count();
    assert!(crossings >= 4, "stripes, not one step: {striped_row:?}");
}

#[test]
fn a_translucent_box_lets_the_one_behind_tint_through() {
    let Some(gpu) = gpu() else { return };
    let cam = OrbitCamera::from_yaw_pitch_distance([0.0, 0.0, 0.0], 0.0, 0.0, 10.0);
    // Premultiplied half-transparent white glass in front of an opaque green box.
    let glass = cube([-2.0, -1.5, 1.0], [2.0, 1.5, 2.0], [128, 128, 128, 128], 0);
    let back = cube([-1.0, -1.0, -2.0], [1.0, 1.0, -1.0], GREEN, 0);
    let only_glass = render(&gpu, &cam, &[glass], &style());
    let only_back = render(&gpu, &cam, &[back], &style());
    // Uploaded with the glass first: the renderer still draws it after the opaque box.
    let both = render(&gpu, &cam, &[glass, back], &style());
    maybe_save(&both, "translucent");
    let p = pixel_of(&cam, [0.0, 0.0, 2.0]);
    let (g, b, both_c) = (at(&only_glass, p), at(&only_back, p), at(&both, p));
    assert!(is_shade_of(b, GREEN).is_some(), "{b:?}");
    // Through the glass: greener than the glass over the sky, but not the bare box.
    let greenness = |c: [u8; 4]| c[1] as i32 - (c[0] as i32 + c[2] as i32) / 2;
    assert!(greenness(both_c) > greenness(g) + 15, "glass over green {both_c:?} vs over sky {g:?}");
    assert!(distance(both_c, b) > 30, "the glass is invisible: {both_c:?} vs {b:?}");
    // Where only the glass covers the sky, the sky shows through it.
    let side = pixel_of(&cam, [1.8, 0.0, 2.0]);
    assert_ne!(at(&only_glass, side), at(&both, pixel_of(&cam, [0.0, 0.0, 2.0])));
    let sky_only = render(&gpu, &cam, &[], &style());
    assert_ne!(at(&only_glass, side), at(&sky_only, side), "the glass is not drawn");
}

#[test]
fn the_faces_towards_the_eye_are_drawn_from_every_side() {
    // Opaque and translucent boxes draw only the face of each axis the eye
    // may see (vs_box_facing): from each of the eight diagonal directions,
    // above and below, the three faces towards the eye show the box.
    let Some(gpu) = gpu() else { return };
    let centre = [0.0, 1.0, 0.0];
    let sky = |cam: &OrbitCamera| render(&gpu, cam, &[], &style());
    for (base, alpha) in [(RED, 255), (GREY, 160)] {
        let premultiplied = base.map(|c| (c as u32 * alpha / 255) as u8);
        let the_box = cube(BOX_MIN, BOX_MAX, [premultiplied[0], premultiplied[1], premultiplied[2], alpha as u8], 0);
        for yaw in [45.0, 135.0, -135.0, -45.0] {
            for pitch in [35.0, -35.0] {
                let cam = OrbitCamera::from_yaw_pitch_distance(centre, yaw, pitch, 8.0);
                let img = render(&gpu, &cam, &[the_box], &style());
                let empty = sky(&cam);
                let eye = cam.eye();
                for axis in 0..3 {
                    // The middle of the face on the eye's side of this axis.
                    let mut p = centre;
                    let half = (BOX_MAX[axis] - BOX_MIN[axis]) / 2.0;
                    p[axis] += if eye[axis] > centre[axis] { half } else { -half };
                    let px = pixel_of(&cam, p);
                    let (c, bare) = (at(&img, px), at(&empty, px));
                    let what = format!("alpha {alpha}, yaw {yaw}, pitch {pitch}, axis {axis}: {c:?}");
                    match alpha {
                        255 => assert!(is_shade_of(c, base).is_some(), "{what}"),
                        _ => assert!(distance(c, bare) > 20, "the face shows no glass over the sky: {what}"),
                    }
                }
            }
        }
    }
}

#[test]
fn the_slicing_plane_removes_what_is_on_its_positive_side() {
    let Some(gpu) = gpu() else { return };
    let cam = OrbitCamera::from_yaw_pitch_distance([0.0, 0.5, 0.0], 20.0, 30.0, 12.0);
    let left = cube([-4.0, 0.0, -1.0], [-2.0, 2.0, 1.0], RED, 0);
    let right = cube([2.0, 0.0, -1.0], [4.0, 2.0, 1.0], BLUE, 0);
    // Straddles the plane: its right half is cut away, showing its inside.
    let middle = cube([-1.0, 0.0, -1.0], [1.0, 1.0, 1.0], GREEN, 0);
    let boxes = [left, right, middle];
    let whole = render(&gpu, &cam, &boxes, &style());
    let sliced_style = BoxesStyle { slice: Some(([1.0, 0.0, 0.0], 0.0)), ..style() };
    let sliced = render(&gpu, &cam, &boxes, &sliced_style);
    maybe_save(&sliced, "sliced");
    let sky = render(&gpu, &cam, &[], &style());

    let right_centre = pixel_of(&cam, [3.0, 1.0, 1.0]);
    assert!(is_shade_of(at(&whole, right_centre), BLUE).is_some());
    assert_eq!(at(&sliced, right_centre), at(&sky, right_centre), "the box beyond the plane is still drawn");
    let left_centre = pixel_of(&cam, [-3.0, 1.0, 1.0]);
    assert_eq!(at(&sliced, left_centre), at(&whole, left_centre), "the box before the plane changed");
    // The straddling box keeps its left half.
    assert_eq!(at(&sliced, pixel_of(&cam, [-0.5, 1.0, 0.0])), at(&whole, pixel_of(&cam, [-0.5, 1.0, 0.0])));
    assert_ne!(at(&sliced, pixel_of(&cam, [0.5, 1.0, 0.0])), at(&whole, pixel_of(&cam, [0.5, 1.0, 0.0])));
    // A zero normal slices nothing.
    let off = BoxesStyle { slice: Some(([0.0; 3], 0.0)), ..style() };
    assert_eq!(render(&gpu, &cam, &boxes, &off).as_raw(), whole.as_raw());
    // Translucent boxes are cut too (their own pipeline).
    let glass = cube([2.0, 0.0, -1.0], [4.0, 2.0, 1.0], [60, 60, 60, 128], 0);
    let glass_whole = render(&gpu, &cam, &[glass], &style());
    assert!(distance(at(&glass_whole, right_centre), at(&sky, right_centre)) > 20, "the glass is not drawn");
    let glass_sliced = render(&gpu, &cam, &[glass], &sliced_style);
    assert_eq!(at(&glass_sliced, right_centre), at(&sky, right_centre), "the glass beyond the plane is still drawn");
}

#[test]
fn edges_are_darker_than_face_centres_at_any_distance() {
    let Some(gpu) = gpu() else { return };
    for (name, distance_units) in [("near", 6.0), ("far", 40.0)] {
        let cam = OrbitCamera::from_yaw_pitch_distance([0.0, 1.0, 0.0], 35.0, 25.0, distance_units);
        let img = render(&gpu, &cam, &[cube(BOX_MIN, BOX_MAX, GREY, 0)], &style());
        maybe_save(&img, &format!("edges_{name}"));
        let face_centre = at(&img, pixel_of(&cam, [0.0, 1.0, 1.0]));
        for edge in [[1.0, 1.0, 1.0], [0.0, 2.0, 1.0]] {
            let p = pixel_of(&cam, edge);
            let darkest = around(&img, p).into_iter().map(brightness).min().unwrap();
            assert!(
                darkest * 10 < brightness(face_centre) * 8,
                "{name}: edge {edge:?} darkest {darkest} vs face {face_centre:?}"
            );
        }
        // About 1 px wide: a few pixels in from the edge the face is even again.
        let (ex, ey) = pixel_of(&cam, [1.0, 1.0, 1.0]);
        let (cx, _) = pixel_of(&cam, [0.0, 1.0, 1.0]);
        let inside = at(&img, (ex.min(cx) + (ex.abs_diff(cx) / 2).max(4).min(ex.abs_diff(cx)), ey));
        assert!(distance(inside, face_centre) <= 6, "{name}: {inside:?} vs {face_centre:?}");
    }
}

/// An egui screen: a central panel with a heading and a label, then a 3D
/// view of `VIEW_SIZE` points.
struct EguiScene {
    view_rect: Option<egui::Rect>,
}

const VIEW_SIZE: egui::Vec2 = egui::vec2(200.0, 120.0);
const PPP: f32 = 1.5;

impl EguiScene {
    fn ui(&mut self, ui: &mut egui::Ui) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("memscape: City");
            ui.label("Image  Heap  Stack  Free");
            let (rect, _) = ui.allocate_exact_size(VIEW_SIZE, egui::Sense::hover());
            let cb = BoxesPaintCallback::new(camera(), rect, ui.ctx().pixels_per_point(), style());
            ui.painter().add(paint_callback(rect, cb));
            self.view_rect = Some(rect);
        });
    }
}

#[test]
fn egui_frames_draw_the_3d_view_where_it_is() {
    let Some(gpu) = gpu() else { return };
    let size = [480, 320];
    let boxes = [cube(BOX_MIN, BOX_MAX, RED, 0)];
    let mut scene = EguiScene { view_rect: None };
    let egui_picture = Picture { size_px: size, pixels_per_point: PPP, background: [20, 22, 28, 255] };
    let ui = &mut |ui: &mut egui::Ui| scene.ui(ui);
    let img =
        render_offscreen(&gpu, &egui_picture, Content::Ui3d { boxes: BoxParts::shared(Arc::from(&boxes[..])), ui })
            .expect("render")
            .image;
    maybe_save(&img, "egui");
    let rect = scene.view_rect.expect("the 3D view was laid out");
    let vp = viewport_px(rect, PPP);
    let cam = camera();
    // The box's centre, inside the view.
    let p = cam.project([0.0, 1.0, 0.0], vp.size).expect("in front");
    let centre = at(&img, ((vp.min[0] + p[0]).floor() as u32, (vp.min[1] + p[1]).floor() as u32));
    assert!(is_shade_of(centre, RED).is_some(), "{centre:?}");
    // The sky in the view's corners.
    let top_left = at(&img, (vp.min[0] as u32 + 1, vp.min[1] as u32));
    let bottom_left = at(&img, (vp.min[0] as u32 + 1, (vp.min[1] + vp.size[1]) as u32 - 1));
    assert!(distance(top_left, SKY_TOP) <= 8, "{top_left:?}");
    assert!(distance(bottom_left, SKY_BOTTOM) <= 8, "{bottom_left:?}");
    // Nothing of the scene outside the view's rect: the panel there.
    for (x, y, px) in img.enumerate_pixels() {
        if distance(px.0, SKY_BOTTOM) <= 6 || is_shade_of(px.0, RED).is_some_and(|k| k > 0.3) {
            assert!(vp.contains([x as f32 + 0.5, y as f32 + 0.5]), "scene colour {:?} at {x},{y} outside {vp:?}", px.0);
        }
    }
    // The text was drawn: the panel above the view is not a single colour.
    let above: std::collections::BTreeSet<[u8; 4]> =
        (0..vp.min[1] as u32).flat_map(|y| (0..size[0]).map(move |x| (x, y))).map(|p| at(&img, p)).collect();
    assert!(above.len() > 2, "no text above the view: {above:?}");

    // Same input, same bytes.
    let mut again = EguiScene { view_rect: None };
    let ui = &mut |ui: &mut egui::Ui| again.ui(ui);
    let img2 =
        render_offscreen(&gpu, &egui_picture, Content::Ui3d { boxes: BoxParts::shared(Arc::from(&boxes[..])), ui })
            .expect("render")
            .image;
    assert_eq!(img.as_raw(), img2.as_raw());
}

/// A small city: a grid of boxes of different heights and colours, some
/// translucent, one selected, one compressed; the picture to look at.
fn city() -> Vec<BoxInstance> {
    let palette = [RED, GREEN, BLUE, GREY, [230, 170, 60, 255], [150, 90, 200, 255]];
    let mut boxes = vec![cube([-6.5, -0.2, -6.5], [6.5, 0.0, 6.5], [90, 96, 104, 255], 0)];
    for i in 0..6 {
        for j in 0..6 {
            let (x, z) = (-6.0 + i as f32 * 2.0, -6.0 + j as f32 * 2.0);
            let height = 0.5 + ((i * 7 + j * 3) % 5) as f32 * 0.8;
            let mut color = palette[(i + 2 * j) % palette.len()];
            let mut flags = 0;
            if (i, j) == (3, 2) {
                flags = BoxInstance::SELECTED;
            } else if (i, j) == (1, 4) {
                flags = BoxInstance::COMPRESSED;
            } else if (i, j) == (4, 4) {
                color = [60, 60, 70, 140];
            }
            boxes.push(cube([x + 0.1, 0.0, z + 0.1], [x + 1.9, height, z + 1.9], color, flags));
        }
    }
    boxes
}

#[test]
fn renders_are_deterministic_and_sizes_are_checked() {
    let Some(gpu) = gpu() else { return };
    let boxes = city();
    let cam = OrbitCamera::fit([-6.5, -0.2, -6.5], [6.5, 4.0, 6.5]);
    let a = render_boxes(&gpu, [640, 400], &cam, &boxes, &style(), Detail::Levels).expect("render").image;
    let b = render_boxes(&gpu, [640, 400], &cam, &boxes, &style(), Detail::Levels).expect("render").image;
    maybe_save(&a, "city");
    assert_eq!(a.as_raw(), b.as_raw());

    let max = gpu.max_size_px();
    let too_wide = render_boxes(&gpu, [max + 1, 10], &cam, &boxes, &style(), Detail::Levels);
    assert!(matches!(too_wide, Err(RenderError::TooLarge { .. })), "{too_wide:?}");
    let too_tall = render_offscreen(
        &gpu,
        &picture([10, memscape::render::offscreen::MAX_PICTURE_SIDE_PX + 1], 1.0),
        Content::Ui3d { boxes: BoxParts::shared(Arc::from(&boxes[..])), ui: &mut |_| {} },
    );
    // egui pictures are tiled beyond the texture limit, up to their own limit.
    assert!(matches!(too_tall, Err(RenderError::PictureTooLarge { .. })), "{too_tall:?}");
    let empty = render_boxes(&gpu, [0, 10], &cam, &boxes, &style(), Detail::Levels);
    assert!(matches!(empty, Err(RenderError::EmptySize { .. })), "{empty:?}");
    // No boxes at all: just the sky.
    let sky = render_boxes(&gpu, [64, 64], &cam, &[], &style(), Detail::Levels).expect("render").image;
    assert!(distance(at(&sky, (0, 0)), SKY_TOP) <= 8);
}

#[test]
fn the_renderer_builds_for_window_formats_and_sample_counts() {
    let Some(gpu) = gpu() else { return };
    let device = &gpu.device;
    let msaa = supported_msaa_samples(device, None);
    println!("scene MSAA: {msaa}x");
    assert!(msaa == 1 || msaa == 4);
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    for format in [wgpu::TextureFormat::Bgra8Unorm, wgpu::TextureFormat::Rgba8Unorm] {
        for (scene_samples, target_samples) in [(1, 1), (msaa, 1), (msaa, 4)] {
            let mut r = BoxesRenderer::with_target_samples(device, scene_samples, format, target_samples);
            let many: Vec<BoxInstance> =
                (0..1000).map(|i| cube([i as f32, 0.0, 0.0], [i as f32 + 0.5, 1.0, 1.0], RED, 0)).collect();
            r.set_instances(&many);
            assert_eq!(r.instance_count(), 1000);
            r.set_instances(&many[..3]);
            assert_eq!(r.instance_count(), 3);
            // Two viewport sizes in a row (the scene textures are remade), and an empty one.
            for size in [[64, 48], [100, 30], [0, 30]] {
                let commands = r.prepare(device, &gpu.queue, &camera(), size, &style());
                gpu.queue.submit([commands]);
            }
        }
    }
    let error = pollster::block_on(scope.pop());
    assert!(error.is_none(), "{error:?}");
}

/// Renders `renderer`'s last prepared picture through its `paint` into a
/// fresh texture and reads it back.
fn paint_and_read(gpu: &Gpu, renderer: &BoxesRenderer, size: [u32; 2]) -> image::RgbaImage {
    let device = &gpu.device;
    let texture = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("render3d::target"),
        size: wgpu::Extent3d { width: size[0], height: size[1], depth_or_array_layers: 1 },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8Unorm,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
    let row = (size[0] * 4).div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("render3d::readback"),
        size: row as u64 * size[1] as u64,
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut encoder =
        device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("render3d::encoder") });
    {
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("render3d::pass"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations { load: wgpu::LoadOp::Clear(wgpu::Color::BLACK), store: wgpu::StoreOp::Store },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        renderer.paint(&mut pass);
    }
    encoder.copy_texture_to_buffer(
        wgpu::TexelCopyTextureInfo {
            texture: &texture,
            mip_level: 0,
            origin: wgpu::Origin3d::ZERO,
            aspect: wgpu::TextureAspect::All,
        },
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(row), rows_per_image: Some(size[1]) },
        },
        wgpu::Extent3d { width: size[0], height: size[1], depth_or_array_layers: 1 },
    );
    gpu.queue.submit([encoder.finish()]);
    buffer.slice(..).map_async(wgpu::MapMode::Read, |r| r.expect("map"));
    device.poll(wgpu::PollType::wait_indefinitely()).expect("poll");
    let mut pixels = Vec::new();
    {
        let mapped = buffer.slice(..).get_mapped_range().expect("mapped");
        for r in mapped.chunks(row as usize).take(size[1] as usize) {
            pixels.extend_from_slice(&r[..size[0] as usize * 4]);
        }
    }
    image::RgbaImage::from_raw(size[0], size[1], pixels).expect("image")
}

#[test]
fn an_unchanged_frame_keeps_the_last_picture() {
    let Some(gpu) = gpu() else { return };
    let (device, queue) = (&gpu.device, &gpu.queue);
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let msaa = supported_msaa_samples(device, None);
    let mut r = BoxesRenderer::new(device, msaa, wgpu::TextureFormat::Rgba8Unorm);
    let cam = camera();
    let centre = pixel_of(&cam, [0.0, 1.0, 0.0]);
    r.set_instances(&[cube(BOX_MIN, BOX_MAX, RED, 0)]);
    queue.submit([r.prepare(device, queue, &cam, SIZE, &style())]);
    let first = paint_and_read(&gpu, &r, SIZE);
    assert!(is_shade_of(at(&first, centre), RED).is_some(), "{:?}", at(&first, centre));

    // Nothing changed: the scene is not drawn again, and the picture stays.
    queue.submit([r.prepare(device, queue, &cam, SIZE, &style())]);
    assert_eq!(paint_and_read(&gpu, &r, SIZE).as_raw(), first.as_raw());

    // New instances, a new camera, a new style: each is drawn.
    r.set_instances(&[cube(BOX_MIN, BOX_MAX, BLUE, 0)]);
    queue.submit([r.prepare(device, queue, &cam, SIZE, &style())]);
    let blue = paint_and_read(&gpu, &r, SIZE);
    assert!(is_shade_of(at(&blue, centre), BLUE).is_some(), "{:?}", at(&blue, centre));
    let moved = OrbitCamera { yaw_deg: cam.yaw_deg + 45.0, ..cam };
    queue.submit([r.prepare(device, queue, &moved, SIZE, &style())]);
    let turned = paint_and_read(&gpu, &r, SIZE);
    assert_ne!(turned.as_raw(), blue.as_raw(), "the camera move was not drawn");
    // Everything above y = -1 cut away: only the sky (even along each row) is left.
    let sliced = BoxesStyle { slice: Some(([0.0, 1.0, 0.0], -1.0)), ..style() };
    queue.submit([r.prepare(device, queue, &moved, SIZE, &sliced)]);
    let empty = paint_and_read(&gpu, &r, SIZE);
    assert_eq!(at(&empty, centre), at(&empty, (0, centre.1)), "the box is still there");
    let error = pollster::block_on(scope.pop());
    assert!(error.is_none(), "{error:?}");
}

/// A city like a big dump's: 480 x 480 lots along rows (neighbours in upload
/// order), heights varying, colour runs of about 40 lots.
fn big_city() -> Vec<BoxInstance> {
    let colours = [[200, 40, 30, 255], [40, 180, 60, 255], [50, 90, 220, 255], [128, 128, 128, 255]];
    let mut rng = memscape::synth::rng::SplitMix64::for_name(1, "big city");
    let mut next = move || rng.next_u64();
    let mut boxes = Vec::new();
    let mut colour = 0;
    for row in 0..480 {
        for col in 0..480 {
            if next() % 40 == 0 {
                colour = (colour + 1) % colours.len();
            }
            let (x, z) = (col as f32 * 0.1 - 24.0, row as f32 * 0.1 - 24.0);
            let h = 0.05 + (next() % 100) as f32 / 200.0;
            boxes.push(BoxInstance::new([x, 0.0, z], [x + 0.09, h, z + 0.09], BoxInstance::rgba(colours[colour]), 0));
        }
    }
    boxes
}

#[test]
fn levels_of_detail_draw_far_fewer_boxes_and_look_the_same() {
    let Some(gpu) = gpu() else { return };
    let boxes = big_city();
    let size = [640, 400];
    // The whole city from afar: every lot is below a pixel.
    let counted = |camera: &OrbitCamera, detail: Detail| {
        let r = render_boxes(&gpu, size, camera, &boxes, &style(), detail).unwrap();
        (r.image, r.drawn.expect("bare boxes are counted"))
    };
    let far = OrbitCamera::from_yaw_pitch_distance([0.0, 0.0, 0.0], 30.0, 40.0, 400.0);
    let (lod, drawn) = counted(&far, Detail::Levels);
    let (all, drawn_all) = counted(&far, Detail::Full);
    maybe_save(&lod, "lod-far");
    maybe_save(&all, "lod-far-all");
    assert_eq!(drawn_all as usize, boxes.len());
    assert!(drawn > 0 && drawn * 2 < drawn_all, "{drawn} of {drawn_all} boxes drawn from afar");
    // Compared where the city is: its bounds projected on screen, where the
    // full picture must differ from the sky alone.
    let (lo, hi) = boxes.iter().fold(([f32::MAX; 3], [f32::MIN; 3]), |(lo, hi), b| {
        (std::array::from_fn(|a| lo[a].min(b.min[a])), std::array::from_fn(|a| hi[a].max(b.max[a])))
    });
    let corners = (0..8).map(|i| {
        [
            if i & 1 == 0 { lo[0] } else { hi[0] },
            if i & 2 == 0 { lo[1] } else { hi[1] },
            if i & 4 == 0 { lo[2] } else { hi[2] },
        ]
    });
    let projected: Vec<[f32; 2]> =
        corners.map(|c| far.project(c, [size[0] as f32, size[1] as f32]).expect("the city is in front")).collect();
    let (x0, x1) = projected.iter().fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
    let (y0, y1) = projected.iter().fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(p[1]), b.max(p[1])));
    let (x0, x1) = (x0.max(0.0) as u32, (x1.ceil() as u32).min(size[0]));
    let (y0, y1) = (y0.max(0.0) as u32, (y1.ceil() as u32).min(size[1]));
    assert!(x1 > x0 + 4 && y1 > y0 + 4, "the city projects to {x0}..{x1} x {y0}..{y1}");
    let sky = render_boxes(&gpu, size, &far, &[], &style(), Detail::Full).unwrap().image;
    let in_city = |img: &image::RgbaImage, other: &image::RgbaImage, min: u32| {
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| distance(img.get_pixel(x, y).0, other.get_pixel(x, y).0) > min)
            .count()
    };
    let area = f64::from((x1 - x0) * (y1 - y0));
    let city = in_city(&all, &sky, 30);
    assert!(city as f64 > area * 0.2, "the city covers only {city} of {area} pixels of its box");
    let differ = in_city(&lod, &all, 150);
    assert!((differ as f64) < city as f64 * 0.15, "{differ} of the city's {city} pixels differ with levels of detail");
    // Across the city from its edge: full detail near the eye, merged boxes far away.
    let across = OrbitCamera::from_yaw_pitch_distance([0.0, 0.0, 0.0], 10.0, 15.0, 90.0);
    let (lod, drawn) = counted(&across, Detail::Levels);
    let (all, drawn_all) = counted(&across, Detail::Full);
    maybe_save(&lod, "lod-across");
    maybe_save(&all, "lod-across-all");
    assert!(drawn * 10 < drawn_all * 9, "{drawn} of {drawn_all} boxes drawn across the city");
    let differ = lod.pixels().zip(all.pixels()).filter(|(a, b)| distance(a.0, b.0) > 150).count();
    let share = differ as f64 / f64::from(size[0] * size[1]);
    assert!(share < 0.08, "across: {:.1}% of the pixels differ", share * 100.0);
    // Close to one corner: only what is in view, exactly as without levels.
    let near = OrbitCamera::from_yaw_pitch_distance([-22.0, 0.0, -22.0], 30.0, 40.0, 3.0);
    let (lod, drawn) = counted(&near, Detail::Levels);
    let (all, _) = counted(&near, Detail::Full);
    assert!((drawn as usize) * 4 < boxes.len(), "{drawn} boxes drawn close up");
    assert!(lod == all, "culling changed the picture");
}

#[test]
fn a_new_selection_rewrites_the_boxes_and_keeps_the_levels() {
    let Some(gpu) = gpu() else { return };
    let (device, queue) = (&gpu.device, &gpu.queue);
    let msaa = supported_msaa_samples(device, None);
    let boxes = big_city();
    // A lot near the corner the camera looks at: drawn at full detail.
    let mut selected = boxes.clone();
    selected[20 * 480 + 20].flags |= BoxInstance::SELECTED;
    let near = OrbitCamera::from_yaw_pitch_distance([-22.0, 0.0, -22.0], 30.0, 40.0, 3.0);
    let draw = |r: &mut BoxesRenderer| {
        queue.submit([r.prepare(device, queue, &near, SIZE, &style())]);
        paint_and_read(&gpu, r, SIZE)
    };
    // One renderer gets the city, then the same city with a selection (only flags differ)...
    let mut again = BoxesRenderer::new(device, msaa, wgpu::TextureFormat::Rgba8Unorm);
    again.set_instances(&boxes);
    let plain = draw(&mut again);
    again.set_instances(&selected);
    let reselected = draw(&mut again);
    // ...another gets the selected city at once: the same picture.
    let mut fresh = BoxesRenderer::new(device, msaa, wgpu::TextureFormat::Rgba8Unorm);
    fresh.set_instances(&selected);
    let direct = draw(&mut fresh);
    assert!(reselected == direct, "the rewritten boxes differ from a fresh upload");
    assert!(reselected != plain, "the selection does not show");
    // And back: the selection goes.
    again.set_instances(&boxes);
    assert!(draw(&mut again) == plain, "the old selection stays");
}

#[test]
fn box_levels_are_uploaded_when_a_frame_first_draws_from_them() {
    let Some(gpu) = gpu() else { return };
    let (device, queue) = (&gpu.device, &gpu.queue);
    let boxes: Arc<[BoxInstance]> = Arc::from(big_city());
    let mut r = BoxesRenderer::new(device, 1, wgpu::TextureFormat::Rgba8Unorm);
    r.set_shared_instances(Arc::clone(&boxes));
    assert_eq!(r.instance_count() as usize, boxes.len());
    assert!(Arc::strong_count(&boxes) >= 2, "opaque boxes are shared with the scene, not copied");
    assert_eq!(r.uploaded_count(), 0, "nothing is uploaded before a frame draws");
    // From afar: coarse levels only, far fewer boxes than the city has.
    let far = OrbitCamera::from_yaw_pitch_distance([0.0, 0.0, 0.0], 30.0, 40.0, 400.0);
    queue.submit([r.prepare(device, queue, &far, SIZE, &style())]);
    let coarse = r.uploaded_count();
    assert!(coarse > 0 && coarse * 4 < boxes.len(), "{coarse} of {} boxes uploaded from afar", boxes.len());
    // Close to a corner: level 0 is needed there and joins them.
    let near = OrbitCamera::from_yaw_pitch_distance([-22.0, 0.0, -22.0], 30.0, 40.0, 3.0);
    queue.submit([r.prepare(device, queue, &near, SIZE, &style())]);
    assert!(r.uploaded_count() >= coarse + boxes.len(), "{} after zooming in", r.uploaded_count());
    // New boxes start again from nothing; the old ones are let go.
    r.set_instances(&boxes[..10]);
    assert_eq!((r.uploaded_count(), Arc::strong_count(&boxes)), (0, 1));
}

#[test]
fn a_new_selection_keeps_the_levels_of_many_translucent_boxes() {
    // More translucent boxes than are sorted each frame (65,536) get levels
    // of detail, as opaque ones do; a click, which changes only flags, must
    // leave them drawn that way rather than whole.
    let Some(gpu) = gpu() else { return };
    let (device, queue) = (&gpu.device, &gpu.queue);
    let faint: Vec<BoxInstance> =
        big_city().into_iter().map(|b| BoxInstance { color: BoxInstance::rgba([60, 20, 15, 128]), ..b }).collect();
    assert!(faint.len() > 1 << 16);
    let mut selected = faint.clone();
    selected[1000].flags |= BoxInstance::SELECTED;
    let far = OrbitCamera::from_yaw_pitch_distance([0.0, 0.0, 0.0], 30.0, 40.0, 400.0);
    let drawn = |r: &mut BoxesRenderer| {
        queue.submit([r.prepare(device, queue, &far, SIZE, &style())]);
        r.drawn_count() as usize
    };
    let mut clicked = BoxesRenderer::new(device, 1, wgpu::TextureFormat::Rgba8Unorm);
    clicked.set_instances(&faint);
    let before = drawn(&mut clicked);
    clicked.set_instances(&selected);
    let mut fresh = BoxesRenderer::new(device, 1, wgpu::TextureFormat::Rgba8Unorm);
    fresh.set_instances(&selected);
    assert!(before * 2 < faint.len(), "{before} of {} translucent boxes drawn from afar", faint.len());
    assert_eq!(drawn(&mut clicked), drawn(&mut fresh), "after a click as after a fresh upload");
    assert_eq!(clicked.uploaded_count(), fresh.uploaded_count(), "the coarse levels stay; level 0 is not needed");
}

/// A scene of `MSAA_MAX_BOXES` boxes or more is drawn without multisampling:
/// one red cube among invisible boxes (fully transparent: never drawn, but
/// counted) looks the same inside either side of the line, and its edges
/// are smoothed only below it (where the device has 4x at all).
#[test]
fn huge_scenes_are_drawn_without_multisampling() {
    use memscape::render::boxes_targets::MSAA_MAX_BOXES;
    let Some(gpu) = gpu() else { return };
    let cam = camera();
    let scene = |n: usize| {
        let mut boxes = vec![cube([-1.0, 0.0, -1.0], [1.0, 2.0, 1.0], RED, 0)];
        boxes.resize(n, cube([5.0, 0.0, 5.0], [5.1, 0.1, 5.1], [0, 0, 0, 0], 0));
        render(&gpu, &cam, &boxes, &style())
    };
    let (below, huge) = (scene(MSAA_MAX_BOXES - 1), scene(MSAA_MAX_BOXES));
    maybe_save(&huge, "render3d_huge_scene");
    let inside = pixel_of(&cam, [0.0, 2.0, 0.0]);
    assert_eq!(at(&below, inside), at(&huge, inside), "the cube's top inside");
    let differ = below.pixels().zip(huge.pixels()).filter(|(a, b)| a != b).count();
    if supported_msaa_samples(&gpu.device, None) >= 4 {
        // Only edge pixels differ: some, and few.
        let share = differ as f64 / f64::from(SIZE[0] * SIZE[1]);
        assert!(differ > 0 && share < 0.05, "{differ} pixels differ ({:.1}%)", share * 100.0);
    } else {
        assert_eq!(differ, 0, "no multisampling on this device either way");
    }
}

#[test]
fn a_scene_drawn_in_batches_is_the_scene_drawn_at_once() {
    // Pictures draw big scenes in passes of a few thousand boxes, so a
    // software rasterizer never queues all their triangles: the passes keep
    // colour and depth between them, and the picture must not change.
    let Some(gpu) = gpu() else { return };
    let (device, queue) = (&gpu.device, &gpu.queue);
    let mut boxes = big_city();
    // Translucent boxes too (drawn after every opaque one), and a selection.
    for b in boxes.iter_mut().step_by(7) {
        b.color = BoxInstance::rgba([60, 30, 10, 120]);
    }
    boxes[20 * 480 + 21].flags |= BoxInstance::SELECTED;
    for camera in [
        OrbitCamera::from_yaw_pitch_distance([-22.0, 0.0, -22.0], 30.0, 40.0, 3.0),
        OrbitCamera::from_yaw_pitch_distance([0.0, 0.0, 0.0], 30.0, 40.0, 60.0),
    ] {
        let draw = |batch: Option<u32>| {
            let mut r = BoxesRenderer::new(device, 1, wgpu::TextureFormat::Rgba8Unorm);
            if let Some(most) = batch {
                r.draw_in_batches(most);
            }
            r.set_instances(&boxes);
            queue.submit([r.prepare(device, queue, &camera, SIZE, &style())]);
            (paint_and_read(&gpu, &r, SIZE), r.drawn_count())
        };
        let (whole, drawn) = draw(None);
        let (batched, _) = draw(Some(1000));
        assert!(drawn > 5000, "only {drawn} boxes drawn: too few to batch");
        maybe_save(&batched, "batched");
        assert!(batched == whole, "the batched picture differs ({drawn} boxes)");
    }
}
