//! The window's last compressed address axis ([`Axis`]), kept from one
//! scene build to the next: the strip, Hilbert, City and Volume are all
//! laid out on it, and it depends only on the regions and the filter. At a
//! million regions it is 30-70 ms of every view switch. Pictures make one
//! scene and do not keep it (it would be 24 MB more at their peak).

use std::sync::{Arc, Mutex, PoisonError};

use crate::layout::LayoutSource;
use crate::layout::axis::Axis;

/// The last axis made and what it was made of; shared with scene workers
/// (a clone is the same cache). One per dump: the window's scene cache
/// starts a new one when the map changes.
#[derive(Clone, Default)]
pub struct AxisCache(Arc<Mutex<Option<KeptAxis>>>);

struct KeptAxis {
    /// Where the regions were and how many (a guard: one cache is one dump's).
    regions: (usize, usize),
    visible: Vec<bool>,
    axis: Arc<Axis>,
}

impl AxisCache {
    /// The axis of `src`: the kept one when it was made of the same regions
    /// and filter, else made now (the cache locked meanwhile, so a second
    /// worker waits for it rather than making it too) and kept.
    pub fn axis(&self, src: &LayoutSource<'_>) -> Arc<Axis> {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let regions = (src.regions.as_ptr() as usize, src.regions.len());
        if let Some(k) = kept.as_ref()
            && k.regions == regions
            && k.visible[..] == *src.visible
        {
            return Arc::clone(&k.axis);
        }
        let axis = Arc::new(Axis::new(src));
        *kept = Some(KeptAxis { regions, visible: src.visible.to_vec(), axis: Arc::clone(&axis) });
        axis
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::{Region, RegionKind, RegionState};

    #[test]
    fn the_axis_is_kept_for_the_same_regions_and_filter_only() {
        let regions: Vec<Region> = (0..50u64)
            .map(|i| Region::blank(0x10_0000 * (i + 1), 0x1000 * (i + 1), RegionKind::Heap, RegionState::Commit))
            .collect();
        let all = vec![true; regions.len()];
        let some: Vec<bool> = (0..regions.len()).map(|i| i % 3 != 0).collect();
        let src = |visible| LayoutSource { regions: &regions, modules: &[], visible };
        let cache = AxisCache::default();

        let first = cache.axis(&src(&all));
        assert_eq!(*first, Axis::new(&src(&all)));
        assert!(Arc::ptr_eq(&first, &cache.clone().axis(&src(&all))), "the same filter made the axis again");
        let other = cache.axis(&src(&some));
        assert_eq!(*other, Axis::new(&src(&some)));
        assert_ne!(*other, *first);
        assert!(!Arc::ptr_eq(&cache.axis(&src(&all)), &first), "only the last axis is kept");

        // Other regions (another dump) with the same filter: made anew.
        let fewer = &regions[..regions.len() - 1];
        let src = LayoutSource { regions: fewer, modules: &[], visible: &all[..fewer.len()] };
        assert_eq!(*cache.axis(&src), Axis::new(&src));
    }
}
