//! `memscape shot`: the same map the window shows, rendered offscreen with
//! wgpu (no window, no X server) and written as a PNG.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::dump::AddressSpace;
use crate::export::png::write_png;
use crate::layout::{self, LayoutInput, ViewKind};
use crate::render::offscreen::{Gpu, render_egui_offscreen};
use crate::ui::filters::Filters;
use crate::ui::map_view::{self, MapGpu, MapScene, MapViewState};
use crate::ui::theme;

pub struct ShotOptions {
    pub view: ViewKind,
    pub size_px: [u32; 2],
    pub select: Option<u64>,
}

/// A rendered map and what produced it (tests look up where regions landed).
pub struct Shot {
    pub image: image::RgbaImage,
    pub scene: MapScene,
    /// The view's state after the last frame: its camera and rect.
    pub view: MapViewState,
}

/// Renders the map of `space` at one pixel per point.
pub fn render(space: &AddressSpace, opts: &ShotOptions) -> Result<Shot> {
    let filters = Filters::default();
    let visible = filters.visible(space);
    let layout = layout::layout(opts.view, &LayoutInput { space, visible: &visible });
    let scene = MapScene::new(space, layout, filters.color_mode, 1);
    let selected = match opts.select {
        Some(addr) => match space.region_index_at(addr) {
            Some(i) => Some(i as u32),
            None => bail!("{}: 0x{addr:x} is outside the user address space", space.path.display()),
        },
        None => None,
    };
    let gpu = Gpu::headless().context("no GPU adapter for offscreen rendering")?;
    let mut state = MapViewState::default();
    let bg = theme::MAP_BACKGROUND.to_array();
    let image = render_egui_offscreen(&gpu, opts.size_px, 1.0, bg, &scene.instances, |ui| {
        egui::CentralPanel::default().frame(egui::Frame::NONE).show(ui, |ui| {
            map_view::map_view_ui(ui, &mut state, space, &scene, selected, MapGpu::Preloaded);
        });
    })?;
    Ok(Shot { image, scene, view: state })
}

pub fn run(space: &AddressSpace, opts: &ShotOptions, output: &Path, out: &mut dyn Write) -> Result<()> {
    let image = render(space, opts)?.image;
    let text = [
        ("Software", format!("memscape {}", env!("CARGO_PKG_VERSION"))),
        ("Source", space.path.display().to_string()),
        ("memscape:view", opts.view.name().to_string()),
        ("memscape:size", format!("{}x{}", opts.size_px[0], opts.size_px[1])),
        ("memscape:select", opts.select.map(|a| format!("0x{a:x}")).unwrap_or_default()),
    ];
    write_png(output, image.width(), image.height(), image.as_raw(), &text)?;
    writeln!(out, "wrote {} ({}x{}, {} view)", output.display(), image.width(), image.height(), opts.view.name())?;
    Ok(())
}
