//! egui_kittest helpers shared by the panel and whole-window tests.

use egui_kittest::Harness;

/// A full click at `pos`: hover, press, release, and two frames to answer it.
pub fn click_at<S>(h: &mut Harness<'static, S>, pos: egui::Pos2) {
    h.hover_at(pos);
    h.step();
    h.drag_at(pos);
    h.step();
    h.drop_at(pos);
    h.run_steps(2);
}
