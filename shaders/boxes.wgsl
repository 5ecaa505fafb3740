// boxes.wgsl: the shader of BoxesRenderer (app/render/boxes.rs).
//
// Three programs share this file:
// - vs_sky / fs_sky: a fullscreen triangle drawn first into the scene's own
//   (multisampled) colour target, a vertical gradient from `sky_top` at the
//   top of the viewport to `sky_bottom` at the bottom.
// - vs_box / fs_box: instanced axis-aligned boxes, one unit cube (36 vertices,
//   one flat normal per face; vs_box_facing: the 18 of the faces that can
//   face the eye) scaled to each instance's min..max, depth
//   tested (reverse-Z: greater is nearer), lit by one directional light plus
//   ambient, with edges darkened about 1 px wide at any distance.
// - vs_blit / fs_blit: copies the resolved scene texture into egui's pass
//   (or any target) pixel for pixel.
//
// Colours are gamma-space (sRGB-encoded) RGBA8, premultiplied like egui's
// Color32, and are written as-is into non-sRGB targets, as quads.wgsl does.
// Lighting multiplies those gamma-space values: not physically exact, but
// monotonic and stable, and the base colour at full light is exactly the
// palette's colour.
//
// Precision: world positions are made relative to the eye *before* the
// view-projection matrix (which has no translation), so large world
// coordinates do not lose their low bits.

// Mirrors `BoxesUniforms` in app/render/boxes.rs.
struct Uniforms {
    // World -> clip for positions relative to the eye (reverse-Z, infinite far).
    view_proj: mat4x4<f32>,
    eye: vec3<f32>,
    // Light every face gets, 0..1.
    ambient: f32,
    // Unit vector from the scene towards the light.
    light_dir: vec3<f32>,
    // RGBA8 (r in the low byte), the sky at the top of the viewport.
    sky_top: u32,
    // Slicing plane: xyz normal, w offset; fragments with dot(n, p) > w are
    // discarded. A zero normal disables slicing.
    slice: vec4<f32>,
    // Where the pass's top and bottom edges are in the whole viewport, as
    // fractions of its height: a tile of a big export draws its part of the
    // gradient.
    sky_span: vec2<f32>,
    // RGBA8, the sky at the bottom of the viewport.
    sky_bottom: u32,
    // RGBA8, SELECTED boxes' edges and glow.
    highlight: u32,
}

// Mirrors `CubeVertex` in app/render/boxes.rs (vertex buffer 0, vertex step).
struct VertexInput {
    // Corner of the unit cube, each coordinate 0 or 1.
    @location(0) corner: vec3<f32>,
    // Outward face normal.
    @location(1) normal: vec3<f32>,
}

// Mirrors `BoxInstance` in app/render/boxes.rs (vertex buffer 1, instance step).
struct InstanceInput {
    @location(2) min: vec3<f32>,
    @location(3) color: u32,
    @location(4) max: vec3<f32>,
    @location(5) flags: u32,
}

// BoxInstance flag bits.
const FLAG_SELECTED: u32 = 1u;
const FLAG_HOVERED: u32 = 2u;
const FLAG_COMPRESSED: u32 = 4u;

// Edge darkening: this many pixels from a face's edge are darkened...
const EDGE_PX: f32 = 1.0;
// ...to this fraction of the face's colour.
const EDGE_SHADE: f32 = 0.45;
// A face side shorter than this many pixels gets no darkened edge (it would
// be all edge).
const EDGE_MIN_FACE_PX: f32 = 6.0;
// SELECTED: edges this many pixels wide in the highlight colour...
const SELECTED_EDGE_PX: f32 = 2.5;
// ...and the faces glow this far towards the highlight colour.
const SELECTED_GLOW: f32 = 0.35;
// HOVERED: faces move this far towards white.
const HOVER_LIGHTEN: f32 = 0.3;
// COMPRESSED: diagonal stripes, `STRIPES_PER_BOX` across the box's longest
// side, each `STRIPE_DUTY` of a period wide, shaded to `STRIPE_SHADE`.
const STRIPES_PER_BOX: f32 = 12.0;
const STRIPE_DUTY: f32 = 0.35;
const STRIPE_SHADE: f32 = 0.65;
// Faces seen from inside (behind the slicing plane) are this dark.
const INTERIOR_SHADE: f32 = 0.3;

@group(0) @binding(0) var<uniform> u: Uniforms;
// The resolved scene, read by the blit (its own bind group layout).
@group(0) @binding(1) var scene_texture: texture_2d<f32>;

// ---- sky ------------------------------------------------------------------

struct SkyOutput {
    @builtin(position) position: vec4<f32>,
    // 0 at the top of the viewport, 1 at the bottom.
    @location(0) v: f32,
}

// The fullscreen triangle: (-1,-1) (3,-1) (-1,3) covers the viewport.
fn fullscreen_corner(vertex_index: u32) -> vec2<f32> {
    return vec2<f32>(f32((vertex_index << 1u) & 2u), f32(vertex_index & 2u)) * 2.0 - 1.0;
}

@vertex
fn vs_sky(@builtin(vertex_index) vertex_index: u32) -> SkyOutput {
    let p = fullscreen_corner(vertex_index);
    var out: SkyOutput;
    // Depth 0 is the far end in reverse-Z (the pipeline does not test or write it).
    out.position = vec4<f32>(p, 0.0, 1.0);
    out.v = mix(u.sky_span.x, u.sky_span.y, 0.5 - 0.5 * p.y);
    return out;
}

@fragment
fn fs_sky(in: SkyOutput) -> @location(0) vec4<f32> {
    let top = unpack4x8unorm(u.sky_top);
    let bottom = unpack4x8unorm(u.sky_bottom);
    // Premultiplied colours: a transparent sky (alpha 0) leaves the picture
    // transparent there; the window's sky is opaque.
    return mix(top, bottom, clamp(in.v, 0.0, 1.0));
}

// ---- boxes ----------------------------------------------------------------

struct BoxOutput {
    @builtin(position) position: vec4<f32>,
    // Position relative to the box's min corner, world units.
    @location(0) local: vec3<f32>,
    // World position, for the slicing plane.
    @location(1) world: vec3<f32>,
    @location(2) @interpolate(flat, either) size: vec3<f32>,
    @location(3) @interpolate(flat, either) normal: vec3<f32>,
    @location(4) @interpolate(flat, either) color: u32,
    @location(5) @interpolate(flat, either) flags: u32,
}

// The box's vertex at `corner` of the unit cube, on the face with outward
// `normal`.
fn box_vertex(corner: vec3<f32>, normal: vec3<f32>, inst: InstanceInput) -> BoxOutput {
    let size = max(inst.max - inst.min, vec3<f32>(0.0));
    let local = corner * size;
    var out: BoxOutput;
    // Relative to the eye first: (min - eye) is exact for nearby values.
    out.position = u.view_proj * vec4<f32>((inst.min - u.eye) + local, 1.0);
    out.local = local;
    out.world = inst.min + local;
    out.size = size;
    out.normal = normal;
    out.color = inst.color;
    out.flags = inst.flags;
    return out;
}

// All six faces (36 vertices): a sliced box shows its insides.
@vertex
fn vs_box(vertex: VertexInput, inst: InstanceInput) -> BoxOutput {
    return box_vertex(vertex.corner, vertex.normal, inst);
}

// One face per axis (18 vertices; `vertex` is on the + face of its axis):
// the one the eye may see. That is the + face when the eye is beyond the
// box's max on that axis (its plane computed as box_vertex computes its
// corners), else the - face, culled as before when the eye is between the
// two. A face the eye sees is the very triangles vs_box makes of it, in the
// same order, so the pixels are the same, from half the vertices: the
// other three faces were back faces, shaded only to be culled.
@vertex
fn vs_box_facing(vertex: VertexInput, inst: InstanceInput) -> BoxOutput {
    let size = max(inst.max - inst.min, vec3<f32>(0.0));
    // The + faces' planes relative to the eye, exactly as box_vertex
    // computes their corners (1 * size is size).
    let plus = (inst.min - u.eye) + size;
    // For the - face, vs_box's vertex: the axis at 0, the other two
    // swapped (which keeps the winding counter-clockwise seen from outside).
    let c = vertex.corner;
    var plus_plane: f32;
    var minus: vec3<f32>;
    if vertex.normal.x > 0.5 {
        plus_plane = plus.x;
        minus = vec3<f32>(0.0, c.z, c.y);
    } else if vertex.normal.y > 0.5 {
        plus_plane = plus.y;
        minus = vec3<f32>(c.z, 0.0, c.x);
    } else {
        plus_plane = plus.z;
        minus = vec3<f32>(c.y, c.x, 0.0);
    }
    if plus_plane < 0.0 {
        return box_vertex(vertex.corner, vertex.normal, inst);
    }
    // 0 - n rather than -n: vs_box's normals have no negative zeros.
    return box_vertex(minus, vec3<f32>(0.0) - vertex.normal, inst);
}

fn has(flags: u32, flag: u32) -> bool {
    return (flags & flag) != 0u;
}

// The share of [x0, x1] covered by stripes of duty STRIPE_DUTY and period 1:
// a box-filtered stripe pattern, so distant stripes fade to their average
// instead of shimmering.
fn stripe_integral(x: f32) -> f32 {
    return floor(x) * STRIPE_DUTY + min(fract(x), STRIPE_DUTY);
}

fn stripe_coverage(s: f32, width: f32) -> f32 {
    let w = max(width, 1e-4);
    return clamp((stripe_integral(s + 0.5 * w) - stripe_integral(s - 0.5 * w)) / w, 0.0, 1.0);
}

// What a box fragment needs of its neighbours (derivatives), taken first,
// in uniform control flow.
struct BoxDerivatives {
    // World units per pixel along each axis across this face.
    units_per_px: vec3<f32>,
    // Where the fragment is across the compressed stripes, and their width.
    stripe_s: f32,
    stripe_w: f32,
}

fn box_derivatives(in: BoxOutput) -> BoxDerivatives {
    var d: BoxDerivatives;
    d.units_per_px = max(fwidth(in.local), vec3<f32>(1e-20));
    let longest = max(max(in.size.x, in.size.y), max(in.size.z, 1e-20));
    d.stripe_s = (in.local.x + in.local.y + in.local.z) / longest * STRIPES_PER_BOX;
    d.stripe_w = fwidth(d.stripe_s);
    return d;
}

// Boxes when no slicing plane is set. No discard: a software rasterizer
// (lavapipe) then tests depth before shading, which skips hidden fragments
// (a tenth of a million-region Volume picture's time).
@fragment
fn fs_box(in: BoxOutput, @builtin(front_facing) front_facing: bool) -> @location(0) vec4<f32> {
    return shade_box(in, front_facing, box_derivatives(in));
}

// Boxes cut by the slicing plane: its positive side is cut away.
@fragment
fn fs_box_sliced(in: BoxOutput, @builtin(front_facing) front_facing: bool) -> @location(0) vec4<f32> {
    let d = box_derivatives(in);
    let n_slice = u.slice.xyz;
    if dot(n_slice, n_slice) > 0.0 && dot(n_slice, in.world) > u.slice.w {
        discard;
    }
    return shade_box(in, front_facing, d);
}

fn shade_box(in: BoxOutput, front_facing: bool, d: BoxDerivatives) -> vec4<f32> {
    let units_per_px = d.units_per_px;
    let stripe_s = d.stripe_s;
    let stripe_w = d.stripe_w;

    // Premultiplied, gamma-space colour.
    let base = unpack4x8unorm(in.color);
    let a = base.a;

    if !front_facing {
        // The inside of a sliced box.
        return vec4<f32>(base.rgb * INTERIOR_SHADE, a);
    }

    // Directional light plus ambient.
    let l = u.light_dir;
    let l_len = length(l);
    let light = select(vec3<f32>(0.0, 1.0, 0.0), l / l_len, l_len > 0.0);
    let ambient = clamp(u.ambient, 0.0, 1.0);
    var shade = ambient + (1.0 - ambient) * max(dot(in.normal, light), 0.0);

    // Distance to the face's edges in pixels: per axis, the distance to the
    // nearer side of the box divided by world units per pixel; the axis along
    // the normal does not count (the face is flat in it).
    let along_face = vec3<f32>(1.0) - abs(in.normal);
    let to_side_px = min(in.local, in.size - in.local) / units_per_px;
    let face_px = in.size / units_per_px;
    let big_enough = face_px >= vec3<f32>(EDGE_MIN_FACE_PX);
    let far = vec3<f32>(1e20);
    let edge_px_all = select(far, to_side_px, along_face > vec3<f32>(0.5));
    let edge_px = min(min(edge_px_all.x, edge_px_all.y), edge_px_all.z);
    let edge_big = select(far, to_side_px, (along_face > vec3<f32>(0.5)) & big_enough);
    let edge_px_big = min(min(edge_big.x, edge_big.y), edge_big.z);

    if has(in.flags, FLAG_COMPRESSED) {
        shade *= mix(1.0, STRIPE_SHADE, stripe_coverage(stripe_s, stripe_w));
    }

    // A soft (anti-aliased) 1 px dark line along each edge of a big enough face.
    let edge = 1.0 - smoothstep(EDGE_PX - 0.5, EDGE_PX + 0.5, edge_px_big);
    shade *= mix(1.0, EDGE_SHADE, edge);

    var rgb = base.rgb * shade;

    if has(in.flags, FLAG_HOVERED) {
        rgb = mix(rgb, vec3<f32>(a), HOVER_LIGHTEN);
    }
    if has(in.flags, FLAG_SELECTED) {
        let hl = unpack4x8unorm(u.highlight);
        rgb = mix(rgb, hl.rgb * a, SELECTED_GLOW);
        // Bright edges on every face, however small.
        let sel = 1.0 - smoothstep(SELECTED_EDGE_PX - 0.5, SELECTED_EDGE_PX + 0.5, edge_px);
        return vec4<f32>(mix(rgb, hl.rgb, sel), mix(a, 1.0, sel));
    }
    return vec4<f32>(rgb, a);
}

// ---- blit -----------------------------------------------------------------

struct BlitOutput {
    @builtin(position) position: vec4<f32>,
    // 0..1 across the viewport, y down.
    @location(0) uv: vec2<f32>,
}

@vertex
fn vs_blit(@builtin(vertex_index) vertex_index: u32) -> BlitOutput {
    let p = fullscreen_corner(vertex_index);
    var out: BlitOutput;
    out.position = vec4<f32>(p, 0.0, 1.0);
    out.uv = vec2<f32>(0.5 + 0.5 * p.x, 0.5 - 0.5 * p.y);
    return out;
}

@fragment
fn fs_blit(in: BlitOutput) -> @location(0) vec4<f32> {
    // Pixel centres land on texel centres when the viewport is the texture's
    // size; otherwise (a viewport the device could not take) nearest texel.
    let dims = vec2<i32>(textureDimensions(scene_texture));
    let texel = clamp(vec2<i32>(floor(in.uv * vec2<f32>(dims))), vec2<i32>(0), dims - vec2<i32>(1));
    // Premultiplied, alpha kept: opaque in the window, 0 under a transparent sky.
    return textureLoad(scene_texture, texel, 0);
}
