//! The two memory streams of a full dump: Memory64List (stream 9: a count, the
//! file offset of one contiguous data block, then `(address, size)` pairs; the
//! bytes follow each other in that block) and MemoryInfoList (stream 16: a
//! 16-byte `MINIDUMP_MEMORY_INFO_LIST` header and 48-byte entries).

use minidump_synth::{ExListStream, MemoryInfo, SimpleStream};
use test_assembler::{Label, Section};

use super::error::SynthError;
use super::section::{LE, le_section};
use super::vspace::MemoryRegion;
use super::winnt::stream;

/// A range of process memory to store in the dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture {
    /// Virtual address of the first byte.
    pub base: u64,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// What the range holds (for error messages).
    pub what: String,
}

/// The Memory64List stream and its data block, plus where each captured address
/// ended up in the file (for thread stack descriptors).
pub struct Memory64 {
    /// `(base, size, offset in the data block)`, ascending by base.
    ranges: Vec<(u64, u64, u64)>,
    stream: SimpleStream,
    data: Section,
}

impl Memory64 {
    /// Sort `captures` by address and lay them out; overlapping captures are refused.
    pub fn new(mut captures: Vec<Capture>) -> Result<Self, SynthError> {
        captures.sort_by_key(|c| c.base);
        for pair in captures.windows(2) {
            if let [a, b] = pair
                && a.base + a.bytes.len() as u64 > b.base
            {
                return Err(SynthError::Inconsistent {
                    what: format!("captured memory {} at {:#x}", b.what, b.base),
                    why: format!("overlaps {} at {:#x}", a.what, a.base),
                });
            }
        }
        let mut data = le_section();
        let mut section = le_section().D64(captures.len() as u64).D64(data.start());
        let mut ranges = Vec::with_capacity(captures.len());
        let mut offset = 0u64;
        for c in &captures {
            let size = c.bytes.len() as u64;
            section = section.D64(c.base).D64(size);
            ranges.push((c.base, size, offset));
            data = data.append_bytes(&c.bytes);
            offset += size;
        }
        Ok(Self { ranges, stream: SimpleStream { stream_type: stream::MEMORY64_LIST, section }, data })
    }

    /// The file offset (as a label resolved when the data block is placed) of the
    /// captured byte at `addr`, if `addr..addr + len` was captured in one range.
    pub fn rva_of(&self, addr: u64, len: u64) -> Option<Label> {
        let index = self.ranges.partition_point(|r| r.0 <= addr).checked_sub(1)?;
        let (base, size, offset) = *self.ranges.get(index)?;
        if addr + len > base + size {
            return None;
        }
        Some(&self.data.start() + (offset + addr - base) as i64)
    }

    /// Total captured bytes.
    pub fn captured_bytes(&self) -> u64 {
        self.ranges.iter().map(|r| r.1).sum()
    }

    /// The stream (add with `add_stream`) and the data block (add with `add`,
    /// which fixes the offset the stream and [`Self::rva_of`] labels refer to).
    pub fn into_parts(self) -> (SimpleStream, Section) {
        (self.stream, self.data)
    }
}

/// The MemoryInfoList stream for `regions`, with the 16-byte header dbghelp writes
/// (`SizeOfHeader`, `SizeOfEntry`, 64-bit `NumberOfEntries`).
pub fn memory_info_list(regions: &[MemoryRegion]) -> ExListStream<MemoryInfo> {
    regions.iter().fold(ExListStream::new_with_header_size(stream::MEMORY_INFO_LIST, 16, 48, LE), |list, r| {
        list.add(MemoryInfo::new(LE, r.base, r.alloc_base, r.alloc_protect, r.size_bytes, r.state, r.protect, r.ty))
    })
}
