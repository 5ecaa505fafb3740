//! The eframe application: wires the dump layer, the layouts and the panels.
//! Dumps load on a background thread with progress and can be cancelled; the
//! window never freezes, and a dump that fails leaves the previous one open
//! with the error shown.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::Instant;

use anyhow::Result;
use egui::{Key, KeyboardShortcut, Modifiers, RichText};

use crate::analysis::patterns::{self, Finding};
use crate::demo;
use crate::dump::{AddressSpace, DumpError, LoadProgress, RegionSource};
use crate::dump::{Owner, RegionKind, WalkOptions, WalkResult};
use crate::layout::scene3d::HeightMetric;
use crate::layout::{View, ViewKind};
use crate::scene_job::{self, BuiltScene, JobState, SceneJob, SceneKey};
use crate::ui::bottom::{self, FindingsView, PanelAction, PanelsState};
use crate::ui::export_dialog::{self, ExportDialog};
use crate::ui::filters::{self, Filters};
use crate::ui::map_view::{self, Highlights, MapGpu, MapScene, MapViewState};
use crate::ui::recent::RecentFiles;
use crate::ui::search::{self, SearchHit};
use crate::ui::settings::{self, SymbolSettings};
use crate::ui::threads::Traces;
use crate::ui::view3d::{self, Gpu3d, Scene3dData, View3dState, VolumeStyle};
use crate::ui::{details, summary, theme};

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

    fn load(&self, progress: &LoadProgress) -> Result<AddressSpace, DumpError> {
        match self {
            DumpSource::Demo => demo::open_demo(),
            DumpSource::File(p) => AddressSpace::open_with_progress(p, progress),
        }
    }
}

struct Loading {
    source: DumpSource,
    started: Instant,
    progress: Arc<LoadProgress>,
    rx: Receiver<Result<AddressSpace, DumpError>>,
}

/// A loaded dump and what is derived from it for the current view.
struct Document {
    space: Arc<AddressSpace>,
    scene: Option<MapScene>,
    /// What `scene` was built for.
    scene_key: Option<SceneKey>,
    scene3d: Option<Scene3dData>,
    scene3d_key: Option<SceneKey>,
    /// A scene being built on a worker thread (big dumps).
    scene_job: Option<SceneJob>,
    selected: Option<usize>,
    map: MapViewState,
    view3d: View3dState,
    panels: PanelsState,
    traces: TraceState,
    /// Pattern findings, and whether stack traces were there when they were made.
    findings: Option<(Vec<Finding>, bool)>,
    /// The legend's figures for the current filters.
    legend: Option<filters::LegendCounts>,
}

/// Stack traces: walked on a worker thread the first time they are wanted.
enum TraceState {
    NotStarted,
    Walking {
        rx: Receiver<Result<WalkResult, DumpError>>,
        /// Threads done and total, written by the walker.
        progress: Arc<(std::sync::atomic::AtomicUsize, std::sync::atomic::AtomicUsize)>,
    },
    Failed(String),
    Ready(Arc<WalkResult>),
}

/// The stack traces as the panels see them.
fn traces_view(state: &TraceState) -> Traces<'_> {
    use std::sync::atomic::Ordering;
    match state {
        TraceState::NotStarted => Traces::NotStarted,
        TraceState::Walking { progress, .. } => {
            Traces::Walking { done: progress.0.load(Ordering::Relaxed), total: progress.1.load(Ordering::Relaxed) }
        }
        TraceState::Failed(why) => Traces::Failed(why),
        TraceState::Ready(r) => Traces::Ready(&r.traces),
    }
}

pub const SHORTCUT_OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
pub const SHORTCUT_EXPORT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::E);

/// An export in flight: first the save dialog, then the offscreen render.
enum ExportJob {
    Choosing { rx: Receiver<Option<PathBuf>>, opts: crate::cli::shot::ShotOptions },
    Rendering { rx: Receiver<Result<PathBuf, String>> },
}

pub struct MemscapeApp {
    doc: Option<Document>,
    loading: Option<Loading>,
    error: Option<String>,
    recent: RecentFiles,
    view: View,
    filters: Filters,
    metric: HeightMetric,
    volume: VolumeStyle,
    symbols: SymbolSettings,
    show_symbol_settings: bool,
    export: ExportDialog,
    export_job: Option<ExportJob>,
    /// The map view's size in pixels last frame (the "window size" export).
    map_size_px: [u32; 2],
    search: String,
    search_note: Option<String>,
    /// A file dialog running on its own thread.
    dialog: Option<Receiver<Option<PathBuf>>>,
    scene_generation: u64,
    render_state: Option<egui_wgpu::RenderState>,
}

impl Document {
    /// Puts a built scene in place; a new view gets a fitted camera.
    fn install(&mut self, key: SceneKey, built: BuiltScene) {
        match built {
            BuiltScene::Flat(scene) => {
                let view_changed = self.scene_key.as_ref().is_none_or(|k| k.view() != key.view());
                self.scene = Some(scene);
                self.scene_key = Some(key);
                if view_changed {
                    self.map.reset_camera();
                }
            }
            BuiltScene::ThreeD(data) => {
                let view_changed = self.scene3d_key.as_ref().is_none_or(|k| k.view() != key.view());
                self.scene3d = Some(data);
                self.scene3d_key = Some(key);
                if view_changed {
                    self.view3d.reset_camera();
                }
            }
        }
    }

    /// Whether the scene built for `view` is there to draw (a big dump's
    /// first scene of a view may still be on its way).
    fn has_scene_for(&self, view: View) -> bool {
        let key = match view {
            View::Flat(_) => self.scene_key.as_ref().filter(|_| self.scene.is_some()),
            _ => self.scene3d_key.as_ref().filter(|_| self.scene3d.is_some()),
        };
        key.is_some_and(|k| k.view() == view)
    }

    fn new(space: AddressSpace) -> Document {
        Document {
            space: Arc::new(space),
            scene: None,
            scene_key: None,
            scene3d: None,
            scene3d_key: None,
            scene_job: None,
            selected: None,
            map: MapViewState::default(),
            view3d: View3dState::default(),
            panels: PanelsState::default(),
            traces: TraceState::NotStarted,
            findings: None,
            legend: None,
        }
    }

    /// Starts walking every thread's stack on a worker thread.
    fn start_walking(&mut self, symbols: &SymbolSettings) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (tx, rx) = channel();
        let progress = Arc::new((AtomicUsize::new(0), AtomicUsize::new(self.space.threads.len())));
        let (space, worker_progress) = (Arc::clone(&self.space), Arc::clone(&progress));
        let opts = WalkOptions { symbol_dirs: symbols.dirs.clone(), symbol_urls: symbols.active_urls() };
        let spawned = std::thread::Builder::new().name("memscape-stackwalk".into()).spawn(move || {
            let report = |done: usize, total: usize| {
                worker_progress.0.store(done, Ordering::Relaxed);
                worker_progress.1.store(total, Ordering::Relaxed);
            };
            let _ = tx.send(crate::dump::walk_stacks(&space, &opts, &report));
        });
        self.traces = match spawned {
            Ok(_) => TraceState::Walking { rx, progress },
            Err(e) => TraceState::Failed(format!("could not start the stack walker: {e}")),
        };
    }

    /// Runs the pattern rules: first without stack traces, again once they are walked.
    fn update_findings(&mut self) {
        let traces = match &self.traces {
            TraceState::Ready(r) => Some(r.as_ref()),
            _ => None,
        };
        let stale = match &self.findings {
            None => true,
            Some((_, with)) => *with != traces.is_some(),
        };
        if stale {
            self.findings = Some((patterns::analyze(&self.space, traces), traces.is_some()));
        }
    }

    fn poll_traces(&mut self) {
        if let TraceState::Walking { rx, .. } = &self.traces {
            match rx.try_recv() {
                Ok(Ok(result)) => self.traces = TraceState::Ready(Arc::new(result)),
                Ok(Err(e)) => self.traces = TraceState::Failed(e.to_string()),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => self.traces = TraceState::Failed("the stack walker stopped".into()),
            }
        }
    }

    /// Keeps the panels in step with the map: a stack selects its thread, an
    /// image its module.
    fn sync_panels_with_selection(&mut self) {
        let Some(r) = self.selected.and_then(|i| self.space.regions.get(i)) else { return };
        match (&r.owner, r.kind) {
            (Owner::Thread(id), RegionKind::Stack | RegionKind::TEB) => self.panels.selected_thread = Some(*id),
            (Owner::Module(m), RegionKind::Image) => self.panels.selected_module = Some(*m),
            _ => {}
        }
    }

    /// Applies a click from the bottom panel.
    fn apply(&mut self, action: PanelAction, symbols: &SymbolSettings, filters: &mut Filters) {
        match action {
            PanelAction::SelectAddress(a) => {
                if let Some(i) = self.space.region_index_at(a) {
                    self.select_and_focus(i);
                }
            }
            PanelAction::SelectThread(id) => {
                self.panels.selected_thread = Some(id);
                let t = self.space.threads.iter().find(|t| t.id == id);
                if let Some(i) = t.and_then(|t| self.space.region_index_at(t.sp.unwrap_or(t.stack_start_addr))) {
                    self.select_and_focus(i);
                }
            }
            PanelAction::SelectModule(m) => {
                self.panels.selected_module = Some(m);
                if let Some(i) = self.space.modules.get(m).and_then(|m| self.space.region_index_at(m.base_addr)) {
                    self.select_and_focus(i);
                }
            }
            PanelAction::ShowOnlyKind(kind) => {
                for (i, k) in RegionKind::ALL.iter().enumerate() {
                    filters.show_kind[i] = *k == kind;
                }
            }
            PanelAction::SelectSizeRange(lo, hi) => {
                let best = (0..self.space.regions.len())
                    .filter(|&i| (lo..hi).contains(&self.space.regions[i].size_bytes))
                    .max_by_key(|&i| self.space.regions[i].size_bytes);
                if let Some(i) = best {
                    self.select_and_focus(i);
                }
            }
            PanelAction::NeedTraces => {
                if matches!(self.traces, TraceState::NotStarted) {
                    self.start_walking(symbols);
                }
            }
        }
    }

    /// Selects a region and brings it into view in both kinds of view.
    fn select_and_focus(&mut self, index: usize) {
        self.selected = Some(index);
        if let Some(scene) = &self.scene {
            self.map.focus(&scene.layout, index as u32);
        }
        if let Some(data) = &self.scene3d {
            self.view3d.fly_to(data, index as u32);
        }
    }
}

impl MemscapeApp {
    /// The app on `source`, drawing with the creation context's wgpu state when there is one.
    pub fn new(cc: &eframe::CreationContext<'_>, source: DumpSource, recent: RecentFiles) -> MemscapeApp {
        let render_state = cc.wgpu_render_state.clone();
        if let Some(rs) = &render_state {
            crate::render::quads_paint::register(rs);
            crate::render::boxes_paint::register(rs);
        }
        let mut app = MemscapeApp {
            doc: None,
            loading: None,
            error: None,
            recent,
            view: View::Flat(ViewKind::Strip),
            filters: Filters::default(),
            metric: HeightMetric::default(),
            volume: VolumeStyle::default(),
            symbols: SymbolSettings::load(),
            show_symbol_settings: false,
            export: ExportDialog::default(),
            export_job: None,
            map_size_px: [1600, 1000],
            search: String::new(),
            search_note: None,
            dialog: None,
            scene_generation: 0,
            render_state,
        };
        app.start_loading(source);
        app
    }

    /// Starts reading `source` on a worker thread; the current dump stays shown.
    pub fn start_loading(&mut self, source: DumpSource) {
        if let Some(old) = self.loading.take() {
            old.progress.cancel();
        }
        let (tx, rx) = channel();
        let progress = Arc::new(LoadProgress::new());
        let worker_progress = Arc::clone(&progress);
        let worker_source = source.clone();
        let spawned = std::thread::Builder::new().name("memscape-load".into()).spawn(move || {
            let _ = tx.send(worker_source.load(&worker_progress));
        });
        if let Err(e) = spawned {
            self.error = Some(format!("{}: could not start loading: {e}", source.describe()));
            return;
        }
        self.loading = Some(Loading { source, started: Instant::now(), progress, rx });
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
        if !matches!(self.view, View::Flat(_)) || !doc.has_scene_for(self.view) {
            return None;
        }
        doc.map.screen_rect_of(&doc.scene.as_ref()?.layout, index as u32)
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
        self.loading.is_some()
    }

    pub fn set_view(&mut self, view: View) {
        self.view = view;
    }

    /// Whether a scene is being laid out on a worker thread (big dumps).
    pub fn is_laying_out(&self) -> bool {
        self.doc.as_ref().is_some_and(|d| d.scene_job.is_some())
    }

    /// Where region `index` is in the 3D view (its largest box's top), when shown.
    pub fn screen_pos_of_region_3d(&self, index: usize) -> Option<egui::Pos2> {
        let doc = self.doc.as_ref()?;
        doc.view3d.screen_pos_of(doc.scene3d.as_ref()?, index as u32)
    }

    fn poll_loading(&mut self) {
        let Some(loading) = &self.loading else { return };
        match loading.rx.try_recv() {
            Ok(Ok(space)) => {
                if let DumpSource::File(p) = &loading.source {
                    self.recent.add(p);
                }
                self.doc = Some(Document::new(space));
                self.error = None;
                self.loading = None;
            }
            Ok(Err(DumpError::Cancelled { .. })) => self.loading = None,
            Ok(Err(e)) => {
                self.error = Some(e.to_string());
                self.loading = None;
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {
                self.error = Some(format!("{}: the loader stopped unexpectedly", loading.source.describe()));
                self.loading = None;
            }
        }
    }

    /// What an export of the current view records: view, filters and
    /// colouring, selection, the 3D camera (angles, distance and the point
    /// looked at), the City metric, and the dialog's options.
    fn export_options(&self, size_px: [u32; 2]) -> Option<crate::cli::shot::ShotOptions> {
        let doc = self.doc.as_ref()?;
        let select = doc.selected.and_then(|i| doc.space.regions.get(i)).map(|r| r.base_addr);
        let camera = match self.view {
            View::City | View::Volume => doc.view3d.camera,
            View::Flat(_) => None,
        };
        let e = &self.export;
        Some(crate::cli::shot::ShotOptions {
            select,
            camera: camera.map(|c| [c.yaw_deg, c.pitch_deg.clamp(-89.0, 89.0), c.distance]),
            camera_target: camera.map(|c| c.target),
            metric: self.metric,
            theme: if e.light { crate::ui::theme::ExportTheme::Light } else { crate::ui::theme::ExportTheme::Dark },
            transparent: e.transparent,
            title: e.title.then_some(None),
            legend: e.legend,
            callouts: e.callouts,
            filters: self.filters.clone(),
            ..crate::cli::shot::ShotOptions::new(self.view, size_px)
        })
    }

    /// Advances an export: the save dialog's answer starts the render on a
    /// worker thread; the render's answer goes to the status line.
    fn poll_export(&mut self) {
        let Some(job) = self.export_job.take() else { return };
        match job {
            ExportJob::Choosing { rx, opts } => match rx.try_recv() {
                Ok(Some(path)) => {
                    let Some(space) = self.doc.as_ref().map(|d| Arc::clone(&d.space)) else { return };
                    let (tx, rx) = channel();
                    let spawned = std::thread::Builder::new().name("memscape-export".into()).spawn(move || {
                        let result = crate::cli::shot::run(
                            &space,
                            &opts,
                            &path,
                            &mut crate::cli::Timings::off(),
                            &mut std::io::sink(),
                        )
                        .map(|()| path)
                        .map_err(|e| format!("{e:#}"));
                        let _ = tx.send(result);
                    });
                    match spawned {
                        Ok(_) => self.export_job = Some(ExportJob::Rendering { rx }),
                        Err(e) => self.export.status = Some(format!("could not start the export: {e}")),
                    }
                }
                Ok(None) | Err(TryRecvError::Disconnected) => {}
                Err(TryRecvError::Empty) => self.export_job = Some(ExportJob::Choosing { rx, opts }),
            },
            ExportJob::Rendering { rx } => match rx.try_recv() {
                Ok(Ok(path)) => self.export.status = Some(format!("Saved {}", path.display())),
                Ok(Err(e)) => self.export.status = Some(format!("error: {e}")),
                Err(TryRecvError::Disconnected) => self.export.status = Some("error: the export stopped".into()),
                Err(TryRecvError::Empty) => self.export_job = Some(ExportJob::Rendering { rx }),
            },
        }
    }

    /// Asks where to save (on its own thread: the native dialog blocks).
    fn start_export(&mut self, opts: crate::cli::shot::ShotOptions) {
        let (tx, rx) = channel();
        let name = format!("memscape-{}.png", opts.view.name());
        let spawned = std::thread::Builder::new().name("memscape-save".into()).spawn(move || {
            let picked = rfd::FileDialog::new()
                .set_title("Export image")
                .set_file_name(name)
                .add_filter("PNG image", &["png"])
                .save_file();
            let _ = tx.send(picked);
        });
        if spawned.is_ok() {
            self.export_job = Some(ExportJob::Choosing { rx, opts });
        }
    }

    fn poll_dialog(&mut self) {
        let Some(rx) = &self.dialog else { return };
        match rx.try_recv() {
            Ok(Some(path)) => {
                self.dialog = None;
                self.start_loading(DumpSource::File(path));
            }
            Ok(None) | Err(TryRecvError::Disconnected) => self.dialog = None,
            Err(TryRecvError::Empty) => {}
        }
    }

    /// The native file dialog blocks, so it runs on its own thread.
    fn open_dialog(&mut self) {
        if self.dialog.is_some() {
            return;
        }
        let (tx, rx) = channel();
        let spawned = std::thread::Builder::new().name("memscape-open".into()).spawn(move || {
            let picked = rfd::FileDialog::new()
                .set_title("Open a dump")
                .add_filter("Minidumps", &["dmp", "mdmp", "dump", "minidump"])
                .add_filter("All files", &["*"])
                .pick_file();
            let _ = tx.send(picked);
        });
        if spawned.is_ok() {
            self.dialog = Some(rx);
        }
    }

    /// Rebuilds the current view's scene when what it depends on changed:
    /// at once for small dumps, on a worker thread for big ones (the window
    /// meanwhile shows the last scene of this view, or a note).
    fn ensure_scene(&mut self) {
        let Some(doc) = &mut self.doc else { return };
        let key = match self.view {
            View::Flat(kind) => SceneKey::Flat { kind, filters: self.filters.clone() },
            view => SceneKey::ThreeD {
                view,
                filters: self.filters.clone(),
                metric: self.metric,
                volume: self.volume.clone(),
                selected: doc.selected,
            },
        };
        let current = match self.view {
            View::Flat(_) => doc.scene_key.as_ref(),
            _ => doc.scene3d_key.as_ref(),
        };
        if current == Some(&key) {
            doc.scene_job = None;
            return;
        }
        // Same geometry: a 3D scene is only restyled (colouring, selection, opacity).
        if let (SceneKey::ThreeD { view, filters, volume, selected, .. }, Some(old), Some(data)) =
            (&key, current, doc.scene3d.as_mut())
            && old.same_geometry(&key)
        {
            self.scene_generation += 1;
            let style = (*view == View::Volume).then_some(volume);
            data.restyle(&doc.space, filters.color_mode, style, selected.map(|i| i as u32), self.scene_generation);
            doc.scene3d_key = Some(key);
            doc.scene_job = None;
            return;
        }
        // A job already building this geometry: take its scene when it is ready
        // (a different selection or colouring is restyled on the next frame).
        let mut worker_died = false;
        if let Some(job) = &doc.scene_job
            && job.key.same_geometry(&key)
        {
            match job.poll() {
                JobState::Building => return,
                JobState::Done(built) => {
                    let job_key = job.key.clone();
                    doc.scene_job = None;
                    doc.install(job_key, *built);
                    return;
                }
                // The worker died (it panicked): build here rather than again and again.
                JobState::Died => {
                    doc.scene_job = None;
                    worker_died = true;
                }
            }
        }
        self.scene_generation += 1;
        // A job for another geometry is replaced (its result is dropped).
        if doc.space.regions.len() >= scene_job::BACKGROUND_MIN_REGIONS
            && !worker_died
            && let Some(job) = SceneJob::spawn(Arc::clone(&doc.space), key.clone(), self.scene_generation)
        {
            doc.scene_job = Some(job);
            return;
        }
        let built = scene_job::build(&doc.space, &key, self.scene_generation);
        doc.install(key, built);
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

    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.add(egui::Button::new("Open…").shortcut_text(ui.ctx().format_shortcut(&SHORTCUT_OPEN))).clicked()
                {
                    self.open_dialog();
                    ui.close();
                }
                ui.menu_button("Open recent", |ui| {
                    if self.recent.paths().is_empty() {
                        ui.label("(none yet)");
                    }
                    let mut chosen = None;
                    for p in self.recent.paths() {
                        if ui.button(p.display().to_string()).clicked() {
                            chosen = Some(p.clone());
                        }
                    }
                    if let Some(p) = chosen {
                        self.start_loading(DumpSource::File(p));
                        ui.close();
                    }
                });
                if ui.button("Open the demo dump").clicked() {
                    self.start_loading(DumpSource::Demo);
                    ui.close();
                }
                ui.separator();
                let export =
                    egui::Button::new("Export image…").shortcut_text(ui.ctx().format_shortcut(&SHORTCUT_EXPORT));
                if ui.add_enabled(self.doc.is_some(), export).clicked() {
                    self.export.open = true;
                    ui.close();
                }
                if ui.button("Symbol settings…").clicked() {
                    self.show_symbol_settings = true;
                    ui.close();
                }
            });
            ui.separator();
            for v in View::ALL {
                ui.selectable_value(&mut self.view, v, v.title());
            }
            ui.separator();
            let find = ui.label("Find");
            let response = ui
                .add(
                    egui::TextEdit::singleline(&mut self.search)
                        .hint_text("address, module or thread id")
                        .desired_width(240.0),
                )
                .labelled_by(find.id);
            let go = ui.button("Go").clicked();
            if go || (response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter))) {
                self.run_search();
            }
            if let Some(note) = &self.search_note {
                ui.label(RichText::new(note).weak());
            }
            if let Some(l) = &self.loading {
                ui.separator();
                let (phase, fraction) = l.progress.current();
                ui.add(egui::ProgressBar::new(fraction).desired_width(120.0).show_percentage());
                ui.label(format!(
                    "Loading {}: {phase} ({:.1} s)",
                    l.source.describe(),
                    l.started.elapsed().as_secs_f32()
                ));
                if ui.button("Cancel").clicked() {
                    l.progress.cancel();
                }
            }
        });
    }
}

impl eframe::App for MemscapeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.poll_loading();
        self.poll_dialog();
        if ui.input_mut(|i| i.consume_shortcut(&SHORTCUT_OPEN)) {
            self.open_dialog();
        }
        if ui.input_mut(|i| i.consume_shortcut(&SHORTCUT_EXPORT)) && self.doc.is_some() {
            self.export.open = true;
        }
        self.poll_export();
        if self.export.open {
            let window_px = self.map_size_px;
            let busy = self.export_job.is_some();
            let mut open = true;
            let mut save = false;
            egui::Window::new("Export image").open(&mut open).show(ui.ctx(), |ui| {
                save = export_dialog::export_dialog_ui(ui, &mut self.export, window_px, busy);
            });
            self.export.open = open;
            if save && let Some(opts) = self.export_options(self.export.size_px(window_px)) {
                self.start_export(opts);
            }
        }
        if self.export_job.is_some() {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
        }
        // Files dropped on the window open like File > Open.
        let dropped = ui
            .input(|i| i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).find(|p| !p.as_os_str().is_empty()));
        if let Some(path) = dropped {
            self.start_loading(DumpSource::File(path));
        }
        self.ensure_scene();

        egui::Panel::top("top_bar").show(ui, |ui| self.top_bar_ui(ui));
        if let Some(err) = self.error.clone() {
            egui::Panel::bottom("error_bar").show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.colored_label(theme::CRASH, format!("error: {err}"));
                    if ui.button("Dismiss").clicked() {
                        self.error = None;
                    }
                });
            });
        }
        let Some(doc) = &mut self.doc else {
            egui::CentralPanel::default().show(ui, |ui| {
                if self.loading.is_some() {
                    ui.centered_and_justified(|ui| ui.spinner());
                } else {
                    ui.label("No dump open. Use File > Open, or drop a minidump on this window.");
                }
            });
            return;
        };
        let space = Arc::clone(&doc.space);
        doc.poll_traces();
        if self.show_symbol_settings {
            let mut open = true;
            let mut changed = false;
            egui::Window::new("Symbols").open(&mut open).show(ui.ctx(), |ui| {
                changed = settings::symbol_settings_ui(ui, &mut self.symbols);
            });
            self.show_symbol_settings = open;
            if changed && !matches!(doc.traces, TraceState::NotStarted) {
                doc.start_walking(&self.symbols);
            }
        }
        if doc.panels.tab == bottom::BottomTab::Patterns || doc.findings.is_some() {
            doc.update_findings();
        }
        let traces = traces_view(&doc.traces);
        let findings = FindingsView {
            findings: doc.findings.as_ref().map(|(f, _)| f.as_slice()),
            with_traces: doc.findings.as_ref().is_some_and(|(_, t)| *t),
        };
        let mut actions = Vec::new();
        egui::Panel::bottom("bottom_panel").resizable(true).default_size(260.0).size_range(120.0..=600.0).show(
            ui,
            |ui| {
                actions = bottom::bottom_panel_ui(ui, &space, &mut doc.panels, &traces, &findings);
            },
        );
        let marked: Vec<u32> = match (&doc.findings, doc.panels.selected_finding) {
            (Some((f, _)), Some(i)) => {
                f.get(i).map(|f| crate::ui::patterns::finding_regions(&space, f)).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        let frames_here = match &doc.traces {
            TraceState::Ready(r) => Some(Arc::clone(r)),
            _ => None,
        };

        let mut filters_changed = false;
        egui::Panel::left("left_panel").resizable(true).default_size(330.0).size_range(220.0..=520.0).show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                summary::summary_ui(ui, &space);
                ui.separator();
                ui.strong("Legend and filters");
                filters_changed = filters::filters_ui(ui, &space, &mut self.filters, &mut doc.legend);
                match self.view {
                    View::City => {
                        ui.separator();
                        ui.strong("City");
                        ui.horizontal_wrapped(|ui| {
                            ui.label("Height");
                            for m in HeightMetric::ALL {
                                ui.selectable_value(&mut self.metric, m, m.title());
                            }
                        });
                        ui.label(
                            egui::RichText::new(
                                "Drag to orbit, right-drag to pan, wheel to zoom, F flies to the selection.",
                            )
                            .weak(),
                        );
                    }
                    View::Volume => {
                        ui.separator();
                        ui.strong("Volume");
                        view3d::volume_controls_ui(ui, &space, &mut self.volume);
                    }
                    View::Flat(_) => {}
                }
            });
        });
        let mut link = None;
        egui::Panel::right("details_panel").resizable(true).default_size(340.0).size_range(240.0..=560.0).show(
            ui,
            |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| match doc.selected {
                    Some(i) => {
                        link = details::details_ui(ui, &space, i);
                        if let Some((f, _)) = &doc.findings {
                            let involved = crate::ui::patterns::findings_for_region(&space, f, i);
                            if !involved.is_empty() {
                                ui.separator();
                                ui.strong("Patterns involving this region");
                                for finding in involved {
                                    ui.colored_label(
                                        crate::ui::patterns::severity_color(finding.severity),
                                        format!("{} ({:.2})", finding.name, finding.confidence),
                                    )
                                    .on_hover_text(&finding.summary);
                                }
                            }
                        }
                        if let Some(traces) = &frames_here
                            && let Some(t) = details::frames_in_region_ui(ui, &space, &traces.traces, i)
                        {
                            actions.push(PanelAction::SelectThread(t));
                        }
                    }
                    None => {
                        ui.heading("Details");
                        ui.label("Click a region on the map to see it here.");
                    }
                });
            },
        );
        if let Some(i) = link {
            doc.select_and_focus(i);
        }
        for a in actions {
            doc.apply(a, &self.symbols, &mut self.filters);
        }
        egui::CentralPanel::default().show(ui, |ui| {
            if space.region_source == RegionSource::Synthesized {
                ui.colored_label(
                    theme::WARNING,
                    "No region list in this dump: modules, stacks and captured memory are placed where the dump says; the rest is Unknown, not Free.",
                );
            }
            let selected = doc.selected.map(|i| i as u32);
            let ppp = ui.ctx().pixels_per_point();
            let avail = ui.available_size() * ppp;
            self.map_size_px = [avail.x.round().max(16.0) as u32, avail.y.round().max(16.0) as u32];
            let waiting = !doc.has_scene_for(self.view);
            if waiting {
                ui.centered_and_justified(|ui| {
                    let n = space.regions.len();
                    ui.label(format!("Laying out {n} regions for the {} view…", self.view.name()));
                });
            }
            let response = match self.view {
                _ if waiting => None,
                View::Flat(_) => doc.scene.as_ref().map(|scene| {
                    let gpu = match &self.render_state {
                        Some(rs) => MapGpu::Window(rs),
                        None => MapGpu::Cpu,
                    };
                    map_view::map_view_ui(ui, &mut doc.map, &space, scene, Highlights { selected, marked: &marked }, gpu)
                }),
                View::City | View::Volume => match (&self.render_state, &doc.scene3d) {
                    (Some(rs), Some(data)) => {
                        let volume = (self.view == View::Volume).then_some(&self.volume);
                        Some(view3d::view3d_ui(
                            ui,
                            &mut doc.view3d,
                            &space,
                            data,
                            Highlights { selected, marked: &marked },
                            volume,
                            Gpu3d::Window(rs),
                        ))
                    }
                    (None, _) => {
                        ui.colored_label(theme::WARNING, "The 3D views need the wgpu renderer.");
                        None
                    }
                    _ => None,
                },
            };
            if let Some(c) = response.and_then(|r| r.clicked) {
                doc.selected = Some(c as usize);
            }
            if doc.scene_job.is_some() && !waiting {
                // The map shown is the last one; the new one is on its way.
                let rect = ui.max_rect();
                ui.painter().text(
                    rect.right_top() + egui::vec2(-8.0, 8.0),
                    egui::Align2::RIGHT_TOP,
                    "Updating the map…",
                    egui::FontId::proportional(13.0),
                    theme::WARNING,
                );
            }
        });
        doc.sync_panels_with_selection();
        if doc.scene_job.is_some() {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(30));
        }
        if matches!(doc.traces, TraceState::Walking { .. }) {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
        }
        if filters_changed {
            ui.ctx().request_repaint();
        }
        if self.loading.is_some() || self.dialog.is_some() {
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
        viewport: egui::ViewportBuilder::default().with_inner_size([1500.0, 920.0]).with_title("memscape"),
        renderer: eframe::Renderer::Wgpu,
        ..Default::default()
    };
    eframe::run_native(
        "memscape",
        options,
        Box::new(move |cc| Ok(Box::new(MemscapeApp::new(cc, source, RecentFiles::load())))),
    )
    .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}
