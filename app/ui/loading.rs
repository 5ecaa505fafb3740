//! Reading a dump on a worker while the window goes on drawing the one it
//! has: a dump to open (File > Open, recent files, drops, the demo), or an
//! earlier dump to compare the open one with (File > Compare with…), which
//! the worker also compares, so the window only installs the result. One
//! load at a time: a new one cancels the last.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::top_bar::LoadingStatus;
use crate::analysis::compare::{self, Comparison};
use crate::demo;
use crate::dump::{AddressSpace, DumpError, LoadProgress};
use crate::task::{Poll, Task, Waker};

/// What the user asked to open.
#[derive(Clone, Debug)]
pub enum DumpSource {
    Demo,
    File(PathBuf),
}

impl DumpSource {
    pub fn describe(&self) -> String {
        match self {
            DumpSource::Demo => demo::DEMO_DUMP_NAME.to_string(),
            DumpSource::File(p) => p.display().to_string(),
        }
    }

    fn load(&self, progress: &LoadProgress) -> Result<AddressSpace, DumpError> {
        match self {
            DumpSource::Demo => demo::open_demo(),
            DumpSource::File(p) => AddressSpace::open_with_progress(p, progress),
        }
    }
}

/// What a finished load gives.
pub enum Loaded {
    /// A dump to show (boxed, as the other: the value moves between threads).
    Dump(Box<AddressSpace>),
    /// The open dump compared with an earlier one: its map cut at what
    /// changed, and the comparison.
    Comparison(Box<(AddressSpace, Comparison)>),
}

/// How a load ended, once.
pub enum LoadOutcome {
    Done {
        source: DumpSource,
        loaded: Loaded,
    },
    /// An error to show, naming the file.
    Failed(String),
    /// Cancelled: nothing to show.
    Cancelled,
}

/// A dump being read on a worker.
struct Loading {
    source: DumpSource,
    /// Whether the dump read is the earlier one of a comparison.
    compare: bool,
    started: Instant,
    progress: Arc<LoadProgress>,
    task: Task<Result<Loaded, DumpError>>,
}

/// The load under way, if any.
#[derive(Default)]
pub struct Loader {
    loading: Option<Loading>,
}

impl Loader {
    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// Starts reading `source` on a worker (cancelling the load under way).
    pub fn open(&mut self, source: DumpSource, waker: &Waker) -> Result<(), String> {
        self.start(source, false, waker, |s| Ok(Loaded::Dump(Box::new(s))))
    }

    /// Starts reading the earlier dump at `path` on a worker and comparing
    /// `b` (the open dump, as opened) with it.
    pub fn compare(&mut self, path: PathBuf, b: Arc<AddressSpace>, waker: &Waker) -> Result<(), String> {
        self.start(DumpSource::File(path), true, waker, move |a| {
            Ok(Loaded::Comparison(Box::new(compare::compare(&a, &b))))
        })
    }

    fn start(
        &mut self,
        source: DumpSource,
        compare: bool,
        waker: &Waker,
        then: impl FnOnce(AddressSpace) -> Result<Loaded, DumpError> + Send + 'static,
    ) -> Result<(), String> {
        self.cancel();
        let progress = Arc::new(LoadProgress::new());
        let (worker_progress, worker_source) = (Arc::clone(&progress), source.clone());
        let work = move || then(worker_source.load(&worker_progress)?);
        match Task::spawn(if compare { "compare" } else { "load" }, waker.clone(), work) {
            Ok(task) => {
                self.loading = Some(Loading { source, compare, started: Instant::now(), progress, task });
                Ok(())
            }
            Err(e) => Err(format!("{}: could not start reading: {e}", source.describe())),
        }
    }

    /// Asks the load under way to stop (its worker ends at the next step).
    pub fn cancel(&mut self) {
        if let Some(old) = self.loading.take() {
            old.progress.cancel();
        }
    }

    /// Asks the load under way to stop; its outcome (Cancelled) comes from [`Loader::poll`].
    pub fn request_cancel(&self) {
        if let Some(l) = &self.loading {
            l.progress.cancel();
        }
    }

    /// The load's outcome, once it has ended.
    pub fn poll(&mut self) -> Option<LoadOutcome> {
        let loading = self.loading.as_ref()?;
        let outcome = match loading.task.poll() {
            Poll::Pending => return None,
            Poll::Done(Ok(loaded)) => LoadOutcome::Done { source: loading.source.clone(), loaded },
            Poll::Done(Err(DumpError::Cancelled { .. })) => LoadOutcome::Cancelled,
            Poll::Done(Err(e)) => LoadOutcome::Failed(e.to_string()),
            Poll::Died => {
                LoadOutcome::Failed(format!("{}: the loader stopped unexpectedly", loading.source.describe()))
            }
        };
        self.loading = None;
        Some(outcome)
    }

    /// The load as the top bar shows it.
    pub fn status(&self) -> Option<LoadingStatus> {
        self.loading.as_ref().map(|l| {
            let (phase, fraction) = l.progress.current();
            let what = l.source.describe();
            LoadingStatus {
                what: if l.compare { format!("{what} to compare with") } else { what },
                phase: phase.to_string(),
                fraction,
                seconds: l.started.elapsed().as_secs_f32(),
            }
        })
    }
}
