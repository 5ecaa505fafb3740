//! The eframe application: wires the document, the panels and the
//! background tasks together, and does little else. `ui()` polls the tasks
//! in one place, lays out the panels, collects the [`Command`]s they return
//! and applies them once, in `MemscapeApp::run_cmd`. Loading, scene
//! building, stack walking, file dialogs and exports all run as
//! [`Task`]s that wake the window when they end; nothing polls on a timer.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;

use crate::analysis::compare::Comparison;
use crate::dump::{AddressSpace, WalkOptions};
use crate::export::{PictureOptions, save_picture};
use crate::layout::layout3d::HeightMetric;
use crate::layout::{View, ViewKind};
use crate::scene::theme::{self, ColorMode, ExportTheme};
use crate::scene::{Filters, ViewParams, VolumeStyle};
use crate::task::{Poll, Task, Waker};
use crate::ui::actions::Command;
use crate::ui::bottom::{self, BottomInputs, BottomTab, FindingsView};
use crate::ui::document::{Document, TraceState};
use crate::ui::export_dialog::{self, ExportDialog};
use crate::ui::file_dialog::{self, DialogPurpose, FileChosen, FileDialogs};
pub use crate::ui::kept::Kept;
pub use crate::ui::loading::DumpSource;
use crate::ui::loading::{LoadOutcome, Loaded, Loader};
use crate::ui::search::{self, SearchHit};
use crate::ui::settings;
use crate::ui::top_bar::{self, SHORTCUT_EXPORT, SHORTCUT_OPEN, TopBar};
use crate::ui::{changes, details, filters, map_panel, summary, view3d};

/// How the current view is set up: which view, what it shows and how.
struct ViewSettings {
    view: View,
    filters: Filters,
    metric: HeightMetric,
    volume: VolumeStyle,
}

pub struct MemscapeApp {
    doc: Option<Document>,
    loader: Loader,
    error: Option<String>,
    settings: ViewSettings,
    kept: Kept,
    show_symbol_settings: bool,
    export: ExportDialog,
    /// An export waiting for the save dialog's answer.
    pending_export: Option<PictureOptions>,
    /// An export being rendered.
    export_job: Option<Task<Result<PathBuf, String>>>,
    /// File > Open and Export's save dialog: the system's, or memscape's own.
    dialogs: FileDialogs,
    /// An earlier dump to compare with once the dump being loaded is open
    /// (`memscape B --compare A`).
    pending_compare: Option<PathBuf>,
    /// The map view's size in pixels last frame (the "window size" export).
    map_size_px: [u32; 2],
    search: String,
    search_note: Option<String>,
    waker: Waker,
    render_state: Option<egui_wgpu::RenderState>,
}

impl MemscapeApp {
    /// The app on `source`, drawing with the creation context's wgpu state when there is one.
    pub fn new(cc: &eframe::CreationContext<'_>, source: DumpSource, kept: Kept) -> MemscapeApp {
        let render_state = cc.wgpu_render_state.clone();
        if let Some(rs) = &render_state {
            crate::render::quads_paint::register(rs);
            crate::render::boxes_paint::register(rs);
        }
        let mut app = MemscapeApp {
            doc: None,
            loader: Loader::default(),
            error: None,
            settings: ViewSettings {
                view: View::Flat(ViewKind::Strip),
                filters: Filters::default(),
                metric: HeightMetric::default(),
                volume: VolumeStyle::default(),
            },
            kept: Kept::default(),
            show_symbol_settings: false,
            export: ExportDialog::default(),
            pending_export: None,
            export_job: None,
            dialogs: FileDialogs::new(),
            pending_compare: None,
            map_size_px: [1600, 1000],
            search: String::new(),
            search_note: None,
            waker: Waker::repaint(&cc.egui_ctx),
            render_state,
        };
        // File dialogs start where the last dump was opened.
        app.dialogs.set_start_dir(kept.recent.paths().first().and_then(|p| p.parent()).map(Into::into));
        app.kept = kept;
        app.start_loading(source);
        app
    }

    /// Starts reading `source` on a worker; the current dump stays shown.
    pub fn start_loading(&mut self, source: DumpSource) {
        self.pending_compare = None;
        if let Err(e) = self.loader.open(source, &self.waker) {
            self.error = Some(e);
        }
    }

    /// Compares the open dump with the earlier dump at `path` once the dump
    /// being loaded is open (at once when none is loading).
    pub fn compare_after_load(&mut self, path: PathBuf) {
        if self.loader.is_loading() {
            self.pending_compare = Some(path);
        } else {
            self.start_comparing(path);
        }
    }

    /// Reads the earlier dump at `path` on a worker and compares the open
    /// dump (as opened) with it; the map stays as it is meanwhile.
    pub fn start_comparing(&mut self, path: PathBuf) {
        let Some(b) = self.doc.as_ref().map(|d| Arc::clone(d.opened_space())) else { return };
        if let Err(e) = self.loader.compare(path, b, &self.waker) {
            self.error = Some(e);
        }
    }

    /// The comparison shown, if any.
    pub fn comparison(&self) -> Option<&Comparison> {
        self.doc.as_ref()?.compared.as_ref().map(|c| &c.comparison)
    }

    /// The view's filters and colouring (tests).
    pub fn filters(&self) -> &Filters {
        &self.settings.filters
    }

    /// The dump on screen, if any.
    pub fn space(&self) -> Option<&AddressSpace> {
        self.doc.as_ref().map(|d| d.space.as_ref())
    }

    /// The selected region's index.
    pub fn selected(&self) -> Option<usize> {
        self.doc.as_ref().and_then(|d| d.selected)
    }

    /// Where region `index` is on screen (its largest tile), when a flat map shows it.
    pub fn screen_rect_of_region(&self, index: usize) -> Option<egui::Rect> {
        let doc = self.doc.as_ref()?;
        let scene = doc.scenes.flat_for(self.settings.view)?;
        doc.view2d.screen_rect_of(scene, index as u32)
    }

    /// Where region `index` is in the 3D view (its largest box's top), when shown.
    pub fn screen_pos_of_region_3d(&self, index: usize) -> Option<egui::Pos2> {
        let doc = self.doc.as_ref()?;
        doc.view3d.screen_pos_of(doc.scenes.three_d_for(self.settings.view)?, index as u32)
    }

    /// Selects region `index` and brings it into view, as the search box does.
    pub fn select_region(&mut self, index: usize) {
        if let Some(doc) = &mut self.doc {
            doc.select_and_focus(index);
        }
    }

    /// The error on screen, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    pub fn is_loading(&self) -> bool {
        self.loader.is_loading()
    }

    pub fn set_view(&mut self, view: View) {
        self.settings.view = view;
    }

    /// The regions the maps mark (a finding's, the strings filter's).
    pub fn marked_regions(&self) -> Vec<u32> {
        self.doc.as_ref().map(Document::marked_regions).unwrap_or_default()
    }

    /// The Picture tab's state (tests: where its bytes are drawn).
    pub fn byte_view(&self) -> Option<&crate::ui::byte_view::ByteViewState> {
        self.doc.as_ref().map(|d| &d.panels.picture)
    }

    /// The walked stack traces, once ready (tests).
    pub fn walk(&self) -> Option<Arc<crate::dump::WalkResult>> {
        self.doc.as_ref()?.ready_traces()
    }

    /// Whether symbols are being downloaded (tests).
    pub fn is_downloading(&self) -> bool {
        self.doc.as_ref().is_some_and(|d| d.downloads.is_some())
    }

    pub fn kept(&self) -> &Kept {
        &self.kept
    }

    /// The file dialogs (tests choose the in-window one where the machine
    /// could show a system dialog, and drive it).
    pub fn file_dialogs_mut(&mut self) -> &mut FileDialogs {
        &mut self.dialogs
    }

    /// Whether a scene is being laid out on a worker thread (big dumps).
    pub fn is_laying_out(&self) -> bool {
        self.doc.as_ref().is_some_and(|d| d.scenes.is_building())
    }

    /// What the current view draws, with the document's selection.
    fn view_params(&self) -> Option<ViewParams> {
        let (s, doc) = (&self.settings, self.doc.as_ref()?);
        Some(ViewParams::new(s.view, &s.filters, s.metric, &s.volume, doc.selected))
    }

    /// Keeps the colourings' per-region facts in step with the document:
    /// the captured-bytes figures while a colouring reads them (figured on a
    /// worker the first time); a new comparison colours by change, and
    /// without one the Change colouring falls back to kinds.
    fn sync_region_facts(&mut self) {
        let wants_bytes = self.settings.filters.color_mode.reads_bytes();
        let bytes = self.doc.as_mut().filter(|_| wants_bytes).and_then(|d| d.byte_figures(&self.waker));
        if self.settings.filters.bytes != bytes {
            self.settings.filters.bytes = bytes;
        }
        let changes = self.doc.as_ref().and_then(|d| d.compared.as_ref()).map(|c| c.changes.clone());
        let filters = &mut self.settings.filters;
        if filters.changes == changes {
            return;
        }
        match &changes {
            Some(_) => filters.color_mode = ColorMode::Change,
            None if filters.color_mode == ColorMode::Change => filters.color_mode = ColorMode::Kind,
            None => {}
        }
        filters.changes = changes;
    }

    /// Every task's outcome, taken in one place each frame.
    fn poll_tasks(&mut self) {
        match self.loader.poll() {
            None | Some(LoadOutcome::Cancelled) => {}
            Some(LoadOutcome::Done { source, loaded: Loaded::Dump(space) }) => {
                if let DumpSource::File(p) = &source {
                    self.kept.recent.add(p);
                }
                self.doc = Some(Document::new(*space));
                self.error = None;
                if let Some(a) = self.pending_compare.take() {
                    self.start_comparing(a);
                }
            }
            Some(LoadOutcome::Done { loaded: Loaded::Comparison(done), .. }) => {
                let (cut, comparison) = *done;
                if let Some(doc) = &mut self.doc {
                    doc.set_comparison(cut, comparison);
                }
                self.error = None;
            }
            Some(LoadOutcome::Failed(e)) => self.error = Some(e),
        }
        self.poll_export();
        if let Some(doc) = &mut self.doc {
            doc.poll_traces(&self.waker);
        }
    }

    /// The export render's answer goes to the status line.
    fn poll_export(&mut self) {
        let Some(task) = &self.export_job else { return };
        let status = match task.poll() {
            Poll::Pending => return,
            Poll::Done(Ok(path)) => format!("Saved {}", path.display()),
            Poll::Done(Err(e)) => format!("error: {e}"),
            Poll::Died => "error: the export stopped".into(),
        };
        self.export.status = Some(status);
        self.export_job = None;
    }

    /// Renders the waiting export to `path` on a worker.
    fn render_export(&mut self, path: PathBuf) {
        let Some(opts) = self.pending_export.take() else { return };
        let Some(space) = self.doc.as_ref().map(|d| Arc::clone(&d.space)) else { return };
        let render = Task::spawn("export", self.waker.clone(), move || {
            save_picture(&space, &opts, &path, &mut |_, _| {}).map(|_| path).map_err(|e| e.to_string())
        });
        match render {
            Ok(task) => self.export_job = Some(task),
            Err(e) => self.export.status = Some(format!("could not start the export: {e}")),
        }
    }

    /// What an export of the current view records: view, filters and
    /// colouring, selection, the 3D camera (angles, distance and the point
    /// looked at), the City metric, the Volume's style, and the dialog's options.
    fn export_options(&self, size_px: [u32; 2]) -> Option<PictureOptions> {
        let doc = self.doc.as_ref()?;
        let select = doc.selected.and_then(|i| doc.space.regions.get(i)).map(|r| r.base_addr);
        let camera = match self.settings.view {
            View::City | View::Volume => doc.view3d.camera,
            View::Flat(_) => None,
        };
        let e = &self.export;
        Some(PictureOptions {
            select,
            camera: camera.map(|c| [c.yaw_deg, c.pitch_deg.clamp(-89.0, 89.0), c.distance]),
            camera_target: camera.map(|c| c.target),
            metric: self.settings.metric,
            volume: self.settings.volume.clone(),
            theme: if e.light { ExportTheme::Light } else { ExportTheme::Dark },
            transparent: e.transparent,
            title: e.title.then_some(None),
            legend: e.legend,
            callouts: e.callouts,
            filters: self.settings.filters.clone(),
            compared_with: doc.compared.as_ref().map(|c| c.comparison.a_path.clone()),
            ..PictureOptions::new(self.settings.view, size_px)
        })
    }

    /// Asks where to save; the render starts when the dialog answers.
    fn start_export(&mut self, opts: PictureOptions) {
        self.dialogs.save_image(&format!("memscape-{}.png", opts.view.name()));
        self.pending_export = Some(opts);
    }

    /// Shows the dialogs asked for, and acts on the path chosen in one.
    fn file_dialogs_ui(&mut self, ctx: &egui::Context) {
        match file_dialog::file_dialog_ui(ctx, &mut self.dialogs) {
            Some(FileChosen { purpose: DialogPurpose::OpenDump, path }) => self.start_loading(DumpSource::File(path)),
            Some(FileChosen { purpose: DialogPurpose::CompareDump, path }) => self.start_comparing(path),
            Some(FileChosen { purpose: DialogPurpose::SaveImage, path }) => self.render_export(path),
            // Cancelled, or no save dialog open: nothing waits for a path.
            None if self.dialogs.purpose() != Some(DialogPurpose::SaveImage) => self.pending_export = None,
            None => {}
        }
    }

    fn run_search(&mut self) {
        let Some(doc) = &mut self.doc else { return };
        match search::search(&doc.space, &self.search) {
            SearchHit::Region(i, what) => {
                doc.select_and_focus(i);
                self.search_note = Some(format!("selected {what}"));
            }
            SearchHit::NotFound(why) => self.search_note = Some(why),
        }
    }

    fn walk_options(&self) -> WalkOptions {
        let mut symbols = self.kept.symbols.sources();
        // The embedded demo has no folder beside it: its symbols go to the cache.
        if self.doc.as_ref().is_some_and(|d| crate::demo::is_demo(&d.space)) {
            match crate::demo::demo_symbol_dir() {
                Ok(dir) => symbols.dirs.push(dir),
                Err(e) => log::warn!("the demo's symbols could not be written to the cache: {e}"),
            }
        }
        WalkOptions { symbols, watch: None }
    }

    /// Applies one command: the document's own, or the app's.
    fn run_cmd(&mut self, cmd: Command) {
        let cmd = match &mut self.doc {
            Some(doc) => match doc.apply(cmd, &mut self.settings.filters) {
                Some(cmd) => cmd,
                None => return,
            },
            None => cmd,
        };
        match cmd {
            Command::NeedTraces => {
                let opts = self.walk_options();
                if let Some(doc) = &mut self.doc
                    && matches!(doc.traces, TraceState::NotStarted)
                {
                    doc.start_walking(opts, &self.waker);
                }
            }
            Command::RewalkStacks => {
                let opts = self.walk_options();
                if let Some(doc) = &mut self.doc
                    && !matches!(doc.traces, TraceState::NotStarted)
                {
                    doc.start_walking(opts, &self.waker);
                }
            }
            Command::ChooseDump => self.dialogs.open_dump(),
            Command::OpenFile(path) => self.start_loading(DumpSource::File(path)),
            Command::OpenDemo => self.start_loading(DumpSource::Demo),
            Command::ChooseCompare => self.dialogs.open_compare(),
            Command::CompareWith(path) => self.start_comparing(path),
            Command::FindReferences(i) => {
                if let Some(doc) = &mut self.doc
                    && let Some(r) = doc.space.regions.get(i)
                {
                    let (base, end) = (r.base_addr, r.end_addr());
                    doc.panels.refs.find(&doc.space, base, end, &self.waker);
                    doc.panels.tab = BottomTab::References;
                }
            }
            Command::CloseComparison => {
                if let Some(doc) = &mut self.doc {
                    doc.close_comparison();
                }
            }
            Command::CancelDownloads => {
                if let Some(doc) = &mut self.doc {
                    doc.stop_downloads();
                }
            }
            Command::CancelLoading => {
                self.loader.request_cancel();
            }
            Command::ShowExport => self.export.open = self.doc.is_some(),
            Command::Export => {
                if let Some(opts) = self.export_options(self.export.size_px(self.map_size_px)) {
                    self.start_export(opts);
                }
            }
            Command::ShowSymbolSettings => self.show_symbol_settings = true,
            Command::Search => self.run_search(),
            Command::DismissError => self.error = None,
            // The document's commands without a document do nothing.
            Command::Select(_)
            | Command::SelectRegion(_)
            | Command::SelectAddress(_)
            | Command::SelectThread(_)
            | Command::SelectModule(_)
            | Command::ShowOnlyKind(_)
            | Command::ShowBytes(_)
            | Command::SelectSizeRange(..) => {}
        }
    }

    /// Shortcuts and dropped files.
    fn input_commands(&self, ui: &egui::Ui) -> Vec<Command> {
        let mut cmds = Vec::new();
        if ui.input_mut(|i| i.consume_shortcut(&SHORTCUT_OPEN)) {
            cmds.push(Command::ChooseDump);
        }
        if ui.input_mut(|i| i.consume_shortcut(&SHORTCUT_EXPORT)) {
            cmds.push(Command::ShowExport);
        }
        // Files dropped on the window open like File > Open; with Shift
        // held, the open dump is compared with them (Compare with…).
        let (dropped, shift) = ui.input(|i| {
            let path = i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).find(|p| !p.as_os_str().is_empty());
            (path, i.modifiers.shift)
        });
        cmds.extend(
            dropped.map(|p| if shift && self.doc.is_some() { Command::CompareWith(p) } else { Command::OpenFile(p) }),
        );
        cmds
    }

    /// The dialogs (export, symbol settings) as floating windows.
    fn dialogs_ui(&mut self, ctx: &egui::Context, cmds: &mut Vec<Command>) {
        if self.export.open {
            let (window_px, busy) = (self.map_size_px, self.export_job.is_some() || self.pending_export.is_some());
            let mut open = true;
            egui::Window::new("Export image").open(&mut open).show(ctx, |ui| {
                if export_dialog::export_dialog_ui(ui, &mut self.export, window_px, busy) {
                    cmds.push(Command::Export);
                }
            });
            self.export.open = open;
        }
        if self.show_symbol_settings {
            let mut open = true;
            egui::Window::new("Symbols").open(&mut open).show(ctx, |ui| {
                if settings::symbol_settings_ui(ui, &mut self.kept.symbols) {
                    cmds.push(Command::RewalkStacks);
                }
            });
            self.show_symbol_settings = open;
        }
    }
}

impl eframe::App for MemscapeApp {
    /// Recent files and symbol settings, kept by eframe where the OS keeps app data.
    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.kept.save(storage);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.poll_tasks();
        self.sync_region_facts();
        let mut cmds = self.input_commands(ui);
        let params_before = self.view_params();
        if let (Some(doc), Some(params)) = (&mut self.doc, &params_before) {
            doc.update_scene(params, &self.waker);
        }

        let loading = self.loader.status();
        let downloads = self.doc.as_ref().and_then(Document::download_status);
        if let Some(doc) = &mut self.doc {
            doc.panels.modules.downloading =
                doc.downloads.as_ref().map(|d| d.watch.state().pending).unwrap_or_default();
        }
        // While loading, the bar's clock and progress move: keep drawing.
        if loading.is_some() {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
        }
        egui::Panel::top("top_bar").show(ui, |ui| {
            cmds.extend(top_bar::top_bar_ui(
                ui,
                TopBar {
                    view: &mut self.settings.view,
                    search: &mut self.search,
                    search_note: self.search_note.as_deref(),
                    recent: self.kept.recent.paths(),
                    has_dump: self.doc.is_some(),
                    comparing: self.doc.as_ref().is_some_and(|d| d.compared.is_some()),
                    loading,
                    downloads,
                },
            ))
        });
        if self.doc.as_ref().is_some_and(|d| d.space.file_changed()) {
            // The SIGBUS guard saw reads past the file's new end (dump/sigbus.rs).
            egui::Panel::bottom("changed_bar").show(ui, |ui| {
                ui.colored_label(
                    theme::WARNING,
                    "The dump file changed on disk while open (it shrank): what it lost reads as zeros. Reopen it.",
                );
            });
        }
        if let Some(err) = &self.error {
            egui::Panel::bottom("error_bar").show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.colored_label(theme::CRASH, format!("error: {err}"));
                    if ui.button("Dismiss").clicked() {
                        cmds.push(Command::DismissError);
                    }
                });
            });
        }
        self.dialogs_ui(ui.ctx(), &mut cmds);
        match &mut self.doc {
            Some(doc) => {
                let shared = Shared { render_state: self.render_state.as_ref(), waker: &self.waker };
                document_ui(ui, doc, &mut self.settings, shared, &mut self.map_size_px, &mut cmds)
            }
            None => {
                egui::CentralPanel::default().show(ui, |ui| {
                    if self.loader.is_loading() {
                        ui.centered_and_justified(|ui| ui.spinner());
                    } else {
                        ui.label("No dump open. Use File > Open, or drop a minidump on this window.");
                    }
                });
            }
        }
        let had_commands = !cmds.is_empty();
        for cmd in cmds {
            self.run_cmd(cmd);
        }
        self.file_dialogs_ui(ui.ctx());
        if let Some(doc) = &mut self.doc {
            doc.sync_panels_with_selection();
        }
        // A command, or a panel that edited the view settings in place (view
        // switch, filters, heights, opacities), changed what the next frame
        // draws: draw it now rather than at the next input.
        if had_commands || self.view_params() != params_before {
            ui.ctx().request_repaint();
        }
    }
}

/// The panels around and in the map for an open document.
/// What the panels share from the app: the GPU and the window's waker.
struct Shared<'a> {
    render_state: Option<&'a egui_wgpu::RenderState>,
    waker: &'a Waker,
}

fn document_ui(
    ui: &mut egui::Ui,
    doc: &mut Document,
    settings: &mut ViewSettings,
    shared: Shared<'_>,
    map_size_px: &mut [u32; 2],
    cmds: &mut Vec<Command>,
) {
    let Shared { render_state, waker } = shared;
    let space = Arc::clone(&doc.space);
    if doc.panels.tab == BottomTab::Patterns || doc.findings.is_some() {
        doc.update_findings();
    }
    egui::Panel::bottom("bottom_panel").resizable(true).default_size(260.0).size_range(120.0..=600.0).show(ui, |ui| {
        let traces = doc.traces.view();
        let findings = FindingsView {
            findings: doc.findings.as_ref().map(|(f, _)| f.as_slice()),
            with_traces: doc.findings.as_ref().is_some_and(|(_, t)| *t),
        };
        let (walk, selected) = (doc.ready_traces(), doc.selected);
        let comparison = doc.compared.as_ref().map(|c| &c.comparison);
        let walk = walk.as_deref();
        let inputs =
            BottomInputs { space: &space, traces: &traces, findings: &findings, walk, comparison, selected, waker };
        cmds.extend(bottom::bottom_panel_ui(ui, &mut doc.panels, inputs));
    });
    egui::Panel::left("left_panel").resizable(true).default_size(330.0).size_range(220.0..=520.0).show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            summary::summary_ui(ui, &space);
            ui.separator();
            ui.strong("Legend and filters");
            filters::filters_ui(ui, &space, &mut settings.filters, &mut doc.legend);
            match settings.view {
                View::City => {
                    ui.separator();
                    ui.strong("City");
                    view3d::city_controls_ui(ui, &mut settings.metric);
                }
                View::Volume => {
                    ui.separator();
                    ui.strong("Volume");
                    view3d::volume_controls_ui(
                        ui,
                        doc.legend.as_ref().map_or(&[], |l| l.kind_counts()),
                        &mut settings.volume,
                    );
                }
                View::Flat(_) => {}
            }
        });
    });
    egui::Panel::right("details_panel").resizable(true).default_size(340.0).size_range(240.0..=560.0).show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| match doc.selected {
            Some(i) => {
                cmds.extend(details::details_ui(ui, &space, i).map(Command::SelectRegion));
                cmds.extend(details::region_actions_ui(ui, &space, i));
                if let Some(c) = &doc.compared {
                    changes::change_details_ui(ui, &space, &c.comparison, i);
                }
                if let Some((f, _)) = &doc.findings {
                    details::findings_in_region_ui(ui, &space, f, i);
                }
                if let Some(traces) = doc.ready_traces()
                    && let Some(t) = details::frames_in_region_ui(ui, &space, &traces.traces, i)
                {
                    cmds.push(Command::SelectThread(t));
                }
            }
            None => {
                ui.heading("Details");
                ui.label("Click a region on the map to see it here.");
            }
        });
    });
    egui::CentralPanel::default().show(ui, |ui| {
        cmds.extend(map_panel::map_panel_ui(ui, doc, settings.view, &settings.volume, render_state, map_size_px));
    });
}

/// Opens the window on `dump`, or on the demo dump without one, compared
/// with the earlier dump `compare` when one is named.
pub fn run_window(dump: Option<PathBuf>, compare: Option<PathBuf>) -> Result<()> {
    let source = match dump {
        Some(p) => DumpSource::File(p),
        None => DumpSource::Demo,
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([1500.0, 920.0]).with_title("memscape"),
        renderer: eframe::Renderer::Wgpu,
        // The window's size and place are kept too (eframe's persist_window).
        persistence_path: crate::ui::recent::persistence_path(),
        ..Default::default()
    };
    eframe::run_native(
        "memscape",
        options,
        Box::new(move |cc| {
            let mut app = MemscapeApp::new(cc, source, Kept::from_storage(cc.storage));
            if let Some(a) = compare {
                app.compare_after_load(a);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}
