//! The left panel's filters: which kinds the map shows and what its colours
//! encode, with the legend for the current colouring.

use egui::{RichText, Ui};

use crate::dump::{AddressSpace, RegionKind};
use crate::format::human_size_short;
use crate::scene::Filters;
use crate::scene::theme::{self, ColorMode};

/// The legend's figures for one dump and one set of filters: counting them
/// walks every region, so the window keeps them until the filters change
/// (a million regions would otherwise cost every frame).
#[derive(Clone, Debug, PartialEq)]
pub struct LegendCounts {
    /// The filters these figures are for.
    filters: Filters,
    /// Per legend entry of the colouring: regions shown and their bytes.
    counts: Vec<usize>,
    bytes: Vec<u64>,
    /// Per kind (`RegionKind::ALL` order), whether shown or not.
    kind_counts: Vec<usize>,
    kind_bytes: Vec<u64>,
}

impl LegendCounts {
    pub fn new(space: &AddressSpace, filters: &Filters) -> LegendCounts {
        let legend_len = theme::legend(filters.color_mode).len();
        let mut counts = vec![0usize; legend_len];
        let mut bytes = vec![0u64; legend_len];
        let mut kind_counts = vec![0usize; RegionKind::ALL.len()];
        let mut kind_bytes = vec![0u64; RegionKind::ALL.len()];
        for (index, r) in space.regions.iter().enumerate() {
            let k = r.kind.index();
            kind_counts[k] += 1;
            kind_bytes[k] += r.size_bytes;
            if filters.show_kind[k] {
                let i = filters.legend_index(index, r);
                bytes[i] += r.size_bytes;
                counts[i] += 1;
            }
        }
        LegendCounts { filters: filters.clone(), counts, bytes, kind_counts, kind_bytes }
    }

    /// Regions per kind (`RegionKind::ALL` order), shown or not.
    pub fn kind_counts(&self) -> &[usize] {
        &self.kind_counts
    }

    /// `cached`, or new figures when it was made for other filters.
    fn refresh<'a>(cached: &'a mut Option<LegendCounts>, space: &AddressSpace, filters: &Filters) -> &'a LegendCounts {
        if cached.as_ref().is_none_or(|c| c.filters != *filters) {
            *cached = Some(LegendCounts::new(space, filters));
        }
        cached.get_or_insert_with(|| LegendCounts::new(space, filters))
    }
}

/// The legend with bytes per entry, each kind with a checkbox that shows or
/// hides it. Returns true when anything changed. `cache` holds the figures
/// between frames (one per dump: the caller drops it with the dump).
pub fn filters_ui(ui: &mut Ui, space: &AddressSpace, filters: &mut Filters, cache: &mut Option<LegendCounts>) -> bool {
    let before = filters.clone();
    ui.horizontal_wrapped(|ui| {
        ui.label("Colour by");
        for mode in ColorMode::ALL {
            // Change needs a dump to compare with (File > Compare with…).
            if mode != ColorMode::Change || filters.changes.is_some() {
                ui.selectable_value(&mut filters.color_mode, mode, mode.title());
            }
        }
    });
    if filters.show_kind.iter().any(|s| !s) && ui.button("Show all kinds").clicked() {
        filters.show_kind = [true; RegionKind::ALL.len()];
    }
    ui.add_space(4.0);
    if filters.color_mode.reads_bytes() && filters.bytes.is_none() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Reading every captured byte…");
        });
    }
    let legend = theme::legend(filters.color_mode);
    let figures = LegendCounts::refresh(cache, space, filters);
    let (counts, bytes) = (&figures.counts, &figures.bytes);
    let (kind_counts, kind_bytes) = (&figures.kind_counts, &figures.kind_bytes);
    egui::Grid::new("legend_grid").num_columns(4).spacing([8.0, 2.0]).striped(true).show(ui, |ui| {
        for (i, (name, color)) in legend.iter().enumerate() {
            let (n, b) = match filters.color_mode {
                ColorMode::Kind => (kind_counts[i], kind_bytes[i]),
                _ => (counts[i], bytes[i]),
            };
            if n == 0 {
                continue;
            }
            let (rect, _) = ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
            ui.painter().rect_filled(rect, 2.0, *color);
            if filters.color_mode == ColorMode::Kind {
                ui.checkbox(&mut filters.show_kind[i], *name);
            } else {
                ui.label(*name);
            }
            ui.label(RichText::new(n.to_string()).weak());
            ui.label(human_size_short(b));
            ui.end_row();
        }
    });
    if filters.color_mode != ColorMode::Kind {
        ui.collapsing("Kinds shown", |ui| {
            for (i, kind) in RegionKind::ALL.iter().enumerate() {
                if kind_counts[i] > 0 {
                    ui.checkbox(&mut filters.show_kind[i], kind.name());
                }
            }
        });
    }
    *filters != before
}
