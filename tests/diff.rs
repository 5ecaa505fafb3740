//! Two dumps compared (`analysis::diff`, `memscape diff`).
//!
//! A C program built here changes its address space between two moments: it
//! unmaps one mapping, makes another read-only, maps 32 MiB more, loads a
//! library with dlopen and starts a thread. At each moment the test copies
//! `/proc/PID/maps`, has gdb's `gcore` write a core and minidump-writer a
//! minidump. The minidumps' diff and the cores' diff must
//! say what the two maps copies say: the bytes born, died and changed (with
//! the same protection or file on each side) are the maps' (but `[vvar]`,
//! `[vvar_vclock]`, `[vsyscall]`, which no core holds), the library is among
//! the loaded modules and the thread among those started. The command line
//! prints the same in DESIGN.md's JSON shape.
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use memscape::analysis::diff::{Change, diff};
use memscape::dump::AddressSpace;
use minidump_writer::minidump_writer::MinidumpWriterConfig;

use crate::common;
use common::{c_compiler, scratch_path, tool};

const PROGRAM: &str = r#"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *idle(void *a) { (void)a; for (;;) pause(); return 0; }

int main(void) {
    char line[16];
    char *gone = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *frozen = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(gone, 1, 1 << 20);
    memset(frozen, 2, 1 << 20);
    printf("ONE\n");
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) return 1;
    munmap(gone, 1 << 20);
    mprotect(frozen, 1 << 20, PROT_READ);
    char *more = mmap(0, 32 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(more, 3, 32 << 20);
    if (!dlopen("libm.so.6", RTLD_NOW)) return 2;
    pthread_t t;
    pthread_create(&t, 0, idle, 0);
    usleep(100000);
    printf("TWO\n");
    fflush(stdout);
    if (!fgets(line, sizeof line, stdin)) return 3;
    return 0;
}
"#;

/// Bytes born, died and changed between two maps copies (the same overlay
/// the model does, on the kernel's own lines).
fn expected(a: &str, b: &str) -> (u64, u64, u64) {
    let (a, b) = (common::proc_maps::lines(a), common::proc_maps::lines(b));
    let mut cuts: Vec<u64> = a.iter().chain(&b).flat_map(|(s, e, _, _)| [*s, *e]).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let at = |m: &[common::proc_maps::MapsLine], x: u64| {
        m.iter().find(|(s, e, _, _)| *s <= x && x < *e).map(|(_, _, p, f)| (*p, f.clone()))
    };
    let (mut born, mut died, mut changed) = (0, 0, 0);
    for w in cuts.windows(2) {
        let len = w[1] - w[0];
        match (at(&a, w[0]), at(&b, w[0])) {
            (None, Some(_)) => born += len,
            (Some(_), None) => died += len,
            (Some(x), Some(y)) if x != y => changed += len,
            _ => {}
        }
    }
    (born, died, changed)
}

fn gcore(gdb: &str, pid: u32, path: &Path) {
    let out = Command::new(gdb)
        .args(["-batch", "-nx", "-p", &pid.to_string(), "-ex"])
        .arg(format!("gcore {}", path.display()))
        .output()
        .expect("run gdb");
    assert!(path.is_file(), "gcore wrote nothing: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn diffs_of_two_cores_and_two_minidumps_say_what_proc_maps_says() {
    let Some(gcc) = c_compiler() else { return };
    let Some(gdb) = tool("gdb") else { return };
    let dir = scratch_path("diffprog-dir");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("diffprog.c"), PROGRAM).unwrap();
    let exe = dir.join("diffprog");
    let out = Command::new(gcc)
        .args(["-g", "-O1", "-pthread", "-o"])
        .arg(&exe)
        .arg(dir.join("diffprog.c"))
        .arg("-ldl")
        .output();
    let out = out.expect("run gcc");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut child = Command::new(&exe).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("start");
    let pid = child.id();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut moments: Vec<(String, PathBuf)> = Vec::new();
    for (word, name) in [("ONE", "a.core"), ("TWO", "b.core")] {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), word);
        let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
        let core = dir.join(name);
        gcore(gdb, pid, &core);
        // And a minidump of the same moment (minidump-writer, as Breakpad writes them).
        let mut file = std::fs::File::create(core.with_extension("dmp")).unwrap();
        MinidumpWriterConfig::new(pid as i32, pid as i32).write(&mut file).expect("minidump-writer (needs ptrace)");
        moments.push((text, core));
        child.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
    }
    let _ = child.wait();

    // The minidumps say the same as the maps.
    let a = AddressSpace::open(moments[0].1.with_extension("dmp")).unwrap();
    let b = AddressSpace::open(moments[1].1.with_extension("dmp")).unwrap();
    let d = diff(&a, &b);
    assert_eq!(d.totals(), expected(&moments[0].0, &moments[1].0), "minidumps: {:#?}", d.regions);
    assert!(d.modules.loaded.iter().any(|m| m.ends_with("libm.so.6")), "minidumps: {:?}", d.modules);
    assert_eq!(d.threads.started.len(), 1, "minidumps: {:?}", d.threads);

    let a = AddressSpace::open(&moments[0].1).unwrap();
    let b = AddressSpace::open(&moments[1].1).unwrap();
    let d = diff(&a, &b);
    let (born, died, changed) = d.totals();
    let (want_born, want_died, want_changed) = expected(&moments[0].0, &moments[1].0);
    let shown: BTreeMap<&str, (u64, u64)> =
        [("born", (born, want_born)), ("died", (died, want_died)), ("changed", (changed, want_changed))].into();
    for (what, (ours, theirs)) in &shown {
        assert_eq!(ours, theirs, "{what} bytes: memscape {ours:#x}, /proc/PID/maps {theirs:#x}\n{:#?}", d.regions);
    }
    // The freed megabyte is partly reused by the new mapping, as the kernel places them.
    assert!(born >= 32 << 20 && died > 0 && changed >= 1 << 20, "{shown:?}");
    assert!(d.regions.iter().any(|r| r.change == Change::Changed && r.size_bytes() == 1 << 20), "the mprotect");
    assert!(d.modules.loaded.iter().any(|m| m.ends_with("libm.so.6")), "{:?}", d.modules);
    assert_eq!(d.threads.started.len(), 1, "{:?}", d.threads);
    assert!(d.threads.ended.is_empty());
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);

    // The command line, in DESIGN.md's shape.
    let run = common::process::memscape(
        &["diff", moments[0].1.to_str().unwrap(), moments[1].1.to_str().unwrap(), "--json"],
        &[],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    for key in ["a", "b", "regions", "modules", "threads", "bytes_by_kind", "findings"] {
        assert!(json.get(key).is_some(), "no {key}");
    }
    let regions = json["regions"].as_array().unwrap();
    let born_json: u64 = regions.iter().filter(|r| r["change"] == "born").map(|r| r["size"].as_u64().unwrap()).sum();
    assert_eq!(born_json, born);
    assert!(regions.iter().all(|r| (r["change"] == "born") == r["a"].is_null()));
    assert!(json["modules"]["loaded"].as_array().unwrap().iter().any(|m| m.as_str().unwrap().ends_with("libm.so.6")));
    assert_eq!(json["threads"]["started"].as_array().unwrap().len(), 1);
    let heap_like = &json["bytes_by_kind"]["PrivateData"];
    assert!(heap_like["delta"].as_i64().unwrap() >= 30 << 20, "32 MiB mapped, 1 MiB unmapped: {heap_like}");
    let text =
        common::process::memscape(&["diff", moments[0].1.to_str().unwrap(), moments[1].1.to_str().unwrap()], &[]);
    assert!(text.stdout.contains("Threads started: ") && text.stdout.contains("Usage Summary"), "{}", text.stdout);
    let _ = std::fs::remove_dir_all(dir);
}
