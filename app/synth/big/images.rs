//! The images of the big process: the executable near 0x7FF6`00000000 and the
//! DLLs packed top-down below 0x7FFE`80000000 in load order (ntdll highest), as
//! Windows 10's ASLR lays them out; each with its section layout, ModuleList
//! facts (version, time stamp, checksum, CodeView PDB identity) and a few
//! "function" addresses in `.text` that the threads' stacks return into.

use super::names::{APP_DIR, EXE_NAME, PDB_DIR, SYSTEM_DIR, SYSTEM_DLLS, app_dll, system_dll_count};
use crate::synth::module::{ModuleFacts, PdbId};
use crate::synth::pe::{ImageKind, ImageSpec};
use crate::synth::rng::{SplitMix64, fnv1a64};
use crate::synth::winnt::ALLOCATION_GRANULARITY as GRAN;

/// Lowest base the executable may get (Windows 10 puts 64-bit EXEs at 0x7FF6/0x7FF7).
const EXE_AREA: u64 = 0x7FF6_0000_0000;
/// The DLLs are packed downward from (a little under) here.
const DLL_TOP: u64 = 0x7FFE_8000_0000;

/// One loaded image.
#[derive(Debug, Clone)]
pub struct ModulePlan {
    /// Layout and header of the mapping.
    pub image: ImageSpec,
    /// What the ModuleList records.
    pub facts: ModuleFacts,
}

impl ModulePlan {
    /// An address inside `.text` for function number `func` of this module:
    /// the same module and number always give the same address.
    pub fn code_site(&self, func: u64) -> u64 {
        let Some(text) = self.image.text_range() else { return self.image.base };
        let len = text.end - text.start;
        let h = fnv1a64(self.image.name.as_bytes()) ^ func.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let h = SplitMix64::new(h).next_u64();
        // A function start somewhere in .text, and a call site a little into it.
        let start = (h % len.saturating_sub(0x100).max(1)) & !0xF;
        text.start + start + 0x10 + (h >> 56) % 0xE0
    }
}

/// The executable (index 0), then `dlls` DLLs in load order: system DLLs
/// first, application DLLs after them.
pub fn plan_modules(dlls: usize, seed: u64) -> Vec<ModulePlan> {
    let mut rng = SplitMix64::for_name(seed, "big images");
    let mut out = Vec::with_capacity(dlls + 1);

    let exe_size = 0x20_0000 + rng.below(0x60) * GRAN;
    let mut exe = make(EXE_NAME, APP_DIR, exe_size as u32, ImageKind::NativeExe, [3, 4, 2100, 17], &mut rng);
    exe.image.base = EXE_AREA + rng.below(0x1_0000) * GRAN;
    exe.facts.base = exe.image.base;
    out.push(exe);

    let system = system_dll_count(dlls);
    let mut top = DLL_TOP - rng.below(0x1000) * GRAN;
    for i in 0..dlls {
        let system_name = SYSTEM_DLLS.get(i).filter(|_| i < system);
        let (name, dir, size, version) = if let Some(&name) = system_name {
            let size = match name {
                "ntdll.dll" => 0x1F_8000,
                "KERNEL32.DLL" => 0xBF_000,
                "KERNELBASE.dll" => 0x2C_9000,
                _ => dll_size(&mut rng),
            };
            (name.to_string(), SYSTEM_DIR, size, [10, 0, 19041, 1 + rng.below(4800) as u16])
        } else {
            let version = [3, 4, rng.below(2200) as u16, rng.below(100) as u16];
            (app_dll(i.saturating_sub(system)), APP_DIR, dll_size(&mut rng), version)
        };
        let kind = if i >= system && rng.chance(12) { ImageKind::MixedDll } else { ImageKind::NativeDll };
        let mut m = make(&name, dir, size as u32, kind, version, &mut rng);
        let mapped = u64::from(m.image.size_of_image).next_multiple_of(GRAN);
        // Mostly packed; now and then a hole where an unloaded DLL was.
        let hole = if rng.chance(25) { GRAN * rng.range(1, 24) } else { 0 };
        top -= mapped + hole;
        m.image.base = top;
        m.facts.base = top;
        out.push(m);
    }
    out
}

/// A DLL size: most are small, a few are huge.
fn dll_size(rng: &mut SplitMix64) -> u64 {
    match rng.below(100) {
        0..=49 => rng.range(0x1_0000, 0x8_0000),
        50..=84 => rng.range(0x8_0000, 0x30_0000),
        85..=97 => rng.range(0x30_0000, 0x100_0000),
        _ => rng.range(0x100_0000, 0x300_0000),
    }
}

fn make(name: &str, dir: &str, size: u32, kind: ImageKind, version: [u16; 4], rng: &mut SplitMix64) -> ModulePlan {
    let system = dir == SYSTEM_DIR;
    // System binaries carry reproducible-build hashes as time stamps; the
    // application's are real link times (2022 to the dump).
    let timestamp = if system { rng.next_u32() } else { rng.range(0x61D0_0000, 0x6550_0000) as u32 };
    let checksum = size.wrapping_mul(7) ^ (rng.next_u32() & 0xFFFF);
    let image = ImageSpec::new(name, 0, size, timestamp, checksum, kind, rng);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let pdb_name = if system { format!("{}.pdb", stem.to_ascii_lowercase()) } else { format!("{PDB_DIR}{stem}.pdb") };
    let bytes = rng.next_u64().to_le_bytes();
    let pdb_id = PdbId {
        data1: rng.next_u32(),
        data2: rng.next_u32() as u16,
        data3: rng.next_u32() as u16,
        data4: bytes,
        age: 1,
    };
    let facts = ModuleFacts {
        path: format!("{dir}{name}"),
        base: 0,
        size: image.size_of_image,
        checksum,
        timestamp,
        file_version: version,
        product_version: version,
        is_dll: kind != ImageKind::NativeExe,
        pdb_name,
        pdb_id,
    };
    ModulePlan { image, facts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_do_not_overlap_and_sites_are_in_text() {
        let modules = plan_modules(300, 7);
        assert_eq!(modules.len(), 301);
        let mut spans: Vec<(u64, u64)> =
            modules.iter().map(|m| (m.image.base, m.image.base + u64::from(m.image.size_of_image))).collect();
        spans.sort_unstable();
        for w in spans.windows(2) {
            assert!(w[0].1 <= w[1].0, "{w:x?}");
        }
        for m in &modules {
            assert_eq!(m.image.base % GRAN, 0);
            let text = m.image.text_range().unwrap_or(0..0);
            for f in 0..16 {
                assert!(text.contains(&m.code_site(f)), "{}", m.image.name);
            }
        }
    }
}
