//! `BoxesRenderer`: the 3D views' boxes (City and Volume), one instanced unit
//! cube per box, drawn with shaders/boxes.wgsl through an [`OrbitCamera`].
//!
//! egui's render pass has no depth buffer and a fixed sample count, so the
//! renderer draws the scene into its own textures and egui only gets a copy:
//! [`BoxesRenderer::prepare`] (sized to the viewport, its own command
//! encoder) draws the sky gradient, then the opaque boxes (depth test and
//! write), then the translucent ones (blended, depth test without write) into
//! a multisampled colour + depth target, and resolves it into a single-sample
//! texture; [`BoxesRenderer::paint`] blits that texture into the caller's pass
//! with a fullscreen triangle. The renderer is built once and kept (in the
//! window inside egui_wgpu's callback resources, see `boxes_paint`). It is
//! given the boxes split into opaque and translucent groups with their
//! coarser levels ([`BoxParts`], box_parts.rs), which a scene builds on its
//! worker, by [`BoxesRenderer::set_parts`] (shared, not copied), or the
//! boxes alone by [`BoxesRenderer::set_shared_instances`], which builds the
//! parts itself; each level goes to the GPU the first time a frame draws
//! from it, so a fitted City of a
//! million boxes holds one coarse level there rather than five million
//! boxes. A frame writes only the small uniform (and re-uploads the
//! translucent boxes, re-sorted, when the eye moved), and the scene is
//! redrawn only when the instances, camera, style or size changed since the
//! last frame.
//!
//! The parts, one file each: [`BoxInstance`] (box_instance.rs), the style
//! and uniform (boxes_style.rs), the shader, cube and pipelines
//! (boxes_pipelines.rs), the MSAA colour + reverse-Z depth + resolved
//! targets and the MSAA probe (boxes_targets.rs), and the back-to-front
//! order of translucent boxes (boxes_translucent.rs).
//!
//! Colours are sRGB-encoded (gamma-space) and premultiplied, like egui's
//! `Color32`, and are written as-is into the non-sRGB scene texture and from
//! there into egui's non-sRGB target (Rgba8Unorm / Bgra8Unorm), as the 2D
//! renderer does. Lighting is applied to those gamma-space values: not
//! physically exact, but a face lit head-on shows exactly the palette colour.
//! For an sRGB target format the blit would be re-encoded by the hardware
//! (colours too light); eframe and the offscreen path use non-sRGB formats.

use super::box_instance::BoxInstance;
use super::box_parts::{BoxParts, GroupBoxes, PartBoxes, sorts_translucent};
use super::boxes_pipelines::BoxesPipelines;
use super::boxes_style::{BoxesStyle, BoxesUniforms, uniforms_for};
use super::boxes_targets::SceneTargets;
use super::boxes_translucent::TranslucentBoxes;
use super::camera3d::OrbitCamera;
use super::crop::Crop;
use super::lod::{self, Level};
use super::upload::{LevelBuffers, PacedSubmits};
use std::ops::Range;
use std::sync::Arc;

/// A level of detail is drawn where its merged boxes span at most this many
/// pixels (a run bounds the members it merges, so the gaps it fills are
/// smaller; antialiasing blends the rest).
const MERGE_MAX_PX: f32 = 2.0;
const SHADER_SOURCE: &str = include_str!("../../shaders/boxes.wgsl");

/// A group's levels (`group`, from the parts) that `draw` draws from, put
/// on the GPU in `buffers` unless they are there.
fn upload(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    buffers: &mut LevelBuffers,
    group: &PartBoxes,
    draw: &[(usize, Range<u32>)],
) {
    for &(k, _) in draw {
        buffers.ensure(device, queue, k, group.level(k));
    }
}

/// The pipelines, buffers and scene textures that draw [`BoxInstance`]s.
pub struct BoxesRenderer {
    pipelines: BoxesPipelines,
    /// The levels of `parts`' opaque and translucent groups on the GPU
    /// (translucent boxes get levels when there are too many to sort, else
    /// level 0 alone, sorted for the eye).
    opaque_buffers: LevelBuffers,
    translucent_buffers: LevelBuffers,
    /// What the scene pass draws, chosen by `prepare` for the camera: ranges
    /// within the levels of the opaque and of the translucent boxes.
    opaque_draw: Vec<(usize, Range<u32>)>,
    translucent_draw: Vec<(usize, Range<u32>)>,
    /// The most boxes one buffer of the device holds.
    max_instances: usize,
    /// The boxes drawn, in their groups with their levels.
    parts: Arc<BoxParts>,
    /// The translucent instances, sorted for the eye.
    translucent: TranslucentBoxes,
    targets: Option<SceneTargets>,
    /// What `prepare` last wrote (the uniform is not rewritten when unchanged).
    uniforms: Option<BoxesUniforms>,
    /// Whether the resolved texture holds a picture `paint` can show.
    prepared: bool,
    /// Whether that picture is out of date (new instances, uniform or size).
    stale: bool,
    /// Draw the scene in passes of at most this many opaque boxes
    /// ([`Self::draw_in_batches`]).
    batch_boxes: Option<u32>,
    msaa_samples: u32,
    target_samples: u32,
    /// The device's `max_texture_dimension_2d`: scene textures are at most this big.
    max_texture_px: u32,
}

impl BoxesRenderer {
    /// Builds the pipelines: the scene with `msaa_samples` (1 or 4, see
    /// [`supported_msaa_samples`](super::boxes_targets::supported_msaa_samples);
    /// other values count as the nearest of them below), the blit for a
    /// single-sample `target_format` pass. Use a non-sRGB target format
    /// (Rgba8Unorm, Bgra8Unorm): colours are written as given.
    pub fn new(device: &wgpu::Device, msaa_samples: u32, target_format: wgpu::TextureFormat) -> Self {
        BoxesRenderer::with_target_samples(device, msaa_samples, target_format, 1)
    }

    /// [`Self::new`] for a target pass with `target_samples` samples (eframe's
    /// `NativeOptions::multisampling`; 0 or 1: none).
    pub fn with_target_samples(
        device: &wgpu::Device,
        msaa_samples: u32,
        target_format: wgpu::TextureFormat,
        target_samples: u32,
    ) -> Self {
        let msaa_samples = if msaa_samples >= 4 { 4 } else { 1 };
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("BoxesRenderer::shader"),
            source: wgpu::ShaderSource::Wgsl(SHADER_SOURCE.into()),
        });
        BoxesRenderer {
            pipelines: BoxesPipelines::new(device, &module, msaa_samples, target_format, target_samples),
            opaque_buffers: LevelBuffers::default(),
            translucent_buffers: LevelBuffers::default(),
            max_instances: (device.limits().max_buffer_size / BoxInstance::STRIDE) as usize,
            opaque_draw: Vec::new(),
            translucent_draw: Vec::new(),
            parts: Arc::default(),
            translucent: TranslucentBoxes::default(),
            targets: None,
            uniforms: None,
            prepared: false,
            stale: true,
            batch_boxes: None,
            msaa_samples,
            target_samples,
            max_texture_px: device.limits().max_texture_dimension_2d,
        }
    }

    /// Draws scenes of more than `most` boxes in passes of at most that
    /// many (see `batches_of`), each submitted before the next is recorded
    /// and waited for before the one after, when there is no multisampling
    /// (a huge scene has none). For pictures: a software rasterizer
    /// (lavapipe) bins every triangle of a submission ahead of drawing it,
    /// 200-250 MB at a million-box scene, and batches bound that. The
    /// picture is the same. Not for the window: a frame would wait for the
    /// GPU.
    pub fn draw_in_batches(&mut self, most: u32) {
        self.batch_boxes = Some(most);
        self.stale = true;
    }

    /// The sample count of the pass it blits into (see [`Self::with_target_samples`]).
    pub fn target_samples(&self) -> u32 {
        self.target_samples
    }

    /// The scene's sample count (1 or 4).
    pub fn msaa_samples(&self) -> u32 {
        self.msaa_samples
    }

    /// Replaces the boxes to draw (a copy of `instances`; see
    /// [`Self::set_shared_instances`]).
    pub fn set_instances(&mut self, instances: &[BoxInstance]) {
        self.restyle(Arc::from(instances), true);
    }

    /// Replaces the boxes to draw, shared with the scene that made them;
    /// call this when the scene or its colouring changes, not every frame.
    /// Opaque boxes and translucent ones are drawn as two groups, each in
    /// the given order. The levels of detail are built here, unless only
    /// selection or hover flags changed since the last boxes; a scene that
    /// has its [`BoxParts`] already gives them to [`Self::set_parts`].
    ///
    /// More instances than one buffer of the device's `max_buffer_size` holds
    /// (about 8 million at 256 MiB) are cut off at that many.
    pub fn set_shared_instances(&mut self, instances: Arc<[BoxInstance]>) {
        self.restyle(instances, true);
    }

    /// [`Self::set_instances`] without coarser levels: every box in view is
    /// drawn at every distance (to compare against, and to measure what the
    /// levels save).
    pub fn set_instances_without_lod(&mut self, instances: &[BoxInstance]) {
        self.restyle(Arc::from(instances), false);
    }

    fn restyle(&mut self, instances: Arc<[BoxInstance]>, with_lod: bool) {
        let parts = BoxParts::restyled(Some(&self.parts), instances, with_lod, self.max_instances);
        self.set_parts(Arc::new(parts));
    }

    /// Replaces the boxes to draw with parts built beforehand (by the scene,
    /// on its worker). Nothing goes to the GPU until a frame draws it; parts
    /// that share their levels with the ones before (a new selection) keep
    /// the coarser levels on the GPU.
    pub fn set_parts(&mut self, parts: Arc<BoxParts>) {
        let parts = match parts.instances.len() > self.max_instances {
            true => Arc::new(BoxParts::build(Arc::clone(&parts.instances), parts.with_lod, self.max_instances)),
            false => parts,
        };
        let same_levels = Arc::ptr_eq(&parts.opaque.lod, &self.parts.opaque.lod)
            && Arc::ptr_eq(&parts.translucent.lod, &self.parts.translucent.lod);
        if same_levels {
            // Only selection or hover flags changed (a click): the coarser
            // levels carry no such flags and stay; level 0 of each group goes
            // to the GPU again, with the next frame that draws from it.
            self.opaque_buffers.forget(0);
            self.translucent_buffers.forget(0);
        } else {
            let buffers = |group: &PartBoxes| LevelBuffers::new("BoxesRenderer::level", group.lod.levels.len());
            self.opaque_buffers = buffers(&parts.opaque);
            self.translucent_buffers = buffers(&parts.translucent);
        }
        let translucent = &parts.translucent.boxes;
        self.translucent.set(if sorts_translucent(translucent) { translucent.clone() } else { GroupBoxes::default() });
        self.parts = parts;
        self.uniforms = None;
        self.stale = true;
    }

    /// How many boxes the next scene pass draws (after levels of detail and culling).
    pub fn drawn_count(&self) -> u32 {
        self.opaque_draw.iter().chain(&self.translucent_draw).map(|(_, r)| r.end - r.start).sum()
    }

    /// How many boxes the last [`Self::set_instances`] gave (level 0 of both groups).
    pub fn instance_count(&self) -> u32 {
        u32::try_from(self.parts.count()).unwrap_or(u32::MAX)
    }

    /// How many boxes are on the GPU: the levels frames have drawn from so far.
    pub fn uploaded_count(&self) -> usize {
        self.opaque_buffers.uploaded_len(&self.parts.opaque.lod.levels)
            + self.translucent_buffers.uploaded_len(&self.parts.translucent.lod.levels)
    }

    /// Picks, chunk by chunk, the level of detail `camera` needs there (a
    /// perspective view needs more near the eye than far away), and culls
    /// the chunks outside the view.
    fn choose_draw(&mut self, camera: &OrbitCamera, crop: &Crop, uniforms: &BoxesUniforms) {
        let view_proj = glam::Mat4::from_cols_array(&uniforms.view_proj);
        let eye = camera.eye();
        let tan_half_fov = (camera.fov_y_deg.to_radians() * 0.5).tan();
        let height_px = crop.full_size_px[1];
        let visible = |c: &lod::Chunk| lod::in_frustum(c, &view_proj, eye);
        let fine_enough = |c: &lod::Chunk, l: &Level| {
            l.merge_units == 0.0
                || l.merge_units * lod::max_px_per_unit(c.min, c.max, eye, tan_half_fov, height_px) <= MERGE_MAX_PX
        };
        let (opaque_group, translucent_group) = (&self.parts.opaque, &self.parts.translucent);
        let opaque = lod::refined_ranges(&opaque_group.lod.levels, visible, fine_enough);
        self.opaque_draw = opaque_group.by_level(&opaque);
        self.translucent_draw = match sorts_translucent(&translucent_group.boxes) {
            true => {
                // Sorted back to front every frame: drawn whole.
                let all = 0..translucent_group.boxes.len() as u32;
                vec![(0, all)]
            }
            false => {
                let ranges = lod::refined_ranges(&translucent_group.lod.levels, visible, fine_enough);
                translucent_group.by_level(&ranges)
            }
        };
    }

    /// Draws the scene for `camera` into the renderer's own textures, sized
    /// `viewport_size_px` (physical pixels; each side at most the device's
    /// largest texture), and returns the commands to submit before the pass
    /// that [`Self::paint`]s: [`Self::prepare_crop`] for the whole viewport.
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        camera: &OrbitCamera,
        viewport_size_px: [u32; 2],
        style: &BoxesStyle,
    ) -> wgpu::CommandBuffer {
        if viewport_size_px[0] == 0 || viewport_size_px[1] == 0 {
            self.prepared = false;
            let desc = wgpu::CommandEncoderDescriptor { label: Some("BoxesRenderer::encoder") };
            return device.create_command_encoder(&desc).finish();
        }
        let crop = Crop::whole([viewport_size_px[0] as f32, viewport_size_px[1] as f32]);
        self.prepare_crop(device, queue, camera, &crop, style)
    }

    /// Draws the part `crop` of the scene for `camera` (the camera fitted to
    /// the whole viewport) into the renderer's own textures, sized as that
    /// part, and returns the commands to submit before the pass that
    /// [`Self::paint`]s. When neither the instances, the camera, the style,
    /// the crop nor the size changed since the last call, the last picture is
    /// kept and the commands are empty. A part larger than the device's
    /// largest texture draws nothing (and `paint` then paints nothing).
    pub fn prepare_crop(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        camera: &OrbitCamera,
        crop: &Crop,
        style: &BoxesStyle,
    ) -> wgpu::CommandBuffer {
        let mut encoder =
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("BoxesRenderer::encoder") });
        let size_px = crop.size_u32();
        if size_px.iter().any(|s| *s > self.max_texture_px) {
            self.prepared = false;
            return encoder.finish();
        }
        if self.targets.as_ref().is_none_or(|t| t.size_px != size_px) {
            let layout = &self.pipelines.blit_bind_group_layout;
            self.targets = Some(SceneTargets::new(device, size_px, self.msaa_samples, layout));
            self.stale = true;
        }

        let camera = camera.sanitized();
        let uniforms = uniforms_for(&camera, crop, style);
        if self.uniforms != Some(uniforms) {
            queue.write_buffer(&self.pipelines.uniform_buffer, 0, bytemuck::bytes_of(&uniforms));
            self.uniforms = Some(uniforms);
            self.choose_draw(&camera, crop, &uniforms);
            self.stale = true;
        }
        upload(device, queue, &mut self.opaque_buffers, &self.parts.opaque, &self.opaque_draw);
        upload(device, queue, &mut self.translucent_buffers, &self.parts.translucent, &self.translucent_draw);
        if let Some(buffer) = self.translucent_buffers.get(0) {
            self.translucent.sort(queue, buffer, camera.eye());
        }
        if self.prepared && !self.stale {
            // The picture from the last frame is still right: egui repaints
            // for every pointer move, the 3D scene need not.
            return encoder.finish();
        }

        let Some(targets) = &self.targets else {
            self.prepared = false;
            return encoder.finish();
        };
        let items = self.draw_items();
        let drawn: u32 = items.iter().map(|(_, _, r)| r.end - r.start).sum();
        let batches = match self.batch_boxes {
            // Batches keep their attachments between passes: only without MSAA.
            Some(most) if drawn > most && targets.msaa_view.is_none() => batches_of(&items, most),
            _ => vec![items],
        };
        let last = batches.len() - 1;
        let mut paced = PacedSubmits::default();
        for (k, batch) in batches.iter().enumerate() {
            self.record_pass(&mut encoder, targets, style, batch, k == 0, k == last);
            if k < last {
                let done = std::mem::replace(
                    &mut encoder,
                    device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
                        label: Some("BoxesRenderer::encoder"),
                    }),
                );
                paced.submit(device, queue, done.finish());
            }
        }
        self.prepared = true;
        self.stale = false;
        encoder.finish()
    }

    /// What the scene pass draws, in order: the opaque boxes' ranges, then
    /// the translucent ones', each with its group and level.
    fn draw_items(&self) -> Vec<(Group, usize, Range<u32>)> {
        let opaque = self.opaque_draw.iter().map(|(k, r)| (Group::Opaque, *k, r.clone()));
        let translucent = self.translucent_draw.iter().map(|(k, r)| (Group::Translucent, *k, r.clone()));
        opaque.chain(translucent).filter(|(_, _, r)| r.end > r.start).collect()
    }

    /// Records one scene pass drawing `items`: the `first` clears and draws
    /// the sky, all but the `last` keep the depth for the next.
    fn record_pass(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        targets: &SceneTargets,
        style: &BoxesStyle,
        items: &[(Group, usize, Range<u32>)],
        first: bool,
        last: bool,
    ) {
        let (view, resolve_target, store) = match &targets.msaa_view {
            Some(msaa) => (msaa, Some(&targets.resolved_view), wgpu::StoreOp::Discard),
            None => (&targets.resolved_view, None, wgpu::StoreOp::Store),
        };
        let (load, depth_load) = match first {
            true => (wgpu::LoadOp::Clear(wgpu::Color::BLACK), wgpu::LoadOp::Clear(0.0)),
            false => (wgpu::LoadOp::Load, wgpu::LoadOp::Load),
        };
        let depth_store = if last { wgpu::StoreOp::Discard } else { wgpu::StoreOp::Store };
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("BoxesRenderer::scene_pass"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view,
                depth_slice: None,
                resolve_target,
                ops: wgpu::Operations { load, store },
            })],
            depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                view: &targets.depth_view,
                // Reverse-Z: 0 is infinitely far.
                depth_ops: Some(wgpu::Operations { load: depth_load, store: depth_store }),
                stencil_ops: None,
            }),
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_bind_group(0, &self.pipelines.scene_bind_group, &[]);
        if first {
            pass.set_pipeline(&self.pipelines.sky);
            pass.draw(0..3, 0..1);
        }
        let sliced = style.slice.is_some_and(|(n, _)| n.iter().any(|c| *c != 0.0));
        let mut bound = None;
        for (group, level, r) in items {
            let buffers = match group {
                Group::Opaque => &self.opaque_buffers,
                Group::Translucent => &self.translucent_buffers,
            };
            let Some(buffer) = buffers.get(*level) else { continue };
            let (pipeline, cube, vertices) = self.pipelines.for_boxes(*group == Group::Translucent, sliced);
            if bound != Some(*group) {
                pass.set_pipeline(pipeline);
                pass.set_vertex_buffer(0, cube.slice(..));
                bound = Some(*group);
            }
            // A slice rather than a first instance: no base-instance support needed.
            let bytes = u64::from(r.start) * BoxInstance::STRIDE..u64::from(r.end) * BoxInstance::STRIDE;
            pass.set_vertex_buffer(1, buffer.slice(bytes));
            pass.draw(0..vertices, 0..r.end - r.start);
        }
    }

    /// Records the blit of the last [`Self::prepare`]d picture into `pass`,
    /// whose viewport should be the one prepared for (one scene pixel per
    /// target pixel). Paints nothing before the first `prepare`.
    pub fn paint(&self, pass: &mut wgpu::RenderPass<'_>) {
        let Some(targets) = &self.targets else { return };
        if !self.prepared {
            return;
        }
        pass.set_pipeline(&self.pipelines.blit);
        pass.set_bind_group(0, &targets.blit_bind_group, &[]);
        pass.draw(0..3, 0..1);
    }
}

/// Which group of boxes a draw is from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Group {
    Opaque,
    Translucent,
}

/// `items` cut into batches of at most `most` boxes, in order. (Translucent
/// boxes too: drawn in one pass, a million-region Volume's made lavapipe
/// queue 60-90 MB more, for a tenth of the picture's time saved.)
fn batches_of(items: &[(Group, usize, Range<u32>)], most: u32) -> Vec<Vec<(Group, usize, Range<u32>)>> {
    let most = most.max(1);
    let mut out = vec![Vec::new()];
    let mut room = most;
    for (group, level, r) in items {
        let mut start = r.start;
        while start < r.end {
            if room == 0 {
                out.push(Vec::new());
                room = most;
            }
            let end = r.end.min(start + room);
            if let Some(batch) = out.last_mut() {
                batch.push((*group, *level, start..end));
            }
            room -= end - start;
            start = end;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shader_source_is_embedded() {
        for entry in [
            "fn vs_box",
            "fn vs_box_facing",
            "fn fs_box",
            "fn fs_box_sliced",
            "fn vs_sky",
            "fn fs_sky",
            "fn vs_blit",
            "fn fs_blit",
        ] {
            assert!(SHADER_SOURCE.contains(entry), "{entry}");
        }
        assert!(SHADER_SOURCE.contains("struct InstanceInput"));
    }
}
