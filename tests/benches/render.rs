//! Offscreen rendering of N instances per view at 1920x1080 (lavapipe on a
//! machine without a GPU): the 2D quads of the strip, Hilbert and treemap
//! layouts and the 3D boxes of City and Volume, each fitted to the picture,
//! and the whole `memscape shot` render. Prints a note and measures nothing
//! when there is no GPU adapter at all.

// Benchmark code: clippy.toml's allow-*-in-tests covers only #[test] functions, not the
// helpers beside them; unwrap and expect are how a test says what it expects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support.rs"]
mod support;

use memscape::export::{PictureOptions, render_picture};
use memscape::layout::layout3d::HeightMetric;
use memscape::layout::{LayoutInput, View, ViewKind, all_visible, city, layout, volume};
use memscape::render::BoxesStyle;
use memscape::render::camera3d::OrbitCamera;
use memscape::render::{Camera2d, Content, Detail, Gpu, Picture, render_offscreen};
use memscape::scene::{Filters, Scene2d, Scene3d};
use support::SIZES;

const SIZE: [u32; 2] = [1920, 1080];

fn main() {
    if Gpu::headless().is_err() {
        eprintln!("render benchmarks: no GPU adapter, nothing measured");
        return;
    }
    divan::main();
}

fn quads(bencher: divan::Bencher, regions: u64, kind: ViewKind) {
    let gpu = Gpu::headless().expect("gpu");
    let space = support::open(regions);
    let visible = all_visible(&space);
    let l = layout(kind, &LayoutInput { space: &space, visible: &visible });
    let scene = Scene2d::new(&space, l, &Filters::default(), 1);
    let b = scene.layout.bounds;
    let camera = Camera2d::fit(b.min, b.max, [SIZE[0] as f32, SIZE[1] as f32], 16.0);
    let picture = Picture { size_px: SIZE, pixels_per_point: 1.0, background: [20, 22, 26, 255] };
    bencher.counter(divan::counter::ItemsCount::new(scene.instances().len())).bench(|| {
        let quads = scene.instances();
        let content = Content::Quads { camera, quads, highlight: [255, 255, 255, 255], detail: Detail::Levels };
        render_offscreen(&gpu, &picture, content).expect("render")
    });
}

#[divan::bench(args = SIZES, sample_count = 3)]
fn strip_quads(bencher: divan::Bencher, regions: u64) {
    quads(bencher, regions, ViewKind::Strip);
}

#[divan::bench(args = SIZES, sample_count = 3)]
fn hilbert_quads(bencher: divan::Bencher, regions: u64) {
    quads(bencher, regions, ViewKind::Hilbert);
}

#[divan::bench(args = SIZES, sample_count = 3)]
fn treemap_quads(bencher: divan::Bencher, regions: u64) {
    quads(bencher, regions, ViewKind::Treemap);
}

fn boxes(bencher: divan::Bencher, regions: u64, view: View) {
    let gpu = Gpu::headless().expect("gpu");
    let space = support::open(regions);
    let visible = all_visible(&space);
    let input = LayoutInput { space: &space, visible: &visible };
    let scene = match view {
        View::City => city::layout_city(&input, HeightMetric::Size),
        _ => volume::layout_volume(&input),
    };
    let (min, max) = (scene.bounds_min, scene.bounds_max);
    let data = Scene3d::new(&space, scene, &Filters::default(), None, None, 1);
    let camera = OrbitCamera::fit(min, max);
    let style = BoxesStyle {
        sky_top: 0xff30_2018,
        sky_bottom: 0xff60_4030,
        light_dir: [0.4, 1.0, 0.3],
        ambient: 0.35,
        highlight: 0xffff_ffff,
        slice: None,
    };
    let picture = Picture { size_px: SIZE, pixels_per_point: 1.0, background: [0, 0, 0, 255] };
    bencher.counter(divan::counter::ItemsCount::new(data.instances.len())).bench(|| {
        let content = Content::Boxes { camera, boxes: &data.instances, style, detail: Detail::Levels };
        render_offscreen(&gpu, &picture, content).expect("render")
    });
}

#[divan::bench(args = SIZES, sample_count = 3)]
fn city_boxes(bencher: divan::Bencher, regions: u64) {
    boxes(bencher, regions, View::City);
}

#[divan::bench(args = SIZES, sample_count = 3)]
fn volume_boxes(bencher: divan::Bencher, regions: u64) {
    boxes(bencher, regions, View::Volume);
}

/// `memscape shot --view hilbert --size 1920x1080` without the PNG encoding:
/// device, layout, scene, egui frame and GPU render.
#[divan::bench(args = SIZES, sample_count = 3)]
fn shot_hilbert(bencher: divan::Bencher, regions: u64) {
    let space = support::open(regions);
    let opts = PictureOptions::new(View::Flat(ViewKind::Hilbert), SIZE);
    bencher.bench(|| render_picture(&space, &opts).expect("shot"));
}
