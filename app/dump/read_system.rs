//! SystemInfo: OS, version, CPU and pointer width; and the user address-space
//! limit that the region map must cover.

use minidump::MinidumpSystemInfo;
use minidump::system_info::{Cpu, Os};

use super::model::{Platform, SystemInfo};

const GIB: u64 = 1 << 30;
const TIB: u64 = 1 << 40;

/// Reads the parts of SystemInfo that need nothing else. The limit is filled
/// in later by [`user_limit`], once modules and regions are known.
pub(crate) fn read_system(info: Option<&MinidumpSystemInfo>, warnings: &mut Vec<String>) -> SystemInfo {
    let Some(info) = info else {
        warnings.push("SystemInfo stream missing or unreadable: OS and CPU unknown".into());
        return SystemInfo {
            platform: Platform::Other,
            os: "unknown".into(),
            os_version: String::new(),
            cpu: "unknown".into(),
            cpu_description: String::new(),
            processor_count: 0,
            pointer_bits: 0,
            user_limit_addr: 0,
            user_limit_reason: String::new(),
        };
    };
    let platform = match info.os {
        Os::Windows => Platform::Windows,
        Os::Linux | Os::Android => Platform::Linux,
        Os::MacOs | Os::Ios => Platform::MacOs,
        _ => Platform::Other,
    };
    let (_, build) = info.os_parts();
    let raw = &info.raw;
    let os_version = match platform {
        // Linux and macOS writers put the kernel/build string in the CSD
        // version. Windows and Linux show it whole after the numbers (Linux:
        // "Linux 4.4.0-38-generic #57-Ubuntu SMP ... x86_64", uname's release,
        // version and machine, as minidump-stackwalk prints it); macOS shows
        // its build number only.
        Platform::Windows | Platform::Linux => {
            let mut v = format!("{}.{}.{}", raw.major_version, raw.minor_version, raw.build_number);
            if let Some(csd) = info.csd_version().filter(|c| !c.is_empty()) {
                v.push(' ');
                v.push_str(&csd);
            }
            v
        }
        _ => match build {
            Some(b) if !b.is_empty() => format!("{}.{}.{} {b}", raw.major_version, raw.minor_version, raw.build_number),
            _ => format!("{}.{}.{}", raw.major_version, raw.minor_version, raw.build_number),
        },
    };
    let pointer_bits = match info.cpu.pointer_width() {
        minidump::system_info::PointerWidth::Bits32 => 32,
        minidump::system_info::PointerWidth::Bits64 => 64,
        minidump::system_info::PointerWidth::Unknown => 0,
    };
    SystemInfo {
        platform,
        os: info.os.long_name().into_owned(),
        os_version,
        cpu: info.cpu.to_string(),
        cpu_description: info.cpu_info().map(|c| c.into_owned()).unwrap_or_default(),
        processor_count: u32::from(raw.number_of_processors),
        pointer_bits,
        user_limit_addr: 0,
        user_limit_reason: String::new(),
    }
}

/// What else the limit depends on.
pub(crate) struct LimitHints {
    pub cpu: Option<Cpu>,
    /// The highest user-mode end address any stream mentions.
    pub highest_end_addr: u64,
    /// A 32-bit process on a 64-bit Windows (wow64*.dll loaded).
    pub wow64: bool,
    /// The main executable's IMAGE_FILE_LARGE_ADDRESS_AWARE flag, when its header is captured.
    pub large_address_aware: Option<bool>,
    /// Windows major.minor as one number (6.3 -> 603).
    pub windows_version: u32,
    /// Linux uname says the kernel is 64-bit.
    pub kernel_64bit: bool,
}

/// One past the highest user address, and why.
pub(crate) fn user_limit(platform: Platform, pointer_bits: u32, h: &LimitHints) -> (u64, String) {
    let (limit, reason): (u64, String) = match (platform, pointer_bits) {
        (Platform::Windows, 32) => {
            if h.wow64
                && h.large_address_aware != Some(false)
                && (h.large_address_aware == Some(true) || h.highest_end_addr > 2 * GIB)
            {
                (4 * GIB, "x86 process under WOW64, large-address-aware: 4 GiB".into())
            } else if h.highest_end_addr > 2 * GIB {
                (3 * GIB, "x86, large-address-aware with /3GB: 3 GiB".into())
            } else {
                (2 * GIB, "x86: 2 GiB".into())
            }
        }
        (Platform::Windows, 64) if h.windows_version < 603 && h.highest_end_addr <= 8 * TIB => {
            (8 * TIB, "64-bit Windows before 8.1: 8 TiB".into())
        }
        (Platform::Windows, 64) => (128 * TIB, "64-bit Windows 8.1 and later: 128 TiB".into()),
        (Platform::Linux, 32) if h.kernel_64bit || h.highest_end_addr > 3 * GIB => {
            (4 * GIB - 0x2000, "32-bit process on a 64-bit Linux kernel: 4 GiB less 8 KiB".into())
        }
        (Platform::Linux, 32) => (3 * GIB, "32-bit Linux: 3 GiB".into()),
        (Platform::Linux, 64) if h.cpu == Some(Cpu::Arm64) => (256 * TIB, "arm64 Linux, 48-bit: 256 TiB".into()),
        (Platform::Linux, 64) => (128 * TIB - 0x1000, "x86-64 Linux, 47-bit: 128 TiB less a page".into()),
        (Platform::MacOs, 64) => (128 * TIB, "64-bit macOS, 47-bit: 128 TiB".into()),
        (_, 32) => (4 * GIB, "32-bit: 4 GiB".into()),
        _ => (128 * TIB, "64-bit: 128 TiB".into()),
    };
    if h.highest_end_addr > limit {
        // The dump shows user memory above the usual limit: cover it.
        let raised = h.highest_end_addr.checked_next_power_of_two().unwrap_or(u64::MAX);
        return (raised, format!("{reason}, raised to cover memory the dump lists up to 0x{:x}", h.highest_end_addr));
    }
    (limit, reason)
}

/// Lowest address of kernel space for a pointer width: anything at or above it
/// is not part of the user address space (Linux's [vsyscall] page, for one).
pub(crate) fn kernel_space_start(pointer_bits: u32) -> u64 {
    if pointer_bits == 32 { 1 << 32 } else { 0xFFFF_8000_0000_0000 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(highest: u64) -> LimitHints {
        LimitHints {
            cpu: None,
            highest_end_addr: highest,
            wow64: false,
            large_address_aware: None,
            windows_version: 1000,
            kernel_64bit: false,
        }
    }

    #[test]
    fn windows_limits() {
        assert_eq!(user_limit(Platform::Windows, 32, &hints(0x7000_0000)).0, 2 * GIB);
        assert_eq!(user_limit(Platform::Windows, 32, &hints(0xA000_0000)).0, 3 * GIB);
        let wow = LimitHints { wow64: true, large_address_aware: Some(true), ..hints(0x7000_0000) };
        assert_eq!(user_limit(Platform::Windows, 32, &wow).0, 4 * GIB);
        let wow_small = LimitHints { wow64: true, large_address_aware: Some(false), ..hints(0x7000_0000) };
        assert_eq!(user_limit(Platform::Windows, 32, &wow_small).0, 2 * GIB);
        assert_eq!(user_limit(Platform::Windows, 64, &hints(0x7FF_FFFF_0000)).0, 128 * TIB);
        let old = LimitHints { windows_version: 600, ..hints(0x7FF_FFFF_0000) };
        assert_eq!(user_limit(Platform::Windows, 64, &old).0, 8 * TIB);
        let old_high = LimitHints { windows_version: 600, ..hints(0x7FFF_FFFF_0000) };
        assert_eq!(user_limit(Platform::Windows, 64, &old_high).0, 128 * TIB);
    }

    #[test]
    fn linux_limits_and_raising() {
        assert_eq!(user_limit(Platform::Linux, 32, &hints(0x1000)).0, 3 * GIB);
        let k64 = LimitHints { kernel_64bit: true, ..hints(0x1000) };
        assert_eq!(user_limit(Platform::Linux, 32, &k64).0, 4 * GIB - 0x2000);
        assert_eq!(user_limit(Platform::Linux, 64, &hints(0x7fff_0000_0000)).0, 128 * TIB - 0x1000);
        let (raised, why) = user_limit(Platform::Windows, 32, &hints(0x1_2000_0000));
        assert_eq!(raised, 0x2_0000_0000);
        assert!(why.contains("raised"));
    }
}
