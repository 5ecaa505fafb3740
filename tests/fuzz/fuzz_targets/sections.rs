//! A module's captured header page: PE section tables and ELF program headers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use memscape::dump::{MAX_ELF_SEGMENTS, MAX_PE_SECTIONS, parse_sections};

fuzz_target!(|data: &[u8]| {
    // The first 16 bytes choose the module's base and size; the rest is the page.
    if data.len() < 16 {
        return;
    }
    let base = u64::from_le_bytes(data[..8].try_into().unwrap_or_default());
    let size = u64::from_le_bytes(data[8..16].try_into().unwrap_or_default());
    if let Ok(sections) = parse_sections(&data[16..], base, size) {
        // The tables' counts are capped, whatever the header claims.
        assert!(sections.len() <= MAX_PE_SECTIONS.max(MAX_ELF_SEGMENTS), "{} sections", sections.len());
        for s in &sections {
            let _ = (s.end_addr(), s.contains(base));
        }
    }
});
