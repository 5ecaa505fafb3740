//! Drawing part of a view: [`Crop`] says which part of a view's viewport one
//! render pass covers.
//!
//! A view is laid out for its whole viewport (the map's rect), but a pass
//! only draws the part inside its target: the window when the view is
//! scrolled half off screen, or one tile of an export larger than the GPU's
//! largest texture (offscreen_egui.rs renders those tile by tile). The renderers
//! keep all their arithmetic in the *whole* viewport's pixels (so borders,
//! hatching, edge widths and the sky gradient line up across tiles) and only
//! map the cropped part onto the pass: the pass viewport is then always inside
//! the target, which wgpu requires, and a 3D scene texture is never bigger
//! than what is seen.

use super::camera2d::ViewportPx;

/// The part of a view's viewport that one pass draws. All sizes are whole
/// physical pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Crop {
    /// The whole viewport's size: what the camera is fitted to.
    pub full_size_px: [f32; 2],
    /// The drawn part's top-left corner, relative to the whole viewport's.
    pub offset_px: [f32; 2],
    /// The drawn part's size.
    pub size_px: [f32; 2],
    /// Where the drawn part goes on the pass's target (its top-left corner):
    /// the pass viewport is `target_min_px` and `size_px`.
    pub target_min_px: [f32; 2],
}

impl Crop {
    /// The whole of a `size_px` viewport (each side at least one pixel).
    pub fn whole(size_px: [f32; 2]) -> Crop {
        let size = size_px.map(|s| s.round().max(1.0));
        Crop { full_size_px: size, offset_px: [0.0, 0.0], size_px: size, target_min_px: [0.0, 0.0] }
    }

    /// The part of `view` (target pixels; corners rounded to whole pixels)
    /// inside a `target_px` target. None when nothing of the view is on the
    /// target.
    pub fn visible(view: ViewportPx, target_px: [u32; 2]) -> Option<Crop> {
        let full = view.size.map(|s| s.round().max(1.0));
        let min = view.min.map(f32::round);
        if !(min[0].is_finite() && min[1].is_finite() && full[0].is_finite() && full[1].is_finite()) {
            return None;
        }
        let target = [target_px[0] as f32, target_px[1] as f32];
        let lo = [min[0].max(0.0), min[1].max(0.0)];
        let hi = [(min[0] + full[0]).min(target[0]), (min[1] + full[1]).min(target[1])];
        if hi[0] <= lo[0] || hi[1] <= lo[1] {
            return None;
        }
        let size = [hi[0] - lo[0], hi[1] - lo[1]];
        Some(Crop { full_size_px: full, offset_px: [lo[0] - min[0], lo[1] - min[1]], size_px: size, target_min_px: lo })
    }

    /// The pass viewport: where the drawn part goes on the target.
    pub fn pass_viewport(&self) -> ViewportPx {
        ViewportPx { min: self.target_min_px, size: self.size_px }
    }

    /// Whether this is the whole viewport.
    pub fn is_whole(&self) -> bool {
        self.offset_px == [0.0, 0.0] && self.size_px == self.full_size_px
    }

    /// The drawn size as whole texture pixels.
    pub fn size_u32(&self) -> [u32; 2] {
        self.size_px.map(|s| s.max(1.0) as u32)
    }

    /// The clip-space transform that maps the whole viewport's normalized
    /// device coordinates onto the drawn part's: column-major, to multiply
    /// on the left of a projection (x' = sx x - sx cx w, the same for y).
    pub fn clip_transform(&self) -> glam::Mat4 {
        let [fw, fh] = self.full_size_px;
        let [w, h] = self.size_px;
        let sx = fw / w;
        let sy = fh / h;
        // The drawn part's centre in the whole viewport's NDC (y up).
        let cx = (self.offset_px[0] + w * 0.5) / fw * 2.0 - 1.0;
        let cy = 1.0 - (self.offset_px[1] + h * 0.5) / fh * 2.0;
        glam::Mat4::from_cols(
            glam::Vec4::new(sx, 0.0, 0.0, 0.0),
            glam::Vec4::new(0.0, sy, 0.0, 0.0),
            glam::Vec4::new(0.0, 0.0, 1.0, 0.0),
            glam::Vec4::new(-sx * cx, -sy * cy, 0.0, 1.0),
        )
    }

    /// Where the drawn part's top and bottom edges are in the whole
    /// viewport, as fractions of its height (the 3D sky gradient's span).
    pub fn vertical_span(&self) -> [f32; 2] {
        let fh = self.full_size_px[1];
        [self.offset_px[1] / fh, (self.offset_px[1] + self.size_px[1]) / fh]
    }
}

/// Where the current pass's target sits in the whole picture, in physical
/// pixels: offscreen_egui.rs puts one in egui_wgpu's callback resources while it
/// renders a picture tile by tile; without one the target is the picture.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TileOrigin(pub [f32; 2]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_inside_the_target_is_whole() {
        let crop = Crop::visible(ViewportPx::new([10.0, 20.0], [100.0, 50.0]), [400, 300]).unwrap();
        assert!(crop.is_whole());
        assert_eq!(crop.pass_viewport(), ViewportPx::new([10.0, 20.0], [100.0, 50.0]));
        assert_eq!(crop.clip_transform(), glam::Mat4::IDENTITY);
        assert_eq!(crop.vertical_span(), [0.0, 1.0]);
    }

    #[test]
    fn a_view_hanging_off_the_target_is_cut_to_it() {
        let crop = Crop::visible(ViewportPx::new([-50.0, 250.0], [100.0, 100.0]), [200, 300]).unwrap();
        assert_eq!((crop.full_size_px, crop.offset_px, crop.size_px), ([100.0, 100.0], [50.0, 0.0], [50.0, 50.0]));
        assert_eq!(crop.pass_viewport(), ViewportPx::new([0.0, 250.0], [50.0, 50.0]));
        assert_eq!(crop.vertical_span(), [0.0, 0.5]);
        assert_eq!(Crop::visible(ViewportPx::new([300.0, 0.0], [10.0, 10.0]), [200, 300]), None);
    }

    #[test]
    fn the_clip_transform_maps_the_drawn_part_onto_the_pass() {
        // A view 4x the target: the tile at (100, 50) of a 400x200 view.
        let crop = Crop::visible(ViewportPx::new([-100.0, -50.0], [400.0, 200.0]), [100, 100]).unwrap();
        let m = crop.clip_transform();
        // Whole-view NDC of the tile's corners -> the pass's corners.
        let to_ndc = |px: f32, py: f32| glam::Vec4::new(px / 400.0 * 2.0 - 1.0, 1.0 - py / 200.0 * 2.0, 0.5, 1.0);
        let a = m * to_ndc(100.0, 50.0);
        let b = m * to_ndc(200.0, 150.0);
        assert!((a.x + 1.0).abs() < 1e-6 && (a.y - 1.0).abs() < 1e-6, "{a}");
        assert!((b.x - 1.0).abs() < 1e-6 && (b.y + 1.0).abs() < 1e-6, "{b}");
        assert_eq!(a.z, 0.5);
    }
}
