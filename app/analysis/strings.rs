//! Strings in captured memory, as GNU `strings -a -n N` finds them in one
//! captured range taken as a file (`-e s`, 7-bit ASCII; `-e l`, UTF-16LE):
//! a character is graphic when it is printable ASCII (0x20..=0x7e) or a tab
//! (for UTF-16, with a zero high byte); a string is `N` or more graphic
//! characters in a row.
//!
//! Written here rather than taken from a crate because the answer must be
//! GNU strings' own, including its UTF-16 walk: after a character that is
//! not graphic it starts again one byte (not one character) further on, so
//! strings at odd and even offsets are both found, the way binutils'
//! `unget_part_char` does it. A byte table decides graphic bytes; the scan
//! is one pass per encoding, pieces of big ranges side by side (scan.rs).

use std::ops::ControlFlow;

use super::scan::{Scan, ScanProgress, scan_ordered};
use super::swar::{HI, graphic_mask, zero_mask};
use crate::dump::AddressSpace;

/// The text encodings searched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Encoding {
    Ascii,
    Utf16,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Ascii => "ascii",
            Encoding::Utf16 => "utf16",
        }
    }
}

/// One string found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundString {
    pub addr: u64,
    pub encoding: Encoding,
    /// Its length in characters.
    pub len: usize,
    /// Its text, at most [`MAX_TEXT_CHARS`] characters of it.
    pub text: String,
}

/// What to look for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StringOptions {
    /// Characters a string has at least (GNU strings' `-n`; at least 1).
    pub min_len: usize,
    pub ascii: bool,
    pub utf16: bool,
}

/// The window's and the command line's default minimum length.
pub const DEFAULT_MIN_LEN: usize = 8;
/// The text kept of a string: its first this many characters (its full
/// length stays in `len`), so a dump of one endless string costs a bounded
/// amount of memory.
pub const MAX_TEXT_CHARS: usize = 1 << 16;

impl Default for StringOptions {
    fn default() -> Self {
        StringOptions { min_len: DEFAULT_MIN_LEN, ascii: true, utf16: true }
    }
}

/// Graphic bytes: printable ASCII and tab (binutils' STRING_ISGRAPHIC for 7-bit text).
const GRAPHIC: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b <= 0x7e {
        t[b] = true;
        b += 1;
    }
    t[b'\t' as usize] = true;
    t
};

fn graphic(b: u8) -> bool {
    GRAPHIC[b as usize]
}

/// The eight bytes at `i` as a little-endian word (byte i in the low bits), zeros past the end.
fn word_at(bytes: &[u8], i: usize) -> u64 {
    if let Some(w) = bytes.get(i..i.saturating_add(8)).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
        return u64::from_le_bytes(w);
    }
    let mut b = [0u8; 8];
    let end = bytes.len().min(i.saturating_add(8));
    if i < end {
        b[..end - i].copy_from_slice(&bytes[i..end]);
    }
    u64::from_le_bytes(b)
}

/// The first index at or after `i` whose byte's mask bit is set, by `mask`
/// over words (None when there is none).
fn first_where(bytes: &[u8], mut i: usize, mask: impl Fn(u64, usize) -> u64) -> Option<usize> {
    while i < bytes.len() {
        let m = mask(word_at(bytes, i), i);
        if m != 0 {
            let at = i + (m.trailing_zeros() / 8) as usize;
            return (at < bytes.len()).then_some(at);
        }
        i += 8;
    }
    None
}

/// Every ASCII string of at least `min` characters in `bytes` (at `addr`):
/// the maximal runs of graphic bytes that long. A word at a time: the
/// starts and ends of runs are the set and clear bits of its graphic mask.
fn ascii_strings(addr: u64, bytes: &[u8], min: usize, out: &mut Vec<FoundString>) {
    let n = bytes.len();
    let mut emit = |start: usize, end: usize| {
        let len = end - start;
        if len >= min {
            // Graphic bytes are ASCII, so the bytes are the text (one copy, no per-char work).
            let text = String::from_utf8_lossy(&bytes[start..start + len.min(MAX_TEXT_CHARS)]).into_owned();
            out.push(FoundString { addr: addr + start as u64, encoding: Encoding::Ascii, len, text });
        }
    };
    let mut run: Option<usize> = None;
    let mut i = 0usize;
    while i < n {
        let valid = if n - i >= 8 { HI } else { HI & ((1u64 << (8 * (n - i))) - 1) };
        let g = graphic_mask(word_at(bytes, i)) & valid;
        // Whole words inside a run, or between runs, need no look at their bytes.
        if (run.is_some() && g == valid) || (run.is_none() && g == 0) {
            i += 8;
            continue;
        }
        // Between runs, a word can start a string only with graphic bytes at
        // its top that go on far enough into the next word: runs inside it
        // are at most 6 bytes, too short for min >= 8 (and what goes on into
        // the next word is measured there from its start, shorter still).
        if run.is_none() && min >= 8 && valid == HI {
            let top = (!g & HI).leading_zeros() / 8;
            let bottom = (!(graphic_mask(word_at(bytes, i + 8))) & HI).trailing_zeros() / 8;
            if top == 0 || (bottom < 8 && ((top + bottom) as usize) < min) {
                i += 8;
                continue;
            }
        }
        let mut from = 0u32; // bit index where the search goes on
        while from < 64 {
            let keep = !0u64 << from;
            match run {
                None => {
                    let starts = g & keep;
                    if starts == 0 {
                        break;
                    }
                    let bit = starts.trailing_zeros();
                    run = Some(i + bit as usize / 8);
                    from = bit + 1;
                }
                Some(start) => {
                    let ends = !g & valid & keep;
                    if ends == 0 {
                        break;
                    }
                    let bit = ends.trailing_zeros();
                    emit(start, i + bit as usize / 8);
                    run = None;
                    from = bit + 1;
                }
            }
        }
        i += 8;
    }
    if let Some(start) = run {
        emit(start, n);
    }
}

/// Whether the UTF-16LE character at `bytes[i..i + 2]` is graphic (None: fewer than two bytes left).
fn utf16_graphic(bytes: &[u8], i: usize) -> Option<bool> {
    let lo = *bytes.get(i)?;
    let hi = *bytes.get(i + 1)?;
    Some(hi == 0 && graphic(lo))
}

/// Every UTF-16LE string of at least `min` characters in `bytes`, walked as
/// GNU strings walks them: from a position, characters two bytes apart
/// until one is not graphic (or the bytes end); `min` or more make a
/// string; the walk goes on one byte past the character that stopped it.
/// Where no character can be graphic (a graphic byte followed by a zero)
/// every position fails in turn, so the walk jumps to the next that can.
fn utf16_strings(addr: u64, bytes: &[u8], min: usize, out: &mut Vec<FoundString>) {
    let candidate = |w: u64, at: usize| graphic_mask(w) & zero_mask(word_at(bytes, at + 1));
    let mut from = 0usize;
    // The next position whose character can be graphic.
    while let Some(p) = first_where(bytes, from, candidate) {
        let mut q = p;
        let mut chars = 0usize;
        let stopped = loop {
            match utf16_graphic(bytes, q) {
                None => break false,
                Some(false) => break true,
                Some(true) => {
                    chars += 1;
                    q += 2;
                }
            }
        };
        if chars >= min {
            let text: String = (0..chars.min(MAX_TEXT_CHARS)).map(|k| char::from(bytes[p + 2 * k])).collect();
            out.push(FoundString { addr: addr + p as u64, encoding: Encoding::Utf16, len: chars, text });
        }
        if !stopped {
            break;
        }
        from = q + 1;
    }
}

impl Scan for StringOptions {
    type Found = FoundString;

    /// After three bytes in a row that are not graphic no string of either
    /// encoding goes on, and every walk (ASCII's, and UTF-16's from any
    /// start) passes the next byte: a piece may start there.
    fn cut_at(&self, _addr: u64, bytes: &[u8], at: usize) -> usize {
        let mut run = 0usize;
        for (i, b) in bytes.iter().enumerate().skip(at.saturating_sub(3)) {
            run = if graphic(*b) { 0 } else { run + 1 };
            if run >= 3 && i + 1 >= at {
                return i + 1;
            }
        }
        bytes.len()
    }

    fn scan(&self, addr: u64, bytes: &[u8]) -> Vec<FoundString> {
        let min = self.min_len.max(1);
        let mut out = Vec::new();
        if self.ascii {
            ascii_strings(addr, bytes, min, &mut out);
        }
        if self.utf16 {
            let mut wide = Vec::new();
            utf16_strings(addr, bytes, min, &mut wide);
            if out.is_empty() {
                return wide;
            }
            // Both encodings: one list in address order (ASCII first at an address), merged.
            let mut merged = Vec::with_capacity(out.len() + wide.len());
            let (mut a, mut w) = (out.into_iter().peekable(), wide.into_iter().peekable());
            while let (Some(x), Some(y)) = (a.peek(), w.peek()) {
                let next = if (x.addr, x.encoding) <= (y.addr, y.encoding) { a.next() } else { w.next() };
                merged.extend(next);
            }
            merged.extend(a);
            merged.extend(w);
            return merged;
        }
        out
    }
}

/// Hands every string in captured memory to `emit`, in address order (see
/// [`scan_ordered`]); returns whether the scan ran to the end.
pub fn for_each_string(
    space: &AddressSpace,
    opts: &StringOptions,
    progress: Option<&ScanProgress>,
    emit: &mut dyn FnMut(FoundString) -> ControlFlow<()>,
) -> bool {
    scan_ordered(space, opts, progress, emit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ascii(bytes: &[u8], min: usize) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        ascii_strings(0x1000, bytes, min, &mut out);
        out.into_iter().map(|s| (s.addr, s.text)).collect()
    }

    fn utf16(bytes: &[u8], min: usize) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        utf16_strings(0x1000, bytes, min, &mut out);
        out.into_iter().map(|s| (s.addr, s.text)).collect()
    }

    #[test]
    fn ascii_runs_of_at_least_min_graphic_bytes() {
        let b = b"\x00abc\x01hello world\tX\n\xffshort\x00tail-at-end";
        assert_eq!(
            ascii(b, 5),
            vec![(0x1005, "hello world\tX".into()), (0x1014, "short".into()), (0x101a, "tail-at-end".into())]
        );
        assert_eq!(ascii(b, 12), vec![(0x1005, "hello world\tX".into())]);
        assert!(ascii(b"", 1).is_empty());
    }

    #[test]
    fn utf16_walks_on_one_byte_after_a_stop() {
        // "ABCD" at an even offset, then "WXYZ" at an odd one.
        let mut b = b"A\0B\0C\0D\0\x01".to_vec();
        b.extend_from_slice(b"W\0X\0Y\0Z\0");
        assert_eq!(utf16(&b, 4), vec![(0x1000, "ABCD".into()), (0x1009, "WXYZ".into())]);
        // A lone last byte ends the walk like the end of a file.
        assert_eq!(utf16(b"a\0b\0c\0d", 3), vec![(0x1000, "abc".into())]);
        assert!(utf16(b"abcdefgh", 2).is_empty(), "ASCII is not UTF-16");
    }

    proptest::proptest! {
        /// A range scanned whole finds what its pieces find, wherever the cuts fall.
        #[test]
        fn cut_pieces_find_what_the_whole_finds(
            bytes in proptest::collection::vec(proptest::sample::select(vec![0u8, 0, 1, b'a', b'a', b'a', b'Z', b' ', b'\t', 0x80]), 0..400),
            nominal in proptest::collection::vec(0usize..400, 0..6),
            min in 1usize..13,
        ) {
            // ASCII against the plainest reading: every maximal run of graphic bytes at least `min` long.
            let mut naive = Vec::new();
            let mut k = 0;
            while k < bytes.len() {
                let run = bytes[k..].iter().take_while(|b| graphic(**b)).count();
                if run >= min {
                    naive.push((0x10 + k as u64, run));
                }
                k += run.max(1);
            }
            let mut found = Vec::new();
            ascii_strings(0x10, &bytes, min, &mut found);
            let found: Vec<(u64, usize)> = found.iter().map(|s| (s.addr, s.len)).collect();
            proptest::prop_assert_eq!(found, naive);

            let opts = StringOptions { min_len: min, ascii: true, utf16: true };
            let whole = opts.scan(0x10, &bytes);
            let mut cuts: Vec<usize> = nominal.iter().map(|&n| opts.cut_at(0x10, &bytes, n.min(bytes.len()))).collect();
            cuts.sort_unstable();
            cuts.dedup();
            let mut parts = Vec::new();
            let mut at = 0;
            for c in cuts.into_iter().chain([bytes.len()]) {
                parts.extend(opts.scan(0x10 + at as u64, &bytes[at..c]));
                at = c;
            }
            proptest::prop_assert_eq!(whole, parts);
        }
    }

    #[test]
    fn pieces_cut_where_nothing_crosses() {
        let opts = StringOptions { min_len: 2, ascii: true, utf16: true };
        let b = b"ab\0c\0d\0\x01\x02\x03xy\0z\0";
        let cut = opts.cut_at(0, b, 4);
        assert_eq!(cut, 9, "after the first three non-graphic bytes in a row");
        let whole = opts.scan(0, b);
        let mut parts = opts.scan(0, &b[..cut]);
        parts.extend(opts.scan(cut as u64, &b[cut..]));
        assert_eq!(whole, parts);
        assert_eq!(opts.cut_at(0, b"abcdef", 2), 6, "no place to cut: the range's end");
    }
}
