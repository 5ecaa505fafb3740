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
//! minidump-unwind's own `Symbolizer` first (provider.rs).

mod functions;
mod identity;
mod lines;
mod locate;
mod mapped;
mod provider;
mod unwind;

use std::collections::HashMap;
use std::path::PathBuf;

pub(crate) use functions::FunctionTable;
pub use identity::{ModuleId, code_key, guid_string, safe_component};
pub use lines::Described;
pub(crate) use lines::Lines;
pub use locate::MAX_FLAT_FILES;

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
    /// "unwind only" or "no symbols".
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
        } else {
            "no symbols"
        }
    }

    /// The files and problems, a line each (the modules table's hover text).
    pub fn describe(&self) -> String {
        let mut lines: Vec<String> = self
            .files
            .iter()
            .map(|f| format!("{} ({}, {}): {}", f.path, f.kind, f.origin, f.gives.join(", ")))
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
}

/// Finds and loads the symbol files of every module of `space` from `dirs`.
pub(crate) fn load(space: &AddressSpace, dirs: &[PathBuf]) -> Loaded {
    let mut locator = Locator::new(dirs);
    let mut unwinder = Unwinder::for_cpu(&space.system.cpu);
    let mut out = Loaded { status: Vec::new(), tables: HashMap::new(), lines: HashMap::new(), unwinder: None };
    for (i, m) in space.modules.iter().enumerate() {
        let id = ModuleId::of(m);
        let found = locator.locate(&id, &m.path);
        let mut st = ModuleSymbols { module_index: i, files: Vec::new(), problems: found.refused };
        if let Some(sym) = breakpad_file(dirs, m, &id) {
            st.files.push(SymbolFileUse {
                kind: "breakpad",
                path: sym.display().to_string(),
                origin: "symbol folder",
                gives: vec!["functions", "lines", "unwind"],
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
            match (same_file, st.files.first_mut()) {
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
    out
}

/// The Breakpad `.sym` file minidump-unwind's supplier will read for `m`:
/// `DEBUGFILE/DEBUGID/STEM.sym` in the first folder that has it.
fn breakpad_file(dirs: &[PathBuf], m: &crate::dump::Module, id: &ModuleId) -> Option<PathBuf> {
    let debug_id = m.debug_id.as_deref().filter(|d| d.chars().all(|c| c.is_ascii_alphanumeric()))?;
    let debug_file = id.pdb_name.as_ref().or(id.code_name.as_ref())?;
    let stem = debug_file.strip_suffix(".pdb").or_else(|| debug_file.strip_suffix(".PDB")).unwrap_or(debug_file);
    dirs.iter().map(|d| d.join(debug_file).join(debug_id).join(format!("{stem}.sym"))).find(|p| p.is_file())
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
    }
}

/// The symbol status of every module without walking (for `modules`):
/// what would be found and loaded for a walk with `dirs`.
pub fn find_symbols(space: &AddressSpace, dirs: &[PathBuf]) -> Vec<ModuleSymbols> {
    load(space, dirs).status
}
