//! The dump's bytes: a read-only memory map of the file, or a static slice for
//! the embedded demo dump. Never a copy of the whole file. On Unix the map is
//! guarded against the file shrinking underneath it (see sigbus.rs).

use std::ops::Deref;
use std::sync::Arc;

/// A mapped dump file and its SIGBUS guard.
#[derive(Debug)]
pub(crate) struct MappedFile {
    // Declared before `map`, so it is dropped (unregistered) before the unmap.
    #[cfg(unix)]
    guard: super::sigbus::Guard,
    map: memmap2::Mmap,
}

impl MappedFile {
    pub fn new(map: memmap2::Mmap) -> MappedFile {
        MappedFile {
            #[cfg(unix)]
            guard: super::sigbus::guard(map.as_ptr(), map.len()),
            map,
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Maps every page of the file now, in one call, ahead of a pass that
    /// reads it all (a page fault a page costs more than the reading).
    /// Only a hint: kernels without MADV_POPULATE_READ refuse it, and a
    /// file that shrank is handled by the SIGBUS guard as ever.
    pub fn populate(&self) {
        #[cfg(target_os = "linux")]
        let _ = self.map.advise(memmap2::Advice::PopulateRead);
    }

    /// Drops the pages read so far from this process's memory; they stay in
    /// the page cache, and a later read maps them again. After the model is
    /// built its reading is done (a million regions' MemoryInfoList is 48
    /// MB of the file), so a process that holds a dump open for hours does
    /// not count what it read once as its own. Only a hint, as `populate`.
    pub fn release(&self) {
        #[cfg(unix)]
        // SAFETY: the map is a read-only, private map of a file that is never
        // written through it, so the pages dropped read back the same bytes
        // from the file (MADV_DONTNEED zero-fills only anonymous or written
        // private pages). A file shrunk since is handled by the SIGBUS guard.
        let _ = unsafe { self.map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
    }

    /// Whether a read found the file shorter than when it was mapped.
    pub fn changed(&self) -> bool {
        #[cfg(unix)]
        return self.guard.changed();
        #[cfg(not(unix))]
        false
    }
}

#[derive(Clone, Debug)]
pub(crate) enum DumpBytes {
    Mapped(Arc<MappedFile>),
    Static(&'static [u8]),
    /// Bytes already in memory (fuzzing; later, decompressed cores).
    Owned(Arc<[u8]>),
}

impl DumpBytes {
    /// Whether the file changed (shrank) underneath the map since it was opened.
    pub fn changed(&self) -> bool {
        match self {
            DumpBytes::Mapped(m) => m.changed(),
            DumpBytes::Static(_) | DumpBytes::Owned(_) => false,
        }
    }
}

impl Deref for DumpBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            DumpBytes::Mapped(m) => &m.map,
            DumpBytes::Static(s) => s,
            DumpBytes::Owned(b) => b,
        }
    }
}
