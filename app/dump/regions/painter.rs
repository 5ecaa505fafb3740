//! An interval map that keeps regions ordered, non-overlapping and covering
//! [0, limit): painting a range replaces whatever was there, splitting the
//! neighbours. A BTreeMap keyed by base keeps each paint O(log n + touched),
//! which matters for dumps with a million regions.
//!
//! A map built from sorted input (a MemoryInfoList, /proc/pid/maps) starts as
//! a plain sorted vector and stays one while paints and modifications fall
//! on existing region boundaries (a whole mapping relabelled, a guard page
//! marked): the regions then cost their own size once, with no tree nodes
//! and no copy at the end. Marks that must split regions (TEBs inside a
//! region, the unusable tail of a granule) split them all first in one pass
//! ([`Painter::split_at_all`]), in place; only a paint or modification that
//! still has to split converts the vector to the tree.

use std::collections::BTreeMap;

use crate::dump::region::Region;

pub(crate) struct Painter {
    store: Store,
    limit: u64,
}

enum Store {
    /// Sorted by base, gap-free: built in one pass, not yet split.
    Sorted(Vec<Region>),
    /// Painted anywhere.
    Tree(BTreeMap<u64, Region>),
}

/// [`Painter::from_sorted`] a region at a time, for callers that make one
/// or two regions per input (pushed straight into the vector, no iterator
/// adapters moving 64-byte regions around).
pub(crate) struct SortedBuilder {
    limit: u64,
    fill: Region,
    at: u64,
    out: Vec<Region>,
}

impl SortedBuilder {
    /// `capacity`: how many regions to expect (gaps grow the vector).
    pub fn new(limit: u64, fill: Region, capacity: usize) -> SortedBuilder {
        SortedBuilder { limit, fill, at: 0, out: Vec::with_capacity(capacity) }
    }

    /// The next region (sorted by base, not overlapping the last), clamped to
    /// the space; the gap before it is filled.
    pub fn push(&mut self, mut r: Region) {
        let end = r.end_addr().min(self.limit);
        if r.base_addr < self.at || r.base_addr >= end {
            // Unsorted, overlapping or outside the space: not this function's input.
            debug_assert!(
                r.base_addr >= self.limit || r.size_bytes == 0,
                "from_sorted: {:#x} out of order",
                r.base_addr
            );
            return;
        }
        if r.base_addr > self.at {
            self.push_gap(r.base_addr);
        }
        r.size_bytes = end - r.base_addr;
        self.at = end;
        self.out.push(r);
    }

    fn push_gap(&mut self, end: u64) {
        let mut g = self.fill.clone();
        g.base_addr = self.at;
        g.size_bytes = end - self.at;
        self.out.push(g);
    }

    pub fn finish(mut self) -> Painter {
        if self.at < self.limit {
            self.push_gap(self.limit);
        }
        // Large vectors grow and shrink by remapping pages, not by copying.
        self.out.shrink_to_fit();
        Painter { store: Store::Sorted(self.out), limit: self.limit }
    }
}

impl Painter {
    /// One `fill` region over the whole space [0, limit).
    pub fn new(limit: u64, mut fill: Region) -> Painter {
        fill.base_addr = 0;
        fill.size_bytes = limit;
        let regions = if limit > 0 { vec![fill] } else { Vec::new() };
        Painter { store: Store::Sorted(regions), limit }
    }

    /// The space filled with `regions` (sorted by base and not overlapping),
    /// the gaps between them `fill`; regions are clamped to the space. The
    /// same map as painting each one onto `Painter::new(limit, fill)`, built
    /// in one linear pass: a million paints would each search and split the
    /// tree.
    pub fn from_sorted(limit: u64, fill: Region, regions: impl IntoIterator<Item = Region>) -> Painter {
        let regions = regions.into_iter();
        let mut b = SortedBuilder::new(limit, fill, regions.size_hint().0);
        regions.for_each(|r| b.push(r));
        b.finish()
    }

    /// The tree, converting the sorted vector on first use.
    fn tree(&mut self) -> &mut BTreeMap<u64, Region> {
        if let Store::Sorted(v) = &mut self.store {
            let map = std::mem::take(v).into_iter().map(|r| (r.base_addr, r)).collect();
            self.store = Store::Tree(map);
        }
        match &mut self.store {
            Store::Tree(map) => map,
            Store::Sorted(_) => unreachable!("converted just above"),
        }
    }

    /// With the sorted vector: the indices `i..j` of the regions that exactly
    /// cover [base, end), when region boundaries lie at both ends.
    fn exact_run(&self, base: u64, end: u64) -> Option<(usize, usize)> {
        let Store::Sorted(v) = &self.store else { return None };
        let i = v.partition_point(|r| r.base_addr < base);
        let j = v.partition_point(|r| r.base_addr < end);
        let starts = v.get(i).is_some_and(|r| r.base_addr == base);
        let ends = v.get(j).map_or(end == self.limit, |r| r.base_addr == end);
        (starts && ends && i < j).then_some((i, j))
    }

    /// Ensures a region starts exactly at `addr` (when `addr` is inside the space).
    fn split_at(&mut self, addr: u64) {
        if addr == 0 || addr >= self.limit {
            return;
        }
        let map = self.tree();
        let Some((&base, region)) = map.range_mut(..=addr).next_back() else {
            return;
        };
        if base == addr || region.end_addr() <= addr {
            return;
        }
        let mut tail = region.clone();
        region.size_bytes = addr - base;
        tail.size_bytes = tail.end_addr() - addr;
        tail.base_addr = addr;
        map.insert(addr, tail);
    }

    /// Ensures a region starts at each of `points` inside the space. With the
    /// sorted vector this is one pass from the back, in place (each region
    /// moves once, to its place after the splits below it), so that marks
    /// that split many regions neither copy the map nor convert it to the tree.
    pub fn split_at_all(&mut self, mut points: Vec<u64>) {
        points.retain(|&a| a > 0 && a < self.limit);
        points.sort_unstable();
        points.dedup();
        let Store::Sorted(v) = &mut self.store else {
            points.into_iter().for_each(|a| self.split_at(a));
            return;
        };
        // Only points strictly inside a region split anything.
        points.retain(|&a| {
            let i = v.partition_point(|r| r.base_addr <= a);
            i > 0 && v[i - 1].base_addr != a && v[i - 1].contains(a)
        });
        if points.is_empty() {
            return;
        }
        let n = v.len();
        v.reserve_exact(points.len());
        let filler = Region::blank(0, 0, v[0].kind, v[0].state);
        v.resize(n + points.len(), filler.clone());
        // Walking down: `write` stays at or above `read` (the slots between
        // them are for the splits still to come below), so nothing unread
        // is overwritten.
        let mut write = v.len();
        let mut pending = points.len();
        for read in (0..n).rev() {
            let mut r = std::mem::replace(&mut v[read], filler.clone());
            while pending > 0 && points[pending - 1] > r.base_addr {
                let at = points[pending - 1];
                let mut piece = r.clone();
                piece.base_addr = at;
                piece.size_bytes = r.end_addr() - at;
                r.size_bytes = at - r.base_addr;
                write -= 1;
                v[write] = piece;
                pending -= 1;
            }
            write -= 1;
            v[write] = r;
        }
        debug_assert_eq!((write, pending), (0, 0));
    }

    /// Applies `f` to every region, in address order.
    pub fn for_each(&mut self, f: impl FnMut(&mut Region)) {
        match &mut self.store {
            Store::Sorted(v) => v.iter_mut().for_each(f),
            Store::Tree(map) => map.values_mut().for_each(f),
        }
    }

    /// Clamps [base, end) to the space; None when nothing is left.
    fn clamp(&self, base: u64, end: u64) -> Option<(u64, u64)> {
        let end = end.min(self.limit);
        (base < end).then_some((base, end))
    }

    /// Replaces [region.base, region.end) with `region` (clamped to the space).
    pub fn paint(&mut self, mut region: Region) {
        let Some((base, end)) = self.clamp(region.base_addr, region.end_addr()) else {
            return;
        };
        region.base_addr = base;
        region.size_bytes = end - base;
        if let (Some((i, j)), Store::Sorted(v)) = (self.exact_run(base, end), &mut self.store)
            && j == i + 1
        {
            v[i] = region;
            return;
        }
        self.split_at(base);
        self.split_at(end);
        let map = self.tree();
        let inside: Vec<u64> = map.range(base..end).map(|(k, _)| *k).collect();
        for k in inside {
            map.remove(&k);
        }
        map.insert(base, region);
    }

    /// Applies `f` to every region in [base, end), splitting at the ends first.
    pub fn modify(&mut self, base: u64, end: u64, mut f: impl FnMut(&mut Region)) {
        let Some((base, end)) = self.clamp(base, end) else {
            return;
        };
        if let (Some((i, j)), Store::Sorted(v)) = (self.exact_run(base, end), &mut self.store) {
            v[i..j].iter_mut().for_each(f);
            return;
        }
        self.split_at(base);
        self.split_at(end);
        for (_, r) in self.tree().range_mut(base..end) {
            f(r);
        }
    }

    /// The region containing `addr`.
    pub fn at(&self, addr: u64) -> Option<&Region> {
        match &self.store {
            Store::Sorted(v) => {
                let i = v.partition_point(|r| r.base_addr <= addr);
                i.checked_sub(1).and_then(|i| v.get(i))
            }
            Store::Tree(map) => map.range(..=addr).next_back().map(|(_, r)| r),
        }
        .filter(|r| r.contains(addr))
    }

    pub fn iter(&self) -> Box<dyn Iterator<Item = &Region> + '_> {
        match &self.store {
            Store::Sorted(v) => Box::new(v.iter()),
            Store::Tree(map) => Box::new(map.values()),
        }
    }

    pub fn into_regions(self) -> Vec<Region> {
        match self.store {
            Store::Sorted(v) => v,
            Store::Tree(map) => map.into_values().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::region::{RegionKind, RegionState};

    fn blank(kind: RegionKind) -> Region {
        Region::blank(0, 0, kind, RegionState::Unknown)
    }

    fn check_cover(regions: &[Region], limit: u64) {
        let mut at = 0;
        for r in regions {
            assert_eq!(r.base_addr, at, "gap or overlap at {at:#x}");
            assert!(r.size_bytes > 0);
            at = r.end_addr();
        }
        assert_eq!(at, limit);
    }

    #[test]
    fn paints_split_and_cover() {
        let mut p = Painter::new(0x10000, blank(RegionKind::Unknown));
        let mut a = blank(RegionKind::Image);
        a.base_addr = 0x1000;
        a.size_bytes = 0x3000;
        p.paint(a);
        let mut b = blank(RegionKind::Heap);
        b.base_addr = 0x2000;
        b.size_bytes = 0x1000;
        p.paint(b);
        let mut c = blank(RegionKind::Stack);
        c.base_addr = 0xF000;
        c.size_bytes = 0x9000; // runs past the limit: clamped
        p.paint(c);
        p.modify(0x3800, 0x3C00, |r| r.kind = RegionKind::TEB);
        assert_eq!(p.at(0x2800).map(|r| r.kind), Some(RegionKind::Heap));
        let regions = p.into_regions();
        check_cover(&regions, 0x10000);
        let kinds: Vec<_> = regions.iter().map(|r| r.kind).collect();
        use RegionKind::*;
        assert_eq!(kinds, vec![Unknown, Image, Heap, Image, TEB, Image, Unknown, Stack]);
    }

    #[test]
    fn from_sorted_is_painting_each() {
        let r = |base: u64, size: u64, kind| Region { base_addr: base, size_bytes: size, ..blank(kind) };
        let regions = vec![
            r(0, 0x1000, RegionKind::Image),
            r(0x3000, 0x2000, RegionKind::Heap),
            r(0xF000, 0x9000, RegionKind::Stack),
        ];
        let mut painted = Painter::new(0x10000, blank(RegionKind::Unknown));
        for x in &regions {
            painted.paint(x.clone());
        }
        let bulk = Painter::from_sorted(0x10000, blank(RegionKind::Unknown), regions);
        let (a, b) = (painted.into_regions(), bulk.into_regions());
        check_cover(&b, 0x10000);
        assert_eq!(a, b);
    }

    #[test]
    fn sorted_fast_paths_match_the_tree() {
        let r = |base: u64, size: u64, kind| Region { base_addr: base, size_bytes: size, ..blank(kind) };
        let regions = || vec![r(0x1000, 0x1000, RegionKind::Image), r(0x2000, 0x2000, RegionKind::Heap)];
        let edits = |p: &mut Painter| {
            // On boundaries (stays sorted), then across them (converts).
            p.modify(0x2000, 0x4000, |x| x.kind = RegionKind::Stack);
            p.paint(r(0x1000, 0x1000, RegionKind::TEB));
            p.modify(0x4000, 0x10000, |x| x.label = "tail".into());
            p.paint(r(0x1800, 0x1000, RegionKind::PEB));
        };
        let mut sorted = Painter::from_sorted(0x10000, blank(RegionKind::Unknown), regions());
        let mut tree = Painter::from_sorted(0x10000, blank(RegionKind::Unknown), regions());
        tree.tree();
        assert!(matches!(sorted.store, Store::Sorted(_)));
        edits(&mut sorted);
        edits(&mut tree);
        assert_eq!(sorted.at(0x2000).map(|x| x.kind), Some(RegionKind::PEB));
        assert_eq!(sorted.at(0x2800).map(|x| x.kind), Some(RegionKind::Stack));
        let (a, b) = (sorted.into_regions(), tree.into_regions());
        check_cover(&a, 0x10000);
        assert_eq!(a, b);
    }

    #[test]
    fn split_at_all_stays_sorted_and_matches_single_splits() {
        let r = |base: u64, size: u64, kind| Region { base_addr: base, size_bytes: size, ..blank(kind) };
        let regions = || vec![r(0x1000, 0x3000, RegionKind::Image), r(0x8000, 0x2000, RegionKind::Heap)];
        let points = vec![0x9000, 0x2000, 0x3000, 0x1000, 0x2000, 0x5000, 0x20000, 0, 0x9800];
        let mut bulk = Painter::from_sorted(0x10000, blank(RegionKind::Unknown), regions());
        bulk.split_at_all(points.clone());
        assert!(matches!(bulk.store, Store::Sorted(_)), "no tree");
        let mut single = Painter::from_sorted(0x10000, blank(RegionKind::Unknown), regions());
        for p in points {
            single.split_at(p);
        }
        let (a, b) = (bulk.into_regions(), single.into_regions());
        check_cover(&a, 0x10000);
        assert_eq!(a, b);
        let bases: Vec<u64> = a.iter().map(|x| x.base_addr).collect();
        assert_eq!(bases, [0, 0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x8000, 0x9000, 0x9800, 0xA000]);
    }

    /// What a painter must equal: one kind per page, painted naively.
    fn model(limit_pages: u64, ops: &[(bool, u64, u64, u8)]) -> Vec<RegionKind> {
        let mut pages = vec![RegionKind::Unknown; limit_pages as usize];
        for &(paint, first, count, kind) in ops {
            let end = (first + count).min(limit_pages);
            for page in &mut pages[first.min(limit_pages) as usize..end as usize] {
                let k = RegionKind::ALL[kind as usize % RegionKind::ALL.len()];
                if paint || *page != RegionKind::Free {
                    *page = k;
                }
            }
        }
        pages
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Random paints and modifications (a modification here repaints
        /// every page that is not Free), from a sorted start or not: the
        /// regions always cover [0, limit) in order, and say what the
        /// page-by-page model says.
        #[test]
        fn painting_keeps_the_cover_and_matches_a_page_model(
            limit_pages in 1u64..64,
            sorted_start in proptest::prelude::any::<bool>(),
            ops in proptest::collection::vec((proptest::prelude::any::<bool>(), 0u64..70, 0u64..20, 0u8..12), 0..24),
        ) {
            const PAGE: u64 = 0x1000;
            let limit = limit_pages * PAGE;
            let mut p = if sorted_start {
                let start = (0..limit_pages).step_by(3).map(|i| Region { base_addr: i * PAGE, size_bytes: PAGE, ..blank(RegionKind::Unknown) });
                Painter::from_sorted(limit, blank(RegionKind::Unknown), start)
            } else {
                Painter::new(limit, blank(RegionKind::Unknown))
            };
            for &(paint, first, count, kind) in &ops {
                let k = RegionKind::ALL[kind as usize % RegionKind::ALL.len()];
                let (base, end) = (first * PAGE, (first + count) * PAGE);
                if paint {
                    p.paint(Region { base_addr: base, size_bytes: end - base, ..blank(k) });
                } else {
                    if kind % 2 == 0 {
                        // Splitting first (as the marks do) changes no page.
                        p.split_at_all(vec![end, base, first / 2 * PAGE]);
                    }
                    p.modify(base, end, |r| if r.kind != RegionKind::Free { r.kind = k });
                }
            }
            let regions = p.into_regions();
            check_cover(&regions, limit);
            let mut pages = Vec::new();
            for r in &regions {
                pages.extend(std::iter::repeat_n(r.kind, (r.size_bytes / PAGE) as usize));
            }
            proptest::prop_assert_eq!(pages, model(limit_pages, &ops));
        }
    }
}
