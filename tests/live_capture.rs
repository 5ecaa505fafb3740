//! A live capture (Linux only): the test binary re-runs itself as a child
//! that runs only `child_sleeps_when_asked`, which sleeps; writes the child's
//! minidump with minidump-writer (ptrace), reads the child's /proc/<pid>/maps
//! around the capture, kills the child and opens the dump. The model must use the LinuxMaps stream, name the child's
//! pid, hold at least one thread and the main executable among its modules,
//! and show every mapping below the user limit as exactly its [start, end),
//! with a kind that fits the mapping: the executable's and libraries' files
//! Image, [heap] Heap, [stack] Stack, other files MappedFile/Shareable,
//! anonymous memory PrivateData/Reserved (or a thread's Stack); the gaps Free.
//! It is checked twice: on the dump as written (minidump-writer adds a
//! MemoryInfoList without paths, which must not win over LinuxMaps), and on
//! the same dump with its MemoryInfoList hidden. `MEMSCAPE_KEEP_LIVE_DUMP=PATH`
//! keeps a copy of the capture for a closer look.
#![cfg(target_os = "linux")]

use crate::common;

use std::io::{Read, Write};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use memscape::dump::{AddressSpace, RegionKind, RegionSource};

use common::process::start_ready;
use common::{assert_region_invariants, scratch_path};

const CHILD_ENV: &str = "MEMSCAPE_LIVE_CHILD";
const READY: &str = "MEMSCAPE_CHILD_READY";

/// The child's side, not a test: `live_process_dump_matches_proc_maps` re-runs
/// this binary with `--ignored --exact` on it, so the process to capture is
/// this very test binary (no separate helper executable to build and find).
#[test]
#[ignore = "the live-capture test's child process, run only by that test"]
fn child_sleeps_when_asked() {
    assert!(std::env::var_os(CHILD_ENV).is_some(), "run only as live_process_dump_matches_proc_maps's child");
    println!("{READY}");
    std::io::stdout().flush().expect("flush");
    std::thread::sleep(Duration::from_secs(30));
}

/// The child test's full name in this test binary: `live_capture::child_sleeps_when_asked`
/// inside tests/tests.rs (the module path without the crate's name), the bare name
/// were this file a test binary of its own.
fn child_test_name() -> String {
    match module_path!().split_once("::") {
        Some((_crate, module)) => format!("{module}::child_sleeps_when_asked"),
        None => "child_sleeps_when_asked".to_string(),
    }
}

/// One line of /proc/pid/maps.
#[derive(Debug, PartialEq, Eq)]
struct MapLine {
    start: u64,
    end: u64,
    perms: String,
    path: String,
}

fn parse_maps(text: &str) -> Vec<MapLine> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.splitn(6, ' ');
            let (range, perms) = (f.next()?, f.next()?);
            let (_offset, _dev, _inode) = (f.next()?, f.next()?, f.next()?);
            let path = f.next().unwrap_or("").trim().to_string();
            let (s, e) = range.split_once('-')?;
            Some(MapLine {
                start: u64::from_str_radix(s, 16).ok()?,
                end: u64::from_str_radix(e, 16).ok()?,
                perms: perms.to_string(),
                path,
            })
        })
        .collect()
}

fn is_elf(path: &str) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"\x7fELF"
}

/// The kinds a mapping may take in the model.
fn allowed_kinds(l: &MapLine, exe: &str) -> Vec<RegionKind> {
    use RegionKind::*;
    let shared = l.perms.as_bytes().get(3) == Some(&b's');
    let no_access = l.perms.starts_with("---");
    match l.path.as_str() {
        "[heap]" => vec![Heap],
        "[stack]" => vec![Stack],
        "[vdso]" => vec![Image],
        p if p.starts_with('[') => vec![Shareable],
        p if !p.is_empty() && (p == exe || is_elf(p)) => vec![Image],
        p if !p.is_empty() => vec![MappedFile, Shareable],
        _ if shared => vec![Shareable],
        // Anonymous: a thread's stack (or its guard), else private data or a reservation.
        _ if no_access => vec![Reserved, Stack],
        _ => vec![PrivateData, Stack],
    }
}

/// One capture of the sleeping child, shared by the tests below.
struct Capture {
    pid: u32,
    exe: String,
    maps: String,
    dump: Vec<u8>,
}

fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let exe = std::env::current_exe().expect("current exe");
        let child = start_ready(
            Command::new(&exe)
                .args(["--ignored", "--exact", &child_test_name(), "--nocapture", "--test-threads=1"])
                .env(CHILD_ENV, "1"),
            READY,
        );
        let pid = child.0.id() as i32;

        let maps_path = format!("/proc/{pid}/maps");
        let maps_before = std::fs::read_to_string(&maps_path).expect("read /proc/pid/maps");
        let dump_path = scratch_path("live");
        let mut file = std::fs::File::create(&dump_path).expect("create dump file");
        let written = minidump_writer::minidump_writer::MinidumpWriterConfig::new(pid, pid).write(&mut file);
        if let Err(e) = &written {
            panic!(
                "minidump-writer could not capture pid {pid}: {e} ({e:?}). It needs ptrace: run as root or with \
                 CAP_SYS_PTRACE, or set /proc/sys/kernel/yama/ptrace_scope to 0 or 1"
            );
        }
        drop(file);
        let maps_after = std::fs::read_to_string(&maps_path).expect("read /proc/pid/maps again");
        let exe_path = std::fs::read_link(format!("/proc/{pid}/exe")).expect("readlink /proc/pid/exe");
        drop(child);
        assert_eq!(maps_before, maps_after, "the sleeping child's mappings changed during the capture");
        let dump = std::fs::read(&dump_path).expect("read the dump back");
        if let Some(keep) = std::env::var_os("MEMSCAPE_KEEP_LIVE_DUMP") {
            std::fs::copy(&dump_path, keep).expect("keep the live dump");
        }
        let _ = std::fs::remove_file(&dump_path);
        Capture {
            pid: pid as u32,
            exe: exe_path.to_str().expect("utf-8 exe path").to_string(),
            maps: maps_before,
            dump,
        }
    })
}

/// The dump with every directory entry of `stream_type` turned into
/// UnusedStream (type 0), as if the writer had not written it.
fn hide_stream(dump: &[u8], stream_type: u32) -> Vec<u8> {
    let mut out = dump.to_vec();
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"));
    let (count, rva) = (u32_at(dump, 8) as usize, u32_at(dump, 12) as usize);
    for i in 0..count {
        let at = rva + i * 12;
        if u32_at(dump, at) == stream_type {
            out[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
        }
    }
    out
}

fn open(tag: &str, bytes: &[u8]) -> AddressSpace {
    let path = scratch_path(tag);
    std::fs::write(&path, bytes).expect("write the dump");
    let space = AddressSpace::open(&path).unwrap_or_else(|e| panic!("open the live dump: {e}"));
    let _ = std::fs::remove_file(&path);
    space
}

const MEMORY_INFO_LIST_STREAM: u32 = 16;

/// minidump-writer writes both LinuxMaps and a MemoryInfoList derived from the
/// same /proc/pid/maps, but without paths and with every mapping MEM_COMMIT
/// and MEM_PRIVATE or MEM_MAPPED (never MEM_IMAGE): only LinuxMaps can tell
/// images, [heap] and [stack] apart, so it must be the region source.
#[test]
fn live_linux_dump_regions_come_from_linux_maps() {
    let c = capture();
    let space = open("live", &c.dump);
    assert!(
        space.streams.iter().any(|s| s.stream_type == MEMORY_INFO_LIST_STREAM),
        "minidump-writer no longer writes a MemoryInfoList on Linux"
    );
    assert_eq!(space.region_source, RegionSource::LinuxMaps, "warnings: {:?}", space.warnings);
    check_against_proc_maps(&space, c);
}

/// The same capture read through its LinuxMaps stream alone.
#[test]
fn live_process_dump_matches_proc_maps() {
    let c = capture();
    let space = open("live-maps-only", &hide_stream(&c.dump, MEMORY_INFO_LIST_STREAM));
    assert_eq!(space.region_source, RegionSource::LinuxMaps, "warnings: {:?}", space.warnings);
    check_against_proc_maps(&space, c);
}

fn check_against_proc_maps(space: &AddressSpace, c: &Capture) {
    let (pid, exe) = (c.pid, c.exe.as_str());
    assert_eq!(space.process.process_id, Some(pid), "the pid");
    assert!(!space.threads.is_empty(), "no threads");
    assert!(
        space.modules.iter().any(|m| m.path == exe),
        "the main executable {exe} is not among the modules: {:?}",
        space.modules.iter().map(|m| &m.path).collect::<Vec<_>>()
    );
    assert_region_invariants(space, "live dump");

    let limit = space.system.user_limit_addr;
    let lines: Vec<MapLine> = parse_maps(&c.maps).into_iter().filter(|l| l.start < limit).collect();
    assert!(lines.len() > 5, "only {} mappings below {limit:#x}", lines.len());
    let mut failures = Vec::new();
    let mut prev_end = 0u64;
    for l in &lines {
        let what = format!("{:x}-{:x} {} {}", l.start, l.end, l.perms, l.path);
        // Mapping boundaries are region boundaries.
        let starts = space.region_at(l.start).is_some_and(|r| r.base_addr == l.start);
        let ends = l.end == limit || space.region_at(l.end).is_some_and(|r| r.base_addr == l.end);
        if !(starts && ends) {
            failures.push(format!("{what}: not a region boundary at its start or end"));
        }
        let allowed = allowed_kinds(l, exe);
        let mut at = l.start;
        while at < l.end {
            let Some(r) = space.region_at(at) else {
                failures.push(format!("{what}: no region at {at:#x}"));
                break;
            };
            if !allowed.contains(&r.kind) {
                failures.push(format!("{what}: region {:#x} is {}, expected one of {allowed:?}", r.base_addr, r.kind));
            }
            at = r.end_addr();
        }
        // The gap before it is free.
        if l.start > prev_end {
            let mut at = prev_end;
            while at < l.start {
                let Some(r) = space.region_at(at) else { break };
                if r.kind != RegionKind::Free {
                    failures.push(format!("gap {prev_end:#x}..{:#x}: {} at {:#x}", l.start, r.kind, r.base_addr));
                    break;
                }
                at = r.end_addr();
            }
        }
        prev_end = prev_end.max(l.end);
    }
    assert!(failures.is_empty(), "{} mismatches with /proc/{pid}/maps:\n  {}", failures.len(), failures.join("\n  "));
    for kind in [RegionKind::Image, RegionKind::Stack] {
        assert!(space.regions.iter().any(|r| r.kind == kind), "no {kind} region in a live process");
    }
}
