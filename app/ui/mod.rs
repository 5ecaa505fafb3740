//! The egui layer: panels, the palette (theme), and later the map view widget.
//! May use egui; may not read dumps itself (it gets an AddressSpace from app.rs).

pub mod summary;
pub mod theme;
