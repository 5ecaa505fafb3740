//! Where a walk's symbols may come from, gathered from the command line, the
//! window's settings and the environment: local folders, symbol servers
//! (symstore layout over HTTP), debuginfod servers, and the cache downloads
//! land in. `_NT_SYMBOL_PATH` is read as WinDbg reads it and
//! `DEBUGINFOD_URLS` as gdb and elfutils read it; both are parsed here
//! (WinDbg's grammar has no maintained Rust parser) as pure functions of the
//! text, so the tests need no environment.

use std::path::PathBuf;
use std::time::Duration;

/// The server WinDbg means by a bare `srv*`: Microsoft's public symbols.
pub const MICROSOFT_SYMBOL_SERVER: &str = "https://msdl.microsoft.com/download/symbols";

/// Limits on every download (a server's answer is untrusted input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadLimits {
    /// The most bytes one file may have (declared or received).
    pub max_bytes: u64,
    /// Connecting (and resolving) one server.
    pub connect: Duration,
    /// The longest wait for any one read (headers or body).
    pub idle: Duration,
    /// One file from request to last byte, redirects included: a server that
    /// drips a byte a second is cut off here.
    pub total: Duration,
    /// Redirects followed per file.
    pub max_redirects: u32,
}

impl Default for DownloadLimits {
    fn default() -> DownloadLimits {
        DownloadLimits {
            // Big PDBs (browsers' main DLLs) run to a few GiB.
            max_bytes: 4 << 30,
            connect: Duration::from_secs(5),
            idle: Duration::from_secs(20),
            total: Duration::from_secs(600),
            max_redirects: 5,
        }
    }
}

/// The symbol sources of a walk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SymbolSources {
    /// Local folders, searched in order (Breakpad, symstore, `.build-id`, flat).
    pub dirs: Vec<PathBuf>,
    /// Symbol servers: `URL/name.pdb/KEY/name.pdb` and the like.
    pub servers: Vec<String>,
    /// debuginfod servers: `URL/buildid/ID/debuginfo`.
    pub debuginfod: Vec<String>,
    /// Where downloads land (a symstore and `.build-id` tree, searched like a
    /// folder); `None`: [`default_cache_dir`], searched only when a server
    /// is named.
    pub cache: Option<PathBuf>,
    pub limits: DownloadLimits,
}

impl SymbolSources {
    /// Whether anything may be downloaded.
    pub fn uses_network(&self) -> bool {
        !self.servers.is_empty() || !self.debuginfod.is_empty()
    }

    /// The cache folder downloads land in.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache.clone().unwrap_or_else(default_cache_dir)
    }

    /// Adds what `_NT_SYMBOL_PATH` says (after what is already there);
    /// returns what could not be understood.
    pub fn add_nt_symbol_path(&mut self, text: &str) -> Vec<String> {
        let parsed = parse_nt_symbol_path(text);
        for d in parsed.dirs {
            push_new(&mut self.dirs, d);
        }
        for s in parsed.servers {
            push_new(&mut self.servers, s);
        }
        if self.cache.is_none() {
            self.cache = parsed.cache;
        }
        parsed.problems
    }

    /// Adds the servers `DEBUGINFOD_URLS` names.
    pub fn add_debuginfod_urls(&mut self, text: &str) {
        for u in parse_debuginfod_urls(text) {
            push_new(&mut self.debuginfod, u);
        }
    }

    /// The sources the user named (command line or settings), then what
    /// the environment adds ([`SymbolSources::add_environment`]); what the
    /// environment says that is not understood is logged as a warning.
    pub fn named_then_environment(
        dirs: Vec<PathBuf>,
        servers: Vec<String>,
        debuginfod: Vec<String>,
        cache: Option<PathBuf>,
    ) -> SymbolSources {
        let mut s = SymbolSources { dirs, servers, debuginfod, cache, ..SymbolSources::default() };
        for problem in s.add_environment() {
            log::warn!("{problem}");
        }
        s
    }

    /// Adds what the environment says: `_NT_SYMBOL_PATH` (after
    /// `_NT_ALT_SYMBOL_PATH`, which WinDbg searches first) and
    /// `DEBUGINFOD_URLS`. Returns warnings about what was not understood.
    pub fn add_environment(&mut self) -> Vec<String> {
        let mut problems = Vec::new();
        for var in ["_NT_ALT_SYMBOL_PATH", "_NT_SYMBOL_PATH"] {
            if let Some(v) = std::env::var_os(var) {
                let v = v.to_string_lossy();
                problems.extend(self.add_nt_symbol_path(&v).into_iter().map(|p| format!("{var}: {p}")));
            }
        }
        if let Some(v) = std::env::var_os("DEBUGINFOD_URLS") {
            self.add_debuginfod_urls(&v.to_string_lossy());
        }
        problems
    }
}

fn push_new<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// memscape's cache folder for downloaded symbols: `$XDG_CACHE_HOME/memscape/symbols`,
/// else `~/.cache/memscape/symbols` (`%LOCALAPPDATA%\memscape\symbols` on
/// Windows), else under the temporary folder.
pub fn default_cache_dir() -> PathBuf {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = if cfg!(windows) {
        var("LOCALAPPDATA")
    } else {
        var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|h| h.join(".cache")))
    };
    base.unwrap_or_else(std::env::temp_dir).join("memscape").join("symbols")
}

/// What one `_NT_SYMBOL_PATH` says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NtSymbolPath {
    /// Plain folders, `srv*DIR` stores and the downstream stores of `srv*`
    /// entries (already downloaded files live there).
    pub dirs: Vec<PathBuf>,
    pub servers: Vec<String>,
    /// The first downstream store or `cache*` folder: where downloads go.
    pub cache: Option<PathBuf>,
    /// Entries that were skipped, with why.
    pub problems: Vec<String>,
}

/// Parses a WinDbg symbol path: `;`-separated entries, each
/// - `srv*[STORE*...]URL` or `symsrv*symsrv.dll*[STORE*...]URL`: a server,
///   its downloads kept in the first STORE (the default cache when none);
///   `srv*` alone is Microsoft's server, as in WinDbg;
/// - `srv*STORE` with no URL: a local symstore;
/// - `cache*[DIR]`: a cache folder (the default cache when empty);
/// - anything else: a folder (or, leniently, a server when it is a URL).
pub fn parse_nt_symbol_path(text: &str) -> NtSymbolPath {
    let mut out = NtSymbolPath::default();
    for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let parts: Vec<&str> = entry.split('*').map(str::trim).collect();
        let head = parts[0].to_ascii_lowercase();
        match head.as_str() {
            "srv" => server_entry(&parts[1..], &mut out),
            "symsrv" if parts.len() >= 2 => server_entry(&parts[2..], &mut out),
            "cache" => {
                let dir = parts.get(1).filter(|d| !d.is_empty()).map(PathBuf::from).unwrap_or_else(default_cache_dir);
                if out.cache.is_none() {
                    out.cache = Some(dir.clone());
                }
                push_new(&mut out.dirs, dir);
            }
            _ if parts.len() > 1 => out.problems.push(format!("'{entry}' is not a symbol path entry memscape knows")),
            _ if is_url(entry) => push_new(&mut out.servers, entry.to_string()),
            _ => push_new(&mut out.dirs, PathBuf::from(entry)),
        }
    }
    out
}

/// `srv*` entries after the keyword: stores, then (optionally) a URL.
fn server_entry(parts: &[&str], out: &mut NtSymbolPath) {
    let parts: Vec<&str> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
    let (stores, url) = match parts.split_last() {
        Some((last, stores)) if is_url(last) => (stores, Some(last.to_string())),
        _ => (&parts[..], None),
    };
    if stores.iter().any(|s| is_url(s)) {
        out.problems.push(format!("'srv*{}': only the last element may be a server", parts.join("*")));
    }
    let stores: Vec<PathBuf> = stores.iter().filter(|s| !is_url(s)).map(PathBuf::from).collect();
    // `srv*` and `srv*STORE` with nothing else: WinDbg's default server.
    let url = match (&url, parts.is_empty()) {
        (Some(u), _) => Some(u.clone()),
        (None, true) => Some(MICROSOFT_SYMBOL_SERVER.to_string()),
        (None, false) => None,
    };
    if let Some(u) = url {
        if out.cache.is_none() {
            out.cache = stores.first().cloned();
        }
        push_new(&mut out.servers, u);
    }
    for s in stores {
        push_new(&mut out.dirs, s);
    }
}

/// Whether `s` names an HTTP(S) server.
pub fn is_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// `DEBUGINFOD_URLS`: URLs separated by spaces (elfutils also accepts
/// commas and newlines); anything that is not http(s) is skipped.
pub fn parse_debuginfod_urls(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for u in text.split([' ', ',', '\n', '\t']).filter(|u| is_url(u)) {
        push_new(&mut out, u.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windbg_symbol_paths() {
        let p = parse_nt_symbol_path(r"srv*C:\sym*https://msdl.example/download/symbols; D:\build ;cache*E:\c");
        assert_eq!(p.servers, vec!["https://msdl.example/download/symbols".to_string()]);
        assert_eq!(p.cache, Some(PathBuf::from(r"C:\sym")));
        assert_eq!(p.dirs, vec![PathBuf::from(r"C:\sym"), PathBuf::from(r"D:\build"), PathBuf::from(r"E:\c")]);
        assert!(p.problems.is_empty());

        let p = parse_nt_symbol_path("SRV*http://a/;symsrv*symsrv.dll*/s1*/s2*https://b/");
        assert_eq!(p.servers, vec!["http://a/".to_string(), "https://b/".to_string()]);
        assert_eq!(p.cache, Some(PathBuf::from("/s1")), "the first store named takes the downloads");
        assert_eq!(p.dirs, vec![PathBuf::from("/s1"), PathBuf::from("/s2")]);

        let p = parse_nt_symbol_path("srv*");
        assert_eq!(p.servers, vec![MICROSOFT_SYMBOL_SERVER.to_string()]);
        let p = parse_nt_symbol_path("srv*/local/store");
        assert!(p.servers.is_empty(), "a store alone is a folder, not the network");
        assert_eq!(p.dirs, vec![PathBuf::from("/local/store")]);

        let p = parse_nt_symbol_path("bogus*thing;;  ;https://c/");
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.servers, vec!["https://c/".to_string()]);
    }

    #[test]
    fn debuginfod_urls() {
        assert_eq!(
            parse_debuginfod_urls("https://a/  http://b/ ftp://c/ https://a/"),
            vec!["https://a/".to_string(), "http://b/".to_string()]
        );
        assert!(parse_debuginfod_urls("").is_empty());
    }

    #[test]
    fn sources_merge_without_repeats() {
        let mut s = SymbolSources::default();
        assert!(!s.uses_network(), "no network unless a server is named");
        s.servers.push("https://x/".into());
        s.add_nt_symbol_path("srv*/cache*https://x/;/dir");
        assert_eq!(s.servers, vec!["https://x/".to_string()]);
        assert_eq!(s.cache, Some(PathBuf::from("/cache")));
        s.add_debuginfod_urls("https://d/");
        assert!(s.uses_network());
    }
}
