//! Symbol servers and debuginfod over HTTP, against a server the tests run on
//! 127.0.0.1 (common::http), on a minidump-synth dump of app.exe / app.pdb
//! whose Breakpad .sym names crash_here and main (stackwalk.rs' fixture).
//!
//! - A Breakpad-style server: the walk asks for the PDB, its CAB, the binary
//!   and its CAB, then the .sym, which names the frames and unwinds by CFI;
//!   the file lands in the cache's symstore layout and a later walk with no
//!   server names the frames from there.
//! - Hostile answers (garbage, a PDB cut short, an absurd Content-Length, a
//!   500, a redirect loop, a .sym of another build, a dripping server, a
//!   silent one, a closed port): each is a refusal or a warning, the walk
//!   ends, and nothing but whole, checked files is left in the cache.
//! - Names from the dump (`..\..\evil.pdb`) never reach the server or the
//!   disk as paths that climb.
//! - The command line: `--symbol-server` / `--symbol-cache`, and
//!   `_NT_SYMBOL_PATH=srv*CACHE*URL` as WinDbg reads it.
//! - The window (kittest): the local walk's traces show while the server
//!   holds the file back, with the progress and Stop in the top bar; the
//!   downloaded symbols then replace them; Stop gives the window back at
//!   once from a server that never answers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::{Queryable, by};
use memscape::app::{DumpSource, Kept, MemscapeApp};
use memscape::dump::symbols::{DownloadLimits, SymbolSources};
use memscape::dump::{AddressSpace, FrameTrust, WalkOptions, WalkResult, walk_stacks};

use crate::common::http::{Answer, Server};
use crate::common::{scratch_path, write_scratch};
use crate::gui::{harness_kept, step_until};
use crate::stackwalk::{RETURN_ADDR, app_sym, named_dump, symbolized_dump};

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn walk_with(space: &AddressSpace, symbols: SymbolSources) -> WalkResult {
    walk_stacks(space, &WalkOptions { symbols, watch: None }, &|_, _| {}).expect("walk")
}

fn server_sources(servers: Vec<String>, cache: &Path) -> SymbolSources {
    SymbolSources { servers, cache: Some(cache.to_path_buf()), ..SymbolSources::default() }
}

/// The app dump and its debug id.
fn app_dump(tag: &str) -> (AddressSpace, String) {
    let path = write_scratch(tag, &symbolized_dump(&[RETURN_ADDR], 0x1000));
    let space = AddressSpace::open(&path).expect("open");
    let id = space.modules[0].debug_id.clone().expect("a debug id");
    (space, id)
}

fn assert_named(walk: &WalkResult, how: &str) {
    let frames = &walk.traces[0].frames;
    assert!(frames.len() >= 2, "{how}: {frames:#?}");
    assert_eq!(frames[0].function.as_deref(), Some("crash_here"), "{how}: {frames:#?}");
    assert_eq!(frames[1].function.as_deref(), Some("main"), "{how}: {frames:#?}");
    assert_eq!(frames[1].trust, FrameTrust::Cfi, "{how}");
}

#[test]
fn a_breakpad_server_names_frames_and_the_cache_serves_later_walks() {
    let (space, id) = app_dump("server-sym");
    let sym_path = format!("/app.pdb/{id}/app.sym");
    let server = Server::start(HashMap::from([(sym_path.clone(), Answer::File(app_sym(&id).into_bytes()))]));
    let cache = scratch_path("server-sym-cache");

    let walk = walk_with(&space, server_sources(vec![format!("{}/", server.url)], &cache));
    assert_named(&walk, "from the server");
    let asked = server.requests();
    for p in [
        format!("/app.pdb/{id}/app.pdb"),
        format!("/app.pdb/{id}/app.pd_"),
        "/app.exe/5F0000003000/app.exe".to_string(),
        "/app.exe/5F0000003000/app.ex_".to_string(),
        sym_path.clone(),
    ] {
        assert!(asked.contains(&p), "{p} was asked for: {asked:?}");
    }
    assert_eq!(files_under(&cache), vec![format!("app.pdb/{id}/app.sym")], "only the checked file is kept");
    let st = &walk.symbols[0];
    assert_eq!((st.files[0].kind, st.files[0].origin), ("breakpad", "symbol server"), "{st:#?}");
    assert_eq!(st.files[0].url.as_deref(), Some(format!("{}/{}", server.url, &sym_path[1..]).as_str()));
    assert!(walk.warnings.iter().all(|w| !w.contains("not used further")), "{:?}", walk.warnings);

    // No server now: the cache alone names the frames.
    drop(server);
    let walk = walk_with(&space, SymbolSources { cache: Some(cache.clone()), ..SymbolSources::default() });
    assert_named(&walk, "from the cache, offline");
    assert_eq!((walk.symbols[0].files[0].origin, &walk.symbols[0].files[0].url), ("symbol cache", &None));
    let _ = std::fs::remove_dir_all(cache);
}

/// One hostile answer for the .sym (and 404 for the rest): the walk ends,
/// the frames stay unnamed, and the cache holds no file.
fn hostile(tag: &str, answer: Answer, limits: DownloadLimits) -> (WalkResult, Vec<String>) {
    let (space, id) = app_dump(tag);
    let server = Server::start(HashMap::from([
        (format!("/app.pdb/{id}/app.sym"), answer.clone()),
        (format!("/app.pdb/{id}/app.pdb"), answer),
    ]));
    let cache = scratch_path(&format!("{tag}-cache"));
    let mut sources = server_sources(vec![server.url.clone()], &cache);
    sources.limits = limits;
    let walk = walk_with(&space, sources);
    assert_ne!(walk.traces[0].frames[0].function.as_deref(), Some("crash_here"), "{tag}: named from a bad answer");
    assert!(files_under(&cache).is_empty(), "{tag}: left in the cache: {:?}", files_under(&cache));
    let _ = std::fs::remove_dir_all(cache);
    let mut said = walk.symbols[0].problems.clone();
    said.extend(walk.warnings.iter().cloned());
    (walk, said)
}

fn said(said: &[String], what: &str, tag: &str) {
    assert!(said.iter().any(|s| s.contains(what)), "{tag}: expected '{what}' in {said:#?}");
}

#[test]
fn hostile_answers_are_refused_and_leave_nothing_behind() {
    let quick = DownloadLimits {
        connect: Duration::from_secs(2),
        idle: Duration::from_secs(1),
        total: Duration::from_secs(2),
        ..DownloadLimits::default()
    };
    let mut pdb_head = b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0".to_vec();
    pdb_head.extend([0u8; 100]);
    let cases: Vec<(&str, Answer, &str)> = vec![
        ("garbage", Answer::File(b"<html>Not a symbol file</html>".to_vec()), "refused: "),
        ("cut-short", Answer::Truncated { declared: 1 << 20, body: pdb_head.clone() }, "cut short"),
        ("huge-length", Answer::Truncated { declared: 1 << 50, body: Vec::new() }, "the server announces"),
        ("server-error", Answer::Status(500), "HTTP 500"),
        ("drip", Answer::Drip { body: vec![b'M'; 4096], every: Duration::from_millis(100) }, "not used further"),
        ("silent", Answer::Silent, "not used further"),
    ];
    for (tag, answer, expected) in cases {
        let (_, got) = hostile(tag, answer, quick.clone());
        said(&got, expected, tag);
    }

    // A redirect loop that really loops: /loop -> /loop.
    let (space, id) = app_dump("loop");
    let server = Server::start(HashMap::new());
    server.route("/loop", Answer::Redirect("/loop".into()));
    server.route(&format!("/app.pdb/{id}/app.sym"), Answer::Redirect("/loop".into()));
    let cache = scratch_path("loop-cache");
    let walk = walk_with(&space, server_sources(vec![server.url.clone()], &cache));
    said(&walk.symbols[0].problems, "too many redirects", "loop");
    assert!(server.requests().iter().filter(|r| *r == "/loop").count() <= 6, "{:?}", server.requests());

    // A .sym of another build (its MODULE line names another id).
    let (space, id) = app_dump("other-build");
    let other = app_sym("0123456789ABCDEF0123456789ABCDEF1");
    let server = Server::start(HashMap::from([(format!("/app.pdb/{id}/app.sym"), Answer::File(other.into_bytes()))]));
    let cache = scratch_path("other-build-cache");
    let walk = walk_with(&space, server_sources(vec![server.url.clone()], &cache));
    said(&walk.symbols[0].problems, "another build", "other build");
    assert!(files_under(&cache).is_empty());

    // A closed port: one warning, not one per file.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let walk = walk_with(&space, server_sources(vec![closed.clone()], &cache));
    let warnings: Vec<_> = walk.warnings.iter().filter(|w| w.contains(&closed)).collect();
    assert_eq!(warnings.len(), 1, "{:?}", walk.warnings);

    // An absurd but well-formed .sym of the right build: parsed or refused, never a panic.
    let absurd = format!(
        "MODULE windows x86_64 {id} app.pdb\nFILE 4294967295 x\nFUNC ffffffffffffffff ffffffffffffffff 0 f\n\
         ffffffffffffffff ffffffffffffffff 99999999999 4294967295\nSTACK CFI INIT 0 ffffffffffffffff .cfa: $rsp 8 +\n\
         STACK WIN 4 0 ffffffff 0 0 0 0 0 0 1 $eip\nPUBLIC ffffffffffffffff 0 p\n{}",
        "FUNC 1200 1 0 g\n".repeat(10_000)
    );
    let server = Server::start(HashMap::from([(format!("/app.pdb/{id}/app.sym"), Answer::File(absurd.into_bytes()))]));
    let walk = walk_with(&space, server_sources(vec![server.url.clone()], &cache));
    assert!(!walk.traces[0].frames.is_empty());
    let _ = std::fs::remove_dir_all(cache);
}

#[test]
fn names_from_the_dump_cannot_climb_out_of_the_cache_or_the_server() {
    let bytes = named_dump("C:\\app\\..\\..\\..\\evil.exe", "..\\..\\..\\..\\evil.pdb", &[RETURN_ADDR], 0x1000);
    let space = AddressSpace::open(write_scratch("evil", &bytes)).unwrap();
    let id = space.modules[0].debug_id.clone().unwrap();
    let server = Server::start(HashMap::from([(
        format!("/evil.pdb/{id}/evil.sym"),
        Answer::File(app_sym(&id).replace("app.pdb", "evil.pdb").into_bytes()),
    )]));
    let root = scratch_path("evil-root");
    let cache = root.join("a").join("cache");
    let walk = walk_with(&space, server_sources(vec![server.url.clone()], &cache));
    for r in server.requests() {
        assert!(!r.split('/').any(|seg| seg == ".." || seg.contains('\\')), "a climbing request: {r}");
    }
    // Everything written is inside the cache; the file found by its last component.
    assert_eq!(files_under(&root), vec![format!("a/cache/evil.pdb/{id}/evil.sym")]);
    assert_named(&walk, "evil.pdb by its file name");
    let _ = std::fs::remove_dir_all(root);
}

/// The binary, with the environment's symbol variables only as `env` sets them.
fn cli(args: &[&str], env: &[(&str, &str)]) -> crate::common::process::Run {
    crate::common::process::memscape_env(args, &["_NT_SYMBOL_PATH", "_NT_ALT_SYMBOL_PATH", "DEBUGINFOD_URLS"], env)
}

#[test]
fn the_command_line_takes_servers_from_options_and_nt_symbol_path() {
    let (space, id) = app_dump("cli-server");
    let dump = space.path.to_str().unwrap().to_string();
    let server =
        Server::start(HashMap::from([(format!("/app.pdb/{id}/app.sym"), Answer::File(app_sym(&id).into_bytes()))]));

    let cache: PathBuf = scratch_path("cli-cache");
    let c = cache.to_str().unwrap();
    let run = cli(&["threads", &dump, "--symbol-server", &server.url, "--symbol-cache", c], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("app!crash_here+0x34 [c:\\src\\app.c @ 12]"), "{}", run.stdout);
    let run = cli(&["modules", &dump, "--json", "--symbol-cache", c], &[]);
    let modules: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(modules[0]["symbols"]["files"][0]["origin"], "symbol cache", "{}", modules[0]);
    let _ = std::fs::remove_dir_all(&cache);

    // WinDbg's variable: srv*CACHE*URL.
    let nt = format!("srv*{c}*{}", server.url);
    let run = cli(&["threads", &dump, "--stacks"], &[("_NT_SYMBOL_PATH", &nt)]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stdout.contains("app!crash_here+0x34"), "{}", run.stdout);
    assert!(cache.join("app.pdb").join(&id).join("app.sym").is_file());

    // Not a URL: a usage error.
    let run = cli(&["threads", &dump, "--symbol-server", "ftp://x"], &[]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let _ = std::fs::remove_dir_all(cache);
}

/// The window on the app dump with downloads from `server` switched on.
fn window_with_server(tag: &str, server: &Server) -> (Harness<'static, MemscapeApp>, PathBuf) {
    let (space, _) = app_dump(tag);
    let cache = scratch_path(&format!("{tag}-cache"));
    let mut kept = Kept::default();
    kept.symbols.urls.push(server.url.clone());
    kept.symbols.use_http = true;
    kept.symbols.cache = Some(cache.clone());
    let mut h = harness_kept(DumpSource::File(space.path.clone()), kept);
    step_until(&mut h, "the dump", |a| a.space().is_some());
    // The Modules tab (shown first) starts the walk for its Symbols column.
    step_until(&mut h, "the local walk", |a| a.walk().is_some());
    (h, cache)
}

#[test]
fn the_window_shows_local_traces_then_the_downloaded_ones() {
    if !crate::common::gpu_available() {
        return;
    }
    let open = Arc::new(AtomicBool::new(false));
    let (_, id) = app_dump("gui-server-id");
    let body = app_sym(&id).into_bytes();
    let server = Server::start(HashMap::from([(
        format!("/app.pdb/{id}/app.sym"),
        Answer::Gate { body, open: Arc::clone(&open) },
    )]));
    let (mut h, cache) = window_with_server("gui-server", &server);

    // The local walk's traces are there while the server holds the file back.
    let local = h.state().walk().unwrap();
    assert_ne!(local.traces[0].frames[0].function.as_deref(), Some("crash_here"));
    assert!(h.state().is_downloading());
    h.run_steps(2);
    h.get(by().label_contains("Symbols: "));
    h.get_by_label("Stop downloads");
    h.get_by_label("downloading…");
    assert!(h.query_by_label("breakpad symbols").is_none());

    open.store(true, Ordering::Relaxed);
    step_until(&mut h, "the downloads", |a| !a.is_downloading());
    let walk = h.state().walk().unwrap();
    assert_eq!(walk.traces[0].frames[0].function.as_deref(), Some("crash_here"), "{:#?}", walk.traces[0]);
    assert!(h.query(by().label_contains("Symbols: ")).is_none(), "the progress is gone");
    assert!(h.query_by_label("downloading…").is_none());
    h.get_by_label("breakpad symbols");
    let _ = std::fs::remove_dir_all(cache);
}

#[test]
fn stop_downloads_gives_the_window_back_at_once() {
    if !crate::common::gpu_available() {
        return;
    }
    let server = Server::start(HashMap::new());
    let (_, id) = app_dump("gui-stop-id");
    for p in [format!("/app.pdb/{id}/app.pdb"), format!("/app.pdb/{id}/app.sym")] {
        server.route(&p, Answer::Silent);
    }
    let (mut h, cache) = window_with_server("gui-stop", &server);
    assert!(h.state().is_downloading());
    h.run_steps(2);
    h.get_by_label("Stop downloads").click();
    h.run_steps(2);
    assert!(!h.state().is_downloading(), "Stop did not give the window back");
    h.get(by().label_contains("Symbol downloads stopped"));
    assert!(h.state().walk().is_some(), "the local traces stay");
    let _ = std::fs::remove_dir_all(cache);
}
