//! Function tables: start, end and name of every function a module's symbol
//! file knows, by module-relative address. The stack walker asks them during
//! the walk (is this scanned address inside a function? which one?), so they
//! are plain sorted vectors, shareable between threads; line numbers and
//! inlined frames are looked up after the walk (lines.rs).
//!
//! Sources, best first: a PDB's procedures and public symbols
//! (pdb-addr2line); an ELF file's `.symtab`, else `.dynsym`; a PE's exports
//! (names only, each assumed to run to the next one, as WinDbg does when it
//! has nothing better).

use std::borrow::Cow;
use std::io::Cursor;

use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};

use super::mapped::SymbolFile;
use super::unwind::base_svma;

/// Functions kept per module at most (the biggest PDBs hold ~2M).
pub const MAX_FUNCTIONS: usize = 8_000_000;

/// Refuses a PDB whose type (TPI) or id (IPI) stream claims more records
/// than its bytes can hold: pdb2 sizes a vector by that claim before reading
/// a record (the `symbol_file` fuzz target made it ask for 2 GiB from a
/// 70 KB file). A record takes at least 4 bytes (its length and kind).
pub(crate) fn check_pdb_counts(bytes: &[u8]) -> Result<(), String> {
    use pdb_addr2line::pdb::{PDB, StreamIndex};
    let mut pdb = PDB::open(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    for (what, index) in [("type (TPI)", 2u16), ("id (IPI)", 4u16)] {
        let count = match index {
            2 => pdb.type_information().map(|t| t.len()),
            _ => pdb.id_information().map(|t| t.len()),
        };
        // A PDB without the stream: pdb-addr2line says so itself.
        let Ok(count) = count else { continue };
        let len = pdb.raw_stream(StreamIndex(index)).ok().flatten().map_or(0, |s| s.as_slice().len());
        if count > len / 4 {
            return Err(format!("its {what} stream claims {count} records in {len} bytes"));
        }
    }
    Ok(())
}

/// PDB function names as WinDbg's stacks show them: no return type, no arguments.
pub const PDB_NAME_FLAGS: pdb_addr2line::TypeFormatterFlags =
    pdb_addr2line::TypeFormatterFlags::NO_FUNCTION_RETURN.union(pdb_addr2line::TypeFormatterFlags::NO_ARGUMENTS);

/// One function; addresses relative to the module's base.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    pub start: u64,
    /// Exclusive; `None` when the symbol file does not say.
    pub end: Option<u64>,
    pub name: Box<str>,
}

/// A module's functions, sorted by start.
#[derive(Clone, Debug, Default)]
pub struct FunctionTable {
    functions: Vec<Function>,
}

impl FunctionTable {
    /// `limit`: where the last function without a size ends (a PE's `.text` end).
    fn new(mut functions: Vec<Function>, limit: Option<u64>) -> FunctionTable {
        functions.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| b.end.cmp(&a.end)));
        functions.dedup_by(|b, a| a.start == b.start);
        // A function without a size runs to the next one.
        for i in 0..functions.len().saturating_sub(1) {
            if functions[i].end.is_none() {
                functions[i].end = Some(functions[i + 1].start);
            }
        }
        if let Some(last) = functions.last_mut()
            && last.end.is_none()
        {
            last.end = limit.filter(|l| *l > last.start);
        }
        FunctionTable { functions }
    }

    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }

    /// Every function, by start.
    pub fn functions(&self) -> &[Function] {
        &self.functions
    }

    /// The function holding module-relative address `rva`.
    pub fn lookup(&self, rva: u64) -> Option<&Function> {
        let i = self.functions.partition_point(|f| f.start <= rva).checked_sub(1)?;
        let f = &self.functions[i];
        f.end.is_none_or(|end| rva < end).then_some(f)
    }

    /// A PDB's functions (procedures, then public symbols for the rest).
    pub(crate) fn from_pdb(file: &SymbolFile) -> Result<FunctionTable, String> {
        super::guard::guarded(|| FunctionTable::from_pdb_unguarded(file))
    }

    fn from_pdb_unguarded(file: &SymbolFile) -> Result<FunctionTable, String> {
        check_pdb_counts(file.bytes())?;
        let pdb = pdb_addr2line::pdb::PDB::open(Cursor::new(file.bytes())).map_err(|e| e.to_string())?;
        let data = pdb_addr2line::ContextPdbData::try_from_pdb(pdb).map_err(|e| e.to_string())?;
        let ctx =
            data.make_context_with_formatter_flags(super::functions::PDB_NAME_FLAGS).map_err(|e| e.to_string())?;
        let functions = ctx
            .functions()
            .take(MAX_FUNCTIONS)
            .filter_map(|f| {
                Some(Function {
                    start: u64::from(f.start_rva),
                    end: f.end_rva.map(u64::from),
                    name: undecorate(&f.name?).into(),
                })
            })
            .collect();
        Ok(FunctionTable::new(functions, None))
    }

    /// An ELF file's function symbols (`.symtab`, else `.dynsym`), or a PE's exports.
    pub(crate) fn from_object(file: &SymbolFile) -> Result<FunctionTable, String> {
        super::guard::guarded(|| FunctionTable::from_object_unguarded(file))
    }

    fn from_object_unguarded(file: &SymbolFile) -> Result<FunctionTable, String> {
        let obj = object::File::parse(file.bytes()).map_err(|e| e.to_string())?;
        let base = base_svma(&obj);
        let mut functions: Vec<Function> = Vec::new();
        let mut limit = None;
        let mut take = |addr: u64, size: u64, name: &str| {
            if name.is_empty() || functions.len() >= MAX_FUNCTIONS {
                return;
            }
            let Some(start) = addr.checked_sub(base) else { return };
            let end = (size > 0).then(|| start.saturating_add(size));
            functions.push(Function { start, end, name: demangle(name).into() });
        };
        if matches!(obj, object::File::Pe32(_) | object::File::Pe64(_)) {
            for e in obj.exports().map_err(|e| e.to_string())? {
                take(e.address(), 0, &String::from_utf8_lossy(e.name()));
            }
            // Exports run to the next export, the last one to the end of `.text`.
            limit = obj.section_by_name(".text").and_then(|t| t.address().saturating_add(t.size()).checked_sub(base));
        } else {
            let symtab: Vec<_> = obj.symbols().collect();
            let symbols = if symtab.is_empty() { obj.dynamic_symbols().collect() } else { symtab };
            for s in symbols {
                if s.kind() == SymbolKind::Text && s.is_definition() {
                    take(s.address(), s.size(), s.name().unwrap_or(""));
                }
            }
        }
        Ok(FunctionTable::new(functions, limit))
    }
}

/// C++ and Rust symbol names as people read them.
pub fn demangle(name: &str) -> String {
    addr2line::demangle_auto(Cow::Borrowed(name), None).into_owned()
}

/// An MSVC-decorated public symbol (`?name@@...`) is reduced to its name;
/// a C symbol's leading underscore (x86) is kept, as WinDbg keeps it.
fn undecorate(name: &str) -> String {
    match name.strip_prefix('?') {
        Some(rest) => rest.split("@@").next().unwrap_or(rest).split('@').rev().collect::<Vec<_>>().join("::"),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(start: u64, end: Option<u64>, name: &str) -> Function {
        Function { start, end, name: name.into() }
    }

    #[test]
    fn lookups_respect_ends_and_fill_unknown_ones() {
        let t = FunctionTable::new(vec![f(0x300, None, "c"), f(0x100, Some(0x180), "a"), f(0x200, None, "b")], None);
        assert_eq!(t.lookup(0x100).map(|f| &*f.name), Some("a"));
        assert_eq!(t.lookup(0x17f).map(|f| &*f.name), Some("a"));
        assert_eq!(t.lookup(0x180), None);
        assert_eq!(t.lookup(0x2ff).map(|f| &*f.name), Some("b"));
        assert_eq!(t.lookup(0x5000).map(|f| &*f.name), Some("c"));
        assert_eq!(t.lookup(0xff), None);
        assert_eq!(t.lookup(u64::MAX).map(|f| &*f.name), Some("c"));
    }

    #[test]
    fn msvc_names() {
        assert_eq!(undecorate("?apply@Cart@@QEAAHH@Z"), "Cart::apply");
        assert_eq!(undecorate("main"), "main");
        assert_eq!(demangle("_ZN3foo3barEv"), "foo::bar()");
    }
}
