//! A minidump from bytes: open it, walk its stacks and run every pattern rule.
//! Any panic, hang (-timeout) or allocation past -rss_limit_mb is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use memscape::analysis::patterns::analyze;
use memscape::dump::{AddressSpace, WalkOptions, walk_stacks};

fuzz_target!(|data: &[u8]| {
    let Ok(space) = AddressSpace::from_bytes("fuzz.dmp", data.to_vec()) else { return };
    let walk = walk_stacks(&space, &WalkOptions::default(), &|_, _| {}).ok();
    let _ = analyze(&space, walk.as_ref());
    // Every address lookup the panels make.
    for r in space.regions.iter().take(64) {
        let _ = space.region_at(r.base_addr);
        let _ = space.captured.read(space.bytes(), r.base_addr, 64);
    }
});
