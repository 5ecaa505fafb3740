//! The scene layer: what a view draws. Between layout/ + render/ below and
//! export/ + ui/ above; built once and used by the window and by pictures
//! alike. It owns the parameters of a view ([`params`]: view kind, filters,
//! colouring, City heights, Volume opacities, selection), the one function
//! that turns them into a scene ([`build`]: layout -> picking index -> GPU
//! instances -> levels of detail), the scenes themselves ([`scene2d`],
//! [`scene3d`]), the window's cache of them ([`cache`], built on a worker
//! for big dumps, their picking indexes after them, [`index_job`], and the
//! address axis they share, [`axis_cache`]), the painting of a scene with egui's painter ([`paint2d`],
//! [`paint3d`]: GPU paint callbacks, highlights, labels, ticks), the byte
//! picture (a dump's bytes as pixels, [`byte_picture`]) and the one
//! palette every view, legend and picture uses ([`theme`]).
//!
//! May use egui's painting and colour types, never widgets or input (no
//! `Ui`, no responses: those are ui/'s); may not name export/, ui/, cli/ or
//! the app.

pub mod axis_cache;
pub mod build;
pub mod byte_picture;
pub mod cache;
pub mod index_job;
pub mod paint2d;
pub mod paint3d;
pub mod params;
pub mod scene2d;
pub mod scene3d;
pub mod theme;

pub use build::{BuiltScene, build_scene};
pub use cache::{SceneCache, SceneUpdate};
pub use paint2d::Highlights;
pub use params::{Filters, Picking, RegionByteFigures, RegionChanges, ViewParams, VolumeStyle};
pub use scene2d::Scene2d;
pub use scene3d::Scene3d;
pub use theme::Palette;
