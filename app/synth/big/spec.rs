//! The knobs of a big synthetic dump, their limits, and what a written dump
//! holds. The limits that depend on the other knobs (the fewest regions the
//! threads and modules need, the fewest captured bytes their stacks, TEBs and
//! headers need) come from the skeleton plan itself, so they are exact: plan.rs
//! checks them (`BigDumpSpec::validate` lives there, beside the skeleton).

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

    /// The knobs' own ranges, checked before anything is laid out; the limits
    /// that depend on the other knobs are the plan's (`Skeleton::checked` in
    /// plan.rs, behind [`BigDumpSpec::validate`]).
    pub(super) fn check_ranges(&self) -> Result<(), SynthError> {
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
        Ok(())
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
}
