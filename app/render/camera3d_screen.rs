//! What the orbit camera ([`OrbitCamera`], camera3d.rs) does in a viewport
//! of pixels: turns, pans and zooms by pointer moves ([`OrbitCamera::rotate_by`],
//! [`OrbitCamera::pan_by`], [`OrbitCamera::zoom_toward`], which keeps the
//! point under the cursor), rays through pixels and projection onto them
//! ([`OrbitCamera::ray`], [`OrbitCamera::project`]), ray-box intersection for
//! picking ([`ray_box_hit`]) and the smooth approach towards a goal camera
//! ([`OrbitCamera::approach`]).
//!
//! Screen positions are physical pixels relative to the viewport's top-left
//! corner (y down), with the viewport's size in physical pixels, as egui
//! paint callbacks see them (`boxes_paint::BoxesPaintCallback`).

use glam::Vec3;

use super::camera3d::{OrbitCamera, sanitize_aspect, wrap_deg};

impl OrbitCamera {
    /// Orbits by a pointer drag of `delta_px` physical pixels at
    /// `sensitivity_deg_per_px`: dragging right turns the scene to the right
    /// (the eye moves left), dragging down tilts it towards the viewer (the
    /// eye rises).
    pub fn rotate_by(&mut self, delta_px: [f32; 2], sensitivity_deg_per_px: f32) {
        if !(delta_px.iter().all(|d| d.is_finite()) && sensitivity_deg_per_px.is_finite()) {
            return;
        }
        let mut c = self.sanitized();
        c.yaw_deg = wrap_deg(c.yaw_deg - delta_px[0] * sensitivity_deg_per_px);
        c.pitch_deg = (c.pitch_deg + delta_px[1] * sensitivity_deg_per_px)
            .clamp(-OrbitCamera::MAX_PITCH_DEG, OrbitCamera::MAX_PITCH_DEG);
        *self = c;
    }

    /// World units per physical pixel on the target's depth plane.
    fn units_per_px(&self, viewport_size_px: [f32; 2]) -> f32 {
        let f = self.frame();
        2.0 * f.distance * f.tan_half_fov / viewport_size_px[1].max(1.0)
    }

    /// Moves the target (and the eye with it) in the view plane by a pointer
    /// drag of `delta_px`, so the point under the pointer on the target's
    /// depth plane follows the pointer.
    pub fn pan_by(&mut self, delta_px: [f32; 2], viewport_size_px: [f32; 2]) {
        if !delta_px.iter().all(|d| d.is_finite()) {
            return;
        }
        let mut c = self.sanitized();
        let f = c.frame();
        let upp = c.units_per_px(viewport_size_px);
        let target = Vec3::from(c.target) + (f.up * delta_px[1] - f.right * delta_px[0]) * upp;
        if target.is_finite() {
            c.target = target.to_array();
        }
        *self = c;
    }

    /// Dollies towards (`factor` > 1) or away from (`factor` < 1) the point
    /// under `screen_point_px` on the target's depth plane, dividing the
    /// distance by `factor` and keeping that point under the pointer.
    /// Factors that are not finite and positive are ignored; the distance
    /// stops at its limits.
    pub fn zoom_toward(&mut self, screen_point_px: [f32; 2], factor: f32, viewport_size_px: [f32; 2]) {
        if !(factor.is_finite() && factor > 0.0 && screen_point_px.iter().all(|p| p.is_finite())) {
            return;
        }
        let mut c = self.sanitized();
        let f = c.frame();
        let new_distance = (c.distance / factor).clamp(OrbitCamera::MIN_DISTANCE, OrbitCamera::MAX_DISTANCE);
        let ndc = ndc_of(screen_point_px, viewport_size_px);
        let aspect = viewport_aspect(viewport_size_px);
        // The point under the pointer on the target's depth plane, relative to the target.
        let offset = (f.right * (ndc[0] * aspect) + f.up * ndc[1]) * (f.tan_half_fov * f.distance);
        let target = Vec3::from(c.target) + offset * (1.0 - new_distance / c.distance);
        if target.is_finite() {
            c.target = target.to_array();
            c.distance = new_distance;
        }
        *self = c;
    }

    /// The picking ray through `screen_point_px`: its origin on the near
    /// plane (nothing nearer is drawn) and its unit direction.
    pub fn ray(&self, screen_point_px: [f32; 2], viewport_size_px: [f32; 2]) -> ([f32; 3], [f32; 3]) {
        let f = self.frame();
        let ndc = ndc_of(screen_point_px, viewport_size_px);
        let aspect = viewport_aspect(viewport_size_px);
        let dir = (f.forward + (f.right * (ndc[0] * aspect) + f.up * ndc[1]) * f.tan_half_fov).normalize();
        let origin = f.eye + dir * (f.near / dir.dot(f.forward));
        (origin.to_array(), dir.to_array())
    }

    /// Where `world` is drawn, physical pixels from the viewport's top-left
    /// corner (may lie outside the viewport); None for points behind the
    /// near plane (behind the eye, or too close to be drawn).
    pub fn project(&self, world: [f32; 3], viewport_size_px: [f32; 2]) -> Option<[f32; 2]> {
        let f = self.frame();
        let v = Vec3::from(world) - f.eye;
        let depth = v.dot(f.forward);
        // Also None for NaN.
        if depth.partial_cmp(&f.near).is_none_or(|o| o.is_lt()) {
            return None;
        }
        let aspect = viewport_aspect(viewport_size_px);
        let x = v.dot(f.right) / (depth * f.tan_half_fov * aspect);
        let y = v.dot(f.up) / (depth * f.tan_half_fov);
        let w = viewport_size_px[0].max(1.0);
        let h = viewport_size_px[1].max(1.0);
        let p = [(x + 1.0) * 0.5 * w, (1.0 - y) * 0.5 * h];
        p.iter().all(|c| c.is_finite()).then_some(p)
    }

    /// Moves a step of `dt_s` seconds towards `goal` by exponential
    /// smoothing (a fraction `1 - exp(-APPROACH_RATE * dt_s)` of each gap:
    /// target and pitch linearly, yaw the short way round, distance in log
    /// space so zooms feel even). Snaps to `goal` once the remaining gap is
    /// invisible, and returns whether the camera is still moving (ask for
    /// another frame while it is).
    pub fn approach(&mut self, goal: &OrbitCamera, dt_s: f32) -> bool {
        let goal = goal.sanitized();
        let mut c = self.sanitized();
        let dt = if dt_s.is_nan() { 0.0 } else { dt_s.max(0.0) };
        let k = 1.0 - (-OrbitCamera::APPROACH_RATE * dt).exp();

        let target = Vec3::from(c.target);
        let goal_target = Vec3::from(goal.target);
        c.target = target.lerp(goal_target, k).to_array();
        c.yaw_deg = wrap_deg(c.yaw_deg + wrap_deg(goal.yaw_deg - c.yaw_deg) * k);
        c.pitch_deg += (goal.pitch_deg - c.pitch_deg) * k;
        c.distance *= (goal.distance / c.distance).powf(k);
        c.fov_y_deg += (goal.fov_y_deg - c.fov_y_deg) * k;
        let c = c.sanitized();

        let scale = c.distance.min(goal.distance);
        let settled = (Vec3::from(c.target) - goal_target).length() <= scale * 1e-4
            && wrap_deg(goal.yaw_deg - c.yaw_deg).abs() <= 1e-3
            && (goal.pitch_deg - c.pitch_deg).abs() <= 1e-3
            && (goal.distance / c.distance).ln().abs() <= 1e-4
            && (goal.fov_y_deg - c.fov_y_deg).abs() <= 1e-3;
        if settled {
            *self = goal;
            false
        } else {
            *self = c;
            true
        }
    }
}

/// Where a ray `origin + t * dir` (t >= 0) first meets the axis-aligned box
/// `min..max`: the smallest such t, 0 when the origin is inside; None when
/// it misses. For picking with [`OrbitCamera::ray`].
pub fn ray_box_hit(origin: [f32; 3], dir: [f32; 3], min: [f32; 3], max: [f32; 3]) -> Option<f32> {
    let mut t_near = 0.0_f32;
    let mut t_far = f32::INFINITY;
    for axis in 0..3 {
        let (lo, hi) = (min[axis].min(max[axis]), min[axis].max(max[axis]));
        if dir[axis] == 0.0 {
            if origin[axis] < lo || origin[axis] > hi {
                return None;
            }
            continue;
        }
        let inv = 1.0 / dir[axis];
        let (mut t0, mut t1) = ((lo - origin[axis]) * inv, (hi - origin[axis]) * inv);
        if t0 > t1 {
            std::mem::swap(&mut t0, &mut t1);
        }
        t_near = t_near.max(t0);
        t_far = t_far.min(t1);
        // Also a miss for NaN (a direction of NaNs).
        if t_near.partial_cmp(&t_far).is_none_or(|o| o.is_gt()) {
            return None;
        }
    }
    Some(t_near)
}

fn viewport_aspect(viewport_size_px: [f32; 2]) -> f32 {
    sanitize_aspect(viewport_size_px[0].max(1.0) / viewport_size_px[1].max(1.0))
}

/// Normalized device coordinates (x right, y up, -1..1) of a pixel position.
fn ndc_of(screen_point_px: [f32; 2], viewport_size_px: [f32; 2]) -> [f32; 2] {
    let w = viewport_size_px[0].max(1.0);
    let h = viewport_size_px[1].max(1.0);
    [screen_point_px[0] / w * 2.0 - 1.0, 1.0 - screen_point_px[1] / h * 2.0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::camera3d::tests::{VIEWPORT, cameras, close2};

    #[test]
    fn project_and_ray_round_trip() {
        for cam in cameras() {
            for world in [[0.3, 0.2, -0.1], [1.0, 1.0, 1.0], [-0.5, 0.0, 0.7]] {
                let world = (Vec3::from(cam.target) + Vec3::from(world) * cam.distance * 0.3).to_array();
                let p = cam.project(world, VIEWPORT).expect("in front");
                let (origin, dir) = cam.ray(p, VIEWPORT);
                let (origin, dir) = (Vec3::from(origin), Vec3::from(dir));
                assert!((dir.length() - 1.0).abs() < 1e-5);
                // The world point lies on the ray.
                let to = Vec3::from(world) - origin;
                let t = to.dot(dir);
                let miss = (to - dir * t).length();
                assert!(t > 0.0 && miss <= cam.distance * 1e-4, "{cam:?} {world:?}: miss {miss}");
                // And the matrix agrees with project().
                let clip = cam.view_proj(VIEWPORT[0] / VIEWPORT[1]) * Vec3::from(world).extend(1.0);
                let ndc = clip.truncate() / clip.w;
                let from_matrix = [(ndc.x + 1.0) * 0.5 * VIEWPORT[0], (1.0 - ndc.y) * 0.5 * VIEWPORT[1]];
                assert!(close2(from_matrix, p, 0.05), "{from_matrix:?} vs {p:?}");
                assert!(ndc.z > 0.0 && ndc.z <= 1.0, "reverse-Z depth {}", ndc.z);
            }
        }
    }

    #[test]
    fn a_ray_through_a_projected_box_centre_hits_the_box() {
        let boxes = [([2.0, 0.0, -3.0], [3.0, 4.0, -1.0]), ([-1.0, 0.0, -1.0], [1.0, 0.5, 1.0])];
        for cam in cameras() {
            for (min, max) in boxes {
                let center = ((Vec3::from(min) + Vec3::from(max)) * 0.5).to_array();
                let Some(p) = cam.project(center, VIEWPORT) else { continue };
                let (origin, dir) = cam.ray(p, VIEWPORT);
                assert!(ray_box_hit(origin, dir, min, max).is_some(), "{cam:?} misses {min:?}..{max:?}");
            }
        }
        // And a ray beside it misses.
        let cam = OrbitCamera::from_yaw_pitch_distance([0.0; 3], 0.0, 0.0, 10.0);
        let (origin, dir) = cam.ray([10.0, 10.0], VIEWPORT);
        assert_eq!(ray_box_hit(origin, dir, [-0.5; 3], [0.5; 3]), None);
        // The hit distance is where the ray enters the box.
        let t = ray_box_hit([0.0, 0.0, 10.0], [0.0, 0.0, -1.0], [-1.0; 3], [1.0; 3]).unwrap();
        assert!((t - 9.0).abs() < 1e-6);
    }

    #[test]
    fn zoom_toward_keeps_the_point_under_the_cursor() {
        for cam in cameras() {
            let mut c = cam;
            let cursor = [620.0, 130.0];
            // The point under the cursor on the target's depth plane.
            let (origin, dir) = c.ray(cursor, VIEWPORT);
            let (origin, dir) = (Vec3::from(origin), Vec3::from(dir));
            let f = c.frame();
            let t = (Vec3::from(c.target) - origin).dot(f.forward) / dir.dot(f.forward);
            let anchor = (origin + dir * t).to_array();
            for factor in [2.0, 1.5, 0.25, 3.0] {
                let before = c.distance;
                c.zoom_toward(cursor, factor, VIEWPORT);
                assert!((c.distance - before / factor).abs() <= before * 1e-5);
                let p = c.project(anchor, VIEWPORT).expect("anchor in front");
                assert!(close2(p, cursor, 0.05), "{cam:?} factor {factor}: {p:?}");
            }
            let same = c;
            c.zoom_toward(cursor, f32::NAN, VIEWPORT);
            c.zoom_toward(cursor, 0.0, VIEWPORT);
            c.zoom_toward(cursor, -2.0, VIEWPORT);
            assert_eq!(c, same);
        }
        let mut c = OrbitCamera::default();
        for _ in 0..100 {
            c.zoom_toward([400.0, 250.0], 10.0, VIEWPORT);
        }
        assert_eq!(c.distance, OrbitCamera::MIN_DISTANCE);
    }

    #[test]
    fn pan_moves_the_picture_with_the_pointer() {
        for cam in cameras() {
            let mut c = cam;
            let on_plane = c.target;
            let before = c.project(on_plane, VIEWPORT).unwrap();
            c.pan_by([30.0, -12.0], VIEWPORT);
            let after = c.project(on_plane, VIEWPORT).unwrap();
            assert!(close2(after, [before[0] + 30.0, before[1] - 12.0], 0.01), "{before:?} -> {after:?}");
            assert_eq!((c.yaw_deg, c.pitch_deg, c.distance), (cam.yaw_deg, cam.pitch_deg, cam.distance));
        }
    }

    #[test]
    fn rotate_turns_and_clamps() {
        let mut c = OrbitCamera::from_yaw_pitch_distance([0.0; 3], 0.0, 0.0, 10.0);
        // Dragging right: the eye moves left (towards -x), the scene turns right.
        c.rotate_by([10.0, 0.0], 0.5);
        assert_eq!(c.yaw_deg, -5.0);
        assert!(c.eye()[0] < 0.0);
        c.rotate_by([0.0, 10_000.0], 0.5);
        assert_eq!(c.pitch_deg, OrbitCamera::MAX_PITCH_DEG);
        c.rotate_by([0.0, -100_000.0], 0.5);
        assert_eq!(c.pitch_deg, -OrbitCamera::MAX_PITCH_DEG);
        c.rotate_by([-400.0, 0.0], 1.0);
        assert!((-180.0..180.0).contains(&c.yaw_deg), "{}", c.yaw_deg);
        let same = c;
        c.rotate_by([f32::NAN, 0.0], 1.0);
        assert_eq!(c, same);
        // The view stays valid at the pitch limits.
        for pitch in [89.0, -89.0, 1000.0] {
            let c = OrbitCamera::from_yaw_pitch_distance([0.0; 3], 0.0, pitch, 10.0);
            assert!(c.view_proj(1.5).is_finite());
        }
        assert_eq!(OrbitCamera::from_yaw_pitch_distance([0.0; 3], 0.0, 0.0, -5.0).distance, OrbitCamera::MIN_DISTANCE);
    }

    #[test]
    fn approach_converges_and_takes_the_short_way() {
        let mut c = OrbitCamera::from_yaw_pitch_distance([0.0; 3], 170.0, 10.0, 100.0);
        let goal = OrbitCamera::from_yaw_pitch_distance([50.0, 5.0, -20.0], -170.0, 60.0, 2.0);
        let mut frames = 0;
        let mut max_yaw_gap = 0.0_f32;
        while c.approach(&goal, 1.0 / 60.0) {
            frames += 1;
            // Short way round: yaw stays within 10° of ±180, never sweeps through 0.
            max_yaw_gap = max_yaw_gap.max(180.0 - c.yaw_deg.abs());
            assert!(frames < 600, "still moving after 10 s: {c:?}");
        }
        assert_eq!(c, goal);
        assert!(frames > 5, "smooth, not a jump: {frames} frames");
        assert!(max_yaw_gap <= 10.0 + 1e-3, "{max_yaw_gap}");
        // Standing still reports no motion; a zero step moves nothing.
        assert!(!c.approach(&goal, 1.0 / 60.0));
        let mut d = OrbitCamera::default();
        assert!(d.approach(&goal, 0.0));
        assert_eq!(d, OrbitCamera::default().sanitized());
    }
}
