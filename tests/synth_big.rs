//! Big synthetic dumps (`memscape::synth::big`, `memscape synth`), at small
//! sizes so each test takes well under a few seconds in debug builds:
//!
//! - a 5,000-region / 40-thread / 30-module / 8 MiB dump reads back through the
//!   model with exactly the asked MemoryInfoList entries, threads, modules
//!   (the EXE and the DLLs) and captured bytes; every thread has its Stack
//!   allocation with a guard page and a TEB, the PEB and the heaps it lists
//!   are found, every module is an Image region whose captured header parses
//!   into sections, the crash is an access violation;
//! - stack walking (scan, no symbols) finds the frames of nearly every thread;
//! - rust-minidump reads it too and counts the same entries and ranges;
//! - same spec, same bytes; another seed, other bytes;
//! - the hidden `memscape synth` command writes the file and says so in one
//!   line; knobs out of range are one-line errors (exit 1), bad usage exit 2.
//!
//! `a_million_regions` (ignored: run it by hand, in release) writes the
//! largest dump the generator allows and checks its counts.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use memscape::dump::{AddressSpace, Owner, RegionKind, WalkOptions, walk_stacks};
use memscape::synth::big::{BigDumpSpec, BigDumpSummary, write_big_dump};

use common::{assert_region_invariants, scratch_path};

const MIB: u64 = 1 << 20;

/// The small dump most tests use.
fn small_spec() -> BigDumpSpec {
    BigDumpSpec::new(5_000, 40, 30, 8 * MIB)
}

/// Writes `spec` to a scratch file; removed when dropped.
struct Scratch {
    path: PathBuf,
    summary: BigDumpSummary,
}

impl Scratch {
    fn write(tag: &str, spec: &BigDumpSpec) -> Self {
        let path = scratch_path(tag);
        let summary = write_big_dump(spec, &path).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        Self { path, summary }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[test]
fn the_model_reads_back_every_knob() {
    let spec = small_spec();
    let dump = Scratch::write("big-model", &spec);
    let s = dump.summary;
    assert_eq!((s.regions, s.threads, s.modules, s.captured_bytes), (5_000, 40, 30, 8 * MIB));
    assert_eq!(s.file_bytes, std::fs::metadata(&dump.path).map(|m| m.len()).unwrap_or(0));

    let space = AddressSpace::open(&dump.path).expect("the dump opens");
    assert!(space.warnings.is_empty(), "{:?}", space.warnings);
    assert_region_invariants(&space, "big synthetic dump");
    assert_eq!(space.source_entry_count, 5_000);
    let states = space.memory_info_states.expect("MemoryInfoList states");
    assert_eq!(states.free + states.commit + states.reserve, 5_000);
    assert_eq!(states.other, 0);
    assert_eq!(space.threads.len(), 40);
    assert_eq!(space.modules.len(), 30);
    assert_eq!(space.captured.total_bytes(), 8 * MIB);
    assert_eq!(space.captured.ranges().len() as u64, s.memory_ranges);
    assert_eq!(space.system.os_version, "10.0.19045");
    assert_eq!(space.system.cpu, "amd64");
    assert_eq!(space.system.user_limit_addr, 128 << 40);

    // Every thread: its stack allocation (guard page included) and its TEB.
    for t in &space.threads {
        let sp = t.sp.expect("a context");
        assert!(sp >= t.stack_start_addr && sp < t.stack_end_addr, "thread {:#x}", t.id);
        let r = space.region_at(sp).expect("a region at sp");
        assert_eq!((r.kind, &r.owner), (RegionKind::Stack, &Owner::Thread(t.id)), "thread {:#x}", t.id);
        assert!(
            space.regions.iter().any(|g| g.alloc_base_addr == r.alloc_base_addr && g.protect.is_guard()),
            "thread {:#x} has no guard page",
            t.id
        );
        assert_eq!(space.region_at(t.teb_addr).map(|r| r.kind), Some(RegionKind::TEB), "thread {:#x}", t.id);
        assert!(space.module_at(t.ip.unwrap_or(0)).is_some(), "thread {:#x} runs outside the modules", t.id);
    }
    assert_eq!(space.region_at(space.peb_addr.expect("PEB found")).map(|r| r.kind), Some(RegionKind::PEB));
    assert!(space.heaps.len() >= 4, "{} heaps", space.heaps.len());
    for h in &space.heaps {
        let r = space.region_at(h.base_addr).expect("heap region");
        assert_eq!((r.kind, &r.owner), (RegionKind::Heap, &Owner::heap(h.index)), "heap at {:#x}", h.base_addr);
    }
    let by_kind = space.regions_by_kind();
    for kind in [RegionKind::PrivateData, RegionKind::MappedFile, RegionKind::Reserved, RegionKind::Free] {
        assert!(by_kind[&kind] > 0, "no {kind:?} regions");
    }

    // Every module: Image regions, several protections, a parsable header.
    for (i, m) in space.modules.iter().enumerate() {
        let image: Vec<_> =
            space.regions.iter().filter(|r| r.base_addr >= m.base_addr && r.end_addr() <= m.end_addr()).collect();
        assert!(image.iter().all(|r| r.kind == RegionKind::Image), "{}", m.name);
        assert!(image.len() >= 4, "{} has {} regions", m.name, image.len());
        let sections = space.module_sections(i).unwrap_or_else(|e| panic!("{}: {e}", m.name));
        let text = sections.iter().find(|s| s.name == ".text").expect(".text");
        assert!(text.protect.is_executable(), "{}", m.name);
        assert!(sections.iter().all(|s| s.end_addr() <= m.end_addr()), "{}", m.name);
        assert!(m.debug_id.is_some() && m.file_version.is_some(), "{}", m.name);
    }
    assert!(space.modules.iter().any(|m| m.name == "ntdll.dll"));
    assert!(space.modules.iter().any(|m| m.name == "ContosoStudio.exe"));

    let ex = space.exception.as_ref().expect("an exception");
    assert_eq!(ex.code, 0xC000_0005);
    assert_eq!(ex.target_addr, Some(0x18));
    let crashed = space.crashed_thread().expect("a crashed thread");
    assert_eq!(crashed.ip, Some(ex.address));
    assert!(space.module_at(ex.address).is_some());
}

#[test]
fn stack_walks_find_the_frames() {
    let dump = Scratch::write("big-walk", &small_spec());
    let space = AddressSpace::open(&dump.path).expect("the dump opens");
    let walk = walk_stacks(&space, &WalkOptions::default(), &|_, _| {}).expect("walk");
    assert_eq!(walk.traces.len(), 40);
    let deep = walk.traces.iter().filter(|t| t.frames.len() > 1).count();
    assert!(deep >= 36, "only {deep} of 40 threads have more than one frame");
    // The scan finds return addresses, never locals: every frame is in a module.
    for t in &walk.traces {
        assert!(t.frames.iter().all(|f| f.module.is_some()), "thread {:#x}: {:?}", t.thread_id, t.frames);
        assert!(t.frames.len() >= 3, "thread {:#x} has {} frames", t.thread_id, t.frames.len());
    }
}

#[test]
fn rust_minidump_counts_the_same() {
    let dump = Scratch::write("big-minidump", &small_spec());
    let md = minidump::Minidump::read_path(&dump.path).expect("rust-minidump reads it");
    let infos = md.get_stream::<minidump::MinidumpMemoryInfoList>().expect("MemoryInfoList");
    assert_eq!(infos.iter().count(), 5_000);
    let memory = md.get_stream::<minidump::MinidumpMemory64List>().expect("Memory64List");
    assert_eq!(memory.iter().count() as u64, dump.summary.memory_ranges);
    assert_eq!(memory.iter().map(|m| m.size).sum::<u64>(), 8 * MIB);
    let threads = md.get_stream::<minidump::MinidumpThreadList>().expect("ThreadList");
    assert_eq!(threads.threads.len(), 40);
    let modules = md.get_stream::<minidump::MinidumpModuleList>().expect("ModuleList");
    assert_eq!(modules.iter().count(), 30);
    let system = md.get_stream::<minidump::MinidumpSystemInfo>().expect("SystemInfo");
    assert_eq!(system.os, minidump::system_info::Os::Windows);
    assert_eq!(system.cpu, minidump::system_info::Cpu::X86_64);
}

fn file_hash(path: &Path) -> (u64, u64) {
    let bytes = std::fs::read(path).expect("read the dump");
    (bytes.len() as u64, memscape::synth::rng::fnv1a64(&bytes))
}

#[test]
fn same_spec_same_bytes() {
    let spec = BigDumpSpec::new(3_000, 12, 20, 2 * MIB);
    let a = Scratch::write("big-same-a", &spec);
    let b = Scratch::write("big-same-b", &spec);
    assert_eq!(a.summary, b.summary);
    assert_eq!(file_hash(&a.path), file_hash(&b.path));
    let other = Scratch::write("big-other", &BigDumpSpec { seed: 2, ..spec });
    assert_ne!(file_hash(&a.path).1, file_hash(&other.path).1);
}

#[test]
fn knobs_out_of_range_are_clear_errors() {
    let err = |s: BigDumpSpec| s.validate().err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err(BigDumpSpec::new(2_000_000, 40, 30, 8 * MIB)).contains("regions = 2000000 is out of range"));
    assert!(err(BigDumpSpec::new(5_000, 0, 30, 8 * MIB)).contains("threads = 0 is out of range"));
    assert!(err(BigDumpSpec::new(5_000, 40, 0, 8 * MIB)).contains("modules = 0 is out of range"));
    assert!(err(BigDumpSpec::new(5_000, 40, 30, 5 << 30)).contains("captured_bytes"));
    let few = err(BigDumpSpec::new(100, 40, 30, 8 * MIB));
    assert!(few.contains("regions = 100 is too few") && few.contains("40 threads and 30 modules"), "{few}");
    // Nothing is written for an invalid spec.
    let path = scratch_path("big-invalid");
    assert!(write_big_dump(&BigDumpSpec::new(100, 40, 30, 8 * MIB), &path).is_err());
    assert!(!path.exists());
}

fn memscape(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_memscape")).args(args).output().expect("run memscape")
}

#[test]
fn the_cli_writes_and_reports() {
    let path = scratch_path("big-cli");
    let p = path.to_string_lossy().to_string();
    let out = memscape(&[
        "synth",
        "--regions",
        "2500",
        "--threads",
        "8",
        "--modules",
        "12",
        "--captured-bytes",
        "2MiB",
        "--seed",
        "7",
        "-o",
        &p,
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with(&format!("wrote {p}: 2500 regions, 8 threads, 12 modules")), "{stdout}");
    assert!(stdout.contains("2.000 MiB captured"), "{stdout}");
    let same = Scratch::write("big-cli-lib", &BigDumpSpec { seed: 7, ..BigDumpSpec::new(2_500, 8, 12, 2 * MIB) });
    assert_eq!(file_hash(&path), file_hash(&same.path), "the CLI and the library write the same file");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn the_cli_refuses_bad_knobs_and_bad_usage() {
    let path = scratch_path("big-cli-bad");
    let p = path.to_string_lossy().to_string();
    for (args, needle) in [
        (vec!["--regions", "2000000"], "regions = 2000000 is out of range"),
        (vec!["--threads", "0"], "threads = 0 is out of range"),
        (vec!["--regions", "50", "--threads", "40", "--modules", "30"], "too few"),
        (vec!["--captured-bytes", "5GiB"], "captured_bytes"),
    ] {
        let out = memscape(&[&["synth", "-o", &p], args.as_slice()].concat());
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!path.exists());
    }
    for args in [vec!["--captured-bytes", "12XB"], vec!["--regions", "many"], vec!["--bogus"], vec![]] {
        let mut full = vec!["synth"];
        if !args.is_empty() {
            full.extend(["-o", &p]);
        }
        full.extend(args.iter().copied());
        let out = memscape(&full);
        assert_eq!(out.status.code(), Some(2), "{full:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// The largest dump the generator allows. Run by hand (release recommended):
/// `cargo test --release --test synth_big -- --ignored`.
#[test]
#[ignore = "writes a 4 GiB file"]
fn a_million_regions() {
    let spec = BigDumpSpec::new(1_000_000, 2_000, 1_000, 4 << 30);
    let dump = Scratch::write("big-million", &spec);
    let s = dump.summary;
    assert_eq!((s.regions, s.threads, s.modules, s.captured_bytes), (1_000_000, 2_000, 1_000, 4 << 30));
    let space = AddressSpace::open(&dump.path).expect("the dump opens");
    assert!(space.warnings.is_empty(), "{:?}", space.warnings);
    assert_eq!(space.source_entry_count, 1_000_000);
    assert_eq!(space.threads.len(), 2_000);
    // --modules counts every module, the EXE included.
    assert_eq!(space.modules.len(), 1_000);
    assert_eq!(space.captured.total_bytes(), 4 << 30);
    assert!(
        space.threads.iter().all(|t| space.region_at(t.sp.unwrap_or(0)).map(|r| r.kind) == Some(RegionKind::Stack))
    );
}
