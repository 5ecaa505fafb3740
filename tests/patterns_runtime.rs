//! The rules about where and how the process ran: Cloud Environment's two
//! variants (the Azure guest OS and the development emulator, told apart by
//! ntdll's version and folder and the role's image paths), JIT Code (.NET)
//! and Self-Diagnosis (user mode), each with dumps where it fires and near
//! misses where it must not, and the demo telling its own story with them.

use crate::common;

use memscape::analysis::patterns::{Finding, Severity, analyze};
use memscape::dump::{AddressSpace, StackTrace, WalkOptions, WalkResult, walk_stacks};
use minidump_synth::{Exception, MemoryInfo};

use common::pattern_spec::*;
use common::synth::{Flavour, LE, MEM_COMMIT, MEM_PRIVATE, free, linux_dump, mem_info, with_module, with_thread};

const PAGE_EXECUTE_READWRITE: u32 = 0x40;

fn evidence_with<'f>(f: &'f Finding, text: &str) -> Vec<&'f String> {
    f.evidence.iter().filter(|e| e.contains(text)).collect()
}

// ---- Cloud Environment -------------------------------------------------------

/// app.exe, ntdll at `ntdll` with `version`, and the role's modules at `role`.
fn azure(ntdll: &str, version: Option<[u16; 4]>, role: &[&str]) -> Spec {
    let mut modules = Spec::default().modules;
    modules.push((0x7700_0000, 0x1_0000, ntdll.to_string()));
    for (i, path) in role.iter().enumerate() {
        modules.push((0x7800_0000 + i as u64 * 0x10_0000, 0x1_0000, path.to_string()));
    }
    let versions = version.map(|v| vec![(ntdll.to_string(), v)]).unwrap_or_default();
    Spec { modules, versions, ..Spec::default() }
}

const GUEST_NTDLL: &str = r"D:\Windows\system32\ntdll.dll";
const DEV_NTDLL: &str = r"C:\Windows\System32\ntdll.dll";
const RD_OS_V1: [u16; 4] = [6, 0, 6002, 18446];
const WIN7_RTM: [u16; 4] = [6, 1, 7600, 16385];
const AZURE_HOST: &str = r"E:\base\x64\WaWorkerHost.exe";
const AZURE_ROLE: &str = r"E:\approot\Microsoft.WindowsAzure.ServiceRuntime.dll";
const EMULATOR_HOST: &str = r"C:\Program Files\Windows Azure SDK\v1.4\bin\devfabric\x64\WaWorkerHost.exe";
const EMULATOR_ROLE: &str =
    r"C:\src\TestWAER\TestWAER\csx\Debug\roles\TestWAERWorker\approot\Microsoft.WindowsAzure.ServiceRuntime.dll";

#[test]
fn cloud_environment_on_the_azure_guest_os() {
    let hit = azure(GUEST_NTDLL, Some(RD_OS_V1), &[AZURE_HOST, AZURE_ROLE]);
    let miss = azure(GUEST_NTDLL, Some(RD_OS_V1), &[r"E:\base\x64\Microsoft.Azure.Storage.dll"]);
    let f = check("Cloud Environment", hit, miss, None);
    assert_eq!(f.severity, Severity::Info);
    assert!(f.summary.contains("on the Azure guest OS"), "{f:#?}");
    assert!((f.confidence - 0.9).abs() < 1e-6, "three agreeing signals: {}", f.confidence);
    assert_eq!(evidence_with(&f, "(guest OS)").len(), 3, "{f:#?}");
    assert_eq!(evidence_with(&f, "ntdll 6.0.6002.18446").len(), 1);
    assert_eq!(evidence_with(&f, r"D:\Windows\system32").len(), 1);
    assert_eq!(evidence_with(&f, AZURE_HOST).len(), 1, "the host executable names the role drive");
    assert!(f.modules.contains(&"ntdll.dll".to_string()) && f.modules.contains(&"WaWorkerHost.exe".to_string()));
}

#[test]
fn cloud_environment_in_the_compute_emulator() {
    // The post's emulator: Windows 7 RTM's ntdll from C:, the role under csx.
    let hit = azure(DEV_NTDLL, Some(WIN7_RTM), &[EMULATOR_HOST, EMULATOR_ROLE]);
    let f = fires("Cloud Environment", &open_spec("ce-dev", hit), None);
    assert!(f.summary.contains("compute emulator on a developer's machine"), "{f:#?}");
    assert!((f.confidence - 0.9).abs() < 1e-6, "{}", f.confidence);
    assert_eq!(evidence_with(&f, "(emulator)").len(), 3, "{f:#?}");
    assert_eq!(evidence_with(&f, "ntdll 6.1.7600.16385").len(), 1);
    assert_eq!(evidence_with(&f, r"\devfabric\").len(), 1, "{f:#?}");
    // Without the Azure modules the same machine is no cloud environment.
    silent("Cloud Environment", &open_spec("ce-dev-miss", azure(DEV_NTDLL, Some(WIN7_RTM), &[])), None);
}

#[test]
fn cloud_environment_weighs_disagreeing_signals() {
    // The guest OS's ntdll build, but Windows on C: and a csx role folder: the
    // emulator on a developer's Vista SP2 / Server 2008 machine, less sure.
    let mixed = azure(DEV_NTDLL, Some(RD_OS_V1), &[EMULATOR_ROLE]);
    let f = fires("Cloud Environment", &open_spec("ce-mixed", mixed), None);
    assert!(f.summary.contains("compute emulator"), "{f:#?}");
    assert!((f.confidence - 0.65).abs() < 1e-6, "two for, one against: {}", f.confidence);
    assert_eq!(evidence_with(&f, "(guest OS)").len(), 1);
}

#[test]
fn cloud_environment_says_when_it_cannot_tell() {
    // Azure modules on a drive that is neither, no ntdll: no signal at all.
    let mut spec = Spec::default();
    spec.modules.push((0x7800_0000, 0x1_0000, r"G:\roles\Microsoft.WindowsAzure.ServiceRuntime.dll".into()));
    let f = fires("Cloud Environment", &open_spec("ce-unknown", spec), None);
    assert!(f.summary.contains("does not tell the guest OS from the emulator"), "{f:#?}");
    assert!((f.confidence - 0.5).abs() < 1e-6);
    assert_eq!(evidence_with(&f, "no ntdll version, Windows folder or role path").len(), 1);
    // SDK assemblies alone still count as the role runtime.
    let sdk = azure(GUEST_NTDLL, None, &[AZURE_ROLE]);
    let f = fires("Cloud Environment", &open_spec("ce-sdk", sdk), None);
    assert!(f.summary.contains("guest OS"), "drive and role path: {f:#?}");
}

// ---- JIT Code (.NET) ---------------------------------------------------------

/// Committed private PAGE_EXECUTE_READWRITE memory at 0x30000..0x32000: a JIT
/// code heap block (the default layout is free there).
const JIT_BASE: u64 = 0x3_0000;

fn jit_entries() -> Vec<MemoryInfo> {
    let mut entries = default_entries(Flavour::Amd64Win10);
    // default_entries' fourth entry is the free run 0x30000..0x400000.
    let at = 3;
    let code =
        mem_info(JIT_BASE, JIT_BASE, PAGE_EXECUTE_READWRITE, 0x2000, MEM_COMMIT, PAGE_EXECUTE_READWRITE, MEM_PRIVATE);
    entries.splice(at..=at, [code, free(JIT_BASE + 0x2000, 0x40_0000)]);
    entries
}

fn with_clr(mut spec: Spec) -> Spec {
    spec.modules.push((0x7fe_f000_0000, 0x9A_6000, r"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\clr.dll".into()));
    spec
}

#[test]
fn jit_code_where_the_fault_is() {
    let ip = JIT_BASE + 0x4D1;
    let fault = || Spec { exception: av(1, 0), ip, entries: Some(jit_entries()), ..Spec::default() };
    let space = open_spec("jit-layout", fault());
    let block = space.region_at(JIT_BASE).expect("the JIT block");
    assert_eq!(
        (block.base_addr, block.size_bytes, block.protect.to_string()),
        (JIT_BASE, 0x2000, "PAGE_EXECUTE_READWRITE".into())
    );
    let f = check("JIT Code (.NET)", with_clr(fault()), fault(), None);
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.summary.contains("JIT-compiled .NET code at 0x304d1"), "{f:#?}");
    assert_eq!(f.regions, vec![JIT_BASE]);
    assert_eq!(f.threads, vec![CRASH_TID]);
    assert_eq!(f.modules, vec!["clr.dll".to_string()]);
    assert_eq!(evidence_with(&f, "PAGE_EXECUTE_READWRITE private memory at 0x30000").len(), 1, "{f:#?}");
    assert_eq!(evidence_with(&f, ".loadby sos clr; !ip2md 0x304d1").len(), 1, "{f:#?}");
    // It is JIT code, not Wild Code; without the runtime it is wild.
    silent("Wild Code", &open_spec("jit-not-wild", with_clr(fault())), None);
    fires("Wild Code", &open_spec("jit-wild", fault()), None);
    // A fault in the module's own code is neither.
    let native = with_clr(Spec { exception: av(1, 0), entries: Some(jit_entries()), ..Spec::default() });
    silent("JIT Code (.NET)", &open_spec("jit-native", native), None);
}

#[test]
fn jit_code_in_other_threads_frames() {
    // The crash is native; a stack trace runs through JIT code.
    let spec = || with_clr(Spec { exception: av(1, 0), entries: Some(jit_entries()), ..Spec::default() });
    let mut frames = vec![frame(0, CODE, Some("app!crash")), frame(1, JIT_BASE + 0x120, None)];
    frames[1].module = None;
    let walk =
        WalkResult { traces: vec![StackTrace { thread_id: CRASH_TID, frames, note: None }], ..Default::default() };
    let f = fires("JIT Code (.NET)", &open_spec("jit-frame", spec()), Some(&walk));
    assert_eq!(f.severity, Severity::Info, "{f:#?}");
    assert!(f.summary.contains("1 thread(s) run or return into JIT-compiled .NET code"), "{f:#?}");
    assert_eq!(evidence_with(&f, "frame #01 at 0x30120 is JIT code").len(), 1, "{f:#?}");
    assert_eq!(f.regions, vec![JIT_BASE]);
    // Without the trace nothing touches JIT code.
    silent("JIT Code (.NET)", &open_spec("jit-frame-miss", spec()), None);
}

#[test]
fn demo_faults_in_jit_code_inside_an_azure_guest() {
    let space = memscape::demo::open_demo().expect("demo");
    let walk = walk_stacks(&space, &WalkOptions::default(), &|_, _| {}).expect("walk");
    let found = analyze(&space, Some(&walk));
    let get = |name: &str| found.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("demo lacks {name}"));
    assert_eq!(get("NULL Pointer (data)").severity, Severity::Critical);
    let jit = get("JIT Code (.NET)");
    let ex = space.exception.as_ref().unwrap();
    assert_eq!(jit.severity, Severity::Warning);
    assert!(jit.summary.contains(&format!("{:#x}", ex.address)), "{jit:#?}");
    let block = space.region_at(ex.address).unwrap();
    assert!(jit.regions.contains(&block.base_addr), "the code heap block is marked");
    // The busy thread spins in JIT-compiled code too.
    assert!(jit.threads.contains(&ex.thread_id) && jit.threads.contains(&0xBB4), "{jit:#?}");
    let cloud = get("Cloud Environment");
    assert!(cloud.summary.contains("Azure guest OS"), "{cloud:#?}");
    assert!(!found.iter().any(|f| f.name == "Wild Code"), "JIT code is not wild: {found:#?}");
}

// ---- Self-Diagnosis (user mode) ---------------------------------------------

const STATUS_STACK_BUFFER_OVERRUN: u32 = 0xC000_0409;
const STATUS_FAIL_FAST_EXCEPTION: u32 = 0xC000_0602;
const STATUS_BREAKPOINT: u32 = 0x8000_0003;
const NAME: &str = "Self-Diagnosis (user mode)";

#[test]
fn self_diagnosis_from_a_fail_fast_code() {
    // abort() in the Visual C++ runtime: __fastfail(FAST_FAIL_FATAL_APP_EXIT).
    let hit = Spec { exception: Some((STATUS_STACK_BUFFER_OVERRUN, vec![7])), ..Spec::default() };
    let miss = Spec { exception: av(1, 0), ..Spec::default() };
    let f = check(NAME, hit, miss, None);
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.summary.contains("__fastfail(FAST_FAIL_FATAL_APP_EXIT)"), "{f:#?}");
    assert!(f.summary.contains("abort() or a fatal application exit"), "{f:#?}");
    assert_eq!(f.threads, vec![CRASH_TID]);
    // A /GS cookie check.
    let gs = Spec { exception: Some((STATUS_STACK_BUFFER_OVERRUN, vec![2])), ..Spec::default() };
    let f = fires(NAME, &open_spec("sd-gs", gs), None);
    assert!(f.summary.contains("FAST_FAIL_STACK_COOKIE_CHECK_FAILURE") && f.summary.contains("/GS"), "{f:#?}");
    // The legacy report carries no code.
    let legacy = Spec { exception: code(STATUS_STACK_BUFFER_OVERRUN), ..Spec::default() };
    let f = fires(NAME, &open_spec("sd-legacy", legacy), None);
    assert!(f.summary.contains("/GS security check failed"), "{f:#?}");
    let ff = Spec { exception: code(STATUS_FAIL_FAST_EXCEPTION), ..Spec::default() };
    assert!(fires(NAME, &open_spec("sd-ff", ff), None).summary.contains("RaiseFailFastException"));
}

#[test]
fn self_diagnosis_from_the_stopping_frames() {
    // A breakpoint, not a self-stop code, but the stack runs through abort().
    let spec = || Spec { exception: code(STATUS_BREAKPOINT), ..Spec::default() };
    let walk = traces(&[(CRASH_TID, &["__GI_raise", "__GI_abort", "check_invariant", "main"])]);
    let f = fires(NAME, &open_spec("sd-frames", spec()), Some(&walk));
    assert_eq!(f.severity, Severity::Error);
    assert!((f.confidence - 0.7).abs() < 1e-6);
    assert!(f.summary.contains("abort()") && f.summary.contains("called from ntdll!check_invariant"), "{f:#?}");
    assert_eq!(evidence_with(&f, "stopping frames: __GI_raise <- __GI_abort").len(), 1, "{f:#?}");
    // Names that only start like a stopper are not one; other threads do not count.
    let near = traces(&[(CRASH_TID, &["abortTransaction", "raiseEvent", "main"]), (7, &["abort", "main"])]);
    silent(NAME, &open_spec("sd-near", spec()), Some(&near));
    // Code and frames agree: surer.
    let both = Spec { exception: Some((STATUS_STACK_BUFFER_OVERRUN, vec![7])), ..Spec::default() };
    let walk = traces(&[(CRASH_TID, &["abort", "main"])]);
    assert!((fires(NAME, &open_spec("sd-both", both), Some(&walk)).confidence - 0.95).abs() < 1e-6);
}

/// A Linux dump whose thread got signal `signo` with si_code `si_code`.
fn linux_signal(signo: u32, si_code: i32) -> AddressSpace {
    const TID: u32 = 4242;
    let dump = with_thread(linux_dump(), Flavour::Amd64Win10, TID, 0x7fff_fffd_e000, 0x100, 0x7fff_fffd_e080);
    let dump = with_module(dump, 0x7f00_0004_0000, 0x1000, "/usr/lib/libstdc++.so.6");
    let mut e = Exception::new(LE);
    e.thread_id = TID;
    e.exception_record.exception_code = signo;
    e.exception_record.exception_flags = si_code as u32;
    open_bytes("sd-linux", &dump.add_exception(e).finish().expect("synth dump"))
}

#[test]
fn self_diagnosis_from_sigabrt() {
    let si_tkill = -6;
    let f = fires(NAME, &linux_signal(6, si_tkill), None);
    assert!((f.confidence - 0.85).abs() < 1e-6);
    assert!(f.summary.contains("SIGABRT"), "{f:#?}");
    assert_eq!(evidence_with(&f, "si_code -6: sent by the process to its own thread").len(), 1, "{f:#?}");
    // kill -ABRT from outside looks the same but is less sure to be the program's own.
    assert!((fires(NAME, &linux_signal(6, 0), None).confidence - 0.6).abs() < 1e-6);
    // SIGSEGV is a fault, not a self-stop.
    silent(NAME, &linux_signal(11, 1), None);
}
