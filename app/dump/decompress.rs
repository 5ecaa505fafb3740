//! Compressed dumps: systemd-coredump stores cores as `.zst` (its default),
//! `.xz` or `.lz4`. A compressed file (told apart by its magic bytes, not its
//! name) is decompressed from its memory map into a temporary file, which is
//! then mapped like any dump; the temporary file is unlinked as soon as it is
//! open (Unix), so nothing is left behind however memscape ends. Progress is
//! reported as the share of the compressed input read, and a cancel stops the
//! copy at the next mebibyte. The decoders are pure Rust (ruzstd, lzma-rs,
//! lz4_flex): no C library to build.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::error::DumpError;
use super::progress::LoadProgress;

/// The most bytes a compressed dump may expand to: a core of a big process
/// is tens of GiB; a "compressed" file claiming more is a bomb.
pub const MAX_DECOMPRESSED_BYTES: u64 = 64 << 30;

/// The compression formats memscape opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    Zstd,
    Xz,
    Lz4,
}

impl Codec {
    pub fn name(self) -> &'static str {
        match self {
            Codec::Zstd => "zstd",
            Codec::Xz => "xz",
            Codec::Lz4 => "lz4",
        }
    }
}

/// The codec whose magic bytes `head` starts with.
pub fn codec_of(head: &[u8]) -> Option<Codec> {
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Codec::Zstd)
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some(Codec::Xz)
    } else if head.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
        Some(Codec::Lz4)
    } else {
        None
    }
}

/// Counts what the decoder has read of the compressed input (the progress).
struct Counted<'a> {
    inner: &'a [u8],
    read: &'a AtomicU64,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Decompresses `input` (the mapped file at `path`) into an unlinked
/// temporary file, returned open for mapping.
pub(crate) fn decompress(path: &Path, input: &[u8], codec: Codec, progress: &LoadProgress) -> Result<File, DumpError> {
    let (mut out, tmp) = temp_file().map_err(|err| DumpError::Io { path: path.to_path_buf(), err })?;
    let total = input.len() as u64;
    let read = AtomicU64::new(0);
    let mut counted = Counted { inner: input, read: &read };
    progress.enter_decompressing();
    let go_on = || {
        progress.set_work(read.load(Ordering::Relaxed), total);
        !progress.is_cancelled()
    };
    let corrupt = |what: String| DumpError::Corrupt { path: path.to_path_buf(), reason: what };
    let result = match codec {
        Codec::Zstd => match ruzstd::decoding::StreamingDecoder::new(&mut counted) {
            Ok(mut d) => copy(&mut d, &mut out, &go_on),
            Err(e) => Err(Copy::Bad(e.to_string())),
        },
        Codec::Lz4 => {
            let mut d = lz4_flex::frame::FrameDecoder::new(&mut counted);
            copy(&mut d, &mut out, &go_on)
        }
        Codec::Xz => {
            // lzma-rs writes into a Write: the limit and cancel sit in it.
            let mut w = Limited { out: &mut out, written: 0, go_on: &go_on, path };
            let mut reader = io::BufReader::new(&mut counted);
            lzma_rs::xz_decompress(&mut reader, &mut w).map_err(|e| match e {
                lzma_rs::error::Error::IoError(io) if io.to_string() == CANCELLED => Copy::Cancelled,
                lzma_rs::error::Error::IoError(io) if io.kind() == io::ErrorKind::FileTooLarge => Copy::TooLarge,
                other => Copy::Bad(format!("{other:?}")),
            })
        }
    };
    // The temporary file is unlinked already on Unix; elsewhere, now that it is open.
    drop(tmp);
    match result {
        Ok(()) => {}
        Err(Copy::Cancelled) => return Err(DumpError::Cancelled { path: path.to_path_buf() }),
        Err(Copy::TooLarge) => {
            return Err(DumpError::TooLarge {
                path: path.to_path_buf(),
                what: format!("it expands past {} GiB", MAX_DECOMPRESSED_BYTES >> 30),
            });
        }
        Err(Copy::Io(err)) => return Err(DumpError::Io { path: path.to_path_buf(), err }),
        Err(Copy::Bad(why)) => return Err(corrupt(format!("a damaged {} stream ({why})", codec.name()))),
    }
    out.flush().map_err(|err| DumpError::Io { path: path.to_path_buf(), err })?;
    out.into_inner().map_err(|e| DumpError::Io { path: path.to_path_buf(), err: e.into_error() })
}

/// Why a copy stopped.
enum Copy {
    Cancelled,
    TooLarge,
    Io(io::Error),
    Bad(String),
}

/// Copies the decoder's output, a mebibyte at a time, within the limit.
fn copy(decoder: &mut dyn Read, out: &mut BufWriter<File>, go_on: &dyn Fn() -> bool) -> Result<(), Copy> {
    let mut buf = vec![0u8; 1 << 20];
    let mut written = 0u64;
    loop {
        if !go_on() {
            return Err(Copy::Cancelled);
        }
        let n = match decoder.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Copy::Bad(e.to_string())),
        };
        written += n as u64;
        if written > MAX_DECOMPRESSED_BYTES {
            return Err(Copy::TooLarge);
        }
        out.write_all(&buf[..n]).map_err(Copy::Io)?;
    }
}

/// What a cancelled xz write says.
const CANCELLED: &str = "memscape: loading cancelled";

/// A Write that stops at the limit and on cancel (for lzma-rs).
struct Limited<'a> {
    out: &'a mut BufWriter<File>,
    written: u64,
    go_on: &'a dyn Fn() -> bool,
    path: &'a Path,
}

impl Write for Limited<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !(self.go_on)() {
            // Not ErrorKind::Interrupted: write_all would retry that forever.
            return Err(io::Error::other(CANCELLED));
        }
        self.written += buf.len() as u64;
        if self.written > MAX_DECOMPRESSED_BYTES {
            return Err(io::Error::new(io::ErrorKind::FileTooLarge, self.path.display().to_string()));
        }
        self.out.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Removes the temporary file when dropped (where it could not be unlinked at once).
struct TempPath(Option<std::path::PathBuf>);

impl Drop for TempPath {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A new file in the temporary folder, readable and writable.
fn temp_file() -> io::Result<(BufWriter<File>, TempPath)> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir();
    for _ in 0..100 {
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("memscape-{}-{n}.dump", std::process::id()));
        match std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path) {
            Ok(f) => {
                // Unlinked at once: the open file lives on, and nothing is left
                // behind however the process ends.
                if cfg!(unix) && std::fs::remove_file(&path).is_ok() {
                    return Ok((BufWriter::with_capacity(1 << 20, f), TempPath(None)));
                }
                return Ok((BufWriter::with_capacity(1 << 20, f), TempPath(Some(path))));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free temporary file name"))
}
