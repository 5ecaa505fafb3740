//! The References tab ("what points here"): every aligned pointer-size word
//! in captured memory whose value lies in a region (analysis::refs), found
//! on a worker with progress for the region the details panel asked about,
//! listed with where each word lives (a thread's stack, a heap, a module's
//! data); a row selects the word's region and shows its bytes.

use std::sync::Arc;

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::actions::Command;
use super::scan_job::ScanJob;
use crate::analysis::refs::{Reference, for_each_reference};
use crate::dump::{AddressSpace, Owner};
use crate::format::{hex, human_size_short};
use crate::task::Waker;

/// The tab's state: the region asked about and its scan.
#[derive(Default)]
pub struct RefsState {
    /// The target range (a region's) the scan is for.
    target: Option<(u64, u64)>,
    job: Option<ScanJob<Reference>>,
}

impl RefsState {
    /// Starts looking for what points into `base..end` (a region).
    pub fn find(&mut self, space: &Arc<AddressSpace>, base: u64, end: u64, waker: &Waker) {
        if self.target == Some((base, end)) && self.job.is_some() {
            return;
        }
        let space = Arc::clone(space);
        self.job = Some(ScanJob::start("references", waker, move |progress, sink| {
            for_each_reference(&space, base..end, Some(progress), sink)
        }));
        self.target = Some((base, end));
    }
}

/// Where a word lives, in words: "stack of thread 0x1a2c", "Heap 0x3a0000", "ntdll.dll data".
fn place(space: &AddressSpace, addr: u64) -> String {
    let Some(r) = space.region_at(addr) else { return "?".into() };
    match &r.owner {
        Owner::Module(_) => format!("{} ({})", space.owner_name(r), r.kind),
        _ if !r.label.is_empty() => format!("{} ({})", r.label, r.kind),
        _ => r.kind.name().to_string(),
    }
}

/// The References tab; returns what a click asks for.
pub fn refs_ui(ui: &mut Ui, space: &AddressSpace, state: &mut RefsState) -> Option<Command> {
    let mut cmd = None;
    let (Some((base, end)), Some(job)) = (state.target, &mut state.job) else {
        ui.label("Select a region and press \u{201c}What points here\u{201d} in the details panel.");
        return None;
    };
    job.poll();
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!("Into {} – {} ({})", hex(base), hex(end), human_size_short(end - base))).strong(),
        );
        if ui.link(place(space, base)).clicked() {
            cmd = Some(Command::SelectAddress(base));
        }
    });
    ui.horizontal(|ui| {
        if job.is_running() {
            ui.spinner();
        }
        ui.label(job.status());
        if job.is_running() && ui.button("Stop").clicked() {
            job.cancel();
        }
    });
    let bits = space.system.pointer_bits;
    let width = if bits > 32 { 130.0 } else { 80.0 };
    job.with_found(|found| {
        TableBuilder::new(ui)
            .id_salt("refs_table")
            .striped(true)
            .column(Column::auto().at_least(width))
            .column(Column::auto().at_least(width))
            .column(Column::remainder().at_least(200.0).clip(true))
            .header(20.0, |mut h| {
                for title in ["Address", "Value", "Where it lives"] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, found.len(), |mut row| {
                    let Some(r) = found.get(row.index()) else { return };
                    row.col(|ui| {
                        if ui.link(RichText::new(hex(r.addr)).monospace()).clicked() {
                            cmd = Some(Command::ShowBytes(r.addr));
                        }
                    });
                    row.col(|ui| {
                        ui.label(RichText::new(hex(r.value)).monospace());
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(place(space, r.addr)).truncate());
                    });
                });
            });
    });
    cmd
}
