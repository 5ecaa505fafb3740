//! The render layer: geometry -> pixels with wgpu. Pipelines, instance
//! buffers, cameras, egui paint callbacks and offscreen rendering. Sees
//! layouts and instance data, never the dump (tests/architecture.rs). In
//! this layer "quads" are the 2D maps' GPU rectangles and "boxes" the 3D
//! views'; memory regions belong to dump/.
//!
//! 2D maps:
//! - [`camera2d`]: [`Camera2d`], world <-> screen pixels, fit, zoom, pan.
//! - [`quad_instance`]: [`QuadInstance`], one rectangle as the GPU draws it.
//! - [`quads`]: [`QuadsRenderer`] (shaders/quads.wgsl), the map tiles as
//!   instanced quads: outlines, hatching, dimming, selection.
//! - [`quads_paint`]: the quads renderer inside eframe: registration in
//!   egui_wgpu's callback resources, uploads, the [`QuadsPaintCallback`] a
//!   map view paints, and the viewport/scissor arithmetic every paint
//!   callback shares.
//!
//! 3D views:
//! - [`camera3d`]: [`OrbitCamera`](camera3d::OrbitCamera), reverse-Z
//!   infinite perspective, fit; [`camera3d_screen`]: orbit, pan and zoom by
//!   pointer moves, rays, projection, ray-box picking, smooth approach.
//! - [`box_instance`]: [`BoxInstance`], one box as the GPU draws it.
//! - [`boxes`]: [`BoxesRenderer`] (shaders/boxes.wgsl), instanced lit boxes
//!   drawn into their own targets and blitted into egui's pass; its parts:
//!   [`boxes_style`] ([`BoxesStyle`] and the shader's uniform),
//!   `boxes_pipelines` (shader, unit cube, pipelines), [`boxes_targets`]
//!   (MSAA colour + reverse-Z depth + resolved textures, the MSAA probe
//!   [`supported_msaa_samples`]), `boxes_translucent` (back-to-front order).
//! - [`boxes_paint`]: the boxes renderer inside eframe and the
//!   [`BoxesPaintCallback`](boxes_paint::BoxesPaintCallback) a 3D view paints.
//!
//! Both:
//! - [`lod`]: levels of detail (merged sub-pixel quads and boxes) and
//!   culling by chunks (rectangle or frustum).
//! - [`crop`]: [`Crop`](crop::Crop), the part of a view one pass draws (a
//!   view half off screen, one tile of a big export).
//! - [`gpu`]: [`Gpu`], a headless device (or the window's) for offscreen work.
//! - [`offscreen`]: [`render_offscreen`], one entry point for pictures
//!   without a window: egui frames with 2D or 3D scenes (tiled beyond the
//!   GPU's largest texture by `offscreen_egui`) and bare quads or boxes,
//!   drawn into and read back from `offscreen_target`'s texture.
//! - `upload`: large instance uploads a slice at a time (one slice of
//!   staging alive, not a second copy of everything).
//! - [`frame_bench`]: frame times of the window's renderers over many
//!   frames with a moving camera (`memscape bench-gpu`).
//! - [`error`]: [`RenderError`], this layer's errors.

pub mod box_instance;
pub mod box_parts;
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
pub mod frame_bench;
pub mod gpu;
pub mod lod;
mod lod_merge;
mod lod_runs;
pub mod offscreen;
mod offscreen_egui;
mod offscreen_target;
pub mod quad_instance;
pub mod quads;
pub mod quads_paint;
#[cfg(test)]
mod shader_layout;
mod upload;

pub use box_instance::BoxInstance;
pub use box_parts::MAX_SORTED_TRANSLUCENT;
pub use boxes::BoxesRenderer;
pub use boxes_style::BoxesStyle;
pub use boxes_targets::supported_msaa_samples;
pub use camera2d::{Camera2d, ViewportPx};
pub use error::RenderError;
pub use gpu::Gpu;
pub use offscreen::{Content, Detail, Picture, Rendered, render_offscreen};
pub use offscreen_target::OFFSCREEN_FORMAT;
pub use quad_instance::QuadInstance;
pub use quads::QuadsRenderer;
pub use quads_paint::{QuadsPaintCallback, paint_callback, register, upload_instances};
