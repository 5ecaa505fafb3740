//! PNG files with the settings that made them embedded as tEXt chunks, so a
//! picture can be traced back to how it was made.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use super::error::ExportError;

/// Writes `rgba` (width x height, 4 bytes per pixel) to `path` with `text`
/// as (keyword, value) tEXt chunks.
pub fn write_png(
    path: &Path,
    width: u32,
    height: u32,
    rgba: &[u8],
    text: &[(&str, String)],
) -> Result<(), ExportError> {
    let io = |err| ExportError::Io { path: path.to_path_buf(), err };
    let enc = |err| ExportError::Encode { path: path.to_path_buf(), err };
    let file = File::create(path).map_err(io)?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    for (k, v) in text {
        encoder.add_text_chunk((*k).to_string(), v.clone()).map_err(enc)?;
    }
    let mut writer = encoder.write_header().map_err(enc)?;
    writer.write_image_data(rgba).map_err(enc)?;
    writer.finish().map_err(enc)
}
