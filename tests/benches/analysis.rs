//! The pattern rules and the stack walk of every thread of a generated dump,
//! at 10k, 100k and 1M regions (50, 400 and 2,000 threads); and the walk
//! with Breakpad symbols for every module (support::breakpad_symbols) beside
//! minidump-processor's `process_minidump` with the same symbols, in the
//! same run.

// Benchmark code: clippy.toml's allow-*-in-tests covers only #[test] functions, not the
// helpers beside them; unwrap and expect are how a test says what it expects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support.rs"]
mod support;

use memscape::analysis::patterns::analyze;
use memscape::dump::{WalkOptions, walk_stacks};
use minidump_unwind::{Symbolizer, simple_symbol_supplier};
use support::SIZES;

fn main() {
    divan::main();
}

#[divan::bench(args = SIZES, sample_count = 5)]
fn patterns_without_stacks(bencher: divan::Bencher, regions: u64) {
    let space = support::open(regions);
    bencher.bench(|| analyze(&space, None));
}

#[divan::bench(args = SIZES, sample_count = 3)]
fn stack_walk_every_thread(bencher: divan::Bencher, regions: u64) {
    let space = support::open(regions);
    let opts = WalkOptions::default();
    bencher.bench(|| walk_stacks(&space, &opts, &|_, _| {}).expect("walk"));
}

#[divan::bench(args = SIZES, sample_count = 3)]
fn patterns_with_stacks(bencher: divan::Bencher, regions: u64) {
    let space = support::open(regions);
    let walked = walk_stacks(&space, &WalkOptions::default(), &|_, _| {}).expect("walk");
    bencher.bench(|| analyze(&space, Some(&walked)));
}

#[divan::bench(args = SIZES, sample_count = 3)]
fn stack_walk_with_breakpad_symbols(bencher: divan::Bencher, regions: u64) {
    let space = support::open(regions);
    let opts = WalkOptions::with_dirs(vec![support::breakpad_symbols(regions)]);
    bencher.bench(|| walk_stacks(&space, &opts, &|_, _| {}).expect("walk"));
}

/// The peer: what minidump-stackwalk runs, on the same file and symbols
/// (parsing the dump included, as memscape's walk re-reads it too).
#[divan::bench(args = SIZES, sample_count = 3)]
fn minidump_processor_with_breakpad_symbols(bencher: divan::Bencher, regions: u64) {
    let path = support::dump_path(regions);
    let symbols = support::breakpad_symbols(regions);
    bencher.bench(|| {
        let dump = minidump::Minidump::read_path(&path).expect("read");
        let symbolizer = Symbolizer::new(simple_symbol_supplier(vec![symbols.clone()]));
        pollster::block_on(minidump_processor::process_minidump(&dump, &symbolizer)).expect("process")
    });
}
