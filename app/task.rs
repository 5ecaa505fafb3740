//! The one kind of background work the window does: loading a dump, laying
//! out a scene, walking stacks, rendering an export, waiting on a native file
//! dialog. A [`Task`] runs a closure on a named worker thread; when the
//! closure returns (or panics) the worker asks egui for a repaint, so the
//! window polls each task once per frame in one place and never keeps itself
//! awake on a timer. Progress, where a task has any, is shared through an
//! [`Arc`] the closure writes and the UI reads; a repaint is asked for on
//! each report through [`Waker`].

use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError, channel};

/// Asks the window for a repaint from a worker thread (a no-op in headless
/// use, where nothing draws).
#[derive(Clone, Default)]
pub struct Waker(Option<Arc<dyn Fn() + Send + Sync>>);

impl Waker {
    /// A waker that repaints `ctx`.
    pub fn repaint(ctx: &egui::Context) -> Waker {
        let ctx = ctx.clone();
        Waker(Some(Arc::new(move || ctx.request_repaint())))
    }

    /// A waker that does nothing (tests, headless).
    pub fn none() -> Waker {
        Waker(None)
    }

    pub fn wake(&self) {
        if let Some(f) = &self.0 {
            f();
        }
    }
}

/// Where a [`Task`] is.
pub enum Poll<T> {
    /// Still running.
    Pending,
    /// Finished with this value (given out once).
    Done(T),
    /// The worker stopped without a value (it panicked).
    Died,
}

/// A closure running on a worker thread.
pub struct Task<T> {
    rx: Receiver<T>,
}

impl<T: Send + 'static> Task<T> {
    /// Runs `work` on a thread called `memscape-{name}`; `waker` is woken when
    /// it ends (with a value or not). Fails only when no thread can be started.
    pub fn spawn(
        name: &'static str,
        waker: Waker,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> std::io::Result<Task<T>> {
        let (tx, rx) = channel();
        std::thread::Builder::new().name(format!("memscape-{name}")).spawn(move || {
            // Wakes the window however the closure ends, a panic included.
            struct WakeOnDrop(Waker);
            impl Drop for WakeOnDrop {
                fn drop(&mut self) {
                    self.0.wake();
                }
            }
            let _wake = WakeOnDrop(waker);
            // Declared after the guard, so dropped (disconnected) before it wakes.
            let tx = tx;
            // The window may have moved on and dropped the task: nobody wants the value then.
            let _ = tx.send(work());
        })?;
        Ok(Task { rx })
    }
}

impl<T> Task<T> {
    /// The value once the work is done; Pending until then.
    pub fn poll(&self) -> Poll<T> {
        match self.rx.try_recv() {
            Ok(v) => Poll::Done(v),
            Err(TryRecvError::Empty) => Poll::Pending,
            Err(TryRecvError::Disconnected) => Poll::Died,
        }
    }

    /// Waits for the task (tests, and headless callers that want the value now).
    pub fn wait(self) -> Option<T> {
        self.rx.recv().ok()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A waker that counts its wakes.
    fn counting_waker() -> (Arc<AtomicUsize>, Waker) {
        let woken = Arc::new(AtomicUsize::new(0));
        let w = Arc::clone(&woken);
        (
            woken,
            Waker(Some(Arc::new(move || {
                w.fetch_add(1, Ordering::SeqCst);
            }))),
        )
    }

    #[test]
    fn a_task_gives_its_value_once_and_wakes() {
        let (woken, waker) = counting_waker();
        let task = Task::spawn("test", waker, || 41 + 1).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let value = loop {
            match task.poll() {
                Poll::Done(v) => break v,
                Poll::Pending if std::time::Instant::now() < deadline => std::thread::yield_now(),
                _ => panic!("the task did not finish"),
            }
        };
        assert_eq!(value, 42);
        // Wait for the worker to end (the wake comes as it unwinds).
        while woken.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert_eq!(woken.load(Ordering::SeqCst), 1);
        assert!(matches!(task.poll(), Poll::Died), "a value is given once");
    }

    #[test]
    fn a_panicking_task_dies_and_still_wakes() {
        let (woken, waker) = counting_waker();
        let task: Task<u32> = Task::spawn("test-panic", waker, || panic!("deliberate")).unwrap();
        assert!(task.wait().is_none());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while woken.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert_eq!(woken.load(Ordering::SeqCst), 1);
    }
}
