//! The GPU side of `BoxesRenderer` that never changes after it is built:
//! the unit cube every box is an instance of ([`CubeVertex`]), the uniform
//! buffer and its bind group, and the render pipelines ([`BoxesPipelines`])
//! of shaders/boxes.wgsl, whose module the renderer makes from the source it
//! embeds: the sky gradient, opaque boxes (back faces culled, or drawn as
//! the insides when a slicing plane cuts them), translucent boxes
//! (premultiplied blending, no depth write) and the blit of the resolved
//! scene into the target pass.

use std::num::NonZeroU64;

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt as _;

use super::box_instance::BoxInstance;
use super::boxes_style::BoxesUniforms;
use super::boxes_targets::{DEPTH_FORMAT, SCENE_FORMAT};

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

/// Vertices of the unit cube: 6 faces of 2 triangles.
pub(super) const CUBE_VERTICES: u32 = 36;

/// Vertices of the cube's + faces, one per axis: `vs_box_facing` turns each
/// into the face of its axis the eye may see.
pub(super) const FACING_VERTICES: u32 = 18;

/// The pipelines and fixed buffers of the 3D scene.
pub(super) struct BoxesPipelines {
    pub(super) sky: wgpu::RenderPipeline,
    /// Opaque boxes, back faces culled.
    pub(super) opaque: wgpu::RenderPipeline,
    /// Opaque boxes with a slicing plane: back faces drawn as the insides.
    pub(super) sliced: wgpu::RenderPipeline,
    pub(super) translucent: wgpu::RenderPipeline,
    /// Translucent boxes with a slicing plane (back faces still culled).
    pub(super) translucent_sliced: wgpu::RenderPipeline,
    pub(super) blit: wgpu::RenderPipeline,
    pub(super) blit_bind_group_layout: wgpu::BindGroupLayout,
    pub(super) uniform_buffer: wgpu::Buffer,
    pub(super) scene_bind_group: wgpu::BindGroup,
    /// The whole cube ([`CUBE_VERTICES`]), for the sliced pipeline.
    pub(super) cube_buffer: wgpu::Buffer,
    /// Its + faces ([`FACING_VERTICES`]), for the opaque and translucent ones.
    pub(super) facing_buffer: wgpu::Buffer,
}

impl BoxesPipelines {
    /// The pipeline that draws opaque or `translucent` boxes, `sliced` by
    /// the slicing plane or not, with the cube vertices it draws them from
    /// and their count: the whole cube for the sliced opaque pipeline
    /// (insides show), else the faces that may face the eye (back faces are
    /// culled anyway).
    pub(super) fn for_boxes(&self, translucent: bool, sliced: bool) -> (&wgpu::RenderPipeline, &wgpu::Buffer, u32) {
        let facing = (&self.facing_buffer, FACING_VERTICES);
        let ((cube, vertices), pipeline) = match (translucent, sliced) {
            (false, false) => (facing, &self.opaque),
            (false, true) => ((&self.cube_buffer, CUBE_VERTICES), &self.sliced),
            (true, false) => (facing, &self.translucent),
            (true, true) => (facing, &self.translucent_sliced),
        };
        (pipeline, cube, vertices)
    }

    /// The pipelines of `module` (shaders/boxes.wgsl): the scene with
    /// `msaa_samples` (1 or 4) and the blit for a `target_format` pass with
    /// `target_samples` samples (0 or 1: none).
    pub(super) fn new(
        device: &wgpu::Device,
        module: &wgpu::ShaderModule,
        msaa_samples: u32,
        target_format: wgpu::TextureFormat,
        target_samples: u32,
    ) -> BoxesPipelines {
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
                module,
                entry_point: Some("vs_sky"),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: Some(depth(false, wgpu::CompareFunction::Always)),
            multisample,
            fragment: Some(wgpu::FragmentState {
                module,
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
                array_stride: BoxInstance::STRIDE,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes: &wgpu::vertex_attr_array![2 => Float32x3, 3 => Uint32, 4 => Float32x3, 5 => Uint32],
            }),
        ];
        let box_pipeline =
            |label: &str, cull_mode: Option<wgpu::Face>, depth_write: bool, blend: Option<wgpu::BlendState>, sliced| {
                let targets = scene_target(blend);
                let fragment_entry = if sliced { "fs_box_sliced" } else { "fs_box" };
                // Culled back faces need not be made at all (see `for_boxes`).
                let vertex_entry = if cull_mode == Some(wgpu::Face::Back) { "vs_box_facing" } else { "vs_box" };
                device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
                    label: Some(label),
                    layout: Some(&scene_pipeline_layout),
                    vertex: wgpu::VertexState {
                        module,
                        entry_point: Some(vertex_entry),
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
                        module,
                        entry_point: Some(fragment_entry),
                        compilation_options: wgpu::PipelineCompilationOptions::default(),
                        targets: &targets,
                    }),
                    multiview_mask: None,
                    cache: None,
                })
            };
        let opaque_pipeline = box_pipeline("BoxesRenderer::opaque_pipeline", Some(wgpu::Face::Back), true, None, false);
        let sliced_pipeline = box_pipeline("BoxesRenderer::sliced_pipeline", None, true, None, true);
        // Colours are premultiplied, as egui's.
        let translucent = |label, sliced| {
            let blend = Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING);
            box_pipeline(label, Some(wgpu::Face::Back), false, blend, sliced)
        };
        let translucent_pipeline = translucent("BoxesRenderer::translucent_pipeline", false);
        let translucent_sliced_pipeline = translucent("BoxesRenderer::translucent_sliced_pipeline", true);

        let blit_pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("BoxesRenderer::blit_pipeline"),
            layout: Some(&blit_pipeline_layout),
            vertex: wgpu::VertexState {
                module,
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
                module,
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
        let facing_buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("BoxesRenderer::facing_buffer"),
            contents: bytemuck::cast_slice(&facing_vertices()),
            usage: wgpu::BufferUsages::VERTEX,
        });

        BoxesPipelines {
            sky: sky_pipeline,
            opaque: opaque_pipeline,
            sliced: sliced_pipeline,
            translucent: translucent_pipeline,
            translucent_sliced: translucent_sliced_pipeline,
            blit: blit_pipeline,
            blit_bind_group_layout,
            uniform_buffer,
            scene_bind_group,
            cube_buffer,
            facing_buffer,
        }
    }
}

/// The unit cube as 12 triangles, counter-clockwise seen from outside, one
/// flat normal per face.
pub(super) fn cube_vertices() -> [CubeVertex; CUBE_VERTICES as usize] {
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

/// The cube's + faces (its 1st, 3rd and 5th), as [`cube_vertices`] makes them.
pub(super) fn facing_vertices() -> [CubeVertex; FACING_VERTICES as usize] {
    let cube = cube_vertices();
    let mut out = [CubeVertex::default(); FACING_VERTICES as usize];
    for (k, v) in out.iter_mut().enumerate() {
        *v = cube[(k / 6) * 12 + k % 6];
    }
    out
}

#[cfg(test)]
mod tests {
    use glam::Vec3;

    use super::*;

    #[test]
    fn facing_faces_turn_into_the_cubes_other_faces_as_the_shader_turns_them() {
        let (cube, facing) = (cube_vertices(), facing_vertices());
        for (k, v) in facing.iter().enumerate() {
            let (face, at) = (k / 6, k % 6);
            assert_eq!(*v, cube[face * 12 + at], "the + face of axis {face}");
            assert_eq!(v.normal[face], 1.0);
            // vs_box_facing's - face: the axis at 0, the other two swapped.
            let c = v.corner;
            let minus = match face {
                0 => [0.0, c[2], c[1]],
                1 => [c[2], 0.0, c[0]],
                _ => [c[1], c[0], 0.0],
            };
            let other = cube[face * 12 + 6 + at];
            assert_eq!(minus, other.corner, "vertex {at} of the - face of axis {face}");
            assert_eq!(v.normal.map(|n| 0.0 - n), other.normal);
        }
    }

    #[test]
    fn cube_vertex_layout_matches_the_shader() {
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
}
