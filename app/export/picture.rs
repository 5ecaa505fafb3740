//! A view's picture: the scene a view draws, painted offscreen in the
//! export's palette, with a title block, a legend and callouts laid out
//! beside the map (never over it), rendered in tiles beyond the GPU's
//! largest texture, and written as a PNG with the view settings in its text
//! chunks. `memscape shot` and the window's Export image… both come here.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Pos2, Rect};

use super::error::ExportError;
use super::overlay::{self, Callout, OverlayLayout};
use super::png::write_png;
use crate::analysis::involvement::finding_regions;
use crate::dump::AddressSpace;
use crate::layout::View;
use crate::layout::layout3d::HeightMetric;
use crate::render::camera2d::Camera2d;
use crate::render::camera3d::OrbitCamera;
use crate::render::{Content, Gpu, render_offscreen};
use crate::scene::paint2d::{self, Highlights, QuadsOn, Screen};
use crate::scene::paint3d::{self, Projection};
use crate::scene::theme::{self, ExportTheme, Palette};
use crate::scene::{BuiltScene, Filters, Picking, Scene2d, ViewParams, VolumeStyle};

/// What a picture shows and how.
#[derive(Clone, Debug)]
pub struct PictureOptions {
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
    /// The Volume's opacities and slice.
    pub volume: VolumeStyle,
    /// Dark (the window's look) or light background, sky and text.
    pub theme: ExportTheme,
    /// Background pixels (2D: map background and margins; 3D: the sky) get alpha 0.
    pub transparent: bool,
    /// A title block across the top: None: none; Some(None): the dump's
    /// name, process, OS and exception; Some(Some(text)): `text`.
    pub title: Option<Option<String>>,
    /// The legend with bytes per kind (or per entry of the colouring), in a
    /// column on the left.
    pub legend: bool,
    /// Callout labels for the selection and the regions of pattern
    /// findings, in a column on the right.
    pub callouts: bool,
    /// Kinds shown and the colouring (the window's, for Export image…;
    /// everything by kind from the command line).
    pub filters: Filters,
    /// The dump this one is compared with (the default title says so; the
    /// filters carry the change of each region).
    pub compared_with: Option<std::path::PathBuf>,
    /// Tiles of at most this many pixels per side (None: the GPU's largest
    /// texture; larger pictures are tiled either way).
    pub tile_px: Option<u32>,
}

/// Callouts for pattern findings: at most this many, most severe first.
pub const MAX_FINDING_CALLOUTS: usize = 6;

impl PictureOptions {
    /// A picture of `view` at `size_px` with everything else at its default.
    pub fn new(view: View, size_px: [u32; 2]) -> PictureOptions {
        PictureOptions {
            view,
            size_px,
            select: None,
            camera: None,
            camera_target: None,
            metric: HeightMetric::default(),
            volume: VolumeStyle::default(),
            theme: ExportTheme::Dark,
            transparent: false,
            title: None,
            legend: false,
            callouts: false,
            filters: Filters::default(),
            compared_with: None,
            tile_px: None,
        }
    }

    fn palette(&self) -> Palette {
        let pal = self.theme.palette();
        if self.transparent { pal.transparent() } else { pal }
    }
}

/// Where the map's camera ended up in a picture.
#[derive(Clone, Copy, Debug)]
pub enum PictureCamera {
    Flat(Camera2d),
    ThreeD(OrbitCamera),
}

/// A rendered picture and what produced it (tests look up where regions landed).
pub struct Picture {
    pub image: image::RgbaImage,
    pub scene: BuiltScene,
    /// Where the map, the title, the legend and the callout column went (points = pixels).
    pub layout: OverlayLayout,
    pub camera: PictureCamera,
    /// The callout boxes drawn.
    pub callout_boxes: Vec<Rect>,
}

impl Picture {
    /// Where region `region`'s largest tile is (flat views), clipped to the map.
    pub fn screen_rect_of(&self, region: u32) -> Option<Rect> {
        match (&self.scene, self.camera) {
            (BuiltScene::Flat(scene), PictureCamera::Flat(cam)) => {
                let screen = Screen::new(cam, self.layout.map, 1.0);
                paint2d::screen_rect_of(scene, &screen, self.layout.map, region)
            }
            _ => None,
        }
    }

    /// Where region `region`'s largest box's top is (3D views).
    pub fn screen_pos_of(&self, region: u32) -> Option<Pos2> {
        match (&self.scene, self.camera) {
            (BuiltScene::ThreeD(scene), PictureCamera::ThreeD(cam)) => {
                Projection { cam, view: self.layout.map, ppp: 1.0 }.region_pos(scene, region)
            }
            _ => None,
        }
    }

    pub fn flat_scene(&self) -> Option<&Scene2d> {
        match &self.scene {
            BuiltScene::Flat(s) => Some(s),
            BuiltScene::ThreeD(_) => None,
        }
    }

    pub fn camera3d(&self) -> Option<OrbitCamera> {
        match self.camera {
            PictureCamera::ThreeD(c) => Some(c),
            PictureCamera::Flat(_) => None,
        }
    }
}

/// Renders the picture at one pixel per point.
pub fn render_picture(space: &AddressSpace, opts: &PictureOptions) -> Result<Picture, ExportError> {
    render_picture_timed(space, opts, &mut |_, _| {})
}

/// [`render_picture`], reporting its phases to `phase`: gpu (opening the
/// device), analysis (the findings callouts point at), layout, scene
/// (instances), render.
pub fn render_picture_timed(
    space: &AddressSpace,
    opts: &PictureOptions,
    phase: &mut dyn FnMut(&'static str, Duration),
) -> Result<Picture, ExportError> {
    let selected = match opts.select {
        Some(addr) => match space.region_index_at(addr) {
            Some(i) => Some(i as u32),
            None => return Err(ExportError::OutsideSpace { path: space.path.clone(), addr }),
        },
        None => None,
    };
    let start = Instant::now();
    let mut gpu = Gpu::headless().map_err(ExportError::NoGpu)?;
    phase("gpu", start.elapsed());
    if let Some(px) = opts.tile_px {
        gpu.set_max_tile_px(px);
    }
    let pal = opts.palette();
    let title = title_lines(space, opts);
    let start = Instant::now();
    let callouts = if opts.callouts { callouts_for(space, selected) } else { Vec::new() };
    if opts.callouts {
        phase("analysis", start.elapsed());
    }
    let legend = if opts.legend { overlay::legend_entries(space, &opts.filters) } else { Vec::new() };
    let params = ViewParams::new(opts.view, &opts.filters, opts.metric, &opts.volume, selected.map(|i| i as usize));
    let scene = build_scene_timed(space, &params, phase);
    let marks = Highlights { selected, marked: &[] };
    let bg = pal.background.to_array();
    let mut drawn = None;
    let start = Instant::now();
    let mut draw = |ui: &mut egui::Ui| {
        let area = ui.max_rect();
        let painter = ui.painter_at(area);
        // Each callout's box size, measured once: it sizes the column and the stack.
        let callout_sizes: Vec<egui::Vec2> =
            callouts.iter().map(|c| overlay::callout_size(&painter, c, &pal)).collect();
        let layout = OverlayLayout::new(
            area,
            title.as_ref().map(|l| overlay::title_size(&painter, l, &pal)),
            opts.legend.then(|| overlay::legend_size(&painter, &legend, &pal)),
            callout_sizes.iter().map(|s| s.x).reduce(f32::max),
        );
        match &scene {
            BuiltScene::Flat(_) => {
                painter.rect_filled(area, 0.0, pal.background);
            }
            // The sky runs on behind the title, legend and callouts, so a 3D
            // picture reads as one scene rather than a view in a frame.
            BuiltScene::ThreeD(_) => sky_ui(&painter, area, layout.map, &pal),
        }
        let map_painter = ui.painter_at(layout.map);
        let (camera, anchors): (PictureCamera, Vec<Option<Pos2>>) = match &scene {
            BuiltScene::Flat(s) => {
                let cam = paint2d::fit_camera(&s.layout, layout.map, 1.0);
                let screen = Screen::new(cam, layout.map, 1.0);
                paint2d::paint_scene2d(&map_painter, &screen, s, marks, None, QuadsOn::Gpu, &pal);
                let anchors = callouts
                    .iter()
                    .map(|c| paint2d::screen_rect_of(s, &screen, layout.map, c.region).map(|r| r.center()))
                    .collect();
                (PictureCamera::Flat(cam), anchors)
            }
            BuiltScene::ThreeD(s) => {
                let aspect = layout.map.width() / layout.map.height().max(1.0);
                let cam = match opts.camera {
                    Some([yaw, pitch, distance]) => {
                        let target =
                            opts.camera_target.unwrap_or_else(|| paint3d::fit_camera(&s.layout, aspect).target);
                        OrbitCamera::from_yaw_pitch_distance(target, yaw, pitch, distance)
                    }
                    None => paint3d::fit_camera(&s.layout, aspect),
                };
                let proj = Projection { cam, view: layout.map, ppp: 1.0 };
                let volume = (opts.view == View::Volume).then_some(&opts.volume);
                paint3d::paint_scene3d(&map_painter, &proj, s, marks, None, volume, &pal);
                let anchors = callouts.iter().map(|c| proj.region_pos(s, c.region)).collect();
                (PictureCamera::ThreeD(cam), anchors)
            }
        };
        if let (Some(panel), Some(lines)) = (layout.title, &title) {
            overlay::paint_title(&painter, panel, lines, &pal);
        }
        if let Some(panel) = layout.legend {
            overlay::paint_legend(&ui.painter_at(panel.expand(1.0)), panel, &legend, &pal);
        }
        let mut boxes = Vec::new();
        if let Some(column) = layout.callouts {
            let shown: Vec<(Pos2, &Callout, egui::Vec2)> = callouts
                .iter()
                .zip(&anchors)
                .zip(&callout_sizes)
                .filter_map(|((c, a), size)| a.map(|a| (a, c, *size)))
                .collect();
            let wanted: Vec<(f32, egui::Vec2)> = shown.iter().map(|(a, _, size)| (a.y, *size)).collect();
            let placed: Vec<(Pos2, Rect, &Callout)> = overlay::stack_callouts(column, &wanted)
                .into_iter()
                .zip(&shown)
                .filter_map(|(r, (a, c, _))| r.map(|r| (*a, r, *c)))
                .collect();
            boxes = placed.iter().map(|(_, r, _)| *r).collect();
            overlay::paint_callouts(&painter, &placed, &pal);
        }
        drawn = Some((layout, camera, boxes));
    };
    let frame = crate::render::Picture { size_px: opts.size_px, pixels_per_point: 1.0, background: bg };
    let content = match &scene {
        BuiltScene::Flat(s) => Content::Ui2d { quads: Arc::clone(&s.lod), ui: &mut draw },
        BuiltScene::ThreeD(s) => Content::Ui3d { boxes: Arc::clone(&s.parts), ui: &mut draw },
    };
    let mut image = render_offscreen(&gpu, &frame, content)?.image;
    phase("render", start.elapsed());
    if opts.transparent {
        unpremultiply(&mut image);
    }
    let Some((layout, camera, callout_boxes)) = drawn else {
        return Err(ExportError::Render(crate::render::RenderError::Gpu("the picture was never laid out".into())));
    };
    Ok(Picture { image, scene, layout, camera, callout_boxes })
}

fn build_scene_timed(
    space: &AddressSpace,
    params: &ViewParams,
    phase: &mut dyn FnMut(&'static str, Duration),
) -> BuiltScene {
    crate::scene::build::build_scene_timed(space, params, 1, Picking::OnDemand, phase)
}

/// The title block's lines, or None without a title.
pub fn title_lines(space: &AddressSpace, opts: &PictureOptions) -> Option<Vec<String>> {
    match &opts.title {
        None => None,
        Some(None) => {
            let mut lines = overlay::default_title(space);
            if let Some(a) = &opts.compared_with {
                let name = a.file_name().map_or_else(|| a.display().to_string(), |n| n.to_string_lossy().into_owned());
                lines.insert(1, format!("changes since {name}"));
            }
            Some(lines)
        }
        Some(Some(text)) => Some(text.lines().map(str::to_string).collect()),
    }
}

/// What callouts point at, in order: the selected region, then the regions
/// of the most severe pattern findings (at most [`MAX_FINDING_CALLOUTS`]).
pub fn callouts_for(space: &AddressSpace, selected: Option<u32>) -> Vec<Callout> {
    let color = |i: u32| theme::kind_color(space.regions[i as usize].kind);
    let mut out = Vec::new();
    if let Some(sel) = selected {
        let r = &space.regions[sel as usize];
        let range =
            format!("0x{:x}..0x{:x} ({})", r.base_addr, r.end_addr(), crate::format::human_size_short(r.size_bytes));
        out.push(Callout { region: sel, title: describe_region(space, sel), detail: Some(range), color: color(sel) });
    }
    // A finding points at the first region it names itself (JIT Code's code
    // heap block, Stack Overflow's guard page), else at the lowest of its
    // modules' and threads' regions (most findings name those rather than
    // raw regions).
    let findings = crate::analysis::patterns::analyze(space, None);
    let targets = findings.iter().filter_map(|f| {
        let own = f.regions.iter().find_map(|b| space.region_index_at(*b)).map(|i| i as u32);
        let i = own.or_else(|| finding_regions(space, f).first().copied())?;
        Some(Callout { region: i, title: f.name.to_string(), detail: Some(describe_region(space, i)), color: color(i) })
    });
    out.extend(targets.take(MAX_FINDING_CALLOUTS));
    out
}

/// "Image ntdll.dll", "Heap 0x3a0000"; a label that already says what the
/// region is ("stack of thread 0xba8") is not prefixed with its kind again.
pub fn describe_region(space: &AddressSpace, i: u32) -> String {
    let r = &space.regions[i as usize];
    let kind = r.kind.name();
    if r.label.is_empty() {
        kind.to_string()
    } else if r.label.to_ascii_lowercase().starts_with(&kind.to_ascii_lowercase()) {
        let mut chars = r.label.chars();
        chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
    } else {
        format!("{kind} {}", r.label)
    }
}

/// The 3D views' sky gradient over `area`, continued from the map's sky
/// (the GPU draws `sky_top` at the map's top and `sky_bottom` at its
/// bottom): the same linear ramp, extended above and below the map.
fn sky_ui(painter: &egui::Painter, area: Rect, map: Rect, pal: &Palette) {
    let at = |y: f32| {
        let t = (y - map.top()) / map.height().max(1.0);
        let (a, b) = (pal.sky_top.to_array(), pal.sky_bottom.to_array());
        let mix =
            |i: usize| (f32::from(a[i]) + (f32::from(b[i]) - f32::from(a[i])) * t).round().clamp(0.0, 255.0) as u8;
        egui::Color32::from_rgba_premultiplied(mix(0), mix(1), mix(2), mix(3))
    };
    let mut mesh = egui::Mesh::default();
    mesh.colored_vertex(area.left_top(), at(area.top()));
    mesh.colored_vertex(area.right_top(), at(area.top()));
    mesh.colored_vertex(area.right_bottom(), at(area.bottom()));
    mesh.colored_vertex(area.left_bottom(), at(area.bottom()));
    mesh.add_triangle(0, 1, 2);
    mesh.add_triangle(0, 2, 3);
    painter.add(egui::Shape::mesh(mesh));
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

/// Renders the picture and writes it to `output` as a PNG whose text chunks
/// record the options; returns the picture's size.
pub fn save_picture(
    space: &AddressSpace,
    opts: &PictureOptions,
    output: &Path,
    phase: &mut dyn FnMut(&'static str, Duration),
) -> Result<[u32; 2], ExportError> {
    let image = render_picture_timed(space, opts, phase)?.image;
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
        ("memscape:colour", opts.filters.color_mode.title().to_ascii_lowercase()),
        ("memscape:compare", opts.compared_with.as_ref().map(|p| latin1(&p.display().to_string())).unwrap_or_default()),
    ];
    let start = Instant::now();
    write_png(output, image.width(), image.height(), image.as_raw(), &text)?;
    phase("encode", start.elapsed());
    Ok([image.width(), image.height()])
}

/// `--camera`'s value: YAW,PITCH,DISTANCE[,X,Y,Z], empty without a camera.
fn camera_text(opts: &PictureOptions) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_is_not_called_stack_twice() {
        let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/azure-worker-crash.dmp");
        let space = AddressSpace::open(demo).unwrap();
        let stack = space.regions.iter().position(|r| r.kind == crate::dump::RegionKind::Stack).unwrap();
        let text = describe_region(&space, stack as u32);
        assert!(!text.to_ascii_lowercase().starts_with("stack stack"), "{text}");
        assert!(text.starts_with("Stack"), "{text}");
    }
}
