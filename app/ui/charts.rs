//! The overview panel: egui_plot bar charts of an [`Overview`] (bytes per
//! kind, the log2 histogram of region sizes, the largest free blocks, stack use
//! per thread, module sizes). Hovering a bar shows its value; clicking one
//! returns a [`ChartClick`] for the caller to act on (select, filter, fly to).
//!
//! Chart decisions:
//! - Byte axes are logarithmic by default (a checkbox turns them linear): on a
//!   64-bit process Free is ~128 TiB and would flatten every other bar. egui_plot
//!   has no log axis, so a log bar is drawn from 1 KiB (2^10) up to log2(bytes)
//!   and the axis labels 2^k back as 1K, 1M, 1G, 1T.
//! - The size histogram's x axis is log2 of the size: the bar of bucket
//!   [2^k, 2^(k+1)) starts at k, so the tick labels 4K, 64K, 1M, 16M, 256M, 4G
//!   sit on the buckets' lower edges. Its y axis is the region count (linear).
//! - A bar is found by its column (the x range of its slot), not by its drawn
//!   rectangle, so short bars stay easy to hover and click.
//! - Plots do not zoom, pan or scroll: the mouse wheel scrolls the panel.
//! - Colours come from the theme: kinds via [`theme::kind_color`], the rest
//!   from egui's visuals.

use egui::{Color32, FontId, Id, Rangef, Rect, RichText, Stroke, Ui};
use egui_plot::{AxisHints, Bar, BarChart, GridInput, GridMark, Plot, PlotPoint, log_grid_spacer, uniform_grid_spacer};

use crate::analysis::stats::Overview;
use crate::dump::{AddressSpace, RegionKind, RegionSource};
use crate::format::{hex, human_size, human_size_short, percent};
use crate::scene::theme;

/// What a click on a bar asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChartClick {
    /// A kind's bar: show (or filter to) that kind.
    Kind(RegionKind),
    /// A histogram bucket: regions with size in [lo, hi).
    SizeRange(u64, u64),
    /// A free block, by its base address.
    FreeBlock(u64),
    /// A thread's stack, by thread id.
    Thread(u32),
    /// A module, by index into `AddressSpace::modules`.
    Module(usize),
}

/// Height of each chart's plot area.
pub const CHART_HEIGHT_PX: f32 = 180.0;
/// How many modules the module chart shows (the largest).
pub const MAX_MODULE_BARS: usize = 20;
/// How many threads the stack chart shows (the deepest stacks).
pub const MAX_STACK_BARS: usize = 32;

/// The chart titles, top to bottom, as the panel shows them.
pub const TITLES: [&str; 5] =
    ["Bytes by kind", "Region sizes", "Free space fragmentation", "Stack use per thread", "Largest modules"];

/// Room a category label wants before every column gets one.
const LABEL_MIN_PX: f32 = 48.0;

/// The smallest 1, 2 or 5 times a power of ten at least `v` (at least 1: counts are whole).
fn nice_step(v: f64) -> f64 {
    let v = v.max(1.0);
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|s| *s >= v).unwrap_or(10.0 * p)
}

/// log2 of the byte value log-scale bars start from (1 KiB).
const LOG_FLOOR: f64 = 10.0;

fn rects_id() -> Id {
    Id::unique("memscape::charts::bar_rects")
}

/// The screen rectangle of every bar the last overview panel drew, with the
/// click it stands for (for tests and for callers that want to point at a bar).
pub fn bar_rects(ctx: &egui::Context) -> Vec<(ChartClick, Rect)> {
    ctx.data(|d| d.get_temp::<Vec<(ChartClick, Rect)>>(rects_id())).unwrap_or_default()
}

/// How a chart's value axis reads.
#[derive(Clone, Copy, PartialEq)]
enum ValueAxis {
    /// A plain count.
    Count,
    /// Bytes, linear.
    Bytes,
    /// Bytes, log2 (bars from 2^LOG_FLOOR up).
    LogBytes,
}

impl ValueAxis {
    fn bytes(log: bool) -> Self {
        if log { ValueAxis::LogBytes } else { ValueAxis::Bytes }
    }

    /// Where bars start.
    fn floor(self) -> f64 {
        if self == ValueAxis::LogBytes { LOG_FLOOR } else { 0.0 }
    }

    /// The plot value of `v` (bytes or a count).
    fn value(self, v: u64) -> f64 {
        match self {
            ValueAxis::Count | ValueAxis::Bytes => v as f64,
            // Keep anything under the floor a sliver, so it still shows.
            ValueAxis::LogBytes => (v.max(1) as f64).log2().max(LOG_FLOOR + 0.1),
        }
    }

    fn tick(self, mark: GridMark) -> String {
        match self {
            ValueAxis::Count => {
                if mark.value >= 0.0 && mark.value.fract() == 0.0 {
                    format!("{}", mark.value as u64)
                } else {
                    String::new()
                }
            }
            ValueAxis::Bytes => {
                if mark.value >= 0.0 {
                    human_size_short(mark.value as u64)
                } else {
                    String::new()
                }
            }
            ValueAxis::LogBytes => {
                if mark.value >= 0.0 && mark.value.fract() == 0.0 {
                    pow2_label(mark.value as u32)
                } else {
                    String::new()
                }
            }
        }
    }
}

/// "4K", "64K", "1M", "256M", "4G", "128T" for 2^k.
pub fn pow2_label(k: u32) -> String {
    const UNITS: [&str; 7] = ["", "K", "M", "G", "T", "P", "E"];
    let unit = (k / 10) as usize;
    match UNITS.get(unit) {
        Some(u) => format!("{}{u}", 1u64 << (k % 10)),
        None => format!("2^{k}"),
    }
}

/// How a chart's category axis reads.
#[derive(Clone, Copy)]
enum CategoryAxis {
    /// Column i at x = i, labelled with its label.
    Labels,
    /// Column x values are log2 sizes; ticks are 2^k.
    Log2Sizes,
}

/// One drawn rectangle of a column.
struct ColumnBar {
    width: f64,
    /// In bytes or a count, as the chart's value axis reads it.
    value: u64,
    fill: Color32,
}

/// One slot of a chart: what is drawn there, what hovering says and what a
/// click returns.
struct Column {
    x: f64,
    half_width: f64,
    label: String,
    hover: String,
    click: ChartClick,
    bars: Vec<ColumnBar>,
}

fn column_at(columns: &[Column], x: f64) -> Option<usize> {
    columns.iter().position(|c| (x - c.x).abs() <= c.half_width)
}

/// Truncates `s` to `max_chars` with an ellipsis.
fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_string()
    } else if max_chars <= 1 {
        String::new()
    } else {
        let mut t: String = s.chars().take(max_chars - 1).collect();
        t.push('…');
        t
    }
}

/// Draws one bar chart; returns the click on a column, if any. Records the
/// screen rectangle of every column's bars in `rects`.
fn bar_chart_ui(
    ui: &mut Ui,
    id_salt: &str,
    columns: &[Column],
    categories: CategoryAxis,
    values: ValueAxis,
    empty_note: &str,
    rects: &mut Vec<(ChartClick, Rect)>,
) -> Option<ChartClick> {
    if columns.is_empty() {
        ui.label(RichText::new(empty_note).weak());
        return None;
    }
    let tick_font = FontId::proportional(11.0);
    let outline = Stroke::new(1.0, ui.visuals().widgets.noninteractive.bg_stroke.color);
    let highlight = Stroke::new(2.0, ui.visuals().strong_text_color());

    // Category labels: every `stride`-th column gets one when columns are
    // narrow, cut to what that much room holds (about 7 px a character).
    let column_px = (ui.available_width() - 60.0).max(10.0) / columns.len() as f32;
    let mut stride = 1usize;
    while (stride as f32) * column_px < LABEL_MIN_PX && stride < columns.len() {
        stride *= 2;
    }
    let max_chars = ((stride as f32 * column_px) / 7.0 - 1.0).floor().max(0.0) as usize;
    let labels: Vec<String> = columns.iter().map(|c| truncate(&c.label, max_chars)).collect();

    let x_axis = match categories {
        CategoryAxis::Labels => AxisHints::new_x()
            .label_spacing(Rangef::new(8.0, 12.0))
            .tick_label_font(tick_font.clone())
            .formatter(move |mark: GridMark, _| {
                let i = mark.value.round();
                if (mark.value - i).abs() > 1e-6 || i < 0.0 {
                    return String::new();
                }
                labels.get(i as usize).cloned().unwrap_or_default()
            }),
        CategoryAxis::Log2Sizes => AxisHints::new_x()
            .tick_label_font(tick_font.clone())
            .label_spacing(Rangef::new(24.0, 40.0))
            .formatter(|mark: GridMark, _| {
                if mark.value >= 0.0 && mark.value.fract() == 0.0 {
                    pow2_label(mark.value as u32)
                } else {
                    String::new()
                }
            }),
    };
    let y_axis = AxisHints::new_y().tick_label_font(tick_font).formatter(move |mark, _| values.tick(mark));

    let x_spacer = uniform_grid_spacer(move |_: GridInput| match categories {
        CategoryAxis::Labels => [stride as f64; 3],
        CategoryAxis::Log2Sizes => [1.0, 2.0, 4.0],
    });
    let y_spacer = match values {
        ValueAxis::Count => uniform_grid_spacer(|input: GridInput| {
            let b = input.base_step_size;
            [nice_step(b), nice_step(b * 3.0), nice_step(b * 10.0)]
        }),
        ValueAxis::Bytes => log_grid_spacer(2),
        ValueAxis::LogBytes => uniform_grid_spacer(|_| [1.0, 2.0, 10.0]),
    };

    let floor = values.floor();
    let plot = Plot::new(id_salt)
        .height(CHART_HEIGHT_PX)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_axis_zoom_drag(false)
        .allow_double_click_reset(false)
        .show_x(false)
        .show_y(false)
        .show_crosshair(false)
        .show_grid([matches!(categories, CategoryAxis::Log2Sizes), true])
        .include_y(floor)
        .x_grid_spacer(x_spacer)
        .y_grid_spacer(y_spacer)
        .custom_x_axes(vec![x_axis])
        .custom_y_axes(vec![y_axis]);

    let shown = plot.show(ui, |plot_ui| {
        let hovered = if plot_ui.response().contains_pointer() {
            plot_ui.pointer_coordinate().and_then(|p| column_at(columns, p.x))
        } else {
            None
        };
        let mut bars = Vec::new();
        for (i, c) in columns.iter().enumerate() {
            let stroke = if hovered == Some(i) { highlight } else { outline };
            for b in &c.bars {
                if b.value == 0 {
                    continue;
                }
                let top = values.value(b.value);
                bars.push(
                    Bar::new(c.x, top - floor)
                        .base_offset(floor)
                        .width(b.width)
                        .fill(b.fill)
                        .stroke(stroke)
                        .name(&c.hover),
                );
            }
        }
        plot_ui.bar_chart(BarChart::new(id_salt.to_string(), bars).allow_hover(false));
        hovered
    });

    let transform = shown.transform;
    for c in columns {
        let top = c.bars.iter().map(|b| values.value(b.value)).fold(floor, f64::max);
        let rect = transform
            .rect_from_values(&PlotPoint::new(c.x - c.half_width, floor), &PlotPoint::new(c.x + c.half_width, top));
        rects.push((c.click.clone(), rect));
    }

    let mut response = shown.response;
    let column_under =
        |pos: Option<egui::Pos2>| pos.and_then(|p| column_at(columns, transform.value_from_position(p).x));
    if let Some(i) = column_under(response.hover_pos()) {
        ui.ctx().set_cursor_icon(egui::CursorIcon::PointingHand);
        response = response.on_hover_text_at_pointer(columns[i].hover.clone());
    }
    if response.clicked() {
        return column_under(response.interact_pointer_pos()).map(|i| columns[i].click.clone());
    }
    None
}

fn title_ui(ui: &mut Ui, title: &str, note: &str) {
    ui.add_space(8.0);
    ui.label(RichText::new(title).strong().size(15.0));
    if !note.is_empty() {
        ui.label(RichText::new(note).small().weak());
    }
}

fn kind_columns(overview: &Overview, total: u64) -> Vec<Column> {
    overview
        .bytes_by_kind
        .iter()
        .filter(|(_, b)| *b > 0)
        .enumerate()
        .map(|(i, &(kind, bytes))| Column {
            x: i as f64,
            half_width: 0.5,
            label: kind.name().to_string(),
            hover: format!("{kind}: {} ({})", human_size(bytes), percent(bytes, total)),
            click: ChartClick::Kind(kind),
            bars: vec![ColumnBar { width: 0.8, value: bytes, fill: theme::kind_color(kind) }],
        })
        .collect()
}

fn histogram_columns(overview: &Overview, fill: Color32) -> Vec<Column> {
    overview
        .size_histogram
        .iter()
        .map(|b| {
            let upper = if b.hi_bytes == u64::MAX { "2^64".to_string() } else { human_size(b.hi_bytes) };
            Column {
                x: f64::from(b.log2()) + 0.5,
                half_width: 0.5,
                label: pow2_label(b.log2()),
                hover: format!(
                    "{} – {upper}: {} region{}, {} in all",
                    human_size(b.lo_bytes),
                    b.count,
                    if b.count == 1 { "" } else { "s" },
                    human_size(b.total_bytes)
                ),
                click: ChartClick::SizeRange(b.lo_bytes, b.hi_bytes),
                bars: vec![ColumnBar { width: 0.9, value: b.count as u64, fill }],
            }
        })
        .collect()
}

fn free_columns(overview: &Overview) -> Vec<Column> {
    let total = overview.free.total_bytes;
    overview
        .free
        .largest
        .iter()
        .enumerate()
        .map(|(i, &(base, size))| Column {
            x: i as f64,
            half_width: 0.5,
            label: format!("#{}", i + 1),
            hover: format!(
                "free block {}: {} – {}\n{} ({} of free space)",
                i + 1,
                hex(base),
                hex(base.saturating_add(size)),
                human_size(size),
                percent(size, total)
            ),
            click: ChartClick::FreeBlock(base),
            bars: vec![ColumnBar { width: 0.8, value: size, fill: theme::kind_color(RegionKind::Free) }],
        })
        .collect()
}

fn stack_columns(overview: &Overview) -> Vec<Column> {
    let stack = theme::kind_color(RegionKind::Stack);
    overview
        .stacks
        .iter()
        .take(MAX_STACK_BARS)
        .enumerate()
        .map(|(i, s)| {
            let who = match &s.name {
                Some(n) if !n.is_empty() => format!("thread {} (0x{:x}) {n}", s.thread_id, s.thread_id),
                _ => format!("thread {} (0x{:x})", s.thread_id, s.thread_id),
            };
            let reserved = if s.reserved_bytes > 0 {
                format!(" of {} reserved ({})", human_size(s.reserved_bytes), percent(s.used_bytes, s.reserved_bytes))
            } else {
                ", no Stack region attributed".to_string()
            };
            Column {
                x: i as f64,
                half_width: 0.5,
                label: s.name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| format!("0x{:x}", s.thread_id)),
                hover: format!("{who}\nused {}{reserved}", human_size(s.used_bytes)),
                click: ChartClick::Thread(s.thread_id),
                bars: vec![
                    ColumnBar { width: 0.8, value: s.reserved_bytes, fill: stack.gamma_multiply(0.3) },
                    ColumnBar { width: 0.45, value: s.used_bytes, fill: stack },
                ],
            }
        })
        .collect()
}

fn module_columns(overview: &Overview, space: &AddressSpace) -> Vec<Column> {
    overview
        .modules
        .iter()
        .take(MAX_MODULE_BARS)
        .enumerate()
        .map(|(i, &(index, size))| {
            let (name, range) = match space.modules.get(index) {
                Some(m) => (m.name.clone(), format!("{} – {}", hex(m.base_addr), hex(m.end_addr()))),
                None => (format!("module {index}"), String::new()),
            };
            Column {
                x: i as f64,
                half_width: 0.5,
                hover: format!("{name}: {}\n{range}", human_size(size)),
                label: name,
                click: ChartClick::Module(index),
                bars: vec![ColumnBar { width: 0.8, value: size, fill: theme::kind_color(RegionKind::Image) }],
            }
        })
        .collect()
}

/// The overview panel: a scrollable column of titled bar charts. Returns the
/// click on a bar, if one was clicked this frame.
pub fn overview_ui(ui: &mut Ui, overview: &Overview, space: &AddressSpace) -> Option<ChartClick> {
    let mut rects = Vec::new();
    let log_id = ui.make_persistent_id("memscape_charts_log_bytes");
    let mut log = ui.data_mut(|d| *d.get_temp_mut_or(log_id, true));

    let clicked = egui::ScrollArea::vertical().id_salt("memscape_overview_charts").auto_shrink([false, false]).show(ui, |ui| {
        let mut clicked = None;
        ui.checkbox(&mut log, "Logarithmic byte axes")
            .on_hover_text("Free space dwarfs everything else on a 64-bit process; the log axis keeps small bars visible.");
        let bytes = ValueAxis::bytes(log);

        let total = space.system.user_limit_addr;
        title_ui(ui, TITLES[0], &format!("{} of user address space, by kind", human_size(total)));
        let c = bar_chart_ui(ui, "chart_kinds", &kind_columns(overview, total), CategoryAxis::Labels, bytes, "", &mut rects);
        clicked = clicked.or(c);

        let hist_regions: usize = overview.size_histogram.iter().map(|b| b.count).sum();
        title_ui(ui, TITLES[1], &format!("{hist_regions} allocated regions (Commit + Reserve) by power-of-two size"));
        let fill = ui.visuals().selection.bg_fill;
        let c = bar_chart_ui(
            ui,
            "chart_sizes",
            &histogram_columns(overview, fill),
            CategoryAxis::Log2Sizes,
            ValueAxis::Count,
            "No allocated regions: the region list has no Commit or Reserve entries.",
            &mut rects,
        );
        clicked = clicked.or(c);

        let f = &overview.free;
        title_ui(ui, TITLES[2], "the largest free blocks (adjacent free regions merged)");
        let largest = f.largest.first().map(|&(b, s)| format!("{} at {}", human_size(s), hex(b))).unwrap_or("-".into());
        if f.block_count > 0 {
        ui.label(format!(
            "Free {} in {} blocks · largest {largest} · fragmentation {:.2}%",
            human_size(f.total_bytes),
            f.block_count,
            f.fragmentation * 100.0
        ));
        }
        let free_note = if space.region_source == RegionSource::Synthesized {
            "No free space known: this dump has no region list, and space it does not describe is Unknown, not Free."
        } else {
            "No free space in the region list."
        };
        let c = bar_chart_ui(ui, "chart_free", &free_columns(overview), CategoryAxis::Labels, bytes, free_note, &mut rects);
        clicked = clicked.or(c);

        let shown = overview.stacks.len().min(MAX_STACK_BARS);
        title_ui(
            ui,
            TITLES[3],
            &format!(
                "used (solid) within reserved (faint); {shown} of {} threads, deepest first",
                overview.stacks.len()
            ),
        );
        let c = bar_chart_ui(ui, "chart_stacks", &stack_columns(overview), CategoryAxis::Labels, bytes, "No threads.", &mut rects);
        clicked = clicked.or(c);

        let total_modules: u64 = overview.modules.iter().fold(0u64, |a, m| a.saturating_add(m.1));
        title_ui(
            ui,
            TITLES[4],
            &format!(
                "{} of {} modules, {} in all",
                overview.modules.len().min(MAX_MODULE_BARS),
                overview.modules.len(),
                human_size(total_modules)
            ),
        );
        let c =
            bar_chart_ui(ui, "chart_modules", &module_columns(overview, space), CategoryAxis::Labels, bytes, "No modules.", &mut rects);
        clicked.or(c)
    });

    ui.data_mut(|d| {
        d.insert_temp(log_id, log);
        d.insert_temp(rects_id(), rects);
    });
    clicked.inner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pow2_labels() {
        let got: Vec<String> = [0, 12, 16, 20, 24, 28, 32, 47, 63].iter().map(|k| pow2_label(*k)).collect();
        assert_eq!(got, ["1", "4K", "64K", "1M", "16M", "256M", "4G", "128T", "8E"]);
        assert_eq!(pow2_label(70), "2^70");
    }

    #[test]
    fn labels_truncate() {
        assert_eq!(truncate("PrivateData", 8), "Private…");
        assert_eq!(truncate("Heap", 8), "Heap");
        assert_eq!(truncate("Heap", 1), "");
    }

    #[test]
    fn nice_steps() {
        let got: Vec<f64> = [0.3, 1.0, 1.5, 3.0, 7.0, 11.0, 230.0].iter().map(|v| nice_step(*v)).collect();
        assert_eq!(got, [1.0, 1.0, 2.0, 5.0, 10.0, 20.0, 500.0]);
    }
}
