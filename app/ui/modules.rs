//! The modules panel: a sortable, filterable table of the loaded modules in the
//! spirit of WinDbg's `lmv`, one of the unloaded modules, and the details of
//! one module (versions, debug identity, sections) whose links ask the app to
//! select an address on the map.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use egui::{Align, Label, Layout, RichText, Sense, TextStyle, Ui};
use egui_extras::{Column, TableBuilder};

use crate::dump::symbols::ModuleSymbols;
use crate::dump::time::format_utc;
use crate::dump::{AddressSpace, DebugInfo, Module, Section, UnloadedModule};
use crate::format::{hex, human_size, windbg_addr};
use crate::scene::theme;

/// What a click in the modules panel asks the app to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ModuleAction {
    #[default]
    None,
    /// Select the region containing this address on the map.
    SelectAddress(u64),
}

/// A column of the module tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ModuleColumn {
    Start,
    End,
    Name,
    Size,
    FileVersion,
    Timestamp,
    Checksum,
    /// The symbol files found (after the stacks are walked).
    Symbols,
    /// PDB name or build id.
    Debug,
}

impl ModuleColumn {
    /// The loaded-modules table's columns, left to right.
    pub const ALL: [ModuleColumn; 9] = [
        ModuleColumn::Start,
        ModuleColumn::End,
        ModuleColumn::Name,
        ModuleColumn::Symbols,
        ModuleColumn::Size,
        ModuleColumn::FileVersion,
        ModuleColumn::Timestamp,
        ModuleColumn::Checksum,
        ModuleColumn::Debug,
    ];

    /// The unloaded-modules table's columns (those the dump records for them).
    pub const UNLOADED: [ModuleColumn; 6] = [
        ModuleColumn::Start,
        ModuleColumn::End,
        ModuleColumn::Name,
        ModuleColumn::Size,
        ModuleColumn::Timestamp,
        ModuleColumn::Checksum,
    ];

    /// The header text.
    pub fn title(self) -> &'static str {
        match self {
            ModuleColumn::Start => "Start",
            ModuleColumn::End => "End",
            ModuleColumn::Name => "Name",
            ModuleColumn::Size => "Size",
            ModuleColumn::FileVersion => "File version",
            ModuleColumn::Timestamp => "Timestamp",
            ModuleColumn::Checksum => "Checksum",
            ModuleColumn::Symbols => "Symbols",
            ModuleColumn::Debug => "PDB / build id",
        }
    }
}

/// Filter text and sort order of a module table. Give each table its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModulesTableState {
    /// Matched case-insensitively against name, path, versions and PDB name.
    pub filter: String,
    /// The sort column and whether ascending.
    pub sort: (ModuleColumn, bool),
    /// The selection last seen, to scroll a newly selected row into view.
    last_selected: Option<usize>,
    /// Modules whose symbols are being looked up on the servers (the app
    /// sets it each frame from the downloads' progress).
    pub downloading: Vec<usize>,
}

impl Default for ModulesTableState {
    fn default() -> Self {
        ModulesTableState {
            filter: String::new(),
            sort: (ModuleColumn::Start, true),
            last_selected: None,
            downloading: Vec::new(),
        }
    }
}

impl ModulesTableState {
    /// A click on `column`'s header: sort by it, or reverse it when it already sorts.
    pub fn click_header(&mut self, column: ModuleColumn) {
        self.sort = if self.sort.0 == column { (column, !self.sort.1) } else { (column, true) };
    }

    /// Indices into `space.modules` of the rows shown, in display order
    /// (`symbols`: each module's symbol status, once the stacks are walked).
    pub fn module_rows(&self, space: &AddressSpace, symbols: Option<&[ModuleSymbols]>) -> Vec<usize> {
        let needle = self.filter.trim().to_lowercase();
        let mut rows: Vec<usize> =
            (0..space.modules.len()).filter(|&i| module_matches(&space.modules[i], &needle)).collect();
        let (column, ascending) = self.sort;
        let summary = |i: usize| symbols.and_then(|s| s.get(i)).map(ModuleSymbols::summary);
        rows.sort_by(|&a, &b| {
            let (ma, mb) = (&space.modules[a], &space.modules[b]);
            let o = match column {
                ModuleColumn::Symbols => summary(a).cmp(&summary(b)),
                _ => compare_modules(column, ma, mb),
            };
            if ascending { o } else { o.reverse() }.then(ma.base_addr.cmp(&mb.base_addr)).then(a.cmp(&b))
        });
        rows
    }

    /// Indices into `space.unloaded_modules` of the rows shown, in display order.
    pub fn unloaded_rows(&self, space: &AddressSpace) -> Vec<usize> {
        let needle = self.filter.trim().to_lowercase();
        let mut rows: Vec<usize> = (0..space.unloaded_modules.len())
            .filter(|&i| unloaded_matches(&space.unloaded_modules[i], &needle))
            .collect();
        let (column, ascending) = self.sort;
        rows.sort_by(|&a, &b| {
            let (ua, ub) = (&space.unloaded_modules[a], &space.unloaded_modules[b]);
            let o = compare_unloaded(column, ua, ub);
            if ascending { o } else { o.reverse() }.then(ua.base_addr.cmp(&ub.base_addr)).then(a.cmp(&b))
        });
        rows
    }
}

fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    hay.to_lowercase().contains(needle_lower)
}

fn module_matches(m: &Module, needle_lower: &str) -> bool {
    needle_lower.is_empty()
        || contains_ci(&m.name, needle_lower)
        || contains_ci(&m.path, needle_lower)
        || m.file_version.is_some_and(|v| v.to_string().contains(needle_lower))
        || m.product_version.is_some_and(|v| v.to_string().contains(needle_lower))
        || debug_text(m).is_some_and(|d| contains_ci(&d, needle_lower))
}

fn unloaded_matches(u: &UnloadedModule, needle_lower: &str) -> bool {
    needle_lower.is_empty() || contains_ci(&u.name, needle_lower) || contains_ci(&u.path, needle_lower)
}

fn compare_modules(column: ModuleColumn, a: &Module, b: &Module) -> Ordering {
    match column {
        ModuleColumn::Start => a.base_addr.cmp(&b.base_addr),
        ModuleColumn::End => a.end_addr().cmp(&b.end_addr()),
        ModuleColumn::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
        ModuleColumn::Size => a.size_bytes.cmp(&b.size_bytes),
        ModuleColumn::FileVersion => a.file_version.cmp(&b.file_version),
        ModuleColumn::Timestamp => a.timestamp.cmp(&b.timestamp),
        ModuleColumn::Checksum => a.checksum.cmp(&b.checksum),
        // Sorted by the caller, which has the statuses.
        ModuleColumn::Symbols => Ordering::Equal,
        ModuleColumn::Debug => debug_text(a).cmp(&debug_text(b)),
    }
}

fn compare_unloaded(column: ModuleColumn, a: &UnloadedModule, b: &UnloadedModule) -> Ordering {
    match column {
        ModuleColumn::End => a.base_addr.saturating_add(a.size_bytes).cmp(&b.base_addr.saturating_add(b.size_bytes)),
        ModuleColumn::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
        ModuleColumn::Size => a.size_bytes.cmp(&b.size_bytes),
        ModuleColumn::Timestamp => a.timestamp.cmp(&b.timestamp),
        ModuleColumn::Checksum => a.checksum.cmp(&b.checksum),
        // Columns the unloaded table does not show sort by address.
        ModuleColumn::Start | ModuleColumn::FileVersion | ModuleColumn::Symbols | ModuleColumn::Debug => {
            a.base_addr.cmp(&b.base_addr)
        }
    }
}

/// The PDB name or build id of a module, as the table shows it.
fn debug_text(m: &Module) -> Option<String> {
    match &m.debug {
        Some(DebugInfo::Pdb70 { pdb_name, .. } | DebugInfo::Pdb20 { pdb_name, .. }) => Some(pdb_name.clone()),
        Some(DebugInfo::BuildId(id)) => Some(id.clone()),
        None => None,
    }
}

/// "2011-05-13 20:45:21", or "-" for a zero timestamp.
fn date_time(timestamp: u32) -> String {
    if timestamp == 0 {
        return "-".into();
    }
    let s = format_utc(u64::from(timestamp));
    s.strip_suffix(" UTC").map(str::to_string).unwrap_or(s)
}

/// A table cell of a column that sizes itself to its contents: one line, not
/// selectable (so a click lands on the row).
fn cell(ui: &mut Ui, text: impl Into<egui::WidgetText>) -> egui::Response {
    ui.add(Label::new(text).selectable(false).extend())
}

/// A table cell of a column the user sizes (names, PDB paths): cut with "…"
/// when the column is narrower than the text.
fn cell_cut(ui: &mut Ui, text: impl Into<egui::WidgetText>) -> egui::Response {
    ui.add(Label::new(text).selectable(false).truncate())
}

/// The header of a sortable column: its title, and on the sort column a
/// small triangle pointing up (ascending) or down (descending). The triangle
/// is painted: the bundled fonts have no arrow glyphs.
fn header_button(ui: &mut Ui, column: ModuleColumn, sort: (ModuleColumn, bool)) -> bool {
    let sorted = (sort.0 == column).then_some(sort.1);
    let hover = match sorted {
        Some(true) => "Sorted ascending; click to reverse",
        Some(false) => "Sorted descending; click to reverse",
        None => "Sort by this column",
    };
    let clicked =
        ui.add(egui::Button::new(RichText::new(column.title()).strong()).frame(false)).on_hover_text(hover).clicked();
    if let Some(ascending) = sorted {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(8.0, 8.0), Sense::hover());
        let (l, r, c) = (rect.left(), rect.right(), rect.center().x);
        let points = if ascending {
            vec![egui::pos2(l, rect.bottom()), egui::pos2(r, rect.bottom()), egui::pos2(c, rect.top())]
        } else {
            vec![egui::pos2(l, rect.top()), egui::pos2(r, rect.top()), egui::pos2(c, rect.bottom())]
        };
        let color = ui.visuals().strong_text_color();
        ui.painter().add(egui::Shape::convex_polygon(points, color, egui::Stroke::NONE));
    }
    clicked
}

/// The filter box above a table: label, text field (named by the label) and a
/// clear button.
fn filter_edit(ui: &mut Ui, label: &str, hint: &str, filter: &mut String) {
    let label = ui.label(label);
    let before = filter.clone();
    ui.add(egui::TextEdit::singleline(filter).hint_text(hint).desired_width(220.0)).labelled_by(label.id);
    if !filter.is_empty() && ui.small_button("×").on_hover_text("Clear the filter").clicked() {
        filter.clear();
    }
    if *filter != before {
        ui.ctx().request_repaint();
    }
}

fn row_height(ui: &Ui) -> f32 {
    ui.text_style_height(&TextStyle::Body).max(ui.spacing().interact_size.y - 2.0)
}

/// Picks up a newly selected row: the position to scroll to, once.
fn scroll_target(state: &mut ModulesTableState, rows: &[usize], selected: Option<usize>) -> Option<usize> {
    if state.last_selected == selected {
        return None;
    }
    state.last_selected = selected;
    selected.and_then(|s| rows.iter().position(|&r| r == s))
}

/// The loaded modules, like `lmv`: one row per module, virtualized so that
/// thousands scroll smoothly. Click a header to sort (again to reverse); the
/// filter matches name, path, versions and PDB name. `selected_module` is
/// highlighted (and scrolled to when it changes). Returns the index into
/// `space.modules` of a clicked row. `symbols`: each module's symbol files,
/// once the stacks are walked (the Symbols column says "…" until then).
pub fn modules_table_ui(
    ui: &mut Ui,
    space: &AddressSpace,
    state: &mut ModulesTableState,
    selected_module: Option<usize>,
    symbols: Option<&[ModuleSymbols]>,
) -> Option<usize> {
    let rows = ui
        .horizontal(|ui| {
            filter_edit(ui, "Filter", "name, path or version", &mut state.filter);
            let rows = state.module_rows(space, symbols);
            ui.label(format!("{} of {} modules", rows.len(), space.modules.len()));
            rows
        })
        .inner;
    let scroll_to = scroll_target(state, &rows, selected_module);
    let bits = space.system.pointer_bits;
    let mut clicked = None;
    let mut sort_click = None;
    let height_px = row_height(ui);
    let mut table = TableBuilder::new(ui)
        .id_salt("modules_table")
        .striped(true)
        .resizable(true)
        .sense(Sense::click())
        .cell_layout(Layout::left_to_right(Align::Center))
        .min_scrolled_height(0.0)
        .column(Column::auto())
        .column(Column::auto())
        .column(Column::initial(200.0).at_least(60.0).clip(true))
        .column(Column::auto())
        .column(Column::auto())
        .column(Column::auto())
        .column(Column::auto())
        .column(Column::auto())
        .column(Column::remainder().at_least(80.0).clip(true));
    if let Some(row) = scroll_to {
        table = table.scroll_to_row(row, Some(Align::Center));
    }
    table
        .header(height_px + 4.0, |mut header| {
            for column in ModuleColumn::ALL {
                header.col(|ui| {
                    if header_button(ui, column, state.sort) {
                        sort_click = Some(column);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(height_px, rows.len(), |mut row| {
                let Some(m) = rows.get(row.index()).and_then(|&i| space.modules.get(i).map(|m| (i, m))) else {
                    return;
                };
                let (index, m) = m;
                row.set_selected(selected_module == Some(index));
                row.col(|ui| {
                    cell(ui, windbg_addr(m.base_addr, bits));
                });
                row.col(|ui| {
                    cell(ui, windbg_addr(m.end_addr(), bits));
                });
                row.col(|ui| {
                    cell_cut(ui, &m.name).on_hover_text(&m.path);
                });
                let downloading = state.downloading.contains(&index);
                row.col(|ui| match symbols.and_then(|s| s.get(index)) {
                    _ if downloading => {
                        cell(ui, "downloading…").on_hover_text("Looking for this module's symbols on the servers.");
                    }
                    Some(st) => {
                        cell(ui, st.summary()).on_hover_text(st.describe());
                    }
                    None => {
                        cell(ui, "…").on_hover_text("Symbols are looked up when the stacks are walked.");
                    }
                });
                row.col(|ui| {
                    cell(ui, human_size(m.size_bytes));
                });
                row.col(|ui| {
                    cell(ui, m.file_version.map(|v| v.to_string()).unwrap_or_else(|| "-".into()));
                });
                row.col(|ui| {
                    cell(ui, date_time(m.timestamp)).on_hover_text(format!("0x{:08x}", m.timestamp));
                });
                row.col(|ui| {
                    cell(ui, format!("0x{:08x}", m.checksum));
                });
                row.col(|ui| {
                    let r = cell_cut(ui, debug_text(m).unwrap_or_else(|| "-".into()));
                    if let Some(id) = &m.debug_id {
                        r.on_hover_text(format!("debug id {id}"));
                    }
                });
                if row.response().clicked() {
                    clicked = Some(index);
                }
            });
        });
    if let Some(column) = sort_click {
        state.click_header(column);
        ui.ctx().request_repaint();
    }
    clicked
}

/// The unloaded modules (MINIDUMP_UNLOADED_MODULE_LIST): name, range, size,
/// timestamp and checksum, sortable and filterable like the loaded ones.
/// Returns the index into `space.unloaded_modules` of a clicked row.
pub fn unloaded_table_ui(ui: &mut Ui, space: &AddressSpace, state: &mut ModulesTableState) -> Option<usize> {
    if space.unloaded_modules.is_empty() {
        ui.weak("The dump lists no unloaded modules.");
        return None;
    }
    let rows = ui
        .horizontal(|ui| {
            filter_edit(ui, "Filter unloaded", "name or path", &mut state.filter);
            let rows = state.unloaded_rows(space);
            ui.label(format!("{} of {} unloaded modules", rows.len(), space.unloaded_modules.len()));
            rows
        })
        .inner;
    let bits = space.system.pointer_bits;
    let mut clicked = None;
    let mut sort_click = None;
    let height_px = row_height(ui);
    TableBuilder::new(ui)
        .id_salt("unloaded_modules_table")
        .striped(true)
        .resizable(true)
        .sense(Sense::click())
        .cell_layout(Layout::left_to_right(Align::Center))
        .min_scrolled_height(0.0)
        .column(Column::auto())
        .column(Column::auto())
        .column(Column::initial(200.0).at_least(60.0).clip(true))
        .column(Column::auto())
        .column(Column::auto())
        .column(Column::remainder().at_least(80.0))
        .header(height_px + 4.0, |mut header| {
            for column in ModuleColumn::UNLOADED {
                header.col(|ui| {
                    if header_button(ui, column, state.sort) {
                        sort_click = Some(column);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(height_px, rows.len(), |mut row| {
                let Some((index, u)) =
                    rows.get(row.index()).and_then(|&i| space.unloaded_modules.get(i).map(|u| (i, u)))
                else {
                    return;
                };
                row.col(|ui| {
                    cell(ui, windbg_addr(u.base_addr, bits));
                });
                row.col(|ui| {
                    cell(ui, windbg_addr(u.base_addr.saturating_add(u.size_bytes), bits));
                });
                row.col(|ui| {
                    cell_cut(ui, &u.name).on_hover_text(&u.path);
                });
                row.col(|ui| {
                    cell(ui, human_size(u.size_bytes));
                });
                row.col(|ui| {
                    cell(ui, date_time(u.timestamp)).on_hover_text(format!("0x{:08x}", u.timestamp));
                });
                row.col(|ui| {
                    cell(ui, format!("0x{:08x}", u.checksum));
                });
                if row.response().clicked() {
                    clicked = Some(index);
                }
            });
        });
    if let Some(column) = sort_click {
        state.click_header(column);
        ui.ctx().request_repaint();
    }
    clicked
}

/// Grid rows of label: value; values wrap instead of widening the panel.
fn rows(ui: &mut Ui, id: impl egui::AsIdSalt, items: &[(&str, String)]) {
    egui::Grid::new(id).num_columns(2).spacing([10.0, 3.0]).show(ui, |ui| {
        for (k, v) in items {
            ui.label(RichText::new(*k).strong());
            ui.add(Label::new(v).wrap());
            ui.end_row();
        }
    });
}

/// Everything known about module `module_index`: identity, versions, debug
/// identity, its unloaded namesakes and its sections (read from the captured
/// header once, then kept in `sections_cache`). A click on "Select on map" or
/// on a section asks the app to select that address.
pub fn module_details_ui(
    ui: &mut Ui,
    space: &AddressSpace,
    module_index: usize,
    sections_cache: &mut BTreeMap<usize, Result<Vec<Section>, String>>,
    symbols: Option<&ModuleSymbols>,
) -> ModuleAction {
    let Some(m) = space.modules.get(module_index) else {
        ui.weak(format!("There is no module {module_index}."));
        return ModuleAction::None;
    };
    let mut action = ModuleAction::None;
    ui.add(Label::new(RichText::new(&m.name).heading()).wrap());
    if ui.link("Select on map").on_hover_text(format!("Select the region at {}", hex(m.base_addr))).clicked() {
        action = ModuleAction::SelectAddress(m.base_addr);
    }
    ui.add_space(4.0);

    let mut items = vec![
        ("Path", m.path.clone()),
        ("Base", hex(m.base_addr)),
        ("End", hex(m.end_addr())),
        ("Size", format!("{} ({} bytes)", human_size(m.size_bytes), m.size_bytes)),
        ("Timestamp", format!("{} (0x{:08x})", format_utc(u64::from(m.timestamp)), m.timestamp)),
        ("Checksum", format!("0x{:08x}", m.checksum)),
        ("File version", m.file_version.map(|v| v.to_string()).unwrap_or_else(|| "-".into())),
        ("Product version", m.product_version.map(|v| v.to_string()).unwrap_or_else(|| "-".into())),
    ];
    match &m.debug {
        Some(DebugInfo::Pdb70 { pdb_name, guid, age }) => {
            items.push(("PDB", pdb_name.clone()));
            items.push(("GUID", guid.clone()));
            items.push(("Age", age.to_string()));
        }
        Some(DebugInfo::Pdb20 { pdb_name, signature, age }) => {
            items.push(("PDB", pdb_name.clone()));
            items.push(("Signature", format!("0x{signature:08x}")));
            items.push(("Age", age.to_string()));
        }
        Some(DebugInfo::BuildId(id)) => items.push(("Build id", id.clone())),
        None => items.push(("Debug info", "none recorded".into())),
    }
    if let Some(id) = &m.debug_id {
        items.push(("Debug id", id.clone()));
    }
    match symbols {
        Some(st) => items.push(("Symbols", format!("{}\n{}", st.summary(), st.describe()))),
        None => items.push(("Symbols", "not looked up yet (the stacks are walked first)".into())),
    }
    let namesakes: Vec<&UnloadedModule> =
        space.unloaded_modules.iter().filter(|u| u.name.eq_ignore_ascii_case(&m.name)).collect();
    let unloaded = if namesakes.is_empty() {
        "no".to_string()
    } else {
        namesakes
            .iter()
            .map(|u| {
                format!(
                    "{} – {} ({})",
                    hex(u.base_addr),
                    hex(u.base_addr.saturating_add(u.size_bytes)),
                    date_time(u.timestamp)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    items.push(("Also unloaded", unloaded));
    rows(ui, ("module_details_grid", module_index), &items);

    ui.add_space(8.0);
    ui.separator();
    ui.strong("Sections");
    let sections = sections_cache
        .entry(module_index)
        .or_insert_with(|| space.module_sections(module_index).map_err(|e| e.to_string()));
    match sections {
        Err(reason) => {
            ui.add(Label::new(RichText::new(format!("Sections unavailable: {reason}")).color(theme::WARNING)).wrap());
        }
        Ok(list) if list.is_empty() => {
            ui.weak("The header lists no sections.");
        }
        Ok(list) => {
            if let Some(addr) = sections_table_ui(ui, module_index, list) {
                action = ModuleAction::SelectAddress(addr);
            }
        }
    }
    action
}

/// The section list; returns the base of a clicked section.
fn sections_table_ui(ui: &mut Ui, module_index: usize, sections: &[Section]) -> Option<u64> {
    let mut clicked = None;
    let height_px = row_height(ui);
    TableBuilder::new(ui)
        .id_salt(("module_sections", module_index))
        .striped(true)
        .vscroll(false)
        .sense(Sense::click())
        .cell_layout(Layout::left_to_right(Align::Center))
        .column(Column::auto())
        .column(Column::auto())
        .column(Column::auto())
        .column(Column::remainder())
        .header(height_px + 2.0, |mut header| {
            for title in ["Name", "Range", "Size", "Protection"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(height_px, sections.len(), |mut row| {
                let Some(s) = sections.get(row.index()) else {
                    return;
                };
                row.col(|ui| {
                    cell(ui, &s.name);
                });
                row.col(|ui| {
                    cell(ui, format!("{} – {}", hex(s.base_addr), hex(s.end_addr())));
                });
                row.col(|ui| {
                    cell(ui, human_size(s.size_bytes));
                });
                row.col(|ui| {
                    cell(ui, s.protect.to_string());
                });
                let response = row.response();
                if response.clicked() {
                    clicked = Some(s.base_addr);
                }
                response
                    .on_hover_text(format!("Characteristics 0x{:08x}; click to select on the map", s.characteristics));
            });
        });
    clicked
}
