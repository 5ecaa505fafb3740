//! Curve indices for the tests of the Hilbert conversions (2D in
//! hilbert.rs, 3D in volume.rs), where checking every index of a deep
//! curve would take too long: a spread of them.

/// 20,000 indices spread over `0..2^bits` (a fixed linear congruential
/// sequence), then the last one, `2^bits - 1`. `bits` is 1 to 64.
pub(crate) fn spread_indices(bits: u32) -> impl Iterator<Item = u64> {
    let last = u64::MAX >> (64 - bits);
    let mut d = 0x9e37_79b9_7f4a_7c15_u64;
    let spread = (0..20_000).map(move |_| {
        d = d.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        d & last
    });
    spread.chain(std::iter::once(last))
}
