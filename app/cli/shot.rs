//! `memscape shot`: the same map the window shows, rendered offscreen with
//! wgpu (no window, no X server) and written as a PNG.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::timings::Timings;
use crate::dump::AddressSpace;
use crate::export::png::write_png;
use crate::layout::scene3d::HeightMetric;
use crate::layout::{self, LayoutInput, View, city, volume};
use crate::render::{Content, Gpu, Picture, render_offscreen};
use crate::ui::export_overlay::{self, Callout};
use crate::ui::filters::Filters;
use crate::ui::map_view::{self, Highlights, MapGpu, MapScene, MapViewState};
use crate::ui::theme::{self, ExportPalette, ExportTheme};
use crate::ui::view3d::{self, Gpu3d, Scene3dData, View3dState, VolumeStyle};

pub struct ShotOptions {
    pub view: View,
    pub size_px: [u32; 2],
    pub select: Option<u64>,
    /// 3D views: yaw and pitch in degrees and distance; None fits the scene.
    pub camera: Option<[f32; 3]>,
    /// 3D views: the point the camera looks at, with `camera`; None: the
    /// scene's centre.
    pub camera_target: Option<[f32; 3]>,
    /// What City heights encode.
    pub metric: HeightMetric,
    /// Dark (the window's look) or light background, sky and text.
    pub theme: ExportTheme,
    /// Background pixels (2D: map background and margins; 3D: the sky) get alpha 0.
    pub transparent: bool,
    /// A title block in the top-left corner: None: none; Some(None): the
    /// dump's name, process, OS and exception; Some(Some(text)): `text`.
    pub title: Option<Option<String>>,
    /// The legend with bytes per kind in the bottom-left corner.
    pub legend: bool,
    /// Callout labels for the selection and the regions of pattern findings.
    pub callouts: bool,
    /// Kinds shown and the colouring (the window's, for Export image…;
    /// everything by kind from the command line).
    pub filters: Filters,
    /// Tiles of at most this many pixels per side (None: the GPU's largest
    /// texture; larger pictures are tiled either way).
    pub tile_px: Option<u32>,
}

/// Callouts for pattern findings: at most this many, most severe first.
pub const MAX_FINDING_CALLOUTS: usize = 6;

impl ShotOptions {
    /// A picture of `view` at `size_px` with everything else at its default.
    pub fn new(view: View, size_px: [u32; 2]) -> ShotOptions {
        ShotOptions {
            view,
            size_px,
            select: None,
            camera: None,
            camera_target: None,
            metric: HeightMetric::default(),
            theme: ExportTheme::Dark,
            transparent: false,
            title: None,
            legend: false,
            callouts: false,
            filters: Filters::default(),
            tile_px: None,
        }
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
    render_timed(space, opts, &mut Timings::off())
}

/// [`render`], timing its phases: gpu (opening the device), analysis (the
/// findings callouts point at), layout, scene (instances), render.
pub fn render_timed(space: &AddressSpace, opts: &ShotOptions, timings: &mut Timings) -> Result<Shot> {
    let filters = opts.filters.clone();
    let visible = filters.visible(space);
    let input = LayoutInput { space, visible: &visible };
    let selected = match opts.select {
        Some(addr) => match space.region_index_at(addr) {
            Some(i) => Some(i as u32),
            None => bail!("{}: 0x{addr:x} is outside the user address space", space.path.display()),
        },
        None => None,
    };
    let mut gpu = timings.time("gpu", Gpu::headless).context("no GPU adapter for offscreen rendering")?;
    if let Some(px) = opts.tile_px {
        gpu.set_max_tile_px(px);
    }
    let pal = opts.theme.palette();
    let light = opts.theme == ExportTheme::Light;
    let restyle = light || opts.transparent;
    let title = title_lines(space, opts);
    let targets = match opts.callouts {
        true => timings.time("analysis", || callout_targets(space, selected)),
        false => Vec::new(),
    };
    let overlay = Overlay { space, opts, pal: &pal, title: title.as_deref(), targets: &targets };
    match opts.view {
        View::Flat(kind) => {
            let layout = timings.time("layout", || layout::layout(kind, &input));
            let scene = timings.time("scene", || MapScene::new(space, layout, filters.color_mode, 1));
            let mut state = MapViewState::default();
            let bg = if opts.transparent { [0; 4] } else { pal.background.to_array() };
            let render_start = std::time::Instant::now();
            let picture = Picture { size_px: opts.size_px, pixels_per_point: 1.0, background: bg };
            let ui = &mut |ui: &mut egui::Ui| {
                egui::CentralPanel::default().frame(egui::Frame::NONE).show(ui, |ui| {
                    let start = next_shape(ui);
                    map_view::map_view_ui(
                        ui,
                        &mut state,
                        space,
                        &scene,
                        Highlights { selected, marked: &[] },
                        MapGpu::Preloaded,
                    );
                    if restyle {
                        restyle_shapes(ui, start, &pal, opts.transparent, light);
                    }
                    let layout = &scene.layout;
                    overlay.draw_ui(ui, |region| state.screen_rect_of(layout, region));
                });
            };
            let mut image = render_offscreen(&gpu, &picture, Content::Ui2d { quads: &scene.lod, ui })?.image;
            if opts.transparent {
                unpremultiply(&mut image);
            }
            timings.record("render", render_start.elapsed());
            Ok(Shot { image, scene: Some(scene), view: state, scene3d: None, view3d: View3dState::default() })
        }
        View::City | View::Volume => {
            let volume_style = VolumeStyle::default();
            let style = (opts.view == View::Volume).then_some(&volume_style);
            let scene = timings.time("layout", || match opts.view {
                View::City => city::layout_city(&input, opts.metric),
                _ => volume::layout_volume(&input),
            });
            let data = timings.time("scene", || Scene3dData::new(space, scene, filters.color_mode, style, selected, 1));
            let bg = theme::MAP_BACKGROUND.to_array();
            let camera = opts.camera;
            let target = opts.camera_target;
            let draw = |ui: &mut egui::Ui, state: &mut View3dState, plain_sky: bool| {
                egui::CentralPanel::default().frame(egui::Frame::NONE).show(ui, |ui| {
                    if let (Some([yaw, pitch, distance]), None) = (camera, state.camera) {
                        state.set_view_angles(&data, yaw, pitch, distance, target);
                    }
                    let start = next_shape(ui);
                    let marks = Highlights { selected, marked: &[] };
                    view3d::view3d_ui(ui, state, space, &data, marks, style, Gpu3d::Preloaded);
                    if plain_sky {
                        keep_only_callbacks(ui, start);
                        return;
                    }
                    if light {
                        restyle_shapes(ui, start, &pal, false, light);
                    }
                    overlay.draw_ui(ui, |region| {
                        state.screen_pos_of(&data, region).map(|p| egui::Rect::from_min_max(p, p))
                    });
                });
            };
            let mut state = View3dState::default();
            let render_start = std::time::Instant::now();
            let picture = Picture { size_px: opts.size_px, pixels_per_point: 1.0, background: bg };
            let ui = &mut |ui: &mut egui::Ui| draw(ui, &mut state, false);
            let mut image = render_offscreen(&gpu, &picture, Content::Ui3d { boxes: &data.instances, ui })?.image;
            if restyle {
                // Where the picture equals the sky alone, nothing was drawn over the sky.
                let mut sky_state = View3dState::default();
                let ui = &mut |ui: &mut egui::Ui| draw(ui, &mut sky_state, true);
                let sky = render_offscreen(&gpu, &picture, Content::Ui3d { boxes: &[], ui })?.image;
                replace_sky(&mut image, &sky, &pal, opts.transparent);
            }
            timings.record("render", render_start.elapsed());
            Ok(Shot { image, scene: None, view: MapViewState::default(), scene3d: Some(data), view3d: state })
        }
    }
}

/// The title block's lines, or None without --title.
pub fn title_lines(space: &AddressSpace, opts: &ShotOptions) -> Option<Vec<String>> {
    match &opts.title {
        None => None,
        Some(None) => Some(export_overlay::default_title(space)),
        Some(Some(text)) => Some(text.lines().map(str::to_string).collect()),
    }
}

/// What callouts point at, in drawing order: the selected region, then the
/// regions of the most severe pattern findings (at most
/// [`MAX_FINDING_CALLOUTS`]): (region index, title, detail).
pub fn callout_targets(space: &AddressSpace, selected: Option<u32>) -> Vec<(u32, String, Option<String>)> {
    let describe = |i: u32| {
        let r = &space.regions[i as usize];
        if r.label.is_empty() { r.kind.name().to_string() } else { format!("{} {}", r.kind.name(), r.label) }
    };
    let mut out = Vec::new();
    if let Some(sel) = selected {
        let r = &space.regions[sel as usize];
        let range =
            format!("0x{:x}..0x{:x} ({})", r.base_addr, r.end_addr(), crate::format::human_size_short(r.size_bytes));
        out.push((sel, describe(sel), Some(range)));
    }
    // A finding points at its first region, or its first module's or thread's
    // (most findings name modules and threads rather than raw regions).
    let findings = crate::analysis::patterns::analyze(space, None);
    let targets = findings.iter().filter_map(|f| {
        let i = crate::ui::patterns::finding_regions(space, f).first().copied()?;
        Some((i, f.name.to_string(), Some(describe(i))))
    });
    out.extend(targets.take(MAX_FINDING_CALLOUTS));
    out
}

/// The overlays of one picture, drawn over the view in the same pass.
struct Overlay<'a> {
    space: &'a AddressSpace,
    opts: &'a ShotOptions,
    pal: &'a ExportPalette,
    title: Option<&'a [String]>,
    targets: &'a [(u32, String, Option<String>)],
}

impl Overlay<'_> {
    /// `screen_of` says where a region is on screen (after the view is drawn).
    fn draw_ui(&self, ui: &egui::Ui, screen_of: impl Fn(u32) -> Option<egui::Rect>) {
        let area = ui.max_rect();
        let mut avoid = Vec::new();
        if let Some(lines) = self.title {
            avoid.push(export_overlay::title_ui(ui, area, lines, self.pal));
        }
        if self.opts.legend {
            avoid.push(export_overlay::legend_ui(ui, area, self.space, self.pal));
        }
        if self.opts.callouts {
            let callouts: Vec<Callout> = self
                .targets
                .iter()
                .filter_map(|(region, title, detail)| {
                    let anchor = screen_of(*region)?;
                    let color = theme::kind_color(self.space.regions[*region as usize].kind);
                    Some(Callout { anchor, title: title.clone(), detail: detail.clone(), color })
                })
                .collect();
            export_overlay::callouts_ui(ui, area, &callouts, &avoid, self.pal);
        }
    }
}

fn next_shape(ui: &egui::Ui) -> usize {
    let layer = ui.layer_id();
    ui.ctx().graphics(|g| g.get(layer).map_or(0, |l| l.next_idx().0))
}

/// Recolours what the view painted since shape `start` for the export's
/// theme: the map background (or transparent), and ticks drawn straight on it.
fn restyle_shapes(ui: &egui::Ui, start: usize, pal: &ExportPalette, transparent: bool, light: bool) {
    let layer = ui.layer_id();
    ui.ctx().graphics_mut(|g| {
        let list = g.entry(layer);
        let mut on_backing = false;
        for i in start..list.next_idx().0 {
            list.mutate_shape(egui::layers::ShapeIdx(i), |clipped| {
                let backing = restyle_shape(&mut clipped.shape, pal, transparent, light, on_backing);
                on_backing = backing;
            });
        }
    });
}

/// Returns whether `shape` is a tick label's backing (the text after it keeps its colour).
fn restyle_shape(
    shape: &mut egui::Shape,
    pal: &ExportPalette,
    transparent: bool,
    light: bool,
    on_backing: bool,
) -> bool {
    match shape {
        egui::Shape::Rect(r) if r.fill == theme::MAP_BACKGROUND => {
            r.fill = if transparent { egui::Color32::TRANSPARENT } else { pal.background };
        }
        egui::Shape::Rect(r) => return r.fill == theme::MAP_TICK_BACKING,
        egui::Shape::Text(t)
            if light
                && !on_backing
                && (t.fallback_color == theme::MAP_TICK || t.fallback_color == egui::Color32::from_gray(200)) =>
        {
            t.override_text_color = Some(pal.tick);
        }
        egui::Shape::LineSegment { stroke, .. } if light && stroke.color == theme::MAP_TICK => stroke.color = pal.tick,
        egui::Shape::Circle(c) if light && c.fill == theme::MAP_TICK => c.fill = pal.tick,
        egui::Shape::Vec(shapes) => {
            let mut backing = on_backing;
            for s in shapes {
                backing = restyle_shape(s, pal, transparent, light, backing);
            }
        }
        _ => {}
    }
    false
}

/// Leaves only the paint callbacks (the GPU scene) of what the view painted since `start`.
fn keep_only_callbacks(ui: &egui::Ui, start: usize) {
    let layer = ui.layer_id();
    ui.ctx().graphics_mut(|g| {
        let list = g.entry(layer);
        for i in start..list.next_idx().0 {
            list.mutate_shape(egui::layers::ShapeIdx(i), |clipped| {
                if !matches!(clipped.shape, egui::Shape::Callback(_)) {
                    clipped.shape = egui::Shape::Noop;
                }
            });
        }
    });
}

/// Pixels equal to the sky-only picture become the theme's sky (or transparent).
fn replace_sky(image: &mut image::RgbaImage, sky: &image::RgbaImage, pal: &ExportPalette, transparent: bool) {
    let h = image.height().max(1) as f32;
    let (top, bottom) = (pal.sky_top.to_array(), pal.sky_bottom.to_array());
    for (x, y, p) in image.enumerate_pixels_mut() {
        let s = sky.get_pixel(x, y).0;
        if p.0.iter().zip(s).take(3).any(|(a, b)| a.abs_diff(b) > 1) {
            continue;
        }
        p.0 = if transparent {
            [0; 4]
        } else {
            let t = (y as f32 + 0.5) / h;
            let mix = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
            [mix(top[0], bottom[0]), mix(top[1], bottom[1]), mix(top[2], bottom[2]), 255]
        };
    }
}

/// egui blends premultiplied; PNG wants straight alpha.
fn unpremultiply(image: &mut image::RgbaImage) {
    for p in image.pixels_mut() {
        let a = p.0[3];
        if a == 0 {
            p.0 = [0; 4];
        } else if a < 255 {
            for c in &mut p.0[..3] {
                *c = ((u32::from(*c) * 255 + u32::from(a) / 2) / u32::from(a)).min(255) as u8;
            }
        }
    }
}

pub fn run(
    space: &AddressSpace,
    opts: &ShotOptions,
    output: &Path,
    timings: &mut Timings,
    out: &mut dyn Write,
) -> Result<()> {
    let image = render_timed(space, opts, timings)?.image;
    let text = [
        ("Software", format!("memscape {}", env!("CARGO_PKG_VERSION"))),
        ("Source", space.path.display().to_string()),
        ("memscape:view", opts.view.name().to_string()),
        ("memscape:size", format!("{}x{}", opts.size_px[0], opts.size_px[1])),
        ("memscape:select", opts.select.map(|a| format!("0x{a:x}")).unwrap_or_default()),
        ("memscape:camera", camera_text(opts)),
        ("memscape:height", opts.metric.name().to_string()),
        ("memscape:theme", opts.theme.name().to_string()),
        ("memscape:transparent", opts.transparent.to_string()),
        ("memscape:title", title_lines(space, opts).map(|l| latin1(&l.join("\n"))).unwrap_or_default()),
        ("memscape:legend", opts.legend.to_string()),
        ("memscape:callouts", opts.callouts.to_string()),
    ];
    timings.time("encode", || write_png(output, image.width(), image.height(), image.as_raw(), &text))?;
    writeln!(out, "wrote {} ({}x{}, {} view)", output.display(), image.width(), image.height(), opts.view.name())?;
    Ok(())
}

/// `--camera`'s value: YAW,PITCH,DISTANCE[,X,Y,Z], empty without a camera.
fn camera_text(opts: &ShotOptions) -> String {
    match (opts.camera, opts.camera_target) {
        (Some([y, p, d]), Some([x, ty, z])) => format!("{y},{p},{d},{x},{ty},{z}"),
        (Some([y, p, d]), None) => format!("{y},{p},{d}"),
        (None, _) => String::new(),
    }
}

/// tEXt chunks are Latin-1: other characters become '?'.
fn latin1(s: &str) -> String {
    s.chars().map(|c| if u32::from(c) < 256 { c } else { '?' }).collect()
}
