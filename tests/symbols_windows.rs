//! Named frames on Windows x64 from a PE and its PDB. A C program is built
//! here with `clang --target=x86_64-pc-windows-msvc -g -gcodeview` and
//! `lld-link /debug` (no Windows SDK needed); the test writes a minidump
//! (minidump-synth) of its module with a thread stopped in `crash_here`,
//! three calls deep, its stack laid out from the frame sizes llvm-readobj
//! reads from the PE's own `.pdata` unwind codes and the return addresses
//! llvm-objdump finds after each call. memscape must name every frame from
//! the PDB (function, file and line equal to llvm-symbolizer's) and unwind
//! the callers with `.pdata` (trust `cfi`), from a flat folder and from a
//! symstore tree, from a symbol server on 127.0.0.1 (the binary as a CAB)
//! and then from the cache alone; with the PDB alone, names come but
//! unwinding falls back.
//! Skipped (with a note) without clang, lld-link and llvm's tools unless
//! `MEMSCAPE_REQUIRE_TOOLS=1`.
#![cfg(target_os = "linux")]

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use memscape::dump::symbols::SymbolSources;
use memscape::dump::{AddressSpace, FrameTrust, WalkOptions, walk_stacks};
use minidump_synth::{DumpString, Memory, Module, SynthMinidump, Thread};
use object::read::pe::{ImageNtHeaders, ImageOptionalHeader};
use object::{LittleEndian as PeLE, Object};
use test_assembler::Section;

use common::synth::{Flavour, LE, with_exception};
use common::{scratch_path, tool, write_scratch};

const PROGRAM: &str = r#"
volatile int sink;
__declspec(dllexport) __declspec(noinline) void crash_here(int n) {
    sink += n;
    *(volatile int *)0 = n;
    sink++;
}
__declspec(dllexport) __declspec(noinline) int apply_discount(int n) {
    crash_here(n * 3);
    sink++;
    return n;
}
__declspec(dllexport) __declspec(noinline) int process_order(int n) {
    apply_discount(n + 7);
    sink--;
    return 0;
}
int main(void) {
    process_order(sink);
    return sink;
}
"#;

const STACK_BASE: u64 = 0x2_0000;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// holdprog.exe and holdprog.pdb in `dir`.
fn build(clang: &str, lld: &str, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("holdprog.c"), PROGRAM).unwrap();
    run(Command::new(clang).current_dir(dir).args([
        "--target=x86_64-pc-windows-msvc",
        "-g",
        "-gcodeview",
        "-O1",
        "-c",
        "holdprog.c",
        "-o",
        "holdprog.obj",
    ]));
    run(Command::new(lld).current_dir(dir).args([
        "/debug",
        "/entry:main",
        "/subsystem:console",
        "/nodefaultlib",
        "/out:holdprog.exe",
        "holdprog.obj",
    ]));
    dir.join("holdprog.exe")
}

/// From llvm-objdump: the faulting store in crash_here and, for each callee,
/// the return address after the call to it.
fn code_addresses(objdump: &str, exe: &Path) -> (u64, BTreeMap<String, u64>) {
    let text = run(Command::new(objdump).args(["-d", "-M", "intel", "--no-show-raw-insn"]).arg(exe));
    let lines: Vec<&str> = text.lines().collect();
    let addr = |l: &str| u64::from_str_radix(l.trim().split(':').next()?.trim(), 16).ok();
    let mut store = None;
    let mut returns = BTreeMap::new();
    for (i, l) in lines.iter().enumerate() {
        if l.contains("mov\tdword ptr [0], ecx") {
            store = addr(l);
        }
        if let Some(target) =
            l.split("call\t").nth(1).and_then(|t| t.split('<').nth(1)).map(|t| t.trim_end_matches('>'))
        {
            let next = lines[i + 1..].iter().find_map(|n| addr(n)).expect("an instruction after the call");
            returns.insert(target.to_string(), next);
        }
    }
    (store.expect("the faulting store"), returns)
}

/// From llvm-readobj --unwind: each function's frame size (pushes and
/// allocations), by start address.
fn frame_sizes(readobj: &str, exe: &Path) -> BTreeMap<u64, u64> {
    let text = run(Command::new(readobj).arg("--unwind").arg(exe));
    let mut sizes = BTreeMap::new();
    let mut start = None;
    for l in text.lines().map(str::trim) {
        if let Some(a) = l.strip_prefix("StartAddress: (0x") {
            start = u64::from_str_radix(a.trim_end_matches(')'), 16).ok();
            sizes.insert(start.unwrap(), 0);
        } else if let Some(s) = start {
            let size = if l.contains("PUSH_NONVOL") {
                8
            } else if let Some(n) = l.split("ALLOC_").nth(1).and_then(|r| r.split("size=").nth(1)) {
                n.parse().unwrap()
            } else {
                0
            };
            *sizes.get_mut(&s).unwrap() += size;
        }
    }
    sizes
}

/// llvm-symbolizer's (function, file, line) for an address.
fn symbolizer(tool: &str, exe: &Path, addr: u64) -> (String, String, u32) {
    let text = run(Command::new(tool).arg(format!("--obj={}", exe.display())).arg(format!("0x{addr:x}")));
    let mut lines = text.lines();
    let function = lines.next().unwrap().to_string();
    let loc = lines.next().unwrap();
    let mut parts = loc.rsplitn(3, ':');
    let (_col, line, file) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
    (function, file.to_string(), line.parse().unwrap())
}

/// `data` as the one file `name` of an MSZIP CAB (what symstore /compress writes).
fn cab_of(name: &str, data: &[u8]) -> Vec<u8> {
    let mut builder = cab::CabinetBuilder::new();
    builder.add_folder(cab::CompressionType::MsZip).add_file(name);
    let mut writer = builder.build(std::io::Cursor::new(Vec::new())).unwrap();
    while let Some(mut file) = writer.next_file().unwrap() {
        std::io::Write::write_all(&mut file, data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn windows_frames_come_from_the_pdb_and_unwind_with_pdata() {
    let Some(clang) = tool("clang") else { return };
    let Some(lld) = tool("lld-link") else { return };
    let Some(objdump) = tool("llvm-objdump") else { return };
    let Some(readobj) = tool("llvm-readobj") else { return };
    let Some(sym) = tool("llvm-symbolizer") else { return };
    let dir = scratch_path("holdprog-dir");
    let exe = build(clang, lld, &dir);
    let pe_bytes = std::fs::read(&exe).unwrap();
    let pe = object::read::pe::PeFile64::parse(&*pe_bytes).unwrap();
    let image_base = pe.relative_address_base();
    let size = pe.nt_headers().optional_header().size_of_image();
    let timestamp = pe.nt_headers().file_header.time_date_stamp.get(PeLE);
    let cv = pe.pdb_info().unwrap().expect("a CodeView record");

    let (store, returns) = code_addresses(objdump, &exe);
    let sizes = frame_sizes(readobj, &exe);
    // crash_here is a leaf (no .pdata): its return address is at rsp.
    let ra_apply = returns["crash_here"];
    let ra_process = returns["apply_discount"];
    let ra_main = returns["process_order"];
    let size_of = |ra: u64| *sizes.range(..=ra).next_back().unwrap().1;
    let mut words = vec![0u64; 64];
    let mut sp = 0usize; // in words from STACK_BASE
    words[sp] = ra_apply;
    sp += 1 + (size_of(ra_apply) / 8) as usize;
    words[sp] = ra_process;
    sp += 1 + (size_of(ra_process) / 8) as usize;
    words[sp] = ra_main;

    // The dump: holdprog.exe's module with its CodeView record, one thread.
    let f = Flavour::Amd64Win10;
    let dump = SynthMinidump::with_endian(LE).add_system_info(f.system_info());
    let name = DumpString::new("C:\\build\\holdprog.exe", LE);
    let cv_section = Section::with_endian(LE)
        .append_bytes(b"RSDS")
        .append_bytes(&cv.guid())
        .D32(cv.age())
        .append_bytes(cv.path())
        .append_bytes(b"\0");
    let module = Module::new(LE, image_base, size, &name, timestamp, 0, None).cv_record(&cv_section);
    let dump = dump.add_module(module).add(name).add(cv_section);
    let mut stack = Section::with_endian(LE);
    for w in &words {
        stack = stack.D64(*w);
    }
    let stack = Memory::with_section(stack, STACK_BASE);
    let context = f.context(store, STACK_BASE);
    let thread = Thread::new(LE, 7, &stack, &context);
    let dump = dump.add_thread(thread).add_memory(stack).add(context);
    let path = write_scratch("holdprog", &with_exception(dump, 7, 0xC000_0005, store).finish().unwrap());
    let space = AddressSpace::open(&path).unwrap();

    let expected: Vec<(u64, (String, String, u32))> =
        [store, ra_apply - 1, ra_process - 1, ra_main - 1].into_iter().map(|a| (a, symbolizer(sym, &exe, a))).collect();
    let check_with = |opts: WalkOptions, how: &str, unwinds: bool| {
        let walk = walk_stacks(&space, &opts, &|_, _| {}).unwrap();
        let frames = &walk.traces[0].frames;
        let n = if unwinds { 4 } else { 1 };
        assert!(frames.len() >= n, "{how}: {frames:#?}");
        for (i, (addr, (function, file, line))) in expected.iter().take(n).enumerate() {
            let fr = &frames[i];
            assert_eq!(fr.instruction_addr, *addr, "{how}: frame {i}: {frames:#?}");
            assert_eq!(fr.function.as_deref(), Some(function.as_str()), "{how}: frame {i}");
            assert_eq!(fr.source, Some((file.clone(), *line)), "{how}: frame {i}");
            if i > 0 {
                assert_eq!(fr.trust, FrameTrust::Cfi, "{how}: frame {i} unwound with .pdata");
            }
        }
        walk
    };
    let check = |dirs: Vec<PathBuf>, how: &str, unwinds: bool| check_with(WalkOptions::with_dirs(dirs), how, unwinds);

    // A flat folder: the build folder itself.
    let walk = check(vec![dir.clone()], "flat folder", true);
    let files = &walk.symbols[0].files;
    assert!(files.iter().any(|f| f.kind == "pdb" && f.gives.contains(&"lines")), "{files:#?}");
    assert!(files.iter().any(|f| f.kind == "pe" && f.gives.contains(&"unwind")), "{files:#?}");
    assert_eq!(walk.symbols[0].summary(), "pdb symbols");

    // A symstore tree.
    let store_dir = dir.join("store");
    let guid = memscape::dump::symbols::guid_string(cv.guid());
    let pdb_leaf = store_dir.join("holdprog.pdb").join(format!("{guid}{:X}", cv.age()));
    let exe_leaf = store_dir.join("holdprog.exe").join(memscape::dump::symbols::code_key(timestamp, u64::from(size)));
    std::fs::create_dir_all(&pdb_leaf).unwrap();
    std::fs::create_dir_all(&exe_leaf).unwrap();
    std::fs::copy(dir.join("holdprog.pdb"), pdb_leaf.join("holdprog.pdb")).unwrap();
    std::fs::copy(&exe, exe_leaf.join("holdprog.exe")).unwrap();
    let walk = check(vec![store_dir.clone()], "symstore tree", true);
    assert!(walk.symbols[0].files.iter().all(|f| f.origin == "symstore tree"), "{:#?}", walk.symbols[0]);

    // A symbol server with the same tree, the binary only as a CAB (.ex_),
    // as symstore /compress leaves it; then the cache without the server.
    let pdb_url = format!("/holdprog.pdb/{guid}{:X}/holdprog.pdb", cv.age());
    let exe_key = memscape::dump::symbols::code_key(timestamp, u64::from(size));
    let server = common::http::Server::start(std::collections::HashMap::from([
        (pdb_url, common::http::Answer::File(std::fs::read(dir.join("holdprog.pdb")).unwrap())),
        (
            format!("/holdprog.exe/{exe_key}/holdprog.ex_"),
            common::http::Answer::File(cab_of("holdprog.exe", &pe_bytes)),
        ),
    ]));
    let cache = dir.join("cache");
    let sources = SymbolSources { servers: vec![server.url.clone()], cache: Some(cache.clone()), ..Default::default() };
    let walk = check_with(WalkOptions { symbols: sources, watch: None }, "symbol server", true);
    let origins: Vec<_> = walk.symbols[0].files.iter().map(|f| (f.kind, f.origin)).collect();
    assert_eq!(origins, [("pdb", "symbol server"), ("pe", "symbol server")], "{:#?}", walk.symbols[0]);
    let urls: Vec<_> = walk.symbols[0].files.iter().map(|f| f.url.clone().unwrap_or_default()).collect();
    assert!(urls[1].ends_with("/holdprog.ex_"), "the binary came as a CAB: {urls:?}");
    assert_eq!(std::fs::read(cache.join("holdprog.exe").join(&exe_key).join("holdprog.exe")).unwrap(), pe_bytes);

    // The command line names every frame of the crashing thread: from the
    // server, from the cache alone, and through _NT_SYMBOL_PATH.
    let dump_arg = path.to_str().unwrap();
    let cli_cache = dir.join("cli-cache");
    let c = cli_cache.to_str().unwrap();
    let nt = format!("srv*{c}*{}/", server.url);
    type Env<'a> = Vec<(&'a str, &'a str)>;
    let runs: [(Vec<&str>, Env, &str); 3] = [
        (vec!["--symbol-server", &server.url, "--symbol-cache", c], vec![], "--symbol-server"),
        (vec!["--symbol-cache", c], vec![], "the cache alone"),
        (vec!["--stacks"], vec![("_NT_SYMBOL_PATH", nt.as_str())], "_NT_SYMBOL_PATH"),
    ];
    for (extra, env, how) in runs {
        let mut args = vec!["threads", dump_arg];
        args.extend(extra);
        let run = common::process::memscape_env(&args, &["_NT_SYMBOL_PATH", "_NT_ALT_SYMBOL_PATH"], &env);
        assert_eq!(run.code, Some(0), "{how}: {}", run.stderr);
        for (i, (_, (function, file, line))) in expected.iter().enumerate() {
            let frame = format!("# {i:02} ");
            let text = run.stdout.lines().find(|l| l.trim_start().starts_with(&frame)).unwrap_or("");
            assert!(text.contains(&format!("holdprog!{function}")), "{how}: frame {i}: {}", run.stdout);
            assert!(text.contains(&format!("[{file} @ {line}]")), "{how}: frame {i}: {}", run.stdout);
        }
        if how == "the cache alone" {
            let _ = std::fs::remove_dir_all(&cli_cache);
        }
    }
    drop(server);

    // A PDB cut in half on the server: refused or failing to load, with a
    // reason; the walk still ends, and the PE still unwinds.
    let mut half = std::fs::read(dir.join("holdprog.pdb")).unwrap();
    half.truncate(half.len() / 2);
    let bad_server = common::http::Server::start(std::collections::HashMap::from([(
        format!("/holdprog.pdb/{guid}{:X}/holdprog.pdb", cv.age()),
        common::http::Answer::File(half),
    )]));
    let bad_cache = dir.join("bad-cache");
    let sources = SymbolSources { servers: vec![bad_server.url.clone()], cache: Some(bad_cache), ..Default::default() };
    let walk = walk_stacks(&space, &WalkOptions { symbols: sources, watch: None }, &|_, _| {}).unwrap();
    let st = &walk.symbols[0];
    assert!(!st.files.iter().any(|f| f.kind == "pdb" && !f.gives.is_empty()), "{st:#?}");
    assert!(st.problems.iter().any(|p| p.contains("holdprog.pdb")), "{st:#?}");
    assert!(!walk.traces[0].frames.is_empty());

    let offline = SymbolSources { cache: Some(cache.clone()), ..Default::default() };
    let walk = check_with(WalkOptions { symbols: offline, watch: None }, "symbol cache", true);
    assert!(walk.symbols[0].files.iter().all(|f| f.origin == "symbol cache"), "{:#?}", walk.symbols[0]);

    // The PDB alone: names, but no unwind tables.
    std::fs::remove_dir_all(store_dir.join("holdprog.exe")).unwrap();
    let walk = check(vec![store_dir], "PDB only", false);
    assert!(!walk.symbols[0].files.iter().any(|f| f.gives.contains(&"unwind")));
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_dir_all(dir);
}

/// The bytes of MSF stream `index` of a PDB, as (file offset, length) pieces.
fn msf_stream_pieces(pdb: &[u8], index: usize) -> Vec<(usize, usize)> {
    let u32_at = |at: usize| u32::from_le_bytes(pdb[at..at + 4].try_into().unwrap()) as usize;
    let block = u32_at(0x20);
    let dir_bytes = u32_at(0x2C);
    let block_map = u32_at(0x34) * block;
    // The directory, gathered from its blocks.
    let dir: Vec<u8> = (0..dir_bytes.div_ceil(block))
        .flat_map(|i| {
            let b = u32_at(block_map + 4 * i) * block;
            pdb[b..b + block].to_vec()
        })
        .collect();
    let d32 = |at: usize| u32::from_le_bytes(dir[at..at + 4].try_into().unwrap()) as usize;
    let streams = d32(0);
    let sizes: Vec<usize> = (0..streams).map(|i| d32(4 + 4 * i)).collect();
    let mut at = 4 + 4 * streams;
    for size in &sizes[..index] {
        at += 4 * size.div_ceil(block);
    }
    let size = sizes[index];
    (0..size.div_ceil(block)).map(|i| (d32(at + 4 * i) * block, block.min(size - i * block))).collect()
}

/// The first name-map entry of the PDB information stream (stream 1) made
/// to point far past the names.
fn corrupt_stream_names(pdb: &mut [u8]) {
    // Stream 1: version, signature, age, GUID, then the names block and the map.
    let pieces = msf_stream_pieces(pdb, 1);
    let (start, len) = pieces[0];
    let info = &pdb[start..start + len];
    let names_size = u32::from_le_bytes(info[28..32].try_into().unwrap()) as usize;
    let mut at = 32 + names_size;
    let count = u32::from_le_bytes(info[at..at + 4].try_into().unwrap());
    assert!(count > 0, "the PDB names no streams");
    at += 8;
    let ok_words = u32::from_le_bytes(info[at..at + 4].try_into().unwrap()) as usize;
    at += 4 + 4 * ok_words;
    let deleted_words = u32::from_le_bytes(info[at..at + 4].try_into().unwrap()) as usize;
    at += 4 + 4 * deleted_words;
    // The first entry's name offset, far past the names.
    pdb[start + at..start + at + 4].copy_from_slice(&0xFFFF_FF00u32.to_le_bytes());
}

/// The type stream (TPI, stream 2) made to claim four billion records.
fn corrupt_type_count(pdb: &mut [u8]) {
    let (start, _) = msf_stream_pieces(pdb, 2)[0];
    // TPI header: version, header size, first type index, one past the last.
    pdb[start + 12..start + 16].copy_from_slice(&0xFFFF_FF00u32.to_le_bytes());
}

#[test]
fn pdbs_that_crash_or_exhaust_their_reader_are_a_problem_not_a_crash() {
    // What the symbol_file fuzz target found: pdb2 slices the PDB information
    // stream's names at an offset the file gives, unchecked (a panic), and
    // sizes a vector by the type stream's claimed record count (2 GiB from a
    // 70 KB file).
    let Some(clang) = tool("clang") else { return };
    let Some(lld) = tool("lld-link") else { return };
    for (how, corrupt) in [("stream names", corrupt_stream_names as fn(&mut [u8])), ("type count", corrupt_type_count)]
    {
        check_corrupt_pdb(clang, lld, how, corrupt);
    }
}

fn check_corrupt_pdb(clang: &str, lld: &str, how: &str, corrupt: fn(&mut [u8])) {
    let dir = scratch_path("badpdb-dir");
    let exe = build(clang, lld, &dir);
    let mut pdb = std::fs::read(dir.join("holdprog.pdb")).unwrap();
    corrupt(&mut pdb);
    let folder = dir.join("bad");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("holdprog.pdb"), &pdb).unwrap();
    std::fs::copy(&exe, folder.join("holdprog.exe")).unwrap();

    // A dump of holdprog.exe (as in the test above, one frame is enough).
    let pe_bytes = std::fs::read(&exe).unwrap();
    let pe = object::read::pe::PeFile64::parse(&*pe_bytes).unwrap();
    let cv = pe.pdb_info().unwrap().expect("a CodeView record");
    let f = Flavour::Amd64Win10;
    let name = DumpString::new("C:\\build\\holdprog.exe", LE);
    let cv_section = Section::with_endian(LE)
        .append_bytes(b"RSDS")
        .append_bytes(&cv.guid())
        .D32(cv.age())
        .append_bytes(b"holdprog.pdb\0");
    let base = pe.relative_address_base();
    let size = pe.nt_headers().optional_header().size_of_image();
    let stamp = pe.nt_headers().file_header.time_date_stamp.get(PeLE);
    let module = Module::new(LE, base, size, &name, stamp, 0, None).cv_record(&cv_section);
    let stack = Memory::with_section(Section::with_endian(LE).append_repeated(0, 256), STACK_BASE);
    let context = f.context(base + 0x1000, STACK_BASE);
    let thread = Thread::new(LE, 7, &stack, &context);
    let dump = SynthMinidump::with_endian(LE)
        .add_system_info(f.system_info())
        .add_module(module)
        .add(name)
        .add(cv_section)
        .add_thread(thread)
        .add_memory(stack)
        .add(context);
    let path = write_scratch("badpdb", &dump.finish().unwrap());
    let space = AddressSpace::open(&path).unwrap();
    let walk = walk_stacks(&space, &WalkOptions::with_dirs(vec![folder]), &|_, _| {}).expect("the walk ends");
    let st = &walk.symbols[0];
    assert!(!walk.traces[0].frames.is_empty(), "{how}");
    assert!(st.problems.iter().any(|p| p.contains("holdprog.pdb")), "{how}: {st:#?}");
    if how == "type count" {
        assert!(st.problems.iter().any(|p| p.contains("claims")), "refused before reading: {st:#?}");
    }
    assert!(st.files.iter().any(|f| f.kind == "pe" && f.gives.contains(&"unwind")), "{how}: the PE serves: {st:#?}");
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_dir_all(dir);
}
