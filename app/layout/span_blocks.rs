//! The axis's spans cut into the largest aligned blocks of a space-filling
//! curve (the Hilbert map's square tiles, the Volume's cubes), made on
//! every core.
//!
//! A million-region map is three to four million blocks: one loop writing
//! them took most of its layout. Each part of the spans is counted first,
//! then written in place where its count puts it, so the blocks come out in
//! the order one loop gives them, and nothing is allocated per part.

use std::mem::MaybeUninit;
use std::sync::Arc;

use rayon::prelude::*;

use super::axis::AxisSpan;

/// Spans per part.
const PART_SPANS: usize = 1 << 12;

/// The aligned blocks of a span, in curve order: `(start, level)`, a block
/// of `2^(dims * level)` units, the largest aligned one that starts there
/// and stays inside the span (level at most `order`).
pub fn blocks(span: &AxisSpan, order: u32, dims: u32) -> impl Iterator<Item = (u64, u32)> {
    let end = span.end;
    let mut at = span.start;
    std::iter::from_fn(move || {
        if at >= end {
            return None;
        }
        let mut level = (at.trailing_zeros() / dims).min(order);
        while level > 0 && at + (1u64 << (dims * level)) > end {
            level -= 1;
        }
        let block = (at, level);
        at += 1u64 << (dims * level);
        Some(block)
    })
}

/// `make(span, start, level)` for every block of every span `keep` accepts,
/// in span order and curve order within a span.
pub fn write_blocks<T: Send>(
    spans: &[AxisSpan],
    order: u32,
    dims: u32,
    keep: impl Fn(&AxisSpan) -> bool + Sync,
    make: impl Fn(&AxisSpan, u64, u32) -> T + Sync,
) -> Vec<T> {
    let make = |_: &mut (), _: usize, span: &AxisSpan, at: u64, level: u32| make(span, at, level);
    let counts = count_blocks(spans, order, dims, &keep);
    let total: usize = counts.iter().sum();
    let mut out: Vec<T> = Vec::with_capacity(total);
    let slots = &mut out.spare_capacity_mut()[..total];
    if write_counted(spans, order, dims, &keep, &counts, slots, &|| (), &make).is_none() {
        return one_by_one(spans, order, dims, &keep, total, &|| (), &make).0;
    }
    // SAFETY: `write_counted` wrote all `total` slots.
    unsafe { out.set_len(total) };
    out
}

/// The blocks as [`write_blocks`] makes them, with a state per part of the
/// spans for what is gathered from every block besides the blocks
/// themselves (extents, landmarks): `make(state, index, span, start,
/// level)` gets its part's state and the index the block gets in the
/// output. The states come back in the order of their parts, so gathering
/// them in that order sees the blocks in output order, as one loop would.
/// Written in place into a shared slice (no Vec to convert, which would be
/// a copy: a million-region Volume's cubes are 125 MB, and a scene turns
/// them into its instances where they are).
pub fn write_blocks_shared<T: Send + Sync, S: Send>(
    spans: &[AxisSpan],
    order: u32,
    dims: u32,
    keep: impl Fn(&AxisSpan) -> bool + Sync,
    state: impl Fn() -> S + Sync,
    make: impl Fn(&mut S, usize, &AxisSpan, u64, u32) -> T + Sync,
) -> (Arc<[T]>, Vec<S>) {
    let counts = count_blocks(spans, order, dims, &keep);
    let total: usize = counts.iter().sum();
    let mut out = Arc::<[T]>::new_uninit_slice(total);
    let states = match Arc::get_mut(&mut out) {
        Some(slots) => write_counted(spans, order, dims, &keep, &counts, slots, &state, &make),
        // Not reached: the Arc was made just above and is not shared.
        None => None,
    };
    let Some(states) = states else {
        let (items, states) = one_by_one(spans, order, dims, &keep, total, &state, &make);
        return (Arc::from(items), states);
    };
    // SAFETY: `write_counted` wrote all `total` slots.
    (unsafe { out.assume_init() }, states)
}

/// How many blocks each part of the spans has.
fn count_blocks(spans: &[AxisSpan], order: u32, dims: u32, keep: &(impl Fn(&AxisSpan) -> bool + Sync)) -> Vec<usize> {
    let count = |part: &[AxisSpan]| part.iter().filter(|s| keep(s)).map(|s| blocks(s, order, dims).count()).sum();
    spans.par_chunks(PART_SPANS).map(count).collect()
}

/// Writes every block into `out` (as many slots as `counts` add up to),
/// each part of the spans on some core into the slots its count gives it;
/// the parts' states in order, or None when a part's blocks were not its
/// count (not reached: the counts are of these blocks).
#[allow(clippy::too_many_arguments)]
fn write_counted<T: Send, S: Send>(
    spans: &[AxisSpan],
    order: u32,
    dims: u32,
    keep: &(impl Fn(&AxisSpan) -> bool + Sync),
    counts: &[usize],
    out: &mut [MaybeUninit<T>],
    state: &(impl Fn() -> S + Sync),
    make: &(impl Fn(&mut S, usize, &AxisSpan, u64, u32) -> T + Sync),
) -> Option<Vec<S>> {
    let mut rest = out;
    let mut slots: Vec<(usize, &mut [MaybeUninit<T>])> = Vec::with_capacity(counts.len());
    let mut first = 0;
    for &n in counts {
        let (part, after) = std::mem::take(&mut rest).split_at_mut_checked(n)?;
        slots.push((first, part));
        (rest, first) = (after, first + n);
    }
    if !rest.is_empty() {
        return None;
    }
    spans
        .par_chunks(PART_SPANS)
        .zip(slots)
        .map(|(part, (first, slots))| {
            let mut st = state();
            let mut filled = slots.iter_mut().enumerate();
            for span in part.iter().filter(|s| keep(s)) {
                for (at, level) in blocks(span, order, dims) {
                    let (k, slot) = filled.next()?;
                    slot.write(make(&mut st, first + k, span, at, level));
                }
            }
            filled.next().is_none().then_some(st)
        })
        .collect::<Vec<Option<S>>>()
        .into_iter()
        .collect()
}

/// The blocks made one by one, gathered in one state (the fallback of
/// [`write_counted`], not reached).
fn one_by_one<T, S>(
    spans: &[AxisSpan],
    order: u32,
    dims: u32,
    keep: &impl Fn(&AxisSpan) -> bool,
    total: usize,
    state: &impl Fn() -> S,
    make: &impl Fn(&mut S, usize, &AxisSpan, u64, u32) -> T,
) -> (Vec<T>, Vec<S>) {
    let (mut items, mut st) = (Vec::with_capacity(total), state());
    for span in spans.iter().filter(|s| keep(s)) {
        for (at, level) in blocks(span, order, dims) {
            let item = make(&mut st, items.len(), span, at, level);
            items.push(item);
        }
    }
    (items, vec![st])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(region: u32, start: u64, end: u64) -> AxisSpan {
        AxisSpan { region, start, end, compressed: false }
    }

    #[test]
    fn blocks_are_the_largest_aligned_ones_and_tile_the_span() {
        for dims in [2, 3] {
            for (start, end) in [(0, 1), (0, 64), (3, 70), (5, 4096 + 9), (1 << 20, (1 << 20) + 1), (7, 7)] {
                let mut at = start;
                for (block, level) in blocks(&span(0, start, end), 10, dims) {
                    let len = 1u64 << (dims * level);
                    assert_eq!(block, at, "blocks follow each other");
                    assert_eq!(block % len, 0, "aligned");
                    assert!(block + len <= end, "inside the span");
                    let bigger = 1u64 << (dims * (level + 1));
                    assert!(level == 10 || block % bigger != 0 || block + bigger > end, "not the largest");
                    at += len;
                }
                assert_eq!(at, end.max(start), "{start}..{end} covered");
            }
        }
    }

    #[test]
    fn blocks_written_in_parts_are_those_of_one_loop() {
        // Spans of uneven lengths, more than one part of them, some left out.
        let mut spans = Vec::new();
        let mut at = 0;
        for i in 0..(3 * PART_SPANS as u32 + 17) {
            let len = u64::from(1 + i * 7919 % 300);
            spans.push(span(i, at, at + len));
            at += len;
        }
        let keep = |s: &AxisSpan| s.region % 5 != 3;
        let make = |s: &AxisSpan, at: u64, level: u32| (s.region, at, level);
        let mut expected = Vec::new();
        for s in spans.iter().filter(|s| keep(s)) {
            expected.extend(blocks(s, 12, 2).map(|(at, level)| make(s, at, level)));
        }
        assert_eq!(write_blocks(&spans, 12, 2, keep, make), expected);
        assert!(write_blocks(&[], 12, 3, keep, make).is_empty());

        // With a state per part: each block's output index, and the states
        // gathered in order see the blocks in output order.
        let (out, states) = write_blocks_shared(&spans, 12, 2, keep, Vec::new, |seen, index, s, at, level| {
            seen.push(index);
            make(s, at, level)
        });
        assert_eq!(out[..], expected[..]);
        assert_eq!(states.len(), spans.len().div_ceil(PART_SPANS));
        let seen: Vec<usize> = states.into_iter().flatten().collect();
        assert_eq!(seen, (0..expected.len()).collect::<Vec<_>>());
    }
}
