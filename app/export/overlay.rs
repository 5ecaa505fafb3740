//! What an exported picture adds to the map, and where: a title block (a
//! band across the top), a legend with bytes per kind or per entry of the
//! colouring (a column on the left)
//! and callout labels (a column on the right) with leader lines to the
//! regions they name. [`OverlayLayout`] gives each its own space first and
//! the map what is left, so no overlay hides a tile, a label or a row
//! address; callouts are stacked in their column so they never overlap each
//! other. Painted with egui's painter in the same offscreen pass as the
//! map; colours come from the export's [`Palette`]; nothing here reads the
//! dump file.

use egui::{Color32, FontId, Painter, Pos2, Rect, Stroke, StrokeKind, Vec2, pos2, vec2};

use crate::dump::{AddressSpace, RegionKind};
use crate::format::human_size_short;

use crate::scene::Filters;
use crate::scene::theme::{self, ColorMode, Palette};

/// Space between the picture's edge and a panel.
pub const MARGIN: f32 = 12.0;
const PAD: f32 = 8.0;
const HEADING: f32 = 17.0;
const BODY: f32 = 13.0;

/// The default title block: the dump file name, the process (pid, main
/// module), the OS and the exception, one line each (lines that are unknown
/// are left out).
pub fn default_title(space: &AddressSpace) -> Vec<String> {
    let mut lines = Vec::new();
    let file = space.path.file_name().map(|n| n.to_string_lossy().into_owned());
    lines.push(file.unwrap_or_else(|| space.path.display().to_string()));
    let main = space
        .modules
        .iter()
        .find(|m| m.name.to_ascii_lowercase().ends_with(".exe"))
        .or_else(|| space.modules.first())
        .map(|m| m.name.clone());
    let process = match (space.process.process_id, main) {
        (Some(pid), Some(m)) => Some(format!("pid {pid} (0x{pid:x}), {m}")),
        (Some(pid), None) => Some(format!("pid {pid} (0x{pid:x})")),
        (None, Some(m)) => Some(m),
        (None, None) => None,
    };
    lines.extend(process);
    let s = &space.system;
    let os = format!("{} {} {}, {}-bit", s.os, s.os_version, s.cpu, s.pointer_bits);
    lines.push(os.split_whitespace().collect::<Vec<_>>().join(" "));
    if let Some(e) = &space.exception {
        let at = e.instruction_addr.unwrap_or(e.address);
        lines.push(format!("{} (0x{:08x}) at 0x{at:x}", e.name, e.code));
    }
    lines
}

/// The title block's size for `lines` (the first is the heading).
pub fn title_size(painter: &Painter, lines: &[String], pal: &Palette) -> Vec2 {
    let galleys = title_galleys(painter, lines, pal);
    let width = galleys.iter().map(|g| g.size().x).fold(0.0, f32::max);
    let height: f32 = galleys.iter().map(|g| g.size().y + 2.0).sum();
    vec2(width, height) + Vec2::splat(2.0 * PAD)
}

fn title_galleys(painter: &Painter, lines: &[String], pal: &Palette) -> Vec<std::sync::Arc<egui::Galley>> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let (size, color) = if i == 0 { (HEADING, pal.text) } else { (BODY, pal.text_weak) };
            painter.layout_no_wrap(line.clone(), FontId::proportional(size), color)
        })
        .collect()
}

/// Paints the title block in `panel` (sized by [`title_size`]).
pub fn paint_title(painter: &Painter, panel: Rect, lines: &[String], pal: &Palette) {
    painter.rect_filled(panel, 6.0, pal.panel);
    painter.rect_stroke(panel, 6.0, Stroke::new(1.0, pal.panel_stroke), StrokeKind::Inside);
    let mut y = panel.min.y + PAD;
    for g in title_galleys(painter, lines, pal) {
        let h = g.size().y;
        painter.galley(pos2(panel.min.x + PAD, y), g, pal.text);
        y += h + 2.0;
    }
}

/// One legend row: a swatch colour, a name and the bytes it stands for.
#[derive(Clone, Debug, PartialEq)]
pub struct LegendEntry {
    pub name: &'static str,
    pub color: Color32,
    /// The bytes it stands for, when counted.
    pub bytes: Option<u64>,
}

/// The legend of a picture coloured by `filters`: bytes per kind (every
/// kind present, shown or not) when coloured by kind, else bytes per entry
/// of the colouring over the regions shown, only the entries present.
pub fn legend_entries(space: &AddressSpace, filters: &Filters) -> Vec<LegendEntry> {
    if filters.color_mode == ColorMode::Kind {
        return bytes_by_kind(space)
            .into_iter()
            .map(|(kind, bytes)| LegendEntry { name: kind.name(), color: theme::kind_color(kind), bytes: Some(bytes) })
            .collect();
    }
    let legend = theme::legend(filters.color_mode);
    let mut bytes = vec![0u64; legend.len()];
    for (i, r) in space.regions.iter().enumerate().filter(|(_, r)| filters.shows(r.kind)) {
        if let Some(b) = bytes.get_mut(filters.legend_index(i, r)) {
            *b = b.saturating_add(r.size_bytes);
        }
    }
    legend
        .into_iter()
        .zip(bytes)
        .filter(|(_, bytes)| *bytes > 0)
        .map(|((name, color), bytes)| LegendEntry { name, color, bytes: Some(bytes) })
        .collect()
}

/// Bytes per region kind, in the palette's kind order, only the kinds present.
pub fn bytes_by_kind(space: &AddressSpace) -> Vec<(RegionKind, u64)> {
    RegionKind::ALL
        .iter()
        .map(|k| (*k, space.regions.iter().filter(|r| r.kind == *k).map(|r| r.size_bytes).sum::<u64>()))
        .filter(|(_, bytes)| *bytes > 0)
        .collect()
}

struct LegendRow {
    color: Color32,
    name: std::sync::Arc<egui::Galley>,
    size: std::sync::Arc<egui::Galley>,
}

const SWATCH: f32 = 12.0;

fn legend_rows(painter: &Painter, entries: &[LegendEntry], pal: &Palette) -> Vec<LegendRow> {
    let font = FontId::proportional(BODY);
    entries
        .iter()
        .map(|e| LegendRow {
            color: e.color,
            name: painter.layout_no_wrap(e.name.to_string(), font.clone(), pal.text),
            size: painter.layout_no_wrap(
                e.bytes.map(human_size_short).unwrap_or_default(),
                font.clone(),
                pal.text_weak,
            ),
        })
        .collect()
}

fn legend_row_height(rows: &[LegendRow]) -> f32 {
    rows.iter().map(|r| r.name.size().y).fold(SWATCH, f32::max) + 4.0
}

/// The legend's size: a row per entry.
pub fn legend_size(painter: &Painter, entries: &[LegendEntry], pal: &Palette) -> Vec2 {
    let rows = legend_rows(painter, entries, pal);
    let name_w = rows.iter().map(|r| r.name.size().x).fold(0.0, f32::max);
    let size_w = rows.iter().map(|r| r.size.size().x).fold(0.0, f32::max);
    let width = SWATCH + 8.0 + name_w + 16.0 + size_w;
    vec2(width, legend_row_height(&rows) * rows.len() as f32) + Vec2::splat(2.0 * PAD)
}

/// Paints the legend in `panel` (sized by [`legend_size`]): a swatch in the
/// entry's colour, its name and its bytes, for every entry.
pub fn paint_legend(painter: &Painter, panel: Rect, entries: &[LegendEntry], pal: &Palette) {
    let rows = legend_rows(painter, entries, pal);
    let row_h = legend_row_height(&rows);
    painter.rect_filled(panel, 6.0, pal.panel);
    painter.rect_stroke(panel, 6.0, Stroke::new(1.0, pal.panel_stroke), StrokeKind::Inside);
    for (i, row) in rows.into_iter().enumerate() {
        let top = panel.min.y + PAD + row_h * i as f32;
        let mid = top + row_h * 0.5;
        let sw = Rect::from_center_size(pos2(panel.min.x + PAD + SWATCH * 0.5, mid), Vec2::splat(SWATCH));
        painter.rect_filled(sw, 2.0, row.color);
        painter.rect_stroke(sw, 2.0, Stroke::new(1.0, pal.panel_stroke), StrokeKind::Outside);
        let name_h = row.name.size().y;
        painter.galley(pos2(sw.max.x + 8.0, mid - name_h * 0.5), row.name, pal.text);
        let (bw, bh) = (row.size.size().x, row.size.size().y);
        painter.galley(pos2(panel.max.x - PAD - bw, mid - bh * 0.5), row.size, pal.text_weak);
    }
}

/// One callout: its text and the colour of its marker (the region's kind).
#[derive(Clone, Debug, PartialEq)]
pub struct Callout {
    pub region: u32,
    pub title: String,
    pub detail: Option<String>,
    pub color: Color32,
}

fn callout_galleys(
    painter: &Painter,
    c: &Callout,
    pal: &Palette,
) -> (std::sync::Arc<egui::Galley>, Option<std::sync::Arc<egui::Galley>>) {
    let title = painter.layout_no_wrap(c.title.clone(), FontId::proportional(BODY), pal.text);
    let detail =
        c.detail.as_ref().map(|d| painter.layout_no_wrap(d.clone(), FontId::proportional(11.0), pal.text_weak));
    (title, detail)
}

/// A callout box's size.
pub fn callout_size(painter: &Painter, c: &Callout, pal: &Palette) -> Vec2 {
    let (title, detail) = callout_galleys(painter, c, pal);
    let text_w = title.size().x.max(detail.as_ref().map_or(0.0, |d| d.size().x));
    let text_h = title.size().y + detail.as_ref().map_or(0.0, |d| d.size().y + 1.0);
    vec2(text_w + 14.0 + PAD, text_h) + vec2(PAD, 2.0 * 5.0)
}

/// Where each callout box goes in `column`: stacked top to bottom in the
/// order of their anchors' heights, each as near its anchor's height as the
/// boxes above it allow, [`GAP`] apart, so no two overlap; boxes that do not
/// fit below the others are left out (None). `wanted` is (anchor y, size)
/// per callout.
pub fn stack_callouts(column: Rect, wanted: &[(f32, Vec2)]) -> Vec<Option<Rect>> {
    let mut order: Vec<usize> = (0..wanted.len()).collect();
    order.sort_by(|&a, &b| wanted[a].0.total_cmp(&wanted[b].0).then(a.cmp(&b)));
    let total: f32 = wanted.iter().map(|(_, s)| s.y + GAP).sum();
    let mut out = vec![None; wanted.len()];
    let mut y_min = column.min.y;
    // What is left below each box must still fit the boxes after it.
    let mut below: f32 = total;
    for i in order {
        let (at, size) = wanted[i];
        below -= size.y + GAP;
        if size.x > column.width() {
            continue;
        }
        let y_max = column.max.y - size.y - below.max(0.0);
        if y_max < y_min {
            continue;
        }
        let y = (at - size.y * 0.5).clamp(y_min, y_max);
        let r = Rect::from_min_size(pos2(column.min.x, y), size);
        y_min = r.max.y + GAP;
        out[i] = Some(r);
    }
    out
}

/// Space between two stacked callouts.
pub const GAP: f32 = 6.0;

/// Paints callouts placed by [`stack_callouts`]: a leader from each anchor to
/// its box, a dot at the anchor, then the boxes. `placed` is (anchor, box, callout).
pub fn paint_callouts(painter: &Painter, placed: &[(Pos2, Rect, &Callout)], pal: &Palette) {
    // Leaders first, then the boxes over them.
    for (at, rect, _) in placed {
        let end = nearest_point(*rect, *at);
        painter.line_segment([*at, end], Stroke::new(3.0, pal.panel));
        painter.line_segment([*at, end], Stroke::new(1.5, pal.leader));
    }
    for (at, _, c) in placed {
        painter.circle_filled(*at, 4.0, c.color);
        painter.circle_stroke(*at, 4.0, Stroke::new(1.5, pal.leader));
    }
    for (_, rect, c) in placed {
        let (title, detail) = callout_galleys(painter, c, pal);
        painter.rect_filled(*rect, 4.0, pal.panel);
        painter.rect_stroke(*rect, 4.0, Stroke::new(1.0, pal.panel_stroke), StrokeKind::Inside);
        let bar = Rect::from_min_size(rect.min + vec2(5.0, 5.0), vec2(6.0, rect.height() - 10.0));
        painter.rect_filled(bar, 1.0, c.color);
        let x = bar.max.x + 7.0;
        let th = title.size().y;
        painter.galley(pos2(x, rect.min.y + 5.0), title, pal.text);
        if let Some(d) = detail {
            painter.galley(pos2(x, rect.min.y + 6.0 + th), d, pal.text_weak);
        }
    }
}

fn nearest_point(r: Rect, p: Pos2) -> Pos2 {
    pos2(p.x.clamp(r.min.x, r.max.x), p.y.clamp(r.min.y, r.max.y))
}

/// Where everything goes in a picture of `area`: the title band, the legend
/// column, the callout column, and the map in what is left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OverlayLayout {
    pub map: Rect,
    pub title: Option<Rect>,
    pub legend: Option<Rect>,
    /// The column callout boxes are stacked in.
    pub callouts: Option<Rect>,
}

/// The map keeps at least this share of the picture's width.
const MAP_MIN_WIDTH_SHARE: f32 = 0.4;

impl OverlayLayout {
    /// Lays out a picture of `area` with a title block of `title`, a legend of
    /// `legend` and callout boxes at most `callout_width` wide (each None
    /// when absent). Side columns are narrowed (their content then clipped)
    /// rather than leaving the map under `MAP_MIN_WIDTH_SHARE` (40 %) of the width.
    pub fn new(area: Rect, title: Option<Vec2>, legend: Option<Vec2>, callout_width: Option<f32>) -> OverlayLayout {
        let mut rest = area;
        let title = title.map(|size| {
            let panel = Rect::from_min_size(area.min + Vec2::splat(MARGIN), size);
            rest.min.y = (panel.max.y + MARGIN).min(area.max.y);
            panel
        });
        let budget = area.width() * (1.0 - MAP_MIN_WIDTH_SHARE);
        let wants = legend.map_or(0.0, |s| s.x + 2.0 * MARGIN) + callout_width.map_or(0.0, |w| w + 2.0 * MARGIN);
        let scale = if wants > budget && wants > 0.0 { budget / wants } else { 1.0 };
        let legend = legend.map(|size| {
            let column_w = (size.x + 2.0 * MARGIN) * scale;
            let panel = Rect::from_min_size(
                pos2(rest.min.x + MARGIN, (rest.max.y - MARGIN - size.y).max(rest.min.y)),
                vec2(column_w - 2.0 * MARGIN, size.y.min(rest.height())),
            );
            rest.min.x += column_w;
            panel
        });
        let callouts = callout_width.map(|w| {
            let column_w = (w + 2.0 * MARGIN) * scale;
            let column = Rect::from_min_max(
                pos2(rest.max.x - column_w + MARGIN, rest.min.y + MARGIN),
                pos2(rest.max.x - MARGIN, rest.max.y - MARGIN),
            );
            rest.max.x -= column_w;
            column
        });
        OverlayLayout { map: rest, title, legend, callouts }
    }

    /// The overlay rectangles (title, legend, callout column) that are there.
    pub fn overlays(&self) -> Vec<Rect> {
        [self.title, self.legend, self.callouts].into_iter().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlays_never_cover_the_map() {
        let area = Rect::from_min_size(Pos2::ZERO, vec2(1920.0, 1080.0));
        for (t, l, c) in [
            (None, None, None),
            (Some(vec2(400.0, 90.0)), None, None),
            (Some(vec2(400.0, 90.0)), Some(vec2(200.0, 300.0)), Some(260.0)),
            (None, Some(vec2(900.0, 300.0)), Some(900.0)),
        ] {
            let l = OverlayLayout::new(area, t, l, c);
            assert!(area.contains_rect(l.map) && l.map.is_positive(), "{l:?}");
            for o in l.overlays() {
                assert!(!o.intersects(l.map), "{o:?} covers the map {:?}", l.map);
            }
            assert!(l.map.width() >= area.width() * MAP_MIN_WIDTH_SHARE - 0.01, "{l:?}");
        }
    }

    #[test]
    fn stacked_callouts_never_overlap() {
        let column = Rect::from_min_max(pos2(1500.0, 100.0), pos2(1900.0, 1000.0));
        // Anchors bunched together, and more boxes than fit.
        let wanted: Vec<(f32, Vec2)> = (0..40).map(|i| (500.0 + (i % 3) as f32, vec2(200.0, 40.0))).collect();
        let placed = stack_callouts(column, &wanted);
        let boxes: Vec<Rect> = placed.iter().flatten().copied().collect();
        assert!(boxes.len() >= 15, "{}", boxes.len());
        for (i, a) in boxes.iter().enumerate() {
            assert!(column.contains_rect(*a), "{a:?}");
            for b in &boxes[i + 1..] {
                assert!(!a.intersects(*b), "{a:?} {b:?}");
            }
        }
        // A lone callout sits at its anchor's height.
        let one = stack_callouts(column, &[(300.0, vec2(200.0, 40.0))]);
        assert_eq!(one[0].unwrap().center().y, 300.0);
    }
}
