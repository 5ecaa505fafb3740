//! Who the big process is: a Windows 10 22H2 (19045) x64 desktop application,
//! ContosoStudio.exe, on an 8-core Intel machine; its process id, start and
//! dump times, command line and environment, and the structures that follow
//! from the plan (PEB, TEBs, heap headers, KUSER_SHARED_DATA).

use super::heap_plan::HeapPlan;
use super::plan::{HEAP_LIST_OFFSET, PARAMETERS_OFFSET, Plan};
use crate::synth::heap::HeapFacts;
use crate::synth::kuser::KuserFacts;
use crate::synth::peb::{PebFacts, ProcessParameters};
use crate::synth::rng::SplitMix64;
use crate::synth::sysinfo::SystemFacts;
use crate::synth::teb::TebFacts;
use crate::synth::winnt::{PROCESSOR_ARCHITECTURE_AMD64, VER_PLATFORM_WIN32_NT, filetime_from_unix};

/// Process start: 2023-11-14 08:20:00 UTC.
pub const PROCESS_CREATE_UNIX: u64 = 1_699_950_000;
/// The dump: 6 h 47 min later.
pub const DUMP_UNIX: u64 = PROCESS_CREATE_UNIX + 6 * 3600 + 47 * 60 + 13;
/// Logical processors.
pub const PROCESSORS: u8 = 8;
/// Every thread's affinity.
pub const AFFINITY: u64 = (1 << PROCESSORS) - 1;
/// `VER_NT_WORKSTATION`.
const VER_NT_WORKSTATION: u8 = 1;
/// `VER_SUITE_SINGLEUSERTS`.
const VER_SUITE_SINGLEUSERTS: u16 = 0x0100;

/// The process id for `seed`.
pub fn pid(seed: u64) -> u32 {
    0x1000 + SplitMix64::for_name(seed, "big pid").below(0x3C00) as u32 * 4
}

/// Windows 10 22H2 on an Intel Core (Coffee Lake, family 6 model 158).
pub fn system_facts() -> SystemFacts {
    SystemFacts {
        processor_architecture: PROCESSOR_ARCHITECTURE_AMD64,
        processor_level: 6,
        processor_revision: 0x9E0A,
        number_of_processors: PROCESSORS,
        product_type: VER_NT_WORKSTATION,
        version: (10, 0, 19045),
        platform_id: VER_PLATFORM_WIN32_NT,
        suite_mask: VER_SUITE_SINGLEUSERTS,
        csd_version: String::new(),
        vendor: *b"GenuineIntel",
        version_information: 0x0009_06EA,
        feature_information: 0xBFEB_FBFF,
        amd_extended_cpu_features: 0,
    }
}

/// Image path, command line and environment.
pub fn process_parameters() -> ProcessParameters {
    let exe = format!("{}{}", super::names::APP_DIR, super::names::EXE_NAME);
    ProcessParameters {
        current_directory: r"C:\Users\dana\Documents\Projects\".to_string(),
        dll_path: String::new(),
        image_path: exe.clone(),
        command_line: format!(r#""{exe}" --open "C:\Users\dana\Documents\Projects\city-model.cstudio""#),
        window_title: exe,
        desktop: r"Winsta0\Default".to_string(),
        environment: [
            r"ALLUSERSPROFILE=C:\ProgramData",
            r"APPDATA=C:\Users\dana\AppData\Roaming",
            r"COMPUTERNAME=DANA-WS",
            r"ComSpec=C:\Windows\system32\cmd.exe",
            r"LOCALAPPDATA=C:\Users\dana\AppData\Local",
            r"NUMBER_OF_PROCESSORS=8",
            r"OS=Windows_NT",
            r"Path=C:\Windows\system32;C:\Windows;C:\Windows\System32\Wbem;C:\Program Files\Contoso\Studio",
            r"PROCESSOR_ARCHITECTURE=AMD64",
            r"PROCESSOR_IDENTIFIER=Intel64 Family 6 Model 158 Stepping 10, GenuineIntel",
            r"SystemDrive=C:",
            r"SystemRoot=C:\Windows",
            r"TEMP=C:\Users\dana\AppData\Local\Temp",
            r"TMP=C:\Users\dana\AppData\Local\Temp",
            r"USERNAME=dana",
            r"USERPROFILE=C:\Users\dana",
            r"windir=C:\Windows",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    }
}

/// `PEB.MaximumNumberOfHeaps` for `heaps` heaps.
pub fn heap_list_capacity(heaps: usize) -> usize {
    heaps.next_power_of_two().max(16)
}

/// The PEB of the planned process.
pub fn peb_facts(plan: &Plan) -> PebFacts {
    let sk = &plan.skeleton;
    let heap0 = sk.heaps.first().map_or(0, |h| h.base);
    // PebLdr, the PEB locks and TlsBitMap sit in ntdll's .data.
    let ntdll_data =
        sk.modules.get(1).and_then(|m| m.image.section(".data").map(|s| m.image.base + u64::from(s.rva))).unwrap_or(0);
    PebFacts {
        image_base: sk.modules.first().map_or(0, |m| m.image.base),
        ldr: ntdll_data + 0x2C0,
        process_parameters: heap0 + PARAMETERS_OFFSET,
        process_heap: heap0,
        locks: (ntdll_data + 0x340, ntdll_data + 0x380),
        tls_bitmap: ntdll_data + 0x3C0,
        read_only_shared_memory: sk.read_only_shared,
        number_of_processors: u32::from(PROCESSORS),
        number_of_heaps: sk.heaps.len() as u32,
        maximum_number_of_heaps: heap_list_capacity(sk.heaps.len()) as u32,
        process_heaps: heap0 + HEAP_LIST_OFFSET,
        os: (10, 0, 19045, 0),
        subsystem: (3, 6, 0),
        affinity: AFFINITY,
        session_id: 1,
    }
}

/// Thread `index`'s TEB.
pub fn teb_facts(plan: &Plan, index: usize, seed: u64) -> Option<TebFacts> {
    let t = plan.skeleton.threads.get(index)?;
    let heap0 = plan.skeleton.heaps.first().map_or(0, |h| h.base);
    let mut rng = SplitMix64::new(seed ^ u64::from(t.tid).rotate_left(29));
    Some(TebFacts {
        teb: t.teb,
        stack_base: t.stack_base(),
        stack_limit: t.stack_limit(),
        deallocation_stack: t.alloc_base,
        pid: pid(seed),
        tid: t.tid,
        peb: plan.skeleton.peb,
        tls_pointer: heap0 + 0x6000 + 0x40 * index as u64,
        last_error: [0, 0, 0, 0x3E5, 0x102, 0x2, 0x7A][rng.below(7) as usize],
        last_status: 0,
    })
}

/// Heap `h`'s header facts.
pub fn heap_facts(h: &HeapPlan) -> HeapFacts {
    HeapFacts {
        base: h.base,
        reserved_bytes: h.reserved_bytes,
        committed_bytes: h.committed_bytes,
        flags: h.flags,
        extra_segments: h.segments.iter().map(|s| s.0).collect(),
        keys: h.keys,
    }
}

/// KUSER_SHARED_DATA at dump time (the machine up for 2 days 5 hours).
pub fn kuser_facts() -> KuserFacts {
    KuserFacts {
        system_time: filetime_from_unix(DUMP_UNIX, 0),
        interrupt_time: (2 * 86_400 + 5 * 3_600 + 611) * 10_000_000,
        system_root: r"C:\Windows".to_string(),
        product_type: u32::from(VER_NT_WORKSTATION),
        version: (10, 0),
        physical_pages: 0x003F_E3A1,
    }
}
