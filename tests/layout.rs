//! The layout layer's promises, checked on the bundled demo dump, on dumps
//! built here with minidump-synth, on bare region lists (a coarse-unit space
//! with terabytes reserved, a random fragmented one) and on every corpus
//! dump when `MEMSCAPE_CORPUS` is set:
//!
//! - every visible region is drawn by at least one tile, hidden ones by
//!   none (the treemap also leaves Free and Unknown out), every tile lies in
//!   the bounds and no two tiles overlap;
//! - strip and Hilbert: a region's tiles add up to its axis length exactly,
//!   occupied regions to `max(1, ceil(size / unit))`, gaps to no more than
//!   their true length (shorter exactly when marked compressed);
//! - Hilbert: each region's squares form one 4-connected blob, and each
//!   region touches the next;
//! - treemap: each tile keeps between `MIN_AREA_FACTOR` and all of its exact
//!   share of the world, exactly proportional within an owner;
//! - the same input gives the same layout;
//! - `HitIndex` agrees with a brute-force scan on random points (fixed
//!   seed) and on tile corners and centres, and `tiles_of` lists exactly a
//!   region's tiles;
//! - labels sit inside their room; ticks climb in address order.

use crate::common;

use std::collections::BTreeMap;

use memscape::dump::{AddressSpace, Module, Owner, Region, RegionKind};
use memscape::layout::axis::{Axis, gap_units, is_gap, is_huge_reservation, reservation_units};
use memscape::layout::hilbert::{hilbert_cell, hilbert_order};
use memscape::layout::hit::HitIndex;
use memscape::layout::treemap::{MIN_AREA_FACTOR, WORLD_HEIGHT, WORLD_WIDTH};
use memscape::layout::{Layout2d, LayoutInput, LayoutSource, Rect, Tile, ViewKind, all_visible, layout, layout_source};

use common::open_synth;
use common::rng::{SplitMix64, TestRng};
use common::synth::*;
use common::{PAGE, region_list};

// ---------------------------------------------------------------- inputs

/// The demo dump and the synthetic dumps of every region source.
fn dumps() -> Vec<(String, AddressSpace)> {
    let mut out = vec![("demo".to_string(), memscape::demo::open_demo().expect("demo dump opens"))];
    for f in Flavour::ALL {
        out.push((format!("meminfo {f:?}"), open_synth("layout-meminfo", memory_info_dump(f))));
        out.push((format!("synthesized {f:?}"), open_synth("layout-synth", synthesized_dump(f).0)));
        out.push((format!("heaps {f:?}"), open_synth("layout-heaps", heaps_dump(f, Miss::None))));
    }
    out.push(("linux".to_string(), open_synth("layout-linux", linux_dump())));
    out.push(("crash".to_string(), open_synth("layout-crash", crash_dump())));
    out
}

/// Filters to try on a space: everything, every third region hidden, gaps hidden.
fn filters(regions: &[Region]) -> Vec<(&'static str, Vec<bool>)> {
    vec![
        ("all", vec![true; regions.len()]),
        ("every third hidden", (0..regions.len()).map(|i| i % 3 != 1).collect()),
        ("gaps hidden", regions.iter().map(|r| !is_gap(r.kind)).collect()),
    ]
}

/// A fragmented space of `n` regions: runs of image sections, heaps,
/// stacks, private data and gaps of every size, seeded.
fn random_regions(n: usize, seed: u64) -> Vec<Region> {
    let mut rng = SplitMix64::new(seed);
    let (mut parts, mut paths) = (Vec::with_capacity(n), Vec::with_capacity(n));
    while parts.len() < n {
        let pages = 1 + rng.below(64) * if rng.below(10) == 0 { 100 } else { 1 };
        let mut path = String::new();
        let (kind, owner) = match rng.below(9) {
            0 | 1 => (RegionKind::Free, Owner::None),
            2 => (RegionKind::Unknown, Owner::None),
            3 => (RegionKind::Image, Owner::Module(rng.below(20) as u32)),
            4 => (RegionKind::Heap, Owner::Heap(rng.below(4) as u32)),
            5 => (RegionKind::Stack, Owner::Thread(rng.below(8) as u32)),
            6 => {
                path = format!("/data/file{}", rng.below(5));
                (RegionKind::MappedFile, Owner::File)
            }
            7 => (RegionKind::Reserved, Owner::None),
            _ => (RegionKind::PrivateData, Owner::None),
        };
        // Free space now and then spans gigabytes to terabytes.
        let size =
            if kind == RegionKind::Free && rng.below(4) == 0 { PAGE << (18 + rng.below(22)) } else { pages * PAGE };
        parts.push((size, kind, owner));
        paths.push(path);
    }
    // A mapped file's path is its label.
    let mut regions = region_list(parts);
    for (r, path) in regions.iter_mut().zip(paths) {
        if r.owner == Owner::File {
            r.label = path.into();
        }
    }
    regions
}

// ---------------------------------------------------------------- checks

fn same_layout(a: &Layout2d, b: &Layout2d) -> bool {
    a.tiles == b.tiles && a.labels == b.labels && a.ticks == b.ticks && a.bounds == b.bounds
}

fn overlap(a: &Rect, b: &Rect) -> bool {
    a.min[0] < b.max[0] && b.min[0] < a.max[0] && a.min[1] < b.max[1] && b.min[1] < a.max[1]
}

fn inside(r: &Rect, bounds: &Rect) -> bool {
    r.min[0] >= bounds.min[0] && r.min[1] >= bounds.min[1] && r.max[0] <= bounds.max[0] && r.max[1] <= bounds.max[1]
}

/// No two tiles share interior points: pairs are only compared when they
/// share a bucket of a coarse grid (a test-only grid, independent of HitIndex).
fn assert_no_overlap(tiles: &[Tile], bounds: &Rect, what: &str) {
    let side = ((tiles.len() as f64).sqrt().ceil() as usize).clamp(1, 512);
    let (w, h) = (bounds.width().max(1e-6), bounds.height().max(1e-6));
    let cell = |v: f32, lo: f32, len: f32| (((v - lo) / len * side as f32) as usize).min(side - 1);
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); side * side];
    for (i, t) in tiles.iter().enumerate() {
        let (c0, c1) = (cell(t.rect.min[0], bounds.min[0], w), cell(t.rect.max[0], bounds.min[0], w));
        let (r0, r1) = (cell(t.rect.min[1], bounds.min[1], h), cell(t.rect.max[1], bounds.min[1], h));
        for r in r0..=r1 {
            for c in c0..=c1 {
                buckets[r * side + c].push(i);
            }
        }
    }
    for b in &buckets {
        for (k, &i) in b.iter().enumerate() {
            for &j in &b[k + 1..] {
                assert!(
                    !overlap(&tiles[i].rect, &tiles[j].rect),
                    "{what}: tiles {i} and {j} overlap: {:?} {:?}",
                    tiles[i],
                    tiles[j]
                );
            }
        }
    }
}

/// Tile indices per region.
fn tiles_by_region(layout: &Layout2d) -> BTreeMap<u32, Vec<usize>> {
    let mut out: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, t) in layout.tiles.iter().enumerate() {
        out.entry(t.region).or_default().push(i);
    }
    out
}

/// The checks every view shares.
fn check_common(view: ViewKind, src: &LayoutSource<'_>, layout: &Layout2d, what: &str) {
    let again = layout_source(view, src);
    assert!(same_layout(layout, &again), "{what}: two runs differ");

    let by_region = tiles_by_region(layout);
    for (i, r) in src.regions.iter().enumerate() {
        let drawn = view != ViewKind::Treemap || !is_gap(r.kind);
        let expected = src.visible[i] && drawn;
        assert_eq!(by_region.contains_key(&(i as u32)), expected, "{what}: region {i} ({:?}) drawn?", r.kind);
    }
    for t in &layout.tiles {
        assert!(t.rect.width() >= 0.0 && t.rect.height() >= 0.0, "{what}: inverted tile {t:?}");
        assert!(inside(&t.rect, &layout.bounds), "{what}: {t:?} outside {:?}", layout.bounds);
    }
    assert_no_overlap(&layout.tiles, &layout.bounds, what);

    for l in &layout.labels {
        assert!(inside(&l.room, &layout.bounds), "{what}: label room {l:?} outside the bounds");
        assert!(
            l.anchor[0] >= l.room.min[0]
                && l.anchor[0] <= l.room.max[0]
                && l.anchor[1] >= l.room.min[1]
                && l.anchor[1] <= l.room.max[1],
            "{what}: label anchor outside its room: {l:?}"
        );
        assert!(!l.text.is_empty(), "{what}: empty label {l:?}");
        assert!(src.visible[l.region as usize], "{what}: label on a hidden region {l:?}");
        if view != ViewKind::Treemap {
            // The room is one of the region's tiles.
            assert!(
                by_region[&l.region].iter().any(|&i| layout.tiles[i].rect == l.room),
                "{what}: label room is not a tile of its region: {l:?}"
            );
        }
    }
    check_hits(layout, what);
}

/// Strip and Hilbert: sizes follow the axis exactly (a strip tile's width, a
/// Hilbert tile's area, is its length in units).
fn check_axis_areas(src: &LayoutSource<'_>, layout: &Layout2d, what: &str) {
    let strip = what.ends_with("/ strip");
    let axis = Axis::new(src);
    let by_region = tiles_by_region(layout);
    assert_eq!(by_region.len(), axis.spans.len(), "{what}");
    let unit = axis.unit_bytes();
    for s in &axis.spans {
        let measure = |r: &memscape::layout::Rect| if strip { r.width() } else { r.area() };
        let area: f64 = by_region[&s.region].iter().map(|&i| f64::from(measure(&layout.tiles[i].rect))).sum();
        assert_eq!(area, s.len() as f64, "{what}: region {} area vs axis", s.region);
        for &i in &by_region[&s.region] {
            assert_eq!(layout.tiles[i].compressed, s.compressed, "{what}");
        }
        let r = &src.regions[s.region as usize];
        if is_gap(r.kind) {
            let true_units = r.size_bytes.div_ceil(unit).max(1);
            assert_eq!(s.compressed, s.len() < true_units, "{what}: gap {} flag", s.region);
            assert!(s.len() <= true_units);
            // The module docs' formula, written out here rather than asked of the axis.
            let pages = r.size_bytes.div_ceil(PAGE).max(1);
            let cap = 8 + 2 * u64::from(63 - pages.leading_zeros());
            assert_eq!(s.len(), true_units.min(cap), "{what}: gap {} of {} pages", s.region, pages);
        } else if is_huge_reservation(r) {
            let pages = r.size_bytes.div_ceil(PAGE).max(1);
            let true_units = pages.div_ceil(unit / PAGE).max(1);
            let doublings = u64::from((63 - pages.leading_zeros()).saturating_sub(18));
            let cap = 4096 + 256 * doublings;
            assert_eq!(
                (s.len(), s.compressed),
                (true_units.min(cap), true_units > cap),
                "{what}: reservation {}",
                s.region
            );
            assert!(s.len() <= r.size_bytes.div_ceil(unit).max(1));
        } else {
            // To scale, rounded up to whole units, at least one.
            let drawn_bytes = u128::from(s.len()) * u128::from(unit);
            let size = u128::from(r.size_bytes);
            assert!(
                drawn_bytes >= size && (drawn_bytes - size < u128::from(unit) || s.len() == 1),
                "{what}: region {} of {} bytes drawn as {} units of {unit}",
                s.region,
                r.size_bytes,
                s.len()
            );
            assert!(!s.compressed);
        }
    }
    assert!(axis.total_units <= memscape::layout::axis::MAX_UNITS.max(axis.spans.len() as u64));
}

/// The compressed lengths the axis module documents, as numbers.
#[test]
fn compressed_lengths_are_the_documented_ones() {
    const GIB: u64 = 1 << 30;
    // "1 GiB keeps 4096 units, 1 TiB 6656" (one unit a page).
    assert_eq!(reservation_units(GIB, 0), (4096, true));
    assert_eq!(reservation_units(1 << 40, 0), (6656, true));
    // A reservation shorter than its cap keeps its true length.
    assert_eq!(reservation_units(GIB, 10), (256, false));
    // Gaps: 8 + 2 * floor(log2(pages)); one page stays one unit.
    assert_eq!(gap_units(4096, 0), (1, false));
    assert_eq!(gap_units(4 * GIB, 0), (8 + 2 * 20, true));
    assert_eq!(gap_units(8 << 40, 0), (8 + 2 * 31, true));
    assert_eq!(gap_units(12 * 4096, 0), (12, false));
}

/// Ticks climb in address order (in the order they are listed).
fn check_ticks(layout: &Layout2d, what: &str) {
    for w in layout.ticks.windows(2) {
        assert!(w[0].addr <= w[1].addr, "{what}: ticks out of order {w:?}");
    }
    for t in &layout.ticks {
        let b = &layout.bounds;
        assert!(
            t.pos[0] >= b.min[0] && t.pos[0] <= b.max[0] && t.pos[1] >= b.min[1] && t.pos[1] <= b.max[1],
            "{what}: tick {t:?} outside the bounds"
        );
    }
}

fn shares_edge(a: &Rect, b: &Rect) -> bool {
    let x_overlap = a.min[0].max(b.min[0]) < a.max[0].min(b.max[0]);
    let y_overlap = a.min[1].max(b.min[1]) < a.max[1].min(b.max[1]);
    (x_overlap && (a.max[1] == b.min[1] || b.max[1] == a.min[1]))
        || (y_overlap && (a.max[0] == b.min[0] || b.max[0] == a.min[0]))
}

/// Hilbert: one 4-connected blob per region; consecutive regions touch.
fn check_hilbert_shape(src: &LayoutSource<'_>, layout: &Layout2d, what: &str) {
    let axis = Axis::new(src);
    let by_region = tiles_by_region(layout);
    for s in &axis.spans {
        let tiles = &by_region[&s.region];
        let mut reached = vec![false; tiles.len()];
        reached[0] = true;
        let mut stack = vec![0];
        while let Some(a) = stack.pop() {
            for b in 0..tiles.len() {
                if !reached[b] && shares_edge(&layout.tiles[tiles[a]].rect, &layout.tiles[tiles[b]].rect) {
                    reached[b] = true;
                    stack.push(b);
                }
            }
        }
        assert!(reached.iter().all(|r| *r), "{what}: region {} is not one blob", s.region);
    }
    for w in axis.spans.windows(2) {
        let (a, b) = (&by_region[&w[0].region], &by_region[&w[1].region]);
        assert!(
            a.iter().any(|&i| b.iter().any(|&j| shares_edge(&layout.tiles[i].rect, &layout.tiles[j].rect))),
            "{what}: regions {} and {} do not touch",
            w[0].region,
            w[1].region
        );
    }
    // The square is the smallest that holds the axis.
    let order = hilbert_order(axis.total_units);
    let side = (1u64 << order) as f32;
    assert!(layout.bounds.max[0] <= side && layout.bounds.max[1] <= side, "{what}");
    if let Some(last) = axis.spans.last() {
        let (x, y) = hilbert_cell(order, last.end - 1);
        let t = &by_region[&last.region];
        assert!(t.iter().any(|&i| layout.tiles[i].rect.contains([x as f32 + 0.5, y as f32 + 0.5])), "{what}");
    }
}

/// Treemap: areas within the padding error of exact proportion.
fn check_treemap_areas(src: &LayoutSource<'_>, layout: &Layout2d, what: &str) -> (f64, f64) {
    let total: f64 = layout.tiles.iter().map(|t| src.regions[t.region as usize].size_bytes as f64).sum();
    let world = WORLD_WIDTH * WORLD_HEIGHT;
    let (mut min_ratio, mut weighted) = (f64::INFINITY, 0.0);
    let mut by_owner: BTreeMap<(RegionKind, &Owner), f64> = BTreeMap::new();
    for t in &layout.tiles {
        assert!(inside(&t.rect, &Rect::new(0.0, 0.0, WORLD_WIDTH as f32, WORLD_HEIGHT as f32)), "{what}: {t:?}");
        let r = &src.regions[t.region as usize];
        let exact = r.size_bytes as f64 / total * world;
        let area = f64::from(t.rect.area());
        weighted += area / world;
        // f32 corners: only cells of a unit or more are measured.
        if exact < 1.0 {
            assert!(area <= exact * 1.01 + 1e-3, "{what}: {t:?} larger than its share {exact}");
            continue;
        }
        let ratio = area / exact;
        assert!(
            (MIN_AREA_FACTOR - 1e-3..=1.0 + 1e-3).contains(&ratio),
            "{what}: region {} keeps {ratio} of its area",
            t.region
        );
        min_ratio = min_ratio.min(ratio);
        // Exactly proportional within an owner.
        let first = *by_owner.entry((r.kind, &r.owner)).or_insert(ratio);
        assert!(
            (ratio - first).abs() <= 2e-3 * first + 1e-3,
            "{what}: region {} ratio {ratio} vs its owner's {first}",
            t.region
        );
    }
    (min_ratio, weighted)
}

/// HitIndex against a brute-force scan (last drawn wins), and tiles_of.
fn check_hits(layout: &Layout2d, what: &str) {
    let index = HitIndex::new(layout);
    let scan = |p: [f32; 2]| layout.tiles.iter().rev().find(|t| t.rect.contains(p)).map(|t| t.region);
    let b = layout.bounds;
    let mut rng = SplitMix64::new(0x6d65_6d73_6361_7065);
    let mut points: Vec<[f32; 2]> = (0..2000)
        .map(|_| {
            // Some points a little outside the bounds too.
            let x = b.min[0] + (rng.unit() * 1.1 - 0.05) * b.width();
            let y = b.min[1] + (rng.unit() * 1.1 - 0.05) * b.height();
            [x, y]
        })
        .collect();
    // Edges and corners are where an index most easily goes wrong.
    let step = (layout.tiles.len() / 500).max(1);
    for t in layout.tiles.iter().step_by(step) {
        points.extend([
            t.rect.min,
            t.rect.max,
            t.rect.center(),
            [t.rect.max[0], t.rect.min[1]],
            [t.rect.min[0], t.rect.max[1]],
        ]);
    }
    for p in points {
        assert_eq!(index.hit(layout, p), scan(p), "{what}: hit at {p:?}");
    }
    let by_region = tiles_by_region(layout);
    for (region, tiles) in &by_region {
        let got: Vec<usize> = index.tiles_of(*region).iter().map(|&i| i as usize).collect();
        assert_eq!(&got, tiles, "{what}: tiles_of({region})");
    }
    let absent = (0..).find(|r| !by_region.contains_key(r)).unwrap_or(0);
    assert!(index.tiles_of(absent).is_empty(), "{what}");
}

fn check_all_views(name: &str, regions: &[Region], modules: &[Module]) {
    for (filter, visible) in filters(regions) {
        let src = LayoutSource { regions, modules, visible: &visible };
        for view in ViewKind::ALL {
            let what = format!("{name} / {filter} / {}", view.name());
            let layout = layout_source(view, &src);
            check_common(view, &src, &layout, &what);
            match view {
                ViewKind::Strip => {
                    check_axis_areas(&src, &layout, &what);
                    check_ticks(&layout, &what);
                }
                ViewKind::Hilbert => {
                    check_axis_areas(&src, &layout, &what);
                    check_hilbert_shape(&src, &layout, &what);
                    check_ticks(&layout, &what);
                }
                ViewKind::Treemap => {
                    let (min_ratio, kept) = check_treemap_areas(&src, &layout, &what);
                    println!(
                        "{what}: treemap tiles keep >= {min_ratio:.3} of their exact area, {kept:.3} of the world"
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------- tests

#[test]
fn every_view_on_the_demo_and_synthetic_dumps() {
    for (name, space) in dumps() {
        check_all_views(&name, &space.regions, &space.modules);
    }
}

#[test]
fn every_view_on_generated_region_lists() {
    let fragmented = random_regions(5000, 1);
    check_all_views("random 5000", &fragmented, &[]);
    // Two TiB reserved (a CFG bitmap) next to small things: a coarse unit.
    let mut parts = vec![
        (64 * 1024, RegionKind::Free, Owner::None),
        (3 * PAGE, RegionKind::Image, Owner::Module(0)),
        (2 << 40, RegionKind::Reserved, Owner::None),
        (PAGE, RegionKind::TEB, Owner::Thread(7)),
        (100 << 40, RegionKind::Free, Owner::None),
    ];
    parts.extend((0..100).map(|i| (PAGE * (1 + i % 7), RegionKind::Heap, Owner::Heap(i as u32 % 3))));
    let coarse = region_list(parts);
    let axis = Axis::build(&coarse, &vec![true; coarse.len()]);
    assert!(axis.unit_shift > 0 && axis.total_units <= memscape::layout::axis::MAX_UNITS);
    check_all_views("coarse", &coarse, &[]);
    // Degenerate: nothing, one region, only gaps.
    check_all_views("empty", &[], &[]);
    check_all_views("one", &region_list([(PAGE, RegionKind::Image, Owner::None)]), &[]);
    let gaps = region_list([(1 << 40, RegionKind::Free, Owner::None), (PAGE, RegionKind::Unknown, Owner::None)]);
    check_all_views("only gaps", &gaps, &[]);
    assert!(
        layout_source(ViewKind::Treemap, &LayoutSource { regions: &gaps, modules: &[], visible: &[true, true] })
            .tiles
            .is_empty()
    );
}

#[test]
fn the_dispatcher_and_the_input_agree() {
    let space = memscape::demo::open_demo().unwrap();
    let visible = all_visible(&space);
    assert_eq!(visible.len(), space.regions.len());
    let input = LayoutInput { space: &space, visible: &visible };
    // The same dump read again gives the same maps.
    let again = memscape::demo::open_demo().unwrap();
    let visible_again = all_visible(&again);
    for view in ViewKind::ALL {
        let a = layout(view, &input);
        let b = layout_source(view, &input.source());
        let c = layout(view, &LayoutInput { space: &again, visible: &visible_again });
        assert!(same_layout(&a, &b) && same_layout(&a, &c), "{}", view.name());
        assert!(!a.tiles.is_empty() && !a.labels.is_empty(), "{}", view.name());
    }
    // A short filter hides the regions it does not cover.
    let short = vec![true; 3];
    let strip = layout(ViewKind::Strip, &LayoutInput { space: &space, visible: &short });
    assert!(strip.tiles.iter().all(|t| t.region < 3));
}

#[test]
fn demo_labels_name_modules_heaps_and_stacks() {
    let space = memscape::demo::open_demo().unwrap();
    let visible = all_visible(&space);
    let input = LayoutInput { space: &space, visible: &visible };
    for view in [ViewKind::Strip, ViewKind::Hilbert] {
        let l = layout(view, &input);
        let texts: Vec<&str> = l.labels.iter().map(|l| l.text.as_str()).collect();
        for want in ["ntdll.dll", "heap 0", "clr.dll"] {
            assert!(texts.contains(&want), "{}: no {want} label in {texts:?}", view.name());
        }
        assert!(texts.iter().any(|t| t.starts_with("stack 0x")), "{}: {texts:?}", view.name());
        // One label per module allocation run, not one per section.
        let ntdll = texts.iter().filter(|t| **t == "ntdll.dll").count();
        assert_eq!(ntdll, 1, "{}", view.name());
    }
    let tree = layout(ViewKind::Treemap, &input);
    let texts: Vec<&str> = tree.labels.iter().map(|l| l.text.as_str()).collect();
    for want in ["Image", "Heap", "Stack", "PrivateData", "Reserved"] {
        assert!(texts.contains(&want), "treemap: no {want} header in {texts:?}");
    }
    assert!(!texts.contains(&"Free") && !texts.contains(&"Unknown"));
}

#[test]
fn a_128_tib_space_is_mostly_regions_not_gaps() {
    // The demo is a 64-bit process: its few clusters, not its terabytes of
    // free space, should fill the strip.
    let space = memscape::demo::open_demo().unwrap();
    let visible = all_visible(&space);
    let axis = Axis::build(&space.regions, &visible);
    let gap_units: u64 =
        axis.spans.iter().filter(|s| is_gap(space.regions[s.region as usize].kind)).map(|s| s.len()).sum();
    let share = gap_units as f64 / axis.total_units as f64;
    println!("demo: {} units, unit shift {}, gaps {:.1}%", axis.total_units, axis.unit_shift, share * 100.0);
    assert!(share < 0.25, "gaps take {:.1}% of the axis", share * 100.0);
    assert!(axis.spans.iter().any(|s| s.compressed));
}

#[test]
fn every_view_on_the_corpus() {
    let Some(dir) = common::corpus_dir() else { return };
    for row in common::read_manifest(&dir) {
        let path = dir.join(row.file());
        let space = AddressSpace::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        check_all_views(row.file(), &space.regions, &space.modules);
    }
}
