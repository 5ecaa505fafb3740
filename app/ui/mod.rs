//! The ui layer: egui panels and widgets. The map widgets (view2d, view3d:
//! camera input, picking, tooltips; the drawing itself is scene/'s), the
//! side and bottom panels (summary, filters and legend, details, modules,
//! threads, charts, patterns, the changes since a compared dump), the search box, the export and symbol
//! dialogs, the file dialogs (the system's where one can be shown, else
//! an in-window browser), recent files. Panels return [`actions::Command`]s that the app
//! applies. Colours come from [`crate::scene::theme`] (re-exported here as
//! [`theme`]).
//!
//! May use egui, scene/, export/ and everything below; never the CLI or the
//! app, and never reads a dump file itself (it gets an AddressSpace).

pub mod actions;
pub mod bottom;
pub mod byte_view;
pub mod changes;
pub mod charts;
pub mod details;
pub mod document;
pub mod export_dialog;
pub mod file_browser;
pub mod file_dialog;
pub mod filters;
pub mod hex_view;
pub mod kept;
pub mod loading;
pub mod map_panel;
pub mod modules;
pub mod patterns;
pub mod recent;
pub mod refs;
pub mod scan_job;
pub mod search;
pub mod settings;
pub mod strings;
pub mod summary;
pub mod threads;
pub mod top_bar;
pub mod view2d;
pub mod view3d;

pub use crate::scene::theme;
