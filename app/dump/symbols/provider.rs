//! The symbol provider the stack walker asks: Breakpad `.sym` files first
//! (minidump-unwind's `Symbolizer`, as before), then the module's own files:
//! function names from its function table, caller frames from its unwind
//! tables (framehop). Frames found through either carry trust `cfi`.

use std::collections::HashMap;
use std::path::PathBuf;

use minidump_unwind::{
    FileError, FileKind, FillSymbolError, FrameSymbolizer, FrameWalker, SymbolProvider, SymbolStats, Symbolizer,
};

use super::functions::FunctionTable;
use super::unwind::Unwinder;

pub struct Provider {
    pub breakpad: Symbolizer,
    /// Function tables by module base address.
    pub tables: HashMap<u64, FunctionTable>,
    pub unwinder: Option<Unwinder>,
}

#[async_trait::async_trait]
impl SymbolProvider for Provider {
    async fn fill_symbol(
        &self,
        module: &(dyn minidump::Module + Sync),
        frame: &mut (dyn FrameSymbolizer + Send),
    ) -> Result<(), FillSymbolError> {
        if self.breakpad.fill_symbol(module, frame).await.is_ok() {
            return Ok(());
        }
        let base = module.base_address();
        let table = self.tables.get(&base).ok_or(FillSymbolError {})?;
        let rva = frame.get_instruction().checked_sub(base).ok_or(FillSymbolError {})?;
        // A module with a function table has symbols even where the address
        // falls between functions: the scanner then rejects the address.
        if let Some(f) = table.lookup(rva) {
            frame.set_function(&f.name, base.saturating_add(f.start), 0);
        }
        Ok(())
    }

    async fn walk_frame(
        &self,
        module: &(dyn minidump::Module + Sync),
        walker: &mut (dyn FrameWalker + Send),
    ) -> Option<()> {
        if let Some(done) = self.breakpad.walk_frame(module, walker).await {
            return Some(done);
        }
        self.unwinder.as_ref()?.unwind_frame(module.base_address(), walker)
    }

    async fn get_file_path(
        &self,
        module: &(dyn minidump::Module + Sync),
        file_kind: FileKind,
    ) -> Result<PathBuf, FileError> {
        self.breakpad.get_file_path(module, file_kind).await
    }

    fn stats(&self) -> HashMap<String, SymbolStats> {
        self.breakpad.stats()
    }
}
