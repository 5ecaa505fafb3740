//! Two dumps compared (`analysis::diff`, `memscape diff`).
//!
//! A C program built here changes its address space between two moments: it
//! unmaps one mapping, makes another read-only, maps 32 MiB more, loads a
//! library with dlopen and starts a thread. At each moment the test copies
//! `/proc/PID/maps`, has gdb's `gcore` write a core and minidump-writer a
//! minidump. The minidumps' diff and the cores' diff must
//! say what the two maps copies say: the bytes born, died and changed (with
//! the same protection or file on each side) are the maps' (but `[vvar]`,
//! `[vvar_vclock]`, `[vsyscall]`, which no core holds), the library is among
//! the loaded modules and the thread among those started. The command line
//! prints the same in DESIGN.md's JSON shape.
//!
//! The same pair (made once, shared by the tests here) is then compared as
//! the maps show it: B's map cut at every change, the Change colouring's
//! pixels in `memscape shot B --compare A`, a core compared with a
//! minidump, and the window's File > Compare with…, Shift+drop, Changes tab,
//! details panel and Stop comparing, driven with egui_kittest.
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use memscape::analysis::compare::{ChangeClass, compare};
use memscape::analysis::diff::{Change, diff};
use memscape::app::DumpSource;
use memscape::dump::{AddressSpace, RegionKind};
use memscape::export::{PictureOptions, render_picture};
use memscape::layout::{View, ViewKind};
use memscape::scene::theme::{self, ColorMode};
use memscape::scene::{Filters, RegionChanges};
use minidump_writer::minidump_writer::MinidumpWriterConfig;

use crate::common;
use common::{c_compiler, gpu_available, scratch_path, tool};

const PROGRAM: &str = r#"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *idle(void *a) { (void)a; for (;;) pause(); return 0; }

int main(void) {
    char line[16];
    char *gone = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *frozen = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(gone, 1, 1 << 20);
    memset(frozen, 2, 1 << 20);
    printf("ONE\n");
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) return 1;
    munmap(gone, 1 << 20);
    mprotect(frozen, 1 << 20, PROT_READ);
    char *more = mmap(0, 32 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(more, 3, 32 << 20);
    if (!dlopen("libm.so.6", RTLD_NOW)) return 2;
    pthread_t t;
    pthread_create(&t, 0, idle, 0);
    usleep(100000);
    printf("TWO\n");
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) return 3;
    return 0;
}
"#;

/// Bytes born, died and changed between two maps copies (the same overlay
/// the model does, on the kernel's own lines).
fn expected(a: &str, b: &str) -> (u64, u64, u64) {
    let (a, b) = (common::proc_maps::lines(a), common::proc_maps::lines(b));
    let mut cuts: Vec<u64> = a.iter().chain(&b).flat_map(|(s, e, _, _)| [*s, *e]).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let at = |m: &[common::proc_maps::MapsLine], x: u64| {
        m.iter().find(|(s, e, _, _)| *s <= x && x < *e).map(|(_, _, p, f)| (*p, f.clone()))
    };
    let (mut born, mut died, mut changed) = (0, 0, 0);
    for w in cuts.windows(2) {
        let len = w[1] - w[0];
        match (at(&a, w[0]), at(&b, w[0])) {
            (None, Some(_)) => born += len,
            (Some(_), None) => died += len,
            (Some(x), Some(y)) if x != y => changed += len,
            _ => {}
        }
    }
    (born, died, changed)
}

fn gcore(gdb: &str, pid: u32, path: &Path) {
    let out = Command::new(gdb)
        .args(["-batch", "-nx", "-p", &pid.to_string(), "-ex"])
        .arg(format!("gcore {}", path.display()))
        .output()
        .expect("run gdb");
    assert!(path.is_file(), "gcore wrote nothing: {}", String::from_utf8_lossy(&out.stderr));
}

/// One live child at two moments: the `/proc/PID/maps` copies, gcore's
/// cores and minidump-writer's minidumps, by moment.
struct Pair {
    maps: [String; 2],
    cores: [PathBuf; 2],
    dumps: [PathBuf; 2],
}

/// The pair, made once for all the tests here; None (the test skips) without gcc or gdb.
fn pair() -> Option<&'static Pair> {
    static PAIR: OnceLock<Option<Pair>> = OnceLock::new();
    PAIR.get_or_init(make_pair).as_ref()
}

fn make_pair() -> Option<Pair> {
    let gcc = c_compiler()?;
    let gdb = tool("gdb")?;
    let dir = scratch_path("diffprog-dir");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("diffprog.c"), PROGRAM).unwrap();
    let exe = dir.join("diffprog");
    let out = Command::new(gcc)
        .args(["-g", "-O1", "-pthread", "-o"])
        .arg(&exe)
        .arg(dir.join("diffprog.c"))
        .arg("-ldl")
        .output();
    let out = out.expect("run gcc");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut child = Command::new(&exe).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("start");
    let pid = child.id();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut moments: Vec<(String, PathBuf)> = Vec::new();
    for (word, name) in [("ONE", "a.core"), ("TWO", "b.core")] {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), word);
        let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
        let core = dir.join(name);
        gcore(gdb, pid, &core);
        // And a minidump of the same moment (minidump-writer, as Breakpad writes them).
        let mut file = std::fs::File::create(core.with_extension("dmp")).unwrap();
        MinidumpWriterConfig::new(pid as i32, pid as i32).write(&mut file).expect("minidump-writer (needs ptrace)");
        moments.push((text, core));
        child.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
    }
    let _ = child.wait();
    let [(ma, ca), (mb, cb)] = <[(String, PathBuf); 2]>::try_from(moments).ok()?;
    let dumps = [ca.with_extension("dmp"), cb.with_extension("dmp")];
    Some(Pair { maps: [ma, mb], cores: [ca, cb], dumps })
}

#[test]
fn diffs_of_two_cores_and_two_minidumps_say_what_proc_maps_says() {
    let Some(pair) = pair() else { return };
    let moments = [(pair.maps[0].clone(), pair.cores[0].clone()), (pair.maps[1].clone(), pair.cores[1].clone())];

    // The minidumps say the same as the maps.
    let a = AddressSpace::open(moments[0].1.with_extension("dmp")).unwrap();
    let b = AddressSpace::open(moments[1].1.with_extension("dmp")).unwrap();
    let d = diff(&a, &b);
    assert_eq!(d.totals(), expected(&moments[0].0, &moments[1].0), "minidumps: {:#?}", d.regions);
    assert!(d.modules.loaded.iter().any(|m| m.ends_with("libm.so.6")), "minidumps: {:?}", d.modules);
    assert_eq!(d.threads.started.len(), 1, "minidumps: {:?}", d.threads);

    let a = AddressSpace::open(&moments[0].1).unwrap();
    let b = AddressSpace::open(&moments[1].1).unwrap();
    let d = diff(&a, &b);
    let (born, died, changed) = d.totals();
    let (want_born, want_died, want_changed) = expected(&moments[0].0, &moments[1].0);
    let shown: BTreeMap<&str, (u64, u64)> =
        [("born", (born, want_born)), ("died", (died, want_died)), ("changed", (changed, want_changed))].into();
    for (what, (ours, theirs)) in &shown {
        assert_eq!(ours, theirs, "{what} bytes: memscape {ours:#x}, /proc/PID/maps {theirs:#x}\n{:#?}", d.regions);
    }
    // The freed megabyte is partly reused by the new mapping, as the kernel places them.
    assert!(born >= 32 << 20 && died > 0 && changed >= 1 << 20, "{shown:?}");
    assert!(d.regions.iter().any(|r| r.change == Change::Changed && r.size_bytes() == 1 << 20), "the mprotect");
    assert!(d.modules.loaded.iter().any(|m| m.ends_with("libm.so.6")), "{:?}", d.modules);
    assert_eq!(d.threads.started.len(), 1, "{:?}", d.threads);
    assert!(d.threads.ended.is_empty());
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);

    // The command line, in DESIGN.md's shape.
    let run = common::process::memscape(
        &["diff", moments[0].1.to_str().unwrap(), moments[1].1.to_str().unwrap(), "--json"],
        &[],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for key in ["a", "b", "regions", "modules", "threads", "bytes_by_kind", "findings"] {
        assert!(json.get(key).is_some(), "no {key}");
    }
    let regions = json["regions"].as_array().unwrap();
    let born_json: u64 = regions.iter().filter(|r| r["change"] == "born").map(|r| r["size"].as_u64().unwrap()).sum();
    assert_eq!(born_json, born);
    assert!(regions.iter().all(|r| (r["change"] == "born") == r["a"].is_null()));
    assert!(json["modules"]["loaded"].as_array().unwrap().iter().any(|m| m.as_str().unwrap().ends_with("libm.so.6")));
    assert_eq!(json["threads"]["started"].as_array().unwrap().len(), 1);
    let heap_like = &json["bytes_by_kind"]["PrivateData"];
    assert!(heap_like["delta"].as_i64().unwrap() >= 30 << 20, "32 MiB mapped, 1 MiB unmapped: {heap_like}");
    let text =
        common::process::memscape(&["diff", moments[0].1.to_str().unwrap(), moments[1].1.to_str().unwrap()], &[]);
    assert!(text.stdout.contains("Threads started: ") && text.stdout.contains("Usage Summary"), "{}", text.stdout);
}

fn open(path: &Path) -> AddressSpace {
    AddressSpace::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The 32 MiB the child maps between the moments: the line of B's maps
/// copy, of exactly that size, that A's does not have.
fn new_mapping(pair: &Pair) -> (u64, u64) {
    let (a, b) = (common::proc_maps::lines(&pair.maps[0]), common::proc_maps::lines(&pair.maps[1]));
    b.iter()
        .find(|(s, e, _, _)| e - s == 32 << 20 && !a.iter().any(|(x, y, _, _)| x == s && y == e))
        .map(|(s, e, _, _)| (*s, *e))
        .expect("the 32 MiB mapping in B's maps")
}

#[test]
fn the_cut_map_holds_one_change_per_region_and_covers_b() {
    let Some(pair) = pair() else { return };
    for (what, [a, b]) in [("cores", &pair.cores), ("minidumps", &pair.dumps)] {
        let (a, b) = (open(a), open(b));
        let (cut, cmp) = compare(&a, &b);
        assert_eq!(cut.regions.len(), cmp.classes.len(), "{what}");
        assert_eq!(cut.regions.first().map(|r| r.base_addr), b.regions.first().map(|r| r.base_addr), "{what}");
        assert_eq!(cut.regions.last().map(|r| r.end_addr()), b.regions.last().map(|r| r.end_addr()), "{what}");
        for w in cut.regions.windows(2) {
            assert_eq!(w[0].end_addr(), w[1].base_addr, "{what}: a gap or overlap in the cut map");
        }
        // Bytes per class are the diff's totals.
        let bytes = cmp.bytes_by_class(&cut);
        assert_eq!((bytes[0], bytes[1], bytes[2]), cmp.diff.totals(), "{what}");
        for (i, r) in cut.regions.iter().enumerate() {
            // Each piece lies wholly inside one change, or in none.
            match cmp.change_at(r.base_addr) {
                Some(c) => {
                    assert!(c.base_addr <= r.base_addr && r.end_addr() <= c.end_addr, "{what}: {r:?} crosses {c:?}");
                    assert_eq!(cmp.class_of(i).name(), c.change.name(), "{what}: {r:?}");
                }
                None => {
                    assert_eq!(cmp.class_of(i), ChangeClass::Unchanged, "{what}: {r:?}");
                    assert!(cmp.change_at(r.end_addr() - 1).is_none(), "{what}: {r:?} runs into a change");
                }
            }
            // And keeps what B says of that place.
            let orig = b.region_at(r.base_addr).expect("B covers the cut map");
            assert!(r.end_addr() <= orig.end_addr(), "{what}: {r:?} crosses B's {orig:?}");
            assert_eq!((r.kind, r.state, r.protect, &r.label), (orig.kind, orig.state, orig.protect, &orig.label));
        }
        let captured = |s: &AddressSpace| s.regions.iter().map(|r| r.captured_bytes).sum::<u64>();
        assert_eq!(captured(&cut), captured(&b), "{what}: captured bytes");
        // The new mapping is born, byte for byte.
        let (start, end) = new_mapping(pair);
        let i = cut.region_index_at(start).unwrap();
        let mut at = start;
        for (j, r) in cut.regions.iter().enumerate().skip(i).take_while(|(_, r)| r.base_addr < end) {
            assert_eq!(cmp.class_of(j), ChangeClass::Born, "{what}: {r:?} of the new mapping");
            at = r.end_addr();
        }
        assert!(at >= end, "{what}");
    }
}

#[test]
fn a_core_and_a_minidump_of_the_next_moment_compare_with_a_warning() {
    let Some(pair) = pair() else { return };
    let cores = diff(&open(&pair.cores[0]), &open(&pair.cores[1]));
    let (start, end) = new_mapping(pair);
    for (a, b) in [(&pair.cores[0], &pair.dumps[1]), (&pair.dumps[0], &pair.cores[1])] {
        let what = format!("{} -> {}", a.display(), b.display());
        let (cut, cmp) = compare(&open(a), &open(b));
        let d = &cmp.diff;
        assert!(d.warnings.iter().any(|w| w.contains("different sources")), "{what}: {:?}", d.warnings);
        assert!(!d.warnings.iter().any(|w| w.contains("different processes")), "{what}: {:?}", d.warnings);
        assert!(d.modules.loaded.iter().any(|m| m.ends_with("libm.so.6")), "{what}: {:?}", d.modules);
        assert_eq!(d.threads.started, cores.threads.started, "{what}");
        let i = cut.region_index_at(start).unwrap();
        assert_eq!(cmp.class_of(i), ChangeClass::Born, "{what}: the new mapping");
        assert!(cmp.change_at(end - 1).is_some_and(|c| c.change == Change::Born), "{what}");
    }
}

/// Whether two colours are within a few steps on each channel.
fn near(px: [u8; 4], want: egui::Color32) -> bool {
    px.iter().zip(want.to_array()).take(3).all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= 6)
}

#[test]
fn shot_compare_colours_born_died_and_unchanged_memory() {
    let Some(pair) = pair() else { return };
    if !gpu_available() {
        return;
    }
    let [a_path, b_path] = &pair.cores;
    let size = [1600u32, 1200];
    let png = scratch_path("compare-shot").with_extension("png");
    let run = common::process::memscape(
        &[
            "shot",
            b_path.to_str().unwrap(),
            "--compare",
            a_path.to_str().unwrap(),
            "--view",
            "hilbert",
            "--size",
            "1600x1200",
            "-o",
            png.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let shot = image::open(&png).expect("a PNG").to_rgba8();
    assert_eq!([shot.width(), shot.height()], size);

    // Where the regions land: the same picture, laid out by the library.
    let (a, b) = (open(a_path), open(b_path));
    let (cut, cmp) = compare(&a, &b);
    let changes = Filters {
        color_mode: ColorMode::Change,
        changes: Some(RegionChanges(cmp.classes.clone().into())),
        ..Filters::default()
    };
    let opts = PictureOptions { filters: changes.clone(), ..PictureOptions::new(View::Flat(ViewKind::Hilbert), size) };
    let picture = render_picture(&cut, &opts).unwrap();
    let rect_of = |i: usize| picture.screen_rect_of(i as u32).unwrap_or_else(|| panic!("region {i} is not drawn"));
    let at = |p: egui::Pos2| shot.get_pixel(p.x as u32, p.y as u32).0;

    // Born: the new 32 MiB, in the born colour (inside its 1 px border).
    let (start, _) = new_mapping(pair);
    let born = cut.region_index_at(start).unwrap();
    let r = rect_of(born);
    let p = r.min + egui::vec2(3.0, 3.0);
    assert!(near(at(p), theme::CHANGE_COLORS[0].1), "born at {p:?}: {:?}", at(p));

    // Unchanged: libc's largest piece, its kind's colour dimmed.
    let libc = (0..cut.regions.len())
        .filter(|&i| cmp.class_of(i) == ChangeClass::Unchanged && cut.regions[i].label.contains("libc"))
        .max_by_key(|&i| rect_of(i).area() as u64)
        .expect("an unchanged libc region");
    let want = changes.color_of(libc, &cut.regions[libc]);
    assert_ne!(want, theme::kind_color(RegionKind::Image), "unchanged memory is dimmed");
    let r = rect_of(libc);
    let p = r.min + egui::vec2(3.0, 3.0);
    assert!(near(at(p), want), "unchanged libc at {p:?}: {:?}, want {want:?}", at(p));

    // Died: an outline in the died colour around the background.
    let died = (0..cut.regions.len())
        .filter(|&i| cmp.class_of(i) == ChangeClass::Died)
        .max_by_key(|&i| rect_of(i).area() as u64)
        .expect("memory that died");
    let r = rect_of(died);
    assert!(r.width() >= 8.0 && r.height() >= 8.0, "the died tile is too small to look inside: {r:?}");
    // The outline is a pixel wide inside the tile and antialiased: where its edge falls
    // between pixels (the layout follows the child's addresses, which change
    // from run to run) no pixel is fully covered. The most covered pixel
    // across the edge is at least half outline and on the line from the
    // background to the died colour.
    let y = r.center().y as u32;
    let x0 = r.min.x.floor() as u32;
    let edge = (x0..x0 + 3).map(|x| shot.get_pixel(x, y).0).max_by_key(|p| p[0]).unwrap();
    let (bg, died_color) = (theme::MAP_BACKGROUND.to_array(), theme::CHANGE_COLORS[1].1.to_array());
    let t = (f32::from(edge[0]) - f32::from(bg[0])) / (f32::from(died_color[0]) - f32::from(bg[0]));
    assert!(t >= 0.5, "died outline near x {} at y {y}: {edge:?} (coverage {t:.2})", r.min.x);
    for c in 0..3 {
        let want = f32::from(bg[c]) + t * (f32::from(died_color[c]) - f32::from(bg[c]));
        assert!((f32::from(edge[c]) - want).abs() <= 12.0, "died outline {edge:?}: channel {c}, want {want:.0}");
    }
    let inside = r.center();
    assert!(near(at(inside), theme::MAP_BACKGROUND), "died inside at {inside:?}: {:?}", at(inside));

    // Without --compare the same place is coloured by kind.
    let plain = render_picture(&b, &PictureOptions::new(View::Flat(ViewKind::Hilbert), size)).unwrap();
    let i = b.region_index_at(start).unwrap();
    let r = plain.screen_rect_of(i as u32).unwrap();
    let p = r.min + egui::vec2(3.0, 3.0);
    let px = plain.image.get_pixel(p.x as u32, p.y as u32).0;
    assert!(near(px, theme::kind_color(b.regions[i].kind)), "plain picture at {p:?}: {px:?}");
    std::fs::remove_file(&png).ok();
}

/// A file dropped on the window (egui's drop is a trait).
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn the_window_compares_with_file_compare_with_and_shift_drop() {
    use crate::gui::{builtin_dialogs_unless_none_native, file_menu, harness, menu_item, step_until};
    use egui_kittest::kittest::Queryable;
    let Some(pair) = pair() else { return };
    if !gpu_available() {
        return;
    }
    let [a_path, b_path] = &pair.cores;
    let mut h = harness(DumpSource::File(b_path.clone()));
    step_until(&mut h, "dump B", |app| app.space().is_some());
    let opened = h.state().space().unwrap().regions.len();
    assert!(h.query_by_label_contains("Changes (").is_none(), "no Changes tab before comparing");

    // File > Compare with… shows a file dialog; the dump chosen there is A.
    builtin_dialogs_unless_none_native(&mut h);
    h.state_mut().file_dialogs_mut().set_start_dir(a_path.parent().map(Path::to_path_buf));
    file_menu(&h).click();
    h.run_steps(2);
    menu_item(&mut h, "Compare with…");
    let start = Instant::now();
    while h.query_by_label("Compare with an earlier dump").is_none() {
        assert!(start.elapsed() < Duration::from_secs(30), "no file dialog for Compare with…");
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.get_by_label_contains("a.core").click();
    h.run_steps(2);
    h.get_by_label("Open").click();
    h.run_steps(2);
    step_until(&mut h, "the comparison", |app| app.comparison().is_some());
    assert_eq!(h.state().space().unwrap().path, *b_path, "B stays the open dump");
    assert_eq!(h.state().filters().color_mode, ColorMode::Change, "a comparison colours by change");
    let n = h.state().comparison().unwrap().diff.regions.len();
    h.get_by_label(&format!("Changes ({n})"));

    // The map draws the new mapping in the born colour.
    let (start, _) = new_mapping(pair);
    let born = h.state().space().unwrap().region_index_at(start).unwrap();
    h.run_steps(3);
    let image = h.render().expect("render the window");
    let r = h.state().screen_rect_of_region(born).expect("the new mapping is on the map");
    let ppp = image.width() as f32 / 1500.0;
    let p = egui::pos2(r.min.x + 3.0, r.center().y);
    let px = image.get_pixel((p.x * ppp) as u32, (p.y * ppp) as u32).0;
    assert!(near(px, theme::CHANGE_COLORS[0].1), "born on the map at {p:?}: {px:?}");

    // A row of the Changes tab selects its range; the details show both sides.
    let change_base = h.state().comparison().unwrap().change_at(start).unwrap().base_addr;
    h.get_by_label(&memscape::format::hex(change_base)).click();
    h.run_steps(3);
    let selected = h.state().selected().expect("a selection");
    assert_eq!(h.state().space().unwrap().regions[selected].base_addr, change_base);
    h.get_by_label("Since a.core:");
    h.get_by_label("A (before)");
    h.get_by_label("B (this dump)");

    // Stop comparing: the dump as opened, coloured by kind.
    file_menu(&h).click();
    h.run_steps(2);
    menu_item(&mut h, "Stop comparing");
    h.run_steps(3);
    assert!(h.state().comparison().is_none());
    assert_eq!(h.state().space().unwrap().regions.len(), opened);
    assert_eq!(h.state().filters().color_mode, ColorMode::Kind);
    assert!(h.query_by_label_contains("Changes (").is_none(), "the Changes tab goes with the comparison");

    // A dump dropped with Shift held is compared with, not opened.
    h.event(egui::Event::ModifiersChanged(egui::Modifiers::SHIFT));
    h.step();
    h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(a_path.clone())));
    h.step();
    h.event(egui::Event::ModifiersChanged(egui::Modifiers::NONE));
    step_until(&mut h, "the comparison after a Shift+drop", |app| app.comparison().is_some());
    assert_eq!(h.state().space().unwrap().path, *b_path);
    assert_eq!(h.state().comparison().unwrap().diff.regions.len(), n);

    // A broken earlier dump: an error that names it; the comparison shown stays.
    let broken = common::write_scratch("broken-earlier", b"MDMP\x93\xa7\x00\x00 not a dump");
    h.state_mut().start_comparing(broken.clone());
    step_until(&mut h, "the error", |app| app.error().is_some());
    let name = broken.file_name().unwrap().to_string_lossy().into_owned();
    assert!(h.state().error().unwrap().contains(&name), "{:?}", h.state().error());
    assert_eq!(h.state().comparison().unwrap().diff.regions.len(), n);
    std::fs::remove_file(&broken).ok();

    // `memscape B --compare A`: the comparison follows the load.
    let mut h = harness(DumpSource::File(b_path.clone()));
    h.state_mut().compare_after_load(a_path.clone());
    step_until(&mut h, "B compared with A from the start", |app| app.comparison().is_some());
    assert_eq!(h.state().space().unwrap().path, *b_path);
    assert_eq!(h.state().comparison().unwrap().diff.regions.len(), n);
    // --compare names the earlier dump of the dump opened: alone it is a usage error.
    let run = common::process::memscape(&["--compare", a_path.to_str().unwrap()], &[]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
}
