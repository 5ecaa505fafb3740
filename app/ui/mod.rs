//! The egui layer: panels, the map view widget, the search box, recent files,
//! the file dialogs (system or in-window) and the palette (theme).
//! May use egui; may not read dumps itself (it gets an AddressSpace from app.rs).

pub mod bottom;
pub mod charts;
pub mod details;
pub mod export_dialog;
pub mod export_overlay;
pub mod file_browser;
pub mod file_dialog;
pub mod filters;
pub mod map_view;
pub mod modules;
pub mod patterns;
pub mod recent;
pub mod search;
pub mod settings;
pub mod summary;
pub mod theme;
pub mod threads;
pub mod view3d;
