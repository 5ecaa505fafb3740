//! Function names for any address, kept from a stack walk: the walk's
//! symbol provider (Breakpad `.sym` files, then the modules' own function
//! tables) outlives it, so the Memory tab's pointer rows can say
//! `module!function+0x1a` as WinDbg's `dps` does. Only modules whose symbols
//! the walk already loaded are asked (asking another would load a symbol
//! file on the caller's thread, which is the window's).

use std::collections::HashSet;
use std::sync::Arc;

use minidump::Module;
use minidump_unwind::FrameSymbolizer;

use super::symbols::provider::Provider;

/// What a walk knows of function names; empty when nothing was walked.
#[derive(Clone, Default)]
pub struct FunctionNames(Option<Arc<Names>>);

struct Names {
    provider: Provider,
    /// The dump's modules, by base address.
    modules: Vec<minidump::MinidumpModule>,
    /// Leaf names (lower case) of the modules whose Breakpad symbols the walk loaded.
    loaded: HashSet<String>,
}

impl std::fmt::Debug for FunctionNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "FunctionNames(kept)" } else { "FunctionNames(none)" })
    }
}

impl PartialEq for FunctionNames {
    /// The same names only when they are the same kept provider.
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl Eq for FunctionNames {}

/// A frame that only asks for a function.
struct NameFrame {
    instruction: u64,
    function: Option<(String, u64)>,
}

impl FrameSymbolizer for NameFrame {
    fn get_instruction(&self) -> u64 {
        self.instruction
    }

    fn set_function(&mut self, name: &str, base: u64, _parameter_size: u32) {
        self.function = Some((name.to_string(), base));
    }

    fn set_source_file(&mut self, _file: &str, _line: u32, _base: u64) {}
}

fn leaf(path: &str) -> String {
    path.rsplit(['/', '\\']).next().unwrap_or(path).to_ascii_lowercase()
}

impl FunctionNames {
    /// Keeps `provider` after a walk over `modules`.
    pub(crate) fn keep(provider: Provider, mut modules: Vec<minidump::MinidumpModule>) -> FunctionNames {
        let stats = minidump_unwind::SymbolProvider::stats(&provider);
        let loaded = stats
            .into_iter()
            .filter(|(_, s)| s.loaded_symbols && !s.corrupt_symbols)
            .map(|(name, _)| leaf(&name))
            .collect();
        modules.sort_by_key(|m| m.base_address());
        FunctionNames(Some(Arc::new(Names { provider, modules, loaded })))
    }

    /// The function holding `addr` and `addr`'s offset into it, when the
    /// walk's symbols name it.
    pub fn function_at(&self, addr: u64) -> Option<(String, u64)> {
        let names = self.0.as_ref()?;
        let i = names.modules.partition_point(|m| m.base_address() <= addr).checked_sub(1)?;
        let module = &names.modules[i];
        let base = module.base_address();
        if addr >= base.saturating_add(module.size()) {
            return None;
        }
        if let Some(f) = names.provider.tables.get(&base).and_then(|t| t.lookup(addr - base)) {
            return Some((f.name.to_string(), addr - base - f.start));
        }
        if !names.loaded.contains(&leaf(&module.code_file())) {
            return None;
        }
        let mut frame = NameFrame { instruction: addr, function: None };
        // The module's symbols are in the symbolizer's cache: this does not read a file.
        pollster::block_on(names.provider.breakpad.fill_symbol(module, &mut frame)).ok()?;
        let (name, start) = frame.function?;
        Some((name, addr.saturating_sub(start)))
    }
}
