//! The whole window driven by egui_kittest on wgpu (lavapipe here): open the
//! demo dump, click a region on the map and find its address and kind in the
//! details panel; search selects; a broken file shows its error while the
//! previous dump stays open. Without a GPU adapter these tests say they were
//! skipped, unless MEMSCAPE_REQUIRE_GPU=1 makes that a failure.

use crate::common;

use common::gpu_available;
use common::kittest::click_at;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use memscape::app::{DumpSource, Kept, MemscapeApp};
use memscape::dump::RegionKind;
use memscape::layout::{View, ViewKind};

/// The bundled demo dump on disk.
const DEMO_ASSET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/azure-worker-crash.dmp");

pub(crate) fn harness(source: DumpSource) -> Harness<'static, MemscapeApp> {
    harness_kept(source, Kept::default())
}

/// The window as it starts with `kept` read from eframe's storage.
pub(crate) fn harness_kept(source: DumpSource, kept: Kept) -> Harness<'static, MemscapeApp> {
    Harness::builder()
        .with_size(egui::vec2(1500.0, 900.0))
        .wgpu()
        .build_eframe(move |cc| MemscapeApp::new(cc, source, kept))
}

/// Steps the app until `done` holds (loading runs on another thread).
pub(crate) fn step_until(h: &mut Harness<'static, MemscapeApp>, what: &str, done: impl Fn(&MemscapeApp) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.run_steps(3);
}

#[test]
fn clicking_a_region_shows_its_details() {
    if !gpu_available() {
        return;
    }
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    for view in ViewKind::ALL {
        h.state_mut().set_view(View::Flat(view));
        h.run_steps(3);
        // The crashing thread's stack: a region every view draws.
        let (index, base, kind) = {
            let space = h.state().space().unwrap();
            let t = space.crashed_thread().unwrap();
            let i = space.region_index_at(t.sp.unwrap()).unwrap();
            (i, space.regions[i].base_addr, space.regions[i].kind)
        };
        assert_eq!(kind, RegionKind::Stack);
        let rect =
            h.state().screen_rect_of_region(index).unwrap_or_else(|| panic!("{view:?}: the stack is not on screen"));
        click_at(&mut h, rect.center());
        assert_eq!(h.state().selected(), Some(index), "{view:?}: the click selected another region");
        h.get_by_label_contains(&format!("0x{base:x} –"));
        let tid = h.state().space().unwrap().crashed_thread().unwrap().id;
        h.get_by_label(&format!("stack of thread 0x{tid:x}"));
        assert!(h.get_all_by_label("Stack").count() >= 2, "the details panel does not name the kind");
    }
}

#[test]
fn search_selects_a_module() {
    if !gpu_available() {
        return;
    }
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    let field = h.get_by_label("Find");
    field.focus();
    field.type_text("ntdll");
    h.run_steps(2);
    h.get_by_label("Go").click();
    h.run_steps(3);
    let space = h.state().space().unwrap();
    let selected = &space.regions[h.state().selected().expect("nothing selected")];
    let ntdll = space.modules.iter().find(|m| m.name == "ntdll.dll").unwrap();
    assert_eq!(selected.base_addr, ntdll.base_addr);
    h.get_by_label_contains("Module ntdll.dll");
    assert!(h.get_all_by_label_contains("6.0.6002.18446").count() >= 1, "ntdll's version is not shown");
}

#[test]
fn a_broken_file_shows_an_error_and_keeps_the_dump() {
    if !gpu_available() {
        return;
    }
    let broken = std::env::temp_dir().join(format!("memscape-gui-broken-{}.dmp", std::process::id()));
    std::fs::write(&broken, b"MDMP but not really a minidump at all").unwrap();
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    h.state_mut().start_loading(DumpSource::File(broken.clone()));
    step_until(&mut h, "the broken file to fail", |a| !a.is_loading());
    let _ = std::fs::remove_file(&broken);
    let err = h.state().error().expect("no error shown").to_string();
    assert!(err.contains("memscape-gui-broken"), "{err}");
    h.get_by_label_contains("error: ");
    let space = h.state().space().expect("the demo dump was closed");
    assert!(space.modules.iter().any(|m| m.name == "WaWorkerHost.exe"));
}

#[test]
fn the_map_draws_region_colours() {
    if !gpu_available() {
        return;
    }
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    // The treemap has the largest tiles at the fitted zoom.
    h.state_mut().set_view(View::Flat(ViewKind::Treemap));
    h.run_steps(3);
    let image = h.render().expect("render the window");
    // The largest Image tile on screen; sample inside its 1 px outline, near a
    // corner, away from any centred label.
    let (rect, color) = {
        let app = h.state();
        let space = app.space().unwrap();
        let rect = (0..space.regions.len())
            .filter(|i| space.regions[*i].kind == RegionKind::Image)
            .filter_map(|i| app.screen_rect_of_region(i))
            .max_by(|a, b| a.area().total_cmp(&b.area()))
            .expect("no Image region on screen");
        (rect, memscape::scene::theme::kind_color(RegionKind::Image))
    };
    assert!(rect.width() >= 8.0 && rect.height() >= 3.0, "the largest image tile is too small to sample: {rect:?}");
    let pos = rect.min + egui::vec2(3.0, rect.height() * 0.5);
    let ppp = image.width() as f32 / 1500.0;
    let px = image.get_pixel((pos.x * ppp) as u32, (pos.y * ppp) as u32).0;
    let want = color.to_array();
    let close = px.iter().zip(want).take(3).all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= 6);
    assert!(close, "pixel at {pos:?} inside the largest image tile is {px:?}, the Image colour is {want:?}");
}

#[test]
fn clicking_a_box_in_3d_shows_its_details_and_keeps_the_selection() {
    if !gpu_available() {
        return;
    }
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    for view in [View::City, View::Volume] {
        h.state_mut().set_view(view);
        h.run_steps(4);
        // The region of the largest Image module: big in both views.
        let (index, base) = {
            let space = h.state().space().unwrap();
            let m = space.modules.iter().max_by_key(|m| m.size_bytes).unwrap();
            let i = space.region_index_at(m.base_addr + m.size_bytes / 2).unwrap();
            (i, space.regions[i].base_addr)
        };
        let pos = h.state().screen_pos_of_region_3d(index).unwrap_or_else(|| panic!("{view:?}: not on screen"));
        click_at(&mut h, pos);
        let picked = h.state().selected().expect("the click selected nothing");
        let space = h.state().space().unwrap();
        // What the click picked is what the details panel shows.
        let r = &space.regions[picked];
        assert!(h.get_all_by_label_contains(&format!("0x{:x} –", r.base_addr)).count() >= 1, "{view:?}: no details");
        if view == View::City {
            // From above, the top of the largest module's box is not hidden.
            assert_eq!(picked, index, "City: picked region {picked} ({}), wanted {index} at 0x{base:x}", r.kind);
        }
    }
    // The selection survives switching back to a flat map.
    let selected = h.state().selected();
    h.state_mut().set_view(View::Flat(ViewKind::Hilbert));
    h.run_steps(3);
    assert_eq!(h.state().selected(), selected);
}

#[test]
fn threads_tab_walks_stacks_and_a_frame_selects_its_region() {
    if !gpu_available() {
        return;
    }
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    h.get_by_label("Threads (20)").click();
    h.run_steps(2);
    // The first thread's row (the table shows the rows that fit); the walk
    // runs on its own thread.
    let (tid, ip) = {
        let space = h.state().space().unwrap();
        let t = &space.threads[0];
        (t.id, t.ip.unwrap())
    };
    h.get_by_label(&tid.to_string()).click();
    let frame0 = format!("0x{ip:x}");
    let start = Instant::now();
    while h.query_by_label(&frame0).is_none() {
        assert!(start.elapsed() < Duration::from_secs(60), "no frames appeared");
        std::thread::sleep(Duration::from_millis(50));
        h.step();
    }
    h.get_by_label(&format!("Thread {tid} (0x{tid:x})"));
    // Frame 0 is the thread's context; clicking it selects the region holding it.
    h.get_by_label(&frame0).click();
    h.run_steps(3);
    let space = h.state().space().unwrap();
    let selected = h.state().selected().expect("nothing selected");
    assert!(space.regions[selected].contains(ip), "the frame selected region {selected}, not the one holding {ip:#x}");
    // And the module's details list the frames that run in it, named from
    // the demo's own symbols (written to the symbol cache for the embedded demo).
    let module = memscape::dump::windbg_module_name(&space.module_at(ip).expect("frame 0 in a module").name);
    assert!(h.get_all_by_label_contains(&format!("{module}!NtWaitForMultipleObjects+0xa")).count() >= 1);
    // Named frames stay on one line in the threads table's narrow Top frame
    // column (wrapped, they stacked a letter per line).
    for node in h.get_all_by_label(&format!("{module}!NtWaitForMultipleObjects+0xa")) {
        assert!(node.rect().height() < 24.0, "a frame label wraps: {:?}", node.rect());
    }
    h.get_by_label_contains("frames run in this region");
}

#[test]
fn modules_tab_selects_a_module_on_the_map() {
    if !gpu_available() {
        return;
    }
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    h.get_by_label("ntdll.dll").click();
    h.run_steps(3);
    let space = h.state().space().unwrap();
    let ntdll = space.modules.iter().find(|m| m.name == "ntdll.dll").unwrap();
    let selected = h.state().selected().expect("nothing selected");
    assert_eq!(space.regions[selected].base_addr, ntdll.base_addr);
    assert!(h.get_all_by_label_contains("6.0.6002.18446").count() >= 1);
    assert!(h.get_all_by_label_contains("2011-05-13").count() >= 1);
}

#[test]
fn patterns_tab_lists_findings_and_links_to_what_they_involve() {
    if !gpu_available() {
        return;
    }
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    h.get_by_label_contains("Patterns").click();
    let start = Instant::now();
    while h.query_by_label_contains("NULL Pointer (data)").is_none() {
        assert!(start.elapsed() < Duration::from_secs(60), "no findings appeared");
        std::thread::sleep(Duration::from_millis(50));
        h.step();
    }
    h.get_by_label_contains("Cloud Environment");
    h.get_by_label("[critical] NULL Pointer (data) (0.95)").click();
    h.run_steps(2);
    h.get_by_label_contains("access write of 0x0");
    // The fault is in JIT-compiled code: that finding links to the code heap's region.
    h.get_by_label("[warning] JIT Code (.NET) (0.90)").click();
    h.run_steps(2);
    h.get_by_label_contains("!ip2md 0x7ff00004d1c");
    // A module link selects the module's image...
    // (Below the details' fold at this window size: clicked through AccessKit.)
    h.get_by_label("clr.dll").click_accesskit();
    h.run_steps(3);
    let space = h.state().space().unwrap();
    let selected = h.state().selected().expect("the module link selected nothing");
    let m = space.modules.iter().find(|m| m.name == "clr.dll").unwrap();
    assert_eq!(space.regions[selected].base_addr, m.base_addr);
    // ...and the region link the code heap's block.
    h.get_by_label(&format!("0x7ff00000000 {}", memscape::dump::RegionKind::PrivateData)).click();
    h.run_steps(3);
    let space = h.state().space().unwrap();
    let selected = h.state().selected().expect("the region link selected nothing");
    assert_eq!(space.regions[selected].base_addr, 0x7ff_0000_0000);
    // The details of that region name the finding that involves it.
    h.get_by_label("JIT Code (.NET) (0.90)");
}

#[test]
fn ctrl_e_opens_the_export_window() {
    if !gpu_available() {
        return;
    }
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    assert!(h.query_by_label("Save as…").is_none());
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
    h.run_steps(3);
    h.get_by_label("Save as…");
    h.get_by_label("3840 × 2160");
    h.get_by_label_contains("Window size (");
}

#[test]
fn a_big_dump_is_laid_out_on_a_worker_while_the_window_keeps_drawing() {
    if !gpu_available() {
        return;
    }
    use memscape::synth::big::{BigDumpSpec, write_big_dump};
    let path = std::env::temp_dir().join(format!("memscape-gui-big-{}.dmp", std::process::id()));
    write_big_dump(&BigDumpSpec::new(60_000, 40, 50, 8 << 20), &path).unwrap();
    let mut h = harness(DumpSource::File(path.clone()));
    step_until(&mut h, "the big dump", |a| a.space().is_some());
    let index = {
        let space = h.state().space().unwrap();
        assert!(space.regions.len() >= memscape::scene::cache::BACKGROUND_MIN_REGIONS);
        let t = space.crashed_thread().unwrap();
        space.region_index_at(t.sp.unwrap()).unwrap()
    };
    step_until(&mut h, "the strip map", |a| a.screen_rect_of_region(index).is_some());
    // Another view: the frame right after the switch says the map is being laid
    // out (rather than showing the strip under the treemap's name)...
    h.state_mut().set_view(View::Flat(ViewKind::Treemap));
    h.step();
    assert!(h.state().is_laying_out(), "the treemap was laid out on the UI thread");
    h.get_by_label_contains("Laying out");
    assert!(h.state().screen_rect_of_region(index).is_none(), "a stale map answers for the treemap");
    // ...and then shows it, and a click picks from it.
    step_until(&mut h, "the treemap", |a| a.screen_rect_of_region(index).is_some());
    assert!(!h.state().is_laying_out());
    let rect = h.state().screen_rect_of_region(index).unwrap();
    click_at(&mut h, rect.center());
    assert_eq!(h.state().selected(), Some(index));
    std::fs::remove_file(&path).ok();
}

/// The path bar of the in-window browser (found by its value, the folder shown).
fn browser_path_bar<'h>(h: &'h Harness<'static, MemscapeApp>, shown: &'h str) -> egui_kittest::Node<'h> {
    h.get(egui_kittest::kittest::by().role(egui::accesskit::Role::TextInput).value(shown))
}

/// On a machine with neither the desktop portal nor zenity (CI's), File >
/// Open's shortcut still shows a dialog: memscape's own, in the window.
/// Elsewhere the test picks that dialog itself, so it never waits on a real one.
pub(crate) fn builtin_dialogs_unless_none_native(h: &mut Harness<'static, MemscapeApp>) -> bool {
    use memscape::ui::file_dialog::{Backend, FileDialogs, NativeSupport};
    let native = NativeSupport::probe().any() && std::env::var_os("MEMSCAPE_FILE_DIALOG").is_none();
    if native {
        eprintln!("a system file dialog could be shown here: the test uses the in-window one itself");
        *h.state_mut().file_dialogs_mut() = FileDialogs::with_backend(Backend::Builtin);
    }
    !native
}

#[test]
fn ctrl_o_shows_a_file_dialog_and_the_dump_chosen_there_opens() {
    if !gpu_available() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("memscape-gui-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("copy-of-demo.dmp");
    std::fs::copy(DEMO_ASSET, &copy).unwrap();
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    let probed = builtin_dialogs_unless_none_native(&mut h);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    // Without a native dialog, the probe itself chooses the browser; a native
    // attempt that fails at once falls back to it within a few frames too.
    let start = Instant::now();
    while h.query_by_label("Open a dump").is_none() {
        assert!(start.elapsed() < Duration::from_secs(30), "no file dialog after Ctrl+O (probed: {probed})");
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    // Go to the folder through the path bar.
    let shown =
        h.state_mut().file_dialogs_mut().browser_mut().expect("the in-window browser").dir().display().to_string();
    browser_path_bar(&h, &shown).focus();
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(2);
    browser_path_bar(&h, &shown).type_text(&dir.display().to_string());
    h.run_steps(2);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    {
        let b = h.state_mut().file_dialogs_mut().browser_mut().expect("the browser stays open");
        assert_eq!(b.dir(), dir, "the path bar did not go to the folder ({:?})", b.error());
        assert!(b.visible_names().contains(&"copy-of-demo.dmp"), "{:?}", b.visible_names());
    }
    // Select the dump, then Open.
    h.get_by_label_contains("copy-of-demo.dmp").click();
    h.run_steps(2);
    h.get_by_label("Open").click();
    h.run_steps(2);
    step_until(&mut h, "the chosen dump", |a| a.space().is_some_and(|s| s.path == copy));
    assert!(h.query_by_label("Open a dump").is_none(), "the browser closes");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn export_asks_where_in_a_file_dialog_and_writes_the_picture() {
    if !gpu_available() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("memscape-gui-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    builtin_dialogs_unless_none_native(&mut h);
    h.state_mut().file_dialogs_mut().set_start_dir(Some(dir.clone()));
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
    h.run_steps(3);
    h.get_by_label("Save as…").click();
    let start = Instant::now();
    while h.query_by_label("Save image as").is_none() {
        assert!(start.elapsed() < Duration::from_secs(30), "no save dialog");
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.get_by_label("Save").click();
    h.run_steps(2);
    let png = dir.join("memscape-strip.png");
    // The export dialog's status line says when the picture is written.
    let start = Instant::now();
    while h.query_by_label_contains("Saved ").is_none() {
        assert!(h.query_by_label_contains("error:").is_none(), "the export failed");
        assert!(start.elapsed() < Duration::from_secs(120), "{} was not written", png.display());
        std::thread::sleep(Duration::from_millis(50));
        h.step();
    }
    let img = image::open(&png).expect("a readable PNG");
    assert!(img.width() >= 16 && img.height() >= 16);
    std::fs::remove_dir_all(&dir).ok();
}

/// The File menu's button (the summary panel has a "File" row too).
pub(crate) fn file_menu<'h>(h: &'h Harness<'static, MemscapeApp>) -> egui_kittest::Node<'h> {
    h.get_all_by_label("File").next().expect("the File menu")
}

/// Clicks a menu item: the pointer moves there first, as a hand would.
pub(crate) fn menu_item(h: &mut Harness<'static, MemscapeApp>, label: &str) {
    let at = h.get_by_label(label).rect().center();
    h.hover_at(at);
    h.run_steps(2);
    click_at(h, at);
}

#[test]
fn recent_files_and_symbol_settings_survive_a_restart() {
    if !gpu_available() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("memscape-gui-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("restart.dmp");
    std::fs::copy(DEMO_ASSET, &copy).unwrap();
    // First run: open a dump, switch HTTP symbol servers on in the Symbols window.
    let mut h = harness(DumpSource::File(copy.clone()));
    step_until(&mut h, "the dump", |a| a.space().is_some_and(|s| s.path == copy));
    file_menu(&h).click();
    h.run_steps(2);
    menu_item(&mut h, "Symbol settings…");
    h.get_by_label("Download from symbol servers").click();
    h.run_steps(2);
    assert!(h.state().kept().symbols.use_http, "the checkbox did not switch HTTP on");
    let mut storage = common::MemoryStorage::default();
    eframe::App::save(h.state_mut(), &mut storage);
    drop(h);

    // Second run, from what the first one stored.
    let mut h = harness_kept(DumpSource::Demo, Kept::from_storage(Some(&storage)));
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    let kept = h.state().kept();
    assert!(kept.symbols.use_http, "the symbol settings were not kept");
    let recent = std::fs::canonicalize(&copy).unwrap();
    assert_eq!(kept.recent.paths().first(), Some(&recent), "the recent files were not kept");
    // ...and the menu offers it.
    file_menu(&h).click();
    h.run_steps(2);
    h.get_by_label("Open recent").hover();
    h.run_steps(2);
    menu_item(&mut h, &recent.display().to_string());
    step_until(&mut h, "the recent dump", |a| a.space().is_some_and(|s| s.path == recent || s.path == copy));
    std::fs::remove_dir_all(&dir).ok();
}

/// The Volume's opacity sliders are for the kinds the dump has (counted
/// once with the legend's figures, not every frame): each such kind is
/// named twice on the left, once in the legend and once over its slider.
#[test]
fn volume_controls_offer_a_slider_per_kind_present() {
    if !gpu_available() {
        return;
    }
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    let counts = h.state().space().unwrap().regions_by_kind();
    let named = |h: &Harness<'static, MemscapeApp>, kind: RegionKind| h.query_all_by_label(kind.name()).count();
    let before: Vec<usize> = RegionKind::ALL.iter().map(|k| named(&h, *k)).collect();
    h.state_mut().set_view(View::Volume);
    step_until(&mut h, "the volume", |a| !a.is_laying_out());
    h.get_by_label("Opacity per kind");
    for (i, kind) in RegionKind::ALL.iter().enumerate() {
        let more = usize::from(counts[kind] > 0);
        assert_eq!(named(&h, *kind), before[i] + more, "{kind:?}: {} regions", counts[kind]);
    }
}
