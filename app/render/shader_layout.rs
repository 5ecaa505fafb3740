//! Test support: the byte layouts the WGSL shaders expect, read from the
//! shaders themselves with naga (the front end wgpu uses), so the `#[repr(C)]`
//! mirrors are checked against the shader rather than against numbers copied
//! into a comment.

/// A struct's members as WGSL lays them out in a uniform buffer: (name, offset, size).
pub fn uniform_members(wgsl: &str, struct_name: &str) -> Vec<(String, u32, u32)> {
    let module = naga::front::wgsl::parse_str(wgsl).unwrap_or_else(|e| panic!("the shader does not parse: {e}"));
    let (_, ty) = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(struct_name))
        .unwrap_or_else(|| panic!("no struct {struct_name} in the shader"));
    let naga::TypeInner::Struct { members, .. } = &ty.inner else { panic!("{struct_name} is not a struct") };
    let gctx = module.to_ctx();
    members
        .iter()
        .map(|m| (m.name.clone().unwrap_or_default(), m.offset, module.types[m.ty].inner.size(gctx)))
        .collect()
}

/// A vertex-input struct's members in `@location` order with the offsets
/// `wgpu::vertex_attr_array!` gives them (tightly packed, one after the
/// other): (name, offset, size).
pub fn packed_vertex_members(wgsl: &str, struct_name: &str) -> Vec<(String, u32, u32)> {
    let module = naga::front::wgsl::parse_str(wgsl).unwrap_or_else(|e| panic!("the shader does not parse: {e}"));
    let (_, ty) = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(struct_name))
        .unwrap_or_else(|| panic!("no struct {struct_name} in the shader"));
    let naga::TypeInner::Struct { members, .. } = &ty.inner else { panic!("{struct_name} is not a struct") };
    let gctx = module.to_ctx();
    let mut located: Vec<(u32, String, u32)> = members
        .iter()
        .map(|m| {
            let Some(naga::Binding::Location { location, .. }) = m.binding else {
                panic!("{struct_name}.{:?} has no @location", m.name)
            };
            (location, m.name.clone().unwrap_or_default(), module.types[m.ty].inner.size(gctx))
        })
        .collect();
    located.sort();
    let mut offset = 0;
    located
        .into_iter()
        .map(|(_, name, size)| {
            let at = offset;
            offset += size;
            (name, at, size)
        })
        .collect()
}
