//! `memscape shot`: the same map the window shows, rendered offscreen with
//! wgpu (no window, no X server) and written as a PNG.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::dump::AddressSpace;
use crate::export::png::write_png;
use crate::layout::scene3d::HeightMetric;
use crate::layout::{self, LayoutInput, View, city, volume};
use crate::render::offscreen::{Gpu, render_egui_offscreen, render_egui_offscreen_3d};
use crate::ui::filters::Filters;
use crate::ui::map_view::{self, Highlights, MapGpu, MapScene, MapViewState};
use crate::ui::theme;
use crate::ui::view3d::{self, Gpu3d, Scene3dData, View3dState, VolumeStyle};

pub struct ShotOptions {
    pub view: View,
    pub size_px: [u32; 2],
    pub select: Option<u64>,
    /// 3D views: yaw and pitch in degrees and distance; None fits the scene.
    pub camera: Option<[f32; 3]>,
    /// What City heights encode.
    pub metric: HeightMetric,
}

impl ShotOptions {
    /// A picture of `view` at `size_px` with everything else at its default.
    pub fn new(view: View, size_px: [u32; 2]) -> ShotOptions {
        ShotOptions { view, size_px, select: None, camera: None, metric: HeightMetric::default() }
    }
}

/// A rendered map and what produced it (tests look up where regions landed).
pub struct Shot {
    pub image: image::RgbaImage,
    /// The flat map drawn (None for 3D views).
    pub scene: Option<MapScene>,
    /// The flat view's state after the last frame: its camera and rect.
    pub view: MapViewState,
    /// The 3D scene drawn (None for flat views).
    pub scene3d: Option<Scene3dData>,
    pub view3d: View3dState,
}

/// Renders the view of `space` at one pixel per point.
pub fn render(space: &AddressSpace, opts: &ShotOptions) -> Result<Shot> {
    let filters = Filters::default();
    let visible = filters.visible(space);
    let input = LayoutInput { space, visible: &visible };
    let selected = match opts.select {
        Some(addr) => match space.region_index_at(addr) {
            Some(i) => Some(i as u32),
            None => bail!("{}: 0x{addr:x} is outside the user address space", space.path.display()),
        },
        None => None,
    };
    let gpu = Gpu::headless().context("no GPU adapter for offscreen rendering")?;
    let bg = theme::MAP_BACKGROUND.to_array();
    match opts.view {
        View::Flat(kind) => {
            let scene = MapScene::new(space, layout::layout(kind, &input), filters.color_mode, 1);
            let mut state = MapViewState::default();
            let image = render_egui_offscreen(&gpu, opts.size_px, 1.0, bg, &scene.instances, |ui| {
                egui::CentralPanel::default().frame(egui::Frame::NONE).show(ui, |ui| {
                    map_view::map_view_ui(
                        ui,
                        &mut state,
                        space,
                        &scene,
                        Highlights { selected, marked: &[] },
                        MapGpu::Preloaded,
                    );
                });
            })?;
            Ok(Shot { image, scene: Some(scene), view: state, scene3d: None, view3d: View3dState::default() })
        }
        View::City | View::Volume => {
            let volume_style = VolumeStyle::default();
            let style = (opts.view == View::Volume).then_some(&volume_style);
            let scene = match opts.view {
                View::City => city::layout_city(&input, opts.metric),
                _ => volume::layout_volume(&input),
            };
            let data = Scene3dData::new(space, scene, filters.color_mode, style, selected, 1);
            let mut state = View3dState::default();
            let camera = opts.camera;
            let image = render_egui_offscreen_3d(&gpu, opts.size_px, 1.0, bg, &data.instances, |ui| {
                egui::CentralPanel::default().frame(egui::Frame::NONE).show(ui, |ui| {
                    if let (Some([yaw, pitch, distance]), None) = (camera, state.camera) {
                        state.set_view_angles(&data, yaw, pitch, distance);
                    }
                    let marks = Highlights { selected, marked: &[] };
                    view3d::view3d_ui(ui, &mut state, space, &data, marks, style, Gpu3d::Preloaded);
                });
            })?;
            Ok(Shot { image, scene: None, view: MapViewState::default(), scene3d: Some(data), view3d: state })
        }
    }
}

pub fn run(space: &AddressSpace, opts: &ShotOptions, output: &Path, out: &mut dyn Write) -> Result<()> {
    let image = render(space, opts)?.image;
    let text = [
        ("Software", format!("memscape {}", env!("CARGO_PKG_VERSION"))),
        ("Source", space.path.display().to_string()),
        ("memscape:view", opts.view.name().to_string()),
        ("memscape:size", format!("{}x{}", opts.size_px[0], opts.size_px[1])),
        ("memscape:select", opts.select.map(|a| format!("0x{a:x}")).unwrap_or_default()),
        ("memscape:camera", opts.camera.map(|[y, p, d]| format!("{y},{p},{d}")).unwrap_or_default()),
        ("memscape:height", opts.metric.name().to_string()),
    ];
    write_png(output, image.width(), image.height(), image.as_raw(), &text)?;
    writeln!(out, "wrote {} ({}x{}, {} view)", output.display(), image.width(), image.height(), opts.view.name())?;
    Ok(())
}
