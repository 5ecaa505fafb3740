//! memscape's own file browser, drawn inside the window: used where no native
//! file dialog can be shown (no xdg desktop portal and no zenity on Linux) or
//! when `MEMSCAPE_FILE_DIALOG=builtin` asks for it.
//!
//! egui-file-dialog 0.15 would do this, but it targets egui 0.36 and we are on
//! 0.37, so this is a small one of our own: a path bar, Up and Home, the
//! directory's folders then files (sorted without regard to case), a filter, a
//! show-hidden toggle, a file-name field, OK and Cancel. A directory that
//! cannot be read shows its error in the window; at most [`MAX_ENTRIES`]
//! entries are listed (the window says when it cut the list), and only the
//! rows in view are laid out, so a huge directory stays responsive.
//!
//! The browser returns what the user did as a [`BrowserAction`]; the caller
//! applies it (panels return actions).

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use egui::{Key, RichText, Ui};

use crate::format::human_size_short;
use crate::ui::theme;

/// The most entries one directory listing keeps.
pub const MAX_ENTRIES: usize = 20_000;

/// Opening an existing file, or naming one to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrowserMode {
    Open,
    Save,
}

/// A named set of file-name extensions; no extensions means every file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFilter {
    pub name: String,
    /// Lower-case, without the dot.
    pub extensions: Vec<String>,
}

impl FileFilter {
    pub fn new(name: &str, extensions: &[&str]) -> FileFilter {
        FileFilter { name: name.to_string(), extensions: extensions.iter().map(|e| e.to_ascii_lowercase()).collect() }
    }

    /// Every file.
    pub fn all_files() -> FileFilter {
        FileFilter::new("All files", &[])
    }

    /// Whether a file called `name` passes (case-insensitive on the
    /// extension). A filter with "core" also passes the kernel's own names
    /// for cores, `core` and `core.PID`, which have no such extension.
    pub fn matches(&self, name: &str) -> bool {
        if self.extensions.is_empty() {
            return true;
        }
        let kernel_core =
            name == "core" || name.strip_prefix("core.").is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
        if kernel_core && self.extensions.iter().any(|x| x == "core") {
            return true;
        }
        match Path::new(name).extension().and_then(|e| e.to_str()) {
            Some(ext) => self.extensions.iter().any(|x| x.eq_ignore_ascii_case(ext)),
            None => false,
        }
    }

    /// The title shown in the filter box: `Dumps (dmp, mdmp, …)`.
    pub fn title(&self) -> String {
        if self.extensions.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.extensions.join(", "))
        }
    }
}

/// What the user did in the browser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrowserAction {
    /// A file to open, or the path to save to.
    Chose(PathBuf),
    Cancelled,
}

/// One entry of the listed directory.
#[derive(Clone, Debug)]
struct Entry {
    name: String,
    is_dir: bool,
    hidden: bool,
    size_bytes: Option<u64>,
}

/// What reading the current directory gave.
#[derive(Clone, Debug)]
enum Listing {
    Entries {
        entries: Vec<Entry>,
        /// More than MAX_ENTRIES were there.
        cut: bool,
        /// Entries that could not be read (skipped).
        unreadable: usize,
    },
    Error(String),
}

/// The browser's state: kept by the caller while the browser is shown.
#[derive(Clone, Debug)]
pub struct FileBrowser {
    title: String,
    mode: BrowserMode,
    filters: Vec<FileFilter>,
    filter_index: usize,
    dir: PathBuf,
    listing: Listing,
    /// Indexes into the listing's entries that pass the filter and the hidden toggle.
    visible: Vec<usize>,
    selected: Option<String>,
    path_text: String,
    file_name: String,
    show_hidden: bool,
    /// A line from the caller shown above the list (why this browser and not the system's).
    note: Option<String>,
    /// Scroll the list back to the top on the next frame (after navigating).
    scroll_to_top: bool,
}

impl FileBrowser {
    /// A browser for choosing an existing file, starting in `start_dir`.
    pub fn open(title: &str, start_dir: &Path, filters: Vec<FileFilter>) -> FileBrowser {
        FileBrowser::new(title, BrowserMode::Open, start_dir, filters, "")
    }

    /// A browser for naming a file to write, starting in `start_dir` with
    /// `default_name` in the name field.
    pub fn save(title: &str, start_dir: &Path, default_name: &str, filters: Vec<FileFilter>) -> FileBrowser {
        FileBrowser::new(title, BrowserMode::Save, start_dir, filters, default_name)
    }

    fn new(title: &str, mode: BrowserMode, start_dir: &Path, filters: Vec<FileFilter>, name: &str) -> FileBrowser {
        let filters = if filters.is_empty() { vec![FileFilter::all_files()] } else { filters };
        let mut b = FileBrowser {
            title: title.to_string(),
            mode,
            filters,
            filter_index: 0,
            dir: PathBuf::new(),
            listing: Listing::Entries { entries: Vec::new(), cut: false, unreadable: 0 },
            visible: Vec::new(),
            selected: None,
            path_text: String::new(),
            file_name: name.to_string(),
            show_hidden: false,
            note: None,
            scroll_to_top: true,
        };
        b.go_to(start_dir.to_path_buf());
        b
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn mode(&self) -> BrowserMode {
        self.mode
    }

    /// The directory shown.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The error reading the directory shown, if it could not be read.
    pub fn error(&self) -> Option<&str> {
        match &self.listing {
            Listing::Error(e) => Some(e),
            Listing::Entries { .. } => None,
        }
    }

    /// The names listed now, folders first, in the order shown.
    pub fn visible_names(&self) -> Vec<&str> {
        match &self.listing {
            Listing::Entries { entries, .. } => self.visible.iter().map(|&i| entries[i].name.as_str()).collect(),
            Listing::Error(_) => Vec::new(),
        }
    }

    /// Whether the listing stopped at [`MAX_ENTRIES`].
    pub fn is_cut(&self) -> bool {
        matches!(self.listing, Listing::Entries { cut: true, .. })
    }

    /// A line to show above the list.
    pub fn set_note(&mut self, note: Option<String>) {
        self.note = note;
    }

    pub fn set_show_hidden(&mut self, show: bool) {
        self.show_hidden = show;
        self.refilter();
    }

    /// Chooses the filter at `index` (ignored when out of range).
    pub fn set_filter(&mut self, index: usize) {
        if index < self.filters.len() {
            self.filter_index = index;
            self.refilter();
        }
    }

    /// Shows `dir` (made absolute); a directory that cannot be read shows its error.
    pub fn go_to(&mut self, dir: PathBuf) {
        let dir = absolute(&dir);
        self.listing = read_listing(&dir);
        self.path_text = dir.display().to_string();
        self.dir = dir;
        self.selected = None;
        self.scroll_to_top = true;
        self.refilter();
    }

    /// The parent directory (nothing at the root).
    pub fn go_up(&mut self) {
        if let Some(parent) = self.dir.parent() {
            let parent = parent.to_path_buf();
            let from = self.dir.file_name().map(|n| n.to_string_lossy().into_owned());
            self.go_to(parent);
            // Keep the folder we came from selected, as file managers do.
            self.selected = from;
        }
    }

    /// The user's home directory.
    pub fn go_home(&mut self) {
        if let Some(home) = home_dir() {
            self.go_to(home);
        }
    }

    /// What the path bar's text asks for: a directory is shown; an existing
    /// file is chosen (Open) or taken as the name to save (Save); anything
    /// else shows an error. `~` stands for the home directory.
    pub fn submit_path(&mut self, text: &str) -> Option<BrowserAction> {
        let path = absolute(&expand_home(text.trim(), &self.dir));
        if path.is_dir() {
            self.go_to(path);
            return None;
        }
        match self.mode {
            BrowserMode::Open if path.is_file() => return Some(BrowserAction::Chose(path)),
            BrowserMode::Save => {
                if let (Some(parent), Some(name)) = (path.parent(), path.file_name())
                    && parent.is_dir()
                {
                    let name = name.to_string_lossy().into_owned();
                    self.go_to(parent.to_path_buf());
                    self.file_name = name;
                    return None;
                }
            }
            BrowserMode::Open => {}
        }
        // Show what went wrong where the list was, and keep the typed text.
        self.listing = match std::fs::metadata(&path) {
            Err(e) => Listing::Error(format!("{}: {}", path.display(), io_reason(&e))),
            Ok(_) => Listing::Error(format!("{}: not a directory or a regular file", path.display())),
        };
        self.dir = path;
        self.path_text = text.to_string();
        self.selected = None;
        self.refilter();
        None
    }

    /// Selects the entry called `name` (a click); a file's name goes into the name field.
    pub fn select(&mut self, name: &str) {
        self.selected = Some(name.to_string());
        if let Some(e) = self.entry(name)
            && !e.is_dir
        {
            self.file_name = name.to_string();
        }
    }

    /// Opens the entry called `name` (a double-click): a folder is shown, a file chosen.
    pub fn activate(&mut self, name: &str) -> Option<BrowserAction> {
        let is_dir = self.entry(name)?.is_dir;
        if is_dir {
            self.go_to(self.dir.join(name));
            None
        } else {
            self.file_name = name.to_string();
            self.confirm()
        }
    }

    /// What OK does: Open chooses the named file (or enters a selected
    /// folder); Save gives the named path, with the filter's extension added
    /// when the name has none of them.
    pub fn confirm(&mut self) -> Option<BrowserAction> {
        if let Some(sel) = self.selected.clone()
            && self.entry(&sel).is_some_and(|e| e.is_dir)
            && (self.mode == BrowserMode::Open || self.file_name.trim().is_empty())
        {
            self.go_to(self.dir.join(sel));
            return None;
        }
        let name = self.file_name.trim();
        if name.is_empty() {
            return None;
        }
        let path = absolute(&expand_home(name, &self.dir));
        match self.mode {
            BrowserMode::Open => {
                if path.is_file() {
                    Some(BrowserAction::Chose(path))
                } else if path.is_dir() {
                    self.go_to(path);
                    self.file_name.clear();
                    None
                } else {
                    None
                }
            }
            BrowserMode::Save => {
                if path.is_dir() {
                    self.go_to(path);
                    self.file_name.clear();
                    return None;
                }
                let filter = &self.filters[self.filter_index];
                let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                match filter.extensions.first() {
                    Some(ext) if !filter.matches(&file) => {
                        Some(BrowserAction::Chose(path.with_file_name(format!("{file}.{ext}"))))
                    }
                    _ => Some(BrowserAction::Chose(path)),
                }
            }
        }
    }

    fn entry(&self, name: &str) -> Option<&Entry> {
        match &self.listing {
            Listing::Entries { entries, .. } => entries.iter().find(|e| e.name == name),
            Listing::Error(_) => None,
        }
    }

    fn refilter(&mut self) {
        let filter = &self.filters[self.filter_index];
        self.visible = match &self.listing {
            Listing::Entries { entries, .. } => entries
                .iter()
                .enumerate()
                .filter(|(_, e)| self.show_hidden || !e.hidden)
                .filter(|(_, e)| e.is_dir || filter.matches(&e.name))
                .map(|(i, _)| i)
                .collect(),
            Listing::Error(_) => Vec::new(),
        };
    }
}

/// Reads `dir`: at most MAX_ENTRIES entries, folders first, then by name
/// without regard to case.
fn read_listing(dir: &Path) -> Listing {
    let read = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) => return Listing::Error(format!("{}: {}", dir.display(), io_reason(&e))),
    };
    let mut entries = Vec::new();
    let mut cut = false;
    let mut unreadable = 0;
    for item in read {
        if entries.len() == MAX_ENTRIES {
            cut = true;
            break;
        }
        let Ok(item) = item else {
            unreadable += 1;
            continue;
        };
        let name = item.file_name().to_string_lossy().into_owned();
        // Follows symbolic links, so a link to a folder lists as a folder.
        let meta = std::fs::metadata(item.path()).or_else(|_| item.metadata());
        let (is_dir, size_bytes) = match &meta {
            Ok(m) => (m.is_dir(), m.is_file().then_some(m.len())),
            Err(_) => (false, None),
        };
        let hidden = name.starts_with('.') || meta.as_ref().is_ok_and(is_hidden_attribute);
        entries.push(Entry { name, is_dir, hidden, size_bytes });
    }
    entries.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then_with(|| compare_names(&a.name, &b.name)));
    Listing::Entries { entries, cut, unreadable }
}

/// Case-insensitive, with the exact spelling breaking ties (so the order is total).
fn compare_names(a: &str, b: &str) -> Ordering {
    let fold = |s: &str| s.chars().flat_map(char::to_lowercase).collect::<String>();
    fold(a).cmp(&fold(b)).then_with(|| a.cmp(b))
}

#[cfg(windows)]
fn is_hidden_attribute(m: &std::fs::Metadata) -> bool {
    use std::os::windows::fs::MetadataExt;
    const FILE_ATTRIBUTE_HIDDEN: u32 = 0x2;
    m.file_attributes() & FILE_ATTRIBUTE_HIDDEN != 0
}

#[cfg(not(windows))]
fn is_hidden_attribute(_: &std::fs::Metadata) -> bool {
    false
}

/// The reason alone ("Permission denied"), without Rust's "(os error 13)".
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn home_dir() -> Option<PathBuf> {
    std::env::home_dir().filter(|h| !h.as_os_str().is_empty())
}

/// `~` and `~/x` name the home directory; a relative path is taken from `base`.
fn expand_home(text: &str, base: &Path) -> PathBuf {
    let path = match (text.strip_prefix('~'), home_dir()) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with(['/', '\\']) => {
            home.join(rest.trim_start_matches(['/', '\\']))
        }
        _ => PathBuf::from(text),
    };
    if path.is_absolute() { path } else { base.join(path) }
}

/// `path` made absolute without touching the disk beyond the current directory
/// (`..` steps are resolved by name, so Up from a symlinked folder goes back
/// where the user came from).
fn absolute(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// The browser's contents (path bar, list, name field, buttons) in `ui`.
pub fn file_browser_ui(ui: &mut Ui, b: &mut FileBrowser) -> Option<BrowserAction> {
    let mut action = None;
    if let Some(note) = &b.note {
        ui.colored_label(theme::WARNING, note);
    }
    ui.horizontal(|ui| {
        if ui.button("Up").on_hover_text("The parent folder").clicked() {
            b.go_up();
        }
        if ui.button("Home").on_hover_text("Your home folder").clicked() {
            b.go_home();
        }
        let edit = ui.add(
            egui::TextEdit::singleline(&mut b.path_text)
                .desired_width(f32::INFINITY)
                .hint_text("Type a folder or file and press Enter"),
        );
        if edit.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
            let text = b.path_text.clone();
            action = b.submit_path(&text);
        }
    });
    ui.horizontal(|ui| {
        let before = (b.filter_index, b.show_hidden);
        let label = ui.label("Show:");
        egui::ComboBox::from_id_salt("memscape-file-filter")
            .selected_text(b.filters[b.filter_index].title())
            .show_ui(ui, |ui| {
                for (i, f) in b.filters.iter().enumerate() {
                    ui.selectable_value(&mut b.filter_index, i, f.title());
                }
            })
            .response
            .labelled_by(label.id);
        ui.checkbox(&mut b.show_hidden, "Show hidden");
        if before != (b.filter_index, b.show_hidden) {
            b.refilter();
        }
    });
    ui.separator();

    let footer_height_px = 2.0 * ui.spacing().interact_size.y + 3.0 * ui.spacing().item_spacing.y + 16.0;
    let list_height_px = (ui.available_height() - footer_height_px).max(120.0);
    match &b.listing {
        Listing::Error(e) => {
            let e = e.clone();
            ui.allocate_ui(egui::vec2(ui.available_width(), list_height_px), |ui| {
                ui.colored_label(theme::SEVERITY_ERROR, e);
                ui.label(RichText::new("Type another folder above, or go Up or Home.").weak());
                ui.allocate_space(ui.available_size());
            });
        }
        Listing::Entries { entries, cut, unreadable } => {
            if *cut {
                ui.colored_label(theme::WARNING, format!("This folder holds more than {MAX_ENTRIES} entries; only the first {MAX_ENTRIES} are listed. Type a file's name below to open one that is not."));
            }
            if *unreadable > 0 {
                ui.label(RichText::new(format!("{unreadable} entries could not be read.")).weak());
            }
            let row_height_px = ui.spacing().interact_size.y;
            let mut clicked: Option<(String, bool)> = None;
            let mut area = egui::ScrollArea::vertical().max_height(list_height_px).auto_shrink([false, false]);
            if b.scroll_to_top {
                area = area.vertical_scroll_offset(0.0);
                b.scroll_to_top = false;
            }
            area.show_rows(ui, row_height_px, b.visible.len(), |ui, rows| {
                for &i in &b.visible[rows] {
                    let e = &entries[i];
                    // Folders end in "/" (as `ls -F` shows them): the default fonts have no folder icon.
                    let text = if e.is_dir { format!("{}/", e.name) } else { e.name.clone() };
                    let size = e.size_bytes.map(human_size_short).unwrap_or_default();
                    let selected = b.selected.as_deref() == Some(e.name.as_str());
                    let r = ui.add(
                        egui::Button::selectable(selected, text)
                            .right_text(RichText::new(size).weak())
                            .truncate()
                            .min_size(egui::vec2(ui.available_width(), row_height_px)),
                    );
                    if r.double_clicked() {
                        clicked = Some((e.name.clone(), true));
                    } else if r.clicked() {
                        clicked = Some((e.name.clone(), false));
                    }
                }
            });
            if b.visible.is_empty() {
                ui.label(RichText::new("No folders or files here match the filter.").weak());
            }
            match clicked {
                Some((name, true)) => action = b.activate(&name),
                Some((name, false)) => b.select(&name),
                None => {}
            }
        }
    }
    ui.separator();

    ui.horizontal(|ui| {
        let label = ui.label(match b.mode {
            BrowserMode::Open => "File:",
            BrowserMode::Save => "Save as:",
        });
        let edit =
            ui.add(egui::TextEdit::singleline(&mut b.file_name).desired_width(f32::INFINITY)).labelled_by(label.id);
        if edit.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) && action.is_none() {
            action = b.confirm();
        }
    });
    if b.mode == BrowserMode::Save && !b.file_name.trim().is_empty() && b.dir.join(b.file_name.trim()).is_file() {
        ui.colored_label(theme::WARNING, "A file of that name exists and will be replaced.");
    }
    ui.horizontal(|ui| {
        let ok = match b.mode {
            BrowserMode::Open => "Open",
            BrowserMode::Save => "Save",
        };
        if ui.button(ok).clicked() && action.is_none() {
            action = b.confirm();
        }
        if ui.button("Cancel").clicked() {
            action = Some(BrowserAction::Cancelled);
        }
    });
    if action.is_none() && ui.input(|i| i.key_pressed(Key::Escape)) {
        action = Some(BrowserAction::Cancelled);
    }
    action
}

/// The browser in its own window over the app; closing the window cancels.
pub fn file_browser_window_ui(ctx: &egui::Context, b: &mut FileBrowser) -> Option<BrowserAction> {
    let mut open = true;
    let screen = ctx.content_rect();
    let size = egui::vec2((screen.width() - 80.0).clamp(320.0, 760.0), (screen.height() - 80.0).clamp(300.0, 560.0));
    let shown = egui::Window::new(b.title.clone())
        .id(egui::Id::unique("memscape-file-browser"))
        .open(&mut open)
        .collapsible(false)
        .resizable(true)
        .default_size(size)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| file_browser_ui(ui, b));
    let action = shown.and_then(|s| s.inner).flatten();
    if !open { Some(BrowserAction::Cancelled) } else { action }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_without_case_and_filters_match_extensions() {
        let mut names = vec!["b.dmp", "A.dmp", "a.dmp", "C"];
        names.sort_by(|a, b| compare_names(a, b));
        assert_eq!(names, ["A.dmp", "a.dmp", "b.dmp", "C"]);
        let cores = FileFilter::new("Dumps", &["dmp", "core"]);
        assert!(
            cores.matches("core") && cores.matches("core.4242") && cores.matches("x.core") && !cores.matches("core.c")
        );
        let dumps = FileFilter::new("Dumps", &["dmp", "zst"]);
        assert!(
            dumps.matches("x.DMP") && dumps.matches("core.zst") && !dumps.matches("x.png") && !dumps.matches("dmp")
        );
        assert!(FileFilter::all_files().matches("anything"));
    }

    #[test]
    fn absolute_resolves_dot_dot_by_name() {
        let base = std::path::absolute("/").unwrap();
        assert_eq!(absolute(&base.join("a/b/../c/./d")), base.join("a/c/d"));
    }
}
