//! The details panel: everything known about the selected region, and links
//! to what owns it (module, heap, thread, file) that select the owner.

use egui::{RichText, Ui};

use super::actions::Command;
use crate::dump::time::format_utc;
use crate::dump::{AddressSpace, DebugInfo, Owner, RegionKind};
use crate::format::{hex, human_size};
use crate::scene::theme;

/// Grid rows of label: value.
fn rows(ui: &mut Ui, id: &str, items: &[(&str, String)]) {
    egui::Grid::new(id).num_columns(2).spacing([10.0, 3.0]).show(ui, |ui| {
        for (k, v) in items {
            ui.label(RichText::new(*k).strong());
            // Long paths wrap instead of widening the panel.
            ui.add(egui::Label::new(v).wrap());
            ui.end_row();
        }
    });
}

/// The buttons under a region's details: its bytes, and what points into it.
pub fn region_actions_ui(ui: &mut Ui, space: &AddressSpace, index: usize) -> Option<Command> {
    let r = space.regions.get(index)?;
    let mut cmd = None;
    ui.horizontal(|ui| {
        if ui.button("Show bytes").clicked() {
            cmd = Some(Command::ShowBytes(r.base_addr));
        }
        let tip = "Pointer-size words anywhere in captured memory whose value lies in this region";
        if ui.button("What points here").on_hover_text(tip).clicked() {
            cmd = Some(Command::FindReferences(index));
        }
    });
    cmd
}

/// Shows region `index`; returns a region to select when a link is clicked.
pub fn details_ui(ui: &mut Ui, space: &AddressSpace, index: usize) -> Option<usize> {
    let r = space.regions.get(index)?;
    let mut select = None;
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
        ui.painter().rect_filled(rect, 2.0, theme::kind_color(r.kind));
        ui.heading(r.kind.name());
    });
    if !r.label.is_empty() {
        ui.label(r.label.as_str());
    }
    ui.add_space(4.0);
    let mut items = vec![
        ("Range", format!("{} – {}", hex(r.base_addr), hex(r.end_addr()))),
        ("Size", format!("{} ({} bytes)", human_size(r.size_bytes), r.size_bytes)),
        ("State", r.state.name().to_string()),
        ("Type", r.ty.map(|t| t.name().to_string()).unwrap_or_else(|| "-".into())),
        ("Protection", if r.protect.0 == 0 { "-".into() } else { r.protect.to_string() }),
    ];
    if r.kind != RegionKind::Free {
        items
            .push(("Alloc. protection", if r.alloc_protect.0 == 0 { "-".into() } else { r.alloc_protect.to_string() }));
        items.push(("Allocation base", hex(r.alloc_base_addr)));
    }
    items.push(("Captured", format!("{} of {}", human_size(r.captured_bytes), human_size(r.size_bytes))));
    items.push(("Source", space.region_source.name().to_string()));
    rows(ui, "region_details", &items);

    ui.add_space(8.0);
    match &r.owner {
        Owner::None => {}
        Owner::Module(mi) => {
            if let Some(m) = space.modules.get(*mi as usize) {
                ui.separator();
                if ui.link(RichText::new(format!("Module {}", m.name)).strong()).clicked() {
                    select = space.region_index_at(m.base_addr);
                }
                let mut items = vec![
                    ("Path", m.path.clone()),
                    ("Range", format!("{} – {}", hex(m.base_addr), hex(m.end_addr()))),
                    ("Size", human_size(m.size_bytes)),
                    ("Timestamp", format!("0x{:08x} ({})", m.timestamp, format_utc(u64::from(m.timestamp)))),
                    ("Checksum", format!("0x{:08x}", m.checksum)),
                ];
                if let Some(v) = m.file_version {
                    items.push(("File version", v.to_string()));
                }
                if let Some(v) = m.product_version {
                    items.push(("Product version", v.to_string()));
                }
                match &m.debug {
                    Some(DebugInfo::Pdb70 { pdb_name, guid, age }) => {
                        items.push(("PDB", pdb_name.clone()));
                        items.push(("GUID / age", format!("{guid} / {age}")));
                    }
                    Some(DebugInfo::Pdb20 { pdb_name, signature, age }) => {
                        items.push(("PDB", pdb_name.clone()));
                        items.push(("Signature / age", format!("{signature:08x} / {age}")));
                    }
                    Some(DebugInfo::BuildId(id)) => items.push(("Build id", id.clone())),
                    None => {}
                }
                rows(ui, "module_details", &items);
            }
        }
        Owner::Heap(hi) => {
            ui.separator();
            if let Some(h) = space.heaps.iter().find(|h| h.index == *hi as usize) {
                if ui.link(RichText::new(format!("Heap {} at {}", h.index, hex(h.base_addr))).strong()).clicked() {
                    select = space.region_index_at(h.base_addr);
                }
                if h.index == 0 {
                    ui.label("the process heap (PEB.ProcessHeap)");
                }
            }
        }
        Owner::Thread(tid) => {
            ui.separator();
            if let Some(t) = space.threads.iter().find(|t| t.id == *tid) {
                let title = match &t.name {
                    Some(n) => format!("Thread {} (0x{:x}) \"{n}\"", t.id, t.id),
                    None => format!("Thread {} (0x{:x})", t.id, t.id),
                };
                let text = if t.crashed {
                    RichText::new(title + " — crashed").color(theme::CRASH)
                } else {
                    RichText::new(title)
                };
                if ui.link(text.strong()).clicked() {
                    select = space.region_index_at(t.sp.unwrap_or(t.stack_start_addr));
                }
                let opt = |v: Option<u64>| v.map(hex).unwrap_or_else(|| "-".into());
                let mut items = vec![
                    ("TEB", hex(t.teb_addr)),
                    ("Stack captured", format!("{} – {}", hex(t.stack_start_addr), hex(t.stack_end_addr))),
                    ("SP", opt(t.sp)),
                    ("IP", opt(t.ip)),
                ];
                if let Some(m) = t.ip.and_then(|ip| space.module_at(ip)) {
                    items.push(("IP module", m.name.clone()));
                }
                if let (Some(u), Some(k)) = (t.user_time_ms, t.kernel_time_ms) {
                    items.push(("CPU time", format!("user {u} ms, kernel {k} ms")));
                }
                rows(ui, "thread_details", &items);
                if ui.link("Select its TEB").clicked() {
                    select = space.region_index_at(t.teb_addr);
                }
            }
        }
        Owner::File => {
            ui.separator();
            let path = &r.label;
            if ui.link(RichText::new(format!("File {path}")).strong()).clicked() {
                select = space.regions.iter().position(|o| o.owner == Owner::File && o.label == *path);
            }
        }
    }
    if let Some(e) = &space.exception {
        let at = e.instruction_addr.unwrap_or(e.address);
        if r.contains(at) || e.target_addr.is_some_and(|t| r.contains(t)) {
            ui.separator();
            ui.colored_label(theme::CRASH, format!("The exception {} involves this region.", e.name));
        }
    }
    select
}

/// For an Image region: the frames, on all threads, that run inside it.
/// Returns a thread to select when one is clicked.
pub fn frames_in_region_ui(
    ui: &mut Ui,
    space: &AddressSpace,
    traces: &[crate::dump::StackTrace],
    index: usize,
) -> Option<u32> {
    let r = space.regions.get(index)?;
    if r.kind != RegionKind::Image {
        return None;
    }
    let frames = super::threads::frames_in_range(traces, r.base_addr, r.end_addr());
    if frames.is_empty() {
        return None;
    }
    ui.separator();
    ui.strong(format!("{} frames run in this region", frames.len()));
    let mut clicked = None;
    for (tid, f) in frames.iter().take(50) {
        if ui.link(format!("thread {tid} #{:02} {}", f.index, f.location())).clicked() {
            clicked = Some(*tid);
        }
    }
    clicked
}

/// The pattern findings that involve region `index`, each in its severity's colour.
pub fn findings_in_region_ui(
    ui: &mut Ui,
    space: &AddressSpace,
    findings: &[crate::analysis::patterns::Finding],
    index: usize,
) {
    let involved = crate::analysis::involvement::findings_for_region(space, findings, index);
    if involved.is_empty() {
        return;
    }
    ui.separator();
    ui.strong("Patterns involving this region");
    for finding in involved {
        ui.colored_label(
            super::patterns::severity_color(finding.severity),
            format!("{} ({:.2})", finding.name, finding.confidence),
        )
        .on_hover_text(&finding.summary);
    }
}
