//! memscape: GPU-rendered maps of a process's virtual address space, read from
//! crash and memory dumps. See ARCHITECTURE.md for the layers and what each owns.

pub mod analysis;
pub mod app;
pub mod cli;
pub mod demo;
pub mod dump;
pub mod export;
pub mod format;
pub mod huge_pages;
pub mod layout;
pub mod render;
pub mod scene;
pub mod synth;
pub mod task;
pub mod ui;
