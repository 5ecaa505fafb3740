//! Recently opened dumps, kept across runs in eframe's storage (under
//! [`STORAGE_KEY`]): the app loads them from `CreationContext::storage` and
//! writes them back in `App::save`, so they live where eframe keeps an app's
//! state on each system (or under `MEMSCAPE_CONFIG_DIR`, see
//! [`persistence_path`]).

use std::path::{Path, PathBuf};
use std::sync::Once;

use serde::{Deserialize, Serialize};

const MAX_RECENT: usize = 10;

/// The key the list is stored under.
pub const STORAGE_KEY: &str = "memscape.recent";

/// The most recently opened dumps, newest first, without duplicates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecentFiles {
    paths: Vec<PathBuf>,
}

impl RecentFiles {
    /// The list kept in `storage`; empty when there is none (a warning is
    /// logged once: nothing will be kept across runs).
    pub fn from_storage(storage: Option<&dyn eframe::Storage>) -> RecentFiles {
        let Some(storage) = storage else {
            warn_no_storage();
            return RecentFiles::default();
        };
        let mut r: RecentFiles = eframe::get_value(storage, STORAGE_KEY).unwrap_or_default();
        r.paths.retain(|p| !p.as_os_str().is_empty());
        r.paths.truncate(MAX_RECENT);
        r
    }

    /// Writes the list into `storage` (eframe flushes it to disk and logs a failure).
    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, self);
    }

    /// An empty list (tests; the app saves whatever list it holds in `App::save`).
    pub fn in_memory() -> RecentFiles {
        RecentFiles::default()
    }

    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Moves `path` to the front (made absolute where it can be).
    pub fn add(&mut self, path: &Path) {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.paths.retain(|p| *p != path);
        self.paths.insert(0, path);
        self.paths.truncate(MAX_RECENT);
    }
}

/// Logs, once per run, that settings and recent files are not kept.
pub(crate) fn warn_no_storage() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| log::warn!("no storage for the app's state: recent files and symbol settings will not be kept"));
}

/// Where eframe should keep the app's state: `$MEMSCAPE_CONFIG_DIR/app.ron`
/// when that variable is set (tests, portable setups), else None (eframe's
/// place on each system: `~/.local/share/memscape`, `%APPDATA%\memscape\data`,
/// `~/Library/Application Support/memscape`). For
/// `NativeOptions::persistence_path`, which eframe takes as the file itself.
pub fn persistence_path() -> Option<PathBuf> {
    std::env::var_os("MEMSCAPE_CONFIG_DIR").filter(|d| !d.is_empty()).map(|d| PathBuf::from(d).join("app.ron"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_recent_first_without_duplicates() {
        let mut r = RecentFiles::in_memory();
        for p in ["/a.dmp", "/b.dmp", "/a.dmp"] {
            r.add(Path::new(p));
        }
        assert_eq!(r.paths(), &[PathBuf::from("/a.dmp"), PathBuf::from("/b.dmp")]);
        for i in 0..20 {
            r.add(Path::new(&format!("/{i}.dmp")));
        }
        assert_eq!(r.paths().len(), MAX_RECENT);
    }
}
