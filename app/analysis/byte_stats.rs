//! What each region's captured bytes look like, for the maps' "entropy" and
//! "byte class" colourings (binvis and cantordust's classes, Dump2Picture's
//! idea that a dump's bytes are a picture): the Shannon entropy of the
//! region's captured bytes (0..=8 bits a byte) and the class most of them
//! fall in. Regions without captured bytes have none. One pass over the
//! captured ranges, cut at region boundaries, regions side by side.

use rayon::prelude::*;

use crate::dump::AddressSpace;

/// binvis' byte classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteClass {
    /// 0x00
    Zero,
    /// 0x01..=0x1f, 0x7f: control bytes
    Low,
    /// 0x20..=0x7e: printable ASCII
    Ascii,
    /// 0x80..=0xfe
    High,
    /// 0xff
    Ff,
}

impl ByteClass {
    pub const ALL: [ByteClass; 5] = [ByteClass::Zero, ByteClass::Low, ByteClass::Ascii, ByteClass::High, ByteClass::Ff];

    pub fn of(b: u8) -> ByteClass {
        match b {
            0 => ByteClass::Zero,
            0x20..=0x7e => ByteClass::Ascii,
            0xff => ByteClass::Ff,
            0x80..=0xfe => ByteClass::High,
            _ => ByteClass::Low,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ByteClass::Zero => "zero (0x00)",
            ByteClass::Low => "low (control)",
            ByteClass::Ascii => "printable ASCII",
            ByteClass::High => "high (0x80-0xfe)",
            ByteClass::Ff => "0xff",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// What one region's captured bytes look like.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegionBytes {
    /// Shannon entropy, bits a byte (0..=8).
    pub entropy: f32,
    /// The class most of the bytes are in.
    pub class: ByteClass,
}

/// Entropy in bits a byte of a byte histogram.
pub fn entropy(hist: &[u64; 256]) -> f32 {
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return 0.0;
    }
    let n = total as f64;
    let bits: f64 = hist
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    bits.clamp(0.0, 8.0) as f32
}

/// The class most bytes of a histogram are in (the first such class on a tie).
pub fn dominant_class(hist: &[u64; 256]) -> ByteClass {
    let mut per = [0u64; 5];
    for (b, c) in hist.iter().enumerate() {
        per[ByteClass::of(b as u8).index()] += c;
    }
    let best = (0..5).max_by_key(|&i| (per[i], std::cmp::Reverse(i))).unwrap_or(0);
    ByteClass::ALL[best]
}

/// Each region's byte figures, by region index (None: no captured bytes).
pub fn region_bytes(space: &AddressSpace) -> Vec<Option<RegionBytes>> {
    let slices: Vec<(u64, &[u8])> = space.captured_slices().collect();
    space
        .regions
        .par_iter()
        .map(|r| {
            if r.captured_bytes == 0 {
                return None;
            }
            let (lo, hi) = (r.base_addr, r.end_addr());
            let mut hist = [0u64; 256];
            let first = slices.partition_point(|(b, s)| b.saturating_add(s.len() as u64) <= lo);
            for &(base, bytes) in slices[first..].iter().take_while(|(b, _)| *b < hi) {
                let from = lo.saturating_sub(base) as usize;
                let to = (hi.min(base.saturating_add(bytes.len() as u64)) - base) as usize;
                for &b in &bytes[from.min(to)..to] {
                    hist[b as usize] += 1;
                }
            }
            (hist.iter().any(|&c| c > 0)).then(|| RegionBytes { entropy: entropy(&hist), class: dominant_class(&hist) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_and_classes_of_known_histograms() {
        let mut h = [0u64; 256];
        assert_eq!(entropy(&h), 0.0);
        h[0] = 100;
        assert_eq!(entropy(&h), 0.0);
        assert_eq!(dominant_class(&h), ByteClass::Zero);
        let all = [7u64; 256];
        assert!((entropy(&all) - 8.0).abs() < 1e-5);
        assert_eq!(dominant_class(&all), ByteClass::High, "127 of 256 byte values are high");
        let mut two = [0u64; 256];
        two[b'a' as usize] = 50;
        two[b'b' as usize] = 50;
        assert!((entropy(&two) - 1.0).abs() < 1e-6);
        assert_eq!(dominant_class(&two), ByteClass::Ascii);
        assert_eq!(ByteClass::of(0x7f), ByteClass::Low);
        assert_eq!(ByteClass::of(0xff), ByteClass::Ff);
    }
}
