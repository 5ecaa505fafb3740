//! One symbol file as a server or a folder could hand it over: PDB, PE, ELF,
//! `.debug` or Breakpad `.sym` bytes, written to a file and read the way a
//! walk reads it (identity, function table, source lines, unwind tables).
#![no_main]

use std::io::Write;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use memscape::dump::symbols::read_any_symbol_file;

fuzz_target!(|data: &[u8]| {
    // memscape catches a panic inside a third-party reader (symbols/guard.rs)
    // and reports the file: libFuzzer's hook would abort on it even so. A
    // silent hook leaves uncaught panics to fuzz_target!, which aborts.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    // Symbol files are read mapped: the input goes through a file (in
    // memory where /dev/shm exists), one per fuzzing process.
    static PATH: OnceLock<std::path::PathBuf> = OnceLock::new();
    let path = PATH.get_or_init(|| {
        let dir = if std::path::Path::new("/dev/shm").is_dir() { "/dev/shm".into() } else { std::env::temp_dir() };
        dir.join(format!("memscape-fuzz-symbol-{}", std::process::id()))
    });
    let Ok(mut f) = std::fs::File::create(path) else { return };
    if f.write_all(data).is_err() {
        return;
    }
    drop(f);
    let _ = read_any_symbol_file(path);
});
