//! The menu bar: File (open, recent, demo, compare with an earlier dump,
//! export, symbol settings), the
//! view switch, the search box, the loading progress with Cancel, and the
//! symbol downloads with Stop.

use std::path::PathBuf;

use egui::{Key, KeyboardShortcut, Modifiers, RichText, Ui};

use super::actions::Command;
use crate::layout::View;

pub const SHORTCUT_OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
pub const SHORTCUT_EXPORT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::E);

/// A load in progress, as the bar shows it.
pub struct LoadingStatus {
    pub what: String,
    pub phase: String,
    pub fraction: f32,
    pub seconds: f32,
}

/// Symbol downloads, as the bar shows them.
pub enum DownloadStatus {
    /// Under way: what is being fetched, in words.
    Running(String),
    /// They stopped or failed: what happened, in words.
    Note(String),
}

/// What the bar edits in place: the view and the search box.
pub struct TopBar<'a> {
    pub view: &'a mut View,
    pub search: &'a mut String,
    pub search_note: Option<&'a str>,
    pub recent: &'a [PathBuf],
    pub has_dump: bool,
    /// Whether the dump is being compared with an earlier one.
    pub comparing: bool,
    pub loading: Option<LoadingStatus>,
    pub downloads: Option<DownloadStatus>,
}

pub fn top_bar_ui(ui: &mut Ui, bar: TopBar<'_>) -> Vec<Command> {
    let mut cmds = Vec::new();
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            if ui.add(egui::Button::new("Open…").shortcut_text(ui.ctx().format_shortcut(&SHORTCUT_OPEN))).clicked() {
                cmds.push(Command::ChooseDump);
                ui.close();
            }
            ui.menu_button("Open recent", |ui| {
                if bar.recent.is_empty() {
                    ui.label("(none yet)");
                }
                for p in bar.recent {
                    if ui.button(p.display().to_string()).clicked() {
                        cmds.push(Command::OpenFile(p.clone()));
                        ui.close();
                    }
                }
            });
            if ui.button("Open the demo dump").clicked() {
                cmds.push(Command::OpenDemo);
                ui.close();
            }
            ui.separator();
            let compare = egui::Button::new("Compare with…");
            if ui
                .add_enabled(bar.has_dump, compare)
                .on_hover_text("An earlier dump of the process: the maps colour what was born, died or changed since")
                .clicked()
            {
                cmds.push(Command::ChooseCompare);
                ui.close();
            }
            if bar.comparing && ui.button("Stop comparing").clicked() {
                cmds.push(Command::CloseComparison);
                ui.close();
            }
            ui.separator();
            let export = egui::Button::new("Export image…").shortcut_text(ui.ctx().format_shortcut(&SHORTCUT_EXPORT));
            if ui.add_enabled(bar.has_dump, export).clicked() {
                cmds.push(Command::ShowExport);
                ui.close();
            }
            if ui.button("Symbol settings…").clicked() {
                cmds.push(Command::ShowSymbolSettings);
                ui.close();
            }
        });
        ui.separator();
        for v in View::ALL {
            ui.selectable_value(bar.view, v, v.title());
        }
        ui.separator();
        let find = ui.label("Find");
        let response = ui
            .add(egui::TextEdit::singleline(bar.search).hint_text("address, module or thread id").desired_width(240.0))
            .labelled_by(find.id);
        let go = ui.button("Go").clicked();
        if go || (response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter))) {
            cmds.push(Command::Search);
        }
        if let Some(note) = bar.search_note {
            ui.label(RichText::new(note).weak());
        }
        if let Some(l) = &bar.loading {
            ui.separator();
            ui.add(egui::ProgressBar::new(l.fraction).desired_width(120.0).show_percentage());
            ui.label(format!("Loading {}: {} ({:.1} s)", l.what, l.phase, l.seconds));
            if ui.button("Cancel").clicked() {
                cmds.push(Command::CancelLoading);
            }
        }
        match &bar.downloads {
            Some(DownloadStatus::Running(what)) => {
                ui.separator();
                ui.spinner();
                ui.label(what);
                if ui.button("Stop downloads").clicked() {
                    cmds.push(Command::CancelDownloads);
                }
            }
            Some(DownloadStatus::Note(note)) => {
                ui.separator();
                ui.colored_label(crate::ui::theme::WARNING, note);
            }
            None => {}
        }
    });
    cmds
}
