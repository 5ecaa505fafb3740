//! Opening a dump and building its model (memory-mapped; the captured bytes
//! are never read), at 10k, 100k and 1M regions, beside the peer: rust-minidump
//! parsing the same file's MemoryInfoList (`Minidump::read_path`, then every
//! entry of `MinidumpMemoryInfoList` visited), which is what a bare program
//! built on that crate does before it can say anything about the regions.
//!
//! Before divan's table, `main` times both on each dump in the same run
//! (the median of 5) and prints memscape's time over the peer's.

// Benchmark code: clippy.toml's allow-*-in-tests covers only #[test] functions, not the
// helpers beside them; unwrap and expect are how a test says what it expects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use minidump::{Minidump, MinidumpMemoryInfoList};
use support::SIZES;

fn main() {
    for regions in SIZES {
        let path = support::dump_path(regions);
        let ours = median(|| drop(memscape::dump::AddressSpace::open(&path).expect("open")));
        let peer = median(|| {
            rust_minidump_regions(&path);
        });
        eprintln!(
            "{regions} regions: memscape open+model {:.1} ms, rust-minidump MemoryInfoList parse {:.1} ms: ratio {:.2}",
            ours.as_secs_f64() * 1e3,
            peer.as_secs_f64() * 1e3,
            ours.as_secs_f64() / peer.as_secs_f64()
        );
    }
    divan::main();
}

/// The median wall time of 5 runs.
fn median(mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[2]
}

/// The peer: rust-minidump reads the file and its MemoryInfoList; every
/// entry is visited (its base, size, state and protection summed so the
/// work cannot be skipped). Returns the number of entries.
fn rust_minidump_regions(path: &Path) -> usize {
    let dump = Minidump::read_path(path).expect("rust-minidump reads the dump");
    let list: MinidumpMemoryInfoList<'_> = dump.get_stream().expect("a MemoryInfoList");
    let mut n = 0usize;
    let mut sum = 0u64;
    for info in list.iter() {
        sum = sum.wrapping_add(
            info.raw.base_address ^ info.raw.region_size ^ u64::from(info.raw.state ^ info.raw.protection),
        );
        n += 1;
    }
    std::hint::black_box(sum);
    n
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn open_and_model(bencher: divan::Bencher, regions: u64) {
    let path = support::dump_path(regions);
    bencher.bench(|| memscape::dump::AddressSpace::open(&path).expect("open"));
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn rust_minidump_memory_info_list(bencher: divan::Bencher, regions: u64) {
    let path = support::dump_path(regions);
    bencher.bench(|| rust_minidump_regions(&path));
}
