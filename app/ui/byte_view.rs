//! The Picture tab: the byte picture in the window (scene::byte_picture):
//! the selected region's bytes or every captured byte, in Hilbert or row
//! order, by class, entropy or raw value. The mouse wheel zooms around the
//! byte under the pointer, from everything down to single bytes; hovering
//! says the address and the byte; a click opens the byte in the Memory tab
//! (selecting its region).
//! Pictures are made on a worker (a big dump's takes a second or two) while
//! the last one stays shown.

use std::ops::Range;
use std::sync::Arc;

use egui::{Rect, RichText, Sense, Ui, pos2, vec2};

use super::actions::Command;
use crate::dump::AddressSpace;
use crate::format::{hex, human_size_short};
use crate::scene::byte_picture::{ByteAxis, BytePicture, BytesMode, BytesOrder, byte_picture};
use crate::task::{Poll, Task, Waker};

/// What a picture is made for: a change of any of these makes a new one.
#[derive(Clone, Debug, PartialEq)]
struct PictureKey {
    /// The selected region's base, or None for every captured byte.
    region: Option<u64>,
    order: BytesOrder,
    mode: BytesMode,
    view: Range<u64>,
    size_px: [u32; 2],
}

/// The tab's state.
pub struct ByteViewState {
    /// Every captured byte rather than the selected region's.
    pub whole_dump: bool,
    pub order: BytesOrder,
    pub mode: BytesMode,
    /// The axis bytes shown (zoom); None: all of them.
    view: Option<Range<u64>>,
    /// The axis the view is of (a new one resets the zoom).
    axis_for: Option<Option<u64>>,
    shown: Option<(PictureKey, Arc<ByteAxis>, BytePicture, egui::TextureHandle)>,
    /// Where the shown picture was drawn last frame (screen points).
    pub drawn_at: Option<Rect>,
    job: Option<(PictureKey, Arc<ByteAxis>, Task<BytePicture>)>,
}

impl Default for ByteViewState {
    fn default() -> Self {
        ByteViewState {
            whole_dump: false,
            order: BytesOrder::Hilbert,
            mode: BytesMode::Class,
            view: None,
            axis_for: None,
            shown: None,
            drawn_at: None,
            job: None,
        }
    }
}

impl ByteViewState {
    /// The address drawn at `pos` (screen points), where the picture was last drawn.
    pub fn addr_on_screen(&self, pos: egui::Pos2) -> Option<u64> {
        self.addr_at(self.drawn_at?, pos)
    }

    /// Where the byte at `addr` was last drawn (its cell's top-left corner), if shown.
    pub fn screen_pos_of(&self, addr: u64) -> Option<egui::Pos2> {
        let (key, axis, picture, _) = self.shown.as_ref()?;
        let at = axis.offset_of(addr)?;
        let g = &picture.grid;
        if at < key.view.start || at >= key.view.end {
            return None;
        }
        let (x, y) = g.cell_xy((at - key.view.start) / g.bytes_per_cell);
        let min = self.drawn_at?.min;
        Some(pos2(min.x + (x * g.cell_px) as f32, min.y + (y * g.cell_px) as f32))
    }

    /// Bytes each cell of the shown picture stands for (1 when zoomed in to single bytes).
    pub fn bytes_per_cell(&self) -> Option<u64> {
        self.shown.as_ref().map(|(_, _, p, _)| p.grid.bytes_per_cell)
    }

    /// The address the pointer is over in the shown picture.
    fn addr_at(&self, rect: Rect, pos: egui::Pos2) -> Option<u64> {
        let (_, axis, picture, _) = self.shown.as_ref()?;
        let at = picture.grid.offset_at(pos.x - rect.min.x, pos.y - rect.min.y)?;
        axis.addr_at(at)
    }
}

/// The Picture tab; returns what a click asks for.
pub fn byte_view_ui(
    ui: &mut Ui,
    space: &Arc<AddressSpace>,
    state: &mut ByteViewState,
    selected: Option<usize>,
    waker: &Waker,
) -> Option<Command> {
    let mut cmd = None;
    ui.horizontal(|ui| {
        ui.selectable_value(&mut state.whole_dump, false, "Selected region");
        ui.selectable_value(&mut state.whole_dump, true, "Every captured byte");
        ui.separator();
        ui.selectable_value(&mut state.order, BytesOrder::Hilbert, "Hilbert");
        ui.selectable_value(&mut state.order, BytesOrder::Linear, "Rows");
        ui.separator();
        for (m, name) in [(BytesMode::Class, "Byte class"), (BytesMode::Entropy, "Entropy"), (BytesMode::Raw, "Raw")] {
            ui.selectable_value(&mut state.mode, m, name);
        }
        ui.separator();
        if state.view.is_some() && ui.button("Zoom out all the way").clicked() {
            state.view = None;
        }
    });
    let region = if state.whole_dump { None } else { selected.and_then(|i| space.regions.get(i)).map(|r| r.base_addr) };
    if !state.whole_dump && region.is_none() {
        ui.label("Select a region on the map, or show every captured byte.");
        return None;
    }
    if state.axis_for != Some(region) {
        state.axis_for = Some(region);
        state.view = None;
    }
    let axis_len = match region.and_then(|a| space.region_at(a)) {
        Some(r) => r.size_bytes,
        None => space.captured.total_bytes(),
    };
    if axis_len == 0 {
        ui.label("The dump holds no memory contents to draw.");
        return None;
    }
    let view = state.view.clone().unwrap_or(0..axis_len);
    ui.label(
        RichText::new(format!(
            "{} of {} shown; the wheel zooms, a click shows the bytes",
            human_size_short(view.end - view.start),
            human_size_short(axis_len)
        ))
        .weak(),
    );
    let avail = ui.available_size();
    let size_px = [avail.x.max(16.0) as u32, avail.y.max(16.0) as u32];
    let key = PictureKey { region, order: state.order, mode: state.mode, view: view.clone(), size_px };
    // A new picture when the key changed and none is being made for it.
    let current = state.shown.as_ref().is_some_and(|(k, ..)| *k == key);
    let making = state.job.as_ref().is_some_and(|(k, ..)| *k == key);
    if !current && !making {
        let axis = Arc::new(match region.and_then(|a| space.region_at(a)) {
            Some(r) => ByteAxis::region(r),
            None => ByteAxis::captured(space),
        });
        let (s, a, k) = (Arc::clone(space), Arc::clone(&axis), key.clone());
        match Task::spawn("byte picture", waker.clone(), move || {
            byte_picture(&s, &a, k.view.clone(), k.size_px, k.order, k.mode)
        }) {
            Ok(task) => state.job = Some((key.clone(), axis, task)),
            Err(e) => log::warn!("could not start the byte picture: {e}"),
        }
    }
    if let Some((k, axis, task)) = &state.job {
        match task.poll() {
            Poll::Pending => {}
            Poll::Done(picture) => {
                let texture =
                    ui.ctx().load_texture("byte picture", picture.image.clone(), egui::TextureOptions::NEAREST);
                state.shown = Some((k.clone(), Arc::clone(axis), picture, texture));
                state.job = None;
            }
            Poll::Died => state.job = None,
        }
    }
    let (rect, response) = ui.allocate_exact_size(avail, Sense::click());
    let Some((_, _, picture, texture)) = &state.shown else {
        ui.put(rect, egui::Spinner::new());
        return None;
    };
    let [pw, ph] = picture.grid.size_px();
    let pic_rect = Rect::from_min_size(rect.min, vec2(pw as f32, ph as f32));
    ui.painter().image(
        texture.id(),
        pic_rect,
        Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
        egui::Color32::WHITE,
    );
    state.drawn_at = Some(pic_rect);
    if state.job.is_some() {
        ui.put(Rect::from_min_size(rect.min, vec2(24.0, 24.0)), egui::Spinner::new());
    }
    if let Some(pos) = response.hover_pos()
        && let Some(addr) = state.addr_at(pic_rect, pos)
    {
        let (mut b, mut h) = ([0u8], [false]);
        space.read_memory(addr, &mut b, &mut h);
        let byte = if h[0] { format!("{:02x}", b[0]) } else { "?? (not in the dump)".into() };
        let place = space.region_at(addr).map_or(String::new(), |r| format!(" · {} {}", r.kind, r.label));
        response.clone().on_hover_text_at_pointer(format!("{}  {byte}{place}", hex(addr)));
        // The wheel zooms around the byte under the pointer.
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0
            && let Some(at) = state.shown.as_ref().and_then(|(_, axis, ..)| axis.offset_of(addr))
        {
            let len = view.end - view.start;
            let new_len = if scroll > 0.0 { (len / 2).max(16) } else { len.saturating_mul(2).min(axis_len) };
            let frac = (at - view.start) as f64 / len.max(1) as f64;
            let start = at.saturating_sub((new_len as f64 * frac) as u64).min(axis_len - new_len);
            state.view = (new_len < axis_len).then_some(start..start + new_len);
        }
        if response.clicked() {
            cmd = Some(Command::ShowBytes(addr));
        }
    }
    cmd
}
