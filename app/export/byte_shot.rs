//! The byte picture as an image (`memscape shot --view bytes`): the bytes of
//! one region, or every captured byte of the dump, drawn by
//! scene::byte_picture into the space the title band and the legend column
//! leave (overlay.rs lays them out, as for the maps), rendered offscreen
//! with egui (the picture is a texture) and written as a PNG whose text
//! chunks record the options.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Rect, pos2, vec2};

use super::error::ExportError;
use super::overlay::{self, LegendEntry, OverlayLayout};
use super::png::write_png;
use crate::dump::AddressSpace;
use crate::format::{hex, human_size};
use crate::render::{Content, Gpu, render_offscreen};
use crate::scene::byte_picture::{ByteAxis, BytePicture, BytesMode, BytesOrder, CLASS_COLORS, NOT_HELD, byte_picture};
use crate::scene::theme::{self, ExportTheme};

/// What a byte picture shows and how.
#[derive(Clone, Debug)]
pub struct BytesPictureOptions {
    pub size_px: [u32; 2],
    /// The region holding this address; None: every captured byte.
    pub select: Option<u64>,
    pub order: BytesOrder,
    pub mode: BytesMode,
    pub theme: ExportTheme,
    /// A title block: None: none; Some(None): the dump and what is shown; Some(Some(text)): text.
    pub title: Option<Option<String>>,
    pub legend: bool,
}

impl BytesPictureOptions {
    pub fn new(size_px: [u32; 2]) -> BytesPictureOptions {
        BytesPictureOptions {
            size_px,
            select: None,
            order: BytesOrder::Hilbert,
            mode: BytesMode::Class,
            theme: ExportTheme::Dark,
            title: None,
            legend: false,
        }
    }
}

/// A rendered byte picture and where its cells went.
pub struct BytesShot {
    pub image: image::RgbaImage,
    pub picture: BytePicture,
    pub axis: ByteAxis,
    /// The picture's top-left corner in the image (pixels).
    pub origin: [u32; 2],
}

impl BytesShot {
    /// The address drawn at image pixel (x, y), when a byte is drawn there.
    pub fn addr_at(&self, x: u32, y: u32) -> Option<u64> {
        let (px, py) = (x.checked_sub(self.origin[0])?, y.checked_sub(self.origin[1])?);
        let at = self.picture.grid.offset_at(px as f32 + 0.5, py as f32 + 0.5)?;
        self.axis.addr_at(at)
    }
}

/// The legend of a byte picture's colouring.
pub fn legend(mode: BytesMode) -> Vec<LegendEntry> {
    let mut out: Vec<LegendEntry> = match mode {
        BytesMode::Class => CLASS_COLORS
            .iter()
            .zip(["zero", "control bytes", "printable ASCII", "high bytes (0x80-0xfe)", "0xff"])
            .map(|(c, name)| LegendEntry { name, color: *c, bytes: None })
            .collect(),
        BytesMode::Entropy => theme::ENTROPY_COLORS[..8]
            .iter()
            .map(|(name, color)| LegendEntry { name, color: *color, bytes: None })
            .collect(),
        BytesMode::Raw => vec![LegendEntry {
            name: "the bytes: grey, or RGB of each three",
            color: egui::Color32::from_rgb(0x80, 0x70, 0x90),
            bytes: None,
        }],
    };
    out.push(LegendEntry { name: "not in the dump", color: NOT_HELD, bytes: None });
    out
}

/// The axis `opts` ask for.
fn axis_for(space: &AddressSpace, opts: &BytesPictureOptions) -> Result<(ByteAxis, String), ExportError> {
    match opts.select {
        Some(addr) => {
            let r = space.region_at(addr).ok_or(ExportError::OutsideSpace { path: space.path.clone(), addr })?;
            let what =
                format!("{} {} – {} ({})", r.kind, hex(r.base_addr), hex(r.end_addr()), human_size(r.size_bytes));
            Ok((ByteAxis::region(r), what))
        }
        None => {
            let axis = ByteAxis::captured(space);
            if axis.is_empty() {
                return Err(ExportError::NoBytes { path: space.path.clone() });
            }
            Ok((ByteAxis::captured(space), format!("every captured byte ({})", human_size(axis.len()))))
        }
    }
}

/// Renders the byte picture at one pixel per point.
pub fn render_bytes_picture(
    space: &AddressSpace,
    opts: &BytesPictureOptions,
    phase: &mut dyn FnMut(&'static str, Duration),
) -> Result<BytesShot, ExportError> {
    let (axis, what) = axis_for(space, opts)?;
    let start = Instant::now();
    let gpu = Gpu::headless().map_err(ExportError::NoGpu)?;
    phase("gpu", start.elapsed());
    let pal = opts.theme.palette();
    let title: Option<Vec<String>> = opts.title.as_ref().map(|t| match t {
        Some(text) => text.lines().map(str::to_string).collect(),
        None => {
            let mut lines = overlay::default_title(space);
            lines.insert(1, format!("{what}, {} order, by {}", opts.order.name(), opts.mode.name()));
            lines
        }
    });
    let entries = if opts.legend { legend(opts.mode) } else { Vec::new() };
    // The picture is made the first time the frame is drawn (the layout,
    // which needs text sizes, says how big), and kept for further tiles.
    let mut made: Option<(BytePicture, [u32; 2], egui::TextureHandle)> = None;
    let mut took = Duration::ZERO;
    let start = Instant::now();
    let mut draw = |ui: &mut egui::Ui| {
        let area = ui.max_rect();
        let painter = ui.painter_at(area);
        painter.rect_filled(area, 0.0, pal.background);
        let layout = OverlayLayout::new(
            area,
            title.as_ref().map(|l| overlay::title_size(&painter, l, &pal)),
            opts.legend.then(|| overlay::legend_size(&painter, &entries, &pal)),
            None,
        );
        let map = layout.map;
        let (picture, origin, texture) = made.get_or_insert_with(|| {
            let t = Instant::now();
            let size = [map.width().max(1.0) as u32, map.height().max(1.0) as u32];
            let picture = byte_picture(space, &axis, 0..axis.len(), size, opts.order, opts.mode);
            let [pw, ph] = picture.grid.size_px();
            let origin = [
                map.min.x.max(0.0) as u32 + size[0].saturating_sub(pw) / 2,
                map.min.y.max(0.0) as u32 + size[1].saturating_sub(ph) / 2,
            ];
            let texture = ui.ctx().load_texture("byte picture", picture.image.clone(), egui::TextureOptions::NEAREST);
            took = t.elapsed();
            (picture, origin, texture)
        });
        let [pw, ph] = picture.grid.size_px();
        let rect = Rect::from_min_size(pos2(origin[0] as f32, origin[1] as f32), vec2(pw as f32, ph as f32));
        painter.image(texture.id(), rect, Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)), egui::Color32::WHITE);
        if let (Some(panel), Some(lines)) = (layout.title, &title) {
            overlay::paint_title(&painter, panel, lines, &pal);
        }
        if let Some(panel) = layout.legend {
            overlay::paint_legend(&ui.painter_at(panel.expand(1.0)), panel, &entries, &pal);
        }
    };
    let frame =
        crate::render::Picture { size_px: opts.size_px, pixels_per_point: 1.0, background: pal.background.to_array() };
    let image = render_offscreen(&gpu, &frame, Content::Ui2d { quads: Arc::default(), ui: &mut draw })?.image;
    phase("scene", took);
    phase("render", start.elapsed().saturating_sub(took));
    let Some((picture, origin, _)) = made else {
        return Err(ExportError::Render(crate::render::RenderError::Gpu("the picture was never drawn".into())));
    };
    Ok(BytesShot { image, picture, axis, origin })
}

/// Renders the byte picture and writes it to `output` as a PNG; returns its size.
pub fn save_bytes_picture(
    space: &AddressSpace,
    opts: &BytesPictureOptions,
    output: &Path,
    phase: &mut dyn FnMut(&'static str, Duration),
) -> Result<[u32; 2], ExportError> {
    let image = render_bytes_picture(space, opts, phase)?.image;
    let text = [
        ("Software", format!("memscape {}", env!("CARGO_PKG_VERSION"))),
        ("Source", space.path.display().to_string()),
        ("memscape:view", "bytes".to_string()),
        ("memscape:size", format!("{}x{}", opts.size_px[0], opts.size_px[1])),
        ("memscape:select", opts.select.map(|a| format!("0x{a:x}")).unwrap_or_default()),
        ("memscape:bytes-mode", opts.mode.name().to_string()),
        ("memscape:order", opts.order.name().to_string()),
        ("memscape:theme", opts.theme.name().to_string()),
        ("memscape:legend", opts.legend.to_string()),
    ];
    let start = Instant::now();
    write_png(output, image.width(), image.height(), image.as_raw(), &text)?;
    phase("encode", start.elapsed());
    Ok([image.width(), image.height()])
}
