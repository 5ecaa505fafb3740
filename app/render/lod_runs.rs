//! A level's runs ([`merge_runs`](super::lod_merge::merge_runs), greedy
//! from the first item) found and written on every core, the same runs as
//! the walk from the start finds.
//!
//! A run depends only on where it starts. So each part of the items is
//! first walked as if a run started at its first item (in parallel). Then,
//! part by part, the true walk enters the part where the runs of the part
//! before ended; where that is not the guessed start, it is walked on (with
//! the guess beside it) until the two meet at a common start, from which
//! they are the same runs. They meet within a few runs in practice; at worst
//! a part is walked three times. Each part's merged items are then written
//! in place, in parallel, into the space its count reserves.
//!
//! Nothing is allocated per part on rayon's threads: glibc keeps what those
//! threads free in arenas of their own, which raised a million-region
//! Volume picture's peak by about 50 MB when the runs were collected per
//! part.

use std::mem::MaybeUninit;
use std::ops::Range;

use rayon::prelude::*;

use super::lod_merge::{JoinLimits, LodItem, merge_runs, run_from};

/// Items per part: a part's runs are a few milliseconds of work.
const PART_ITEMS: usize = 1 << 14;

/// How the runs of a level at one merge size fall into its parts.
pub(super) struct RunPlan {
    merge_units: f32,
    part_items: usize,
    /// Per part, where the first run starting in it starts (at or past the
    /// part's end when none does: a run from before covers it all).
    entry: Vec<usize>,
    /// Per part, how many runs start in it.
    count: Vec<usize>,
    /// How many runs there are.
    pub(super) runs: usize,
    /// The least limits at which a run would have taken the item it
    /// stopped before (some runs walked as guesses counted too): every
    /// bigger size these do not allow gives the same runs, as taking
    /// only ever allows more at a bigger size.
    pub(super) stops: JoinLimits,
}

impl RunPlan {
    /// The runs of `items` at `merge_units`, counted.
    pub(super) fn new<T: LodItem>(items: &[T], merge_units: f32) -> RunPlan {
        RunPlan::with_parts(items, merge_units, PART_ITEMS)
    }

    /// [`RunPlan::new`] with parts of `part_items` items (tests use small ones).
    fn with_parts<T: LodItem>(items: &[T], merge_units: f32, part_items: usize) -> RunPlan {
        let part_items = part_items.max(1);
        let parts = items.len().div_ceil(part_items);
        let part = |p: usize| p * part_items..((p + 1) * part_items).min(items.len());
        let guesses: Vec<Walked> =
            (0..parts).into_par_iter().map(|p| walk(items, part(p).start, part(p).end, merge_units)).collect();
        let (mut entry, mut count) = (Vec::with_capacity(parts), Vec::with_capacity(parts));
        let (mut at, mut stops) = (0, JoinLimits::NEVER);
        for (p, &guess) in guesses.iter().enumerate() {
            let walked = rejoin(items, part(p), at, guess, merge_units);
            entry.push(at);
            count.push(walked.runs);
            (at, stops) = (walked.end, stops.least(walked.stops));
        }
        let runs = count.iter().sum();
        RunPlan { merge_units, part_items, entry, count, runs, stops }
    }

    /// Appends the merged item of every run of `items` (the items this
    /// plan was made for) to `out`, and returns the index of each run's
    /// first item, as `merge_runs` does; both reserved exactly.
    pub(super) fn write<T: LodItem>(&self, items: &[T], out: &mut Vec<T>) -> Vec<u32> {
        out.reserve_exact(self.runs);
        let mut starts: Vec<u32> = Vec::with_capacity(self.runs);
        if self.fill_all(items, out.spare_capacity_mut(), &mut starts) {
            // SAFETY: `fill_all` wrote the first `self.runs` spare slots.
            unsafe { out.set_len(out.len() + self.runs) };
            return starts;
        }
        // Not reached: runs are the same however often they are walked.
        // Walked from the start instead.
        merge_runs(items, self.merge_units, out)
    }

    /// [`RunPlan::write`] for items that are `out[items]` themselves (a
    /// level merged from the level below it in one list): appended without
    /// a copy aside (at a million boxes each level's copy was most of its
    /// writing).
    pub(super) fn write_within<T: LodItem>(&self, out: &mut Vec<T>, items: Range<usize>) -> Vec<u32> {
        out.reserve_exact(self.runs);
        let mut starts: Vec<u32> = Vec::with_capacity(self.runs);
        let (done, spare) = split_spare(out);
        if let Some(level) = done.get(items.clone())
            && self.fill_all(level, spare, &mut starts)
        {
            // SAFETY: `fill_all` wrote the first `self.runs` spare slots.
            unsafe { out.set_len(out.len() + self.runs) };
            return starts;
        }
        // Not reached (as in `write`; `items` are the level's): walked
        // from the start, from a copy.
        let level = out.get(items).unwrap_or(&[]).to_vec();
        merge_runs(&level, self.merge_units, out)
    }

    /// Writes the merged item of every run of `items` into the first
    /// `self.runs` of `merged` and the runs' first items into `starts`
    /// (whose capacity is at least `self.runs`), every part on some core;
    /// true when every slot was written (then `starts` holds them all).
    fn fill_all<T: LodItem>(&self, items: &[T], merged: &mut [MaybeUninit<T>], starts: &mut Vec<u32>) -> bool {
        let (Some(mut merged_slots), Some(mut start_slots)) =
            (merged.get_mut(..self.runs), starts.spare_capacity_mut().get_mut(..self.runs))
        else {
            return false;
        };
        let mut slots = Vec::with_capacity(self.count.len());
        for &n in &self.count {
            let (m, rest_m) = std::mem::take(&mut merged_slots).split_at_mut(n);
            let (s, rest_s) = std::mem::take(&mut start_slots).split_at_mut(n);
            (merged_slots, start_slots) = (rest_m, rest_s);
            slots.push((m, s));
        }
        let written = slots.into_par_iter().enumerate().all(|(p, (merged, starts))| {
            let end = ((p + 1) * self.part_items).min(items.len());
            fill(items, self.entry[p]..end, self.merge_units, merged, starts)
        });
        if written {
            // SAFETY: every part wrote exactly its count of start slots
            // (`fill` says so), and the counts add up to `self.runs`.
            unsafe { starts.set_len(self.runs) };
        }
        written
    }
}

/// The items of `v` and its spare capacity, apart.
fn split_spare<T>(v: &mut Vec<T>) -> (&[T], &mut [MaybeUninit<T>]) {
    let (len, spare) = (v.len(), v.capacity() - v.len());
    let at = v.as_mut_ptr();
    // SAFETY: the first `len` items are initialised and the `spare` slots
    // after them are the allocation's own; the two ranges do not overlap,
    // and both borrow `v` (which cannot change meanwhile). This is what
    // the unstable `Vec::split_at_spare_mut` does.
    unsafe { (std::slice::from_raw_parts(at, len), std::slice::from_raw_parts_mut(at.add(len).cast(), spare)) }
}

/// Runs walked one after another.
#[derive(Clone, Copy)]
struct Walked {
    /// How many.
    runs: usize,
    /// Where the last one ends.
    end: usize,
    /// The least of their stops (see [`RunPlan::stops`]).
    stops: JoinLimits,
}

/// The runs starting at `from` and then where each ends, while they start
/// before `end`.
fn walk<T: LodItem>(items: &[T], from: usize, end: usize, merge_units: f32) -> Walked {
    let mut walked = Walked { runs: 0, end: from, stops: JoinLimits::NEVER };
    while walked.end < end {
        let run = run_from(items, walked.end, merge_units);
        walked = Walked { runs: walked.runs + 1, end: run.end, stops: walked.stops.least(run.stop) };
    }
    walked
}

/// The true runs starting in `part`, the walk entering it at `at`. `guess`
/// is [`walk`] from the part's start: where the two walks meet, the rest of
/// the guess is true. (Its stops count whole, those of its runs before the
/// meeting too: a stop too many only makes fewer sizes skipped.)
fn rejoin<T: LodItem>(items: &[T], part: Range<usize>, at: usize, guess: Walked, merge_units: f32) -> Walked {
    let (mut a, mut guessed) = (part.start, 0);
    let mut walked = Walked { runs: 0, end: at, stops: guess.stops };
    while walked.end < part.end {
        let b = walked.end;
        if a == b {
            return Walked { runs: walked.runs + guess.runs - guessed, end: guess.end, stops: walked.stops };
        }
        // Whichever walk is behind steps; both stay below `part.end` here
        // (`a` only steps while it is behind `b`).
        if a < b {
            a = run_from(items, a, merge_units).end;
            guessed += 1;
        } else {
            let run = run_from(items, b, merge_units);
            walked = Walked { runs: walked.runs + 1, end: run.end, stops: walked.stops.least(run.stop) };
        }
    }
    walked
}

/// Writes the runs starting in `range` (the first at its start) into
/// `merged` and `starts`; true when they were exactly as many as the slots.
fn fill<T: LodItem>(
    items: &[T],
    range: Range<usize>,
    merge_units: f32,
    merged: &mut [MaybeUninit<T>],
    starts: &mut [MaybeUninit<u32>],
) -> bool {
    let (mut at, mut k) = (range.start, 0);
    while at < range.end {
        let (Some(m), Some(s)) = (merged.get_mut(k), starts.get_mut(k)) else { return false };
        let run = run_from(items, at, merge_units);
        m.write(run.merged(items));
        s.write(at as u32);
        (at, k) = (run.end, k + 1);
    }
    k == merged.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::BoxInstance;
    use crate::render::QuadInstance;
    use crate::render::lod_merge::run_from;

    /// Quads with uneven sizes, gaps and weights, some far apart: runs of
    /// every length, and guesses that meet the true walk late or never.
    fn uneven(n: usize, seed: u32) -> Vec<QuadInstance> {
        let mut x = 0.0f32;
        let mut state = seed | 1;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        (0..n)
            .map(|_| {
                let r = next();
                let w = 0.1 + (r % 97) as f32 * 0.05;
                let h = 0.1 + (r / 97 % 89) as f32 * 0.1;
                x += (r / 8633 % 5) as f32 * 0.7 * (r / 43165 % 2) as f32;
                let q = QuadInstance::new([x, (r / 86330 % 7) as f32], [x + w, h], r, 0);
                x += w;
                q
            })
            .collect()
    }

    #[test]
    fn runs_found_in_parts_are_the_runs_walked_from_the_start() {
        for seed in [1, 7, 1234] {
            let quads = uneven(5000, seed);
            for merge_units in [0.01, 0.3, 1.0, 2.5, 8.0, 40.0, 1e6] {
                let mut expected = Vec::new();
                let expected_starts = merge_runs(&quads, merge_units, &mut expected);
                let mut stops = JoinLimits::NEVER;
                for &s in &expected_starts {
                    stops = stops.least(run_from(&quads, s as usize, merge_units).stop);
                }
                for part_items in [1, 2, 3, 7, 64, 999, 5000, 1 << 20] {
                    let plan = RunPlan::with_parts(&quads, merge_units, part_items);
                    assert_eq!(plan.runs, expected.len(), "seed {seed}, {merge_units}, parts of {part_items}");
                    // The plan's stops allow whatever the true runs' do (a
                    // guess may add some), and are theirs in one part.
                    let mut size = merge_units;
                    for _ in 0..40 {
                        size *= 1.4;
                        assert!(!stops.allow(size) || plan.stops.allow(size), "{merge_units} -> {size}");
                    }
                    if part_items >= quads.len() {
                        assert_eq!(plan.stops, stops);
                    }
                    let mut out = vec![QuadInstance::new([-1.0, -1.0], [0.0, 0.0], 5, 0)];
                    let starts = plan.write(&quads, &mut out);
                    assert_eq!(starts, expected_starts, "seed {seed}, {merge_units}, parts of {part_items}");
                    assert_eq!(&out[1..], &expected[..], "seed {seed}, {merge_units}, parts of {part_items}");
                    assert_eq!(out[0].color, 5, "what was in the list before was kept");
                }
            }
        }
    }

    #[test]
    fn a_level_written_within_its_list_is_the_level_written_aside() {
        let quads = uneven(4000, 5);
        for merge_units in [0.3, 2.5, 40.0] {
            let plan = RunPlan::with_parts(&quads, merge_units, 999);
            let mut aside = Vec::new();
            let starts = plan.write(&quads, &mut aside);
            // The level below sits after other items, with no room after it.
            let mut list = vec![QuadInstance::new([-1.0, -1.0], [0.0, 0.0], 5, 0); 3];
            list.extend_from_slice(&quads);
            list.shrink_to_fit();
            assert_eq!(plan.write_within(&mut list, 3..3 + quads.len()), starts, "{merge_units}");
            assert_eq!(&list[3..3 + quads.len()], &quads[..], "the level below is kept");
            assert_eq!(&list[3 + quads.len()..], &aside[..], "{merge_units}");
            assert_eq!(list[0].color, 5);
        }
    }

    #[test]
    fn boxes_and_empty_lists_are_planned_as_walked() {
        let boxes: Vec<BoxInstance> = uneven(3000, 99)
            .iter()
            .map(|q| BoxInstance::new([q.min[0], 0.0, q.min[1]], [q.max[0], q.color as f32 % 5.0, q.max[1]], 0, 0))
            .collect();
        let mut expected = Vec::new();
        let expected_starts = merge_runs(&boxes, 1.5, &mut expected);
        let plan = RunPlan::with_parts(&boxes, 1.5, 17);
        let mut out = Vec::new();
        assert_eq!(plan.write(&boxes, &mut out), expected_starts);
        assert_eq!(out, expected);

        let none: [QuadInstance; 0] = [];
        let plan = RunPlan::new(&none, 1.0);
        assert_eq!(plan.runs, 0);
        let mut out = Vec::new();
        assert!(plan.write(&none, &mut out).is_empty() && out.is_empty());
    }
}
