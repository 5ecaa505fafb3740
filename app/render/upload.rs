//! Writing large instance lists into GPU buffers without holding a second
//! copy of them: `Queue::write_buffer` copies its data into a staging buffer
//! that lives until the GPU has consumed it, so a 300 MB level-of-detail
//! upload would briefly cost 300 MB more (and on a software rasterizer,
//! whose GPU memory is the process's own, 600 MB). Above
//! [`UPLOAD_SLICE_BYTES`] the data goes in slices, each submitted and waited
//! for, so that at most one slice of staging is alive.

/// The largest write staged at once.
pub const UPLOAD_SLICE_BYTES: usize = 32 << 20;

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
