//! Writing large instance lists into GPU buffers without holding a second
//! copy of them: `Queue::write_buffer` copies its data into a staging buffer
//! that lives until the GPU has consumed it, so a 300 MB level-of-detail
//! upload would briefly cost 300 MB more (and on a software rasterizer,
//! whose GPU memory is the process's own, 600 MB). Above
//! [`UPLOAD_SLICE_BYTES`] the data goes in slices, each submitted and waited
//! for, so that at most one slice of staging is alive.
//!
//! [`LevelBuffers`]: the 2D and 3D renderers' instances, one vertex buffer
//! per level of detail, each made the first time a frame draws from it.
//!
//! [`PacedSubmits`]: a picture drawn in batches of passes (a big map's
//! quads, a big scene's boxes) keeps at most two batches queued, for the
//! same reason.

use super::lod::Level;

/// The largest write staged at once. A million-region Volume draws two
/// levels of 25-27 MB: written whole, their staging lived until the frame
/// was drawn, 52 MB more at the picture's peak; in 8 MiB slices it is 8 MiB.
pub const UPLOAD_SLICE_BYTES: usize = 8 << 20;

/// Writes `bytes` into `buffer` at `offset` (both multiples of 4, as
/// `write_buffer` requires), a slice at a time when large.
pub fn write_large(device: &wgpu::Device, queue: &wgpu::Queue, buffer: &wgpu::Buffer, offset: u64, bytes: &[u8]) {
    if bytes.len() <= UPLOAD_SLICE_BYTES {
        if !bytes.is_empty() {
            queue.write_buffer(buffer, offset, bytes);
        }
        return;
    }
    let mut at = offset;
    for slice in bytes.chunks(UPLOAD_SLICE_BYTES) {
        queue.write_buffer(buffer, at, slice);
        // The write goes with this (empty) submission; once it is done, its
        // staging buffer is freed. A lost device shows in the next render.
        queue.submit([]);
        let _ = device.poll(wgpu::PollType::wait_indefinitely());
        at += slice.len() as u64;
    }
}

/// Submissions of batches, each waiting for the one before it once it is
/// submitted: one batch is drawn while the next is recorded, and no more,
/// so a software rasterizer, which bins a submission's triangles before
/// drawing them, queues at most two batches' worth.
#[derive(Default)]
pub struct PacedSubmits {
    in_flight: Option<wgpu::SubmissionIndex>,
}

impl PacedSubmits {
    /// Submits `commands`, then waits for the batch submitted before them.
    pub fn submit(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, commands: wgpu::CommandBuffer) {
        let index = queue.submit([commands]);
        // A lost device shows in the readback or the next frame.
        if let Some(before) = self.in_flight.replace(index) {
            let _ = device.poll(wgpu::PollType::Wait { submission_index: Some(before), timeout: None });
        }
    }
}

/// One instance (vertex) buffer per level of detail, each made and filled
/// the first time a frame draws from its level: a map fitted to the window
/// needs one coarse level, not the million items of level 0.
#[derive(Default)]
pub struct LevelBuffers {
    label: &'static str,
    buffers: Vec<Option<wgpu::Buffer>>,
}

impl LevelBuffers {
    /// None yet, for `levels` levels; `label` names the buffers.
    pub fn new(label: &'static str, levels: usize) -> LevelBuffers {
        LevelBuffers { label, buffers: (0..levels).map(|_| None).collect() }
    }

    /// `level`'s buffer, if a frame has drawn from it.
    pub fn get(&self, level: usize) -> Option<&wgpu::Buffer> {
        self.buffers.get(level).and_then(Option::as_ref)
    }

    /// Makes `level`'s buffer holding `items` unless it is there (nothing
    /// for no items or a level out of range).
    pub fn ensure<T: bytemuck::Pod>(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, level: usize, items: &[T]) {
        let Some(slot) = self.buffers.get_mut(level) else { return };
        if slot.is_some() || items.is_empty() {
            return;
        }
        let bytes: &[u8] = bytemuck::cast_slice(items);
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(self.label),
            size: bytes.len() as u64,
            usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        write_large(device, queue, &buffer, 0, bytes);
        *slot = Some(buffer);
    }

    /// Drops `level`'s buffer: the next [`Self::ensure`] makes it again.
    pub fn forget(&mut self, level: usize) {
        if let Some(slot) = self.buffers.get_mut(level) {
            *slot = None;
        }
    }

    /// How many items are on the GPU, of `levels` (the levels these buffers are for).
    pub fn uploaded_len(&self, levels: &[Level]) -> usize {
        levels.iter().enumerate().filter(|(k, _)| self.get(*k).is_some()).map(|(_, l)| l.range.len()).sum()
    }
}
