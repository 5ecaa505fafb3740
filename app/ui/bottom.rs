//! The bottom panel: tabs with the modules table (like `lmv`) and the module
//! details, the unloaded modules, the threads with their stack traces, the
//! overview charts, the pattern findings, the strings in captured memory,
//! what points into a region and, while comparing, the changes since the
//! earlier dump. Clicks come back as actions for the app to apply to
//! the map selection.

use std::collections::BTreeMap;

use egui::Ui;

use super::actions::Command;
use super::byte_view::{self, ByteViewState};
use super::changes::{self, ChangesState};
use super::charts::{self, ChartClick};
use super::hex_view::{self, HexViewState};
use super::modules::{self, ModuleAction, ModulesTableState};
use super::patterns;
use super::refs::{self, RefsState};
use super::strings::{self, StringsState};
use super::threads::{self, ThreadAction, Traces};
use std::sync::Arc;

use crate::analysis::compare::Comparison;
use crate::analysis::patterns::Finding;
use crate::analysis::stats::{self, Overview};
use crate::dump::symbols::ModuleSymbols;
use crate::dump::{AddressSpace, Section, WalkResult};
use crate::task::Waker;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BottomTab {
    #[default]
    Modules,
    Unloaded,
    /// The selected region's bytes.
    Memory,
    Threads,
    Overview,
    Patterns,
    Strings,
    References,
    /// The byte picture.
    Picture,
    /// Only while comparing with an earlier dump.
    Changes,
}

/// The panel's own state, per dump.
#[derive(Default)]
pub struct PanelsState {
    pub tab: BottomTab,
    pub modules: ModulesTableState,
    pub unloaded: ModulesTableState,
    pub sections: BTreeMap<usize, Result<Vec<Section>, String>>,
    pub selected_module: Option<usize>,
    pub selected_thread: Option<u32>,
    /// Index into the findings.
    pub selected_finding: Option<usize>,
    pub changes: ChangesState,
    pub strings: StringsState,
    pub refs: RefsState,
    pub picture: ByteViewState,
    pub memory: HexViewState,
    overview: Option<Overview>,
}

/// Pattern findings as far as they are known: None until analysed, and
/// whether the stack traces were there when they were.
pub struct FindingsView<'a> {
    pub findings: Option<&'a [Finding]>,
    pub with_traces: bool,
}

/// What the panel shows, besides its own state.
pub struct BottomInputs<'a> {
    pub space: &'a Arc<AddressSpace>,
    pub traces: &'a Traces<'a>,
    pub findings: &'a FindingsView<'a>,
    /// The stack walk, once walked: its symbol files and function names.
    pub walk: Option<&'a WalkResult>,
    pub comparison: Option<&'a Comparison>,
    /// The region selected on the map.
    pub selected: Option<usize>,
    /// Wakes the window when a scan started here finds more.
    pub waker: &'a Waker,
}

pub fn bottom_panel_ui(ui: &mut Ui, state: &mut PanelsState, inputs: BottomInputs<'_>) -> Vec<Command> {
    let BottomInputs { space: space_arc, traces, findings, walk, comparison, selected, waker } = inputs;
    let symbols: Option<&[ModuleSymbols]> = walk.map(|w| w.symbols.as_slice());
    let names = walk.map(|w| &w.names);
    let space: &AddressSpace = space_arc;
    let mut actions = Vec::new();
    // Fill the panel whatever the tab holds, so switching tabs never resizes it.
    ui.set_min_height(ui.available_height());
    ui.horizontal(|ui| {
        ui.selectable_value(&mut state.tab, BottomTab::Modules, format!("Modules ({})", space.modules.len()));
        ui.selectable_value(
            &mut state.tab,
            BottomTab::Unloaded,
            format!("Unloaded ({})", space.unloaded_modules.len()),
        );
        ui.selectable_value(&mut state.tab, BottomTab::Threads, format!("Threads ({})", space.threads.len()));
        ui.selectable_value(&mut state.tab, BottomTab::Overview, "Overview");
        let patterns = match findings.findings {
            Some(f) => format!("Patterns ({})", f.len()),
            None => "Patterns".to_string(),
        };
        ui.selectable_value(&mut state.tab, BottomTab::Patterns, patterns);
        ui.selectable_value(&mut state.tab, BottomTab::Memory, "Memory");
        ui.selectable_value(&mut state.tab, BottomTab::Strings, "Strings");
        ui.selectable_value(&mut state.tab, BottomTab::References, "References");
        ui.selectable_value(&mut state.tab, BottomTab::Picture, "Picture");
        match comparison {
            Some(c) => {
                ui.selectable_value(&mut state.tab, BottomTab::Changes, format!("Changes ({})", c.diff.regions.len()));
            }
            None if state.tab == BottomTab::Changes => state.tab = BottomTab::Modules,
            None => {}
        }
    });
    ui.separator();
    match state.tab {
        BottomTab::Modules => {
            // The Symbols column comes from the walk.
            if matches!(traces, Traces::NotStarted) {
                actions.push(Command::NeedTraces);
            }
            ui.columns(2, |cols| {
                egui::ScrollArea::horizontal().id_salt("modules_scroll").show(&mut cols[0], |ui| {
                    if let Some(i) =
                        modules::modules_table_ui(ui, space, &mut state.modules, state.selected_module, symbols)
                    {
                        state.selected_module = Some(i);
                        actions.push(Command::SelectModule(i));
                    }
                });
                egui::ScrollArea::vertical().id_salt("module_details_scroll").show(&mut cols[1], |ui| {
                    match state.selected_module {
                        Some(i) => {
                            if let ModuleAction::SelectAddress(a) = modules::module_details_ui(
                                ui,
                                space,
                                i,
                                &mut state.sections,
                                symbols.and_then(|s| s.get(i)),
                            ) {
                                actions.push(Command::SelectAddress(a));
                            }
                        }
                        None => {
                            ui.label("Click a module to see its details and sections.");
                        }
                    }
                });
            });
        }
        BottomTab::Unloaded => {
            if let Some(i) = modules::unloaded_table_ui(ui, space, &mut state.unloaded)
                && let Some(m) = space.unloaded_modules.get(i)
            {
                actions.push(Command::SelectAddress(m.base_addr));
            }
        }
        BottomTab::Threads => {
            if matches!(traces, Traces::NotStarted) {
                actions.push(Command::NeedTraces);
            }
            ui.columns(2, |cols| {
                egui::ScrollArea::horizontal().id_salt("threads_scroll").show(&mut cols[0], |ui| {
                    if let Some(ThreadAction::SelectThread(id)) =
                        threads::threads_table_ui(ui, space, traces, state.selected_thread)
                    {
                        state.selected_thread = Some(id);
                        actions.push(Command::SelectThread(id));
                    }
                });
                egui::ScrollArea::vertical().id_salt("trace_scroll").show(&mut cols[1], |ui| {
                    match state.selected_thread {
                        Some(id) => {
                            if let Some(ThreadAction::SelectAddress(a)) = threads::stack_trace_ui(ui, space, traces, id)
                            {
                                actions.push(Command::SelectAddress(a));
                            }
                        }
                        None => {
                            ui.label("Click a thread to see its stack trace.");
                        }
                    }
                });
            });
        }
        BottomTab::Patterns => {
            if matches!(traces, Traces::NotStarted) {
                actions.push(Command::NeedTraces);
            }
            if let Some(a) =
                patterns::patterns_ui(ui, space, findings.findings, findings.with_traces, &mut state.selected_finding)
            {
                actions.push(a);
            }
        }
        BottomTab::Memory => {
            // Pointers are named with the walk's symbols: walk the stacks for them.
            if matches!(traces, Traces::NotStarted) {
                actions.push(Command::NeedTraces);
            }
            actions.extend(hex_view::hex_view_ui(ui, space, &mut state.memory, selected, names));
        }
        BottomTab::Strings => actions.extend(strings::strings_ui(ui, space_arc, &mut state.strings, waker)),
        BottomTab::References => actions.extend(refs::refs_ui(ui, space, &mut state.refs)),
        BottomTab::Picture => {
            actions.extend(byte_view::byte_view_ui(ui, space_arc, &mut state.picture, selected, waker));
        }
        BottomTab::Changes => {
            if let Some(c) = comparison.and_then(|cmp| changes::changes_ui(ui, space, cmp, &mut state.changes)) {
                actions.push(c);
            }
        }
        BottomTab::Overview => {
            let overview = state.overview.get_or_insert_with(|| stats::overview(space));
            match charts::overview_ui(ui, overview, space) {
                Some(ChartClick::Kind(k)) => actions.push(Command::ShowOnlyKind(k)),
                Some(ChartClick::SizeRange(lo, hi)) => actions.push(Command::SelectSizeRange(lo, hi)),
                Some(ChartClick::FreeBlock(base)) => actions.push(Command::SelectAddress(base)),
                Some(ChartClick::Thread(id)) => actions.push(Command::SelectThread(id)),
                Some(ChartClick::Module(i)) => actions.push(Command::SelectModule(i)),
                None => {}
            }
        }
    }
    actions
}
