//! Eight bytes at a time (SWAR): masks with the high bit of each byte of a
//! little-endian word set where that byte is zero, printable or graphic, and
//! byte-class counts built on them. The strings scan skips text-dense memory
//! and zero pages a word at a time with them; the byte picture counts
//! classes with them. Exact: no false positives (a carry never crosses into
//! the next byte).

pub(crate) const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
pub(crate) const HI: u64 = 0x8080_8080_8080_8080;
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;

/// High bit set in each byte of `w` that is zero.
pub(crate) fn zero_mask(w: u64) -> u64 {
    !(((w & LO7) + LO7) | w | LO7)
}

/// High bit set in each byte of `w` that is printable ASCII (0x20..=0x7e).
pub(crate) fn printable_mask(w: u64) -> u64 {
    let x = w & LO7;
    let at_least_20 = x + 0x60 * ONES; // bit 7 set iff x >= 0x20 (x <= 0x7f: no carry into the next byte)
    let below_7f = !(x + ONES); // bit 7 clear in x + 1 iff x <= 0x7e
    at_least_20 & below_7f & !w & HI
}

/// High bit set in each byte of `w` that is graphic (printable or tab).
pub(crate) fn graphic_mask(w: u64) -> u64 {
    printable_mask(w) | zero_mask(w ^ (9 * ONES))
}

/// Sums the eight byte lanes of `acc` (each at most 255).
fn lanes_sum(acc: u64) -> u64 {
    const PAIRS: u64 = 0x00ff_00ff_00ff_00ff;
    let pairs = (acc & PAIRS) + ((acc >> 8) & PAIRS); // four 16-bit lanes, each <= 510
    pairs.wrapping_mul(0x0001_0001_0001_0001) >> 48
}

/// How many bytes of `bytes` fall in each of binvis' classes: zero, control
/// (0x01..=0x1f and 0x7f), printable ASCII, high (0x80..=0xfe), 0xff.
/// Eight bytes at a time into byte-lane counters (no popcount, which the
/// baseline x86-64 target does not have), summed every 255 words.
pub fn class_counts(bytes: &[u8]) -> [u64; 5] {
    let mut c = [0u64; 5];
    // Lane counters: zero bytes, 0xff bytes, bytes >= 0x80, printable bytes.
    let mut acc = [0u64; 4];
    let mut words = bytes.chunks_exact(8);
    let mut in_acc = 0u32;
    let mut total_words = 0u64;
    let flush = |acc: &mut [u64; 4], c: &mut [u64; 5]| {
        let [zero, ff, high, ascii] = acc.map(lanes_sum);
        c[0] += zero;
        c[4] += ff;
        c[3] += high - ff;
        c[2] += ascii;
        *acc = [0; 4];
    };
    for chunk in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        let w = u64::from_le_bytes(b);
        acc[0] += zero_mask(w) >> 7;
        acc[1] += zero_mask(!w) >> 7;
        acc[2] += (w & HI) >> 7;
        acc[3] += printable_mask(w) >> 7;
        in_acc += 1;
        total_words += 1;
        if in_acc == 255 {
            flush(&mut acc, &mut c);
            in_acc = 0;
        }
    }
    flush(&mut acc, &mut c);
    // Control bytes are the rest of the words' bytes.
    c[1] = total_words * 8 - c[0] - c[2] - c[3] - c[4];
    for &b in words.remainder() {
        c[match b {
            0 => 0,
            0x20..=0x7e => 2,
            0xff => 4,
            0x80..=0xfe => 3,
            _ => 1,
        }] += 1;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_counts_agree_with_single_bytes() {
        for b in 0..=255u8 {
            for k in 0..8 {
                let mut bytes = [0x41u8; 8];
                bytes[k] = b;
                let w = u64::from_le_bytes(bytes);
                let bit = 1u64 << (8 * k + 7);
                assert_eq!(zero_mask(w) & bit != 0, b == 0, "zero {b:#x} at {k}");
                assert_eq!(printable_mask(w) & bit != 0, (0x20..=0x7e).contains(&b), "printable {b:#x} at {k}");
                assert_eq!(graphic_mask(w) & bit != 0, (0x20..=0x7e).contains(&b) || b == b'\t', "graphic {b:#x}");
            }
            let mut one = [0u8; 9];
            one[3] = b;
            let c = class_counts(&one);
            let class = crate::analysis::byte_stats::ByteClass::of(b).index();
            let mut want = [0u64; 5];
            want[0] = 8;
            want[class] += 1;
            assert_eq!(c, want, "{b:#x}");
        }
        // Long inputs cross the 255-word flush: counts against a byte-at-a-time tally.
        let long: Vec<u8> = (0..100_003u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let mut want = [0u64; 5];
        for &b in &long {
            want[crate::analysis::byte_stats::ByteClass::of(b).index()] += 1;
        }
        assert_eq!(class_counts(&long), want);
        assert_eq!(class_counts(&[0u8; 4096])[0], 4096);
        assert_eq!(class_counts(&[0xffu8; 4096])[4], 4096);
    }
}
