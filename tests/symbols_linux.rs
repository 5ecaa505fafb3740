//! Named frames on Linux from the program's own binary, checked against gdb.
//! A C program built here with `gcc -g -O1` parks two worker threads three
//! calls deep (through an always-inline function) and its main thread in
//! `pthread_join`; minidump-writer captures it, then gdb attaches to the same
//! process (`thread apply all bt`). For every thread, the frames in the
//! program (function, source line, inlined frames) must be gdb's, in gdb's
//! order, found through
//! - the module's own path (no options),
//! - a flat `--symbols` folder holding the binary under another name (the
//!   original moved away: found by build id, never by name),
//! - a stripped binary beside a `.build-id/xx/rest.debug` tree (objcopy),
//! - the same two files from a debuginfod server on 127.0.0.1, then from the
//!   download cache alone,
//!
//! and a different build of the program with the same name is refused.
//! libc's frames are unwound with its `.eh_frame` (trust `cfi`).
//! Skipped (with a note) without gcc, gdb or objcopy unless
//! `MEMSCAPE_REQUIRE_TOOLS=1`.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use memscape::dump::symbols::SymbolSources;
use memscape::dump::{AddressSpace, FrameTrust, StackTrace, WalkOptions, walk_stacks};
use minidump_writer::minidump_writer::MinidumpWriterConfig;

use common::gdb::GdbFrame;
use common::process::{Reaper, start_ready};
use common::{c_compiler, scratch_path, tool};

const PROGRAM: &str = r#"
#include <pthread.h>
#include <unistd.h>

static volatile int sink;
static int parked;

__attribute__((noinline)) void park(void) {
    __atomic_add_fetch(&parked, 1, __ATOMIC_SEQ_CST);
    for (;;) pause();
}

static inline __attribute__((always_inline)) void checkout(int n) {
    sink += n;
    park();
    sink -= n;
}

__attribute__((noinline)) void apply_discount(int n) {
    checkout(n * 2);
    sink++;
}

__attribute__((noinline)) void process_order(int n) {
    apply_discount(n + 1);
    sink++;
}

__attribute__((noinline)) void *worker(void *arg) {
    process_order((int)(long)arg);
    return 0;
}

__attribute__((noinline)) void wait_for_workers(pthread_t *t) {
    pthread_join(t[0], 0);
    sink++;
}

int main(void) {
    pthread_t t[2];
    pthread_create(&t[0], 0, worker, (void *)1);
    pthread_create(&t[1], 0, worker, (void *)2);
    while (__atomic_load_n(&parked, __ATOMIC_SEQ_CST) < 2) usleep(1000);
    if (write(1, "READY\n", 6) < 0) return 2;
    wait_for_workers(t);
    return VARIANT;
}
"#;

/// The program's functions in the order the tests expect somewhere on the stacks.
const PROGRAM_FUNCTIONS: [&str; 6] = ["park", "checkout", "apply_discount", "process_order", "worker", "main"];

fn build(gcc: &str, dir: &Path, variant: u32) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let source = dir.join("symprog.c");
    std::fs::write(&source, PROGRAM).unwrap();
    let exe = dir.join("symprog");
    let out = Command::new(gcc)
        .args(["-g", "-O1", "-pthread", &format!("-DVARIANT={variant}"), "-o"])
        .arg(&exe)
        .arg(&source)
        .output()
        .expect("run gcc");
    assert!(out.status.success(), "gcc failed: {}", String::from_utf8_lossy(&out.stderr));
    exe
}

fn start(exe: &Path) -> Reaper {
    let child = start_ready(&mut Command::new(exe), "READY");
    // The workers said they parked; let them reach pause().
    std::thread::sleep(Duration::from_millis(200));
    child
}

fn capture(child: &Reaper) -> PathBuf {
    let pid = child.0.id() as i32;
    let path = scratch_path("symprog");
    let mut file = std::fs::File::create(&path).unwrap();
    if let Err(e) = MinidumpWriterConfig::new(pid, pid).write(&mut file) {
        panic!("minidump-writer could not capture pid {pid}: {e} (it needs ptrace: root or CAP_SYS_PTRACE)");
    }
    path
}

/// `thread apply all bt` of `pid`, by LWP.
fn gdb_backtraces(gdb: &str, pid: u32) -> BTreeMap<u32, Vec<GdbFrame>> {
    common::gdb::backtraces(gdb, &["-p", &pid.to_string()])
}

/// gdb's frames that lie in the program's source.
fn program_frames_gdb(frames: &[GdbFrame]) -> Vec<(String, u32)> {
    common::gdb::program_frames_gdb(frames, "symprog.c")
}

/// memscape's frames in the program (under either of its names).
fn program_frames(trace: &StackTrace) -> Vec<(String, u32)> {
    common::gdb::program_frames(trace, &["symprog", "renamed.bin"])
}

fn walk(dump: &Path, dirs: Vec<PathBuf>) -> (AddressSpace, memscape::dump::WalkResult) {
    walk_sources(dump, SymbolSources { dirs, ..Default::default() })
}

fn walk_sources(dump: &Path, symbols: SymbolSources) -> (AddressSpace, memscape::dump::WalkResult) {
    let space = AddressSpace::open(dump).unwrap_or_else(|e| panic!("{e}"));
    let walked =
        walk_stacks(&space, &WalkOptions { symbols, watch: None }, &|_, _| {}).unwrap_or_else(|e| panic!("{e}"));
    (space, walked)
}

fn assert_matches_gdb(walked: &memscape::dump::WalkResult, gdb: &BTreeMap<u32, Vec<GdbFrame>>, how: &str) {
    for (tid, frames) in gdb {
        let trace = walked.trace(*tid).unwrap_or_else(|| panic!("{how}: no trace for thread {tid}"));
        let theirs = program_frames_gdb(frames);
        let ours = program_frames(trace);
        assert_eq!(ours, theirs, "{how}: thread {tid}\nmemscape: {:#?}\ngdb: {frames:#?}", trace.frames);
    }
    let all: Vec<String> = gdb.values().flat_map(|f| program_frames_gdb(f)).map(|(f, _)| f).collect();
    for f in PROGRAM_FUNCTIONS {
        assert!(all.iter().any(|g| g == f), "{how}: gdb never showed {f}: {gdb:#?}");
    }
}

#[test]
fn linux_frames_match_gdb_from_the_binary_and_from_symbol_folders() {
    let Some(gcc) = c_compiler() else { return };
    let Some(gdb) = tool("gdb") else { return };
    let Some(objcopy) = tool("objcopy") else { return };
    let dir = scratch_path("symprog-dir");
    let exe = build(gcc, &dir, 0);
    let child = start(&exe);
    let dump = capture(&child);
    let gdb_traces = gdb_backtraces(gdb, child.0.id());
    drop(child);

    // 1. The module's own path, as the dump records it.
    let (space, walked) = walk(&dump, Vec::new());
    assert_matches_gdb(&walked, &gdb_traces, "module path");
    let exe_index = space.modules.iter().position(|m| m.name == "symprog").expect("the program's module");
    let status = &walked.symbols[exe_index];
    assert_eq!(status.status(), "found", "{status:#?}");
    assert_eq!(status.files[0].origin, "module path", "{status:#?}");
    assert!(status.files[0].gives.contains(&"lines") && status.files[0].gives.contains(&"unwind"), "{status:#?}");
    // libc was unwound with its own tables: the workers' frames below pause() are cfi.
    let worker = walked
        .traces
        .iter()
        .find(|t| t.frames.iter().any(|f| f.function.as_deref() == Some("park")))
        .expect("a parked worker");
    let park = worker.frames.iter().position(|f| f.function.as_deref() == Some("park")).unwrap();
    assert_eq!(worker.frames[park].trust, FrameTrust::Cfi, "{:#?}", worker.frames);
    let checkout = &worker.frames[park + 1];
    assert_eq!((checkout.function.as_deref(), checkout.trust), (Some("checkout"), FrameTrust::Inline));
    let apply = &worker.frames[park + 2];
    assert_eq!(apply.function.as_deref(), Some("apply_discount"));
    assert!(apply.function_offset.is_some_and(|o| o > 0), "{apply:?}");

    // The command line says the same, WinDbg's way and in JSON.
    let run = common::process::memscape(&["threads", dump.to_str().unwrap(), "--stacks", "--json"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let threads: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let frames: Vec<&serde_json::Value> =
        threads.as_array().unwrap().iter().flat_map(|t| t["frames"].as_array().unwrap()).collect();
    let inlined = frames.iter().find(|f| f["function"] == "checkout").expect("the inlined frame in JSON");
    assert_eq!((&inlined["inlined"], &inlined["trust"]), (&serde_json::json!(true), &serde_json::json!("inline")));
    assert!(inlined["file"].as_str().is_some_and(|f| f.ends_with("symprog.c")) && inlined["line"].is_u64());
    let apply = frames.iter().find(|f| f["function"] == "apply_discount").expect("apply_discount in JSON");
    assert_eq!(apply["inlined"], serde_json::json!(false));
    assert!(apply["function_offset"].as_str().is_some_and(|o| o.starts_with("0x")), "{apply}");
    let text = common::process::memscape(&["threads", dump.to_str().unwrap(), "--stacks"], &[]);
    let line = text.stdout.lines().find(|l| l.contains("symprog!apply_discount+0x")).expect("a WinDbg-style frame");
    assert!(line.contains("symprog.c @ "), "{line}");
    let run = common::process::memscape(&["modules", dump.to_str().unwrap(), "--json"], &[]);
    let modules: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let m = modules.as_array().unwrap().iter().find(|m| m["name"] == "symprog").unwrap();
    assert_eq!(m["symbols"]["status"], "found", "{m}");
    assert_eq!(m["symbols"]["files"][0]["kind"], "elf", "{m}");

    // 2. Moved away; a flat folder holds it under another name.
    let folder = dir.join("flat");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::rename(&exe, folder.join("renamed.bin")).unwrap();
    let (_, walked) = walk(&dump, vec![folder.clone()]);
    assert_matches_gdb(&walked, &gdb_traces, "flat folder");
    assert_eq!(walked.symbols[exe_index].files[0].origin, "symbol folder", "{:#?}", walked.symbols[exe_index]);

    // 3. A stripped binary and its debug file in a .build-id tree.
    let build_id = match &space.modules[exe_index].debug {
        Some(memscape::dump::DebugInfo::BuildId(b)) => b.clone(),
        other => panic!("no build id: {other:?}"),
    };
    let tree = dir.join("tree");
    let debug_dir = tree.join(".build-id").join(&build_id[..2]);
    std::fs::create_dir_all(&debug_dir).unwrap();
    let debug_file = debug_dir.join(format!("{}.debug", &build_id[2..]));
    let renamed = folder.join("renamed.bin");
    let ok = Command::new(objcopy).arg("--only-keep-debug").arg(&renamed).arg(&debug_file).status().unwrap();
    assert!(ok.success());
    let ok = Command::new(objcopy).arg("--strip-debug").arg(&renamed).status().unwrap();
    assert!(ok.success());
    let (_, walked) = walk(&dump, vec![folder.clone(), tree.clone()]);
    assert_matches_gdb(&walked, &gdb_traces, "stripped binary + .build-id tree");
    let files = &walked.symbols[exe_index].files;
    assert!(files.iter().any(|f| f.kind == "debug" && f.origin == ".build-id tree"), "{files:#?}");

    // 3b. The same two files from a debuginfod server on 127.0.0.1, then from the cache alone.
    let server = common::http::Server::start(std::collections::HashMap::from([
        (format!("/buildid/{build_id}/debuginfo"), common::http::Answer::File(std::fs::read(&debug_file).unwrap())),
        (format!("/buildid/{build_id}/executable"), common::http::Answer::File(std::fs::read(&renamed).unwrap())),
    ]));
    let cache = dir.join("cache");
    let sources =
        SymbolSources { debuginfod: vec![server.url.clone()], cache: Some(cache.clone()), ..Default::default() };
    let (_, walked) = walk_sources(&dump, sources);
    assert_matches_gdb(&walked, &gdb_traces, "debuginfod");
    let origins: Vec<_> = walked.symbols[exe_index].files.iter().map(|f| (f.kind, f.origin)).collect();
    assert_eq!(origins, [("debug", "debuginfod"), ("elf", "debuginfod")], "{:#?}", walked.symbols[exe_index]);
    assert!(server.requests().iter().all(|r| r.starts_with("/buildid/")), "{:?}", server.requests());
    drop(server);
    let (_, walked) = walk_sources(&dump, SymbolSources { cache: Some(cache), ..Default::default() });
    assert_matches_gdb(&walked, &gdb_traces, "debuginfod cache");
    assert!(walked.symbols[exe_index].files.iter().all(|f| f.origin == "symbol cache"));

    // 4. Another build of the program, same name: refused, no names from it.
    let other_dir = dir.join("other");
    let other = build(gcc, &other_dir, 1);
    let (_, walked) = walk(&dump, vec![other_dir.clone()]);
    let st = &walked.symbols[exe_index];
    assert_eq!(st.status(), "not found", "{st:#?}");
    assert!(
        st.problems.iter().any(|p| p.contains("identity does not match")) || !other.exists(),
        "the other build is named as refused: {st:#?}"
    );
    for t in &walked.traces {
        assert!(
            program_frames(t).iter().all(|(f, _)| f.starts_with("symprog+")),
            "a name from the wrong build: {t:#?}"
        );
    }
    let _ = std::fs::remove_file(&dump);
    let _ = std::fs::remove_dir_all(&dir);
}
