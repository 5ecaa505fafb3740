//! Rules about the dump file itself: comments, truncation, how much it holds.

use super::finding::{Ctx, Finding, Severity};
use crate::dump::{RegionSource, RegionState};
use crate::format::human_size;

/// CommentStreamA and CommentStreamW.
pub const COMMENT_STREAM_TYPES: [u32; 2] = [10, 11];

/// **Embedded Comments**: a CommentStreamA (10) or CommentStreamW (11) stream
/// is present (`.dump /c` or a writer's comment). Confidence 1.0.
pub fn embedded_comments(cx: &Ctx) -> Vec<Finding> {
    let comments: Vec<_> = cx.space.streams.iter().filter(|s| COMMENT_STREAM_TYPES.contains(&s.stream_type)).collect();
    if comments.is_empty() {
        return vec![];
    }
    let mut f = Finding::new(
        "Embedded Comments",
        Severity::Info,
        1.0,
        format!("the dump carries {} comment stream(s)", comments.len()),
    );
    for s in comments {
        f = f.evidence(format!("stream {} ({}), {} bytes", s.stream_type, s.name, s.size_bytes));
    }
    vec![f]
}

/// **Truncated Dump**: the reader's warnings say a stream, the stream
/// directory or captured memory runs past the end of the file (they mention
/// "truncated" or "past the end of the file"). Confidence 0.95.
pub fn truncated_dump(cx: &Ctx) -> Vec<Finding> {
    let hits: Vec<&String> = cx
        .space
        .warnings
        .iter()
        .filter(|w| {
            let l = w.to_lowercase();
            l.contains("truncated") || l.contains("past the end of the file")
        })
        .collect();
    if hits.is_empty() {
        return vec![];
    }
    let mut f = Finding::new(
        "Truncated Dump",
        Severity::Warning,
        0.95,
        format!("the file ({} bytes) is shorter than its contents say", cx.space.file_size_bytes),
    );
    for w in hits {
        f = f.evidence(w.clone());
    }
    vec![f]
}

/// Captured bytes below this share of committed memory make a dump abridged.
pub const ABRIDGED_SHARE: f64 = 0.10;

/// **Abridged Dump**: the dump holds less than [`ABRIDGED_SHARE`] of the
/// process's committed memory (from the MemoryInfoList or LinuxMaps; without
/// either, of the modules' and stacks' sizes, a lower bound): a minidump
/// without full memory, so heap contents and most data are missing.
/// Confidence 0.9 with a region list, 0.7 without.
pub fn abridged_dump(cx: &Ctx) -> Vec<Finding> {
    let space = cx.space;
    let captured = space.captured.total_bytes();
    let (committed, conf, basis) = if space.region_source == RegionSource::Synthesized {
        let modules: u64 = space.modules.iter().map(|m| m.size_bytes).sum();
        let stacks: u64 = space.threads.iter().map(|t| t.stack_end_addr.saturating_sub(t.stack_start_addr)).sum();
        (modules.saturating_add(stacks), 0.7, "module images and thread stacks")
    } else {
        let c = space.regions.iter().filter(|r| r.state == RegionState::Commit).map(|r| r.size_bytes).sum();
        (c, 0.9, "committed memory")
    };
    if committed == 0 || captured as f64 >= ABRIDGED_SHARE * committed as f64 {
        return vec![];
    }
    vec![
        Finding::new(
            "Abridged Dump",
            Severity::Info,
            conf,
            format!("the dump holds {} of {} {basis}", human_size(captured), human_size(committed)),
        )
        .evidence(format!(
            "captured {captured} bytes in {} ranges; {basis} {committed} bytes ({:.1}%, threshold {:.0}%)",
            space.captured.ranges().len(),
            captured as f64 * 100.0 / committed as f64,
            ABRIDGED_SHARE * 100.0
        )),
    ]
}
