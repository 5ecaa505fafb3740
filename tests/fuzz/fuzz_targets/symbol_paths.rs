//! Symbol path text from the environment and the settings: `_NT_SYMBOL_PATH`
//! (WinDbg's grammar) and `DEBUGINFOD_URLS`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use memscape::dump::symbols::{is_url, parse_debuginfod_urls, parse_nt_symbol_path};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let p = parse_nt_symbol_path(&text);
    // Servers are URLs; folders are never empty; nothing repeats.
    assert!(p.servers.iter().all(|s| is_url(s)), "{p:?}");
    assert!(p.dirs.iter().all(|d| !d.as_os_str().is_empty()), "{p:?}");
    for (i, s) in p.servers.iter().enumerate() {
        assert!(!p.servers[i + 1..].contains(s), "{p:?}");
    }
    let urls = parse_debuginfod_urls(&text);
    assert!(urls.iter().all(|u| is_url(u) && !u.contains(' ')), "{urls:?}");
});
