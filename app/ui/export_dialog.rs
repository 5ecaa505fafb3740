//! The "Export image" window: picture size (the window's, 1920x1080,
//! 3840x2160, 7680x4320 or custom) and where to save it. The picture itself
//! is rendered offscreen by the app with the same renderer as `memscape shot`.

use egui::Ui;

use crate::render::offscreen::{MAX_PICTURE_PX, MAX_PICTURE_SIDE_PX};

/// The size choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExportSize {
    #[default]
    Window,
    FullHd,
    Uhd4k,
    Uhd8k,
    Custom,
}

impl ExportSize {
    const ALL: [ExportSize; 5] =
        [ExportSize::Window, ExportSize::FullHd, ExportSize::Uhd4k, ExportSize::Uhd8k, ExportSize::Custom];

    fn title(self) -> &'static str {
        match self {
            ExportSize::Window => "Window size",
            ExportSize::FullHd => "1920 × 1080",
            ExportSize::Uhd4k => "3840 × 2160",
            ExportSize::Uhd8k => "7680 × 4320",
            ExportSize::Custom => "Custom",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportDialog {
    pub open: bool,
    pub size: ExportSize,
    pub custom_px: [u32; 2],
    /// The last export's outcome, for the status line.
    pub status: Option<String>,
    pub light: bool,
    pub transparent: bool,
    pub title: bool,
    pub legend: bool,
    pub callouts: bool,
}

impl Default for ExportDialog {
    fn default() -> Self {
        ExportDialog {
            open: false,
            size: ExportSize::default(),
            custom_px: [2560, 1440],
            status: None,
            light: false,
            transparent: false,
            title: true,
            legend: true,
            callouts: true,
        }
    }
}

impl ExportDialog {
    /// The picture size in pixels, given the map view's size in pixels.
    pub fn size_px(&self, window_px: [u32; 2]) -> [u32; 2] {
        match self.size {
            ExportSize::Window => [window_px[0].max(16), window_px[1].max(16)],
            ExportSize::FullHd => [1920, 1080],
            ExportSize::Uhd4k => [3840, 2160],
            ExportSize::Uhd8k => [7680, 4320],
            ExportSize::Custom => self.custom_px.map(|s| s.clamp(16, MAX_PICTURE_SIDE_PX)),
        }
    }
}

/// The window's contents; returns true when "Save as…" was clicked.
pub fn export_dialog_ui(ui: &mut Ui, dialog: &mut ExportDialog, window_px: [u32; 2], busy: bool) -> bool {
    ui.label("The current view, selection and camera, rendered offscreen.");
    for s in ExportSize::ALL {
        let label = match s {
            ExportSize::Window => format!("{} ({} × {})", s.title(), window_px[0], window_px[1]),
            _ => s.title().to_string(),
        };
        ui.radio_value(&mut dialog.size, s, label);
    }
    if dialog.size == ExportSize::Custom {
        ui.horizontal(|ui| {
            ui.add(egui::DragValue::new(&mut dialog.custom_px[0]).range(16..=MAX_PICTURE_SIDE_PX).suffix(" px"));
            ui.label("×");
            ui.add(egui::DragValue::new(&mut dialog.custom_px[1]).range(16..=MAX_PICTURE_SIDE_PX).suffix(" px"));
        });
    }
    let [w, h] = dialog.size_px(window_px);
    let too_large = u64::from(w) * u64::from(h) > MAX_PICTURE_PX;
    if too_large {
        let max_mp = MAX_PICTURE_PX / 1_000_000;
        ui.colored_label(ui.visuals().error_fg_color, format!("Too large: at most {max_mp} megapixels."));
    }
    ui.separator();
    ui.checkbox(&mut dialog.light, "Light theme");
    ui.checkbox(&mut dialog.transparent, "Transparent background");
    ui.checkbox(&mut dialog.title, "Title block (dump, process, OS, exception)");
    ui.checkbox(&mut dialog.legend, "Legend with bytes per kind");
    ui.checkbox(&mut dialog.callouts, "Callouts for the selection and pattern findings");
    let save = ui.add_enabled(!busy && !too_large, egui::Button::new("Save as…")).clicked();
    if busy {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Rendering…");
        });
    }
    if let Some(status) = &dialog.status {
        ui.add(egui::Label::new(status).wrap());
    }
    save
}
