//! The knobs of a big synthetic dump, their limits, and what a written dump
//! holds. The limits that depend on the other knobs (the fewest regions the
//! threads and modules need, the fewest captured bytes their stacks, TEBs and
//! headers need) come from the skeleton plan itself, so they are exact.

use super::plan::Skeleton;
use crate::synth::error::SynthError;
use crate::synth::winnt::PAGE_SIZE;

/// Most MemoryInfoList entries a big dump may have.
pub const MAX_REGIONS: u64 = 1_000_000;
/// Most threads.
pub const MAX_THREADS: u32 = 2_000;
/// Most modules (the executable and the DLLs).
pub const MAX_MODULES: u32 = 1_000;
/// Most captured bytes (after rounding up to whole pages).
pub const MAX_CAPTURED_BYTES: u64 = 4 << 30;

/// What to generate. Same spec, same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BigDumpSpec {
    /// MemoryInfoList entries, free gaps included: exactly this many are written.
    pub regions: u64,
    /// Threads in the ThreadList.
    pub threads: u32,
    /// Modules in the ModuleList: the executable and `modules - 1` DLLs.
    pub modules: u32,
    /// Bytes of memory captured in the Memory64List (rounded up to whole pages).
    pub captured_bytes: u64,
    /// Seed of every random choice.
    pub seed: u64,
}

impl BigDumpSpec {
    /// A spec with seed 1.
    pub fn new(regions: u64, threads: u32, modules: u32, captured_bytes: u64) -> Self {
        Self { regions, threads, modules, captured_bytes, seed: 1 }
    }

    /// `captured_bytes` rounded up to whole pages.
    pub fn captured_bytes_rounded(&self) -> u64 {
        self.captured_bytes.div_ceil(PAGE_SIZE).saturating_mul(PAGE_SIZE)
    }

    /// Whether the generator can produce this dump; the error names the knob
    /// and the range allowed.
    pub fn validate(&self) -> Result<(), SynthError> {
        self.skeleton().map(|_| ())
    }

    /// Check the knobs and lay out the part of the process they fix.
    pub(super) fn skeleton(&self) -> Result<Skeleton, SynthError> {
        let out_of_range = |knob, value, why: String| SynthError::OutOfRange { knob, value, why };
        if !(1..=MAX_THREADS).contains(&self.threads) {
            return Err(out_of_range(
                "threads",
                self.threads.into(),
                format!("out of range: allowed 1..={}", grouped(MAX_THREADS.into())),
            ));
        }
        if !(1..=MAX_MODULES).contains(&self.modules) {
            return Err(out_of_range(
                "modules",
                self.modules.into(),
                format!("out of range: allowed 1..={}", grouped(MAX_MODULES.into())),
            ));
        }
        if self.regions > MAX_REGIONS {
            return Err(out_of_range(
                "regions",
                self.regions,
                format!("out of range: at most {}", grouped(MAX_REGIONS)),
            ));
        }
        let captured = self.captured_bytes_rounded();
        if captured > MAX_CAPTURED_BYTES {
            return Err(out_of_range(
                "captured_bytes",
                self.captured_bytes,
                format!(
                    "out of range: at most 4 GiB ({} bytes) after rounding up to whole pages",
                    grouped(MAX_CAPTURED_BYTES)
                ),
            ));
        }
        let skeleton = Skeleton::new(self)?;
        let who = format!("{} threads and {} modules", self.threads, self.modules);
        if self.regions < skeleton.entries {
            return Err(out_of_range(
                "regions",
                self.regions,
                format!(
                    "too few: {who} need at least {} MemoryInfoList entries (allowed {}..={})",
                    grouped(skeleton.entries),
                    grouped(skeleton.entries),
                    grouped(MAX_REGIONS)
                ),
            ));
        }
        if captured < skeleton.mandatory_capture_bytes {
            return Err(out_of_range(
                "captured_bytes",
                self.captured_bytes,
                format!(
                    "too small: the stacks, TEBs, PEB, heap headers and module headers of {who} need at least {} bytes",
                    grouped(skeleton.mandatory_capture_bytes)
                ),
            ));
        }
        if captured > skeleton.capacity_bytes {
            return Err(out_of_range(
                "captured_bytes",
                self.captured_bytes,
                format!("more than the committed memory can hold: at most {} bytes", grouped(skeleton.capacity_bytes)),
            ));
        }
        Ok(skeleton)
    }
}

/// What [`super::write_big_dump`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BigDumpSummary {
    /// MemoryInfoList entries (equal to the spec's).
    pub regions: u64,
    /// ThreadList entries.
    pub threads: u32,
    /// ModuleList entries: the executable and the DLLs.
    pub modules: u32,
    /// Bytes in the Memory64List's data block.
    pub captured_bytes: u64,
    /// Memory64List descriptors.
    pub memory_ranges: u64,
    /// Size of the file.
    pub file_bytes: u64,
}

/// `1234567` as `1,234,567`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(4_294_967_296), "4,294,967,296");
    }

    #[test]
    fn knobs_out_of_range_name_themselves() {
        let msg = |s: BigDumpSpec| s.validate().map_err(|e| e.to_string()).err().unwrap_or_default();
        assert!(msg(BigDumpSpec::new(2_000_000, 4, 4, 1 << 20)).starts_with("regions = 2000000 is out of range"));
        assert!(
            msg(BigDumpSpec::new(5000, 0, 4, 1 << 20)).starts_with("threads = 0 is out of range: allowed 1..=2,000")
        );
        assert!(msg(BigDumpSpec::new(5000, 4, 1001, 1 << 20)).starts_with("modules = 1001"));
        assert!(msg(BigDumpSpec::new(5000, 4, 4, (4 << 30) + 1)).starts_with("captured_bytes"));
        let few = msg(BigDumpSpec::new(10, 40, 30, 8 << 20));
        assert!(few.contains("too few") && few.contains("at least"), "{few}");
        let small = msg(BigDumpSpec::new(5000, 40, 30, 4096));
        assert!(small.contains("too small"), "{small}");
        assert_eq!(BigDumpSpec::new(5000, 40, 30, 8 << 20).validate().map_err(|e| e.to_string()), Ok(()));
    }
}
