//! The Strings tab: ASCII and UTF-16LE strings in all captured memory (as
//! GNU strings finds them, analysis::strings), found on a worker with
//! progress, listed with address, encoding, region and text while the scan
//! runs; a filter narrows the list (and can mark the regions holding the
//! matches on the map); a row selects its region and shows its bytes.

use std::sync::Arc;

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::actions::Command;
use super::scan_job::ScanJob;
use crate::analysis::strings::{DEFAULT_MIN_LEN, Encoding, FoundString, StringOptions, for_each_string};
use crate::dump::AddressSpace;
use crate::format::hex;
use crate::task::Waker;

/// The tab's state: the options, the scan, the filter and what it keeps.
pub struct StringsState {
    pub opts: StringOptions,
    pub filter: String,
    /// Whether the map marks the regions holding filtered strings.
    pub mark_on_map: bool,
    job: Option<ScanJob<FoundString>>,
    /// The options the job was started with.
    job_opts: Option<StringOptions>,
    /// Rows shown: indices into the finds, for `shown_for` (filter, finds).
    shown: Vec<usize>,
    shown_for: Option<(String, usize)>,
    /// Regions holding a shown string (sorted, unique), for the map's marks.
    pub marked_regions: Vec<u32>,
}

impl Default for StringsState {
    fn default() -> Self {
        StringsState {
            opts: StringOptions { min_len: DEFAULT_MIN_LEN, ascii: true, utf16: true },
            filter: String::new(),
            mark_on_map: false,
            job: None,
            job_opts: None,
            shown: Vec::new(),
            shown_for: None,
            marked_regions: Vec::new(),
        }
    }
}

impl StringsState {
    /// Starts the scan when there is none for the current options.
    fn ensure_scan(&mut self, space: &Arc<AddressSpace>, waker: &Waker) {
        if self.job.is_some() && self.job_opts == Some(self.opts) {
            return;
        }
        let (space, opts) = (Arc::clone(space), self.opts);
        self.job = Some(ScanJob::start("strings", waker, move |progress, sink| {
            for_each_string(&space, &opts, Some(progress), sink)
        }));
        self.job_opts = Some(opts);
        self.shown_for = None;
    }

    /// Brings the shown rows up to date: the new finds are filtered as they
    /// come; a new filter filters them all again.
    fn refresh_rows(&mut self, space: &AddressSpace) {
        let Some(job) = &self.job else { return };
        let done = match &self.shown_for {
            Some((filter, done)) if *filter == self.filter => *done,
            _ => {
                self.shown.clear();
                self.marked_regions.clear();
                0
            }
        };
        let needle = self.filter.to_ascii_lowercase();
        let (shown, marked) = (&mut self.shown, &mut self.marked_regions);
        let total = job.with_found(|found| {
            for (i, s) in found.iter().enumerate().skip(done) {
                if needle.is_empty() || s.text.to_ascii_lowercase().contains(&needle) {
                    shown.push(i);
                    if !needle.is_empty() {
                        marked.extend(space.region_index_at(s.addr).map(|r| r as u32));
                    }
                }
            }
            found.len()
        });
        if total != done {
            marked.sort_unstable();
            marked.dedup();
        }
        self.shown_for = Some((self.filter.clone(), total));
    }

    /// The regions the map marks: those holding filtered strings, when asked.
    pub fn map_marks(&self) -> &[u32] {
        if self.mark_on_map && !self.filter.is_empty() { &self.marked_regions } else { &[] }
    }
}

/// The Strings tab; returns the address of a row clicked.
pub fn strings_ui(ui: &mut Ui, space: &Arc<AddressSpace>, state: &mut StringsState, waker: &Waker) -> Option<Command> {
    let mut cmd = None;
    ui.horizontal(|ui| {
        ui.label("At least");
        ui.add(egui::DragValue::new(&mut state.opts.min_len).range(1..=1024).suffix(" chars"));
        ui.checkbox(&mut state.opts.ascii, "ASCII");
        ui.checkbox(&mut state.opts.utf16, "UTF-16");
        ui.separator();
        let find = ui.label("Filter");
        ui.add(egui::TextEdit::singleline(&mut state.filter).hint_text("text in the string").desired_width(200.0))
            .labelled_by(find.id);
        ui.checkbox(&mut state.mark_on_map, "Mark on map");
    });
    if !state.opts.ascii && !state.opts.utf16 {
        ui.label(RichText::new("Choose ASCII, UTF-16 or both.").weak());
        return None;
    }
    state.ensure_scan(space, waker);
    if let Some(job) = &mut state.job {
        job.poll();
    }
    state.refresh_rows(space);
    let Some(job) = &state.job else { return None };
    ui.horizontal(|ui| {
        if job.is_running() {
            ui.spinner();
            let (done, total) = job.progress.bytes();
            let f = if total > 0 { done as f32 / total as f32 } else { 0.0 };
            ui.add(egui::ProgressBar::new(f).desired_width(120.0));
        }
        ui.label(job.status());
        if !state.filter.is_empty() {
            ui.label(RichText::new(format!("· {} match", state.shown.len())).weak());
        }
        if job.is_running() && ui.button("Stop").clicked() {
            job.cancel();
        }
    });
    let bits = space.system.pointer_bits;
    let rows = &state.shown;
    job.with_found(|found| {
        TableBuilder::new(ui)
            .id_salt("strings_table")
            .striped(true)
            .column(Column::auto().at_least(if bits > 32 { 130.0 } else { 80.0 }))
            .column(Column::auto().at_least(50.0))
            .column(Column::auto().at_least(90.0))
            .column(Column::remainder().at_least(200.0).clip(true))
            .header(20.0, |mut h| {
                for title in ["Address", "Kind", "Region", "Text"] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, rows.len(), |mut row| {
                    let Some(s) = rows.get(row.index()).and_then(|&i| found.get(i)) else { return };
                    row.col(|ui| {
                        if ui.link(RichText::new(hex(s.addr)).monospace()).clicked() {
                            cmd = Some(Command::ShowBytes(s.addr));
                        }
                    });
                    row.col(|ui| {
                        ui.label(if s.encoding == Encoding::Ascii { "ASCII" } else { "UTF-16" });
                    });
                    row.col(|ui| {
                        ui.label(space.region_at(s.addr).map_or("?", |r| r.kind.name()));
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(RichText::new(&s.text).monospace()).truncate());
                    });
                });
            });
    });
    cmd
}
