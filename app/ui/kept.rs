//! What the window keeps across runs: recent files and symbol settings,
//! read from and written to eframe's storage.

use super::recent::RecentFiles;
use super::settings::SymbolSettings;

/// What the window keeps across runs in eframe's storage (where each OS
/// keeps app data; the window's size and place are kept by eframe itself).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Kept {
    pub recent: RecentFiles,
    pub symbols: SymbolSettings,
}

impl Kept {
    /// What `storage` holds; the defaults without one.
    pub fn from_storage(storage: Option<&dyn eframe::Storage>) -> Kept {
        Kept { recent: RecentFiles::from_storage(storage), symbols: SymbolSettings::from_storage(storage) }
    }

    /// Writes it into `storage` (eframe flushes to disk and logs a failure).
    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        self.recent.save(storage);
        self.symbols.save(storage);
    }
}
