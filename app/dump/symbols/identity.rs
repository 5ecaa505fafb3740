//! Identities: what a module in the dump says it is (PE timestamp and size,
//! PDB GUID and age, ELF build id), what a file on disk is, and whether the
//! two match. A symbol file is used only when its identity matches the
//! module's, never because its name does: a PDB of another build gives
//! confidently wrong names.

use std::io::Cursor;

use object::{Object, read::pe::ImageNtHeaders};

use crate::dump::model::{DebugInfo, Module};
use crate::dump::read_modules::hex;

/// What a module in the dump identifies itself by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleId {
    /// The binary's file name, safe to use as one path component.
    pub code_name: Option<String>,
    /// Windows: the symstore key of the binary, `%08X%x` of timestamp and SizeOfImage.
    pub code_key: Option<String>,
    /// The PDB's file name (safe as a path component).
    pub pdb_name: Option<String>,
    /// The PDB's GUID (32 upper-case hex digits, Breakpad's field order) and age.
    pub pdb: Option<(String, u32)>,
    /// ELF build id, lower-case hex digits only.
    pub build_id: Option<String>,
    /// Breakpad's debug id (ASCII letters and digits only).
    pub debug_id: Option<String>,
}

impl ModuleId {
    pub fn of(m: &Module) -> ModuleId {
        let mut id = ModuleId {
            code_name: safe_component(&m.path),
            code_key: None,
            pdb_name: None,
            pdb: None,
            build_id: None,
            debug_id: m.debug_id.clone().filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_alphanumeric())),
        };
        match &m.debug {
            Some(DebugInfo::Pdb70 { pdb_name, guid, age }) => {
                id.pdb_name = safe_component(pdb_name);
                let guid: String = guid.chars().filter(|c| c.is_ascii_hexdigit()).collect();
                if guid.len() == 32 {
                    id.pdb = Some((guid.to_ascii_uppercase(), *age));
                }
                id.code_key = Some(code_key(m.timestamp, m.size_bytes));
            }
            Some(DebugInfo::Pdb20 { pdb_name, .. }) => {
                id.pdb_name = safe_component(pdb_name);
                id.code_key = Some(code_key(m.timestamp, m.size_bytes));
            }
            Some(DebugInfo::BuildId(b)) if !b.is_empty() && b.chars().all(|c| c.is_ascii_hexdigit()) => {
                id.build_id = Some(b.to_ascii_lowercase())
            }
            Some(DebugInfo::BuildId(_)) | None => {
                // A Windows module without CodeView still has a timestamp and size.
                if m.timestamp != 0 && !m.path.starts_with('/') {
                    id.code_key = Some(code_key(m.timestamp, m.size_bytes));
                }
            }
        }
        id
    }

    /// The PDB's symstore / Breakpad key: GUID then age in hex.
    pub fn pdb_key(&self) -> Option<String> {
        self.pdb.as_ref().map(|(g, a)| format!("{g}{a:X}"))
    }

    /// Where Breakpad keeps the module's `.sym` file, as three path
    /// components: `DEBUGFILE/DEBUGID/STEM.sym` (`app.pdb/ID/app.sym`,
    /// `libc.so.6/ID/libc.so.6.sym`).
    pub fn breakpad_components(&self) -> Option<[String; 3]> {
        let debug_id = self.debug_id.clone()?;
        let debug_file = self.pdb_name.as_ref().or(self.code_name.as_ref())?;
        let stem = debug_file.strip_suffix(".pdb").or_else(|| debug_file.strip_suffix(".PDB")).unwrap_or(debug_file);
        Some([debug_file.clone(), debug_id, format!("{stem}.sym")])
    }

    /// Whether a file's identity is this module's binary or debug file.
    pub fn matches(&self, file: &FileId) -> bool {
        match file {
            FileId::Pe { code_key, .. } => self.code_key.as_ref().is_some_and(|k| k.eq_ignore_ascii_case(code_key)),
            FileId::Pdb { guid, ages } => self.pdb.as_ref().is_some_and(|(g, a)| g == guid && ages.contains(a)),
            FileId::Elf { build_id, .. } => self.build_id.as_ref() == Some(build_id),
        }
    }
}

/// The symstore key of a Windows binary: timestamp as 8 upper-case hex digits,
/// then SizeOfImage in lower-case hex without padding (what `symstore.exe`
/// writes and Microsoft's server serves).
pub fn code_key(timestamp: u32, size: u64) -> String {
    format!("{timestamp:08X}{size:x}")
}

/// The last component of a Windows or Unix path, if it is a usable file name:
/// names from a dump must never climb out of a symbol folder (`..\..\x.pdb`).
pub fn safe_component(path: &str) -> Option<String> {
    let name = path.rsplit(['/', '\\']).next()?.trim_end_matches('\0');
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name.len() <= 255
        && !name.chars().any(|c| c.is_control() || c == ':');
    ok.then(|| name.to_string())
}

/// What a file on disk is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileId {
    /// A PE image: its symstore key and the PDB its CodeView record names.
    Pe { code_key: String, pdb: Option<(String, u32)> },
    /// A PDB: GUID and the ages it answers to (the PDB info stream's and the
    /// DBI stream's; the PE records the latter).
    Pdb { guid: String, ages: Vec<u32> },
    /// An ELF file with a build id.
    Elf { build_id: String, has_dwarf: bool, has_code: bool },
}

/// The first bytes of an MSF 7.0 file (every PDB since VC 7).
const PDB_MAGIC: &[u8] = b"Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0";

/// Reads a file's identity from its headers; `None` for anything else
/// (including a damaged file: a bad file is skipped, never fatal).
pub fn identify(bytes: &[u8]) -> Option<FileId> {
    super::guard::guarded(|| identify_unguarded(bytes).ok_or_else(String::new)).ok()
}

fn identify_unguarded(bytes: &[u8]) -> Option<FileId> {
    if bytes.starts_with(PDB_MAGIC) {
        return identify_pdb(bytes);
    }
    if !(bytes.starts_with(b"MZ") || bytes.starts_with(b"\x7fELF")) {
        return None;
    }
    let file = object::File::parse(bytes).ok()?;
    match &file {
        object::File::Pe32(pe) => Some(pe_id(&file, pe.nt_headers())),
        object::File::Pe64(pe) => Some(pe_id(&file, pe.nt_headers())),
        object::File::Elf32(_) | object::File::Elf64(_) => {
            let build_id = file.build_id().ok()??;
            (!build_id.is_empty()).then(|| FileId::Elf {
                build_id: hex(build_id),
                has_dwarf: file.section_by_name(".debug_info").is_some_and(|s| has_file_bytes(&s)),
                has_code: file.section_by_name(".text").is_some_and(|s| has_file_bytes(&s)),
            })
        }
        _ => None,
    }
}

fn has_file_bytes<'a>(s: &impl object::ObjectSection<'a>) -> bool {
    s.file_range().is_some_and(|(_, size)| size > 0)
}

fn pe_id<H: ImageNtHeaders>(file: &object::File<'_>, nt: &H) -> FileId {
    use object::LittleEndian as LE;
    use object::read::pe::ImageOptionalHeader;
    let timestamp = nt.file_header().time_date_stamp.get(LE);
    let size = nt.optional_header().size_of_image();
    let pdb = file.pdb_info().ok().flatten().map(|cv| (guid_string(cv.guid()), cv.age()));
    FileId::Pe { code_key: code_key(timestamp, u64::from(size)), pdb }
}

fn identify_pdb(bytes: &[u8]) -> Option<FileId> {
    let mut pdb = pdb_addr2line::pdb::PDB::open(Cursor::new(bytes)).ok()?;
    let info = pdb.pdb_information().ok()?;
    let mut ages = vec![info.age];
    if let Some(dbi_age) = pdb.debug_information().ok().and_then(|d| d.age())
        && dbi_age != info.age
    {
        ages.push(dbi_age);
    }
    Some(FileId::Pdb { guid: info.guid.as_simple().to_string().to_ascii_uppercase(), ages })
}

/// A CodeView GUID as Breakpad and symstore write it: Data1, Data2, Data3
/// little-endian, then Data4's bytes, all upper-case hex.
pub fn guid_string(g: [u8; 16]) -> String {
    let d1 = u32::from_le_bytes([g[0], g[1], g[2], g[3]]);
    let d2 = u16::from_le_bytes([g[4], g[5]]);
    let d3 = u16::from_le_bytes([g[6], g[7]]);
    let mut s = format!("{d1:08X}{d2:04X}{d3:04X}");
    for b in &g[8..] {
        s.push_str(&format!("{b:02X}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_dumps_stay_in_their_folder() {
        assert_eq!(safe_component(r"C:\build\app.pdb").as_deref(), Some("app.pdb"));
        assert_eq!(safe_component("/usr/lib/libc.so.6").as_deref(), Some("libc.so.6"));
        assert_eq!(safe_component(r"..\..\"), None);
        assert_eq!(safe_component(".."), None);
        assert_eq!(safe_component(r"x\.."), None);
        assert_eq!(safe_component("C:evil.pdb"), None);
        assert_eq!(safe_component("a\nb"), None);
        assert_eq!(safe_component(""), None);
    }

    #[test]
    fn keys_as_symstore_writes_them() {
        assert_eq!(code_key(0x4a5bc5e0, 0x1a9000), "4A5BC5E01a9000");
        let g = [0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde, 1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(guid_string(g), "123456789ABCDEF00102030405060708");
    }

    #[test]
    fn garbage_has_no_identity() {
        assert_eq!(identify(b""), None);
        assert_eq!(identify(b"MZ"), None);
        assert_eq!(identify(b"\x7fELF\x02\x01\x01"), None);
        let mut pdb = PDB_MAGIC.to_vec();
        pdb.extend_from_slice(&[0xff; 64]);
        assert_eq!(identify(&pdb), None);
    }
}
