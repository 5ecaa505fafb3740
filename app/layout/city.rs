//! The City layout: the 2D Hilbert map ([`super::hilbert`]) raised into 3D.
//! Every Hilbert square tile of a region becomes a box standing on the
//! ground: the tile's x becomes the world x, the tile's y the world z, and the
//! box rises from y = 0 to its region's height. Each footprint is the tile
//! inset by `min(TILE_INSET_FRACTION * side, MAX_TILE_INSET)` on every side,
//! so neighbouring boxes read as separate buildings with streets between.
//!
//! Heights, before the scene's vertical scale (see below), are one per
//! region (every box of a region shares it) and follow the [`HeightMetric`]:
//!
//! - Free and Unknown gaps, and every span the axis compressed (gaps and
//!   huge reservations drawn shorter than their true size), are flat slabs
//!   of [`FLAT_HEIGHT`] whatever the metric, so the street grid shows.
//! - `Size`: [`log_height`]`(size_bytes)`.
//! - `Committed`: [`log_height`] of the committed bytes (the size when the
//!   state is Commit, else 0: reserved space is a slab).
//! - `Captured`: [`log_height`]`(captured_bytes)`.
//! - `Protection`: [`protection_height`], a step per class: no access (or
//!   none) 0.2 < read 1 < guard 1.5 < write 2 < execute 3 < execute+write 4.
//! - `CpuTime`: for a region owned by a thread (stacks, TEBs),
//!   [`cpu_height`] of that thread's user + kernel time; a region of no
//!   thread, or of a thread whose times the dump does not give, is
//!   [`NO_CPU_HEIGHT`] (0.2).
//!
//! `log_height(b) = 0 for b = 0 (drawn as a FLAT_HEIGHT slab), else
//! 0.5 + 2 * log2(1 + b / 64 KiB)`, never more than about 96.5 (2^64 bytes):
//! a 4 KiB page is 0.67, 64 KiB 2.5, 1 MiB 8.7, 1 GiB 28.5, 2 TiB 50.5.
//! `cpu_height(ms) = 0.5 + 2 * log2(1 + ms / 10)` (10 ms 2.5, 1 s 13.8,
//! 1 h 37.5). Every height is monotonic in its metric's value.
//!
//! The ground is `2^order` units wide (one unit per axis unit, up to 4096),
//! so a fixed height would turn into a flat carpet on a big map: every
//! height (slabs included) is multiplied by [`height_scale`]`(order) =
//! max(1, 2^order / 256)`, which keeps towers in proportion to the ground.
//!
//! Labels float above the tallest box of each module allocation, heap and
//! stack (Image, Heap and Stack regions named by their owner), at most
//! [`MAX_LABELS`], tallest first, anchored [`LABEL_LIFT`] (scaled) above the
//! box's top centre. Ground ticks are the Hilbert map's, at (x, 0, y).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::dump::{Owner, Protection, Region, RegionKind, RegionState, Thread};

use super::axis::{Axis, AxisSpan, is_gap};
use super::hilbert::{block_rect, hilbert_order, ticks};
use super::label::{LabelKey, label_key, label_text};
use super::layout2d::{LayoutInput, LayoutSource};
use super::layout3d::{Box3, GroundTick, HeightMetric, Label3, Layout3d};
use super::span_blocks::write_blocks_shared;

/// Inset of a box's footprint on each side, as a fraction of its tile's side...
pub const TILE_INSET_FRACTION: f32 = 0.08;
/// ... and at most this many world units.
pub const MAX_TILE_INSET: f32 = 0.3;
/// Height of gaps, compressed spans and zero values.
pub const FLAT_HEIGHT: f32 = 0.05;
/// Bytes that make one step of the log scale.
pub const LOG_UNIT_BYTES: f64 = 64.0 * 1024.0;
/// Milliseconds that make one step of the CPU-time scale.
pub const LOG_UNIT_MS: f64 = 10.0;
/// `CpuTime` height of regions no thread owns (or whose thread has no times).
pub const NO_CPU_HEIGHT: f32 = 0.2;
/// The most labels a scene carries (the 3D views share it).
pub const MAX_LABELS: usize = 40;
/// How far above its box's top a label's anchor floats (before the scale).
pub const LABEL_LIFT: f32 = 0.5;
/// Ground side (in units) up to which heights are not scaled.
pub const UNSCALED_GROUND_SIDE: f32 = 256.0;

/// Protection steps (see the module docs).
pub const PROTECTION_NONE_HEIGHT: f32 = 0.2;
pub const PROTECTION_READ_HEIGHT: f32 = 1.0;
pub const PROTECTION_GUARD_HEIGHT: f32 = 1.5;
pub const PROTECTION_WRITE_HEIGHT: f32 = 2.0;
pub const PROTECTION_EXECUTE_HEIGHT: f32 = 3.0;
pub const PROTECTION_EXECUTE_WRITE_HEIGHT: f32 = 4.0;

/// The City of the input's visible regions, heights by `metric` (CPU time
/// from `input.space.threads`).
pub fn layout_city(input: &LayoutInput<'_>, metric: HeightMetric) -> Layout3d {
    layout_city_source(&input.source(), &input.space.threads, metric)
}

/// [`layout_city`] from a [`LayoutSource`]; `threads` only matter for
/// [`HeightMetric::CpuTime`] (an empty slice makes every region flat there).
pub fn layout_city_source(src: &LayoutSource<'_>, threads: &[Thread], metric: HeightMetric) -> Layout3d {
    layout_city_on_axis(src, &Axis::new(src), threads, metric)
}

/// [`layout_city_source`] on the axis of `src` made beforehand (the
/// window keeps it from view to view).
///
/// The Hilbert map's tiles are raised as they are made, on every core, and
/// each part of them gathers its landmarks and extents on the way: the map
/// itself (three million tiles at a million regions, with its labels and
/// a second pass over them) is never made.
pub fn layout_city_on_axis(src: &LayoutSource<'_>, axis: &Axis, threads: &[Thread], metric: HeightMetric) -> Layout3d {
    let order = hilbert_order(axis.total_units);
    let scale = height_scale(order);
    let times = ThreadTimes::new(threads);
    let region = |span: &AxisSpan| src.regions.get(span.region as usize);
    let (boxes, parts) = write_blocks_shared(
        &axis.spans,
        order,
        2,
        |span| region(span).is_some(),
        CityPart::default,
        |part, i, span, at, level| {
            let rect = block_rect(order, at, level);
            let h = match region(span) {
                Some(r) => scale * region_height(metric, r, span.compressed, &times),
                None => 0.0,
            };
            let inset = tile_inset(rect.width().min(rect.height()));
            let b = Box3 {
                min: [rect.min[0] + inset, 0.0, rect.min[1] + inset],
                max: [rect.max[0] - inset, h, rect.max[1] - inset],
                region: span.region,
                compressed: span.compressed,
            };
            if let Some(r) = region(span) {
                let footprint = (b.max[0] - b.min[0]) * (b.max[2] - b.min[2]);
                part.landmarks.offer(r, [b.max[1], footprint], i);
            }
            part.ground.add([rect.min[0], rect.min[1], 0.0], [rect.max[0], rect.max[1], 0.0]);
            part.bounds.add(b.min, b.max);
            b
        },
    );
    let mut all = CityPart::default();
    for part in parts {
        all.landmarks.append(part.landmarks);
        all.ground.join(part.ground);
        all.bounds.join(part.bounds);
    }

    let lift = LABEL_LIFT * scale;
    let labels = all.landmarks.labels(src, &boxes, |b| {
        let c = b.center();
        [c[0], b.max[1] + lift, c[2]]
    });
    let ticks =
        ticks(src, axis, order).iter().map(|t| GroundTick { pos: [t.pos[0], 0.0, t.pos[1]], addr: t.addr }).collect();
    let (bounds_min, bounds_max) = all.bounds.get();
    let (ground_min, ground_max) = all.ground.get();
    Layout3d {
        boxes,
        labels,
        ticks,
        bounds_min,
        bounds_max,
        ground_min: [ground_min[0], ground_min[1]],
        ground_max: [ground_max[0], ground_max[1]],
    }
}

/// What one part of a City's tiles gathers besides its boxes.
#[derive(Default)]
struct CityPart<'a> {
    landmarks: Landmarks<'a>,
    /// The tiles' extent (x, y; z 0).
    ground: Extent,
    bounds: Extent,
}

/// The inset of a footprint on each side for a tile of `side` units.
pub fn tile_inset(side: f32) -> f32 {
    (side * TILE_INSET_FRACTION).min(MAX_TILE_INSET)
}

/// The vertical scale of a City whose ground is `2^order` units wide.
pub fn height_scale(order: u32) -> f32 {
    let side = (1u64 << order.min(40)) as f32;
    (side / UNSCALED_GROUND_SIDE).max(1.0)
}

/// A region's height before the scene's scale. `compressed` says the axis
/// drew its span shorter than its true size (a slab, as gaps).
pub fn region_height(metric: HeightMetric, r: &Region, compressed: bool, times: &ThreadTimes) -> f32 {
    if compressed || is_gap(r.kind) {
        return FLAT_HEIGHT;
    }
    match metric {
        HeightMetric::Size => log_height(r.size_bytes),
        HeightMetric::Committed => log_height(committed_bytes(r)),
        HeightMetric::Captured => log_height(r.captured_bytes),
        HeightMetric::Protection => protection_height(r.protect),
        HeightMetric::CpuTime => match r.owner {
            Owner::Thread(id) => cpu_height(times.cpu_ms(id)),
            _ => NO_CPU_HEIGHT,
        },
    }
}

/// Bytes of `r` that are committed: all of it in the Commit state, else none.
pub fn committed_bytes(r: &Region) -> u64 {
    if r.state == RegionState::Commit { r.size_bytes } else { 0 }
}

/// `0.5 + 2 * log2(1 + bytes / 64 KiB)`, [`FLAT_HEIGHT`] for 0 bytes.
pub fn log_height(bytes: u64) -> f32 {
    if bytes == 0 {
        return FLAT_HEIGHT;
    }
    (0.5 + 2.0 * (1.0 + bytes as f64 / LOG_UNIT_BYTES).log2()) as f32
}

/// `0.5 + 2 * log2(1 + ms / 10)`; [`NO_CPU_HEIGHT`] when the time is unknown.
pub fn cpu_height(ms: Option<u64>) -> f32 {
    match ms {
        Some(ms) => (0.5 + 2.0 * (1.0 + ms as f64 / LOG_UNIT_MS).log2()) as f32,
        None => NO_CPU_HEIGHT,
    }
}

/// The step of a protection class; a guard page counts as guard whatever
/// else it allows (see the module docs for the order).
pub fn protection_height(p: Protection) -> f32 {
    let readable = p.0
        & (Protection::READONLY
            | Protection::READWRITE
            | Protection::WRITECOPY
            | Protection::EXECUTE_READ
            | Protection::EXECUTE_READWRITE
            | Protection::EXECUTE_WRITECOPY)
        != 0;
    match (p.is_guard(), p.is_executable(), p.is_writable()) {
        (true, _, _) => PROTECTION_GUARD_HEIGHT,
        (false, true, true) => PROTECTION_EXECUTE_WRITE_HEIGHT,
        (false, true, false) => PROTECTION_EXECUTE_HEIGHT,
        (false, false, true) => PROTECTION_WRITE_HEIGHT,
        (false, false, false) if readable => PROTECTION_READ_HEIGHT,
        (false, false, false) => PROTECTION_NONE_HEIGHT,
    }
}

/// Each thread's CPU time (user + kernel) by thread id, for lookups.
#[derive(Clone, Debug, Default)]
pub struct ThreadTimes {
    /// (id, ms) sorted by id; the first of duplicate ids (in dump order) wins.
    by_id: Vec<(u32, Option<u64>)>,
}

impl ThreadTimes {
    pub fn new(threads: &[Thread]) -> ThreadTimes {
        let mut by_id: Vec<(u32, Option<u64>)> = threads
            .iter()
            .map(|t| {
                let ms = match (t.user_time_ms, t.kernel_time_ms) {
                    (None, None) => None,
                    (u, k) => Some(u.unwrap_or(0).saturating_add(k.unwrap_or(0))),
                };
                (t.id, ms)
            })
            .collect();
        by_id.sort_by_key(|&(id, _)| id);
        by_id.dedup_by_key(|&mut (id, _)| id);
        ThreadTimes { by_id }
    }

    /// User + kernel milliseconds of thread `id` (`None` when the dump has
    /// no such thread or no times for it).
    pub fn cpu_ms(&self, id: u32) -> Option<u64> {
        let i = self.by_id.binary_search_by_key(&id, |&(id, _)| id).ok()?;
        self.by_id[i].1
    }
}

/// The smallest box holding boxes added one by one (zeros for none), or
/// part by part: the extent of boxes made on every core.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Extent(Option<([f32; 3], [f32; 3])>);

impl Extent {
    /// Takes in the box `min`..`max`.
    pub(crate) fn add(&mut self, min: [f32; 3], max: [f32; 3]) {
        self.0 = Some(match self.0 {
            None => (min, max),
            Some((lo, hi)) => (std::array::from_fn(|a| lo[a].min(min[a])), std::array::from_fn(|a| hi[a].max(max[a]))),
        });
    }

    /// Takes in every box `other` took in.
    pub(crate) fn join(&mut self, other: Extent) {
        if let Some((min, max)) = other.0 {
            self.add(min, max);
        }
    }

    /// The smallest and largest corner.
    pub(crate) fn get(&self) -> ([f32; 3], [f32; 3]) {
        self.0.unwrap_or(([0.0; 3], [0.0; 3]))
    }
}

/// What a 3D label stands for: a module allocation, a heap, a stack, or an
/// Image/Heap/Stack region that the dump layer named without an owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum LandmarkKey<'a> {
    Module(usize),
    Heap(usize),
    Stack(u32),
    Named(RegionKind, &'a str),
}

/// The landmark `r` belongs to, with its label key; `None` for regions that
/// get no 3D label (other kinds, and unnamed ones).
fn landmark_key(r: &Region) -> Option<(LandmarkKey<'_>, LabelKey<'_>)> {
    if !matches!(r.kind, RegionKind::Image | RegionKind::Heap | RegionKind::Stack) {
        return None;
    }
    let key = label_key(r)?;
    let landmark = match key {
        LabelKey::Module(i) => LandmarkKey::Module(i),
        LabelKey::Heap(i) => LandmarkKey::Heap(i),
        LabelKey::Thread(_, id) => LandmarkKey::Stack(id),
        LabelKey::File(path) => LandmarkKey::Named(r.kind, path),
        LabelKey::Text(kind, text) => LandmarkKey::Named(kind, text),
        LabelKey::Kind(_) => return None,
    };
    Some((landmark, key))
}

/// The best box of each landmark so far, by a score compared
/// lexicographically (larger first); the first offered wins ties.
#[derive(Default)]
pub(crate) struct Landmarks<'a> {
    best: BTreeMap<LandmarkKey<'a>, Candidate<'a>>,
    /// The landmark of the last box offered, its best box among the run of
    /// boxes offered for it since, not yet in `best`. Boxes come region by
    /// region and regions in address order, so most offers go to the same
    /// landmark as the one before: the map is only looked up when the
    /// landmark changes (a lookup per box was a tenth of a million-region
    /// City's layout).
    run: Option<(LandmarkKey<'a>, Candidate<'a>)>,
}

#[derive(Clone, Copy)]
struct Candidate<'a> {
    score: [f32; 2],
    box_index: usize,
    key: LabelKey<'a>,
}

fn cmp_score(a: &[f32; 2], b: &[f32; 2]) -> Ordering {
    a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1]))
}

impl<'a> Landmarks<'a> {
    /// Offers box `box_index` of region `r` with `score`.
    pub(crate) fn offer(&mut self, r: &'a Region, score: [f32; 2], box_index: usize) {
        let Some((landmark, key)) = landmark_key(r) else { return };
        let candidate = Candidate { score, box_index, key };
        match &mut self.run {
            Some((current, best)) if *current == landmark => {
                if cmp_score(&score, &best.score) == Ordering::Greater {
                    *best = candidate;
                }
            }
            _ => {
                if let Some((landmark, best)) = self.run.replace((landmark, candidate)) {
                    self.keep(landmark, best);
                }
            }
        }
    }

    /// Takes in the offers of `later`, all made after this one's: the
    /// same best boxes as if they had been offered here (parts of boxes
    /// offered on every core, gathered in order).
    pub(crate) fn append(&mut self, mut later: Landmarks<'a>) {
        for landmarks in [&mut *self, &mut later] {
            if let Some((landmark, best)) = landmarks.run.take() {
                landmarks.keep(landmark, best);
            }
        }
        for (landmark, best) in later.best {
            self.keep(landmark, best);
        }
    }

    /// Puts a run's best box in `best`, where it wins only by a greater
    /// score (the box there was offered first).
    fn keep(&mut self, landmark: LandmarkKey<'a>, candidate: Candidate<'a>) {
        self.best
            .entry(landmark)
            .and_modify(|c| {
                if cmp_score(&candidate.score, &c.score) == Ordering::Greater {
                    *c = candidate;
                }
            })
            .or_insert(candidate);
    }

    /// At most [`MAX_LABELS`] labels, best score first (ties by box order),
    /// each anchored where `anchor` says for its box.
    pub(crate) fn labels(
        mut self,
        src: &LayoutSource<'_>,
        boxes: &[Box3],
        anchor: impl Fn(&Box3) -> [f32; 3],
    ) -> Vec<Label3> {
        if let Some((landmark, best)) = self.run.take() {
            self.keep(landmark, best);
        }
        let mut best: Vec<Candidate<'_>> = self.best.into_values().collect();
        best.sort_by(|a, b| cmp_score(&b.score, &a.score).then(a.box_index.cmp(&b.box_index)));
        best.truncate(MAX_LABELS);
        best.iter()
            .filter_map(|c| {
                let b = boxes.get(c.box_index)?;
                let r = src.regions.get(b.region as usize)?;
                Some(Label3 { text: label_text(c.key, r, src.modules), anchor: anchor(b), region: b.region })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::Owner;

    #[test]
    fn landmarks_keep_the_best_box_offered_first_across_runs() {
        let heap = |i: u32| {
            let mut r = Region::blank(0x10000 * u64::from(i + 1), 0x1000, RegionKind::Heap, RegionState::Commit);
            r.owner = Owner::Heap(i);
            r
        };
        let (a, b) = (heap(0), heap(1));
        let mut landmarks = Landmarks::default();
        landmarks.offer(&a, [2.0, 1.0], 0);
        landmarks.offer(&a, [3.0, 0.0], 1);
        landmarks.offer(&b, [5.0, 0.0], 2);
        // A later run ties with the best so far (the first stays), then
        // beats it in the second score, then loses.
        landmarks.offer(&a, [3.0, 0.0], 3);
        landmarks.offer(&b, [5.0, 0.5], 4);
        landmarks.offer(&b, [5.0, 0.5], 5);
        landmarks.offer(&a, [1.0, 9.0], 6);
        if let Some((landmark, best)) = landmarks.run.take() {
            landmarks.keep(landmark, best);
        }
        let best = |l: LandmarkKey<'_>| landmarks.best.get(&l).map(|c| c.box_index);
        assert_eq!(best(LandmarkKey::Heap(0)), Some(1));
        assert_eq!(best(LandmarkKey::Heap(1)), Some(4));
    }

    #[test]
    fn landmarks_offered_in_parts_and_appended_are_those_offered_at_once() {
        let heap = |i: u32| {
            let mut r = Region::blank(0x10000 * u64::from(i + 1), 0x1000, RegionKind::Heap, RegionState::Commit);
            r.owner = Owner::Heap(i);
            r
        };
        let regions: Vec<Region> = (0..3).map(heap).collect();
        // Ties across runs and parts, a better box later, runs cut by parts.
        let offers: Vec<(usize, [f32; 2])> =
            vec![(0, [2.0, 1.0]), (0, [3.0, 0.0]), (1, [5.0, 0.0]), (0, [3.0, 0.0]), (1, [5.0, 0.5]), (1, [5.0, 0.5])];
        let offers: Vec<(usize, [f32; 2])> =
            offers.into_iter().chain([(2, [1.0, 0.0]), (0, [3.0, 0.1]), (2, [1.0, 0.0]), (1, [4.0, 9.0])]).collect();
        let best_of = |mut l: Landmarks<'_>| {
            if let Some((landmark, best)) = l.run.take() {
                l.keep(landmark, best);
            }
            l.best.into_iter().map(|(k, c)| (format!("{k:?}"), c.box_index, c.score)).collect::<Vec<_>>()
        };
        let mut at_once = Landmarks::default();
        for (i, (r, score)) in offers.iter().enumerate() {
            at_once.offer(&regions[*r], *score, i);
        }
        let expected = best_of(at_once);
        assert_eq!(expected.len(), 3);
        for cut in 0..=offers.len() {
            for second_cut in cut..=offers.len() {
                let mut parts = [Landmarks::default(), Landmarks::default(), Landmarks::default()];
                for (i, (r, score)) in offers.iter().enumerate() {
                    let part = usize::from(i >= cut) + usize::from(i >= second_cut);
                    parts[part].offer(&regions[*r], *score, i);
                }
                let [mut all, b, c] = parts;
                all.append(b);
                all.append(c);
                assert_eq!(best_of(all), expected, "cut at {cut} and {second_cut}");
            }
        }
    }

    #[test]
    fn an_extent_gathered_in_parts_is_the_extent_of_all() {
        let boxes: Vec<([f32; 3], [f32; 3])> = (0..40)
            .map(|i| ([i as f32 % 7.0 - 3.0, -(i as f32), 0.5], [9.0 - i as f32 % 5.0, 1.0, 2.0 + i as f32]))
            .collect();
        let mut all = Extent::default();
        assert_eq!(all.get(), ([0.0; 3], [0.0; 3]), "nothing");
        boxes.iter().for_each(|(lo, hi)| all.add(*lo, *hi));
        assert_eq!(all.get(), ([-3.0, -39.0, 0.5], [9.0, 1.0, 41.0]));
        for cut in [0, 1, 17, 40] {
            let (mut a, mut b) = (Extent::default(), Extent::default());
            boxes[..cut].iter().for_each(|(lo, hi)| a.add(*lo, *hi));
            boxes[cut..].iter().for_each(|(lo, hi)| b.add(*lo, *hi));
            a.join(b);
            assert_eq!(a, all, "cut at {cut}");
        }
    }

    #[test]
    fn log_height_examples_and_monotonic() {
        assert_eq!(log_height(0), FLAT_HEIGHT);
        assert!((log_height(64 * 1024) - 2.5).abs() < 1e-6);
        assert!((log_height(1 << 20) - (0.5 + 2.0 * 17f32.log2())).abs() < 1e-5);
        assert!(log_height(u64::MAX) < 97.0);
        let mut prev = 0.0;
        for shift in 0..64 {
            let h = log_height(1u64 << shift);
            assert!(h > prev, "2^{shift}");
            prev = h;
        }
    }

    #[test]
    fn protection_classes_in_order() {
        let steps = [
            Protection(0),
            Protection(Protection::NOACCESS),
            Protection(Protection::READONLY),
            Protection(Protection::READWRITE | Protection::GUARD),
            Protection(Protection::READWRITE),
            Protection(Protection::EXECUTE_READ),
            Protection(Protection::EXECUTE_READWRITE),
        ];
        let h: Vec<f32> = steps.iter().map(|p| protection_height(*p)).collect();
        assert_eq!(h, vec![0.2, 0.2, 1.0, 1.5, 2.0, 3.0, 4.0]);
        assert_eq!(protection_height(Protection(Protection::WRITECOPY)), 2.0);
        assert_eq!(protection_height(Protection(Protection::EXECUTE)), 3.0);
        assert_eq!(protection_height(Protection(Protection::EXECUTE_WRITECOPY)), 4.0);
    }

    #[test]
    fn thread_times_sum_and_first_wins() {
        let t = |id, u, k| Thread { id, user_time_ms: u, kernel_time_ms: k, ..Thread::default() };
        let times =
            ThreadTimes::new(&[t(5, Some(10), Some(5)), t(2, None, None), t(5, Some(1), None), t(9, None, Some(7))]);
        assert_eq!(times.cpu_ms(5), Some(15));
        assert_eq!(times.cpu_ms(2), None);
        assert_eq!(times.cpu_ms(9), Some(7));
        assert_eq!(times.cpu_ms(1), None);
        let mut stack = Region::blank(0, 4096, RegionKind::Stack, RegionState::Commit);
        stack.owner = Owner::Thread(5);
        assert_eq!(region_height(HeightMetric::CpuTime, &stack, false, &times), cpu_height(Some(15)));
        stack.owner = Owner::Thread(2);
        assert_eq!(region_height(HeightMetric::CpuTime, &stack, false, &times), NO_CPU_HEIGHT);
        assert!(cpu_height(Some(0)) > NO_CPU_HEIGHT);
    }

    #[test]
    fn gaps_and_compressed_are_slabs() {
        let times = ThreadTimes::default();
        let free = Region::blank(0, 1 << 30, RegionKind::Free, RegionState::Free);
        let big = Region::blank(0, 1 << 40, RegionKind::Reserved, RegionState::Reserve);
        for m in HeightMetric::ALL {
            assert_eq!(region_height(m, &free, false, &times), FLAT_HEIGHT);
            assert_eq!(region_height(m, &big, true, &times), FLAT_HEIGHT);
        }
        assert_eq!(region_height(HeightMetric::Committed, &big, false, &times), FLAT_HEIGHT);
        assert!(region_height(HeightMetric::Size, &big, false, &times) > 40.0);
    }

    #[test]
    fn scale_and_inset() {
        assert_eq!(height_scale(0), 1.0);
        assert_eq!(height_scale(8), 1.0);
        assert_eq!(height_scale(12), 16.0);
        assert!((tile_inset(1.0) - 0.08).abs() < 1e-7);
        assert_eq!(tile_inset(64.0), MAX_TILE_INSET);
    }
}
