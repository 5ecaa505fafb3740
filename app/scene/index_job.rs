//! A big scene's picking index built on a worker after the scene is shown
//! ([`Picking::Later`](super::params::Picking)), and given up when the
//! scene is being replaced: at a million boxes the index is most of a
//! second of one core, which the next view's scene needs more (a City's
//! index, still building, took a core from the Volume's build).
//!
//! Giving up is cooperative: the worker reads the tiles or boxes through
//! [`UntilCancelled`], which has none left once the job is dropped, so the
//! index it was making ends at once (and is never used).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::params::ViewParams;
use crate::layout::layout3d::{Box3, BoxList};
use crate::layout::{Rect, Tile, TileList};
use crate::task::{Poll, Task, Waker};

/// A picking index being built for the scene of `params`; dropping the job
/// tells its worker to stop.
pub struct IndexJob<I> {
    pub params: ViewParams,
    task: Task<I>,
    cancel: Arc<AtomicBool>,
}

impl<I: Send + 'static> IndexJob<I> {
    /// Starts `work` (given the flag that says it is no longer wanted) on a
    /// worker; `None`, logged, when no worker starts: picks then scan the
    /// map (view2d.rs, view3d.rs), slower but right.
    pub fn spawn(
        params: &ViewParams,
        waker: &Waker,
        work: impl FnOnce(&AtomicBool) -> I + Send + 'static,
    ) -> Option<IndexJob<I>> {
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancel);
        match Task::spawn("picking index", waker.clone(), move || work(&flag)) {
            Ok(task) => Some(IndexJob { params: params.clone(), task, cancel }),
            Err(e) => {
                log::warn!("could not start a picking index worker ({e}); picks scan the map");
                None
            }
        }
    }
}

impl<I> IndexJob<I> {
    /// A job around a task already running (tests hold one open).
    #[cfg(test)]
    pub(super) fn of_task(params: ViewParams, task: Task<I>) -> (IndexJob<I>, Arc<AtomicBool>) {
        let cancel = Arc::new(AtomicBool::new(false));
        (IndexJob { params, task, cancel: Arc::clone(&cancel) }, cancel)
    }
}

impl<I> Drop for IndexJob<I> {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// The index and the parameters it was built for once its job is done (the
/// slot is then emptied, as it is when the worker died, logged).
pub fn taken<I>(slot: &mut Option<IndexJob<I>>) -> Option<(ViewParams, I)> {
    let job = slot.as_ref()?;
    match job.task.poll() {
        Poll::Pending => None,
        Poll::Done(index) => slot.take().map(|job| (job.params.clone(), index)),
        Poll::Died => {
            log::warn!("the picking index worker stopped; picks scan the map");
            *slot = None;
            None
        }
    }
}

/// A list of tiles or boxes that is empty once `cancel` is set (its count
/// stays, every item is gone): an index built from it then ends at once.
pub struct UntilCancelled<'a, L: ?Sized> {
    pub list: &'a L,
    pub cancel: &'a AtomicBool,
}

impl<L: ?Sized> UntilCancelled<'_, L> {
    fn gone(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

impl<L: TileList + ?Sized> TileList for UntilCancelled<'_, L> {
    fn tile_count(&self) -> usize {
        self.list.tile_count()
    }

    fn tile_at(&self, i: usize) -> Option<Tile> {
        if self.gone() { None } else { self.list.tile_at(i) }
    }

    fn tile_bounds(&self) -> Rect {
        self.list.tile_bounds()
    }
}

impl<L: BoxList + ?Sized> BoxList for UntilCancelled<'_, L> {
    fn box_count(&self) -> usize {
        self.list.box_count()
    }

    fn box_at(&self, i: usize) -> Option<Box3> {
        if self.gone() { None } else { self.list.box_at(i) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::hit3d::Hit3dIndex;

    #[test]
    fn a_cancelled_list_has_nothing_left_and_its_index_is_empty() {
        let boxes: Vec<Box3> = (0..1000)
            .map(|i| Box3 { min: [i as f32, 0.0, 0.0], max: [i as f32 + 1.0, 1.0, 1.0], region: i, compressed: false })
            .collect();
        let cancel = AtomicBool::new(false);
        let list = UntilCancelled { list: &boxes[..], cancel: &cancel };
        assert_eq!(list.box_at(7).map(|b| b.region), Some(7));
        let whole = Hit3dIndex::new(&list);
        assert!(whole.pick(&list, [7.5, 0.5, -5.0], [0.0, 0.0, 1.0], |_| false).is_some());
        cancel.store(true, Ordering::Relaxed);
        assert_eq!((list.box_count(), list.box_at(7)), (1000, None));
        let given_up = Hit3dIndex::new(&list);
        assert!(given_up.pick(&boxes[..], [7.5, 0.5, -5.0], [0.0, 0.0, 1.0], |_| false).is_none());
    }
}
