//! `QuadsRenderer`: the map views' rectangles, one instanced quad per tile,
//! drawn with shaders/quads.wgsl through a 2D camera.
//!
//! The renderer is built once (pipeline, layouts, buffers) and kept, in the
//! window inside egui_wgpu's callback resources. It is given the quads with
//! their levels of detail when the layout or its colouring changes
//! ([`QuadsRenderer::set_lod`]), shared with the scene rather than copied,
//! and uploads a level the first time a frame draws it: a map fitted to the
//! window draws one coarse level, so neither the GPU nor a software
//! rasterizer (whose GPU memory is the process's own) holds the million
//! quads of level 0 until someone zooms in. Each frame writes only the small
//! uniform (camera, viewport, two colours) ([`QuadsRenderer::prepare`]).
//!
//! Precision: instances stay in world units on the GPU and the shader
//! subtracts the camera centre before scaling, `(p - center) * px_per_unit +
//! viewport / 2`, never `p * scale + offset`. For a visible quad `p - center`
//! is a difference of nearby f32s (exact within a factor of two, otherwise off
//! by half an ulp of the small result), so drawing adds far less than 1/1000
//! px of error in worlds up to 2^24 units wide at any zoom (tests/render.rs: a
//! 1-unit quad at x = 16,000,000 covers exactly its 64 pixels at 64 px/unit,
//! where `p * scale + offset` in f32 would be off by up to 32 px). Corners
//! far off screen are clamped to a guard band around the drawn part of the
//! viewport, and the fragment shader takes its pixel position from the pixel
//! centre, exact in every crop ([`Crop`]) of the view.
//! What remains is the inputs' own f32 resolution: tile corners (whole
//! numbers below 2^24 are exact) and [`Camera2d::center`], which moves in
//! steps of one ulp of its value: 1/2048 unit near 4096 (the strip and Hilbert
//! worlds are a few thousand units wide), 1 unit near 2^24.

use std::num::NonZeroU64;
use std::sync::Arc;

use bytemuck::{Pod, Zeroable};

use super::camera2d::Camera2d;
use super::crop::Crop;
use super::lod::{self, QuadLod};
use super::quad_instance::QuadInstance;
use super::upload::LevelBuffers;

/// The per-frame uniform. Mirrors `Uniforms` in shaders/quads.wgsl
/// (group 0, binding 0).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Default, Pod, Zeroable)]
pub struct QuadsUniforms {
    pub center: [f32; 2],
    /// The whole viewport's size (see [`Crop`]).
    pub viewport_size_px: [f32; 2],
    /// The drawn part of the viewport: its corner relative to the whole's...
    pub crop_offset_px: [f32; 2],
    /// ...and its size, which is the pass viewport's...
    pub crop_size_px: [f32; 2],
    /// ...and the pass viewport's corner on the target.
    pub target_min_px: [f32; 2],
    pub px_per_unit: f32,
    pub highlight: u32,
    pub background: u32,
    pub _pad: [u32; 3],
}

/// The pipeline and buffers that draw [`QuadInstance`]s.
pub struct QuadsRenderer {
    pipeline: wgpu::RenderPipeline,
    uniform_buffer: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    /// The quads to draw and their levels (level 0 cut to what one buffer
    /// of the device holds).
    lod: Arc<QuadLod>,
    /// Per level, its quads on the GPU once a frame has drawn that level.
    level_buffers: LevelBuffers,
    /// The level the next `paint` draws, and its ranges (indices within
    /// that level), chosen by `prepare`.
    draw_level: usize,
    draw_ranges: Vec<std::ops::Range<u32>>,
    /// What `prepare` last wrote (the uniform is not rewritten when unchanged).
    uniforms: Option<QuadsUniforms>,
    /// The most quads one buffer of the device holds.
    max_instances: usize,
    /// Drawn by the picture's frame in passes of at most this many quads
    /// rather than by `paint` ([`Self::draw_in_batches`]).
    batch_quads: Option<u32>,
}

const SHADER_SOURCE: &str = include_str!("../../shaders/quads.wgsl");
const INSTANCE_STRIDE: u64 = std::mem::size_of::<QuadInstance>() as u64;

impl QuadsRenderer {
    /// Builds the pipeline for a colour target of `target_format` with
    /// `msaa_samples` samples (0 or 1: no multisampling). Use a non-sRGB
    /// format (Rgba8Unorm, Bgra8Unorm): colours are written as given.
    pub fn new(device: &wgpu::Device, target_format: wgpu::TextureFormat, msaa_samples: u32) -> Self {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("QuadsRenderer::shader"),
            source: wgpu::ShaderSource::Wgsl(SHADER_SOURCE.into()),
        });

        let bind_group_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("QuadsRenderer::bind_group_layout"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: NonZeroU64::new(std::mem::size_of::<QuadsUniforms>() as u64),
                },
                count: None,
            }],
        });

        let uniform_buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("QuadsRenderer::uniform_buffer"),
            size: std::mem::size_of::<QuadsUniforms>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });

        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("QuadsRenderer::bind_group"),
            layout: &bind_group_layout,
            entries: &[wgpu::BindGroupEntry { binding: 0, resource: uniform_buffer.as_entire_binding() }],
        });

        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("QuadsRenderer::pipeline_layout"),
            bind_group_layouts: &[Some(&bind_group_layout)],
            immediate_size: 0,
        });

        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("QuadsRenderer::pipeline"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                buffers: &[Some(wgpu::VertexBufferLayout {
                    array_stride: INSTANCE_STRIDE,
                    step_mode: wgpu::VertexStepMode::Instance,
                    attributes: &wgpu::vertex_attr_array![
                        0 => Float32x2,
                        1 => Float32x2,
                        2 => Uint32,
                        3 => Uint32,
                    ],
                })],
            },
            primitive: wgpu::PrimitiveState {
                topology: wgpu::PrimitiveTopology::TriangleStrip,
                strip_index_format: None,
                front_face: wgpu::FrontFace::Ccw,
                cull_mode: None,
                unclipped_depth: false,
                polygon_mode: wgpu::PolygonMode::Fill,
                conservative: false,
            },
            depth_stencil: None,
            multisample: wgpu::MultisampleState {
                count: msaa_samples.max(1),
                mask: !0,
                alpha_to_coverage_enabled: false,
            },
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_main"),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format: target_format,
                    // Colours are premultiplied, as egui's.
                    blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });

        QuadsRenderer {
            pipeline,
            uniform_buffer,
            bind_group,
            lod: Arc::default(),
            level_buffers: LevelBuffers::default(),
            draw_level: 0,
            draw_ranges: Vec::new(),
            uniforms: None,
            max_instances: (device.limits().max_buffer_size / INSTANCE_STRIDE) as usize,
            batch_quads: None,
        }
    }

    /// For pictures: `paint` draws nothing, and the offscreen frame draws
    /// the quads in passes of at most `most` ([`Self::paint_batch`]), each
    /// submitted before the next is recorded. A software rasterizer
    /// (lavapipe) bins a submission's triangles ahead of drawing them: a
    /// million-region Hilbert map's 1.5 million quads in one pass queued
    /// about 220 MB. The picture is the same. The frame draws the first
    /// paint callback so (a picture has one map; the renderer holds one
    /// camera anyway).
    pub fn draw_in_batches(&mut self, most: u32) {
        self.batch_quads = Some(most.max(1));
    }

    /// Whether the frame draws the quads ([`Self::draw_in_batches`]).
    pub fn draws_in_batches(&self) -> bool {
        self.batch_quads.is_some()
    }

    /// The batches the frame draws (see [`Self::draw_in_batches`]): none
    /// when `paint` draws the quads, or before the first `prepare`.
    pub fn batch_count(&self) -> usize {
        match (self.batch_quads, self.uniforms) {
            (Some(most), Some(_)) => {
                let drawn: usize = self.draw_ranges.iter().map(|r| (r.end - r.start) as usize).sum();
                drawn.div_ceil(most as usize)
            }
            _ => 0,
        }
    }

    /// The whole viewport of the view last prepared, physical pixels.
    pub fn view_size_px(&self) -> Option<[f32; 2]> {
        self.uniforms.map(|u| u.viewport_size_px)
    }

    /// Records batch `k` of [`Self::draw_in_batches`] into `pass`, set up as
    /// `paint`'s would be (viewport and scissor).
    pub fn paint_batch(&self, pass: &mut wgpu::RenderPass<'_>, k: usize) {
        let Some(most) = self.batch_quads else { return };
        let from = k.saturating_mul(most as usize);
        let ranges = self.batch(most, from);
        self.record(pass, &ranges);
    }

    /// The draw ranges of the `most` quads from the `from`-th drawn one on.
    fn batch(&self, most: u32, from: usize) -> Vec<std::ops::Range<u32>> {
        let end = from.saturating_add(most as usize);
        let mut out = Vec::new();
        let mut seen = 0usize;
        for r in &self.draw_ranges {
            let (a, b) = (seen, seen + (r.end - r.start) as usize);
            seen = b;
            let (lo, hi) = (a.max(from), b.min(end));
            if lo < hi {
                out.push(r.start + (lo - a) as u32..r.start + (hi - a) as u32);
            }
        }
        out
    }

    /// Replaces the quads to draw, building their levels of detail (see
    /// [`super::lod`]); call this when the layout or its colouring changes,
    /// not every frame.
    ///
    /// More instances than one buffer of the device's `max_buffer_size` holds
    /// (about 11 million at 256 MiB) are cut off at that many.
    pub fn set_instances(&mut self, instances: &[QuadInstance]) {
        let instances = &instances[..instances.len().min(self.max_instances)];
        self.set_lod(Arc::new(QuadLod::build(instances)));
    }

    /// [`Self::set_instances`] without coarser levels: every quad in view is
    /// drawn at every zoom (to compare against, and to measure what the levels save).
    pub fn set_instances_without_lod(&mut self, instances: &[QuadInstance]) {
        let instances = &instances[..instances.len().min(self.max_instances)];
        self.set_lod(Arc::new(QuadLod::flat(instances)));
    }

    /// Takes quads whose levels of detail are built already (level 0 is the
    /// quads as laid out), shared rather than copied; nothing is uploaded
    /// until a frame draws a level. A level 0 larger than one buffer of the
    /// device's `max_buffer_size` is cut off at what fits, without levels.
    pub fn set_lod(&mut self, lod: Arc<QuadLod>) {
        if Arc::ptr_eq(&lod, &self.lod) {
            return;
        }
        let too_big = lod.levels.iter().any(|l| l.range.len() > self.max_instances);
        self.lod = match too_big {
            false => lod,
            true => {
                let level0 = lod.levels.first().map_or(0..0, |l| l.range.clone());
                let end = (level0.end as usize).min(level0.start as usize + self.max_instances);
                Arc::new(QuadLod::flat(&lod.instances[level0.start as usize..end]))
            }
        };
        self.level_buffers = LevelBuffers::new("QuadsRenderer::level", self.lod.levels.len());
        self.draw_ranges.clear();
        // The uniform is rewritten by the next prepare, which picks the ranges.
        self.uniforms = None;
    }

    /// How many quads the next `paint` draws (after merging and culling).
    pub fn drawn_count(&self) -> u32 {
        self.draw_ranges.iter().map(|r| r.end - r.start).sum()
    }

    /// How many quads the last [`Self::set_lod`] gave (level 0).
    pub fn instance_count(&self) -> u32 {
        let level0 = self.lod.levels.first().map_or(0, |l| l.range.len());
        u32::try_from(level0).unwrap_or(u32::MAX)
    }

    /// How many quads are on the GPU: the levels frames have drawn so far.
    pub fn uploaded_count(&self) -> usize {
        self.level_buffers.uploaded_len(&self.lod.levels)
    }

    /// Writes this frame's uniform: the camera, which part of the view's
    /// viewport the pass draws (`crop`; the pass viewport must be that part,
    /// [`Crop::whole`] for all of it), the SELECTED outline colour and the
    /// colour DIMMED quads fade towards (both RGBA8 as [`QuadInstance::color`]),
    /// and uploads the level of detail the camera needs when no frame has
    /// drawn it before.
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        camera: &Camera2d,
        crop: &Crop,
        highlight: u32,
        background: u32,
    ) {
        let uniforms = QuadsUniforms {
            center: camera.center,
            viewport_size_px: crop.full_size_px.map(|s| s.max(1.0)),
            crop_offset_px: crop.offset_px,
            crop_size_px: crop.size_px.map(|s| s.max(1.0)),
            target_min_px: crop.target_min_px,
            px_per_unit: camera.px_per_unit,
            highlight,
            background,
            _pad: [0; 3],
        };
        if self.uniforms != Some(uniforms) {
            queue.write_buffer(&self.uniform_buffer, 0, bytemuck::bytes_of(&uniforms));
            self.uniforms = Some(uniforms);
            self.choose_draw(camera, crop);
        }
        self.upload_level(device, queue, self.draw_level);
    }

    /// The quads to draw for `camera` in the drawn part of the viewport: the
    /// level of detail for its zoom, culled to what reaches into view (grown
    /// by a pixel, as a tiny quad is drawn a pixel wide).
    fn choose_draw(&mut self, camera: &Camera2d, crop: &Crop) {
        let levels = &self.lod.levels;
        let level = lod::level_for(levels, camera.px_per_unit);
        let ppu = f64::from(camera.px_per_unit).max(1e-30);
        let world = |px: f32, axis: usize| {
            let from_centre = f64::from(px) - f64::from(crop.full_size_px[axis]) * 0.5;
            (f64::from(camera.center[axis]) + from_centre / ppu) as f32
        };
        let guard = 2.0;
        let min = [world(crop.offset_px[0] - guard, 0), world(crop.offset_px[1] - guard, 1)];
        let max = [
            world(crop.offset_px[0] + crop.size_px[0] + guard, 0),
            world(crop.offset_px[1] + crop.size_px[1] + guard, 1),
        ];
        let start = levels.get(level).map_or(0, |l| l.range.start);
        let ranges = lod::visible_ranges(levels, level, |c| lod::in_rect(c, min, max));
        self.draw_level = level;
        self.draw_ranges = ranges.into_iter().map(|r| r.start - start..r.end - start).collect();
    }

    /// Puts `level`'s quads on the GPU unless they are there.
    fn upload_level(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, level: usize) {
        let Some(l) = self.lod.levels.get(level) else { return };
        let quads = &self.lod.instances[l.range.start as usize..l.range.end as usize];
        self.level_buffers.ensure(device, queue, level, quads);
    }

    /// Records the draw into `pass`, whose viewport must be the one given to
    /// [`Self::prepare`]. Draws nothing before the first `prepare`.
    pub fn paint(&self, pass: &mut wgpu::RenderPass<'_>) {
        if self.batch_quads.is_none() {
            self.record(pass, &self.draw_ranges);
        }
    }

    /// Records the draw of `ranges` of the chosen level into `pass`.
    fn record(&self, pass: &mut wgpu::RenderPass<'_>, ranges: &[std::ops::Range<u32>]) {
        let Some(buffer) = self.level_buffers.get(self.draw_level) else {
            return;
        };
        if self.uniforms.is_none() {
            return;
        }
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        for r in ranges {
            // A slice rather than a first instance: no base-instance support needed.
            let bytes = u64::from(r.start) * INSTANCE_STRIDE..u64::from(r.end) * INSTANCE_STRIDE;
            pass.set_vertex_buffer(0, buffer.slice(bytes));
            pass.draw(0..4, 0..r.end - r.start);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_layout_matches_the_shader() {
        // The shader's Uniforms as WGSL lays them out, member by member (the
        // Rust struct adds padding at the end only).
        crate::render::shader_layout::assert_mirrors(
            include_str!("../../shaders/quads.wgsl"),
            "Uniforms",
            crate::render::shader_layout::Buffer::Uniform,
            &[
                ("center", std::mem::offset_of!(QuadsUniforms, center)),
                ("viewport_size_px", std::mem::offset_of!(QuadsUniforms, viewport_size_px)),
                ("crop_offset_px", std::mem::offset_of!(QuadsUniforms, crop_offset_px)),
                ("crop_size_px", std::mem::offset_of!(QuadsUniforms, crop_size_px)),
                ("target_min_px", std::mem::offset_of!(QuadsUniforms, target_min_px)),
                ("px_per_unit", std::mem::offset_of!(QuadsUniforms, px_per_unit)),
                ("highlight", std::mem::offset_of!(QuadsUniforms, highlight)),
                ("background", std::mem::offset_of!(QuadsUniforms, background)),
            ],
            std::mem::size_of::<QuadsUniforms>(),
        );
    }

    #[test]
    fn shader_source_is_embedded() {
        assert!(SHADER_SOURCE.contains("fn vs_main"));
        assert!(SHADER_SOURCE.contains("struct InstanceInput"));
    }
}
