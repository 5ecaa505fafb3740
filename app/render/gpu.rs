//! [`Gpu`]: a wgpu device and queue for rendering without a window, opened
//! headless ([`Gpu::headless`], no display server needed; Mesa's lavapipe or
//! llvmpipe do) or borrowed from a running eframe window, with the tile size
//! egui pictures are cut into beyond the device's largest texture.

use super::error::RenderError;
use super::offscreen_target::padded_bytes_per_row;

/// A GPU device and its queue, for rendering without a window.
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter_info: wgpu::AdapterInfo,
    /// The largest tile side of a tiled egui picture (see [`Gpu::set_max_tile_px`]).
    max_tile_px: u32,
}

impl Gpu {
    /// Opens a device without any surface or display: Vulkan first (lavapipe
    /// will do), then GL (llvmpipe through EGL), each tried only when the one
    /// before has no adapter, so a Vulkan machine never probes EGL. The
    /// `WGPU_BACKEND` variable replaces that order with its own set, and
    /// `WGPU_ADAPTER_NAME` / `WGPU_POWER_PREF` pick among adapters, as
    /// everywhere in wgpu. The device gets the adapter's own limits, so big
    /// exports can use its largest textures.
    pub fn headless() -> Result<Gpu, RenderError> {
        let attempts = match wgpu::Backends::from_env() {
            Some(backends) => vec![backends],
            None => vec![wgpu::Backends::VULKAN, wgpu::Backends::GL],
        };
        let mut failures = Vec::new();
        for backends in attempts {
            let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
            desc.backends = backends;
            desc.flags = wgpu::InstanceFlags::from_build_config().with_env();
            let instance = wgpu::Instance::new(desc);
            match pollster::block_on(wgpu::util::initialize_adapter_from_env_or_default(&instance, None)) {
                Ok(adapter) => return Gpu::open(&adapter),
                Err(e) => failures.push(format!("{backends:?}: {e}")),
            }
        }
        Err(RenderError::NoAdapter(failures.join("; ")))
    }

    fn open(adapter: &wgpu::Adapter) -> Result<Gpu, RenderError> {
        let adapter_info = adapter.get_info();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("Gpu::device"),
            required_features: wgpu::Features::empty(),
            required_limits: adapter.limits(),
            ..Default::default()
        }))?;
        let max_tile_px = device.limits().max_texture_dimension_2d;
        Ok(Gpu { device, queue, adapter_info, max_tile_px })
    }

    /// The device of a running eframe window, for exports from the GUI.
    pub fn from_render_state(render_state: &egui_wgpu::RenderState) -> Gpu {
        Gpu {
            device: render_state.device.clone(),
            queue: render_state.queue.clone(),
            adapter_info: render_state.adapter.get_info(),
            max_tile_px: render_state.device.limits().max_texture_dimension_2d,
        }
    }

    /// The largest image side this device renders in one piece (bare quads
    /// and boxes; egui pictures are tiled beyond it).
    pub fn max_size_px(&self) -> u32 {
        self.device.limits().max_texture_dimension_2d
    }

    /// Makes egui pictures tile at `px` per side (at least 16, at most the
    /// device's largest texture, which is the default): a test can then see
    /// tiles stitch without seams on any GPU.
    pub fn set_max_tile_px(&mut self, px: u32) {
        self.max_tile_px = px.clamp(16, self.max_size_px());
    }

    /// The tile size for an egui picture of `size_px`: at most
    /// [`Self::set_max_tile_px`] per side, and a readback buffer within the
    /// device's `max_buffer_size`.
    pub(super) fn tile_size(&self, size_px: [u32; 2]) -> [u32; 2] {
        let side = self.max_tile_px.min(self.max_size_px()).max(1);
        let w = size_px[0].min(side).max(1);
        let rows = (self.device.limits().max_buffer_size / padded_bytes_per_row(w)).max(1);
        let h = size_px[1].min(side).min(u32::try_from(rows).unwrap_or(u32::MAX)).max(1);
        [w, h]
    }
}
