//! The bundled demo dump read through the model and the CLI: the facts the
//! foundation issue promises (`memscape info --json` shows Image, Heap, Stack,
//! TEB, PEB, PrivateData and Free each with bytes > 0) and the scenario's story.

use std::process::Command;

use memscape::dump::{AccessKind, AddressSpace, Owner, RegionKind, RegionSource, RegionState, RegionType};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/azure-worker-crash.dmp");

#[test]
fn info_json_shows_every_main_kind() {
    let out = Command::new(env!("CARGO_BIN_EXE_memscape")).args(["info", "--json", DEMO]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for kind in ["Image", "Heap", "Stack", "TEB", "PEB", "PrivateData", "Free"] {
        let bytes = info["bytes_by_kind"][kind].as_u64().unwrap_or(0);
        assert!(bytes > 0, "{kind} has no bytes: {}", info["bytes_by_kind"]);
    }
    assert_eq!(info["region_source"], "memory_info_list");
    assert_eq!(info["exception"]["code"], "0xc0000005");
    assert_eq!(info["exception"]["name"], "STATUS_ACCESS_VIOLATION");
    assert_eq!(info["os_version"], "6.0.6002 Service Pack 2");
    assert_eq!(info["pointer_bits"], 64);
}

#[test]
fn timings_go_to_stderr_and_leave_stdout_alone() {
    let run = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_memscape")).args(args).output().unwrap();
    let plain = run(&["info", "--json", DEMO]);
    let timed = run(&["info", "--json", DEMO, "--timings"]);
    assert!(timed.status.success(), "{}", String::from_utf8_lossy(&timed.stderr));
    assert_eq!(plain.stdout, timed.stdout, "--timings changed the output");
    let stderr = String::from_utf8_lossy(&timed.stderr);
    for phase in ["open", "reading captured memory", "model", "output", "total", "peak RSS"] {
        assert!(stderr.lines().any(|l| l.starts_with("timings:") && l.contains(phase)), "no {phase}: {stderr}");
    }
    assert!(String::from_utf8_lossy(&plain.stderr).is_empty(), "timings printed without --timings");
    let walked = run(&["threads", DEMO, "--stacks", "--timings"]);
    let stderr = String::from_utf8_lossy(&walked.stderr);
    assert!(stderr.contains("timings: stackwalk"), "{stderr}");
}

#[test]
fn the_embedded_copy_is_the_asset() {
    let embedded = memscape::demo::open_demo().unwrap();
    let file = AddressSpace::open(DEMO).unwrap();
    // The same bytes...
    assert!(embedded.bytes() == file.bytes(), "the embedded demo dump is not the committed asset");
    assert_eq!(embedded.file_size_bytes, file.file_size_bytes);
    // ...and so the same model, every part of it but the name it goes by.
    let model = |s: &AddressSpace| {
        format!(
            "{:?} {:?}",
            (
                &s.streams,
                &s.system,
                &s.process,
                &s.modules,
                &s.unloaded_modules,
                &s.threads,
                &s.exception,
                &s.handles,
                &s.peb_addr,
                &s.heaps,
            ),
            (&s.regions, &s.region_source, &s.source_entry_count, &s.memory_info_states, &s.warnings,)
        )
    };
    assert!(model(&embedded) == model(&file), "the embedded copy builds another model");
    // The captured ranges index the same bytes.
    for r in file.regions.iter().filter(|r| r.captured_bytes > 0).take(50) {
        let len = r.captured_bytes.min(256) as usize;
        assert_eq!(
            embedded.captured.read(embedded.bytes(), r.base_addr, len),
            file.captured.read(file.bytes(), r.base_addr, len),
            "bytes at 0x{:x}",
            r.base_addr
        );
    }
}

#[test]
fn the_story_holds_together() {
    let space = AddressSpace::open(DEMO).unwrap();
    assert!(space.warnings.is_empty(), "{:?}", space.warnings);
    assert_eq!(space.region_source, RegionSource::MemoryInfoList);
    // A worker thread wrote to NULL in the role's C#, compiled by the JIT into
    // private executable memory of the CLR's code heap (no module there).
    let ex = space.exception.as_ref().unwrap();
    assert_eq!(ex.access, Some(AccessKind::Write));
    assert_eq!(ex.target_addr, Some(0));
    assert_eq!(space.module_at(ex.address).map(|m| m.name.as_str()), None);
    let jit = space.region_at(ex.address).unwrap();
    assert_eq!(
        (jit.state, jit.ty, jit.kind),
        (RegionState::Commit, Some(RegionType::Private), RegionKind::PrivateData)
    );
    assert_eq!(jit.protect.to_string(), "PAGE_EXECUTE_READWRITE");
    let crashed = space.crashed_thread().unwrap();
    assert_eq!(crashed.id, ex.thread_id);
    assert_eq!(crashed.ip, Some(ex.address));
    // Cloud modules are there for the Cloud Environment pattern.
    for name in ["WaWorkerHost.exe", "WaRuntimeProxy.dll", "Microsoft.WindowsAzure.ServiceRuntime.dll", "clr.dll"] {
        assert!(space.modules.iter().any(|m| m.name == name), "{name} missing");
    }
    let ntdll = space.modules.iter().find(|m| m.name == "ntdll.dll").unwrap();
    assert_eq!(ntdll.file_version.map(|v| v.to_string()).as_deref(), Some("6.0.6002.18446"));
    assert_eq!(ntdll.timestamp, 0x4DCD_9861);
    // Six heaps through PEB.ProcessHeaps, each marking its allocation.
    assert_eq!(space.heaps.len(), 6);
    for h in &space.heaps {
        let r = space.region_at(h.base_addr).unwrap();
        assert_eq!((r.kind, &r.owner), (RegionKind::Heap, &Owner::heap(h.index)), "heap at {:#x}", h.base_addr);
    }
    // Every thread: its stack allocation (with a guard page) and its TEB.
    for t in &space.threads {
        let stack = space.region_at(t.sp.unwrap()).unwrap();
        assert_eq!((stack.kind, &stack.owner), (RegionKind::Stack, &Owner::Thread(t.id)), "thread {:#x}", t.id);
        let guard = space
            .regions
            .iter()
            .any(|r| r.alloc_base_addr == stack.alloc_base_addr && r.protect.is_guard() && r.kind == RegionKind::Stack);
        assert!(guard, "thread {:#x} has no guard page", t.id);
        assert_eq!(space.region_at(t.teb_addr).map(|r| r.kind), Some(RegionKind::TEB));
    }
    assert_eq!(space.region_at(space.peb_addr.unwrap()).map(|r| r.kind), Some(RegionKind::PEB));
    // A 2011 Server 2008 x64 process: 8 TiB of user space.
    assert_eq!(space.system.user_limit_addr, 8 << 40);
    assert!(space.regions_by_kind()[&RegionKind::Unusable] > 0);
}

/// The demo file names its frames without options: its Breakpad symbols lie
/// beside it (assets/demo/symbols), as a dump shipped with its symbols would.
#[test]
fn the_demo_names_its_frames_from_the_symbols_beside_it() {
    use memscape::dump::{WalkOptions, walk_stacks};
    let space = AddressSpace::open(DEMO).unwrap();
    let walk = walk_stacks(&space, &WalkOptions::default(), &|_, _| {}).unwrap();
    let main = &walk.traces[0].frames;
    let names: Vec<&str> = main.iter().filter_map(|f| f.function.as_deref()).collect();
    assert_eq!(names.first(), Some(&"NtWaitForMultipleObjects"), "{names:?}");
    assert!(names.contains(&"WaitForMultipleObjectsEx"), "{names:?}");
    // The crashing thread: JIT code first (no module, no name), then mscorlib.
    let crashed = walk.trace(space.exception.as_ref().unwrap().thread_id).unwrap();
    assert!(crashed.frames[0].function.is_none() && crashed.frames[0].module.is_none());
    assert!(crashed.frames.iter().any(|f| f.function.as_deref().is_some_and(|n| n.starts_with("System.Threading."))));
    // The command line prints them as WinDbg does.
    let out = Command::new(env!("CARGO_BIN_EXE_memscape")).args(["threads", DEMO, "--stacks"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ntdll!NtWaitForMultipleObjects+0xa"), "{text}");
}
