//! Helpers shared by the integration tests: finding the dump corpus and reading
//! its MANIFEST.tsv, unique scratch files, and the invariants every
//! `AddressSpace` region list must keep (sorted, non-empty, contiguous,
//! covering exactly 0..user limit), and the headless GPU the rendering tests
//! share (skipped without one unless MEMSCAPE_REQUIRE_GPU=1).

pub mod gdb;
pub mod http;
pub mod kittest;
pub mod pattern_spec;
pub mod pixels;
pub mod proc_maps;
pub mod process;
pub mod rng;
pub mod synth;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use memscape::dump::{AddressSpace, Owner, Region, RegionKind, RegionState};

/// The corpus directory from `MEMSCAPE_CORPUS` (a relative path is taken
/// from the package root, where cargo runs tests). `None` (after printing
/// "skipped: MEMSCAPE_CORPUS not set") when unset, unless
/// `MEMSCAPE_REQUIRE_CORPUS=1`, which turns a missing corpus into a failure.
pub fn corpus_dir() -> Option<PathBuf> {
    let require = std::env::var("MEMSCAPE_REQUIRE_CORPUS").is_ok_and(|v| v == "1");
    let Some(raw) = std::env::var_os("MEMSCAPE_CORPUS").filter(|v| !v.is_empty()) else {
        assert!(!require, "MEMSCAPE_REQUIRE_CORPUS=1 but MEMSCAPE_CORPUS is not set");
        println!("skipped: MEMSCAPE_CORPUS not set");
        note_skip(Skip::Corpus);
        return None;
    };
    let mut dir = PathBuf::from(raw);
    if dir.is_relative() {
        dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    }
    assert!(dir.join("MANIFEST.tsv").is_file(), "MEMSCAPE_CORPUS={} has no MANIFEST.tsv", dir.display());
    Some(dir)
}

/// One row of MANIFEST.tsv, by column name.
#[derive(Clone, Debug)]
pub struct ManifestRow {
    pub fields: BTreeMap<String, String>,
}

impl ManifestRow {
    pub fn get(&self, column: &str) -> &str {
        self.fields.get(column).map(String::as_str).unwrap_or_else(|| panic!("MANIFEST.tsv has no column {column:?}"))
    }

    pub fn file(&self) -> &str {
        self.get("file")
    }

    /// A numeric column; `None` for "-".
    pub fn number(&self, column: &str) -> Option<u64> {
        let v = self.get(column).trim();
        if v == "-" || v.is_empty() {
            return None;
        }
        let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
            Some(hex) => u64::from_str_radix(hex, 16),
            None => v.parse(),
        };
        Some(parsed.unwrap_or_else(|e| panic!("{}: column {column} = {v:?} is not a number: {e}", self.file())))
    }
}

/// Reads MANIFEST.tsv (header row first, tab separated).
pub fn read_manifest(dir: &Path) -> Vec<ManifestRow> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("MANIFEST.tsv readable");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> =
        lines.next().expect("MANIFEST.tsv has a header").split('\t').map(str::to_string).collect();
    let rows: Vec<ManifestRow> = lines
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            let fields = header.iter().cloned().zip(cells.iter().map(|c| c.to_string())).collect();
            ManifestRow { fields }
        })
        .collect();
    assert!(!rows.is_empty(), "MANIFEST.tsv lists no dumps");
    rows
}

/// A fresh path in the system temp directory, unique per process and call.
pub fn scratch_path(tag: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join("memscape-tests");
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir.join(format!("{tag}-{}-{n}.dmp", std::process::id()))
}

/// Writes `bytes` to a fresh scratch file.
pub fn write_scratch(tag: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch_path(tag);
    std::fs::write(&path, bytes).expect("write scratch file");
    path
}

/// One page.
pub const PAGE: u64 = 4096;

/// Contiguous regions from address 0, each from (size, kind, owner); Free
/// regions are in the Free state, others committed.
pub fn region_list(parts: impl IntoIterator<Item = (u64, RegionKind, Owner)>) -> Vec<Region> {
    let mut at = 0u64;
    parts
        .into_iter()
        .map(|(size, kind, owner)| {
            let state = if kind == RegionKind::Free { RegionState::Free } else { RegionState::Commit };
            let mut r = Region::blank(at, size, kind, state);
            r.owner = owner;
            at += size;
            r
        })
        .collect()
}

/// A minidump-synth dump written to a scratch file and opened; the file is
/// removed at once (the map stays valid after the file is unlinked).
pub fn open_synth(tag: &str, dump: minidump_synth::SynthMinidump) -> AddressSpace {
    let bytes = dump.finish().expect("minidump-synth finishes");
    let path = write_scratch(tag, &bytes);
    let space = AddressSpace::open(&path).unwrap_or_else(|e| panic!("{tag}: open failed: {e}"));
    let _ = std::fs::remove_file(&path);
    space
}

/// The region-list invariants: sorted, non-empty, contiguous, covering exactly
/// 0..user_limit_addr, captured bytes within each region, and bytes per kind
/// adding up to the limit. Returns the first violation.
pub fn region_invariants(space: &AddressSpace) -> Result<(), String> {
    let limit = space.system.user_limit_addr;
    if limit == 0 {
        return Err("user_limit_addr is 0".into());
    }
    if space.regions.is_empty() {
        return Err("no regions".into());
    }
    let mut at = 0u64;
    for (i, r) in space.regions.iter().enumerate() {
        if r.size_bytes == 0 {
            return Err(format!("region {i} at {:#x} is empty", r.base_addr));
        }
        if r.base_addr != at {
            return Err(format!(
                "region {i} starts at {:#x}, expected {at:#x} ({})",
                r.base_addr,
                if r.base_addr > at { "gap" } else { "overlap or out of order" }
            ));
        }
        let Some(end) = r.base_addr.checked_add(r.size_bytes) else {
            return Err(format!("region {i} at {:#x} size {:#x} wraps", r.base_addr, r.size_bytes));
        };
        if r.captured_bytes > r.size_bytes {
            return Err(format!(
                "region {i} at {:#x}: captured_bytes {} > size {}",
                r.base_addr, r.captured_bytes, r.size_bytes
            ));
        }
        at = end;
    }
    if at != limit {
        return Err(format!("regions end at {at:#x}, user limit is {limit:#x}"));
    }
    let by_kind = space.bytes_by_kind();
    let sum: u128 = by_kind.values().map(|v| u128::from(*v)).sum();
    if sum != u128::from(limit) {
        return Err(format!("bytes_by_kind sums to {sum:#x}, user limit is {limit:#x}"));
    }
    if by_kind.len() != RegionKind::ALL.len() {
        return Err(format!("bytes_by_kind has {} kinds, expected {}", by_kind.len(), RegionKind::ALL.len()));
    }
    Ok(())
}

/// Panics with the violation when the invariants do not hold.
pub fn assert_region_invariants(space: &AddressSpace, what: &str) {
    if let Err(e) = region_invariants(space) {
        panic!("{what}: {e}");
    }
}

/// The headless GPU, or None (after printing "skipped: no GPU adapter (...)")
/// when there is none; with `MEMSCAPE_REQUIRE_GPU=1` a missing adapter fails.
pub fn headless_gpu() -> Option<memscape::render::Gpu> {
    use memscape::render::{Gpu, RenderError};
    match Gpu::headless() {
        Ok(gpu) => {
            println!("GPU: {} ({:?})", gpu.adapter_info.name, gpu.adapter_info.backend);
            Some(gpu)
        }
        // Only a missing adapter is "no GPU"; an adapter that then fails is a failure.
        Err(RenderError::NoAdapter(why)) => {
            assert!(std::env::var("MEMSCAPE_REQUIRE_GPU").as_deref() != Ok("1"), "MEMSCAPE_REQUIRE_GPU=1 but: {why}");
            println!("skipped: no GPU adapter ({why})");
            note_skip(Skip::Gpu);
            None
        }
        Err(e) => panic!("a GPU adapter was found but could not be used: {e}"),
    }
}

/// Whether the GPU tests can run (see [`headless_gpu`]); asked once per test
/// binary, the answer kept.
pub fn gpu_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let available = *AVAILABLE.get_or_init(|| headless_gpu().is_some());
    if !available {
        note_skip(Skip::Gpu);
    }
    available
}

/// The C compiler (`gcc`) for tests that build the programs they examine, or
/// `None` (after printing "skipped: ..." and noting the skip) when it is not
/// installed; with `MEMSCAPE_REQUIRE_TOOLS=1` (CI) a missing one fails.
pub fn c_compiler() -> Option<&'static str> {
    tool("gcc")
}

/// A system tool (`gdb`, `clang`, ...) a test compares with or builds with,
/// as [`c_compiler`]: `None` and a noted skip when `NAME --version` fails,
/// a failure when `MEMSCAPE_REQUIRE_TOOLS=1`.
pub fn tool(name: &'static str) -> Option<&'static str> {
    let works = std::process::Command::new(name)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if works {
        return Some(name);
    }
    assert!(
        std::env::var("MEMSCAPE_REQUIRE_TOOLS").as_deref() != Ok("1"),
        "MEMSCAPE_REQUIRE_TOOLS=1 but {name} is missing"
    );
    println!("skipped: {name} is not installed");
    note_skip(Skip::Tool);
    None
}

/// eframe's storage, in memory: what goes through `App::save` and comes back
/// through the app's `from_storage` is what a restart sees (eframe's own file
/// store is private to it).
#[derive(Default)]
pub struct MemoryStorage(pub BTreeMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

/// Why a test skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    Gpu,
    Corpus,
    /// A system tool (a C compiler) is missing.
    Tool,
}

/// The tests that skipped, by reason (the test harness names each test's thread after it).
static SKIPPED: std::sync::Mutex<BTreeMap<Skip, std::collections::BTreeSet<String>>> =
    std::sync::Mutex::new(BTreeMap::new());

/// Notes that the running test skipped for `why`; the first note arranges for
/// one summary line on stderr when the test binary exits, so a plain `cargo
/// test` says what it did not test and how to test it.
pub fn note_skip(why: Skip) {
    static SUMMARY: std::sync::Once = std::sync::Once::new();
    let test = std::thread::current().name().unwrap_or("?").to_string();
    if let Ok(mut skipped) = SKIPPED.lock() {
        skipped.entry(why).or_default().insert(test);
    }
    SUMMARY.call_once(|| {
        unsafe extern "C" {
            // The C library's; the test harness ends with `exit`, which runs it.
            fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
        }
        // SAFETY: `print_skips` is a plain function that never unwinds into C.
        unsafe {
            atexit(print_skips);
        }
    });
}

extern "C" fn print_skips() {
    let Ok(skipped) = SKIPPED.lock() else { return };
    let count = |why| skipped.get(&why).map_or(0, |t| t.len());
    let (gpu, corpus, tool) = (count(Skip::Gpu), count(Skip::Corpus), count(Skip::Tool));
    let mut parts = Vec::new();
    if gpu > 0 {
        parts.push(format!("{gpu} need a GPU adapter (install mesa-vulkan-drivers for lavapipe)"));
    }
    if corpus > 0 {
        parts.push(format!("{corpus} need the dump corpus (set MEMSCAPE_CORPUS=../shared/dumps)"));
    }
    if tool > 0 {
        parts.push(format!("{tool} need a system tool (install gcc)"));
    }
    if !parts.is_empty() {
        eprintln!("\nmemscape tests: {} skipped: {}", gpu + corpus + tool, parts.join("; "));
    }
}
