//! Scans of all captured memory: strings (ASCII and UTF-16LE, as GNU strings
//! finds them) and references into a region, at 10k and 100k regions (64
//! and 512 MiB captured); GNU strings on the same dump file in the same run
//! (the peer, which reads the whole file, headers included, one thread).
//! Throughput: divide the captured bytes by the time.

// Benchmark code: clippy.toml's allow-*-in-tests covers only #[test] functions, not the
// helpers beside them; unwrap and expect are how a test says what it expects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support.rs"]
mod support;

use std::ops::ControlFlow;

use memscape::analysis::refs::for_each_reference;
use memscape::analysis::strings::{StringOptions, for_each_string};
use memscape::dump::RegionKind;

const SIZES: [u64; 2] = [10_000, 100_000];

fn main() {
    for regions in SIZES {
        let space = support::open(regions);
        eprintln!("{regions} regions: {} MiB captured", space.captured.total_bytes() >> 20);
    }
    divan::main();
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn strings_ascii_and_utf16(bencher: divan::Bencher, regions: u64) {
    let space = support::open(regions);
    let opts = StringOptions::default();
    bencher.bench(|| {
        let mut n = 0usize;
        for_each_string(&space, &opts, None, &mut |_| {
            n += 1;
            ControlFlow::Continue(())
        });
        n
    });
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn strings_ascii_only(bencher: divan::Bencher, regions: u64) {
    let space = support::open(regions);
    let opts = StringOptions { utf16: false, ..StringOptions::default() };
    bencher.bench(|| {
        let mut n = 0usize;
        for_each_string(&space, &opts, None, &mut |_| {
            n += 1;
            ControlFlow::Continue(())
        });
        n
    });
}

/// What points into the largest heap.
#[divan::bench(args = SIZES, sample_count = 5)]
fn references_into_a_heap(bencher: divan::Bencher, regions: u64) {
    let space = support::open(regions);
    let heap = space.regions.iter().filter(|r| r.kind == RegionKind::Heap).max_by_key(|r| r.size_bytes).unwrap();
    let target = heap.base_addr..heap.end_addr();
    bencher.bench(|| {
        let mut n = 0usize;
        for_each_reference(&space, target.clone(), None, &mut |_| {
            n += 1;
            ControlFlow::Continue(())
        });
        n
    });
}

/// The peer: `strings -a -n 8` on the dump file, output discarded.
#[divan::bench(args = SIZES, sample_count = 3)]
fn gnu_strings_on_the_file(bencher: divan::Bencher, regions: u64) {
    let path = support::dump_path(regions);
    let Ok(tool) = which("strings") else {
        eprintln!("skipped: GNU strings is not installed");
        return;
    };
    bencher.bench(|| {
        std::process::Command::new(&tool)
            .args(["-a", "-n", "8"])
            .arg(&path)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run strings")
    });
}

fn which(name: &str) -> Result<std::path::PathBuf, ()> {
    std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|f| f.is_file()))
        .ok_or(())
}

/// One frame of the Memory tab (layout and the one read of the rows on
/// screen, no rendering) on a 4 KiB region and on the demo's largest free
/// region (8 TiB): the time must not depend on the region's size.
#[divan::bench(args = ["4 KiB region", "8 TiB region"], sample_count = 20)]
fn memory_tab_frame(bencher: divan::Bencher, which: &str) {
    use memscape::ui::hex_view::{HexViewState, hex_view_ui};
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/azure-worker-crash.dmp");
    let space = memscape::dump::AddressSpace::open(demo).unwrap();
    let index = if which.starts_with('4') {
        space.regions.iter().position(|r| r.size_bytes == 0x1000 && r.captured_bytes == 0x1000).unwrap()
    } else {
        (0..space.regions.len()).max_by_key(|&i| space.regions[i].size_bytes).unwrap()
    };
    let ctx = egui::Context::default();
    let mut state = HexViewState::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1500.0, 300.0))),
        ..Default::default()
    };
    // A first frame loads the fonts.
    let _ = ctx.run_ui(input(), |ui| {
        hex_view_ui(ui, &space, &mut state, Some(index), None);
    });
    bencher.bench_local(|| {
        ctx.run_ui(input(), |ui| {
            hex_view_ui(ui, &space, &mut state, Some(index), None);
        })
    });
}
