//! The ELF side of a core file: the header, the PT_LOAD segments and the
//! notes, read with the object crate (which checks every header's bounds
//! against the file) and decoded here. Only what a core holds is read: the
//! segments' bytes stay in the mapped file.

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};

/// Segments and notes read at most: a process has up to 65,530 mappings by
/// default (`vm.max_map_count`); more is a damaged header.
pub const MAX_SEGMENTS: usize = 1 << 20;
/// Notes read at most (a few per thread).
pub const MAX_NOTES: usize = 1 << 20;

/// The CPUs memscape reads cores of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Machine {
    X86_64,
    Aarch64,
}

/// One PT_LOAD segment: a mapping of the process and what the core holds of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u64,
    pub mem_size: u64,
    /// Bytes the core holds (from the mapping's start), at `file_offset`;
    /// already cut to what the file really has.
    pub file_size: u64,
    pub file_offset: u64,
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

impl Segment {
    pub fn end(&self) -> u64 {
        self.vaddr.saturating_add(self.mem_size)
    }
}

/// One note: its type, owner name and descriptor bytes.
#[derive(Clone, Copy, Debug)]
pub struct Note<'a> {
    pub name: &'a [u8],
    pub n_type: u32,
    pub desc: &'a [u8],
}

/// What the ELF headers of a core say.
pub struct CoreElf<'a> {
    pub machine: Machine,
    pub segments: Vec<Segment>,
    pub notes: Vec<Note<'a>>,
    pub warnings: Vec<String>,
}

/// Whether `bytes` start like an ELF core file (`\x7fELF`, e_type ET_CORE).
pub fn is_core(bytes: &[u8]) -> bool {
    if !bytes.starts_with(b"\x7fELF") || bytes.len() < 18 {
        return false;
    }
    let e_type = match bytes[5] {
        elf::ELFDATA2LSB => u16::from_le_bytes([bytes[16], bytes[17]]),
        elf::ELFDATA2MSB => u16::from_be_bytes([bytes[16], bytes[17]]),
        _ => return false,
    };
    e_type == elf::ET_CORE
}

/// Reads the headers of a 64-bit little-endian x86-64 or AArch64 core.
pub fn read(bytes: &[u8]) -> Result<CoreElf<'_>, String> {
    if bytes.get(4) != Some(&elf::ELFCLASS64) || bytes.get(5) != Some(&elf::ELFDATA2LSB) {
        return Err("a 32-bit or big-endian core: memscape reads 64-bit little-endian cores (x86-64, AArch64)".into());
    }
    let header = elf::FileHeader64::<object::LittleEndian>::parse(bytes).map_err(|e| format!("ELF header: {e}"))?;
    let endian = object::LittleEndian;
    let machine = match header.e_machine(endian) {
        elf::EM_X86_64 => Machine::X86_64,
        elf::EM_AARCH64 => Machine::Aarch64,
        other => return Err(format!("a core of machine {other}: memscape reads x86-64 and AArch64 cores")),
    };
    let headers = header.program_headers(endian, bytes).map_err(|e| format!("program headers: {e}"))?;
    let mut out = CoreElf { machine, segments: Vec::new(), notes: Vec::new(), warnings: Vec::new() };
    if headers.len() > MAX_SEGMENTS {
        out.warnings.push(format!("{} program headers; the first {MAX_SEGMENTS} are read", headers.len()));
    }
    let len = bytes.len() as u64;
    let mut cut = 0usize;
    for ph in headers.iter().take(MAX_SEGMENTS) {
        match ph.p_type(endian) {
            elf::PT_LOAD => {
                let (offset, file_size) = (ph.p_offset(endian), ph.p_filesz(endian));
                let mem_size = ph.p_memsz(endian);
                // A truncated core: keep what the file still holds.
                let held = file_size.min(len.saturating_sub(offset)).min(mem_size);
                if held < file_size.min(mem_size) {
                    cut += 1;
                }
                let flags = ph.p_flags(endian);
                out.segments.push(Segment {
                    vaddr: ph.p_vaddr(endian),
                    mem_size,
                    file_size: held,
                    file_offset: offset,
                    read: flags & elf::PF_R != 0,
                    write: flags & elf::PF_W != 0,
                    exec: flags & elf::PF_X != 0,
                });
            }
            elf::PT_NOTE => read_notes(ph, bytes, &mut out),
            _ => {}
        }
    }
    if cut > 0 {
        out.warnings.push(format!(
            "{cut} segment(s) extend past the end of the file (truncated core): their missing bytes are not captured"
        ));
    }
    out.segments.retain(|s| s.mem_size > 0 && s.vaddr.checked_add(s.mem_size).is_some());
    out.segments.sort_by_key(|s| s.vaddr);
    Ok(out)
}

fn read_notes<'a>(ph: &elf::ProgramHeader64<object::LittleEndian>, bytes: &'a [u8], out: &mut CoreElf<'a>) {
    let endian = object::LittleEndian;
    let mut notes = match ph.notes(endian, bytes) {
        Ok(Some(n)) => n,
        Ok(None) => return,
        Err(e) => {
            out.warnings.push(format!("the notes segment is unreadable ({e}): no threads or files from it"));
            return;
        }
    };
    loop {
        if out.notes.len() >= MAX_NOTES {
            out.warnings.push(format!("more than {MAX_NOTES} notes; the rest are skipped"));
            return;
        }
        match notes.next() {
            Ok(Some(n)) => out.notes.push(Note { name: n.name(), n_type: n.n_type(endian), desc: n.desc() }),
            Ok(None) => return,
            Err(e) => {
                out.warnings.push(format!("the notes are cut short ({e}): the notes after it are lost"));
                return;
            }
        }
    }
}
