//! Errors of the dump layer: why a file could not be used at all. Problems that
//! leave part of a dump readable are warnings on the model, not errors.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        // Not #[source]: the message already carries it, and the CLI prints
        // the chain, which would say it twice.
        source: std::io::Error,
    },
    #[error("{}: not a minidump ({reason})", path.display())]
    NotAMinidump { path: PathBuf, reason: String },
    #[error("{}: the file is empty", path.display())]
    Empty { path: PathBuf },
    #[error("{}: unreadable minidump: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
}
