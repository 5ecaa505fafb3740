//! What the Memory64List holds: committed ranges that must be captured (stacks,
//! TEBs, the PEB, heap and image headers) and ranges that may be (heap,
//! segment and private data pages), and the sharing out of the captured-bytes
//! budget over the latter in proportion to their size, exact to the page.

use crate::synth::error::SynthError;
use crate::synth::winnt::PAGE_SIZE;

/// What a captured range holds; decides how its bytes are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// KUSER_SHARED_DATA.
    Kuser,
    /// The committed part of thread `n`'s stack.
    Stack(u32),
    /// The PEB page.
    Peb,
    /// Thread `n`'s TEB.
    Teb(u32),
    /// The first segment of heap `n`: its header page, then heap blocks.
    Heap(u32),
    /// Extra segment `index` of heap `heap`: its header page, then heap blocks.
    Segment {
        /// Heap number (in `PEB.ProcessHeaps` order).
        heap: u32,
        /// Segment number within the heap.
        index: u32,
    },
    /// The header page of module `n` (ModuleList order).
    Image(u32),
    /// Private data.
    Data,
}

/// A committed range that is or may be captured from its base up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Address of the first byte.
    pub base: u64,
    /// Pages that must be captured.
    pub min_pages: u64,
    /// Committed pages (the most that may be captured).
    pub max_pages: u64,
    /// What it holds.
    pub content: Content,
}

/// A captured range: `bytes` bytes from `base`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capture {
    /// Address of the first byte.
    pub base: u64,
    /// Size in bytes (whole pages).
    pub bytes: u64,
    /// What it holds.
    pub content: Content,
}

impl Capture {
    /// One past the last byte.
    pub fn end(&self) -> u64 {
        self.base + self.bytes
    }
}

/// Capture exactly `total_pages` pages out of `spans` (ascending, disjoint):
/// every span's `min_pages`, and the rest shared out in proportion to each
/// span's optional pages. Spans that get nothing are left out.
pub fn distribute(spans: &[Span], total_pages: u64) -> Result<Vec<Capture>, SynthError> {
    let must: u64 = spans.iter().map(|s| s.min_pages).sum();
    let optional: u64 = spans.iter().map(|s| s.max_pages - s.min_pages).sum();
    let Some(extra) = total_pages.checked_sub(must).filter(|e| *e <= optional) else {
        return Err(SynthError::Inconsistent {
            what: format!("{total_pages} captured pages"),
            why: format!("the plan needs {must} and can hold {}", must + optional),
        });
    };
    let mut out = Vec::with_capacity(spans.len());
    let mut seen = 0u128;
    let mut given = 0u64;
    for s in spans {
        seen += u128::from(s.max_pages - s.min_pages);
        // Cumulative share rounded down: the shares add up to `extra` exactly and
        // none exceeds its span's optional pages.
        let upto = if optional == 0 { 0 } else { (u128::from(extra) * seen / u128::from(optional)) as u64 };
        let pages = s.min_pages + (upto - given);
        given = upto;
        if pages > 0 {
            out.push(Capture { base: s.base, bytes: pages * PAGE_SIZE, content: s.content });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_exact_and_bounded() {
        let spans: Vec<Span> = (0..1000u64)
            .map(|i| Span {
                base: i * 0x10_0000,
                min_pages: u64::from(i % 7 == 0),
                max_pages: 1 + (i * 37) % 200,
                content: Content::Data,
            })
            .collect();
        let must: u64 = spans.iter().map(|s| s.min_pages).sum();
        let all: u64 = spans.iter().map(|s| s.max_pages).sum();
        for total in [must, must + 1, must + 12_345, all] {
            let caps = distribute(&spans, total).unwrap_or_default();
            assert_eq!(caps.iter().map(|c| c.bytes / PAGE_SIZE).sum::<u64>(), total);
            for c in &caps {
                let s = spans.iter().find(|s| s.base == c.base).copied().unwrap_or(spans[0]);
                assert!(c.bytes / PAGE_SIZE >= s.min_pages && c.bytes / PAGE_SIZE <= s.max_pages);
            }
        }
        assert!(distribute(&spans, must.saturating_sub(1)).is_err());
        assert!(distribute(&spans, all + 1).is_err());
    }
}
