//! References ("what points here"): every aligned pointer-size word in
//! captured memory (4 bytes in 32-bit dumps, 8 in 64-bit, aligned on its
//! address) whose little-endian value lies in a target range, usually the
//! region holding an address. Linear in captured bytes; pieces of big
//! ranges are scanned side by side (scan.rs).

use std::ops::{ControlFlow, Range};

use super::scan::{Scan, ScanProgress, scan_ordered};
use crate::dump::AddressSpace;

/// One reference: the word at `addr` holds `value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    pub addr: u64,
    pub value: u64,
}

/// The words to look for: values in `target`, words of `width` bytes.
struct RefScan {
    target: Range<u64>,
    width: usize,
}

impl Scan for RefScan {
    type Found = Reference;

    /// Any place aligned for a word.
    fn cut_at(&self, addr: u64, bytes: &[u8], at: usize) -> usize {
        let w = self.width as u64;
        let misalign = (addr.wrapping_add(at as u64)) % w;
        let pad = if misalign == 0 { 0 } else { (w - misalign) as usize };
        at.saturating_add(pad).min(bytes.len())
    }

    fn scan(&self, addr: u64, bytes: &[u8]) -> Vec<Reference> {
        let w = self.width as u64;
        // The first aligned word of the piece.
        let skip = ((w - addr % w) % w) as usize;
        let Some(words) = bytes.get(skip..) else { return Vec::new() };
        let (lo, hi) = (self.target.start, self.target.end);
        let base = addr + skip as u64;
        let mut out = Vec::new();
        if self.width == 8 {
            for (i, c) in words.chunks_exact(8).enumerate() {
                let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
                if v >= lo && v < hi {
                    out.push(Reference { addr: base + 8 * i as u64, value: v });
                }
            }
        } else {
            for (i, c) in words.chunks_exact(4).enumerate() {
                let v = u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
                if v >= lo && v < hi {
                    out.push(Reference { addr: base + 4 * i as u64, value: v });
                }
            }
        }
        out
    }
}

/// Hands every reference into `target` to `emit`, in address order;
/// returns whether the scan ran to the end.
pub fn for_each_reference(
    space: &AddressSpace,
    target: Range<u64>,
    progress: Option<&ScanProgress>,
    emit: &mut dyn FnMut(Reference) -> ControlFlow<()>,
) -> bool {
    let width = if space.system.pointer_bits == 32 { 4 } else { 8 };
    scan_ordered(space, &RefScan { target, width }, progress, emit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_words_in_the_target_only() {
        let s = RefScan { target: 0x1000..0x2000, width: 8 };
        let mut b = vec![0u8; 4];
        b.extend_from_slice(&0x1800u64.to_le_bytes()); // at 0x104: aligned (base 0x100 + 4)
        b.extend_from_slice(&0x2000u64.to_le_bytes()); // the end is outside
        b.extend_from_slice(&0x0fffu64.to_le_bytes());
        b.extend_from_slice(&0x1000u64.to_le_bytes());
        let found = s.scan(0xfc, &b);
        assert_eq!(found, vec![Reference { addr: 0x100, value: 0x1800 }, Reference { addr: 0x118, value: 0x1000 }]);
        assert_eq!(s.cut_at(0xfc, &b, 3), 4, "cuts fall on aligned addresses");
        let s32 = RefScan { target: 0x10..0x20, width: 4 };
        assert_eq!(s32.scan(0, &[0x10, 0, 0, 0, 0x20, 0, 0, 0, 0x1f]), vec![Reference { addr: 0, value: 0x10 }]);
    }
}
