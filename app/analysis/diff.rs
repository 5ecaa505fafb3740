//! Two dumps compared: what was born, died or changed between two moments
//! of a process (or, with a warning, of two processes).
//!
//! The two region maps are overlaid: both cover the address space without
//! gaps, so one merge-walk over their boundaries visits every range where
//! the pair (region in A, region in B) is constant. A range is `born` when B
//! maps it (committed or reserved) and A does not, `died` the reverse, and
//! `changed` when both map it with a different protection, state, type,
//! kind or backing file; neighbouring ranges with the same change and the
//! same attributes on both sides are one change. Modules are matched by
//! name (loaded, unloaded, rebased), threads by id; bytes are summed per
//! kind on both sides. Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet};

use crate::dump::{AddressSpace, Owner, Protection, Region, RegionKind, RegionState, RegionType};

/// What happened to a range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    Born,
    Died,
    Changed,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::Born => "born",
            Change::Died => "died",
            Change::Changed => "changed",
        }
    }
}

/// What one side says of a range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Side {
    pub state: RegionState,
    pub ty: Option<RegionType>,
    pub protect: Protection,
    pub kind: RegionKind,
    /// The owner in words (module, file, thread, heap), or the label.
    pub owner: String,
}

impl Side {
    /// "PrivateData PAGE_READWRITE heap": kind, protection and owner.
    pub fn summary(&self) -> String {
        format!("{} {} {}", self.kind, self.protect, self.owner).trim_end().to_string()
    }
}

/// One maximal range with one change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionChange {
    pub base_addr: u64,
    pub end_addr: u64,
    pub change: Change,
    /// A's attributes, `None` where A maps nothing.
    pub a: Option<Side>,
    pub b: Option<Side>,
}

impl RegionChange {
    pub fn size_bytes(&self) -> u64 {
        self.end_addr - self.base_addr
    }
}

/// Modules by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleChanges {
    pub loaded: Vec<String>,
    pub unloaded: Vec<String>,
    /// (name, base in A, base in B).
    pub rebased: Vec<(String, u64, u64)>,
}

/// Threads by id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadChanges {
    pub started: Vec<u32>,
    pub ended: Vec<u32>,
}

/// Everything that differs.
#[derive(Clone, Debug, Default)]
pub struct Diff {
    pub regions: Vec<RegionChange>,
    pub modules: ModuleChanges,
    pub threads: ThreadChanges,
    /// Bytes of each kind in A and in B (every kind, zero where none).
    pub bytes_by_kind: BTreeMap<RegionKind, (u64, u64)>,
    /// Owners whose mapped bytes grew most from A to B: (owner, growth).
    pub growth_by_owner: Vec<(String, i128)>,
    pub warnings: Vec<String>,
}

impl Diff {
    /// Bytes born, died and changed.
    pub fn totals(&self) -> (u64, u64, u64) {
        let sum = |c: Change| self.regions.iter().filter(|r| r.change == c).map(RegionChange::size_bytes).sum();
        (sum(Change::Born), sum(Change::Died), sum(Change::Changed))
    }
}

fn mapped(r: &Region) -> bool {
    matches!(r.state, RegionState::Commit | RegionState::Reserve)
}

fn owner_words(space: &AddressSpace, r: &Region) -> String {
    match &r.owner {
        Owner::None => r.label.to_string(),
        // A thread's stack is that thread's, whatever its label says.
        _ => space.owner_name(r),
    }
}

fn side(space: &AddressSpace, r: &Region) -> Option<Side> {
    mapped(r).then(|| Side { state: r.state, ty: r.ty, protect: r.protect, kind: r.kind, owner: owner_words(space, r) })
}

/// Compares dump `a` (before) with `b` (after).
pub fn diff(a: &AddressSpace, b: &AddressSpace) -> Diff {
    let mut out = Diff { regions: overlay(a, b), ..Diff::default() };
    if a.process.process_id != b.process.process_id {
        out.warnings.push(format!(
            "the dumps are of different processes (pid {} and {}): the comparison shows what differs, not what happened",
            a.process.process_id.map_or("?".into(), |p| p.to_string()),
            b.process.process_id.map_or("?".into(), |p| p.to_string())
        ));
    }
    if a.region_source != b.region_source {
        out.warnings.push(format!(
            "the region lists come from different sources ({} and {}): some changes are in what the dumps record",
            a.region_source.name(),
            b.region_source.name()
        ));
    }

    // Modules by name (case-insensitive, as Windows names them).
    let by_name = |s: &AddressSpace| -> BTreeMap<String, (String, u64)> {
        s.modules.iter().map(|m| (m.name.to_ascii_lowercase(), (m.path.clone(), m.base_addr))).collect()
    };
    let (ma, mb) = (by_name(a), by_name(b));
    for (name, (path, base)) in &mb {
        match ma.get(name) {
            None => out.modules.loaded.push(path.clone()),
            Some((_, old)) if old != base => out.modules.rebased.push((path.clone(), *old, *base)),
            Some(_) => {}
        }
    }
    out.modules.unloaded = ma.iter().filter(|(n, _)| !mb.contains_key(*n)).map(|(_, (p, _))| p.clone()).collect();

    let ids = |s: &AddressSpace| -> BTreeSet<u32> { s.threads.iter().map(|t| t.id).collect() };
    let (ta, tb) = (ids(a), ids(b));
    out.threads.started = tb.difference(&ta).copied().collect();
    out.threads.ended = ta.difference(&tb).copied().collect();

    let (ka, kb) = (a.bytes_by_kind(), b.bytes_by_kind());
    out.bytes_by_kind = RegionKind::ALL.iter().map(|k| (*k, (ka[k], kb[k]))).collect();

    // Growth by owner: mapped bytes per owner class and name on each side.
    let owners = |s: &AddressSpace| -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for r in s.regions.iter().filter(|r| mapped(r)) {
            *m.entry(owner_class(s, r)).or_insert(0) += r.size_bytes;
        }
        m
    };
    let (oa, ob) = (owners(a), owners(b));
    let names: BTreeSet<&String> = oa.keys().chain(ob.keys()).collect();
    let mut growth: Vec<(String, i128)> = names
        .into_iter()
        .map(|n| (n.clone(), i128::from(ob.get(n).copied().unwrap_or(0)) - i128::from(oa.get(n).copied().unwrap_or(0))))
        .filter(|(_, g)| *g > 0)
        .collect();
    growth.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
    growth.truncate(20);
    out.growth_by_owner = growth;
    out
}

/// An owner as the growth table groups it: heap, module, thread stack,
/// file, or anonymous memory of a kind.
fn owner_class(s: &AddressSpace, r: &Region) -> String {
    match &r.owner {
        Owner::Heap(_) => "heap".into(),
        Owner::Module(_) => format!("module {}", s.owner_name(r)),
        Owner::Thread(id) => format!("thread {id} stack"),
        Owner::File => format!("file {}", r.label),
        Owner::None if r.kind == RegionKind::Heap => "heap".into(),
        Owner::None => format!("anonymous {}", r.kind),
    }
}

/// The merge-walk over both maps' boundaries.
fn overlay(a: &AddressSpace, b: &AddressSpace) -> Vec<RegionChange> {
    let mut out: Vec<RegionChange> = Vec::new();
    let (ra, rb) = (&a.regions, &b.regions);
    let (mut i, mut j) = (0usize, 0usize);
    let mut at = 0u64;
    loop {
        let x = ra.get(i).filter(|r| r.end_addr() > at);
        let y = rb.get(j).filter(|r| r.end_addr() > at);
        if x.is_none() && y.is_none() {
            break;
        }
        // Where this piece ends: the nearer region end (beyond a list's end, nothing is mapped).
        let end = match (x, y) {
            (Some(x), Some(y)) => x.end_addr().min(y.end_addr()),
            (Some(x), None) => x.end_addr(),
            (None, Some(y)) => y.end_addr(),
            (None, None) => break,
        };
        let sa = x.filter(|r| r.base_addr <= at).and_then(|r| side(a, r));
        let sb = y.filter(|r| r.base_addr <= at).and_then(|r| side(b, r));
        let change = match (&sa, &sb) {
            (None, Some(_)) => Some(Change::Born),
            (Some(_), None) => Some(Change::Died),
            (Some(p), Some(q)) if p != q => Some(Change::Changed),
            _ => None,
        };
        if let Some(change) = change {
            match out.last_mut() {
                Some(last) if last.end_addr == at && last.change == change && last.a == sa && last.b == sb => {
                    last.end_addr = end;
                }
                _ => out.push(RegionChange { base_addr: at, end_addr: end, change, a: sa, b: sb }),
            }
        }
        if end <= at {
            break; // an empty region: never in a valid map, but no loop may spin
        }
        at = end;
        if x.is_some_and(|r| r.end_addr() <= at) {
            i += 1;
        }
        if y.is_some_and(|r| r.end_addr() <= at) {
            j += 1;
        }
    }
    out
}

/// Private and heap bytes that must grow, at least, for Memory Leak: 64 MiB
/// and a quarter of what A had (smaller growth is a process's normal life).
pub const LEAK_MIN_GROWTH_BYTES: u64 = 64 << 20;
/// Handles that must be added, at least, for Handle Leak: 1,000 and a
/// quarter of A's count.
pub const HANDLE_LEAK_MIN_GROWTH: u64 = 1000;

/// The patterns a pair shows: Memory Leak, Handle Leak, Module Variety.
pub fn findings(a: &AddressSpace, b: &AddressSpace, d: &Diff) -> Vec<crate::analysis::patterns::Finding> {
    use crate::analysis::patterns::{Finding, Severity};
    let mut out = Vec::new();
    let private = |s: &AddressSpace| -> u64 {
        s.regions
            .iter()
            .filter(|r| r.state == RegionState::Commit && matches!(r.kind, RegionKind::Heap | RegionKind::PrivateData))
            .map(|r| r.size_bytes)
            .sum()
    };
    let (pa, pb) = (private(a), private(b));
    let grew = pb.saturating_sub(pa);
    if grew >= LEAK_MIN_GROWTH_BYTES && grew >= pa / 4 {
        let mut f = Finding::new(
            "Memory Leak",
            Severity::Warning,
            if grew >= pa { 0.8 } else { 0.6 },
            format!("committed heap and private memory grew by {} MiB between the dumps", grew >> 20),
        )
        .evidence(format!("A: {} MiB of heap and private data committed", pa >> 20))
        .evidence(format!("B: {} MiB", pb >> 20));
        for (owner, g) in d.growth_by_owner.iter().take(3) {
            f = f.evidence(format!("{owner} grew by {} KiB", g >> 10));
        }
        out.push(f);
    }
    if let (Some(ha), Some(hb)) = (&a.handles, &b.handles) {
        let added = hb.total.saturating_sub(ha.total);
        if added >= HANDLE_LEAK_MIN_GROWTH && added >= ha.total / 4 {
            let mut f = Finding::new(
                "Handle Leak",
                Severity::Warning,
                0.7,
                format!("{added} more handles in B ({} -> {})", ha.total, hb.total),
            );
            for (ty, n) in &hb.by_type {
                let before = ha.by_type.get(ty).copied().unwrap_or(0);
                if *n > before {
                    f = f.evidence(format!("{ty}: {before} -> {n}"));
                }
            }
            out.push(f);
        }
    }
    if !d.modules.loaded.is_empty() || !d.modules.unloaded.is_empty() {
        let mut f = Finding::new(
            "Module Variety",
            Severity::Info,
            0.9,
            format!(
                "{} module(s) loaded and {} unloaded between the dumps ({} -> {})",
                d.modules.loaded.len(),
                d.modules.unloaded.len(),
                a.modules.len(),
                b.modules.len()
            ),
        );
        for m in d.modules.loaded.iter().take(10) {
            f = f.evidence(format!("loaded {m}"));
        }
        for m in d.modules.unloaded.iter().take(10) {
            f = f.evidence(format!("unloaded {m}"));
        }
        out.push(f);
    }
    out
}
