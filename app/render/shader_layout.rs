//! Test support: the byte layouts the WGSL shaders expect, read from the
//! shaders themselves with naga (the front end wgpu uses), so the `#[repr(C)]`
//! mirrors are checked against the shader rather than against numbers copied
//! into a comment.

/// How a struct's members sit in the buffer the pipeline feeds it from.
#[derive(Clone, Copy)]
pub enum Buffer {
    /// A uniform buffer: WGSL's own member offsets.
    Uniform,
    /// A vertex buffer: members in `@location` order, tightly packed, as
    /// `wgpu::vertex_attr_array!` declares them.
    Vertex,
}

/// The members of `struct_name` in `wgsl` as `buffer` lays them out: (name, offset, size).
pub fn members(wgsl: &str, struct_name: &str, buffer: Buffer) -> Vec<(String, u32, u32)> {
    let module = naga::front::wgsl::parse_str(wgsl).unwrap_or_else(|e| panic!("the shader does not parse: {e}"));
    let (_, ty) = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(struct_name))
        .unwrap_or_else(|| panic!("no struct {struct_name} in the shader"));
    let naga::TypeInner::Struct { members, .. } = &ty.inner else { panic!("{struct_name} is not a struct") };
    let gctx = module.to_ctx();
    let size = |m: &naga::StructMember| module.types[m.ty].inner.size(gctx);
    let name = |m: &naga::StructMember| m.name.clone().unwrap_or_default();
    match buffer {
        Buffer::Uniform => members.iter().map(|m| (name(m), m.offset, size(m))).collect(),
        Buffer::Vertex => {
            let mut located: Vec<(u32, String, u32)> = members
                .iter()
                .map(|m| {
                    let Some(naga::Binding::Location { location, .. }) = m.binding else {
                        panic!("{struct_name}.{:?} has no @location", m.name)
                    };
                    (location, name(m), size(m))
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
    }
}

/// Asserts that the Rust mirror's fields, `(name, offset_of!)` in declaration
/// order, are the shader struct's members at the same offsets, and that the
/// mirror of `size_bytes` holds them all (exactly, for vertex buffers; uniform
/// mirrors may pad their end).
pub fn assert_mirrors(wgsl: &str, struct_name: &str, buffer: Buffer, rust: &[(&str, usize)], size_bytes: usize) {
    let shader = members(wgsl, struct_name, buffer);
    let want: Vec<(&str, u32)> = shader.iter().map(|(n, o, _)| (n.as_str(), *o)).collect();
    let got: Vec<(&str, u32)> = rust.iter().map(|(n, o)| (*n, *o as u32)).collect();
    assert_eq!(got, want, "{struct_name}");
    let end = shader.last().map_or(0, |(_, offset, size)| offset + size);
    match buffer {
        Buffer::Vertex => assert_eq!(size_bytes as u32, end, "{struct_name}: size"),
        Buffer::Uniform => {
            assert!(size_bytes as u32 >= end, "{struct_name}: {size_bytes} bytes, the shader reads {end}")
        }
    }
}
