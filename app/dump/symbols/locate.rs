//! Finding a module's binary and debug file on disk. Each symbol folder is
//! searched, in the order given, as
//! - a symstore tree: `app.pdb/GUIDAGE/app.pdb`, `app.exe/TIMESTAMPSIZE/app.exe`;
//! - a `.build-id` tree: `.build-id/ab/cdef….debug` (debug file) and
//!   `.build-id/ab/cdef…` (the binary);
//! - a flat folder of PE, PDB, ELF and `.debug` files, indexed once by the
//!   identity in each file's headers (so a renamed file is still found);
//!
//! then memscape's download cache (as trees), then the system's `/usr/lib/debug` (distribution debug packages, as gdb
//! reads them), then the module's own path as the dump records it and, for a
//! PE, the PDB path its CodeView record names. Every candidate's identity is
//! checked ([`ModuleId::matches`]); a name alone never matches. (Breakpad
//! `.sym` trees are searched by minidump-unwind's own supplier.)

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::identity::{FileId, ModuleId, identify};
use super::mapped::SymbolFile;

/// Files indexed per flat folder at most: a folder of a million files is
/// somebody's mistake, and sniffing each would stall the walk.
pub const MAX_FLAT_FILES: usize = 20_000;

/// Where a file was found, in words for the modules table and JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Symstore,
    BuildIdTree,
    Folder,
    SystemDebug,
    ModulePath,
    PdbPath,
    /// memscape's download cache (a symstore and `.build-id` tree).
    Cache,
    /// Downloaded in this walk.
    SymbolServer,
    Debuginfod,
}

impl Origin {
    pub fn name(self) -> &'static str {
        match self {
            Origin::Symstore => "symstore tree",
            Origin::BuildIdTree => ".build-id tree",
            Origin::Folder => "symbol folder",
            Origin::SystemDebug => "system debug folder",
            Origin::ModulePath => "module path",
            Origin::PdbPath => "PDB path in the module",
            Origin::Cache => "symbol cache",
            Origin::SymbolServer => "symbol server",
            Origin::Debuginfod => "debuginfod",
        }
    }
}

/// A file found for a module, mapped, its identity checked.
#[derive(Clone, Debug)]
pub struct Found {
    pub file: SymbolFile,
    pub id: FileId,
    pub origin: Origin,
    /// Where it was downloaded from, in this walk.
    pub url: Option<String>,
}

/// What was found for one module.
#[derive(Clone, Debug, Default)]
pub struct Located {
    /// The executable image (unwind tables, symbol tables, exports; DWARF too
    /// when it was not stripped).
    pub binary: Option<Found>,
    /// A PDB, or an ELF file holding DWARF (a `.debug` file or the binary itself).
    pub debug: Option<Found>,
    /// Files that were looked at and refused, with why (identity mismatch,
    /// unreadable): shown in the module's symbol status.
    pub refused: Vec<String>,
    /// The URL a Breakpad `.sym` file was downloaded from, in this walk.
    pub breakpad_url: Option<String>,
}

/// The system's debug folder (Debian, Fedora, ...).
const SYSTEM_DEBUG_DIR: &str = "/usr/lib/debug";

/// Searches symbol folders; flat folders are indexed on first use.
pub struct Locator {
    dirs: Vec<PathBuf>,
    /// The download cache, searched as trees (never indexed: it grows).
    cache: Option<PathBuf>,
    system_debug: Option<PathBuf>,
    index: HashMap<PathBuf, Vec<(PathBuf, FileId)>>,
}

impl Locator {
    pub fn new(dirs: &[PathBuf], cache: Option<PathBuf>) -> Locator {
        let system = PathBuf::from(SYSTEM_DEBUG_DIR);
        let dirs = dirs.iter().filter(|d| Some(*d) != cache.as_ref()).cloned().collect();
        Locator { dirs, cache, system_debug: system.is_dir().then_some(system), index: HashMap::new() }
    }

    /// Finds `m`'s binary and debug file (`module_path`: its path in the dump).
    pub fn locate(&mut self, m: &ModuleId, module_path: &str) -> Located {
        let mut out = Located::default();
        for dir in &self.dirs {
            search_trees(dir, m, Origin::Symstore, &mut out);
            if out.binary.is_some() && out.debug.is_some() {
                return finish(out);
            }
            let entries = self.index.entry(dir.clone()).or_insert_with(|| index_folder(dir));
            search_flat(entries, m, &mut out);
        }
        if let Some(cache) = &self.cache {
            search_trees(cache, m, Origin::Cache, &mut out);
        }
        if let Some(sys) = &self.system_debug {
            search_trees(sys, m, Origin::SystemDebug, &mut out);
        }
        if out.binary.is_none() && !module_path.is_empty() {
            let p = Path::new(module_path);
            if p.is_absolute() && p.is_file() {
                consider(p, m, Origin::ModulePath, &mut out);
            }
        }
        if out.debug.is_none()
            && let Some(Found { id: FileId::Pe { .. }, file, .. }) = &out.binary
            && let Some(pdb_path) = pdb_path_of(file)
        {
            let p = Path::new(&pdb_path);
            if p.is_absolute() && p.is_file() {
                consider(p, m, Origin::PdbPath, &mut out);
            }
        }
        finish(out)
    }
}

/// The structured layouts under `dir`: symstore and `.build-id`.
fn search_trees(dir: &Path, m: &ModuleId, origin: Origin, out: &mut Located) {
    if out.binary.is_none()
        && let (Some(name), Some(key)) = (&m.code_name, &m.code_key)
    {
        for k in [key.clone(), key.to_ascii_uppercase()] {
            consider(&dir.join(name).join(&k).join(name), m, origin, out);
        }
    }
    if out.debug.is_none()
        && let (Some(name), Some(key)) = (&m.pdb_name, m.pdb_key())
    {
        consider(&dir.join(name).join(&key).join(name), m, origin, out);
    }
    if let Some(b) = &m.build_id
        && b.len() > 2
    {
        let tree = dir.join(".build-id").join(&b[..2]);
        let tree_origin = if origin == Origin::Symstore { Origin::BuildIdTree } else { origin };
        if out.debug.is_none() {
            consider(&tree.join(format!("{}.debug", &b[2..])), m, tree_origin, out);
        }
        if out.binary.is_none() {
            consider(&tree.join(&b[2..]), m, tree_origin, out);
        }
    }
}

/// A flat folder's files (`entries`, its index), by identity.
fn search_flat(entries: &[(PathBuf, FileId)], m: &ModuleId, out: &mut Located) {
    for (path, id) in entries.iter() {
        if m.matches(id) {
            consider(path, m, Origin::Folder, out);
        } else if let Some(name) = path.file_name().and_then(|n| n.to_str())
            && [&m.code_name, &m.pdb_name].iter().any(|n| n.as_deref() == Some(name))
        {
            // Named like the module but another build: say so, it is the
            // first thing a user checks.
            out.refused.push(format!("{}: a different build (identity does not match)", path.display()));
        }
    }
}

/// A found binary that also carries DWARF serves as the debug file.
pub(super) fn finish(mut out: Located) -> Located {
    if out.debug.is_none()
        && let Some(b) = &out.binary
        && matches!(b.id, FileId::Elf { has_dwarf: true, .. })
    {
        out.debug = Some(b.clone());
    }
    out
}

/// Looks at one candidate path and keeps it where it fits.
pub(super) fn consider(path: &Path, m: &ModuleId, origin: Origin, out: &mut Located) {
    if !path.is_file() {
        return;
    }
    let file = match SymbolFile::open(path) {
        Ok(f) => f,
        Err(e) => {
            out.refused.push(format!("{}: {e}", path.display()));
            return;
        }
    };
    let Some(id) = identify(file.bytes()) else {
        out.refused.push(format!("{}: not a PE, PDB or ELF file with an identity", path.display()));
        return;
    };
    if !m.matches(&id) {
        out.refused.push(format!("{}: a different build (identity does not match)", path.display()));
        return;
    }
    let slot = match &id {
        FileId::Pe { .. } => &mut out.binary,
        FileId::Pdb { .. } => &mut out.debug,
        FileId::Elf { has_code: true, .. } => &mut out.binary,
        FileId::Elf { has_dwarf: true, .. } => &mut out.debug,
        FileId::Elf { .. } => return,
    };
    if slot.is_none() {
        *slot = Some(Found { file, id, origin, url: None });
    }
}

/// Every regular file directly in `dir` with an identity (PE, PDB, ELF).
fn index_folder(dir: &Path) -> Vec<(PathBuf, FileId)> {
    let Ok(read) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out = Vec::new();
    for entry in read.flatten().take(MAX_FLAT_FILES) {
        let path = entry.path();
        if !entry.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()) {
            continue;
        }
        if let Ok(file) = SymbolFile::open(&path)
            && let Some(id) = identify(file.bytes())
        {
            out.push((path, id));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The PDB path a PE's CodeView record names.
fn pdb_path_of(file: &SymbolFile) -> Option<String> {
    use object::Object;
    let obj = object::File::parse(file.bytes()).ok()?;
    let cv = obj.pdb_info().ok()??;
    Some(String::from_utf8_lossy(cv.path()).into_owned())
}
