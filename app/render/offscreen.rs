//! Rendering without a window: a headless GPU device ([`Gpu::headless`], no
//! display server needed; Mesa's lavapipe or llvmpipe do), egui frames
//! rendered into a texture ([`render_egui_offscreen`], and
//! [`render_egui_offscreen_3d`] for UIs with 3D views), bare quads
//! ([`render_quads_offscreen`]) and bare 3D boxes ([`render_boxes_offscreen`]),
//! read back into an [`image::RgbaImage`].
//!
//! egui frames may be larger than the GPU's largest texture: the frame is laid
//! out and tessellated once at full size, then drawn tile by tile (each tile's
//! primitives shifted to its corner, a [`TileOrigin`] telling the paint
//! callbacks which part of their view to draw, see [`super::crop`]) and the
//! tiles are copied into one image. A tiled picture equals a single render
//! (tests/export.rs compares them).
//!
//! The target is Rgba8Unorm, the gamma-space format egui_wgpu prefers, so
//! colour bytes are written as given. The same input gives the same bytes:
//! egui runs with a fixed time and egui_wgpu's predictable options (no
//! dithering, software texture filtering).

use super::box_instance::BoxInstance;
use super::boxes::BoxesRenderer;
use super::boxes_style::BoxesStyle;
use super::boxes_targets::supported_msaa_samples;
use super::camera2d::Camera2d;
use super::camera3d::OrbitCamera;
use super::crop::{Crop, TileOrigin};
use super::error::RenderError;
use super::lod::QuadLod;
use super::quad_instance::QuadInstance;
use super::quads::QuadsRenderer;

/// The offscreen colour format.
pub const OFFSCREEN_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// A GPU device and its queue, for rendering without a window.
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter_info: wgpu::AdapterInfo,
    /// The largest tile side of a tiled egui picture (see [`Gpu::set_max_tile_px`]).
    max_tile_px: u32,
}

/// The largest egui picture side, in pixels (tiles make any size up to this).
pub const MAX_PICTURE_SIDE_PX: u32 = 65_536;
/// The most pixels of one egui picture: 2^28, a 1 GiB RGBA image
/// (16384 x 16384, or 20000 x 13000).
pub const MAX_PICTURE_PX: u64 = 1 << 28;

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
    fn tile_size(&self, size_px: [u32; 2]) -> [u32; 2] {
        let side = self.max_tile_px.min(self.max_size_px()).max(1);
        let w = size_px[0].min(side).max(1);
        let rows = (self.device.limits().max_buffer_size / padded_bytes_per_row(w)).max(1);
        let h = size_px[1].min(side).min(u32::try_from(rows).unwrap_or(u32::MAX)).max(1);
        [w, h]
    }
}

/// Runs `run_ui` in a fresh egui context on a `size_px` screen at
/// `pixels_per_point`, and returns the picture. Two frames are run so that
/// layouts which size themselves from the previous frame settle; only the
/// second is drawn. A [`QuadsRenderer`] holding `instances` is registered in
/// this egui renderer, so the
/// [`QuadsPaintCallback`](super::quads_paint::QuadsPaintCallback)s that
/// `run_ui` paints draw them, as [`upload_instances`](super::quads_paint::upload_instances)
/// arranges in the window.
///
/// `background` is the colour the target is cleared to (seen where egui
/// paints nothing).
pub fn render_egui_offscreen(
    gpu: &Gpu,
    size_px: [u32; 2],
    pixels_per_point: f32,
    background: [u8; 4],
    instances: &[QuadInstance],
    run_ui: impl FnMut(&mut egui::Ui),
) -> Result<image::RgbaImage, RenderError> {
    render_egui_offscreen_lod(gpu, size_px, pixels_per_point, background, &QuadLod::build(instances), run_ui)
}

/// [`render_egui_offscreen`] for quads whose levels of detail are built
/// already (a map scene's).
pub fn render_egui_offscreen_lod(
    gpu: &Gpu,
    size_px: [u32; 2],
    pixels_per_point: f32,
    background: [u8; 4],
    lod: &QuadLod,
    run_ui: impl FnMut(&mut egui::Ui),
) -> Result<image::RgbaImage, RenderError> {
    render_egui_with(
        gpu,
        size_px,
        pixels_per_point,
        background,
        |device, queue, resources| {
            let mut quads = QuadsRenderer::new(device, OFFSCREEN_FORMAT, 1);
            quads.set_lod(device, queue, lod);
            resources.insert(quads);
        },
        run_ui,
        "render_egui_offscreen",
    )
}

/// [`render_egui_offscreen`] for UIs with 3D views: a [`BoxesRenderer`]
/// holding `box_instances` is registered in this egui renderer, so the
/// [`BoxesPaintCallback`](super::boxes_paint::BoxesPaintCallback)s that
/// `run_ui` paints draw them, as
/// [`upload_box_instances`](super::boxes_paint::upload_box_instances)
/// arranges in the window. A [`QuadsRenderer`] without quads is registered
/// too, so 2D map callbacks draw nothing rather than fail.
pub fn render_egui_offscreen_3d(
    gpu: &Gpu,
    size_px: [u32; 2],
    pixels_per_point: f32,
    background: [u8; 4],
    box_instances: &[BoxInstance],
    run_ui: impl FnMut(&mut egui::Ui),
) -> Result<image::RgbaImage, RenderError> {
    render_egui_with(
        gpu,
        size_px,
        pixels_per_point,
        background,
        |device, queue, resources| {
            resources.insert(QuadsRenderer::new(device, OFFSCREEN_FORMAT, 1));
            let tile = gpu.tile_size(size_px);
            let mut boxes = BoxesRenderer::new(device, offscreen_msaa_samples(device, tile), OFFSCREEN_FORMAT);
            boxes.set_instances(device, queue, box_instances);
            resources.insert(boxes);
        },
        run_ui,
        "render_egui_offscreen_3d",
    )
}

/// Draws `instances` alone with `camera` on a `size_px` image (the whole
/// image is the viewport), the sky and light as `style` says.
pub fn render_boxes_offscreen(
    gpu: &Gpu,
    size_px: [u32; 2],
    camera: &OrbitCamera,
    instances: &[BoxInstance],
    style: &BoxesStyle,
) -> Result<image::RgbaImage, RenderError> {
    Ok(render_boxes_counted(gpu, size_px, camera, instances, style, true)?.0)
}

/// [`render_boxes_offscreen`], saying how many boxes were drawn after levels
/// of detail and culling; `lod: false` draws every box in view.
pub fn render_boxes_counted(
    gpu: &Gpu,
    size_px: [u32; 2],
    camera: &OrbitCamera,
    instances: &[BoxInstance],
    style: &BoxesStyle,
    lod: bool,
) -> Result<(image::RgbaImage, u32), RenderError> {
    check_size(gpu, size_px)?;
    let device = &gpu.device;
    let queue = &gpu.queue;
    let scopes = ErrorScopes::push(device);

    let mut boxes = BoxesRenderer::new(device, offscreen_msaa_samples(device, size_px), OFFSCREEN_FORMAT);
    match lod {
        true => boxes.set_instances(device, queue, instances),
        false => boxes.set_instances_without_lod(device, queue, instances),
    }
    let scene = boxes.prepare(device, queue, camera, size_px, style);
    let drawn = boxes.drawn_count();
    let target = Target::new(device, size_px, "render_boxes_offscreen::target");
    let mut encoder = device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("render_boxes_offscreen::encoder") });
    {
        let mut pass = target.begin_pass(&mut encoder, [0, 0, 0, 255], "render_boxes_offscreen::pass");
        boxes.paint(&mut pass);
    }
    target.copy_to_buffer(&mut encoder);
    queue.submit([scene, encoder.finish()]);
    let image = target.read(device);
    scopes.pop()?;
    Ok((image?, drawn))
}

/// Above this many pixels an offscreen 3D render is not multisampled: a 4x
/// colour + depth target of 8 bytes per sample would pass 256 MiB (a 4K image
/// still gets 4x).
const OFFSCREEN_MSAA_MAX_PX: u64 = 1 << 23;

/// The scene sample count for an offscreen 3D render of `size_px`.
fn offscreen_msaa_samples(device: &wgpu::Device, size_px: [u32; 2]) -> u32 {
    if size_px[0] as u64 * size_px[1] as u64 > OFFSCREEN_MSAA_MAX_PX {
        return 1;
    }
    supported_msaa_samples(device, None)
}

/// The egui offscreen path: `install` puts the renderers the UI's paint
/// callbacks need into the egui renderer's callback resources.
fn render_egui_with(
    gpu: &Gpu,
    size_px: [u32; 2],
    pixels_per_point: f32,
    background: [u8; 4],
    install: impl FnOnce(&wgpu::Device, &wgpu::Queue, &mut egui_wgpu::CallbackResources),
    mut run_ui: impl FnMut(&mut egui::Ui),
    label: &str,
) -> Result<image::RgbaImage, RenderError> {
    check_picture_size(size_px)?;
    if !(pixels_per_point.is_finite() && pixels_per_point > 0.0) {
        return Err(RenderError::BadPixelsPerPoint(pixels_per_point));
    }
    let device = &gpu.device;
    let queue = &gpu.queue;
    let scopes = ErrorScopes::push(device);

    let mut renderer = egui_wgpu::Renderer::new(device, OFFSCREEN_FORMAT, egui_wgpu::RendererOptions::PREDICTABLE);
    install(device, queue, &mut renderer.callback_resources);

    let ctx = egui::Context::default();
    let screen_rect = egui::Rect::from_min_size(
        egui::Pos2::ZERO,
        egui::vec2(size_px[0] as f32 / pixels_per_point, size_px[1] as f32 / pixels_per_point),
    );
    const FRAMES: usize = 2;
    let mut last = None;
    for frame in 0..FRAMES {
        let mut input = egui::RawInput {
            screen_rect: Some(screen_rect),
            max_texture_side: Some(gpu.max_size_px() as usize),
            time: Some(frame as f64 / 60.0),
            ..Default::default()
        };
        if let Some(viewport) = input.viewports.get_mut(&input.viewport_id) {
            viewport.native_pixels_per_point = Some(pixels_per_point);
            viewport.inner_rect = Some(screen_rect);
            viewport.focused = Some(true);
        }
        let mut output = ctx.run_ui(input, &mut run_ui);
        let mut textures = std::mem::take(&mut output.textures_delta);
        for (id, deltas) in textures.set.drain() {
            for delta in &deltas {
                renderer.update_texture(device, queue, id, delta);
            }
        }
        // Frees apply after painting: at once for a frame that is not drawn.
        let frees: Vec<egui::TextureId> = textures.free.drain().collect();
        if frame + 1 < FRAMES {
            for id in &frees {
                renderer.free_texture(id);
            }
        } else {
            last = Some((output, frees));
        }
    }
    let Some((output, frees)) = last else {
        return Err(RenderError::Gpu("egui produced no frame".to_owned()));
    };

    let ppp = output.pixels_per_point;
    let primitives = ctx.tessellate(output.shapes, ppp);
    let frame = Frame { gpu, primitives: &primitives, ppp, background, label };
    let result = frame.draw(&mut renderer, size_px, gpu.tile_size(size_px));
    for id in &frees {
        renderer.free_texture(id);
    }
    // A GPU error says more than the failed readback it may have caused.
    scopes.pop()?;
    result
}

/// A tessellated egui frame and how to draw it.
#[derive(Clone, Copy)]
struct Frame<'a> {
    gpu: &'a Gpu,
    primitives: &'a [egui::ClippedPrimitive],
    ppp: f32,
    background: [u8; 4],
    label: &'a str,
}

impl Frame<'_> {
    /// Draws the `size_px` picture in tiles of at most `tile` pixels (one
    /// tile when it fits).
    fn draw(
        &self,
        renderer: &mut egui_wgpu::Renderer,
        size_px: [u32; 2],
        tile: [u32; 2],
    ) -> Result<image::RgbaImage, RenderError> {
        if tile == size_px {
            return self.draw_tile(renderer, [0, 0], size_px);
        }
        let mut image = image::RgbaImage::new(size_px[0], size_px[1]);
        for y in (0..size_px[1]).step_by(tile[1] as usize) {
            for x in (0..size_px[0]).step_by(tile[0] as usize) {
                let tile_size = [tile[0].min(size_px[0] - x), tile[1].min(size_px[1] - y)];
                let part = self.draw_tile(renderer, [x, y], tile_size)?;
                image::imageops::replace(&mut image, &part, i64::from(x), i64::from(y));
            }
        }
        Ok(image)
    }

    /// Draws the `size_px` part of the picture whose top-left corner is at
    /// `origin_px`: the primitives are shifted by `-origin` and the paint
    /// callbacks learn the origin through a [`TileOrigin`] resource.
    fn draw_tile(
        &self,
        renderer: &mut egui_wgpu::Renderer,
        origin_px: [u32; 2],
        size_px: [u32; 2],
    ) -> Result<image::RgbaImage, RenderError> {
        let Frame { gpu, primitives, ppp, background, label } = *self;
        let device = &gpu.device;
        let queue = &gpu.queue;
        let origin = [origin_px[0] as f32, origin_px[1] as f32];
        renderer.callback_resources.insert(TileOrigin(origin));
        let shifted;
        let primitives = if origin_px == [0, 0] {
            primitives
        } else {
            shifted = shift_primitives(primitives, egui::vec2(-origin[0] / ppp, -origin[1] / ppp));
            &shifted[..]
        };
        let screen = egui_wgpu::ScreenDescriptor { size_in_pixels: size_px, pixels_per_point: ppp };
        let target = Target::new(device, size_px, &format!("{label}::target"));

        let mut encoder = device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(&format!("{label}::encoder")) });
        // The paint callbacks' own command buffers (a 3D scene) come first, as in eframe.
        let mut commands = renderer.update_buffers(device, queue, &mut encoder, primitives, &screen);
        {
            let pass = target.begin_pass(&mut encoder, background, &format!("{label}::pass"));
            let mut pass = pass.forget_lifetime();
            renderer.render(&mut pass, primitives, &screen);
        }
        target.copy_to_buffer(&mut encoder);
        commands.push(encoder.finish());
        queue.submit(commands);
        target.read(device)
    }
}

/// `primitives` moved by `delta` points: meshes, clip rects and callback rects.
fn shift_primitives(primitives: &[egui::ClippedPrimitive], delta: egui::Vec2) -> Vec<egui::ClippedPrimitive> {
    primitives
        .iter()
        .map(|p| {
            let primitive = match &p.primitive {
                egui::epaint::Primitive::Mesh(mesh) => {
                    let mut mesh = mesh.clone();
                    mesh.translate(delta);
                    egui::epaint::Primitive::Mesh(mesh)
                }
                egui::epaint::Primitive::Callback(cb) => {
                    let mut cb = cb.clone();
                    cb.rect = cb.rect.translate(delta);
                    egui::epaint::Primitive::Callback(cb)
                }
            };
            egui::ClippedPrimitive { clip_rect: p.clip_rect.translate(delta), primitive }
        })
        .collect()
}

/// Draws `instances` alone on a `background`-coloured `size_px` image with
/// `camera` (the whole image is the viewport). `highlight` is the SELECTED
/// outline colour.
pub fn render_quads_offscreen(
    gpu: &Gpu,
    size_px: [u32; 2],
    camera: &Camera2d,
    instances: &[QuadInstance],
    background: [u8; 4],
    highlight: [u8; 4],
) -> Result<image::RgbaImage, RenderError> {
    Ok(render_quads_counted(gpu, size_px, camera, instances, [background, highlight], true)?.0)
}

/// [`render_quads_offscreen`], saying how many quads were drawn after levels
/// of detail and culling; `lod: false` draws every quad in view.
pub fn render_quads_counted(
    gpu: &Gpu,
    size_px: [u32; 2],
    camera: &Camera2d,
    instances: &[QuadInstance],
    [background, highlight]: [[u8; 4]; 2],
    lod: bool,
) -> Result<(image::RgbaImage, u32), RenderError> {
    check_size(gpu, size_px)?;
    let device = &gpu.device;
    let queue = &gpu.queue;
    let scopes = ErrorScopes::push(device);

    let mut quads = QuadsRenderer::new(device, OFFSCREEN_FORMAT, 1);
    match lod {
        true => quads.set_instances(device, queue, instances),
        false => quads.set_instances_without_lod(device, queue, instances),
    }
    let crop = Crop::whole([size_px[0] as f32, size_px[1] as f32]);
    quads.prepare(queue, camera, &crop, QuadInstance::rgba(highlight), QuadInstance::rgba(background));
    let drawn = quads.drawn_count();
    let target = Target::new(device, size_px, "render_quads_offscreen::target");
    let mut encoder = device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("render_quads_offscreen::encoder") });
    {
        let mut pass = target.begin_pass(&mut encoder, background, "render_quads_offscreen::pass");
        quads.paint(&mut pass);
    }
    target.copy_to_buffer(&mut encoder);
    queue.submit([encoder.finish()]);
    let image = target.read(device);
    scopes.pop()?;
    Ok((image?, drawn))
}

/// Rejects egui picture sizes that are empty or too large to hold (tiles
/// render any size the device cannot take in one piece).
fn check_picture_size(size_px: [u32; 2]) -> Result<(), RenderError> {
    let [width_px, height_px] = size_px;
    if width_px == 0 || height_px == 0 {
        return Err(RenderError::EmptySize { width_px, height_px });
    }
    if width_px > MAX_PICTURE_SIDE_PX
        || height_px > MAX_PICTURE_SIDE_PX
        || u64::from(width_px) * u64::from(height_px) > MAX_PICTURE_PX
    {
        return Err(RenderError::PictureTooLarge {
            width_px,
            height_px,
            max_side_px: MAX_PICTURE_SIDE_PX,
            max_megapixels: MAX_PICTURE_PX / 1_000_000,
        });
    }
    Ok(())
}

/// Rejects sizes the device cannot render or read back in one piece.
fn check_size(gpu: &Gpu, size_px: [u32; 2]) -> Result<(), RenderError> {
    let [width_px, height_px] = size_px;
    if width_px == 0 || height_px == 0 {
        return Err(RenderError::EmptySize { width_px, height_px });
    }
    let limits = gpu.device.limits();
    let max_px = limits.max_texture_dimension_2d;
    if width_px > max_px || height_px > max_px {
        return Err(RenderError::TooLarge { width_px, height_px, max_px });
    }
    if padded_bytes_per_row(width_px) * height_px as u64 > limits.max_buffer_size {
        return Err(RenderError::TooLarge { width_px, height_px, max_px });
    }
    Ok(())
}

/// Bytes per row of the readback buffer: wgpu copies whole rows padded to
/// 256 bytes.
fn padded_bytes_per_row(width_px: u32) -> u64 {
    let unpadded = width_px as u64 * 4;
    let align = wgpu::COPY_BYTES_PER_ROW_ALIGNMENT as u64;
    unpadded.div_ceil(align) * align
}

/// Validation and out-of-memory errors of one render, reported as
/// [`RenderError::Gpu`] instead of wgpu's default panic.
struct ErrorScopes {
    validation: wgpu::ErrorScopeGuard,
    out_of_memory: wgpu::ErrorScopeGuard,
}

impl ErrorScopes {
    fn push(device: &wgpu::Device) -> ErrorScopes {
        let out_of_memory = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
        ErrorScopes { validation, out_of_memory }
    }

    fn pop(self) -> Result<(), RenderError> {
        let validation = pollster::block_on(self.validation.pop());
        let out_of_memory = pollster::block_on(self.out_of_memory.pop());
        match validation.or(out_of_memory) {
            Some(e) => Err(RenderError::Gpu(e.to_string())),
            None => Ok(()),
        }
    }
}

/// A colour texture to render into and the buffer it is read back through.
struct Target {
    size_px: [u32; 2],
    texture: wgpu::Texture,
    view: wgpu::TextureView,
    readback: wgpu::Buffer,
}

impl Target {
    fn new(device: &wgpu::Device, size_px: [u32; 2], label: &str) -> Target {
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

    fn begin_pass<'e>(
        &self,
        encoder: &'e mut wgpu::CommandEncoder,
        background: [u8; 4],
        label: &str,
    ) -> wgpu::RenderPass<'e> {
        let [r, g, b, a] = background.map(|c| c as f64 / 255.0);
        encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some(label),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: &self.view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color { r, g, b, a }),
                    store: wgpu::StoreOp::Store,
                },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        })
    }

    fn copy_to_buffer(&self, encoder: &mut wgpu::CommandEncoder) {
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
    fn read(&self, device: &wgpu::Device) -> Result<image::RgbaImage, RenderError> {
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
