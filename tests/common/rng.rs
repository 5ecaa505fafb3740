//! Fixed-seed random numbers for the tests: the crate's own SplitMix64
//! (`memscape::synth::rng`), with the few extra draws the tests want.

pub use memscape::synth::rng::SplitMix64;

/// Draws on top of [`SplitMix64`]'s own.
pub trait TestRng {
    /// An index in `0..n` (0 when `n` is 0).
    fn index(&mut self, n: usize) -> usize;
    /// A number in [0, 1) with 24 random bits.
    fn unit(&mut self) -> f32;
    /// A number in [lo, hi).
    fn between(&mut self, lo: f32, hi: f32) -> f32;
}

impl TestRng for SplitMix64 {
    fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    fn between(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }
}
