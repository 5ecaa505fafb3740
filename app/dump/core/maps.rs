//! A core's mappings as /proc/pid/maps would list them, and its modules.
//!
//! Every PT_LOAD segment is one mapping (the kernel writes one per VMA);
//! NT_FILE names the file behind each file mapping and lists some that gdb's
//! `gcore` leaves out of its segments, which are added without bytes. The
//! brk heap (the anonymous mapping right after the executable's last one) is
//! named `[heap]` and the vDSO (`AT_SYSINFO_EHDR`) `[vdso]`, as the kernel
//! names them in maps; the text then goes through the same classifier as a
//! Breakpad LinuxMaps stream (regions/linux.rs). Modules are the ELF objects
//! mapped from file offset 0, their build ids read from the header page the
//! kernel dumps, else from the file on disk.

use std::fmt::Write;

use super::elf::Segment;
use super::notes::{AT_ENTRY, AT_EXECFN, AT_PHDR, AT_SYSINFO_EHDR, FileMapping, Notes};
use crate::dump::bytes::MappedFile;
use crate::dump::captured::CapturedMemory;
use crate::dump::file::open_regular;

/// One mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    pub offset: u64,
    /// A file's path, `[heap]`, `[vdso]`, or empty for anonymous memory.
    pub path: String,
    /// Known only from NT_FILE (no segment): its protection is the file's
    /// own program header's, found by [`protect_file_only`].
    pub file_only: bool,
}

/// A module found in the core.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoreModule {
    pub base: u64,
    pub end: u64,
    pub path: String,
    pub build_id: Option<Vec<u8>>,
}

/// The mappings, sorted and disjoint.
pub fn mappings(segments: &[Segment], notes: &Notes) -> Vec<Mapping> {
    // Binary searches throughout: a core has up to ~65k mappings, and every
    // lookup here is per mapping.
    let mut files: Vec<&FileMapping> = notes.files.iter().collect();
    files.sort_by_key(|f| f.start);
    let file_at = |start: u64| {
        let i = files.partition_point(|f| f.start <= start).checked_sub(1)?;
        Some(files[i]).filter(|f| start < f.end)
    };
    let mut out: Vec<Mapping> = segments
        .iter()
        .map(|s| {
            let file = file_at(s.vaddr);
            Mapping {
                start: s.vaddr,
                end: s.end(),
                read: s.read,
                write: s.write,
                exec: s.exec,
                offset: file.map_or(0, |f| f.offset.saturating_add(s.vaddr - f.start)),
                path: file.map(|f| f.path.clone()).unwrap_or_default(),
                file_only: false,
            }
        })
        .collect();
    // NT_FILE ranges no segment covers (gcore skips some): readable, no bytes.
    let mut extra: Vec<Mapping> = Vec::new();
    for f in &notes.files {
        for (start, end) in uncovered(f, &out) {
            extra.push(Mapping {
                start,
                end,
                read: true,
                write: false,
                exec: false,
                offset: f.offset.saturating_add(start - f.start),
                path: f.path.clone(),
                file_only: true,
            });
        }
    }
    out.extend(extra);
    out.sort_by_key(|m| m.start);
    // Overlaps (a damaged core): the earlier mapping wins.
    let mut disjoint: Vec<Mapping> = Vec::with_capacity(out.len());
    for mut m in out {
        if let Some(last) = disjoint.last() {
            if m.end <= last.end {
                continue;
            }
            m.start = m.start.max(last.end);
        }
        disjoint.push(m);
    }
    name_heap_and_vdso(&mut disjoint, notes);
    disjoint
}

/// The parts of `f` that no mapping in `maps` (sorted by start, disjoint:
/// the kernel's VMAs) covers.
fn uncovered(f: &FileMapping, maps: &[Mapping]) -> Vec<(u64, u64)> {
    let first = maps.partition_point(|m| m.end <= f.start);
    let covered: Vec<(u64, u64)> =
        maps[first..].iter().take_while(|m| m.start < f.end).map(|m| (m.start, m.end)).collect();
    let mut out = Vec::new();
    let mut at = f.start;
    for (s, e) in covered {
        if s > at {
            out.push((at, s.min(f.end)));
        }
        at = at.max(e);
        if at >= f.end {
            break;
        }
    }
    if at < f.end {
        out.push((at, f.end));
    }
    out
}

fn name_heap_and_vdso(maps: &mut [Mapping], notes: &Notes) {
    if let Some(vdso) = notes.aux(AT_SYSINFO_EHDR)
        && let Some(m) = maps.iter_mut().find(|m| m.start <= vdso && vdso < m.end && m.path.is_empty())
    {
        m.path = "[vdso]".into();
    }
    let Some(entry) = notes.aux(AT_ENTRY) else { return };
    let Some(exe) =
        maps.iter().find(|m| m.start <= entry && entry < m.end && !m.path.is_empty()).map(|m| m.path.clone())
    else {
        return;
    };
    let Some(last) = maps.iter().rposition(|m| m.path == exe) else { return };
    if let Some(next) = maps.get_mut(last + 1)
        && next.path.is_empty()
        && next.read
        && next.write
        && !next.exec
    {
        next.path = "[heap]".into();
    }
}

/// A core without NT_FILE (qemu-user writes none): the executable is named
/// from the auxiliary vector, AT_EXECFN's string in the process's memory
/// (resolved in `core_dir` when relative: qemu writes the core in the
/// process's working directory), and given to the mappings its program
/// headers span from the image at AT_PHDR.
pub fn name_executable(
    maps: &mut [Mapping],
    notes: &Notes,
    captured: &CapturedMemory,
    core: &[u8],
    core_dir: Option<&std::path::Path>,
) {
    if !notes.files.is_empty() {
        return;
    }
    let (Some(phdr), Some(execfn)) = (notes.aux(AT_PHDR), notes.aux(AT_EXECFN)) else { return };
    let Some(name) = c_string_at(captured, core, execfn) else { return };
    let path = match (std::path::Path::new(&name).is_absolute(), core_dir) {
        (true, _) | (false, None) => name,
        (false, Some(dir)) => dir.join(&name).display().to_string(),
    };
    // The image's header starts the mapping that holds its program headers.
    let Some(first) = maps.iter().position(|m| m.start <= phdr && phdr < m.end) else { return };
    let base = maps[first].start;
    // The image's extent from its program headers: in the core, else (qemu
    // does not dump the text) in the file.
    let extent = match image_phdrs(captured, core, base) {
        Some(phdrs) => {
            let loads = phdrs.iter().filter(|p| p.p_type == 1);
            let first_vaddr = loads.clone().map(|p| p.vaddr & !0xfff).min().unwrap_or(0);
            loads.map(|p| (p.vaddr + p.file_size.max(1)).saturating_sub(first_vaddr)).max()
        }
        None => extent_on_disk(&path),
    };
    let Some(extent) = extent else { return };
    let end = base.saturating_add(extent);
    for m in maps.iter_mut().filter(|m| m.start >= base && m.start < end && m.path.is_empty()) {
        m.offset = m.start - base;
        m.path = path.clone();
    }
}

/// The span of an ELF file's loaded segments, from its headers on disk.
fn extent_on_disk(path: &str) -> Option<u64> {
    use object::{Object, ObjectSegment};
    let map = map_file(path)?;
    let obj = object::File::parse(map.bytes()).ok()?;
    let first = obj.segments().map(|s| s.address() & !0xfff).min()?;
    obj.segments().map(|s| s.address().saturating_add(s.size()).saturating_sub(first)).max()
}

/// A NUL-terminated string of at most 4 KiB at `addr` in captured memory.
fn c_string_at(captured: &CapturedMemory, core: &[u8], addr: u64) -> Option<String> {
    let bytes = (1..=4096usize).rev().find_map(|n| captured.read(core, addr, n))?;
    let end = bytes.iter().position(|&b| b == 0)?;
    (end > 0).then(|| String::from_utf8_lossy(&bytes[..end]).into_owned())
}

/// The mappings as /proc/pid/maps text (private mappings: a core does not say).
pub fn maps_text(maps: &[Mapping]) -> String {
    let mut out = String::with_capacity(maps.len() * 80);
    for m in maps {
        let flag = |on: bool, c: char| if on { c } else { '-' };
        let _ = writeln!(
            out,
            "{:x}-{:x} {}{}{}p {:08x} 00:00 0 {}",
            m.start,
            m.end,
            flag(m.read, 'r'),
            flag(m.write, 'w'),
            flag(m.exec, 'x'),
            m.offset,
            m.path
        );
    }
    out
}

/// The ELF objects mapped from offset 0, each to the end of the last
/// mapping of the same file that follows it, and the vDSO.
pub fn modules(maps: &[Mapping], captured: &CapturedMemory, core: &[u8]) -> (Vec<CoreModule>, Vec<String>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for (i, m) in maps.iter().enumerate() {
        let file = !m.path.is_empty() && !m.path.starts_with('[');
        let vdso = m.path == "[vdso]";
        if !(vdso || (file && m.offset == 0)) {
            continue;
        }
        let header = captured.read(core, m.start, 4);
        // Only regular files: a path in a core may name a FIFO or a device.
        let on_disk = || {
            file && open_regular(std::path::Path::new(&m.path)).ok().and_then(|(f, _)| magic(f).ok())
                == Some(*b"\x7fELF")
        };
        if header != Some(b"\x7fELF".as_slice()) && !(header.is_none() && on_disk()) {
            continue;
        }
        // A module has a handful of mappings; the cap keeps a hostile core linear.
        let end = maps[i..].iter().take(4096).take_while(|n| n.path == m.path || n.path.is_empty());
        let end = end.filter(|n| n.path == m.path);
        let end = end.map(|n| n.end).max().unwrap_or(m.end);
        let mut build_id = build_id_in_memory(captured, core, m.start);
        if build_id.is_none() && file {
            build_id = build_id_on_disk(&m.path);
            if build_id.is_some() {
                warnings
                    .push(format!("{}: build id read from the file on disk (its header is not in the core)", m.path));
            }
        }
        let path = if vdso { "linux-vdso.so.1".to_string() } else { m.path.clone() };
        out.push(CoreModule { base: m.start, end, path, build_id });
    }
    (out, warnings)
}

fn magic(mut f: std::fs::File) -> std::io::Result<[u8; 4]> {
    use std::io::Read;
    let mut m = [0u8; 4];
    f.read_exact(&mut m)?;
    Ok(m)
}

/// One program header of an ELF image.
#[derive(Clone, Copy, Debug)]
struct Phdr {
    p_type: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    file_size: u64,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4).map_or(0, |s| u32::from_le_bytes(s.try_into().unwrap_or_default()))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8).map_or(0, |s| u64::from_le_bytes(s.try_into().unwrap_or_default()))
}

/// The program headers of the 64-bit ELF image whose header is at `base`,
/// as the core captured them (at most 256).
fn image_phdrs(captured: &CapturedMemory, core: &[u8], base: u64) -> Option<Vec<Phdr>> {
    let h = captured.read(core, base, 64)?;
    if !h.starts_with(b"\x7fELF") || h[4] != 2 {
        return None; // 64-bit only, as the cores memscape reads
    }
    let phoff = u64_at(h, 32);
    let (phentsize, phnum) =
        (usize::from(u16::from_le_bytes([h[54], h[55]])), usize::from(u16::from_le_bytes([h[56], h[57]])).min(256));
    if phentsize < 56 {
        return None;
    }
    let raw = captured.read(core, base.checked_add(phoff)?, phentsize.checked_mul(phnum)?)?;
    Some(
        raw.chunks_exact(phentsize)
            .map(|p| Phdr {
                p_type: u32_at(p, 0),
                flags: u32_at(p, 4),
                offset: u64_at(p, 8),
                vaddr: u64_at(p, 16),
                file_size: u64_at(p, 32),
            })
            .collect(),
    )
}

/// Mappings known only from NT_FILE take the protection of the file's
/// PT_LOAD that covers their offset (the image's headers as the core holds
/// them); without it they stay readable.
pub fn protect_file_only(maps: &mut [Mapping], captured: &CapturedMemory, core: &[u8]) {
    let mut bases: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for m in maps.iter().filter(|m| m.offset == 0 && !m.path.is_empty()) {
        bases.entry(m.path.clone()).or_insert(m.start);
    }
    for m in maps.iter_mut().filter(|m| m.file_only) {
        let Some(&base) = bases.get(&m.path) else { continue };
        let Some(phdrs) = image_phdrs(captured, core, base) else { continue };
        let offset = m.offset;
        let load = phdrs
            .iter()
            .find(|p| p.p_type == 1 && p.offset & !0xfff <= offset && offset < p.offset.saturating_add(p.file_size));
        if let Some(p) = load {
            (m.read, m.write, m.exec) = (p.flags & 4 != 0, p.flags & 2 != 0, p.flags & 1 != 0);
        }
    }
}

/// NT_GNU_BUILD_ID from the ELF image whose header is at `base` in memory:
/// the program headers, then each PT_NOTE's notes, all read from what the
/// core captured (bounded by the header's own counts).
fn build_id_in_memory(captured: &CapturedMemory, core: &[u8], base: u64) -> Option<Vec<u8>> {
    let phdrs = image_phdrs(captured, core, base)?;
    // The image's first PT_LOAD vaddr is where `base` is (0 for PIE objects).
    let first_load = phdrs.iter().find(|p| p.p_type == 1).map_or(0, |p| p.vaddr);
    for p in phdrs.iter().filter(|p| p.p_type == 4) {
        let (vaddr, size) = (p.vaddr, p.file_size.min(4096));
        let at = base.checked_add(vaddr.checked_sub(first_load)?)?;
        let Some(notes) = captured.read(core, at, size as usize) else { continue };
        let mut off = 0usize;
        while off + 12 <= notes.len() {
            let (namesz, descsz, ty) =
                (u32_at(notes, off) as usize, u32_at(notes, off + 4) as usize, u32_at(notes, off + 8));
            let name_at = off + 12;
            let desc_at = name_at.checked_add(namesz.checked_add(3)? & !3)?;
            let next = desc_at.checked_add(descsz.checked_add(3)? & !3)?;
            if desc_at.checked_add(descsz)? > notes.len() {
                break;
            }
            if ty == 3 && notes.get(name_at..name_at + namesz) == Some(b"GNU\0") && descsz > 0 {
                return Some(notes[desc_at..desc_at + descsz].to_vec());
            }
            off = next;
        }
    }
    None
}

/// The build id of the ELF file at `path` (its headers, mapped).
fn build_id_on_disk(path: &str) -> Option<Vec<u8>> {
    use object::Object;
    let map = map_file(path)?;
    let obj = object::File::parse(map.bytes()).ok()?;
    obj.build_id().ok().flatten().map(<[u8]>::to_vec)
}

/// A regular file named by the core, mapped under the dump's SIGBUS guard
/// (a file cut short while read gives zeros, not a crash).
fn map_file(path: &str) -> Option<MappedFile> {
    let (file, _) = open_regular(std::path::Path::new(path)).ok()?;
    // SAFETY: read-only map, read through slices, guarded against truncation.
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    Some(MappedFile::new(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(vaddr: u64, size: u64, w: bool) -> Segment {
        Segment { vaddr, mem_size: size, file_size: 0, file_offset: 0, read: true, write: w, exec: false }
    }

    #[test]
    fn files_gcore_left_out_are_added_and_the_heap_named() {
        let notes = Notes {
            files: vec![
                FileMapping { start: 0x1000, end: 0x3000, offset: 0, path: "/bin/app".into() },
                FileMapping { start: 0x9000, end: 0xb000, offset: 0, path: "/lib/x.so".into() },
            ],
            auxv: vec![(AT_ENTRY, 0x1800)],
            ..Notes::default()
        };
        let maps =
            mappings(&[seg(0x1000, 0x2000, false), seg(0x3000, 0x1000, true), seg(0xa000, 0x1000, false)], &notes);
        let shown: Vec<(u64, u64, &str)> = maps.iter().map(|m| (m.start, m.end, m.path.as_str())).collect();
        assert_eq!(
            shown,
            [
                (0x1000, 0x3000, "/bin/app"),
                (0x3000, 0x4000, "[heap]"),
                (0x9000, 0xa000, "/lib/x.so"),
                (0xa000, 0xb000, "/lib/x.so")
            ]
        );
        assert!(maps_text(&maps).starts_with("1000-3000 r--p 00000000 00:00 0 /bin/app\n"));
    }
}
