//! `memscape bench-gpu DUMP --view V [--frames N] [--size WxH]` (hidden): the
//! frame time of a view, drawn by the window's own renderers frame after
//! frame with a moving camera (render/frame_bench.rs), as percentiles. The
//! figures in tests/benches/README.md's frame-time table come from here.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use super::timings::Timings;
use crate::layout::View;
use crate::layout::layout3d::HeightMetric;
use crate::render::Gpu;
use crate::render::frame_bench::{FrameScene, time_frames};
use crate::scene::paint2d;
use crate::scene::paint3d;
use crate::scene::theme::ExportTheme;
use crate::scene::{BuiltScene, Filters, ViewParams, VolumeStyle};

/// Runs `memscape bench-gpu`.
pub fn run(
    dump: &Path,
    view: View,
    frames: u32,
    size: [u32; 2],
    timings: &mut Timings,
    out: &mut dyn Write,
) -> Result<()> {
    let space = timings.open(dump)?;
    let gpu = timings.time("gpu", Gpu::headless)?;
    let volume = VolumeStyle::default();
    let params = ViewParams::new(view, &Filters::default(), HeightMetric::default(), &volume, None);
    let scene = timings.time("scene", || crate::scene::build::build_scene(&space, &params, 1));
    let map = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(size[0] as f32, size[1] as f32));
    let frame_scene = match &scene {
        BuiltScene::Flat(s) => FrameScene::Quads { lod: &s.lod, camera: paint2d::fit_camera(&s.layout, map, 1.0) },
        BuiltScene::ThreeD(s) => FrameScene::Boxes {
            boxes: &s.parts,
            camera: paint3d::fit_camera(&s.layout, map.width() / map.height().max(1.0)),
            style: paint3d::boxes_style(
                &s.layout,
                (view == View::Volume).then_some(&volume),
                &ExportTheme::Dark.palette(),
            ),
        },
    };
    let times = timings.time("frames", || time_frames(&gpu, size, frame_scene, frames.max(1)))?;
    let info = &gpu.adapter_info;
    let ms = |p: f64| times.percentile(p).as_secs_f64() * 1e3;
    writeln!(
        out,
        "{} of {} at {}x{} on {} ({:?}): {} instances, {} drawn in the first frame, {}x MSAA",
        view.name(),
        dump.display(),
        size[0],
        size[1],
        info.name,
        info.backend,
        times.instances,
        times.drawn_first,
        times.msaa_samples
    )?;
    writeln!(
        out,
        "{} frames: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.0} fps at p50, {:.0} at p99",
        times.frames.len(),
        ms(50.0),
        ms(90.0),
        ms(99.0),
        ms(100.0),
        1e3 / ms(50.0).max(1e-6),
        1e3 / ms(99.0).max(1e-6)
    )?;
    Ok(())
}
