//! The peer that `memscape info` is measured against (tests/benches/figures.sh):
//! a bare program that parses a minidump's MemoryInfoList with rust-minidump
//! (`Minidump::read_path`, then every `MinidumpMemoryInfoList` entry) and
//! prints how many entries and bytes of each state it holds.
//!
//! usage: cargo run --release --example rust_minidump_regions -- DUMP
//! (an `[[example]]` in Cargo.toml whose file sits with the benchmarks)

use std::collections::BTreeMap;
use std::process::ExitCode;

use minidump::{Minidump, MinidumpMemoryInfoList};

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: rust_minidump_regions DUMP");
        return ExitCode::from(2);
    };
    let dump = match Minidump::read_path(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{}: {e}", path.to_string_lossy());
            return ExitCode::FAILURE;
        }
    };
    let list: MinidumpMemoryInfoList<'_> = match dump.get_stream() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{}: no MemoryInfoList: {e}", path.to_string_lossy());
            return ExitCode::FAILURE;
        }
    };
    let mut by_state: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
    for info in list.iter() {
        let e = by_state.entry(info.raw.state).or_default();
        e.0 += 1;
        e.1 = e.1.wrapping_add(info.raw.region_size);
    }
    for (state, (n, bytes)) in by_state {
        println!("state {state:#x}: {n} entries, {bytes} bytes");
    }
    ExitCode::SUCCESS
}
