//! Opening a dump and building its model (memory-mapped; the captured bytes
//! are never read), at 10k, 100k and 1M regions.

// Benchmark code: clippy.toml's allow-*-in-tests covers only #[test] functions, not the
// helpers beside them; unwrap and expect are how a test says what it expects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support.rs"]
mod support;

use support::SIZES;

fn main() {
    divan::main();
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn open_and_model(bencher: divan::Bencher, regions: u64) {
    let path = support::dump_path(regions);
    bencher.bench(|| memscape::dump::AddressSpace::open(&path).expect("open"));
}
