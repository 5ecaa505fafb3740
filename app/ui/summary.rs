//! The dump summary panel: process, OS, CPU, exception, region source, the
//! legend with bytes per kind, and the warnings.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use super::theme;
use crate::dump::time::format_utc;
use crate::dump::{AddressSpace, RegionKind, RegionSource};
use crate::format::human_size_short as human_size;

pub fn summary_ui(ui: &mut Ui, space: &AddressSpace) {
    let s = &space.system;
    let p = &space.process;
    egui::Grid::new("summary_grid").num_columns(2).spacing([12.0, 4.0]).show(ui, |ui| {
        let mut row = |k: &str, v: String| {
            ui.label(RichText::new(k).strong());
            ui.label(v);
            ui.end_row();
        };
        row("File", format!("{} ({})", space.path.display(), human_size(space.file_size_bytes)));
        row("Written", format_utc(p.dump_time_unix));
        row("OS", format!("{} {}", s.os, s.os_version));
        row("CPU", format!("{} {} ({}-bit)", s.cpu, s.cpu_description, s.pointer_bits));
        row("User space", format!("0 – 0x{:x} ({})", s.user_limit_addr, s.user_limit_reason));
        if let Some(pid) = p.process_id {
            row("Process id", format!("{pid} (0x{pid:x})"));
        }
        if let Some(cmd) = &p.command_line {
            row("Command line", cmd.clone());
        }
        row("Modules", format!("{} loaded, {} unloaded", space.modules.len(), space.unloaded_modules.len()));
        row("Threads", space.threads.len().to_string());
        if let Some(h) = &space.handles {
            row("Handles", h.total.to_string());
        }
        row("Captured", human_size(space.captured.total_bytes()));
        row("Regions", format!("{} from {}", space.regions.len(), space.region_source.name()));
    });
    ui.add_space(6.0);
    if let Some(e) = &space.exception {
        let at = e.instruction_addr.unwrap_or(e.address);
        let module = space.module_at(at).map(|m| format!(" in {}", m.name)).unwrap_or_default();
        let target = match (e.access, e.target_addr) {
            (Some(a), Some(t)) => format!(", {} 0x{t:x}", a.name()),
            (None, Some(t)) => format!(", address 0x{t:x}"),
            _ => String::new(),
        };
        ui.label(
            RichText::new(format!(
                "{} (0x{:08x}) at 0x{:x}{module}{target}, thread {} (0x{:x})",
                e.name, e.code, at, e.thread_id, e.thread_id
            ))
            .color(theme::CRASH),
        );
    } else {
        ui.label("No exception recorded.");
    }
    if space.region_source == RegionSource::Synthesized {
        ui.label(
            RichText::new("This dump has no region list: the map shows modules, stacks and captured memory; the rest is Unknown, not Free.")
                .color(theme::WARNING),
        );
    }
    ui.add_space(6.0);
    legend_ui(ui, space);
    if !space.warnings.is_empty() {
        ui.add_space(6.0);
        ui.collapsing(RichText::new(format!("{} warnings", space.warnings.len())).color(theme::WARNING), |ui| {
            for w in &space.warnings {
                ui.label(w);
            }
        });
    }
}

/// Bytes and regions per kind, each with its palette colour.
pub fn legend_ui(ui: &mut Ui, space: &AddressSpace) {
    let bytes = space.bytes_by_kind();
    let counts = space.regions_by_kind();
    let total: u64 = bytes.values().sum();
    let busy: u64 =
        bytes.iter().filter(|(k, _)| !matches!(k, RegionKind::Free | RegionKind::Unknown)).map(|(_, b)| *b).sum();
    let pct = |part: u64, whole: u64| format!("{:.2}%", part as f64 * 100.0 / whole.max(1) as f64);
    TableBuilder::new(ui)
        .id_salt("legend")
        .striped(true)
        .column(Column::auto())
        .column(Column::auto().at_least(90.0))
        .column(Column::auto().at_least(60.0))
        .column(Column::auto().at_least(80.0))
        .column(Column::auto().at_least(70.0))
        .column(Column::remainder())
        .header(18.0, |mut h| {
            for title in ["", "Kind", "Regions", "Size", "% of busy", "% of total"] {
                h.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|mut body| {
            for kind in RegionKind::ALL {
                if counts[&kind] == 0 {
                    continue;
                }
                body.row(18.0, |mut row| {
                    row.col(|ui| {
                        let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
                        ui.painter().rect_filled(rect, 2.0, theme::kind_color(kind));
                    });
                    row.col(|ui| {
                        ui.label(kind.name());
                    });
                    row.col(|ui| {
                        ui.label(counts[&kind].to_string());
                    });
                    row.col(|ui| {
                        ui.label(human_size(bytes[&kind]));
                    });
                    row.col(|ui| {
                        let of_busy = !matches!(kind, RegionKind::Free | RegionKind::Unknown);
                        ui.label(if of_busy { pct(bytes[&kind], busy) } else { String::new() });
                    });
                    row.col(|ui| {
                        ui.label(pct(bytes[&kind], total));
                    });
                });
            }
        });
}
