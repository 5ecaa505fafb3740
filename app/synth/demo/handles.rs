//! The demo process's handle table: about three hundred handles of the types a
//! .NET 4 service process on Windows Server 2008 holds (events by the dozen, ETW
//! registrations, keys under HKLM, files on the OS, role and resource volumes,
//! sockets, CLR IPC sections, thread-pool objects), in a shuffled creation order
//! with the gaps closed handles leave.

use crate::synth::handles::HandleFacts;
use crate::synth::rng::SplitMix64;

/// `(type, granted access, handle count, pointer count range)` per object type.
struct Kind {
    type_name: &'static str,
    access: u32,
    pointers: (u64, u64),
}

const fn k(type_name: &'static str, access: u32, pointers: (u64, u64)) -> Kind {
    Kind { type_name, access, pointers }
}

const DIRECTORY: Kind = k("Directory", 0x0003, (40, 160));
const FILE: Kind = k("File", 0x0012_019F, (1, 4));
const FILE_DIR: Kind = k("File", 0x0010_0020, (1, 3));
const KEY: Kind = k("Key", 0x0002_0019, (1, 3));
const KEY_RW: Kind = k("Key", 0x000F_003F, (1, 3));
const EVENT: Kind = k("Event", 0x001F_0003, (1, 4));
const MUTANT: Kind = k("Mutant", 0x001F_0001, (2, 6));
const SECTION: Kind = k("Section", 0x000F_0007, (2, 5));
const SECTION_RO: Kind = k("Section", 0x0000_0004, (1, 3));
const SEMAPHORE: Kind = k("Semaphore", 0x001F_0003, (1, 3));
const ALPC_PORT: Kind = k("ALPC Port", 0x001F_0001, (2, 5));
const WINDOW_STATION: Kind = k("WindowStation", 0x000F_037F, (8, 40));
const DESKTOP: Kind = k("Desktop", 0x000F_01FF, (8, 40));
const IO_COMPLETION: Kind = k("IoCompletion", 0x001F_0003, (2, 6));
const WORKER_FACTORY: Kind = k("TpWorkerFactory", 0x000F_00FF, (3, 6));
const TIMER: Kind = k("Timer", 0x001F_0003, (1, 3));
const KEYED_EVENT: Kind = k("KeyedEvent", 0x000F_0003, (60, 120));
const THREAD: Kind = k("Thread", 0x001F_FFFF, (3, 9));
const PROCESS: Kind = k("Process", 0x0010_1410, (4, 12));
const TOKEN: Kind = k("Token", 0x0000_000E, (2, 6));
const ETW: Kind = k("EtwRegistration", 0x0000_0804, (1, 2));

const OS: &str = r"\Device\HarddiskVolume2";
const ROLE: &str = r"\Device\HarddiskVolume3";
const RES: &str = r"\Device\HarddiskVolume1";
const BNO: &str = r"\BaseNamedObjects";
const HKLM: &str = r"\REGISTRY\MACHINE";

/// An object to open: type name, granted access, pointer-count range, name.
type Object = (&'static str, u32, (u64, u64), Option<String>);

fn named(kind: &Kind, names: &[String]) -> Vec<Object> {
    names.iter().map(|n| (kind.type_name, kind.access, kind.pointers, Some(n.clone()))).collect()
}

fn unnamed(kind: &Kind, count: usize) -> Vec<Object> {
    (0..count).map(|_| (kind.type_name, kind.access, kind.pointers, None)).collect()
}

fn strings(items: &[&str], prefix: &str) -> Vec<String> {
    items.iter().map(|s| format!("{prefix}{s}")).collect()
}

/// The handle table, ordered by handle value.
pub fn handle_table(seed: u64, pid: u32) -> Vec<HandleFacts> {
    let mut rng = SplitMix64::for_name(seed, "handles");
    let dep = "3f5b1d2c8e7a4b60a1d9c2e4f6a8b0c1";
    let mut objects = Vec::new();
    // Early handles, in order: the loader's, then the console-less session's.
    objects.extend(named(&DIRECTORY, &[r"\KnownDlls".to_string()]));
    objects.extend(named(&FILE_DIR, &[format!(r"{ROLE}\approot")]));
    objects.extend(named(&KEYED_EVENT, &[r"\KernelObjects\CritSecOutOfMemoryEvent".to_string()]));
    objects.extend(named(&DIRECTORY, &[BNO.to_string()]));
    objects.extend(named(&WINDOW_STATION, &vec![r"\Windows\WindowStations\Service-0x0-3e7$".to_string(); 2]));
    objects.extend(named(&DESKTOP, &[r"\Default".to_string()]));
    let mut rest = Vec::new();
    rest.extend(named(
        &FILE,
        &[
            format!(r"{OS}\Windows\System32\en-US\kernel32.dll.mui"),
            format!(r"{OS}\Windows\Microsoft.NET\Framework64\v4.0.30319\en-US\mscorrc.dll.mui"),
            format!(r"{OS}\Windows\Microsoft.NET\Framework64\v4.0.30319\Config\machine.config"),
            format!(r"{OS}\Windows\assembly\pubpol3.dat"),
            format!(r"{OS}\Windows\Globalization\Sorting\SortDefault.nls"),
            format!(r"{ROLE}\base\x64\WaWorkerHost.exe.config"),
            format!(r"{ROLE}\approot\TestWAERWorker.dll"),
            format!(r"{ROLE}\approot\Microsoft.WindowsAzure.Diagnostics.dll"),
            format!(r"{ROLE}\approot\Microsoft.WindowsAzure.StorageClient.dll"),
            format!(r"{RES}\Resources\Directory\{dep}.TestWAERWorker.DiagnosticStore\Monitor\Configuration\config.xml"),
            format!(r"{RES}\Resources\Directory\{dep}.TestWAERWorker.DiagnosticStore\Monitor\Tables\Logs.tsf"),
            format!(r"{RES}\Resources\Directory\{dep}.TestWAERWorker.DiagnosticStore\Monitor\Tables\PerfCounters.tsf"),
            format!(r"{RES}\Resources\temp\{dep}.TestWAERWorker\RoleTemp\TestWAER-batch.log"),
            r"\Device\KsecDD".to_string(),
            r"\Device\Nsi".to_string(),
            format!(r"\Device\NamedPipe\WaRuntimeProxy_{pid}"),
            r"\Device\NamedPipe\WindowsAzureGuestAgent".to_string(),
        ],
    ));
    rest.extend(named(
        &FILE_DIR,
        &[format!(
            r"{OS}\Windows\winsxs\amd64_microsoft.vc80.crt_1fc8b3b9a1e18e3b_8.0.50727.4053_none_8a1a02152edb659b"
        )],
    ));
    rest.extend(named(&FILE, &vec![r"\Device\Afd\Endpoint".to_string(); 9]));
    rest.extend(named(
        &KEY,
        &strings(
            &[
                r"\SYSTEM\ControlSet001\Control\Nls\Sorting\Versions",
                r"\SYSTEM\ControlSet001\Control\Session Manager",
                r"\SYSTEM\ControlSet001\Control\Lsa",
                r"\SYSTEM\ControlSet001\Services\WinSock2\Parameters\Protocol_Catalog9",
                r"\SYSTEM\ControlSet001\Services\WinSock2\Parameters\NameSpace_Catalog5",
                r"\SYSTEM\ControlSet001\Services\Tcpip\Parameters",
                r"\SOFTWARE\Microsoft\.NETFramework",
                r"\SOFTWARE\Microsoft\.NETFramework\Policy\Standards",
                r"\SOFTWARE\Microsoft\Fusion",
                r"\SOFTWARE\Microsoft\Fusion\PublisherPolicy\Default",
                r"\SOFTWARE\Microsoft\StrongName",
                r"\SOFTWARE\Microsoft\Ole",
                r"\SOFTWARE\Microsoft\Cryptography",
                r"\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Image File Execution Options",
                r"\SOFTWARE\Microsoft\Windows NT\CurrentVersion\GRE_Initialize",
                r"\SOFTWARE\Microsoft\Windows Azure\RuntimeAgent",
                r"\SOFTWARE\Policies\Microsoft\Windows\Safer\CodeIdentifiers",
                "",
            ],
            HKLM,
        ),
    ));
    rest.extend(named(
        &KEY_RW,
        &[
            r"\REGISTRY\USER\S-1-5-18".to_string(),
            r"\REGISTRY\USER\S-1-5-18\Software\Microsoft\Windows\CurrentVersion\Internet Settings".to_string(),
            format!(r"{HKLM}\SOFTWARE\Microsoft\Windows Azure\Diagnostics\{dep}"),
        ],
    ));
    rest.extend(unnamed(&EVENT, 118));
    rest.extend(named(
        &EVENT,
        &strings(
            &[
                r"\WaWorkerHost_Shutdown_2736",
                r"\TestWAERWorker_IN_0_RoleReady",
                r"\CLR_PerfMon_StartEnumEvent",
                r"\Global\WaRuntimeAgentEvent_2736",
            ],
            BNO,
        ),
    ));
    rest.extend(named(
        &MUTANT,
        &strings(
            &[
                r"\CLR_PerfMon_WrapMutex",
                r"\ZonesCounterMutex",
                r"\ZonesCacheCounterMutex",
                r"\ZonesLockedCacheCounterMutex",
                r"\.NET CLR Data_Perf_Library_Lock_PID_ab0",
                r"\.NET CLR Networking_Perf_Library_Lock_PID_ab0",
            ],
            BNO,
        ),
    ));
    rest.extend(unnamed(&MUTANT, 2));
    rest.extend(named(
        &SECTION,
        &strings(
            &[r"\Cor_Private_IPCBlock_v4_2736", r"\Cor_SxSPublic_IPCBlock", r"\windows_shell_global_counters"],
            BNO,
        ),
    ));
    rest.extend(named(&SECTION_RO, &strings(&[r"\__ComCatalogCache__"], BNO)));
    rest.extend(unnamed(&SECTION, 4));
    rest.extend(unnamed(&SEMAPHORE, 12));
    rest.extend(named(&SEMAPHORE, &strings(&[r"\shell.{A48F1A32-A340-11D1-BC6B-00A0C90312E1}"], BNO)));
    rest.extend(unnamed(&ALPC_PORT, 5));
    rest.extend(unnamed(&IO_COMPLETION, 5));
    rest.extend(unnamed(&WORKER_FACTORY, 2));
    rest.extend(unnamed(&TIMER, 8));
    rest.extend(unnamed(&THREAD, 24));
    rest.extend(unnamed(&PROCESS, 2));
    rest.extend(unnamed(&TOKEN, 3));
    rest.extend(unnamed(&ETW, 46));
    // Fisher-Yates with the scenario's generator: a stable "creation order".
    for i in (1..rest.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        rest.swap(i, j);
    }
    objects.extend(rest);

    let mut handle = 0u64;
    objects
        .into_iter()
        .map(|(type_name, access, pointers, object_name)| {
            handle += 4;
            if rng.chance(9) {
                handle += 4 * rng.range(1, 6); // closed handles leave holes
            }
            let handle_count = if object_name.is_some() { 1 + rng.below(3) as u32 } else { 1 };
            HandleFacts {
                handle,
                type_name,
                object_name,
                attributes: 0,
                granted_access: access,
                handle_count,
                pointer_count: handle_count + rng.range(pointers.0, pointers.1 + 1) as u32,
            }
        })
        .collect()
}

/// Handle values of one type, for locals and registers that hold them.
pub fn handles_of(table: &[HandleFacts], type_name: &str) -> Vec<u64> {
    table.iter().filter(|h| h.type_name == type_name).map(|h| h.handle).collect()
}
