//! One region of the address space and its vocabulary: kind, state, type and
//! protection, spelled as WinDbg's `!address` and VMMap spell them.

use std::fmt;

pub use super::region_label::Label;

/// What a region is used for (WinDbg's "Usage", VMMap's "Type").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegionKind {
    Image,
    MappedFile,
    Heap,
    Stack,
    TEB,
    PEB,
    PrivateData,
    Shareable,
    Unusable,
    Free,
    Reserved,
    Unknown,
}

impl RegionKind {
    /// Every kind, in legend order.
    pub const ALL: [RegionKind; 12] = [
        RegionKind::Image,
        RegionKind::MappedFile,
        RegionKind::Heap,
        RegionKind::Stack,
        RegionKind::TEB,
        RegionKind::PEB,
        RegionKind::PrivateData,
        RegionKind::Shareable,
        RegionKind::Unusable,
        RegionKind::Free,
        RegionKind::Reserved,
        RegionKind::Unknown,
    ];

    /// This kind's place in [`RegionKind::ALL`] (arrays indexed by kind).
    pub const fn index(self) -> usize {
        // The enum is declared in legend order, so the discriminant is the index
        // (checked by a test below).
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            RegionKind::Image => "Image",
            RegionKind::MappedFile => "MappedFile",
            RegionKind::Heap => "Heap",
            RegionKind::Stack => "Stack",
            RegionKind::TEB => "TEB",
            RegionKind::PEB => "PEB",
            RegionKind::PrivateData => "PrivateData",
            RegionKind::Shareable => "Shareable",
            RegionKind::Unusable => "Unusable",
            RegionKind::Free => "Free",
            RegionKind::Reserved => "Reserved",
            RegionKind::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for RegionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Page state (MEM_COMMIT / MEM_RESERVE / MEM_FREE). `Unknown` where the dump
/// does not say (synthesized maps).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegionState {
    Commit,
    Reserve,
    Free,
    Unknown,
}

impl RegionState {
    pub fn name(self) -> &'static str {
        match self {
            RegionState::Commit => "Commit",
            RegionState::Reserve => "Reserve",
            RegionState::Free => "Free",
            RegionState::Unknown => "Unknown",
        }
    }
}

impl fmt::Display for RegionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Mapping type (MEM_IMAGE / MEM_MAPPED / MEM_PRIVATE). Free and unknown
/// space has none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegionType {
    Image,
    Mapped,
    Private,
}

impl RegionType {
    pub fn name(self) -> &'static str {
        match self {
            RegionType::Image => "Image",
            RegionType::Mapped => "Mapped",
            RegionType::Private => "Private",
        }
    }
}

impl fmt::Display for RegionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Windows page protection bits (PAGE_*). Linux and macOS permissions are
/// translated into the same bits so every view speaks one language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Protection(pub u32);

impl Protection {
    pub const NOACCESS: u32 = 0x01;
    pub const READONLY: u32 = 0x02;
    pub const READWRITE: u32 = 0x04;
    pub const WRITECOPY: u32 = 0x08;
    pub const EXECUTE: u32 = 0x10;
    pub const EXECUTE_READ: u32 = 0x20;
    pub const EXECUTE_READWRITE: u32 = 0x40;
    pub const EXECUTE_WRITECOPY: u32 = 0x80;
    pub const GUARD: u32 = 0x100;
    pub const NOCACHE: u32 = 0x200;
    pub const WRITECOMBINE: u32 = 0x400;

    const BASE_NAMES: [(u32, &'static str); 8] = [
        (Self::NOACCESS, "PAGE_NOACCESS"),
        (Self::READONLY, "PAGE_READONLY"),
        (Self::READWRITE, "PAGE_READWRITE"),
        (Self::WRITECOPY, "PAGE_WRITECOPY"),
        (Self::EXECUTE, "PAGE_EXECUTE"),
        (Self::EXECUTE_READ, "PAGE_EXECUTE_READ"),
        (Self::EXECUTE_READWRITE, "PAGE_EXECUTE_READWRITE"),
        (Self::EXECUTE_WRITECOPY, "PAGE_EXECUTE_WRITECOPY"),
    ];
    const MODIFIER_NAMES: [(u32, &'static str); 3] =
        [(Self::GUARD, "PAGE_GUARD"), (Self::NOCACHE, "PAGE_NOCACHE"), (Self::WRITECOMBINE, "PAGE_WRITECOMBINE")];

    pub fn is_guard(self) -> bool {
        self.0 & Self::GUARD != 0
    }

    pub fn is_executable(self) -> bool {
        self.0 & (Self::EXECUTE | Self::EXECUTE_READ | Self::EXECUTE_READWRITE | Self::EXECUTE_WRITECOPY) != 0
    }

    pub fn is_writable(self) -> bool {
        self.0 & (Self::READWRITE | Self::WRITECOPY | Self::EXECUTE_READWRITE | Self::EXECUTE_WRITECOPY) != 0
    }

    /// From POSIX permissions as /proc/pid/maps writes them.
    pub fn from_posix(read: bool, write: bool, exec: bool) -> Protection {
        Protection(match (read, write, exec) {
            (_, true, true) => Self::EXECUTE_READWRITE,
            (true, false, true) => Self::EXECUTE_READ,
            (false, false, true) => Self::EXECUTE,
            (_, true, false) => Self::READWRITE,
            (true, false, false) => Self::READONLY,
            (false, false, false) => Self::NOACCESS,
        })
    }
}

impl fmt::Display for Protection {
    /// WinDbg's spelling: `PAGE_READWRITE | PAGE_GUARD`; empty for 0.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        let mut known = 0;
        for (bit, name) in Self::BASE_NAMES.iter().chain(Self::MODIFIER_NAMES.iter()) {
            if self.0 & bit != 0 {
                parts.push((*name).to_string());
                known |= bit;
            }
        }
        let rest = self.0 & !known;
        if rest != 0 {
            parts.push(format!("0x{rest:x}"));
        }
        f.write_str(&parts.join(" | "))
    }
}

/// Who a region belongs to. Indices are `u32` (a dump's lists are counted in
/// u32) so that an owner is 8 bytes: see [`Region`]'s size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Owner {
    #[default]
    None,
    /// Index into `AddressSpace::modules`.
    Module(u32),
    /// Index into `AddressSpace::heaps` (the heap's position in PEB.ProcessHeaps).
    Heap(u32),
    /// A thread id.
    Thread(u32),
    /// A mapped file, whose path is the region's label.
    File,
}

impl Owner {
    /// `Owner::Module` of a module list index.
    pub fn module(index: usize) -> Owner {
        Owner::Module(index_u32(index))
    }

    /// `Owner::Heap` of a heap index.
    pub fn heap(index: usize) -> Owner {
        Owner::Heap(index_u32(index))
    }
}

/// Module and heap lists come from u32 counts (and are capped far below), so
/// an index always fits; saturating keeps a broken invariant visible as an
/// index that names nothing rather than another module.
fn index_u32(index: usize) -> u32 {
    u32::try_from(index).unwrap_or(u32::MAX)
}

/// One contiguous range of the address space with uniform attributes.
///
/// At most 64 bytes (a test holds it there): a million-region model is
/// a million of these, so each byte here is a megabyte there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub base_addr: u64,
    pub size_bytes: u64,
    pub state: RegionState,
    pub ty: Option<RegionType>,
    pub protect: Protection,
    pub alloc_protect: Protection,
    /// Base of the allocation this region belongs to (VirtualQuery's AllocationBase);
    /// 0 for free or unknown space.
    pub alloc_base_addr: u64,
    /// Bytes of this region whose contents the dump holds.
    pub captured_bytes: u64,
    pub kind: RegionKind,
    pub owner: Owner,
    /// A short human description: module name, "Heap 2", "Stack of thread 0x1a2c", a path.
    pub label: Label,
}

impl Region {
    /// One past the last byte. Saturates so a hostile size cannot wrap.
    pub fn end_addr(&self) -> u64 {
        self.base_addr.saturating_add(self.size_bytes)
    }

    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.base_addr && addr < self.end_addr()
    }

    /// A region of unattributed space.
    pub fn blank(base_addr: u64, size_bytes: u64, kind: RegionKind, state: RegionState) -> Region {
        Region {
            base_addr,
            size_bytes,
            state,
            ty: None,
            protect: Protection::default(),
            alloc_protect: Protection::default(),
            alloc_base_addr: 0,
            captured_bytes: 0,
            kind,
            owner: Owner::None,
            label: Label::EMPTY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protection_spelled_as_windbg() {
        assert_eq!(Protection(0x04).to_string(), "PAGE_READWRITE");
        assert_eq!(Protection(0x104).to_string(), "PAGE_READWRITE | PAGE_GUARD");
        assert_eq!(Protection(0x20).to_string(), "PAGE_EXECUTE_READ");
        assert_eq!(Protection(0).to_string(), "");
        assert_eq!(Protection(0x8000_0002).to_string(), "PAGE_READONLY | 0x80000000");
    }

    #[test]
    fn a_region_fits_in_64_bytes() {
        assert!(std::mem::size_of::<Region>() <= 64, "{} bytes", std::mem::size_of::<Region>());
        assert_eq!(std::mem::size_of::<Owner>(), 8);
    }

    #[test]
    fn posix_permissions_translate() {
        assert_eq!(Protection::from_posix(true, false, true).0, Protection::EXECUTE_READ);
        assert_eq!(Protection::from_posix(true, true, false).0, Protection::READWRITE);
        assert_eq!(Protection::from_posix(false, false, false).0, Protection::NOACCESS);
        assert!(Protection(0x104).is_guard());
        assert!(Protection(0x40).is_executable() && Protection(0x40).is_writable());
    }
}

#[cfg(test)]
mod kind_index_tests {
    use super::RegionKind;

    #[test]
    fn index_is_the_place_in_all() {
        for (i, k) in RegionKind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i, "{k:?}");
        }
    }
}
