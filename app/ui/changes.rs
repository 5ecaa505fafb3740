//! What differs between the open dump (B) and the earlier one it is
//! compared with (A): the Changes tab (every born, died and changed range
//! in a virtualized table whose rows select the range on the map; bytes by
//! kind on both sides; modules loaded, unloaded and rebased; threads
//! started and ended; the findings across the pair) and the details
//! panel's two sides of the selected region.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::actions::Command;
use super::patterns::severity_color;
use crate::analysis::compare::{ChangeClass, Comparison};
use crate::analysis::diff::{Change, Side};
use crate::dump::AddressSpace;
use crate::format::{hex, human_delta, human_size, human_size_short};
use crate::scene::theme;

/// Which changes the table lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChangeFilter {
    #[default]
    All,
    Only(Change),
}

/// The tab's own state.
#[derive(Clone, Debug, Default)]
pub struct ChangesState {
    pub filter: ChangeFilter,
    /// The base of the change last clicked (its row stays highlighted).
    pub selected: Option<u64>,
}

/// The colour a change is drawn in (the Change colouring's).
pub fn class_color(c: ChangeClass) -> egui::Color32 {
    let i = ChangeClass::ALL.iter().position(|x| *x == c).unwrap_or(3);
    theme::CHANGE_COLORS[i].1
}

fn change_color(c: Change) -> egui::Color32 {
    class_color(match c {
        Change::Born => ChangeClass::Born,
        Change::Died => ChangeClass::Died,
        Change::Changed => ChangeClass::Changed,
    })
}

/// The file name of A, for headings.
pub fn a_name(cmp: &Comparison) -> String {
    cmp.a_path.file_name().map_or_else(|| cmp.a_path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// The Changes tab; returns what a click asks for.
pub fn changes_ui(ui: &mut Ui, space: &AddressSpace, cmp: &Comparison, state: &mut ChangesState) -> Option<Command> {
    let mut cmd = None;
    let d = &cmp.diff;
    let (born, died, changed) = d.totals();
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("Compared with {}", a_name(cmp))).strong());
        ui.label(RichText::new(format!("born {}", human_size(born))).color(class_color(ChangeClass::Born)));
        ui.label(RichText::new(format!("died {}", human_size(died))).color(class_color(ChangeClass::Died)));
        ui.label(RichText::new(format!("changed {}", human_size(changed))).color(class_color(ChangeClass::Changed)));
        ui.label(RichText::new(format!("in {} ranges", d.regions.len())).weak());
    });
    for w in &d.warnings {
        ui.colored_label(theme::WARNING, w);
    }
    ui.columns(2, |cols| {
        cmd = changes_table_ui(&mut cols[0], space, cmp, state);
        egui::ScrollArea::vertical().id_salt("changes_side_scroll").show(&mut cols[1], |ui| {
            if let Some(c) = pair_summary_ui(ui, space, cmp) {
                cmd = Some(c);
            }
        });
    });
    cmd
}

/// The filter buttons and the table of changed ranges (only the rows on
/// screen are laid out: a pair of big dumps can differ in many ranges).
fn changes_table_ui(ui: &mut Ui, space: &AddressSpace, cmp: &Comparison, state: &mut ChangesState) -> Option<Command> {
    let mut cmd = None;
    ui.horizontal(|ui| {
        ui.selectable_value(&mut state.filter, ChangeFilter::All, "All");
        for c in [Change::Born, Change::Died, Change::Changed] {
            let n = cmp.diff.regions.iter().filter(|r| r.change == c).count();
            ui.selectable_value(&mut state.filter, ChangeFilter::Only(c), format!("{} ({n})", c.name()));
        }
    });
    let rows: Vec<usize> = (0..cmp.diff.regions.len())
        .filter(|&i| match state.filter {
            ChangeFilter::All => true,
            ChangeFilter::Only(c) => cmp.diff.regions[i].change == c,
        })
        .collect();
    if rows.is_empty() {
        ui.label(RichText::new("No ranges changed.").weak());
        return None;
    }
    let bits = space.system.pointer_bits;
    let side = |s: &Option<Side>| s.as_ref().map_or_else(|| "-".to_string(), Side::summary);
    egui::ScrollArea::horizontal().id_salt("changes_table_scroll").show(ui, |ui| {
        TableBuilder::new(ui)
            .id_salt("changes_table")
            .striped(true)
            .sense(egui::Sense::click())
            .column(Column::auto().at_least(if bits > 32 { 130.0 } else { 80.0 }))
            .column(Column::auto().at_least(70.0))
            .column(Column::auto().at_least(60.0))
            .column(Column::initial(250.0).at_least(120.0).resizable(true).clip(true))
            .column(Column::remainder().at_least(160.0).clip(true))
            .header(20.0, |mut h| {
                for title in ["Base", "Size", "Change", "A", "B"] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, rows.len(), |mut row| {
                    let r = &cmp.diff.regions[rows[row.index()]];
                    row.set_selected(state.selected == Some(r.base_addr));
                    let mut clicked = false;
                    row.col(|ui| {
                        clicked |= ui.link(RichText::new(hex(r.base_addr)).monospace()).clicked();
                    });
                    row.col(|ui| {
                        ui.label(human_size_short(r.size_bytes()));
                    });
                    row.col(|ui| {
                        ui.label(RichText::new(r.change.name()).color(change_color(r.change)));
                    });
                    for s in [&r.a, &r.b] {
                        row.col(|ui| {
                            let text = side(s);
                            ui.add(egui::Label::new(&text).truncate()).on_hover_text(text);
                        });
                    }
                    if clicked || row.response().clicked() {
                        state.selected = Some(r.base_addr);
                        cmd = Some(Command::SelectAddress(r.base_addr));
                    }
                });
            });
    });
    cmd
}

/// Bytes by kind on both sides, modules and threads that came and went
/// (links into B), the largest growths and the findings across the pair.
fn pair_summary_ui(ui: &mut Ui, space: &AddressSpace, cmp: &Comparison) -> Option<Command> {
    let mut cmd = None;
    let d = &cmp.diff;
    ui.strong("Bytes by kind");
    egui::Grid::new("changes_by_kind").num_columns(4).spacing([12.0, 2.0]).striped(true).show(ui, |ui| {
        for title in ["Kind", "A", "B", "Delta"] {
            ui.label(RichText::new(title).weak());
        }
        ui.end_row();
        for (kind, (a, b)) in d.bytes_by_kind.iter().filter(|(_, (a, b))| *a > 0 || *b > 0) {
            ui.label(kind.name());
            ui.label(human_size_short(*a));
            ui.label(human_size_short(*b));
            ui.label(human_delta(i128::from(*b) - i128::from(*a)));
            ui.end_row();
        }
    });
    ui.add_space(6.0);
    ui.strong("Modules");
    let module_link = |ui: &mut Ui, path: &str, note: String| -> Option<Command> {
        let index = space.modules.iter().position(|m| m.path == path);
        let text = format!("{path}{note}");
        match index {
            Some(i) => ui.link(text).clicked().then_some(Command::SelectModule(i)),
            None => {
                ui.label(text);
                None
            }
        }
    };
    if d.modules.loaded.is_empty() && d.modules.unloaded.is_empty() && d.modules.rebased.is_empty() {
        ui.label(RichText::new("The same modules at the same bases.").weak());
    }
    for path in &d.modules.loaded {
        ui.horizontal(|ui| {
            ui.label(RichText::new("loaded").color(class_color(ChangeClass::Born)));
            if let Some(c) = module_link(ui, path, String::new()) {
                cmd = Some(c);
            }
        });
    }
    for path in &d.modules.unloaded {
        ui.horizontal(|ui| {
            ui.label(RichText::new("unloaded").color(class_color(ChangeClass::Died)));
            ui.label(path);
        });
    }
    for (path, old, new) in &d.modules.rebased {
        ui.horizontal(|ui| {
            ui.label(RichText::new("rebased").color(class_color(ChangeClass::Changed)));
            if let Some(c) = module_link(ui, path, format!(" {} → {}", hex(*old), hex(*new))) {
                cmd = Some(c);
            }
        });
    }
    ui.add_space(6.0);
    ui.strong("Threads");
    if d.threads.started.is_empty() && d.threads.ended.is_empty() {
        ui.label(RichText::new("The same threads.").weak());
    }
    if !d.threads.started.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("started").color(class_color(ChangeClass::Born)));
            for id in &d.threads.started {
                if ui.link(format!("{id} (0x{id:x})")).clicked() {
                    cmd = Some(Command::SelectThread(*id));
                }
            }
        });
    }
    if !d.threads.ended.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new("ended").color(class_color(ChangeClass::Died)));
            ui.label(d.threads.ended.iter().map(|id| format!("{id} (0x{id:x})")).collect::<Vec<_>>().join(", "));
        });
    }
    if !d.growth_by_owner.is_empty() {
        ui.add_space(6.0);
        ui.strong("Largest growth");
        for (owner, growth) in d.growth_by_owner.iter().take(8) {
            ui.label(format!("{owner}  {}", human_delta(*growth)));
        }
    }
    ui.add_space(6.0);
    ui.strong("Findings across the pair");
    if cmp.findings.is_empty() {
        ui.label(RichText::new("No leak or module churn between the dumps.").weak());
    }
    for f in &cmp.findings {
        ui.label(RichText::new(f.name).color(severity_color(f.severity)).strong());
        ui.label(&f.summary);
        for e in &f.evidence {
            ui.label(RichText::new(format!("• {e}")).weak());
        }
    }
    cmd
}

/// The details panel's comparison for region `index` of the cut map: its
/// change since A and both sides' attributes.
pub fn change_details_ui(ui: &mut Ui, space: &AddressSpace, cmp: &Comparison, index: usize) {
    let Some(r) = space.regions.get(index) else { return };
    let class = cmp.class_of(index);
    ui.separator();
    ui.horizontal(|ui| {
        ui.strong(format!("Since {}:", a_name(cmp)));
        ui.label(RichText::new(class.name()).color(class_color(class)).strong());
    });
    let Some(change) = cmp.change_at(r.base_addr) else {
        ui.label(RichText::new("The same in both dumps.").weak());
        return;
    };
    if change.base_addr != r.base_addr || change.end_addr != r.end_addr() {
        ui.label(
            RichText::new(format!(
                "Part of a {} change {} – {}",
                change.change.name(),
                hex(change.base_addr),
                hex(change.end_addr)
            ))
            .weak(),
        );
    }
    let (a, b) = (side_cells(&change.a), side_cells(&change.b));
    let column = ((ui.available_width() - 100.0) / 2.0).max(80.0);
    egui::Grid::new("change_details")
        .num_columns(3)
        .spacing([10.0, 3.0])
        .min_col_width(column.min(200.0))
        .striped(true)
        .show(ui, |ui| {
            ui.label("");
            ui.label(RichText::new("A (before)").strong());
            ui.label(RichText::new("B (this dump)").strong());
            ui.end_row();
            for ((name, a), b) in SIDE_ROWS.iter().zip(a).zip(b) {
                ui.label(RichText::new(*name).strong());
                let differs = a != b;
                let show = |ui: &mut Ui, v: String| {
                    let text = if differs { RichText::new(v).color(theme::WARNING) } else { RichText::new(v) };
                    ui.add(egui::Label::new(text).wrap());
                };
                show(ui, a);
                show(ui, b);
                ui.end_row();
            }
        });
}

/// The rows of the details panel's two sides.
const SIDE_ROWS: [&str; 5] = ["State", "Type", "Protection", "Kind", "Owner"];

/// One side's values for [`SIDE_ROWS`] ("-" where it maps nothing).
fn side_cells(s: &Option<Side>) -> [String; 5] {
    match s {
        None => std::array::from_fn(|_| "-".to_string()),
        Some(s) => [
            s.state.name().to_string(),
            s.ty.map_or_else(|| "-".to_string(), |t| t.name().to_string()),
            s.protect.to_string(),
            s.kind.name().to_string(),
            if s.owner.is_empty() { "-".to_string() } else { s.owner.clone() },
        ],
    }
}
