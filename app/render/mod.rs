//! The render layer: geometry -> pixels with wgpu. Pipelines, instance
//! buffers, the 2D camera, egui paint callbacks and offscreen rendering. Sees
//! layouts and instance data, never the dump (tests/architecture.rs).
