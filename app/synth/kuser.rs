//! `KUSER_SHARED_DATA`, the read-only page the kernel maps at 0x7FFE0000 in every
//! process: clock, system root, product type and version, as of the dump.

use super::bytes::LeBuf;
use super::winnt::PAGE_SIZE;

/// What the shared page says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KuserFacts {
    /// `SystemTime` (a FILETIME, UTC).
    pub system_time: u64,
    /// `InterruptTime`: 100 ns ticks since boot.
    pub interrupt_time: u64,
    /// `NtSystemRoot`, e.g. `D:\Windows`.
    pub system_root: String,
    /// `NtProductType` (1 workstation, 2 domain controller, 3 server).
    pub product_type: u32,
    /// `NtMajorVersion`, `NtMinorVersion`.
    pub version: (u32, u32),
    /// `NumberOfPhysicalPages`.
    pub physical_pages: u32,
}

fn ksystem_time(p: &mut LeBuf, offset: usize, value: u64) {
    let high = (value >> 32) as u32;
    p.u32(offset, value as u32).u32(offset + 4, high).u32(offset + 8, high);
}

/// The page's bytes (x64 Vista offsets).
pub fn kuser_page(f: &KuserFacts) -> Vec<u8> {
    let mut p = LeBuf::zeroed(PAGE_SIZE as usize);
    let tick_ms = f.interrupt_time / 10_000;
    p.u32(0x000, tick_ms as u32) // TickCountLowDeprecated
        .u32(0x004, 0x0FA0_0000); // TickCountMultiplier
    ksystem_time(&mut p, 0x008, f.interrupt_time);
    ksystem_time(&mut p, 0x014, f.system_time);
    ksystem_time(&mut p, 0x020, 0); // TimeZoneBias: the VM runs on UTC
    p.u16(0x02C, 0x8664) // ImageNumberLow
        .u16(0x02E, 0x8664); // ImageNumberHigh
    p.utf16z(0x030, &f.system_root);
    p.u32(0x238, 0) // MaxStackTraceDepth
        .u32(0x240, 0) // TimeZoneId: unknown
        .u32(0x264, f.product_type)
        .u8(0x268, 1) // ProductTypeIsValid
        .u32(0x26C, f.version.0)
        .u32(0x270, f.version.1)
        .u32(0x2D4, 0x7FFE_FFFF) // Reserved1 (highest user address, 32-bit view)
        .u32(0x2D8, 0x8000_0000) // Reserved3
        .u32(0x2E8, f.physical_pages);
    ksystem_time(&mut p, 0x320, tick_ms); // TickCount
    p.into_vec()
}
