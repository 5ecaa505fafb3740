//! Glue between minidump-synth's label machinery and the streams `synth` writes
//! itself: a stream or list entry that is just a test_assembler `Section`.

use minidump_synth::DumpSection;
use test_assembler::{Endian, Label, Section};

/// Minidumps from Windows are little-endian, whatever machine generates them.
pub const LE: Endian = Endian::Little;

/// An empty little-endian section.
pub fn le_section() -> Section {
    Section::with_endian(LE)
}

/// Implements `DumpSection` and `Into<Section>` for a struct with a `section` field,
/// which makes it usable as a minidump-synth list entry.
macro_rules! section_backed {
    ($t:ty) => {
        impl minidump_synth::DumpSection for $t {
            fn file_offset(&self) -> test_assembler::Label {
                self.section.start()
            }
            fn file_size(&self) -> test_assembler::Label {
                self.section.final_size()
            }
        }

        impl From<$t> for test_assembler::Section {
            fn from(item: $t) -> Self {
                item.section
            }
        }
    };
}
pub(crate) use section_backed;

/// A bare blob placed somewhere in the file (CodeView records, contexts, memory).
pub struct Blob {
    /// The bytes, with any labels they reference.
    pub section: Section,
}

section_backed!(Blob);

impl Blob {
    /// A blob holding `bytes`.
    pub fn new(bytes: &[u8]) -> Self {
        Self { section: le_section().append_bytes(bytes) }
    }

    /// Where the blob will sit in the file, as `(size, rva)` labels for a
    /// `MINIDUMP_LOCATION_DESCRIPTOR`.
    pub fn location(&self) -> (Label, Label) {
        (self.file_size(), self.file_offset())
    }
}
