//! The loaded and unloaded modules of the demo process, in load order: the Azure
//! role host (WaWorkerHost.exe, WaRuntimeProxy.dll), Windows Server 2008 SP2
//! system DLLs, the .NET 4 runtime (clr.dll 4.0.30319.235, the MS11-028 build)
//! with its NGEN images, the Azure SDK 1.4 assemblies and the role's own
//! IL-only TestWAERWorker.dll, whose C# the JIT compiled into the CLR's code heap
//! (where the crash happens: managed code never runs from the assembly's image).

use crate::synth::module::{ModuleFacts, PdbId};
use crate::synth::pe::{ImageKind, ImageSpec};
use crate::synth::rng::SplitMix64;

/// Where the loader put a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// At this base (the EXE, and the system DLLs mapped below 4 GiB on x64 Vista).
    Fixed(u64),
    /// Packed top-down in the ASLR image area below 0x7FF`00000000.
    High,
    /// Mapped bottom-up among the low private allocations (IL-only assemblies).
    Low,
}

/// One module of the scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModuleDef {
    /// File name.
    pub file: &'static str,
    /// Directory (with trailing backslash).
    pub dir: &'static str,
    /// Approximate `SizeOfImage` (rounded by the section layout).
    pub size: u32,
    /// File version.
    pub version: [u16; 4],
    /// Product version.
    pub product: [u16; 4],
    /// Link timestamp.
    pub timestamp: u32,
    /// Kind of image.
    pub kind: ImageKind,
    /// PDB name in the CodeView record.
    pub pdb: &'static str,
    /// Where it is mapped.
    pub at: Placement,
}

const SYS32: &str = r"D:\Windows\system32\";
const FW64: &str = r"D:\Windows\Microsoft.NET\Framework64\v4.0.30319\";
const BASE: &str = r"E:\base\x64\";
const APPROOT: &str = r"E:\approot\";

const fn os(rev: u16) -> [u16; 4] {
    [6, 0, 6002, rev]
}
const NET: [u16; 4] = [4, 0, 30319, 235];
const NET_RTM: [u16; 4] = [4, 0, 30319, 1];
const AZURE: [u16; 4] = [1, 4, 20407, 2049];

use ImageKind::{IlOnlyDll, IlOnlyExe, NativeDll, NativeImage};
use Placement::{Fixed, High, Low};

/// Base of WaWorkerHost.exe (ASLR places 64-bit EXEs just below 4 GiB).
pub const EXE_BASE: u64 = 0x0000_0000_FF8A_0000;

/// Every loaded module, in load order (the order of the module list).
pub const MODULES: &[ModuleDef] = &[
    m("WaWorkerHost.exe", BASE, 0x1E000, AZURE, AZURE, 0x4D9A_A5C1, IlOnlyExe, "WaWorkerHost.pdb", Fixed(EXE_BASE)),
    m("ntdll.dll", SYS32, 0x1A9000, os(18446), os(18446), 0x4DCD_9861, NativeDll, "ntdll.pdb", Fixed(0x7780_0000)),
    m(
        "kernel32.dll",
        SYS32,
        0x12C000,
        os(18449),
        os(18449),
        0x4DCD_9872,
        NativeDll,
        "kernel32.pdb",
        Fixed(0x776D_0000),
    ),
    m("mscoree.dll", SYS32, 0x6D000, NET_RTM, NET_RTM, 0x4BA2_1EEB, NativeDll, "mscoree.pdb", High),
    m("ADVAPI32.dll", SYS32, 0x10B000, os(18005), os(18005), 0x49E0_41F3, NativeDll, "advapi32.pdb", High),
    m("RPCRT4.dll", SYS32, 0x133000, os(18358), os(18358), 0x4C98_7E8D, NativeDll, "rpcrt4.pdb", High),
    m("mscoreei.dll", FW64, 0x9C000, NET_RTM, NET_RTM, 0x4BA2_1EB9, NativeDll, "mscoreei.pdb", High),
    m("SHLWAPI.dll", SYS32, 0x74000, os(18005), os(18005), 0x49E0_4249, NativeDll, "shlwapi.pdb", High),
    m("GDI32.dll", SYS32, 0x67000, os(18275), os(18275), 0x4BB7_2A1C, NativeDll, "gdi32.pdb", High),
    m("USER32.dll", SYS32, 0xFD000, os(18005), os(18005), 0x49E0_4226, NativeDll, "user32.pdb", Fixed(0x775D_0000)),
    m(
        "msvcrt.dll",
        SYS32,
        0xA3000,
        [7, 0, 6002, 18005],
        [7, 0, 6002, 18005],
        0x49E0_4225,
        NativeDll,
        "msvcrt.pdb",
        High,
    ),
    m("LPK.dll", SYS32, 0xE000, os(18051), os(18051), 0x4A27_C8B5, NativeDll, "lpk.pdb", High),
    m(
        "USP10.dll",
        SYS32,
        0xCA000,
        [1, 626, 6002, 18244],
        [1, 626, 6002, 18244],
        0x4B2A_3F6E,
        NativeDll,
        "usp10.pdb",
        High,
    ),
    m("IMM32.DLL", SYS32, 0x2E000, os(18005), os(18005), 0x49E0_4233, NativeDll, "imm32.pdb", High),
    m("MSCTF.dll", SYS32, 0x108000, os(18005), os(18005), 0x49E0_4239, NativeDll, "msctf.pdb", High),
    m("clr.dll", FW64, 0x9A6000, NET, NET, 0x4D8D_4C3E, NativeDll, "clr.pdb", High),
    m(
        "MSVCR100_CLR0400.dll",
        SYS32,
        0xD2000,
        [10, 0, 30319, 1],
        [10, 0, 30319, 1],
        0x4BA2_1AB3,
        NativeDll,
        "msvcr100_clr0400.amd64.pdb",
        High,
    ),
    m(
        "mscorlib.ni.dll",
        r"D:\Windows\assembly\NativeImages_v4.0.30319_64\mscorlib\e1a8f3d7c9b0a4c1d2e3f4a5b6c7d8e9\",
        0x1ACF000,
        NET,
        NET,
        0x4D8D_5F21,
        NativeImage,
        "mscorlib.ni.pdb",
        High,
    ),
    m("ole32.dll", SYS32, 0x203000, os(18277), os(18277), 0x4BBD_6F61, NativeDll, "ole32.pdb", High),
    m(
        "OLEAUT32.dll",
        SYS32,
        0xDB000,
        [6, 0, 6002, 18005],
        [6, 0, 6002, 18005],
        0x49E0_4236,
        NativeDll,
        "oleaut32.pdb",
        High,
    ),
    m("nlssorting.dll", FW64, 0x18000, NET_RTM, NET_RTM, 0x4BA2_1C4F, NativeDll, "nlssorting.pdb", High),
    m("clrjit.dll", FW64, 0x18F000, NET, NET, 0x4D8D_4C8A, NativeDll, "clrjit.pdb", High),
    m(
        "System.ni.dll",
        r"D:\Windows\assembly\NativeImages_v4.0.30319_64\System\3c2b9d0e5f6a7b8c9d0e1f2a3b4c5d6e\",
        0xFD6000,
        NET,
        NET,
        0x4D8D_6004,
        NativeImage,
        "System.ni.pdb",
        High,
    ),
    m(
        "System.Core.ni.dll",
        r"D:\Windows\assembly\NativeImages_v4.0.30319_64\System.Core\7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d\",
        0xB9A000,
        NET_RTM,
        NET_RTM,
        0x4D8D_6077,
        NativeImage,
        "System.Core.ni.pdb",
        High,
    ),
    m(
        "System.Configuration.ni.dll",
        r"D:\Windows\assembly\NativeImages_v4.0.30319_64\System.Configuration\0f1e2d3c4b5a69788796a5b4c3d2e1f0\",
        0x1BC000,
        NET_RTM,
        NET_RTM,
        0x4D8D_60A9,
        NativeImage,
        "System.Configuration.ni.pdb",
        High,
    ),
    m(
        "System.Xml.ni.dll",
        r"D:\Windows\assembly\NativeImages_v4.0.30319_64\System.Xml\5d4c3b2a19087f6e5d4c3b2a1908f7e6\",
        0xC9A000,
        NET_RTM,
        NET_RTM,
        0x4D8D_60D2,
        NativeImage,
        "System.Xml.ni.pdb",
        High,
    ),
    m(
        "Microsoft.WindowsAzure.ServiceRuntime.dll",
        r"D:\Windows\assembly\GAC_MSIL\Microsoft.WindowsAzure.ServiceRuntime\1.0.0.0__31bf3856ad364e35\",
        0x32000,
        AZURE,
        AZURE,
        0x4D9A_A5B2,
        IlOnlyDll,
        "Microsoft.WindowsAzure.ServiceRuntime.pdb",
        Low,
    ),
    m("WaRuntimeProxy.dll", BASE, 0x4C000, AZURE, AZURE, 0x4D9A_A4E0, NativeDll, "WaRuntimeProxy.pdb", High),
    m(
        "MSVCR80.dll",
        r"D:\Windows\WinSxS\amd64_microsoft.vc80.crt_1fc8b3b9a1e18e3b_8.0.50727.4053_none_8a1a02152edb659b\",
        0xC9000,
        [8, 0, 50727, 4053],
        [8, 0, 50727, 4053],
        0x4A59_4C79,
        NativeDll,
        "msvcr80.amd64.pdb",
        High,
    ),
    m("WS2_32.dll", SYS32, 0x4A000, os(18005), os(18005), 0x49E0_4268, NativeDll, "ws2_32.pdb", High),
    m("NSI.dll", SYS32, 0xC000, [6, 0, 6001, 18000], [6, 0, 6001, 18000], 0x4791_ACF5, NativeDll, "nsi.pdb", High),
    m("mswsock.dll", SYS32, 0x55000, os(18005), os(18005), 0x49E0_4233, NativeDll, "mswsock.pdb", High),
    m("VERSION.dll", SYS32, 0xC000, os(18005), os(18005), 0x49E0_426B, NativeDll, "version.pdb", High),
    m(
        "Microsoft.WindowsAzure.Diagnostics.dll",
        APPROOT,
        0x5E000,
        AZURE,
        AZURE,
        0x4D9A_A5BA,
        IlOnlyDll,
        "Microsoft.WindowsAzure.Diagnostics.pdb",
        Low,
    ),
    m(
        "Microsoft.WindowsAzure.StorageClient.dll",
        APPROOT,
        0x8C000,
        AZURE,
        AZURE,
        0x4D9A_A5BE,
        IlOnlyDll,
        "Microsoft.WindowsAzure.StorageClient.pdb",
        Low,
    ),
    m(
        "TestWAERWorker.dll",
        APPROOT,
        0x8000,
        [1, 0, 0, 0],
        [1, 0, 0, 0],
        0x4DF9_E38A,
        IlOnlyDll,
        r"c:\src\TestWAER\TestWAERWorker\obj\Release\TestWAERWorker.pdb",
        Low,
    ),
];

/// Modules loaded and unloaded again before the crash (name, size, timestamp).
pub const UNLOADED: &[(&str, u32, u32)] = &[("sxs.dll", 0x9F000, 0x49E0_4252), ("WSHTCPIP.DLL", 0x8000, 0x49E0_426F)];

/// The PDB identity (CodeView GUID and age) of module `file`, derived from its name.
pub fn pdb_id(seed: u64, file: &str) -> PdbId {
    let mut rng = SplitMix64::for_name(seed, file);
    let mut data4 = [0u8; 8];
    for b in &mut data4 {
        *b = rng.below(256) as u8;
    }
    PdbId {
        data1: rng.next_u32(),
        data2: rng.below(0x1_0000) as u16,
        data3: 0x4000 | rng.below(0x1000) as u16,
        data4,
        age: 1 + rng.below(3) as u32,
    }
}

#[allow(clippy::too_many_arguments)]
const fn m(
    file: &'static str,
    dir: &'static str,
    size: u32,
    version: [u16; 4],
    product: [u16; 4],
    timestamp: u32,
    kind: ImageKind,
    pdb: &'static str,
    at: Placement,
) -> ModuleDef {
    ModuleDef { file, dir, size, version, product, timestamp, kind, pdb, at }
}

/// A module once its base is known: the image layout and the module-list facts.
#[derive(Debug, Clone)]
pub struct LoadedModule {
    /// The table entry.
    pub def: &'static ModuleDef,
    /// Its sections and header.
    pub image: ImageSpec,
}

impl LoadedModule {
    /// Lay out `def` at `base`.
    pub fn new(def: &'static ModuleDef, base: u64, rng: &mut SplitMix64) -> Self {
        let checksum = if matches!(def.kind, IlOnlyDll | IlOnlyExe) {
            0 // csc does not set a checksum
        } else {
            def.size - def.size / 9 + rng.below(0x1_0000) as u32
        };
        let image = ImageSpec::new(def.file, base, def.size, def.timestamp, checksum, def.kind, rng);
        Self { def, image }
    }

    /// The module-list facts, with a PDB identity derived from the file name.
    pub fn facts(&self, seed: u64) -> ModuleFacts {
        let pdb_id = pdb_id(seed, self.def.file);
        ModuleFacts {
            path: format!("{}{}", self.def.dir, self.def.file),
            base: self.image.base,
            size: self.image.size_of_image,
            checksum: self.image.checksum,
            timestamp: self.def.timestamp,
            file_version: self.def.version,
            product_version: self.def.product,
            is_dll: !matches!(self.def.kind, IlOnlyExe),
            pdb_name: self.def.pdb.to_string(),
            pdb_id,
        }
    }
}
