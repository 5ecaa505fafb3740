//! Errors of the render layer: no usable GPU, an image that cannot be made,
//! a failed readback.

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("no GPU adapter ({0})")]
    NoAdapter(String),
    #[error("could not open the GPU device: {0}")]
    RequestDevice(#[from] wgpu::RequestDeviceError),
    #[error("GPU error while rendering: {0}")]
    Gpu(String),
    #[error("could not read the rendered image back: {0}")]
    Readback(String),
    #[error("{width_px}x{height_px} px is larger than this GPU can render (at most {max_px} px per side)")]
    TooLarge { width_px: u32, height_px: u32, max_px: u32 },
    #[error(
        "{width_px}x{height_px} px is too large a picture (at most {max_side_px} px per side and {max_megapixels} megapixels)"
    )]
    PictureTooLarge { width_px: u32, height_px: u32, max_side_px: u32, max_megapixels: u64 },
    #[error("cannot render an empty {width_px}x{height_px} px image")]
    EmptySize { width_px: u32, height_px: u32 },
    #[error("pixels per point must be finite and positive, not {0}")]
    BadPixelsPerPoint(f32),
}
