//! Recently opened dumps, kept across runs in a small text file (one path per
//! line) under the user's config directory, or $MEMSCAPE_CONFIG_DIR.

use std::path::{Path, PathBuf};

const MAX_RECENT: usize = 10;

#[derive(Debug, Default)]
pub struct RecentFiles {
    paths: Vec<PathBuf>,
    /// Where the list is kept; None keeps it in memory only (tests).
    store: Option<PathBuf>,
}

fn default_store() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("MEMSCAPE_CONFIG_DIR") {
        return Some(PathBuf::from(dir).join("recent.txt"));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("memscape").join("recent.txt"))
}

impl RecentFiles {
    /// The list from the user's config directory.
    pub fn load() -> RecentFiles {
        let store = default_store();
        let paths = store
            .as_deref()
            .and_then(|s| std::fs::read_to_string(s).ok())
            .map(|text| text.lines().filter(|l| !l.trim().is_empty()).map(PathBuf::from).take(MAX_RECENT).collect())
            .unwrap_or_default();
        RecentFiles { paths, store }
    }

    /// A list that is never written to disk.
    pub fn in_memory() -> RecentFiles {
        RecentFiles::default()
    }

    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }

    /// Moves `path` to the front and saves the list (best effort: a read-only
    /// home directory must not stop anyone from opening dumps).
    pub fn add(&mut self, path: &Path) {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.paths.retain(|p| *p != path);
        self.paths.insert(0, path);
        self.paths.truncate(MAX_RECENT);
        if let Some(store) = &self.store {
            if let Some(dir) = store.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let text: String = self.paths.iter().map(|p| format!("{}\n", p.display())).collect();
            let _ = std::fs::write(store, text);
        }
    }
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
