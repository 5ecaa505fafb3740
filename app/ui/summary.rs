//! The dump summary panel: process, OS, CPU, exception, region source and the
//! warnings. (The legend with bytes per kind is the filters panel's.)

use egui::{RichText, Ui};

use crate::dump::time::format_utc;
use crate::dump::{AddressSpace, RegionSource};
use crate::format::human_size_short as human_size;
use crate::scene::theme;

pub fn summary_ui(ui: &mut Ui, space: &AddressSpace) {
    let s = &space.system;
    let p = &space.process;
    egui::Grid::new("summary_grid").num_columns(2).spacing([12.0, 4.0]).show(ui, |ui| {
        let mut row = |k: &str, v: String| {
            ui.label(RichText::new(k).strong());
            ui.add(egui::Label::new(v).wrap());
            ui.end_row();
        };
        row("File", format!("{} ({})", space.path.display(), human_size(space.file_size_bytes)));
        row("Written", format_utc(p.dump_time_unix));
        row("OS", [s.os.as_str(), &s.os_version].join(" ").trim_end().to_string());
        let cpu = [s.cpu.as_str(), &s.cpu_description].join(" ");
        row("CPU", format!("{} ({}-bit)", cpu.trim_end(), s.pointer_bits));
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
    if !space.warnings.is_empty() {
        ui.add_space(6.0);
        ui.collapsing(RichText::new(format!("{} warnings", space.warnings.len())).color(theme::WARNING), |ui| {
            for w in &space.warnings {
                ui.label(w);
            }
        });
    }
}
