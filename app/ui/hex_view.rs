//! The Memory tab: the selected region's bytes, as WinDbg's `db`, `dw`,
//! `dd`, `dq` and `dps` show them: address, 16 bytes in hex (or words,
//! dwords, qwords), ASCII; `??` in its own colour for bytes the dump does
//! not hold; pointer rows annotated with what they point at (module+offset,
//! a thread's stack, the region's kind), each a link that selects it; a
//! data inspector for the value under the cursor; go to address.
//!
//! Virtualized on u64 rows: only the rows on screen are read (one read a
//! frame) and laid out, and the view's own scroll position is an address,
//! so a 128 TiB free region scrolls and jumps as fast as a page (an egui
//! ScrollArea's f32 offsets would lose whole rows past ~16M pixels).

use egui::text::LayoutJob;
use egui::{Color32, FontId, Key, RichText, Sense, TextFormat, Ui};

use super::actions::Command;
use crate::dump::{AddressSpace, FunctionNames, Owner, RegionKind};
use crate::format::{hex, parse_hex_addr, windbg_addr};
use crate::scene::theme;

/// Bytes a row shows (pointer rows: one pointer).
const ROW_BYTES: u64 = 16;
/// The rows' scrollbar, right of them.
const SCROLLBAR_WIDTH: f32 = 12.0;
/// The colour of bytes the dump does not hold.
pub const NOT_HELD_TEXT: Color32 = Color32::from_rgb(0xc0, 0x60, 0x60);

/// How the bytes are grouped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Unit {
    #[default]
    Bytes,
    Words,
    Dwords,
    Qwords,
    /// One pointer a row, annotated (`dps`).
    Pointers,
}

impl Unit {
    const ALL: [(Unit, &'static str); 5] =
        [(Unit::Bytes, "db"), (Unit::Words, "dw"), (Unit::Dwords, "dd"), (Unit::Qwords, "dq"), (Unit::Pointers, "dps")];

    fn width(self, pointer_bytes: u64) -> u64 {
        match self {
            Unit::Bytes => 1,
            Unit::Words => 2,
            Unit::Dwords => 4,
            Unit::Qwords => 8,
            Unit::Pointers => pointer_bytes,
        }
    }
}

/// The tab's state.
#[derive(Default)]
pub struct HexViewState {
    /// The first address shown (row-aligned), within the region.
    pub top: u64,
    /// The byte the inspector reads.
    pub cursor: Option<u64>,
    pub unit: Unit,
    goto: String,
    note: Option<String>,
    /// The region (its base) the view is on; another selection moves the view there.
    region_for: Option<u64>,
    /// Rows that fit, last frame (PageUp/PageDown move by it).
    rows_shown: u64,
}

impl HexViewState {
    /// Puts `addr`'s row on top and the cursor on it.
    pub fn show(&mut self, addr: u64, row_bytes: u64) {
        self.top = addr - addr % row_bytes;
        self.cursor = Some(addr);
    }
}

/// `module!function+0x1a` (with the walk's symbols), `module+0x1a2b`,
/// `Stack of thread 0x1a2c`, `Heap`, for what `value` points at.
pub fn describe_target(space: &AddressSpace, value: u64, names: Option<&FunctionNames>) -> Option<String> {
    if let Some(m) = space.module_at(value) {
        let name = crate::dump::windbg_module_name(&m.name);
        return Some(match names.and_then(|n| n.function_at(value)) {
            Some((function, 0)) => format!("{name}!{function}"),
            Some((function, off)) => format!("{name}!{function}+0x{off:x}"),
            None => format!("{name}+0x{:x}", value - m.base_addr),
        });
    }
    let r = space.region_at(value)?;
    match (&r.owner, r.kind) {
        (_, RegionKind::Free | RegionKind::Unknown) => None,
        (Owner::Thread(id), _) => Some(format!("{} of thread 0x{id:x}", r.kind)),
        _ if !r.label.is_empty() => Some(format!("{} {}", r.kind, r.label)),
        _ => Some(r.kind.name().to_string()),
    }
}

/// The little-endian value of `width` bytes at `at` in `buf`, when all held.
fn value_at(buf: &[u8], held: &[bool], at: usize, width: usize) -> Option<u64> {
    let bytes = buf.get(at..at + width)?;
    if !held.get(at..at + width)?.iter().all(|h| *h) {
        return None;
    }
    let mut v = [0u8; 8];
    v[..width].copy_from_slice(bytes);
    Some(u64::from_le_bytes(v))
}

/// The Memory tab for region `selected`; returns what a click asks for.
pub fn hex_view_ui(
    ui: &mut Ui,
    space: &AddressSpace,
    state: &mut HexViewState,
    selected: Option<usize>,
    names: Option<&FunctionNames>,
) -> Option<Command> {
    let mut cmd = None;
    let Some(region) = selected.and_then(|i| space.regions.get(i)) else {
        ui.label("Select a region on the map to see its bytes.");
        return None;
    };
    let (base, end) = (region.base_addr, region.end_addr());
    let ptr = u64::from(space.system.pointer_bits / 8).clamp(4, 8);
    let row_bytes = if state.unit == Unit::Pointers { ptr } else { ROW_BYTES };
    if state.region_for != Some(base) {
        state.region_for = Some(base);
        match state.cursor.filter(|c| (base..end).contains(c)) {
            // Go to or Show bytes chose an address in this region: its row on top.
            Some(c) => state.show(c, row_bytes),
            None => (state.top, state.cursor) = (base, None),
        }
    }
    ui.horizontal(|ui| {
        for (u, name) in Unit::ALL {
            ui.selectable_value(&mut state.unit, u, name);
        }
        ui.separator();
        let label = ui.label("Go to");
        let edit = ui
            .add(egui::TextEdit::singleline(&mut state.goto).hint_text("address").desired_width(160.0))
            .labelled_by(label.id);
        let go = ui.button("Go").clicked() || (edit.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)));
        if go {
            match parse_hex_addr(&state.goto) {
                Some(a) if space.region_at(a).is_some() => {
                    state.show(a, row_bytes);
                    state.note = None;
                    cmd = Some(Command::SelectAddress(a));
                }
                Some(a) => state.note = Some(format!("{} is outside the address space", hex(a))),
                None => state.note = Some(format!("'{}' is not a hex address", state.goto.trim())),
            }
        }
        if let Some(note) = &state.note {
            ui.colored_label(theme::WARNING, note);
        }
    });
    // Rows of the region: the last row starts at the last row-aligned address below its end.
    let first_row = base - base % row_bytes;
    let last_row = (end - 1) - (end - 1) % row_bytes;
    let font = FontId::monospace(13.0);
    let row_h = ui.fonts_mut(|f| f.row_height(&font)) + 2.0;
    let char_w = ui.fonts_mut(|f| f.glyph_width(&font, '0'));
    ui.columns(2, |cols| {
        if let Some(c) = inspector_ui(&mut cols[1], space, state.cursor, names) {
            cmd = Some(c);
        }
        let ui = &mut cols[0];
        let avail = ui.available_size();
        let rows = ((avail.y / row_h).floor() as u64).max(1);
        state.rows_shown = rows;
        let max_top = last_row.saturating_sub((rows - 1) * row_bytes).max(first_row);
        state.top = (state.top - state.top % row_bytes).clamp(first_row, max_top);
        let (whole, _) = ui.allocate_exact_size(avail, Sense::hover());
        let (rect, bar) = whole.split_left_right_at_x(whole.max.x - SCROLLBAR_WIDTH);
        let response = ui.interact(rect, ui.make_persistent_id("hex_rows"), Sense::click());
        // Scrolling: the wheel, and the paging keys while the pointer is over the rows.
        if ui.rect_contains_pointer(rect) {
            let (wheel, keys) = ui.input(|i| {
                let k = [Key::PageUp, Key::PageDown, Key::Home, Key::End].map(|k| i.key_pressed(k));
                (i.smooth_scroll_delta.y, k)
            });
            let step = |n: u64| n.saturating_mul(row_bytes);
            if wheel != 0.0 {
                let n = ((wheel.abs() / row_h).ceil() as u64).max(1);
                state.top =
                    if wheel > 0.0 { state.top.saturating_sub(step(n)) } else { state.top.saturating_add(step(n)) };
            }
            if keys[0] {
                state.top = state.top.saturating_sub(step(rows));
            }
            if keys[1] {
                state.top = state.top.saturating_add(step(rows));
            }
            if keys[2] {
                state.top = first_row;
            }
            if keys[3] {
                state.top = max_top;
            }
            state.top = state.top.clamp(first_row, max_top);
        }
        // The scrollbar, over row indices 0..=last (u64: a free region has ~5e11 rows).
        let (index, last_index) = ((state.top - first_row) / row_bytes, (max_top - first_row) / row_bytes);
        let index = scrollbar_ui(ui, bar, index, last_index, rows);
        state.top = first_row + index * row_bytes;
        // The rows on screen, read at once (never past the end of the address space).
        let len = (rows * row_bytes).min((u64::MAX - state.top).saturating_add(1)) as usize;
        let (mut buf, mut held) = (vec![0u8; len], vec![false; len]);
        space.read_memory(state.top, &mut buf, &mut held);
        let bits = space.system.pointer_bits;
        let addr_w = windbg_addr(0, bits).len() as f32 * char_w;
        for row in 0..rows {
            let at = state.top.saturating_add(row * row_bytes);
            if at > last_row || (row > 0 && at == state.top) {
                break;
            }
            let y = rect.min.y + row as f32 * row_h;
            let off = (row * row_bytes) as usize;
            let mut job = LayoutJob::default();
            let plain = TextFormat::simple(font.clone(), ui.visuals().text_color());
            let weak = TextFormat::simple(font.clone(), ui.visuals().weak_text_color());
            let missing = TextFormat::simple(font.clone(), NOT_HELD_TEXT);
            job.append(&format!("{}  ", windbg_addr(at, bits)), 0.0, weak.clone());
            if state.unit == Unit::Pointers {
                let w = ptr as usize;
                match value_at(&buf, &held, off, w) {
                    Some(v) => {
                        job.append(&windbg_addr(v, bits), 0.0, plain.clone());
                        row_label(ui, rect, y, row_h, job);
                        if let Some(what) = describe_target(space, v, names) {
                            let x = rect.min.x + addr_w * 2.0 + 4.0 * char_w;
                            let link = put_left(
                                ui,
                                egui::Rect::from_min_size(egui::pos2(x, y), egui::vec2(rect.max.x - x, row_h)),
                                egui::Link::new(RichText::new(what).font(font.clone())),
                            );
                            if link.clicked() {
                                cmd = Some(Command::SelectAddress(v));
                            }
                        }
                        continue;
                    }
                    None => job.append(&"?".repeat(2 * w), 0.0, missing.clone()),
                }
            } else {
                let w = state.unit.width(ptr) as usize;
                let mut k = 0;
                while k < ROW_BYTES as usize {
                    if at.checked_add(k as u64).is_none_or(|a| a >= end) {
                        break;
                    }
                    let sep = if k + w == 8 && w == 1 { "-" } else { " " };
                    match value_at(&buf, &held, off + k, w) {
                        Some(v) => job.append(&format!("{v:0width$x}{sep}", width = 2 * w), 0.0, plain.clone()),
                        None => job.append(&format!("{}{sep}", "?".repeat(2 * w)), 0.0, missing.clone()),
                    }
                    k += w;
                }
                let shown = k;
                job.append(&" ".repeat(((ROW_BYTES as usize - shown) / w) * (2 * w + 1) + 1), 0.0, plain.clone());
                for j in 0..shown {
                    let (c, f) = match (held.get(off + j), buf.get(off + j)) {
                        (Some(true), Some(b)) if (0x20..0x7f).contains(b) => (char::from(*b), &plain),
                        (Some(true), _) => ('.', &weak),
                        _ => ('.', &missing),
                    };
                    job.append(&c.to_string(), 0.0, f.clone());
                }
            }
            row_label(ui, rect, y, row_h, job);
        }
        // A click puts the cursor on the byte or word under it (a pointer row: its word).
        if let Some(pos) = response.interact_pointer_pos().filter(|_| response.clicked()) {
            let row = ((pos.y - rect.min.y) / row_h).floor().max(0.0) as u64;
            let w = state.unit.width(ptr);
            let col = ((pos.x - rect.min.x - addr_w - 2.0 * char_w) / char_w).floor();
            let at = if state.unit == Unit::Pointers {
                state.top.checked_add(row * ptr)
            } else if col >= 0.0 && (col as u64) / (2 * w + 1) * w < ROW_BYTES {
                state.top.checked_add(row * ROW_BYTES + (col as u64) / (2 * w + 1) * w)
            } else {
                None
            };
            if let Some(at) = at.filter(|a| (base..end).contains(a)) {
                state.cursor = Some(at);
            }
        }
    });
    cmd
}

/// A vertical scrollbar in `rect` over rows `0..=last` of which `index` is on
/// top and `shown` fit: pressing or dragging puts the thumb's middle under the
/// pointer. Returns the top row. Indices stay u64; only the thumb's place is
/// a fraction (exact to the pixel), so 5e11 rows scroll as 50 do.
fn scrollbar_ui(ui: &mut Ui, rect: egui::Rect, index: u64, last: u64, shown: u64) -> u64 {
    let response = ui.interact(rect, ui.make_persistent_id("hex_rows_scrollbar"), Sense::click_and_drag());
    response.widget_info(|| egui::WidgetInfo::slider(last > 0, index as f64, "Scroll the rows"));
    let share = shown as f64 / (last as f64 + shown as f64);
    let thumb_h = (rect.height() * share as f32).clamp(rect.height().min(16.0), rect.height());
    let travel = rect.height() - thumb_h;
    let mut index = index.min(last);
    // (A press and release in one frame is a click, not a press: both move.)
    let pressed = response.is_pointer_button_down_on() || response.clicked();
    if let Some(p) = response.interact_pointer_pos().filter(|_| pressed)
        && travel > 0.0
    {
        let f = ((p.y - rect.min.y - thumb_h / 2.0) / travel).clamp(0.0, 1.0);
        index = ((f64::from(f) * last as f64).round() as u64).min(last);
    }
    let f = if last == 0 { 0.0 } else { (index as f64 / last as f64) as f32 };
    let thumb = egui::Rect::from_min_size(
        egui::pos2(rect.min.x + 2.0, rect.min.y + f * travel),
        egui::vec2(rect.width() - 4.0, thumb_h),
    );
    // Drawn as egui draws its own scroll bars: a dark track, the handle in the widget's text colour.
    let visuals = ui.style().interact(&response);
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect.shrink2(egui::vec2(1.0, 0.0)), 4.0, ui.visuals().extreme_bg_color);
    painter.rect_filled(thumb, 4.0, visuals.fg_stroke.color.gamma_multiply(0.6));
    index
}

/// One row's text at height `y` of `rect` (a label, so screen readers and tests read it).
fn row_label(ui: &mut Ui, rect: egui::Rect, y: f32, row_h: f32, job: LayoutJob) {
    let at = egui::Rect::from_min_size(egui::pos2(rect.min.x, y), egui::vec2(rect.width(), row_h));
    put_left(ui, at, egui::Label::new(job).wrap_mode(egui::TextWrapMode::Extend).selectable(false));
}

/// `widget` at the left of `rect` (Ui::put centres it).
fn put_left(ui: &mut Ui, rect: egui::Rect, widget: impl egui::Widget) -> egui::Response {
    let builder = egui::UiBuilder::new().max_rect(rect).layout(egui::Layout::left_to_right(egui::Align::Center));
    ui.scope_builder(builder, |ui| {
        ui.shrink_clip_rect(rect);
        ui.add(widget)
    })
    .inner
}

/// A float as a person reads it: plain between 1e-4 and 1e15, else with an
/// exponent (`{}` alone writes a subnormal as hundreds of digits).
fn float_text<F: Copy + Into<f64> + std::fmt::Display + std::fmt::LowerExp>(x: F) -> String {
    let a = x.into().abs();
    if a == 0.0 || !a.is_finite() || (1e-4..1e15).contains(&a) { format!("{x}") } else { format!("{x:e}") }
}

/// The data inspector: the value at `cursor` read every way a crash
/// engineer asks (little-endian), and as a pointer with a link.
fn inspector_ui(
    ui: &mut Ui,
    space: &AddressSpace,
    cursor: Option<u64>,
    names: Option<&FunctionNames>,
) -> Option<Command> {
    let Some(at) = cursor else {
        ui.label(RichText::new("Click a byte to inspect the value there.").weak());
        return None;
    };
    let (mut buf, mut held) = ([0u8; 32], [false; 32]);
    let n = (u64::MAX - at).saturating_add(1).min(32) as usize;
    space.read_memory(at, &mut buf[..n], &mut held[..n]);
    ui.strong(format!("At {}", hex(at)));
    if !held[0] {
        ui.colored_label(NOT_HELD_TEXT, "not in the dump");
        return None;
    }
    let v = |w: usize| value_at(&buf, &held, 0, w);
    let show = |x: Option<String>| x.unwrap_or_else(|| "not in the dump".into());
    let mut rows: Vec<(&str, String)> = vec![
        ("u8 / i8", show(v(1).map(|x| format!("{x} / {}", x as u8 as i8)))),
        ("u16 / i16", show(v(2).map(|x| format!("{x} / {}", x as u16 as i16)))),
        ("u32 / i32", show(v(4).map(|x| format!("{x} / {}", x as u32 as i32)))),
        ("u64 / i64", show(v(8).map(|x| format!("{x} / {}", x as i64)))),
        ("hex u32 / u64", show(v(4).zip(v(8)).map(|(a, b)| format!("0x{a:x} / 0x{b:x}")))),
        ("f32", show(v(4).map(|x| float_text(f32::from_bits(x as u32))))),
        ("f64", show(v(8).map(|x| float_text(f64::from_bits(x))))),
    ];
    let utf16: String = (0..16)
        .map_while(|k| value_at(&buf, &held, 2 * k, 2))
        // Printable ASCII only: any other code unit a dump holds may have no glyph in the fonts.
        .map(|u| if (0x20..0x7f).contains(&u) { char::from(u as u8) } else { '.' })
        .collect();
    rows.push(("UTF-16", format!("\"{utf16}\"")));
    let ascii: String = buf[..n]
        .iter()
        .zip(&held)
        .take_while(|(_, h)| **h)
        .map(|(b, _)| if (0x20..0x7f).contains(b) { char::from(*b) } else { '.' })
        .collect();
    rows.push(("ASCII", format!("\"{ascii}\"")));
    egui::Grid::new("inspector").num_columns(2).spacing([10.0, 2.0]).striped(true).show(ui, |ui| {
        for (k, val) in &rows {
            ui.label(RichText::new(*k).strong());
            ui.label(RichText::new(val).monospace());
            ui.end_row();
        }
    });
    let ptr = if space.system.pointer_bits == 32 { 4 } else { 8 };
    let value = v(ptr)?;
    let mut cmd = None;
    ui.horizontal(|ui| {
        ui.label(RichText::new("pointer").strong());
        ui.label(RichText::new(hex(value)).monospace());
        if let Some(what) = describe_target(space, value, names)
            && ui.link(what).clicked()
        {
            cmd = Some(Command::SelectAddress(value));
        }
    });
    cmd
}

#[cfg(test)]
mod tests {
    use super::float_text;

    #[test]
    fn floats_read_as_people_write_them() {
        assert_eq!(float_text(0.1f32), "0.1");
        assert_eq!(float_text(-2.5f64), "-2.5");
        assert_eq!(float_text(0.0f64), "0");
        // A subnormal (a pointer read as a double) with an exponent, not 300 digits.
        let tiny = float_text(f64::from_bits(0x1a43_d7a8));
        assert!(tiny.ends_with("e-315") && tiny.len() < 20, "{tiny}");
        assert_eq!(float_text(1e20f64), "1e20");
        assert_eq!(float_text(f64::NAN), "NaN");
    }
}
