//! Names of the big process's images: the executable, the Windows 10 system
//! DLLs a large desktop application loads (in a plausible load order), and as
//! many application DLLs as asked for, spelled like a vendor's product DLLs.

/// The executable's file name.
pub const EXE_NAME: &str = "ContosoStudio.exe";
/// Where the application's files live.
pub const APP_DIR: &str = r"C:\Program Files\Contoso\Studio\";
/// Where the system DLLs live.
pub const SYSTEM_DIR: &str = r"C:\Windows\System32\";
/// Where the build machine wrote the application's PDBs.
pub const PDB_DIR: &str = r"D:\a\_work\1\s\out\x64\Release\";

/// System DLLs, ntdll first, then roughly the order a big GUI process loads them.
pub const SYSTEM_DLLS: &[&str] = &[
    "ntdll.dll",
    "KERNEL32.DLL",
    "KERNELBASE.dll",
    "ucrtbase.dll",
    "msvcp_win.dll",
    "USER32.dll",
    "win32u.dll",
    "GDI32.dll",
    "gdi32full.dll",
    "ADVAPI32.dll",
    "msvcrt.dll",
    "sechost.dll",
    "RPCRT4.dll",
    "combase.dll",
    "ole32.dll",
    "OLEAUT32.dll",
    "SHELL32.dll",
    "SHLWAPI.dll",
    "IMM32.DLL",
    "bcryptPrimitives.dll",
    "WS2_32.dll",
    "CRYPT32.dll",
    "bcrypt.dll",
    "VCRUNTIME140.dll",
    "VCRUNTIME140_1.dll",
    "MSVCP140.dll",
    "dbghelp.dll",
    "dbgcore.DLL",
    "VERSION.dll",
    "WINMM.dll",
    "IPHLPAPI.DLL",
    "dwmapi.dll",
    "UxTheme.dll",
    "kernel.appcore.dll",
    "windows.storage.dll",
    "wintypes.dll",
    "SHCORE.dll",
    "powrprof.dll",
    "UMPDC.dll",
    "profapi.dll",
    "CRYPTBASE.DLL",
    "CRYPTSP.dll",
    "rsaenh.dll",
    "MSASN1.dll",
    "NSI.dll",
    "dhcpcsvc.DLL",
    "dhcpcsvc6.DLL",
    "DNSAPI.dll",
    "mswsock.dll",
    "rasadhlp.dll",
    "fwpuclnt.dll",
    "WINHTTP.dll",
    "WININET.dll",
    "iertutil.dll",
    "urlmon.dll",
    "netutils.dll",
    "SSPICLI.DLL",
    "schannel.DLL",
    "ncrypt.dll",
    "NTASN1.dll",
    "mskeyprotect.dll",
    "ncryptsslp.dll",
    "gpapi.dll",
    "cryptnet.dll",
    "WINTRUST.dll",
    "imagehlp.dll",
    "SETUPAPI.dll",
    "cfgmgr32.dll",
    "DEVOBJ.dll",
    "HID.DLL",
    "d3d11.dll",
    "dxgi.dll",
    "d3d12.dll",
    "D3DCOMPILER_47.dll",
    "d3d10warp.dll",
    "nvldumdx.dll",
    "nvwgf2umx.dll",
    "dcomp.dll",
    "DWrite.dll",
    "d2d1.dll",
    "WindowsCodecs.dll",
    "TextShaping.dll",
    "TextInputFramework.dll",
    "CoreMessaging.dll",
    "CoreUIComponents.dll",
    "ntmarta.dll",
    "clbcatq.dll",
    "MMDevAPI.DLL",
    "AUDIOSES.DLL",
    "avrt.dll",
    "resourcepolicyclient.dll",
    "Windows.UI.dll",
    "twinapi.appcore.dll",
    "msctf.dll",
    "oleacc.dll",
    "COMCTL32.dll",
    "comdlg32.dll",
    "PROPSYS.dll",
    "edputil.dll",
    "Windows.StateRepositoryPS.dll",
    "dataexchange.dll",
    "OneCoreUAPCommonProxyStub.dll",
    "explorerframe.dll",
    "thumbcache.dll",
    "policymanager.dll",
    "msvcp110_win.dll",
    "WLDP.DLL",
    "amsi.dll",
    "MpOav.dll",
    "userenv.dll",
    "wldap32.dll",
    "secur32.dll",
    "credui.dll",
    "netapi32.dll",
    "srvcli.dll",
    "wkscli.dll",
    "samcli.dll",
    "logoncli.dll",
    "mpr.dll",
    "drprov.dll",
    "ntlanman.dll",
    "davclnt.dll",
    "davhlpr.dll",
    "cscapi.dll",
    "Windows.FileExplorer.Common.dll",
    "StructuredQuery.dll",
    "mssprxy.dll",
    "winsta.dll",
    "wtsapi32.dll",
    "dsreg.dll",
    "msimg32.dll",
    "opengl32.dll",
    "GLU32.dll",
    "mfplat.dll",
    "RTWorkQ.DLL",
    "mf.dll",
    "MFReadWrite.dll",
    "ksuser.dll",
    "msdmo.dll",
];

const VENDORS: &[&str] =
    &["Contoso", "Fabrikam", "Northwind", "Litware", "Tailspin", "Woodgrove", "Proseware", "Wingtip"];
const PARTS: &[&str] = &[
    "Core",
    "Render",
    "Storage",
    "Net",
    "Codec",
    "Audio",
    "Ui",
    "Sync",
    "Telemetry",
    "Crypto",
    "Db",
    "Search",
    "Script",
    "Jobs",
    "Cache",
    "Layout",
    "Fonts",
    "Spell",
    "Print",
    "Import",
    "Export",
    "Geometry",
    "Physics",
    "Vision",
];
const FLAVOURS: &[&str] = &["", "64", "Host", "Interop", "Native", "Ex"];

/// The name of application DLL number `i` (distinct for every `i` below 1,152).
pub fn app_dll(i: usize) -> String {
    let total = VENDORS.len() * PARTS.len() * FLAVOURS.len();
    // A stride coprime to the total spreads neighbours over vendors and parts.
    let k = (i * 379) % total;
    let vendor = VENDORS[k % VENDORS.len()];
    let part = PARTS[(k / VENDORS.len()) % PARTS.len()];
    let flavour = FLAVOURS[k / (VENDORS.len() * PARTS.len())];
    if i >= total {
        format!("{vendor}{part}{flavour}{}.dll", i / total + 1)
    } else {
        format!("{vendor}{part}{flavour}.dll")
    }
}

/// How many of `dlls` DLLs are system DLLs: about two in five, never fewer
/// than the three every process has (when there is room for them).
pub fn system_dll_count(dlls: usize) -> usize {
    (dlls * 2 / 5).max(dlls.min(3)).min(SYSTEM_DLLS.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct() {
        let mut all: Vec<String> = SYSTEM_DLLS.iter().map(|s| s.to_ascii_lowercase()).collect();
        all.extend((0..1000).map(|i| app_dll(i).to_ascii_lowercase()));
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn system_share() {
        assert_eq!(system_dll_count(1), 1);
        assert_eq!(system_dll_count(2), 2);
        assert_eq!(system_dll_count(5), 3);
        assert_eq!(system_dll_count(30), 12);
        assert_eq!(system_dll_count(1000), SYSTEM_DLLS.len());
    }
}
