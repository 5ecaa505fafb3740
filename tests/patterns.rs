//! Pattern findings (`memscape::analysis::patterns`, `memscape patterns`).
//!
//! - For every pattern, a minidump-synth dump (written to a scratch file and
//!   opened with `AddressSpace::open`) on which it fires and a near miss on
//!   which it must not. Rules that read stack traces get `WalkResult`s built
//!   here, and do not fire without them.
//! - The demo dump yields Cloud Environment and NULL Pointer (data) (the
//!   runtime rules, Cloud Environment's variants, JIT Code (.NET) and
//!   Self-Diagnosis (user mode), are in patterns_runtime.rs).
//! - Every corpus dump (`MEMSCAPE_CORPUS`; skipped with a message when unset,
//!   a failure when `MEMSCAPE_REQUIRE_CORPUS=1`) and the demo go through every
//!   rule with traces from `walk_stacks`; their findings (name, severity,
//!   confidence, summary) are compared with tests/snapshots/patterns.txt
//!   (`MEMSCAPE_BLESS=1` rewrites it).
//! - `memscape patterns --json` prints DESIGN.md's fields.

use crate::common;

use std::path::Path;
use std::process::Command;

use memscape::analysis::patterns::{Finding, Severity, analyze};
use memscape::dump::{AddressSpace, StackTrace, WalkOptions, WalkResult, walk_stacks};

use common::pattern_spec::*;
use common::synth::{Flavour, MEM_COMMIT, MEM_PRIVATE, MEM_RESERVE, PAGE_READWRITE, free, mem_info};
use common::{corpus_dir, read_manifest, write_scratch};

#[test]
fn stack_overflow() {
    let hit = Spec { exception: code(0xC000_00FD), sp: STACK_BASE + 0x1800, ..Spec::default() };
    let miss = Spec { exception: av(0, 0x1_0010), ..Spec::default() };
    let f = check("Stack Overflow (user mode)", hit, miss, None);
    assert_eq!((f.severity, f.confidence), (Severity::Critical, 1.0));
    assert_eq!(f.threads, vec![CRASH_TID]);
    // An access violation in the guard area below SP, near the stack's base.
    let guard = Spec { exception: av(1, STACK_BASE + 0x800), sp: STACK_BASE + 0x1800, ..Spec::default() };
    fires("Stack Overflow (user mode)", &open_spec("so-av", guard), None);
}

#[test]
fn null_pointer_data() {
    let hit = Spec { exception: av(1, 0x10), ..Spec::default() };
    let miss = Spec { exception: av(1, 0x1_0010), ..Spec::default() };
    let f = check("NULL Pointer (data)", hit, miss, None);
    assert_eq!(f.modules, vec!["app.exe".to_string()]);
    // Executing at NULL is the code pattern, not the data one.
    silent("NULL Pointer (data)", &open_spec("np", Spec { exception: av(8, 0), ip: 0, ..Spec::default() }), None);
}

#[test]
fn null_pointer_code() {
    let hit = Spec { exception: av(8, 0x0), ip: 0x0, ..Spec::default() };
    let miss = Spec { exception: av(0, 0x10), ..Spec::default() };
    check("NULL Pointer (code)", hit, miss, None);
}

#[test]
fn invalid_pointer() {
    let hit = Spec { exception: av(0, 0x2_0010), ..Spec::default() };
    let miss = Spec { exception: av(0, 0x1_0010), ..Spec::default() };
    let f = check("Invalid Pointer", hit, miss, None);
    assert_eq!(f.regions, vec![0x2_0000]);
    fires("Invalid Pointer", &open_spec("ip-free", Spec { exception: av(1, 0x80_0000), ..Spec::default() }), None);
    silent("Invalid Pointer", &open_spec("ip-null", Spec { exception: av(1, 0x8), ..Spec::default() }), None);
}

#[test]
fn wild_code() {
    let hit = Spec { exception: av(8, 0x1_0800), ip: 0x1_0800, ..Spec::default() };
    let miss = Spec { exception: av(0, 0x10), ..Spec::default() };
    check("Wild Code", hit, miss, None);
    // Inside the module but in its non-executable .data.
    fires("Wild Code", &open_spec("wc", Spec { exception: av(8, 0x40_2010), ip: 0x40_2010, ..Spec::default() }), None);
}

#[test]
fn managed_code_exception() {
    let clr = || {
        let mut m = Spec::default().modules;
        m.push((0x7ff8_2000_0000, 0x10_0000, "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\clr.dll".into()));
        m
    };
    let hit = Spec { exception: code(0xE043_4352), modules: clr(), ..Spec::default() };
    let miss = Spec { exception: code(0xE06D_7363), modules: clr(), ..Spec::default() };
    let f = check("Managed Code Exception", hit, miss, None);
    assert_eq!((f.modules.clone(), f.confidence), (vec!["clr.dll".to_string()], 0.95));
}

#[test]
fn cpp_exception() {
    let hit = Spec { exception: Some((0xE06D_7363, vec![0x1993_0520, 0x5F_F900, 0x40_2000])), ..Spec::default() };
    let miss = Spec { exception: code(0xE043_4352), ..Spec::default() };
    check("C++ Exception", hit, miss, None);
}

#[test]
fn dynamic_memory_corruption() {
    let name = "Dynamic Memory Corruption (process heap)";
    check(
        name,
        Spec { exception: code(0xC000_0374), ..Spec::default() },
        Spec { exception: code(0xC000_0409), ..Spec::default() },
        None,
    );
    // From the crashing stack: a heap-failure routine near the top, not deep down.
    let top = traces(&[(CRASH_TID, &["RtlpHeapHandleError", "RtlpLogHeapFailure", "RtlFreeHeap", "main"])]);
    let deep = traces(&[(CRASH_TID, &["a", "b", "c", "d", "e", "f", "g", "h", "i", "RtlpHeapHandleError"])]);
    let space = open_spec("dmc", Spec { exception: av(0, 0x1_0010), ..Spec::default() });
    fires(name, &space, Some(&top));
    silent(name, &space, Some(&deep));
    silent(name, &space, None);
}

#[test]
fn divide_by_zero() {
    let hit = Spec { exception: code(0xC000_0094), ..Spec::default() };
    let miss = Spec { exception: code(0xC000_0095), ..Spec::default() };
    check("Divide by Zero (user mode)", hit, miss, None);
}

#[test]
fn invalid_handle() {
    let hit = Spec { exception: code(0xC000_0008), ..Spec::default() };
    let miss = Spec { exception: code(0xC000_0235), ..Spec::default() };
    check("Invalid Handle", hit, miss, None);
}

#[test]
fn multiple_exceptions() {
    let name = "Multiple Exceptions (user mode)";
    let spec = || Spec { exception: av(0, 0x10), other_threads: vec![0x20], ..Spec::default() };
    let space = open_spec("me", spec());
    let two = traces(&[(CRASH_TID, &["KiUserExceptionDispatcher"]), (0x20, &["x", "RtlDispatchException", "y"])]);
    let one = traces(&[(CRASH_TID, &["KiUserExceptionDispatcher"]), (0x20, &["x", "RtlRaiseStatus"])]);
    let f = fires(name, &space, Some(&two));
    assert_eq!(f.threads, vec![0x20, CRASH_TID]);
    silent(name, &space, Some(&one));
    silent(name, &space, None);
}

#[test]
fn spiking_thread() {
    let threads = vec![0x20, 0x21];
    let hit = Spec {
        other_threads: threads.clone(),
        times: vec![(CRASH_TID, 50, 10), (0x20, 4_000, 900), (0x21, 100, 0)],
        ..Spec::default()
    };
    let miss = Spec {
        other_threads: threads,
        times: vec![(CRASH_TID, 50, 10), (0x20, 4_000, 900), (0x21, 3_000, 0)],
        ..Spec::default()
    };
    let f = check("Spiking Thread", hit, miss, None);
    assert_eq!(f.threads, vec![0x20]);
}

#[test]
fn blocked_thread() {
    let space = open_spec("bt", Spec { exception: av(0, 0x10), other_threads: vec![0x20, 0x21], ..Spec::default() });
    let hit = traces(&[
        (CRASH_TID, &["NtWaitForSingleObject"]),
        (0x20, &["NtWaitForSingleObject", "WaitForSingleObjectEx"]),
        (0x21, &["ZwDelayExecution"]),
    ]);
    let miss = traces(&[
        (CRASH_TID, &["NtWaitForSingleObject"]),
        (0x20, &["memcpy", "a", "b", "WaitForSingleObjectEx"]),
        (0x21, &[]),
    ]);
    let f = fires("Blocked Thread", &space, Some(&hit));
    assert_eq!(f.threads, vec![0x20, 0x21], "the crashing thread is not counted");
    silent("Blocked Thread", &space, Some(&miss));
    silent("Blocked Thread", &space, None);
}

#[test]
fn message_box() {
    let space = open_spec("mb", Spec { other_threads: vec![0x20], ..Spec::default() });
    let hit = traces(&[(0x20, &["NtUserWaitMessage", "DialogBox2", "SoftModalMessageBox", "MessageBoxW"])]);
    let miss = traces(&[(0x20, &["NtUserGetMessage", "MessageBeep"])]);
    fires("Message Box", &space, Some(&hit));
    silent("Message Box", &space, Some(&miss));
}

#[test]
fn duplicated_module() {
    let mods = |second: &str| {
        let mut m = Spec::default().modules;
        m.push((0x7000_0000, 0x1_0000, "C:\\a\\dup.dll".into()));
        m.push((0x7100_0000, 0x1_0000, format!("C:\\b\\{second}")));
        m
    };
    let hit = Spec { modules: mods("dup.dll"), ..Spec::default() };
    let miss = Spec { modules: mods("dup2.dll"), ..Spec::default() };
    let f = check("Duplicated Module", hit, miss, None);
    assert_eq!(f.modules, vec!["dup.dll".to_string()]);
}

#[test]
fn unloaded_module() {
    let unloaded = vec![(0x7000_0000, 0x1_0000, "plugin.dll".to_string())];
    let hit = Spec { exception: av(8, 0x7000_1000), ip: 0x7000_1000, unloaded: unloaded.clone(), ..Spec::default() };
    let miss = Spec { exception: av(0, 0x10), unloaded: unloaded.clone(), ..Spec::default() };
    let f = check("Unloaded Module", hit, miss, None);
    assert_eq!((f.severity, f.modules.clone()), (Severity::Error, vec!["plugin.dll".to_string()]));
    // A return address into it on a stack.
    let space = open_spec("um", Spec { exception: av(0, 0x10), unloaded, ..Spec::default() });
    let mut walk = traces(&[(CRASH_TID, &["a", "b"])]);
    walk.traces[0].frames[1].instruction_addr = 0x7000_2000;
    assert_eq!(fires("Unloaded Module", &space, Some(&walk)).severity, Severity::Warning);
}

#[test]
fn virtualized_process() {
    let mods = |extra: &str| {
        let mut m = Spec::default().modules;
        m.push((0x7700_0000, 0x1_0000, format!("C:\\Windows\\System32\\{extra}")));
        m
    };
    let hit = Spec { modules: mods("wow64cpu.dll"), ..Spec::default() };
    let miss = Spec { modules: mods("wow32.dll"), ..Spec::default() };
    check("Virtualized Process", hit, miss, None);
}

#[test]
fn module_variety() {
    let mods = |n: usize| {
        (0..n)
            .map(|i| {
                let vendor = ["Microsoft\\Office", "Adobe\\Reader", "Contoso\\Agent", "Fabrikam\\Hooks"][i % 4];
                (0x1000_0000 + i as u64 * 0x10_0000, 0x1_0000, format!("C:\\Program Files\\{vendor}\\m{i}.dll"))
            })
            .collect::<Vec<_>>()
    };
    let hit = Spec { modules: mods(101), ..Spec::default() };
    let miss = Spec { modules: mods(100), ..Spec::default() };
    check("Module Variety", hit, miss, None);
}

#[test]
fn handle_leak() {
    let hit = Spec { handles: 10_001, ..Spec::default() };
    let miss = Spec { handles: 1_500, ..Spec::default() };
    check("Handle Leak", hit, miss, None);
}

#[test]
fn insufficient_memory() {
    let f = Flavour::X86;
    let entries = |reserved_end: u64| {
        vec![
            free(0, 0x1_0000),
            mem_info(0x1_0000, 0x1_0000, PAGE_READWRITE, reserved_end - 0x1_0000, MEM_RESERVE, 0, MEM_PRIVATE),
            free(reserved_end, f.top_of_entries()),
        ]
    };
    let spec = |reserved_end| Spec {
        flavour: f,
        modules: vec![],
        sp: 0x10_0800,
        entries: Some(entries(reserved_end)),
        ..Spec::default()
    };
    let found = check("Insufficient Memory", spec(f.top_of_entries() - (16 << 20)), spec(1 << 30), None);
    assert_eq!(found.severity, Severity::Error);
}

#[test]
fn memory_leak() {
    let entries = |n: u64| {
        let mut e = default_entries(Flavour::Amd64Win10);
        let last = e.pop().unwrap();
        drop(last);
        e.push(free(STACK_END, 0x1000_0000));
        let mut at = 0x1000_0000;
        for _ in 0..n {
            e.push(mem_info(at, at, PAGE_READWRITE, 0x10_0000, MEM_COMMIT, PAGE_READWRITE, MEM_PRIVATE));
            e.push(mem_info(at + 0x10_0000, at, PAGE_READWRITE, 0x10_0000, MEM_RESERVE, 0, MEM_PRIVATE));
            at += 0x20_0000;
        }
        e.push(free(at, Flavour::Amd64Win10.top_of_entries()));
        e
    };
    let hit = Spec { entries: Some(entries(64)), ..Spec::default() };
    let miss = Spec { entries: Some(entries(63)), ..Spec::default() };
    let f = check("Memory Leak", hit, miss, None);
    assert_eq!(f.regions.len(), 16);
}

#[test]
fn embedded_comments() {
    check("Embedded Comments", Spec { comment: true, ..Spec::default() }, Spec::default(), None);
}

#[test]
fn truncated_dump() {
    // The comment stream's directory entry claims more bytes than the file has.
    let bytes = build(Spec { exception: av(0, 0x10), comment: true, ..Spec::default() }).finish().unwrap();
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    let (count, dir) = (u32_at(&bytes, 8), u32_at(&bytes, 12));
    let mut cut = bytes.clone();
    let entry = (0..count).map(|i| dir + 12 * i).find(|e| u32_at(&bytes, *e) == 11).expect("comment stream");
    cut[entry + 4..entry + 8].copy_from_slice(&0x10_0000u32.to_le_bytes());
    fires("Truncated Dump", &open_bytes("trunc", &cut), None);
    silent("Truncated Dump", &open_bytes("whole", &bytes), None);
}

#[test]
fn abridged_dump() {
    // Committed: 64 KiB data, 12 KiB image, 16 KiB stack; captured: one stack page.
    let hit = Spec::default();
    let miss = Spec { captured: vec![(0x1_0000, 0x1_0000)], ..Spec::default() };
    check("Abridged Dump", hit, miss, None);
}

#[test]
fn execution_residue() {
    let sp = 0x5F_F800;
    let walk = WalkResult {
        traces: vec![StackTrace {
            thread_id: CRASH_TID,
            frames: vec![frame(0, CODE, None), frame(1, 0x40_1100, None)],
            note: None,
        }],
        ..Default::default()
    };
    // 0x401100+1 is the used return address; 0x401234 is residue; 0x402010 is .data.
    let hit = Spec {
        exception: av(0, 0x10),
        stack_words: vec![(sp, 0x40_1101), (sp + 8, 0x40_1234), (sp + 16, 0x40_2010)],
        ..Spec::default()
    };
    let miss =
        Spec { exception: av(0, 0x10), stack_words: vec![(sp, 0x40_1101), (sp + 16, 0x40_2010)], ..Spec::default() };
    let f = fires("Execution Residue", &open_spec("er", hit), Some(&walk));
    assert_eq!(f.evidence.len(), 1, "{f:#?}");
    assert!(f.evidence[0].contains("0x401234"), "{f:#?}");
    silent("Execution Residue", &open_spec("er-miss", miss), Some(&walk));
    let again = Spec { exception: av(0, 0x10), stack_words: vec![(sp + 8, 0x40_1234)], ..Spec::default() };
    silent("Execution Residue", &open_spec("er-none", again), None);
}

#[test]
fn findings_are_sorted_and_deterministic() {
    let spec = || Spec { exception: av(1, 0x10), comment: true, handles: 10_001, ..Spec::default() };
    let a = analyze(&open_spec("det", spec()), None);
    let b = analyze(&open_spec("det", spec()), None);
    assert_eq!(a, b);
    assert!(a.windows(2).all(|w| (w[0].severity, w[0].name) <= (w[1].severity, w[1].name)), "{:?}", names(&a));
    assert_eq!(a[0].name, "NULL Pointer (data)");
}

#[test]
fn demo_dump_findings() {
    let space = memscape::demo::open_demo().expect("demo");
    let walk = walk_stacks(&space, &WalkOptions::default(), &|_, _| {}).expect("walk");
    let found = names(&analyze(&space, Some(&walk)));
    for want in ["Cloud Environment", "NULL Pointer (data)"] {
        assert!(found.contains(&want), "demo lacks {want}: {found:?}");
    }
}

/// `name | severity | confidence | summary`, one line per finding, under a
/// `== file` header per dump.
fn snapshot_block(label: &str, findings: &[Finding]) -> String {
    let mut s = format!("== {label}\n");
    if findings.is_empty() {
        s.push_str("(no findings)\n");
    }
    for f in findings {
        s.push_str(&format!("{} | {} | {:.2} | {}\n", f.name, f.severity, f.confidence, f.summary));
    }
    s.push('\n');
    s
}

#[test]
fn corpus_and_demo_snapshot() {
    let mut text = String::from(
        "# memscape patterns: findings per dump (name | severity | confidence | summary).\n\
         # Regenerate with MEMSCAPE_BLESS=1 cargo test --test patterns (needs MEMSCAPE_CORPUS).\n\n",
    );
    let demo = memscape::demo::open_demo().expect("demo");
    let walk = walk_stacks(&demo, &WalkOptions::default(), &|_, _| {}).expect("walk demo");
    let demo_block = snapshot_block("demo (assets/demo/azure-worker-crash.dmp)", &analyze(&demo, Some(&walk)));
    text.push_str(&demo_block);
    let snap = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/patterns.txt");
    let Some(dir) = corpus_dir() else {
        // Without the corpus the demo's block is still compared: it needs nothing but the asset.
        let want = std::fs::read_to_string(&snap).expect("tests/snapshots/patterns.txt");
        assert!(
            want.contains(&demo_block),
            "the demo's findings differ from tests/snapshots/patterns.txt (MEMSCAPE_BLESS=1 with the corpus to regenerate):\n{demo_block}"
        );
        return;
    };
    let mut rows = read_manifest(&dir);
    rows.sort_by(|a, b| a.file().cmp(b.file()));
    for row in rows {
        let path = dir.join(row.file());
        let space = AddressSpace::open(&path).unwrap_or_else(|e| panic!("{}: {e}", row.file()));
        let walk = walk_stacks(&space, &WalkOptions::default(), &|_, _| {}).expect("walk");
        let with = analyze(&space, Some(&walk));
        let without = analyze(&space, None);
        assert!(without.len() <= with.len() + 1, "{}: {without:?} vs {with:?}", row.file());
        text.push_str(&snapshot_block(row.file(), &with));
    }
    if std::env::var("MEMSCAPE_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(snap.parent().unwrap()).unwrap();
        std::fs::write(&snap, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&snap).unwrap_or_default();
    if want != text {
        let mut diff = String::new();
        let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), text.lines().collect());
        for i in 0..w.len().max(g.len()) {
            match (w.get(i), g.get(i)) {
                (Some(a), Some(b)) if a == b => {}
                (a, b) => {
                    diff.push_str(&format!("line {}:\n  - {}\n  + {}\n", i + 1, a.unwrap_or(&""), b.unwrap_or(&"")))
                }
            }
        }
        panic!("tests/snapshots/patterns.txt differs (MEMSCAPE_BLESS=1 to regenerate):\n{diff}");
    }
}

#[test]
fn cli_json_contract() {
    let bytes = build(Spec { exception: av(1, 0x10), ..Spec::default() }).finish().unwrap();
    let path = write_scratch("cli", &bytes);
    let out =
        Command::new(env!("CARGO_BIN_EXE_memscape")).args(["patterns"]).arg(&path).arg("--json").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let arr = v.as_array().expect("array");
    let null = arr.iter().find(|f| f["name"] == "NULL Pointer (data)").expect("NULL Pointer (data)");
    for key in ["name", "severity", "confidence", "summary", "evidence", "regions", "modules", "threads"] {
        assert!(null.get(key).is_some(), "missing {key}: {null}");
    }
    assert_eq!(null["severity"], "critical");
    assert_eq!(null["threads"][0], CRASH_TID);
    let text = Command::new(env!("CARGO_BIN_EXE_memscape")).args(["patterns"]).arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("[critical] NULL Pointer (data) (confidence 0.95)"), "{text}");
    let _ = std::fs::remove_file(&path);
}
