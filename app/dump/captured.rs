//! Captured memory: the address ranges whose bytes the dump holds (MemoryList,
//! Memory64List and thread stacks), with lookups by address.
//!
//! Read here rather than with minidump's `MinidumpMemory64List`, because that
//! rejects the whole list when one range runs past the end of the file; a
//! truncated full dump should keep every range that is still there.

use minidump::format as md;
use scroll::Pread;

/// One captured range: `size_bytes` bytes of process memory at `base_addr`,
/// stored at `file_offset` in the dump.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapturedRange {
    pub base_addr: u64,
    pub size_bytes: u64,
    pub file_offset: u64,
}

impl CapturedRange {
    pub fn end_addr(&self) -> u64 {
        self.base_addr.saturating_add(self.size_bytes)
    }
}

/// All captured ranges, sorted by address, non-overlapping (a later duplicate of
/// an address is dropped).
#[derive(Clone, Debug, Default)]
pub struct CapturedMemory {
    ranges: Vec<CapturedRange>,
}

impl CapturedMemory {
    pub fn ranges(&self) -> &[CapturedRange] {
        &self.ranges
    }

    pub fn total_bytes(&self) -> u64 {
        self.ranges.iter().map(|r| r.size_bytes).sum()
    }

    /// Builds the index from unsorted, possibly overlapping ranges.
    pub(crate) fn from_ranges(mut ranges: Vec<CapturedRange>) -> CapturedMemory {
        ranges.retain(|r| r.size_bytes > 0);
        ranges.sort_by_key(|r| (r.base_addr, std::cmp::Reverse(r.size_bytes)));
        let mut out: Vec<CapturedRange> = Vec::with_capacity(ranges.len());
        for r in ranges {
            match out.last() {
                Some(last) if r.base_addr < last.end_addr() => {
                    // Overlap: keep the part past the previous range, if any.
                    let end = r.end_addr();
                    if end > last.end_addr() {
                        let skip = last.end_addr() - r.base_addr;
                        out.push(CapturedRange {
                            base_addr: last.end_addr(),
                            size_bytes: end - last.end_addr(),
                            file_offset: r.file_offset.saturating_add(skip),
                        });
                    }
                }
                _ => out.push(r),
            }
        }
        CapturedMemory { ranges: out }
    }

    /// Bytes at `addr..addr+len` when one captured range holds them all.
    pub fn read<'a>(&self, dump: &'a [u8], addr: u64, len: usize) -> Option<&'a [u8]> {
        let i = self.ranges.partition_point(|r| r.end_addr() <= addr);
        let r = self.ranges.get(i)?;
        if addr < r.base_addr || addr.checked_add(len as u64)? > r.end_addr() {
            return None;
        }
        let start = r.file_offset.checked_add(addr - r.base_addr)?;
        let end = start.checked_add(len as u64)?;
        dump.get(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
    }

    /// Each captured range with the bytes the file holds for it, in address
    /// order. A range whose bytes run past the end of `dump` yields what is
    /// there (the readers drop or cut such ranges already; this never trusts it).
    pub fn slices<'a>(&'a self, dump: &'a [u8]) -> impl Iterator<Item = (u64, &'a [u8])> + 'a {
        self.ranges.iter().filter_map(move |r| {
            let start = usize::try_from(r.file_offset).ok().filter(|s| *s <= dump.len())?;
            let len = usize::try_from(r.size_bytes).unwrap_or(usize::MAX).min(dump.len() - start);
            (len > 0).then(|| (r.base_addr, &dump[start..start + len]))
        })
    }

    /// Copies the captured bytes of `addr..addr + buf.len()` into `buf` and
    /// marks them in `held` (bytes the dump does not hold are left as they
    /// are and marked false). Returns how many bytes are held. Addresses
    /// past u64::MAX are never held; the walk is linear in the ranges touched.
    pub fn read_into(&self, dump: &[u8], addr: u64, buf: &mut [u8], held: &mut [bool]) -> usize {
        let len = buf.len().min(held.len());
        held[..len].fill(false);
        let end = addr.saturating_add(len as u64);
        let mut i = self.ranges.partition_point(|r| r.end_addr() <= addr);
        let mut total = 0;
        while let Some(r) = self.ranges.get(i) {
            if r.base_addr >= end {
                break;
            }
            let (lo, hi) = (r.base_addr.max(addr), r.end_addr().min(end));
            let src = r.file_offset.checked_add(lo - r.base_addr).and_then(|s| usize::try_from(s).ok());
            if let Some(src) = src.filter(|s| *s < dump.len()) {
                let n = usize::try_from(hi - lo).unwrap_or(usize::MAX).min(dump.len() - src);
                let dst = (lo - addr) as usize;
                buf[dst..dst + n].copy_from_slice(&dump[src..src + n]);
                held[dst..dst + n].fill(true);
                total += n;
            }
            i += 1;
        }
        total
    }

    /// A little-endian pointer of `pointer_bits` width at `addr`.
    pub fn read_pointer(&self, dump: &[u8], addr: u64, pointer_bits: u32) -> Option<u64> {
        if pointer_bits == 64 {
            self.read(dump, addr, 8)?.pread_with::<u64>(0, scroll::LE).ok()
        } else {
            self.read(dump, addr, 4)?.pread_with::<u32>(0, scroll::LE).ok().map(u64::from)
        }
    }

    pub fn read_u32(&self, dump: &[u8], addr: u64) -> Option<u32> {
        self.read(dump, addr, 4)?.pread_with::<u32>(0, scroll::LE).ok()
    }

    /// How many bytes of `base..end` are captured. Linear in the ranges touched.
    pub fn captured_in(&self, base: u64, end: u64) -> u64 {
        let mut i = self.ranges.partition_point(|r| r.end_addr() <= base);
        let mut total = 0;
        while let Some(r) = self.ranges.get(i) {
            if r.base_addr >= end {
                break;
            }
            total += r.end_addr().min(end) - r.base_addr.max(base);
            i += 1;
        }
        total
    }
}

/// Reads MemoryList (stream 5): `u32 count` then 16-byte descriptors, each
/// pointing at its own bytes. Ranges whose bytes lie outside the file are
/// dropped with a warning.
pub(crate) fn read_memory_list(stream: &[u8], file_len: u64, warnings: &mut Vec<String>) -> Vec<CapturedRange> {
    let Ok(count) = stream.pread_with::<u32>(0, scroll::LE) else {
        warnings.push("MemoryList: stream too short for its count".into());
        return Vec::new();
    };
    const ENTRY: usize = 16;
    let fits = (stream.len().saturating_sub(4)) / ENTRY;
    if count as usize > fits {
        warnings.push(format!("MemoryList: claims {count} ranges but the stream holds {fits}; reading {fits}"));
    }
    let n = (count as usize).min(fits);
    let mut out = Vec::with_capacity(n);
    let mut dropped = 0usize;
    for i in 0..n {
        let Ok(d) = stream.pread_with::<md::MINIDUMP_MEMORY_DESCRIPTOR>(4 + i * ENTRY, scroll::LE) else {
            break;
        };
        let off = u64::from(d.memory.rva);
        let size = u64::from(d.memory.data_size);
        if off.saturating_add(size) > file_len || d.start_of_memory_range.checked_add(size).is_none() {
            dropped += 1;
            continue;
        }
        out.push(CapturedRange { base_addr: d.start_of_memory_range, size_bytes: size, file_offset: off });
    }
    if dropped > 0 {
        warnings.push(format!("MemoryList: {dropped} ranges point past the end of the file (truncated dump?)"));
    }
    out
}

/// Reads Memory64List (stream 9): `u64 count, u64 base_rva`, then 16-byte
/// descriptors whose bytes follow one another from base_rva. Ranges past the
/// end of the file are dropped (a partly present range is kept in part).
pub(crate) fn read_memory64_list(stream: &[u8], file_len: u64, warnings: &mut Vec<String>) -> Vec<CapturedRange> {
    let (Ok(count), Ok(mut rva)) = (stream.pread_with::<u64>(0, scroll::LE), stream.pread_with::<u64>(8, scroll::LE))
    else {
        warnings.push("Memory64List: stream too short for its header".into());
        return Vec::new();
    };
    const ENTRY: usize = 16;
    let fits = (stream.len().saturating_sub(16)) / ENTRY;
    if count > fits as u64 {
        warnings.push(format!("Memory64List: claims {count} ranges but the stream holds {fits}; reading {fits}"));
    }
    let n = count.min(fits as u64) as usize;
    let mut out = Vec::with_capacity(n);
    let mut lost_bytes = 0u64;
    let mut lost_ranges = 0usize;
    for i in 0..n {
        let Ok(d) = stream.pread_with::<md::MINIDUMP_MEMORY_DESCRIPTOR64>(16 + i * ENTRY, scroll::LE) else {
            break;
        };
        let Some(end) = rva.checked_add(d.data_size) else {
            lost_ranges += n - i;
            break;
        };
        if d.start_of_memory_range.checked_add(d.data_size).is_none() {
            lost_ranges += 1;
            rva = end;
            continue;
        }
        let present = file_len.saturating_sub(rva).min(d.data_size);
        if present < d.data_size {
            lost_ranges += 1;
            lost_bytes = lost_bytes.saturating_add(d.data_size - present);
        }
        if present > 0 {
            out.push(CapturedRange { base_addr: d.start_of_memory_range, size_bytes: present, file_offset: rva });
        }
        rva = end;
    }
    if lost_ranges > 0 {
        warnings.push(format!(
            "Memory64List: {lost_ranges} ranges ({lost_bytes} bytes) lie past the end of the file (truncated dump)"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(base: u64, size: u64, off: u64) -> CapturedRange {
        CapturedRange { base_addr: base, size_bytes: size, file_offset: off }
    }

    #[test]
    fn overlaps_are_trimmed_and_lookups_work() {
        let mem = CapturedMemory::from_ranges(vec![
            r(0x2000, 0x100, 100),
            r(0x1000, 0x1800, 1000),
            r(0x2700, 0x200, 5000),
            r(0x5000, 0, 0),
        ]);
        // 0x2000 lies inside 0x1000..0x2800 and goes; 0x2700..0x2900 keeps its tail.
        assert_eq!(mem.ranges(), &[r(0x1000, 0x1800, 1000), r(0x2800, 0x100, 5256)]);
        let dump: Vec<u8> = (0..0x3000u32).map(|i| i as u8).collect();
        assert_eq!(mem.read(&dump, 0x1000, 4), Some(&dump[1000..1004]));
        assert_eq!(mem.read(&dump, 0x2802, 2), Some(&dump[5258..5260]));
        assert_eq!(mem.read(&dump, 0x27fe, 4), None, "straddles two ranges");
        assert_eq!(mem.captured_in(0, u64::MAX), 0x1900);
        assert_eq!(mem.captured_in(0x1800, 0x1900), 0x100);
    }

    #[test]
    fn memory64_list_keeps_what_the_file_holds() {
        let mut s = Vec::new();
        s.extend_from_slice(&3u64.to_le_bytes());
        s.extend_from_slice(&100u64.to_le_bytes());
        for (base, size) in [(0x1000u64, 0x10u64), (0x2000, 0x10), (0x3000, 0x10)] {
            s.extend_from_slice(&base.to_le_bytes());
            s.extend_from_slice(&size.to_le_bytes());
        }
        let mut warnings = Vec::new();
        let got = read_memory64_list(&s, 100 + 0x18, &mut warnings);
        assert_eq!(got, vec![r(0x1000, 0x10, 100), r(0x2000, 0x8, 0x74)]);
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn absurd_counts_are_bounded_by_the_stream() {
        let mut s = Vec::new();
        s.extend_from_slice(&u32::MAX.to_le_bytes());
        let mut warnings = Vec::new();
        assert!(read_memory_list(&s, 1 << 20, &mut warnings).is_empty());
        assert_eq!(warnings.len(), 1);
    }
}
