//! An egui frame rendered offscreen: egui runs in a fresh context on a
//! screen of the picture's size (two frames, at a fixed time, so layouts that
//! size themselves from the previous frame settle), the second frame is
//! tessellated once at full size and drawn with egui_wgpu (its predictable
//! options: no dithering, software texture filtering), paint callbacks
//! included, then read back.
//!
//! Pictures larger than the GPU's largest texture are drawn tile by tile:
//! each tile's primitives shifted to its corner, a [`TileOrigin`] telling
//! the paint callbacks which part of their view to draw (see crop.rs), and
//! the tiles copied into one image. A tiled picture equals a single render
//! (tests/export.rs compares them).

use super::crop::TileOrigin;
use super::error::RenderError;
use super::gpu::Gpu;
use super::offscreen_target::{ErrorScopes, OFFSCREEN_FORMAT, Target};
use super::quads::QuadsRenderer;
use super::quads_paint::paint_quads_in_batches;

/// Runs `run_ui` in a fresh egui context on a `size_px` screen at
/// `pixels_per_point` (both checked by the caller) and returns the second
/// frame's picture on a `background`-cleared target. `install` first puts
/// the renderers the UI's paint callbacks need into the egui renderer's
/// callback resources; `label` names the wgpu objects.
pub(super) fn render_egui(
    gpu: &Gpu,
    size_px: [u32; 2],
    pixels_per_point: f32,
    background: [u8; 4],
    install: impl FnOnce(&wgpu::Device, &mut egui_wgpu::CallbackResources),
    run_ui: &mut dyn FnMut(&mut egui::Ui),
    label: &str,
) -> Result<image::RgbaImage, RenderError> {
    let device = &gpu.device;
    let queue = &gpu.queue;
    let scopes = ErrorScopes::push(device);

    let mut renderer = egui_wgpu::Renderer::new(device, OFFSCREEN_FORMAT, egui_wgpu::RendererOptions::PREDICTABLE);
    install(device, &mut renderer.callback_resources);

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
        let mut output = ctx.run_ui(input, &mut *run_ui);
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

        let new_encoder = || {
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(&format!("{label}::encoder")) })
        };
        // Quads drawn in batches (a picture's map) have passes of their own
        // between what egui draws before their callback and after it.
        let batched = renderer.callback_resources.get::<QuadsRenderer>().is_some_and(QuadsRenderer::draws_in_batches);
        let callback = primitives.iter().position(|p| matches!(p.primitive, egui::epaint::Primitive::Callback(_)));
        let (head, quads, tail) = match callback.filter(|_| batched) {
            Some(k) => (&primitives[..=k], primitives.get(k), &primitives[k + 1..]),
            None => (primitives, None, &primitives[..0]),
        };
        let mut encoder = new_encoder();
        // The paint callbacks' own command buffers (a 3D scene) come first, as in eframe.
        let mut commands = renderer.update_buffers(device, queue, &mut encoder, head, &screen);
        {
            let pass = target.begin_pass(&mut encoder, Some(background), &format!("{label}::pass"));
            let mut pass = pass.forget_lifetime();
            renderer.render(&mut pass, head, &screen);
        }
        if let Some(p) = quads
            && let egui::epaint::Primitive::Callback(cb) = &p.primitive
        {
            commands.push(encoder.finish());
            queue.submit(commands);
            let info = egui::PaintCallbackInfo {
                viewport: cb.rect,
                clip_rect: p.clip_rect,
                pixels_per_point: ppp,
                screen_size_px: size_px,
            };
            paint_quads_in_batches(&renderer.callback_resources, device, queue, target.view(), &info);
            encoder = new_encoder();
            commands = renderer.update_buffers(device, queue, &mut encoder, tail, &screen);
            let pass = target.begin_pass(&mut encoder, None, &format!("{label}::pass_after_quads"));
            let mut pass = pass.forget_lifetime();
            renderer.render(&mut pass, tail, &screen);
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
