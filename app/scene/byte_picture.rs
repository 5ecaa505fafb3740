//! The byte picture: a dump's bytes as pixels (Vostokov's Dump2Picture,
//! binvis and cantordust's byte classes and entropy along a Hilbert curve).
//! The bytes shown are an axis ([`ByteAxis`]: every captured range one after
//! the other, or one region with the parts the dump does not hold); a view
//! of it (a byte range, for zoom) is laid on a grid of cells in Hilbert or
//! row order, each cell the bytes it stands for, coloured by their classes,
//! their entropy, or raw (bytes as grey or RGB). A cell covers many bytes
//! when zoomed out (so a 4 GiB picture reads each byte once, cells side by
//! side on every core) and a block of pixels per byte when zoomed in.

use std::ops::Range;

use egui::Color32;
use rayon::prelude::*;

use crate::analysis::byte_stats::entropy;
use crate::analysis::swar::class_counts;
use crate::dump::{AddressSpace, Region};
use crate::layout::hilbert::{hilbert_cell, hilbert_index};
use crate::scene::theme;

/// What a cell's colour says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BytesMode {
    /// The mix of the bytes' classes' colours (binvis).
    #[default]
    Class,
    /// The entropy of the bytes (at least [`ENTROPY_WINDOW`] around the cell).
    Entropy,
    /// The bytes themselves: grey for one byte, RGB of three (Dump2Picture).
    Raw,
}

impl BytesMode {
    pub const ALL: [BytesMode; 3] = [BytesMode::Class, BytesMode::Entropy, BytesMode::Raw];

    pub fn name(self) -> &'static str {
        match self {
            BytesMode::Class => "class",
            BytesMode::Entropy => "entropy",
            BytesMode::Raw => "raw",
        }
    }

    pub fn from_name(s: &str) -> Option<BytesMode> {
        BytesMode::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(s.trim()))
    }
}

/// The order cells follow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BytesOrder {
    /// Along a Hilbert curve in a square: neighbouring bytes stay neighbours.
    #[default]
    Hilbert,
    /// Row by row.
    Linear,
}

impl BytesOrder {
    pub fn name(self) -> &'static str {
        match self {
            BytesOrder::Hilbert => "hilbert",
            BytesOrder::Linear => "linear",
        }
    }

    pub fn from_name(s: &str) -> Option<BytesOrder> {
        [BytesOrder::Hilbert, BytesOrder::Linear].into_iter().find(|m| m.name().eq_ignore_ascii_case(s.trim()))
    }
}

/// From this many bytes a picture asks for the dump's pages up front.
const FULL_READ_BYTES: u64 = 256 << 20;

/// Entropy is taken over at least this many bytes around a cell, so single
/// bytes zoomed in still show their neighbourhood's entropy.
pub const ENTROPY_WINDOW: u64 = 256;
/// The colour of bytes the dump does not hold.
pub const NOT_HELD: Color32 = Color32::from_rgb(0x2c, 0x30, 0x38);
/// Byte-class colours of single bytes (the region colouring's, with zero darker
/// so that zero pages read as the quiet ground they are).
pub const CLASS_COLORS: [Color32; 5] = [
    Color32::from_rgb(0x16, 0x18, 0x1c),
    Color32::from_rgb(0x4c, 0xc3, 0x6a),
    Color32::from_rgb(0x4e, 0x8c, 0xf0),
    Color32::from_rgb(0xef, 0x5b, 0x5b),
    Color32::from_rgb(0xf0, 0xf0, 0xf0),
];

/// The bytes a picture shows, one segment after another: (address, length).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteAxis {
    segments: Vec<(u64, u64)>,
    /// `starts[i]`: where segment i begins on the axis.
    starts: Vec<u64>,
    total: u64,
}

impl ByteAxis {
    fn new(segments: Vec<(u64, u64)>) -> ByteAxis {
        let mut starts = Vec::with_capacity(segments.len());
        let mut total = 0u64;
        for (_, len) in &segments {
            starts.push(total);
            total = total.saturating_add(*len);
        }
        ByteAxis { segments, starts, total }
    }

    /// Every captured byte of the dump, range after range (Dump2Picture's view of a dump).
    pub fn captured(space: &AddressSpace) -> ByteAxis {
        ByteAxis::new(space.captured_slices().map(|(a, b)| (a, b.len() as u64)).collect())
    }

    /// One region, held or not.
    pub fn region(r: &Region) -> ByteAxis {
        ByteAxis::new(vec![(r.base_addr, r.size_bytes)])
    }

    /// Bytes on the axis.
    pub fn len(&self) -> u64 {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The address of the byte at axis offset `at`.
    pub fn addr_at(&self, at: u64) -> Option<u64> {
        if at >= self.total {
            return None;
        }
        let i = self.starts.partition_point(|s| *s <= at).checked_sub(1)?;
        let (addr, _) = self.segments[i];
        addr.checked_add(at - self.starts[i])
    }

    /// The axis offset of `addr`, when the axis shows it (segments are in address order).
    pub fn offset_of(&self, addr: u64) -> Option<u64> {
        let i = self.segments.partition_point(|(a, _)| *a <= addr).checked_sub(1)?;
        let (a, len) = self.segments[i];
        (addr - a < len).then(|| self.starts[i] + (addr - a))
    }
}

/// How a view of the axis lies on the picture's pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellGrid {
    pub order: BytesOrder,
    /// Cells across and down (Hilbert: a square of side 2^k).
    pub cols: u32,
    pub rows: u32,
    /// Each cell's side in pixels.
    pub cell_px: u32,
    /// The first axis byte shown and the bytes each cell stands for.
    pub first: u64,
    pub bytes_per_cell: u64,
    /// Axis bytes shown (from `first`).
    pub count: u64,
}

impl CellGrid {
    /// The grid for `count` axis bytes from `first` in a picture of `size_px`.
    pub fn new(order: BytesOrder, size_px: [u32; 2], first: u64, count: u64) -> CellGrid {
        let [w, h] = [size_px[0].max(1), size_px[1].max(1)];
        let count = count.max(1);
        // Cell side: as large as lets every byte have a cell of its own, at least one pixel.
        let pixels = u64::from(w) * u64::from(h);
        let mut cell_px = (((pixels / count) as f64).sqrt().floor() as u32).clamp(1, w.min(h));
        let (cols, rows) = loop {
            let (cw, ch) = (w / cell_px, h / cell_px);
            let (cols, rows) = match order {
                BytesOrder::Hilbert => {
                    let side = 1u32 << (31 - cw.min(ch).max(1).leading_zeros());
                    (side, side)
                }
                BytesOrder::Linear => (cw.max(1), ch.max(1)),
            };
            // A Hilbert square may hold fewer cells than bytes at this size: smaller cells.
            if cell_px == 1 || u64::from(cols) * u64::from(rows) >= count {
                break (cols, rows);
            }
            cell_px -= 1;
        };
        let cells = u64::from(cols) * u64::from(rows);
        CellGrid { order, cols, rows, cell_px, first, bytes_per_cell: count.div_ceil(cells), count }
    }

    /// The cell (column, row) of cell index `i`.
    pub fn cell_xy(&self, i: u64) -> (u32, u32) {
        match self.order {
            BytesOrder::Hilbert => hilbert_cell(self.cols.trailing_zeros(), i),
            BytesOrder::Linear => ((i % u64::from(self.cols)) as u32, (i / u64::from(self.cols)) as u32),
        }
    }

    /// The cell index at (column, row).
    pub fn cell_index(&self, x: u32, y: u32) -> Option<u64> {
        if x >= self.cols || y >= self.rows {
            return None;
        }
        Some(match self.order {
            BytesOrder::Hilbert => hilbert_index(self.cols.trailing_zeros(), x, y),
            BytesOrder::Linear => u64::from(y) * u64::from(self.cols) + u64::from(x),
        })
    }

    /// The axis bytes cell `i` stands for (empty past the view's end).
    pub fn bytes_of(&self, i: u64) -> Range<u64> {
        let lo = i.saturating_mul(self.bytes_per_cell).min(self.count);
        let hi = lo.saturating_add(self.bytes_per_cell).min(self.count);
        self.first + lo..self.first + hi
    }

    /// The axis offset under pixel (x, y) of the picture (None outside the bytes shown).
    pub fn offset_at(&self, x: f32, y: f32) -> Option<u64> {
        if x < 0.0 || y < 0.0 {
            return None;
        }
        let (cx, cy) = ((x as u32) / self.cell_px, (y as u32) / self.cell_px);
        let r = self.bytes_of(self.cell_index(cx, cy)?);
        (r.start < r.end).then_some(r.start)
    }

    /// Picture size in pixels.
    pub fn size_px(&self) -> [u32; 2] {
        [self.cols * self.cell_px, self.rows * self.cell_px]
    }
}

/// A computed byte picture.
pub struct BytePicture {
    pub grid: CellGrid,
    /// Row-major, `grid.size_px()`.
    pub image: egui::ColorImage,
}

/// What a cell's colour is made from: its held bytes' classes, histogram
/// (entropy) or values (raw), summed over one or more pieces.
#[derive(Default)]
struct CellSums {
    held: u64,
    classes: [u64; 5],
    hist: Option<Box<[u64; 256]>>,
    /// Raw: the first held byte, and sums of bytes at offsets 0, 1, 2 mod 3.
    first: Option<u8>,
    rgb: [u64; 3],
    rgb_n: [u64; 3],
}

impl CellSums {
    fn new(mode: BytesMode) -> CellSums {
        CellSums { hist: (mode == BytesMode::Entropy).then(|| Box::new([0u64; 256])), ..CellSums::default() }
    }

    /// Adds `bytes` (all held), which follow the bytes added before.
    fn add(&mut self, mode: BytesMode, bytes: &[u8]) {
        match mode {
            BytesMode::Class => {
                for (sum, n) in self.classes.iter_mut().zip(class_counts(bytes)) {
                    *sum += n;
                }
            }
            BytesMode::Entropy => {
                if let Some(h) = &mut self.hist {
                    for &b in bytes {
                        h[b as usize] += 1;
                    }
                }
            }
            BytesMode::Raw => {
                if self.first.is_none() {
                    self.first = bytes.first().copied();
                }
                for (k, &b) in bytes.iter().enumerate() {
                    let slot = ((self.held + k as u64) % 3) as usize;
                    self.rgb[slot] += u64::from(b);
                    self.rgb_n[slot] += 1;
                }
            }
        }
        self.held += bytes.len() as u64;
    }

    fn color(&self, mode: BytesMode) -> Color32 {
        if self.held == 0 {
            return NOT_HELD;
        }
        match mode {
            BytesMode::Class => {
                let mut sum = [0u64; 3];
                for (c, n) in CLASS_COLORS.iter().zip(self.classes) {
                    sum[0] += u64::from(c.r()) * n;
                    sum[1] += u64::from(c.g()) * n;
                    sum[2] += u64::from(c.b()) * n;
                }
                let n = self.held;
                Color32::from_rgb((sum[0] / n) as u8, (sum[1] / n) as u8, (sum[2] / n) as u8)
            }
            BytesMode::Entropy => {
                let e = self.hist.as_deref().map_or(0.0, entropy);
                theme::ENTROPY_COLORS[(e.clamp(0.0, 7.999) as usize).min(7)].1
            }
            BytesMode::Raw if self.held < 3 => {
                let g = self.first.unwrap_or(0);
                Color32::from_rgb(g, g, g)
            }
            BytesMode::Raw => {
                let c = |k: usize| (self.rgb[k] / self.rgb_n[k].max(1)) as u8;
                Color32::from_rgb(c(0), c(1), c(2))
            }
        }
    }
}

/// The colour of one cell's bytes (`held` marks the bytes the dump has;
/// for entropy, `around` is the window the entropy is taken over).
#[cfg(test)]
fn cell_color(mode: BytesMode, bytes: &[u8], held: &[bool], around: Option<&[u64; 256]>) -> Color32 {
    let mut sums = CellSums::new(mode);
    for (b, _) in bytes.iter().zip(held).filter(|(_, h)| **h) {
        sums.add(mode, std::slice::from_ref(b));
    }
    if let (Some(h), Some(a)) = (&mut sums.hist, around) {
        **h = *a;
    }
    sums.color(mode)
}

impl ByteAxis {
    /// Adds the held bytes of axis `range` to `sums`: straight from the
    /// dump's mapped bytes where a captured range holds them (no copy),
    /// through `buf` where the dump may lack some.
    fn sum_into(
        &self,
        space: &AddressSpace,
        range: Range<u64>,
        mode: BytesMode,
        sums: &mut CellSums,
        buf: &mut Vec<u8>,
        held: &mut Vec<bool>,
    ) {
        let mut i = self.starts.partition_point(|s| *s <= range.start).saturating_sub(1);
        while let (Some(&(addr, len)), Some(&start)) = (self.segments.get(i), self.starts.get(i)) {
            if start >= range.end {
                break;
            }
            let lo = range.start.max(start);
            let hi = range.end.min(start.saturating_add(len));
            if lo < hi {
                let a = addr + (lo - start);
                let n = (hi - lo) as usize;
                match space.captured.read(space.bytes(), a, n) {
                    Some(bytes) => sums.add(mode, bytes),
                    None => {
                        buf.resize(n, 0);
                        held.resize(n, false);
                        space.read_memory(a, buf, held);
                        // Runs of held bytes, added as slices.
                        let mut k = 0;
                        while k < n {
                            if !held[k] {
                                k += 1;
                                continue;
                            }
                            let run = held[k..].iter().position(|h| !h).unwrap_or(n - k);
                            sums.add(mode, &buf[k..k + run]);
                            k += run;
                        }
                    }
                }
            }
            i += 1;
        }
    }
}

/// Draws axis bytes `view` (a range of axis offsets) of `space` in a
/// picture of at most `size_px`.
pub fn byte_picture(
    space: &AddressSpace,
    axis: &ByteAxis,
    view: Range<u64>,
    size_px: [u32; 2],
    order: BytesOrder,
    mode: BytesMode,
) -> BytePicture {
    let view = view.start.min(axis.len())..view.end.min(axis.len());
    let grid = CellGrid::new(order, size_px, view.start, view.end.saturating_sub(view.start));
    // A big picture reads most of the dump: map its pages in one go.
    if view.end - view.start >= FULL_READ_BYTES {
        space.prepare_full_read();
    }
    let cells = u64::from(grid.cols) * u64::from(grid.rows);
    // One colour per cell, cells side by side; each reads only its own bytes.
    let colors: Vec<Color32> = (0..cells)
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new()),
            |(buf, held): &mut (Vec<u8>, Vec<bool>), i| {
                let mut r = grid.bytes_of(i);
                if r.start >= r.end {
                    return Color32::TRANSPARENT;
                }
                let mut sums = CellSums::new(mode);
                if mode == BytesMode::Entropy && r.end - r.start < ENTROPY_WINDOW {
                    // Too few bytes for an entropy: the window around the cell, if the cell holds any.
                    let mut own = CellSums::new(BytesMode::Class);
                    axis.sum_into(space, r.clone(), BytesMode::Class, &mut own, buf, held);
                    if own.held == 0 {
                        return NOT_HELD;
                    }
                    let mid = r.start + (r.end - r.start) / 2;
                    r = mid.saturating_sub(ENTROPY_WINDOW / 2)..(mid + ENTROPY_WINDOW / 2).min(axis.len());
                }
                axis.sum_into(space, r, mode, &mut sums, buf, held);
                sums.color(mode)
            },
        )
        .collect();
    let [w, h] = grid.size_px();
    let mut image = egui::ColorImage::new([w as usize, h as usize], vec![Color32::TRANSPARENT; (w * h) as usize]);
    for (i, c) in colors.iter().enumerate() {
        let (cx, cy) = grid.cell_xy(i as u64);
        for dy in 0..grid.cell_px {
            let row = ((cy * grid.cell_px + dy) * w) as usize;
            let x0 = (cx * grid.cell_px) as usize;
            image.pixels[row + x0..row + x0 + grid.cell_px as usize].fill(*c);
        }
    }
    BytePicture { grid, image }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_give_every_byte_a_cell_and_find_it_again() {
        for order in [BytesOrder::Hilbert, BytesOrder::Linear] {
            for count in [1u64, 7, 100, 4096, 1 << 20, 1 << 34] {
                let g = CellGrid::new(order, [640, 480], 1000, count);
                let cells = u64::from(g.cols) * u64::from(g.rows);
                assert!(cells * g.bytes_per_cell >= count, "{order:?} {count}: {g:?}");
                let [w, h] = g.size_px();
                assert!(w <= 640 && h <= 480, "{g:?}");
                // The last byte shown has a cell, and the pixel of that cell finds its first byte.
                let last = (count - 1) / g.bytes_per_cell;
                let (x, y) = g.cell_xy(last);
                let px = (x * g.cell_px) as f32 + 0.5;
                let py = (y * g.cell_px) as f32 + 0.5;
                assert_eq!(g.offset_at(px, py), Some(1000 + last * g.bytes_per_cell), "{order:?} {count}");
            }
        }
        // Zoomed in: a few bytes get big cells.
        let g = CellGrid::new(BytesOrder::Linear, [640, 480], 0, 16);
        assert!(g.cell_px >= 16, "{g:?}");
    }

    #[test]
    fn axes_map_offsets_to_addresses_and_back() {
        let a = ByteAxis::new(vec![(0x1000, 0x100), (0x5000, 0x10)]);
        assert_eq!(a.len(), 0x110);
        assert_eq!(a.addr_at(0), Some(0x1000));
        assert_eq!(a.addr_at(0x100), Some(0x5000));
        assert_eq!(a.addr_at(0x110), None);
        assert_eq!(a.offset_of(0x5008), Some(0x108));
        assert_eq!(a.offset_of(0x4fff), None);
    }

    #[test]
    fn cell_colours_follow_the_mode() {
        let zeros = [0u8; 8];
        let held = [true; 8];
        assert_eq!(cell_color(BytesMode::Class, &zeros, &held, None), CLASS_COLORS[0]);
        assert_eq!(cell_color(BytesMode::Class, &zeros, &[false; 8], None), NOT_HELD);
        assert_eq!(cell_color(BytesMode::Raw, &[0x80], &[true], None), Color32::from_rgb(0x80, 0x80, 0x80));
        assert_eq!(
            cell_color(BytesMode::Raw, &[10, 20, 30, 30, 40, 50], &[true; 6], None),
            Color32::from_rgb(20, 30, 40)
        );
        let mut flat = [0u64; 256];
        flat[0] = 100;
        assert_eq!(cell_color(BytesMode::Entropy, &zeros, &held, Some(&flat)), theme::ENTROPY_COLORS[0].1);
        assert_eq!(cell_color(BytesMode::Entropy, &zeros, &held, Some(&[1; 256])), theme::ENTROPY_COLORS[7].1);
    }
}
