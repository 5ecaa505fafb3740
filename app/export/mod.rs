//! The export layer: a view's picture. [`picture`] builds the view's scene,
//! lays the overlays out beside the map ([`overlay`]: title block, legend,
//! callouts), renders it offscreen (tiled beyond the GPU's largest texture)
//! and writes a PNG with the view settings as text metadata ([`png`]).
//! Used by `memscape shot` and the window's Export image….
//!
//! May use scene/, render/ and the layers below; never ui/, cli/ or the app.

pub mod byte_shot;
pub mod error;
pub mod overlay;
pub mod picture;
pub mod png;

pub use byte_shot::{BytesPictureOptions, BytesShot, render_bytes_picture, save_bytes_picture};
pub use error::ExportError;
pub use picture::{Picture, PictureOptions, render_picture, save_picture};
