//! The address-space model: everything memscape knows about one dump, owned,
//! sorted and independent of the minidump crate's types.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::bytes::DumpBytes;
use super::captured::CapturedMemory;
use super::region::{Region, RegionKind, RegionState};

/// Operating-system family of the dumped process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Windows,
    Linux,
    MacOs,
    Other,
}

/// Where the region list came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionSource {
    /// The MemoryInfoList stream (VirtualQuery results).
    MemoryInfoList,
    /// The LinuxMaps stream (/proc/pid/maps).
    LinuxMaps,
    /// Neither: built from modules, stacks and captured ranges.
    Synthesized,
    /// An ELF core file's segments and NT_FILE mappings.
    ElfCore,
}

impl RegionSource {
    pub fn name(self) -> &'static str {
        match self {
            RegionSource::MemoryInfoList => "memory_info_list",
            RegionSource::LinuxMaps => "linux_maps",
            RegionSource::Synthesized => "synthesized",
            RegionSource::ElfCore => "elf_core",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SystemInfo {
    pub platform: Platform,
    /// "Windows NT", "Linux", "Mac OS X", ...
    pub os: String,
    /// "6.0.6002 Service Pack 2", "10.0.19045", "Linux 4.4.0-38-generic ...".
    pub os_version: String,
    /// "x86", "amd64", "arm64", ...
    pub cpu: String,
    /// Vendor and model where the dump names them.
    pub cpu_description: String,
    pub processor_count: u32,
    pub pointer_bits: u32,
    /// One past the highest user-mode address.
    pub user_limit_addr: u64,
    /// How the limit was chosen ("x86 process under WOW64: 4 GiB", ...).
    pub user_limit_reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessInfo {
    pub process_id: Option<u32>,
    /// Seconds since the Unix epoch.
    pub create_time_unix: Option<u64>,
    pub user_time_s: Option<u32>,
    pub kernel_time_s: Option<u32>,
    pub command_line: Option<String>,
    /// When the dump was written (header timestamp), seconds since the Unix epoch.
    pub dump_time_unix: u64,
}

/// A file version as four 16-bit parts (VS_FIXEDFILEINFO).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub [u16; 4]);

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

/// Debug identity of a module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DebugInfo {
    /// CodeView RSDS: PDB path, GUID and age.
    Pdb70 { pdb_name: String, guid: String, age: u32 },
    /// CodeView NB10.
    Pdb20 { pdb_name: String, signature: u32, age: u32 },
    /// ELF/Mach-O build id, hex.
    BuildId(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    /// File name without directories ("ntdll.dll").
    pub name: String,
    /// Full path as the dump records it.
    pub path: String,
    pub base_addr: u64,
    pub size_bytes: u64,
    pub timestamp: u32,
    pub checksum: u32,
    pub file_version: Option<Version>,
    pub product_version: Option<Version>,
    pub debug: Option<DebugInfo>,
    /// Breakpad debug id (GUID+age or build id), as symbol servers index it.
    pub debug_id: Option<String>,
}

impl Module {
    pub fn end_addr(&self) -> u64 {
        self.base_addr.saturating_add(self.size_bytes)
    }
    pub fn contains(&self, addr: u64) -> bool {
        addr >= self.base_addr && addr < self.end_addr()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnloadedModule {
    pub name: String,
    pub path: String,
    pub base_addr: u64,
    pub size_bytes: u64,
    pub timestamp: u32,
    pub checksum: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Thread {
    pub id: u32,
    pub name: Option<String>,
    pub crashed: bool,
    pub teb_addr: u64,
    /// The captured stack range [start, end): from about SP to the stack base.
    pub stack_start_addr: u64,
    pub stack_end_addr: u64,
    /// Bytes of the stack range actually present in the file.
    pub stack_captured_bytes: u64,
    pub sp: Option<u64>,
    pub ip: Option<u64>,
    pub suspend_count: u32,
    pub priority: u32,
    /// ThreadInfoList, converted from 100 ns units.
    pub user_time_ms: Option<u64>,
    pub kernel_time_ms: Option<u64>,
    pub create_time_unix: Option<u64>,
    pub start_addr: Option<u64>,
    pub dump_flags: Option<u32>,
    pub exit_status: Option<u32>,
}

/// What an access violation tried to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessKind {
    Read,
    Write,
    Execute,
}

impl AccessKind {
    pub fn name(self) -> &'static str {
        match self {
            AccessKind::Read => "read",
            AccessKind::Write => "write",
            AccessKind::Execute => "execute",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExceptionInfo {
    pub code: u32,
    /// STATUS_ACCESS_VIOLATION, SIGSEGV, EXC_BAD_ACCESS, ...
    pub name: String,
    /// The minidump crate's finer reading (e.g. "EXCEPTION_ACCESS_VIOLATION_WRITE").
    pub detail: String,
    pub flags: u32,
    /// The record's ExceptionAddress: the faulting instruction on Windows; on
    /// Linux and macOS writers store the faulting data address here.
    pub address: u64,
    /// The crashing thread's instruction pointer, from the exception context.
    pub instruction_addr: Option<u64>,
    /// The address the fault was about (the access-violation target, si_addr).
    pub target_addr: Option<u64>,
    pub access: Option<AccessKind>,
    pub parameters: Vec<u64>,
    pub thread_id: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HandleSummary {
    pub total: u64,
    /// Handle type name ("File", "Event", ... or "(unnamed)") -> count.
    pub by_type: BTreeMap<String, u64>,
}

/// A heap named by PEB.ProcessHeaps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heap {
    /// Position in PEB.ProcessHeaps (0 is the process heap).
    pub index: usize,
    pub base_addr: u64,
}

/// How many MemoryInfoList entries have each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryInfoStates {
    pub free: usize,
    pub commit: usize,
    pub reserve: usize,
    pub other: usize,
}

/// A stream present in the file, for the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamEntry {
    pub stream_type: u32,
    pub name: String,
    pub size_bytes: u32,
}

/// Everything memscape read from one dump.
#[derive(Debug)]
pub struct AddressSpace {
    /// The file the dump came from (or a name for an embedded dump).
    pub path: PathBuf,
    pub file_size_bytes: u64,
    pub streams: Vec<StreamEntry>,
    pub system: SystemInfo,
    pub process: ProcessInfo,
    /// Sorted by base address.
    pub modules: Vec<Module>,
    pub unloaded_modules: Vec<UnloadedModule>,
    /// In the dump's order.
    pub threads: Vec<Thread>,
    pub exception: Option<ExceptionInfo>,
    pub handles: Option<HandleSummary>,
    pub peb_addr: Option<u64>,
    pub heaps: Vec<Heap>,
    /// Ordered, non-overlapping, covering 0..system.user_limit_addr with no gaps.
    pub regions: Vec<Region>,
    pub region_source: RegionSource,
    /// Number of entries in the source list (MemoryInfoList or LinuxMaps), 0 when synthesized.
    pub source_entry_count: usize,
    /// The MemoryInfoList's entries by state, as the dump lists them (before any splitting).
    pub memory_info_states: Option<MemoryInfoStates>,
    /// The memory ranges whose bytes the dump holds.
    pub captured: CapturedMemory,
    /// What could not be read, in the order it was met.
    pub warnings: Vec<String>,
    pub(crate) bytes: DumpBytes,
    /// For an ELF core: the minidump view its stacks are walked in (core/view.rs).
    pub(crate) walk_view: Option<DumpBytes>,
}

impl AddressSpace {
    /// Whether the dump file shrank while open (another program truncated or
    /// rewrote it): what it lost reads as zeros from then on; reopen it.
    pub fn file_changed(&self) -> bool {
        self.bytes.changed()
    }

    /// The raw dump bytes (memory-mapped or embedded).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Each captured range of process memory with its bytes, in address order.
    pub fn captured_slices(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        self.captured.slices(&self.bytes)
    }

    /// Reads process memory at `addr` into `buf`; `held[i]` says whether
    /// byte i is in the dump. Returns how many bytes are held.
    pub fn read_memory(&self, addr: u64, buf: &mut [u8], held: &mut [bool]) -> usize {
        self.captured.read_into(&self.bytes, addr, buf, held)
    }

    /// Before a pass over all captured memory: maps the dump's pages in one
    /// go rather than a page fault at a time (a hint; nothing changes if refused).
    pub fn prepare_full_read(&self) {
        if let DumpBytes::Mapped(m) = &self.bytes {
            m.populate();
        }
    }

    /// Hands the dump's pages read so far back to the page cache (see
    /// `MappedFile::release`): opening does once the model is built.
    pub(crate) fn release_read_pages(&self) {
        for bytes in [Some(&self.bytes), self.walk_view.as_ref()].into_iter().flatten() {
            if let DumpBytes::Mapped(m) = bytes {
                m.release();
            }
        }
    }

    /// The minidump the stack walker reads: the dump itself, or a core's view.
    pub fn walk_bytes(&self) -> &[u8] {
        self.walk_view.as_deref().unwrap_or(&self.bytes)
    }

    /// The same dump with its region map replaced by `regions` (which must
    /// cover the same space, ordered and without gaps): a comparison cuts the
    /// map at every boundary of what changed. Everything else is shared or
    /// copied; the bytes stay mapped once.
    pub fn with_regions(&self, regions: Vec<Region>) -> AddressSpace {
        AddressSpace {
            path: self.path.clone(),
            file_size_bytes: self.file_size_bytes,
            streams: self.streams.clone(),
            system: self.system.clone(),
            process: self.process.clone(),
            modules: self.modules.clone(),
            unloaded_modules: self.unloaded_modules.clone(),
            threads: self.threads.clone(),
            exception: self.exception.clone(),
            handles: self.handles.clone(),
            peb_addr: self.peb_addr,
            heaps: self.heaps.clone(),
            regions,
            region_source: self.region_source,
            source_entry_count: self.source_entry_count,
            memory_info_states: self.memory_info_states,
            captured: self.captured.clone(),
            warnings: self.warnings.clone(),
            bytes: self.bytes.clone(),
            walk_view: self.walk_view.clone(),
        }
    }

    /// A dump of nothing but `regions` (64-bit Linux, no bytes): for unit
    /// tests of the layers above, which cannot write a dump file.
    #[cfg(test)]
    pub(crate) fn test_space(regions: Vec<Region>) -> AddressSpace {
        let limit = regions.last().map_or(0, Region::end_addr);
        AddressSpace {
            path: PathBuf::from("test.dmp"),
            file_size_bytes: 0,
            streams: Vec::new(),
            system: SystemInfo {
                platform: Platform::Linux,
                os: "Linux".into(),
                os_version: String::new(),
                cpu: "amd64".into(),
                cpu_description: String::new(),
                processor_count: 1,
                pointer_bits: 64,
                user_limit_addr: limit,
                user_limit_reason: String::new(),
            },
            process: ProcessInfo::default(),
            modules: Vec::new(),
            unloaded_modules: Vec::new(),
            threads: Vec::new(),
            exception: None,
            handles: None,
            peb_addr: None,
            heaps: Vec::new(),
            regions,
            region_source: RegionSource::LinuxMaps,
            source_entry_count: 0,
            memory_info_states: None,
            captured: CapturedMemory::default(),
            warnings: Vec::new(),
            bytes: DumpBytes::Static(&[]),
            walk_view: None,
        }
    }

    /// Index of the region containing `addr`.
    pub fn region_index_at(&self, addr: u64) -> Option<usize> {
        let i = self.regions.partition_point(|r| r.end_addr() <= addr);
        (i < self.regions.len() && self.regions[i].contains(addr)).then_some(i)
    }

    pub fn region_at(&self, addr: u64) -> Option<&Region> {
        self.region_index_at(addr).map(|i| &self.regions[i])
    }

    /// Index of the module containing `addr`.
    pub fn module_index_at(&self, addr: u64) -> Option<usize> {
        let i = self.modules.partition_point(|m| m.base_addr <= addr);
        (i > 0 && self.modules[i - 1].contains(addr)).then(|| i - 1)
    }

    pub fn module_at(&self, addr: u64) -> Option<&Module> {
        self.module_index_at(addr).map(|i| &self.modules[i])
    }

    pub fn crashed_thread(&self) -> Option<&Thread> {
        self.threads.iter().find(|t| t.crashed)
    }

    /// Bytes per kind, every kind present (zero where none).
    pub fn bytes_by_kind(&self) -> BTreeMap<RegionKind, u64> {
        let mut out: BTreeMap<RegionKind, u64> = RegionKind::ALL.iter().map(|k| (*k, 0)).collect();
        for r in &self.regions {
            *out.entry(r.kind).or_default() += r.size_bytes;
        }
        out
    }

    /// Regions per kind.
    pub fn regions_by_kind(&self) -> BTreeMap<RegionKind, usize> {
        // Counted in an array (a map lookup per region costs ~15 ms at 1M).
        let mut counts = [0usize; RegionKind::ALL.len()];
        for r in &self.regions {
            counts[r.kind.index()] += 1;
        }
        RegionKind::ALL.iter().map(|k| (*k, counts[k.index()])).collect()
    }

    /// The largest run of free space (adjacent Free regions merged), as (base, size).
    pub fn largest_free(&self) -> Option<(u64, u64)> {
        let mut best: Option<(u64, u64)> = None;
        let mut run: Option<(u64, u64)> = None;
        for r in &self.regions {
            if r.state == RegionState::Free {
                run = Some(match run {
                    Some((b, s)) if b + s == r.base_addr => (b, s + r.size_bytes),
                    _ => (r.base_addr, r.size_bytes),
                });
                if let Some(cur) = run
                    && best.is_none_or(|(_, bs)| cur.1 > bs)
                {
                    best = Some(cur);
                }
            } else {
                run = None;
            }
        }
        best
    }

    /// Name the region's owner in words.
    pub fn owner_name(&self, region: &Region) -> String {
        use super::region::Owner;
        match &region.owner {
            Owner::None => String::new(),
            Owner::Module(i) => self.modules.get(*i as usize).map(|m| m.name.clone()).unwrap_or_default(),
            Owner::Heap(i) => format!("heap {i}"),
            Owner::Thread(id) => format!("thread {id} (0x{id:x})"),
            Owner::File => region.label.to_string(),
        }
    }
}
