//! Shared by the benchmarks: the generated dumps they measure, made once per
//! size with `memscape::synth::big` and kept in Cargo's target tmp dir
//! (the 1,000,000-region one is about 4 GiB).

#![allow(dead_code)]

use std::path::PathBuf;

use memscape::dump::AddressSpace;
use memscape::synth::big::{BigDumpSpec, write_big_dump};

/// The region counts every benchmark runs at.
pub const SIZES: [u64; 3] = [10_000, 100_000, 1_000_000];

/// The dump of `regions` regions: threads, modules and captured bytes grow
/// with it, up to the largest (2,000 threads, 1,000 modules, 4 GiB).
pub fn spec(regions: u64) -> BigDumpSpec {
    match regions {
        r if r <= 10_000 => BigDumpSpec::new(r, 50, 100, 64 << 20),
        r if r <= 100_000 => BigDumpSpec::new(r, 400, 400, 512 << 20),
        r => BigDumpSpec::new(r, 2_000, 1_000, 4 << 30),
    }
}

/// The path of the generated dump of `regions` regions, written the first time.
pub fn dump_path(regions: u64) -> PathBuf {
    let s = spec(regions);
    let name =
        format!("memscape-bench-{}r-{}t-{}m-{}b-s{}.dmp", s.regions, s.threads, s.modules, s.captured_bytes, s.seed);
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    if !path.exists() {
        let tmp = path.with_extension("part");
        write_big_dump(&s, &tmp).expect("generating a benchmark dump");
        std::fs::rename(&tmp, &path).expect("keeping the benchmark dump");
    }
    path
}

/// The generated dump of `regions` regions, opened.
pub fn open(regions: u64) -> AddressSpace {
    AddressSpace::open(dump_path(regions)).expect("opening a benchmark dump")
}

/// A Breakpad tree for every module of the dump of `regions` regions
/// (written the first time beside it): `name.pdb/ID/name.sym` with a FUNC
/// and a line record every 4 KiB of the image, up to 4,096 per module, so
/// that every frame in a module is named by both walkers.
pub fn breakpad_symbols(regions: u64) -> PathBuf {
    use std::fmt::Write;
    let dir = dump_path(regions).with_extension("symbols");
    if dir.exists() {
        return dir;
    }
    let space = open(regions);
    let tmp = dir.with_extension("part");
    let _ = std::fs::remove_dir_all(&tmp);
    for m in &space.modules {
        let (Some(id), Some(memscape::dump::DebugInfo::Pdb70 { pdb_name, .. })) = (&m.debug_id, &m.debug) else {
            continue;
        };
        let pdb = pdb_name.rsplit(['\\', '/']).next().unwrap_or(pdb_name);
        let stem = pdb.strip_suffix(".pdb").unwrap_or(pdb);
        let leaf = tmp.join(pdb).join(id);
        std::fs::create_dir_all(&leaf).expect("symbol dir");
        let mut text = format!("MODULE windows x86_64 {id} {pdb}\nFILE 0 c:\\src\\{stem}.c\n");
        let step = (m.size_bytes / 4096).max(0x1000);
        let mut rva = 0x1000;
        while rva + step <= m.size_bytes {
            let _ = writeln!(text, "FUNC {rva:x} {step:x} 0 {stem}_fn_{rva:x}\n{rva:x} {step:x} {} 0", rva / 16);
            rva += step;
        }
        std::fs::write(leaf.join(format!("{stem}.sym")), text).expect("write .sym");
    }
    std::fs::rename(&tmp, &dir).expect("keeping the symbols");
    dir
}
