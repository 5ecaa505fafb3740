//! The SystemInfo stream (`MINIDUMP_SYSTEM_INFO`, 56 bytes) with a
//! `CSDVersionRva` that points at a real `MINIDUMP_STRING` (minidump-synth's
//! `SystemInfo` only takes a constant RVA).

use minidump_synth::{DumpSection, DumpString, SimpleStream};

use super::section::{LE, le_section};
use super::winnt::stream;

/// The operating system and processor of the dumped machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemFacts {
    /// `ProcessorArchitecture`.
    pub processor_architecture: u16,
    /// `ProcessorLevel` (CPU family).
    pub processor_level: u16,
    /// `ProcessorRevision` (model << 8 | stepping).
    pub processor_revision: u16,
    /// `NumberOfProcessors`.
    pub number_of_processors: u8,
    /// `ProductType`.
    pub product_type: u8,
    /// `MajorVersion`, `MinorVersion`, `BuildNumber`.
    pub version: (u32, u32, u32),
    /// `PlatformId`.
    pub platform_id: u32,
    /// `SuiteMask`.
    pub suite_mask: u16,
    /// The service pack string (`CSDVersion`).
    pub csd_version: String,
    /// CPUID vendor string, 12 ASCII bytes.
    pub vendor: [u8; 12],
    /// CPUID(1).EAX.
    pub version_information: u32,
    /// CPUID(1).EDX.
    pub feature_information: u32,
    /// CPUID(0x80000001).EBX on AMD, 0 elsewhere.
    pub amd_extended_cpu_features: u32,
}

/// The stream and the CSD string it refers to (add the string with `add`).
pub fn system_info(facts: &SystemFacts) -> (SimpleStream, DumpString) {
    let csd = DumpString::new(&facts.csd_version, LE);
    let vendor_word =
        |i: usize| u32::from_le_bytes([facts.vendor[i], facts.vendor[i + 1], facts.vendor[i + 2], facts.vendor[i + 3]]);
    let section = le_section()
        .D16(facts.processor_architecture)
        .D16(facts.processor_level)
        .D16(facts.processor_revision)
        .D8(facts.number_of_processors)
        .D8(facts.product_type)
        .D32(facts.version.0)
        .D32(facts.version.1)
        .D32(facts.version.2)
        .D32(facts.platform_id)
        .D32(csd.file_offset())
        .D16(facts.suite_mask)
        .D16(0)
        .D32(vendor_word(0))
        .D32(vendor_word(4))
        .D32(vendor_word(8))
        .D32(facts.version_information)
        .D32(facts.feature_information)
        .D32(facts.amd_extended_cpu_features);
    (SimpleStream { stream_type: stream::SYSTEM_INFO, section }, csd)
}
