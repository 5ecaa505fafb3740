//! The render layer: geometry -> pixels with wgpu. Pipelines, instance
//! buffers, the 2D camera, egui paint callbacks and offscreen rendering. Sees
//! layouts and instance data, never the dump (tests/architecture.rs).
//!
//! - [`camera2d`]: [`Camera2d`], world <-> screen pixels, fit, zoom, pan.
//! - [`regions`]: [`QuadsRenderer`] (shaders/quads.wgsl), the map tiles as
//!   instanced quads.
//! - [`quads_paint`]: the renderer inside eframe: registration in egui_wgpu's
//!   callback resources and the [`QuadsPaintCallback`] a map view paints.
//! - [`crop`]: [`crop::Crop`], the part of a view one pass draws (a view
//!   half off screen, one tile of a big export).
//! - [`lod`]: levels of detail for the 2D maps: merged sub-pixel quads and
//!   culling by chunks.
//! - [`offscreen`]: headless device and offscreen rendering to images.
//! - [`error`]: [`RenderError`], this layer's errors.

pub mod box_instance;
pub mod boxes;
pub mod boxes_paint;
mod boxes_pipelines;
pub mod boxes_style;
pub mod boxes_targets;
mod boxes_translucent;
pub mod camera2d;
pub mod camera3d;
pub mod camera3d_screen;
pub mod crop;
pub mod error;
pub mod lod;
pub mod offscreen;
pub mod quad_instance;
pub mod quads;
pub mod quads_paint;

pub use box_instance::BoxInstance;
pub use boxes::BoxesRenderer;
pub use boxes_style::BoxesStyle;
pub use boxes_targets::supported_msaa_samples;
pub use boxes_translucent::MAX_SORTED_TRANSLUCENT;
pub use camera2d::{Camera2d, ViewportPx};
pub use error::RenderError;
pub use offscreen::{Gpu, render_egui_offscreen, render_quads_offscreen};
pub use quad_instance::QuadInstance;
pub use quads::QuadsRenderer;
pub use quads_paint::{QuadsPaintCallback, paint_callback, register, upload_instances};
