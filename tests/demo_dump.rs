//! The bundled demo dump, `assets/demo/azure-worker-crash.dmp`, is exactly what
//! `memscape::synth::demo_dump_bytes()` generates, the generator is deterministic,
//! and the minidump crate reads the file as the crash it claims to be: Windows
//! Server 2008 SP2 x64, a .NET 4 Azure worker role host with its modules, twenty
//! threads, a complete memory map, a PEB that leads to the heaps, and an access
//! violation (NULL write) in the worker role's JIT-compiled C#, in private
//! PAGE_EXECUTE_READWRITE memory of the CLR's code heap, not in any module.
//!
//! The asset is generated, never edited. After changing the generator, rewrite it
//! with
//!
//! ```text
//! MEMSCAPE_BLESS=1 cargo test --test demo_dump
//! ```
//!
//! and commit the new file together with the generator change.

use std::path::PathBuf;
use std::sync::OnceLock;

use minidump::format::{MemoryProtection, MemoryState, MemoryType};
use minidump::system_info::{Cpu, Os};
use minidump::{
    CodeView, Minidump, MinidumpException, MinidumpHandleDataStream, MinidumpMemory64List, MinidumpMemoryInfo,
    MinidumpMemoryInfoList, MinidumpModuleList, MinidumpSystemInfo, MinidumpThreadInfoList, MinidumpThreadList, Module,
};

const USER_SPACE_END: u64 = 0x7FF_FFFF_0000;
const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

fn asset_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo/azure-worker-crash.dmp")
}

fn generated() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(memscape::synth::demo_dump_bytes)
}

fn dump() -> Minidump<'static, &'static [u8]> {
    Minidump::read(generated()).expect("the demo dump parses")
}

/// Set `MEMSCAPE_BLESS=1` to (re)write the asset from the generator instead of
/// comparing against it.
#[test]
fn asset_is_the_generator_output() {
    let path = asset_path();
    if std::env::var_os("MEMSCAPE_BLESS").is_some_and(|v| v == "1") {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create assets/demo");
        }
        std::fs::write(&path, generated()).expect("write the demo dump asset");
        return;
    }
    let on_disk = std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{} unreadable ({e}); run MEMSCAPE_BLESS=1 cargo test --test demo_dump", path.display())
    });
    let fresh = generated();
    let first_difference = on_disk.iter().zip(fresh).position(|(a, b)| a != b);
    assert!(
        on_disk.len() == fresh.len() && first_difference.is_none(),
        "{} is stale (sizes {} vs {}, first difference at {:?}); \
         run MEMSCAPE_BLESS=1 cargo test --test demo_dump",
        path.display(),
        on_disk.len(),
        fresh.len(),
        first_difference,
    );
}

#[test]
fn generator_is_deterministic() {
    let again = memscape::synth::demo_dump_bytes();
    assert!(again.as_slice() == generated(), "two calls gave different bytes");
}

#[test]
fn file_is_under_4_mib() {
    assert!(generated().len() < MAX_FILE_BYTES, "{} bytes", generated().len());
}

#[test]
fn system_is_windows_server_2008_sp2_amd64() {
    let dump = dump();
    let info: MinidumpSystemInfo = dump.get_stream().expect("SystemInfo");
    assert_eq!(info.os, Os::Windows);
    assert_eq!(info.cpu, Cpu::X86_64);
    assert_eq!((info.raw.major_version, info.raw.minor_version, info.raw.build_number), (6, 0, 6002));
    assert_eq!(info.csd_version().as_deref(), Some("Service Pack 2"));
    assert!((2..=4).contains(&info.raw.number_of_processors));
    // x86 CPU information: CPUID vendor, then family/model/stepping.
    assert_eq!(&info.raw.cpu.data[..12], b"GenuineIntel");
    assert_eq!(info.cpu_info().as_deref(), Some("family 6 model 44 stepping 2"));
}

#[test]
fn about_twenty_threads() {
    let dump = dump();
    let threads: MinidumpThreadList = dump.get_stream().expect("ThreadList");
    assert!((18..=24).contains(&threads.threads.len()), "{}", threads.threads.len());
}

#[test]
fn modules_are_the_worker_role_set() {
    let dump = dump();
    let modules: MinidumpModuleList = dump.get_stream().expect("ModuleList");
    let names: Vec<String> = modules
        .iter()
        .map(|m| {
            let path = m.code_file();
            path.rsplit('\\').next().unwrap_or(&path).to_ascii_lowercase()
        })
        .collect();
    for wanted in [
        "waworkerhost.exe",
        "waruntimeproxy.dll",
        "ntdll.dll",
        "kernel32.dll",
        "advapi32.dll",
        "rpcrt4.dll",
        "msvcrt.dll",
        "user32.dll",
        "gdi32.dll",
        "ole32.dll",
        "oleaut32.dll",
        "shlwapi.dll",
        "ws2_32.dll",
        "mscoree.dll",
        "msvcr100_clr0400.dll",
        "clr.dll",
        "mscorlib.ni.dll",
        "system.ni.dll",
        "microsoft.windowsazure.serviceruntime.dll",
        "microsoft.windowsazure.diagnostics.dll",
        "microsoft.windowsazure.storageclient.dll",
        "testwaerworker.dll",
    ] {
        assert!(names.iter().any(|n| n == wanted), "{wanted} missing");
    }
    assert!((25..=40).contains(&names.len()), "{} modules", names.len());

    let ntdll = modules.iter().find(|m| m.code_file().to_ascii_lowercase().ends_with("\\ntdll.dll")).expect("ntdll");
    assert_eq!(ntdll.version().as_deref(), Some("6.0.6002.18446"));
    assert_eq!(ntdll.raw.time_date_stamp, 0x4DCD_9861);

    for m in modules.iter() {
        assert!(matches!(m.codeview_info, Some(CodeView::Pdb70(_))), "{} has no PDB70 record", m.code_file());
        assert!(m.debug_identifier().is_some(), "{}", m.code_file());
        assert!(m.version().is_some(), "{}", m.code_file());
    }
    // Modules do not overlap.
    let mut ranges: Vec<(u64, u64)> =
        modules.iter().map(|m| (m.raw.base_of_image, m.raw.base_of_image + u64::from(m.raw.size_of_image))).collect();
    ranges.sort_unstable();
    assert!(ranges.windows(2).all(|w| w[0].1 <= w[1].0));
}

fn regions(list: &MinidumpMemoryInfoList<'_>) -> Vec<minidump::format::MINIDUMP_MEMORY_INFO> {
    list.iter().map(|r: &MinidumpMemoryInfo<'_>| r.raw.clone()).collect()
}

#[test]
fn memory_map_tiles_the_user_address_space() {
    let dump = dump();
    let list: MinidumpMemoryInfoList = dump.get_stream().expect("MemoryInfoList");
    let regions = regions(&list);
    assert!(regions.len() >= 1000, "{} regions", regions.len());
    let mut expected_base = 0u64;
    for r in &regions {
        assert_eq!(r.base_address, expected_base, "gap or overlap");
        assert!(r.region_size > 0);
        expected_base = r.base_address + r.region_size;
        if r.state == MemoryState::MEM_FREE.bits() {
            assert_eq!(r.protection, MemoryProtection::PAGE_NOACCESS.bits());
            assert_eq!((r.allocation_base, r._type), (0, 0));
        } else {
            assert!(r.allocation_base <= r.base_address);
        }
    }
    assert_eq!(expected_base, USER_SPACE_END);
    // Some free regions start off the 64 KiB granularity (unusable tails).
    assert!(regions.iter().any(|r| r.state == MemoryState::MEM_FREE.bits() && r.base_address % 0x1_0000 != 0));
}

#[test]
fn exception_is_a_null_write_in_jit_compiled_code() {
    let dump = dump();
    let exception: MinidumpException = dump.get_stream().expect("Exception");
    let record = &exception.raw.exception_record;
    assert_eq!(record.exception_code, 0xC000_0005);
    assert_eq!(record.number_parameters, 2);
    assert_eq!(&record.exception_information[..2], &[1, 0]);

    let threads: MinidumpThreadList = dump.get_stream().expect("ThreadList");
    assert!(threads.get_thread(exception.get_crashing_thread_id()).is_some());

    // JIT-compiled: no module holds the faulting instruction...
    let modules: MinidumpModuleList = dump.get_stream().expect("ModuleList");
    assert!(modules.module_at_address(record.exception_address).is_none());
    // ...a committed, private, PAGE_EXECUTE_READWRITE block does (the CLR's code heap),
    let infos: MinidumpMemoryInfoList = dump.get_stream().expect("MemoryInfoList");
    let block = infos.memory_info_at_address(record.exception_address).expect("a region at the fault");
    assert_eq!(block.raw.state, MemoryState::MEM_COMMIT.bits());
    assert_eq!(block.raw._type, MemoryType::MEM_PRIVATE.bits());
    assert_eq!(block.raw.protection, MemoryProtection::PAGE_EXECUTE_READWRITE.bits());
    // and the role's assembly is IL-only (no native code to fault in).
    let worker = modules.iter().find(|m| m.code_file().ends_with("\\TestWAERWorker.dll")).expect("TestWAERWorker.dll");
    assert!(worker.size() <= 0x1_0000, "an IL-only assembly is small: {:#x}", worker.size());

    let info: MinidumpSystemInfo = dump.get_stream().expect("SystemInfo");
    let context = exception.context(&info, None).expect("exception context");
    assert_eq!(context.get_instruction_pointer(), record.exception_address);
    // The dump holds the code: `mov rax,[rbp+28h]; mov ecx,[rbp+30h]; mov [rax],ecx`.
    let memory: MinidumpMemory64List = dump.get_stream().expect("Memory64List");
    let code = memory.memory_at_address(record.exception_address).expect("the faulting page is captured");
    let at = (record.exception_address - code.base_address) as usize;
    assert_eq!(&code.bytes[at - 7..at + 2], &[0x48, 0x8B, 0x45, 0x28, 0x8B, 0x4D, 0x30, 0x89, 0x08]);
}

fn read_u64(memory: &MinidumpMemory64List<'_>, addr: u64) -> Option<u64> {
    memory.memory_at_address(addr)?.get_memory_at_address::<u64>(addr)
}

fn read_u32(memory: &MinidumpMemory64List<'_>, addr: u64) -> Option<u32> {
    memory.memory_at_address(addr)?.get_memory_at_address::<u32>(addr)
}

#[test]
fn peb_leads_to_the_heaps() {
    let dump = dump();
    let threads: MinidumpThreadList = dump.get_stream().expect("ThreadList");
    let memory: MinidumpMemory64List = dump.get_stream().expect("Memory64List");
    let list: MinidumpMemoryInfoList = dump.get_stream().expect("MemoryInfoList");
    let regions = regions(&list);

    let thread0 = &threads.threads[0];
    let teb = thread0.raw.teb;
    assert_eq!(read_u64(&memory, teb + 0x30), Some(teb), "NtTib.Self");
    assert_eq!(read_u64(&memory, teb + 0x48), Some(u64::from(thread0.raw.thread_id)));
    let peb = read_u64(&memory, teb + 0x60).expect("TEB.ProcessEnvironmentBlock");
    let heap_count = read_u32(&memory, peb + 0xE8).expect("PEB.NumberOfHeaps");
    assert!(heap_count >= 4, "{heap_count} heaps");
    let process_heap = read_u64(&memory, peb + 0x30).expect("PEB.ProcessHeap");
    let array = read_u64(&memory, peb + 0xF0).expect("PEB.ProcessHeaps");
    for i in 0..u64::from(heap_count) {
        let heap = read_u64(&memory, array + 8 * i).expect("ProcessHeaps[i]");
        if i == 0 {
            assert_eq!(heap, process_heap);
        }
        let region = regions
            .iter()
            .find(|r| r.base_address == heap)
            .unwrap_or_else(|| panic!("heap {heap:#x} starts no region"));
        assert_eq!(region.allocation_base, heap);
        assert_eq!(region.state, MemoryState::MEM_COMMIT.bits());
        assert_eq!(region._type, MemoryType::MEM_PRIVATE.bits());
        assert_eq!(read_u32(&memory, heap + 0x10), Some(0xFFEE_FFEE), "segment signature");
    }
}

#[test]
fn stacks_sit_in_guarded_stack_allocations() {
    let dump = dump();
    let threads: MinidumpThreadList = dump.get_stream().expect("ThreadList");
    let memory: MinidumpMemory64List = dump.get_stream().expect("Memory64List");
    let list: MinidumpMemoryInfoList = dump.get_stream().expect("MemoryInfoList");
    let regions = regions(&list);
    let guard = MemoryProtection::PAGE_GUARD.bits();
    for thread in &threads.threads {
        let start = thread.raw.stack.start_of_memory_range;
        let size = u64::from(thread.raw.stack.memory.data_size);
        assert!(size > 0 && thread.raw.stack.memory.rva != 0);
        let region = regions
            .iter()
            .find(|r| r.base_address <= start && start + size <= r.base_address + r.region_size)
            .unwrap_or_else(|| panic!("stack of {:#x} not inside one region", thread.raw.thread_id));
        assert_eq!(region.protection, MemoryProtection::PAGE_READWRITE.bits());
        assert!(
            regions.iter().any(|r| r.allocation_base == region.allocation_base && r.protection & guard != 0),
            "no guard page in the stack allocation of {:#x}",
            thread.raw.thread_id
        );
        // The descriptor's bytes are the Memory64List bytes at that address.
        let file = generated();
        let rva = thread.raw.stack.memory.rva as usize;
        let from_descriptor = &file[rva..rva + size as usize];
        let region64 = memory.memory_at_address(start).expect("stack captured");
        let offset = (start - region64.base_address) as usize;
        assert_eq!(from_descriptor, &region64.bytes[offset..offset + size as usize]);
        // TEB agrees with the stack.
        let teb = thread.raw.teb;
        let stack_base = read_u64(&memory, teb + 0x08).expect("NtTib.StackBase");
        let stack_limit = read_u64(&memory, teb + 0x10).expect("NtTib.StackLimit");
        assert_eq!(start + size, stack_base);
        assert!(stack_limit <= start);
    }
}

#[test]
fn thread_info_and_handles_parse() {
    let dump = dump();
    let threads: MinidumpThreadList = dump.get_stream().expect("ThreadList");
    let infos: MinidumpThreadInfoList = dump.get_stream().expect("ThreadInfoList");
    assert_eq!(infos.thread_infos.len(), threads.threads.len());
    for thread in &threads.threads {
        let info = infos.get_thread_info(thread.raw.thread_id).expect("thread info for every thread");
        assert!(info.raw.create_time > 0 && info.raw.start_address != 0);
    }
    let busiest = infos.thread_infos.iter().map(|t| t.raw.user_time).max().unwrap_or(0);
    assert!(busiest > 10_000_000 * 3_600, "a thread with over an hour of user time");

    let handles: MinidumpHandleDataStream = dump.get_stream().expect("HandleData");
    assert!(handles.handles.len() >= 200, "{}", handles.handles.len());
    for wanted in ["File", "Event", "Key", "Section", "Mutant", "Thread", "ALPC Port"] {
        assert!(handles.handles.iter().any(|h| h.type_name.as_deref() == Some(wanted)), "no {wanted} handle");
    }
    assert!(handles.handles.iter().any(|h| h.object_name.is_some()));
}

fn symbols_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/demo/symbols")
}

/// Every file under `dir`, as paths relative to it with `/` separators.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

/// The Breakpad symbols beside the demo dump are what the generator writes
/// (`MEMSCAPE_BLESS=1` rewrites them with the dump), and nothing else.
#[test]
fn symbol_files_are_the_generator_output() {
    let dir = symbols_dir();
    let fresh = memscape::synth::demo_symbol_files();
    if std::env::var_os("MEMSCAPE_BLESS").is_some_and(|v| v == "1") {
        let _ = std::fs::remove_dir_all(&dir);
        for f in &fresh {
            let path = dir.join(&f.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &f.text).unwrap();
        }
        return;
    }
    let mut want: Vec<String> = fresh.iter().map(|f| f.path.clone()).collect();
    want.sort();
    assert_eq!(files_under(&dir), want, "run MEMSCAPE_BLESS=1 cargo test --test tests demo_dump");
    for f in &fresh {
        let on_disk = std::fs::read_to_string(dir.join(&f.path)).unwrap();
        assert!(on_disk == f.text, "{} is stale; run MEMSCAPE_BLESS=1 cargo test --test tests demo_dump", f.path);
    }
}

/// The symbols' debug identities are the dump's own: each file's MODULE line
/// names a module of the dump by its PDB name and Breakpad debug id.
#[test]
fn symbol_files_match_the_modules() {
    let space = memscape::demo::open_demo().unwrap();
    for f in memscape::synth::demo_symbol_files() {
        let module_line = f.text.lines().next().unwrap();
        let fields: Vec<&str> = module_line.split(' ').collect();
        let (id, debug_file) = (fields[3], fields[4]);
        let m = space.modules.iter().find(|m| m.debug_id.as_deref() == Some(id));
        let m = m.unwrap_or_else(|| panic!("{}: no module with debug id {id}", f.path));
        let pdb = match &m.debug {
            Some(memscape::dump::DebugInfo::Pdb70 { pdb_name, .. }) => pdb_name.clone(),
            other => panic!("{}: {other:?}", m.name),
        };
        assert!(pdb.ends_with(debug_file), "{}: {pdb} vs {debug_file}", m.name);
    }
}
