//! The bundled demo dump (assets/demo/azure-worker-crash.dmp), compiled into
//! the binary so `memscape` with no argument works wherever it is installed.
//! The file is written by `synth::demo_dump_bytes` (see tests/demo_dump.rs);
//! its Breakpad symbols (assets/demo/symbols, beside it) by
//! `synth::demo_symbol_files`, and for the embedded copy into the symbol cache.

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::dump::{AddressSpace, DumpError};

/// The name the demo dump goes by in titles and messages.
pub const DEMO_DUMP_NAME: &str = "azure-worker-crash.dmp (demo)";

pub static DEMO_DUMP_BYTES: &[u8] = include_bytes!("../assets/demo/azure-worker-crash.dmp");

/// Reads the embedded demo dump.
pub fn open_demo() -> Result<AddressSpace, DumpError> {
    AddressSpace::from_static(DEMO_DUMP_NAME, DEMO_DUMP_BYTES)
}

/// Whether `space` is the embedded demo dump.
pub fn is_demo(space: &AddressSpace) -> bool {
    space.path.as_os_str() == DEMO_DUMP_NAME
}

/// The demo's symbol files written into the symbol cache (a Breakpad tree;
/// files already there with the same text are left alone). Returns the tree.
/// Done once per process: every later walk of the demo reuses the answer.
pub fn demo_symbol_dir() -> Result<PathBuf, String> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    DIR.get_or_init(|| write_demo_symbols().map_err(|e| e.to_string())).clone()
}

fn write_demo_symbols() -> std::io::Result<PathBuf> {
    let dir = crate::dump::symbols::default_cache_dir();
    for f in crate::synth::demo_symbol_files() {
        let path = dir.join(&f.path);
        if std::fs::read(&path).is_ok_and(|b| b == f.text.as_bytes()) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // Written aside and renamed into place: a walk reading the file at the
        // same moment (another process) sees it whole or not at all.
        let aside = path.with_extension(format!("sym.{}.tmp", std::process::id()));
        std::fs::write(&aside, &f.text)?;
        std::fs::rename(&aside, &path)?;
    }
    Ok(dir)
}
