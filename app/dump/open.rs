//! Opening a dump: memory-map the file, read every stream present, and build
//! the AddressSpace. Damage inside a stream becomes a warning; only a file
//! that is not a minidump at all is an error. An ELF core file (told apart by
//! its content) is read through its minidump view (core/).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minidump::format::MINIDUMP_STREAM_TYPE;
use minidump::{Minidump, MinidumpMiscInfo, MinidumpSystemInfo};
use scroll::Pread;

use super::bytes::{DumpBytes, MappedFile};
use super::captured::{self, CapturedMemory};
use super::error::DumpError;
use super::file::open_regular;
use super::linux_maps;
use super::model::{AddressSpace, StreamEntry};
use super::progress::LoadProgress;
use super::read_handles::read_handles;
use super::read_modules::{read_modules, read_unloaded_modules};
use super::read_process::read_process;
use super::read_system::{self, LimitHints};
use super::read_threads::{exception_context_pointers, read_exception, read_threads};
use super::region::{Owner, RegionKind};
use super::regions::{self, RegionInputs};

impl AddressSpace {
    /// Memory-maps `path` and reads it.
    pub fn open(path: impl AsRef<Path>) -> Result<AddressSpace, DumpError> {
        AddressSpace::open_with_progress(path, &LoadProgress::new())
    }

    /// Like [`AddressSpace::open`], reporting phases to `progress` and stopping
    /// with [`DumpError::Cancelled`] when it is cancelled.
    pub fn open_with_progress(path: impl AsRef<Path>, progress: &LoadProgress) -> Result<AddressSpace, DumpError> {
        let path = path.as_ref();
        progress.enter(0);
        let io = |err| DumpError::Io { path: path.to_path_buf(), err };
        let (file, len) = open_regular(path)?;
        if len == 0 {
            return Err(DumpError::Empty { path: path.to_path_buf() });
        }
        // SAFETY: the map is read-only and only read through slices; a file
        // truncated underneath it is caught by the SIGBUS guard (sigbus.rs),
        // which turns the lost pages into zeros and marks the dump changed.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io)?;
        let mapped = MappedFile::new(map);
        // A compressed dump (systemd-coredump's cores): decompressed into a
        // temporary file, which is mapped in its place.
        if let Some(codec) = super::decompress::codec_of(mapped.bytes()) {
            let plain = super::decompress::decompress(path, mapped.bytes(), codec, progress)?;
            drop(mapped);
            progress.enter(0);
            // SAFETY: as above; the file is memscape's own, unlinked.
            let map = unsafe { memmap2::Mmap::map(&plain) }.map_err(io)?;
            if map.is_empty() {
                return Err(DumpError::Empty { path: path.to_path_buf() });
            }
            let space = build(path.to_path_buf(), DumpBytes::Mapped(Arc::new(MappedFile::new(map))), progress)?;
            space.release_read_pages();
            return Ok(space);
        }
        let space = build(path.to_path_buf(), DumpBytes::Mapped(Arc::new(mapped)), progress)?;
        // The model is built: what it read of the file need not stay mapped in.
        space.release_read_pages();
        Ok(space)
    }

    /// Reads a dump already in memory (a fuzzer's input, bytes from elsewhere).
    pub fn from_bytes(name: impl Into<PathBuf>, bytes: Vec<u8>) -> Result<AddressSpace, DumpError> {
        let path = name.into();
        if bytes.is_empty() {
            return Err(DumpError::Empty { path });
        }
        build(path, DumpBytes::Owned(bytes.into()), &LoadProgress::new())
    }

    /// Reads a dump held in static memory (the embedded demo dump).
    pub fn from_static(name: impl Into<PathBuf>, bytes: &'static [u8]) -> Result<AddressSpace, DumpError> {
        let path = name.into();
        if bytes.is_empty() {
            return Err(DumpError::Empty { path });
        }
        build(path, DumpBytes::Static(bytes), &LoadProgress::new())
    }
}

/// Runs the readers, turning a panic inside a third-party parser (a bug, but
/// one a hostile file must not be able to turn into a crash) into an error.
fn build(path: PathBuf, bytes: DumpBytes, progress: &LoadProgress) -> Result<AddressSpace, DumpError> {
    let p = path.clone();
    match catch_unwind(AssertUnwindSafe(move || read_all(p, bytes, progress))) {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown failure".into());
            Err(DumpError::Corrupt { path, reason: format!("the reader failed on malformed data ({what})") })
        }
    }
}

fn stream_name(stream_type: u32) -> String {
    use num_traits::FromPrimitive;
    match MINIDUMP_STREAM_TYPE::from_u32(stream_type) {
        Some(t) => format!("{t:?}"),
        None => format!("0x{stream_type:x}"),
    }
}

/// At most this many MemoryInfoList entries or LinuxMaps lines are turned into
/// regions (a model of at most 2 GiB); a dump that describes more is refused
/// with a clear error instead of exhausting memory. Real processes have up to
/// a few hundred thousand; the performance target is a million.
pub const MAX_REGION_ENTRIES: usize = 16_000_000;

/// At most this many stream directory entries are read: writers use a few
/// dozen (dbghelp pads with a few unused ones), so more is a damaged header.
pub const MAX_STREAMS: u32 = 4096;

/// Refuses a header whose stream directory cannot be right before anything
/// walks it: more than [`MAX_STREAMS`] entries, or entries past the end of
/// the file (the minidump crate would read, and warn about, every claimed
/// entry up to the end of a large file before failing).
fn check_directory(bytes: &[u8], path: &Path) -> Result<(), DumpError> {
    let u32_at = |at: usize| bytes.pread_with::<u32>(at, scroll::LE).ok();
    if bytes.get(..4) != Some(b"MDMP") {
        return Ok(()); // the reader says what it is not
    }
    let (Some(count), Some(rva)) = (u32_at(8), u32_at(12)) else { return Ok(()) };
    let corrupt = |reason: String| Err(DumpError::Corrupt { path: path.to_path_buf(), reason });
    if count > MAX_STREAMS {
        return corrupt(format!(
            "the header claims {count} streams (a dump has a few dozen; at most {MAX_STREAMS} are read)"
        ));
    }
    let end = u64::from(rva) + u64::from(count) * 12;
    if end > bytes.len() as u64 {
        return corrupt(format!(
            "the stream directory ({count} entries at offset {rva:#x}) runs past the end of the file ({} bytes): truncated or damaged",
            bytes.len()
        ));
    }
    Ok(())
}

fn read_all(path: PathBuf, bytes: DumpBytes, progress: &LoadProgress) -> Result<AddressSpace, DumpError> {
    let phase = |step: usize| {
        if progress.is_cancelled() {
            return Err(DumpError::Cancelled { path: path.clone() });
        }
        progress.enter(step);
        Ok(())
    };
    phase(1)?;
    if super::core::elf::is_core(&bytes) {
        return read_core(path, bytes, progress);
    }
    let file_len = bytes.len() as u64;
    check_directory(&bytes, &path)?;
    let dump = Minidump::read(&bytes[..]).map_err(|e| match e {
        minidump::Error::MissingHeader | minidump::Error::HeaderMismatch => {
            DumpError::NotAMinidump { path: path.clone(), reason: "no MDMP signature at the start".into() }
        }
        minidump::Error::VersionMismatch => {
            DumpError::NotAMinidump { path: path.clone(), reason: "unsupported minidump version".into() }
        }
        other => DumpError::Corrupt { path: path.clone(), reason: other.to_string().to_lowercase() },
    })?;
    let mut warnings = Vec::new();

    // The directory: note every stream and any that runs past the end of the file.
    let mut streams = Vec::new();
    let mut truncated = Vec::new();
    for d in dump.all_streams() {
        let end = u64::from(d.location.rva) + u64::from(d.location.data_size);
        if end > file_len {
            truncated.push(stream_name(d.stream_type));
        }
        streams.push(StreamEntry {
            stream_type: d.stream_type,
            name: stream_name(d.stream_type),
            size_bytes: d.location.data_size,
        });
    }
    if !truncated.is_empty() {
        warnings.push(format!("streams extend past the end of the file (truncated dump): {}", truncated.join(", ")));
    }
    streams.sort_by_key(|s| s.stream_type);

    phase(2)?;
    let sys_info = dump.get_stream::<MinidumpSystemInfo>().ok();
    let misc = dump.get_stream::<MinidumpMiscInfo>().ok();
    let mut system = read_system::read_system(sys_info.as_ref(), &mut warnings);
    let process = read_process(&dump, misc.as_ref());
    let modules = read_modules(&dump, &mut warnings);
    let unloaded_modules = read_unloaded_modules(&dump, &mut warnings);
    let (mut threads, stack_ranges) = read_threads(&dump, sys_info.as_ref(), misc.as_ref(), file_len, &mut warnings);
    let handles = read_handles(&dump, &mut warnings);

    // Pointer width: from SystemInfo, else from what the addresses need.
    if system.pointer_bits == 0 {
        let high =
            modules.iter().map(|m| m.end_addr()).chain(threads.iter().map(|t| t.stack_end_addr)).max().unwrap_or(0);
        system.pointer_bits = if high > u64::from(u32::MAX) { 64 } else { 32 };
    }
    let exception =
        read_exception(&dump, system.platform, sys_info.as_ref(), misc.as_ref(), system.pointer_bits, &mut warnings);
    if let Some(ex) = &exception {
        let ctx = exception_context_pointers(&dump, sys_info.as_ref(), misc.as_ref());
        match threads.iter_mut().find(|t| t.id == ex.thread_id) {
            Some(t) => {
                t.crashed = true;
                if let Some((ip, sp)) = ctx {
                    t.ip = Some(ip);
                    t.sp = Some(sp);
                }
            }
            None => {
                warnings.push(format!("the exception names thread {} which is not in the thread list", ex.thread_id))
            }
        }
    }

    // Captured memory: both memory lists and the thread stacks.
    phase(3)?;
    let mut ranges = stack_ranges;
    if let Ok(s) = dump.get_raw_stream(MINIDUMP_STREAM_TYPE::MemoryListStream as u32) {
        ranges.extend(captured::read_memory_list(s, file_len, &mut warnings));
    }
    if let Ok(s) = dump.get_raw_stream(MINIDUMP_STREAM_TYPE::Memory64ListStream as u32) {
        ranges.extend(captured::read_memory64_list(s, file_len, &mut warnings));
    }
    let captured = CapturedMemory::from_ranges(ranges);

    // The region sources.
    let memory_info = dump
        .get_raw_stream(MINIDUMP_STREAM_TYPE::MemoryInfoListStream as u32)
        .ok()
        .map(|s| regions::read_memory_info_list(s, &mut warnings));
    let linux_maps = dump.get_raw_stream(MINIDUMP_STREAM_TYPE::LinuxMaps as u32).ok().map(|text| {
        let summary = linux_maps::summarize(text);
        if summary.bad > 0 {
            warnings.push(format!("LinuxMaps: {} malformed lines skipped", summary.bad));
        }
        linux_maps::MapsText { text, summary }
    });

    // The memory budget: regions come from entries the file really holds (a
    // claimed count never sizes anything), at most two per entry (it and the
    // gap before it), 64 bytes each in the model (labels are shared).
    let entries = memory_info.as_ref().map_or(0, |m| m.len()).max(linux_maps.as_ref().map_or(0, |m| m.summary.lines));
    if entries > MAX_REGION_ENTRIES {
        return Err(DumpError::TooLarge {
            path: path.clone(),
            what: format!(
                "its region list has {entries} entries; memscape holds at most {MAX_REGION_ENTRIES} (about {} GiB of model)",
                (MAX_REGION_ENTRIES as u64 * 2 * 64) >> 30
            ),
        });
    }
    let memory_info_states = memory_info.as_ref().map(regions::count_states);

    // The user address-space limit.
    let kernel = read_system::kernel_space_start(system.pointer_bits);
    let user_end = |end: u64| if end <= kernel { end } else { 0 };
    let highest = [
        modules.iter().map(|m| user_end(m.end_addr())).max().unwrap_or(0),
        threads.iter().map(|t| user_end(t.stack_end_addr)).max().unwrap_or(0),
        memory_info.as_ref().map(|e| user_end(regions::highest_end(e, system.pointer_bits))).unwrap_or(0),
        linux_maps
            .as_ref()
            .and_then(|m| linux_maps::lines(m.text).flatten().map(|l| user_end(l.end)).max())
            .unwrap_or(0),
    ]
    .into_iter()
    .max()
    .unwrap_or(0);
    let raw_version = sys_info
        .as_ref()
        .map(|s| s.raw.major_version.saturating_mul(100).saturating_add(s.raw.minor_version))
        .unwrap_or(0);
    let hints = LimitHints {
        cpu: sys_info.as_ref().map(|s| s.cpu),
        highest_end_addr: highest,
        wow64: system.pointer_bits == 32
            && modules
                .iter()
                .any(|m| m.name.eq_ignore_ascii_case("wow64cpu.dll") || m.name.eq_ignore_ascii_case("wow64.dll")),
        large_address_aware: large_address_aware(&modules, &captured, &bytes),
        windows_version: raw_version,
        kernel_64bit: ["x86_64", "x86_6", "aarch64", "amd64"].iter().any(|k| system.os_version.contains(k)),
    };
    let (limit, reason) = read_system::user_limit(system.platform, system.pointer_bits, &hints);
    system.user_limit_addr = limit;
    system.user_limit_reason = reason;

    phase(4)?;
    let built = regions::build_regions(
        RegionInputs {
            platform: system.platform,
            pointer_bits: system.pointer_bits,
            limit,
            modules: &modules,
            threads: &threads,
            captured: &captured,
            dump: &bytes,
            memory_info,
            linux_maps,
        },
        &mut warnings,
    );

    phase(5)?;
    Ok(AddressSpace {
        path,
        file_size_bytes: file_len,
        streams,
        system,
        process,
        modules,
        unloaded_modules,
        threads,
        exception,
        handles,
        peb_addr: built.peb_addr,
        heaps: built.heaps,
        regions: built.regions,
        region_source: built.source,
        source_entry_count: built.source_entry_count,
        memory_info_states,
        captured,
        warnings,
        bytes,
        walk_view: None,
    })
}

/// How far below its stack mapping an overflowed stack's pointer may be.
const OVERFLOWED_STACK_GAP: u64 = 64 << 10;

/// An ELF core: its minidump view read as a dump, then the core put back
/// under the model (core/mod.rs says how).
fn read_core(path: PathBuf, bytes: DumpBytes, progress: &LoadProgress) -> Result<AddressSpace, DumpError> {
    let dir = std::fs::canonicalize(&path).ok().and_then(|p| p.parent().map(Path::to_path_buf));
    let dir = dir.filter(|_| matches!(bytes, DumpBytes::Mapped(_)));
    let core = super::core::read(&bytes, dir.as_deref())
        .map_err(|reason| DumpError::BadCore { path: path.clone(), reason })?;
    let view = DumpBytes::Owned(core.view.into());
    let mut space = read_all(path, view.clone(), progress)?;
    space.file_size_bytes = bytes.len() as u64;
    space.walk_view = Some(view);
    space.bytes = bytes;
    space.captured = core.captured;
    space.region_source = super::model::RegionSource::ElfCore;
    space.source_entry_count = core.mappings.len();
    space.streams = core.notes;
    if let Some(why) = core.no_fault_address
        && let Some(ex) = &mut space.exception
    {
        ex.target_addr = None;
        ex.access = None;
        ex.detail = format!("{} ({why})", ex.detail);
    }
    // A core records neither the kernel's version nor the CPU's model.
    space.system.os_version.clear();
    space.system.cpu_description.clear();
    for r in &mut space.regions {
        r.captured_bytes = space.captured.captured_in(r.base_addr, r.end_addr());
    }
    // A thread's stack is its whole mapping, as the core holds it. A stack
    // pointer just below every mapping is a main stack that hit its limit
    // (Linux grows it down on demand): the mapping right above is its stack.
    for t in &mut space.threads {
        let sp = t.sp.unwrap_or(t.stack_start_addr);
        // The mappings are sorted and disjoint: the first ending past sp holds it or lies above.
        let next = core.mappings.get(core.mappings.partition_point(|(_, e)| *e <= sp));
        let holding = next.filter(|(s, _)| *s <= sp);
        let above = || next.filter(|(s, _)| *s > sp && *s - sp <= OVERFLOWED_STACK_GAP);
        let Some(&(start, end)) = holding.or_else(above) else { continue };
        t.stack_start_addr = start;
        t.stack_end_addr = end;
        t.stack_captured_bytes = space.captured.captured_in(start, end);
        if holding.is_none()
            && let Some(r) =
                space.regions.iter_mut().find(|r| r.base_addr == start && r.kind == RegionKind::PrivateData)
        {
            r.kind = RegionKind::Stack;
            r.owner = Owner::Thread(t.id);
            r.label = format!("stack of thread {}", t.id).into();
        }
    }
    if let DumpBytes::Mapped(_) = &space.bytes
        && let Ok(modified) = std::fs::metadata(&space.path).and_then(|m| m.modified())
        && let Ok(since) = modified.duration_since(std::time::UNIX_EPOCH)
    {
        space.process.dump_time_unix = since.as_secs();
    }
    let mut warnings = core.warnings;
    warnings.append(&mut space.warnings);
    space.warnings = warnings;
    Ok(space)
}

/// The main executable's IMAGE_FILE_LARGE_ADDRESS_AWARE bit, when its PE
/// header is captured.
fn large_address_aware(modules: &[super::model::Module], mem: &CapturedMemory, dump: &[u8]) -> Option<bool> {
    let exe = modules.iter().find(|m| m.name.to_ascii_lowercase().ends_with(".exe"))?;
    let e_lfanew = mem.read_u32(dump, exe.base_addr.checked_add(0x3C)?)?;
    let pe = exe.base_addr.checked_add(u64::from(e_lfanew))?;
    if mem.read(dump, pe, 4)? != b"PE\0\0" {
        return None;
    }
    let characteristics = mem.read(dump, pe.checked_add(22)?, 2)?;
    Some(u16::from_le_bytes([characteristics[0], characteristics[1]]) & 0x20 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names() {
        assert_eq!(stream_name(4), "ModuleListStream");
        assert_eq!(stream_name(0xbeef00), "0xbeef00");
    }
}
