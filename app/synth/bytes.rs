//! A little-endian byte buffer for building the captured memory of a synthetic
//! process (PE headers, TEBs, the PEB, heap headers, stacks): fixed-size pages
//! written at structure offsets, so code reads like the `dt` output it mimics.

/// A zero-filled buffer with little-endian writers at explicit offsets. Writes that
/// would run past the end are dropped (the generators size their pages up front).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeBuf {
    bytes: Vec<u8>,
}

impl LeBuf {
    /// `len` zero bytes.
    pub fn zeroed(len: usize) -> Self {
        Self { bytes: vec![0; len] }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Copy `data` to `offset`.
    pub fn put(&mut self, offset: usize, data: &[u8]) -> &mut Self {
        if let Some(dst) = self.bytes.get_mut(offset..offset.saturating_add(data.len())) {
            dst.copy_from_slice(data);
        }
        self
    }

    /// Write a byte.
    pub fn u8(&mut self, offset: usize, v: u8) -> &mut Self {
        self.put(offset, &[v])
    }

    /// Write a `u16`.
    pub fn u16(&mut self, offset: usize, v: u16) -> &mut Self {
        self.put(offset, &v.to_le_bytes())
    }

    /// Write a `u32`.
    pub fn u32(&mut self, offset: usize, v: u32) -> &mut Self {
        self.put(offset, &v.to_le_bytes())
    }

    /// Write a `u64`.
    pub fn u64(&mut self, offset: usize, v: u64) -> &mut Self {
        self.put(offset, &v.to_le_bytes())
    }

    /// Write `s` as UTF-16LE followed by a NUL; returns the byte length without the NUL.
    pub fn utf16z(&mut self, offset: usize, s: &str) -> usize {
        let units: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        self.put(offset, &units);
        self.u16(offset + units.len(), 0);
        units.len()
    }

    /// Read back a `u64` (0 past the end).
    pub fn get_u64(&self, offset: usize) -> u64 {
        self.bytes.get(offset..offset + 8).and_then(|b| b.try_into().ok()).map_or(0, u64::from_le_bytes)
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes, by value.
    pub fn into_vec(self) -> Vec<u8> {
        self.bytes
    }
}
