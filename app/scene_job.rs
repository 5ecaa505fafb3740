//! Building a view's scene (layout, hit index, GPU instances) for the window.
//! Small dumps are laid out at once on the UI thread; from
//! [`BACKGROUND_MIN_REGIONS`] regions on, a worker thread does it while the
//! window keeps drawing (the last scene, or a note that the map is being laid
//! out), so a million-region dump never freezes the window.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};

use crate::dump::AddressSpace;
use crate::layout::scene3d::HeightMetric;
use crate::layout::{self, LayoutInput, View, ViewKind, city, volume};
use crate::ui::filters::Filters;
use crate::ui::map_view::MapScene;
use crate::ui::view3d::{Scene3dData, VolumeStyle};

/// From this many regions on, scenes are built on a worker thread (below it
/// a layout takes a few milliseconds).
pub const BACKGROUND_MIN_REGIONS: usize = 50_000;

/// What a scene is built from; a change rebuilds it.
#[derive(Clone, Debug, PartialEq)]
pub enum SceneKey {
    Flat {
        kind: ViewKind,
        filters: Filters,
    },
    /// `selected` is part of the 3D scene (its boxes glow), but a change of
    /// selection, colouring or volume opacity alone only restyles it.
    ThreeD {
        view: View,
        filters: Filters,
        metric: HeightMetric,
        volume: VolumeStyle,
        selected: Option<usize>,
    },
}

impl SceneKey {
    /// Whether a scene built for `self` has the same geometry as one for
    /// `other` (a 3D scene is then restyled rather than rebuilt).
    pub fn same_geometry(&self, other: &SceneKey) -> bool {
        match (self, other) {
            (SceneKey::Flat { kind: a, filters: fa }, SceneKey::Flat { kind: b, filters: fb }) => a == b && fa == fb,
            (
                SceneKey::ThreeD { view: a, filters: fa, metric: ma, .. },
                SceneKey::ThreeD { view: b, filters: fb, metric: mb, .. },
            ) => a == b && fa.show_kind == fb.show_kind && ma == mb,
            _ => false,
        }
    }

    pub fn view(&self) -> View {
        match self {
            SceneKey::Flat { kind, .. } => View::Flat(*kind),
            SceneKey::ThreeD { view, .. } => *view,
        }
    }
}

/// A finished scene.
pub enum BuiltScene {
    Flat(MapScene),
    ThreeD(Scene3dData),
}

/// Lays out and builds the scene `key` asks for.
pub fn build(space: &AddressSpace, key: &SceneKey, generation: u64) -> BuiltScene {
    match key {
        SceneKey::Flat { kind, filters } => {
            let visible = filters.visible(space);
            let layout = layout::layout(*kind, &LayoutInput { space, visible: &visible });
            BuiltScene::Flat(MapScene::new(space, layout, filters.color_mode, generation))
        }
        SceneKey::ThreeD { view, filters, metric, volume, selected } => {
            let visible = filters.visible(space);
            let input = LayoutInput { space, visible: &visible };
            let scene = match view {
                View::City => city::layout_city(&input, *metric),
                _ => volume::layout_volume(&input),
            };
            let style = (*view == View::Volume).then_some(volume);
            let selected = selected.map(|i| i as u32);
            BuiltScene::ThreeD(Scene3dData::new(space, scene, filters.color_mode, style, selected, generation))
        }
    }
}

/// How far a [`SceneJob`] is.
pub enum JobState {
    Building,
    Done(Box<BuiltScene>),
    /// The worker died (it panicked) without a scene.
    Died,
}

/// A scene being built on a worker thread.
pub struct SceneJob {
    pub key: SceneKey,
    rx: Receiver<BuiltScene>,
}

impl SceneJob {
    /// Starts building `key`'s scene; None when no thread could be started
    /// (the caller then builds it itself).
    pub fn spawn(space: Arc<AddressSpace>, key: SceneKey, generation: u64) -> Option<SceneJob> {
        let (tx, rx) = std::sync::mpsc::channel();
        let job_key = key.clone();
        std::thread::Builder::new()
            .name("memscape-layout".into())
            .spawn(move || {
                // The window may have moved on (and dropped the receiver): then nobody wants it.
                let _ = tx.send(build(&space, &job_key, generation));
            })
            .ok()?;
        Some(SceneJob { key, rx })
    }

    /// The scene, once built.
    pub fn poll(&self) -> JobState {
        match self.rx.try_recv() {
            Ok(scene) => JobState::Done(Box::new(scene)),
            Err(TryRecvError::Empty) => JobState::Building,
            Err(TryRecvError::Disconnected) => JobState::Died,
        }
    }
}
