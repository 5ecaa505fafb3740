//! Property tests (proptest) for the dump layer's hand-written parsers: any
//! bytes give a result, never a panic, and what they keep obeys the bounds of
//! the stream and the file; well-formed input reads back exactly. The fuzz
//! targets (tests/fuzz) search the same code coverage-guided for longer;
//! these run in every `cargo test`.

use proptest::collection::vec;
use proptest::prelude::*;

use super::captured::{CapturedMemory, read_memory_list, read_memory64_list};
use super::linux_maps::{lines, summarize};
use super::regions::read_memory_info_list;

/// A stream that starts with plausible counts more often than random bytes would.
fn stream_with_count(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
    (vec(any::<u8>(), 0..max_len), 0u64..64).prop_map(|(mut bytes, count)| {
        if bytes.len() >= 8 {
            bytes[..8].copy_from_slice(&count.to_le_bytes());
        }
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn memory_lists_keep_ranges_inside_the_file(stream in stream_with_count(2048), file_len in 0u64..1 << 16) {
        let mut warnings = Vec::new();
        let ranges = read_memory_list(&stream, file_len, &mut warnings)
            .into_iter()
            .chain(read_memory64_list(&stream, file_len, &mut warnings));
        let mut kept = Vec::new();
        for r in ranges {
            prop_assert!(r.file_offset.checked_add(r.size_bytes).is_some_and(|e| e <= file_len), "{r:?} past {file_len}");
            prop_assert!(r.base_addr.checked_add(r.size_bytes).is_some(), "{r:?} wraps");
            kept.push(r);
        }
        // The index over them is sorted and disjoint, whatever they were.
        let index = CapturedMemory::from_ranges(kept);
        for w in index.ranges().windows(2) {
            prop_assert!(w[0].end_addr() <= w[1].base_addr, "{:?} overlaps {:?}", w[0], w[1]);
        }
    }

    #[test]
    fn memory_info_entries_are_bounded_by_the_stream(stream in vec(any::<u8>(), 0..4096)) {
        let mut warnings = Vec::new();
        let entries = read_memory_info_list(&stream, &mut warnings);
        // At least the 16-byte header and 48 bytes (or the declared size) per entry.
        prop_assert!(entries.len() <= stream.len().saturating_sub(16) / 4 + 1);
    }

    #[test]
    fn linux_maps_lines_never_panic_and_agree_with_the_summary(text in vec(any::<u8>(), 0..2048)) {
        let (mut kept, mut bad) = (0, 0);
        for line in lines(&text) {
            match line {
                Some(l) => {
                    prop_assert!(l.start < l.end);
                    kept += 1;
                }
                None => bad += 1,
            }
        }
        let s = summarize(&text);
        prop_assert_eq!((s.lines, s.bad), (kept, bad));
    }

    #[test]
    fn well_formed_maps_lines_read_back(
        maps in vec((0u64..1 << 40, 1u64..1 << 20, any::<[bool; 4]>(), 0u64..1 << 30, "[a-z/._\\[\\] -]{0,24}"), 1..40)
    ) {
        let mut text = String::new();
        let mut at = 0u64;
        let mut want = Vec::new();
        for (gap, size, [r, w, x, s], inode, path) in &maps {
            let start = at + gap;
            let end = start + size;
            at = end;
            let perms: String = [(*r, 'r'), (*w, 'w'), (*x, 'x')].iter().map(|&(on, c)| if on { c } else { '-' }).collect();
            let shared = if *s { 's' } else { 'p' };
            text.push_str(&format!("{start:x}-{end:x} {perms}{shared} 00000000 08:01 {inode} {path}\n"));
            want.push((start, end, *r, *w, *x, *s, *inode, path.trim().to_string()));
        }
        let got: Vec<_> = lines(text.as_bytes())
            .map(|l| l.map(|l| (l.start, l.end, l.read, l.write, l.exec, l.shared, l.inode, l.path.into_owned())))
            .collect();
        prop_assert_eq!(got, want.into_iter().map(Some).collect::<Vec<_>>());
        prop_assert!(summarize(text.as_bytes()).sorted);
    }
}
