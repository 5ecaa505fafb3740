//! The in-window file browser driven by egui_kittest (no GPU needed: nothing
//! is rendered except in the picture test), the choice between it and the
//! system's dialog, and the recent files and symbol settings kept through
//! eframe's storage.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use egui_kittest::Harness;
use egui_kittest::kittest::{self, Queryable};
use memscape::ui::file_browser::{self, BrowserAction, FileBrowser, FileFilter, MAX_ENTRIES};
use memscape::ui::file_dialog::{self, Backend, DialogPurpose, FileChosen, FileDialogs, NativeSupport, choose_backend};
use memscape::ui::recent::RecentFiles;
use memscape::ui::settings::SymbolSettings;

/// A fresh, empty directory for one test.
fn scratch_dir(tag: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join("memscape-tests").join(format!("{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// beta/ Alpha/ (with inner.dmp) z.dmp a.DMP notes.txt .hidden.dmp
fn sample_dir(tag: &str) -> PathBuf {
    let dir = scratch_dir(tag);
    std::fs::create_dir(dir.join("beta")).unwrap();
    std::fs::create_dir(dir.join("Alpha")).unwrap();
    std::fs::write(dir.join("Alpha").join("inner.dmp"), b"MDMP").unwrap();
    for f in ["z.dmp", "a.DMP", "notes.txt", ".hidden.dmp"] {
        std::fs::write(dir.join(f), b"MDMP").unwrap();
    }
    dir
}

fn dump_filters() -> Vec<FileFilter> {
    vec![
        FileFilter::new("Dumps", &["dmp", "mdmp", "dump", "minidump", "core", "zst", "xz", "lz4"]),
        FileFilter::all_files(),
    ]
}

struct BrowserState {
    browser: FileBrowser,
    actions: Vec<BrowserAction>,
}

fn browser_harness(browser: FileBrowser) -> Harness<'static, BrowserState> {
    Harness::builder().with_size(egui::vec2(700.0, 520.0)).with_step_dt(0.05).build_ui_state(
        |ui, s: &mut BrowserState| {
            if let Some(a) = file_browser::file_browser_ui(ui, &mut s.browser) {
                s.actions.push(a);
            }
        },
        BrowserState { browser, actions: Vec::new() },
    )
}

/// Two clicks a step apart (within egui's double-click time).
fn double_click(h: &mut Harness<'static, BrowserState>, label: &str) {
    h.get_by_label_contains(label).click();
    h.step();
    h.get_by_label_contains(label).click();
    h.run();
}

/// The text field holding `value` (the text run inside it holds it too).
fn text_field<'h, S>(h: &'h Harness<'static, S>, value: &'h str) -> egui_kittest::Node<'h> {
    h.get(kittest::by().role(egui::accesskit::Role::TextInput).value(value))
}

#[test]
fn lists_folders_first_sorted_without_case_and_filters() {
    let dir = sample_dir("list");
    let mut b = FileBrowser::open("Open a dump", &dir, dump_filters());
    assert_eq!(b.visible_names(), ["Alpha", "beta", "a.DMP", "z.dmp"]);
    b.set_filter(1);
    assert_eq!(b.visible_names(), ["Alpha", "beta", "a.DMP", "notes.txt", "z.dmp"]);
    b.set_show_hidden(true);
    assert_eq!(b.visible_names(), ["Alpha", "beta", ".hidden.dmp", "a.DMP", "notes.txt", "z.dmp"]);

    let mut h = browser_harness(FileBrowser::open("Open a dump", &dir, dump_filters()));
    h.run();
    // A row's accessible name is the entry's name and its size.
    for label in ["Alpha/", "beta/", "a.DMP 4 B", "z.dmp 4 B"] {
        h.get_by_label_contains(label);
    }
    assert!(h.query_by_label_contains("notes.txt").is_none(), "the dump filter hides notes.txt");
    assert!(h.query_by_label_contains(".hidden.dmp").is_none(), "hidden files are hidden");
    let alpha = h.get_by_label_contains("Alpha/").rect();
    let z = h.get_by_label_contains("z.dmp").rect();
    assert!(alpha.top() < z.top(), "folders are listed above files");
}

#[test]
fn double_click_enters_a_folder_and_up_comes_back() {
    let dir = sample_dir("nav");
    let mut h = browser_harness(FileBrowser::open("Open a dump", &dir, dump_filters()));
    h.run();
    double_click(&mut h, "Alpha/");
    assert_eq!(h.state().browser.dir(), dir.join("Alpha"));
    h.get_by_label_contains("inner.dmp");
    assert!(h.query_by_label_contains("beta/").is_none());
    h.get_by_label("Up").click();
    h.run();
    assert_eq!(h.state().browser.dir(), dir);
    h.get_by_label_contains("beta/");
    assert!(h.state().actions.is_empty(), "navigating chooses nothing: {:?}", h.state().actions);
}

#[test]
fn double_click_on_a_file_chooses_it() {
    let dir = sample_dir("choose");
    let mut h = browser_harness(FileBrowser::open("Open a dump", &dir, dump_filters()));
    h.run();
    double_click(&mut h, "z.dmp");
    assert_eq!(h.state().actions, [BrowserAction::Chose(dir.join("z.dmp"))]);
}

#[test]
fn a_click_then_open_chooses_the_file() {
    let dir = sample_dir("click-open");
    let mut h = browser_harness(FileBrowser::open("Open a dump", &dir, dump_filters()));
    h.run();
    h.get_by_label_contains("a.DMP").click();
    h.run();
    h.get_by_label("Open").click();
    h.run();
    assert_eq!(h.state().actions, [BrowserAction::Chose(dir.join("a.DMP"))]);
}

/// Replaces the path bar's text (found by its value, the folder shown) and presses Enter.
fn type_path(h: &mut Harness<'static, BrowserState>, text: &str) {
    let shown = h.state().browser.dir().display().to_string();
    text_field(h, &shown).focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    text_field(h, &shown).type_text(text);
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
}

#[test]
fn typing_a_path_and_enter_goes_there() {
    let dir = sample_dir("type");
    let mut h = browser_harness(FileBrowser::open("Open a dump", &dir, dump_filters()));
    h.run();
    let beta = dir.join("beta");
    type_path(&mut h, &beta.display().to_string());
    assert_eq!(h.state().browser.dir(), beta);
    assert_eq!(h.state().browser.error(), None);
    // A file typed into the path bar is chosen.
    let inner = dir.join("Alpha").join("inner.dmp");
    type_path(&mut h, &inner.display().to_string());
    assert_eq!(h.state().actions, [BrowserAction::Chose(inner)]);
}

#[test]
fn a_missing_or_unreadable_folder_shows_its_error() {
    let dir = sample_dir("missing");
    let mut h = browser_harness(FileBrowser::open("Open a dump", &dir, dump_filters()));
    h.run();
    let missing = dir.join("no-such-folder");
    type_path(&mut h, &missing.display().to_string());
    let error = h.state().browser.error().expect("an error for a missing folder").to_string();
    assert!(error.contains("no-such-folder"), "{error}");
    h.get_by_label_contains("no-such-folder:");
    assert!(h.state().actions.is_empty());
    // Up from there still works.
    h.get_by_label("Up").click();
    h.run();
    assert_eq!(h.state().browser.dir(), dir);
    h.get_by_label_contains("beta/");

    // A file given as the folder to list.
    let mut b = FileBrowser::open("Open a dump", &dir.join("z.dmp"), dump_filters());
    assert!(b.error().is_some());
    assert!(b.visible_names().is_empty());
    b.go_up();
    assert_eq!(b.dir(), dir);

    // A folder without read permission (root reads it anyway: then there is nothing to check).
    let locked = dir.join("beta");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read_dir(&locked).is_err() {
        let mut h = browser_harness(FileBrowser::open("Open a dump", &locked, dump_filters()));
        h.run();
        h.get_by_label_contains("Permission denied");
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_huge_folder_is_cut_and_stays_usable() {
    let dir = scratch_dir("huge");
    for i in 0..MAX_ENTRIES + 5 {
        std::fs::File::create(dir.join(format!("f{i:05}.dmp"))).unwrap();
    }
    let b = FileBrowser::open("Open a dump", &dir, dump_filters());
    assert!(b.is_cut());
    assert_eq!(b.visible_names().len(), MAX_ENTRIES);
    let mut h = browser_harness(b);
    h.run();
    h.get_by_label_contains("only the first 20000 are listed");
    // Only the rows in view are laid out.
    assert!(h.query_all_by_label_contains(".dmp").count() < 100);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn save_returns_the_folder_and_name_with_png() {
    let dir = sample_dir("save");
    let png = vec![FileFilter::new("PNG image", &["png"])];
    let mut h = browser_harness(FileBrowser::save("Save image as", &dir, "memscape-strip.png", png.clone()));
    h.run();
    h.get_by_label("Save").click();
    h.run();
    assert_eq!(h.state().actions, [BrowserAction::Chose(dir.join("memscape-strip.png"))]);

    // A name without the extension gets it; the name field is found by its value.
    let mut h = browser_harness(FileBrowser::save("Save image as", &dir, "memscape-strip.png", png));
    h.run();
    text_field(&h, "memscape-strip.png").focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    text_field(&h, "memscape-strip.png").type_text("picture");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(h.state().actions, [BrowserAction::Chose(dir.join("picture.png"))]);
}

#[test]
fn cancel_gives_cancelled() {
    let dir = sample_dir("cancel");
    let mut h = browser_harness(FileBrowser::open("Open a dump", &dir, dump_filters()));
    h.run();
    h.get_by_label("Cancel").click();
    h.run();
    assert_eq!(h.state().actions, [BrowserAction::Cancelled]);
}

// ---- the dialogs as the app uses them -------------------------------------

struct DialogsState {
    dialogs: FileDialogs,
    chosen: Vec<FileChosen>,
}

fn dialogs_harness() -> Harness<'static, DialogsState> {
    Harness::builder().with_size(egui::vec2(1000.0, 700.0)).with_step_dt(0.05).build_ui_state(
        |ui, s: &mut DialogsState| {
            if let Some(c) = file_dialog::file_dialog_ui(ui.ctx(), &mut s.dialogs) {
                s.chosen.push(c);
            }
        },
        DialogsState { dialogs: FileDialogs::with_backend(Backend::Builtin), chosen: Vec::new() },
    )
}

#[test]
fn the_builtin_dialogs_open_and_save() {
    let dir = sample_dir("dialogs");
    let mut h = dialogs_harness();
    h.state_mut().dialogs.set_start_dir(Some(dir.clone()));
    h.state_mut().dialogs.open_dump();
    h.run();
    assert_eq!(h.state().dialogs.purpose(), Some(DialogPurpose::OpenDump));
    h.get_by_label("Open a dump");
    double_click_dialog(&mut h, "z.dmp");
    assert_eq!(h.state().chosen, [FileChosen { purpose: DialogPurpose::OpenDump, path: dir.join("z.dmp") }]);
    assert!(!h.state().dialogs.is_open());
    assert!(h.query_by_label("Open a dump").is_none(), "the browser closes");

    h.state_mut().dialogs.save_image("memscape-hilbert.png");
    h.run();
    h.get_by_label("Save image as");
    // The next dialog starts where the last file was chosen.
    assert_eq!(h.state_mut().dialogs.browser_mut().unwrap().dir(), dir);
    h.get_by_label("Save").click();
    h.run();
    assert_eq!(
        h.state().chosen[1],
        FileChosen { purpose: DialogPurpose::SaveImage, path: dir.join("memscape-hilbert.png") }
    );

    // Cancel closes without a choice.
    h.state_mut().dialogs.open_dump();
    h.run();
    h.get_by_label("Cancel").click();
    h.run();
    assert!(!h.state().dialogs.is_open());
    assert_eq!(h.state().chosen.len(), 2);
}

fn double_click_dialog(h: &mut Harness<'static, DialogsState>, label: &str) {
    h.get_by_label_contains(label).click();
    h.step();
    h.get_by_label_contains(label).click();
    h.run();
}

#[test]
fn the_variable_chooses_the_backend() {
    let none = NativeSupport { always: false, zenity: false, portal: false };
    let zenity = NativeSupport { zenity: true, ..none };
    let portal = NativeSupport { portal: true, ..none };
    let windows = NativeSupport { always: true, ..none };
    assert_eq!(choose_backend(Some("builtin"), zenity), Backend::Builtin);
    assert_eq!(choose_backend(Some("builtin"), windows), Backend::Builtin);
    assert_eq!(choose_backend(Some("native"), none), Backend::Native);
    assert_eq!(choose_backend(None, none), Backend::Builtin, "no portal, no zenity: our own browser");
    assert_eq!(choose_backend(None, zenity), Backend::Native);
    assert_eq!(choose_backend(None, portal), Backend::Native);
    assert_eq!(choose_backend(None, windows), Backend::Native);
    assert_eq!(choose_backend(Some("bogus"), none), Backend::Builtin, "an unknown value is ignored");
    assert_eq!(FileDialogs::with_backend(Backend::Builtin).backend(), Backend::Builtin);
    assert_eq!(FileDialogs::with_backend(Backend::Native).backend(), Backend::Native);
}

// ---- persistence through eframe's storage ----------------------------------

#[test]
fn recent_files_and_symbol_settings_round_trip_through_storage() {
    let mut storage = common::MemoryStorage::default();
    assert_eq!(RecentFiles::from_storage(Some(&storage)), RecentFiles::in_memory(), "nothing stored yet");
    assert_eq!(SymbolSettings::from_storage(Some(&storage)), SymbolSettings::in_memory());

    let mut recent = RecentFiles::in_memory();
    recent.add(Path::new("/dumps/a.dmp"));
    recent.add(Path::new("/dumps/b.dmp"));
    recent.save(&mut storage);
    let mut symbols = SymbolSettings::in_memory();
    symbols.dirs.push(PathBuf::from("/symbols"));
    symbols.urls.push("https://symbols.example/".into());
    symbols.debuginfod.push("https://debuginfod.example/".into());
    symbols.cache = Some(PathBuf::from("/cache"));
    symbols.use_http = true;
    symbols.save(&mut storage);
    assert!(storage.0.contains_key("memscape.recent") && storage.0.contains_key("memscape.symbols"));

    let back = RecentFiles::from_storage(Some(&storage));
    assert_eq!(back.paths(), [PathBuf::from("/dumps/b.dmp"), PathBuf::from("/dumps/a.dmp")]);
    let back = SymbolSettings::from_storage(Some(&storage));
    assert_eq!(back, symbols);
    assert_eq!(back.sources().servers[0], "https://symbols.example/");
    assert_eq!(back.sources().debuginfod[0], "https://debuginfod.example/");

    // Garbage under the keys gives the defaults, not a panic.
    storage.0.insert("memscape.recent".into(), "not ron at all (".into());
    storage.0.insert("memscape.symbols".into(), "42".into());
    assert_eq!(RecentFiles::from_storage(Some(&storage)), RecentFiles::in_memory());
    assert_eq!(SymbolSettings::from_storage(Some(&storage)), SymbolSettings::in_memory());
    // No storage at all: the defaults.
    assert_eq!(RecentFiles::from_storage(None), RecentFiles::in_memory());
}

// ---- a look at it ------------------------------------------------------------

/// Renders the browser (with a GPU; lavapipe here) to
/// `$TMPDIR/memscape-tests/file-browser.png` to be looked at.
#[test]
fn the_browser_renders() {
    if !common::gpu_available() {
        return;
    }
    let dir = sample_dir("picture");
    for i in 0..40 {
        std::fs::write(dir.join(format!("crash-{i:02}.dmp")), vec![0u8; 1000 * i + 17]).unwrap();
    }
    let mut dialogs = FileDialogs::with_backend(Backend::Builtin);
    dialogs.set_start_dir(Some(dir));
    dialogs.open_dump();
    let mut h = Harness::builder().with_size(egui::vec2(1000.0, 700.0)).wgpu().build_ui_state(
        |ui, d: &mut FileDialogs| {
            file_dialog::file_dialog_ui(ui.ctx(), d);
        },
        dialogs,
    );
    h.run();
    h.get_by_label_contains("crash-03.dmp").click();
    h.run();
    let image = h.render().expect("render the browser");
    let out = std::env::temp_dir().join("memscape-tests").join("file-browser.png");
    image.save(&out).unwrap();
    // Something was drawn: the picture is not one flat colour.
    let first = image.get_pixel(0, 0);
    assert!(image.pixels().any(|p| p != first));
}
