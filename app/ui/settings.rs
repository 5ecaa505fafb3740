//! Symbol settings: local Breakpad symbol directories and, opt-in, HTTP
//! symbol servers. Kept across runs in the config directory (like the recent
//! files) as lines `dir <path>`, `url <url>` and `http on|off`.

use std::path::PathBuf;

use egui::{RichText, Ui};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SymbolSettings {
    pub dirs: Vec<PathBuf>,
    pub urls: Vec<String>,
    /// HTTP servers are used only when this is on.
    pub use_http: bool,
    /// Where the settings are kept; None keeps them in memory (tests).
    store: Option<PathBuf>,
    /// The text fields for adding entries.
    new_dir: String,
    new_url: String,
}

fn default_store() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("MEMSCAPE_CONFIG_DIR") {
        return Some(PathBuf::from(dir).join("symbols.txt"));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("memscape").join("symbols.txt"))
}

impl SymbolSettings {
    /// The settings from the user's config directory.
    pub fn load() -> SymbolSettings {
        let store = default_store();
        let mut s = SymbolSettings { store: store.clone(), ..Default::default() };
        if let Some(text) = store.as_deref().and_then(|p| std::fs::read_to_string(p).ok()) {
            s.parse(&text);
        }
        s
    }

    /// Settings that are never written to disk.
    pub fn in_memory() -> SymbolSettings {
        SymbolSettings::default()
    }

    fn parse(&mut self, text: &str) {
        for line in text.lines() {
            match line.split_once(' ') {
                Some(("dir", p)) if !p.trim().is_empty() => self.dirs.push(PathBuf::from(p.trim())),
                Some(("url", u)) if !u.trim().is_empty() => self.urls.push(u.trim().to_string()),
                Some(("http", v)) => self.use_http = v.trim() == "on",
                _ => {}
            }
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for d in &self.dirs {
            out += &format!("dir {}\n", d.display());
        }
        for u in &self.urls {
            out += &format!("url {u}\n");
        }
        out += if self.use_http { "http on\n" } else { "http off\n" };
        out
    }

    /// Best effort: a read-only config directory must not stop anyone.
    fn save(&self) {
        if let Some(store) = &self.store {
            if let Some(dir) = store.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = std::fs::write(store, self.text());
        }
    }

    /// The servers to use: none unless HTTP is switched on.
    pub fn active_urls(&self) -> Vec<String> {
        if self.use_http { self.urls.clone() } else { Vec::new() }
    }
}

/// The settings panel; returns true when the symbol sources changed (stack
/// traces should be walked again).
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
    let changed = before != (s.dirs.clone(), s.urls.clone(), s.use_http);
    if changed {
        s.save();
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_http_off_by_default() {
        let mut s = SymbolSettings::in_memory();
        s.dirs.push(PathBuf::from("/syms"));
        s.urls.push("https://x/".into());
        assert!(s.active_urls().is_empty());
        let mut t = SymbolSettings::in_memory();
        t.parse(&s.text());
        assert_eq!((t.dirs, t.urls, t.use_http), (vec![PathBuf::from("/syms")], vec!["https://x/".to_string()], false));
        s.use_http = true;
        assert_eq!(s.active_urls(), vec!["https://x/".to_string()]);
    }
}
