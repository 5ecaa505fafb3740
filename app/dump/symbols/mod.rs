//! Symbol sources: where a module's names, lines and unwind tables come from.
//!
//! For each module of the dump, [`locate`] finds its binary and its debug file
//! in the symbol folders (symstore trees, `.build-id` trees, flat folders
//! indexed by identity), the system's debug folder, and the module's own path
//! (locate.rs); every file's identity is checked against the module's
//! (identity.rs). What is found serves the stack walk in three ways:
//! function names during the walk (functions.rs), caller frames from the
//! binary's unwind tables (unwind.rs: framehop over `.pdata` or `.eh_frame`),
//! and source lines and inlined frames after it (lines.rs: addr2line for
//! DWARF, pdb-addr2line for PDBs). Breakpad `.sym` trees keep going through
//! minidump-unwind's own `Symbolizer` first (provider.rs). What no folder has
//! is downloaded from the configured symbol and debuginfod servers into the
//! cache (fetch.rs, download.rs), when the user named any (sources.rs).

mod download;
mod fetch;
mod functions;
mod guard;
mod identity;
mod lines;
mod locate;
mod mapped;
pub(crate) mod provider;
mod sources;
mod unwind;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use fetch::{FetchState, FetchWatch};
pub(crate) use functions::FunctionTable;
pub use identity::{ModuleId, code_key, guid_string, safe_component};
pub use lines::Described;
pub(crate) use lines::Lines;
pub use locate::MAX_FLAT_FILES;
pub use sources::{
    DownloadLimits, MICROSOFT_SYMBOL_SERVER, NtSymbolPath, SymbolSources, default_cache_dir, is_url,
    parse_debuginfod_urls, parse_nt_symbol_path,
};

use super::model::AddressSpace;
use identity::FileId;
use locate::{Found, Locator};
pub(crate) use provider::Provider;
use unwind::Unwinder;

/// One symbol file memscape used for a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolFileUse {
    /// "pe", "elf" (binaries), "pdb", "debug" (a separate ELF debug file), "breakpad".
    pub kind: &'static str,
    pub path: String,
    /// Where it was found ("symstore tree", "module path", ...).
    pub origin: &'static str,
    /// What it gave: "unwind", "functions", "lines" (comma-separated in text).
    pub gives: Vec<&'static str>,
    /// The URL it was downloaded from, when that happened in this walk.
    pub url: Option<String>,
}

/// A module's symbol status.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleSymbols {
    /// Index into [`AddressSpace::modules`].
    pub module_index: usize,
    pub files: Vec<SymbolFileUse>,
    /// Files looked at and refused, and files that failed to load, with why.
    pub problems: Vec<String>,
}

impl ModuleSymbols {
    /// "found" when any file serves the module, else "not found".
    pub fn status(&self) -> &'static str {
        if self.files.is_empty() { "not found" } else { "found" }
    }

    /// What the module's symbols are, as lm's column says it: "pdb symbols",
    /// "dwarf", "breakpad symbols", "export symbols", "elf symbols",
    /// "unwind only", "no symbols", or "failed" when nothing serves it and a
    /// file or download was refused ([`ModuleSymbols::describe`] says why).
    pub fn summary(&self) -> &'static str {
        let gives = |g: &str| self.files.iter().any(|f| f.gives.contains(&g));
        let has = |k: &str| self.files.iter().any(|f| f.kind == k);
        if has("breakpad") {
            "breakpad symbols"
        } else if has("pdb") {
            "pdb symbols"
        } else if gives("lines") {
            "dwarf"
        } else if gives("functions") && has("pe") {
            "export symbols"
        } else if gives("functions") {
            "elf symbols"
        } else if gives("unwind") {
            "unwind only"
        } else if self.files.is_empty() && !self.problems.is_empty() {
            "failed"
        } else {
            "no symbols"
        }
    }

    /// The files and problems, a line each (the modules table's hover text).
    pub fn describe(&self) -> String {
        let mut lines: Vec<String> = self
            .files
            .iter()
            .map(|f| {
                let from = f.url.as_ref().map(|u| format!(" from {u}")).unwrap_or_default();
                format!("{} ({}, {}{from}): {}", f.path, f.kind, f.origin, f.gives.join(", "))
            })
            .collect();
        if lines.is_empty() {
            lines.push("No symbol file found.".into());
        }
        lines.extend(self.problems.iter().map(|p| format!("refused {p}")));
        lines.join("\n")
    }
}

/// Everything found for one walk.
pub(crate) struct Loaded {
    pub status: Vec<ModuleSymbols>,
    pub tables: HashMap<u64, FunctionTable>,
    pub lines: HashMap<usize, Lines>,
    pub unwinder: Option<Unwinder>,
    /// The folders minidump-unwind's Breakpad supplier searches.
    pub breakpad_dirs: Vec<PathBuf>,
    /// Trouble with a whole source (a server not reachable, a folder missing).
    pub warnings: Vec<String>,
}

/// A `symbols` folder beside the dump file, searched after the given ones:
/// a dump shipped with its Breakpad symbols (the bundled demo's
/// `assets/demo/symbols`) names its frames without options.
pub const SYMBOLS_BESIDE_DUMP: &str = "symbols";

/// The local folders a walk of `space` searches: `sources.dirs`, then a
/// [`SYMBOLS_BESIDE_DUMP`] folder beside the dump.
pub fn search_dirs(space: &AddressSpace, sources: &SymbolSources) -> Vec<PathBuf> {
    let mut dirs = sources.dirs.clone();
    if let Some(beside) = space.path.parent().map(|d| d.join(SYMBOLS_BESIDE_DUMP))
        && beside.is_dir()
        && !dirs.contains(&beside)
    {
        dirs.push(beside);
    }
    dirs
}

/// Finds (and, where servers are named, downloads) the symbol files of every
/// module of `space` and loads them.
pub(crate) fn load(space: &AddressSpace, sources: &SymbolSources, watch: Option<&FetchWatch>) -> Loaded {
    let dirs = search_dirs(space, sources);
    let mut warnings: Vec<String> =
        dirs.iter().filter(|d| !d.exists()).map(|d| format!("symbol path {} does not exist", d.display())).collect();
    // The cache is searched when servers or a cache are named: what was
    // downloaded once serves later walks without the network, and a walk with
    // no symbol options never depends on what an earlier one left there.
    let cache = (sources.uses_network() || sources.cache.is_some()).then(|| sources.cache_dir());
    let mut breakpad_dirs = dirs.clone();
    breakpad_dirs.extend(cache.iter().filter(|c| !dirs.contains(c)).cloned());

    let mut locator = Locator::new(&dirs, cache.clone());
    let ids: Vec<ModuleId> = space.modules.iter().map(ModuleId::of).collect();
    let mut located: Vec<_> = space.modules.iter().zip(&ids).map(|(m, id)| locator.locate(id, &m.path)).collect();
    if sources.uses_network() {
        let has_breakpad: Vec<bool> = ids.iter().map(|id| breakpad_file(&breakpad_dirs, id).is_some()).collect();
        warnings.extend(fetch::fetch_missing(&ids, &mut located, &has_breakpad, sources, watch));
        located = located.into_iter().map(locate::finish).collect();
    }

    let mut unwinder = Unwinder::for_cpu(&space.system.cpu);
    let mut out = Loaded {
        status: Vec::new(),
        tables: HashMap::new(),
        lines: HashMap::new(),
        unwinder: None,
        breakpad_dirs: Vec::new(),
        warnings,
    };
    for (i, ((m, id), found)) in space.modules.iter().zip(&ids).zip(located).enumerate() {
        let mut st = ModuleSymbols { module_index: i, files: Vec::new(), problems: found.refused };
        if let Some(sym) = breakpad_file(&breakpad_dirs, id) {
            let origin = match &found.breakpad_url {
                Some(_) => "symbol server",
                None if cache.as_ref().is_some_and(|c| sym.starts_with(c)) => "symbol cache",
                None => "symbol folder",
            };
            st.files.push(SymbolFileUse {
                kind: "breakpad",
                path: sym.display().to_string(),
                origin,
                gives: vec!["functions", "lines", "unwind"],
                url: found.breakpad_url.clone(),
            });
        }
        let mut table: Option<FunctionTable> = None;
        if let Some(debug) = &found.debug {
            let mut gives = Vec::new();
            let loaded = match debug.id {
                FileId::Pdb { .. } => {
                    FunctionTable::from_pdb(&debug.file).map(|t| (t, Some(Lines::Pdb(debug.file.clone()))))
                }
                _ => FunctionTable::from_object(&debug.file).and_then(|t| Ok((t, Lines::dwarf(&debug.file)?))),
            };
            match loaded {
                Ok((t, lines)) => {
                    if !t.is_empty() {
                        gives.push("functions");
                        table = Some(t);
                    }
                    if let Some(l) = lines {
                        gives.push("lines");
                        out.lines.insert(i, l);
                    }
                }
                Err(e) => st.problems.push(format!("{}: {e}", debug.file.path.display())),
            }
            st.files.push(use_of(debug, gives));
        }
        if let Some(binary) = &found.binary {
            let same_file = found.debug.as_ref().is_some_and(|d| d.file.path == binary.file.path);
            let mut gives = Vec::new();
            if let Some(u) = unwinder.as_mut()
                && u.add(&binary.file, m.base_addr, m.size_bytes)
            {
                gives.push("unwind");
            }
            if table.is_none() {
                match FunctionTable::from_object(&binary.file) {
                    Ok(t) if !t.is_empty() => {
                        gives.push("functions");
                        table = Some(t);
                    }
                    Ok(_) => {}
                    Err(e) => st.problems.push(format!("{}: {e}", binary.file.path.display())),
                }
            }
            match (same_file, st.files.iter_mut().find(|f| f.path == binary.file.path.display().to_string())) {
                (true, Some(f)) => f.gives.extend(gives),
                _ => st.files.push(use_of(binary, gives)),
            }
        }
        if let Some(t) = table {
            out.tables.insert(m.base_addr, t);
        }
        out.status.push(st);
    }
    out.unwinder = unwinder;
    out.breakpad_dirs = breakpad_dirs;
    out
}

/// The Breakpad `.sym` file minidump-unwind's supplier will read for the
/// module: `DEBUGFILE/DEBUGID/STEM.sym` in the first folder that has it.
fn breakpad_file(dirs: &[PathBuf], id: &ModuleId) -> Option<PathBuf> {
    let [file, key, sym] = id.breakpad_components()?;
    dirs.iter().map(|d| d.join(&file).join(&key).join(&sym)).find(|p| p.is_file())
}

/// "pe" and "elf" for binaries, "pdb" and "debug" (a separate ELF debug file).
fn kind_of(id: &FileId) -> &'static str {
    match id {
        FileId::Pe { .. } => "pe",
        FileId::Pdb { .. } => "pdb",
        FileId::Elf { has_code: true, .. } => "elf",
        FileId::Elf { .. } => "debug",
    }
}

fn use_of(found: &Found, gives: Vec<&'static str>) -> SymbolFileUse {
    SymbolFileUse {
        kind: kind_of(&found.id),
        path: found.file.path.display().to_string(),
        origin: found.origin.name(),
        gives,
        url: found.url.clone(),
    }
}

/// The symbol status of every module without walking (for `modules`):
/// what a walk with `sources` finds, downloads and loads, and the warnings.
pub fn find_symbols(space: &AddressSpace, sources: &SymbolSources) -> (Vec<ModuleSymbols>, Vec<String>) {
    let loaded = load(space, sources, None);
    (loaded.status, loaded.warnings)
}

/// Everything memscape reads from one symbol file, on any bytes (the fuzz
/// target `symbol_file`): its identity, function table, source lines and
/// unwind tables, or, for a Breakpad `.sym`, minidump-unwind's parse.
/// Returns how many functions it found.
#[doc(hidden)]
pub fn read_any_symbol_file(path: &Path) -> usize {
    let Ok(file) = mapped::SymbolFile::open(path) else { return 0 };
    if file.bytes().starts_with(b"MODULE ") {
        let parsed =
            guard::guarded(|| minidump_unwind::SymbolFile::from_bytes(file.bytes()).map_err(|e| e.to_string()));
        return parsed.map_or(0, |s| s.functions.ranges_values().count());
    }
    let Some(id) = identity::identify(file.bytes()) else { return 0 };
    let (table, lines) = match id {
        FileId::Pdb { .. } => (FunctionTable::from_pdb(&file).ok(), Some(Lines::Pdb(file.clone()))),
        _ => (FunctionTable::from_object(&file).ok(), Lines::dwarf(&file).ok().flatten()),
    };
    let functions = table.as_ref().map_or(&[][..], |t| t.functions());
    if let Some(lines) = lines {
        let mut rvas: Vec<u64> = functions.iter().take(64).map(|f| f.start).collect();
        rvas.extend([0, 1, u64::MAX]);
        let _ = lines.describe(&rvas);
    }
    if let Some(mut u) = Unwinder::for_cpu("amd64") {
        let _ = u.add(&file, 0x1_0000_0000, 0x1000_0000);
    }
    functions.len()
}
