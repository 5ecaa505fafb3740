//! Bad input gives a clean error, never a panic or a hang.
//!
//! `AddressSpace::open` on a missing file, an empty file, a text file, 100 KB
//! of pseudo-random garbage and a bare MDMP header claiming 0xFFFFFFFF streams;
//! then, for every corpus dump (when `MEMSCAPE_CORPUS` is set) and for
//! minidump-synth dumps, ~40 truncations, ~200 single-bit flips and ~50 4-byte
//! overwrites (0xFFFFFFFF / 0x7FFFFFFF / 0) at deterministic positions chosen
//! by the fixed-seed SplitMix64, mostly in the header, the stream directory and
//! the first bytes of each stream, and ~30 8-byte address overwrites near the
//! top of memory (wrapping ranges). Each open must return Err, or Ok with a
//! region list still sorted, contiguous and covering 0..limit; a panic that
//! escapes fails the test with the file and the mutation, and the whole loop
//! runs on a worker thread with a generous hang guard (not a speed test).
//! `AddressSpace::open` turns a panic inside the readers into an error; a
//! second test reports any such caught panic with where it happened, since a
//! reader that checks its lengths never panics.
//!
//! The binary, on a few of those files: exit status 0 or 1, and on 1 exactly
//! one stderr line, starting "error: " and naming the file. Usage errors
//! (`info` without DUMP, an unknown flag) exit 2.

use crate::common;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use memscape::analysis::patterns::analyze;
use memscape::dump::{AddressSpace, WalkOptions, walk_stacks};

use common::process::memscape;
use common::rng::{SplitMix64, TestRng};
use common::synth::{Flavour, crash_dump, heaps_dump, linux_dump, mdmp_header, synthesized_dump};
use common::{corpus_dir, read_manifest, region_invariants, scratch_path, write_scratch};

/// The hang guard for the whole mutation loop.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// 100 KB of deterministic garbage.
fn garbage(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = SplitMix64::new(seed);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    out.truncate(len);
    out
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// (rva, size) of each directory entry that lies within the file.
fn directory(b: &[u8]) -> (usize, Vec<(usize, usize)>) {
    let count = u32_at(b, 8).unwrap_or(0) as usize;
    let rva = u32_at(b, 12).unwrap_or(32) as usize;
    let mut streams = Vec::new();
    let mut n = 0;
    while n < count.min(4096) {
        let at = rva + n * 12;
        let (Some(size), Some(loc)) = (u32_at(b, at + 4), u32_at(b, at + 8)) else { break };
        streams.push((loc as usize, size as usize));
        n += 1;
    }
    (rva + n * 12, streams)
}

#[derive(Clone, Debug)]
enum Mutation {
    Truncate(usize),
    FlipBit {
        at: usize,
        bit: u8,
    },
    Overwrite {
        at: usize,
        value: u32,
    },
    /// An address field set near or at the top of memory (wrapping ranges).
    Overwrite64 {
        at: usize,
        value: u64,
    },
}

impl std::fmt::Display for Mutation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mutation::Truncate(n) => write!(f, "truncated to {n} bytes"),
            Mutation::FlipBit { at, bit } => write!(f, "bit {bit} of byte {at:#x} flipped"),
            Mutation::Overwrite { at, value } => write!(f, "{value:#010x} written at {at:#x}"),
            Mutation::Overwrite64 { at, value } => write!(f, "{value:#018x} written at {at:#x}"),
        }
    }
}

/// The mutations of one dump, in a fixed order: flips and overwrites first,
/// then truncations from the longest down (so one scratch file can be cut
/// step by step).
fn mutations(original: &[u8], seed: u64) -> Vec<Mutation> {
    let len = original.len();
    let (directory_end, streams) = directory(original);
    // Hot bytes: the header, the directory and the first 64 bytes of each stream.
    let mut hot: Vec<usize> = (0..directory_end.min(len)).collect();
    for (rva, size) in &streams {
        let end = rva.saturating_add((*size).min(64)).min(len);
        hot.extend(*rva..end);
    }
    hot.sort_unstable();
    hot.dedup();
    let mut rng = SplitMix64::new(seed);
    let pick = |rng: &mut SplitMix64| {
        if !hot.is_empty() && rng.index(10) < 8 { hot[rng.index(hot.len())] } else { rng.index(len) }
    };
    let mut out = Vec::new();
    for _ in 0..200 {
        let at = pick(&mut rng);
        out.push(Mutation::FlipBit { at, bit: rng.index(8) as u8 });
    }
    for _ in 0..50 {
        let at = (pick(&mut rng) & !3).min(len.saturating_sub(4));
        let value = [0xFFFF_FFFF, 0x7FFF_FFFF, 0][rng.index(3)];
        out.push(Mutation::Overwrite { at, value });
    }
    for _ in 0..30 {
        let at = (pick(&mut rng) & !7).min(len.saturating_sub(8));
        let value = [u64::MAX, 0xFFFF_FFFF_FFFF_F000, 0x8000_0000_0000_0000][rng.index(3)];
        out.push(Mutation::Overwrite64 { at, value });
    }
    let mut cuts: Vec<usize> = vec![0, 4, 31, 32, 33, directory_end];
    cuts.extend((1..=34).map(|k| len * k / 34));
    cuts.retain(|&n| n <= len);
    cuts.sort_unstable();
    cuts.dedup();
    out.extend(cuts.into_iter().rev().map(Mutation::Truncate));
    out
}

/// Where each worker is, for the hang report.
static CURRENT: Mutex<BTreeMap<usize, String>> = Mutex::new(BTreeMap::new());

thread_local! {
    static IN_MUTATION: Cell<bool> = const { Cell::new(false) };
    static CAUGHT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Records panics raised while a mutated dump is read (even those
/// `AddressSpace::open` catches) with their location; passes every other
/// panic to the default hook so other tests' failures still print.
fn install_panic_recorder() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_MUTATION.with(Cell::get) {
                let what = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
                CAUGHT.with(|c| c.borrow_mut().push(format!("{what} at {at}")));
            } else {
                previous(info);
            }
        }));
    });
}

#[derive(Default, Debug)]
struct Report {
    opens: usize,
    ok: usize,
    err: usize,
    /// Panics that escaped `AddressSpace::open`.
    escaped: Vec<String>,
    /// Ok results whose regions break the invariants.
    broken: Vec<String>,
    /// Panics `AddressSpace::open` caught and turned into errors, by location.
    caught: BTreeMap<String, Vec<String>>,
    /// Mutated files that made the reader panic, for the CLI test.
    panicky_files: Vec<(String, Vec<u8>)>,
    hang: Option<String>,
    skipped_corpus: bool,
}

/// Opens one mutated file and files the outcome.
fn open_one(path: &Path, label: &str, worker: usize, report: &mut Report) -> bool {
    CURRENT.lock().unwrap().insert(worker, label.to_string());
    CAUGHT.with(|c| c.borrow_mut().clear());
    IN_MUTATION.with(|f| f.set(true));
    let result = catch_unwind(AssertUnwindSafe(|| AddressSpace::open(path)));
    IN_MUTATION.with(|f| f.set(false));
    report.opens += 1;
    let caught: Vec<String> = CAUGHT.with(|c| c.borrow_mut().drain(..).collect());
    match result {
        Err(_) => report.escaped.push(format!("{label}: {}", caught.join("; "))),
        Ok(Ok(space)) => {
            report.ok += 1;
            if let Err(e) = region_invariants(&space) {
                report.broken.push(format!("{label}: {e}"));
            }
            // The rules read what the readers accepted (a wrapping stack range
            // once hung them); every 8th file also gets its stacks walked.
            let walk_too = report.ok.is_multiple_of(8);
            let analysed = catch_unwind(AssertUnwindSafe(|| {
                let walk = walk_too.then(|| walk_stacks(&space, &WalkOptions::default(), &|_, _| {}).ok()).flatten();
                analyze(&space, walk.as_ref()).len()
            }));
            if analysed.is_err() {
                report.escaped.push(format!("{label}: the analysis panicked"));
            }
        }
        Ok(Err(_)) => report.err += 1,
    }
    let panicked = !caught.is_empty();
    for c in caught {
        report.caught.entry(c).or_default().push(label.to_string());
    }
    panicked
}

/// Every `workers`-th mutation of one dump (from `shard`), on one scratch file.
fn mutate_dump(name: &str, original: &[u8], seed: u64, (shard, workers): (usize, usize), report: &mut Report) {
    let path = scratch_path("mutated");
    std::fs::write(&path, original).expect("write scratch dump");
    let mut file = OpenOptions::new().write(true).open(&path).expect("open scratch dump");
    let write_at = |file: &mut std::fs::File, at: usize, bytes: &[u8]| {
        file.seek(SeekFrom::Start(at as u64)).and_then(|_| file.write_all(bytes)).expect("patch scratch dump");
    };
    for m in mutations(original, seed).into_iter().skip(shard).step_by(workers) {
        let label = format!("{name}, {m}");
        let mut mutated_bytes = None;
        let restore: Option<(usize, Vec<u8>)> = match m {
            Mutation::FlipBit { at, bit } => {
                write_at(&mut file, at, &[original[at] ^ (1 << bit)]);
                Some((at, original[at..at + 1].to_vec()))
            }
            Mutation::Overwrite { at, value } => {
                let end = (at + 4).min(original.len());
                write_at(&mut file, at, &value.to_le_bytes()[..end - at]);
                Some((at, original[at..end].to_vec()))
            }
            Mutation::Overwrite64 { at, value } => {
                let end = (at + 8).min(original.len());
                write_at(&mut file, at, &value.to_le_bytes()[..end - at]);
                Some((at, original[at..end].to_vec()))
            }
            Mutation::Truncate(n) => {
                file.set_len(n as u64).expect("truncate scratch dump");
                None
            }
        };
        if open_one(&path, &label, shard, report) && report.panicky_files.len() < 3 {
            mutated_bytes = Some(std::fs::read(&path).expect("read back"));
        }
        if let Some(bytes) = mutated_bytes {
            report.panicky_files.push((label.clone(), bytes));
        }
        if let Some((at, bytes)) = restore {
            write_at(&mut file, at, &bytes);
        }
    }
    drop(file);
    let _ = std::fs::remove_file(&path);
}

/// The dumps to mutate: minidump-synth ones, then the corpus.
fn base_dumps() -> (Vec<(String, Vec<u8>)>, bool) {
    let mut dumps = vec![
        ("synth crash (amd64, MemoryInfoList, TEB/PEB/heaps)".to_string(), crash_dump()),
        ("synth heaps (x86)".to_string(), heaps_dump(Flavour::X86, common::synth::Miss::None)),
        ("synth linux maps".to_string(), linux_dump()),
        ("synth synthesized (x86)".to_string(), synthesized_dump(Flavour::X86).0),
    ]
    .into_iter()
    .map(|(n, d)| (n, d.finish().expect("minidump-synth finishes")))
    .collect::<Vec<_>>();
    let corpus = corpus_dir();
    if let Some(dir) = &corpus {
        for row in read_manifest(dir) {
            let bytes = std::fs::read(dir.join(row.file())).expect("read corpus dump");
            dumps.push((row.file().to_string(), bytes));
        }
    }
    (dumps, corpus.is_none())
}

impl Report {
    fn merge(&mut self, other: Report) {
        self.opens += other.opens;
        self.ok += other.ok;
        self.err += other.err;
        self.escaped.extend(other.escaped);
        self.broken.extend(other.broken);
        for (at, files) in other.caught {
            self.caught.entry(at).or_default().extend(files);
        }
        self.panicky_files.extend(other.panicky_files);
        self.panicky_files.truncate(3);
    }
}

/// Runs the whole mutation loop once (shared by the tests of this file), its
/// mutations spread over one worker thread per core.
fn report() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        install_panic_recorder();
        let (dumps, skipped_corpus) = base_dumps();
        let dumps = Arc::new(dumps);
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4);
        let (tx, rx) = mpsc::channel();
        for shard in 0..workers {
            let (tx, dumps) = (tx.clone(), Arc::clone(&dumps));
            std::thread::Builder::new()
                .name(format!("mutations-{shard}"))
                .spawn(move || {
                    let mut report = Report::default();
                    for (i, (name, bytes)) in dumps.iter().enumerate() {
                        let seed = 0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1);
                        mutate_dump(name, bytes, seed, (shard, workers), &mut report);
                    }
                    let _ = tx.send(report);
                })
                .expect("spawn a mutation worker");
        }
        let deadline = Instant::now() + HANG_GUARD;
        let mut total = Report { skipped_corpus, ..Report::default() };
        for _ in 0..workers {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(r) => total.merge(r),
                Err(_) => {
                    let at: Vec<String> = CURRENT.lock().unwrap().values().cloned().collect();
                    total.hang = Some(format!(
                        "the mutation loop did not finish within {HANG_GUARD:?}; workers were at: {}",
                        at.join(" | ")
                    ));
                    break;
                }
            }
        }
        total
    })
}

#[test]
fn mutated_dumps_never_panic_or_hang() {
    let r = report();
    if let Some(h) = &r.hang {
        panic!("{h}");
    }
    if r.skipped_corpus {
        println!("corpus part skipped: MEMSCAPE_CORPUS not set");
    }
    println!("{} opens: {} Ok, {} Err", r.opens, r.ok, r.err);
    assert!(r.opens >= 4 * 250, "only {} mutated files were opened", r.opens);
    assert!(
        r.escaped.is_empty(),
        "{} panics escaped AddressSpace::open:\n  {}",
        r.escaped.len(),
        r.escaped.join("\n  ")
    );
    assert!(
        r.broken.is_empty(),
        "{} mutated dumps opened with broken region lists:\n  {}",
        r.broken.len(),
        r.broken.iter().take(30).cloned().collect::<Vec<_>>().join("\n  ")
    );
}

/// `AddressSpace::open` catches reader panics and reports them as errors;
/// this lists every one (by where it panicked), since each is a missing check.
#[test]
fn mutated_dumps_do_not_panic_inside_the_reader() {
    let r = report();
    if let Some(h) = &r.hang {
        panic!("{h}");
    }
    let lines: Vec<String> =
        r.caught.iter().map(|(at, files)| format!("{} x {at}\n      first: {}", files.len(), files[0])).collect();
    assert!(lines.is_empty(), "reader panics caught inside AddressSpace::open:\n  {}", lines.join("\n  "));
}

/// SystemInfo's version numbers are read from the file: 0xFFFFFFFF must not
/// overflow anything (found by the mutation loop on corpus dumps; this is the
/// same case on a synth dump, so it runs without the corpus).
#[test]
fn huge_os_version_numbers_do_not_panic() {
    install_panic_recorder();
    let mut report = Report::default();
    for (major, minor) in [(0xFFFF_FFFF, 0), (0, 0xFFFF_FFFF), (0xFFFF_FFFF, 0xFFFF_FFFF)] {
        let mut sys = Flavour::Amd64Win10.system_info();
        sys.major_version = major;
        sys.minor_version = minor;
        let dump = synthesized_dump(Flavour::Amd64Win10).0.add_system_info(sys);
        let path = write_scratch("huge-version", &dump.finish().expect("minidump-synth finishes"));
        open_one(&path, &format!("SystemInfo version {major:#x}.{minor:#x}"), 0, &mut report);
        let _ = std::fs::remove_file(path);
    }
    assert!(report.escaped.is_empty(), "{:?}", report.escaped);
    assert!(report.broken.is_empty(), "{:?}", report.broken);
    let caught: Vec<String> = report.caught.iter().map(|(at, files)| format!("{at} ({})", files.join(", "))).collect();
    assert!(caught.is_empty(), "reader panics caught inside AddressSpace::open:\n  {}", caught.join("\n  "));
    assert_eq!(report.ok, 3, "each still opens");
}

// ---------------------------------------------------------------- fixed bad files

fn expect_err(path: &Path, what: &str) -> String {
    install_panic_recorder();
    let r = catch_unwind(AssertUnwindSafe(|| AddressSpace::open(path)));
    match r {
        Err(_) => panic!("{what}: AddressSpace::open panicked"),
        Ok(Ok(_)) => panic!("{what}: opened as a dump"),
        Ok(Err(e)) => {
            let msg = e.to_string();
            assert!(msg.contains(&path.display().to_string()), "{what}: error does not name the file: {msg}");
            msg
        }
    }
}

#[test]
fn missing_empty_text_and_garbage_files_are_errors() {
    let missing = std::env::temp_dir().join("memscape-tests-does-not-exist.dmp");
    expect_err(&missing, "missing file");
    let empty = write_scratch("empty", b"");
    let msg = expect_err(&empty, "empty file");
    assert!(msg.contains("empty"), "{msg}");
    let text = write_scratch("text", b"This is not a minidump.\nJust some text.\n");
    expect_err(&text, "text file");
    let junk = write_scratch("garbage", &garbage(100 * 1024, 0xDEAD_BEEF_CAFE_F00D));
    expect_err(&junk, "100 KB of garbage");
    for p in [empty, text, junk] {
        let _ = std::fs::remove_file(p);
    }
}

#[test]
fn header_claiming_4g_streams_is_handled() {
    install_panic_recorder();
    for (what, bytes) in [
        ("header only", mdmp_header(0xFFFF_FFFF, 32)),
        ("header + 1 KB of zeros", [mdmp_header(0xFFFF_FFFF, 32), vec![0; 1024]].concat()),
        ("directory past the end", mdmp_header(0xFFFF_FFFF, 0xFFFF_FFF0)),
    ] {
        let path = write_scratch("huge-count", &bytes);
        let r = catch_unwind(AssertUnwindSafe(|| AddressSpace::open(&path)));
        // A directory of 2^32-1 entries cannot fit in these files: the open
        // must fail, and say which file.
        match r {
            Err(_) => panic!("{what}: AddressSpace::open panicked"),
            Ok(Ok(space)) => {
                panic!("{what}: opened ({} regions) although the directory cannot fit", space.regions.len())
            }
            Ok(Err(e)) => {
                let text = e.to_string();
                assert!(text.contains(&path.display().to_string()), "{what}: the error does not name the file: {text}");
            }
        }
        let _ = std::fs::remove_file(path);
    }
}

// ---------------------------------------------------------------- the binary

/// The first two lines of stderr and how many there were.
fn short(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    format!("{} line(s): {:?}", lines.len(), lines.iter().take(2).collect::<Vec<_>>())
}

/// Exit 0, or exit 1 with exactly one stderr line "error: ..." naming the
/// file; the first violation per file is reported.
fn check_cli(path: &Path, what: &str, failures: &mut Vec<String>) {
    let p = path.to_str().expect("utf-8 path");
    for args in [["info", p, ""], ["info", p, "--json"], ["regions", p, ""], ["regions", p, "--json"]] {
        let args: Vec<&str> = args.into_iter().filter(|a| !a.is_empty()).collect();
        let run = memscape(&args, &[]);
        let cmd = args.join(" ");
        let problem = match run.code {
            Some(0) => None,
            Some(1) => {
                let lines: Vec<&str> = run.stderr.lines().collect();
                let good = lines.len() == 1 && lines[0].starts_with("error: ") && lines[0].contains(p);
                (!good).then(|| format!("exit 1, stderr {}", short(&run.stderr)))
            }
            other => Some(format!("exit {other:?}, stderr {}", short(&run.stderr))),
        };
        if let Some(problem) = problem {
            failures.push(format!("{what}: `memscape {cmd}`: {problem}"));
            return;
        }
    }
}

#[test]
fn binary_reports_bad_files_in_one_line() {
    let mut failures = Vec::new();
    let mut files: Vec<(String, PathBuf)> = vec![
        ("missing file".into(), std::env::temp_dir().join("memscape-tests-does-not-exist.dmp")),
        ("empty file".into(), write_scratch("cli-empty", b"")),
        ("text file".into(), write_scratch("cli-text", b"hello\n")),
        ("garbage".into(), write_scratch("cli-garbage", &garbage(100 * 1024, 7))),
        ("0xFFFFFFFF streams".into(), write_scratch("cli-huge", &mdmp_header(0xFFFF_FFFF, 32))),
    ];
    // A few deterministic mutations of the synth crash dump.
    let original = crash_dump().finish().expect("minidump-synth finishes");
    for m in mutations(&original, 42).into_iter().step_by(29) {
        let mut bytes = original.clone();
        match m {
            Mutation::Truncate(n) => bytes.truncate(n),
            Mutation::FlipBit { at, bit } => bytes[at] ^= 1 << bit,
            Mutation::Overwrite { at, value } => {
                let end = (at + 4).min(bytes.len());
                bytes[at..end].copy_from_slice(&value.to_le_bytes()[..end - at]);
            }
            Mutation::Overwrite64 { at, value } => {
                let end = (at + 8).min(bytes.len());
                bytes[at..end].copy_from_slice(&value.to_le_bytes()[..end - at]);
            }
        }
        files.push((format!("synth crash dump, {m}"), write_scratch("cli-mutated", &bytes)));
    }
    for (what, path) in &files {
        check_cli(path, what, &mut failures);
    }
    for (_, path) in files.iter().skip(1) {
        let _ = std::fs::remove_file(path);
    }
    assert!(failures.is_empty(), "{} failures:\n  {}", failures.len(), failures.join("\n  "));
}

/// One stream of `stream_type` whose data claims `count` entries (or bytes)
/// and holds only `data_len` bytes of a repeating pattern: the shapes a
/// reader's count and size checks exist for.
fn one_stream_dump(stream_type: u32, declared_size: u32, count: u32, data_len: usize) -> Vec<u8> {
    let mut b = mdmp_header(1, 32);
    b.extend_from_slice(&stream_type.to_le_bytes());
    b.extend_from_slice(&declared_size.to_le_bytes());
    b.extend_from_slice(&44u32.to_le_bytes());
    // List streams start with their header size / entry size / count words.
    let mut data = Vec::new();
    for word in [16u32, 48, count, 0] {
        data.extend_from_slice(&word.to_le_bytes());
    }
    data.extend((0..data_len).map(|i| (i * 37 % 251) as u8));
    b.extend_from_slice(&data);
    b
}

/// Through the binary, the files a reader is most likely to trip on: every
/// stream type the model reads, with counts far beyond the file, sizes of 0
/// and 2^32-1, and a few bytes of data; plus whatever made a reader panic in
/// the mutation loop (none, when all is well). Each must be read or refused
/// with one `error:` line naming the file, never a panic message.
#[test]
fn binary_reports_reader_panics_in_one_line() {
    let r = report();
    if r.hang.is_some() {
        return; // reported by the tests above
    }
    // ThreadList, ModuleList, MemoryList, Exception, SystemInfo, Memory64List,
    // HandleData, UnloadedModuleList, MiscInfo, MemoryInfoList, ThreadInfoList,
    // Breakpad's LinuxMaps and Crashpad's info.
    let stream_types = [3u32, 4, 5, 6, 7, 9, 12, 14, 15, 16, 17, 0x4767_0009, 0x4350_0001];
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for t in stream_types {
        for (size, count, len) in [(0, 0, 0), (24, 0xFFFF_FFFF, 8), (0xFFFF_FFFF, 3, 40), (64, 1000, 48)] {
            files.push((format!("stream 0x{t:x}, size {size}, count {count}"), one_stream_dump(t, size, count, len)));
        }
    }
    let fixed = files.len();
    files.extend(r.panicky_files.iter().cloned());
    let mut failures = Vec::new();
    for (what, bytes) in &files {
        let path = write_scratch("cli-stream", bytes);
        check_cli(&path, what, &mut failures);
        let _ = std::fs::remove_file(path);
    }
    assert!(fixed >= 50, "only {fixed} crafted files");
    assert!(failures.is_empty(), "{} failures:\n  {}", failures.len(), failures.join("\n  "));
}

#[test]
fn usage_errors_exit_2() {
    for args in [vec!["info"], vec!["info", "x.dmp", "--no-such-flag"], vec!["regions", "--json"]] {
        let run = memscape(&args, &[]);
        assert_eq!(run.code, Some(2), "memscape {}: stderr {:?}", args.join(" "), run.stderr);
    }
}
