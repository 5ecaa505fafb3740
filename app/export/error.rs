//! [`ExportError`], why a picture could not be made or written.

/// Why a picture could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{}: 0x{addr:x} is outside the user address space", path.display())]
    OutsideSpace { path: std::path::PathBuf, addr: u64 },
    #[error("{}: the dump holds no memory contents to draw", path.display())]
    NoBytes { path: std::path::PathBuf },
    #[error("no GPU adapter for offscreen rendering: {0}")]
    NoGpu(crate::render::RenderError),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    #[error("{}: {err}", path.display())]
    Io { path: std::path::PathBuf, err: std::io::Error },
    #[error("{}: could not encode the PNG: {err}", path.display())]
    Encode { path: std::path::PathBuf, err: png::EncodingError },
}
