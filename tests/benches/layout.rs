//! Each 2D and 3D layout of a generated dump, and what the window builds on
//! top of one (the hit index and GPU instances), at 10k, 100k and 1M regions.

// Benchmark code: clippy.toml's allow-*-in-tests covers only #[test] functions, not the
// helpers beside them; unwrap and expect are how a test says what it expects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support.rs"]
mod support;

use memscape::layout::layout3d::HeightMetric;
use memscape::layout::{LayoutInput, ViewKind, all_visible, city, layout, volume};
use memscape::scene::Filters;
use memscape::scene::Scene2d;
use support::SIZES;

fn main() {
    divan::main();
}

fn flat(bencher: divan::Bencher, regions: u64, kind: ViewKind) {
    let space = support::open(regions);
    let visible = all_visible(&space);
    bencher.bench(|| layout(kind, &LayoutInput { space: &space, visible: &visible }));
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn strip(bencher: divan::Bencher, regions: u64) {
    flat(bencher, regions, ViewKind::Strip);
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn hilbert(bencher: divan::Bencher, regions: u64) {
    flat(bencher, regions, ViewKind::Hilbert);
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn treemap(bencher: divan::Bencher, regions: u64) {
    flat(bencher, regions, ViewKind::Treemap);
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn city_size(bencher: divan::Bencher, regions: u64) {
    let space = support::open(regions);
    let visible = all_visible(&space);
    bencher.bench(|| city::layout_city(&LayoutInput { space: &space, visible: &visible }, HeightMetric::Size));
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn volume_curve(bencher: divan::Bencher, regions: u64) {
    let space = support::open(regions);
    let visible = all_visible(&space);
    bencher.bench(|| volume::layout_volume(&LayoutInput { space: &space, visible: &visible }));
}

/// The Hilbert layout plus what the window derives from it: the hit index and
/// the GPU instances.
#[divan::bench(args = SIZES, sample_count = 5)]
fn hilbert_scene(bencher: divan::Bencher, regions: u64) {
    let space = support::open(regions);
    let filters = Filters::default();
    let visible = all_visible(&space);
    bencher.bench(|| {
        let l = layout(ViewKind::Hilbert, &LayoutInput { space: &space, visible: &visible });
        Scene2d::new(&space, l, &filters, 1)
    });
}
