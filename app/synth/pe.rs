//! PE images of a synthetic process: the section layout of an image (which decides
//! both the section table in its header page and the per-section regions
//! `VirtualQuery` reports for the mapping) and the bytes of that header page, a
//! real-looking DOS header, `IMAGE_NT_HEADERS64` and section table.

use super::bytes::LeBuf;
use super::rng::SplitMix64;
use super::vspace::Allocation;
use super::winnt::{
    MEM_IMAGE, PAGE_EXECUTE_READ, PAGE_EXECUTE_WRITECOPY, PAGE_READONLY, PAGE_READWRITE, PAGE_SIZE, PAGE_WRITECOPY,
};

/// What produced the image; decides its sections and header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// A native (C/C++) executable.
    NativeExe,
    /// A native DLL.
    NativeDll,
    /// A C++/CLI mixed-mode DLL: native sections plus a CLR header.
    MixedDll,
    /// An IL-only .NET assembly (csc output), mapped as an image.
    IlOnlyDll,
    /// An IL-only .NET executable.
    IlOnlyExe,
    /// An NGEN native image (`*.ni.dll`).
    NativeImage,
}

impl ImageKind {
    fn is_dll(self) -> bool {
        !matches!(self, Self::NativeExe | Self::IlOnlyExe)
    }

    fn is_managed(self) -> bool {
        !matches!(self, Self::NativeExe | Self::NativeDll)
    }

    fn is_il_only(self) -> bool {
        matches!(self, Self::IlOnlyDll | Self::IlOnlyExe)
    }
}

/// `IMAGE_SCN_CNT_CODE | IMAGE_SCN_MEM_EXECUTE | IMAGE_SCN_MEM_READ`.
const SCN_CODE: u32 = 0x6000_0020;
/// `IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ`.
const SCN_RDATA: u32 = 0x4000_0040;
/// `IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ | IMAGE_SCN_MEM_WRITE`.
const SCN_DATA: u32 = 0xC000_0040;
/// `.reloc`: initialized data, discardable, read.
const SCN_RELOC: u32 = 0x4200_0040;

/// One entry of the section table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionSpec {
    /// Section name (at most 8 bytes).
    pub name: &'static str,
    /// `VirtualAddress` (an RVA, page aligned).
    pub rva: u32,
    /// `Misc.VirtualSize`.
    pub virtual_size: u32,
    /// `SizeOfRawData`.
    pub raw_size: u32,
    /// `PointerToRawData`.
    pub raw_offset: u32,
    /// `Characteristics`.
    pub characteristics: u32,
    /// Pages of a `.data` section already written (PAGE_READWRITE); the rest stay
    /// PAGE_WRITECOPY. Ignored for other sections.
    pub dirty_pages: u32,
}

impl SectionSpec {
    /// The page-rounded size this section occupies in memory.
    pub fn mapped_size(&self) -> u64 {
        u64::from(self.virtual_size).next_multiple_of(PAGE_SIZE)
    }

    /// One past the section's last mapped byte, as an RVA.
    pub fn end_rva(&self) -> u64 {
        u64::from(self.rva) + self.mapped_size()
    }
}

/// An image as mapped: where, how big, what the header says.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    /// The module's name (file name), for labels.
    pub name: String,
    /// Load address (`ImageBase` in the in-memory header: the loader rewrites it).
    pub base: u64,
    /// `SizeOfImage`, page aligned.
    pub size_of_image: u32,
    /// `TimeDateStamp`.
    pub timestamp: u32,
    /// `CheckSum`.
    pub checksum: u32,
    /// What kind of image it is.
    pub kind: ImageKind,
    /// The section table.
    pub sections: Vec<SectionSpec>,
}

impl ImageSpec {
    /// Lay out an image of `size_of_image` bytes: a header page, then sections in
    /// the order and rough proportions the MSVC / csc / NGEN tool chains produce.
    /// `rng` varies virtual sizes and how much of `.data` has been written.
    pub fn new(
        name: &str,
        base: u64,
        size_of_image: u32,
        timestamp: u32,
        checksum: u32,
        kind: ImageKind,
        rng: &mut SplitMix64,
    ) -> Self {
        let pages = (u64::from(size_of_image) / PAGE_SIZE).max(4) - 1;
        // (name, share of the pages in per mille, characteristics); the last section
        // takes whatever is left (at least one page).
        let plan: &[(&'static str, u64, u32)] = match kind {
            ImageKind::NativeExe | ImageKind::NativeDll | ImageKind::MixedDll => &[
                (".text", 640, SCN_CODE),
                (".rdata", 170, SCN_RDATA),
                (".data", 60, SCN_DATA),
                (".pdata", 60, SCN_RDATA),
                (".rsrc", 40, SCN_RDATA),
                (".reloc", 0, SCN_RELOC),
            ],
            ImageKind::IlOnlyDll | ImageKind::IlOnlyExe => {
                &[(".text", 900, SCN_CODE), (".rsrc", 60, SCN_RDATA), (".reloc", 0, SCN_RELOC)]
            }
            ImageKind::NativeImage => &[
                (".text", 700, SCN_CODE),
                (".data", 230, SCN_DATA),
                (".pdata", 50, SCN_RDATA),
                (".rsrc", 5, SCN_RDATA),
                (".reloc", 0, SCN_RELOC),
            ],
        };
        let mut sections = Vec::with_capacity(plan.len());
        let mut rva_pages = 1u64;
        let mut raw_offset = 0x400u32;
        let mut left = pages;
        for (i, &(sec_name, share, characteristics)) in plan.iter().enumerate() {
            let remaining_sections = (plan.len() - i - 1) as u64;
            let want = if i + 1 == plan.len() { left } else { (pages * share / 1000).max(1) };
            let n = want.min(left.saturating_sub(remaining_sections)).max(1);
            left = left.saturating_sub(n);
            let slack = rng.below(PAGE_SIZE - 0x10) as u32 & !0xF;
            let virtual_size = (n * PAGE_SIZE) as u32 - slack;
            let raw_size = if characteristics == SCN_DATA {
                // Initialized part only; the rest is zero-fill (.bss folded in).
                (virtual_size / 3).next_multiple_of(0x200)
            } else {
                virtual_size.next_multiple_of(0x200)
            };
            let dirty_pages = if characteristics == SCN_DATA { (1 + rng.below(n)) as u32 } else { 0 };
            sections.push(SectionSpec {
                name: sec_name,
                rva: (rva_pages * PAGE_SIZE) as u32,
                virtual_size,
                raw_size,
                raw_offset,
                characteristics,
                dirty_pages,
            });
            raw_offset += raw_size;
            rva_pages += n;
        }
        Self {
            name: name.to_string(),
            base,
            size_of_image: (rva_pages * PAGE_SIZE) as u32,
            timestamp,
            checksum,
            kind,
            sections,
        }
    }

    /// `AddressOfEntryPoint`.
    pub fn entry_rva(&self) -> u32 {
        let text = self.section(".text");
        match self.kind {
            // IL images: a jmp to mscoree!_CorDllMain/_CorExeMain near the end of .text.
            ImageKind::IlOnlyDll | ImageKind::IlOnlyExe => {
                text.map_or(0, |s| s.rva + s.virtual_size.saturating_sub(0x12))
            }
            // NGEN images have no entry point of their own.
            ImageKind::NativeImage => 0,
            _ => text.map_or(0, |s| (s.rva + s.virtual_size / 7) & !0xF),
        }
    }

    /// The section called `name`.
    pub fn section(&self, name: &str) -> Option<&SectionSpec> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The address range of the code section.
    pub fn text_range(&self) -> Option<std::ops::Range<u64>> {
        self.section(".text").map(|s| self.base + u64::from(s.rva)..self.base + s.end_rva())
    }

    /// The mapping as `VirtualQuery` sees it: header page read-only, each section
    /// with the protection its characteristics ask for (written `.data` pages
    /// PAGE_READWRITE, untouched ones still PAGE_WRITECOPY), `MEM_IMAGE` with
    /// allocation protection PAGE_EXECUTE_WRITECOPY.
    pub fn allocation(&self) -> Allocation {
        let mut alloc = Allocation::new(self.base, MEM_IMAGE, PAGE_EXECUTE_WRITECOPY, self.name.clone())
            .commit(PAGE_SIZE, PAGE_READONLY);
        for s in &self.sections {
            let size = s.mapped_size();
            alloc = match s.characteristics {
                SCN_CODE => alloc.commit(size, PAGE_EXECUTE_READ),
                SCN_DATA => {
                    let dirty = (u64::from(s.dirty_pages) * PAGE_SIZE).min(size);
                    alloc.commit(dirty, PAGE_READWRITE).commit(size - dirty, PAGE_WRITECOPY)
                }
                _ => alloc.commit(size, PAGE_READONLY),
            };
        }
        alloc
    }

    /// The first page of the mapping: DOS header and stub, `PE\0\0`,
    /// `IMAGE_FILE_HEADER`, `IMAGE_OPTIONAL_HEADER64` and the section table.
    pub fn header_page(&self) -> Vec<u8> {
        let mut p = LeBuf::zeroed(PAGE_SIZE as usize);
        let e_lfanew: usize = if self.kind.is_il_only() { 0x80 } else { 0xE8 };
        write_dos_header(&mut p, e_lfanew as u32);

        // IMAGE_FILE_HEADER
        let fh = e_lfanew + 4;
        p.put(e_lfanew, b"PE\0\0");
        p.u16(fh, 0x8664) // IMAGE_FILE_MACHINE_AMD64
            .u16(fh + 2, self.sections.len() as u16)
            .u32(fh + 4, self.timestamp)
            .u16(fh + 16, 0xF0) // SizeOfOptionalHeader
            .u16(
                fh + 18,
                // EXECUTABLE_IMAGE | LARGE_ADDRESS_AWARE (| DLL)
                if self.kind.is_dll() { 0x2022 } else { 0x0022 },
            );

        // IMAGE_OPTIONAL_HEADER64
        let oh = fh + 20;
        let text = self.section(".text");
        let size_of = |pred: &dyn Fn(&SectionSpec) -> bool| -> u32 {
            self.sections.iter().filter(|s| pred(s)).map(|s| s.raw_size).sum()
        };
        let code_size = size_of(&|s| s.characteristics == SCN_CODE);
        let init_size = size_of(&|s| s.characteristics != SCN_CODE);
        let text_rva = text.map_or(0x1000, |s| s.rva);
        let entry_rva = self.entry_rva();
        let (linker, os, subsystem_version) = match self.kind {
            ImageKind::IlOnlyDll | ImageKind::IlOnlyExe => ((8, 0), (4, 0), (4, 0)),
            ImageKind::NativeImage => ((8, 0), (4, 0), (4, 0)),
            ImageKind::MixedDll => ((10, 0), (5, 2), (5, 2)),
            _ => ((9, 0), (6, 0), (6, 0)),
        };
        p.u16(oh, 0x20B) // PE32+
            .u8(oh + 2, linker.0)
            .u8(oh + 3, linker.1)
            .u32(oh + 4, code_size)
            .u32(oh + 8, init_size)
            .u32(oh + 16, entry_rva)
            .u32(oh + 20, text_rva)
            .u64(oh + 24, self.base)
            .u32(oh + 32, PAGE_SIZE as u32) // SectionAlignment
            .u32(oh + 36, 0x200) // FileAlignment
            .u16(oh + 40, os.0)
            .u16(oh + 42, os.1)
            .u16(oh + 44, os.0) // MajorImageVersion
            .u16(oh + 46, os.1)
            .u16(oh + 48, subsystem_version.0)
            .u16(oh + 50, subsystem_version.1)
            .u32(oh + 56, self.size_of_image)
            .u32(oh + 60, 0x400) // SizeOfHeaders
            .u32(oh + 64, self.checksum)
            .u16(
                oh + 68,
                if self.kind.is_dll() { 2 } else { 3 }, // WINDOWS_GUI / WINDOWS_CUI
            )
            .u16(
                oh + 70,
                // DYNAMIC_BASE | NX_COMPAT (| NO_SEH for IL) (| TERMINAL_SERVER_AWARE for EXEs)
                0x0140 | if self.kind.is_il_only() { 0x0400 } else { 0 } | if self.kind.is_dll() { 0 } else { 0x8000 },
            )
            .u64(oh + 72, if self.kind.is_dll() { 0x4_0000 } else { 0x10_0000 }) // SizeOfStackReserve
            .u64(oh + 80, 0x1000) // SizeOfStackCommit
            .u64(oh + 88, 0x10_0000) // SizeOfHeapReserve
            .u64(oh + 96, 0x1000) // SizeOfHeapCommit
            .u32(oh + 108, 16); // NumberOfRvaAndSizes
        self.write_data_directories(&mut p, oh + 112);

        // Section table.
        let table = oh + 0xF0;
        for (i, s) in self.sections.iter().enumerate() {
            let at = table + i * 40;
            let mut name = [0u8; 8];
            for (dst, src) in name.iter_mut().zip(s.name.bytes()) {
                *dst = src;
            }
            p.put(at, &name)
                .u32(at + 8, s.virtual_size)
                .u32(at + 12, s.rva)
                .u32(at + 16, s.raw_size)
                .u32(at + 20, s.raw_offset)
                .u32(at + 36, s.characteristics);
        }
        p.into_vec()
    }

    fn write_data_directories(&self, p: &mut LeBuf, at: usize) {
        let dir = |p: &mut LeBuf, index: usize, rva: u32, size: u32| {
            p.u32(at + index * 8, rva).u32(at + index * 8 + 4, size);
        };
        let text = self.section(".text");
        let rdata = self.section(".rdata").or(text);
        if let Some(r) = rdata {
            let base = r.rva + r.virtual_size / 2;
            if self.kind.is_dll() && !self.kind.is_il_only() {
                dir(p, 0, base & !0xF, 0x1A40); // export
            }
            dir(p, 1, (base + 0x2000) & !0xF, 0x190); // import
            dir(p, 6, r.rva + 0x70, 0x1C * 2); // debug (CodeView + one more)
            if !self.kind.is_il_only() {
                dir(p, 10, r.rva + 0x2C0, 0x70); // load config
            }
            dir(p, 12, r.rva, 0x7C8.min(r.virtual_size)); // IAT
        }
        if let Some(s) = self.section(".rsrc") {
            dir(p, 2, s.rva, s.virtual_size);
        }
        if let Some(s) = self.section(".pdata") {
            dir(p, 3, s.rva, s.virtual_size & !0xB);
        }
        if let Some(s) = self.section(".reloc") {
            dir(p, 5, s.rva, s.virtual_size);
        }
        if self.kind.is_managed()
            && let Some(t) = text
        {
            dir(p, 14, t.rva + 8, 0x48); // IMAGE_COR20_HEADER
        }
    }
}

/// `IMAGE_DOS_HEADER` as link.exe and csc.exe write it, and the classic stub.
fn write_dos_header(p: &mut LeBuf, e_lfanew: u32) {
    p.put(0, b"MZ")
        .u16(0x02, 0x90) // e_cblp
        .u16(0x04, 3) // e_cp
        .u16(0x08, 4) // e_cparhdr
        .u16(0x0C, 0xFFFF) // e_maxalloc
        .u16(0x10, 0xB8) // e_sp
        .u16(0x18, 0x40) // e_lfarlc
        .u32(0x3C, e_lfanew);
    p.put(0x40, &[0x0E, 0x1F, 0xBA, 0x0E, 0x00, 0xB4, 0x09, 0xCD, 0x21, 0xB8, 0x01, 0x4C, 0xCD, 0x21]);
    p.put(0x4E, b"This program cannot be run in DOS mode.\r\r\n$");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_fill_the_image_and_the_header_agrees() {
        let mut rng = SplitMix64::new(1);
        let spec =
            ImageSpec::new("x.dll", 0x7FE_F000_0000, 0x1A_8000, 0x4DCD_9861, 0x1B_2F3A, ImageKind::NativeDll, &mut rng);
        assert_eq!(spec.size_of_image, 0x1A_8000);
        assert_eq!(spec.allocation().size_bytes(), 0x1A_8000);
        let page = spec.header_page();
        assert_eq!(&page[0..2], b"MZ");
        assert_eq!(&page[0xE8..0xEC], b"PE\0\0");
        let u32_at = |o: usize| u32::from_le_bytes([page[o], page[o + 1], page[o + 2], page[o + 3]]);
        assert_eq!(u32_at(0xE8 + 8), 0x4DCD_9861);
        assert_eq!(u32_at(0xE8 + 24 + 56), 0x1A_8000);
    }

    #[test]
    fn tiny_images_still_get_every_section() {
        let mut rng = SplitMix64::new(2);
        let spec = ImageSpec::new("n.dll", 0x1_0000, 0x6000, 1, 1, ImageKind::NativeDll, &mut rng);
        assert_eq!(spec.sections.len(), 6);
        assert_eq!(spec.allocation().size_bytes(), u64::from(spec.size_of_image));
    }
}
