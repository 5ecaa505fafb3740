//! An interval map that keeps regions ordered, non-overlapping and covering
//! [0, limit): painting a range replaces whatever was there, splitting the
//! neighbours. A BTreeMap keyed by base keeps each paint O(log n + touched),
//! which matters for dumps with a million regions.

use std::collections::BTreeMap;

use crate::dump::region::Region;

pub(crate) struct Painter {
    map: BTreeMap<u64, Region>,
    limit: u64,
}

impl Painter {
    /// One `fill` region over the whole space [0, limit).
    pub fn new(limit: u64, mut fill: Region) -> Painter {
        fill.base_addr = 0;
        fill.size_bytes = limit;
        let mut map = BTreeMap::new();
        if limit > 0 {
            map.insert(0, fill);
        }
        Painter { map, limit }
    }

    /// The space filled with `regions` (sorted by base and not overlapping),
    /// the gaps between them `fill`; regions are clamped to the space. The
    /// same map as painting each one onto `Painter::new(limit, fill)`, built
    /// in one linear pass: a million paints would each search and split the
    /// tree.
    pub fn from_sorted(limit: u64, fill: Region, regions: impl IntoIterator<Item = Region>) -> Painter {
        let gap = |base: u64, end: u64| {
            let mut g = fill.clone();
            g.base_addr = base;
            g.size_bytes = end - base;
            (base, g)
        };
        let mut at = 0u64;
        let mut entries = regions.into_iter().flat_map(|mut r| {
            let end = r.end_addr().min(limit);
            if r.base_addr < at || r.base_addr >= end {
                // Unsorted, overlapping or outside the space: not this function's input.
                debug_assert!(
                    r.base_addr >= limit || r.size_bytes == 0,
                    "from_sorted: {:#x} out of order",
                    r.base_addr
                );
                return [None, None];
            }
            let before = (r.base_addr > at).then(|| gap(at, r.base_addr));
            r.size_bytes = end - r.base_addr;
            at = end;
            [before, Some((r.base_addr, r))]
        });
        // Keys are ascending: the tree is bulk-built (no copy of the regions
        // is made before it).
        let mut map: BTreeMap<u64, Region> = entries.by_ref().flatten().collect();
        drop(entries);
        let end = map.last_key_value().map_or(0, |(_, r)| r.end_addr());
        if end < limit {
            let (base, g) = gap(end, limit);
            map.insert(base, g);
        }
        Painter { map, limit }
    }

    /// Ensures a region starts exactly at `addr` (when `addr` is inside the space).
    fn split_at(&mut self, addr: u64) {
        if addr == 0 || addr >= self.limit {
            return;
        }
        let Some((&base, region)) = self.map.range_mut(..=addr).next_back() else {
            return;
        };
        if base == addr || region.end_addr() <= addr {
            return;
        }
        let mut tail = region.clone();
        region.size_bytes = addr - base;
        tail.size_bytes = tail.end_addr() - addr;
        tail.base_addr = addr;
        self.map.insert(addr, tail);
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
        self.split_at(base);
        self.split_at(end);
        let inside: Vec<u64> = self.map.range(base..end).map(|(k, _)| *k).collect();
        for k in inside {
            self.map.remove(&k);
        }
        region.base_addr = base;
        region.size_bytes = end - base;
        self.map.insert(base, region);
    }

    /// Applies `f` to every region in [base, end), splitting at the ends first.
    pub fn modify(&mut self, base: u64, end: u64, mut f: impl FnMut(&mut Region)) {
        let Some((base, end)) = self.clamp(base, end) else {
            return;
        };
        self.split_at(base);
        self.split_at(end);
        for (_, r) in self.map.range_mut(base..end) {
            f(r);
        }
    }

    /// The region containing `addr`.
    pub fn at(&self, addr: u64) -> Option<&Region> {
        self.map.range(..=addr).next_back().map(|(_, r)| r).filter(|r| r.contains(addr))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Region> {
        self.map.values()
    }

    pub fn into_regions(self) -> Vec<Region> {
        self.map.into_values().collect()
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
}
