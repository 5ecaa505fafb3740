//! Breakpad symbol files for the demo's modules, so its stack traces name
//! their frames (`ntdll!NtWaitForMultipleObjects+0xa`) out of the box: one
//! `.sym` per module with functions in functions.rs, in the symbol-tree layout
//! memscape and minidump-stackwalk search (`ntdll.pdb/<DEBUG ID>/ntdll.sym`),
//! the debug identity the one the dump's CodeView record carries. They are
//! written beside the demo dump (assets/demo/symbols, kept equal to this by
//! tests/demo_dump.rs). JIT-compiled code has no module and so no symbols.

use super::functions::{FUNCTIONS, MAX_FUNCTION_BYTES};
use super::modules::{MODULES, pdb_id};
use crate::synth::module::PdbId;

/// One symbol file: its path in a symbol tree and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolFile {
    /// `<debug file>/<debug id>/<debug file stem>.sym`, `/`-separated.
    pub path: String,
    pub text: String,
}

/// The Breakpad debug identifier: the GUID's fields in hex, then the age.
fn debug_id(id: &PdbId) -> String {
    let data4: String = id.data4.iter().map(|b| format!("{b:02X}")).collect();
    format!("{:08X}{:04X}{:04X}{data4}{:X}", id.data1, id.data2, id.data3, id.age)
}

/// `module`'s functions as `(start, size, name)`: each runs to the next one's
/// start, at most [`MAX_FUNCTION_BYTES`].
fn functions_of(module: &str) -> Vec<(u32, u32, &'static str)> {
    let starts: Vec<(u32, &str)> =
        FUNCTIONS.iter().filter(|(m, _, _)| *m == module).map(|&(_, start, name)| (start, name)).collect();
    starts
        .iter()
        .enumerate()
        .map(|(i, &(start, name))| {
            let next = starts.get(i + 1).map_or(u32::MAX, |f| f.0);
            (start, (next - start).min(MAX_FUNCTION_BYTES), name)
        })
        .collect()
}

/// Every module's symbol file, in the module table's order.
pub fn symbol_files(seed: u64) -> Vec<SymbolFile> {
    let mut out = Vec::new();
    for def in MODULES {
        let functions = functions_of(def.file);
        if functions.is_empty() {
            continue;
        }
        let debug_file = def.pdb.rsplit(['\\', '/']).next().unwrap_or(def.pdb);
        let stem = debug_file.strip_suffix(".pdb").unwrap_or(debug_file);
        let id = debug_id(&pdb_id(seed, def.file));
        let mut text =
            format!("MODULE windows x86_64 {id} {debug_file}\nINFO CODE_ID {:X} {}\n", def.timestamp, def.file);
        for (start, size, name) in functions {
            text.push_str(&format!("FUNC {start:x} {size:x} 0 {name}\n"));
        }
        out.push(SymbolFile { path: format!("{debug_file}/{id}/{stem}.sym"), text });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::sites::Code;
    use super::*;

    #[test]
    fn every_module_site_is_inside_a_named_function() {
        // The sites are consts; check the ones the threads use through the table.
        let threads = super::super::threads::thread_defs();
        for code in threads.iter().flat_map(|t| t.chain.iter().chain([&t.start])) {
            let Code::In(module, rva) = *code else { continue };
            let inside = functions_of(module).iter().any(|&(start, size, _)| rva >= start && rva - start < size);
            assert!(inside, "{module}+{rva:#x} is in no function of functions.rs");
        }
    }

    #[test]
    fn files_are_breakpad_symbol_files() {
        let files = symbol_files(1);
        assert!(files.iter().any(|f| f.path.starts_with("ntdll.pdb/") && f.path.ends_with("/ntdll.sym")));
        for f in &files {
            assert!(f.text.starts_with("MODULE windows x86_64 "), "{}", f.path);
            assert!(f.text.lines().skip(2).all(|l| l.starts_with("FUNC ")), "{}", f.path);
        }
    }
}
