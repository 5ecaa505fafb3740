//! A comparison as the maps and panels show it: dump B's region map cut at
//! every boundary of its [`Diff`] with dump A, so that each piece is wholly
//! born, died, changed or unchanged, and the change of every piece.
//!
//! Cutting (rather than colouring B's regions by their "main" change) keeps
//! the picture honest: a heap that grew shows its old part unchanged and its
//! new part born, and memory that died inside one of B's huge free regions
//! is a piece of its own (free in B, with A's attributes in the diff) that
//! the maps can outline as a ghost, instead of the whole free region. Pure:
//! no I/O.

use std::path::PathBuf;

use super::diff::{self, Change, Diff, RegionChange};
use super::patterns::Finding;
use crate::dump::{AddressSpace, Region};

/// How one piece of B's cut map changed since A.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ChangeClass {
    #[default]
    Unchanged,
    Born,
    Died,
    Changed,
}

impl ChangeClass {
    pub const ALL: [ChangeClass; 4] =
        [ChangeClass::Born, ChangeClass::Died, ChangeClass::Changed, ChangeClass::Unchanged];

    pub fn name(self) -> &'static str {
        match self {
            ChangeClass::Unchanged => "unchanged",
            ChangeClass::Born => "born",
            ChangeClass::Died => "died",
            ChangeClass::Changed => "changed",
        }
    }

    fn of(change: Change) -> ChangeClass {
        match change {
            Change::Born => ChangeClass::Born,
            Change::Died => ChangeClass::Died,
            Change::Changed => ChangeClass::Changed,
        }
    }
}

/// Dump B compared with dump A (the earlier one).
pub struct Comparison {
    /// The dump B is compared with.
    pub a_path: PathBuf,
    pub diff: Diff,
    /// Memory Leak, Handle Leak and Module Variety across the pair.
    pub findings: Vec<Finding>,
    /// The change of each region of the cut map, by region index.
    pub classes: Vec<ChangeClass>,
}

impl Comparison {
    /// The change holding `addr`, if the range changed.
    pub fn change_at(&self, addr: u64) -> Option<&RegionChange> {
        let i = self.diff.regions.partition_point(|c| c.end_addr <= addr);
        self.diff.regions.get(i).filter(|c| c.base_addr <= addr && addr < c.end_addr)
    }

    /// The change of region `index` of the cut map (unchanged when out of range).
    pub fn class_of(&self, index: usize) -> ChangeClass {
        self.classes.get(index).copied().unwrap_or_default()
    }

    /// Bytes of the cut map in each class, in [`ChangeClass::ALL`]'s order.
    pub fn bytes_by_class(&self, cut: &AddressSpace) -> [u64; 4] {
        let mut out = [0u64; 4];
        for (r, c) in cut.regions.iter().zip(&self.classes) {
            let slot = ChangeClass::ALL.iter().position(|x| x == c).unwrap_or(3);
            out[slot] = out[slot].saturating_add(r.size_bytes);
        }
        out
    }
}

/// Compares `a` (before) with `b` (after): B's map cut at the diff's
/// boundaries, and the comparison whose classes index that cut map.
pub fn compare(a: &AddressSpace, b: &AddressSpace) -> (AddressSpace, Comparison) {
    let d = diff::diff(a, b);
    let findings = diff::findings(a, b, &d);
    let (regions, classes) = cut(b, &d.regions);
    let cut_space = b.with_regions(regions);
    (cut_space, Comparison { a_path: a.path.clone(), diff: d, findings, classes })
}

/// B's regions cut at every change boundary inside them, with the class of
/// each piece. Both lists are ordered by address: one merge-walk, linear in
/// regions plus changes.
fn cut(b: &AddressSpace, changes: &[RegionChange]) -> (Vec<Region>, Vec<ChangeClass>) {
    let mut regions = Vec::with_capacity(b.regions.len() + 2 * changes.len());
    let mut classes = Vec::with_capacity(regions.capacity());
    let mut k = 0usize;
    for r in &b.regions {
        let end = r.end_addr();
        let mut at = r.base_addr;
        // Changes that end before this region are behind us.
        while changes.get(k).is_some_and(|c| c.end_addr <= at) {
            k += 1;
        }
        while at < end {
            let (piece_end, class) = match changes.get(k) {
                // Inside a change: up to its end (or the region's).
                Some(c) if c.base_addr <= at => (c.end_addr.min(end), ChangeClass::of(c.change)),
                // Before the next change: unchanged up to it.
                Some(c) if c.base_addr < end => (c.base_addr, ChangeClass::Unchanged),
                _ => (end, ChangeClass::Unchanged),
            };
            if piece_end <= at {
                break; // an empty change: never in a diff, but no loop may spin
            }
            let mut piece = r.clone();
            piece.base_addr = at;
            piece.size_bytes = piece_end - at;
            if piece.size_bytes != r.size_bytes {
                piece.captured_bytes = b.captured.captured_in(at, piece_end);
            }
            regions.push(piece);
            classes.push(class);
            at = piece_end;
            if changes.get(k).is_some_and(|c| c.end_addr <= at) {
                k += 1;
            }
        }
    }
    (regions, classes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::{RegionKind, RegionState};

    fn space(regions: Vec<Region>) -> AddressSpace {
        AddressSpace::test_space(regions)
    }

    fn reg(base: u64, size: u64, kind: RegionKind, state: RegionState) -> Region {
        Region::blank(base, size, kind, state)
    }

    #[test]
    fn cut_pieces_are_wholly_one_change() {
        use RegionKind::{Heap, PrivateData, Stack};
        use RegionState::Commit;
        let a = space(vec![
            reg(0, 0x1000, RegionKind::Free, RegionState::Free),
            reg(0x1000, 0x3000, Heap, Commit),
            reg(0x4000, 0x2000, PrivateData, Commit),
            reg(0x6000, 0xa000, RegionKind::Free, RegionState::Free),
        ]);
        // The heap grew by 0x2000, the private data died, a stack was born at 0xc000.
        let b = space(vec![
            reg(0, 0x1000, RegionKind::Free, RegionState::Free),
            reg(0x1000, 0x5000, Heap, Commit),
            reg(0x6000, 0x6000, RegionKind::Free, RegionState::Free),
            reg(0xc000, 0x2000, Stack, Commit),
            reg(0xe000, 0x2000, RegionKind::Free, RegionState::Free),
        ]);
        let (cut, cmp) = compare(&a, &b);
        let pieces: Vec<(u64, u64, ChangeClass)> =
            cut.regions.iter().zip(&cmp.classes).map(|(r, c)| (r.base_addr, r.end_addr(), *c)).collect();
        assert_eq!(
            pieces,
            vec![
                (0, 0x1000, ChangeClass::Unchanged),
                (0x1000, 0x4000, ChangeClass::Unchanged),
                (0x4000, 0x6000, ChangeClass::Changed),
                (0x6000, 0xc000, ChangeClass::Unchanged),
                (0xc000, 0xe000, ChangeClass::Born),
                (0xe000, 0x10000, ChangeClass::Unchanged),
            ]
        );
        // The heap's new part was A's private data: changed (kind), not born.
        assert_eq!(cmp.change_at(0x4800).map(|c| c.change), Some(Change::Changed));
        assert_eq!(cmp.change_at(0x1000), None);
        assert_eq!(cmp.bytes_by_class(&cut), [0x2000, 0, 0x2000, 0xc000]);
        // The cut map still covers the space without gaps.
        for w in cut.regions.windows(2) {
            assert_eq!(w[0].end_addr(), w[1].base_addr);
        }
    }

    #[test]
    fn died_memory_inside_a_free_region_is_its_own_piece() {
        let a = space(vec![
            reg(0, 0x4000, RegionKind::Free, RegionState::Free),
            reg(0x4000, 0x1000, RegionKind::MappedFile, RegionState::Commit),
            reg(0x5000, 0xb000, RegionKind::Free, RegionState::Free),
        ]);
        let b = space(vec![reg(0, 0x10000, RegionKind::Free, RegionState::Free)]);
        let (cut, cmp) = compare(&a, &b);
        let pieces: Vec<(u64, u64, ChangeClass)> =
            cut.regions.iter().zip(&cmp.classes).map(|(r, c)| (r.base_addr, r.end_addr(), *c)).collect();
        assert_eq!(
            pieces,
            vec![
                (0, 0x4000, ChangeClass::Unchanged),
                (0x4000, 0x5000, ChangeClass::Died),
                (0x5000, 0x10000, ChangeClass::Unchanged),
            ]
        );
        assert!(cut.regions.iter().all(|r| r.kind == RegionKind::Free));
        let died = cmp.change_at(0x4000).expect("a change");
        assert_eq!(died.a.as_ref().map(|s| s.kind), Some(RegionKind::MappedFile));
        assert!(died.b.is_none());
    }

    #[test]
    fn a_dump_compared_with_itself_is_unchanged_and_uncut() {
        let regions = vec![
            reg(0, 0x4000, RegionKind::Free, RegionState::Free),
            reg(0x4000, 0x1000, RegionKind::Image, RegionState::Commit),
            reg(0x5000, 0xb000, RegionKind::Free, RegionState::Free),
        ];
        let (a, b) = (space(regions.clone()), space(regions.clone()));
        let (cut, cmp) = compare(&a, &b);
        assert_eq!(cut.regions, regions);
        assert!(cmp.classes.iter().all(|c| *c == ChangeClass::Unchanged));
        assert!(cmp.diff.regions.is_empty());
    }
}
