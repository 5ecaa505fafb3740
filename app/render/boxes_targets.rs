//! The textures a 3D scene is drawn into, outside egui's pass (which has no
//! depth buffer and a fixed sample count): a multisampled colour target, a
//! reverse-Z depth target (cleared to 0, `Greater` passes), and the
//! single-sample texture the colour is resolved into, which the blit reads
//! (`SceneTargets`, one set per viewport size).
//!
//! MSAA: 4 samples when the device can render and resolve 4x for both the
//! scene colour format (Rgba8Unorm) and the depth format (Depth32Float),
//! otherwise a single sample. [`supported_msaa_samples`] asks the adapter's
//! format features when it has an adapter (as wgpu itself does for devices
//! with adapter-specific format features or downlevel backends), the WebGPU
//! guarantees otherwise, and without an adapter it probes the device by
//! creating a tiny 4x texture inside an error scope. The sample count is independent of the target's:
//! the blit pipeline is built for the target's own sample count.

/// The colour format of the scene textures (whatever the target's format).
pub const SCENE_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
/// The depth format of the scene (reverse-Z: cleared to 0, `Greater` passes).
pub const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;

/// From this many boxes on, a 3D scene is not multisampled, in the window
/// as in pictures: most boxes are then a few pixels (edges to smooth are
/// everywhere and each is short), and 4 samples cost a software rasterizer
/// more than twice the time and three times the memory (a million-region
/// Volume picture: 10 s and 3 GiB against 4.5 s and 1 GiB on lavapipe).
pub const MSAA_MAX_BOXES: usize = 500_000;

/// The sample count for a scene of `boxes` boxes: none from
/// [`MSAA_MAX_BOXES`] on, else [`supported_msaa_samples`].
pub fn msaa_samples_for(device: &wgpu::Device, adapter: Option<&wgpu::Adapter>, boxes: usize) -> u32 {
    if boxes >= MSAA_MAX_BOXES { 1 } else { supported_msaa_samples(device, adapter) }
}

/// The sample count to give `BoxesRenderer::new`: 4 when `device` can
/// render and resolve 4x multisampled [`SCENE_FORMAT`] and [`DEPTH_FORMAT`],
/// else 1. With the `adapter` the device came from, its format features are
/// asked (or the WebGPU guarantees, whichever wgpu validates against);
/// without one, the device is probed.
pub fn supported_msaa_samples(device: &wgpu::Device, adapter: Option<&wgpu::Adapter>) -> u32 {
    let four = match adapter {
        Some(adapter) => {
            // wgpu validates sample counts against the adapter's own format
            // features when the device enabled them or the backend is
            // downlevel, against the WebGPU guarantees otherwise.
            let adapter_specific = device.features().contains(wgpu::Features::TEXTURE_ADAPTER_SPECIFIC_FORMAT_FEATURES)
                || !adapter
                    .get_downlevel_capabilities()
                    .flags
                    .contains(wgpu::DownlevelFlags::WEBGPU_TEXTURE_FORMAT_SUPPORT);
            let features = |format: wgpu::TextureFormat| {
                if adapter_specific {
                    adapter.get_texture_format_features(format)
                } else {
                    format.guaranteed_format_features(device.features())
                }
            };
            let colour = features(SCENE_FORMAT);
            colour.flags.sample_count_supported(4)
                && colour.flags.contains(wgpu::TextureFormatFeatureFlags::MULTISAMPLE_RESOLVE)
                && features(DEPTH_FORMAT).flags.sample_count_supported(4)
        }
        None => {
            let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
            for (format, label) in
                [(SCENE_FORMAT, "BoxesRenderer::msaa_probe_colour"), (DEPTH_FORMAT, "BoxesRenderer::msaa_probe_depth")]
            {
                let probe = device.create_texture(&texture_descriptor(
                    label,
                    [1, 1],
                    4,
                    format,
                    wgpu::TextureUsages::RENDER_ATTACHMENT,
                ));
                probe.destroy();
            }
            pollster::block_on(scope.pop()).is_none()
        }
    };
    if four { 4 } else { 1 }
}

/// The textures one viewport size needs.
pub(super) struct SceneTargets {
    pub(super) size_px: [u32; 2],
    /// The multisampled colour target (None with 1 sample: draw straight
    /// into `resolved`).
    pub(super) msaa_view: Option<wgpu::TextureView>,
    pub(super) depth_view: wgpu::TextureView,
    pub(super) resolved_view: wgpu::TextureView,
    /// The blit's bind group, reading `resolved`.
    pub(super) blit_bind_group: wgpu::BindGroup,
}

impl SceneTargets {
    /// The targets for a `size_px` scene with `msaa_samples` samples, and
    /// the blit's bind group (of `blit_bind_group_layout`) reading the
    /// resolved picture.
    pub(super) fn new(
        device: &wgpu::Device,
        size_px: [u32; 2],
        msaa_samples: u32,
        blit_bind_group_layout: &wgpu::BindGroupLayout,
    ) -> SceneTargets {
        let attachment = wgpu::TextureUsages::RENDER_ATTACHMENT;
        let view = |texture: &wgpu::Texture, label: &str| {
            texture.create_view(&wgpu::TextureViewDescriptor { label: Some(label), ..Default::default() })
        };
        let msaa_view = (msaa_samples > 1).then(|| {
            let texture = device.create_texture(&texture_descriptor(
                "BoxesRenderer::msaa_colour",
                size_px,
                msaa_samples,
                SCENE_FORMAT,
                attachment,
            ));
            view(&texture, "BoxesRenderer::msaa_colour_view")
        });
        let depth = device.create_texture(&texture_descriptor(
            "BoxesRenderer::depth",
            size_px,
            msaa_samples,
            DEPTH_FORMAT,
            attachment,
        ));
        let resolved = device.create_texture(&texture_descriptor(
            "BoxesRenderer::resolved",
            size_px,
            1,
            SCENE_FORMAT,
            attachment | wgpu::TextureUsages::TEXTURE_BINDING,
        ));
        let resolved_view = view(&resolved, "BoxesRenderer::resolved_view");
        let blit_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("BoxesRenderer::blit_bind_group"),
            layout: blit_bind_group_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 1,
                resource: wgpu::BindingResource::TextureView(&resolved_view),
            }],
        });
        SceneTargets {
            size_px,
            msaa_view,
            depth_view: view(&depth, "BoxesRenderer::depth_view"),
            resolved_view,
            blit_bind_group,
        }
    }
}

fn texture_descriptor(
    label: &str,
    size_px: [u32; 2],
    sample_count: u32,
    format: wgpu::TextureFormat,
    usage: wgpu::TextureUsages,
) -> wgpu::TextureDescriptor<'_> {
    wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d { width: size_px[0], height: size_px[1], depth_or_array_layers: 1 },
        mip_level_count: 1,
        sample_count,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage,
        view_formats: &[],
    }
}
