//! Module sections, read from the image headers the dump captured: the PE
//! section table (`!dh`'s SECTION HEADER list) or the ELF program headers
//! (the PT_LOAD segments), with the page protection each asks the loader for.
//!
//! Only the header page is read: up to 4 KiB from the module base, fewer
//! when the dump captured fewer, never past what is captured or past the
//! module's end. Every offset and count in the header is checked against
//! those bytes before it is used; a hostile header is an error, not a panic.

use object::LittleEndian as LE;
use object::ReadRef;
use object::pe::{IMAGE_SCN_MEM_EXECUTE, IMAGE_SCN_MEM_READ, IMAGE_SCN_MEM_SHARED, IMAGE_SCN_MEM_WRITE};
use object::read::elf::{FileHeader, ProgramHeader};
use object::read::pe::{ImageNtHeaders, ImageOptionalHeader};

use super::model::AddressSpace;
use super::region::Protection;

/// The size of the header page, and the granularity section sizes round up to.
pub const HEADER_PAGE_BYTES: u64 = 0x1000;

/// The most sections a PE header may list. The Windows loader of the XP era
/// refused more; a section table of 96 entries already fills the header page.
pub const MAX_PE_SECTIONS: usize = 96;

/// The most program headers an ELF header may list before it is called hostile
/// (real images have a dozen or so).
pub const MAX_ELF_SEGMENTS: usize = 96;

/// One section of a mapped module (for ELF: one PT_LOAD segment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// ".text", ".rdata", ...; for ELF segments `"LOAD[0]"`, `"LOAD[1]"`, ...
    pub name: String,
    /// Module base + VirtualAddress (ELF: load bias + p_vaddr, page aligned).
    pub base_addr: u64,
    /// VirtualSize rounded up to the page (ELF: p_memsz, page rounded).
    pub size_bytes: u64,
    /// What the loader maps the section with: from IMAGE_SCN_MEM_* (writable
    /// image sections are copy-on-write) or from the ELF PF_R/PF_W/PF_X flags.
    pub protect: Protection,
    /// The raw PE `Characteristics` (ELF: `p_flags`).
    pub characteristics: u32,
}

impl Section {
    pub fn end_addr(&self) -> u64 {
        self.base_addr.saturating_add(self.size_bytes)
    }

    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.base_addr && addr < self.end_addr()
    }
}

/// Why a module's sections could not be listed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SectionsError {
    #[error("there is no module {0}")]
    NoSuchModule(usize),
    #[error("the module's headers are not captured in the dump")]
    NotCaptured,
    #[error("malformed image header: {0}")]
    Malformed(String),
    #[error("unsupported image format: {0}")]
    Unsupported(&'static str),
}

impl AddressSpace {
    /// The sections of module `module_index`, in the order its header lists
    /// them, read from the header page captured at the module's base.
    pub fn module_sections(&self, module_index: usize) -> Result<Vec<Section>, SectionsError> {
        let module = self.modules.get(module_index).ok_or(SectionsError::NoSuchModule(module_index))?;
        let header = header_bytes(self, module.base_addr, module.size_bytes)?;
        parse_sections(header, module.base_addr, module.size_bytes)
    }
}

/// The captured bytes at `base`: up to one header page, no further than the
/// captured range holding `base` nor the module's end.
fn header_bytes(space: &AddressSpace, base: u64, module_size_bytes: u64) -> Result<&[u8], SectionsError> {
    let ranges = space.captured.ranges();
    let i = ranges.partition_point(|r| r.end_addr() <= base);
    let range = ranges.get(i).filter(|r| r.base_addr <= base).ok_or(SectionsError::NotCaptured)?;
    let mut len = (range.end_addr() - base).min(HEADER_PAGE_BYTES);
    if module_size_bytes > 0 {
        len = len.min(module_size_bytes);
    }
    // `len` is at most one page, so it fits in usize everywhere.
    space.captured.read(space.bytes(), base, len as usize).ok_or(SectionsError::NotCaptured)
}

/// Parses the sections out of a module's header bytes (`header` starts at
/// `base`; the module spans `module_size_bytes`).
///
/// A header cut short by the end of what was captured gives
/// [`SectionsError::NotCaptured`] when a full page would have held it, and
/// [`SectionsError::Malformed`] when even a full page could not.
pub fn parse_sections(header: &[u8], base: u64, module_size_bytes: u64) -> Result<Vec<Section>, SectionsError> {
    match header.get(..4) {
        Some([b'M', b'Z', ..]) => parse_pe(header, base, module_size_bytes),
        Some([0x7f, b'E', b'L', b'F']) => parse_elf(header, base),
        Some([0xfe, 0xed, 0xfa, 0xce | 0xcf] | [0xce | 0xcf, 0xfa, 0xed, 0xfe]) => {
            Err(SectionsError::Unsupported("Mach-O headers"))
        }
        Some(_) => Err(SectionsError::Malformed("no MZ or ELF header at the module base".into())),
        None => Err(SectionsError::NotCaptured),
    }
}

/// `need` bytes are missing from `header`: not captured, or more than any
/// header page holds.
fn short(header: &[u8], need: u64, what: &str) -> SectionsError {
    if (header.len() as u64) < HEADER_PAGE_BYTES && need <= HEADER_PAGE_BYTES {
        SectionsError::NotCaptured
    } else {
        SectionsError::Malformed(format!("{what} ends at offset 0x{need:x}, past the header page"))
    }
}

fn page_up(v: u64) -> Option<u64> {
    v.checked_next_multiple_of(HEADER_PAGE_BYTES)
}

/// The loader's page protection for a section's IMAGE_SCN_MEM_* bits. Writable
/// image pages are copy-on-write unless the section is shared.
pub fn pe_protection(characteristics: u32) -> Protection {
    let exec = characteristics & IMAGE_SCN_MEM_EXECUTE != 0;
    let read = characteristics & IMAGE_SCN_MEM_READ != 0;
    let write = characteristics & IMAGE_SCN_MEM_WRITE != 0;
    let shared = characteristics & IMAGE_SCN_MEM_SHARED != 0;
    Protection(match (exec, write, shared, read) {
        (true, true, true, _) => Protection::EXECUTE_READWRITE,
        (true, true, false, _) => Protection::EXECUTE_WRITECOPY,
        (true, false, _, true) => Protection::EXECUTE_READ,
        (true, false, _, false) => Protection::EXECUTE,
        (false, true, true, _) => Protection::READWRITE,
        (false, true, false, _) => Protection::WRITECOPY,
        (false, false, _, true) => Protection::READONLY,
        (false, false, _, false) => Protection::NOACCESS,
    })
}

/// PE32 / PE32+: the DOS header, the NT headers and the section table, parsed
/// with `object`'s header types. `object::read::pe::PeFile` is not used: it
/// wants the whole file (it reads section data and data directories through
/// file offsets), and a dump holds only the mapped header page.
fn parse_pe(header: &[u8], base: u64, module_size_bytes: u64) -> Result<Vec<Section>, SectionsError> {
    const DOS_HEADER_BYTES: u64 = 64;
    if (header.len() as u64) < DOS_HEADER_BYTES {
        return Err(short(header, DOS_HEADER_BYTES, "the DOS header"));
    }
    let dos = object::pe::ImageDosHeader::parse(header).map_err(|e| SectionsError::Malformed(e.to_string()))?;
    let nt_offset = u64::from(dos.nt_headers_offset());
    if nt_offset >= HEADER_PAGE_BYTES {
        return Err(SectionsError::Malformed(format!("e_lfanew 0x{nt_offset:x} points past the header page")));
    }
    // Signature (4) + IMAGE_FILE_HEADER (20) + the optional header's magic (2).
    let magic_at = nt_offset + 24;
    let magic = header
        .get(magic_at as usize..magic_at as usize + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| short(header, magic_at + 2, "the NT headers"))?;
    match magic {
        object::pe::IMAGE_NT_OPTIONAL_HDR32_MAGIC => {
            parse_nt::<object::pe::ImageNtHeaders32>(header, nt_offset, base, module_size_bytes)
        }
        object::pe::IMAGE_NT_OPTIONAL_HDR64_MAGIC => {
            parse_nt::<object::pe::ImageNtHeaders64>(header, nt_offset, base, module_size_bytes)
        }
        0x107 => Err(SectionsError::Unsupported("ROM image headers")),
        other => Err(SectionsError::Malformed(format!("unknown optional header magic 0x{other:x}"))),
    }
}

fn parse_nt<Nt: ImageNtHeaders>(
    header: &[u8],
    nt_offset: u64,
    base: u64,
    module_size_bytes: u64,
) -> Result<Vec<Section>, SectionsError> {
    let fixed_end = nt_offset + std::mem::size_of::<Nt>() as u64;
    if (header.len() as u64) < fixed_end {
        return Err(short(header, fixed_end, "the NT headers"));
    }
    // Check the sizes the section table's position and length depend on
    // before `object` reads them, to tell "cut short" from "hostile".
    let fh = header.get(nt_offset as usize + 4..nt_offset as usize + 24).unwrap_or_default();
    let (count, opt_size) = match fh {
        [_, _, n0, n1, _, _, _, _, _, _, _, _, _, _, _, _, o0, o1, _, _] => {
            (usize::from(u16::from_le_bytes([*n0, *n1])), u64::from(u16::from_le_bytes([*o0, *o1])))
        }
        _ => return Err(short(header, nt_offset + 24, "the file header")),
    };
    if count > MAX_PE_SECTIONS {
        return Err(SectionsError::Malformed(format!(
            "NumberOfSections is {count}; at most {MAX_PE_SECTIONS} are allowed"
        )));
    }
    let table_at = nt_offset + 24 + opt_size;
    let table_end = table_at + 40 * count as u64;
    if (header.len() as u64) < table_end {
        return Err(short(header, table_end, "the section table"));
    }

    // `ImageNtHeaders::parse` is not used: it also insists on the data
    // directories, which the sections do not need and packers like to bend.
    let nt: &Nt = header.read_at(nt_offset).map_err(|()| short(header, fixed_end, "the NT headers"))?;
    if nt.signature() != object::pe::IMAGE_NT_SIGNATURE {
        return Err(SectionsError::Malformed("no PE signature at e_lfanew".into()));
    }
    let table = object::read::coff::SectionTable::parse(nt.file_header(), header, table_at)
        .map_err(|e| SectionsError::Malformed(e.to_string()))?;
    // The dump's SizeOfImage and the header's should agree; trust the smaller.
    let limit = match (u64::from(nt.optional_header().size_of_image()), module_size_bytes) {
        (0, m) => m,
        (i, 0) => i,
        (i, m) => i.min(m),
    };
    let limit_pages = page_up(limit).unwrap_or(limit);

    let mut out = Vec::with_capacity(table.len());
    for s in table.iter() {
        let name = String::from_utf8_lossy(s.raw_name()).into_owned();
        let rva = u64::from(s.virtual_address.get(LE));
        let mut virtual_size = u64::from(s.virtual_size.get(LE));
        if virtual_size == 0 {
            // The loader maps SizeOfRawData when VirtualSize is 0.
            virtual_size = u64::from(s.size_of_raw_data.get(LE));
        }
        // Round up to the page; the image's last page is the limit.
        let mapped_end = rva.checked_add(virtual_size).and_then(page_up).filter(|end| *end <= limit_pages);
        let (Some(mapped_end), Some(base_addr)) =
            (mapped_end, base.checked_add(rva).filter(|_| mapped_end.and_then(|e| base.checked_add(e)).is_some()))
        else {
            return Err(SectionsError::Malformed(format!(
                "section {name:?} at RVA 0x{rva:x} (+0x{virtual_size:x}) lies outside the image (0x{limit:x} bytes)"
            )));
        };
        let characteristics = s.characteristics.get(LE);
        out.push(Section {
            name,
            base_addr,
            size_bytes: mapped_end - rva,
            protect: pe_protection(characteristics),
            characteristics,
        });
    }
    Ok(out)
}

/// ELF: the PT_LOAD program headers, as the loader maps them. Section headers
/// are not used: they sit at the end of the file, outside every mapping, so a
/// dump never holds them.
fn parse_elf(header: &[u8], base: u64) -> Result<Vec<Section>, SectionsError> {
    const EI_CLASS: usize = 4;
    match header.get(EI_CLASS) {
        Some(1) => parse_elf_as::<object::elf::FileHeader32<object::Endianness>>(header, base),
        Some(2) => parse_elf_as::<object::elf::FileHeader64<object::Endianness>>(header, base),
        Some(c) => Err(SectionsError::Malformed(format!("unknown ELF class {c}"))),
        None => Err(short(header, 5, "the ELF identification")),
    }
}

fn parse_elf_as<Elf: FileHeader<Endian = object::Endianness>>(
    header: &[u8],
    base: u64,
) -> Result<Vec<Section>, SectionsError> {
    let fixed = std::mem::size_of::<Elf>() as u64;
    if (header.len() as u64) < fixed {
        return Err(short(header, fixed, "the ELF header"));
    }
    let elf = Elf::parse(header).map_err(|e| SectionsError::Malformed(e.to_string()))?;
    let endian = elf.endian().map_err(|e| SectionsError::Malformed(e.to_string()))?;
    let phoff: u64 = elf.e_phoff(endian).into();
    let phnum = usize::from(elf.e_phnum(endian));
    if phnum == usize::from(object::elf::PN_XNUM) {
        // The real count would be in section header 0, which is not mapped.
        return Err(SectionsError::Unsupported("ELF with more than 0xfffe program headers"));
    }
    if phnum > MAX_ELF_SEGMENTS {
        return Err(SectionsError::Malformed(format!("e_phnum is {phnum}; at most {MAX_ELF_SEGMENTS} are allowed")));
    }
    let table_end = phoff.saturating_add(phnum as u64 * u64::from(elf.e_phentsize(endian)));
    if phoff != 0 && (header.len() as u64) < table_end {
        return Err(short(header, table_end, "the program header table"));
    }
    let phdrs = elf.program_headers(endian, header).map_err(|e| SectionsError::Malformed(e.to_string()))?;
    let loads: Vec<_> = phdrs.iter().filter(|p| p.p_type(endian) == object::elf::PT_LOAD).collect();
    let page_down = |v: u64| v - v % HEADER_PAGE_BYTES;
    // The module base is where the first PT_LOAD segment's page was mapped.
    let Some(first_vaddr) = loads.iter().map(|p| page_down(p.p_vaddr(endian).into())).min() else {
        return Ok(Vec::new());
    };
    let bias = base
        .checked_sub(first_vaddr)
        .ok_or_else(|| SectionsError::Malformed(format!("PT_LOAD at 0x{first_vaddr:x} lies above the base")))?;
    let mut out = Vec::with_capacity(loads.len());
    for (i, p) in loads.iter().enumerate() {
        let vaddr: u64 = p.p_vaddr(endian).into();
        let memsz: u64 = p.p_memsz(endian).into();
        let flags = p.p_flags(endian);
        let start = page_down(vaddr);
        let end = vaddr
            .checked_add(memsz)
            .and_then(page_up)
            .ok_or_else(|| SectionsError::Malformed(format!("PT_LOAD {i} at 0x{vaddr:x} (+0x{memsz:x}) overflows")))?;
        let base_addr = bias
            .checked_add(start)
            .filter(|a| a.checked_add(end - start).is_some())
            .ok_or_else(|| SectionsError::Malformed(format!("PT_LOAD {i} at 0x{vaddr:x} overflows")))?;
        out.push(Section {
            name: format!("LOAD[{i}]"),
            base_addr,
            size_bytes: end - start,
            protect: Protection::from_posix(
                flags & object::elf::PF_R != 0,
                flags & object::elf::PF_W != 0,
                flags & object::elf::PF_X != 0,
            ),
            characteristics: flags,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PE32+ header page: e_lfanew 0x80, `sections` as (name, rva, vsize, characteristics).
    fn pe_page(sections: &[(&str, u32, u32, u32)], size_of_image: u32) -> Vec<u8> {
        let mut p = vec![0u8; HEADER_PAGE_BYTES as usize];
        p[0..2].copy_from_slice(b"MZ");
        p[0x3C..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        p[0x80..0x84].copy_from_slice(b"PE\0\0");
        let fh = 0x84;
        p[fh..fh + 2].copy_from_slice(&0x8664u16.to_le_bytes());
        p[fh + 2..fh + 4].copy_from_slice(&(sections.len() as u16).to_le_bytes());
        p[fh + 16..fh + 18].copy_from_slice(&0xF0u16.to_le_bytes());
        let oh = fh + 20;
        p[oh..oh + 2].copy_from_slice(&0x20Bu16.to_le_bytes());
        p[oh + 56..oh + 60].copy_from_slice(&size_of_image.to_le_bytes());
        p[oh + 108..oh + 112].copy_from_slice(&16u32.to_le_bytes());
        let table = oh + 0xF0;
        for (i, (name, rva, vsize, ch)) in sections.iter().enumerate() {
            let at = table + i * 40;
            p[at..at + name.len()].copy_from_slice(name.as_bytes());
            p[at + 8..at + 12].copy_from_slice(&vsize.to_le_bytes());
            p[at + 12..at + 16].copy_from_slice(&rva.to_le_bytes());
            p[at + 36..at + 40].copy_from_slice(&ch.to_le_bytes());
        }
        p
    }

    const CODE: u32 = 0x6000_0020;
    const DATA: u32 = 0xC000_0040;
    const RDATA: u32 = 0x4000_0040;

    #[test]
    fn pe_sections_round_to_pages_and_map_protections() {
        let page = pe_page(
            &[(".text", 0x1000, 0x1234, CODE), (".rdata", 0x3000, 0x800, RDATA), (".data", 0x4000, 0x10, DATA)],
            0x5000,
        );
        let got = parse_sections(&page, 0x1_0000_0000, 0x5000).unwrap();
        let summary: Vec<_> =
            got.iter().map(|s| (s.name.as_str(), s.base_addr, s.size_bytes, s.protect.to_string())).collect();
        assert_eq!(
            summary,
            vec![
                (".text", 0x1_0000_1000, 0x2000, "PAGE_EXECUTE_READ".to_string()),
                (".rdata", 0x1_0000_3000, 0x1000, "PAGE_READONLY".to_string()),
                (".data", 0x1_0000_4000, 0x1000, "PAGE_WRITECOPY".to_string()),
            ]
        );
    }

    #[test]
    fn protections_follow_the_characteristics() {
        assert_eq!(pe_protection(IMAGE_SCN_MEM_EXECUTE).0, Protection::EXECUTE);
        assert_eq!(pe_protection(0xE000_0020).0, Protection::EXECUTE_WRITECOPY);
        assert_eq!(pe_protection(0xD000_0040).0, Protection::READWRITE);
        assert_eq!(pe_protection(0).0, Protection::NOACCESS);
    }

    #[test]
    fn hostile_headers_are_errors() {
        // Absurd NumberOfSections.
        let mut p = pe_page(&[(".text", 0x1000, 0x1000, CODE)], 0x2000);
        p[0x86..0x88].copy_from_slice(&0xFFFFu16.to_le_bytes());
        assert!(matches!(parse_sections(&p, 0x10000, 0x2000), Err(SectionsError::Malformed(_))));
        // e_lfanew past the page.
        let mut p = pe_page(&[], 0x2000);
        p[0x3C..0x40].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        assert!(matches!(parse_sections(&p, 0x10000, 0x2000), Err(SectionsError::Malformed(_))));
        // A SizeOfOptionalHeader pushing the table past the page.
        let mut p = pe_page(&[(".text", 0x1000, 0x1000, CODE)], 0x2000);
        p[0x94..0x96].copy_from_slice(&0xFFFFu16.to_le_bytes());
        assert!(matches!(parse_sections(&p, 0x10000, 0x2000), Err(SectionsError::Malformed(_))));
        // A section far outside the image.
        let p = pe_page(&[(".text", 0xFFFF_F000, 0xFFFF_FFFF, CODE)], 0x2000);
        assert!(matches!(parse_sections(&p, u64::MAX - 0x1000, 0x2000), Err(SectionsError::Malformed(_))));
        // Garbage.
        assert!(matches!(parse_sections(&[0xAB; 4096], 0, 0x1000), Err(SectionsError::Malformed(_))));
    }

    #[test]
    fn a_header_cut_short_is_not_captured() {
        let p = pe_page(&[(".text", 0x1000, 0x1000, CODE), (".data", 0x2000, 0x1000, DATA)], 0x3000);
        assert_eq!(parse_sections(&p[..0x100], 0x10000, 0x3000), Err(SectionsError::NotCaptured));
        assert_eq!(parse_sections(&p[..0x20], 0x10000, 0x3000), Err(SectionsError::NotCaptured));
        assert_eq!(parse_sections(&[], 0x10000, 0x3000), Err(SectionsError::NotCaptured));
        assert_eq!(parse_sections(&p[..0x80 + 24 + 0xF0 + 80], 0x10000, 0x3000).map(|s| s.len()), Ok(2));
    }

    #[test]
    fn elf_load_segments() {
        let mut p = vec![0u8; 0x1000];
        p[0..4].copy_from_slice(b"\x7fELF");
        p[4] = 2; // ELFCLASS64
        p[5] = 1; // little-endian
        p[6] = 1; // EV_CURRENT
        p[16..18].copy_from_slice(&3u16.to_le_bytes()); // ET_DYN
        p[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        p[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
        p[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
        p[56..58].copy_from_slice(&3u16.to_le_bytes()); // e_phnum
        let phdr = |p: &mut Vec<u8>, i: usize, ty: u32, flags: u32, vaddr: u64, memsz: u64| {
            let at = 64 + i * 56;
            p[at..at + 4].copy_from_slice(&ty.to_le_bytes());
            p[at + 4..at + 8].copy_from_slice(&flags.to_le_bytes());
            p[at + 16..at + 24].copy_from_slice(&vaddr.to_le_bytes());
            p[at + 40..at + 48].copy_from_slice(&memsz.to_le_bytes());
        };
        phdr(&mut p, 0, 6, 4, 64, 0xA8); // PT_PHDR
        phdr(&mut p, 1, 1, 5, 0, 0x1800); // r-x
        phdr(&mut p, 2, 1, 6, 0x2d10, 0x400); // rw-
        let got = parse_sections(&p, 0x7f00_0000_0000, 0x4000).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].base_addr, got[0].size_bytes, got[0].protect.0), (0x7f00_0000_0000, 0x2000, 0x20));
        assert_eq!((got[1].base_addr, got[1].size_bytes, got[1].protect.0), (0x7f00_0000_2000, 0x2000, 0x04));
        // Absurd e_phnum.
        p[56..58].copy_from_slice(&0x7000u16.to_le_bytes());
        assert!(matches!(parse_sections(&p, 0x7f00_0000_0000, 0x4000), Err(SectionsError::Malformed(_))));
    }
}
