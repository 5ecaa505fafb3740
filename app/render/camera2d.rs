//! The 2D camera of the map views: which world point sits at the middle of the
//! viewport and how many physical pixels one world unit covers. y grows
//! downwards in both world and screen space (as in the layout layer).
//!
//! The same arithmetic runs in shaders/quads.wgsl: a world point `p` lands at
//! `viewport.min + viewport.size / 2 + (p - center) * px_per_unit`. The CPU side
//! computes in f64 so hit-testing at deep zoom is as exact as the f32 inputs.
//!
//! Screen positions here are physical pixels of the render target: an egui
//! pointer position (points) times `pixels_per_point`, and the view's
//! viewport from `quads_paint::viewport_px`, which rounds as egui_wgpu does.

/// A rectangle of the render target, in physical pixels: where a map is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewportPx {
    /// Top-left corner, physical pixels from the target's top-left corner.
    pub min: [f32; 2],
    /// Width and height in physical pixels.
    pub size: [f32; 2],
}

impl ViewportPx {
    pub fn new(min: [f32; 2], size: [f32; 2]) -> ViewportPx {
        ViewportPx { min, size }
    }

    /// A viewport covering a whole target of `size` pixels.
    pub fn from_size(size: [f32; 2]) -> ViewportPx {
        ViewportPx { min: [0.0, 0.0], size }
    }

    pub fn max(&self) -> [f32; 2] {
        [self.min[0] + self.size[0], self.min[1] + self.size[1]]
    }

    pub fn center(&self) -> [f32; 2] {
        [self.min[0] + self.size[0] * 0.5, self.min[1] + self.size[1] * 0.5]
    }

    pub fn contains(&self, p: [f32; 2]) -> bool {
        let max = self.max();
        p[0] >= self.min[0] && p[0] < max[0] && p[1] >= self.min[1] && p[1] < max[1]
    }
}

/// A 2D camera: `center` (world units) is drawn at the middle of the
/// viewport, one world unit covers `px_per_unit` physical pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Camera2d {
    pub center: [f32; 2],
    pub px_per_unit: f32,
}

impl Default for Camera2d {
    fn default() -> Self {
        Camera2d { center: [0.0, 0.0], px_per_unit: 1.0 }
    }
}

impl Camera2d {
    /// The zoom never goes below this many pixels per world unit.
    pub const MIN_PX_PER_UNIT: f32 = 1e-12;
    /// The zoom never goes beyond this many pixels per world unit.
    pub const MAX_PX_PER_UNIT: f32 = 1e12;

    pub fn new(center: [f32; 2], px_per_unit: f32) -> Camera2d {
        Camera2d { center, px_per_unit: clamp_zoom(px_per_unit as f64) }
    }

    /// Where world point `p` is drawn, in physical pixels of the target.
    pub fn world_to_screen(&self, p: [f32; 2], viewport: ViewportPx) -> [f32; 2] {
        let s = self.px_per_unit as f64;
        let c = viewport.center();
        [
            (c[0] as f64 + (p[0] as f64 - self.center[0] as f64) * s) as f32,
            (c[1] as f64 + (p[1] as f64 - self.center[1] as f64) * s) as f32,
        ]
    }

    /// The world point drawn at physical pixel position `p` of the target.
    pub fn screen_to_world(&self, p: [f32; 2], viewport: ViewportPx) -> [f32; 2] {
        let w = self.screen_to_world_f64(p, viewport);
        [w[0] as f32, w[1] as f32]
    }

    fn screen_to_world_f64(&self, p: [f32; 2], viewport: ViewportPx) -> [f64; 2] {
        let s = self.px_per_unit as f64;
        let c = viewport.center();
        [
            self.center[0] as f64 + (p[0] as f64 - c[0] as f64) / s,
            self.center[1] as f64 + (p[1] as f64 - c[1] as f64) / s,
        ]
    }

    /// The camera that shows the world rectangle `bounds_min..bounds_max`
    /// whole and centred in a viewport of `viewport_size_px`, leaving at least
    /// `margin_px` free on every side. An empty rectangle (a point or a line)
    /// fits along the sides it has; a point gets one pixel per unit.
    pub fn fit(bounds_min: [f32; 2], bounds_max: [f32; 2], viewport_size_px: [f32; 2], margin_px: f32) -> Camera2d {
        let center = [
            ((bounds_min[0] as f64 + bounds_max[0] as f64) * 0.5) as f32,
            ((bounds_min[1] as f64 + bounds_max[1] as f64) * 0.5) as f32,
        ];
        let margin = if margin_px.is_finite() { margin_px.max(0.0) as f64 } else { 0.0 };
        let mut zoom = f64::INFINITY;
        for axis in 0..2 {
            let extent = (bounds_max[axis] as f64 - bounds_min[axis] as f64).abs();
            let room = (viewport_size_px[axis] as f64 - 2.0 * margin).max(1.0);
            if extent > 0.0 && extent.is_finite() {
                zoom = zoom.min(room / extent);
            }
        }
        if !zoom.is_finite() {
            zoom = 1.0;
        }
        Camera2d { center, px_per_unit: clamp_zoom(zoom) }
    }

    /// Multiplies the zoom by `factor`, keeping the world point under
    /// `screen_point` (physical pixels of the target) where it is: zooming
    /// about the cursor. Factors that are not finite and positive are ignored.
    pub fn zoom_about(&mut self, screen_point: [f32; 2], factor: f32, viewport: ViewportPx) {
        if !(factor.is_finite() && factor > 0.0) {
            return;
        }
        let anchor = self.screen_to_world_f64(screen_point, viewport);
        let zoom = clamp_zoom(self.px_per_unit as f64 * factor as f64);
        let c = viewport.center();
        let s = zoom as f64;
        self.center = [
            (anchor[0] - (screen_point[0] as f64 - c[0] as f64) / s) as f32,
            (anchor[1] - (screen_point[1] as f64 - c[1] as f64) / s) as f32,
        ];
        self.px_per_unit = zoom;
    }

    /// Moves the picture by `delta_px` physical pixels (a drag: the world
    /// follows the pointer).
    pub fn pan_by(&mut self, delta_px: [f32; 2]) {
        let s = self.px_per_unit as f64;
        self.center = [
            (self.center[0] as f64 - delta_px[0] as f64 / s) as f32,
            (self.center[1] as f64 - delta_px[1] as f64 / s) as f32,
        ];
    }

    /// The world rectangle (min, max) a viewport of `viewport_size_px` shows.
    pub fn visible_world(&self, viewport_size_px: [f32; 2]) -> ([f32; 2], [f32; 2]) {
        let vp = ViewportPx::from_size(viewport_size_px);
        (self.screen_to_world([0.0, 0.0], vp), self.screen_to_world(viewport_size_px, vp))
    }
}

fn clamp_zoom(zoom: f64) -> f32 {
    if zoom.is_nan() {
        return 1.0;
    }
    (zoom as f32).clamp(Camera2d::MIN_PX_PER_UNIT, Camera2d::MAX_PX_PER_UNIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f32; 2], b: [f32; 2], eps: f32) -> bool {
        (a[0] - b[0]).abs() <= eps && (a[1] - b[1]).abs() <= eps
    }

    #[test]
    fn center_maps_to_viewport_middle_and_back() {
        let cam = Camera2d::new([100.0, 50.0], 2.0);
        let vp = ViewportPx::new([10.0, 20.0], [200.0, 100.0]);
        assert_eq!(cam.world_to_screen([100.0, 50.0], vp), [110.0, 70.0]);
        assert_eq!(cam.world_to_screen([110.0, 45.0], vp), [130.0, 60.0]);
        assert_eq!(cam.screen_to_world([130.0, 60.0], vp), [110.0, 45.0]);
    }

    #[test]
    fn fit_shows_the_whole_rectangle_with_margin() {
        let cam = Camera2d::fit([0.0, 0.0], [1000.0, 100.0], [520.0, 400.0], 10.0);
        assert_eq!(cam.center, [500.0, 50.0]);
        assert_eq!(cam.px_per_unit, 0.5);
        let vp = ViewportPx::from_size([520.0, 400.0]);
        assert!(close(cam.world_to_screen([0.0, 0.0], vp), [10.0, 175.0], 1e-4));
        assert!(close(cam.world_to_screen([1000.0, 100.0], vp), [510.0, 225.0], 1e-4));
    }

    #[test]
    fn fit_handles_degenerate_bounds() {
        let point = Camera2d::fit([5.0, 5.0], [5.0, 5.0], [100.0, 100.0], 0.0);
        assert_eq!(point, Camera2d { center: [5.0, 5.0], px_per_unit: 1.0 });
        let line = Camera2d::fit([0.0, 5.0], [50.0, 5.0], [100.0, 100.0], 0.0);
        assert_eq!(line.px_per_unit, 2.0);
        let tiny_view = Camera2d::fit([0.0, 0.0], [10.0, 10.0], [0.0, 0.0], 50.0);
        assert!(tiny_view.px_per_unit > 0.0 && tiny_view.px_per_unit.is_finite());
    }

    #[test]
    fn zoom_about_keeps_the_point_under_the_cursor() {
        let vp = ViewportPx::new([0.0, 30.0], [800.0, 600.0]);
        let mut cam = Camera2d::fit([0.0, 0.0], [1.0e6, 1.0e3], vp.size, 0.0);
        let cursor = [123.0, 345.0];
        let before = cam.screen_to_world(cursor, vp);
        cam.zoom_about(cursor, 8.0, vp);
        assert!(close(cam.world_to_screen(before, vp), cursor, 1e-2));
        cam.zoom_about(cursor, 0.25, vp);
        assert!(close(cam.world_to_screen(before, vp), cursor, 1e-2));
        let same = cam;
        cam.zoom_about(cursor, f32::NAN, vp);
        cam.zoom_about(cursor, 0.0, vp);
        assert_eq!(cam, same);
    }

    #[test]
    fn pan_moves_the_picture_with_the_pointer() {
        let vp = ViewportPx::from_size([100.0, 100.0]);
        let mut cam = Camera2d::new([0.0, 0.0], 4.0);
        let p = cam.world_to_screen([3.0, 3.0], vp);
        cam.pan_by([8.0, -4.0]);
        assert_eq!(cam.world_to_screen([3.0, 3.0], vp), [p[0] + 8.0, p[1] - 4.0]);
    }

    #[test]
    fn zoom_is_clamped() {
        let vp = ViewportPx::from_size([100.0, 100.0]);
        let mut cam = Camera2d::default();
        for _ in 0..200 {
            cam.zoom_about([50.0, 50.0], 1000.0, vp);
        }
        assert_eq!(cam.px_per_unit, Camera2d::MAX_PX_PER_UNIT);
        for _ in 0..400 {
            cam.zoom_about([50.0, 50.0], 0.001, vp);
        }
        assert_eq!(cam.px_per_unit, Camera2d::MIN_PX_PER_UNIT);
    }
}
