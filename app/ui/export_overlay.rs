//! What an exported picture adds over the map: a title block (top left), a
//! legend with bytes per kind (bottom left) and callout labels with leader
//! lines to the regions they name. Painted with egui's painter in the same
//! offscreen pass as the map, after it, so they need the map's screen
//! positions of regions (the caller asks the view for them).
//! Colours come from [`theme::ExportPalette`]; nothing here reads the dump file.

use egui::{Color32, FontId, Pos2, Rect, Stroke, StrokeKind, Ui, Vec2, pos2, vec2};

use crate::dump::{AddressSpace, RegionKind};
use crate::format::human_size_short;

use super::theme::{self, ExportPalette};

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

/// Draws the title block in the top-left corner of `area`: the first line as
/// the heading, the rest below it, on a translucent panel. Returns the panel.
pub fn title_ui(ui: &Ui, area: Rect, lines: &[String], pal: &ExportPalette) -> Rect {
    let painter = ui.painter_at(area);
    let galleys: Vec<_> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let (size, color) = if i == 0 { (HEADING, pal.text) } else { (BODY, pal.text_weak) };
            painter.layout_no_wrap(line.clone(), FontId::proportional(size), color)
        })
        .collect();
    let width = galleys.iter().map(|g| g.size().x).fold(0.0, f32::max);
    let height: f32 = galleys.iter().map(|g| g.size().y + 2.0).sum();
    let panel = Rect::from_min_size(area.min + Vec2::splat(MARGIN), vec2(width, height) + Vec2::splat(2.0 * PAD));
    painter.rect_filled(panel, 6.0, pal.panel);
    painter.rect_stroke(panel, 6.0, Stroke::new(1.0, pal.panel_stroke), StrokeKind::Inside);
    let mut y = panel.min.y + PAD;
    for g in galleys {
        let h = g.size().y;
        painter.galley(pos2(panel.min.x + PAD, y), g, pal.text);
        y += h + 2.0;
    }
    panel
}

/// Bytes per region kind, in the palette's kind order, only the kinds present.
pub fn bytes_by_kind(space: &AddressSpace) -> Vec<(RegionKind, u64)> {
    RegionKind::ALL
        .iter()
        .map(|k| (*k, space.regions.iter().filter(|r| r.kind == *k).map(|r| r.size_bytes).sum::<u64>()))
        .filter(|(_, bytes)| *bytes > 0)
        .collect()
}

/// Draws the legend in the bottom-left corner of `area`: a swatch in the
/// kind's colour, the kind and its bytes, for every kind present. Returns the panel.
pub fn legend_ui(ui: &Ui, area: Rect, space: &AddressSpace, pal: &ExportPalette) -> Rect {
    let painter = ui.painter_at(area);
    let font = FontId::proportional(BODY);
    let rows: Vec<_> = bytes_by_kind(space)
        .into_iter()
        .map(|(k, bytes)| {
            let name = painter.layout_no_wrap(k.name().to_string(), font.clone(), pal.text);
            let size = painter.layout_no_wrap(human_size_short(bytes), font.clone(), pal.text_weak);
            (k, name, size)
        })
        .collect();
    let swatch = 12.0;
    let row_h = rows.iter().map(|(_, n, _)| n.size().y).fold(swatch, f32::max) + 4.0;
    let name_w = rows.iter().map(|(_, n, _)| n.size().x).fold(0.0, f32::max);
    let size_w = rows.iter().map(|(_, _, s)| s.size().x).fold(0.0, f32::max);
    let width = swatch + 8.0 + name_w + 16.0 + size_w;
    let height = row_h * rows.len() as f32;
    let size = vec2(width, height) + Vec2::splat(2.0 * PAD);
    let panel = Rect::from_min_size(pos2(area.min.x + MARGIN, area.max.y - MARGIN - size.y), size);
    painter.rect_filled(panel, 6.0, pal.panel);
    painter.rect_stroke(panel, 6.0, Stroke::new(1.0, pal.panel_stroke), StrokeKind::Inside);
    for (i, (kind, name, bytes)) in rows.into_iter().enumerate() {
        let top = panel.min.y + PAD + row_h * i as f32;
        let mid = top + row_h * 0.5;
        let sw = Rect::from_center_size(pos2(panel.min.x + PAD + swatch * 0.5, mid), Vec2::splat(swatch));
        painter.rect_filled(sw, 2.0, theme::kind_color(kind));
        painter.rect_stroke(sw, 2.0, Stroke::new(1.0, pal.panel_stroke), StrokeKind::Outside);
        let name_h = name.size().y;
        painter.galley(pos2(sw.max.x + 8.0, mid - name_h * 0.5), name, pal.text);
        let (bw, bh) = (bytes.size().x, bytes.size().y);
        painter.galley(pos2(panel.max.x - PAD - bw, mid - bh * 0.5), bytes, pal.text_weak);
    }
    panel
}

/// One callout: what it points at (a region's rect on screen, or a point as
/// an empty rect), its text and the colour of its marker (the region's kind).
#[derive(Clone, Debug, PartialEq)]
pub struct Callout {
    pub anchor: Rect,
    pub title: String,
    pub detail: Option<String>,
    pub color: Color32,
}

/// Draws `callouts` in order: each label box goes in free space near the
/// left or right edge of `area` (the nearer to its anchor), clear of `avoid`
/// (the title and legend panels) and of the labels placed before it, with a
/// leader line from the anchor to the box. Callouts whose anchor is off the
/// area, or that find no room, are left out. Returns the label boxes drawn.
pub fn callouts_ui(ui: &Ui, area: Rect, callouts: &[Callout], avoid: &[Rect], pal: &ExportPalette) -> Vec<Rect> {
    let painter = ui.painter_at(area);
    let mut taken: Vec<Rect> = avoid.iter().map(|r| r.expand(4.0)).collect();
    let mut placed = Vec::new();
    let mut drawn = Vec::new();
    for c in callouts {
        let anchor = c.anchor.intersect(area);
        if !anchor.is_positive() && !area.contains(c.anchor.center()) {
            continue;
        }
        let at = if anchor.is_positive() { anchor.center() } else { c.anchor.center() };
        let title = painter.layout_no_wrap(c.title.clone(), FontId::proportional(BODY), pal.text);
        let detail =
            c.detail.as_ref().map(|d| painter.layout_no_wrap(d.clone(), FontId::proportional(11.0), pal.text_weak));
        let text_w = title.size().x.max(detail.as_ref().map_or(0.0, |d| d.size().x));
        let text_h = title.size().y + detail.as_ref().map_or(0.0, |d| d.size().y + 1.0);
        let size = vec2(text_w + 14.0 + PAD, text_h) + vec2(PAD, 2.0 * 5.0);
        let Some(rect) = place(area, at, size, &taken) else { continue };
        taken.push(rect.expand(4.0));
        placed.push((at, rect, c.color, title, detail));
        drawn.push(rect);
    }
    // Leaders first, then the boxes over them.
    for (at, rect, ..) in &placed {
        let end = nearest_point(*rect, *at);
        painter.line_segment([*at, end], Stroke::new(3.0, pal.panel));
        painter.line_segment([*at, end], Stroke::new(1.5, pal.leader));
    }
    for (at, _, color, ..) in &placed {
        painter.circle_filled(*at, 4.0, *color);
        painter.circle_stroke(*at, 4.0, Stroke::new(1.5, pal.leader));
    }
    for (_, rect, color, title, detail) in placed {
        painter.rect_filled(rect, 4.0, pal.panel);
        painter.rect_stroke(rect, 4.0, Stroke::new(1.0, pal.panel_stroke), StrokeKind::Inside);
        let bar = Rect::from_min_size(rect.min + vec2(5.0, 5.0), vec2(6.0, rect.height() - 10.0));
        painter.rect_filled(bar, 1.0, color);
        let x = bar.max.x + 7.0;
        let th = title.size().y;
        painter.galley(pos2(x, rect.min.y + 5.0), title, pal.text);
        if let Some(d) = detail {
            painter.galley(pos2(x, rect.min.y + 6.0 + th), d, pal.text_weak);
        }
    }
    drawn
}

/// A free spot for a box of `size` near the edge nearer to `at`, as close to
/// `at`'s height as it can be; then the other edge.
fn place(area: Rect, at: Pos2, size: Vec2, taken: &[Rect]) -> Option<Rect> {
    let inner = area.shrink(MARGIN);
    if inner.width() < size.x || inner.height() < size.y {
        return None;
    }
    let left = inner.min.x;
    let right = inner.max.x - size.x;
    let sides = if at.x < area.center().x { [left, right] } else { [right, left] };
    let step = size.y * 0.5 + 2.0;
    let mark = Rect::from_center_size(at, Vec2::splat(10.0));
    for x in sides {
        let mut best: Option<(f32, Rect)> = None;
        let tries = (inner.height() / step).ceil() as i32 + 1;
        for k in 0..=2 * tries {
            let offset = if k % 2 == 0 { (k / 2) as f32 } else { -((k / 2 + 1) as f32) } * step;
            let y = (at.y - size.y * 0.5 + offset).clamp(inner.min.y, inner.max.y - size.y);
            let r = Rect::from_min_size(pos2(x, y), size);
            if taken.iter().any(|t| t.intersects(r)) || r.intersects(mark) {
                continue;
            }
            let d = (r.center().y - at.y).abs();
            if best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, r));
            }
            break;
        }
        if let Some((_, r)) = best {
            return Some(r);
        }
    }
    None
}

fn nearest_point(r: Rect, p: Pos2) -> Pos2 {
    pos2(p.x.clamp(r.min.x, r.max.x), p.y.clamp(r.min.y, r.max.y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_do_not_overlap_what_they_avoid() {
        let area = Rect::from_min_size(Pos2::ZERO, vec2(800.0, 500.0));
        let title = Rect::from_min_size(pos2(12.0, 12.0), vec2(200.0, 80.0));
        let mut taken = vec![title];
        for y in [20.0, 30.0, 40.0, 450.0] {
            let r = place(area, pos2(100.0, y), vec2(150.0, 30.0), &taken).unwrap();
            assert!(area.contains_rect(r));
            assert!(!taken.iter().any(|t| t.intersects(r)), "{r:?}");
            taken.push(r);
        }
        // The right half goes to the right edge.
        let r = place(area, pos2(700.0, 250.0), vec2(150.0, 30.0), &taken).unwrap();
        assert_eq!(r.max.x, 800.0 - MARGIN);
    }
}
