//! Errors of the dump layer: why a file could not be used at all. Problems that
//! leave part of a dump readable are warnings on the model, not errors.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    // The I/O error is part of the message, not a `source` (a field by that
    // name would become one): the CLI prints the chain, which would say it twice.
    #[error("{}: {err}", path.display())]
    Io { path: PathBuf, err: std::io::Error },
    #[error("{}: not a minidump or an ELF core file ({reason})", path.display())]
    NotAMinidump { path: PathBuf, reason: String },
    #[error("{}: unreadable ELF core: {reason}", path.display())]
    BadCore { path: PathBuf, reason: String },
    #[error("{}: the file is empty", path.display())]
    Empty { path: PathBuf },
    #[error("{}: not a regular file ({what}); a dump is a file", path.display())]
    NotAFile { path: PathBuf, what: &'static str },
    #[error("{}: unreadable minidump: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("{}: too large to open: {what}", path.display())]
    TooLarge { path: PathBuf, what: String },
    #[error("{}: loading cancelled", path.display())]
    Cancelled { path: PathBuf },
}
