//! Frame times: the same renderers the window uses (quads for the flat
//! maps, boxes for City and Volume), kept across frames as the window keeps
//! them, drawing frame after frame into one target while the camera moves a
//! little each frame (so that no frame is skipped as unchanged), each frame
//! submitted and waited for. What `memscape bench-gpu` prints.
//!
//! The target is an offscreen texture rather than a window's swap chain:
//! the pipelines, instance buffers, levels of detail, culling and MSAA are
//! the window's; presenting is left out, so the figures are the map's own
//! cost, comparable between machines with and without a display.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::box_parts::BoxParts;
use super::boxes::BoxesRenderer;
use super::boxes_style::BoxesStyle;
use super::boxes_targets::msaa_samples_for;
use super::camera2d::Camera2d;
use super::camera3d::OrbitCamera;
use super::crop::Crop;
use super::error::RenderError;
use super::gpu::Gpu;
use super::lod::QuadLod;
use super::offscreen_target::{ErrorScopes, OFFSCREEN_FORMAT, Target};
use super::quads::QuadsRenderer;

/// What the frames draw.
pub enum FrameScene<'a> {
    /// A flat map's quads and levels, seen from `camera` (zoomed in and out
    /// a little around it, frame by frame).
    Quads { lod: &'a Arc<QuadLod>, camera: Camera2d },
    /// A 3D view's boxes, orbited once around over the frames.
    Boxes { boxes: &'a Arc<BoxParts>, camera: OrbitCamera, style: BoxesStyle },
}

/// The frames' times and what they drew.
#[derive(Clone, Debug)]
pub struct FrameTimes {
    /// Each frame's wall time, CPU work and GPU work waited for, in order.
    pub frames: Vec<Duration>,
    /// Instances the renderer holds (level 0).
    pub instances: u32,
    /// Instances the first frame drew (after levels of detail and culling).
    pub drawn_first: u32,
    /// The scene's MSAA samples.
    pub msaa_samples: u32,
}

impl FrameTimes {
    /// The `p`-th percentile (0..=100) frame time, nearest rank.
    pub fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.frames.clone();
        sorted.sort();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }
}

/// Draws `frames` frames of `scene` at `size_px` (after one untimed
/// frame that uploads and warms up).
pub fn time_frames(
    gpu: &Gpu,
    size_px: [u32; 2],
    scene: FrameScene<'_>,
    frames: u32,
) -> Result<FrameTimes, RenderError> {
    let device = &gpu.device;
    let queue = &gpu.queue;
    let scopes = ErrorScopes::push(device);
    let target = Target::new(device, size_px, "frame_bench::target");
    let background = [20, 22, 26, 255];
    let crop = Crop::whole([size_px[0] as f32, size_px[1] as f32]);
    let mut times = Vec::with_capacity(frames as usize);
    let (instances, mut drawn_first, msaa_samples);
    match scene {
        FrameScene::Quads { lod, camera } => {
            let mut quads = QuadsRenderer::new(device, OFFSCREEN_FORMAT, 1);
            quads.set_lod(Arc::clone(lod));
            (instances, msaa_samples, drawn_first) = (quads.instance_count(), 1, None);
            for frame in 0..=frames {
                let start = Instant::now();
                // Zoom in and out by up to 10% around the fitted camera.
                let t = frame as f32 / frames.max(1) as f32;
                let zoom = 1.0 + 0.1 * (t * std::f32::consts::TAU).sin();
                let cam = Camera2d { px_per_unit: camera.px_per_unit * zoom, ..camera };
                quads.prepare(device, queue, &cam, &crop, u32::MAX, u32::from_le_bytes(background));
                drawn_first.get_or_insert(quads.drawn_count());
                let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
                {
                    let mut pass = target.begin_pass(&mut encoder, Some(background), "frame_bench::quads");
                    quads.paint(&mut pass);
                }
                queue.submit([encoder.finish()]);
                wait(device)?;
                if frame > 0 {
                    times.push(start.elapsed());
                }
            }
        }
        FrameScene::Boxes { boxes, camera, style } => {
            // As the window chooses: none for huge scenes.
            let samples = msaa_samples_for(device, None, boxes.instances.len());
            let mut renderer = BoxesRenderer::new(device, samples, OFFSCREEN_FORMAT);
            renderer.set_parts(Arc::clone(boxes));
            (instances, msaa_samples, drawn_first) = (renderer.instance_count(), samples, None);
            for frame in 0..=frames {
                let start = Instant::now();
                let yaw = camera.yaw_deg + 360.0 * frame as f32 / frames.max(1) as f32;
                let cam = OrbitCamera { yaw_deg: yaw, ..camera };
                let scene_commands = renderer.prepare(device, queue, &cam, size_px, &style);
                drawn_first.get_or_insert(renderer.drawn_count());
                let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
                {
                    let mut pass = target.begin_pass(&mut encoder, Some(background), "frame_bench::boxes");
                    renderer.paint(&mut pass);
                }
                queue.submit([scene_commands, encoder.finish()]);
                wait(device)?;
                if frame > 0 {
                    times.push(start.elapsed());
                }
            }
        }
    }
    scopes.pop()?;
    Ok(FrameTimes { frames: times, instances, drawn_first: drawn_first.unwrap_or(0), msaa_samples })
}

fn wait(device: &wgpu::Device) -> Result<(), RenderError> {
    device.poll(wgpu::PollType::wait_indefinitely()).map(drop).map_err(|e| RenderError::Gpu(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let ms = |v: u64| Duration::from_millis(v);
        let t = FrameTimes { frames: (1..=100).rev().map(ms).collect(), instances: 0, drawn_first: 0, msaa_samples: 1 };
        assert_eq!(t.percentile(50.0), ms(50));
        assert_eq!(t.percentile(99.0), ms(99));
        assert_eq!(t.percentile(100.0), ms(100));
        assert_eq!(t.percentile(0.0), ms(1));
    }
}
