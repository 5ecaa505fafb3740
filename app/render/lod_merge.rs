//! Merging for the levels of detail (lod.rs): what can be merged
//! (a 2D quad or a 3D box, [`LodItem`]), and how runs of neighbouring items
//! become one item each ([`merge_runs`]; lod_runs.rs finds them on every
//! core), and the limits at which each run would have gone on
//! ([`JoinLimits`]), so that sizes that give the same runs are not tried.

use super::box_instance::BoxInstance;
use super::quad_instance::QuadInstance;

/// What can be merged into levels of detail: a 2D quad or a 3D box.
pub trait LodItem: Copy + Send + Sync {
    /// The smallest and largest corner (x, y, z; z is 0 for quads).
    fn corners(&self) -> ([f32; 3], [f32; 3]);
    /// The axes whose gaps merging may fill (the map plane; a box's
    /// ground, x and z, as heights only ever grow to a neighbour's).
    const MERGE_AXES: &'static [usize];
    /// How much of the picture the item is (area or volume), to pick the
    /// colour of a merged run.
    fn weight(&self) -> f32;
    /// One item covering `min`..`max`, looking like `like`.
    fn merged(min: [f32; 3], max: [f32; 3], like: &Self) -> Self;
}

impl LodItem for QuadInstance {
    fn corners(&self) -> ([f32; 3], [f32; 3]) {
        let (a, b) = (self.min, self.max);
        ([a[0].min(b[0]), a[1].min(b[1]), 0.0], [a[0].max(b[0]), a[1].max(b[1]), 0.0])
    }
    const MERGE_AXES: &'static [usize] = &[0, 1];
    fn weight(&self) -> f32 {
        ((self.max[0] - self.min[0]) * (self.max[1] - self.min[1])).abs()
    }
    fn merged(min: [f32; 3], max: [f32; 3], like: &Self) -> Self {
        // One quad stands for many: a hover or selection outline on it would
        // mark its neighbours (the window outlines those with shapes).
        let flags = like.flags & !(QuadInstance::SELECTED | QuadInstance::HOVERED);
        QuadInstance::new([min[0], min[1]], [max[0], max[1]], like.color, flags)
    }
}

impl LodItem for BoxInstance {
    fn corners(&self) -> ([f32; 3], [f32; 3]) {
        let (a, b) = (self.min, self.max);
        (std::array::from_fn(|i| a[i].min(b[i])), std::array::from_fn(|i| a[i].max(b[i])))
    }
    const MERGE_AXES: &'static [usize] = &[0, 2];
    fn weight(&self) -> f32 {
        (0..3).map(|i| (self.max[i] - self.min[i]).abs()).product()
    }
    fn merged(min: [f32; 3], max: [f32; 3], like: &Self) -> Self {
        let flags = like.flags & !(BoxInstance::SELECTED | BoxInstance::HOVERED);
        BoxInstance::new(min, max, like.color, flags)
    }
}

/// Runs of consecutive items that merging changes by at most `merge_units`:
/// either the run's bounding box is at most that big along every merge
/// axis, or it reaches at most half that beyond its heaviest member (whose
/// look the merged item takes). Levels merge the level below with twice
/// its merge size, so the halves add up to at most `merge_units` against
/// the items themselves: the error is a band at most that wide around a
/// level-0 item. Each run becomes one item, appended to `out`; returns the
/// index of each run's first item. (The levels find them on every core,
/// lod_runs.rs; this is the walk that says what they must be.)
///
/// Measured from the heaviest member rather than from nothing so that long
/// thin items (the strip's full-height slices, a City street of tall
/// towers) merge along their row: their bounding box is wide in the other
/// axis from the start, which a plain size limit would never allow.
pub(super) fn merge_runs<T: LodItem>(items: &[T], merge_units: f32, out: &mut Vec<T>) -> Vec<u32> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let run = run_from(items, i, merge_units);
        out.push(run.merged(items));
        starts.push(i as u32);
        i = run.end;
    }
    starts
}

/// One run of [`merge_runs`]: its end (exclusive), heaviest member and bounds.
pub(super) struct Run {
    pub(super) end: usize,
    pub(super) heaviest: usize,
    pub(super) min: [f32; 3],
    pub(super) max: [f32; 3],
    /// The limits at which the run would have taken the item it stopped
    /// before ([`JoinLimits::NEVER`] at the end of the items).
    pub(super) stop: JoinLimits,
}

impl Run {
    /// The one item the run becomes. Even a run of one is remade: coarser
    /// levels never carry selection or hover flags, so a click needs no
    /// new levels.
    pub(super) fn merged<T: LodItem>(&self, items: &[T]) -> T {
        T::merged(self.min, self.max, &items[self.heaviest])
    }
}

/// The run of [`merge_runs`] that starts at `i` (`i < items.len()`).
pub(super) fn run_from<T: LodItem>(items: &[T], i: usize, merge_units: f32) -> Run {
    let mut run = RunSoFar::new(&items[i], i);
    let mut j = i + 1;
    let mut stop = JoinLimits::NEVER;
    while let Some(next) = items.get(j) {
        match run.take(next, j, merge_units) {
            Ok(()) => j += 1,
            Err(limits) => {
                stop = limits;
                break;
            }
        }
    }
    Run { end: j, heaviest: run.heaviest, min: run.min, max: run.max, stop }
}

/// When a run takes an item: unless the run with it would reach beyond
/// `span` (its bounding box's largest side, over the merge axes) and
/// `beyond` (how far past its heaviest member it would reach, at most,
/// along one merge axis) both exceed the merge size, `beyond` against half
/// of it (see [`merge_runs`]). Neither is NaN: a NaN side counts as none.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct JoinLimits {
    span: f32,
    beyond: f32,
}

impl JoinLimits {
    /// Limits no size allows.
    pub(super) const NEVER: JoinLimits = JoinLimits { span: f32::INFINITY, beyond: f32::INFINITY };

    /// Whether the run takes the item at `merge_units`. A bigger size
    /// allows whatever a smaller one does.
    pub(super) fn allow(&self, merge_units: f32) -> bool {
        !(self.span > merge_units && self.beyond > merge_units * 0.5)
    }

    /// The least of both limits: a size allows these exactly when it
    /// allows `self` or `other` (it is at least one of their spans, or
    /// twice one of their beyonds).
    pub(super) fn least(self, other: JoinLimits) -> JoinLimits {
        JoinLimits { span: self.span.min(other.span), beyond: self.beyond.min(other.beyond) }
    }
}

/// A run being grown: its bounds and its heaviest member.
struct RunSoFar {
    min: [f32; 3],
    max: [f32; 3],
    heaviest: usize,
    weight: f32,
    heavy_min: [f32; 3],
    heavy_max: [f32; 3],
}

impl RunSoFar {
    fn new<T: LodItem>(first: &T, i: usize) -> RunSoFar {
        let (min, max) = first.corners();
        RunSoFar { min, max, heaviest: i, weight: first.weight(), heavy_min: min, heavy_max: max }
    }

    /// Takes item `j` into the run unless the run would then be both
    /// bigger than `merge_units` and more than half of it beyond its
    /// heaviest member (see [`merge_runs`]); else says at which limits it
    /// would have (the run's stop, worked out with the test).
    fn take<T: LodItem>(&mut self, item: &T, j: usize, merge_units: f32) -> Result<(), JoinLimits> {
        let joined = self.join(item);
        if !joined.limits.allow(merge_units) {
            return Err(joined.limits);
        }
        (self.min, self.max) = (joined.min, joined.max);
        if joined.heavier {
            (self.heaviest, self.weight, self.heavy_min, self.heavy_max) = (j, joined.weight, joined.lo, joined.hi);
        }
        Ok(())
    }

    /// The limits at which the run takes `item` (see [`JoinLimits`]).
    #[cfg(test)]
    fn limits_with<T: LodItem>(&self, item: &T) -> JoinLimits {
        self.join(item).limits
    }

    /// The run with `item`: its bounds, and the limits at which it takes it.
    fn join<T: LodItem>(&self, item: &T) -> Joined {
        let (lo, hi) = item.corners();
        let min: [f32; 3] = std::array::from_fn(|a| self.min[a].min(lo[a]));
        let max: [f32; 3] = std::array::from_fn(|a| self.max[a].max(hi[a]));
        let weight = item.weight();
        let heavier = weight > self.weight;
        let (h_lo, h_hi) = if heavier { (lo, hi) } else { (self.heavy_min, self.heavy_max) };
        // f32::max skips NaN: a NaN side exceeds no size (`allow`'s `>`).
        let (mut span, mut beyond) = (f32::NEG_INFINITY, f32::NEG_INFINITY);
        for &a in T::MERGE_AXES {
            span = span.max(max[a] - min[a]);
            beyond = beyond.max((max[a] - min[a]) - (h_hi[a] - h_lo[a]));
        }
        Joined { lo, hi, min, max, weight, heavier, limits: JoinLimits { span, beyond } }
    }
}

/// A run with one more item ([`RunSoFar::join`]).
struct Joined {
    /// The item's corners and weight, and whether it outweighs the run's heaviest.
    lo: [f32; 3],
    hi: [f32; 3],
    weight: f32,
    heavier: bool,
    /// The run's bounds with it.
    min: [f32; 3],
    max: [f32; 3],
    limits: JoinLimits,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A row of `n` unit quads along x, alternating two colours, then one big quad.
    pub(crate) fn row(n: usize) -> Vec<QuadInstance> {
        let mut v: Vec<QuadInstance> = (0..n)
            .map(|i| {
                let x = i as f32;
                QuadInstance::new([x, 0.0], [x + 1.0, 1.0], if i % 2 == 0 { 1 } else { 2 }, 0)
            })
            .collect();
        v.push(QuadInstance::new([0.0, 10.0], [n as f32, 10.0 + n as f32 / 4.0], 3, 0));
        v
    }

    #[test]
    fn runs_are_the_same_at_every_size_their_stops_do_not_allow() {
        // A level tried at a size and not kept skips the bigger sizes the
        // least of its runs' stops does not allow: they must give the same
        // runs, and the first size it allows other runs.
        let mut quads = row(3000);
        // Uneven sizes and gaps, so some sizes merge some runs.
        for (i, q) in quads.iter_mut().enumerate() {
            let w = 0.2 + (i * 7919 % 13) as f32 * 0.3;
            q.max[0] = q.min[0] * 1.5 + w;
            q.min[0] *= 1.5;
        }
        let runs = |merge_units: f32| {
            let mut merged = Vec::new();
            let starts = merge_runs(&quads, merge_units, &mut merged);
            let mut stops = JoinLimits::NEVER;
            for &s in &starts {
                stops = stops.least(run_from(&quads, s as usize, merge_units).stop);
            }
            (starts, stops)
        };
        let mut checked_a_change = false;
        for merge_units in [0.05f32, 0.3, 1.0, 2.0, 4.5, 16.0, 300.0] {
            let (starts, stops) = runs(merge_units);
            let mut bigger = merge_units;
            for _ in 0..12 {
                bigger *= 1.5;
                let (other, _) = runs(bigger);
                if stops.allow(bigger) {
                    assert_ne!(other, starts, "{merge_units} -> {bigger}: a stop allowed, nothing changed");
                    checked_a_change = true;
                    break;
                }
                assert_eq!(other, starts, "{merge_units} -> {bigger}: runs changed though no stop allowed it");
            }
        }
        assert!(checked_a_change);
    }

    #[test]
    fn join_limits_say_what_taking_says_for_every_pair() {
        // Odd boxes too: NaN, infinite and inverted corners, zero sizes.
        let odd = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -3.0, 0.5, 7.25, 1e30];
        let boxes: Vec<BoxInstance> = (0..odd.len().pow(3))
            .map(|i| {
                let c = |k: usize| odd[(i / odd.len().pow(k as u32)) % odd.len()];
                BoxInstance::new([c(0), 0.0, c(1)], [c(2), 1.0, 2.0 + (i % 5) as f32], 0xffff_ffff, 0)
            })
            .collect();
        for merge_units in [1e-6, 0.3, 1.0, 2.0, 9.0, 1e31, f32::INFINITY] {
            for pair in boxes.windows(2) {
                let run = RunSoFar::new(&pair[0], 0);
                let took = RunSoFar::new(&pair[0], 0).take(&pair[1], 1, merge_units);
                let limits = run.limits_with(&pair[1]);
                assert_eq!(limits.allow(merge_units), took.is_ok(), "{pair:?} at {merge_units}");
                assert!(took.is_ok() || took == Err(limits), "{pair:?} at {merge_units}: another stop");
            }
        }
    }
}
