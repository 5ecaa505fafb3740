//! The compressed linear address axis shared by the strip and Hilbert
//! layouts: every visible region, in address order, becomes a span
//! `[start, end)` of whole "units" along one line, with no holes between
//! spans.
//!
//! - **Occupied** regions (every kind but Free and Unknown) are drawn to
//!   scale: `len = max(1, ceil(size_bytes / unit_bytes))`, where one unit is
//!   `unit_bytes = 4096 << unit_shift` (a 4 KiB page, or a power-of-two
//!   number of pages). `unit_shift` is the smallest that keeps the whole
//!   axis within [`MAX_UNITS`] (2^24) units, so a dump with terabytes
//!   reserved still gives a bounded picture; every region keeps at least one
//!   unit so that nothing disappears.
//! - **Gaps** (Free and Unknown) are compressed logarithmically: with
//!   `pages = ceil(size_bytes / 4096)` and `true = ceil(pages / 2^unit_shift)`,
//!   `len = min(true, 8 + 2 * floor(log2(pages)))`, and the span is flagged
//!   `compressed` when `len < true`. A 64 KiB allocation-granule hole keeps
//!   its 16 units, 1 MiB becomes 24, 1 GiB 44, 1 TiB 64, and the 128 TiB of
//!   an empty 64-bit user space at most 78: a 64-bit space whose modules,
//!   heaps and stacks cluster in a few places reads as those clusters
//!   separated by short marked gaps, while small holes inside a cluster
//!   (which matter for fragmentation) keep their true size.
//! - **Huge reservations** (MEM_RESERVE regions of [`HUGE_RESERVE_BYTES`] or
//!   more: Chromium's and V8's terabyte cages, the 2 TiB CFG bitmap of every
//!   64-bit Windows process) would swamp everything else drawn to scale, so
//!   they are compressed too, less hard than gaps: `len = min(true,
//!   RESERVE_BASE_UNITS + RESERVE_UNITS_PER_DOUBLING * floor(log2(pages / 2^18)))`
//!   (1 GiB keeps 4096 units, 1 TiB 6656), flagged `compressed`, with the
//!   true size on hover as for gaps.
//! - **Invisible** regions take no room at all: their neighbours meet.

use rayon::prelude::*;

use crate::dump::{Region, RegionKind, RegionState};

use super::layout2d::LayoutSource;

/// The page the scale is counted in.
pub const PAGE_BYTES: u64 = 4096;

/// The most units the axis may span while a coarser unit can still shorten
/// it (the unit only stops growing once every region is down to one unit).
/// 2^24 keeps every unit position exact in an `f32`.
pub const MAX_UNITS: u64 = 1 << 24;

/// Length of a compressed gap: `GAP_BASE_UNITS + GAP_UNITS_PER_DOUBLING * floor(log2(pages))`.
pub const GAP_BASE_UNITS: u64 = 8;
pub const GAP_UNITS_PER_DOUBLING: u64 = 2;

/// Reservations at least this large are compressed (see the module docs).
pub const HUGE_RESERVE_BYTES: u64 = 1 << 30;
pub const RESERVE_BASE_UNITS: u64 = 4096;
pub const RESERVE_UNITS_PER_DOUBLING: u64 = 256;

/// The coarsest unit: 2^52 pages is 2^64 bytes, one unit per region whatever its size.
const MAX_UNIT_SHIFT: u32 = 52;

/// Whether the kind is a gap (compressed) rather than occupied space (to scale).
pub fn is_gap(kind: RegionKind) -> bool {
    matches!(kind, RegionKind::Free | RegionKind::Unknown)
}

/// One region's place on the axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AxisSpan {
    /// Index into `AddressSpace::regions`.
    pub region: u32,
    pub start: u64,
    pub end: u64,
    /// A gap drawn shorter than its true size.
    pub compressed: bool,
}

impl AxisSpan {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// The axis: spans of the visible regions in address order, each starting
/// where the previous one ends, the first at 0.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Axis {
    pub spans: Vec<AxisSpan>,
    /// One unit is `PAGE_BYTES << unit_shift` bytes of occupied space.
    pub unit_shift: u32,
    /// The end of the last span.
    pub total_units: u64,
}

/// Length of an occupied region of `size_bytes` in units of `PAGE_BYTES << shift`.
pub fn occupied_units(size_bytes: u64, shift: u32) -> u64 {
    size_bytes.div_ceil(PAGE_BYTES).div_ceil(1u64 << shift).max(1)
}

/// Length of a gap of `size_bytes` in units of `PAGE_BYTES << shift`, and
/// whether that is shorter than its true length (see the module docs).
pub fn gap_units(size_bytes: u64, shift: u32) -> (u64, bool) {
    let pages = size_bytes.div_ceil(PAGE_BYTES).max(1);
    let true_units = pages.div_ceil(1u64 << shift).max(1);
    let cap = GAP_BASE_UNITS + GAP_UNITS_PER_DOUBLING * u64::from(pages.ilog2());
    if true_units > cap { (cap, true) } else { (true_units, false) }
}

/// Whether `r` is a reservation big enough to be compressed.
pub fn is_huge_reservation(r: &Region) -> bool {
    r.state == RegionState::Reserve && r.size_bytes >= HUGE_RESERVE_BYTES
}

/// Length of a huge reservation of `size_bytes`, and whether that is shorter
/// than its true length (see the module docs).
pub fn reservation_units(size_bytes: u64, shift: u32) -> (u64, bool) {
    let pages = size_bytes.div_ceil(PAGE_BYTES).max(1);
    let true_units = pages.div_ceil(1u64 << shift).max(1);
    let doublings = u64::from(pages.ilog2().saturating_sub(HUGE_RESERVE_BYTES.ilog2() - PAGE_BYTES.ilog2()));
    let cap = RESERVE_BASE_UNITS + RESERVE_UNITS_PER_DOUBLING * doublings;
    if true_units > cap { (cap, true) } else { (true_units, false) }
}

/// The length of one region on an axis of the given unit, and whether it is compressed.
pub fn span_len(r: &Region, shift: u32) -> (u64, bool) {
    SpanLen::of(r).at(shift)
}

/// A region's length on the axis at any unit shift: its pages cut down to
/// the unit, at least one unit, at most `cap` units (compressed beyond it).
/// [`occupied_units`], [`gap_units`] or [`reservation_units`] by the
/// region's kind and state, kept as two numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SpanLen {
    pages: u64,
    cap: u64,
}

impl SpanLen {
    fn of(r: &Region) -> SpanLen {
        let pages = r.size_bytes.div_ceil(PAGE_BYTES);
        let capped = |base: u64, per_doubling: u64, doublings: u32| base + per_doubling * u64::from(doublings);
        if is_gap(r.kind) {
            let pages = pages.max(1);
            SpanLen { pages, cap: capped(GAP_BASE_UNITS, GAP_UNITS_PER_DOUBLING, pages.ilog2()) }
        } else if is_huge_reservation(r) {
            let pages = pages.max(1);
            let doublings = pages.ilog2().saturating_sub(HUGE_RESERVE_BYTES.ilog2() - PAGE_BYTES.ilog2());
            SpanLen { pages, cap: capped(RESERVE_BASE_UNITS, RESERVE_UNITS_PER_DOUBLING, doublings) }
        } else {
            SpanLen { pages, cap: u64::MAX }
        }
    }

    /// The length in units of `PAGE_BYTES << shift`, and whether it is compressed.
    fn at(&self, shift: u32) -> (u64, bool) {
        let units = self.pages.div_ceil(1u64 << shift).max(1);
        if units > self.cap { (self.cap, true) } else { (units, false) }
    }
}

impl Axis {
    /// The axis of the visible regions of `src`.
    pub fn new(src: &LayoutSource<'_>) -> Axis {
        Axis::build(src.regions, src.visible)
    }

    /// The axis of `regions[i]` for each `visible[i]` (missing entries hidden).
    pub fn build(regions: &[Region], visible: &[bool]) -> Axis {
        // Each shown region's length at any shift, from two numbers read in
        // one pass: the unit search below then sums 16 bytes a region,
        // on every core, rather than reading each 64-byte region again.
        let lens: Vec<(u32, SpanLen)> = regions
            .iter()
            .zip(visible)
            .enumerate()
            .filter(|(_, (_, v))| **v)
            .map(|(i, (r, _))| (i as u32, SpanLen::of(r)))
            .collect();
        let total = |shift: u32| lens.par_iter().map(|(_, l)| l.at(shift).0).reduce(|| 0, u64::saturating_add);
        // Every length is non-increasing in the shift, so the total is too:
        // binary-search the smallest shift that fits. At the coarsest shift
        // each region is one unit, so a space of more than MAX_UNITS regions
        // is allowed that many.
        let target = MAX_UNITS.max(lens.len() as u64);
        let (mut lo, mut hi) = (0u32, MAX_UNIT_SHIFT);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if total(mid) <= target { hi = mid } else { lo = mid + 1 }
        }
        let unit_shift = lo;

        let mut spans = Vec::with_capacity(lens.len());
        let mut at = 0u64;
        for (region, l) in &lens {
            let (len, compressed) = l.at(unit_shift);
            let end = at.saturating_add(len);
            spans.push(AxisSpan { region: *region, start: at, end, compressed });
            at = end;
        }
        Axis { spans, unit_shift, total_units: at }
    }

    /// Bytes of occupied space per unit.
    pub fn unit_bytes(&self) -> u64 {
        PAGE_BYTES << self.unit_shift
    }

    /// The span holding unit position `unit`, by index into `spans`.
    pub fn span_at(&self, unit: u64) -> Option<usize> {
        let i = self.spans.partition_point(|s| s.end <= unit);
        (i < self.spans.len()).then_some(i)
    }

    /// The span of `regions[region]`, by index into `spans` (`None` when hidden).
    pub fn span_of_region(&self, region: u32) -> Option<usize> {
        self.spans.binary_search_by_key(&region, |s| s.region).ok()
    }

    /// The address at unit position `unit` (for ticks): within an
    /// uncompressed span one unit is `unit_bytes`; within a compressed gap
    /// the true size is spread evenly over its units. `total_units` maps to
    /// the end of the last region. `None` for an empty axis or beyond the end.
    pub fn addr_at(&self, regions: &[Region], unit: u64) -> Option<u64> {
        if unit == self.total_units {
            let last = self.spans.last()?;
            return regions.get(last.region as usize).map(Region::end_addr);
        }
        let span = self.spans.get(self.span_at(unit)?)?;
        let r = regions.get(span.region as usize)?;
        Some(addr_in_span(span, r, unit, self.unit_bytes()))
    }
}

/// The address at `unit` inside `span` (which must hold it), for region `r`.
pub(crate) fn addr_in_span(span: &AxisSpan, r: &Region, unit: u64, unit_bytes: u64) -> u64 {
    let offset = unit - span.start;
    let into = if span.compressed {
        (u128::from(r.size_bytes) * u128::from(offset) / u128::from(span.len().max(1))) as u64
    } else {
        offset.saturating_mul(unit_bytes).min(r.size_bytes)
    };
    r.base_addr.saturating_add(into)
}

#[cfg(test)]
mod tests {

    #[test]
    fn span_lengths_are_the_kinds_lengths_at_every_shift() {
        let sizes = [0, 1, 4095, 4096, 4097, 65_536, 3 << 20, (1 << 30) - 1, 1 << 30, (1 << 30) + 1, 5 << 40, u64::MAX];
        for kind in [RegionKind::PrivateData, RegionKind::Free, RegionKind::Unknown, RegionKind::Reserved] {
            for state in [RegionState::Commit, RegionState::Reserve, RegionState::Free] {
                for size in sizes {
                    let r = Region::blank(0x10000, size, kind, state);
                    for shift in 0..=MAX_UNIT_SHIFT {
                        let by_kind = if is_gap(kind) {
                            gap_units(size, shift)
                        } else if is_huge_reservation(&r) {
                            reservation_units(size, shift)
                        } else {
                            (occupied_units(size, shift), false)
                        };
                        assert_eq!(span_len(&r, shift), by_kind, "{kind:?} {state:?} {size} at {shift}");
                    }
                }
            }
        }
    }

    #[test]
    fn huge_reservations_are_compressed_less_than_gaps() {
        assert_eq!(reservation_units(1 << 30, 0), (RESERVE_BASE_UNITS, true));
        assert_eq!(reservation_units(1 << 20, 0), (256, false));
        assert_eq!(reservation_units(1 << 40, 0), (RESERVE_BASE_UNITS + 10 * RESERVE_UNITS_PER_DOUBLING, true));
        let mut r = Region::blank(0, 2 << 40, RegionKind::Reserved, RegionState::Reserve);
        assert!(is_huge_reservation(&r));
        assert!(span_len(&r, 0).0 > gap_units(2 << 40, 0).0);
        r.state = RegionState::Commit;
        assert_eq!(span_len(&r, 0), (occupied_units(2 << 40, 0), false));
    }

    use super::*;
    use crate::dump::RegionState;

    const KIB: u64 = 1024;

    fn r(base: u64, size: u64, kind: RegionKind) -> Region {
        let state = if kind == RegionKind::Free { RegionState::Free } else { RegionState::Commit };
        Region::blank(base, size, kind, state)
    }

    /// Contiguous regions from (size, kind) pairs.
    fn space(parts: &[(u64, RegionKind)]) -> Vec<Region> {
        let mut at = 0;
        parts
            .iter()
            .map(|&(size, kind)| {
                let out = r(at, size, kind);
                at += size;
                out
            })
            .collect()
    }

    #[test]
    fn gap_formula() {
        assert_eq!(gap_units(4 * KIB, 0), (1, false));
        assert_eq!(gap_units(64 * KIB, 0), (16, false));
        assert_eq!(gap_units(1 << 20, 0), (24, true));
        assert_eq!(gap_units(1 << 30, 0), (44, true));
        assert_eq!(gap_units(128 << 40, 0), (78, true));
        // A partial page is a page.
        assert_eq!(gap_units(1, 0), (1, false));
        // At a coarse unit a gap may fit uncompressed.
        assert_eq!(gap_units(1 << 20, 4), (16, false));
    }

    #[test]
    fn occupied_to_scale_gaps_compressed_hidden_skipped() {
        let regions = space(&[
            (64 * KIB, RegionKind::Free),
            (12 * KIB, RegionKind::Image),
            (1 << 30, RegionKind::Free),
            (100, RegionKind::Heap),
            (8 * KIB, RegionKind::Stack),
        ]);
        let axis = Axis::build(&regions, &[true, true, true, false, true]);
        assert_eq!(axis.unit_shift, 0);
        let got: Vec<_> = axis.spans.iter().map(|s| (s.region, s.start, s.end, s.compressed)).collect();
        assert_eq!(got, vec![(0, 0, 16, false), (1, 16, 19, false), (2, 19, 63, true), (4, 63, 65, false)]);
        assert_eq!(axis.total_units, 65);
        assert_eq!(axis.span_at(18), Some(1));
        assert_eq!(axis.span_at(65), None);
        assert_eq!(axis.span_of_region(3), None);
        assert_eq!(axis.span_of_region(4), Some(3));
        // Addresses: to scale inside occupied spans, spread over compressed gaps.
        assert_eq!(axis.addr_at(&regions, 17), Some(64 * KIB + 4 * KIB));
        assert_eq!(axis.addr_at(&regions, 19), Some(76 * KIB));
        let mid_gap = axis.addr_at(&regions, 19 + 22).unwrap();
        assert_eq!(mid_gap, 76 * KIB + (1 << 29));
        assert_eq!(axis.addr_at(&regions, 65), Some(regions[4].end_addr()));
        assert_eq!(axis.addr_at(&regions, 66), None);
    }

    #[test]
    fn huge_spaces_get_a_coarser_unit() {
        // 2 TiB reserved (a CFG bitmap) beside one page of image.
        let regions = space(&[(4 * KIB, RegionKind::Image), (2 << 40, RegionKind::Reserved)]);
        let axis = Axis::build(&regions, &[true, true]);
        assert!(axis.total_units <= MAX_UNITS);
        // 2^29 pages plus one: 32 pages per unit leave 2^24 + 1 units, 64 fit.
        assert_eq!(axis.unit_shift, 6);
        assert_eq!(axis.spans[0].len(), 1);
        assert_eq!(axis.spans[1].len(), (2 << 40) / axis.unit_bytes());
    }

    #[test]
    fn empty_and_all_hidden() {
        let regions = space(&[(4 * KIB, RegionKind::Image)]);
        let axis = Axis::build(&regions, &[false]);
        assert!(axis.spans.is_empty());
        assert_eq!(axis.total_units, 0);
        assert_eq!(axis.addr_at(&regions, 0), None);
        assert_eq!(Axis::build(&regions, &[]), axis);
    }
}
