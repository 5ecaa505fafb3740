//! A scan of all captured memory (strings, references) run on a worker for a
//! panel: what it has found so far is shared as it goes (the list fills
//! while the scan runs, in address order), its progress is the bytes
//! scanned, and it stops when cancelled, when dropped, or when it holds
//! [`MAX_FINDS`] finds (said in the panel), so a dump of endless strings
//! cannot exhaust memory.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, PoisonError};

use crate::analysis::scan::ScanProgress;
use crate::task::{Poll, Task, Waker};

/// Finds a scan keeps at most.
pub const MAX_FINDS: usize = 1_000_000;
/// The window is woken to show new finds at most this often (in finds).
const WAKE_EVERY: usize = 4096;

/// A scan under way or done.
pub struct ScanJob<T> {
    found: Arc<Mutex<Vec<T>>>,
    pub progress: Arc<ScanProgress>,
    task: Option<Task<bool>>,
    /// Whether it ran to the end (None while running).
    pub complete: Option<bool>,
}

impl<T: Send + 'static> ScanJob<T> {
    /// Starts `scan` on a worker; it hands each find to the sink it is given.
    pub fn start(
        name: &'static str,
        waker: &Waker,
        scan: impl FnOnce(&ScanProgress, &mut dyn FnMut(T) -> ControlFlow<()>) -> bool + Send + 'static,
    ) -> ScanJob<T> {
        let found = Arc::new(Mutex::new(Vec::new()));
        let progress = Arc::new(ScanProgress::new());
        let (worker_found, worker_progress, wake) = (Arc::clone(&found), Arc::clone(&progress), waker.clone());
        let task = Task::spawn(name, waker.clone(), move || {
            let mut n = 0usize;
            let mut sink = |t: T| {
                let mut list = worker_found.lock().unwrap_or_else(PoisonError::into_inner);
                if list.len() >= MAX_FINDS {
                    return ControlFlow::Break(());
                }
                list.push(t);
                n += 1;
                if n.is_multiple_of(WAKE_EVERY) {
                    wake.wake();
                }
                ControlFlow::Continue(())
            };
            scan(&worker_progress, &mut sink)
        });
        let (task, complete) = match task {
            Ok(t) => (Some(t), None),
            Err(e) => {
                log::warn!("could not start the {name} scan: {e}");
                (None, Some(false))
            }
        };
        ScanJob { found, progress, task, complete }
    }

    /// Notes when the worker has ended.
    pub fn poll(&mut self) {
        if let Some(task) = &self.task {
            match task.poll() {
                Poll::Pending => {}
                Poll::Done(ran_to_end) => {
                    self.complete = Some(ran_to_end);
                    self.task = None;
                }
                Poll::Died => {
                    self.complete = Some(false);
                    self.task = None;
                }
            }
        }
    }

    pub fn is_running(&self) -> bool {
        self.complete.is_none()
    }

    /// Whether it stopped at [`MAX_FINDS`].
    pub fn is_full(&self) -> bool {
        self.len() >= MAX_FINDS
    }

    pub fn len(&self) -> usize {
        self.found.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs `f` on the finds so far.
    pub fn with_found<R>(&self, f: impl FnOnce(&[T]) -> R) -> R {
        f(&self.found.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn cancel(&self) {
        self.progress.cancel();
    }

    /// "Scanning 40% (412 MiB of 1.0 GiB)", "Done: 1,234 found", ...
    pub fn status(&self) -> String {
        let (done, total) = self.progress.bytes();
        let n = self.len();
        let size = crate::format::human_size_short;
        match self.complete {
            None => {
                let pct = if total > 0 { done as f64 * 100.0 / total as f64 } else { 0.0 };
                format!("Scanning {pct:.0}% ({} of {}): {n} found", size(done), size(total))
            }
            Some(_) if self.is_full() => format!("Stopped at {n} found (the most kept); narrow the search"),
            Some(true) => format!("{n} found in {} of captured memory", size(total)),
            Some(false) => format!("Stopped: {n} found in {} of {}", size(done), size(total)),
        }
    }
}

impl<T> Drop for ScanJob<T> {
    /// A scan nobody shows any more stops.
    fn drop(&mut self) {
        self.progress.cancel();
    }
}
