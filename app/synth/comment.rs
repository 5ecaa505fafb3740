//! The CommentStreamW stream (type 11): a NUL-terminated UTF-16LE string, as
//! `.dump /c "..."` and dump tools write it.

use minidump_synth::SimpleStream;

use super::section::le_section;
use super::winnt::stream;

/// A CommentStreamW holding `text`.
pub fn comment_stream(text: &str) -> SimpleStream {
    let bytes: Vec<u8> = text.encode_utf16().chain(std::iter::once(0)).flat_map(u16::to_le_bytes).collect();
    SimpleStream { stream_type: stream::COMMENT_W, section: le_section().append_bytes(&bytes) }
}
