//! The 3D layouts' promises (City, Volume) and 3D picking, checked on the
//! bundled demo dump, on bare region lists (a hand-made one with known
//! heights, a big one that scales heights, random fragmented ones) and on
//! every corpus dump when `MEMSCAPE_CORPUS` is set:
//!
//! - every visible region is drawn by at least one box, hidden ones by none,
//!   and the same input gives the same scene;
//! - City: box `i` stands on the ground over Hilbert tile `i` inset by
//!   `tile_inset(side)`, footprints do not overlap, all boxes of a region
//!   share one height, and heights follow the metric: monotonic in bytes
//!   (Size, Committed, Captured) and in the owning thread's CPU time, in the
//!   documented order of protection classes, gaps and compressed spans the
//!   lowest flat slab; labels float over the tallest boxes, tallest first;
//!   ticks are the Hilbert map's on the ground;
//! - Volume: every box is an aligned power-of-two cube inside the Hilbert
//!   cube, no two overlap, and a region's cubes add up to its axis length;
//!   labels sit at the centre of a largest cube;
//! - the 3D Hilbert curve steps between face neighbours, visits every cell
//!   once, and its aligned blocks are cubes;
//! - `Hit3dIndex::pick` agrees with `pick_scan` on random rays (fixed seed),
//!   with and without a skip predicate; a ray straight down onto a box's top
//!   centre finds that box; rays that miss find nothing.

use crate::common;

use std::collections::BTreeMap;

use memscape::dump::{AddressSpace, Module, Owner, Protection, Region, RegionKind, RegionState, Thread};
use memscape::layout::axis::{Axis, is_gap};
use memscape::layout::city::{
    FLAT_HEIGHT, MAX_LABELS, NO_CPU_HEIGHT, ThreadTimes, cpu_height, height_scale, layout_city, layout_city_source,
    log_height, protection_height, tile_inset,
};
use memscape::layout::hilbert::{hilbert_order, layout_hilbert_source};
use memscape::layout::hit3d::{Hit3dIndex, pick_scan, ray_box};
use memscape::layout::layout3d::{Box3, HeightMetric, Layout3d};
use memscape::layout::volume::{hilbert3_block, hilbert3_cell, hilbert3_order, layout_volume, layout_volume_source};
use memscape::layout::{LayoutInput, LayoutSource, all_visible};

use common::rng::{SplitMix64, TestRng};
use common::{PAGE, region_list};

// ---------------------------------------------------------------- inputs

const PROTECTIONS: [u32; 9] = [
    0,
    Protection::NOACCESS,
    Protection::READONLY,
    Protection::READWRITE,
    Protection::WRITECOPY,
    Protection::EXECUTE,
    Protection::EXECUTE_READ,
    Protection::EXECUTE_READWRITE,
    Protection::READWRITE | Protection::GUARD,
];

/// A fragmented space of `n` regions: image sections, heaps, stacks and TEBs
/// of 8 threads, mapped files, reservations (now and then huge), private data
/// and gaps of every size, with random protections and captured bytes; seeded.
fn random_regions(n: usize, seed: u64) -> Vec<Region> {
    let mut rng = SplitMix64::new(seed);
    let (mut parts, mut paths) = (Vec::with_capacity(n), Vec::with_capacity(n));
    while parts.len() < n {
        let pages = 1 + rng.below(64) * if rng.below(10) == 0 { 100 } else { 1 };
        let mut path = String::new();
        let (kind, owner) = match rng.below(10) {
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
            8 => (RegionKind::TEB, Owner::Thread(rng.below(8) as u32)),
            _ => (RegionKind::PrivateData, Owner::None),
        };
        let size = match kind {
            // Free space now and then spans gigabytes to terabytes.
            RegionKind::Free if rng.below(4) == 0 => PAGE << (18 + rng.below(22)),
            // Now and then a huge reservation (a CFG bitmap, a V8 cage).
            RegionKind::Reserved if rng.below(8) == 0 => PAGE << (18 + rng.below(12)),
            _ => pages * PAGE,
        };
        parts.push((size, kind, owner));
        paths.push(path);
    }
    let mut regions = region_list(parts);
    for (r, path) in regions.iter_mut().zip(paths) {
        // A mapped file's path is its label.
        r.label = path.into();
        if r.kind == RegionKind::Reserved {
            r.state = RegionState::Reserve;
        } else if !is_gap(r.kind) {
            r.protect = Protection(PROTECTIONS[rng.below(PROTECTIONS.len() as u64) as usize]);
            r.captured_bytes = match rng.below(3) {
                0 => 0,
                1 => r.size_bytes,
                _ => rng.below(r.size_bytes + 1),
            };
        }
    }
    regions
}

/// Threads 0..8 (ids as `random_regions` uses them) with random times, some unknown.
fn random_threads(seed: u64) -> Vec<Thread> {
    let mut rng = SplitMix64::new(seed ^ 0x5eed);
    (0..8)
        .map(|id| {
            let time = |rng: &mut SplitMix64| (rng.below(4) != 0).then(|| rng.below(100_000));
            Thread { id, user_time_ms: time(&mut rng), kernel_time_ms: time(&mut rng), ..Thread::default() }
        })
        .collect()
}

/// Filters to try on a space: everything, every third region hidden, gaps hidden.
fn filters(regions: &[Region]) -> Vec<(&'static str, Vec<bool>)> {
    vec![
        ("all", vec![true; regions.len()]),
        ("every third hidden", (0..regions.len()).map(|i| i % 3 != 1).collect()),
        ("gaps hidden", regions.iter().map(|r| !is_gap(r.kind)).collect()),
    ]
}

// ---------------------------------------------------------------- checks

fn same_scene(a: &Layout3d, b: &Layout3d) -> bool {
    a.boxes == b.boxes
        && a.labels == b.labels
        && a.ticks == b.ticks
        && a.bounds_min == b.bounds_min
        && a.bounds_max == b.bounds_max
        && a.ground_min == b.ground_min
        && a.ground_max == b.ground_max
}

/// Box indices per region.
fn boxes_by_region(scene: &Layout3d) -> BTreeMap<u32, Vec<usize>> {
    let mut out: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, b) in scene.boxes.iter().enumerate() {
        out.entry(b.region).or_default().push(i);
    }
    out
}

/// Both 3D views: visible regions drawn, hidden ones not; boxes well formed
/// and inside the bounds, which are their extent.
fn check_common(src: &LayoutSource<'_>, scene: &Layout3d, what: &str) {
    let by_region = boxes_by_region(scene);
    for i in 0..src.regions.len() {
        assert_eq!(by_region.contains_key(&(i as u32)), src.is_visible(i), "{what}: region {i} drawn?");
    }
    let (mut lo, mut hi) = ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]);
    for b in scene.boxes.iter() {
        for a in 0..3 {
            assert!(b.min[a] < b.max[a], "{what}: empty or inverted box {b:?}");
            lo[a] = lo[a].min(b.min[a]);
            hi[a] = hi[a].max(b.max[a]);
        }
    }
    if scene.boxes.is_empty() {
        assert_eq!((scene.bounds_min, scene.bounds_max), ([0.0; 3], [0.0; 3]), "{what}");
    } else {
        assert_eq!((scene.bounds_min, scene.bounds_max), (lo, hi), "{what}: bounds are not the boxes' extent");
    }
    for l in &scene.labels {
        assert!(!l.text.is_empty(), "{what}: empty label {l:?}");
        assert!(src.is_visible(l.region as usize), "{what}: label on a hidden region {l:?}");
        let kind = src.regions[l.region as usize].kind;
        assert!(matches!(kind, RegionKind::Image | RegionKind::Heap | RegionKind::Stack), "{what}: label on {kind:?}");
    }
    assert!(scene.labels.len() <= MAX_LABELS, "{what}: {} labels", scene.labels.len());
}

/// Image/Heap/Stack owners (module, heap, stack), which must each get a label
/// when there are few of them.
fn landmark_owners(src: &LayoutSource<'_>) -> usize {
    let mut owners = std::collections::BTreeSet::new();
    for (i, r) in src.regions.iter().enumerate() {
        if !src.is_visible(i) {
            continue;
        }
        match (r.kind, &r.owner) {
            (RegionKind::Image, Owner::Module(m)) => owners.insert((0, *m as u64)),
            (RegionKind::Heap, Owner::Heap(h)) => owners.insert((1, *h as u64)),
            (RegionKind::Stack, Owner::Thread(t)) => owners.insert((2, u64::from(*t))),
            _ => false,
        };
    }
    owners.len()
}

fn overlap2(a: &Box3, b: &Box3) -> bool {
    a.min[0] < b.max[0] && b.min[0] < a.max[0] && a.min[2] < b.max[2] && b.min[2] < a.max[2]
}

/// No two footprints (x/z) share interior points; pairs are only compared when
/// they share a bucket of a coarse test-only grid.
fn assert_no_footprint_overlap(scene: &Layout3d, what: &str) {
    let boxes = &scene.boxes;
    let side = ((boxes.len() as f64).sqrt().ceil() as usize).clamp(1, 512);
    let (lo, hi) = (scene.bounds_min, scene.bounds_max);
    let (w, h) = ((hi[0] - lo[0]).max(1e-6), (hi[2] - lo[2]).max(1e-6));
    let cell = |v: f32, lo: f32, len: f32| (((v - lo) / len * side as f32) as usize).min(side - 1);
    let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); side * side];
    for (i, b) in boxes.iter().enumerate() {
        let (c0, c1) = (cell(b.min[0], lo[0], w), cell(b.max[0], lo[0], w));
        let (r0, r1) = (cell(b.min[2], lo[2], h), cell(b.max[2], lo[2], h));
        for r in r0..=r1 {
            for c in c0..=c1 {
                buckets[r * side + c].push(i);
            }
        }
    }
    for bucket in &buckets {
        for (k, &i) in bucket.iter().enumerate() {
            for &j in &bucket[k + 1..] {
                assert!(!overlap2(&boxes[i], &boxes[j]), "{what}: boxes {i} and {j} overlap");
            }
        }
    }
}

/// What a region's height must be monotonic in, for the metric (`None`:
/// flat, as gaps; see the city module's docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// Gaps and compressed spans: the lowest slab.
    Slab,
    /// CpuTime of a region no thread owns, or of a thread without times.
    NoCpu,
    /// A value the height climbs with.
    Value(u64),
}

/// The protection classes in their documented order.
fn protection_rank(p: Protection) -> u64 {
    let readable = p.0
        & (Protection::READONLY
            | Protection::READWRITE
            | Protection::WRITECOPY
            | Protection::EXECUTE_READ
            | Protection::EXECUTE_READWRITE
            | Protection::EXECUTE_WRITECOPY)
        != 0;
    if p.is_guard() {
        2
    } else if p.is_executable() && p.is_writable() {
        5
    } else if p.is_executable() {
        4
    } else if p.is_writable() {
        3
    } else if readable {
        1
    } else {
        0
    }
}

fn thread_ms(threads: &[Thread], id: u32) -> Option<u64> {
    let t = threads.iter().find(|t| t.id == id)?;
    match (t.user_time_ms, t.kernel_time_ms) {
        (None, None) => None,
        (u, k) => Some(u.unwrap_or(0) + k.unwrap_or(0)),
    }
}

fn rank(metric: HeightMetric, r: &Region, compressed: bool, threads: &[Thread]) -> Rank {
    if compressed || is_gap(r.kind) {
        return Rank::Slab;
    }
    match metric {
        HeightMetric::Size => Rank::Value(r.size_bytes),
        HeightMetric::Committed if r.state == RegionState::Commit => Rank::Value(r.size_bytes),
        HeightMetric::Committed => Rank::Slab,
        HeightMetric::Captured if r.captured_bytes == 0 => Rank::Slab,
        HeightMetric::Captured => Rank::Value(r.captured_bytes),
        HeightMetric::Protection => Rank::Value(protection_rank(r.protect)),
        HeightMetric::CpuTime => match r.owner {
            Owner::Thread(id) => thread_ms(threads, id).map_or(Rank::NoCpu, Rank::Value),
            _ => Rank::NoCpu,
        },
    }
}

/// City: footprints are the Hilbert tiles inset, boxes stand on the ground,
/// one height per region, heights ordered as the metric's values, labels
/// over the tallest boxes, ticks the Hilbert map's.
fn check_city(src: &LayoutSource<'_>, threads: &[Thread], metric: HeightMetric, what: &str) -> Layout3d {
    let scene = layout_city_source(src, threads, metric);
    assert!(same_scene(&scene, &layout_city_source(src, threads, metric)), "{what}: two runs differ");
    check_common(src, &scene, what);

    let map = layout_hilbert_source(src);
    assert_eq!(scene.boxes.len(), map.tiles.len(), "{what}: one box per Hilbert tile");
    for (b, t) in scene.boxes.iter().zip(&map.tiles) {
        assert_eq!((b.region, b.compressed), (t.region, t.compressed), "{what}");
        let inset = tile_inset(t.rect.width());
        assert_eq!(t.rect.width(), t.rect.height(), "{what}: Hilbert tiles are squares");
        let want = [t.rect.min[0] + inset, t.rect.min[1] + inset, t.rect.max[0] - inset, t.rect.max[1] - inset];
        assert_eq!([b.min[0], b.min[2], b.max[0], b.max[2]], want, "{what}: footprint of {b:?} vs tile {t:?}");
        assert_eq!(b.min[1], 0.0, "{what}: box off the ground {b:?}");
    }
    assert_no_footprint_overlap(&scene, what);
    assert_eq!((scene.ground_min, scene.ground_max), (map.bounds.min, map.bounds.max), "{what}: ground");
    assert_eq!(scene.ticks.len(), map.ticks.len(), "{what}");
    for (g, t) in scene.ticks.iter().zip(&map.ticks) {
        assert_eq!((g.pos, g.addr), ([t.pos[0], 0.0, t.pos[1]], t.addr), "{what}: tick");
    }

    // One height per region; heights in the order of the metric's values.
    let scale = height_scale(hilbert_order(Axis::new(src).total_units));
    let by_region = boxes_by_region(&scene);
    let mut ranked: Vec<(Rank, f32, u32)> = Vec::with_capacity(by_region.len());
    for (&region, boxes) in &by_region {
        let h = scene.boxes[boxes[0]].max[1];
        for &i in boxes {
            assert_eq!(scene.boxes[i].max[1], h, "{what}: region {region}'s boxes differ in height");
        }
        let b = &scene.boxes[boxes[0]];
        ranked.push((rank(metric, &src.regions[region as usize], b.compressed, threads), h, region));
    }
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    for w in ranked.windows(2) {
        let ((ra, ha, ia), (rb, hb, ib)) = (w[0], w[1]);
        assert!(ha <= hb, "{what} ({metric:?}): region {ia} {ra:?} h {ha} above region {ib} {rb:?} h {hb}");
        if ra == rb {
            assert_eq!(ha, hb, "{what} ({metric:?}): regions {ia} and {ib} share {ra:?} but not a height");
        }
        // Classes are steps: a higher protection class is strictly taller.
        if metric == HeightMetric::Protection && ra != rb {
            assert!(ha < hb, "{what}: protection {ra:?} and {rb:?} share a height");
        }
    }
    for (r, h, region) in &ranked {
        match r {
            Rank::Slab => assert_eq!(*h, FLAT_HEIGHT * scale, "{what}: region {region} is no slab"),
            Rank::NoCpu => assert_eq!(*h, NO_CPU_HEIGHT * scale, "{what}: region {region}"),
            Rank::Value(_) => assert!(*h > FLAT_HEIGHT * scale, "{what}: region {region} flat"),
        }
    }

    // Labels: over a tallest box of their region, tallest first.
    let top = |i: usize| scene.boxes[i].max[1];
    for l in &scene.labels {
        let boxes = &by_region[&l.region];
        let tallest = boxes.iter().map(|&i| top(i)).fold(0.0, f32::max);
        assert!(l.anchor[1] > tallest, "{what}: label {l:?} not above its box (top {tallest})");
        assert!(
            boxes.iter().any(|&i| {
                let b = &scene.boxes[i];
                let c = b.center();
                l.anchor[0] == c[0] && l.anchor[2] == c[2]
            }),
            "{what}: label {l:?} not over a box centre of its region"
        );
    }
    for w in scene.labels.windows(2) {
        assert!(w[0].anchor[1] >= w[1].anchor[1], "{what}: labels not tallest first: {w:?}");
    }
    assert!(scene.labels.len() >= landmark_owners(src).min(MAX_LABELS), "{what}: a landmark without a label");
    scene
}

/// The Morton code of a cell: aligned power-of-two cubes are ranges of it.
fn morton(c: [u32; 3]) -> u64 {
    let mut out = 0u64;
    for bit in 0..21 {
        for (a, v) in c.iter().enumerate() {
            out |= u64::from((v >> bit) & 1) << (3 * bit + a);
        }
    }
    out
}

/// Volume: aligned cubes inside the Hilbert cube, an exact tiling of the
/// axis (volumes per region = axis lengths, no overlaps), labels at a
/// largest cube's centre.
fn check_volume(src: &LayoutSource<'_>, what: &str) -> Layout3d {
    let scene = layout_volume_source(src);
    assert!(same_scene(&scene, &layout_volume_source(src)), "{what}: two runs differ");
    check_common(src, &scene, what);
    assert!(scene.ticks.is_empty(), "{what}");

    let axis = Axis::new(src);
    let order = hilbert3_order(axis.total_units);
    let cube = (1u64 << order) as f32;
    let mut ranges = Vec::with_capacity(scene.boxes.len());
    for b in scene.boxes.iter() {
        let side = b.max[0] - b.min[0];
        let s = side as u32;
        assert!(s.is_power_of_two() && s as f32 == side, "{what}: side {side} of {b:?}");
        for a in 0..3 {
            assert_eq!(b.max[a] - b.min[a], side, "{what}: not a cube {b:?}");
            assert!(b.min[a] >= 0.0 && b.max[a] <= cube, "{what}: {b:?} outside the cube of {cube}");
            assert_eq!(b.min[a] as u32 % s, 0, "{what}: unaligned {b:?}");
        }
        let start = morton(b.min.map(|v| v as u32));
        ranges.push((start, start + u64::from(s).pow(3)));
    }
    // Aligned cubes are Morton ranges: sorted, no range may reach into the next.
    ranges.sort_unstable();
    for w in ranges.windows(2) {
        assert!(w[0].1 <= w[1].0, "{what}: cubes overlap: {w:?}");
    }
    let by_region = boxes_by_region(&scene);
    let mut at = 0;
    for s in &axis.spans {
        let boxes = &by_region[&s.region];
        let volume: u64 =
            boxes.iter().map(|&i| (scene.boxes[i].max[0] - scene.boxes[i].min[0]) as u64).map(|v| v.pow(3)).sum();
        assert_eq!(volume, s.len(), "{what}: region {} volume vs axis length", s.region);
        for &i in boxes {
            assert_eq!(scene.boxes[i].compressed, s.compressed, "{what}");
        }
        // Boxes come in address order, a region's together.
        assert_eq!(boxes[0], at, "{what}: region {} out of order", s.region);
        assert_eq!(*boxes.last().unwrap_or(&0), at + boxes.len() - 1, "{what}");
        at += boxes.len();
    }
    // Each region's first cube holds the curve's cell at its span start.
    for s in &axis.spans {
        let c = hilbert3_cell(order, s.start).map(|v| v as f32 + 0.5);
        let b = &scene.boxes[by_region[&s.region][0]];
        assert!((0..3).all(|a| b.min[a] < c[a] && c[a] < b.max[a]), "{what}: region {} starts elsewhere", s.region);
    }

    for l in &scene.labels {
        let boxes = &by_region[&l.region];
        let largest = boxes.iter().map(|&i| scene.boxes[i].max[0] - scene.boxes[i].min[0]).fold(0.0, f32::max);
        assert!(
            boxes
                .iter()
                .any(|&i| scene.boxes[i].center() == l.anchor
                    && scene.boxes[i].max[0] - scene.boxes[i].min[0] == largest),
            "{what}: label {l:?} not at the centre of its region's largest cube"
        );
    }
    assert!(scene.labels.len() >= landmark_owners(src).min(MAX_LABELS), "{what}: a landmark without a label");
    scene
}

/// A random direction; now and then with one or two zero components.
fn random_dir(rng: &mut SplitMix64) -> [f32; 3] {
    let mut d = [rng.between(-1.0, 1.0), rng.between(-1.0, 1.0), rng.between(-1.0, 1.0)];
    match rng.below(8) {
        0 => d[rng.below(3) as usize] = 0.0,
        1 => {
            let keep = rng.below(3) as usize;
            for (a, v) in d.iter_mut().enumerate() {
                if a != keep {
                    *v = 0.0;
                }
            }
        }
        _ => {}
    }
    if d == [0.0; 3] { [0.0, -1.0, 0.0] } else { d }
}

/// Index and scan agree: both miss, or both hit at the same `t` (the same
/// box, or boxes the ray enters at the same `t`).
fn assert_same_pick(
    scene: &Layout3d,
    got: Option<(usize, f32)>,
    want: Option<(usize, f32)>,
    ray: ([f32; 3], [f32; 3]),
    what: &str,
) {
    match (got, want) {
        (None, None) => {}
        (Some((gi, gt)), Some((wi, wt))) => {
            assert_eq!(gt, wt, "{what}: ray {ray:?}: index box {gi} at {gt}, scan box {wi} at {wt}");
            assert_eq!(ray_box(ray.0, ray.1, &scene.boxes[gi]), Some(gt), "{what}");
        }
        _ => panic!("{what}: ray {ray:?}: index {got:?}, scan {want:?}"),
    }
}

/// Picking: random rays (aimed at boxes, and anywhere) agree with the scan,
/// with no skip, skipping gaps, and skipping everything beyond a slicing
/// plane; rays straight down onto top centres find their box; misses miss.
fn check_picking(scene: &Layout3d, rays: usize, seed: u64, what: &str) {
    let index = Hit3dIndex::new(scene);
    let (lo, hi) = (scene.bounds_min, scene.bounds_max);
    let ext: [f32; 3] = std::array::from_fn(|a| (hi[a] - lo[a]).max(1.0));
    let plane = lo[0] + ext[0] * 0.4;
    let mut rng = SplitMix64::new(seed);
    let mut hits = 0;
    for k in 0..rays {
        let origin: [f32; 3] = std::array::from_fn(|a| rng.between(lo[a] - 0.3 * ext[a], hi[a] + 0.3 * ext[a]));
        let dir = if k % 2 == 0 && !scene.boxes.is_empty() {
            // Aimed at a random point of a random box.
            let b = &scene.boxes[rng.below(scene.boxes.len() as u64) as usize];
            let target: [f32; 3] = std::array::from_fn(|a| rng.between(b.min[a], b.max[a]));
            std::array::from_fn(|a| target[a] - origin[a])
        } else {
            random_dir(&mut rng)
        };
        let ray = (origin, dir);
        let none = |_: &Box3| false;
        let gaps = |b: &Box3| b.compressed || (b.max[1] - b.min[1] < 0.1 && b.min[1] == 0.0);
        let sliced = |b: &Box3| b.center()[0] > plane;
        let want = pick_scan(scene, origin, dir, none);
        hits += usize::from(want.is_some());
        assert_same_pick(scene, index.pick(scene, origin, dir, none), want, ray, what);
        assert_same_pick(scene, index.pick(scene, origin, dir, gaps), pick_scan(scene, origin, dir, gaps), ray, what);
        assert_same_pick(
            scene,
            index.pick(scene, origin, dir, sliced),
            pick_scan(scene, origin, dir, sliced),
            ray,
            what,
        );
    }
    if !scene.boxes.is_empty() {
        assert!(hits > rays / 4, "{what}: only {hits} of {rays} random rays hit anything");
    }

    // Straight down onto top centres (boxes above a box's top skipped, as a
    // slicing plane does in the Volume; nothing is above a City box).
    let step = (scene.boxes.len() / 300).max(1);
    for i in (0..scene.boxes.len()).step_by(step) {
        let b = scene.boxes[i];
        let c = b.center();
        let origin = [c[0], hi[1] + 5.0, c[2]];
        let above = |o: &Box3| o.min[1] >= b.max[1];
        let got = index.pick(scene, origin, [0.0, -1.0, 0.0], above);
        assert_eq!(got, Some((i, origin[1] - b.max[1])), "{what}: straight down onto box {i} {b:?}");
    }

    // Misses: away from the scene, and parallel beside it.
    let none = |_: &Box3| false;
    let above = [(lo[0] + hi[0]) * 0.5, hi[1] + 1.0, (lo[2] + hi[2]) * 0.5];
    assert_eq!(index.pick(scene, above, [0.0, 1.0, 0.0], none), None, "{what}");
    assert_eq!(index.pick(scene, above, [0.3, 0.2, -0.1], none), None, "{what}");
    let beside = [hi[0] + 1.0, (lo[1] + hi[1]) * 0.5, lo[2] - 10.0];
    assert_eq!(index.pick(scene, beside, [0.0, 0.0, 1.0], none), None, "{what}");
    // Skipping everything finds nothing.
    assert_eq!(index.pick(scene, above, [0.0, -1.0, 0.0], |_| true), None, "{what}");
    // boxes_of lists exactly a region's boxes.
    for (region, boxes) in boxes_by_region(scene) {
        let listed: Vec<usize> = index.boxes_of(region).iter().map(|&i| i as usize).collect();
        assert_eq!(listed, boxes, "{what}: boxes_of({region})");
    }
}

/// Every check on one space, every filter, every metric.
fn check_space(tag: &str, regions: &[Region], modules: &[Module], threads: &[Thread], rays: usize) {
    for (name, visible) in filters(regions) {
        let src = LayoutSource { regions, modules, visible: &visible };
        for metric in HeightMetric::ALL {
            let what = format!("{tag} / {name} / city {}", metric.name());
            let scene = check_city(&src, threads, metric, &what);
            if metric == HeightMetric::Size {
                check_picking(&scene, rays, 11, &what);
            }
        }
        let what = format!("{tag} / {name} / volume");
        let scene = check_volume(&src, &what);
        check_picking(&scene, rays, 13, &what);
    }
}

// ---------------------------------------------------------------- tests

#[test]
fn demo_dump() {
    let space = memscape::demo::open_demo().expect("demo dump opens");
    check_space("demo", &space.regions, &space.modules, &space.threads, 500);

    // The LayoutInput entry points are the LayoutSource ones with the dump's threads.
    let visible = all_visible(&space);
    let input = LayoutInput { space: &space, visible: &visible };
    for metric in HeightMetric::ALL {
        let a = layout_city(&input, metric);
        assert!(same_scene(&a, &layout_city_source(&input.source(), &space.threads, metric)), "{metric:?}");
    }
    let v = layout_volume(&input);
    assert!(same_scene(&v, &layout_volume_source(&input.source())));
    let city = layout_city(&input, HeightMetric::Size);
    println!(
        "demo: {} regions; city {} boxes, {} labels, {} ticks, bounds {:?}..{:?}; volume {} boxes, {} labels, side {}",
        space.regions.len(),
        city.boxes.len(),
        city.labels.len(),
        city.ticks.len(),
        city.bounds_min,
        city.bounds_max,
        v.boxes.len(),
        v.labels.len(),
        v.bounds_max[0]
    );
    assert!(!city.labels.is_empty() && !v.labels.is_empty());
}

#[test]
fn random_spaces() {
    for (n, seed) in [(1, 1), (2, 2), (40, 3), (400, 4), (3000, 5)] {
        let regions = random_regions(n, seed);
        let threads = random_threads(seed);
        check_space(&format!("random {n}/{seed}"), &regions, &[], &threads, 300);
    }
}

#[test]
fn empty_and_hidden_spaces() {
    let regions = random_regions(10, 9);
    let hidden = vec![false; regions.len()];
    for visible in [&hidden[..], &[][..]] {
        let src = LayoutSource { regions: &regions, modules: &[], visible };
        for scene in [layout_city_source(&src, &[], HeightMetric::Size), layout_volume_source(&src)] {
            assert!(scene.boxes.is_empty() && scene.labels.is_empty() && scene.ticks.is_empty());
            let index = Hit3dIndex::new(&scene);
            assert_eq!(index.pick(&scene, [0.0, 1.0, 0.0], [0.0, -1.0, 0.0], |_| false), None);
        }
    }
    let nothing = LayoutSource { regions: &[], modules: &[], visible: &[] };
    assert!(layout_volume_source(&nothing).boxes.is_empty());
    assert!(layout_city_source(&nothing, &[], HeightMetric::CpuTime).boxes.is_empty());
}

/// A hand-made space where every height is known.
#[test]
fn heights_follow_the_documented_formulas() {
    const KIB: u64 = 1024;
    const MIB: u64 = 1 << 20;
    let parts = [
        (4 * KIB, RegionKind::Image, Owner::Module(0)),   // 0
        (64 * KIB, RegionKind::Image, Owner::Module(0)),  // 1
        (MIB, RegionKind::Heap, Owner::Heap(0)),          // 2
        (1 << 30, RegionKind::Free, Owner::None),         // 3: compressed gap
        (256 * KIB, RegionKind::Stack, Owner::Thread(1)), // 4
        (8 * KIB, RegionKind::TEB, Owner::Thread(2)),     // 5
        (64 * KIB, RegionKind::Stack, Owner::Thread(3)),  // 6: no times
        (2 << 40, RegionKind::Reserved, Owner::None),     // 7: huge reservation, compressed
        (32 * KIB, RegionKind::PrivateData, Owner::None), // 8
        (16 * KIB, RegionKind::Reserved, Owner::None),    // 9: small reservation
        (4 * KIB, RegionKind::Unknown, Owner::None),      // 10: gap, uncompressed
    ];
    let mut regions = region_list(parts);
    regions[7].state = RegionState::Reserve;
    regions[9].state = RegionState::Reserve;
    let prot = [
        Protection::READONLY,
        Protection::EXECUTE_READ,
        Protection::READWRITE,
        0,
        Protection::READWRITE | Protection::GUARD,
        Protection::READWRITE,
        Protection::EXECUTE_READWRITE,
        0,
        Protection::NOACCESS,
        0,
        0,
    ];
    for (r, p) in regions.iter_mut().zip(prot) {
        r.protect = Protection(p);
        r.captured_bytes = r.size_bytes.min(16 * KIB);
    }
    regions[8].captured_bytes = 0;
    let threads = vec![
        Thread { id: 1, user_time_ms: Some(1000), kernel_time_ms: Some(500), ..Thread::default() },
        Thread { id: 2, user_time_ms: None, kernel_time_ms: Some(20), ..Thread::default() },
        Thread { id: 3, ..Thread::default() },
    ];
    let visible = vec![true; regions.len()];
    let src = LayoutSource { regions: &regions, modules: &[], visible: &visible };
    let axis = Axis::new(&src);
    assert!(axis.spans[3].compressed && axis.spans[7].compressed && !axis.spans[10].compressed);
    assert_eq!(height_scale(hilbert_order(axis.total_units)), 1.0);

    let height_of = |scene: &Layout3d, region: u32| {
        let hs: Vec<f32> = scene.boxes.iter().filter(|b| b.region == region).map(|b| b.max[1]).collect();
        assert!(!hs.is_empty() && hs.iter().all(|h| *h == hs[0]));
        hs[0]
    };
    let flat = FLAT_HEIGHT;
    let expect: [(HeightMetric, [f32; 11]); 5] = [
        (
            HeightMetric::Size,
            [
                log_height(4 * KIB),
                2.5,
                log_height(MIB),
                flat,
                log_height(256 * KIB),
                log_height(8 * KIB),
                2.5,
                flat,
                log_height(32 * KIB),
                log_height(16 * KIB),
                flat,
            ],
        ),
        (
            HeightMetric::Committed,
            [
                log_height(4 * KIB),
                2.5,
                log_height(MIB),
                flat,
                log_height(256 * KIB),
                log_height(8 * KIB),
                2.5,
                flat,
                log_height(32 * KIB),
                flat,
                flat,
            ],
        ),
        (
            HeightMetric::Captured,
            [
                log_height(4 * KIB),
                log_height(16 * KIB),
                log_height(16 * KIB),
                flat,
                log_height(16 * KIB),
                log_height(8 * KIB),
                log_height(16 * KIB),
                flat,
                flat,
                log_height(16 * KIB),
                flat,
            ],
        ),
        (HeightMetric::Protection, [1.0, 3.0, 2.0, flat, 1.5, 2.0, 4.0, flat, 0.2, 0.2, flat]),
        (
            HeightMetric::CpuTime,
            [0.2, 0.2, 0.2, flat, cpu_height(Some(1500)), cpu_height(Some(20)), 0.2, flat, 0.2, 0.2, flat],
        ),
    ];
    for (metric, heights) in expect {
        let scene = layout_city_source(&src, &threads, metric);
        for (region, want) in heights.iter().enumerate() {
            let got = height_of(&scene, region as u32);
            assert!((got - want).abs() < 1e-5, "{metric:?}: region {region}: {got} want {want}");
        }
        check_city(&src, &threads, metric, &format!("hand-made {metric:?}"));
    }
    assert!((log_height(256 * KIB) - (0.5 + 2.0 * 5f32.log2())).abs() < 1e-5);
    assert!((cpu_height(Some(1500)) - (0.5 + 2.0 * 151f32.log2())).abs() < 1e-5);
    assert_eq!(protection_height(Protection(Protection::EXECUTE_WRITECOPY)), 4.0);
    assert_eq!(ThreadTimes::new(&threads).cpu_ms(2), Some(20));

    // Labels: one per module, heap and stack, tallest first; the module (two
    // sections, no Module entry to name it) and stack 3 are both 2.5 high:
    // the larger footprint goes first (the stack's 64 KiB start aligned, a
    // 4 x 4 tile; the module's section starts at unit 1, in smaller tiles).
    let scene = layout_city_source(&src, &threads, HeightMetric::Size);
    let texts: Vec<&str> = scene.labels.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, vec!["heap 0", "stack 1", "stack 3", "Image"], "{:?}", scene.labels);
    assert_eq!(scene.labels[3].region, 1, "the module's label sits on its taller section");
}

/// A big space: heights grow with the ground.
#[test]
fn big_grounds_scale_heights() {
    let regions =
        region_list([(1 << 30, RegionKind::PrivateData, Owner::None), (64 << 10, RegionKind::Image, Owner::Module(0))]);
    let visible = vec![true; 2];
    let src = LayoutSource { regions: &regions, modules: &[], visible: &visible };
    let order = hilbert_order(Axis::new(&src).total_units);
    assert_eq!(order, 10);
    assert_eq!(height_scale(order), 4.0);
    let scene = layout_city_source(&src, &[], HeightMetric::Size);
    let h1 = scene.boxes.iter().find(|b| b.region == 1).map(|b| b.max[1]);
    assert_eq!(h1, Some(4.0 * 2.5));
    check_city(&src, &[], HeightMetric::Size, "big");
}

#[test]
fn hilbert3_curve_properties() {
    for order in 0..5u32 {
        let side = 1u32 << order;
        let cells = u64::from(side).pow(3);
        let mut seen = vec![false; cells as usize];
        let mut prev: Option<[u32; 3]> = None;
        for d in 0..cells {
            let c = hilbert3_cell(order, d);
            let i = ((c[2] * side + c[1]) * side + c[0]) as usize;
            assert!(!seen[i], "order {order}: {c:?} twice");
            seen[i] = true;
            if let Some(p) = prev {
                assert_eq!((0..3).map(|a| p[a].abs_diff(c[a])).sum::<u32>(), 1, "order {order} d {d}");
            }
            prev = Some(c);
        }
        assert!(seen.iter().all(|s| *s));
        for level in 0..=order {
            let len = 1u64 << (3 * level);
            for start in (0..cells).step_by(len as usize) {
                let (corner, s) = hilbert3_block(order, start, level);
                let mut inside = 0;
                for d in start..start + len {
                    let c = hilbert3_cell(order, d);
                    inside += u64::from((0..3).all(|a| c[a] >= corner[a] && c[a] < corner[a] + s));
                }
                assert_eq!(inside, len, "order {order} level {level} start {start}");
            }
        }
    }
}

#[test]
fn every_3d_view_on_the_corpus() {
    let Some(dir) = common::corpus_dir() else { return };
    for row in common::read_manifest(&dir) {
        let path = dir.join(row.file());
        let space = AddressSpace::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        check_space(row.file(), &space.regions, &space.modules, &space.threads, 300);
    }
}
