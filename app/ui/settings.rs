//! Symbol settings: local Breakpad symbol directories and, opt-in, HTTP
//! symbol servers. Kept across runs in eframe's storage under
//! [`STORAGE_KEY`] (like the recent files): the app loads them from
//! `CreationContext::storage` and writes them back in `App::save`.

use std::path::PathBuf;

use egui::{RichText, Ui};
use serde::{Deserialize, Serialize};

/// The key the settings are stored under.
pub const STORAGE_KEY: &str = "memscape.symbols";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SymbolSettings {
    pub dirs: Vec<PathBuf>,
    pub urls: Vec<String>,
    /// HTTP servers are used only when this is on.
    pub use_http: bool,
    /// The text fields for adding entries (not stored).
    #[serde(skip)]
    new_dir: String,
    #[serde(skip)]
    new_url: String,
}

impl SymbolSettings {
    /// The settings kept in `storage`; the defaults (no directories, HTTP
    /// off) when there is none (a warning is logged once).
    pub fn from_storage(storage: Option<&dyn eframe::Storage>) -> SymbolSettings {
        let Some(storage) = storage else {
            crate::ui::recent::warn_no_storage();
            return SymbolSettings::default();
        };
        let mut s: SymbolSettings = eframe::get_value(storage, STORAGE_KEY).unwrap_or_default();
        s.dirs.retain(|d| !d.as_os_str().is_empty());
        s.urls.retain(|u| !u.trim().is_empty());
        s
    }

    /// Writes the settings into `storage` (eframe flushes it to disk and logs a failure).
    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, self);
    }

    /// The defaults (tests).
    pub fn in_memory() -> SymbolSettings {
        SymbolSettings::default()
    }

    /// The servers to use: none unless HTTP is switched on.
    pub fn active_urls(&self) -> Vec<String> {
        if self.use_http { self.urls.clone() } else { Vec::new() }
    }
}

/// The settings panel; returns true when the symbol sources changed (stack
/// traces should be walked again). They are stored by the app's `App::save`.
pub fn symbol_settings_ui(ui: &mut Ui, s: &mut SymbolSettings) -> bool {
    let before = (s.dirs.clone(), s.urls.clone(), s.use_http);
    ui.strong("Symbol directories (Breakpad .sym trees)");
    let mut remove = None;
    for (i, d) in s.dirs.iter().enumerate() {
        ui.horizontal(|ui| {
            if ui.small_button("✖").on_hover_text("Remove").clicked() {
                remove = Some(i);
            }
            ui.label(d.display().to_string());
        });
    }
    if let Some(i) = remove {
        s.dirs.remove(i);
    }
    ui.horizontal(|ui| {
        ui.add(egui::TextEdit::singleline(&mut s.new_dir).hint_text("/path/to/symbols").desired_width(220.0));
        if ui.button("Add").clicked() && !s.new_dir.trim().is_empty() {
            s.dirs.push(PathBuf::from(s.new_dir.trim()));
            s.new_dir.clear();
        }
    });
    ui.add_space(6.0);
    ui.checkbox(&mut s.use_http, "Use HTTP symbol servers");
    ui.label(RichText::new("Off by default: dumps can name modules you may not want to look up online.").weak());
    let mut remove = None;
    for (i, u) in s.urls.iter().enumerate() {
        ui.horizontal(|ui| {
            if ui.small_button("✖").on_hover_text("Remove").clicked() {
                remove = Some(i);
            }
            ui.label(u);
        });
    }
    if let Some(i) = remove {
        s.urls.remove(i);
    }
    ui.horizontal(|ui| {
        ui.add(egui::TextEdit::singleline(&mut s.new_url).hint_text("https://symbols.example/").desired_width(220.0));
        if ui.button("Add").clicked() && !s.new_url.trim().is_empty() {
            s.urls.push(s.new_url.trim().to_string());
            s.new_url.clear();
        }
    });
    before != (s.dirs.clone(), s.urls.clone(), s.use_http)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_is_off_by_default() {
        let mut s = SymbolSettings::in_memory();
        s.urls.push("https://x/".into());
        assert!(s.active_urls().is_empty());
        s.use_http = true;
        assert_eq!(s.active_urls(), vec!["https://x/".to_string()]);
    }
}
