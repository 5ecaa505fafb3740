//! Linux ELF core files, checked against the kernel and gdb.
//!
//! A C program built here with gcc parks two workers three calls deep,
//! fills its brk heap, maps a data file and says READY; the test reads its
//! `/proc/PID/maps` and task list, then
//! - lets it write to address 0x10 and the kernel dump it (`ulimit -c`; the
//!   test skips with a note when `core_pattern` pipes cores elsewhere), or
//! - has gdb's `gcore` write a core of it alive.
//!
//! For each core: every mapping of the maps copy (but `[vvar]`,
//! `[vvar_vclock]`, `[vsyscall]`, which no core holds) is there with its
//! range and protection, the program and libc as Image, `[heap]` as Heap,
//! the data file as MappedFile, `[vdso]` as Image, the thread stacks as
//! Stack; the threads are the task list; every thread's program frames
//! (function, line) equal gdb's `thread apply all bt` on the same core; the
//! crash is SIGSEGV at 0x10 on the main thread and NULL Pointer (data)
//! fires, and the gcore has no exception. The command line reports the same.
//! The kernel core compressed by zstd, xz and lz4 (as systemd-coredump keeps
//! cores) opens to the same regions, threads and exception.
//! Damaged cores (cut short anywhere, bytes overwritten) open with warnings
//! or a clear error, never a panic. An AArch64 program built with Debian's
//! cross gcc crashes under qemu-aarch64, whose core (no NT_FILE, no
//! NT_SIGINFO) still names its frames from the executable AT_EXECFN names.
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use memscape::dump::{AddressSpace, Protection, RegionKind, RegionSource, RegionState, WalkOptions, walk_stacks};

use crate::common;
use common::gdb::{backtraces, program_frames, program_frames_gdb};
use common::{c_compiler, scratch_path, tool};

const PROGRAM: &str = r#"
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile int parked;
__attribute__((noinline)) static void park(void) { __sync_fetch_and_add(&parked, 1); for (;;) pause(); }
__attribute__((noinline)) static void hold(int n) { if (n > 0) park(); }
__attribute__((noinline)) static void *worker(void *arg) { hold((int)(long)arg); return 0; }
__attribute__((noinline)) static void crash_here(int *p) { *p = 42; }

int main(int argc, char **argv) {
    pthread_t t[2];
    for (long i = 0; i < 2; i++) pthread_create(&t[i], 0, worker, (void *)(i + 1));
    for (int i = 0; i < 200; i++) { char *p = malloc(512); memset(p, 'h', 512); }
    int fd = open(argv[2], O_RDONLY);
    void *data = mmap(0, 65536, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) return 2;
    while (parked < 2) usleep(1000);
    printf("READY\n");
    fflush(stdout);
    char line[16];
    if (!fgets(line, sizeof line, stdin)) return 3;
    if (!strcmp(argv[1], "crash")) crash_here((int *)0x10);
    for (;;) pause();
}
"#;

/// The program and its data file in `dir`.
fn build(gcc: &str, dir: &Path) -> (PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("coreprog.c"), PROGRAM).unwrap();
    let exe = dir.join("coreprog");
    let out = Command::new(gcc).args(["-g", "-O1", "-pthread", "-o"]).arg(&exe).arg(dir.join("coreprog.c")).output();
    let out = out.expect("run gcc");
    assert!(out.status.success(), "gcc: {}", String::from_utf8_lossy(&out.stderr));
    let data = dir.join("data.bin");
    std::fs::write(&data, vec![0xd5u8; 65536]).unwrap();
    (exe, data)
}

/// A running copy of the program, READY; killed when dropped.
struct Child {
    child: std::process::Child,
    maps: String,
    tasks: Vec<u32>,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &Path, exe: &Path, data: &Path, mode: &str) -> Child {
    let script = format!("ulimit -c unlimited; exec '{}' {mode} '{}'", exe.display(), data.display());
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the program");
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "READY");
    std::thread::sleep(Duration::from_millis(100));
    let pid = child.id();
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let mut tasks: Vec<u32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    tasks.sort_unstable();
    Child { child, maps, tasks }
}

/// Lets the child crash and returns the kernel's core of it, or `None`
/// (with a note) when this machine's `core_pattern` sends cores elsewhere.
fn crash(mut c: Child, dir: &Path) -> Option<(PathBuf, Child)> {
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    if pattern.trim_start().starts_with('|') {
        eprintln!("elf_core: core_pattern pipes cores to {pattern}; the kernel-core test is skipped");
        return None;
    }
    c.child.stdin.as_mut().unwrap().write_all(b"go\n").unwrap();
    let start = Instant::now();
    while c.child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(30), "the program did not crash");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = c.child.id();
    let core = [dir.join("core"), dir.join(format!("core.{pid}"))].into_iter().find(|p| p.is_file());
    match core {
        Some(p) => Some((p, c)),
        None => {
            eprintln!(
                "elf_core: no core file from the kernel (core_pattern {pattern:?}); the kernel-core test is skipped"
            );
            None
        }
    }
}

/// Everything a core must show of the child it was taken of.
fn check_core(core: &Path, exe: &Path, data: &Path, child: &Child, gdb: &str, how: &str) -> AddressSpace {
    let space = AddressSpace::open(core).unwrap_or_else(|e| panic!("{how}: {e}"));
    assert_eq!(space.region_source, RegionSource::ElfCore, "{how}");
    common::assert_region_invariants(&space, how);

    // Every mapping, with its protection and kind.
    let exe_path = exe.to_str().unwrap();
    let data_path = data.to_str().unwrap();
    for (start, end, [r, w, x], path) in common::proc_maps::lines(&child.maps) {
        let first = space.region_index_at(start).unwrap_or_else(|| panic!("{how}: nothing at {start:#x} ({path})"));
        let mut at = start;
        for region in &space.regions[first..] {
            if at >= end {
                break;
            }
            assert_ne!(region.state, RegionState::Free, "{how}: {path} at {at:#x} is free in the core");
            // gcore writes PROT_NONE mappings (thread stack guards) as readable
            // segments with their (unreadable) bytes zeroed: gdb's choice.
            let gcore_guard = how == "gcore" && !(r || w || x);
            if !gcore_guard {
                assert_eq!(region.protect, Protection::from_posix(r, w, x), "{how}: {path} at {at:#x}: {region:?}");
            }
            let want = match path.as_str() {
                p if p == exe_path || p.contains("libc.so") => Some(RegionKind::Image),
                "[heap]" => Some(RegionKind::Heap),
                "[vdso]" => Some(RegionKind::Image),
                "[stack]" => Some(RegionKind::Stack),
                p if p == data_path => Some(RegionKind::MappedFile),
                _ => None,
            };
            if let Some(kind) = want {
                assert_eq!(region.kind, kind, "{how}: {path} at {at:#x}: {region:?}");
            }
            at = region.end_addr();
        }
        assert!(at >= end, "{how}: {path} {start:#x}-{end:#x} not covered");
    }
    // Threads: the task list; each worker's stack is a Stack region.
    let mut ids: Vec<u32> = space.threads.iter().map(|t| t.id).collect();
    ids.sort_unstable();
    assert_eq!(ids, child.tasks, "{how}");
    for t in &space.threads {
        let sp = t.sp.expect("a stack pointer");
        assert_eq!(space.region_at(sp).map(|r| r.kind), Some(RegionKind::Stack), "{how}: thread {}", t.id);
    }
    assert!(space.modules.iter().any(|m| m.path == exe_path && m.debug_id.is_some()), "{how}: {:#?}", space.modules);

    // Stacks: gdb's frames in the program, thread by thread.
    let walk = walk_stacks(&space, &WalkOptions::default(), &|_, _| {}).expect("walk");
    let gdb_traces = backtraces(gdb, &[exe_path, core.to_str().unwrap()]);
    let mut compared = 0;
    for (tid, frames) in &gdb_traces {
        let theirs = program_frames_gdb(frames, "coreprog.c");
        let ours =
            program_frames(walk.trace(*tid).unwrap_or_else(|| panic!("{how}: no trace of {tid}")), &["coreprog"]);
        assert_eq!(ours, theirs, "{how}: thread {tid}");
        compared += theirs.len();
    }
    assert!(compared >= 6, "{how}: gdb showed too few program frames: {gdb_traces:#?}");
    space
}

#[test]
fn kernel_and_gcore_cores_match_proc_maps_and_gdb() {
    let Some(gcc) = c_compiler() else { return };
    let Some(gdb) = tool("gdb") else { return };
    let dir = scratch_path("coreprog-dir");
    let (exe, data) = build(gcc, &dir);

    // gdb's gcore of the program alive: no exception.
    let live = start(&dir, &exe, &data, "live");
    let gcore = dir.join("live.core");
    let out = Command::new(gdb)
        .args(["-batch", "-nx", "-p", &live.child.id().to_string(), "-ex"])
        .arg(format!("gcore {}", gcore.display()))
        .output()
        .expect("run gdb");
    assert!(gcore.is_file(), "gcore wrote nothing: {}", String::from_utf8_lossy(&out.stderr));
    let space = check_core(&gcore, &exe, &data, &live, gdb, "gcore");
    assert!(space.exception.is_none(), "{:?}", space.exception);
    drop(live);

    // The kernel's core of a crash.
    let crasher = start(&dir, &exe, &data, "crash");
    let pid = crasher.child.id();
    let Some((core, crashed)) = crash(crasher, &dir) else { return };
    let space = check_core(&core, &exe, &data, &crashed, gdb, "kernel core");
    let ex = space.exception.as_ref().expect("the signal");
    assert_eq!((ex.code, ex.name.as_str(), ex.address, ex.thread_id), (11, "SIGSEGV", 0x10, pid), "{ex:?}");
    let findings = memscape::analysis::patterns::analyze(&space, None);
    assert!(findings.iter().any(|f| f.name == "NULL Pointer (data)"), "{findings:#?}");

    // The command line says the same.
    let run = common::process::memscape(&["info", core.to_str().unwrap(), "--json"], &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let info: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(info["region_source"], "elf_core");
    assert_eq!((&info["exception"]["code"], &info["exception"]["name"]), (&"0xb".into(), &"SIGSEGV".into()));
    assert_eq!(info["process_id"], pid);
    let run = common::process::memscape(&["threads", core.to_str().unwrap(), "--stacks"], &[]);
    assert!(run.stdout.contains("coreprog!crash_here"), "{}", run.stdout);

    // Compressed as systemd-coredump stores cores: the same model.
    for (tool_name, args, ext) in [
        ("zstd", &["-q", "-f", "-k"][..], "zst"),
        ("xz", &["-k", "-f", "-T1"][..], "xz"),
        ("lz4", &["-q", "-f", "-k"][..], "lz4"),
    ] {
        let Some(t) = tool(tool_name) else { continue };
        let packed = PathBuf::from(format!("{}.{ext}", core.display()));
        let mut cmd = Command::new(t);
        cmd.args(args).arg(&core);
        if ext == "lz4" {
            cmd.arg(&packed); // without it lz4 writes to a non-terminal stdout
        }
        let out = cmd.output().expect("run the compressor");
        assert!(out.status.success(), "{tool_name}: {}", String::from_utf8_lossy(&out.stderr));
        let unpacked = AddressSpace::open(&packed).unwrap_or_else(|e| panic!("{ext}: {e}"));
        assert_eq!(unpacked.regions, space.regions, "{ext}");
        assert_eq!(unpacked.exception, space.exception, "{ext}");
        assert_eq!(unpacked.threads, space.threads, "{ext}");
        // Cancelled (the window's Cancel): stops with Cancelled, nothing kept.
        let cancelled = memscape::dump::LoadProgress::new();
        cancelled.cancel();
        let stopped = AddressSpace::open_with_progress(&packed, &cancelled);
        assert!(matches!(stopped, Err(memscape::dump::DumpError::Cancelled { .. })), "{ext}: {:?}", stopped.err());
        // Cut short: a clear error that names the file, or what could be read.
        let bytes = std::fs::read(&packed).unwrap();
        let cut = common::write_scratch("cut-core", &bytes[..bytes.len() / 2]);
        if let Err(e) = AddressSpace::open(&cut) {
            assert!(e.to_string().contains("cut-core"), "{ext}: {e}");
        }
        let _ = std::fs::remove_file(cut);
        let _ = std::fs::remove_file(packed);
    }

    // Damaged copies: cut anywhere, or overwritten in the notes.
    let bytes = std::fs::read(&core).unwrap();
    let mut cases: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for cut in [64, 200, 0x400, 0x800, 0x2000, bytes.len() / 3, bytes.len() - 1] {
        cases.insert(format!("cut at {cut}"), bytes[..cut.min(bytes.len())].to_vec());
    }
    for (i, at) in (0x300..0x3000).step_by(0x1b1).enumerate() {
        let mut b = bytes.clone();
        for k in 0..8 {
            if let Some(x) = b.get_mut(at + k) {
                *x = if i % 2 == 0 { 0xff } else { 0x00 };
            }
        }
        cases.insert(format!("overwritten at {at:#x}"), b);
    }
    for (what, b) in cases {
        let path = common::write_scratch("damaged-core", &b);
        match AddressSpace::open(&path) {
            Ok(space) => {
                common::assert_region_invariants(&space, &what);
                let _ = walk_stacks(&space, &WalkOptions::default(), &|_, _| {});
            }
            Err(e) => assert!(e.to_string().contains("damaged-core"), "{what}: the error names the file: {e}"),
        }
        let _ = std::fs::remove_file(path);
    }
    let _ = std::fs::remove_dir_all(dir);
}

const ARM_PROGRAM: &str = r#"
#include <pthread.h>
#include <unistd.h>
__attribute__((noinline)) void crash_here(int *p) { *p = 42; }
__attribute__((noinline)) void middle(int *p) { crash_here(p); __asm__ volatile(""); }
static void *worker(void *a) { (void)a; for (;;) pause(); return 0; }
int main(void) {
    pthread_t t;
    pthread_create(&t, 0, worker, 0);
    usleep(100000);
    middle((int *)0x10);
    return 0;
}
"#;

#[test]
fn an_aarch64_core_from_qemu_names_its_frames() {
    let Some(gcc) = tool("aarch64-linux-gnu-gcc") else { return };
    let Some(qemu) = tool("qemu-aarch64") else { return };
    let dir = scratch_path("armcore-dir");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("armprog.c"), ARM_PROGRAM).unwrap();
    let out = Command::new(gcc)
        .current_dir(&dir)
        .args(["-g", "-O1", "-static", "-pthread", "-o", "armprog", "armprog.c"])
        .output()
        .expect("run the aarch64 gcc");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // qemu-user writes the guest's core (qemu_PROG_DATE_PID.core) in the working folder.
    let status = Command::new("sh")
        .args(["-c", &format!("ulimit -c unlimited; exec {qemu} ./armprog")])
        .current_dir(&dir)
        .stderr(Stdio::null())
        .status()
        .expect("run qemu");
    assert!(!status.success(), "the program did not crash");
    let core = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path()))
        .find(|p| p.extension().is_some_and(|x| x == "core"))
        .expect("qemu wrote no core");

    let space = AddressSpace::open(&core).unwrap_or_else(|e| panic!("{e}"));
    common::assert_region_invariants(&space, "aarch64 core");
    assert_eq!((space.system.cpu.as_str(), space.region_source), ("arm64", RegionSource::ElfCore));
    assert_eq!(space.threads.len(), 2);
    let ex = space.exception.as_ref().expect("the signal");
    assert_eq!((ex.code, ex.name.as_str()), (11, "SIGSEGV"));
    assert_eq!(ex.target_addr, None, "qemu writes no NT_SIGINFO: the address is unknown, not made up");
    // The program named from its file (AT_EXECFN), unwound with its .eh_frame.
    let walk = walk_stacks(&space, &WalkOptions::default(), &|_, _| {}).expect("walk");
    let crashed = walk.trace(ex.thread_id).expect("the crashed thread's trace");
    let named: Vec<(String, u32)> = crashed
        .frames
        .iter()
        .take(3)
        .map(|f| (f.function.clone().unwrap_or_default(), f.source.as_ref().map_or(0, |s| s.1)))
        .collect();
    // The lines of ARM_PROGRAM (1-based, the leading newline included).
    let expect = [("crash_here".to_string(), 4), ("middle".to_string(), 5), ("main".to_string(), 11)];
    assert_eq!(named, expect, "{:#?}", crashed.frames);
    assert_eq!(crashed.frames[1].trust, memscape::dump::FrameTrust::Cfi);
    let _ = std::fs::remove_dir_all(dir);
}

const OVERFLOW_PROGRAM: &str = r#"
#include <stdio.h>
__attribute__((noinline)) int recurse(int n) { volatile char buf[512]; buf[0] = n; return recurse(n + 1) + buf[0]; }
int main(void) { printf("%d\n", recurse(0)); return 0; }
"#;

#[test]
fn a_main_stack_that_hit_its_limit_is_a_stack_overflow() {
    let Some(gcc) = c_compiler() else { return };
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    if pattern.trim_start().starts_with('|') {
        eprintln!("elf_core: core_pattern pipes cores to {pattern}; skipped");
        return;
    }
    let dir = scratch_path("overflow-dir");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("overflow.c"), OVERFLOW_PROGRAM).unwrap();
    let out = Command::new(gcc).current_dir(&dir).args(["-g", "-O0", "-o", "overflow", "overflow.c"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let status = Command::new("sh")
        .args(["-c", "ulimit -c unlimited; ulimit -s 8192; exec ./overflow"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success());
    let Some(core) = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path()))
        .find(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n == "core" || n.starts_with("core.")))
    else {
        eprintln!("elf_core: no core from the kernel (core_pattern {pattern:?}); skipped");
        return;
    };
    let space = AddressSpace::open(&core).unwrap();
    let t = space.crashed_thread().expect("the crashed thread");
    let stack = space.region_at(t.stack_start_addr).expect("its stack");
    assert_eq!(stack.kind, RegionKind::Stack, "the mapping above the stack pointer is its stack: {stack:?}");
    // The stack pointer is just inside or just below the stack mapping,
    // depending on where the overflowing frame's first store landed.
    assert!(t.sp.is_some_and(|sp| sp < stack.base_addr + (64 << 10)), "{t:?} {stack:?}");
    let findings = memscape::analysis::patterns::analyze(&space, None);
    assert!(findings.iter().any(|f| f.name == "Stack Overflow (user mode)"), "{findings:#?}");
    let _ = std::fs::remove_dir_all(dir);
}
