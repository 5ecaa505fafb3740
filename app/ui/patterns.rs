//! The Patterns panel: crash-dump-analysis findings, most severe first; the
//! selected one shows its evidence and links to the regions, modules and
//! threads it involves (which the maps mark).

use egui::{Color32, RichText, Ui};

use super::actions::Command;
use crate::analysis::patterns::{Finding, Severity};
use crate::dump::AddressSpace;
use crate::format::hex;
use crate::scene::theme;

/// The colour of a severity.
pub fn severity_color(s: Severity) -> Color32 {
    match s {
        Severity::Critical => theme::CRASH,
        Severity::Error => theme::SEVERITY_ERROR,
        Severity::Warning => theme::WARNING,
        Severity::Info => theme::SEVERITY_INFO,
    }
}

/// The findings list and the selected finding's evidence. `selected` is an
/// index into `findings`.
pub fn patterns_ui(
    ui: &mut Ui,
    space: &AddressSpace,
    findings: Option<&[Finding]>,
    with_traces: bool,
    selected: &mut Option<usize>,
) -> Option<Command> {
    let Some(findings) = findings else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Analysing…");
        });
        return None;
    };
    if !with_traces {
        ui.label(RichText::new("Stack traces are still being walked: rules that need them have not run yet.").weak());
    }
    if findings.is_empty() {
        ui.label("No pattern matched this dump.");
        return None;
    }
    let mut action = None;
    ui.columns(2, |cols| {
        egui::ScrollArea::vertical().id_salt("findings_list").show(&mut cols[0], |ui| {
            for (i, f) in findings.iter().enumerate() {
                let text = RichText::new(format!("[{}] {} ({:.2})", f.severity.name(), f.name, f.confidence))
                    .color(severity_color(f.severity));
                if ui.selectable_label(*selected == Some(i), text).on_hover_text(&f.summary).clicked() {
                    *selected = Some(i);
                }
            }
        });
        egui::ScrollArea::vertical().id_salt("finding_details").show(&mut cols[1], |ui| {
            let Some(f) = selected.and_then(|i| findings.get(i)) else {
                ui.label("Click a finding to see its evidence; the maps mark what it involves.");
                return;
            };
            ui.heading(RichText::new(f.name).color(severity_color(f.severity)));
            ui.label(format!("{} · confidence {:.2}", f.severity.name(), f.confidence));
            ui.add(egui::Label::new(&f.summary).wrap());
            ui.add_space(4.0);
            ui.strong("Evidence");
            for e in &f.evidence {
                ui.add(egui::Label::new(format!("• {e}")).wrap());
            }
            if !f.regions.is_empty() {
                ui.strong("Regions");
                for base in &f.regions {
                    let label = space
                        .region_at(*base)
                        .map(|r| format!("{} {}", hex(*base), r.kind))
                        .unwrap_or_else(|| hex(*base));
                    if ui.link(label).clicked() {
                        action = Some(Command::SelectAddress(*base));
                    }
                }
            }
            if !f.modules.is_empty() {
                ui.strong("Modules");
                for name in &f.modules {
                    if ui.link(name).clicked()
                        && let Some(i) = space.modules.iter().position(|m| &m.name == name)
                    {
                        action = Some(Command::SelectModule(i));
                    }
                }
            }
            if !f.threads.is_empty() {
                ui.strong("Threads");
                for id in &f.threads {
                    if ui.link(format!("thread {id} (0x{id:x})")).clicked() {
                        action = Some(Command::SelectThread(*id));
                    }
                }
            }
        });
    });
    action
}
