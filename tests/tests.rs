//! The integration tests, one binary with a module per subject (ripgrep's
//! tests/tests.rs): one link instead of one per file, and the tests of every
//! module run side by side. Helpers live once, in `common`. Two files stand
//! alone as their own `[[test]]` targets because they only read the source:
//! architecture.rs (the layer rules) and shaders.rs (naga on every .wgsl).

// Test code: clippy.toml's allow-*-in-tests covers only #[test] functions, not the
// helpers beside them; unwrap and expect are how a test says what it expects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod abort_capture;
mod charts;
mod corpus;
mod demo_dump;
mod demo_model;
mod diff;
mod elf_core;
mod export;
mod file_dialog;
mod gui;
mod gui_hostile;
mod hostile_classes;
mod hostile_input;
mod layout;
mod layout3d;
mod live_capture;
mod memory_cli;
mod memory_view;
mod modules_panel;
mod patterns;
mod patterns_runtime;
mod render;
mod render3d;
mod scene;
mod shot;
mod stackwalk;
mod symbol_server;
mod symbols_linux;
mod symbols_windows;
mod synth_big;
mod synth_sources;
