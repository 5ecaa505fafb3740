//! The scenes the window keeps: the last flat scene and the last 3D scene,
//! each with the parameters it was built for, and at most one scene being
//! built on a worker. Small dumps are laid out at once; from
//! [`BACKGROUND_MIN_REGIONS`] regions on a worker does it (a [`Task`] that
//! wakes the window when done) while the window keeps drawing the last scene
//! of the view, or a note, so a million-region dump never freezes it. A
//! big 3D scene's new colouring or opacities (not a click, which keeps the
//! levels of detail and takes milliseconds) are worked out on a worker too,
//! one at a time: changes made meanwhile follow when it is done. A big
//! scene, flat or 3D, is shown before its picking index is built: a worker
//! builds it next (picks scan the tiles or boxes meanwhile).

use std::sync::Arc;

use super::axis_cache::AxisCache;
use super::build::{BuiltScene, build_scene_with};
use super::index_job::{IndexJob, taken};
use super::params::{Picking, ViewParams};
use super::scene2d::Scene2d;
use super::scene3d::{Restyled, Scene3d};
use crate::dump::AddressSpace;
use crate::layout::View;
use crate::layout::hit::HitIndex;
use crate::layout::hit3d::Hit3dIndex;
use crate::task::{Poll, Task, Waker};

/// From this many regions on, scenes are built on a worker thread (below it
/// a layout takes a few milliseconds).
pub const BACKGROUND_MIN_REGIONS: usize = 50_000;

/// What [`SceneCache::update`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SceneUpdate {
    /// The scene for the parameters is there (it was, or it was restyled).
    Current,
    /// A new scene was put in place; `new_view` when it is for another view
    /// than the scene it replaced (the caller fits its camera).
    Installed { new_view: bool },
    /// A worker is building it.
    Building,
}

/// What the worker is doing: a new scene, or a 3D scene's new style.
enum Job {
    Build(Task<BuiltScene>),
    Restyle(Task<Restyled>),
}

#[derive(Default)]
pub struct SceneCache {
    flat: Option<(ViewParams, Scene2d)>,
    three_d: Option<(ViewParams, Scene3d)>,
    job: Option<(ViewParams, Job)>,
    /// The picking indexes of big scenes shown without them
    /// ([`Picking::Later`]), each built on a worker for these parameters.
    /// A job is dropped (and its worker stops) when its scene is being
    /// replaced; a scene shown again without its index gets a new one.
    flat_index: Option<IndexJob<HitIndex>>,
    three_d_index: Option<IndexJob<Hit3dIndex>>,
    /// The address axis the last build made (most views are laid out on it).
    axes: AxisCache,
    /// Set when a worker died: scenes are then built on the caller's thread
    /// rather than failing again and again.
    worker_died: bool,
    generation: u64,
}

impl SceneCache {
    /// The flat scene, if the last one built is for `view`.
    pub fn flat_for(&self, view: View) -> Option<&Scene2d> {
        self.flat.as_ref().filter(|(p, _)| p.view() == view).map(|(_, s)| s)
    }

    /// The 3D scene, if the last one built is for `view`.
    pub fn three_d_for(&self, view: View) -> Option<&Scene3d> {
        self.three_d.as_ref().filter(|(p, _)| p.view() == view).map(|(_, s)| s)
    }

    /// The last flat scene, whatever its view.
    pub fn flat(&self) -> Option<&Scene2d> {
        self.flat.as_ref().map(|(_, s)| s)
    }

    /// The last 3D scene, whatever its view.
    pub fn three_d(&self) -> Option<&Scene3d> {
        self.three_d.as_ref().map(|(_, s)| s)
    }

    /// Drops every scene and any build under way (the map changed). The
    /// generation keeps counting, so a GPU copy of an old scene is never
    /// taken for the next one.
    pub fn clear(&mut self) {
        self.flat = None;
        self.three_d = None;
        self.job = None;
        self.flat_index = None;
        self.three_d_index = None;
        self.axes = AxisCache::default();
    }

    /// Whether a scene is being built on a worker.
    pub fn is_building(&self) -> bool {
        self.job.is_some()
    }

    /// Brings the scene for `params` up to date: nothing when it is current;
    /// a restyle when only colouring, opacity or selection changed (3D); the
    /// worker's scene when it is ready; otherwise a new build, at once for a
    /// small dump, on a worker (woken through `waker`) for a big one.
    pub fn update(&mut self, space: &Arc<AddressSpace>, params: &ViewParams, waker: &Waker) -> SceneUpdate {
        self.take_index();
        let current = match params {
            ViewParams::Flat { .. } => self.flat.as_ref().map(|(p, _)| p),
            ViewParams::ThreeD { .. } => self.three_d.as_ref().map(|(p, _)| p),
        };
        if current == Some(params) {
            self.job = None;
            self.index_if_missing(params, waker);
            return SceneUpdate::Current;
        }
        // Same geometry: a 3D scene is only restyled (colouring, selection, opacity).
        if let ViewParams::ThreeD { view, filters, volume, selected, .. } = params
            && let Some((old, scene)) = self.three_d.as_mut()
            && old.same_geometry(params)
        {
            // A restyle under way: taken when done, and the changes made
            // since then follow (one worker at a time while a slider moves).
            if let Some((job_params, Job::Restyle(task))) = &self.job {
                match task.poll() {
                    Poll::Pending => return SceneUpdate::Building,
                    Poll::Done(style) => {
                        self.generation += 1;
                        scene.set_style(style, self.generation);
                        *old = job_params.clone();
                        self.job = None;
                        if old == params {
                            return SceneUpdate::Current;
                        }
                    }
                    Poll::Died => {
                        log::warn!("the restyle worker stopped; restyling on the UI thread");
                        self.job = None;
                        self.worker_died = true;
                    }
                }
            }
            let style = (*view == View::Volume).then_some(volume);
            let selected = selected.map(|i| i as u32);
            let big = space.regions.len() >= BACKGROUND_MIN_REGIONS && !self.worker_died;
            if big && !old.only_selection_differs(params) {
                let (source, worker_space, worker_filters) = (scene.style_source(), Arc::clone(space), filters.clone());
                let worker_volume = style.cloned();
                let work = move || source.restyle(&worker_space, &worker_filters, worker_volume.as_ref(), selected);
                match Task::spawn("restyle", waker.clone(), work) {
                    Ok(task) => {
                        self.job = Some((params.clone(), Job::Restyle(task)));
                        return SceneUpdate::Building;
                    }
                    Err(e) => log::warn!("could not start a restyle worker ({e}); restyling on the UI thread"),
                }
            }
            self.generation += 1;
            scene.restyle(space, filters, style, selected, self.generation);
            *old = params.clone();
            self.job = None;
            return SceneUpdate::Current;
        }
        // A job already building this geometry: take its scene when it is
        // ready (a different selection or colouring is restyled next frame).
        if let Some((job_params, Job::Build(task))) = &self.job
            && job_params.same_geometry(params)
        {
            match task.poll() {
                Poll::Pending => return SceneUpdate::Building,
                Poll::Done(built) => {
                    let job_params = job_params.clone();
                    self.job = None;
                    return self.install(job_params, built, waker);
                }
                Poll::Died => {
                    log::warn!("the layout worker stopped without a scene; laying out on the UI thread");
                    self.job = None;
                    self.worker_died = true;
                }
            }
        }
        self.generation += 1;
        // A job for another geometry is replaced (its result is dropped).
        // The index of the scene this one replaces is given up: the build
        // needs the cores more (picks scan that scene meanwhile).
        match params {
            ViewParams::Flat { .. } => self.flat_index = None,
            ViewParams::ThreeD { .. } => self.three_d_index = None,
        }
        if space.regions.len() >= BACKGROUND_MIN_REGIONS && !self.worker_died {
            let (worker_space, worker_params, generation) = (Arc::clone(space), params.clone(), self.generation);
            let axes = self.axes.clone();
            // The scene is shown before its picking index is built.
            let work = move || {
                build_scene_with(&worker_space, &worker_params, generation, Picking::Later, Some(&axes), &mut |_, _| {})
            };
            match Task::spawn("layout", waker.clone(), work) {
                Ok(task) => {
                    self.job = Some((params.clone(), Job::Build(task)));
                    return SceneUpdate::Building;
                }
                Err(e) => log::warn!("could not start a layout worker ({e}); laying out on the UI thread"),
            }
        }
        let built = build_scene_with(space, params, self.generation, Picking::Now, Some(&self.axes), &mut |_, _| {});
        self.install(params.clone(), built, waker)
    }

    fn install(&mut self, params: ViewParams, built: BuiltScene, waker: &Waker) -> SceneUpdate {
        let view = params.view();
        let new_view = match built {
            BuiltScene::Flat(scene) => {
                self.flat_index = None;
                let old = self.flat.replace((params.clone(), scene));
                old.is_none_or(|(p, _)| p.view() != view)
            }
            BuiltScene::ThreeD(scene) => {
                self.three_d_index = None;
                let old = self.three_d.replace((params.clone(), scene));
                old.is_none_or(|(p, _)| p.view() != view)
            }
        };
        self.index_if_missing(&params, waker);
        SceneUpdate::Installed { new_view }
    }

    /// Starts building the picking index of the scene for `params` on a
    /// worker, unless it has one or one is being built.
    fn index_if_missing(&mut self, params: &ViewParams, waker: &Waker) {
        match params {
            ViewParams::Flat { .. } => {
                if let Some((_, scene)) = &self.flat
                    && !scene.has_hit_index()
                    && self.flat_index.is_none()
                {
                    let tiles = scene.shared_tiles();
                    self.flat_index = IndexJob::spawn(params, waker, move |cancel| tiles.hit_index(cancel));
                }
            }
            ViewParams::ThreeD { .. } => {
                if let Some((_, scene)) = &self.three_d
                    && !scene.has_hit_index()
                    && self.three_d_index.is_none()
                {
                    let boxes = scene.shared_boxes();
                    self.three_d_index = IndexJob::spawn(params, waker, move |cancel| boxes.hit_index(cancel));
                }
            }
        }
    }

    /// Puts a scene's picking index in place when its worker is done (and
    /// the scene still has the geometry it was built for).
    fn take_index(&mut self) {
        if let (Some((params, index)), Some((current, scene))) = (taken(&mut self.flat_index), self.flat.as_mut())
            && *current == params
        {
            scene.set_hit_index(index);
        }
        if let (Some((params, index)), Some((current, scene))) = (taken(&mut self.three_d_index), self.three_d.as_mut())
            && current.same_geometry(&params)
        {
            scene.set_hit_index(index);
        }
    }

    /// Whether a scene's picking index is being built on a worker.
    pub fn is_indexing(&self) -> bool {
        self.flat_index.is_some() || self.three_d_index.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::ViewKind;
    use crate::layout::layout3d::HeightMetric;
    use crate::scene::build::build_scene_timed;
    use crate::scene::params::{Filters, VolumeStyle};

    /// An index task that ends only when told to.
    fn held<I: Send + 'static>(index: I) -> (std::sync::mpsc::Sender<()>, Task<I>) {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let task = Task::spawn("test index", Waker::none(), move || {
            let _ = rx.recv();
            index
        });
        (tx, task.expect("a test worker"))
    }

    #[test]
    fn a_new_scene_of_one_kind_keeps_the_index_task_of_the_other() {
        // Each of the window's two scenes gets its own picking index: a new
        // flat scene must not drop the 3D scene's index under way (the 3D
        // scene would then be scanned on every hovered frame), nor a new 3D
        // scene the flat one's.
        let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/azure-worker-crash.dmp");
        let space = AddressSpace::open(demo).expect("the demo dump");
        let flat = ViewParams::Flat { kind: ViewKind::Hilbert, filters: Filters::default() };
        let three_d = ViewParams::ThreeD {
            view: View::City,
            filters: Filters::default(),
            metric: HeightMetric::Size,
            volume: VolumeStyle::default(),
            selected: None,
        };
        let built = |p: &ViewParams| build_scene_timed(&space, p, 1, Picking::Later, &mut |_, _| {});
        let mut cache = SceneCache::default();
        let waker = Waker::none();

        let (release_3d, task) = held(Hit3dIndex::default());
        cache.three_d_index = Some(IndexJob::of_task(three_d.clone(), task).0);
        cache.install(flat.clone(), built(&flat), &waker);
        assert!(cache.three_d_index.is_some(), "a flat scene dropped the 3D scene's index task");
        assert!(cache.flat_index.is_some(), "the flat scene's index is not being built");

        let (release_flat, task) = held(HitIndex::default());
        cache.flat_index = Some(IndexJob::of_task(flat.clone(), task).0);
        cache.install(three_d.clone(), built(&three_d), &waker);
        assert!(cache.flat_index.is_some(), "a 3D scene dropped the flat scene's index task");
        let _ = (release_3d.send(()), release_flat.send(()));
    }

    #[test]
    fn a_scene_being_replaced_gives_up_its_index_and_gets_one_when_shown_again() {
        // A new scene of the same kind needs the cores: the index of the
        // scene it replaces is given up when its build starts. Shown again
        // without an index, a scene gets a new index job.
        let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/azure-worker-crash.dmp");
        let space = Arc::new(AddressSpace::open(demo).expect("the demo dump"));
        let hilbert = ViewParams::Flat { kind: ViewKind::Hilbert, filters: Filters::default() };
        let treemap = ViewParams::Flat { kind: ViewKind::Treemap, filters: Filters::default() };
        let later = |p: &ViewParams| build_scene_timed(&space, p, 1, Picking::Later, &mut |_, _| {});
        let mut cache = SceneCache::default();
        let waker = Waker::none();

        cache.install(hilbert.clone(), later(&hilbert), &waker);
        let (release, task) = held(HitIndex::default());
        let (job, given_up) = IndexJob::of_task(hilbert.clone(), task);
        cache.flat_index = Some(job);
        assert!(!given_up.load(std::sync::atomic::Ordering::SeqCst));
        cache.update(&space, &treemap, &waker);
        assert!(given_up.load(std::sync::atomic::Ordering::SeqCst), "the replaced scene's index was not given up");
        let _ = release.send(());

        cache.install(hilbert.clone(), later(&hilbert), &waker);
        cache.flat_index = None;
        assert_eq!(cache.update(&space, &hilbert, &waker), SceneUpdate::Current);
        assert!(cache.flat_index.is_some(), "a scene shown again without its index got no index job");
    }
}
