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
//! What the camera does in a viewport of pixels (turning, panning and
//! zooming by pointer moves, rays and projection, the smooth approach) is in
//! camera3d_screen.rs.

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
pub(super) struct Frame {
    pub(super) eye: Vec3,
    /// Unit vector from the eye towards the target.
    pub(super) forward: Vec3,
    /// Unit vector to the right of the screen.
    pub(super) right: Vec3,
    /// Unit vector up the screen.
    pub(super) up: Vec3,
    /// tan(fov_y / 2).
    pub(super) tan_half_fov: f32,
    pub(super) near: f32,
    pub(super) distance: f32,
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

    pub(super) fn frame(&self) -> Frame {
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
}

/// Wraps degrees to [-180, 180).
pub(super) fn wrap_deg(deg: f32) -> f32 {
    let w = (deg + 180.0).rem_euclid(360.0) - 180.0;
    if w.is_finite() { w } else { 0.0 }
}

pub(super) fn sanitize_aspect(aspect: f32) -> f32 {
    if aspect.is_finite() && aspect > 0.0 { aspect } else { 1.0 }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) const VIEWPORT: [f32; 2] = [800.0, 500.0];

    pub(crate) fn close2(a: [f32; 2], b: [f32; 2], eps: f32) -> bool {
        (a[0] - b[0]).abs() <= eps && (a[1] - b[1]).abs() <= eps
    }

    pub(crate) fn cameras() -> Vec<OrbitCamera> {
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
    fn wrap_deg_wraps() {
        assert_eq!(wrap_deg(190.0), -170.0);
        assert_eq!(wrap_deg(-190.0), 170.0);
        assert_eq!(wrap_deg(180.0), -180.0);
        assert_eq!(wrap_deg(35.0), 35.0);
    }
}
