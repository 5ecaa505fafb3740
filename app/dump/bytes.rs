//! The dump's bytes: a read-only memory map of the file, or a static slice for
//! the embedded demo dump. Never a copy of the whole file.

use std::ops::Deref;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub(crate) enum DumpBytes {
    Mapped(Arc<memmap2::Mmap>),
    Static(&'static [u8]),
}

impl Deref for DumpBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            DumpBytes::Mapped(m) => m,
            DumpBytes::Static(s) => s,
        }
    }
}
