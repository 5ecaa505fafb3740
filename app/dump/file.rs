//! Opening a dump file: regular files only. Opening a FIFO for reading waits
//! for a writer (forever, for a stray pipe), and a directory or a device has
//! no length to map; each is refused with a message that says what it is.
//! The check is made on the opened file (fstat), not on the path, so nothing
//! can swap the path in between.

use std::fs::{File, FileType, OpenOptions};
use std::path::Path;

use super::error::DumpError;

/// The opened file and its length.
pub fn open_regular(path: &Path) -> Result<(File, u64), DumpError> {
    let io = |err| DumpError::Io { path: path.to_path_buf(), err };
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Without O_NONBLOCK the open of a FIFO blocks until a writer opens
        // it; for the regular files that pass the check it changes nothing.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(DumpError::NotAFile { path: path.to_path_buf(), what: describe(meta.file_type()) });
    }
    Ok((file, meta.len()))
}

/// What a file that is not a regular file is.
fn describe(t: FileType) -> &'static str {
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    "not a plain file"
}
