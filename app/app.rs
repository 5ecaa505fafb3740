//! The eframe application: wires the dump layer to the panels. Loads dumps on
//! a background thread so the window never freezes, keeps the previous dump
//! open when a new one fails, and shows the error in the window.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use std::time::Instant;

use anyhow::Result;

use crate::demo;
use crate::dump::{AddressSpace, DumpError};
use crate::ui;

/// What the user asked to open.
#[derive(Clone, Debug)]
pub enum DumpSource {
    Demo,
    File(PathBuf),
}

impl DumpSource {
    fn describe(&self) -> String {
        match self {
            DumpSource::Demo => demo::DEMO_DUMP_NAME.to_string(),
            DumpSource::File(p) => p.display().to_string(),
        }
    }

    fn load(&self) -> Result<AddressSpace, DumpError> {
        match self {
            DumpSource::Demo => demo::open_demo(),
            DumpSource::File(p) => AddressSpace::open(p),
        }
    }
}

struct Loading {
    what: String,
    started: Instant,
    rx: Receiver<Result<AddressSpace, DumpError>>,
}

pub struct MemscapeApp {
    space: Option<Arc<AddressSpace>>,
    loading: Option<Loading>,
    error: Option<String>,
}

impl MemscapeApp {
    pub fn new(source: DumpSource) -> MemscapeApp {
        let mut app = MemscapeApp { space: None, loading: None, error: None };
        app.start_loading(source);
        app
    }

    /// Starts reading `source` on a worker thread; the current dump stays shown.
    pub fn start_loading(&mut self, source: DumpSource) {
        let (tx, rx) = channel();
        let what = source.describe();
        std::thread::Builder::new()
            .name("memscape-load".into())
            .spawn(move || {
                let _ = tx.send(source.load());
            })
            .ok();
        self.loading = Some(Loading { what, started: Instant::now(), rx });
    }

    /// The dump on screen, if any.
    pub fn space(&self) -> Option<&AddressSpace> {
        self.space.as_deref()
    }

    fn poll_loading(&mut self) {
        let Some(loading) = &self.loading else { return };
        match loading.rx.try_recv() {
            Ok(Ok(space)) => {
                self.space = Some(Arc::new(space));
                self.error = None;
                self.loading = None;
            }
            Ok(Err(e)) => {
                self.error = Some(e.to_string());
                self.loading = None;
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                self.error = Some(format!("{}: the loader stopped unexpectedly", loading.what));
                self.loading = None;
            }
        }
    }
}

impl eframe::App for MemscapeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.poll_loading();
        // Files dropped on the window open like File > Open.
        let dropped: Option<PathBuf> = ui.ctx().input(|i| {
            i.raw.dropped_files.iter().find_map(|f| Some(f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()))
        });
        if let Some(path) = dropped {
            self.start_loading(DumpSource::File(path));
        }
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading("memscape");
                if let Some(space) = &self.space {
                    ui.label(format!("— {}", space.path.display()));
                }
                if let Some(l) = &self.loading {
                    ui.spinner();
                    ui.label(format!("Loading {} ({:.1} s)", l.what, l.started.elapsed().as_secs_f32()));
                }
            });
        });
        if let Some(err) = self.error.clone() {
            egui::Panel::bottom("error_bar").show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.colored_label(ui::theme::CRASH, format!("error: {err}"));
                    if ui.button("Dismiss").clicked() {
                        self.error = None;
                    }
                });
            });
        }
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| match &self.space {
                Some(space) => ui::summary::summary_ui(ui, space),
                None if self.loading.is_some() => {
                    ui.centered_and_justified(|ui| ui.spinner());
                }
                None => {
                    ui.label("No dump open. Drop a minidump on this window.");
                }
            });
        });
        if self.loading.is_some() {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(50));
        }
    }
}

/// Opens the window on `dump`, or on the demo dump without one.
pub fn run_window(dump: Option<PathBuf>) -> Result<()> {
    let source = match dump {
        Some(p) => DumpSource::File(p),
        None => DumpSource::Demo,
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1400.0, 900.0]).with_title("memscape"),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    eframe::run_native("memscape", options, Box::new(move |_cc| Ok(Box::new(MemscapeApp::new(source)))))
        .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}
