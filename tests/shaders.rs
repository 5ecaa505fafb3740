//! Every shader under shaders/ parses and validates with naga (the WGSL
//! front end wgpu itself uses), with no optional capabilities, so a broken
//! shader fails `cargo test` instead of the first frame. Also checks the
//! naming rule of DESIGN.md: shaders/x.wgsl belongs to app/render/x.rs, which
//! embeds it with include_str!.

// Test code: clippy.toml's allow-*-in-tests covers only #[test] functions, not the
// helpers beside them; unwrap and expect are how a test says what it expects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn wgsl_files() -> Vec<PathBuf> {
    let dir = root().join("shaders");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wgsl"))
        .collect();
    files.sort();
    files
}

/// Parses and validates WGSL; the error is naga's report, with the file's name.
fn validate(source: &str, name: &str) -> Result<naga::Module, String> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| e.emit_to_string_with_path(source, name))?;
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
        .validate(&module)
        .map_err(|e| e.emit_to_string_with_path(source, name))?;
    Ok(module)
}

fn entry_points(module: &naga::Module) -> Vec<(naga::ShaderStage, String)> {
    module.entry_points.iter().map(|ep| (ep.stage, ep.name.clone())).collect()
}

#[test]
fn every_shader_validates() {
    let files = wgsl_files();
    assert!(!files.is_empty(), "no .wgsl files under shaders/");
    let mut failures = Vec::new();
    for path in &files {
        let source = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Err(report) = validate(&source, &path.display().to_string()) {
            failures.push(report);
        }
    }
    assert!(failures.is_empty(), "invalid shaders:\n{}", failures.join("\n"));
}

#[test]
fn every_shader_belongs_to_a_renderer_that_embeds_it() {
    for path in wgsl_files() {
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("UTF-8 shader name").to_owned();
        let rs = root().join("app/render").join(format!("{stem}.rs"));
        let src = std::fs::read_to_string(&rs)
            .unwrap_or_else(|e| panic!("shaders/{stem}.wgsl has no renderer file {}: {e}", rs.display()));
        let include = format!("include_str!(\"../../shaders/{stem}.wgsl\")");
        assert!(src.contains(&include), "{} does not embed its shader with {include}", rs.display());
    }
}

#[test]
fn quads_shader_has_its_entry_points() {
    let path = root().join("shaders/quads.wgsl");
    let source = std::fs::read_to_string(&path).expect("shaders/quads.wgsl");
    let module = validate(&source, "quads.wgsl").expect("valid");
    let eps = entry_points(&module);
    assert!(eps.contains(&(naga::ShaderStage::Vertex, "vs_main".to_owned())), "{eps:?}");
    assert!(eps.contains(&(naga::ShaderStage::Fragment, "fs_main".to_owned())), "{eps:?}");
}

#[test]
fn a_broken_shader_is_rejected() {
    // A syntax error.
    let syntax = "@vertex fn vs_main() -> @builtin(position) vec4<f32> { return vec4<f32>(0.0, 0.0, 0.0 1.0); }";
    assert!(validate(syntax, "syntax.wgsl").is_err());
    // Parses, but does not validate: the fragment returns a u32 to a float target
    // with no location, and adds a float to an int.
    let types = "@fragment fn fs_main() -> @location(0) vec4<f32> { let a: f32 = 1.0; let b: u32 = 2u; \
                 return vec4<f32>(a + b); }";
    assert!(validate(types, "types.wgsl").is_err());
    // A flat-interpolated integer is fine; a perspective-interpolated one is not.
    let interp = "struct V { @builtin(position) p: vec4<f32>, @location(0) c: u32 } \
                  @vertex fn vs_main() -> V { var v: V; v.p = vec4<f32>(0.0); v.c = 1u; return v; }";
    let report = validate(interp, "interp.wgsl").expect_err("integer varying without @interpolate(flat)");
    assert!(report.contains("interp.wgsl"), "{report}");
    // And a correct one passes, so the helper is not simply failing everything.
    let good = "@vertex fn vs_main() -> @builtin(position) vec4<f32> { return vec4<f32>(0.0, 0.0, 0.0, 1.0); }";
    validate(good, "good.wgsl").expect("valid");
}
