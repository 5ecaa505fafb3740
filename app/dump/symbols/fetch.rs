//! Downloading what the local folders lacked, into the symbol cache.
//!
//! For each module still without a debug file or binary, the configured
//! servers are asked, in order, for
//! - symbol servers (symstore layout): `name.pdb/GUIDAGE/name.pdb`, then the
//!   CAB-compressed `name.pd_`; `name.dll/TIMESTAMPSIZE/name.dll` (and
//!   `.dl_`) for the binary; and `DEBUGFILE/DEBUGID/STEM.sym` (Breakpad-style
//!   servers) when no PDB or `.sym` was had;
//! - debuginfod servers: `buildid/ID/debuginfo` and `buildid/ID/executable`.
//!
//! Each answer is written aside in the cache, checked (its identity must be
//! the module's; a `.sym`'s MODULE line must carry its debug id; a CAB must
//! hold one file within the size limit) and only then renamed into the
//! cache's symstore or `.build-id` layout, where later walks find it without
//! the network. Every path component comes from [`ModuleId`]'s checked names
//! and hex keys, so nothing a dump names can leave the cache. Modules are
//! fetched by a few workers at once; a server that is unreachable or too
//! slow once is not asked again in the same walk; a file a server did not
//! have is not asked for again by this process.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use super::download::{Client, DownloadError, url_segment};
use super::identity::{ModuleId, identify};
use super::locate::{Located, Origin, consider};
use super::mapped::SymbolFile;
use super::sources::SymbolSources;

/// Modules fetched at once: symbol servers answer each request slowly
/// (hundreds of ms), and a dump has hundreds of modules.
const WORKERS: usize = 4;

/// What the window sees of the downloads, and its cancel switch.
#[derive(Default)]
pub struct FetchWatch {
    cancel: AtomicBool,
    state: Mutex<FetchState>,
    waker: Option<Box<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for FetchWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchWatch").field("state", &self.state()).finish()
    }
}

/// Where the downloads are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchState {
    /// Modules looked up on the servers, of `modules_total`.
    pub modules_done: usize,
    pub modules_total: usize,
    /// Files being received: (URL, bytes so far, bytes announced).
    pub receiving: Vec<(String, u64, Option<u64>)>,
    /// Files saved into the cache so far.
    pub saved: usize,
    /// Modules (indices into the dump's modules) queued or being looked up.
    pub pending: Vec<usize>,
}

impl FetchWatch {
    /// A watch that calls `waker` on every change (the window's repaint).
    pub fn new(waker: Option<Box<dyn Fn() + Send + Sync>>) -> FetchWatch {
        FetchWatch { waker, ..FetchWatch::default() }
    }

    /// Stops the downloads: the one under way ends at its next read, no
    /// other starts; the walk goes on with what it has.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    pub fn state(&self) -> FetchState {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn update(&self, f: impl FnOnce(&mut FetchState)) {
        if let Ok(mut s) = self.state.lock() {
            f(&mut s);
        }
        if let Some(w) = &self.waker {
            w();
        }
    }
}

/// URLs answered "not found" in this process: a walk after a walk does not
/// ask again (a server that gains the file later is seen by the next run).
fn misses() -> &'static Mutex<HashSet<String>> {
    static MISSES: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    MISSES.get_or_init(Default::default)
}

/// One file to ask for.
struct Want {
    /// Server base URLs to try, in order.
    servers: Vec<String>,
    /// The path under each server, as segments (URL-encoded when asked).
    url: Vec<String>,
    /// Where it lands, as components under the cache.
    dest: Vec<String>,
    check: Check,
    /// A CAB-compressed variant (`name.pd_`) to try when the plain one is missing.
    cab: bool,
}

/// How a downloaded file is checked.
#[derive(Clone, Copy)]
enum Check {
    /// Its identity (PE, PDB, ELF) must be the module's.
    Identity,
    /// A Breakpad `.sym` whose MODULE line carries the module's debug id.
    Breakpad,
}

/// Asks the servers for what each module in `located` lacks, saves it in the
/// cache and adds it to `located`. `has_breakpad[i]`: module i already has a
/// local `.sym` file. Returns server-wide trouble (once per server), for the
/// walk's warnings.
pub(crate) fn fetch_missing(
    ids: &[ModuleId],
    located: &mut [Located],
    has_breakpad: &[bool],
    sources: &SymbolSources,
    watch: Option<&FetchWatch>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let cache = sources.cache_dir();
    let jobs: Vec<usize> = (0..ids.len()).filter(|&i| lacks(&ids[i], &located[i], has_breakpad[i])).collect();
    if jobs.is_empty() {
        return warnings;
    }
    if let Err(e) = std::fs::create_dir_all(&cache) {
        warnings.push(format!("symbol cache {} cannot be made ({e}): nothing downloaded", cache.display()));
        return warnings;
    }
    let ctx = Context {
        client: Client::new(&sources.limits),
        cache,
        sources,
        dead: Mutex::new(Vec::new()),
        never: AtomicBool::new(false),
        watch,
    };
    if let Some(w) = watch {
        w.update(|s| {
            s.modules_total = jobs.len();
            s.pending = jobs.clone();
        });
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Located)>> = Mutex::new(Vec::new());
    let snapshot: Vec<Located> = located.to_vec();
    std::thread::scope(|scope| {
        for _ in 0..WORKERS.min(jobs.len()) {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = jobs.get(k) else { break };
                    let mut found = snapshot[i].clone();
                    ctx.fetch_module(&ids[i], &mut found, has_breakpad[i]);
                    if let Ok(mut r) = results.lock() {
                        r.push((i, found));
                    }
                    if let Some(w) = watch {
                        w.update(|s| {
                            s.modules_done += 1;
                            s.pending.retain(|&p| p != i);
                        });
                    }
                }
            });
        }
    });
    for (i, found) in results.into_inner().unwrap_or_default() {
        located[i] = found;
    }
    warnings.extend(
        ctx.dead
            .into_inner()
            .unwrap_or_default()
            .into_iter()
            .map(|(url, why)| format!("symbol server {url} was not used further: {why}")),
    );
    if watch.is_some_and(|w| w.is_cancelled()) {
        warnings.push("symbol downloads were cancelled; the stacks use what was there".into());
    }
    warnings
}

/// Whether a module still lacks something a server could give.
fn lacks(id: &ModuleId, found: &Located, has_breakpad: bool) -> bool {
    let named = id.pdb.is_some() || id.code_key.is_some() || id.build_id.is_some() || id.debug_id.is_some();
    named && (found.binary.is_none() || (found.debug.is_none() && !has_breakpad))
}

struct Context<'a> {
    client: Client,
    cache: PathBuf,
    sources: &'a SymbolSources,
    /// Servers given up on in this walk, with why.
    dead: Mutex<Vec<(String, String)>>,
    /// Set when the cache cannot be written: stop.
    never: AtomicBool,
    watch: Option<&'a FetchWatch>,
}

impl Context<'_> {
    fn fetch_module(&self, id: &ModuleId, found: &mut Located, has_breakpad: bool) {
        let servers = &self.sources.servers;
        let debuginfod = &self.sources.debuginfod;
        if found.debug.is_none() && !has_breakpad {
            if let (Some(name), Some(key)) = (&id.pdb_name, id.pdb_key()) {
                let parts = vec![name.clone(), key, name.clone()];
                self.get(id, found, want(servers, parts.clone(), parts, Check::Identity, true), Origin::SymbolServer);
            }
            if let Some(b) = id.build_id.as_ref().filter(|b| b.len() > 2) {
                let url = vec!["buildid".into(), b.clone(), "debuginfo".into()];
                let dest = vec![".build-id".into(), b[..2].to_string(), format!("{}.debug", &b[2..])];
                self.get(id, found, want(debuginfod, url, dest, Check::Identity, false), Origin::Debuginfod);
            }
        }
        if found.binary.is_none() {
            if let (Some(name), Some(key)) = (&id.code_name, &id.code_key) {
                let parts = vec![name.clone(), key.clone(), name.clone()];
                self.get(id, found, want(servers, parts.clone(), parts, Check::Identity, true), Origin::SymbolServer);
            }
            if let Some(b) = id.build_id.as_ref().filter(|b| b.len() > 2) {
                let url = vec!["buildid".into(), b.clone(), "executable".into()];
                let dest = vec![".build-id".into(), b[..2].to_string(), b[2..].to_string()];
                self.get(id, found, want(debuginfod, url, dest, Check::Identity, false), Origin::Debuginfod);
            }
        }
        // A Breakpad-style server has .sym files where others have PDBs.
        if found.debug.is_none()
            && !has_breakpad
            && let Some(parts) = id.breakpad_components()
        {
            let parts = parts.to_vec();
            self.get(id, found, want(servers, parts.clone(), parts, Check::Breakpad, false), Origin::SymbolServer);
        }
    }

    /// Tries each server for one file until one gives it.
    fn get(&self, id: &ModuleId, found: &mut Located, want: Want, origin: Origin) {
        let Some(dest) = cache_path(&self.cache, &want.dest) else { return };
        for server in &want.servers {
            if self.stopped() || self.is_dead(server) {
                continue;
            }
            let mut names = vec![want.url.clone()];
            if want.cab
                && let Some(last) = want.url.last()
                && last.len() > 1
            {
                let mut cab = want.url.clone();
                cab.pop();
                cab.push(format!("{}_", &last[..last.len() - 1]));
                names.push(cab);
            }
            for (n, segments) in names.iter().enumerate() {
                let url = format!(
                    "{}/{}",
                    server.trim_end_matches('/'),
                    segments.iter().map(|s| url_segment(s)).collect::<Vec<_>>().join("/")
                );
                match self.download(&url, &dest, n == 1, want.check, id) {
                    Ok(()) => {
                        if let Some(w) = self.watch {
                            w.update(|s| s.saved += 1);
                        }
                        match want.check {
                            Check::Identity => {
                                consider(&dest, id, origin, found);
                                for slot in [&mut found.binary, &mut found.debug].into_iter().flatten() {
                                    if slot.file.path == dest {
                                        slot.url = Some(url.clone());
                                    }
                                }
                            }
                            Check::Breakpad => found.breakpad_url = Some(url),
                        }
                        return;
                    }
                    Err(DownloadError::Missing) => {}
                    Err(DownloadError::ServerDown(why)) => {
                        self.mark_dead(server, why);
                        break;
                    }
                    Err(DownloadError::Cancelled) => return,
                    Err(DownloadError::Failed(why)) => found.refused.push(format!("{url}: {why}")),
                }
            }
        }
    }

    /// One URL into `dest`: written aside, checked, renamed into place.
    fn download(&self, url: &str, dest: &Path, is_cab: bool, check: Check, id: &ModuleId) -> Result<(), DownloadError> {
        if misses().lock().is_ok_and(|m| m.contains(url)) {
            return Err(DownloadError::Missing);
        }
        let dir = dest.parent().unwrap_or(&self.cache);
        if let Err(e) = std::fs::create_dir_all(dir) {
            self.never.store(true, Ordering::Relaxed);
            return Err(DownloadError::Failed(format!("cannot write the cache ({e})")));
        }
        let aside = Aside::new(dest, "part");
        let cancel = self.watch.map(|w| &w.cancel);
        let no_watch = AtomicBool::new(false); // without a watch nothing cancels
        let mut progress = |got: u64, total: Option<u64>| {
            if let Some(w) = self.watch {
                w.update(|s| match s.receiving.iter_mut().find(|r| r.0 == url) {
                    Some(r) => (r.1, r.2) = (got, total),
                    None => s.receiving.push((url.to_string(), got, total)),
                });
            }
        };
        let got = self.client.get_to_file(url, &aside.0, cancel.unwrap_or(&no_watch), &mut progress);
        if let Some(w) = self.watch {
            w.update(|s| s.receiving.retain(|r| r.0 != url));
        }
        if let Err(DownloadError::Missing) = &got
            && let Ok(mut m) = misses().lock()
        {
            m.insert(url.to_string());
        }
        got?;
        let checked = if is_cab {
            let expanded = Aside::new(dest, "cab");
            expand_cab(&aside.0, &expanded.0, self.sources.limits.max_bytes)
                .and_then(|()| check_file(&expanded.0, check, id))
                .map(|()| expanded)
        } else {
            check_file(&aside.0, check, id).map(|()| aside)
        };
        let file = checked.map_err(|why| DownloadError::Failed(format!("refused: {why}")))?;
        std::fs::rename(&file.0, dest).map_err(|e| DownloadError::Failed(format!("cannot write the cache ({e})")))?;
        Ok(())
    }

    fn stopped(&self) -> bool {
        self.never.load(Ordering::Relaxed) || self.watch.is_some_and(|w| w.is_cancelled())
    }

    fn is_dead(&self, server: &str) -> bool {
        self.dead.lock().is_ok_and(|d| d.iter().any(|(s, _)| s == server))
    }

    fn mark_dead(&self, server: &str, why: String) {
        if let Ok(mut d) = self.dead.lock()
            && !d.iter().any(|(s, _)| s == server)
        {
            d.push((server.to_string(), why));
        }
    }
}

fn want(servers: &[String], url: Vec<String>, dest: Vec<String>, check: Check, cab: bool) -> Want {
    Want { servers: servers.to_vec(), url, dest, check, cab }
}

/// `cache/a/b/c`, when every part is one plain path component.
fn cache_path(cache: &Path, parts: &[String]) -> Option<PathBuf> {
    let mut p = cache.to_path_buf();
    for part in parts {
        let mut comps = Path::new(part).components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(c)), None) if c == part.as_str() && !part.contains(['/', '\\']) => p.push(part),
            _ => return None,
        }
    }
    Some(p)
}

/// A file beside `dest` that is removed unless renamed away.
struct Aside(PathBuf);

impl Aside {
    fn new(dest: &Path, what: &str) -> Aside {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let n = N.fetch_add(1, Ordering::Relaxed);
        Aside(dest.with_file_name(format!(".{name}.{}.{n}.{what}", std::process::id())))
    }
}

impl Drop for Aside {
    fn drop(&mut self) {
        // Gone already when it was renamed into place.
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Whether a downloaded file is what was asked for.
fn check_file(path: &Path, check: Check, id: &ModuleId) -> Result<(), String> {
    match check {
        Check::Identity => {
            let file = SymbolFile::open(path)?;
            let fid = identify(file.bytes()).ok_or("not a PE, PDB or ELF file with an identity")?;
            if id.matches(&fid) { Ok(()) } else { Err("another build (its identity does not match)".into()) }
        }
        Check::Breakpad => {
            let mut head = [0u8; 512];
            let n = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)).map_err(|e| e.to_string())?;
            let line = String::from_utf8_lossy(&head[..n]);
            let line = line.lines().next().unwrap_or("");
            let mut words = line.split_whitespace();
            let wanted = id.debug_id.as_deref().unwrap_or("");
            match (words.next(), words.nth(2)) {
                (Some("MODULE"), Some(got)) if got.eq_ignore_ascii_case(wanted) => Ok(()),
                (Some("MODULE"), Some(_)) => Err("a .sym file of another build".into()),
                _ => Err("not a Breakpad .sym file".into()),
            }
        }
    }
}

/// Expands a one-file CAB (`name.pd_`) into `out`, at most `max` bytes.
fn expand_cab(cab: &Path, out: &Path, max: u64) -> Result<(), String> {
    let file = std::fs::File::open(cab).map_err(|e| e.to_string())?;
    let cabinet = cab::Cabinet::new(file).map_err(|e| format!("not a CAB file ({e})"))?;
    let entries: Vec<(String, u32)> = cabinet
        .folder_entries()
        .flat_map(|f| f.file_entries().map(|e| (e.name().to_string(), e.uncompressed_size())))
        .collect();
    let [(name, size)] = entries.as_slice() else {
        return Err(format!("a CAB with {} files, not one", entries.len()));
    };
    if u64::from(*size) > max {
        return Err(format!("a CAB holding {size} bytes; the limit is {max}"));
    }
    let mut cabinet = cabinet;
    let reader = cabinet.read_file(name).map_err(|e| format!("the CAB cannot be read ({e})"))?;
    let mut dest = std::fs::File::create(out).map_err(|e| e.to_string())?;
    // take(): a CAB that lies about its size still stops at the limit.
    let written = std::io::copy(&mut reader.take(max.saturating_add(1)), &mut dest)
        .map_err(|e| format!("the CAB cannot be expanded ({e})"))?;
    if written > max {
        return Err(format!("the CAB expands past {max} bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_paths_stay_inside() {
        let c = Path::new("/cache");
        assert_eq!(
            cache_path(c, &["a.pdb".into(), "K1".into(), "a.pdb".into()]),
            Some(PathBuf::from("/cache/a.pdb/K1/a.pdb"))
        );
        for bad in ["..", ".", "", "a/b", "/abs", "a\\b"] {
            assert_eq!(cache_path(c, &[bad.to_string()]), None, "{bad:?}");
        }
    }
}
