//! The translucent boxes of a 3D scene, kept back to front. Instances
//! whose colour alpha is below 255 are translucent; `BoxesRenderer` stores
//! them after the opaque ones in its instance buffer, so each group is one
//! draw. They are sorted back to front by the distance from the eye to
//! their centres (up to [`MAX_SORTED_TRANSLUCENT`] of them; more are drawn
//! in upload order), which is exact for boxes that do not overlap in depth
//! and a good approximation otherwise; only their front faces are drawn, so
//! a box does not darken itself through its own back.

use glam::Vec3;

use super::box_instance::BoxInstance;
use super::box_parts::{GroupBoxes, MAX_SORTED_TRANSLUCENT};

/// The translucent boxes in upload order and the order they are in the
/// instance buffer now.
#[derive(Default)]
pub(super) struct TranslucentBoxes {
    /// The translucent instances in upload order, for sorting (shared with
    /// the renderer's translucent part).
    boxes: GroupBoxes,
    /// The order (indices into `boxes`) now in the buffer.
    order: Vec<u32>,
    /// The eye the boxes were last sorted for.
    sorted_for_eye: Option<[f32; 3]>,
}

impl TranslucentBoxes {
    /// Replaces the boxes; they are in the buffer in upload order, not yet
    /// sorted for any eye.
    pub(super) fn set(&mut self, boxes: GroupBoxes) {
        self.boxes = boxes;
        self.order = (0..self.boxes.len() as u32).collect();
        self.sorted_for_eye = None;
    }

    /// Orders the boxes back to front for `eye` and writes them into
    /// `buffer` when the order changed.
    pub(super) fn sort(&mut self, queue: &wgpu::Queue, buffer: &wgpu::Buffer, eye: [f32; 3]) {
        let n = self.boxes.len();
        if !(2..=MAX_SORTED_TRANSLUCENT).contains(&n) || self.sorted_for_eye == Some(eye) {
            return;
        }
        self.sorted_for_eye = Some(eye);
        let eye = Vec3::from(eye);
        let key: Vec<f32> = self.boxes.iter().map(|b| (Vec3::from(b.center()) - eye).length_squared()).collect();
        let mut order: Vec<u32> = (0..n as u32).collect();
        // Farthest first; ties (and NaN) in upload order, so the result is deterministic.
        order.sort_by(|&a, &b| key[b as usize].total_cmp(&key[a as usize]).then(a.cmp(&b)));
        if order == self.order {
            return;
        }
        let sorted: Vec<BoxInstance> = order.iter().map(|&i| self.boxes[i as usize]).collect();
        queue.write_buffer(buffer, 0, bytemuck::cast_slice(&sorted));
        self.order = order;
    }
}
