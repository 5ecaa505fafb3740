//! The one function that builds a view's scene: layout, picking index, GPU
//! instances and levels of detail, for the parameters of a view. The window
//! (through its scene cache, cache.rs, on a worker for big dumps) and
//! pictures (`export/`) both call it.

use std::sync::Arc;

use super::axis_cache::AxisCache;
use super::params::{Picking, ViewParams};
use super::scene2d::Scene2d;
use super::scene3d::Scene3d;
use crate::dump::AddressSpace;
use crate::layout::axis::Axis;
use crate::layout::{self, LayoutInput, TileList, View, city, volume};

/// A finished scene.
pub enum BuiltScene {
    Flat(Scene2d),
    ThreeD(Scene3d),
}

/// Lays out and builds the scene `params` ask for, with its picking index;
/// `generation` tags its instances so a GPU copy is refreshed when they change.
pub fn build_scene(space: &AddressSpace, params: &ViewParams, generation: u64) -> BuiltScene {
    build_scene_timed(space, params, generation, Picking::Now, &mut |_, _| {})
}

/// [`build_scene`], the picking index built as `picking` says, reporting
/// the time of its two phases ("layout", then "scene": instances, picking
/// index, levels of detail) to `phase`.
pub fn build_scene_timed(
    space: &AddressSpace,
    params: &ViewParams,
    generation: u64,
    picking: Picking,
    phase: &mut dyn FnMut(&'static str, std::time::Duration),
) -> BuiltScene {
    build_scene_with(space, params, generation, picking, None, phase)
}

/// [`build_scene_timed`] taking the address axis from `axes` (the window's,
/// kept from view to view) when given; else it is made for the layout
/// and dropped after it.
pub fn build_scene_with(
    space: &AddressSpace,
    params: &ViewParams,
    generation: u64,
    picking: Picking,
    axes: Option<&AxisCache>,
    phase: &mut dyn FnMut(&'static str, std::time::Duration),
) -> BuiltScene {
    let visible = params.filters().visible(space);
    let input = LayoutInput { space, visible: &visible };
    let axis = || match axes {
        Some(axes) => axes.axis(&input.source()),
        None => Arc::new(Axis::new(&input.source())),
    };
    let start = std::time::Instant::now();
    match params {
        ViewParams::Flat { kind, filters } => {
            let layout = match layout::on_axis(params.view()) {
                true => layout::layout_on_axis(*kind, &input, &axis()),
                false => layout::layout(*kind, &input),
            };
            phase("layout", start.elapsed());
            let start = std::time::Instant::now();
            let scene = Scene2d::with_picking(space, layout, filters, generation, picking);
            if scene.tiles().tile_count() >= RELEASE_FROM_ITEMS {
                release_freed_heap();
            }
            phase("scene", start.elapsed());
            BuiltScene::Flat(scene)
        }
        ViewParams::ThreeD { view, filters, metric, volume, selected } => {
            let (src, axis) = (input.source(), axis());
            let layout = match view {
                View::City => city::layout_city_on_axis(&src, &axis, &space.threads, *metric),
                _ => volume::layout_volume_on_axis(&src, &axis),
            };
            drop(axis);
            phase("layout", start.elapsed());
            let start = std::time::Instant::now();
            let style = (*view == View::Volume).then_some(volume);
            let selected = selected.map(|i| i as u32);
            let scene = Scene3d::with_picking(space, layout, filters, style, selected, generation, picking);
            if scene.instances.len() >= RELEASE_FROM_ITEMS {
                release_freed_heap();
            }
            phase("scene", start.elapsed());
            BuiltScene::ThreeD(scene)
        }
    }
}

/// From this many tiles or boxes on, a build hands its freed memory back.
const RELEASE_FROM_ITEMS: usize = 100_000;

/// Hands the memory a big build freed (the layout's tiles or boxes, the
/// level building's temporaries, much of it on rayon's threads) back to the
/// system. glibc keeps freed memory in its arenas, one per thread, and once
/// a big block was freed it serves blocks up to 32 MiB from them rather
/// than from their own mappings: a million-region Volume picture kept about
/// 90 MB it no longer used through its draw, its peak. A library such as a
/// different allocator would change every allocation for this one point.
fn release_freed_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers; it only returns free pages.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::RegionKind;
    use crate::layout::ViewKind;
    use crate::layout::layout3d::HeightMetric;
    use crate::scene::params::{Filters, VolumeStyle};

    #[test]
    fn scenes_built_on_a_kept_axis_are_the_scenes_built_alone() {
        let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/azure-worker-crash.dmp");
        let space = AddressSpace::open(demo).expect("the demo dump");
        let mut hidden = Filters::default();
        hidden.show_only(RegionKind::Image);
        let axes = AxisCache::default();
        // What a scene shows, as text (the layouts have no PartialEq).
        let shown = |built: BuiltScene| match built {
            BuiltScene::Flat(s) => format!("{:?} {:?}", s.layout, s.instances()),
            BuiltScene::ThreeD(s) => format!("{:?} {:?}", s.layout, s.instances),
        };
        for filters in [Filters::default(), hidden] {
            for view in [View::Flat(ViewKind::Hilbert), View::City, View::Volume, View::Flat(ViewKind::Strip)] {
                let params = match view {
                    View::Flat(kind) => ViewParams::Flat { kind, filters: filters.clone() },
                    _ => ViewParams::ThreeD {
                        view,
                        filters: filters.clone(),
                        metric: HeightMetric::Size,
                        volume: VolumeStyle::default(),
                        selected: None,
                    },
                };
                let kept = build_scene_with(&space, &params, 1, Picking::Later, Some(&axes), &mut |_, _| {});
                let alone = build_scene_timed(&space, &params, 1, Picking::Later, &mut |_, _| {});
                assert_eq!(shown(kept), shown(alone), "{view:?}");
            }
        }
    }
}
