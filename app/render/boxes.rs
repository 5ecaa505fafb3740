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
//! window inside egui_wgpu's callback resources, see `boxes_paint`); the
//! instance buffer is uploaded only by [`BoxesRenderer::set_instances`]; a
//! frame writes only the small uniform (and re-uploads the translucent boxes,
//! re-sorted, when the eye moved), and the scene is redrawn only when the
//! instances, camera, style or size changed since the last frame.
//!
//! MSAA: 4 samples when the device can render and resolve 4x for both the
//! scene colour format (Rgba8Unorm) and the depth format (Depth32Float),
//! otherwise a single sample. [`supported_msaa_samples`] asks the adapter's
//! format features when it has an adapter (as wgpu itself does for devices with adapter-specific
//! format features or downlevel backends), the WebGPU guarantees otherwise,
//! and without an adapter it probes the device by creating a tiny 4x texture
//! inside an error scope. The sample count is independent of the target's:
//! the blit pipeline is built for the target's own sample count.
//!
//! Translucency: instances whose colour alpha is below 255 are translucent.
//! `set_instances` stores the opaque ones first and the translucent ones after
//! them in the same buffer, so each is one draw. Translucent boxes are sorted
//! back to front by the distance from the eye to their centres (up to
//! [`MAX_SORTED_TRANSLUCENT`] of them; more are drawn in upload order), which
//! is exact for boxes that do not overlap in depth and a good approximation
//! otherwise; only their front faces are drawn, so a box does not darken
//! itself through its own back.
//!
//! Colours are sRGB-encoded (gamma-space) and premultiplied, like egui's
//! `Color32`, and are written as-is into the non-sRGB scene texture and from
//! there into egui's non-sRGB target (Rgba8Unorm / Bgra8Unorm), as the 2D
//! renderer does. Lighting is applied to those gamma-space values: not
//! physically exact, but a face lit head-on shows exactly the palette colour.
//! For an sRGB target format the blit would be re-encoded by the hardware
//! (colours too light); eframe and the offscreen path use non-sRGB formats.

use std::num::NonZeroU64;

use bytemuck::{Pod, Zeroable};
use glam::Vec3;
use wgpu::util::DeviceExt as _;

use super::camera3d::OrbitCamera;
use super::crop::Crop;
use super::lod::{self, BoxLod, Level};

/// One box to draw. Mirrors `InstanceInput` in shaders/boxes.wgsl (vertex
/// buffer 1, instance step: locations 2..=5).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Default, Pod, Zeroable)]
pub struct BoxInstance {
    /// The corner with the smallest coordinates, world units.
    pub min: [f32; 3],
    /// RGBA8, gamma-space (sRGB-encoded) and premultiplied like egui's
    /// `Color32`; the bytes r, g, b, a in little-endian order, as
    /// `u32::from_le_bytes(color32.to_array())` (see [`BoxInstance::rgba`]).
    /// Alpha below 255 makes the box translucent.
    pub color: u32,
    /// The corner with the largest coordinates, world units.
    pub max: [f32; 3],
    /// [`BoxInstance::SELECTED`] | [`BoxInstance::HOVERED`] | ...
    pub flags: u32,
}

impl BoxInstance {
    /// Glows towards the style's highlight colour, with bright edges 2-3 px wide.
    pub const SELECTED: u32 = 1;
    /// Lighter faces.
    pub const HOVERED: u32 = 2;
    /// Diagonal stripes: a gap or reservation drawn smaller than its true size.
    pub const COMPRESSED: u32 = 4;

    pub fn new(min: [f32; 3], max: [f32; 3], color: u32, flags: u32) -> BoxInstance {
        BoxInstance { min, color, max, flags }
    }

    /// Packs RGBA bytes (egui's `Color32::to_array()` order) into `color`.
    pub fn rgba(rgba: [u8; 4]) -> u32 {
        u32::from_le_bytes(rgba)
    }

    /// Whether the box is drawn blended (alpha below 255).
    pub fn is_translucent(&self) -> bool {
        self.color.to_le_bytes()[3] < 255
    }

    pub fn center(&self) -> [f32; 3] {
        [(self.min[0] + self.max[0]) * 0.5, (self.min[1] + self.max[1]) * 0.5, (self.min[2] + self.max[2]) * 0.5]
    }
}

/// How the scene looks, chosen by the caller (the colours belong to the UI's
/// theme). Colours are RGBA8 as [`BoxInstance::color`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BoxesStyle {
    /// The sky at the top of the viewport.
    pub sky_top: u32,
    /// The sky at the bottom of the viewport.
    pub sky_bottom: u32,
    /// Direction from the scene towards the light (need not be unit length;
    /// zero means straight up).
    pub light_dir: [f32; 3],
    /// Light every face gets, 0..1; the rest comes from the light's angle.
    pub ambient: f32,
    /// SELECTED boxes' edges and glow.
    pub highlight: u32,
    /// A slicing plane `(normal, offset)`: everything where
    /// `dot(normal, p) > offset` is cut away (the cut boxes show their dark
    /// insides). None, or a zero normal, slices nothing.
    pub slice: Option<([f32; 3], f32)>,
}

/// The per-frame uniform. Mirrors `Uniforms` in shaders/boxes.wgsl
/// (group 0, binding 0).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Default, Pod, Zeroable)]
pub struct BoxesUniforms {
    pub view_proj: [f32; 16],
    pub eye: [f32; 3],
    pub ambient: f32,
    pub light_dir: [f32; 3],
    pub sky_top: u32,
    pub slice: [f32; 4],
    /// Where the drawn part's top and bottom edges are in the whole viewport,
    /// as fractions of its height (see [`Crop::vertical_span`]).
    pub sky_span: [f32; 2],
    pub sky_bottom: u32,
    pub highlight: u32,
}

/// One vertex of the unit cube. Mirrors `VertexInput` in shaders/boxes.wgsl
/// (vertex buffer 0, vertex step: locations 0..=1).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Default, Pod, Zeroable)]
pub struct CubeVertex {
    /// Corner of the unit cube, each coordinate 0 or 1.
    pub corner: [f32; 3],
    /// Outward face normal.
    pub normal: [f32; 3],
}

/// The colour format of the scene textures (whatever the target's format).
pub const SCENE_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
/// The depth format of the scene (reverse-Z: cleared to 0, `Greater` passes).
pub const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;
/// A level of detail is drawn where its merged boxes span at most this many
/// pixels (a run bounds the members it merges, so the gaps it fills are
/// smaller; antialiasing blends the rest).
const MERGE_MAX_PX: f32 = 2.0;
/// More translucent boxes than this are drawn in upload order, not sorted.
pub const MAX_SORTED_TRANSLUCENT: usize = 1 << 16;

const SHADER_SOURCE: &str = include_str!("../../shaders/boxes.wgsl");
const INITIAL_CAPACITY: usize = 256;
const INSTANCE_STRIDE: u64 = std::mem::size_of::<BoxInstance>() as u64;
const CUBE_VERTICES: u32 = 36;

/// The sample count to give [`BoxesRenderer::new`]: 4 when `device` can
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
struct SceneTargets {
    size_px: [u32; 2],
    /// The multisampled colour target (None with 1 sample: draw straight
    /// into `resolved`).
    msaa_view: Option<wgpu::TextureView>,
    depth_view: wgpu::TextureView,
    resolved_view: wgpu::TextureView,
    /// The blit's bind group, reading `resolved`.
    blit_bind_group: wgpu::BindGroup,
}

/// The pipelines, buffers and scene textures that draw [`BoxInstance`]s.
pub struct BoxesRenderer {
    sky_pipeline: wgpu::RenderPipeline,
    /// Opaque boxes, back faces culled.
    opaque_pipeline: wgpu::RenderPipeline,
    /// Opaque boxes with a slicing plane: back faces drawn as the insides.
    sliced_pipeline: wgpu::RenderPipeline,
    translucent_pipeline: wgpu::RenderPipeline,
    blit_pipeline: wgpu::RenderPipeline,
    blit_bind_group_layout: wgpu::BindGroupLayout,
    uniform_buffer: wgpu::Buffer,
    scene_bind_group: wgpu::BindGroup,
    cube_buffer: wgpu::Buffer,
    instance_buffer: wgpu::Buffer,
    /// How many instances `instance_buffer` can hold.
    instance_capacity: usize,
    /// Opaque instances first in the buffer (with their levels of detail),
    /// then translucent ones (with theirs when there are too many to sort).
    opaque_count: u32,
    translucent_count: u32,
    opaque_levels: Vec<Level>,
    /// Where the translucent boxes start in the buffer.
    translucent_offset: u32,
    /// Levels of the translucent boxes when they are not sorted.
    translucent_levels: Option<Vec<Level>>,
    /// What the scene pass draws, chosen by `prepare` for the camera:
    /// buffer ranges of opaque and of translucent boxes.
    opaque_draw: Vec<std::ops::Range<u32>>,
    translucent_draw: Vec<std::ops::Range<u32>>,
    /// What the uploaded boxes look like apart from selection and hover
    /// flags ([`look_hash`]), and whether they got levels of detail.
    uploaded_look: Option<(u64, bool)>,
    /// The translucent instances in upload order, for sorting.
    translucent: Vec<BoxInstance>,
    /// The order (indices into `translucent`) now in the buffer.
    translucent_order: Vec<u32>,
    /// The eye the translucent boxes were last sorted for.
    sorted_for_eye: Option<[f32; 3]>,
    targets: Option<SceneTargets>,
    /// What `prepare` last wrote (the uniform is not rewritten when unchanged).
    uniforms: Option<BoxesUniforms>,
    /// Whether the resolved texture holds a picture `paint` can show.
    prepared: bool,
    /// Whether that picture is out of date (new instances, uniform or size).
    stale: bool,
    msaa_samples: u32,
    /// The device's `max_texture_dimension_2d`: scene textures are at most this big.
    max_texture_px: u32,
}

impl BoxesRenderer {
    /// Builds the pipelines: the scene with `msaa_samples` (1 or 4, see
    /// [`supported_msaa_samples`]; other values count as the nearest of them
    /// below), the blit for a single-sample `target_format` pass. Use a
    /// non-sRGB target format (Rgba8Unorm, Bgra8Unorm): colours are written
    /// as given.
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

        let scene_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("BoxesRenderer::scene_bind_group_layout"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: NonZeroU64::new(std::mem::size_of::<BoxesUniforms>() as u64),
                },
                count: None,
            }],
        });
        let blit_bind_group_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("BoxesRenderer::blit_bind_group_layout"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 1,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Float { filterable: false },
                    view_dimension: wgpu::TextureViewDimension::D2,
                    multisampled: false,
                },
                count: None,
            }],
        });

        let uniform_buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("BoxesRenderer::uniform_buffer"),
            size: std::mem::size_of::<BoxesUniforms>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let scene_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("BoxesRenderer::scene_bind_group"),
            layout: &scene_layout,
            entries: &[wgpu::BindGroupEntry { binding: 0, resource: uniform_buffer.as_entire_binding() }],
        });

        let scene_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("BoxesRenderer::scene_pipeline_layout"),
            bind_group_layouts: &[Some(&scene_layout)],
            immediate_size: 0,
        });
        let blit_pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("BoxesRenderer::blit_pipeline_layout"),
            bind_group_layouts: &[Some(&blit_bind_group_layout)],
            immediate_size: 0,
        });

        let multisample = wgpu::MultisampleState { count: msaa_samples, mask: !0, alpha_to_coverage_enabled: false };
        let scene_target = |blend: Option<wgpu::BlendState>| {
            [Some(wgpu::ColorTargetState { format: SCENE_FORMAT, blend, write_mask: wgpu::ColorWrites::ALL })]
        };
        let depth = |write: bool, compare: wgpu::CompareFunction| wgpu::DepthStencilState {
            format: DEPTH_FORMAT,
            depth_write_enabled: Some(write),
            depth_compare: Some(compare),
            stencil: wgpu::StencilState::default(),
            bias: wgpu::DepthBiasState::default(),
        };

        let sky_targets = scene_target(None);
        let sky_pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("BoxesRenderer::sky_pipeline"),
            layout: Some(&scene_pipeline_layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_sky"),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: Some(depth(false, wgpu::CompareFunction::Always)),
            multisample,
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_sky"),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                targets: &sky_targets,
            }),
            multiview_mask: None,
            cache: None,
        });

        let box_buffers = [
            Some(wgpu::VertexBufferLayout {
                array_stride: std::mem::size_of::<CubeVertex>() as u64,
                step_mode: wgpu::VertexStepMode::Vertex,
                attributes: &wgpu::vertex_attr_array![0 => Float32x3, 1 => Float32x3],
            }),
            Some(wgpu::VertexBufferLayout {
                array_stride: INSTANCE_STRIDE,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &wgpu::vertex_attr_array![2 => Float32x3, 3 => Uint32, 4 => Float32x3, 5 => Uint32],
            }),
        ];
        let box_pipeline =
            |label: &str, cull_mode: Option<wgpu::Face>, depth_write: bool, blend: Option<wgpu::BlendState>| {
                let targets = scene_target(blend);
                device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                    label: Some(label),
                    layout: Some(&scene_pipeline_layout),
                    vertex: wgpu::VertexState {
                        module: &module,
                        entry_point: Some("vs_box"),
                        compilation_options: wgpu::PipelineCompilationOptions::default(),
                        buffers: &box_buffers,
                    },
                    primitive: wgpu::PrimitiveState {
                        topology: wgpu::PrimitiveTopology::TriangleList,
                        strip_index_format: None,
                        front_face: wgpu::FrontFace::Ccw,
                        cull_mode,
                        unclipped_depth: false,
                        polygon_mode: wgpu::PolygonMode::Fill,
                        conservative: false,
                    },
                    // Reverse-Z: nearer is greater.
                    depth_stencil: Some(depth(depth_write, wgpu::CompareFunction::Greater)),
                    multisample,
                    fragment: Some(wgpu::FragmentState {
                        module: &module,
                        entry_point: Some("fs_box"),
                        compilation_options: wgpu::PipelineCompilationOptions::default(),
                        targets: &targets,
                    }),
                    multiview_mask: None,
                    cache: None,
                })
            };
        let opaque_pipeline = box_pipeline("BoxesRenderer::opaque_pipeline", Some(wgpu::Face::Back), true, None);
        let sliced_pipeline = box_pipeline("BoxesRenderer::sliced_pipeline", None, true, None);
        // Colours are premultiplied, as egui's.
        let translucent_pipeline = box_pipeline(
            "BoxesRenderer::translucent_pipeline",
            Some(wgpu::Face::Back),
            false,
            Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
        );

        let blit_pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("BoxesRenderer::blit_pipeline"),
            layout: Some(&blit_pipeline_layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_blit"),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState {
                count: target_samples.max(1),
                mask: !0,
                alpha_to_coverage_enabled: false,
            },
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_blit"),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format: target_format,
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });

        let cube = cube_vertices();
        let cube_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("BoxesRenderer::cube_buffer"),
            contents: bytemuck::cast_slice(&cube),
            usage: wgpu::BufferUsages::VERTEX,
        });

        BoxesRenderer {
            sky_pipeline,
            opaque_pipeline,
            sliced_pipeline,
            translucent_pipeline,
            blit_pipeline,
            blit_bind_group_layout,
            uniform_buffer,
            scene_bind_group,
            cube_buffer,
            instance_buffer: create_instance_buffer(device, INITIAL_CAPACITY),
            instance_capacity: INITIAL_CAPACITY,
            opaque_count: 0,
            translucent_count: 0,
            opaque_levels: Vec::new(),
            translucent_offset: 0,
            translucent_levels: None,
            opaque_draw: Vec::new(),
            translucent_draw: Vec::new(),
            uploaded_look: None,
            translucent: Vec::new(),
            translucent_order: Vec::new(),
            sorted_for_eye: None,
            targets: None,
            uniforms: None,
            prepared: false,
            stale: true,
            msaa_samples,
            max_texture_px: device.limits().max_texture_dimension_2d,
        }
    }

    /// The scene's sample count (1 or 4).
    pub fn msaa_samples(&self) -> u32 {
        self.msaa_samples
    }

    /// Replaces the boxes to draw. The buffer grows (to the next power of
    /// two) only when `instances` does not fit; call this when the scene or
    /// its colouring changes, not every frame. Opaque boxes are stored first,
    /// translucent ones after them (each group in the given order).
    ///
    /// More instances than one buffer of the device's `max_buffer_size` holds
    /// (about 8 million at 256 MiB) are cut off at that many.
    pub fn set_instances(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, instances: &[BoxInstance]) {
        self.upload(device, queue, instances, true);
    }

    /// [`Self::set_instances`] without coarser levels: every box in view is
    /// drawn at every distance (to compare against, and to measure what the
    /// levels save).
    pub fn set_instances_without_lod(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, instances: &[BoxInstance]) {
        self.upload(device, queue, instances, false);
    }

    fn upload(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, instances: &[BoxInstance], with_lod: bool) {
        let max_instances = (device.limits().max_buffer_size / INSTANCE_STRIDE) as usize;
        let instances = &instances[..instances.len().min(max_instances)];
        let opaque: Vec<BoxInstance> = instances.iter().filter(|b| !b.is_translucent()).copied().collect();
        // A fully transparent box (premultiplied: it adds nothing) is not drawn,
        // unless its selection edges are.
        let shows = |b: &&BoxInstance| b.color.to_le_bytes()[3] > 0 || b.flags & BoxInstance::SELECTED != 0;
        self.translucent = instances.iter().filter(|b| b.is_translucent()).filter(shows).copied().collect();
        let look = (look_hash(instances), with_lod);
        if self.uploaded_look == Some(look)
            && opaque.len() == self.opaque_count as usize
            && self.translucent.len() == self.translucent_count as usize
        {
            // Only selection or hover flags changed (a click): the coarser
            // levels carry no such flags and stay; the boxes themselves (level
            // 0 of each part) are rewritten in place.
            if !opaque.is_empty() {
                queue.write_buffer(&self.instance_buffer, 0, bytemuck::cast_slice(&opaque));
            }
            if !self.translucent.is_empty() {
                let at = u64::from(self.translucent_offset) * INSTANCE_STRIDE;
                queue.write_buffer(&self.instance_buffer, at, bytemuck::cast_slice(&self.translucent));
            }
            self.translucent_order = (0..self.translucent_count).collect();
            self.sorted_for_eye = None;
            self.stale = true;
            return;
        }
        self.uploaded_look = Some(look);
        // Levels of detail (see super::lod) for what is not sorted every frame.
        let build = |b: &[BoxInstance]| if with_lod { BoxLod::build(b) } else { BoxLod::flat(b) };
        let mut opaque_lod = build(&opaque);
        let mut translucent_lod = (self.translucent.len() > MAX_SORTED_TRANSLUCENT).then(|| build(&self.translucent));
        let total = |o: &BoxLod, t: &Option<BoxLod>| {
            o.instances.len() + t.as_ref().map_or(self.translucent.len(), |t| t.instances.len())
        };
        if total(&opaque_lod, &translucent_lod) > max_instances {
            // The coarser levels do not fit beside the boxes: draw them all.
            opaque_lod = BoxLod::flat(&opaque);
            translucent_lod = translucent_lod.map(|_| BoxLod::flat(&self.translucent));
        }
        let capacity_needed = total(&opaque_lod, &translucent_lod);
        if capacity_needed > self.instance_capacity {
            let capacity = capacity_needed.next_power_of_two().min(max_instances);
            self.instance_buffer = create_instance_buffer(device, capacity);
            self.instance_capacity = capacity;
        }
        let mut ordered = opaque_lod.instances;
        let translucent_offset = ordered.len();
        match &translucent_lod {
            Some(t) => ordered.extend_from_slice(&t.instances),
            None => ordered.extend_from_slice(&self.translucent),
        }
        if !ordered.is_empty() {
            queue.write_buffer(&self.instance_buffer, 0, bytemuck::cast_slice(&ordered));
        }
        self.opaque_count = u32::try_from(opaque.len()).unwrap_or(u32::MAX);
        self.translucent_count = u32::try_from(self.translucent.len()).unwrap_or(u32::MAX);
        self.opaque_levels = opaque_lod.levels;
        self.translucent_offset = u32::try_from(translucent_offset).unwrap_or(u32::MAX);
        self.translucent_levels = translucent_lod.map(|t| t.levels);
        self.translucent_order = (0..self.translucent_count).collect();
        self.sorted_for_eye = None;
        self.uniforms = None;
        self.stale = true;
    }

    /// How many boxes the next scene pass draws (after levels of detail and culling).
    pub fn drawn_count(&self) -> u32 {
        self.opaque_draw.iter().chain(&self.translucent_draw).map(|r| r.end - r.start).sum()
    }

    /// How many boxes the last [`Self::set_instances`] uploaded.
    pub fn instance_count(&self) -> u32 {
        self.opaque_count + self.translucent_count
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
        self.opaque_draw = lod::refined_ranges(&self.opaque_levels, visible, fine_enough);
        self.translucent_draw = match &self.translucent_levels {
            Some(levels) => {
                let offset = self.translucent_offset;
                let ranges = lod::refined_ranges(levels, visible, fine_enough);
                ranges.into_iter().map(|r| r.start + offset..r.end + offset).collect()
            }
            // Sorted back to front every frame: drawn whole.
            None => {
                let all = self.translucent_offset..self.translucent_offset + self.translucent_count;
                vec![all]
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
            self.targets = Some(self.create_targets(device, size_px));
            self.stale = true;
        }

        let camera = camera.sanitized();
        let uniforms = uniforms_for(&camera, crop, style);
        if self.uniforms != Some(uniforms) {
            queue.write_buffer(&self.uniform_buffer, 0, bytemuck::bytes_of(&uniforms));
            self.uniforms = Some(uniforms);
            self.choose_draw(&camera, crop, &uniforms);
            self.stale = true;
        }
        self.sort_translucent(queue, camera.eye());
        if self.prepared && !self.stale {
            // The picture from the last frame is still right: egui repaints
            // for every pointer move, the 3D scene need not.
            return encoder.finish();
        }

        let Some(targets) = &self.targets else {
            self.prepared = false;
            return encoder.finish();
        };
        let (view, resolve_target, store) = match &targets.msaa_view {
            Some(msaa) => (msaa, Some(&targets.resolved_view), wgpu::StoreOp::Discard),
            None => (&targets.resolved_view, None, wgpu::StoreOp::Store),
        };
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("BoxesRenderer::scene_pass"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view,
                    depth_slice: None,
                    resolve_target,
                    ops: wgpu::Operations { load: wgpu::LoadOp::Clear(wgpu::Color::BLACK), store },
                })],
                depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                    view: &targets.depth_view,
                    // Reverse-Z: 0 is infinitely far.
                    depth_ops: Some(wgpu::Operations { load: wgpu::LoadOp::Clear(0.0), store: wgpu::StoreOp::Discard }),
                    stencil_ops: None,
                }),
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            pass.set_bind_group(0, &self.scene_bind_group, &[]);
            pass.set_pipeline(&self.sky_pipeline);
            pass.draw(0..3, 0..1);

            pass.set_vertex_buffer(0, self.cube_buffer.slice(..));
            let draw = |pass: &mut wgpu::RenderPass<'_>, ranges: &[std::ops::Range<u32>]| {
                for r in ranges.iter().filter(|r| r.end > r.start) {
                    // A slice rather than a first instance: no base-instance support needed.
                    let bytes = u64::from(r.start) * INSTANCE_STRIDE..u64::from(r.end) * INSTANCE_STRIDE;
                    pass.set_vertex_buffer(1, self.instance_buffer.slice(bytes));
                    pass.draw(0..CUBE_VERTICES, 0..r.end - r.start);
                }
            };
            if self.opaque_count > 0 {
                let sliced = style.slice.is_some_and(|(n, _)| n.iter().any(|c| *c != 0.0));
                pass.set_pipeline(if sliced { &self.sliced_pipeline } else { &self.opaque_pipeline });
                draw(&mut pass, &self.opaque_draw);
            }
            if self.translucent_count > 0 {
                pass.set_pipeline(&self.translucent_pipeline);
                draw(&mut pass, &self.translucent_draw);
            }
        }
        self.prepared = true;
        self.stale = false;
        encoder.finish()
    }

    /// Records the blit of the last [`Self::prepare`]d picture into `pass`,
    /// whose viewport should be the one prepared for (one scene pixel per
    /// target pixel). Paints nothing before the first `prepare`.
    pub fn paint(&self, pass: &mut wgpu::RenderPass<'_>) {
        let Some(targets) = &self.targets else { return };
        if !self.prepared {
            return;
        }
        pass.set_pipeline(&self.blit_pipeline);
        pass.set_bind_group(0, &targets.blit_bind_group, &[]);
        pass.draw(0..3, 0..1);
    }

    fn create_targets(&self, device: &wgpu::Device, size_px: [u32; 2]) -> SceneTargets {
        let attachment = wgpu::TextureUsages::RENDER_ATTACHMENT;
        let view = |texture: &wgpu::Texture, label: &str| {
            texture.create_view(&wgpu::TextureViewDescriptor { label: Some(label), ..Default::default() })
        };
        let msaa_view = (self.msaa_samples > 1).then(|| {
            let texture = device.create_texture(&texture_descriptor(
                "BoxesRenderer::msaa_colour",
                size_px,
                self.msaa_samples,
                SCENE_FORMAT,
                attachment,
            ));
            view(&texture, "BoxesRenderer::msaa_colour_view")
        });
        let depth = device.create_texture(&texture_descriptor(
            "BoxesRenderer::depth",
            size_px,
            self.msaa_samples,
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
            layout: &self.blit_bind_group_layout,
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

    /// Orders the translucent boxes back to front for `eye` and uploads them
    /// when the order changed.
    fn sort_translucent(&mut self, queue: &wgpu::Queue, eye: [f32; 3]) {
        let n = self.translucent.len();
        if !(2..=MAX_SORTED_TRANSLUCENT).contains(&n) || self.sorted_for_eye == Some(eye) {
            return;
        }
        self.sorted_for_eye = Some(eye);
        let eye = Vec3::from(eye);
        let key: Vec<f32> = self.translucent.iter().map(|b| (Vec3::from(b.center()) - eye).length_squared()).collect();
        let mut order: Vec<u32> = (0..n as u32).collect();
        // Farthest first; ties (and NaN) in upload order, so the result is deterministic.
        order.sort_by(|&a, &b| key[b as usize].total_cmp(&key[a as usize]).then(a.cmp(&b)));
        if order == self.translucent_order {
            return;
        }
        let sorted: Vec<BoxInstance> = order.iter().map(|&i| self.translucent[i as usize]).collect();
        queue.write_buffer(
            &self.instance_buffer,
            u64::from(self.translucent_offset) * INSTANCE_STRIDE,
            bytemuck::cast_slice(&sorted),
        );
        self.translucent_order = order;
    }
}

/// A hash of the boxes' corners, colours and flags other than SELECTED and
/// HOVERED: equal hashes mean a new upload differs only in those flags.
fn look_hash(boxes: &[BoxInstance]) -> u64 {
    let mask = !(BoxInstance::SELECTED | BoxInstance::HOVERED);
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ boxes.len() as u64;
    for b in boxes {
        let words = [b.min[0], b.min[1], b.min[2], b.max[0], b.max[1], b.max[2]].map(f32::to_bits);
        for w in words.into_iter().chain([b.color, b.flags & mask]) {
            h = (h ^ u64::from(w)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The uniform for one frame.
fn uniforms_for(camera: &OrbitCamera, crop: &Crop, style: &BoxesStyle) -> BoxesUniforms {
    let size = crop.full_size_px.map(|s| s.max(1.0));
    let slice = match style.slice {
        Some((n, offset)) if n.iter().chain([&offset]).all(|c| c.is_finite()) => [n[0], n[1], n[2], offset],
        _ => [0.0; 4],
    };
    let finite = |v: f32, default: f32| if v.is_finite() { v } else { default };
    BoxesUniforms {
        view_proj: (crop.clip_transform() * camera.view_proj_eye_relative(size[0] / size[1])).to_cols_array(),
        eye: camera.eye(),
        ambient: finite(style.ambient, 0.3).clamp(0.0, 1.0),
        light_dir: style.light_dir.map(|c| finite(c, 0.0)),
        sky_top: style.sky_top,
        slice,
        sky_span: crop.vertical_span(),
        sky_bottom: style.sky_bottom,
        highlight: style.highlight,
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

fn create_instance_buffer(device: &wgpu::Device, capacity: usize) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("BoxesRenderer::instance_buffer"),
        size: capacity as u64 * INSTANCE_STRIDE,
        usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// The unit cube as 12 triangles, counter-clockwise seen from outside, one
/// flat normal per face.
fn cube_vertices() -> [CubeVertex; CUBE_VERTICES as usize] {
    // Per face: the normal axis, its side, and two tangent axes (u, v) with
    // u x v pointing outwards.
    const FACES: [(usize, f32, usize, usize); 6] =
        [(0, 1.0, 1, 2), (0, 0.0, 2, 1), (1, 1.0, 2, 0), (1, 0.0, 0, 2), (2, 1.0, 0, 1), (2, 0.0, 1, 0)];
    const QUAD: [(f32, f32); 6] = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0), (1.0, 1.0), (0.0, 1.0)];
    let mut out = [CubeVertex::default(); CUBE_VERTICES as usize];
    for (f, &(axis, side, u, v)) in FACES.iter().enumerate() {
        let mut normal = [0.0; 3];
        normal[axis] = if side > 0.5 { 1.0 } else { -1.0 };
        for (k, &(a, b)) in QUAD.iter().enumerate() {
            let mut corner = [0.0; 3];
            corner[axis] = side;
            corner[u] = a;
            corner[v] = b;
            out[f * 6 + k] = CubeVertex { corner, normal };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_match_the_shader() {
        // vec3 min @0, u32 color @12, vec3 max @16, u32 flags @28.
        assert_eq!(std::mem::size_of::<BoxInstance>(), 32);
        assert_eq!(std::mem::offset_of!(BoxInstance, color), 12);
        assert_eq!(std::mem::offset_of!(BoxInstance, max), 16);
        assert_eq!(std::mem::offset_of!(BoxInstance, flags), 28);
        // WGSL uniform: mat4 @0, vec3 eye @64 + f32 @76, vec3 light @80 +
        // u32 @92, vec4 slice @96, vec2 @112, two u32 @120, @124; 128 bytes.
        assert_eq!(std::mem::size_of::<BoxesUniforms>(), 128);
        assert_eq!(std::mem::offset_of!(BoxesUniforms, eye), 64);
        assert_eq!(std::mem::offset_of!(BoxesUniforms, ambient), 76);
        assert_eq!(std::mem::offset_of!(BoxesUniforms, light_dir), 80);
        assert_eq!(std::mem::offset_of!(BoxesUniforms, sky_top), 92);
        assert_eq!(std::mem::offset_of!(BoxesUniforms, slice), 96);
        assert_eq!(std::mem::offset_of!(BoxesUniforms, sky_span), 112);
        assert_eq!(std::mem::offset_of!(BoxesUniforms, highlight), 124);
        assert_eq!(std::mem::size_of::<CubeVertex>(), 24);
    }

    #[test]
    fn the_cube_faces_outwards_counter_clockwise() {
        let cube = cube_vertices();
        let mut normals = std::collections::BTreeSet::new();
        for tri in cube.chunks(3) {
            let [a, b, c] = [tri[0], tri[1], tri[2]].map(|v| Vec3::from(v.corner));
            let n = Vec3::from(tri[0].normal);
            assert!(tri.iter().all(|v| v.normal == tri[0].normal));
            // Counter-clockwise seen from outside: the winding's normal is the face's.
            let winding = (b - a).cross(c - a);
            assert!((winding - n).length() < 1e-6, "{winding:?} vs {n:?}");
            // The face lies on the side its normal points to.
            let centre = (a + b + c) / 3.0 - Vec3::splat(0.5);
            assert!(centre.dot(n) > 0.0);
            normals.insert(tri[0].normal.map(|c| c as i32));
        }
        assert_eq!(normals.len(), 6);
    }

    #[test]
    fn rgba_and_translucency() {
        assert_eq!(BoxInstance::rgba([0x11, 0x22, 0x33, 0x44]), 0x4433_2211);
        assert!(BoxInstance::new([0.0; 3], [1.0; 3], BoxInstance::rgba([1, 2, 3, 200]), 0).is_translucent());
        assert!(!BoxInstance::new([0.0; 3], [1.0; 3], BoxInstance::rgba([1, 2, 3, 255]), 0).is_translucent());
        assert_eq!(BoxInstance::new([0.0, 2.0, 4.0], [2.0, 4.0, 8.0], 0, 0).center(), [1.0, 3.0, 6.0]);
    }

    #[test]
    fn shader_source_is_embedded() {
        for entry in ["fn vs_box", "fn fs_box", "fn vs_sky", "fn fs_sky", "fn vs_blit", "fn fs_blit"] {
            assert!(SHADER_SOURCE.contains(entry), "{entry}");
        }
        assert!(SHADER_SOURCE.contains("struct InstanceInput"));
    }
}
