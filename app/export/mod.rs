//! The export layer: rendered images -> files. PNG writing with the view
//! settings embedded as text metadata. May use render/; not ui, cli or app.

pub mod png;
