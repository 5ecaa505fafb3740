//! The treemap layout: squarified (Bruls, Huizing and van Wijk, 2000) and
//! hierarchical, in a world rectangle of [`WORLD_WIDTH`] x [`WORLD_HEIGHT`].
//! Level 1 is the region kind, level 2 the owner (a module, a heap, a
//! thread, a file, or none), level 3 the region itself, one tile each; areas
//! follow sizes in bytes (summed in integers, laid out in `f64`, stored as
//! `f32`). Free and Unknown space is left out: a 64-bit space is ~99.9%
//! free and would leave the rest as dust. Siblings are ordered by size,
//! largest first, then by key (kind, owner, region index), so the result is
//! deterministic.
//!
//! Padding, so the hierarchy reads: a kind's cell is inset by
//! `min(KIND_PAD, PAD_FRACTION * shorter side)` on each side, plus a header
//! band of `min(KIND_HEADER, HEADER_FRACTION * height)` at its top where the
//! kind's label goes; when a kind holds more than one owner, each owner's
//! cell is inset by `min(OWNER_PAD, PAD_FRACTION * shorter side)`. Within
//! one owner, areas are exactly proportional to size; across owners and
//! kinds, padding makes a region's tile smaller than its exact share of the
//! world by a factor of at least [`MIN_AREA_FACTOR`] (the worst case, for
//! cells so small that padding is capped by the fractions; large cells lose
//! a few percent).
//!
//! `Layout2d::bounds` is the whole world rectangle (the padding and the
//! kind headers lie outside the tiles' own extent), or empty without tiles.

use std::cmp::Reverse;

use rayon::slice::ParallelSliceMut;

use crate::dump::{Owner, RegionKind};

use super::axis::is_gap;
use super::label::{file_name, thread_word};
use super::layout2d::{Layout2d, LayoutInput, LayoutSource, MapLabel, Rect, Tile};

pub const WORLD_WIDTH: f64 = 1600.0;
pub const WORLD_HEIGHT: f64 = 1000.0;
pub const KIND_PAD: f64 = 3.0;
pub const KIND_HEADER: f64 = 16.0;
pub const OWNER_PAD: f64 = 1.5;
/// Padding never takes more than this share of a cell's shorter side, per side.
pub const PAD_FRACTION: f64 = 0.05;
/// The header band never takes more than this share of a kind cell's height.
pub const HEADER_FRACTION: f64 = 0.1;
/// The least share of its exact area a region's tile keeps after padding:
/// `(1 - 2F) * (1 - 2F - H)` for the kind level times `(1 - 2F)^2` for the
/// owner level, with F = `PAD_FRACTION` and H = `HEADER_FRACTION`.
pub const MIN_AREA_FACTOR: f64 = (1.0 - 2.0 * PAD_FRACTION)
    * (1.0 - 2.0 * PAD_FRACTION - HEADER_FRACTION)
    * (1.0 - 2.0 * PAD_FRACTION)
    * (1.0 - 2.0 * PAD_FRACTION);
/// Kind labels need a header band at least this tall, owner labels a cell
/// at least `MIN_LABEL_WIDTH` x `MIN_LABEL_HEIGHT`.
pub const MIN_HEADER_HEIGHT: f64 = 2.0;
pub const MIN_LABEL_WIDTH: f64 = 8.0;
pub const MIN_LABEL_HEIGHT: f64 = 4.0;

/// A rectangle in `f64`, for the arithmetic; tiles are `f32`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct R {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl R {
    fn w(&self) -> f64 {
        self.x1 - self.x0
    }
    fn h(&self) -> f64 {
        self.y1 - self.y0
    }
    fn to_rect(self) -> Rect {
        Rect::new(self.x0 as f32, self.y0 as f32, self.x1 as f32, self.y1 as f32)
    }
    /// Inset by `side` on the left, right and bottom and `top` at the top.
    fn inset(&self, side: f64, top: f64) -> R {
        R { x0: self.x0 + side, y0: self.y0 + top, x1: self.x1 - side, y1: self.y1 - side }
    }
    fn pad(&self, pad: f64) -> f64 {
        pad.min(PAD_FRACTION * self.w().min(self.h()))
    }
}

/// Squarified layout of `sizes` (largest first, each > 0) into `rect`:
/// pushes one rectangle per size, in order, onto `out`. Rows are laid along
/// the shorter side of what is left and grow while their worst aspect ratio
/// improves. Shared edges are computed once, so neighbours meet exactly,
/// and the last row and the last cell of each row end exactly on the
/// rectangle's edge.
fn squarify(sizes: &[f64], rect: R, out: &mut Vec<R>) {
    let mut remaining: f64 = sizes.iter().sum();
    let mut r = rect;
    let mut i = 0;
    while i < sizes.len() {
        let wide = r.w() >= r.h();
        let (short, long) = if wide { (r.h(), r.w()) } else { (r.w(), r.h()) };
        // Area per unit of size for what is left (recomputed per row so
        // rounding cannot pile up).
        let scale = if remaining > 0.0 { (r.w() * r.h()).max(0.0) / remaining } else { 0.0 };
        let big = sizes[i] * scale;
        let (mut j, mut row, mut worst) = (i, 0.0f64, f64::INFINITY);
        while j < sizes.len() {
            let a = sizes[j] * scale;
            let s = row + a;
            let ratio = ((short * short * big) / (s * s)).max((s * s) / (short * short * a));
            // (A NaN ratio, from a degenerate rectangle, also ends the row.)
            if j > i && (ratio > worst || ratio.is_nan()) {
                break;
            }
            worst = ratio;
            row = s;
            j += 1;
        }
        let row_size: f64 = sizes[i..j].iter().sum();
        remaining -= row_size;
        let thick = if j == sizes.len() || short <= 0.0 { long } else { (row / short).min(long) };
        // Cells along the short side, in order; the last one ends on the edge.
        let (from, to) = if wide { (r.y0, r.y1) } else { (r.x0, r.x1) };
        let mut at = from;
        let mut acc = 0.0;
        for (k, size) in sizes[i..j].iter().enumerate() {
            acc += size;
            let next = if i + k + 1 == j { to } else { from + (to - from) * (acc / row_size) };
            out.push(if wide {
                R { x0: r.x0, y0: at, x1: r.x0 + thick, y1: next }
            } else {
                R { x0: at, y0: r.y0, x1: next, y1: r.y0 + thick }
            });
            at = next;
        }
        if wide {
            r.x0 = if j == sizes.len() { r.x1 } else { r.x0 + thick };
        } else {
            r.y0 = if j == sizes.len() { r.y1 } else { r.y0 + thick };
        }
        i = j;
    }
}

/// One included region, its sort key packed into integers: the derived
/// order (group, then size largest first, then region index) is the
/// siblings' order, and comparing three integers sorts a million entries
/// several times faster than comparing the kinds and owners themselves
/// (which the sort spent most of the layout's time on).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    /// Kind and owner ([`group_key`]).
    group: u64,
    /// `!size_bytes`: larger first.
    rev_size: u64,
    region: u32,
}

impl Entry {
    fn size_bytes(&self) -> u64 {
        !self.rev_size
    }

    /// The kind, as ordered in [`group_key`].
    fn kind_key(&self) -> u64 {
        self.group >> KIND_SHIFT
    }
}

/// Where the kind starts in a [`group_key`].
const KIND_SHIFT: u32 = 40;

/// The (kind, owner) pair as one integer ordered as the pair is: the kind's
/// declaration order above the owner's variant (in declaration order, as
/// `Owner`'s derived order has it) above its index or thread id.
fn group_key(kind: RegionKind, owner: &Owner) -> u64 {
    let (variant, value) = match *owner {
        Owner::None => (0u64, 0u32),
        Owner::Module(i) => (1, i),
        Owner::Heap(i) => (2, i),
        Owner::Thread(id) => (3, id),
        Owner::File => (4, 0),
    };
    (kind as u64) << KIND_SHIFT | variant << 32 | u64::from(value)
}

/// A run of `entries` with one (kind, owner).
struct Group {
    start: usize,
    end: usize,
    size_bytes: u128,
}

pub fn layout_treemap(input: &LayoutInput<'_>) -> Layout2d {
    layout_treemap_source(&input.source())
}

pub fn layout_treemap_source(src: &LayoutSource<'_>) -> Layout2d {
    let mut entries: Vec<Entry> = src
        .regions
        .iter()
        .enumerate()
        .filter(|(i, r)| src.is_visible(*i) && !is_gap(r.kind))
        // A region is never empty in the model; one byte keeps a corrupt
        // zero-sized one drawable (as a sliver) rather than dividing by zero.
        .map(|(i, r)| Entry { group: group_key(r.kind, &r.owner), rev_size: !r.size_bytes.max(1), region: i as u32 })
        .collect();
    // The one step that grows as n log n: sorted on every core.
    entries.par_sort_unstable();

    // Owner groups, then kind groups as ranges of owner groups.
    let mut owners: Vec<Group> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        match owners.last_mut() {
            Some(g) if entries[g.start].group == e.group => {
                g.end = i + 1;
                g.size_bytes += u128::from(e.size_bytes());
            }
            _ => owners.push(Group { start: i, end: i + 1, size_bytes: u128::from(e.size_bytes()) }),
        }
    }
    let mut kinds: Vec<Group> = Vec::new();
    for (i, g) in owners.iter().enumerate() {
        match kinds.last_mut() {
            Some(k) if entries[owners[k.start].start].kind_key() == entries[g.start].kind_key() => {
                k.end = i + 1;
                k.size_bytes += g.size_bytes;
            }
            _ => kinds.push(Group { start: i, end: i + 1, size_bytes: g.size_bytes }),
        }
    }
    // Siblings: largest first, then by key.
    for k in &kinds {
        owners[k.start..k.end].sort_by(|a, b| {
            (Reverse(a.size_bytes), entries[a.start].group).cmp(&(Reverse(b.size_bytes), entries[b.start].group))
        });
    }
    kinds.sort_by(|a, b| {
        let kind = |g: &Group| entries[owners[g.start].start].kind_key();
        (Reverse(a.size_bytes), kind(a)).cmp(&(Reverse(b.size_bytes), kind(b)))
    });

    let mut tiles = Vec::with_capacity(entries.len());
    let mut labels = Vec::new();
    let mut sizes: Vec<f64> = Vec::new();
    let mut kind_rects: Vec<R> = Vec::with_capacity(kinds.len());
    let mut owner_rects: Vec<R> = Vec::new();
    let mut leaf_rects: Vec<R> = Vec::new();
    let world = R { x0: 0.0, y0: 0.0, x1: WORLD_WIDTH, y1: WORLD_HEIGHT };

    sizes.extend(kinds.iter().map(|k| k.size_bytes as f64));
    squarify(&sizes, world, &mut kind_rects);
    for (k, kind_rect) in kinds.iter().zip(&kind_rects) {
        let pad = kind_rect.pad(KIND_PAD);
        let header = KIND_HEADER.min(HEADER_FRACTION * kind_rect.h());
        let inner = kind_rect.inset(pad, pad + header);
        let first = &entries[owners[k.start].start];
        let band = R { x0: inner.x0, y0: kind_rect.y0 + pad, x1: inner.x1, y1: inner.y0 };
        if band.h() >= MIN_HEADER_HEIGHT
            && band.w() >= MIN_LABEL_WIDTH
            && let Some(r) = src.regions.get(first.region as usize)
        {
            labels.push(label(r.kind.name().to_string(), band, first.region));
        }

        let groups = &owners[k.start..k.end];
        owner_rects.clear();
        if groups.len() == 1 {
            owner_rects.push(inner);
        } else {
            sizes.clear();
            sizes.extend(groups.iter().map(|g| g.size_bytes as f64));
            squarify(&sizes, inner, &mut owner_rects);
        }
        for (g, cell) in groups.iter().zip(&owner_rects) {
            let cell_inner = if groups.len() == 1 {
                *cell
            } else {
                let pad = cell.pad(OWNER_PAD);
                cell.inset(pad, pad)
            };
            let members = &entries[g.start..g.end];
            sizes.clear();
            sizes.extend(members.iter().map(|e| e.size_bytes() as f64));
            leaf_rects.clear();
            squarify(&sizes, cell_inner, &mut leaf_rects);
            for (e, rect) in members.iter().zip(&leaf_rects) {
                tiles.push(Tile { rect: rect.to_rect(), region: e.region, compressed: false });
            }
            if cell.w() >= MIN_LABEL_WIDTH
                && cell.h() >= MIN_LABEL_HEIGHT
                && let Some(text) = owner_text(src, &members[0])
            {
                labels.push(label(text, *cell, members[0].region));
            }
        }
    }

    // The world, not the tiles' extent: it also holds the padding and the
    // kind headers, so framing it shows the outer groups' labels.
    let bounds = if tiles.is_empty() { Rect::default() } else { world.to_rect() };
    Layout2d { tiles, labels, ticks: Vec::new(), bounds }
}

fn label(text: String, room: R, region: u32) -> MapLabel {
    let room = room.to_rect();
    MapLabel { text, anchor: room.center(), room, region }
}

/// The owner group's name; `None` for owner-less regions (their kind's
/// header names them).
fn owner_text(src: &LayoutSource<'_>, e: &Entry) -> Option<String> {
    let r = src.regions.get(e.region as usize)?;
    Some(match &r.owner {
        Owner::None => return None,
        Owner::Module(i) => match src.modules.get(*i as usize) {
            Some(m) => m.name.clone(),
            None if !r.label.is_empty() => r.label.to_string(),
            None => format!("module {i}"),
        },
        Owner::Heap(i) => format!("heap {i}"),
        Owner::Thread(id) => format!("thread {}", thread_word(r, *id)),
        Owner::File => file_name(&r.label).to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(r: &R) -> f64 {
        r.w() * r.h()
    }

    #[test]
    fn squarify_fills_the_rectangle_in_proportion() {
        let sizes = [6.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0];
        let rect = R { x0: 0.0, y0: 0.0, x1: 6.0, y1: 4.0 };
        let mut out = Vec::new();
        squarify(&sizes, rect, &mut out);
        assert_eq!(out.len(), sizes.len());
        let total: f64 = sizes.iter().sum();
        for (s, r) in sizes.iter().zip(&out) {
            assert!((area(r) - s / total * 24.0).abs() < 1e-9, "{r:?} for {s}");
            assert!(r.x0 >= 0.0 && r.y0 >= 0.0 && r.x1 <= 6.0 && r.y1 <= 4.0);
        }
        // The paper's example: the first row is the two 6s, side by side in a column.
        assert_eq!(out[0], R { x0: 0.0, y0: 0.0, x1: 3.0, y1: 2.0 });
        assert_eq!(out[1], R { x0: 0.0, y0: 2.0, x1: 3.0, y1: 4.0 });
        // Nothing overlaps.
        for (a, ra) in out.iter().enumerate() {
            for rb in &out[a + 1..] {
                assert!(ra.x1 <= rb.x0 || rb.x1 <= ra.x0 || ra.y1 <= rb.y0 || rb.y1 <= ra.y0, "{ra:?} {rb:?}");
            }
        }
    }

    #[test]
    fn squarify_aspect_ratios_stay_moderate() {
        let sizes: Vec<f64> = (1..=50).rev().map(f64::from).collect();
        let mut out = Vec::new();
        squarify(&sizes, R { x0: 0.0, y0: 0.0, x1: 1600.0, y1: 1000.0 }, &mut out);
        let worst = out.iter().map(|r| (r.w() / r.h()).max(r.h() / r.w())).fold(0.0, f64::max);
        assert!(worst < 4.0, "worst aspect {worst}");
    }

    #[test]
    fn group_keys_order_as_kinds_then_owners_do() {
        let owners = [
            Owner::None,
            Owner::Module(0),
            Owner::Module(7),
            Owner::Module(u32::MAX),
            Owner::Heap(0),
            Owner::Heap(3),
            Owner::Thread(1),
            Owner::Thread(u32::MAX),
            Owner::File,
        ];
        let pairs: Vec<(RegionKind, Owner)> =
            RegionKind::ALL.iter().flat_map(|k| owners.iter().map(move |o| (*k, *o))).collect();
        for a in &pairs {
            for b in &pairs {
                let keys = group_key(a.0, &a.1).cmp(&group_key(b.0, &b.1));
                assert_eq!(keys, a.cmp(b), "{a:?} against {b:?}");
            }
        }
    }

    #[test]
    fn min_area_factor_is_the_documented_product() {
        assert!((MIN_AREA_FACTOR - 0.9 * 0.8 * 0.81).abs() < 1e-12);
    }
}
