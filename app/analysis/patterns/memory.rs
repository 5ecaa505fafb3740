//! Rules over handles and the region list: leaks and exhaustion.

use std::collections::BTreeMap;

use super::finding::{Ctx, Finding, Severity, hex};
use crate::dump::{RegionKind, RegionSource, RegionState, RegionType};
use crate::format::human_size;

/// More handles than this is a leak.
pub const HANDLE_LEAK_TOTAL: u64 = 10_000;
/// With at least [`HANDLE_DOMINANT_MIN`] handles, one type holding this share
/// of them is a leak of that type.
pub const HANDLE_DOMINANT_SHARE: f64 = 0.8;
pub const HANDLE_DOMINANT_MIN: u64 = 2_000;

/// **Handle Leak**: the HandleData stream lists more than
/// [`HANDLE_LEAK_TOTAL`] handles (confidence 0.7), or at least
/// [`HANDLE_DOMINANT_MIN`] of which one type holds
/// [`HANDLE_DOMINANT_SHARE`] (0.6; 0.8 when both hold).
pub fn handle_leak(cx: &Ctx) -> Vec<Finding> {
    let Some(h) = &cx.space.handles else { return vec![] };
    let top = h.by_type.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)));
    let many = h.total > HANDLE_LEAK_TOTAL;
    let dominant =
        top.filter(|(_, n)| h.total >= HANDLE_DOMINANT_MIN && **n as f64 >= HANDLE_DOMINANT_SHARE * h.total as f64);
    let conf = match (many, dominant.is_some()) {
        (true, true) => 0.8,
        (true, false) => 0.7,
        (false, true) => 0.6,
        (false, false) => return vec![],
    };
    let summary = match dominant {
        Some((ty, n)) => format!("{} handles open, {n} of them {ty}", h.total),
        None => format!("{} handles open", h.total),
    };
    let mut f = Finding::new("Handle Leak", Severity::Warning, conf, summary)
        .evidence(format!("HandleData: {} handles (threshold {HANDLE_LEAK_TOTAL})", h.total));
    if let Some((ty, n)) = top {
        f = f.evidence(format!("most common type: {ty} ({n}, {:.0}%)", *n as f64 * 100.0 / h.total.max(1) as f64));
    }
    vec![f]
}

/// Free address space below this share of the user-mode range is exhaustion.
pub const FREE_EXHAUSTED_SHARE: f64 = 0.05;
/// In a 32-bit process, a largest free block below this...
pub const FRAGMENTED_LARGEST_BYTES: u64 = 32 << 20;
/// ...while all free space together is at least this many times larger is fragmentation.
pub const FRAGMENTED_RATIO: u64 = 4;
/// STATUS_NO_MEMORY.
pub const STATUS_NO_MEMORY: u32 = 0xC000_0017;

/// **Insufficient Memory**: with a MemoryInfoList (Windows) region list,
/// free space below [`FREE_EXHAUSTED_SHARE`] of the user-mode range (Error,
/// 0.8), or, in a 32-bit process, a largest free block below
/// [`FRAGMENTED_LARGEST_BYTES`] while free space totals at least
/// [`FRAGMENTED_RATIO`] times that (Warning, 0.6, fragmentation); or the
/// exception is 0xC0000017 STATUS_NO_MEMORY (Error, 0.9).
pub fn insufficient_memory(cx: &Ctx) -> Vec<Finding> {
    let space = cx.space;
    if let Some(ex) = cx.exception()
        && ex.code == STATUS_NO_MEMORY
        && cx.windows()
    {
        return vec![
            Finding::new(
                "Insufficient Memory",
                Severity::Error,
                0.9,
                format!("an allocation failed on thread {} (STATUS_NO_MEMORY)", ex.thread_id),
            )
            .evidence(format!("exception code 0x{:08x} ({})", ex.code, ex.name))
            .thread(ex.thread_id),
        ];
    }
    if space.region_source != RegionSource::MemoryInfoList {
        return vec![];
    }
    let limit = space.system.user_limit_addr;
    let free: u64 = space.regions.iter().filter(|r| r.state == RegionState::Free).map(|r| r.size_bytes).sum();
    let Some((largest_base, largest)) = space.largest_free() else {
        return vec![
            Finding::new("Insufficient Memory", Severity::Error, 0.8, "no free address space is left")
                .evidence("no Free regions in the MemoryInfoList"),
        ];
    };
    let commit: u64 = space.regions.iter().filter(|r| r.state == RegionState::Commit).map(|r| r.size_bytes).sum();
    let facts = [
        format!("free {} of {} user-mode space", human_size(free), human_size(limit)),
        format!("largest free block {} at {}", human_size(largest), hex(largest_base)),
        format!("committed {}", human_size(commit)),
    ];
    let mut f = if (free as f64) < FREE_EXHAUSTED_SHARE * limit as f64 {
        Finding::new(
            "Insufficient Memory",
            Severity::Error,
            0.8,
            format!("the address space is nearly exhausted ({} free)", human_size(free)),
        )
    } else if space.system.pointer_bits == 32
        && largest < FRAGMENTED_LARGEST_BYTES
        && free >= largest.saturating_mul(FRAGMENTED_RATIO)
    {
        Finding::new(
            "Insufficient Memory",
            Severity::Warning,
            0.6,
            format!("free address space is fragmented: the largest block is {}", human_size(largest)),
        )
    } else {
        return vec![];
    };
    for line in facts {
        f = f.evidence(line);
    }
    vec![f.region_at(space, largest_base)]
}

/// At least this many committed private regions of one size...
pub const LEAK_MIN_REGIONS: usize = 64;
/// ...adding up to at least this many bytes.
pub const LEAK_MIN_BYTES: u64 = 64 << 20;
/// How many region bases a finding lists.
pub const LEAK_REGIONS_LISTED: usize = 16;

/// **Memory Leak**: at least [`LEAK_MIN_REGIONS`] committed private regions
/// (private data or heap, not stacks or TEBs) of one size, together at
/// least [`LEAK_MIN_BYTES`]: allocations that were never freed. Regions from
/// a MemoryInfoList or LinuxMaps only. Confidence 0.5, 0.7 from four times
/// the thresholds.
pub fn memory_leak(cx: &Ctx) -> Vec<Finding> {
    let space = cx.space;
    if space.region_source == RegionSource::Synthesized {
        return vec![];
    }
    let mut by_size: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for r in &space.regions {
        if r.state == RegionState::Commit
            && r.ty == Some(RegionType::Private)
            && matches!(r.kind, RegionKind::PrivateData | RegionKind::Heap)
        {
            by_size.entry(r.size_bytes).or_default().push(r.base_addr);
        }
    }
    let mut out = Vec::new();
    for (size, bases) in by_size {
        let total = size.saturating_mul(bases.len() as u64);
        if bases.len() < LEAK_MIN_REGIONS || total < LEAK_MIN_BYTES {
            continue;
        }
        let big = bases.len() >= 4 * LEAK_MIN_REGIONS && total >= 4 * LEAK_MIN_BYTES;
        let mut f = Finding::new(
            "Memory Leak",
            Severity::Warning,
            if big { 0.7 } else { 0.5 },
            format!(
                "{} committed private regions of {} each ({} together)",
                bases.len(),
                human_size(size),
                human_size(total)
            ),
        )
        .evidence(format!(
            "{} regions of {size} bytes (thresholds {LEAK_MIN_REGIONS} regions, {} together)",
            bases.len(),
            human_size(LEAK_MIN_BYTES)
        ));
        f.regions = bases.into_iter().take(LEAK_REGIONS_LISTED).collect();
        out.push(f);
    }
    out
}
