//! Symbol files (PE, PDB, ELF, `.debug`) mapped read-only, and slices of them
//! that keep their map alive. The unwinder and the DWARF reader hold section
//! data as [`Bytes`], so no section is copied and nothing borrows across the
//! provider's lifetime. The map is the dump's own kind ([`MappedFile`]): a
//! symbol file cut short while mapped reads zeros instead of killing the
//! process, and FIFOs or devices are refused by name.

use std::ops::{Deref, Range};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::dump::bytes::MappedFile;
use crate::dump::file::open_regular;

/// The largest symbol file memscape maps (big PDBs run to a few GiB).
pub const MAX_SYMBOL_FILE_BYTES: u64 = 16 << 30;

/// A mapped symbol file.
#[derive(Clone, Debug)]
pub(crate) struct SymbolFile {
    pub path: PathBuf,
    map: Arc<MappedFile>,
}

impl SymbolFile {
    /// Maps `path`; the error says what is wrong with it, without the path.
    pub fn open(path: &Path) -> Result<SymbolFile, String> {
        let (file, len) = open_regular(path).map_err(|e| match e {
            crate::dump::DumpError::Io { err, .. } => err.to_string(),
            crate::dump::DumpError::NotAFile { what, .. } => format!("not a plain file ({what})"),
            other => other.to_string(),
        })?;
        if len == 0 {
            return Err("empty file".into());
        }
        if len > MAX_SYMBOL_FILE_BYTES {
            return Err(format!("too large ({len} bytes; the limit is {MAX_SYMBOL_FILE_BYTES})"));
        }
        // SAFETY: read-only map; a shrinking file is caught by the SIGBUS guard.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| format!("cannot be mapped: {e}"))?;
        Ok(SymbolFile { path: path.to_path_buf(), map: Arc::new(MappedFile::new(map)) })
    }

    pub fn bytes(&self) -> &[u8] {
        self.map.bytes()
    }

    /// `range` of the file as [`Bytes`]; `None` when it lies outside.
    pub fn slice(&self, range: Range<u64>) -> Option<Bytes> {
        let start = usize::try_from(range.start).ok()?;
        let end = usize::try_from(range.end).ok()?;
        (start <= end && end <= self.bytes().len()).then(|| Bytes::Mapped(self.map.clone(), start..end))
    }
}

/// Bytes of a symbol file: a range of its map, or data decompressed from it.
#[derive(Clone, Debug)]
pub(crate) enum Bytes {
    Mapped(Arc<MappedFile>, Range<usize>),
    Owned(Arc<[u8]>),
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            // The range was checked against the map when the slice was made.
            Bytes::Mapped(map, r) => map.bytes().get(r.clone()).unwrap_or(&[]),
            Bytes::Owned(b) => b,
        }
    }
}

// SAFETY: both variants point into memory owned through an `Arc` (the mapping,
// or the heap slice) that neither moves nor changes while any clone lives, so
// the address `deref` returns is stable across moves and clones, as gimli's
// `EndianReader` requires.
unsafe impl stable_deref_trait::StableDeref for Bytes {}
unsafe impl stable_deref_trait::CloneStableDeref for Bytes {}
