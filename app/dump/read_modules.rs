//! ModuleList and UnloadedModuleList: names, ranges, versions, CodeView.

use minidump::{CodeView, Minidump, MinidumpModuleList, MinidumpUnloadedModuleList, Module as _};

use super::model::{DebugInfo, Module, UnloadedModule, Version};

/// The file name part of a Windows or POSIX path.
pub(crate) fn file_name(path: &str) -> String {
    path.rsplit(['\\', '/']).next().unwrap_or(path).to_string()
}

fn version(hi: u32, lo: u32) -> Version {
    Version([(hi >> 16) as u16, hi as u16, (lo >> 16) as u16, lo as u16])
}

/// Lower-case hex of bytes (build ids).
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn read_modules<T: std::ops::Deref<Target = [u8]>>(
    dump: &Minidump<'_, T>,
    warnings: &mut Vec<String>,
) -> Vec<Module> {
    let list = match dump.get_stream::<MinidumpModuleList>() {
        Ok(list) => list,
        Err(minidump::Error::StreamNotFound) => {
            warnings.push("no ModuleList stream".into());
            return Vec::new();
        }
        Err(e) => {
            warnings.push(format!("ModuleList unreadable: {e}"));
            return Vec::new();
        }
    };
    let mut out: Vec<Module> = list
        .iter()
        .map(|m| {
            let raw = &m.raw;
            let vi = &raw.version_info;
            let has_version = vi.signature == minidump::format::VS_FFI_SIGNATURE;
            let debug = m.codeview_info.as_ref().and_then(|cv| match cv {
                CodeView::Pdb70(p) => Some(DebugInfo::Pdb70 {
                    pdb_name: String::from_utf8_lossy(p.pdb_file_name.split(|b| *b == 0).next().unwrap_or(&[]))
                        .into_owned(),
                    guid: format!("{}", p.signature),
                    age: p.age,
                }),
                CodeView::Pdb20(p) => Some(DebugInfo::Pdb20 {
                    pdb_name: String::from_utf8_lossy(p.pdb_file_name.split(|b| *b == 0).next().unwrap_or(&[]))
                        .into_owned(),
                    signature: p.signature,
                    age: p.age,
                }),
                CodeView::Elf(e) => Some(DebugInfo::BuildId(hex(&e.build_id))),
                CodeView::Unknown(_) => None,
            });
            Module {
                name: file_name(&m.name),
                path: m.name.clone(),
                base_addr: raw.base_of_image,
                size_bytes: u64::from(raw.size_of_image),
                timestamp: raw.time_date_stamp,
                checksum: raw.checksum,
                file_version: has_version.then(|| version(vi.file_version_hi, vi.file_version_lo)),
                product_version: has_version.then(|| version(vi.product_version_hi, vi.product_version_lo)),
                debug,
                debug_id: m.debug_identifier().map(|d| d.breakpad().to_string()),
            }
        })
        .collect();
    out.sort_by(|a, b| (a.base_addr, a.size_bytes, &a.name).cmp(&(b.base_addr, b.size_bytes, &b.name)));
    let overlapping = out.windows(2).filter(|w| w[1].base_addr < w[0].end_addr()).count();
    if overlapping > 0 {
        warnings.push(format!("ModuleList: {overlapping} modules overlap the one before them"));
    }
    out
}

pub(crate) fn read_unloaded_modules<T: std::ops::Deref<Target = [u8]>>(
    dump: &Minidump<'_, T>,
    warnings: &mut Vec<String>,
) -> Vec<UnloadedModule> {
    let list = match dump.get_stream::<MinidumpUnloadedModuleList>() {
        Ok(list) => list,
        Err(minidump::Error::StreamNotFound) => return Vec::new(),
        Err(e) => {
            warnings.push(format!("UnloadedModuleList unreadable: {e}"));
            return Vec::new();
        }
    };
    let mut out: Vec<UnloadedModule> = list
        .iter()
        .map(|m| UnloadedModule {
            name: file_name(&m.name),
            path: m.name.clone(),
            base_addr: m.raw.base_of_image,
            size_bytes: u64::from(m.raw.size_of_image),
            timestamp: m.raw.time_date_stamp,
            checksum: m.raw.checksum,
        })
        .collect();
    out.sort_by(|a, b| (a.base_addr, &a.name).cmp(&(b.base_addr, &b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_from_any_path() {
        assert_eq!(file_name(r"C:\Windows\System32\ntdll.dll"), "ntdll.dll");
        assert_eq!(file_name("/lib/x86_64-linux-gnu/libc-2.23.so"), "libc-2.23.so");
        assert_eq!(file_name("plain"), "plain");
        assert_eq!(version(0x0006_0000, 0x1772_481E).to_string(), "6.0.6002.18462");
    }
}
