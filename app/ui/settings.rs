//! Symbol settings: local symbol folders and, opt-in, symbol and debuginfod
//! servers and the download cache. Kept across runs in eframe's storage under
//! [`STORAGE_KEY`] (like the recent files): the app loads them from
//! `CreationContext::storage` and writes them back in `App::save`.

use std::path::PathBuf;

use egui::{RichText, Ui};

use crate::dump::symbols::{SymbolSources, default_cache_dir, is_url};
use serde::{Deserialize, Serialize};

/// The key the settings are stored under.
pub const STORAGE_KEY: &str = "memscape.symbols";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SymbolSettings {
    /// Local folders (Breakpad, symstore, `.build-id` trees, flat folders).
    pub dirs: Vec<PathBuf>,
    /// Symbol servers (symstore layout over HTTP).
    pub urls: Vec<String>,
    /// debuginfod servers.
    pub debuginfod: Vec<String>,
    /// Where downloads are kept; `None`: the default cache folder.
    pub cache: Option<PathBuf>,
    /// Servers (these and the environment's) are used only when this is on.
    pub use_http: bool,
    /// The text fields for adding entries (not stored).
    #[serde(skip)]
    new_dir: String,
    #[serde(skip)]
    new_url: String,
    #[serde(skip)]
    new_debuginfod: String,
    /// The cache field while it is edited (applied when it loses focus).
    #[serde(skip)]
    cache_text: Option<String>,
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
        s.urls.retain(|u| is_url(u.trim()));
        s.debuginfod.retain(|u| is_url(u.trim()));
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

    /// The sources a walk uses: these folders and servers, then what
    /// `_NT_SYMBOL_PATH` and `DEBUGINFOD_URLS` name; no server at all
    /// unless HTTP is switched on.
    pub fn sources(&self) -> SymbolSources {
        let mut s = SymbolSources::named_then_environment(
            self.dirs.clone(),
            self.urls.clone(),
            self.debuginfod.clone(),
            self.cache.clone(),
        );
        if !self.use_http {
            s.servers.clear();
            s.debuginfod.clear();
        }
        s
    }
}

/// The settings panel; returns true when the symbol sources changed (stack
/// traces should be walked again). They are stored by the app's `App::save`.
pub fn symbol_settings_ui(ui: &mut Ui, s: &mut SymbolSettings) -> bool {
    let key = |s: &SymbolSettings| (s.dirs.clone(), s.urls.clone(), s.debuginfod.clone(), s.cache.clone(), s.use_http);
    let before = key(s);
    ui.strong("Symbol folders");
    ui.label(
        RichText::new("Breakpad, symstore and .build-id trees, or folders of PDB, PE, ELF and .debug files.").weak(),
    );
    let mut dirs: Vec<String> = s.dirs.iter().map(|d| d.display().to_string()).collect();
    list_ui(ui, "dirs", &mut dirs, &mut s.new_dir, "/path/to/symbols", |_| true);
    s.dirs = dirs.into_iter().map(PathBuf::from).collect();
    ui.add_space(6.0);
    ui.checkbox(&mut s.use_http, "Download from symbol servers");
    ui.label(RichText::new("Off by default: dumps can name modules you may not want to look up online.").weak());
    ui.add_enabled_ui(s.use_http, |ui| {
        ui.label("Symbol servers (symstore layout: PDB, PE, .sym)");
        list_ui(ui, "servers", &mut s.urls, &mut s.new_url, "https://symbols.example/", is_url);
        ui.label("debuginfod servers (ELF build ids)");
        list_ui(ui, "debuginfod", &mut s.debuginfod, &mut s.new_debuginfod, "https://debuginfod.example/", is_url);
        let current = s.cache.as_ref().map(|c| c.display().to_string()).unwrap_or_default();
        let mut text = s.cache_text.take().unwrap_or(current);
        let done = ui
            .horizontal(|ui| {
                ui.label("Download cache");
                let hint = default_cache_dir().display().to_string();
                ui.add(egui::TextEdit::singleline(&mut text).hint_text(hint).desired_width(260.0)).lost_focus()
            })
            .inner;
        if done {
            let t = text.trim();
            s.cache = (!t.is_empty()).then(|| PathBuf::from(t));
        } else {
            s.cache_text = Some(text);
        }
    });
    let env: Vec<String> = ["_NT_SYMBOL_PATH", "_NT_ALT_SYMBOL_PATH", "DEBUGINFOD_URLS"]
        .iter()
        .filter_map(|v| std::env::var(v).ok().filter(|t| !t.trim().is_empty()).map(|t| format!("{v}={t}")))
        .collect();
    if !env.is_empty() {
        ui.add_space(6.0);
        ui.label("Also from the environment (its servers only with downloads on):");
        for e in env {
            ui.label(RichText::new(e).monospace().weak());
        }
    }
    before != key(s)
}

/// A list of entries with remove buttons and a field to add one; `valid`
/// says whether the typed text may be added.
fn list_ui(ui: &mut Ui, id: &str, list: &mut Vec<String>, new: &mut String, hint: &str, valid: fn(&str) -> bool) {
    let mut remove = None;
    for (i, entry) in list.iter().enumerate() {
        ui.horizontal(|ui| {
            if ui.small_button("Remove").clicked() {
                remove = Some(i);
            }
            ui.label(entry);
        });
    }
    if let Some(i) = remove {
        list.remove(i);
    }
    ui.push_id(id, |ui| {
        ui.horizontal(|ui| {
            ui.add(egui::TextEdit::singleline(new).hint_text(hint).desired_width(260.0));
            let text = new.trim();
            let ok = !text.is_empty() && valid(text);
            if ui.add_enabled(ok, egui::Button::new("Add")).clicked() {
                if !list.iter().any(|e| e == text) {
                    list.push(text.to_string());
                }
                new.clear();
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_is_off_by_default() {
        let mut s = SymbolSettings::in_memory();
        s.urls.push("https://x/".into());
        s.debuginfod.push("https://d/".into());
        s.dirs.push("/syms".into());
        let off = s.sources();
        assert!(!off.uses_network(), "no server is used until downloads are switched on");
        assert_eq!(off.dirs[0], PathBuf::from("/syms"));
        s.use_http = true;
        let on = s.sources();
        assert_eq!(on.servers[0], "https://x/");
        assert_eq!(on.debuginfod[0], "https://d/");
    }
}
