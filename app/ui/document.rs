//! One open dump and what the window derives from it: the scenes of its
//! views (a [`SceneCache`]), the selection, each view's camera, the bottom
//! panels' state, the stack traces (walked on a worker the first time they
//! are wanted), the pattern findings, the legend's figures and, while
//! comparing with an earlier dump, the comparison (the map then shows this
//! dump cut at what changed; the dump as opened is kept to go back to). The
//! app applies panel [`Command`]s about the document here.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::actions::Command;
use super::bottom::PanelsState;
use super::filters::LegendCounts;
use super::threads::Traces;
use super::top_bar::DownloadStatus;
use super::view2d::View2dState;
use super::view3d::View3dState;
use crate::analysis::byte_stats::{RegionBytes, region_bytes};
use crate::analysis::compare::Comparison;
use crate::analysis::involvement::finding_regions;
use crate::analysis::patterns::{self, Finding};
use crate::dump::symbols::FetchWatch;
use crate::dump::{AddressSpace, DumpError, Owner, RegionKind, WalkOptions, WalkResult};
use crate::scene::{Filters, RegionByteFigures, RegionChanges, SceneCache, SceneUpdate, ViewParams};
use crate::task::{Poll, Task, Waker};

/// Stack traces: walked on a worker the first time they are wanted.
pub enum TraceState {
    NotStarted,
    Walking {
        task: Task<Result<WalkResult, DumpError>>,
        /// Threads done and total, written by the walker.
        progress: Arc<(AtomicUsize, AtomicUsize)>,
    },
    Failed(String),
    Ready(Arc<WalkResult>),
}

/// The walk that downloads symbols, run after the local walk while its
/// traces show; its result replaces them when it ends.
pub struct SymbolDownloads {
    task: Task<Result<WalkResult, DumpError>>,
    /// Progress and the cancel switch.
    pub watch: Arc<FetchWatch>,
}

impl Drop for SymbolDownloads {
    /// A walk nobody waits for any more downloads nothing more.
    fn drop(&mut self) {
        self.watch.cancel();
    }
}

/// This dump compared with an earlier one.
pub struct Compared {
    pub comparison: Comparison,
    /// The change of each region of the cut map, for the Change colouring.
    pub changes: RegionChanges,
    /// The dump as opened (not cut), to go back to.
    original: Arc<AddressSpace>,
}

/// A loaded dump and what is derived from it for the current view.
pub struct Document {
    pub space: Arc<AddressSpace>,
    pub scenes: SceneCache,
    pub selected: Option<usize>,
    pub view2d: View2dState,
    pub view3d: View3dState,
    pub panels: PanelsState,
    pub traces: TraceState,
    /// Symbol downloads under way, if any.
    pub downloads: Option<SymbolDownloads>,
    /// The walk with downloads, waiting for the local walk to end.
    pending_downloads: Option<WalkOptions>,
    /// Why the last walk with downloads gave nothing (its traces stay the local ones), in words.
    pub downloads_note: Option<String>,
    /// Pattern findings, and whether stack traces were there when they were made.
    pub findings: Option<(Vec<Finding>, bool)>,
    /// The legend's figures for the current filters.
    pub legend: Option<LegendCounts>,
    /// The comparison with an earlier dump, while comparing.
    pub compared: Option<Compared>,
    /// Each region's captured-bytes figures (the Entropy and Byte class
    /// colourings), figured on a worker the first time they are wanted.
    byte_figures: ByteFigures,
}

/// Each region's captured-bytes figures, as far as they are known.
#[derive(Default)]
enum ByteFigures {
    #[default]
    NotStarted,
    Figuring(Task<Vec<Option<RegionBytes>>>),
    Ready(RegionByteFigures),
    /// The worker could not start or stopped: not tried again for this map.
    Failed,
}

impl Document {
    pub fn new(space: AddressSpace) -> Document {
        Document {
            space: Arc::new(space),
            scenes: SceneCache::default(),
            selected: None,
            view2d: View2dState::default(),
            view3d: View3dState::default(),
            panels: PanelsState::default(),
            traces: TraceState::NotStarted,
            downloads: None,
            pending_downloads: None,
            downloads_note: None,
            findings: None,
            legend: None,
            compared: None,
            byte_figures: ByteFigures::NotStarted,
        }
    }

    /// Each region's captured-bytes figures once figured; the first call
    /// starts figuring them on a worker (they read every captured byte).
    pub fn byte_figures(&mut self, waker: &Waker) -> Option<RegionByteFigures> {
        if let ByteFigures::NotStarted = self.byte_figures {
            let space = Arc::clone(&self.space);
            self.byte_figures = match Task::spawn("bytes", waker.clone(), move || region_bytes(&space)) {
                Ok(task) => ByteFigures::Figuring(task),
                Err(e) => {
                    log::warn!("could not start reading the captured bytes: {e}");
                    ByteFigures::Failed
                }
            };
        }
        if let ByteFigures::Figuring(task) = &self.byte_figures {
            match task.poll() {
                Poll::Pending => {}
                Poll::Done(figures) => self.byte_figures = ByteFigures::Ready(RegionByteFigures(figures.into())),
                Poll::Died => self.byte_figures = ByteFigures::Failed,
            }
        }
        match &self.byte_figures {
            ByteFigures::Ready(f) => Some(f.clone()),
            _ => None,
        }
    }

    /// Shows this dump compared with an earlier one: `cut` (this dump's map
    /// cut at what changed, from [`crate::analysis::compare::compare`])
    /// replaces the map; the selection stays on the same address.
    pub fn set_comparison(&mut self, cut: AddressSpace, comparison: Comparison) {
        let original = match self.compared.take() {
            Some(c) => c.original,
            None => Arc::clone(&self.space),
        };
        let changes = RegionChanges(comparison.classes.clone().into());
        self.replace_space(Arc::new(cut));
        self.compared = Some(Compared { comparison, changes, original });
        self.panels.tab = super::bottom::BottomTab::Changes;
    }

    /// The dump as opened (not cut for a comparison).
    pub fn opened_space(&self) -> &Arc<AddressSpace> {
        self.compared.as_ref().map_or(&self.space, |c| &c.original)
    }

    /// Stops comparing: the dump as opened comes back.
    pub fn close_comparison(&mut self) {
        if let Some(c) = self.compared.take() {
            self.replace_space(c.original);
        }
    }

    /// A new map for the same dump: scenes, findings and the legend are
    /// made again; the selection follows its address; stack traces (which
    /// name threads and addresses, not regions) stay.
    fn replace_space(&mut self, space: Arc<AddressSpace>) {
        let selected_addr = self.selected.and_then(|i| self.space.regions.get(i)).map(|r| r.base_addr);
        self.space = space;
        self.selected = selected_addr.and_then(|a| self.space.region_index_at(a));
        self.scenes.clear();
        self.byte_figures = ByteFigures::NotStarted;
        self.findings = None;
        self.legend = None;
        self.panels.selected_finding = None;
    }

    /// Brings the scene for `params` up to date (see [`SceneCache::update`]);
    /// a scene for a new view gets a fitted camera.
    pub fn update_scene(&mut self, params: &ViewParams, waker: &Waker) {
        if let SceneUpdate::Installed { new_view: true } = self.scenes.update(&self.space, params, waker) {
            match params {
                ViewParams::Flat { .. } => self.view2d.reset_camera(),
                ViewParams::ThreeD { .. } => self.view3d.reset_camera(),
            }
        }
    }

    /// Starts walking every thread's stack on a worker. With symbol servers
    /// named, the first walk uses local files only, so traces show at once;
    /// a second walk that downloads what is missing follows it, and its
    /// traces replace the first's when it ends.
    pub fn start_walking(&mut self, opts: WalkOptions, waker: &Waker) {
        // Dropping the old downloads cancels them.
        self.downloads = None;
        self.downloads_note = None;
        let mut local = opts.clone();
        local.symbols.servers.clear();
        local.symbols.debuginfod.clear();
        self.pending_downloads = opts.symbols.uses_network().then_some(opts);
        let progress = Arc::new((AtomicUsize::new(0), AtomicUsize::new(self.space.threads.len())));
        let (space, worker_progress, report_waker) = (Arc::clone(&self.space), Arc::clone(&progress), waker.clone());
        let spawned = Task::spawn("stackwalk", waker.clone(), move || {
            let report = |done: usize, total: usize| {
                worker_progress.0.store(done, Ordering::Relaxed);
                worker_progress.1.store(total, Ordering::Relaxed);
                report_waker.wake();
            };
            crate::dump::walk_stacks(&space, &local, &report)
        });
        self.traces = match spawned {
            Ok(task) => TraceState::Walking { task, progress },
            Err(e) => TraceState::Failed(format!("could not start the stack walker: {e}")),
        };
    }

    /// Takes the walkers' results once they are there, and starts the walk
    /// with downloads after the local one.
    pub fn poll_traces(&mut self, waker: &Waker) {
        if let TraceState::Walking { task, .. } = &self.traces {
            match task.poll() {
                Poll::Pending => {}
                Poll::Done(Ok(result)) => self.traces = TraceState::Ready(Arc::new(result)),
                Poll::Done(Err(e)) => self.traces = TraceState::Failed(e.to_string()),
                Poll::Died => self.traces = TraceState::Failed("the stack walker stopped".into()),
            }
            if !matches!(self.traces, TraceState::Walking { .. })
                && let Some(opts) = self.pending_downloads.take()
            {
                self.start_downloads(opts, waker);
            }
        }
        if let Some(d) = &self.downloads {
            match d.task.poll() {
                Poll::Pending => {}
                Poll::Done(Ok(result)) => {
                    self.traces = TraceState::Ready(Arc::new(result));
                    // The rules read the stacks: run them again on the new ones.
                    self.findings = None;
                    self.downloads = None;
                }
                Poll::Done(Err(e)) => {
                    self.downloads_note = Some(format!("Symbol downloads failed: {e}"));
                    self.downloads = None;
                }
                Poll::Died => {
                    self.downloads_note = Some("Symbol downloads failed: the stack walker stopped".into());
                    self.downloads = None;
                }
            }
        }
    }

    /// Stops the downloads now: the local traces stay; the worker, which may
    /// be blocked in a read, ends on its own (its result is dropped, its
    /// unfinished files removed).
    pub fn stop_downloads(&mut self) {
        if self.downloads.take().is_some() {
            self.downloads_note = Some("Symbol downloads stopped: the stacks use the symbols found before.".into());
        }
    }

    /// The downloads as the top bar shows them.
    pub fn download_status(&self) -> Option<DownloadStatus> {
        if let Some(note) = &self.downloads_note {
            return Some(DownloadStatus::Note(note.clone()));
        }
        let d = self.downloads.as_ref()?;
        let st = d.watch.state();
        let mut text = if st.modules_total == 0 {
            "Symbols: looking in the folders".to_string()
        } else {
            format!("Symbols: {} of {} modules looked up, {} files saved", st.modules_done, st.modules_total, st.saved)
        };
        if d.watch.is_cancelled() {
            text.push_str(" (stopping)");
        }
        for (url, got, total) in st.receiving.iter().take(2) {
            let name = url.rsplit('/').next().unwrap_or(url);
            let mib = |b: u64| b as f64 / (1 << 20) as f64;
            match total {
                Some(t) => text.push_str(&format!(" · {name} {:.1} of {:.1} MiB", mib(*got), mib(*t))),
                None => text.push_str(&format!(" · {name} {:.1} MiB", mib(*got))),
            }
        }
        Some(DownloadStatus::Running(text))
    }

    fn start_downloads(&mut self, mut opts: WalkOptions, waker: &Waker) {
        let wake = waker.clone();
        let watch = Arc::new(FetchWatch::new(Some(Box::new(move || wake.wake()))));
        opts.watch = Some(Arc::clone(&watch));
        let space = Arc::clone(&self.space);
        match Task::spawn("symbols", waker.clone(), move || crate::dump::walk_stacks(&space, &opts, &|_, _| {})) {
            Ok(task) => self.downloads = Some(SymbolDownloads { task, watch }),
            Err(e) => self.downloads_note = Some(format!("Symbol downloads could not start: {e}")),
        }
    }
}

impl TraceState {
    /// The stack traces as the panels see them.
    pub fn view(&self) -> Traces<'_> {
        match self {
            TraceState::NotStarted => Traces::NotStarted,
            TraceState::Walking { progress, .. } => {
                Traces::Walking { done: progress.0.load(Ordering::Relaxed), total: progress.1.load(Ordering::Relaxed) }
            }
            TraceState::Failed(why) => Traces::Failed(why),
            TraceState::Ready(r) => Traces::Ready(&r.traces),
        }
    }
}

impl Document {
    /// The walked traces, once ready.
    pub fn ready_traces(&self) -> Option<Arc<WalkResult>> {
        match &self.traces {
            TraceState::Ready(r) => Some(Arc::clone(r)),
            _ => None,
        }
    }

    /// Runs the pattern rules: first without stack traces, again once they are walked.
    pub fn update_findings(&mut self) {
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

    /// The regions the maps mark: those the selected finding involves, and
    /// those holding the strings the Strings tab's filter matches (when asked).
    pub fn marked_regions(&self) -> Vec<u32> {
        let mut out = match (&self.findings, self.panels.selected_finding) {
            (Some((f, _)), Some(i)) => f.get(i).map(|f| finding_regions(&self.space, f)).unwrap_or_default(),
            _ => Vec::new(),
        };
        let strings = self.panels.strings.map_marks();
        if !strings.is_empty() {
            out.extend_from_slice(strings);
            out.sort_unstable();
            out.dedup();
        }
        out
    }

    /// Keeps the panels in step with the map: a stack selects its thread, an
    /// image its module.
    pub fn sync_panels_with_selection(&mut self) {
        let Some(r) = self.selected.and_then(|i| self.space.regions.get(i)) else { return };
        match (&r.owner, r.kind) {
            (Owner::Thread(id), RegionKind::Stack | RegionKind::TEB) => self.panels.selected_thread = Some(*id),
            (Owner::Module(m), RegionKind::Image) => self.panels.selected_module = Some(*m as usize),
            _ => {}
        }
    }

    /// Applies a command about the document; returns it when it is the
    /// app's (files, dialogs, the search box).
    pub fn apply(&mut self, cmd: Command, filters: &mut Filters) -> Option<Command> {
        match cmd {
            Command::Select(i) => self.selected = Some(i),
            Command::SelectRegion(i) => self.select_and_focus(i),
            Command::SelectAddress(a) => {
                if let Some(i) = self.space.region_index_at(a) {
                    self.select_and_focus(i);
                }
            }
            Command::SelectThread(id) => {
                self.panels.selected_thread = Some(id);
                let t = self.space.threads.iter().find(|t| t.id == id);
                if let Some(i) = t.and_then(|t| self.space.region_index_at(t.sp.unwrap_or(t.stack_start_addr))) {
                    self.select_and_focus(i);
                }
            }
            Command::SelectModule(m) => {
                self.panels.selected_module = Some(m);
                if let Some(i) = self.space.modules.get(m).and_then(|m| self.space.region_index_at(m.base_addr)) {
                    self.select_and_focus(i);
                }
            }
            Command::ShowOnlyKind(kind) => filters.show_only(kind),
            Command::ShowBytes(a) => {
                if let Some(i) = self.space.region_index_at(a) {
                    self.select_and_focus(i);
                    self.panels.memory.show(a, 16);
                    self.panels.tab = super::bottom::BottomTab::Memory;
                }
            }
            Command::SelectSizeRange(lo, hi) => {
                let best = (0..self.space.regions.len())
                    .filter(|&i| (lo..hi).contains(&self.space.regions[i].size_bytes))
                    .max_by_key(|&i| self.space.regions[i].size_bytes);
                if let Some(i) = best {
                    self.select_and_focus(i);
                }
            }
            other => return Some(other),
        }
        None
    }

    /// Selects a region and brings it into view in both kinds of view.
    pub fn select_and_focus(&mut self, index: usize) {
        self.selected = Some(index);
        if let Some(scene) = self.scenes.flat() {
            self.view2d.focus(scene, index as u32);
        }
        if let Some(scene) = self.scenes.three_d() {
            self.view3d.fly_to(scene, index as u32);
        }
    }
}
