//! The 3D views' camera: an orbit camera that looks at `target` from
//! `distance` away, turned `yaw_deg` about the vertical axis and raised
//! `pitch_deg` above the ground plane. World axes as in layout::layout3d: x to
//! the right, y up, z towards the viewer; yaw 0, pitch 0 looks along -z.
//!
//! Projection: perspective with **reverse-Z and an infinite far plane**
//! (depth 1 at the near plane, falling towards 0 at infinity; the depth
//! buffer is Depth32Float, cleared to 0, compared with `Greater`). With a
//! float depth buffer this keeps depth precision nearly uniform over the
//! whole range, so no far plane has to be chosen and nothing distant is ever
//! clipped. The near plane is `distance * NEAR_FRACTION`: it follows the
//! zoom, so a close look at a small box and an overview of the whole city both
//! resolve depth well.
//!
//! Precision: the renderer uses [`OrbitCamera::view_proj_eye_relative`] and
//! subtracts the eye position from world positions before the matrix, so
//! large world coordinates do not lose their low bits in the translation.
//!
//! Screen positions are physical pixels relative to the viewport's top-left
//! corner (y down), with the viewport's size in physical pixels, as egui
//! paint callbacks see them (`boxes_paint::BoxesPaintCallback`).

use glam::{Mat4, Vec3, Vec4};

/// An orbit camera. The fields are public so a view can store and edit
/// them; every method works on [`OrbitCamera::sanitized`] values (pitch in
/// [-89, 89]°, distance and field of view within their limits), so an edited
/// camera never produces a broken matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrbitCamera {
    /// The point looked at and orbited around, world units.
    pub target: [f32; 3],
    /// Turn about the vertical (y) axis, degrees; 0 looks along -z,
    /// 90 looks along -x (the eye sits on +x).
    pub yaw_deg: f32,
    /// Elevation of the eye above the target's horizontal plane, degrees,
    /// clamped to [-89, 89]; positive looks down on the scene.
    pub pitch_deg: f32,
    /// Distance from the eye to `target`, world units, clamped to
    /// [`OrbitCamera::MIN_DISTANCE`, `OrbitCamera::MAX_DISTANCE`].
    pub distance: f32,
    /// Vertical field of view, degrees.
    pub fov_y_deg: f32,
}

impl Default for OrbitCamera {
    fn default() -> Self {
        OrbitCamera {
            target: [0.0; 3],
            yaw_deg: OrbitCamera::DEFAULT_YAW_DEG,
            pitch_deg: OrbitCamera::DEFAULT_PITCH_DEG,
            distance: 10.0,
            fov_y_deg: OrbitCamera::DEFAULT_FOV_Y_DEG,
        }
    }
}

/// The camera's position and axes, from sanitized values.
#[derive(Clone, Copy, Debug)]
struct Frame {
    eye: Vec3,
    /// Unit vector from the eye towards the target.
    forward: Vec3,
    /// Unit vector to the right of the screen.
    right: Vec3,
    /// Unit vector up the screen.
    up: Vec3,
    /// tan(fov_y / 2).
    tan_half_fov: f32,
    near: f32,
    distance: f32,
}

impl OrbitCamera {
    pub const DEFAULT_YAW_DEG: f32 = 35.0;
    pub const DEFAULT_PITCH_DEG: f32 = 35.0;
    pub const DEFAULT_FOV_Y_DEG: f32 = 40.0;
    /// Pitch stays within ±this many degrees, so the view never flips over the pole.
    pub const MAX_PITCH_DEG: f32 = 89.0;
    pub const MIN_DISTANCE: f32 = 1e-4;
    pub const MAX_DISTANCE: f32 = 1e9;
    pub const MIN_FOV_Y_DEG: f32 = 1.0;
    pub const MAX_FOV_Y_DEG: f32 = 150.0;
    /// The near plane sits at `distance * NEAR_FRACTION` in front of the eye.
    pub const NEAR_FRACTION: f32 = 0.01;
    /// How much of the view [`OrbitCamera::fit`] lets the bounds fill (the
    /// rest is margin), per side.
    pub const FIT_FILL: f32 = 0.9;
    /// [`OrbitCamera::approach`] closes this fraction of the gap per second
    /// `1 - exp(-APPROACH_RATE * t)`: about 95% in 0.25 s.
    pub const APPROACH_RATE: f32 = 12.0;

    /// A camera looking at `target` from `distance` away at `yaw_deg` and
    /// `pitch_deg`, with the default field of view; values are clamped.
    pub fn from_yaw_pitch_distance(target: [f32; 3], yaw_deg: f32, pitch_deg: f32, distance: f32) -> OrbitCamera {
        OrbitCamera { target, yaw_deg, pitch_deg, distance, fov_y_deg: OrbitCamera::DEFAULT_FOV_Y_DEG }.sanitized()
    }

    /// The same camera with every field in range: pitch clamped to ±89°,
    /// distance and field of view to their limits, yaw wrapped to
    /// [-180, 180); values that are not finite become the defaults.
    pub fn sanitized(&self) -> OrbitCamera {
        let d = OrbitCamera::default();
        let finite_or = |v: f32, default: f32| if v.is_finite() { v } else { default };
        OrbitCamera {
            target: self.target.map(|c| finite_or(c, 0.0)),
            yaw_deg: wrap_deg(finite_or(self.yaw_deg, d.yaw_deg)),
            pitch_deg: finite_or(self.pitch_deg, d.pitch_deg)
                .clamp(-OrbitCamera::MAX_PITCH_DEG, OrbitCamera::MAX_PITCH_DEG),
            distance: if self.distance.is_nan() { d.distance } else { self.distance }
                .clamp(OrbitCamera::MIN_DISTANCE, OrbitCamera::MAX_DISTANCE),
            fov_y_deg: finite_or(self.fov_y_deg, d.fov_y_deg)
                .clamp(OrbitCamera::MIN_FOV_Y_DEG, OrbitCamera::MAX_FOV_Y_DEG),
        }
    }

    fn frame(&self) -> Frame {
        let c = self.sanitized();
        let (sin_yaw, cos_yaw) = (c.yaw_deg as f64).to_radians().sin_cos();
        let (sin_pitch, cos_pitch) = (c.pitch_deg as f64).to_radians().sin_cos();
        // From the target towards the eye.
        let back = Vec3::new((cos_pitch * sin_yaw) as f32, sin_pitch as f32, (cos_pitch * cos_yaw) as f32);
        let right = Vec3::new(cos_yaw as f32, 0.0, -sin_yaw as f32);
        let up = back.cross(right);
        Frame {
            eye: Vec3::from(c.target) + back * c.distance,
            forward: -back,
            right,
            up,
            tan_half_fov: ((c.fov_y_deg as f64).to_radians() * 0.5).tan() as f32,
            near: c.distance * OrbitCamera::NEAR_FRACTION,
            distance: c.distance,
        }
    }

    /// Where the eye is, world units.
    pub fn eye(&self) -> [f32; 3] {
        self.frame().eye.to_array()
    }

    /// The distance from the eye to the near plane: things closer are not drawn.
    pub fn near(&self) -> f32 {
        self.frame().near
    }

    /// World -> clip space for a viewport of width/height `aspect`:
    /// right-handed, reverse-Z with an infinite far plane (see the module
    /// docs), clip space as wgpu expects it (y up, depth 0..1).
    pub fn view_proj(&self, aspect: f32) -> Mat4 {
        self.view_proj_eye_relative(aspect) * Mat4::from_translation(-self.frame().eye)
    }

    /// Like [`Self::view_proj`] but for positions relative to the eye
    /// (`world - eye()`): no translation, so large world coordinates keep
    /// their precision when the caller subtracts the eye first.
    pub fn view_proj_eye_relative(&self, aspect: f32) -> Mat4 {
        let f = self.frame();
        let aspect = sanitize_aspect(aspect);
        let back = -f.forward;
        // Rows: right, up, back (view space looks along -z).
        let view = Mat4::from_cols(
            Vec4::new(f.right.x, f.up.x, back.x, 0.0),
            Vec4::new(f.right.y, f.up.y, back.y, 0.0),
            Vec4::new(f.right.z, f.up.z, back.z, 0.0),
            Vec4::W,
        );
        let y_scale = 1.0 / f.tan_half_fov;
        // clip.z = near, clip.w = -z_view: depth = near / distance along the view.
        let proj = Mat4::from_cols(
            Vec4::new(y_scale / aspect, 0.0, 0.0, 0.0),
            Vec4::new(0.0, y_scale, 0.0, 0.0),
            Vec4::new(0.0, 0.0, 0.0, -1.0),
            Vec4::new(0.0, 0.0, f.near, 0.0),
        );
        proj * view
    }

    /// The camera that shows the box `bounds_min..bounds_max` from the
    /// default angles (yaw 35°, pitch 35°), centred, with the eye as close
    /// as it can be while every corner stays inside [`Self::FIT_FILL`] of the
    /// view in a square or landscape viewport. For a portrait viewport use
    /// [`Self::fit_with_aspect`]. Bounds that are not finite give the default
    /// camera; a single point gets distance 1.
    pub fn fit(bounds_min: [f32; 3], bounds_max: [f32; 3]) -> OrbitCamera {
        OrbitCamera::fit_with_aspect(bounds_min, bounds_max, 1.0)
    }

    /// [`Self::fit`] for a viewport of width/height `aspect`.
    pub fn fit_with_aspect(bounds_min: [f32; 3], bounds_max: [f32; 3], aspect: f32) -> OrbitCamera {
        if !bounds_min.iter().chain(&bounds_max).all(|c| c.is_finite()) {
            return OrbitCamera::default();
        }
        let lo = Vec3::from(bounds_min).min(Vec3::from(bounds_max));
        let hi = Vec3::from(bounds_min).max(Vec3::from(bounds_max));
        let center = (lo + hi) * 0.5;
        let mut cam = OrbitCamera::from_yaw_pitch_distance(
            center.to_array(),
            OrbitCamera::DEFAULT_YAW_DEG,
            OrbitCamera::DEFAULT_PITCH_DEG,
            1.0,
        );
        let f = cam.frame();
        let tan_y = f.tan_half_fov * OrbitCamera::FIT_FILL;
        let tan_x = tan_y * sanitize_aspect(aspect).min(1.0);
        let back = -f.forward;
        let mut distance = 0.0_f32;
        for i in 0..8 {
            let corner = Vec3::new(
                if i & 1 == 0 { lo.x } else { hi.x },
                if i & 2 == 0 { lo.y } else { hi.y },
                if i & 4 == 0 { lo.z } else { hi.z },
            ) - center;
            let (x, y, z) = (corner.dot(f.right), corner.dot(f.up), corner.dot(back));
            // The corner is `distance - z` in front of the eye; it must see
            // the corner within the (reduced) field of view and beyond the near plane.
            distance = distance
                .max(z + x.abs() / tan_x)
                .max(z + y.abs() / tan_y)
                .max(z / (1.0 - OrbitCamera::NEAR_FRACTION) * 1.01);
        }
        cam.distance = if distance > 0.0 && distance.is_finite() { distance } else { 1.0 };
        cam.sanitized()
    }

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

/// Wraps degrees to [-180, 180).
fn wrap_deg(deg: f32) -> f32 {
    let w = (deg + 180.0).rem_euclid(360.0) - 180.0;
    if w.is_finite() { w } else { 0.0 }
}

fn sanitize_aspect(aspect: f32) -> f32 {
    if aspect.is_finite() && aspect > 0.0 { aspect } else { 1.0 }
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

    const VIEWPORT: [f32; 2] = [800.0, 500.0];

    fn close2(a: [f32; 2], b: [f32; 2], eps: f32) -> bool {
        (a[0] - b[0]).abs() <= eps && (a[1] - b[1]).abs() <= eps
    }

    fn cameras() -> Vec<OrbitCamera> {
        vec![
            OrbitCamera::default(),
            OrbitCamera::from_yaw_pitch_distance([10.0, 2.0, -4.0], -120.0, 10.0, 3.0),
            OrbitCamera::from_yaw_pitch_distance([1000.0, 0.0, 500.0], 170.0, 80.0, 250.0),
            OrbitCamera::from_yaw_pitch_distance([0.0, 0.0, 0.0], 0.0, -30.0, 0.5),
        ]
    }

    #[test]
    fn the_target_is_at_the_centre_and_the_eye_at_distance() {
        for cam in cameras() {
            let p = cam.project(cam.target, VIEWPORT).expect("target in front");
            assert!(close2(p, [400.0, 250.0], 1e-3), "{p:?}");
            let eye = Vec3::from(cam.eye());
            assert!(((eye - Vec3::from(cam.target)).length() - cam.distance).abs() <= cam.distance * 1e-5);
        }
        // Yaw 0, pitch 0: the eye on +z, looking along -z; x to the right, y up.
        let cam = OrbitCamera::from_yaw_pitch_distance([0.0; 3], 0.0, 0.0, 10.0);
        assert!((Vec3::from(cam.eye()) - Vec3::new(0.0, 0.0, 10.0)).length() < 1e-5);
        let right = cam.project([1.0, 0.0, 0.0], VIEWPORT).unwrap();
        let up = cam.project([0.0, 1.0, 0.0], VIEWPORT).unwrap();
        assert!(right[0] > 400.0 && (right[1] - 250.0).abs() < 1e-3);
        assert!(up[1] < 250.0 && (up[0] - 400.0).abs() < 1e-3);
        // Positive pitch looks down: the eye is above the target.
        assert!(OrbitCamera::default().eye()[1] > 0.0);
    }

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
    fn depth_is_reversed_and_points_behind_are_not_projected() {
        let cam = OrbitCamera::from_yaw_pitch_distance([0.0; 3], 0.0, 0.0, 10.0);
        let vp = cam.view_proj(1.0);
        let depth = |z: f32| {
            let c = vp * Vec4::new(0.0, 0.0, z, 1.0);
            c.z / c.w
        };
        assert!((depth(10.0 - cam.near()) - 1.0).abs() < 1e-5, "near plane at depth 1");
        assert!(depth(0.0) > depth(-100.0) && depth(-100.0) > depth(-1e6) && depth(-1e6) > 0.0);
        assert_eq!(cam.project([0.0, 0.0, 11.0], VIEWPORT), None);
        assert_eq!(cam.project([0.0, 0.0, 10.0], VIEWPORT), None);
        assert!(cam.project([0.0, 0.0, -1e6], VIEWPORT).is_some());
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
    fn fit_shows_every_corner() {
        let bounds = [
            ([0.0, 0.0, 0.0], [100.0, 20.0, 60.0]),
            ([-5.0, 0.0, -5.0], [5.0, 40.0, 5.0]),
            ([1e6, 0.0, 0.0], [1e6 + 1.0, 1.0, 1.0]),
            ([0.0, 0.0, 0.0], [1000.0, 0.0, 10.0]),
        ];
        for (min, max) in bounds {
            for (aspect, fit) in [
                (1.0, OrbitCamera::fit(min, max)),
                (16.0 / 9.0, OrbitCamera::fit(min, max)),
                (0.5, OrbitCamera::fit_with_aspect(min, max, 0.5)),
            ] {
                let viewport = [500.0 * aspect, 500.0];
                let mut extent = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
                for i in 0..8 {
                    let corner = [
                        if i & 1 == 0 { min[0] } else { max[0] },
                        if i & 2 == 0 { min[1] } else { max[1] },
                        if i & 4 == 0 { min[2] } else { max[2] },
                    ];
                    let p = fit.project(corner, viewport).expect("corner in front");
                    assert!(
                        p[0] >= 0.0 && p[0] <= viewport[0] && p[1] >= 0.0 && p[1] <= viewport[1],
                        "{min:?}..{max:?} aspect {aspect}: corner {corner:?} at {p:?}"
                    );
                    extent = [extent[0].min(p[0]), extent[1].min(p[1]), extent[2].max(p[0]), extent[3].max(p[1])];
                }
                // Fills the view: the picture spans most of one side.
                let fill = ((extent[2] - extent[0]) / viewport[0]).max((extent[3] - extent[1]) / viewport[1]);
                if aspect <= 1.0 {
                    assert!(fill > 0.6, "{min:?}..{max:?} aspect {aspect}: fills {fill}");
                }
            }
        }
        let fit = OrbitCamera::fit([0.0; 3], [10.0; 3]);
        assert_eq!((fit.yaw_deg, fit.pitch_deg), (35.0, 35.0));
        assert_eq!(fit.target, [5.0; 3]);
        assert_eq!(OrbitCamera::fit([1.0; 3], [1.0; 3]).distance, 1.0);
        assert_eq!(OrbitCamera::fit([f32::NAN; 3], [1.0; 3]), OrbitCamera::default());
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

    #[test]
    fn wrap_deg_wraps() {
        assert_eq!(wrap_deg(190.0), -170.0);
        assert_eq!(wrap_deg(-190.0), 170.0);
        assert_eq!(wrap_deg(180.0), -180.0);
        assert_eq!(wrap_deg(35.0), 35.0);
    }
}
