//! Stack walking (`memscape::dump::walk_stacks`, `memscape threads --stacks`).
//!
//! - For every corpus dump (`MEMSCAPE_CORPUS`; skipped with a message when
//!   unset, a failure when `MEMSCAPE_REQUIRE_CORPUS=1`) and the demo dump, the
//!   traces agree with minidump-processor's `process_minidump` run here
//!   directly: same threads in the same order, and per thread the same frames
//!   (inlined ones expanded) with the same instruction addresses and trust.
//!   The crashing thread's first frame is the exception context's instruction.
//! - `threads --stacks --json` through the binary: every thread has a frames
//!   array whose frames carry DESIGN.md's fixed fields, the crashed thread's
//!   is non-empty; without `--stacks` frames is null.
//! - A Breakpad .sym file written here for a minidump-synth module names the
//!   functions (`crash_here+0x34`, source line) and unwinds by CFI.
//! - Bounds: a stack of 24K return addresses keeps `MAX_FRAMES` frames, a
//!   stack bigger than `MAX_STACK_WINDOW_BYTES` is walked from SP with a note.
//! - Hostile input: truncated, bit-flipped and overwritten corpus, demo and
//!   synth dumps walk without a panic escaping (Ok or Err).

use crate::common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;

use memscape::dump::{AddressSpace, FrameTrust, MAX_FRAMES, Platform, StackTrace, WalkOptions, walk_stacks};
use minidump_synth::{DumpString, Memory, Module, SynthMinidump, Thread};
use serde_json::{Value, json};
use test_assembler::Section;

use common::rng::{SplitMix64, TestRng};
use common::synth::{Flavour, LE, crash_dump, linux_dump, synthesized_dump, with_exception};
use common::{corpus_dir, read_manifest, scratch_path, write_scratch};

const DEMO: &str = "assets/demo/azure-worker-crash.dmp";

/// The corpus dumps (when configured) and the demo dump.
fn dumps() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(dir) = corpus_dir() {
        out.extend(read_manifest(&dir).iter().map(|row| dir.join(row.file())));
    }
    out.push(Path::new(env!("CARGO_MANIFEST_DIR")).join(DEMO));
    out
}

fn no_progress(_: usize, _: usize) {}

/// (instruction, trust name) per frame.
type Frames = Vec<(u64, &'static str)>;

/// minidump-processor's frames per thread, inlined ones expanded the way
/// minidump-stackwalk prints them.
fn processor_frames(path: &Path) -> Option<Vec<(u32, Frames)>> {
    let dump = minidump::Minidump::read_path(path).ok()?;
    let symbolizer = minidump_unwind::Symbolizer::new(minidump_unwind::simple_symbol_supplier(Vec::new()));
    let state = pollster::block_on(minidump_processor::process_minidump(&dump, &symbolizer)).ok()?;
    let trust = |t: minidump_unwind::FrameTrust| match t {
        minidump_unwind::FrameTrust::Context => "context",
        minidump_unwind::FrameTrust::CallFrameInfo => "cfi",
        minidump_unwind::FrameTrust::FramePointer => "frame_pointer",
        minidump_unwind::FrameTrust::Scan => "scan",
        minidump_unwind::FrameTrust::CfiScan => "cfi_scan",
        minidump_unwind::FrameTrust::PreWalked => "prewalked",
        minidump_unwind::FrameTrust::None => "none",
    };
    Some(
        state
            .threads
            .iter()
            .map(|t| {
                let frames = t
                    .frames
                    .iter()
                    .flat_map(|f| {
                        f.inlines.iter().map(|_| (f.instruction, "inline")).chain([(f.instruction, trust(f.trust))])
                    })
                    .collect();
                (t.thread_id, frames)
            })
            .collect(),
    )
}

fn ours(trace: &StackTrace) -> Frames {
    trace.frames.iter().map(|f| (f.instruction_addr, f.trust.name())).collect()
}

#[test]
fn traces_agree_with_minidump_processor() {
    let mut compared = 0;
    let mut frames_total = 0;
    for path in dumps() {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
        let space = AddressSpace::open(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let progress = std::cell::RefCell::new(Vec::new());
        let walk =
            walk_stacks(&space, &WalkOptions::default(), &|done, total| progress.borrow_mut().push((done, total)))
                .unwrap_or_else(|e| panic!("{name}: walk failed: {e}"));
        let progress = progress.into_inner();
        let n = space.threads.len();
        assert_eq!(progress.first(), Some(&(0, n)), "{name}: progress starts at 0 of {n}");
        assert_eq!(progress.last(), Some(&(n, n)), "{name}: progress ends at {n} of {n}");
        assert!(progress.windows(2).all(|w| w[0].0 <= w[1].0), "{name}: progress goes backwards: {progress:?}");

        // Same threads, same order as the model's thread list.
        let ids: Vec<u32> = walk.traces.iter().map(|t| t.thread_id).collect();
        let model_ids: Vec<u32> = space.threads.iter().map(|t| t.id).collect();
        assert_eq!(ids, model_ids, "{name}: trace order differs from the thread list");

        let expected = processor_frames(&path).unwrap_or_else(|| panic!("{name}: minidump-processor failed"));
        assert_eq!(expected.len(), walk.traces.len(), "{name}: thread count");
        for ((id, want), trace) in expected.iter().zip(&walk.traces) {
            assert_eq!(*id, trace.thread_id, "{name}: thread order");
            let got = ours(trace);
            assert_eq!(got.len(), want.len(), "{name}: thread {id}: frame count ({:?})", trace.note);
            for (i, (g, w)) in got.iter().zip(want).enumerate() {
                assert_eq!(g, w, "{name}: thread {id} frame {i}: (instruction, trust)");
            }
            for (i, f) in trace.frames.iter().enumerate() {
                assert_eq!(f.index, i, "{name}: thread {id}: frame numbering");
                if let Some(m) = f.module_index {
                    let module = &space.modules[m];
                    assert!(
                        module.contains(f.instruction_addr),
                        "{name}: thread {id} frame {i} not in {}",
                        module.name
                    );
                    assert_eq!(f.module.as_deref(), Some(module.name.as_str()), "{name}: module name");
                    assert_eq!(f.module_offset, Some(f.instruction_addr - module.base_addr));
                }
                if f.trust != FrameTrust::Inline {
                    assert!(!f.registers.is_empty(), "{name}: thread {id} frame {i} has no registers");
                }
            }
            if let Some(first) = trace.frames.first() {
                assert_eq!(first.trust, FrameTrust::Context, "{name}: thread {id}: frame 0 is the context's");
            }
            frames_total += trace.frames.len();
        }

        // The crashing thread starts at the exception's instruction.
        if let Some(ex) = &space.exception {
            let expected_ip =
                ex.instruction_addr.or((space.system.platform == Platform::Windows).then_some(ex.address));
            let trace = walk.traces.iter().find(|t| t.thread_id == ex.thread_id);
            if let (Some(ip), Some(first)) = (expected_ip, trace.and_then(|t| t.frames.first())) {
                assert_eq!(
                    first.instruction_addr, ip,
                    "{name}: the crashing thread's first frame is not the exception's instruction"
                );
            } else {
                println!("{name}: no exception instruction or crashing-thread frames to compare");
            }
        }
        compared += 1;
    }
    println!("{compared} dumps, {frames_total} frames agree with minidump-processor");
}

fn hex_string(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.strip_prefix("0x").is_some_and(|h| !h.is_empty() && h.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')))
    })
}

fn run_memscape(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_memscape")).args(args).output().expect("run memscape")
}

#[test]
fn threads_stacks_json_has_the_fixed_frame_fields() {
    const TRUSTS: [&str; 8] = ["context", "cfi", "frame_pointer", "scan", "cfi_scan", "prewalked", "inline", "none"];
    for path in dumps() {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
        let p = path.to_str().expect("utf-8 path");
        let run = run_memscape(&["threads", p, "--stacks", "--json"]);
        assert!(run.status.success(), "{name}: {}", String::from_utf8_lossy(&run.stderr));
        let threads: Value = serde_json::from_slice(&run.stdout).expect("JSON");
        let threads = threads.as_array().expect("an array");
        let mut crashed_seen = false;
        for t in threads {
            let frames =
                t["frames"].as_array().unwrap_or_else(|| panic!("{name}: thread {} frames not an array", t["id"]));
            for (i, f) in frames.iter().enumerate() {
                let what = format!("{name}: thread {} frame {i}", t["id"]);
                assert_eq!(f["index"], i, "{what}: index");
                assert!(hex_string(&f["instruction"]), "{what}: instruction {}", f["instruction"]);
                assert!(f["module"].is_string() || f["module"].is_null(), "{what}: module {}", f["module"]);
                assert!(f["function"].is_string() || f["function"].is_null(), "{what}: function");
                assert!(f["offset"].is_null() || hex_string(&f["offset"]), "{what}: offset {}", f["offset"]);
                if f["module"].is_string() {
                    assert!(hex_string(&f["offset"]), "{what}: a frame in a module has an offset");
                }
                let trust = f["trust"].as_str().unwrap_or_default();
                assert!(TRUSTS.contains(&trust), "{what}: trust {trust:?}");
                assert_eq!(i == 0, trust == "context", "{what}: only frame 0 comes from the context");
            }
            if t["crashed"] == true {
                crashed_seen = true;
                assert!(!frames.is_empty(), "{name}: the crashed thread {} has no frames", t["id"]);
            }
        }
        let space = AddressSpace::open(&path).expect("open");
        assert_eq!(crashed_seen, space.crashed_thread().is_some(), "{name}: crashed marker");
    }
    // Without --stacks the frames stay null.
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEMO);
    let run = run_memscape(&["threads", demo.to_str().expect("utf-8"), "--json"]);
    assert!(run.status.success());
    let threads: Value = serde_json::from_slice(&run.stdout).expect("JSON");
    assert!(threads.as_array().expect("array").iter().all(|t| t["frames"].is_null()));
}

pub const APP_BASE: u64 = 0x40_0000;
const STACK_BASE: u64 = 0x10_0000;
pub const CRASH_IP: u64 = APP_BASE + 0x1234;
pub const RETURN_ADDR: u64 = APP_BASE + 0x1500;

/// An amd64 Windows dump: app.exe with a CodeView (RSDS) record naming app.pdb,
/// one thread at `CRASH_IP` whose stack holds `stack_words` (the first is at SP),
/// and an access violation on it.
pub fn symbolized_dump(stack_words: &[u64], stack_bytes: usize) -> Vec<u8> {
    named_dump("C:\\app\\app.exe", "app.pdb", stack_words, stack_bytes)
}

/// [`symbolized_dump`] with the module's path and PDB name given.
pub fn named_dump(exe_path: &str, pdb_name: &str, stack_words: &[u64], stack_bytes: usize) -> Vec<u8> {
    let f = Flavour::Amd64Win10;
    let dump = SynthMinidump::with_endian(LE).add_system_info(f.system_info());
    let name = DumpString::new(exe_path, LE);
    let guid: [u8; 16] = [0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde, 1, 2, 3, 4, 5, 6, 7, 8];
    let cv = Section::with_endian(LE)
        .append_bytes(b"RSDS")
        .append_bytes(&guid)
        .D32(1)
        .append_bytes(pdb_name.as_bytes())
        .append_bytes(b"\0");
    let module = Module::new(LE, APP_BASE, 0x3000, &name, 0x5f00_0000, 0, None).cv_record(&cv);
    let dump = dump.add_module(module).add(name).add(cv);
    let mut stack = Section::with_endian(LE);
    for w in stack_words {
        stack = stack.D64(*w);
    }
    let used = stack_words.len() * 8;
    let stack = stack.append_repeated(0, stack_bytes.saturating_sub(used));
    let stack = Memory::with_section(stack, STACK_BASE);
    let context = f.context(CRASH_IP, STACK_BASE);
    let thread = Thread::new(LE, 7, &stack, &context);
    let dump = dump.add_thread(thread).add_memory(stack).add(context);
    with_exception(dump, 7, 0xC000_0005, CRASH_IP).finish().expect("synth dump")
}

/// A Breakpad tree for app.pdb: crash_here (with CFI: return address at [rsp])
/// and main.
fn write_symbols(debug_id: &str) -> PathBuf {
    let dir = scratch_path("symbols").with_extension("d");
    let leaf = dir.join("app.pdb").join(debug_id);
    std::fs::create_dir_all(&leaf).expect("symbol dir");
    std::fs::write(leaf.join("app.sym"), app_sym(debug_id)).expect("write .sym");
    dir
}

/// [`write_symbols`]' .sym text.
pub fn app_sym(debug_id: &str) -> String {
    format!(
        "MODULE windows x86_64 {debug_id} app.pdb\n\
         FILE 0 c:\\src\\app.c\n\
         FUNC 1200 100 0 crash_here\n\
         1200 100 12 0\n\
         FUNC 1400 200 0 main\n\
         1400 200 30 0\n\
         STACK CFI INIT 1200 100 .cfa: $rsp 8 + .ra: .cfa -8 + ^\n"
    )
}

#[test]
fn breakpad_symbols_name_functions_and_unwind_by_cfi() {
    let path = write_scratch("symbolized", &symbolized_dump(&[RETURN_ADDR], 0x1000));
    let space = AddressSpace::open(&path).expect("open");
    let debug_id = space.modules[0].debug_id.clone().expect("a debug id from the RSDS record");

    // Without symbols: module+offset, the caller found by scanning.
    let plain = walk_stacks(&space, &WalkOptions::default(), &no_progress).expect("walk");
    let frames = &plain.traces[0].frames;
    assert_eq!(frames.len(), 2, "{frames:#?}");
    assert_eq!(frames[0].location(), "app+0x1234");
    assert_eq!(frames[0].function, None);
    assert_eq!(frames[1].trust, FrameTrust::Scan);

    // With them: function+offset, source line, CFI.
    let dir = write_symbols(&debug_id);
    let opts = WalkOptions::with_dirs(vec![dir.clone()]);
    let walk = walk_stacks(&space, &opts, &no_progress).expect("walk");
    let frames = &walk.traces[0].frames;
    assert_eq!(frames.len(), 2, "{frames:#?}");
    assert_eq!(frames[0].instruction_addr, CRASH_IP);
    assert_eq!(frames[0].function.as_deref(), Some("crash_here"));
    assert_eq!(frames[0].function_offset, Some(0x34));
    assert_eq!(frames[0].location(), "app!crash_here+0x34");
    assert_eq!(frames[0].source, Some(("c:\\src\\app.c".to_string(), 12)));
    assert_eq!(frames[0].module_index, Some(0));
    assert_eq!(frames[1].trust, FrameTrust::Cfi);
    assert_eq!(frames[1].instruction_addr, RETURN_ADDR - 1);
    assert_eq!(frames[1].location(), "app!main+0xff");
    let rsp = frames[1].registers.iter().find(|(r, _)| r == "rsp").map(|(_, v)| *v);
    assert_eq!(rsp, Some(STACK_BASE + 8), "the caller's rsp is the CFA");
    assert!(walk.warnings.iter().any(|w| w.contains("symbols found for 1 of 1")), "{:?}", walk.warnings);

    // The same through the binary, text and JSON.
    let (p, d) = (path.to_str().expect("utf-8"), dir.to_str().expect("utf-8"));
    let text = run_memscape(&["threads", p, "--stacks", "--symbols", d]);
    assert!(text.status.success(), "{}", String::from_utf8_lossy(&text.stderr));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("# 00 00000000`00401234  app!crash_here+0x34 [c:\\src\\app.c @ 12]  (context)"), "{text}");
    assert!(text.contains("# 01 00000000`004014ff  app!main+0xff [c:\\src\\app.c @ 30]  (cfi)"), "{text}");
    let json = run_memscape(&["threads", p, "--json", "--symbols", d]);
    assert!(json.status.success());
    let threads: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let f0 = &threads[0]["frames"][0];
    assert_eq!(f0["function"], "crash_here");
    assert_eq!(f0["offset"], "0x34");
    assert_eq!(f0["module_offset"], "0x1234");
    assert_eq!(f0["module"], "app.exe");
    assert_eq!(f0["registers"]["rip"], "0x401234");
    assert_eq!(threads[0]["frames"][1]["trust"], "cfi");
    assert_eq!((&f0["file"], &f0["line"], &f0["inlined"]), (&json!("c:\\src\\app.c"), &json!(12), &json!(false)));

    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_file(path);
}

#[test]
fn long_and_huge_stacks_are_bounded() {
    // 24K return addresses: one scanned frame each, MAX_FRAMES kept.
    let words = vec![RETURN_ADDR; MAX_FRAMES + 4_000];
    let path = write_scratch("deep", &symbolized_dump(&words, words.len() * 8));
    let space = AddressSpace::open(&path).expect("open");
    let walk = walk_stacks(&space, &WalkOptions::default(), &no_progress).expect("walk");
    let trace = &walk.traces[0];
    assert_eq!(trace.frames.len(), MAX_FRAMES);
    assert!(trace.note.as_deref().is_some_and(|n| n.starts_with("truncated")), "{:?}", trace.note);
    let _ = std::fs::remove_file(path);

    // A stack over the window: walked from SP, with a note.
    let bytes = (memscape::dump::MAX_STACK_WINDOW_BYTES as usize) + 0x10_0000;
    let path = write_scratch("huge", &symbolized_dump(&[RETURN_ADDR], bytes));
    let space = AddressSpace::open(&path).expect("open");
    let walk = walk_stacks(&space, &WalkOptions::default(), &no_progress).expect("walk");
    let trace = &walk.traces[0];
    assert_eq!(trace.frames.len(), 2);
    assert!(trace.note.as_deref().is_some_and(|n| n.starts_with("truncated")), "{:?}", trace.note);
    let _ = std::fs::remove_file(path);
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Mutated copies of `original`: bit flips and 4-byte overwrites, mostly in
/// the header, the directory and the first bytes of each stream (where the
/// thread list, contexts and memory descriptors live), then truncations.
fn mutations(original: &[u8], seed: u64, count: usize) -> Vec<(String, Vec<u8>)> {
    let len = original.len();
    let streams = u32_at(original, 8).unwrap_or(0).min(256) as usize;
    let dir = u32_at(original, 12).unwrap_or(32) as usize;
    let mut hot: Vec<usize> = (0..(dir + streams * 12).min(len)).collect();
    for n in 0..streams {
        let (Some(size), Some(rva)) = (u32_at(original, dir + n * 12 + 4), u32_at(original, dir + n * 12 + 8)) else {
            break;
        };
        let (rva, size) = (rva as usize, size as usize);
        hot.extend(rva.min(len)..rva.saturating_add(size.min(256)).min(len));
    }
    let mut rng = SplitMix64::new(seed);
    let mut out = Vec::new();
    for k in 0..count {
        let at = if !hot.is_empty() && rng.index(10) < 8 { hot[rng.index(hot.len())] } else { rng.index(len) };
        let mut bytes = original.to_vec();
        if k % 4 == 3 {
            let at = at.min(len.saturating_sub(4));
            let value: u32 = [0xFFFF_FFFF, 0x7FFF_FFFF, 0][rng.index(3)];
            let end = (at + 4).min(len);
            bytes[at..end].copy_from_slice(&value.to_le_bytes()[..end - at]);
            out.push((format!("{value:#x} at {at:#x}"), bytes));
        } else {
            let bit = rng.index(8);
            bytes[at] ^= 1 << bit;
            out.push((format!("bit {bit} of {at:#x} flipped"), bytes));
        }
    }
    for k in 1..=12 {
        let n = len * k / 13;
        out.push((format!("truncated to {n}"), original[..n].to_vec()));
    }
    out
}

#[test]
fn hostile_dumps_walk_without_panicking() {
    let mut originals: Vec<(String, Vec<u8>)> = Vec::new();
    if let Some(dir) = corpus_dir() {
        // A few small ones of different CPUs and writers keep the test quick.
        for name in [
            "win-x64-win10-sigsegv-small.dmp",
            "win-x86-breakpad-test-av.dmp",
            "linux-x64-breakpad-null-deref.dmp",
            "macos-arm64-crashpad.dmp",
            "win-x86-winxp-origin-av.dmp",
        ] {
            let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
            originals.push((name.to_string(), bytes));
        }
    }
    let demo = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(DEMO)).expect("demo dump");
    originals.push(("demo".into(), demo));
    originals.push(("synth crash".into(), crash_dump().finish().expect("synth")));
    originals.push(("synth linux".into(), linux_dump().finish().expect("synth")));
    originals.push(("synth x86".into(), synthesized_dump(Flavour::X86).0.finish().expect("synth")));
    originals.push(("synth symbolized".into(), symbolized_dump(&[RETURN_ADDR; 64], 0x1000)));

    let (mut tried, mut walked, mut ok, mut err) = (0, 0, 0, 0);
    let path = scratch_path("hostile-walk");
    for (seed, (name, original)) in originals.iter().enumerate() {
        for (what, bytes) in mutations(original, 0x5eed_0000 + seed as u64, 60) {
            tried += 1;
            std::fs::write(&path, &bytes).expect("write mutated dump");
            let Ok(space) = AddressSpace::open(&path) else { continue };
            let result = catch_unwind(AssertUnwindSafe(|| walk_stacks(&space, &WalkOptions::default(), &no_progress)));
            match result {
                Ok(Ok(_)) => ok += 1,
                Ok(Err(_)) => err += 1,
                Err(_) => panic!("{name}, {what}: a panic escaped walk_stacks"),
            }
            walked += 1;
        }
    }
    let _ = std::fs::remove_file(path);
    println!("{walked} mutated dumps walked: {ok} Ok, {err} Err, no panic escaped");
    // Most mutations still open (one that makes the file unreadable is not a
    // walk), and most of those walk.
    assert_eq!(originals.len(), if corpus_dir().is_some() { 10 } else { 5 }, "an original is missing");
    assert!(walked * 2 > tried, "only {walked} of {tried} mutated dumps opened to be walked");
    assert!(ok * 2 > walked, "only {ok} of {walked} walks succeeded");
}
