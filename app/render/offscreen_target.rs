//! What every offscreen render draws into and reads back through: a
//! single-sample [`OFFSCREEN_FORMAT`] texture and its readback buffer
//! ([`Target`], rows padded as wgpu copies them), and the error scopes that
//! turn a render's validation and out-of-memory errors into
//! [`RenderError::Gpu`] instead of wgpu's default panic ([`ErrorScopes`]).
//!
//! The target is Rgba8Unorm, the gamma-space format egui_wgpu prefers, so
//! colour bytes are written as given.

use super::error::RenderError;

/// The offscreen colour format.
pub const OFFSCREEN_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// Bytes per row of the readback buffer: wgpu copies whole rows padded to
/// 256 bytes.
pub(super) fn padded_bytes_per_row(width_px: u32) -> u64 {
    let unpadded = width_px as u64 * 4;
    let align = wgpu::COPY_BYTES_PER_ROW_ALIGNMENT as u64;
    unpadded.div_ceil(align) * align
}

/// Validation and out-of-memory errors of one render, reported as
/// [`RenderError::Gpu`] instead of wgpu's default panic.
pub(super) struct ErrorScopes {
    validation: wgpu::ErrorScopeGuard,
    out_of_memory: wgpu::ErrorScopeGuard,
}

impl ErrorScopes {
    pub(super) fn push(device: &wgpu::Device) -> ErrorScopes {
        let out_of_memory = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
        ErrorScopes { validation, out_of_memory }
    }

    pub(super) fn pop(self) -> Result<(), RenderError> {
        let validation = pollster::block_on(self.validation.pop());
        let out_of_memory = pollster::block_on(self.out_of_memory.pop());
        match validation.or(out_of_memory) {
            Some(e) => Err(RenderError::Gpu(e.to_string())),
            None => Ok(()),
        }
    }
}

/// A colour texture to render into and the buffer it is read back through.
pub(super) struct Target {
    size_px: [u32; 2],
    texture: wgpu::Texture,
    view: wgpu::TextureView,
    readback: wgpu::Buffer,
}

impl Target {
    pub(super) fn new(device: &wgpu::Device, size_px: [u32; 2], label: &str) -> Target {
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some(label),
            size: wgpu::Extent3d { width: size_px[0], height: size_px[1], depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: OFFSCREEN_FORMAT,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let view = texture
            .create_view(&wgpu::TextureViewDescriptor { label: Some(&format!("{label}_view")), ..Default::default() });
        let readback = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(&format!("{label}_readback")),
            size: padded_bytes_per_row(size_px[0]) * size_px[1] as u64,
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        Target { size_px, texture, view, readback }
    }

    pub(super) fn begin_pass<'e>(
        &self,
        encoder: &'e mut wgpu::CommandEncoder,
        background: Option<[u8; 4]>,
        label: &str,
    ) -> wgpu::RenderPass<'e> {
        // Cleared to the background, or drawn over (a pass after the first).
        let load = match background.map(|c| c.map(|c| c as f64 / 255.0)) {
            Some([r, g, b, a]) => wgpu::LoadOp::Clear(wgpu::Color { r, g, b, a }),
            None => wgpu::LoadOp::Load,
        };
        encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some(label),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &self.view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations { load, store: wgpu::StoreOp::Store },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        })
    }

    /// The colour target, for passes of its own (batches of quads).
    pub(super) fn view(&self) -> &wgpu::TextureView {
        &self.view
    }

    pub(super) fn copy_to_buffer(&self, encoder: &mut wgpu::CommandEncoder) {
        encoder.copy_texture_to_buffer(
            wgpu::TexelCopyTextureInfo {
                texture: &self.texture,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            wgpu::TexelCopyBufferInfo {
                buffer: &self.readback,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(padded_bytes_per_row(self.size_px[0]) as u32),
                    rows_per_image: Some(self.size_px[1]),
                },
            },
            wgpu::Extent3d { width: self.size_px[0], height: self.size_px[1], depth_or_array_layers: 1 },
        );
    }

    /// Waits for the GPU and copies the rows out of the readback buffer.
    pub(super) fn read(&self, device: &wgpu::Device) -> Result<image::RgbaImage, RenderError> {
        let (tx, rx) = std::sync::mpsc::channel();
        let slice = self.readback.slice(..);
        slice.map_async(wgpu::MapMode::Read, move |result| {
            // The receiver waits below; a failed send only means it is gone.
            let _ = tx.send(result);
        });
        device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| RenderError::Readback(e.to_string()))?;
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(RenderError::Readback(e.to_string())),
            Err(_) => return Err(RenderError::Readback("the buffer was never mapped".to_owned())),
        }
        let [width, height] = self.size_px;
        let row_bytes = width as usize * 4;
        let padded = padded_bytes_per_row(width) as usize;
        let mut pixels = Vec::with_capacity(row_bytes * height as usize);
        {
            let mapped = slice.get_mapped_range().map_err(|e| RenderError::Readback(e.to_string()))?;
            for row in mapped.chunks(padded).take(height as usize) {
                pixels.extend_from_slice(&row[..row_bytes]);
            }
        }
        self.readback.unmap();
        image::RgbaImage::from_raw(width, height, pixels)
            .ok_or_else(|| RenderError::Readback("the buffer is smaller than the image".to_owned()))
    }
}
