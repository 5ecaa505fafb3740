// quads.wgsl: the shader of QuadsRenderer (app/render/quads.rs).
//
// Instanced quads: one instance per axis-aligned rectangle in world units,
// drawn as a 4-vertex triangle strip. The camera maps world -> pixels of the
// viewport (y down, like the screen); colours are gamma-space RGBA8 written
// as-is into a non-sRGB target (premultiplied alpha, like egui's Color32).
//
// Precision: positions are made relative to the camera centre *before* they
// are scaled (`(p - center) * px_per_unit`), never `p * scale + offset`, so a
// visible quad's pixel position carries only the rounding of one subtraction
// of nearby f32 values (exact when they are within a factor of two) and one
// multiplication: far below a pixel for worlds up to 2^24 units wide. Corners
// are then clamped to a guard band around the drawn part of the viewport, so
// rasterization works with small numbers even when a quad reaches millions of
// pixels off screen; the fragment shader takes its pixel position from the
// pixel centre itself, never from interpolation.

// Mirrors `QuadsUniforms` in app/render/quads.rs.
struct Uniforms {
    // Camera centre, world units; shown at the middle of the viewport.
    center: vec2<f32>,
    // The whole viewport's size in physical pixels.
    viewport_size_px: vec2<f32>,
    // The part of the viewport this pass draws (a tile of a big export, or
    // the on-screen part of a view): its corner relative to the whole
    // viewport's, and its size (the pass viewport's).
    crop_offset_px: vec2<f32>,
    crop_size_px: vec2<f32>,
    // The pass viewport's corner on the target.
    target_min_px: vec2<f32>,
    px_per_unit: f32,
    // RGBA8 (r in the low byte), for SELECTED outlines.
    highlight: u32,
    // RGBA8, what DIMMED quads blend towards.
    background: u32,
}

// Mirrors `QuadInstance` in app/render/quads.rs.
struct InstanceInput {
    @location(0) min: vec2<f32>,
    @location(1) max: vec2<f32>,
    @location(2) color: u32,
    @location(3) flags: u32,
}

// QuadInstance flag bits.
const FLAG_SELECTED: u32 = 1u;
const FLAG_HOVERED: u32 = 2u;
const FLAG_COMPRESSED: u32 = 4u;
const FLAG_DIMMED: u32 = 8u;
const FLAG_GHOST: u32 = 16u;

// A quad side of at least this many pixels gets a 1 px darker border.
const BORDER_MIN_PX: f32 = 4.0;
// How much of the fill colour the border keeps.
const BORDER_SHADE: f32 = 0.6;
// Width of the SELECTED outline, in pixels.
const SELECTED_PX: f32 = 3.0;
// Width of the HOVERED outline, in pixels.
const HOVERED_PX: f32 = 2.0;
// How far a HOVERED outline moves towards white.
const HOVER_LIGHTEN: f32 = 0.5;
// COMPRESSED hatch: diagonal stripes `HATCH_LINE_PX` wide every `HATCH_PERIOD_PX`.
const HATCH_PERIOD_PX: f32 = 8.0;
const HATCH_LINE_PX: f32 = 2.0;
const HATCH_SHADE: f32 = 0.7;
// Width of a GHOST quad's outline, in pixels; inside it, the background.
const GHOST_PX: f32 = 2.0;
// How far a DIMMED quad moves towards the background.
const DIM_AMOUNT: f32 = 0.7;
// Corners are clamped to the viewport grown by this many pixels.
const GUARD_PX: f32 = 16.0;

@group(0) @binding(0) var<uniform> u: Uniforms;

struct VertexOutput {
    @builtin(position) position: vec4<f32>,
    // The quad's pixel bounds (after the 1 px minimum size), relative to the
    // whole viewport's top-left corner: min in xy, max in zw. Two
    // interpolants rather than four: a software rasterizer (lavapipe) keeps
    // every interpolant of every binned triangle until it draws them, and a
    // fitted map at a million regions bins millions of triangles.
    @location(0) @interpolate(flat, either) rect_px: vec4<f32>,
    // The colour and the flags.
    @location(1) @interpolate(flat, either) color_flags: vec2<u32>,
}

@vertex
fn vs_main(@builtin(vertex_index) vertex_index: u32, inst: InstanceInput) -> VertexOutput {
    let half_viewport = u.viewport_size_px * 0.5;
    let a = (inst.min - u.center) * u.px_per_unit + half_viewport;
    let b = (inst.max - u.center) * u.px_per_unit + half_viewport;
    var lo = min(a, b);
    var hi = max(a, b);

    // Never let a region vanish: a side shorter than one pixel grows to
    // exactly one pixel around its centre, which always covers exactly one
    // pixel centre.
    let mid = (lo + hi) * 0.5;
    let tiny = (hi - lo) < vec2<f32>(1.0);
    lo = select(lo, mid - vec2<f32>(0.5), tiny);
    hi = select(hi, mid + vec2<f32>(0.5), tiny);

    // Triangle strip corners: (0,0) (1,0) (0,1) (1,1).
    let corner = vec2<f32>(f32(vertex_index & 1u), f32((vertex_index >> 1u) & 1u));
    let crop_min = u.crop_offset_px - vec2<f32>(GUARD_PX);
    let crop_max = u.crop_offset_px + u.crop_size_px + vec2<f32>(GUARD_PX);
    let p = clamp(mix(lo, hi, corner), crop_min, crop_max);

    // Pixel positions stay in the whole viewport's space (borders and hatching
    // line up across crops); only the mapping to the pass is cropped.
    let q = (p - u.crop_offset_px) / u.crop_size_px;
    let ndc = vec2<f32>(q.x * 2.0 - 1.0, 1.0 - q.y * 2.0);

    var out: VertexOutput;
    out.position = vec4<f32>(ndc, 0.0, 1.0);
    out.rect_px = vec4<f32>(lo, hi);
    out.color_flags = vec2<u32>(inst.color, inst.flags);
    return out;
}

// A fragment's quad: VertexOutput unpacked.
struct Quad {
    position: vec4<f32>,
    rect_min_px: vec2<f32>,
    rect_max_px: vec2<f32>,
    color: u32,
    flags: u32,
}

fn has(flags: u32, flag: u32) -> bool {
    return (flags & flag) != 0u;
}

@fragment
fn fs_main(v: VertexOutput) -> @location(0) vec4<f32> {
    let in = Quad(v.position, v.rect_px.xy, v.rect_px.zw, v.color_flags.x, v.color_flags.y);
    // Premultiplied, gamma-space colour.
    var c = unpack4x8unorm(in.color);
    // This pixel's centre in the whole viewport: exact (not interpolated), so
    // every crop of the view decides borders and hatching alike.
    let local_px = in.position.xy - u.target_min_px + u.crop_offset_px;

    let size = in.rect_max_px - in.rect_min_px;
    let from_min = local_px - in.rect_min_px;
    let from_max = in.rect_max_px - local_px;
    // Distance from this pixel's centre to the nearest edge, per axis.
    let edge = min(from_min, from_max);
    let edge_any = min(edge.x, edge.y);

    if has(in.flags, FLAG_COMPRESSED) {
        let diag = local_px.x + local_px.y;
        let phase = diag - floor(diag / HATCH_PERIOD_PX) * HATCH_PERIOD_PX;
        if phase < HATCH_LINE_PX {
            c = vec4<f32>(c.rgb * HATCH_SHADE, c.a);
        }
    }

    // The 1 px border keeps neighbouring regions apart at every zoom: the
    // left and right columns once the quad is BORDER_MIN_PX wide, the top and
    // bottom rows once it is BORDER_MIN_PX tall.
    let big = size >= vec2<f32>(BORDER_MIN_PX);
    if (big.x && edge.x < 1.0) || (big.y && edge.y < 1.0) {
        c = vec4<f32>(c.rgb * BORDER_SHADE, c.a);
    }

    // A ghost is its outline: quads too small for an inside stay filled.
    if has(in.flags, FLAG_GHOST) && edge_any >= GHOST_PX {
        c = unpack4x8unorm(u.background);
    }

    if has(in.flags, FLAG_DIMMED) {
        c = mix(c, unpack4x8unorm(u.background), DIM_AMOUNT);
    }

    var hover_from = 0.0;
    if has(in.flags, FLAG_SELECTED) {
        if edge_any < SELECTED_PX {
            return unpack4x8unorm(u.highlight);
        }
        hover_from = SELECTED_PX;
    }
    if has(in.flags, FLAG_HOVERED) && edge_any < hover_from + HOVERED_PX {
        c = vec4<f32>(mix(c.rgb, vec3<f32>(c.a), HOVER_LIGHTEN), c.a);
    }
    return c;
}
