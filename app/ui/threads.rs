//! The threads table (id, name, crashed, CPU times, stack range and use, top
//! frame) and the selected thread's stack trace, whose frames link to the
//! map: clicking a frame selects the region and module it points into.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::dump::{AddressSpace, StackFrame, StackTrace};
use crate::format::{hex, human_size_short};
use crate::scene::theme;

/// What the user clicked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadAction {
    /// A thread row: show its trace and select its stack.
    SelectThread(u32),
    /// A frame: select the region holding this instruction.
    SelectAddress(u64),
}

/// The stack traces as far as they are known.
pub enum Traces<'a> {
    NotStarted,
    Walking { done: usize, total: usize },
    Failed(&'a str),
    Ready(&'a [StackTrace]),
}

/// Bytes of stack in use: from SP to the end of the captured stack.
fn stack_used(t: &crate::dump::Thread) -> Option<u64> {
    let sp = t.sp?;
    (sp >= t.stack_start_addr && sp <= t.stack_end_addr).then(|| t.stack_end_addr - sp)
}

/// The threads table; returns a clicked thread.
pub fn threads_table_ui(
    ui: &mut Ui,
    space: &AddressSpace,
    traces: &Traces<'_>,
    selected: Option<u32>,
) -> Option<ThreadAction> {
    // Selectable labels would take the click from the row.
    ui.style_mut().interaction.selectable_labels = false;
    let mut action = None;
    let top_frame = |id: u32| -> String {
        match traces {
            Traces::Ready(t) => t
                .iter()
                .find(|t| t.thread_id == id)
                .and_then(|t| t.frames.first())
                .map(StackFrame::location)
                .unwrap_or_default(),
            _ => String::new(),
        }
    };
    TableBuilder::new(ui)
        .id_salt("threads_table")
        .striped(true)
        .sense(egui::Sense::click())
        .column(Column::auto().at_least(70.0))
        .column(Column::auto().at_least(90.0))
        .column(Column::auto().at_least(80.0))
        .column(Column::auto().at_least(80.0))
        .column(Column::auto().at_least(150.0))
        .column(Column::auto().at_least(70.0))
        .column(Column::remainder().at_least(160.0))
        .header(20.0, |mut h| {
            for title in ["Id", "Name", "User ms", "Kernel ms", "Stack", "Used", "Top frame"] {
                h.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(20.0, space.threads.len(), |mut row| {
                let t = &space.threads[row.index()];
                row.set_selected(selected == Some(t.id));
                let id_text = if t.crashed {
                    RichText::new(format!("{} ✱", t.id)).color(theme::CRASH)
                } else {
                    RichText::new(t.id.to_string())
                };
                row.col(|ui| {
                    ui.label(id_text).on_hover_text(format!("0x{:x}", t.id));
                });
                row.col(|ui| {
                    ui.label(t.name.clone().unwrap_or_default());
                });
                let ms = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
                row.col(|ui| {
                    ui.label(ms(t.user_time_ms));
                });
                row.col(|ui| {
                    ui.label(ms(t.kernel_time_ms));
                });
                row.col(|ui| {
                    ui.label(format!("{}–{}", hex(t.stack_start_addr), hex(t.stack_end_addr)));
                });
                row.col(|ui| {
                    ui.label(stack_used(t).map(human_size_short).unwrap_or_else(|| "-".into()));
                });
                row.col(|ui| {
                    // Named frames are long: one line, cut with "…", whole on hover
                    // (wrapped, a narrow column stacked them a letter per line).
                    let frame = top_frame(t.id);
                    ui.add(egui::Label::new(&frame).truncate()).on_hover_text(frame);
                });
                if row.response().clicked() {
                    action = Some(ThreadAction::SelectThread(t.id));
                }
            });
        });
    action
}

/// The stack trace of `thread_id`; returns a clicked frame.
pub fn stack_trace_ui(ui: &mut Ui, space: &AddressSpace, traces: &Traces<'_>, thread_id: u32) -> Option<ThreadAction> {
    let t = space.threads.iter().find(|t| t.id == thread_id)?;
    let title = match &t.name {
        Some(n) => format!("Thread {} (0x{:x}) \"{n}\"", t.id, t.id),
        None => format!("Thread {} (0x{:x})", t.id, t.id),
    };
    ui.heading(title);
    if t.crashed {
        ui.colored_label(theme::CRASH, "This thread raised the exception.");
    }
    let trace = match traces {
        Traces::NotStarted => {
            ui.label("Stack traces have not been computed yet.");
            return None;
        }
        Traces::Walking { done, total } => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Walking stacks: {done} of {total} threads"));
            });
            return None;
        }
        Traces::Failed(why) => {
            ui.colored_label(theme::WARNING, format!("Stack walking failed: {why}"));
            return None;
        }
        Traces::Ready(all) => all.iter().find(|s| s.thread_id == thread_id),
    };
    let Some(trace) = trace else {
        ui.label("No stack trace for this thread.");
        return None;
    };
    if let Some(note) = &trace.note {
        ui.label(RichText::new(note).weak());
    }
    ui.style_mut().interaction.selectable_labels = false;
    let mut action = None;
    TableBuilder::new(ui)
        .id_salt(("stack_trace", thread_id))
        .striped(true)
        .sense(egui::Sense::click())
        .column(Column::auto().at_least(28.0))
        .column(Column::auto().at_least(130.0))
        .column(Column::auto().at_least(80.0))
        .column(Column::remainder().at_least(200.0))
        .header(20.0, |mut h| {
            for title in ["#", "Instruction", "Found by", "Frame"] {
                h.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(20.0, trace.frames.len(), |mut row| {
                let f = &trace.frames[row.index()];
                row.col(|ui| {
                    ui.label(format!("{:02}", f.index));
                });
                row.col(|ui| {
                    ui.monospace(hex(f.instruction_addr));
                });
                row.col(|ui| {
                    ui.label(f.trust.name());
                });
                row.col(|ui| {
                    let regs: Vec<String> = f.registers.iter().map(|(n, v)| format!("{n}={v:x}")).collect();
                    ui.label(f.location()).on_hover_text(regs.join(" "));
                });
                if row.response().clicked() {
                    action = Some(ThreadAction::SelectAddress(f.instruction_addr));
                }
            });
        });
    action
}

/// Frames, on all threads, whose instruction lies in `[base, end)`: for the
/// details of an Image region. Returns (thread id, frame) pairs.
pub fn frames_in_range(traces: &[StackTrace], base: u64, end: u64) -> Vec<(u32, &StackFrame)> {
    traces
        .iter()
        .flat_map(|t| t.frames.iter().map(move |f| (t.thread_id, f)))
        .filter(|(_, f)| f.instruction_addr >= base && f.instruction_addr < end)
        .collect()
}
