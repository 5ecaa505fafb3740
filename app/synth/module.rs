//! `MINIDUMP_MODULE` entries (108 bytes) with a real `VS_FIXEDFILEINFO` and a
//! CodeView PDB 7.0 (`RSDS`) record. Written here because minidump-synth's
//! `Module` wants minidump-common's own struct for the version, which `synth`
//! does not name.

use minidump_synth::DumpString;
use test_assembler::{Label, Section};

use super::section::{Blob, LE, le_section, section_backed};
use super::winnt::version_words;

/// `VS_FIXEDFILEINFO.dwSignature`.
const VS_FFI_SIGNATURE: u32 = 0xFEEF_04BD;
/// `VS_FIXEDFILEINFO.dwStrucVersion`.
const VS_FFI_STRUCVERSION: u32 = 0x0001_0000;
/// `VOS_NT_WINDOWS32`.
const VOS_NT_WINDOWS32: u32 = 0x0004_0004;
/// `VFT_APP`.
const VFT_APP: u32 = 1;
/// `VFT_DLL`.
const VFT_DLL: u32 = 2;

/// A PDB 7.0 identity: GUID (in its in-file byte order) and age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PdbId {
    /// `Data1`.
    pub data1: u32,
    /// `Data2`.
    pub data2: u16,
    /// `Data3`.
    pub data3: u16,
    /// `Data4`.
    pub data4: [u8; 8],
    /// Age.
    pub age: u32,
}

/// The `CV_INFO_PDB70` bytes for `pdb_name` and `id`.
pub fn codeview_pdb70(pdb_name: &str, id: &PdbId) -> Vec<u8> {
    let mut v = Vec::with_capacity(24 + pdb_name.len() + 1);
    v.extend_from_slice(b"RSDS");
    v.extend_from_slice(&id.data1.to_le_bytes());
    v.extend_from_slice(&id.data2.to_le_bytes());
    v.extend_from_slice(&id.data3.to_le_bytes());
    v.extend_from_slice(&id.data4);
    v.extend_from_slice(&id.age.to_le_bytes());
    v.extend_from_slice(pdb_name.as_bytes());
    v.push(0);
    v
}

/// Everything a module list entry records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleFacts {
    /// Full path, as the loader knows it.
    pub path: String,
    /// `BaseOfImage`.
    pub base: u64,
    /// `SizeOfImage`.
    pub size: u32,
    /// `CheckSum`.
    pub checksum: u32,
    /// `TimeDateStamp`.
    pub timestamp: u32,
    /// File version, four parts.
    pub file_version: [u16; 4],
    /// Product version, four parts.
    pub product_version: [u16; 4],
    /// Whether the image is a DLL (`VFT_DLL`) or an application (`VFT_APP`).
    pub is_dll: bool,
    /// PDB file name in the CodeView record.
    pub pdb_name: String,
    /// PDB identity.
    pub pdb_id: PdbId,
}

/// One serialized `MINIDUMP_MODULE`.
pub struct ModuleEntry {
    section: Section,
}

section_backed!(ModuleEntry);

impl ModuleEntry {
    /// The entry plus the name string and CodeView record it refers to; add both
    /// to the dump with `add`.
    pub fn new(f: &ModuleFacts) -> (Self, DumpString, Blob) {
        let name = DumpString::new(&f.path, LE);
        let cv = Blob::new(&codeview_pdb70(&f.pdb_name, &f.pdb_id));
        let (fv_hi, fv_lo) = version_words(f.file_version);
        let (pv_hi, pv_lo) = version_words(f.product_version);
        let name_rva: Label = minidump_synth::DumpSection::file_offset(&name);
        let (cv_size, cv_rva) = cv.location();
        let section = le_section()
            .D64(f.base)
            .D32(f.size)
            .D32(f.checksum)
            .D32(f.timestamp)
            .D32(&name_rva)
            .D32(VS_FFI_SIGNATURE)
            .D32(VS_FFI_STRUCVERSION)
            .D32(fv_hi)
            .D32(fv_lo)
            .D32(pv_hi)
            .D32(pv_lo)
            .D32(0x3F) // dwFileFlagsMask
            .D32(0) // dwFileFlags
            .D32(VOS_NT_WINDOWS32)
            .D32(if f.is_dll { VFT_DLL } else { VFT_APP })
            .D32(0) // dwFileSubtype
            .D32(0) // dwFileDateMS
            .D32(0) // dwFileDateLS
            .D32(&cv_size)
            .D32(&cv_rva)
            .D32(0) // MiscRecord.DataSize
            .D32(0) // MiscRecord.Rva
            .D64(0) // Reserved0
            .D64(0); // Reserved1
        (Self { section }, name, cv)
    }
}
