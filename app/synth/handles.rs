//! The HandleData stream with `MINIDUMP_HANDLE_DESCRIPTOR_2` entries (40 bytes:
//! handle, type and object name RVAs, attributes, granted access, handle and
//! pointer counts, `ObjectInfoRva`); minidump-synth writes only the older 32-byte
//! descriptor. Type names are written once and shared, as their RVAs may be.

use std::collections::BTreeMap;

use minidump_synth::{DumpSection, DumpString, ExListStream};
use test_assembler::{Label, Section};

use super::section::{LE, le_section, section_backed};
use super::winnt::stream;

/// One open handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandleFacts {
    /// The handle value.
    pub handle: u64,
    /// Object type name ("Event", "File", "ALPC Port", ...).
    pub type_name: &'static str,
    /// Object name, if the object has one.
    pub object_name: Option<String>,
    /// `Attributes` (OBJ_INHERIT etc.).
    pub attributes: u32,
    /// `GrantedAccess`.
    pub granted_access: u32,
    /// `HandleCount`.
    pub handle_count: u32,
    /// `PointerCount`.
    pub pointer_count: u32,
}

/// One serialized `MINIDUMP_HANDLE_DESCRIPTOR_2`.
pub struct HandleDescriptor2 {
    section: Section,
}

section_backed!(HandleDescriptor2);

/// The stream and the strings it refers to (add each string to the dump with `add`).
pub fn handle_data(handles: &[HandleFacts]) -> (ExListStream<HandleDescriptor2>, Vec<DumpString>) {
    let mut strings = Vec::new();
    let mut type_labels: BTreeMap<&'static str, Label> = BTreeMap::new();
    let mut list = ExListStream::new_with_header_size(stream::HANDLE_DATA, 16, 40, LE);
    for h in handles {
        let type_rva = match type_labels.get(h.type_name) {
            Some(label) => label.clone(),
            None => {
                let s = DumpString::new(h.type_name, LE);
                let label = s.file_offset();
                type_labels.insert(h.type_name, label.clone());
                strings.push(s);
                label
            }
        };
        let mut section = le_section().D64(h.handle).D32(&type_rva);
        section = match &h.object_name {
            Some(name) => {
                let s = DumpString::new(name, LE);
                let label = s.file_offset();
                strings.push(s);
                section.D32(&label)
            }
            None => section.D32(0),
        };
        section = section
            .D32(h.attributes)
            .D32(h.granted_access)
            .D32(h.handle_count)
            .D32(h.pointer_count)
            .D32(0) // ObjectInfoRva
            .D32(0); // Reserved0
        list = list.add(HandleDescriptor2 { section });
    }
    (list, strings)
}
