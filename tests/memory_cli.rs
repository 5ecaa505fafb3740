//! Memory contents from the command line (`memory`, `strings`, `refs`) and
//! the scans under them, checked against peers on the shared dumps, the
//! demo dump and a big generated dump:
//! - bytes equal the MemoryList / Memory64List ranges as rust-minidump
//!   reads them, `??` exactly where no range holds a byte;
//! - strings equal what GNU strings (`-a -n N -t x`, `-e s` and `-e l`)
//!   finds in each captured range written out as a file;
//! - references equal a brute-force scan of every aligned word.

use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;

use memscape::analysis::refs::for_each_reference;
use memscape::analysis::strings::{Encoding, MAX_TEXT_CHARS, StringOptions, for_each_string};
use memscape::dump::{AddressSpace, RegionKind};
use minidump::{Minidump, MinidumpMemory64List, MinidumpMemoryList};

use crate::common;
use common::{corpus_dir, read_manifest, scratch_path, tool};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/azure-worker-crash.dmp");

/// The shared minidumps and the demo dump.
fn dumps() -> Vec<PathBuf> {
    let mut out = vec![PathBuf::from(DEMO)];
    if let Some(dir) = corpus_dir() {
        out.extend(read_manifest(&dir).iter().map(|row| dir.join(row.file())));
    }
    out
}

/// A big generated dump: 64 MiB captured over thousands of ranges.
fn big_dump() -> PathBuf {
    use memscape::synth::big::{BigDumpSpec, write_big_dump};
    let path = scratch_path("memory-big");
    write_big_dump(&BigDumpSpec::new(20_000, 40, 40, 64 << 20), &path).expect("write the big dump");
    path
}

/// The memory ranges as rust-minidump reads them: (base, bytes).
fn crate_ranges(path: &Path) -> Vec<(u64, Vec<u8>)> {
    let dump = Minidump::read_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    if let Ok(list) = dump.get_stream::<MinidumpMemoryList>() {
        out.extend(list.iter().map(|m| (m.base_address, m.bytes.to_vec())));
    }
    if let Ok(list) = dump.get_stream::<MinidumpMemory64List>() {
        out.extend(list.iter().map(|m| (m.base_address, m.bytes.to_vec())));
    }
    out
}

/// The byte rust-minidump's ranges hold at `addr`: None when none holds it,
/// Some(None) when overlapping ranges disagree (not compared).
fn crate_byte(ranges: &[(u64, Vec<u8>)], addr: u64) -> Option<Option<u8>> {
    let mut seen: Option<u8> = None;
    let mut any = false;
    for (base, bytes) in ranges {
        if addr >= *base && addr - base < bytes.len() as u64 {
            let b = bytes[(addr - base) as usize];
            if any && seen != Some(b) {
                return Some(None);
            }
            seen = Some(b);
            any = true;
        }
    }
    any.then_some(seen)
}

fn hex_bytes(bytes: &[u8], held: &[bool]) -> String {
    bytes.iter().zip(held).map(|(b, h)| if *h { format!("{b:02x}") } else { "??".into() }).collect()
}

#[test]
fn memory_equals_the_memory_lists_as_rust_minidump_reads_them() {
    for path in dumps() {
        let space = AddressSpace::open(&path).unwrap();
        let ranges = crate_ranges(&path);
        assert!(!ranges.is_empty(), "{}: no memory ranges", path.display());
        // The largest ranges and a spread of the others, whole or their first 4 KiB.
        let mut picks: Vec<usize> = (0..ranges.len()).step_by((ranges.len() / 40).max(1)).collect();
        picks.extend((0..ranges.len()).max_by_key(|&i| ranges[i].1.len()));
        for i in picks {
            let (base, bytes) = &ranges[i];
            let n = bytes.len().min(4096);
            // Four bytes before and after the range, too: held or not as the crate's ranges say.
            let start = base.saturating_sub(4);
            let len = n + (base - start) as usize + 4;
            let (mut buf, mut held) = (vec![0u8; len], vec![false; len]);
            space.read_memory(start, &mut buf, &mut held);
            for k in 0..len {
                let addr = start + k as u64;
                match crate_byte(&ranges, addr) {
                    None => assert!(!held[k], "{}: {addr:#x} is held but no range has it", path.display()),
                    Some(None) => {}
                    Some(Some(b)) => {
                        assert!(held[k], "{}: {addr:#x} is in a memory range but not held", path.display());
                        assert_eq!(buf[k], b, "{}: byte at {addr:#x}", path.display());
                    }
                }
            }
        }
        // The command line gives the same bytes in DESIGN.md's shape.
        let (base, bytes) = ranges.iter().max_by_key(|(_, b)| b.len()).unwrap();
        let len = bytes.len().min(300) + 5;
        let run = common::process::memscape(
            &["memory", path.to_str().unwrap(), &format!("{base:x}"), "--length", &len.to_string(), "--json"],
            &[],
        );
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(json["address"], format!("0x{base:x}"));
        assert_eq!(json["length"], len);
        let (mut buf, mut held) = (vec![0u8; len], vec![false; len]);
        space.read_memory(*base, &mut buf, &mut held);
        assert_eq!(json["bytes"].as_str().unwrap(), hex_bytes(&buf, &held), "{}", path.display());
        assert!(json["bytes"].as_str().unwrap().starts_with(&hex_bytes(&bytes[..16], &[true; 16])));
    }
}

#[test]
fn memory_text_is_db_like_and_bad_lengths_are_refused() {
    let space = AddressSpace::open(DEMO).unwrap();
    let (base, bytes) = space.captured_slices().next().map(|(b, s)| (b, s.to_vec())).unwrap();
    let run = common::process::memscape(&["memory", DEMO, &format!("{base:x}"), "--length", "16"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let want: Vec<String> = bytes[..16].iter().map(|b| format!("{b:02x}")).collect();
    let line = run.stdout.lines().next().unwrap();
    assert!(line.contains(&format!("{}-{}", want[..8].join(" "), want[8..].join(" "))), "{line}");
    // A free page: all ??.
    let free = space.regions.iter().find(|r| r.kind == RegionKind::Free && r.base_addr > 0).unwrap();
    let run = common::process::memscape(&["memory", DEMO, &format!("{:x}", free.base_addr), "--length", "8"], &[]);
    assert!(run.stdout.contains("?? ?? ?? ?? ?? ?? ?? ??"), "{}", run.stdout);
    // Past the end of the address space: an error naming the file.
    let run = common::process::memscape(&["memory", DEMO, "ffffffffffffff00", "--length", "1K"], &[]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("azure-worker-crash.dmp") && run.stderr.contains("past the end"), "{}", run.stderr);
    let run = common::process::memscape(&["memory", DEMO, "not-hex"], &[]);
    assert_eq!(run.code, Some(2));
}

/// What GNU strings finds in each file: (file index, offset, text).
fn gnu_strings(strings: &str, files: &[PathBuf], min: usize, encoding: &str) -> BTreeSet<(usize, u64, String)> {
    let mut out = BTreeSet::new();
    for (chunk_no, chunk) in files.chunks(200).enumerate() {
        let run = Command::new(strings)
            .args(["-a", "-f", "-t", "x", "-n", &min.to_string(), "-e", encoding])
            .args(chunk)
            .output()
            .expect("run strings");
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        let text = String::from_utf8_lossy(&run.stdout).into_owned();
        for line in text.lines() {
            // "FILE:  offset text"; file names here have no ':'.
            let Some((file, rest)) = line.split_once(": ") else { continue };
            let Some(i) = chunk.iter().position(|f| f.to_str() == Some(file)) else { continue };
            let rest = rest.trim_start();
            let (off, s) = rest.split_once(' ').unwrap_or((rest, ""));
            let off = u64::from_str_radix(off, 16).expect("a hex offset");
            out.insert((chunk_no * 200 + i, off, s.to_string()));
        }
    }
    out
}

/// Checks memscape's strings of `space` against GNU strings run on each captured range.
fn strings_match_gnu(space: &AddressSpace, strings_tool: &str, min: usize, what: &str) -> [usize; 2] {
    let dir = scratch_path("strings-ranges");
    std::fs::create_dir_all(&dir).unwrap();
    let slices: Vec<(u64, &[u8])> = space.captured_slices().collect();
    let files: Vec<PathBuf> = slices
        .iter()
        .enumerate()
        .map(|(i, (_, bytes))| {
            let f = dir.join(format!("r{i}.bin"));
            std::fs::write(&f, bytes).unwrap();
            f
        })
        .collect();
    let mut counts = [0usize; 2];
    for (k, (encoding, gnu_enc, opts)) in [
        (Encoding::Ascii, "s", StringOptions { min_len: min, ascii: true, utf16: false }),
        (Encoding::Utf16, "l", StringOptions { min_len: min, ascii: false, utf16: true }),
    ]
    .into_iter()
    .enumerate()
    {
        let gnu = gnu_strings(strings_tool, &files, min, gnu_enc);
        let mut ours = BTreeSet::new();
        let mut long = 0;
        for_each_string(space, &opts, None, &mut |s| {
            assert_eq!(s.encoding, encoding);
            let i = slices.partition_point(|(b, bytes)| b + bytes.len() as u64 <= s.addr);
            // Only the kept prefix of a long string is compared (GNU's is cut the same way below).
            if s.len > MAX_TEXT_CHARS {
                long += 1;
            }
            ours.insert((i, s.addr - slices[i].0, s.text.clone()));
            ControlFlow::Continue(())
        });
        let gnu: BTreeSet<(usize, u64, String)> = gnu
            .into_iter()
            .map(|(i, off, t)| {
                let t = if t.chars().count() > MAX_TEXT_CHARS { t.chars().take(MAX_TEXT_CHARS).collect() } else { t };
                (i, off, t)
            })
            .collect();
        let missing: Vec<_> = gnu.difference(&ours).take(5).collect();
        let extra: Vec<_> = ours.difference(&gnu).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{what} -e {gnu_enc} -n {min}: GNU strings found {} strings, memscape {} ({long} long)\nonly GNU's: {missing:?}\nonly memscape's: {extra:?}",
            gnu.len(),
            ours.len()
        );
        counts[k] = gnu.len();
    }
    std::fs::remove_dir_all(&dir).ok();
    counts
}

#[test]
fn strings_equal_gnu_strings_on_each_captured_range() {
    let Some(strings_tool) = tool("strings") else { return };
    let mut total = [0usize; 2];
    let mut add = |c: [usize; 2]| {
        total[0] += c[0];
        total[1] += c[1];
    };
    let corpus = dumps();
    for path in &corpus {
        let space = AddressSpace::open(path).unwrap();
        add(strings_match_gnu(&space, strings_tool, 8, &path.display().to_string()));
    }
    let space = AddressSpace::open(DEMO).unwrap();
    add(strings_match_gnu(&space, strings_tool, 4, "demo"));
    let big = big_dump();
    add(strings_match_gnu(&AddressSpace::open(&big).unwrap(), strings_tool, 8, "the big generated dump"));
    std::fs::remove_file(&big).ok();
    eprintln!("GNU strings found {} ASCII and {} UTF-16 strings; memscape the same", total[0], total[1]);
    // Without the corpus (a fresh machine: `dumps` is the demo alone) the
    // demo and the generated dump hold 78 UTF-16 strings.
    let utf16 = if corpus.len() > 1 { 100 } else { 50 };
    assert!(total[0] > 1000 && total[1] > utf16, "too few strings to say much: {total:?}");
}

#[test]
fn strings_json_is_designs_shape_and_lists_what_the_scan_finds() {
    let run = common::process::memscape(&["strings", DEMO, "--json", "--min-length", "10"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rows = json.as_array().unwrap();
    let space = AddressSpace::open(DEMO).unwrap();
    let mut found = Vec::new();
    for_each_string(&space, &StringOptions { min_len: 10, ascii: true, utf16: true }, None, &mut |s| {
        found.push(s);
        ControlFlow::Continue(())
    });
    assert_eq!(rows.len(), found.len());
    assert!(found.iter().any(|s| s.encoding == Encoding::Utf16) && found.iter().any(|s| s.encoding == Encoding::Ascii));
    for (row, s) in rows.iter().zip(&found) {
        assert_eq!(row["address"], format!("0x{:x}", s.addr));
        assert_eq!(row["encoding"], s.encoding.name());
        assert_eq!(row["text"], s.text.as_str());
        let region = space.region_at(s.addr).unwrap();
        assert_eq!(row["region"], format!("0x{:x}", region.base_addr));
    }
    let run = common::process::memscape(&["strings", DEMO, "--encoding", "ebcdic"], &[]);
    assert_eq!(run.code, Some(2));
    let run = common::process::memscape(&["strings", DEMO, "--min-length", "0"], &[]);
    assert_eq!(run.code, Some(2));
}

/// Every aligned pointer-size word of captured memory whose value lies in `lo..hi`, one word at a time.
fn brute_force_refs(space: &AddressSpace, lo: u64, hi: u64) -> Vec<(u64, u64)> {
    let w: u64 = if space.system.pointer_bits == 32 { 4 } else { 8 };
    let mut out = Vec::new();
    for (base, bytes) in space.captured_slices() {
        for off in 0..bytes.len() as u64 {
            let addr = base + off;
            if addr % w != 0 || off + w > bytes.len() as u64 {
                continue;
            }
            let mut v = [0u8; 8];
            v[..w as usize].copy_from_slice(&bytes[off as usize..(off + w) as usize]);
            let v = u64::from_le_bytes(v);
            if v >= lo && v < hi {
                out.push((addr, v));
            }
        }
    }
    out
}

fn refs_match_brute_force(space: &AddressSpace, what: &str) -> usize {
    // Targets: the crashed (or first) thread's stack, the first module's image, the largest heap or private region.
    let mut targets = Vec::new();
    if let Some(t) = space.crashed_thread().or(space.threads.first()) {
        targets.extend(space.region_at(t.sp.unwrap_or(t.stack_start_addr)));
    }
    if let Some(m) = space.modules.first() {
        targets.extend(space.region_at(m.base_addr));
    }
    targets.extend(
        space
            .regions
            .iter()
            .filter(|r| matches!(r.kind, RegionKind::Heap | RegionKind::PrivateData))
            .max_by_key(|r| r.size_bytes),
    );
    let mut total = 0;
    for r in targets {
        let want = brute_force_refs(space, r.base_addr, r.end_addr());
        let mut ours = Vec::new();
        for_each_reference(space, r.base_addr..r.end_addr(), None, &mut |x| {
            ours.push((x.addr, x.value));
            ControlFlow::Continue(())
        });
        assert_eq!(ours, want, "{what}: references into {r:?}");
        total += ours.len();
    }
    total
}

#[test]
fn references_equal_a_brute_force_scan() {
    let mut total = 0;
    for path in dumps() {
        total += refs_match_brute_force(&AddressSpace::open(&path).unwrap(), &path.display().to_string());
    }
    let big = big_dump();
    total += refs_match_brute_force(&AddressSpace::open(&big).unwrap(), "the big generated dump");
    std::fs::remove_file(&big).ok();
    assert!(total > 100, "so few references ({total}) that the comparison says little");

    // The command line lists the same, in DESIGN.md's shape.
    let space = AddressSpace::open(DEMO).unwrap();
    let stack = space.region_at(space.crashed_thread().unwrap().sp.unwrap()).unwrap();
    let run = common::process::memscape(&["refs", DEMO, &format!("{:x}", stack.base_addr + 8), "--json"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rows = json.as_array().unwrap();
    let want = brute_force_refs(&space, stack.base_addr, stack.end_addr());
    assert_eq!(rows.len(), want.len());
    assert!(!rows.is_empty(), "a stack is pointed into (frame pointers, saved stack pointers)");
    for (row, (addr, value)) in rows.iter().zip(&want) {
        assert_eq!(row["address"], format!("0x{addr:x}"));
        assert_eq!(row["value"], format!("0x{value:x}"));
        assert_eq!(row["region"], format!("0x{:x}", space.region_at(*addr).unwrap().base_addr));
    }
    let run = common::process::memscape(&["refs", DEMO, "ffffffffffffffff"], &[]);
    assert_eq!(run.code, Some(1), "outside the address space: {}", run.stderr);
}

#[test]
fn shot_colours_regions_by_entropy_and_byte_class() {
    use memscape::analysis::byte_stats::region_bytes;
    use memscape::export::{PictureOptions, render_picture};
    use memscape::layout::{View, ViewKind};
    use memscape::scene::theme::{BYTE_CLASS_COLORS, ColorMode, ENTROPY_COLORS};
    use memscape::scene::{Filters, RegionByteFigures};
    if !common::gpu_available() {
        return;
    }
    let big = big_dump();
    let space = AddressSpace::open(&big).unwrap();
    let figures = region_bytes(&space);
    // The region with the most captured bytes, in a treemap of its kind alone (so it is drawn big).
    let i = (0..space.regions.len()).max_by_key(|&i| space.regions[i].captured_bytes).unwrap();
    let picture = |mode: ColorMode| {
        let mut filters =
            Filters { color_mode: mode, bytes: Some(RegionByteFigures(figures.clone().into())), ..Filters::default() };
        filters.show_only(space.regions[i].kind);
        render_picture(
            &space,
            &PictureOptions { filters, ..PictureOptions::new(View::Flat(ViewKind::Treemap), [1200, 800]) },
        )
        .unwrap()
    };
    // Its histogram, counted here, independently.
    let r = &space.regions[i];
    let mut hist = [0u64; 256];
    let (mut buf, mut held) = (vec![0u8; r.size_bytes as usize], vec![false; r.size_bytes as usize]);
    space.read_memory(r.base_addr, &mut buf, &mut held);
    for (b, h) in buf.iter().zip(&held) {
        if *h {
            hist[*b as usize] += 1;
        }
    }
    let want = figures[i].expect("figures for a captured region");
    assert!((want.entropy - memscape::analysis::byte_stats::entropy(&hist)).abs() < 1e-4);
    assert!(figures.iter().zip(&space.regions).all(|(f, r)| f.is_some() == (r.captured_bytes > 0)));
    for (mode, colour) in [
        (ColorMode::Entropy, ENTROPY_COLORS[(want.entropy as usize).min(7)].1),
        (ColorMode::ByteClass, BYTE_CLASS_COLORS[want.class.index()].1),
    ] {
        let pic = picture(mode);
        let rect = pic.screen_rect_of(i as u32).expect("the region is drawn");
        assert!(rect.width() >= 8.0 && rect.height() >= 8.0, "{rect:?}");
        let p = rect.min + egui::vec2(3.0, 3.0);
        let px = pic.image.get_pixel(p.x as u32, p.y as u32).0;
        let close = px.iter().zip(colour.to_array()).take(3).all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= 6);
        assert!(close, "{mode:?}: pixel {px:?} at {p:?}, want {colour:?}");
    }
    // The command line draws the same colourings.
    let png = scratch_path("entropy-shot").with_extension("png");
    for mode in ["entropy", "class"] {
        let run = common::process::memscape(
            &["shot", big.to_str().unwrap(), "--view", "treemap", "--colour", mode, "-o", png.to_str().unwrap()],
            &[],
        );
        assert_eq!(run.code, Some(0), "{}", run.stderr);
    }
    let run = common::process::memscape(
        &["shot", big.to_str().unwrap(), "--view", "treemap", "--colour", "change", "-o", png.to_str().unwrap()],
        &[],
    );
    assert_eq!(run.code, Some(1), "change without --compare: {}", run.stderr);
    std::fs::remove_file(&png).ok();
    std::fs::remove_file(&big).ok();
}

#[test]
fn the_window_colours_by_entropy_once_the_bytes_are_read() {
    use crate::gui::{harness, step_until};
    use egui_kittest::kittest::Queryable;
    use memscape::analysis::byte_stats::region_bytes;
    use memscape::app::DumpSource;
    use memscape::scene::theme::{ColorMode, ENTROPY_COLORS};
    if !common::gpu_available() {
        return;
    }
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    h.get_by_label("Entropy").click();
    h.run_steps(2);
    assert_eq!(h.state().filters().color_mode, ColorMode::Entropy);
    step_until(&mut h, "the byte figures", |a| a.filters().bytes.is_some());
    let (i, colour) = {
        let app = h.state();
        let space = app.space().unwrap();
        let want = region_bytes(space);
        let got = app.filters().bytes.as_ref().unwrap();
        assert_eq!(got.0.as_ref(), want.as_slice(), "the window's figures are the library's");
        // The captured region drawn largest, in its entropy bucket's colour.
        let i = (0..space.regions.len())
            .filter(|&i| want[i].is_some())
            .max_by_key(|&i| app.screen_rect_of_region(i).map_or(0, |r| r.area() as u64))
            .unwrap();
        (i, ENTROPY_COLORS[(want[i].unwrap().entropy as usize).min(7)].1)
    };
    h.run_steps(3);
    let image = h.render().expect("render");
    let r = h.state().screen_rect_of_region(i).unwrap();
    assert!(r.width() >= 6.0 && r.height() >= 4.0, "{r:?}");
    let p = egui::pos2(r.min.x + 3.0, r.center().y);
    let ppp = image.width() as f32 / 1500.0;
    let px = image.get_pixel((p.x * ppp) as u32, (p.y * ppp) as u32).0;
    let close = px.iter().zip(colour.to_array()).take(3).all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= 6);
    assert!(close, "pixel {px:?} at {p:?}, want {colour:?}");
}

#[test]
fn the_window_lists_strings_and_what_points_into_a_region() {
    use crate::gui::{harness, step_until};
    use egui_kittest::kittest::Queryable;
    use memscape::app::DumpSource;
    if !common::gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());

    // Strings: the scan fills the list; a filter narrows it and marks its region; a row selects.
    h.get_by_label("Strings").click();
    let start = std::time::Instant::now();
    while h.query_by_label_contains("found in").is_none() {
        assert!(start.elapsed() < std::time::Duration::from_secs(60), "the strings scan did not end");
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.step();
    }
    let mut want = Vec::new();
    for_each_string(&space, &StringOptions::default(), None, &mut |s| {
        want.push(s);
        ControlFlow::Continue(())
    });
    h.get_by_label_contains(&format!("{} found in", want.len()));
    let target = want.iter().find(|s| s.text.starts_with("COMPUTERNAME=")).expect("the demo's environment");
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Filter").focus();
    h.run_steps(1);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Filter").type_text("computername");
    h.run_steps(2);
    h.get_by_label_contains("· 1 match");
    h.get_by_label("Mark on map").click();
    h.run_steps(2);
    let region = space.region_index_at(target.addr).unwrap() as u32;
    assert_eq!(h.state().marked_regions(), vec![region], "the filter's one match marks its region");
    h.get_by_label(&format!("0x{:x}", target.addr)).click();
    h.run_steps(2);
    assert_eq!(h.state().selected(), Some(region as usize));

    // References into the crashed thread's stack: what a brute-force scan finds.
    let stack = space.region_index_at(space.crashed_thread().unwrap().sp.unwrap()).unwrap();
    let r = &space.regions[stack];
    let refs = brute_force_refs(&space, r.base_addr, r.end_addr());
    h.state_mut().select_region(stack);
    h.run_steps(2);
    h.get_by_label("What points here").click();
    let start = std::time::Instant::now();
    let done = format!("{} found in", refs.len());
    while h.query_by_label_contains(&done).is_none() {
        assert!(start.elapsed() < std::time::Duration::from_secs(60), "the references scan did not end with {done}");
        std::thread::sleep(std::time::Duration::from_millis(20));
        h.step();
    }
    let (addr, _) = refs[0];
    h.get_by_label(&format!("0x{addr:x}")).click();
    h.run_steps(2);
    assert_eq!(h.state().selected(), space.region_index_at(addr));
}

/// The colour the byte picture gives `bytes` in the class mode, counted here
/// independently: the class colours of the held bytes, averaged.
fn class_mix(bytes: &[u8], held: &[bool]) -> Option<[u8; 3]> {
    use memscape::analysis::byte_stats::ByteClass;
    use memscape::scene::byte_picture::CLASS_COLORS;
    let mut sum = [0u64; 3];
    let mut n = 0u64;
    for (b, _) in bytes.iter().zip(held).filter(|(_, h)| **h) {
        let c = CLASS_COLORS[ByteClass::of(*b).index()];
        sum[0] += u64::from(c.r());
        sum[1] += u64::from(c.g());
        sum[2] += u64::from(c.b());
        n += 1;
    }
    (n > 0).then(|| [(sum[0] / n) as u8, (sum[1] / n) as u8, (sum[2] / n) as u8])
}

#[test]
fn shot_bytes_draws_every_cell_in_its_bytes_colour() {
    use memscape::export::{BytesPictureOptions, render_bytes_picture};
    use memscape::scene::byte_picture::{BytesOrder, NOT_HELD};
    if !common::gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    for order in [BytesOrder::Hilbert, BytesOrder::Linear] {
        let png = scratch_path("bytes-shot").with_extension("png");
        let run = common::process::memscape(
            &[
                "shot",
                DEMO,
                "--view",
                "bytes",
                "--order",
                order.name(),
                "--size",
                "900x700",
                "-o",
                png.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        let shot = image::open(&png).unwrap().to_rgba8();
        // Where the cells went: the same picture from the library.
        let opts = BytesPictureOptions { order, ..BytesPictureOptions::new([900, 700]) };
        let lib = render_bytes_picture(&space, &opts, &mut |_, _| {}).unwrap();
        assert_eq!(lib.image.as_raw(), shot.as_raw(), "{order:?}: the command line draws what the library does");
        let grid = lib.picture.grid;
        let total: u64 = space.captured_slices().map(|(_, b)| b.len() as u64).sum();
        assert_eq!(lib.axis.len(), total);
        let cells = u64::from(grid.cols) * u64::from(grid.rows);
        let mut checked = 0;
        for i in (0..cells).step_by((cells / 400).max(1) as usize) {
            let r = grid.bytes_of(i);
            if r.start >= r.end {
                continue;
            }
            // The cell's bytes, read here through the axis's addresses one by one.
            let (mut bytes, mut held) = (Vec::new(), Vec::new());
            for at in r.clone() {
                let addr = lib.axis.addr_at(at).unwrap();
                let (mut b, mut h) = ([0u8], [false]);
                space.read_memory(addr, &mut b, &mut h);
                bytes.push(b[0]);
                held.push(h[0]);
            }
            let want = class_mix(&bytes, &held).unwrap_or([NOT_HELD.r(), NOT_HELD.g(), NOT_HELD.b()]);
            let (x, y) = grid.cell_xy(i);
            let px = shot.get_pixel(lib.origin[0] + x * grid.cell_px, lib.origin[1] + y * grid.cell_px).0;
            let close = px.iter().zip(want).all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= 2);
            assert!(close, "{order:?} cell {i} ({r:?}): pixel {px:?}, want {want:?}");
            // And the pixel's address is the cell's first byte's.
            let addr = lib.addr_at(lib.origin[0] + x * grid.cell_px, lib.origin[1] + y * grid.cell_px);
            assert_eq!(addr, lib.axis.addr_at(r.start));
            checked += 1;
        }
        assert!(checked > 100, "{checked} cells checked");
        std::fs::remove_file(&png).ok();
    }

    // One region, partly held: its start is not in the dump, the bytes at the stack pointer are.
    let t = space.crashed_thread().unwrap();
    let sp = t.sp.unwrap();
    let stack = space.region_at(sp).unwrap();
    assert!(stack.captured_bytes > 0 && stack.captured_bytes < stack.size_bytes);
    let opts = BytesPictureOptions { select: Some(sp), ..BytesPictureOptions::new([600, 600]) };
    let lib = render_bytes_picture(&space, &opts, &mut |_, _| {}).unwrap();
    assert_eq!(lib.axis.len(), stack.size_bytes);
    let at_px = |addr: u64| {
        let off = lib.axis.offset_of(addr).unwrap();
        let (x, y) = lib.picture.grid.cell_xy(off / lib.picture.grid.bytes_per_cell);
        let g = lib.picture.grid.cell_px;
        lib.image.get_pixel(lib.origin[0] + x * g, lib.origin[1] + y * g).0
    };
    assert_eq!(at_px(stack.base_addr)[..3], NOT_HELD.to_array()[..3], "the stack's unheld bottom");
    assert_ne!(at_px(sp)[..3], NOT_HELD.to_array()[..3], "the stack at SP is in the dump");
    // Bad input: an address outside the space, a dump of no memory.
    let run = common::process::memscape(
        &["shot", DEMO, "--view", "bytes", "--select", "ffffffffffffffff", "-o", "/dev/null"],
        &[],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let run =
        common::process::memscape(&["shot", DEMO, "--view", "bytes", "--bytes-mode", "plaid", "-o", "/dev/null"], &[]);
    assert_eq!(run.code, Some(2));
}

#[test]
fn the_window_draws_the_byte_picture_and_a_click_selects() {
    use crate::gui::{harness, step_until};
    use egui_kittest::kittest::Queryable;
    use memscape::app::DumpSource;
    use memscape::scene::byte_picture::NOT_HELD;
    if !common::gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let sp = space.crashed_thread().unwrap().sp.unwrap();
    let stack = space.region_index_at(sp).unwrap();
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    h.state_mut().select_region(stack);
    h.get_by_label("Picture").click();
    step_until(&mut h, "the picture of the stack", |a| a.byte_view().and_then(|v| v.screen_pos_of(sp)).is_some());
    let image = h.render().expect("render");
    let ppp = image.width() as f32 / 1500.0;
    let px_at = |p: egui::Pos2| image.get_pixel(((p.x + 0.5) * ppp) as u32, ((p.y + 0.5) * ppp) as u32).0;
    let view = h.state().byte_view().unwrap();
    let bottom = view.screen_pos_of(space.regions[stack].base_addr).unwrap();
    assert_eq!(px_at(bottom)[..3], NOT_HELD.to_array()[..3], "the stack's unheld bottom");
    let at_sp = view.screen_pos_of(sp).unwrap();
    assert_ne!(px_at(at_sp)[..3], NOT_HELD.to_array()[..3], "the stack at SP is in the dump");
    assert_eq!(view.addr_on_screen(at_sp + egui::vec2(0.5, 0.5)).map(|a| space.region_index_at(a)), Some(Some(stack)));

    // Every captured byte: a click on a byte selects the region holding it.
    h.get_by_label("Every captured byte").click();
    let (base, _) = space.captured_slices().nth(5).unwrap();
    step_until(&mut h, "the picture of every byte", |a| a.byte_view().and_then(|v| v.screen_pos_of(base)).is_some());
    let p = h.state().byte_view().unwrap().screen_pos_of(base).unwrap() + egui::vec2(0.5, 0.5);
    let addr = h.state().byte_view().unwrap().addr_on_screen(p).unwrap();
    common::kittest::click_at(&mut h, p);
    assert_eq!(h.state().selected(), space.region_index_at(addr));
    // The click opened the byte's row in the Memory tab.
    h.get_by_label_contains(&db_row(&space, addr - addr % 16));

    // Back in the picture, the wheel zooms in around the pointer, down to single bytes.
    h.get_by_label("Picture").click();
    step_until(&mut h, "the picture again", |a| a.byte_view().and_then(|v| v.screen_pos_of(base)).is_some());
    let before = h.state().byte_view().unwrap().bytes_per_cell().unwrap();
    assert!(before > 1, "532 KiB in a panel: several bytes a cell");
    for _ in 0..40 {
        h.hover_at(p);
        h.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Line,
            delta: egui::vec2(0.0, 3.0),
            modifiers: egui::Modifiers::NONE,
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
        });
        h.run_steps(3);
        std::thread::sleep(std::time::Duration::from_millis(10));
        if h.state().byte_view().unwrap().bytes_per_cell() == Some(1) {
            break;
        }
    }
    step_until(&mut h, "single bytes", |a| a.byte_view().and_then(|v| v.bytes_per_cell()) == Some(1));
}

/// A db row as the Memory tab writes it: address, 16 bytes (?? where not held), ASCII.
fn db_row(space: &AddressSpace, at: u64) -> String {
    let bits = space.system.pointer_bits;
    let (mut b, mut h) = ([0u8; 16], [false; 16]);
    space.read_memory(at, &mut b, &mut h);
    let hexes: Vec<String> = (0..16).map(|k| if h[k] { format!("{:02x}", b[k]) } else { "??".to_string() }).collect();
    format!("{}  {}-{}", memscape::format::windbg_addr(at, bits), hexes[..8].join(" "), hexes[8..].join(" "))
}

#[test]
fn the_memory_tab_shows_db_rows_jumps_through_free_space_and_follows_pointers() {
    use crate::gui::{harness, step_until};
    use egui_kittest::kittest::Queryable;
    use memscape::app::DumpSource;
    if !common::gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let t = space.crashed_thread().unwrap();
    let sp = t.sp.unwrap();
    let stack = space.region_index_at(sp).unwrap();
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    h.state_mut().select_region(stack);
    h.run_steps(2);
    h.get_by_label("Show bytes").click();
    h.run_steps(3);
    // The stack's first row: not in the dump, its ?? drawn in their own colour.
    let base = space.regions[stack].base_addr;
    assert!(db_row(&space, base).contains("?? ?? ??"));
    let red_pixels = |h: &mut egui_kittest::Harness<'static, memscape::app::MemscapeApp>, row: &str| {
        let rect = h.get_by_label_contains(row).rect();
        let image = h.render().expect("render");
        let ppp = image.width() as f32 / 1500.0;
        let want = memscape::ui::hex_view::NOT_HELD_TEXT;
        let mut n = 0;
        for y in (rect.min.y * ppp) as u32..(rect.max.y * ppp) as u32 {
            for x in (rect.min.x * ppp) as u32..((rect.max.x * ppp) as u32).min(image.width()) {
                let p = image.get_pixel(x, y).0;
                let d: i32 =
                    p.iter().zip(want.to_array()).take(3).map(|(a, b)| (i32::from(*a) - i32::from(b)).abs()).sum();
                n += usize::from(d <= 60);
            }
        }
        n
    };
    let unheld = red_pixels(&mut h, &db_row(&space, base));
    assert!(unheld > 30, "the ?? of bytes not held are drawn in their colour ({unheld} pixels)");
    // Go to the stack pointer: its row, with the bytes read independently.
    let goto = h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Go to");
    goto.focus();
    h.run_steps(1);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Go to").type_text(&format!("{sp:x}"));
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    let row = sp - sp % 16;
    assert!(!db_row(&space, row).contains("??"), "the stack at SP is in the dump");
    let held = red_pixels(&mut h, &db_row(&space, row));
    assert!(held < unheld / 10, "a held row has none of that colour ({held} pixels, {unheld} unheld)");

    // The largest free region: 8 TiB of ?? that jumps to its last row at once.
    let free = (0..space.regions.len()).max_by_key(|&i| space.regions[i].size_bytes).unwrap();
    let end = space.regions[free].end_addr();
    h.state_mut().select_region(free);
    h.run_steps(2);
    h.get_by_label("Show bytes").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Go to").focus();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Go to").type_text(&format!("{:x}", end - 16));
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    h.get_by_label_contains(&db_row(&space, end - 16));

    // dps on the stack: a return address is named from the walk's symbols
    // (module!function+offset, as WinDbg's dps), a link that selects its module's region.
    step_until(&mut h, "the stack walk", |a| a.walk().is_some());
    let names = h.state().walk().unwrap().names.clone();
    let stack_end = space.regions[stack].end_addr();
    let (word, target, text) = (sp..stack_end)
        .step_by(8)
        .find_map(|at| {
            let (mut b, mut held) = ([0u8; 8], [false; 8]);
            space.read_memory(at, &mut b, &mut held);
            let v = u64::from_le_bytes(b);
            let m = space.module_at(v).filter(|_| held.iter().all(|x| *x))?;
            let (function, off) = names.function_at(v)?;
            let name = memscape::dump::windbg_module_name(&m.name);
            Some((at, v, if off == 0 { format!("{name}!{function}") } else { format!("{name}!{function}+0x{off:x}") }))
        })
        .expect("a named return address on the crashed thread's stack");
    assert!(text.contains('!'), "{text}");
    h.state_mut().select_region(stack);
    h.run_steps(2);
    h.get_by_label("dps").click();
    h.run_steps(2);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Go to").focus();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Go to").type_text(&format!("{word:x}"));
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    // The row's link and the inspector's (the cursor is on the word): both select the target.
    assert_eq!(h.get_all_by_label(&text).count(), 2);
    h.get_all_by_label(&text).next().unwrap().click();
    h.run_steps(3);
    assert_eq!(h.state().selected(), space.region_index_at(target), "{text}");
}
