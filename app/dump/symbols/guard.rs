//! A panic inside a third-party symbol reader (pdb2, gimli, object,
//! framehop) on a malformed file is that reader's bug, but a file from a
//! folder or a server must not be able to turn it into a failed walk or a
//! crash: each reader is called through [`guarded`], and a panic becomes
//! that file's problem. (The fuzz target `symbol_file` found one in pdb2's
//! PDB information stream on its first run.)

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `read`; a panic becomes `Err("the reader failed on malformed data")`.
pub(crate) fn guarded<T>(read: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(read)).unwrap_or_else(|_| Err("the reader failed on malformed data".into()))
}
