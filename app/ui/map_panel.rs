//! The central panel: the current view of the document (a flat map or a 3D
//! view), a note while a big dump's scene is laid out, and a warning when
//! the dump has no region list. A click selects.

use egui::Ui;

use super::actions::Command;
use super::document::Document;
use super::theme;
use super::view2d::{self, Gpu2d};
use super::view3d;
use crate::dump::RegionSource;
use crate::layout::View;
use crate::scene::{Highlights, VolumeStyle};

/// Draws `view` of `doc`; returns the selection a click made. The map's size
/// in pixels goes to `size_px` (the "window size" export).
pub fn map_panel_ui(
    ui: &mut Ui,
    doc: &mut Document,
    view: View,
    volume: &VolumeStyle,
    render_state: Option<&egui_wgpu::RenderState>,
    size_px: &mut [u32; 2],
) -> Option<Command> {
    let space = std::sync::Arc::clone(&doc.space);
    if space.region_source == RegionSource::Synthesized {
        ui.colored_label(
            theme::WARNING,
            "No region list in this dump: modules, stacks and captured memory are placed where the dump says; the rest is Unknown, not Free.",
        );
    }
    let marked = doc.marked_regions();
    let marks = Highlights { selected: doc.selected.map(|i| i as u32), marked: &marked };
    let avail = ui.available_size() * ui.ctx().pixels_per_point();
    *size_px = [avail.x.round().max(16.0) as u32, avail.y.round().max(16.0) as u32];
    let response = match view {
        View::Flat(_) => doc.scenes.flat_for(view).map(|scene| {
            let gpu = render_state.map_or(Gpu2d::Cpu, Gpu2d::Window);
            view2d::view2d_ui(ui, &mut doc.view2d, &space, scene, marks, gpu)
        }),
        View::City | View::Volume => match (render_state, doc.scenes.three_d_for(view)) {
            (Some(rs), Some(scene)) => {
                let volume = (view == View::Volume).then_some(volume);
                Some(view3d::view3d_ui(ui, &mut doc.view3d, &space, scene, marks, volume, rs))
            }
            (None, _) => {
                ui.colored_label(theme::WARNING, "The 3D views need the wgpu renderer.");
                None
            }
            _ => None,
        },
    };
    let Some(response) = response else {
        ui.centered_and_justified(|ui| {
            ui.label(format!("Laying out {} regions for the {} view…", space.regions.len(), view.name()));
        });
        return None;
    };
    if doc.scenes.is_building() {
        // The map shown is the last one; the new one is on its way.
        let rect = ui.max_rect();
        ui.painter().text(
            rect.right_top() + egui::vec2(-8.0, 8.0),
            egui::Align2::RIGHT_TOP,
            "Updating the map…",
            egui::FontId::proportional(13.0),
            theme::WARNING,
        );
    }
    response.clicked.map(|c| Command::Select(c as usize))
}
