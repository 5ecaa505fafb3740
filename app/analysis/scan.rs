//! Scanning all captured memory in parallel with results in address order:
//! the captured ranges are taken in batches, each batch's ranges are scanned
//! on rayon's threads, and their results are handed on in order before the
//! next batch starts. Memory stays bounded by one batch's results (never the
//! dump's size), and progress and cancel are checked between batches.
//! Strings (strings.rs) and references (refs.rs) are scans.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::dump::AddressSpace;

/// Captured bytes one batch covers at most (more when a single range is larger).
const BATCH_BYTES: u64 = 64 << 20;
/// A range longer than this is cut into pieces scanned side by side, at
/// places the scan chooses (where nothing it finds can cross).
const PIECE_BYTES: usize = 1 << 20;

/// Bytes scanned so far and a cancel switch, shared with whoever watches a scan.
#[derive(Debug, Default)]
pub struct ScanProgress {
    done: AtomicU64,
    total: AtomicU64,
    cancelled: AtomicBool,
}

impl ScanProgress {
    pub fn new() -> ScanProgress {
        ScanProgress::default()
    }

    /// Captured bytes scanned, and in all.
    pub fn bytes(&self) -> (u64, u64) {
        (self.done.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed))
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }
}

/// What a scan is: where a range may be cut, and what one piece holds.
pub trait Scan: Sync {
    type Found: Send;

    /// The first offset at or after `at` (and at most `bytes.len()`) where
    /// the range at `addr` may be cut: nothing found may cross it, and a
    /// piece starting there finds what a scan of the whole range finds.
    fn cut_at(&self, addr: u64, bytes: &[u8], at: usize) -> usize;

    /// The finds of the piece at `addr`, in address order.
    fn scan(&self, addr: u64, bytes: &[u8]) -> Vec<Self::Found>;
}

/// Scans every captured range with `scan` (pieces on rayon's threads) and
/// hands the finds to `emit` in address order. Stops early when `emit`
/// breaks or `progress` is cancelled; returns whether it ran to the end.
pub fn scan_ordered<S: Scan>(
    space: &AddressSpace,
    scan: &S,
    progress: Option<&ScanProgress>,
    emit: &mut dyn FnMut(S::Found) -> ControlFlow<()>,
) -> bool {
    let slices: Vec<(u64, &[u8])> = space.captured_slices().collect();
    if let Some(p) = progress {
        p.total.store(slices.iter().map(|(_, b)| b.len() as u64).sum(), Ordering::Relaxed);
    }
    let mut next = 0usize;
    while next < slices.len() {
        if progress.is_some_and(ScanProgress::is_cancelled) {
            return false;
        }
        // One batch: whole ranges up to BATCH_BYTES, cut into pieces.
        let mut pieces: Vec<(u64, &[u8])> = Vec::new();
        let mut batch_bytes = 0u64;
        while let Some(&(addr, bytes)) = slices.get(next) {
            if batch_bytes > 0 && batch_bytes + bytes.len() as u64 > BATCH_BYTES {
                break;
            }
            batch_bytes += bytes.len() as u64;
            let mut off = 0usize;
            while off < bytes.len() {
                let nominal = off.saturating_add(PIECE_BYTES).min(bytes.len());
                let end = scan.cut_at(addr, bytes, nominal).clamp(nominal, bytes.len());
                // A captured range's addresses never wrap: its end was checked when read.
                pieces.push((addr + off as u64, &bytes[off..end]));
                off = end;
            }
            next += 1;
        }
        let found: Vec<Vec<S::Found>> = pieces.par_iter().map(|&(addr, bytes)| scan.scan(addr, bytes)).collect();
        if let Some(p) = progress {
            p.done.fetch_add(batch_bytes, Ordering::Relaxed);
        }
        for t in found.into_iter().flatten() {
            if emit(t).is_break() {
                return false;
            }
        }
    }
    true
}
