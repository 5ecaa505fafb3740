//! Progress and cancellation for a load running on another thread: the loader
//! reports which phase it is in, the window shows it and may ask it to stop.
//! Each phase's start time is kept, so `--timings` can say where the time went.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Shared between the loading thread and whoever watches it.
#[derive(Debug, Default)]
pub struct LoadProgress {
    cancel: AtomicBool,
    step: AtomicU32,
    phase: Mutex<&'static str>,
    /// When each phase was entered, in order.
    entered: Mutex<Vec<(&'static str, Instant)>>,
    /// Within a long phase (decompressing): bytes done and in all.
    work_done: AtomicU64,
    work_total: AtomicU64,
}

/// The phase before the others for a compressed dump.
pub const DECOMPRESSING: &str = "decompressing";

/// The phases `AddressSpace::open_with_progress` goes through, in order.
pub const PHASES: [&str; 6] = [
    "mapping the file",
    "reading the stream directory",
    "reading modules and threads",
    "reading captured memory",
    "building the region map",
    "done",
];

impl LoadProgress {
    pub fn new() -> LoadProgress {
        LoadProgress::default()
    }

    /// Asks the loader to stop at its next phase boundary.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// The current phase's name and the fraction done (0..=1): of the
    /// phases, or of a compressed dump's bytes while it is decompressed.
    pub fn current(&self) -> (&'static str, f32) {
        let step = self.step.load(Ordering::Relaxed);
        let phase = self.phase.lock().map(|p| *p).unwrap_or("");
        let total = self.work_total.load(Ordering::Relaxed);
        if phase == DECOMPRESSING && total > 0 {
            return (phase, (self.work_done.load(Ordering::Relaxed) as f64 / total as f64) as f32);
        }
        (phase, step as f32 / (PHASES.len() - 1) as f32)
    }

    /// A compressed dump is being decompressed (before the phases).
    pub(crate) fn enter_decompressing(&self) {
        if let Ok(mut p) = self.phase.lock() {
            *p = DECOMPRESSING;
        }
        if let Ok(mut entered) = self.entered.lock() {
            entered.push((DECOMPRESSING, Instant::now()));
        }
    }

    /// Bytes done of all within the current long phase.
    pub(crate) fn set_work(&self, done: u64, total: u64) {
        self.work_done.store(done, Ordering::Relaxed);
        self.work_total.store(total, Ordering::Relaxed);
    }

    /// How long each phase took, in order (the last, "done", is not a phase).
    pub fn phase_durations(&self) -> Vec<(&'static str, Duration)> {
        let Ok(entered) = self.entered.lock() else { return Vec::new() };
        entered.windows(2).map(|w| (w[0].0, w[1].1.duration_since(w[0].1))).collect()
    }

    pub(crate) fn enter(&self, step: usize) {
        let step = step.min(PHASES.len() - 1);
        if let Ok(mut p) = self.phase.lock() {
            *p = PHASES[step];
        }
        if let Ok(mut entered) = self.entered.lock() {
            entered.push((PHASES[step], Instant::now()));
        }
        self.step.store(step as u32, Ordering::Relaxed);
    }
}
