//! /proc/pid/maps text, as a LinuxMaps stream carries it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (kept, bad) = memscape::dump::fuzz_entry::linux_maps(data);
    // Each line is kept or skipped, never both; no more than there are lines.
    let lines = data.split(|b| *b == b'\n').count();
    assert!(kept + bad <= lines);
});
