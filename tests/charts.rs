//! The overview statistics (`analysis::stats`) and the overview chart panel
//! (`ui::charts`). On the demo dump and on every dump in `MEMSCAPE_CORPUS`
//! (skipped with a message when unset): bytes by kind sum to the user-mode
//! limit; the size histogram covers exactly the allocated regions, by count and
//! by bytes; free space totals the model's free bytes and its largest block is
//! `largest_free()`; no stack uses more than it reserves; module sizes sum to the
//! modules' total; the overview is the same every time. Then egui_kittest draws
//! the panel (no GPU needed), finds every chart title, and clicks the Image bar
//! of "Bytes by kind", which must answer `ChartClick::Kind(Image)`.

use crate::common;

use std::collections::BTreeSet;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use memscape::analysis::stats::{LARGEST_FREE_BLOCKS, Overview, is_allocated, overview};
use memscape::dump::{AddressSpace, RegionKind, RegionState};
use memscape::ui::charts::{ChartClick, TITLES, bar_rects, overview_ui};

use common::kittest::click_at;
use common::{corpus_dir, read_manifest};

/// Every way the overview disagrees with the model, as sentences.
fn overview_failures(space: &AddressSpace, ov: &Overview) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            out.push(what);
        }
    };

    // Bytes by kind: every kind once, legend order, summing to the limit.
    let kinds: Vec<RegionKind> = ov.bytes_by_kind.iter().map(|(k, _)| *k).collect();
    check(kinds == RegionKind::ALL, format!("kinds {kinds:?} are not RegionKind::ALL"));
    let by_kind: u128 = ov.bytes_by_kind.iter().map(|(_, b)| u128::from(*b)).sum();
    let limit = space.system.user_limit_addr;
    check(by_kind == u128::from(limit), format!("bytes_by_kind sums to {by_kind:#x}, user limit is {limit:#x}"));

    // Histogram: the allocated regions, by count and bytes; buckets contiguous.
    let allocated: Vec<u64> = space.regions.iter().filter(|r| is_allocated(r.state)).map(|r| r.size_bytes).collect();
    let count: usize = ov.size_histogram.iter().map(|b| b.count).sum();
    let bytes: u128 = ov.size_histogram.iter().map(|b| u128::from(b.total_bytes)).sum();
    let want_bytes: u128 = allocated.iter().map(|s| u128::from(*s)).sum();
    check(count == allocated.len(), format!("histogram counts {count} regions, {} are allocated", allocated.len()));
    check(bytes == want_bytes, format!("histogram holds {bytes:#x} bytes, allocated regions {want_bytes:#x}"));
    for w in ov.size_histogram.windows(2) {
        check(w[0].hi_bytes == w[1].lo_bytes, format!("buckets {w:?} are not contiguous"));
    }
    for b in &ov.size_histogram {
        let inside = allocated.iter().filter(|s| **s >= b.lo_bytes && (**s < b.hi_bytes || b.hi_bytes == u64::MAX));
        check(inside.count() == b.count, format!("bucket {b:?} miscounts its regions"));
    }

    // Free space.
    let free_bytes: u64 = space.regions.iter().filter(|r| r.state == RegionState::Free).map(|r| r.size_bytes).sum();
    let model = space.bytes_by_kind();
    check(
        ov.free.total_bytes == free_bytes,
        format!("free total {:#x}, the model's MEM_FREE regions {free_bytes:#x}", ov.free.total_bytes),
    );
    check(
        free_bytes == model[&RegionKind::Free] + model[&RegionKind::Unusable],
        format!("MEM_FREE bytes {free_bytes:#x} are not Free + Unusable"),
    );
    check(
        ov.free.largest.first().copied() == space.largest_free(),
        format!("largest free block {:?}, largest_free() {:?}", ov.free.largest.first(), space.largest_free()),
    );
    check(ov.free.largest.len() <= LARGEST_FREE_BLOCKS, "more than 16 largest blocks".into());
    check(ov.free.largest.len() <= ov.free.block_count, "more largest blocks than blocks".into());
    check(ov.free.largest.windows(2).all(|w| w[0].1 >= w[1].1), "largest blocks not sorted by size".into());
    let in_largest: u64 = ov.free.largest.iter().map(|b| b.1).sum();
    check(in_largest <= ov.free.total_bytes, "largest blocks exceed the free total".into());
    check((0.0..=1.0).contains(&ov.free.fragmentation), format!("fragmentation {}", ov.free.fragmentation));
    for &(base, size) in &ov.free.largest {
        let ok = space.region_at(base).is_some_and(|r| r.state == RegionState::Free)
            && (base == 0 || space.region_at(base - 1).is_none_or(|r| r.state != RegionState::Free))
            && space.region_at(base + size).is_none_or(|r| r.state != RegionState::Free)
            && space.region_at(base + size - 1).is_some_and(|r| r.state == RegionState::Free);
        check(ok, format!("free block {base:#x}+{size:#x} is not a maximal run of free regions"));
    }

    // Stacks: one per thread, used <= reserved where reserved.
    check(
        ov.stacks.len() == space.threads.len(),
        format!("{} stacks for {} threads", ov.stacks.len(), space.threads.len()),
    );
    let ids: BTreeSet<u32> = ov.stacks.iter().map(|s| s.thread_id).collect();
    let want_ids: BTreeSet<u32> = space.threads.iter().map(|t| t.id).collect();
    check(ids == want_ids, "stack thread ids differ from the threads'".into());
    check(ov.stacks.windows(2).all(|w| w[0].used_bytes >= w[1].used_bytes), "stacks not deepest first".into());
    for s in ov.stacks.iter().filter(|s| s.reserved_bytes > 0) {
        check(
            s.used_bytes <= s.reserved_bytes,
            format!("thread {:#x} uses {:#x} of {:#x} reserved", s.thread_id, s.used_bytes, s.reserved_bytes),
        );
    }

    // Modules: each once, largest first, summing to the modules' total.
    let idx: BTreeSet<usize> = ov.modules.iter().map(|m| m.0).collect();
    check(idx.len() == space.modules.len() && idx.iter().all(|i| *i < space.modules.len()), "module indexes".into());
    let sum: u128 = ov.modules.iter().map(|m| u128::from(m.1)).sum();
    let want: u128 = space.modules.iter().map(|m| u128::from(m.size_bytes)).sum();
    check(sum == want, format!("module sizes sum to {sum:#x}, modules total {want:#x}"));
    check(ov.modules.iter().all(|&(i, s)| space.modules[i].size_bytes == s), "module sizes differ".into());
    check(ov.modules.windows(2).all(|w| w[0].1 >= w[1].1), "modules not largest first".into());

    // Determinism.
    check(overview(space) == *ov, "a second overview differs".into());
    out
}

#[test]
fn overview_matches_the_demo_model() {
    let space = memscape::demo::open_demo().expect("demo dump opens");
    let ov = overview(&space);
    let failures = overview_failures(&space, &ov);
    assert!(failures.is_empty(), "demo dump:\n  {}", failures.join("\n  "));
    // The demo has something in every chart.
    assert!(!ov.size_histogram.is_empty() && !ov.free.largest.is_empty());
    assert!(!ov.stacks.is_empty() && !ov.modules.is_empty());
    assert!(ov.stacks.iter().any(|s| s.reserved_bytes > 0), "no stack region attributed to any thread");
    // A freshly opened copy gives the same overview.
    let again = memscape::demo::open_demo().expect("demo dump opens");
    assert_eq!(overview(&again), ov);
}

#[test]
fn overview_matches_every_corpus_model() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let mut failures = Vec::new();
    let rows = read_manifest(&dir);
    for row in &rows {
        let path = dir.join(row.file());
        let space = AddressSpace::open(&path).unwrap_or_else(|e| panic!("{}: {e}", row.file()));
        let ov = overview(&space);
        failures.extend(overview_failures(&space, &ov).into_iter().map(|f| format!("{}: {f}", row.file())));
    }
    assert!(failures.is_empty(), "{} failure(s):\n  {}", failures.len(), failures.join("\n  "));
    println!("checked the overview of {} corpus dumps", rows.len());
}

/// The overview panel in a harness; the state keeps the last click.
fn panel_harness(size: egui::Vec2) -> Harness<'static, Option<ChartClick>> {
    let space = memscape::demo::open_demo().expect("demo dump opens");
    let ov = overview(&space);
    Harness::builder().with_size(size).build_ui_state(
        move |ui, last: &mut Option<ChartClick>| {
            if let Some(c) = overview_ui(ui, &ov, &space) {
                *last = Some(c);
            }
        },
        None,
    )
}

#[test]
fn overview_panel_draws_every_chart() {
    let mut h = panel_harness(egui::vec2(900.0, 1600.0));
    h.run_steps(3);
    for title in TITLES {
        h.get_by_label(title);
    }
    h.get_by_label("Logarithmic byte axes");
    let rects = bar_rects(&h.ctx);
    for want in [ChartClick::Kind(RegionKind::Image), ChartClick::Kind(RegionKind::Free)] {
        assert!(rects.iter().any(|(c, _)| *c == want), "no bar for {want:?}");
    }
    assert!(rects.iter().any(|(c, _)| matches!(c, ChartClick::SizeRange(..))));
    assert!(rects.iter().any(|(c, _)| matches!(c, ChartClick::FreeBlock(..))));
    assert!(rects.iter().any(|(c, _)| matches!(c, ChartClick::Thread(..))));
    assert!(rects.iter().any(|(c, _)| matches!(c, ChartClick::Module(..))));
    assert!(rects.iter().all(|(_, r)| r.is_finite() && r.width() > 0.0), "a bar has no area: {rects:?}");
    // Linear axes draw too.
    h.get_by_label("Logarithmic byte axes").click();
    h.run_steps(3);
    assert_eq!(*h.state(), None, "toggling the axis is not a bar click");
}

#[test]
fn clicking_a_bar_answers_its_chart_click() {
    let mut h = panel_harness(egui::vec2(900.0, 1600.0));
    h.run_steps(3);
    let rects = bar_rects(&h.ctx);
    let bar = |want: &ChartClick| {
        rects.iter().find(|(c, _)| c == want).map(|(_, r)| r.center()).unwrap_or_else(|| panic!("no bar {want:?}"))
    };

    let image = ChartClick::Kind(RegionKind::Image);
    click_at(&mut h, bar(&image));
    assert_eq!(h.state(), &Some(image));

    let heap = ChartClick::Kind(RegionKind::Heap);
    click_at(&mut h, bar(&heap));
    assert_eq!(h.state(), &Some(heap));

    let (module, _) = rects.iter().find(|(c, _)| matches!(c, ChartClick::Module(_))).cloned().expect("a module bar");
    click_at(&mut h, bar(&module));
    assert_eq!(h.state(), &Some(module));

    // Hovering a bar shows its value.
    h.ctx.all_styles_mut(|s| s.interaction.tooltip_delay = 0.0);
    let image_bar = bar(&ChartClick::Kind(RegionKind::Image));
    h.hover_at(image_bar);
    h.run_steps(3);
    let tips: Vec<String> = h.query_all_by_label_contains("Image: ").map(|n| format!("{n:?}")).collect();
    assert!(
        tips.iter().any(|t| t.contains("Tooltip") && t.contains("iB (")),
        "no tooltip with the Image bar's size: {tips:?}"
    );
    h.remove_cursor();

    // Clicking a title is not a bar click.
    *h.state_mut() = None;
    h.get_by_label(TITLES[0]).click();
    h.run_steps(2);
    assert_eq!(h.state(), &None);
}
